/* SPDX-License-Identifier: MIT */
/*
 * Body model: landmarks follow the occupant's size, keep spinal order and stay
 * on the track.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "body.h"
#include "config.h"

static const char *const lm_name[_CHAIR_LM_COUNT] = {
        "C7", "T10", "T12", "L1", "L2", "L3", "L4", "L5", "S1",
};

/* The defaults documented in docs/config.md. */
static struct chair_geometry reference_geometry(void) {
        return (struct chair_geometry) {
                .track_mm = 780.0f,
                .mm_per_pulse = 0.5f,
                .carriage_mm_s = 120.0f,
                .recline_s = 20.0f,
                .seat_to_shoulder_ratio = 0.35f,
                .seat_offset_mm = 60.0f,
        };
}

static void body_for_height(const struct chair_geometry *g, float height_cm, struct chair_body *b) {
        chair_body_from_shoulder(g, chair_body_shoulder_for_height(g, height_cm), b);
}

/* A tall and a short occupant get their L4 in clearly different places, the
 * tall one's higher up the back: the whole point of the body scan. */
static void test_l4_follows_height(void **state) {
        struct chair_geometry g = reference_geometry();
        struct chair_body small, tall;

        body_for_height(&g, 150.0f, &small);
        body_for_height(&g, 195.0f, &tall);
        assert_true(tall.shoulder_mm > small.shoulder_mm);
        /* 45 cm of stature moves L4 by more than a vertebra's height (~20 mm). */
        assert_true(tall.landmark_mm[CHAIR_LM_L4] - small.landmark_mm[CHAIR_LM_L4] > 20.0f);
}

/*
 * Landmarks in spinal order, S1 lowest and C7 highest, for every size on
 * geometries roomy enough that nothing reaches the ends of the track (so the
 * order is the model's own, not the clamp's).
 */
static void test_order(void **state) {
        static const struct {
                float track_mm, seat_offset_mm, ratio;
                float height_cm;
        } cases[] = {
                { 780, 60, 0.35f, 150 }, { 780, 60, 0.35f, 165 }, { 780, 60, 0.35f, 175 },
                { 780, 60, 0.35f, 195 }, { 1500, 0, 0.35f, 100 }, { 1500, 0, 0.35f, 230 },
                { 1500, 0, 0.30f, 120 }, { 1500, 20, 0.45f, 210 }, { 1200, 0, 0.20f, 180 },
        };

        for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
                struct chair_geometry g = reference_geometry();
                struct chair_body b;

                g.track_mm = cases[c].track_mm;
                g.seat_offset_mm = cases[c].seat_offset_mm;
                g.seat_to_shoulder_ratio = cases[c].ratio;
                body_for_height(&g, cases[c].height_cm, &b);

                for (int l = 0; l < _CHAIR_LM_COUNT; l++)
                        if (!(b.landmark_mm[l] > 0.0f && b.landmark_mm[l] < g.track_mm))
                                fail_msg("case %zu: %s at %g mm touches the track's end", c, lm_name[l],
                                         b.landmark_mm[l]);
                /* Enum order is C7 (head) .. S1 (seat): positions must fall. */
                for (int l = 1; l < _CHAIR_LM_COUNT; l++)
                        if (!(b.landmark_mm[l] < b.landmark_mm[l - 1]))
                                fail_msg("case %zu: %s (%g mm) not below %s (%g mm)", c, lm_name[l],
                                         b.landmark_mm[l], lm_name[l - 1], b.landmark_mm[l - 1]);
                /* C7 just above the shoulder line. */
                assert_true(b.landmark_mm[CHAIR_LM_C7] > b.shoulder_mm);
                assert_true(b.landmark_mm[CHAIR_LM_C7] < b.shoulder_mm + 60.0f);
        }
}

/* Landmarks beyond the track are clamped onto it, never beyond, and the
 * clamped order never inverts. */
static void test_clamped(void **state) {
        static const struct {
                float track_mm, seat_offset_mm, height_cm;
                bool expect_top, expect_bottom;    /* some landmark pinned to that end */
        } cases[] = {
                { 300, 60, 195, true, false },     /* short track, tall person */
                { 780, 300, 120, false, true },    /* rollers start high above the seat */
                { 200, 300, 230, true, true },     /* both */
        };

        for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
                struct chair_geometry g = reference_geometry();
                struct chair_body b;
                bool top = false, bottom = false;

                g.track_mm = cases[c].track_mm;
                g.seat_offset_mm = cases[c].seat_offset_mm;
                body_for_height(&g, cases[c].height_cm, &b);

                for (int l = 0; l < _CHAIR_LM_COUNT; l++) {
                        assert_true(b.landmark_mm[l] >= 0.0f);
                        assert_true(b.landmark_mm[l] <= g.track_mm);
                        top |= b.landmark_mm[l] == g.track_mm;
                        bottom |= b.landmark_mm[l] == 0.0f;
                        if (l > 0)
                                assert_true(b.landmark_mm[l] <= b.landmark_mm[l - 1]);
                }
                assert_int_equal(top, cases[c].expect_top);
                assert_int_equal(bottom, cases[c].expect_bottom);
        }
}

/* The shoulder estimate grows with stature and is what the landmarks are
 * built from. */
static void test_shoulder(void **state) {
        struct chair_geometry g = reference_geometry();
        float prev = -INFINITY;

        for (float h = 100.0f; h <= 230.0f; h += 5.0f) {
                float s = chair_body_shoulder_for_height(&g, h);
                struct chair_body b;

                assert_true(s > prev);
                prev = s;
                chair_body_from_shoulder(&g, s, &b);
                assert_float_equal(b.shoulder_mm, s, 1e-6);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_l4_follows_height),
                cmocka_unit_test(test_order),
                cmocka_unit_test(test_clamped),
                cmocka_unit_test(test_shoulder),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
