/* SPDX-License-Identifier: MIT */
/*
 * Techniques: every setpoint in range for every technique, intensity, speed and
 * time; intensity raises the effect, speed raises the rate; pure and smooth.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "technique.h"

#define N_TECH ((int) _CHAIR_TECH_COUNT)

/* Local names so the messages do not depend on the program module. */
static const char *const tech_name[_CHAIR_TECH_COUNT] = {
        [CHAIR_TECH_ROLLING] = "rolling",       [CHAIR_TECH_KNEADING] = "kneading",
        [CHAIR_TECH_TAPPING] = "tapping",       [CHAIR_TECH_SHIATSU] = "shiatsu",
        [CHAIR_TECH_DEEP_TISSUE] = "deep-tissue", [CHAIR_TECH_MYOFASCIAL] = "myofascial",
        [CHAIR_TECH_STRETCH] = "stretch",       [CHAIR_TECH_ROCKING] = "rocking",
        [CHAIR_TECH_COMPRESSION] = "compression", [CHAIR_TECH_HEAT] = "heat",
};

/* A typical lumbar zone on the reference chair (S1..T12 of a 175 cm person). */
static const struct chair_zone lumbar = { 40.0f, 340.0f };

static const struct chair_zone zones[] = {
        { 40.0f, 340.0f },     /* lumbar */
        { 0.0f, 780.0f },      /* whole track */
        { 300.0f, 320.0f },    /* narrower than any point pitch */
        { 200.0f, 201.0f },    /* almost a single landmark */
        { 500.0f, 500.0f },    /* a single landmark */
        { 100.0f, 137.0f },    /* between one and two pitches */
};
static const float intensities[] = { 1.0f, 1.5f, 2.0f, 2.7f, 3.0f, 4.0f, 4.5f, 5.0f };
static const float speeds[] = { 1.0f, 2.0f, 3.0f, 3.5f, 4.0f, 5.0f };
static const float caps[] = { 40.0f, 5.0f, 0.0f };

/* Returns NULL when sp honours the documented ranges, else what is wrong. */
static const char *range_error(const struct chair_setpoint *sp, const struct chair_zone *z, float max_kpa) {
        float lo = fminf(z->from_mm, z->to_mm), hi = fmaxf(z->from_mm, z->to_mm);

        if (!(sp->carriage_mm >= lo && sp->carriage_mm <= hi))
                return "carriage outside the zone";
        if (!(sp->depth >= 0.0f && sp->depth <= 1.0f))
                return "depth outside 0..1";
        if (!(sp->knead >= -1.0f && sp->knead <= 1.0f))
                return "knead outside -1..1";
        if (!(sp->tap >= 0.0f && sp->tap <= 1.0f))
                return "tap outside 0..1";
        if (!(sp->recline_offset >= -0.2f && sp->recline_offset <= 0.2f))
                return "recline_offset outside -0.2..0.2";
        for (int b = 0; b < _CHAIR_BAG_COUNT; b++)
                if (!(sp->bag_kpa[b] >= 0.0f && sp->bag_kpa[b] <= fmaxf(max_kpa, 0.0f)))
                        return "airbag target outside 0..max_kpa";
        return NULL;
}

static void test_ranges(void **state) {
        struct chair_setpoint sp;

        for (int t = 0; t < N_TECH; t++)
                for (size_t zi = 0; zi < sizeof(zones) / sizeof(zones[0]); zi++)
                        for (size_t ii = 0; ii < sizeof(intensities) / sizeof(intensities[0]); ii++)
                                for (size_t si = 0; si < sizeof(speeds) / sizeof(speeds[0]); si++)
                                        for (size_t ci = 0; ci < sizeof(caps) / sizeof(caps[0]); ci++)
                                                /* 0.11 s divides none of the techniques'
                                                 * periods, so the grid lands on many
                                                 * different phases. */
                                                for (int n = 0; n <= 3000; n++) {
                                                        float ts = (float) n * 0.11f;
                                                        const char *e;

                                                        chair_technique_eval(t, &zones[zi], intensities[ii],
                                                                             speeds[si], ts, caps[ci], &sp);
                                                        e = range_error(&sp, &zones[zi], caps[ci]);
                                                        if (e)
                                                                fail_msg("%s: %s (zone %g..%g, intensity %g, speed %g, t %g, cap %g)",
                                                                         tech_name[t], e, zones[zi].from_mm,
                                                                         zones[zi].to_mm, intensities[ii], speeds[si],
                                                                         ts, caps[ci]);
                                                }
}

/* Inputs outside the contract must still give setpoints inside the ranges. */
static void test_bad_inputs(void **state) {
        static const struct {
                struct chair_zone z;
                float intensity, speed, t, max_kpa;
        } cases[] = {
                { { 40, 340 }, 0.0f, 3.0f, 10.0f, 40.0f },
                { { 40, 340 }, -3.0f, 3.0f, 10.0f, 40.0f },
                { { 40, 340 }, 9.0f, 9.0f, 10.0f, 40.0f },
                { { 40, 340 }, NAN, NAN, 10.0f, 40.0f },
                { { 40, 340 }, 3.0f, 0.0f, 10.0f, 40.0f },
                { { 40, 340 }, 3.0f, 3.0f, -5.0f, 40.0f },
                { { 40, 340 }, 3.0f, 3.0f, NAN, 40.0f },
                { { 40, 340 }, 3.0f, 3.0f, INFINITY, 40.0f },
                { { 40, 340 }, 3.0f, 3.0f, 1e9f, 40.0f },
                { { 40, 340 }, 5.0f, 3.0f, 10.0f, -1.0f },
                { { 40, 340 }, 5.0f, 3.0f, 10.0f, NAN },
                { { 340, 40 }, 3.0f, 3.0f, 123.0f, 40.0f },   /* swapped zone */
                { { NAN, 300 }, 3.0f, 3.0f, 123.0f, 40.0f },
        };

        for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
                for (int t = 0; t < N_TECH; t++)
                        for (int n = 0; n < 400; n++) {
                                struct chair_setpoint sp;
                                struct chair_zone z = cases[c].z;
                                float cap = cases[c].max_kpa > 0.0f ? cases[c].max_kpa : 0.0f;
                                const char *e;

                                chair_technique_eval(t, &z, cases[c].intensity, cases[c].speed,
                                                     cases[c].t + (float) n * 0.25f, cases[c].max_kpa, &sp);
                                if (isnan(z.from_mm))
                                        z.from_mm = z.to_mm;
                                e = range_error(&sp, &z, cap);
                                if (e)
                                        fail_msg("case %zu, %s: %s", c, tech_name[t], e);
                        }
}

struct means {
        double depth, tap, bags, recline;
};

static struct means mean_effect(enum chair_technique t, float intensity, float speed) {
        struct means m = { 0 };
        const int n = 12000;

        for (int i = 0; i < n; i++) {
                struct chair_setpoint sp;

                chair_technique_eval(t, &lumbar, intensity, speed, (float) i * 0.05f, 40.0f, &sp);
                m.depth += sp.depth;
                m.tap += sp.tap;
                for (int b = 0; b < _CHAIR_BAG_COUNT; b++)
                        m.bags += sp.bag_kpa[b] / 40.0f;
                m.recline += fabsf(sp.recline_offset);
        }
        m.depth /= n;
        m.tap /= n;
        m.bags /= n;
        m.recline /= n;
        return m;
}

/* What intensity is above all meant to drive, per technique. */
enum effect { EFFECT_DEPTH, EFFECT_TAP, EFFECT_BAGS, EFFECT_RECLINE };

static const enum effect primary_effect[_CHAIR_TECH_COUNT] = {
        [CHAIR_TECH_ROLLING] = EFFECT_DEPTH,    [CHAIR_TECH_KNEADING] = EFFECT_DEPTH,
        [CHAIR_TECH_TAPPING] = EFFECT_TAP,      [CHAIR_TECH_SHIATSU] = EFFECT_DEPTH,
        [CHAIR_TECH_DEEP_TISSUE] = EFFECT_DEPTH, [CHAIR_TECH_MYOFASCIAL] = EFFECT_DEPTH,
        [CHAIR_TECH_STRETCH] = EFFECT_BAGS,     [CHAIR_TECH_ROCKING] = EFFECT_RECLINE,
        [CHAIR_TECH_COMPRESSION] = EFFECT_BAGS, [CHAIR_TECH_HEAT] = EFFECT_DEPTH,
};

static double effect_of(const struct means *m, enum effect e) {
        switch (e) {
        case EFFECT_DEPTH:
                return m->depth;
        case EFFECT_TAP:
                return m->tap;
        case EFFECT_BAGS:
                return m->bags;
        case EFFECT_RECLINE:
                return m->recline;
        }
        return 0.0;
}

/*
 * Higher intensity: no component of the effect falls, and the technique's
 * primary effect (depth, tapping duty, airbag pressure or recline amplitude)
 * rises, for every technique and at every speed.
 */
static void test_intensity_monotonic(void **state) {
        for (int t = 0; t < N_TECH; t++)
                for (size_t si = 0; si < sizeof(speeds) / sizeof(speeds[0]); si++) {
                        struct means prev = mean_effect(t, 1.0f, speeds[si]);

                        for (float i = 1.5f; i <= 5.0f; i += 0.5f) {
                                struct means m = mean_effect(t, i, speeds[si]);
                                double e_prev = effect_of(&prev, primary_effect[t]);
                                double e = effect_of(&m, primary_effect[t]);

                                if (m.depth < prev.depth - 1e-6 || m.tap < prev.tap - 1e-6 ||
                                    m.bags < prev.bags - 1e-6 || m.recline < prev.recline - 1e-6)
                                        fail_msg("%s speed %g: an effect fell from intensity %g to %g",
                                                 tech_name[t], speeds[si], i - 0.5f, i);
                                if (!(e > e_prev + 1e-3))
                                        fail_msg("%s speed %g: intensity %g is not stronger than %g (%g vs %g)",
                                                 tech_name[t], speeds[si], i, i - 0.5f, e, e_prev);
                                prev = m;
                        }
                }
}

/* How much a technique does per unit time, measured on what speed drives. */
enum rate_metric {
        RATE_NONE,          /* speed has nothing to drive */
        RATE_CARRIAGE,      /* carriage path length */
        RATE_RECLINE,       /* recline offset path length */
        RATE_BAGS,          /* airbag target switchings */
};

static const enum rate_metric rate_metric_of[_CHAIR_TECH_COUNT] = {
        [CHAIR_TECH_ROLLING] = RATE_CARRIAGE,   [CHAIR_TECH_KNEADING] = RATE_CARRIAGE,
        [CHAIR_TECH_TAPPING] = RATE_CARRIAGE,   [CHAIR_TECH_SHIATSU] = RATE_CARRIAGE,
        [CHAIR_TECH_DEEP_TISSUE] = RATE_CARRIAGE, [CHAIR_TECH_MYOFASCIAL] = RATE_CARRIAGE,
        [CHAIR_TECH_STRETCH] = RATE_RECLINE,    [CHAIR_TECH_ROCKING] = RATE_RECLINE,
        [CHAIR_TECH_COMPRESSION] = RATE_BAGS,   [CHAIR_TECH_HEAT] = RATE_NONE,
};

static double activity(enum chair_technique t, enum rate_metric metric, float speed) {
        struct chair_setpoint prev, sp;
        double a = 0.0;

        chair_technique_eval(t, &lumbar, 3.0f, speed, 0.0f, 40.0f, &prev);
        for (int i = 1; i <= 60000; i++) {
                chair_technique_eval(t, &lumbar, 3.0f, speed, (float) i * 0.01f, 40.0f, &sp);
                switch (metric) {
                case RATE_CARRIAGE:
                        a += fabsf(sp.carriage_mm - prev.carriage_mm);
                        break;
                case RATE_RECLINE:
                        a += fabsf(sp.recline_offset - prev.recline_offset);
                        break;
                case RATE_BAGS:
                        for (int b = 0; b < _CHAIR_BAG_COUNT; b++)
                                a += (sp.bag_kpa[b] > 0.0f) != (prev.bag_kpa[b] > 0.0f);
                        break;
                case RATE_NONE:
                        a += memcmp(&sp, &prev, sizeof(sp)) != 0;
                        break;
                }
                prev = sp;
        }
        return a;
}

/* Higher speed: more movement in the same time (rolling above all: the sweep
 * rate).  Heat has no motion at any speed. */
static void test_speed_raises_rate(void **state) {
        for (int t = 0; t < N_TECH; t++) {
                enum rate_metric metric = rate_metric_of[t];
                double prev = activity(t, metric, 1.0f);

                if (metric == RATE_NONE) {
                        assert_true(prev == 0.0);
                        continue;
                }
                assert_true(prev > 0.0);
                for (int s = 2; s <= 5; s++) {
                        double a = activity(t, metric, (float) s);

                        if (!(a > prev))
                                fail_msg("%s: speed %d moves no more than speed %d (%g vs %g)",
                                         tech_name[t], s, s - 1, a, prev);
                        prev = a;
                }
        }
}

/* Rolling sweeps the whole zone, end to end. */
static void test_rolling_covers_zone(void **state) {
        for (int s = 1; s <= 5; s++) {
                float lo = INFINITY, hi = -INFINITY;

                for (int i = 0; i < 6000; i++) {
                        struct chair_setpoint sp;

                        chair_technique_eval(CHAIR_TECH_ROLLING, &lumbar, 3.0f, (float) s, (float) i * 0.05f,
                                             40.0f, &sp);
                        lo = fminf(lo, sp.carriage_mm);
                        hi = fmaxf(hi, sp.carriage_mm);
                }
                assert_true(lo < lumbar.from_mm + 2.0f);
                assert_true(hi > lumbar.to_mm - 2.0f);
        }
}

/*
 * Setpoints a real chair can follow: the carriage never asked to move faster
 * than the reference carriage's 120 mm/s, the rollers not to change depth by
 * more than twice their travel per second, the backrest not faster than its
 * 20 s full stroke (0.05 per second).
 */
static void test_smooth(void **state) {
        const float dt = 0.005f;

        for (int t = 0; t < N_TECH; t++)
                for (size_t zi = 0; zi < sizeof(zones) / sizeof(zones[0]); zi++)
                        for (int s = 1; s <= 5; s++) {
                                struct chair_setpoint prev, sp;

                                chair_technique_eval(t, &zones[zi], 5.0f, (float) s, 0.0f, 40.0f, &prev);
                                for (int i = 1; i <= 40000; i++) {
                                        chair_technique_eval(t, &zones[zi], 5.0f, (float) s, (float) i * dt,
                                                             40.0f, &sp);
                                        if (fabsf(sp.carriage_mm - prev.carriage_mm) / dt > 120.0f ||
                                            fabsf(sp.depth - prev.depth) / dt > 2.0f ||
                                            fabsf(sp.recline_offset - prev.recline_offset) / dt > 0.05f)
                                                fail_msg("%s speed %d zone %zu: setpoint jumps at t=%g",
                                                         tech_name[t], s, zi, (double) i * dt);
                                        prev = sp;
                                }
                        }
}

/* Same arguments, same setpoint, whatever was evaluated before and in any
 * order: there is no hidden state. */
static void test_deterministic(void **state) {
        enum { N = 3000 };
        static struct chair_setpoint ref[N];

        for (int t = 0; t < N_TECH; t++) {
                for (int i = 0; i < N; i++)
                        chair_technique_eval(t, &lumbar, 3.5f, 2.0f, (float) i * 0.13f, 30.0f, &ref[i]);

                /* Backwards, interleaved with other techniques and arguments,
                 * then in a scrambled order. */
                for (int i = N - 1; i >= 0; i--) {
                        struct chair_setpoint other, sp;

                        chair_technique_eval((t + 3) % N_TECH, &zones[1], 5.0f, 5.0f, (float) i, 40.0f, &other);
                        memset(&sp, 0xa5, sizeof(sp));
                        chair_technique_eval(t, &lumbar, 3.5f, 2.0f, (float) i * 0.13f, 30.0f, &sp);
                        assert_memory_equal(&sp, &ref[i], sizeof(sp));
                }
                for (uint32_t x = 12345, k = 0; k < N; k++) {
                        struct chair_setpoint sp;
                        int i;

                        x = x * 1103515245u + 12345u;
                        i = (int) ((x >> 8) % N);
                        chair_technique_eval(t, &lumbar, 3.5f, 2.0f, (float) i * 0.13f, 30.0f, &sp);
                        assert_memory_equal(&sp, &ref[i], sizeof(sp));
                }
        }
}

/*
 * Shiatsu presses and holds: while the rollers are at full press the carriage
 * stands still, each hold lasts several seconds, and successive points are
 * about 25 mm apart.
 */
static void test_shiatsu_press_and_hold(void **state) {
        for (int s = 1; s <= 5; s++) {
                const float dt = 0.01f;
                float deep = 0.0f, hold_start = -1.0f, hold_mm = 0.0f, last_mm = NAN;
                int holds = 0;

                for (int i = 0; i < 30000; i++) {
                        struct chair_setpoint sp;

                        chair_technique_eval(CHAIR_TECH_SHIATSU, &lumbar, 4.0f, (float) s, (float) i * dt, 40.0f, &sp);
                        deep = fmaxf(deep, sp.depth);
                }
                assert_true(deep > 0.5f);

                for (int i = 0; i < 30000; i++) {
                        struct chair_setpoint sp;
                        float ts = (float) i * dt;

                        chair_technique_eval(CHAIR_TECH_SHIATSU, &lumbar, 4.0f, (float) s, ts, 40.0f, &sp);
                        if (sp.depth >= deep - 1e-4f) {
                                if (hold_start < 0.0f) {
                                        hold_start = ts;
                                        hold_mm = sp.carriage_mm;
                                }
                                assert_float_equal(sp.carriage_mm, hold_mm, 1e-3);
                        } else if (hold_start >= 0.0f) {
                                float held = ts - hold_start;

                                if (held < 3.0f || held > 12.0f)
                                        fail_msg("speed %d: a press held %g s", s, held);
                                if (!isnan(last_mm)) {
                                        float gap = fabsf(hold_mm - last_mm);

                                        if (gap < 15.0f || gap > 40.0f)
                                                fail_msg("speed %d: points %g mm apart", s, gap);
                                }
                                last_mm = hold_mm;
                                hold_start = -1.0f;
                                holds++;
                        }
                }
                assert_true(holds >= 10);
        }
}

/* Kneading turns both ways and dwells more than it travels. */
static void test_kneading_alternates_and_dwells(void **state) {
        for (int s = 1; s <= 5; s++) {
                struct chair_setpoint prev, sp;
                int pos = 0, neg = 0, still = 0, n = 6000;

                chair_technique_eval(CHAIR_TECH_KNEADING, &lumbar, 3.0f, (float) s, 0.0f, 40.0f, &prev);
                for (int i = 1; i <= n; i++) {
                        chair_technique_eval(CHAIR_TECH_KNEADING, &lumbar, 3.0f, (float) s, (float) i * 0.01f,
                                             40.0f, &sp);
                        pos += sp.knead > 0.1f;
                        neg += sp.knead < -0.1f;
                        still += fabsf(sp.carriage_mm - prev.carriage_mm) < 1e-4f;
                        prev = sp;
                }
                /* 60 s: several reversals each way at any speed. */
                assert_true(pos > n / 4);
                assert_true(neg > n / 4);
                assert_true(still > n / 2);
        }
}

/* Compression fills the bags in the order lumbar-left, lumbar-right, seat,
 * calves, and every bag both fills and vents within a wave. */
static void test_compression_order(void **state) {
        static const enum chair_airbag order[] = {
                CHAIR_BAG_LUMBAR_LEFT, CHAIR_BAG_LUMBAR_RIGHT, CHAIR_BAG_SEAT, CHAIR_BAG_CALVES,
        };

        for (int s = 1; s <= 5; s++) {
                float first[_CHAIR_BAG_COUNT], vented_after[_CHAIR_BAG_COUNT];

                for (int b = 0; b < _CHAIR_BAG_COUNT; b++)
                        first[b] = vented_after[b] = -1.0f;
                for (int i = 0; i < 6000; i++) {
                        struct chair_setpoint sp;
                        float ts = (float) i * 0.01f;

                        chair_technique_eval(CHAIR_TECH_COMPRESSION, &lumbar, 3.0f, (float) s, ts, 40.0f, &sp);
                        for (int b = 0; b < _CHAIR_BAG_COUNT; b++) {
                                if (sp.bag_kpa[b] > 0.0f && first[b] < 0.0f)
                                        first[b] = ts;
                                if (sp.bag_kpa[b] == 0.0f && first[b] >= 0.0f && vented_after[b] < 0.0f)
                                        vented_after[b] = ts;
                        }
                }
                for (int k = 0; k < 4; k++) {
                        assert_true(first[order[k]] >= 0.0f);
                        assert_true(vented_after[order[k]] > first[order[k]]);
                        if (k > 0)
                                assert_true(first[order[k]] > first[order[k - 1]]);
                }
        }
}

/* Heat: the rollers rest at the middle of the zone and nothing else moves. */
static void test_heat_is_still(void **state) {
        for (int i = 0; i < 3000; i++) {
                struct chair_setpoint sp;

                chair_technique_eval(CHAIR_TECH_HEAT, &lumbar, 5.0f, 5.0f, (float) i * 0.1f, 40.0f, &sp);
                assert_float_equal(sp.carriage_mm, (lumbar.from_mm + lumbar.to_mm) / 2.0f, 1e-3);
                assert_true(sp.knead == 0.0f && sp.tap == 0.0f && sp.recline_offset == 0.0f);
                for (int b = 0; b < _CHAIR_BAG_COUNT; b++)
                        assert_true(sp.bag_kpa[b] == 0.0f);
                assert_true(sp.depth > 0.0f && sp.depth <= 0.3f);
        }
}

/* Rocking period in the 8..12 s band at every speed: count zero crossings. */
static void test_rocking_period(void **state) {
        for (int s = 1; s <= 5; s++) {
                struct chair_setpoint sp;
                float prev = 0.0f, last_up = -1.0f, period = 0.0f;
                int ups = 0;

                for (int i = 1; i <= 12000; i++) {
                        float ts = (float) i * 0.01f;

                        chair_technique_eval(CHAIR_TECH_ROCKING, &lumbar, 3.0f, (float) s, ts, 40.0f, &sp);
                        if (prev <= 0.0f && sp.recline_offset > 0.0f) {
                                if (last_up >= 0.0f)
                                        period = ts - last_up;
                                last_up = ts;
                                ups++;
                        }
                        prev = sp.recline_offset;
                }
                assert_true(ups >= 10);
                if (period < 7.9f || period > 12.1f)
                        fail_msg("speed %d: rocking period %g s", s, period);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ranges),
                cmocka_unit_test(test_bad_inputs),
                cmocka_unit_test(test_intensity_monotonic),
                cmocka_unit_test(test_speed_raises_rate),
                cmocka_unit_test(test_rolling_covers_zone),
                cmocka_unit_test(test_smooth),
                cmocka_unit_test(test_deterministic),
                cmocka_unit_test(test_shiatsu_press_and_hold),
                cmocka_unit_test(test_kneading_alternates_and_dwells),
                cmocka_unit_test(test_compression_order),
                cmocka_unit_test(test_heat_is_still),
                cmocka_unit_test(test_rocking_period),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
