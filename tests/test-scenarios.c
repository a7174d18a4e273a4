/* SPDX-License-Identifier: MIT */
/*
 * Scenario tests: the shipped config and programs on the simulated chair, in
 * virtual time, through the same runner chair-sim uses.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "body.h"
#include "config.h"
#include "errors.h"
#include "inject.h"
#include "program-load.h"
#include "program.h"
#include "simrun.h"

static struct chair_config *cfg;
static struct chair_programs *progs;

static int setup(void **state) {
        char path[4096];
        const char *src = getenv("CHAIRD_SOURCE_ROOT");
        struct chair_errors errs = { 0 };

        snprintf(path, sizeof(path), "%s/config/chaird.yaml", src ? src : ".");
        if (chair_config_load(path, &errs, &cfg) < 0 || chair_programs_load(cfg, &errs, &progs) < 0) {
                chair_errors_print(&errs, stderr);
                return -1;
        }
        chair_errors_clear(&errs);
        return 0;
}

static int teardown(void **state) {
        progs = chair_programs_free(progs);
        cfg = chair_config_free(cfg);
        return 0;
}

static struct chair_simrun_opts opts(const char *program) {
        return (struct chair_simrun_opts) {
                .program = program,
                .minutes = CHAIR_UNSET, .intensity = CHAIR_UNSET, .speed = CHAIR_UNSET, .heat = CHAIR_UNSET,
        };
}

/* Run with injections given as --inject specs. */
static void run(const struct chair_config *c, struct chair_simrun_opts *o, const char *const *specs,
                struct chair_simrun_result *r) {
        struct chair_inject inj[8];
        size_t n = 0;
        char err[256];

        for (; specs && specs[n]; n++)
                assert_int_equal(chair_inject_parse(specs[n], &inj[n], err, sizeof(err)), 0);
        o->injects = inj;
        o->n_injects = n;
        int ret = chair_simrun(c, progs, o, r, err, sizeof(err));
        if (ret < 0)
                fail_msg("%s", err);
        for (size_t i = 0; i < n; i++)
                chair_inject_clear(&inj[i]);
}

/* Tracks invariants on every tick. */
struct watch {
        const struct chair_config *cfg;
        float max_heater;
        bool recline_moved_back;
        bool obstacle;
};

static int watch_tick(void *ud, uint64_t tick, double t, const struct chair_status *st,
                      const struct chair_sim_truth *truth, const struct chair_event *ev, size_t n_ev) {
        struct watch *w = ud;
        if (truth->heater_c > w->max_heater)
                w->max_heater = truth->heater_c;
        if (st->out.v[CHAIR_ACT_BACKREST] > 0)
                w->recline_moved_back = true;
        return 0;
}

static void test_every_program_completes_at_several_heights(void **state) {
        static const float heights[] = { 150, 175, 195 };
        struct chair_config c = *cfg;

        assert_true(progs->n >= 7);
        for (size_t h = 0; h < sizeof(heights) / sizeof(heights[0]); h++) {
                c.hardware.sim.body_height_cm = heights[h];
                for (size_t p = 0; p < progs->n; p++) {
                        struct chair_simrun_opts o = opts(progs->v[p].id);
                        struct chair_simrun_result r;
                        struct watch w = { .cfg = &c };
                        o.on_tick = watch_tick;
                        o.userdata = &w;
                        run(&c, &o, NULL, &r);
                        if (r.result != CHAIR_SIM_COMPLETED || r.n_faults)
                                fail_msg("%s at %g cm: %s, %zu faults", progs->v[p].id, heights[h],
                                         chair_sim_result_name(r.result), r.n_faults);
                        assert_int_equal(r.steps_run, progs->v[p].n_steps);
                        /* The session lasts the program's minutes (parking takes a few seconds more). */
                        assert_float_equal(r.session_s, progs->v[p].default_minutes * 60.0, 0.5);
                        assert_true(r.max_heater_c <= c.safety.heater_max_c);
                        assert_true(w.max_heater <= c.safety.heater_max_c);
                        assert_true(r.carriage_min_mm >= 0);
                        assert_true(r.carriage_max_mm <= c.hardware.geometry.track_mm);
                }
        }
}

static void test_estop_safe_within_one_tick(void **state) {
        static const char *const specs[] = { "45:estop=1", NULL };
        for (size_t p = 0; p < progs->n; p++) {
                struct chair_simrun_opts o = opts(progs->v[p].id);
                struct chair_simrun_result r;
                run(cfg, &o, specs, &r);
                assert_int_equal(r.result, CHAIR_SIM_FAULT);
                assert_int_equal(r.n_faults, 1);
                assert_int_equal(r.faults[0].code, CHAIR_FAULT_ESTOP);
                assert_float_equal(r.faults[0].at_s, 45.0, 0.0021);
                assert_int_equal(r.safe_reactions, 1);
                assert_true(r.max_safe_reaction_ticks <= 1);
        }
}

static void test_stop_command_safe_within_one_tick(void **state) {
        static const char *const specs[] = { "100:command={\"action\":\"stop\"}", NULL };
        struct chair_simrun_opts o = opts("lumbar-relief");
        struct chair_simrun_result r;
        run(cfg, &o, specs, &r);
        assert_int_equal(r.result, CHAIR_SIM_STOPPED);
        assert_true(r.max_safe_reaction_ticks <= 1);
        assert_float_equal(r.simulated_s, 100.0, 0.01);
}

static void test_session_cap(void **state) {
        struct chair_config c = *cfg;
        c.safety.max_session_min = 5;
        struct chair_simrun_opts o = opts("lumbar-relief");
        struct chair_simrun_result r;
        run(&c, &o, NULL, &r);
        assert_int_equal(r.result, CHAIR_SIM_COMPLETED);
        assert_true(r.session_s <= 5 * 60 + 0.01);

        /* Asking for more than the cap is refused outright. */
        o = opts("lumbar-relief");
        o.minutes = 6;
        run(&c, &o, NULL, &r);
        assert_int_equal(r.result, CHAIR_SIM_REFUSED);
        assert_int_equal(r.start_error, CHAIR_ERR_INVALID_VALUE);
}

static void test_roller_stall_detected(void **state) {
        static const char *const specs[] = { "60:stall=carriage", NULL };
        struct chair_simrun_opts o = opts("lumbar-relief");
        struct chair_simrun_result r;
        run(cfg, &o, specs, &r);
        assert_int_equal(r.result, CHAIR_SIM_FAULT);
        assert_int_equal(r.faults[0].code, CHAIR_FAULT_ROLLER_STALL);
        /* Within stall_s of the carriage being driven; it moves nearly all the time in
         * this program, so allow one pause between moves on top. */
        assert_true(r.faults[0].at_s - 60 <= cfg->safety.stall_s + 2.0);
        assert_true(r.max_safe_reaction_ticks <= 1);
}

static void test_heater_sensor_open_massage_continues(void **state) {
        static const char *const specs[] = { "120:heater_sensor=open", NULL };
        struct chair_simrun_opts o = opts("lumbar-relief");
        struct chair_simrun_result r;
        run(cfg, &o, specs, &r);
        assert_int_equal(r.result, CHAIR_SIM_COMPLETED);
        assert_int_equal(r.n_faults, 1);
        assert_int_equal(r.faults[0].code, CHAIR_FAULT_HEATER_SENSOR);
        assert_float_equal(r.faults[0].at_s, 120.0, 0.01);
}

static void test_start_refused_unoccupied(void **state) {
        struct chair_config c = *cfg;
        c.hardware.sim.occupied = false;
        struct chair_simrun_opts o = opts("posture");
        struct chair_simrun_result r;
        run(&c, &o, NULL, &r);
        assert_int_equal(r.result, CHAIR_SIM_REFUSED);
        assert_int_equal(r.start_error, CHAIR_ERR_NOT_OCCUPIED);
}

static void test_obstacle_blocks_recline(void **state) {
        /* Find a program that reclines, and check it does without the obstacle. */
        struct chair_config c = *cfg;
        const char *reclining = NULL;
        for (size_t p = 0; p < progs->n && !reclining; p++) {
                struct chair_simrun_opts o = opts(progs->v[p].id);
                struct chair_simrun_result r;
                struct watch w = { .cfg = &c };
                o.on_tick = watch_tick;
                o.userdata = &w;
                run(&c, &o, NULL, &r);
                if (w.recline_moved_back)
                        reclining = progs->v[p].id;
        }
        assert_non_null(reclining);

        c.hardware.sim.obstacle = true;
        struct chair_simrun_opts o = opts(reclining);
        struct chair_simrun_result r;
        struct watch w = { .cfg = &c };
        o.on_tick = watch_tick;
        o.userdata = &w;
        run(&c, &o, NULL, &r);
        assert_false(w.recline_moved_back);
        assert_int_equal(r.result, CHAIR_SIM_COMPLETED);
}

static void test_body_height_moves_l4(void **state) {
        struct chair_config c = *cfg;
        struct chair_simrun_result r150, r195;
        struct chair_simrun_opts o = opts("lumbar-relief");
        o.seconds = 60;
        c.hardware.sim.body_height_cm = 150;
        run(&c, &o, NULL, &r150);
        c.hardware.sim.body_height_cm = 195;
        run(&c, &o, NULL, &r195);

        struct chair_body b150, b195;
        chair_body_from_shoulder(&c.hardware.geometry, r150.shoulder_mm, &b150);
        chair_body_from_shoulder(&c.hardware.geometry, r195.shoulder_mm, &b195);
        assert_true(r195.shoulder_mm > r150.shoulder_mm + 100);
        assert_true(b195.landmark_mm[CHAIR_LM_L4] > b150.landmark_mm[CHAIR_LM_L4] + 15);
}

static void test_deterministic(void **state) {
        struct chair_simrun_opts o = opts("stress-relief");
        struct chair_simrun_result a, b;
        o.seed_set = true;
        o.seed = 99;
        run(cfg, &o, NULL, &a);
        run(cfg, &o, NULL, &b);
        assert_memory_equal(&a, &b, sizeof(a));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_program_completes_at_several_heights),
                cmocka_unit_test(test_estop_safe_within_one_tick),
                cmocka_unit_test(test_stop_command_safe_within_one_tick),
                cmocka_unit_test(test_session_cap),
                cmocka_unit_test(test_roller_stall_detected),
                cmocka_unit_test(test_heater_sensor_open_massage_continues),
                cmocka_unit_test(test_start_refused_unoccupied),
                cmocka_unit_test(test_obstacle_blocks_recline),
                cmocka_unit_test(test_body_height_moves_l4),
                cmocka_unit_test(test_deterministic),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
