/* SPDX-License-Identifier: MIT */
/* The pain diary's pure functions: medians, rating windows, the per-program
 * history, the worsening flag and the suggestion method with its ties. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "diary.h"
#include "program.h"

#define NOW 1800000000
#define DAY 86400

static struct chair_program prog_v[] = {
        { .id = "lumbar-relief", .name = "Lumbar relief" },
        { .id = "posture", .name = "Posture" },
        { .id = "deep-tissue", .name = "Deep tissue" },
};
static const struct chair_programs progs = { prog_v, 3 };
static const struct chair_diary_limits limits = { &progs, 20, true };

/* A rated session that started age seconds before NOW. */
static struct chair_usage_record rec(const char *program, int intensity, bool heat, int before, int after,
                                     int64_t age, const char *profile) {
        struct chair_usage_record u = { .start = NOW - age, .minutes = 15, .intensity = (int8_t) intensity,
                                        .heat = heat, .has_before = before >= 0, .has_after = after >= 0,
                                        .pain_before = (int8_t) (before >= 0 ? before : 0),
                                        .pain_after = (int8_t) (after >= 0 ? after : 0) };
        u.end = u.start + 15 * 60;
        snprintf(u.program, sizeof(u.program), "%s", program);
        snprintf(u.profile, sizeof(u.profile), "%s", profile ? profile : "");
        return u;
}

/* ---- medians -------------------------------------------------------------------------------- */

static void test_median(void **state) {
        static const struct {
                int v[8];
                size_t n;
                double median;
        } cases[] = {
                { { 0 }, 0, 0 },
                { { -3 }, 1, -3 },
                { { -3, -1 }, 2, -2 },
                { { 2, -5, -1 }, 3, -1 },
                { { -4, -4, 0, 1 }, 4, -2 },
                { { -1, -2, -2, -3 }, 4, -2 },
                { { 5, 5, 5, -10, -10 }, 5, 5 },
                { { -10, 10 }, 2, 0 },
                { { -3, -2 }, 2, -2.5 },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                print_message("case %zu\n", i);
                assert_float_equal(chair_diary_median(cases[i].v, cases[i].n), cases[i].median, 1e-9);
        }
}

/* ---- windows -------------------------------------------------------------------------------- */

static void test_windows(void **state) {
        struct chair_usage_record log[2] = {
                rec("posture", 2, false, -1, -1, 3 * 3600, "bob"),
                rec("lumbar-relief", 3, true, 6, -1, 40 * 60, "anna"),    /* ended 25 min ago */
        };
        struct chair_diary_now s = { .now = NOW, .log = log, .n_log = 2 };
        enum chair_diary_phase ph;
        size_t idx = 99;
        char msg[256];

        /* idle: a "before" waits for the next start */
        ph = CHAIR_DIARY_BEFORE;
        assert_int_equal(chair_diary_place(&s, &ph, "anna", &idx, msg, sizeof(msg)), CHAIR_DIARY_TO_NEXT);
        /* idle: an "after" goes to anna's session that ended 25 minutes ago */
        ph = CHAIR_DIARY_AFTER;
        assert_int_equal(chair_diary_place(&s, &ph, "anna", &idx, msg, sizeof(msg)), CHAIR_DIARY_TO_RECORD);
        assert_int_equal(idx, 1);
        ph = CHAIR_DIARY_AFTER;
        assert_int_equal(chair_diary_place(&s, &ph, NULL, &idx, msg, sizeof(msg)), CHAIR_DIARY_TO_RECORD);
        assert_int_equal(idx, 1);
        /* bob's session ended hours ago: no window open for him */
        ph = CHAIR_DIARY_AFTER;
        assert_int_equal(chair_diary_place(&s, &ph, "bob", &idx, msg, sizeof(msg)), -ESRCH);
        assert_non_null(strstr(msg, "no session of bob ended in the last 60 minutes"));
        /* exactly 60 minutes after the end still counts; a second later not */
        s.now = log[1].end + CHAIR_DIARY_AFTER_WINDOW_S;
        ph = CHAIR_DIARY_AFTER;
        assert_int_equal(chair_diary_place(&s, &ph, "anna", &idx, msg, sizeof(msg)), CHAIR_DIARY_TO_RECORD);
        s.now++;
        ph = CHAIR_DIARY_AFTER;
        assert_int_equal(chair_diary_place(&s, &ph, "anna", &idx, msg, sizeof(msg)), -ESRCH);
        s.now = NOW;

        /* in a session: "before" in the first 5 minutes only */
        s.in_session = true;
        s.session_profile = "anna";
        s.elapsed_s = 299;
        ph = CHAIR_DIARY_BEFORE;
        assert_int_equal(chair_diary_place(&s, &ph, "anna", &idx, msg, sizeof(msg)), CHAIR_DIARY_TO_CURRENT);
        s.elapsed_s = 301;
        ph = CHAIR_DIARY_BEFORE;
        assert_int_equal(chair_diary_place(&s, &ph, "anna", &idx, msg, sizeof(msg)), -ESRCH);
        assert_non_null(strstr(msg, "first 5 minutes"));
        /* "after" only once it ends */
        ph = CHAIR_DIARY_AFTER;
        assert_int_equal(chair_diary_place(&s, &ph, "anna", &idx, msg, sizeof(msg)), -ESRCH);
        assert_non_null(strstr(msg, "still running"));
        s.ending = true;
        ph = CHAIR_DIARY_AFTER;
        assert_int_equal(chair_diary_place(&s, &ph, NULL, &idx, msg, sizeof(msg)), CHAIR_DIARY_TO_CURRENT);
        /* someone else's profile never lands on anna's session */
        ph = CHAIR_DIARY_AFTER;
        assert_int_equal(chair_diary_place(&s, &ph, "bob", &idx, msg, sizeof(msg)), -ESRCH);
        assert_non_null(strstr(msg, "not bob's"));

        /* auto: after while ending, before early in a session */
        ph = CHAIR_DIARY_AUTO;
        assert_int_equal(chair_diary_place(&s, &ph, "anna", &idx, msg, sizeof(msg)), CHAIR_DIARY_TO_CURRENT);
        assert_int_equal(ph, CHAIR_DIARY_AFTER);
        s.ending = false;
        s.elapsed_s = 10;
        ph = CHAIR_DIARY_AUTO;
        assert_int_equal(chair_diary_place(&s, &ph, "anna", &idx, msg, sizeof(msg)), CHAIR_DIARY_TO_CURRENT);
        assert_int_equal(ph, CHAIR_DIARY_BEFORE);
        /* auto while idle: the open "after" first, then (once rated) the next "before" */
        s.in_session = false;
        ph = CHAIR_DIARY_AUTO;
        assert_int_equal(chair_diary_place(&s, &ph, "anna", &idx, msg, sizeof(msg)), CHAIR_DIARY_TO_RECORD);
        assert_int_equal(ph, CHAIR_DIARY_AFTER);
        log[1].has_after = true;
        ph = CHAIR_DIARY_AUTO;
        assert_int_equal(chair_diary_place(&s, &ph, "anna", &idx, msg, sizeof(msg)), CHAIR_DIARY_TO_NEXT);
        assert_int_equal(ph, CHAIR_DIARY_BEFORE);

        /* a "before" waits 30 minutes for its start */
        assert_true(chair_diary_before_applies(NOW, NOW));
        assert_true(chair_diary_before_applies(NOW, NOW + CHAIR_DIARY_BEFORE_WAIT_S));
        assert_false(chair_diary_before_applies(NOW, NOW + CHAIR_DIARY_BEFORE_WAIT_S + 1));
        assert_false(chair_diary_before_applies(NOW, NOW - 3600));

        /* the newest session of the profile, past a newer one of someone else's */
        struct chair_usage_record two[3] = {
                rec("posture", 2, false, -1, -1, 50 * 60, "anna"),         /* ended 35 min ago */
                rec("lumbar-relief", 3, true, -1, -1, 40 * 60, "anna"),    /* ended 25 min ago */
                rec("posture", 2, false, -1, -1, 25 * 60, "bob"),          /* ended 10 min ago */
        };
        struct chair_diary_now s2 = { .now = NOW, .log = two, .n_log = 3 };
        ph = CHAIR_DIARY_AFTER;
        assert_int_equal(chair_diary_place(&s2, &ph, "anna", &idx, msg, sizeof(msg)), CHAIR_DIARY_TO_RECORD);
        assert_int_equal(idx, 1);
        ph = CHAIR_DIARY_AFTER;
        assert_int_equal(chair_diary_place(&s2, &ph, "", &idx, msg, sizeof(msg)), CHAIR_DIARY_TO_RECORD);
        assert_int_equal(idx, 2);

        /* a record from before version 2: its end is start + minutes */
        struct chair_usage_record old = { .start = 1000, .minutes = 2.5f };
        assert_int_equal(chair_diary_end(&old), 1150);
        assert_true(chair_diary_zone_valid("L4"));
        assert_true(chair_diary_zone_valid("S1"));
        assert_false(chair_diary_zone_valid("T10"));
        assert_false(chair_diary_zone_valid("l4"));
        assert_int_equal(chair_diary_phase_from_name("after"), CHAIR_DIARY_AFTER);
        assert_int_equal(chair_diary_phase_from_name("later"), -EINVAL);
}

/* ---- history -------------------------------------------------------------------------------- */

static void test_history(void **state) {
        struct chair_usage_record log[] = {
                rec("posture", 2, false, 5, 4, 100 * DAY, "anna"),      /* outside 90 days */
                rec("posture", 2, false, 6, 5, 20 * DAY, "anna"),
                rec("lumbar-relief", 3, true, 7, 3, 10 * DAY, "anna"),
                rec("lumbar-relief", 3, true, 6, 4, 9 * DAY, "anna"),
                rec("lumbar-relief", 3, true, 6, -1, 8 * DAY, "anna"), /* no "after": not rated */
                rec("posture", 2, false, 4, 4, 7 * DAY, "anna"),
                rec("lumbar-relief", 3, true, 8, 1, 6 * DAY, "bob"),    /* bob's */
                rec("lumbar-relief", 3, true, 5, 2, 5 * DAY, NULL),     /* no profile */
        };
        struct chair_diary_history h;

        chair_diary_history(log, 8, "anna", NOW, 90, &h);
        assert_int_equal(h.rated, 4);
        assert_int_equal(h.n_programs, 2);
        assert_string_equal(h.programs[0].program, "lumbar-relief");  /* by id */
        assert_int_equal(h.programs[0].sessions, 2);
        assert_float_equal(h.programs[0].median_change, -3, 1e-9);     /* -4, -2 */
        assert_string_equal(h.programs[1].program, "posture");
        assert_int_equal(h.programs[1].sessions, 2);
        assert_float_equal(h.programs[1].median_change, -0.5, 1e-9);   /* -1, 0 */
        assert_false(h.worsening);

        chair_diary_history(log, 8, "anna", NOW, 365, &h);
        assert_int_equal(h.rated, 5);
        assert_float_equal(h.programs[1].median_change, -1, 1e-9);     /* -1, -1, 0 */
        chair_diary_history(log, 8, NULL, NOW, 90, &h);
        assert_int_equal(h.rated, 1);

        struct json_object *o = chair_diary_history_json(log, 8, "anna", NOW, 90);
        assert_non_null(o);
        struct json_object *a, *x;
        assert_true(json_object_object_get_ex(o, "sessions", &a));
        assert_int_equal(json_object_array_length(a), 4);
        assert_true(json_object_object_get_ex(json_object_array_get_idx(a, 1), "change", &x));
        assert_int_equal(json_object_get_int(x), -4);
        assert_true(json_object_object_get_ex(o, "programs", &a));
        assert_true(json_object_object_get_ex(json_object_array_get_idx(a, 0), "median_change", &x));
        assert_float_equal(json_object_get_double(x), -3, 1e-9);
        json_object_put(o);
}

static void test_worsening(void **state) {
        /* worse after than before in 2 of the last 3 */
        struct chair_usage_record a[] = {
                rec("posture", 2, false, 5, 2, 5 * DAY, "anna"),
                rec("posture", 2, false, 4, 5, 4 * DAY, "anna"),
                rec("posture", 2, false, 4, 3, 3 * DAY, "anna"),
                rec("posture", 2, false, 4, 6, 2 * DAY, "anna"),
        };
        struct chair_diary_history h;
        chair_diary_history(a, 4, "anna", NOW, 90, &h);
        assert_true(h.worsening);
        assert_non_null(strstr(h.worsening_reason, "2 of your last 3"));
        /* only one of the last three worse: no flag */
        a[1].pain_after = 3;
        chair_diary_history(a, 4, "anna", NOW, 90, &h);
        assert_false(h.worsening);

        /* the pain before creeps up by 2 points though each session helps */
        struct chair_usage_record b[] = {
                rec("posture", 2, false, 3, 1, 6 * DAY, "anna"),
                rec("posture", 2, false, 4, 2, 5 * DAY, "anna"),
                rec("posture", 2, false, 3, 2, 4 * DAY, "anna"),
                rec("posture", 2, false, 5, 4, 3 * DAY, "anna"),
                rec("posture", 2, false, 6, 5, 2 * DAY, "anna"),
                rec("posture", 2, false, 5, 3, 1 * DAY, "anna"),
        };
        chair_diary_history(b, 6, "anna", NOW, 90, &h);
        assert_true(h.worsening);
        assert_non_null(strstr(h.worsening_reason, "rose from 3 to 5"));
        b[4].pain_before = 5;
        b[3].pain_before = 4;   /* last three 4, 5, 5 → 5; earlier 3, 4, 3 → 3: still +2 */
        chair_diary_history(b, 6, "anna", NOW, 90, &h);
        assert_true(h.worsening);
        b[5].pain_before = 4;   /* 4, 5, 4 → 4: +1 */
        chair_diary_history(b, 6, "anna", NOW, 90, &h);
        assert_false(h.worsening);
        /* other profiles' sessions do not count */
        chair_diary_history(b, 6, "bob", NOW, 90, &h);
        assert_false(h.worsening);
}

/* ---- suggestion ----------------------------------------------------------------------------- */

static void test_suggest_declines(void **state) {
        struct chair_usage_record log[] = {
                rec("lumbar-relief", 3, true, 7, 3, 3 * DAY, "anna"),
                rec("lumbar-relief", 3, true, 6, 3, 2 * DAY, "anna"),
                rec("posture", 2, false, 6, 5, 1 * DAY, "anna"),
        };
        struct chair_diary_suggestion s;

        /* two rated sessions: not yet */
        chair_diary_suggest(log, 2, "anna", NOW, &limits, &s);
        assert_false(s.found);
        assert_int_equal(s.rated, 2);
        assert_non_null(strstr(s.reason, "at least 3 sessions for a suggestion; 2 rated so far"));
        struct json_object *o = chair_diary_suggestion_json(&s), *x;
        assert_true(json_object_object_get_ex(o, "program", &x));
        assert_null(x);
        json_object_put(o);

        /* three: the setting rated twice wins */
        chair_diary_suggest(log, 3, "anna", NOW, &limits, &s);
        assert_true(s.found);
        assert_string_equal(s.program, "lumbar-relief");
        assert_int_equal(s.intensity, 3);
        assert_true(s.heat);
        assert_int_equal(s.minutes, 15);
        assert_int_equal(s.based_on, 2);
        assert_float_equal(s.relief, 3.5, 1e-9);
        assert_string_equal(s.reason, "Lumbar relief at intensity 3 with heat eased your pain by 3.5 points on "
                                      "average over 2 sessions.");

        /* no setting rated twice */
        log[1].intensity = 4;
        chair_diary_suggest(log, 3, "anna", NOW, &limits, &s);
        assert_false(s.found);
        assert_non_null(strstr(s.reason, "No setting has been rated in 2 sessions"));
        log[1].intensity = 3;

        /* the program is gone from the chair */
        prog_v[0].id[0] = 'X';
        chair_diary_suggest(log, 3, "anna", NOW, &limits, &s);
        assert_false(s.found);
        prog_v[0].id[0] = 'l';

        /* nothing eased the pain */
        log[0].pain_after = 7;
        log[1].pain_after = 6;
        chair_diary_suggest(log, 3, "anna", NOW, &limits, &s);
        assert_false(s.found);
        assert_non_null(strstr(s.reason, "None of the settings"));
        assert_non_null(strstr(s.reason, "clinician"));
}

static void test_suggest_method(void **state) {
        /* posture relieves 1, lumbar relief 3 and 4 (median 3.5), deep tissue 5 but once only */
        struct chair_usage_record log[] = {
                rec("posture", 2, false, 6, 5, 9 * DAY, "anna"),
                rec("lumbar-relief", 3, true, 7, 4, 8 * DAY, "anna"),
                rec("posture", 2, false, 6, 5, 7 * DAY, "anna"),
                rec("lumbar-relief", 3, true, 7, 3, 6 * DAY, "anna"),
                rec("deep-tissue", 4, true, 8, 3, 5 * DAY, "anna"),
                rec("posture", 2, false, 5, 5, 4 * DAY, "bob"),
        };
        struct chair_diary_suggestion s;
        chair_diary_suggest(log, 6, "anna", NOW, &limits, &s);
        assert_true(s.found);
        assert_string_equal(s.program, "lumbar-relief");
        assert_int_equal(s.based_on, 2);
        assert_int_equal(s.rated, 5);

        /* minutes within the chair's limit */
        struct chair_diary_limits short_chair = { &progs, 10, false };
        chair_diary_suggest(log, 6, "anna", NOW, &short_chair, &s);
        assert_int_equal(s.minutes, 10);
        assert_false(s.heat);   /* the chair has no heater */

        /* a tie goes to the gentler setting: posture at 2 without heat relieving as much */
        log[0].pain_after = 2;  /* 4 */
        log[2].pain_after = 3;  /* 3 → median 3.5 */
        chair_diary_suggest(log, 6, "anna", NOW, &limits, &s);
        assert_string_equal(s.program, "posture");
        assert_int_equal(s.intensity, 2);
        assert_false(s.heat);
        /* same intensity: without heat wins */
        log[0].intensity = log[2].intensity = 3;
        log[0].heat = log[2].heat = false;
        log[0].program[0] = log[2].program[0] = 'p';
        chair_diary_suggest(log, 6, "anna", NOW, &limits, &s);
        assert_string_equal(s.program, "posture");
        assert_false(s.heat);
        /* everything equal: fewer minutes, then the program id */
        log[0].heat = log[2].heat = true;
        chair_diary_suggest(log, 6, "anna", NOW, &limits, &s);
        assert_string_equal(s.program, "lumbar-relief");
        log[0].minutes = log[2].minutes = 12;
        chair_diary_suggest(log, 6, "anna", NOW, &limits, &s);
        assert_string_equal(s.program, "posture");
        assert_int_equal(s.minutes, 12);
}

static void test_suggest_recent_weighs_more(void **state) {
        /* lumbar relief helped a lot long ago and little lately; posture helps a
         * steady 2.  Equal weights would pick lumbar relief (median 3.5 over
         * 4 > 2); weighted by recency it is posture. */
        struct chair_usage_record log[] = {
                rec("lumbar-relief", 3, true, 8, 2, 200 * DAY, "anna"),
                rec("lumbar-relief", 3, true, 8, 2, 199 * DAY, "anna"),
                rec("lumbar-relief", 3, true, 8, 7, 3 * DAY, "anna"),
                rec("lumbar-relief", 3, true, 8, 7, 2 * DAY, "anna"),
                rec("posture", 2, false, 6, 4, 3 * DAY, "anna"),
                rec("posture", 2, false, 6, 4, 1 * DAY, "anna"),
        };
        struct chair_diary_suggestion s;
        chair_diary_suggest(log, 6, "anna", NOW, &limits, &s);
        assert_true(s.found);
        assert_string_equal(s.program, "posture");
        assert_float_equal(s.relief, 2, 1e-9);
        /* and the same sessions all recent: lumbar relief's median 3.5 wins */
        log[0].start = log[1].start = NOW - 4 * DAY;
        chair_diary_suggest(log, 6, "anna", NOW, &limits, &s);
        assert_string_equal(s.program, "lumbar-relief");
        /* deterministic: the same input, the same answer */
        struct chair_diary_suggestion s2;
        chair_diary_suggest(log, 6, "anna", NOW, &limits, &s2);
        assert_memory_equal(&s, &s2, sizeof(s));
}

static void test_suggest_flags_worsening(void **state) {
        struct chair_usage_record log[] = {
                rec("lumbar-relief", 3, true, 7, 3, 5 * DAY, "anna"),
                rec("lumbar-relief", 3, true, 7, 4, 4 * DAY, "anna"),
                rec("posture", 2, false, 5, 6, 3 * DAY, "anna"),
                rec("posture", 2, false, 5, 7, 2 * DAY, "anna"),
        };
        struct chair_diary_suggestion s;
        chair_diary_suggest(log, 4, "anna", NOW, &limits, &s);
        assert_true(s.found);
        assert_true(s.worsening);
        assert_non_null(strstr(s.reason, "please see a clinician"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_median),
                cmocka_unit_test(test_windows),
                cmocka_unit_test(test_history),
                cmocka_unit_test(test_worsening),
                cmocka_unit_test(test_suggest_declines),
                cmocka_unit_test(test_suggest_method),
                cmocka_unit_test(test_suggest_recent_weighs_more),
                cmocka_unit_test(test_suggest_flags_worsening),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
