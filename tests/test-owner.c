/* SPDX-License-Identifier: MIT */
/* The owner API in the control step (design C3): relative intensity and speed,
 * extend, skip, switch, the child lock, the owner events and the state fields. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testkit.h"

static bool is_running(const struct rig *r) { return r->st.state == CHAIR_STATE_RUNNING; }
static bool is_idle(const struct rig *r) { return r->st.state == CHAIR_STATE_IDLE; }

static struct chair_cmd cmd(enum chair_action a) {
        struct chair_cmd c;
        chair_cmd_init(&c, a);
        return c;
}

static struct rig *running(const char *program, const char *pin) {
        struct chair_config *cfg = testkit_config();
        if (pin)
                cfg->owner.pin = strdup(pin);
        struct rig *r = rig_new(cfg);
        assert_int_equal(rig_start(r, program), CHAIR_OK);
        assert_true(rig_run_until(r, 60, is_running));
        return r;
}

/* The result event of the last rig_cmd() (token 4242). */
static const struct chair_event *result(const struct rig *r) {
        for (size_t i = 0; i < r->n_ev; i++)
                if (r->ev[i].kind == CHAIR_EVENT_RESULT && r->ev[i].result.token == 4242)
                        return &r->ev[i];
        fail_msg("no result event");
        return NULL;
}

/* Index of the first event of kind k in the last tick, -1 when none. */
static int find_event(const struct rig *r, enum chair_event_kind k) {
        for (size_t i = 0; i < r->n_ev; i++)
                if (r->ev[i].kind == k)
                        return (int) i;
        return -1;
}

static void test_deltas_clamped(void **state) {
        struct rig *r = running("long", NULL);
        struct chair_cmd c = cmd(CHAIR_ACTION_SET);

        assert_int_equal(r->st.intensity, 3);
        c.intensity_delta = 1;
        assert_int_equal(rig_cmd(r, &c), CHAIR_OK);
        assert_int_equal(r->st.intensity, 4);
        c.intensity_delta = 4;
        assert_int_equal(rig_cmd(r, &c), CHAIR_OK);
        assert_int_equal(r->st.intensity, 5);
        c.intensity_delta = -4;
        assert_int_equal(rig_cmd(r, &c), CHAIR_OK);
        assert_int_equal(r->st.intensity, 1);
        c.intensity_delta = -1;
        assert_int_equal(rig_cmd(r, &c), CHAIR_OK);
        assert_int_equal(r->st.intensity, 1);

        c = cmd(CHAIR_ACTION_SET);
        c.speed_delta = -2;
        assert_int_equal(rig_cmd(r, &c), CHAIR_OK);
        assert_int_equal(r->st.speed, 1);
        assert_int_equal(r->st.intensity, 1);      /* untouched */
        c.speed_delta = 5;                          /* out of range even if the parser let it through */
        assert_int_equal(rig_cmd(r, &c), CHAIR_ERR_INVALID_VALUE);
        assert_int_equal(r->st.speed, 1);
        rig_free(r);
}

static void test_extend(void **state) {
        struct rig *r = running("long", NULL);     /* 20 of at most 30 minutes */
        struct chair_cmd c = cmd(CHAIR_ACTION_EXTEND);

        rig_run(r, 5);
        float before = r->st.remaining_s;
        c.minutes = 11;
        assert_int_equal(rig_cmd(r, &c), CHAIR_ERR_INVALID_VALUE);
        assert_int_equal(result(r)->result.detail, 10);   /* the most that can be added */
        char msg[200];
        assert_true(chair_cmd_result_message(CHAIR_ACTION_EXTEND, CHAIR_ERR_INVALID_VALUE, 10, msg, sizeof(msg)));
        assert_non_null(strstr(msg, "at most 10 more minutes"));
        c.minutes = 10;
        assert_int_equal(rig_cmd(r, &c), CHAIR_OK);
        assert_float_equal(r->st.remaining_s, before + 600, 1.0);
        c.minutes = 1;
        assert_int_equal(rig_cmd(r, &c), CHAIR_ERR_INVALID_VALUE);
        assert_int_equal(result(r)->result.detail, 0);
        rig_free(r);

        /* the extended time is really massaged: a 1-minute program given 1 more */
        r = running("short", NULL);
        c.minutes = 1;
        assert_int_equal(rig_cmd(r, &c), CHAIR_OK);
        double t0 = rig_time(r);
        assert_true(rig_run_until(r, 200, is_idle));
        assert_int_equal(r->last_end, CHAIR_END_COMPLETED);
        assert_int_equal(r->steps_seen, 3);
        assert_true(rig_time(r) - t0 > 90);
        rig_free(r);

        r = rig_new(NULL);
        assert_int_equal(rig_cmd(r, &c), CHAIR_ERR_NOT_RUNNING);
        rig_free(r);
}

static void test_skip(void **state) {
        struct rig *r = running("short", NULL);    /* three steps */
        struct chair_cmd c = cmd(CHAIR_ACTION_SKIP);
        float remaining;

        assert_int_equal(r->st.step, 1);
        remaining = r->st.remaining_s;
        assert_int_equal(rig_cmd(r, &c), CHAIR_OK);
        /* the step moves on at the next tick of running time, as a step ending does */
        int k = find_event(r, CHAIR_EVENT_STEP);
        if (k < 0) {
                rig_tick(r, NULL, 0);
                k = find_event(r, CHAIR_EVENT_STEP);
        }
        assert_true(k >= 0);
        assert_int_equal(r->ev[k].step.index, 2);
        assert_int_equal(r->st.step, 2);
        assert_float_equal(r->st.remaining_s, remaining, 0.1);  /* the time stays; the steps share it */

        assert_int_equal(rig_cmd(r, &c), CHAIR_OK);
        rig_tick(r, NULL, 0);
        assert_int_equal(r->st.step, 3);
        /* after the last: the closing phase */
        assert_int_equal(rig_cmd(r, &c), CHAIR_OK);
        assert_int_equal(result(r)->result.detail, 1);
        assert_int_equal(r->st.state, CHAIR_STATE_ENDING);
        assert_int_equal(r->last_end, CHAIR_END_COMPLETED);
        assert_true(rig_run_until(r, 30, is_idle));
        assert_int_equal(r->sessions_ended, 1);
        assert_int_equal(rig_cmd(r, &c), CHAIR_ERR_NOT_RUNNING);

        /* during the scan (also paused in it) there is no step to skip yet */
        assert_int_equal(rig_start(r, "short"), CHAIR_OK);
        assert_int_equal(r->st.state, CHAIR_STATE_SCANNING);
        assert_int_equal(rig_cmd(r, &c), CHAIR_ERR_NOT_RUNNING);
        struct chair_cmd pause = cmd(CHAIR_ACTION_PAUSE);
        assert_int_equal(rig_cmd(r, &pause), CHAIR_OK);
        assert_int_equal(rig_cmd(r, &c), CHAIR_ERR_NOT_RUNNING);
        rig_free(r);
}

static void test_switch(void **state) {
        struct rig *r = running("short", NULL);
        float shoulder = r->st.shoulder_mm;
        int short_idx = r->st.program, long_idx = chair_programs_find(r->progs, "long");
        struct chair_cmd c = cmd(CHAIR_ACTION_START);

        c.program = (int16_t) long_idx;
        assert_int_equal(rig_cmd(r, &c), CHAIR_ERR_BUSY);
        c.switch_program = true;
        assert_int_equal(rig_cmd(r, &c), CHAIR_OK);
        /* session_ended (switched), program_switched, session_started, step 1: in that order */
        int e = find_event(r, CHAIR_EVENT_SESSION_ENDED), s = find_event(r, CHAIR_EVENT_PROGRAM_SWITCHED),
            st = find_event(r, CHAIR_EVENT_SESSION_STARTED), step = find_event(r, CHAIR_EVENT_STEP);
        assert_true(e >= 0 && s > e && st > s && step > st);
        assert_int_equal(r->ev[e].ended.reason, CHAIR_END_SWITCHED);
        assert_string_equal(chair_end_reason_name(CHAIR_END_SWITCHED), "switched");
        assert_int_equal(r->ev[s].switched.from, short_idx);
        assert_int_equal(r->ev[s].switched.to, long_idx);
        assert_int_equal(r->ev[step].step.index, 1);
        /* no new body scan: running at once, on the body found before */
        assert_int_equal(r->st.state, CHAIR_STATE_RUNNING);
        assert_int_equal(r->st.program, long_idx);
        assert_int_equal(r->st.step, 1);
        assert_float_equal(r->st.shoulder_mm, shoulder, 0.001);
        for (int i = 0; i < 500; i++) {
                rig_tick(r, NULL, 0);
                assert_int_equal(find_event(r, CHAIR_EVENT_SCAN_DONE), -1);
                assert_int_equal(r->st.state, CHAIR_STATE_RUNNING);
        }
        assert_float_equal(r->st.remaining_s, 20 * 60 - 1, 0.1);
        rig_free(r);

        /* a switch while nothing runs is a plain start */
        r = rig_new(NULL);
        c.program = (int16_t) short_idx;
        assert_int_equal(rig_cmd(r, &c), CHAIR_OK);
        assert_int_equal(find_event(r, CHAIR_EVENT_PROGRAM_SWITCHED), -1);
        assert_int_equal(r->st.state, CHAIR_STATE_SCANNING);
        rig_free(r);
}

/* A burst of switches in one tick: within the per-tick budget (control.h) every
 * command gets its result and every switch its four events; more commands than
 * a tick takes are a caller's bug, counted, never silent. */
static void test_switch_burst_keeps_results(void **state) {
        struct rig *r = running("short", NULL);
        struct chair_cmd c[CHAIR_MAX_CMDS_PER_TICK + 3];
        size_t results = 0, busy = 0;

        for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
                chair_cmd_init(&c[i], CHAIR_ACTION_START);
                c[i].program = (int16_t) (i % 2);
                c[i].switch_program = true;
                c[i].token = (uint32_t) i + 1;
        }
        for (size_t n = 1; n <= CHAIR_MAX_CMDS_PER_TICK; n++) {
                results = busy = 0;
                rig_tick(r, c, n);
                for (size_t i = 0; i < r->n_ev; i++)
                        if (r->ev[i].kind == CHAIR_EVENT_RESULT) {
                                results++;
                                busy += r->ev[i].result.err == CHAIR_ERR_BUSY;
                        }
                assert_int_equal(results, n);
                assert_int_equal(busy, 0);
                assert_int_equal(r->st.state, CHAIR_STATE_RUNNING);
                assert_int_equal(r->st.events_dropped, 0);
        }
        rig_tick(r, c, sizeof(c) / sizeof(c[0]));
        assert_int_equal(r->st.events_dropped, 3);
        rig_free(r);
}

static void test_lock_needs_pin(void **state) {
        struct rig *r = rig_new(NULL);
        struct chair_cmd c = cmd(CHAIR_ACTION_LOCK);

        assert_int_equal(rig_cmd(r, &c), CHAIR_ERR_INVALID_VALUE);
        assert_false(r->st.locked);
        assert_int_equal(chair_ctl_set_locked(r->ctl, true), -EINVAL);
        rig_free(r);
}

static void test_lock_refuses_all_but_stop_pause(void **state) {
        struct rig *r = running("long", "2468");
        struct chair_cmd c = cmd(CHAIR_ACTION_LOCK);

        assert_int_equal(rig_cmd(r, &c), CHAIR_OK);
        assert_true(find_event(r, CHAIR_EVENT_LOCKED) >= 0);
        assert_true(r->st.locked);
        assert_int_equal(rig_cmd(r, &c), CHAIR_ERR_LOCKED);   /* lock is not among the allowed */

        static const enum chair_action refused[] = {
                CHAIR_ACTION_START, CHAIR_ACTION_RESUME, CHAIR_ACTION_SET, CHAIR_ACTION_RECLINE,
                CHAIR_ACTION_CLEAR_FAULTS, CHAIR_ACTION_SELF_TEST, CHAIR_ACTION_EXTEND, CHAIR_ACTION_SKIP,
        };
        for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
                c = cmd(refused[i]);
                c.program = 0;
                c.intensity = 5;
                c.minutes = 1;
                c.recline = CHAIR_RECLINE_RELAX;
                assert_int_equal(rig_cmd(r, &c), CHAIR_ERR_LOCKED);
        }
        assert_int_equal(r->st.intensity, 3);
        assert_int_equal(r->st.recline_target, CHAIR_RECLINE_KEEP);

        c = cmd(CHAIR_ACTION_PAUSE);
        assert_int_equal(rig_cmd(r, &c), CHAIR_OK);
        assert_int_equal(r->st.state, CHAIR_STATE_PAUSED);
        assert_true(r->st.all_safe);
        c = cmd(CHAIR_ACTION_STOP);
        assert_int_equal(rig_cmd(r, &c), CHAIR_OK);
        assert_true(r->st.all_safe);
        assert_true(rig_run_until(r, 1, is_idle));
        assert_true(r->st.locked);     /* stop does not unlock */

        c = cmd(CHAIR_ACTION_UNLOCK);
        strcpy(c.pin, "2468");
        assert_int_equal(rig_cmd(r, &c), CHAIR_OK);
        assert_true(find_event(r, CHAIR_EVENT_UNLOCKED) >= 0);
        assert_false(r->st.locked);
        assert_int_equal(rig_start(r, "short"), CHAIR_OK);
        rig_free(r);
}

static void test_unlock_backoff(void **state) {
        struct rig *r = running("long", "13579");
        struct chair_cmd lock = cmd(CHAIR_ACTION_LOCK), c = cmd(CHAIR_ACTION_UNLOCK);

        assert_int_equal(rig_cmd(r, &lock), CHAIR_OK);
        strcpy(c.pin, "1357");          /* a prefix is wrong too */
        for (int i = 0; i < 5; i++)
                assert_int_equal(rig_cmd(r, &c), CHAIR_ERR_INVALID_VALUE);
        strcpy(c.pin, "13579");
        assert_int_equal(rig_cmd(r, &c), CHAIR_ERR_RATE_LIMITED);
        assert_int_equal(result(r)->result.detail, 60);
        assert_true(r->st.locked);
        rig_run(r, 30);
        assert_int_equal(rig_cmd(r, &c), CHAIR_ERR_RATE_LIMITED);
        assert_true(result(r)->result.detail <= 30 && result(r)->result.detail >= 29);
        rig_run(r, 31);
        assert_int_equal(rig_cmd(r, &c), CHAIR_OK);
        assert_false(r->st.locked);

        /* fewer than five wrong in a row do not block, and a right PIN resets the count */
        assert_int_equal(rig_cmd(r, &lock), CHAIR_OK);
        strcpy(c.pin, "0000");
        for (int i = 0; i < 4; i++)
                assert_int_equal(rig_cmd(r, &c), CHAIR_ERR_INVALID_VALUE);
        strcpy(c.pin, "13579");
        assert_int_equal(rig_cmd(r, &c), CHAIR_OK);
        rig_free(r);
}

static void test_pause_events(void **state) {
        struct rig *r = running("long", NULL);
        struct chair_cmd pause = cmd(CHAIR_ACTION_PAUSE), resume = cmd(CHAIR_ACTION_RESUME);

        assert_true(r->st.heat_on);
        assert_int_equal(rig_cmd(r, &pause), CHAIR_OK);
        int k = find_event(r, CHAIR_EVENT_PAUSED);
        assert_true(k >= 0);
        assert_int_equal(r->ev[k].paused.reason, CHAIR_PAUSE_OWNER);
        /* heat.on: only while the heater may heat */
        assert_false(r->st.heat_on);
        assert_true(r->st.heat_wanted);
        assert_int_equal(rig_cmd(r, &pause), CHAIR_OK);       /* paused already: no second event */
        assert_int_equal(find_event(r, CHAIR_EVENT_PAUSED), -1);
        assert_int_equal(rig_cmd(r, &resume), CHAIR_OK);
        assert_true(find_event(r, CHAIR_EVENT_RESUMED) >= 0);
        assert_true(r->st.heat_on);
        /* resume of a running session: ok, said so, no event */
        assert_int_equal(rig_cmd(r, &resume), CHAIR_OK);
        assert_int_equal(result(r)->result.detail, 1);
        assert_int_equal(find_event(r, CHAIR_EVENT_RESUMED), -1);

        /* the occupant leaves and comes back */
        rig_sim(r, CHAIR_SIM_OCCUPIED, 0);
        rig_tick(r, NULL, 0);
        int left = find_event(r, CHAIR_EVENT_OCCUPANT_LEFT);
        k = find_event(r, CHAIR_EVENT_PAUSED);
        assert_true(left >= 0 && k >= 0);
        assert_int_equal(r->ev[k].paused.reason, CHAIR_PAUSE_OCCUPANT_LEFT);
        assert_int_equal(r->st.state, CHAIR_STATE_PAUSED);
        for (int i = 0; i < 100; i++) {          /* once, not every tick */
                rig_tick(r, NULL, 0);
                assert_int_equal(find_event(r, CHAIR_EVENT_OCCUPANT_LEFT), -1);
        }
        rig_sim(r, CHAIR_SIM_OCCUPIED, 1);
        rig_tick(r, NULL, 0);
        assert_true(find_event(r, CHAIR_EVENT_OCCUPANT_RETURNED) >= 0);
        assert_int_equal(r->st.state, CHAIR_STATE_PAUSED);     /* back in the seat: still the owner's resume */
        rig_free(r);
}

static void test_heat_off_on_sensor_fault(void **state) {
        struct rig *r = running("long", NULL);
        assert_true(r->st.heat_on);
        rig_sim(r, CHAIR_SIM_HEATER_SENSOR, CHAIR_SENSOR_OPEN);
        rig_run(r, 1);
        assert_int_equal(r->st.state, CHAIR_STATE_RUNNING);   /* the massage goes on */
        assert_false(r->st.heat_on);
        assert_true(r->st.heat_wanted);
        rig_free(r);
}

static void test_steps_one_based(void **state) {
        struct rig *r = rig_new(NULL);
        assert_int_equal(rig_start(r, "short"), CHAIR_OK);
        unsigned seen = 0;
        while (r->st.state != CHAIR_STATE_IDLE && rig_time(r) < 200) {
                rig_tick(r, NULL, 0);
                int k = find_event(r, CHAIR_EVENT_STEP);
                if (k >= 0) {
                        seen++;
                        assert_int_equal(r->ev[k].step.index, seen);
                        assert_int_equal(r->st.step, seen);  /* events and state alike */
                }
        }
        assert_int_equal(seen, 3);
        rig_free(r);
}

static bool at_zero_gravity(const struct rig *r) { return r->st.recline == CHAIR_RECLINE_ZERO_GRAVITY; }

static void test_idle_recline_state(void **state) {
        struct rig *r = rig_new(NULL);
        struct chair_cmd c = cmd(CHAIR_ACTION_RECLINE);
        struct chair_status_visible v0, v1;

        rig_tick(r, NULL, 0);
        assert_int_equal(r->st.recline, CHAIR_RECLINE_UPRIGHT);
        assert_int_equal(r->st.recline_target, CHAIR_RECLINE_KEEP);
        c.recline = CHAIR_RECLINE_ZERO_GRAVITY;
        assert_int_equal(rig_cmd(r, &c), CHAIR_OK);
        assert_int_equal(r->st.recline_target, CHAIR_RECLINE_ZERO_GRAVITY);
        rig_run(r, 1);
        assert_int_equal(r->st.recline, CHAIR_RECLINE_MOVING);
        assert_string_equal(chair_recline_state_name(r->st.recline), "moving");
        /* the visible status follows the position in 1 % steps (the daemon publishes on it) */
        chair_status_visible(&r->st, &v0);
        rig_run(r, 1);
        chair_status_visible(&r->st, &v1);
        assert_true(memcmp(&v0, &v1, sizeof(v0)) != 0);
        assert_true(r->st.backrest_pct > 0);
        /* within the travel time (recline_s, the position loop's approach) */
        assert_true(rig_run_until(r, r->cfg->hardware.geometry.recline_s * 1.15 + 1, at_zero_gravity));
        assert_true(r->st.backrest_pct >= 77 && r->st.backrest_pct <= 83);
        assert_true(r->st.legrest_pct >= 67 && r->st.legrest_pct <= 73);
        assert_int_equal(r->st.recline_target, CHAIR_RECLINE_ZERO_GRAVITY);   /* kept after arriving */
        rig_run(r, 2);
        assert_int_equal(r->st.recline, CHAIR_RECLINE_ZERO_GRAVITY);
        assert_true(r->st.all_safe);
        /* nothing moves at rest: the visible status stays */
        chair_status_visible(&r->st, &v0);
        rig_run(r, 2);
        chair_status_visible(&r->st, &v1);
        assert_memory_equal(&v0, &v1, sizeof(v0));

        /* stopped half-way: custom, and no target */
        c.recline = CHAIR_RECLINE_UPRIGHT;
        assert_int_equal(rig_cmd(r, &c), CHAIR_OK);
        rig_run(r, 4);
        c = cmd(CHAIR_ACTION_STOP);
        assert_int_equal(rig_cmd(r, &c), CHAIR_OK);
        rig_run(r, 1);
        assert_int_equal(r->st.recline, CHAIR_RECLINE_CUSTOM);
        assert_int_equal(r->st.recline_target, CHAIR_RECLINE_KEEP);
        rig_free(r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_deltas_clamped),
                cmocka_unit_test(test_extend),
                cmocka_unit_test(test_skip),
                cmocka_unit_test(test_switch),
                cmocka_unit_test(test_switch_burst_keeps_results),
                cmocka_unit_test(test_lock_needs_pin),
                cmocka_unit_test(test_lock_refuses_all_but_stop_pause),
                cmocka_unit_test(test_unlock_backoff),
                cmocka_unit_test(test_pause_events),
                cmocka_unit_test(test_heat_off_on_sensor_fault),
                cmocka_unit_test(test_steps_one_based),
                cmocka_unit_test(test_idle_recline_state),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
