/* SPDX-License-Identifier: MIT */
/* The self-test sequence against the simulated plant: a healthy chair passes,
 * each injected plant fault fails the matching part (and only it), the
 * preconditions refuse or abort, and unfitted parts are skipped. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "alloc-count.h"
#include "selftest.h"
#include "testkit.h"

struct st_rig {
        struct rig *r;
        struct chair_selftest st;
        double dt;
        uint32_t max_abs_out_violations;   /* outputs outside their kind's range */
};

static void st_rig_init(struct st_rig *s, struct chair_config *cfg) {
        memset(s, 0, sizeof(*s));
        s->r = rig_new(cfg);
        s->dt = 1.0 / s->r->cfg->control.rate_hz;
        chair_selftest_init(&s->st, s->r->cfg);
        /* The simulated chair starts occupied; the self-test wants the seat empty. */
        rig_sim(s->r, CHAIR_SIM_OCCUPIED, 0);
        chair_hal_read(s->r->hal, s->r->now_ns, &s->r->in);
}

/* One tick of the self-test on the plant (read, step, write). */
static bool st_tick(struct st_rig *s) {
        struct rig *r = s->r;
        chair_hal_read(r->hal, r->now_ns, &r->in);
        bool done = chair_selftest_step(&s->st, &r->in, s->dt, &r->out);
        for (int a = 0; a < _CHAIR_ACT_COUNT; a++)
                if (fabsf(r->out.v[a]) > 1.0f || isnan(r->out.v[a]))
                        s->max_abs_out_violations++;
        chair_hal_write(r->hal, &r->out);
        chair_hal_sim_truth(r->hal, &r->truth);
        r->now_ns += r->period_ns;
        return done;
}

/* Run until the test finishes (at most max_s); returns its report. */
static const struct chair_st_report *st_run(struct st_rig *s, double max_s) {
        uint64_t n = (uint64_t) (max_s / s->dt);
        for (uint64_t i = 0; i < n; i++)
                if (st_tick(s))
                        break;
        return chair_selftest_report(&s->st);
}

static void print_report(const struct chair_st_report *rep) {
        char buf[1024];
        chair_st_report_summary(rep, buf, sizeof(buf));
        print_message("report: %s\n", buf);
}

static void test_healthy_chair_passes(void **state) {
        struct st_rig s;

        st_rig_init(&s, NULL);
        assert_int_equal(chair_selftest_start(&s.st, &s.r->in), CHAIR_ST_OK);
        assert_true(chair_selftest_running(&s.st));
        /* a second start while one runs is refused */
        assert_int_equal(chair_selftest_start(&s.st, &s.r->in), CHAIR_ST_ABORT_STOPPED);

        const struct chair_st_report *rep = st_run(&s, 120);
        print_report(rep);
        assert_true(rep->done);
        assert_false(rep->aborted);
        assert_true(rep->passed);
        assert_int_equal(rep->failed, 0);
        for (int p = 0; p < _CHAIR_ST_PART_COUNT; p++) {
                enum chair_st_result want = p == CHAIR_ST_KNEAD || p == CHAIR_ST_TAP ? CHAIR_ST_NOT_CHECKED : CHAIR_ST_PASS;
                print_message("part %s\n", chair_st_part_name(p));
                assert_int_equal(rep->item[p].part, p);
                assert_int_equal(rep->item[p].result, want);
        }
        assert_true(rep->item[CHAIR_ST_CARRIAGE].measured > 10);          /* pulses */
        assert_true(rep->item[CHAIR_ST_HEATER].measured >= 0.5f);          /* °C risen */
        assert_true(rep->item[CHAIR_ST_AIRBAG_SEAT].measured >= 2.0f);     /* kPa risen */
        /* brief: well under a minute of chair time */
        assert_true(rep->duration_s > 5 && rep->duration_s < 60);
        assert_false(chair_selftest_running(&s.st));
        assert_int_equal(s.max_abs_out_violations, 0);

        /* the chair is left as found: outputs safe, carriage home, recline back */
        assert_true(chair_outputs_all_safe(s.r->cfg, &s.r->out));
        assert_true(s.r->truth.carriage_mm < 1.0f);
        assert_true(s.r->truth.backrest < 0.02f);
        assert_true(s.r->truth.legrest < 0.02f);
        /* after the end it holds every output safe */
        for (int i = 0; i < 100; i++)
                assert_false(st_tick(&s));
        assert_true(chair_outputs_all_safe(s.r->cfg, &s.r->out));
        rig_free(s.r);
}

/* An injected plant fault and the part that must fail, with why. */
static const struct {
        const char *name;
        enum chair_sim_key key;
        float value;
        enum chair_st_part part;           /* first failing part */
        enum chair_st_part last;           /* last failing part (a run of parts, e.g. every bag) */
        enum chair_st_reason reason;
} fault_cases[] = {
        { "carriage stalled", CHAIR_SIM_STALL, CHAIR_ACT_CARRIAGE, CHAIR_ST_CARRIAGE, CHAIR_ST_CARRIAGE, CHAIR_ST_NO_PULSES },
        { "heater sensor open", CHAIR_SIM_HEATER_SENSOR, CHAIR_SENSOR_OPEN, CHAIR_ST_HEATER, CHAIR_ST_HEATER, CHAIR_ST_SENSOR_FAULT },
        { "heater sensor short", CHAIR_SIM_HEATER_SENSOR, CHAIR_SENSOR_SHORT, CHAIR_ST_HEATER, CHAIR_ST_HEATER, CHAIR_ST_SENSOR_FAULT },
        { "depth stalled", CHAIR_SIM_STALL, CHAIR_ACT_DEPTH, CHAIR_ST_DEPTH, CHAIR_ST_DEPTH, CHAIR_ST_NO_MOVEMENT },
        { "pump stalled", CHAIR_SIM_STALL, CHAIR_ACT_PUMP, CHAIR_ST_AIRBAG_LUMBAR_LEFT, CHAIR_ST_AIRBAG_CALVES, CHAIR_ST_NO_PRESSURE_RISE },
        { "backrest stalled", CHAIR_SIM_STALL, CHAIR_ACT_BACKREST, CHAIR_ST_BACKREST, CHAIR_ST_BACKREST, CHAIR_ST_NO_MOVEMENT },
        { "legrest stalled", CHAIR_SIM_STALL, CHAIR_ACT_LEGREST, CHAIR_ST_LEGREST, CHAIR_ST_LEGREST, CHAIR_ST_NO_MOVEMENT },
};

static void test_injected_faults_fail_their_part(void **state) {
        for (size_t i = 0; i < sizeof(fault_cases) / sizeof(fault_cases[0]); i++) {
                struct st_rig s;

                print_message("case %s\n", fault_cases[i].name);
                st_rig_init(&s, NULL);
                rig_sim(s.r, fault_cases[i].key, fault_cases[i].value);
                assert_int_equal(chair_selftest_start(&s.st, &s.r->in), CHAIR_ST_OK);
                const struct chair_st_report *rep = st_run(&s, 180);
                print_report(rep);
                assert_true(rep->done);
                assert_false(rep->aborted);
                assert_false(rep->passed);
                assert_int_equal(rep->failed, fault_cases[i].last - fault_cases[i].part + 1);
                for (int p = 0; p < _CHAIR_ST_PART_COUNT; p++) {
                        bool fails = p >= (int) fault_cases[i].part && p <= (int) fault_cases[i].last;
                        if (fails) {
                                assert_int_equal(rep->item[p].result, CHAIR_ST_FAIL);
                                assert_int_equal(rep->item[p].reason, fault_cases[i].reason);
                        } else
                                assert_int_not_equal(rep->item[p].result, CHAIR_ST_FAIL);
                }
                assert_true(chair_outputs_all_safe(s.r->cfg, &s.r->out));
                assert_int_equal(s.max_abs_out_violations, 0);
                rig_free(s.r);
        }
}

/* A stalled carriage must fail before the safety supervisor would call it a
 * stall: the self-test stops driving within 0.6 × stall_s of the last pulse. */
static void test_stall_detected_before_supervisor(void **state) {
        struct st_rig s;
        double driven_without_pulse = 0, worst = 0;
        uint32_t last = 0;

        st_rig_init(&s, NULL);
        rig_sim(s.r, CHAIR_SIM_STALL, CHAIR_ACT_CARRIAGE);
        assert_int_equal(chair_selftest_start(&s.st, &s.r->in), CHAIR_ST_OK);
        for (int i = 0; i < 500 * 5; i++) {
                st_tick(&s);
                if (fabsf(s.r->out.v[CHAIR_ACT_CARRIAGE]) > 0 && s.r->in.encoder_pulses == last)
                        driven_without_pulse += s.dt;
                else
                        driven_without_pulse = 0;
                last = s.r->in.encoder_pulses;
                if (driven_without_pulse > worst)
                        worst = driven_without_pulse;
        }
        assert_true(worst > 0);
        assert_true(worst < s.r->cfg->safety.stall_s);
        rig_free(s.r);
}

static const struct {
        const char *name;
        enum chair_sim_key key;
        enum chair_st_reason reason;
} refuse_cases[] = {
        { "seat occupied", CHAIR_SIM_OCCUPIED, CHAIR_ST_ABORT_OCCUPIED },
        { "stop button", CHAIR_SIM_ESTOP, CHAIR_ST_ABORT_ESTOP },
        { "obstacle", CHAIR_SIM_OBSTACLE, CHAIR_ST_ABORT_OBSTACLE },
};

static void test_preconditions_refuse_and_abort(void **state) {
        for (size_t i = 0; i < sizeof(refuse_cases) / sizeof(refuse_cases[0]); i++) {
                struct st_rig s;

                print_message("case %s\n", refuse_cases[i].name);
                st_rig_init(&s, NULL);
                rig_sim(s.r, refuse_cases[i].key, 1);
                chair_hal_read(s.r->hal, s.r->now_ns, &s.r->in);
                assert_int_equal(chair_selftest_start(&s.st, &s.r->in), refuse_cases[i].reason);
                assert_false(chair_selftest_running(&s.st));

                /* the same condition arising mid-test aborts it at once */
                rig_sim(s.r, refuse_cases[i].key, 0);
                chair_hal_read(s.r->hal, s.r->now_ns, &s.r->in);
                assert_int_equal(chair_selftest_start(&s.st, &s.r->in), CHAIR_ST_OK);
                for (int k = 0; k < 250; k++)
                        assert_false(st_tick(&s));
                assert_false(chair_outputs_all_safe(s.r->cfg, &s.r->out));      /* carriage moving */
                rig_sim(s.r, refuse_cases[i].key, 1);
                assert_true(st_tick(&s));
                assert_true(chair_outputs_all_safe(s.r->cfg, &s.r->out));
                const struct chair_st_report *rep = chair_selftest_report(&s.st);
                assert_true(rep->done);
                assert_true(rep->aborted);
                assert_false(rep->passed);
                assert_int_equal(rep->item[CHAIR_ST_CARRIAGE].result, CHAIR_ST_SKIPPED);
                assert_int_equal(rep->item[CHAIR_ST_CARRIAGE].reason, refuse_cases[i].reason);
                assert_int_equal(rep->item[CHAIR_ST_LEGREST].reason, refuse_cases[i].reason);
                rig_free(s.r);
        }
}

static void test_external_abort(void **state) {
        struct st_rig s;

        st_rig_init(&s, NULL);
        assert_int_equal(chair_selftest_start(&s.st, &s.r->in), CHAIR_ST_OK);
        /* past the carriage and depth, into the kneading */
        while (chair_selftest_report(&s.st)->item[CHAIR_ST_DEPTH].result == CHAIR_ST_PENDING)
                st_tick(&s);
        chair_selftest_abort(&s.st, CHAIR_ST_ABORT_STOPPED);
        const struct chair_st_report *rep = chair_selftest_report(&s.st);
        assert_true(rep->aborted);
        assert_int_equal(rep->item[CHAIR_ST_CARRIAGE].result, CHAIR_ST_PASS);
        assert_int_equal(rep->item[CHAIR_ST_DEPTH].result, CHAIR_ST_PASS);
        assert_int_equal(rep->item[CHAIR_ST_HEATER].result, CHAIR_ST_SKIPPED);
        assert_int_equal(rep->item[CHAIR_ST_HEATER].reason, CHAIR_ST_ABORT_STOPPED);
        assert_false(st_tick(&s));
        assert_true(chair_outputs_all_safe(s.r->cfg, &s.r->out));
        /* aborting again is harmless */
        chair_selftest_abort(&s.st, CHAIR_ST_ABORT_ESTOP);
        assert_int_equal(rep->item[CHAIR_ST_HEATER].reason, CHAIR_ST_ABORT_STOPPED);
        rig_free(s.r);
}

/* A smaller chair: missing parts are skipped, parts without feedback run blind. */
static void test_partial_chair(void **state) {
        struct chair_config *cfg = testkit_config();
        struct st_rig s;

        cfg->hardware.outputs[CHAIR_ACT_TAP].present = false;
        cfg->hardware.outputs[CHAIR_ACT_LEGREST].present = false;
        cfg->hardware.outputs[CHAIR_ACT_VALVE_CALVES].present = false;
        cfg->hardware.inputs.pressure[CHAIR_BAG_SEAT].set = false;
        cfg->hardware.inputs.depth_pos.set = false;
        cfg->hardware.inputs.occupancy.set = false;     /* no sensor: reads occupied, must not refuse */
        st_rig_init(&s, cfg);
        rig_sim(s.r, CHAIR_SIM_OCCUPIED, 1);
        chair_hal_read(s.r->hal, s.r->now_ns, &s.r->in);
        assert_int_equal(chair_selftest_start(&s.st, &s.r->in), CHAIR_ST_OK);
        const struct chair_st_report *rep = st_run(&s, 120);
        print_report(rep);
        assert_true(rep->passed);
        assert_int_equal(rep->item[CHAIR_ST_TAP].result, CHAIR_ST_SKIPPED);
        assert_int_equal(rep->item[CHAIR_ST_TAP].reason, CHAIR_ST_NOT_FITTED);
        assert_int_equal(rep->item[CHAIR_ST_LEGREST].reason, CHAIR_ST_NOT_FITTED);
        assert_int_equal(rep->item[CHAIR_ST_AIRBAG_CALVES].reason, CHAIR_ST_NOT_FITTED);
        assert_int_equal(rep->item[CHAIR_ST_AIRBAG_SEAT].result, CHAIR_ST_NOT_CHECKED);
        assert_int_equal(rep->item[CHAIR_ST_DEPTH].result, CHAIR_ST_NOT_CHECKED);
        assert_int_equal(rep->item[CHAIR_ST_AIRBAG_LUMBAR_LEFT].result, CHAIR_ST_PASS);
        assert_true(chair_outputs_all_safe(s.r->cfg, &s.r->out));
        rig_free(s.r);

        /* no pump: every bag skipped with that reason */
        cfg = testkit_config();
        cfg->hardware.outputs[CHAIR_ACT_PUMP].present = false;
        st_rig_init(&s, cfg);
        assert_int_equal(chair_selftest_start(&s.st, &s.r->in), CHAIR_ST_OK);
        rep = st_run(&s, 120);
        assert_true(rep->passed);
        for (int p = CHAIR_ST_AIRBAG_LUMBAR_LEFT; p <= CHAIR_ST_AIRBAG_CALVES; p++) {
                assert_int_equal(rep->item[p].result, CHAIR_ST_SKIPPED);
                assert_int_equal(rep->item[p].reason, CHAIR_ST_NO_PUMP);
        }
        rig_free(s.r);

        /* nothing fitted at all: done on the first tick */
        cfg = testkit_config();
        for (int a = 0; a < _CHAIR_ACT_COUNT; a++)
                cfg->hardware.outputs[a].present = false;
        st_rig_init(&s, cfg);
        assert_int_equal(chair_selftest_start(&s.st, &s.r->in), CHAIR_ST_OK);
        assert_true(st_tick(&s));
        rep = chair_selftest_report(&s.st);
        assert_true(rep->passed);
        for (int p = 0; p < _CHAIR_ST_PART_COUNT; p++)
                assert_int_equal(rep->item[p].reason, CHAIR_ST_NOT_FITTED);
        rig_free(s.r);
}

/* Starting at the far end switch the carriage moves toward home first. */
static void test_carriage_from_far_end(void **state) {
        struct st_rig s;
        struct chair_outputs drive = { 0 };

        st_rig_init(&s, NULL);
        drive.v[CHAIR_ACT_CARRIAGE] = 1.0f;
        for (int i = 0; i < 500 * 10 && !s.r->in.carriage_end; i++) {
                chair_hal_write(s.r->hal, &drive);
                s.r->now_ns += s.r->period_ns;
                chair_hal_read(s.r->hal, s.r->now_ns, &s.r->in);
        }
        assert_true(s.r->in.carriage_end);
        chair_outputs_safe(s.r->cfg, &drive);
        chair_hal_write(s.r->hal, &drive);
        assert_int_equal(chair_selftest_start(&s.st, &s.r->in), CHAIR_ST_OK);
        st_tick(&s);
        assert_true(s.r->out.v[CHAIR_ACT_CARRIAGE] < 0);
        const struct chair_st_report *rep = st_run(&s, 120);
        assert_int_equal(rep->item[CHAIR_ST_CARRIAGE].result, CHAIR_ST_PASS);
        assert_true(s.r->truth.carriage_mm < 1.0f);
        rig_free(s.r);
}

static void test_names_and_summary(void **state) {
        struct chair_st_report rep = { 0 };
        char buf[512], small[16];

        for (int p = 0; p < _CHAIR_ST_PART_COUNT; p++) {
                assert_string_not_equal(chair_st_part_name(p), "unknown");
                rep.item[p].part = (uint8_t) p;
                rep.item[p].result = CHAIR_ST_PASS;
        }
        for (int r = 0; r < _CHAIR_ST_REASON_COUNT; r++)
                assert_non_null(chair_st_reason_message(r));
        assert_string_equal(chair_st_part_name(_CHAIR_ST_PART_COUNT), "unknown");
        rep.item[CHAIR_ST_TAP].result = CHAIR_ST_SKIPPED;
        rep.item[CHAIR_ST_TAP].reason = CHAIR_ST_NOT_FITTED;
        rep.item[CHAIR_ST_HEATER].result = CHAIR_ST_FAIL;
        rep.item[CHAIR_ST_HEATER].reason = CHAIR_ST_SENSOR_FAULT;
        int n = chair_st_report_summary(&rep, buf, sizeof(buf));
        assert_int_equal(n, (int) strlen(buf));
        assert_non_null(strstr(buf, "carriage=pass depth=pass knead=pass heater=fail(sensor reads open"));
        assert_null(strstr(buf, "tap="));
        /* truncation keeps whole entries and reports the length needed */
        assert_int_equal(chair_st_report_summary(&rep, small, sizeof(small)), n);
        assert_string_equal(small, "carriage=pass");
}

static void test_step_allocates_nothing(void **state) {
        struct st_rig s;

        st_rig_init(&s, NULL);
        rig_sim(s.r, CHAIR_SIM_STALL, CHAIR_ACT_PUMP);
        assert_int_equal(chair_selftest_start(&s.st, &s.r->in), CHAIR_ST_OK);
        alloc_count_watch(pthread_self());
        for (int i = 0; i < 500 * 60 && chair_selftest_running(&s.st); i++) {
                chair_hal_read(s.r->hal, s.r->now_ns, &s.r->in);
                chair_selftest_step(&s.st, &s.r->in, s.dt, &s.r->out);
                chair_hal_write(s.r->hal, &s.r->out);
                s.r->now_ns += s.r->period_ns;
        }
        alloc_count_unwatch();
        assert_false(chair_selftest_running(&s.st));
        assert_int_equal(alloc_count_allocs(), 0);
        assert_int_equal(alloc_count_locks(), 0);
        rig_free(s.r);
}

/* ---- through the control step: the self_test command ---------------------- */

static struct chair_cmd cmd_of(enum chair_action a) {
        struct chair_cmd c;
        chair_cmd_init(&c, a);
        return c;
}

/* Tick until the control step reports a self-test; copies the report. */
static bool run_to_report(struct rig *r, double max_s, struct chair_st_report *rep) {
        uint64_t n = (uint64_t) (max_s * r->cfg->control.rate_hz);
        for (uint64_t i = 0; i < n; i++) {
                rig_tick(r, NULL, 0);
                for (size_t k = 0; k < r->n_ev; k++)
                        if (r->ev[k].kind == CHAIR_EVENT_SELF_TEST) {
                                *rep = r->ev[k].self_test;
                                return true;
                        }
        }
        return false;
}

static void test_command_runs_selftest(void **state) {
        struct rig *r = rig_new(NULL);
        struct chair_cmd c = cmd_of(CHAIR_ACTION_SELF_TEST);
        struct chair_st_report rep;

        /* someone seated: refused */
        rig_run(r, 0.1);
        assert_int_equal(rig_cmd(r, &c), CHAIR_ERR_OCCUPIED);
        rig_sim(r, CHAIR_SIM_OCCUPIED, 0);
        rig_run(r, 0.1);
        assert_int_equal(rig_cmd(r, &c), CHAIR_OK);
        assert_true(r->st.self_testing);
        assert_int_equal(r->st.state, CHAIR_STATE_IDLE);
        /* busy meanwhile: a second self-test, a session, a recline */
        assert_int_equal(rig_cmd(r, &c), CHAIR_ERR_BUSY);
        struct chair_cmd rc = cmd_of(CHAIR_ACTION_RECLINE);
        rc.recline = CHAIR_RECLINE_RELAX;
        assert_int_equal(rig_cmd(r, &rc), CHAIR_ERR_BUSY);
        struct chair_cmd sc = cmd_of(CHAIR_ACTION_START);
        sc.program = 0;
        assert_int_equal(rig_cmd(r, &sc), CHAIR_ERR_BUSY);
        assert_true(run_to_report(r, 120, &rep));
        assert_true(rep.passed);
        assert_false(r->st.self_testing);
        assert_true(r->st.all_safe);
        /* the supervisor saw nothing wrong; the counters know */
        assert_int_equal(r->faults_seen, 0);
        assert_int_equal(r->st.counters.self_tests, 1);
        assert_true(r->st.counters.act[CHAIR_ACT_CARRIAGE].on_s > 0);
        assert_true(r->st.counters.inflations[CHAIR_BAG_SEAT] >= 1);
        rig_free(r);
}

static const struct {
        const char *name;
        int stall;
        enum chair_st_part part;
        enum chair_st_reason reason;
} ctl_fault_cases[] = {
        { "carriage", CHAIR_ACT_CARRIAGE, CHAIR_ST_CARRIAGE, CHAIR_ST_NO_PULSES },
        { "backrest", CHAIR_ACT_BACKREST, CHAIR_ST_BACKREST, CHAIR_ST_NO_MOVEMENT },
        { "depth", CHAIR_ACT_DEPTH, CHAIR_ST_DEPTH, CHAIR_ST_NO_MOVEMENT },
};

/* A stalled part fails in the report, before the supervisor latches a stall
 * (which would abort the whole test). */
static void test_command_stalled_part(void **state) {
        for (size_t i = 0; i < sizeof(ctl_fault_cases) / sizeof(ctl_fault_cases[0]); i++) {
                struct rig *r = rig_new(NULL);
                struct chair_cmd c = cmd_of(CHAIR_ACTION_SELF_TEST);
                struct chair_st_report rep;

                print_message("case %s\n", ctl_fault_cases[i].name);
                rig_sim(r, CHAIR_SIM_OCCUPIED, 0);
                rig_sim(r, CHAIR_SIM_STALL, (float) ctl_fault_cases[i].stall);
                rig_run(r, 0.1);
                assert_int_equal(rig_cmd(r, &c), CHAIR_OK);
                assert_true(run_to_report(r, 120, &rep));
                print_report(&rep);
                assert_false(rep.aborted);
                assert_int_equal(rep.failed, 1);
                assert_int_equal(rep.item[ctl_fault_cases[i].part].result, CHAIR_ST_FAIL);
                assert_int_equal(rep.item[ctl_fault_cases[i].part].reason, ctl_fault_cases[i].reason);
                assert_int_equal(r->st.faults_latched, 0);
                rig_free(r);
        }
}

static void test_command_stop_and_estop_abort(void **state) {
        for (int k = 0; k < 2; k++) {
                struct rig *r = rig_new(NULL);
                struct chair_cmd c = cmd_of(CHAIR_ACTION_SELF_TEST), stop = cmd_of(CHAIR_ACTION_STOP);
                bool seen = false;

                rig_sim(r, CHAIR_SIM_OCCUPIED, 0);
                rig_run(r, 0.1);
                assert_int_equal(rig_cmd(r, &c), CHAIR_OK);
                rig_run(r, 0.5);
                assert_false(r->st.all_safe);
                if (k == 0)
                        assert_int_equal(rig_cmd(r, &stop), CHAIR_OK);
                else {
                        rig_sim(r, CHAIR_SIM_ESTOP, 1);
                        rig_tick(r, NULL, 0);
                }
                /* safe in the same tick, and the (aborted) report comes with it */
                assert_true(r->st.all_safe);
                assert_false(r->st.self_testing);
                for (size_t i = 0; i < r->n_ev; i++)
                        if (r->ev[i].kind == CHAIR_EVENT_SELF_TEST) {
                                seen = true;
                                assert_true(r->ev[i].self_test.aborted);
                                assert_int_equal(r->ev[i].self_test.item[CHAIR_ST_CARRIAGE].reason,
                                                 k == 0 ? CHAIR_ST_ABORT_STOPPED : CHAIR_ST_ABORT_ESTOP);
                        }
                assert_true(seen);
                /* with the stop button held, no new test */
                if (k == 1)
                        assert_int_equal(rig_cmd(r, &c), CHAIR_ERR_FAULT_ACTIVE);
                rig_free(r);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_healthy_chair_passes),
                cmocka_unit_test(test_injected_faults_fail_their_part),
                cmocka_unit_test(test_stall_detected_before_supervisor),
                cmocka_unit_test(test_preconditions_refuse_and_abort),
                cmocka_unit_test(test_external_abort),
                cmocka_unit_test(test_partial_chair),
                cmocka_unit_test(test_carriage_from_far_end),
                cmocka_unit_test(test_names_and_summary),
                cmocka_unit_test(test_step_allocates_nothing),
                cmocka_unit_test(test_command_runs_selftest),
                cmocka_unit_test(test_command_stalled_part),
                cmocka_unit_test(test_command_stop_and_estop_abort),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
