/* SPDX-License-Identifier: MIT */
/*
 * The output dead-man (lib/deadman.h, design C2): on its own, on the simulated
 * chair under the real control step, and in the linux backend's output thread
 * against a fake sysfs PWM tree (the heater's duty_cycle file is what the
 * hardware would see).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "config.h"
#include "deadman.h"
#include "errors.h"
#include "fake-sysfs.h"
#include "hal-linux.h"
#include "hal.h"
#include "testkit.h"

#define MS 1000000ULL
#define S 1000000000ULL

static struct chair_config *two_outputs(void) {
        struct chair_config *cfg = testkit_config();
        cfg->control.max_stall_ms = 50;
        cfg->hardware.outputs[CHAIR_ACT_HEATER].max_on_s = 2.0f;
        return cfg;
}

/* On for longer than max_on_s: cut, held safe while the step insists, re-armed
 * when the step lets go; the other outputs untouched. */
static void test_on_time_limit(void **state) {
        (void) state;
        struct chair_config *cfg = two_outputs();
        struct chair_deadman d;
        struct chair_outputs req, out;

        chair_deadman_init(&d, cfg);
        chair_outputs_safe(cfg, &req);
        req.v[CHAIR_ACT_HEATER] = 0.7f;
        req.v[CHAIR_ACT_KNEAD] = 0.5f;
        uint64_t t = 10 * S;
        uint32_t cut = 0;
        for (; t < 10 * S + 3 * S; t += 2 * MS) {
                cut |= chair_deadman_apply(&d, t, t, &req, &out);
                if (t < 10 * S + 2 * S - 2 * MS)
                        assert_float_equal(out.v[CHAIR_ACT_HEATER], 0.7f, 0);
        }
        assert_int_equal(cut, 1u << CHAIR_ACT_HEATER);        /* reported once */
        assert_float_equal(out.v[CHAIR_ACT_HEATER], 0.0f, 0);
        assert_float_equal(out.v[CHAIR_ACT_KNEAD], 0.5f, 0);   /* its own limit is the session's */
        assert_int_equal(d.on_time_trips, 1);

        /* The step lets go for one tick: re-armed, and on again from zero. */
        req.v[CHAIR_ACT_HEATER] = 0.0f;
        assert_int_equal(chair_deadman_apply(&d, t, t, &req, &out), 0);
        req.v[CHAIR_ACT_HEATER] = 0.4f;
        t += 2 * MS;
        assert_int_equal(chair_deadman_apply(&d, t, t, &req, &out), 0);
        assert_float_equal(out.v[CHAIR_ACT_HEATER], 0.4f, 0);

        /* NaN is not "resting": it counts as on (the backends turn it into safe). */
        req.v[CHAIR_ACT_PUMP] = NAN;
        uint32_t c2 = 0;
        for (uint64_t t2 = t; t2 < t + 61 * S; t2 += 100 * MS)
                c2 |= chair_deadman_apply(&d, t2, t2, &req, &out);
        assert_true(c2 & (1u << CHAIR_ACT_PUMP));
        chair_config_free(cfg);
}

/* Not fed for longer than max_stall_ms: every output safe, back when fed again. */
static void test_stale(void **state) {
        (void) state;
        struct chair_config *cfg = two_outputs();
        struct chair_deadman d;
        struct chair_outputs req, out;

        chair_deadman_init(&d, cfg);
        chair_outputs_safe(cfg, &req);
        req.v[CHAIR_ACT_CARRIAGE] = -0.8f;
        req.v[CHAIR_ACT_VALVE_SEAT] = 1.0f;
        uint64_t fed = 5 * S;
        chair_deadman_apply(&d, fed, fed, &req, &out);
        assert_float_equal(out.v[CHAIR_ACT_CARRIAGE], -0.8f, 0);
        /* 50 ms exactly is still fresh; 50 ms + 1 ns is not. */
        chair_deadman_apply(&d, fed + 50 * MS, fed, &req, &out);
        assert_false(d.stale);
        uint32_t newly = chair_deadman_apply(&d, fed + 50 * MS + 1, fed, &req, &out);
        assert_true(d.stale);
        assert_true(newly & (1u << CHAIR_ACT_CARRIAGE));
        assert_true(chair_outputs_all_safe(cfg, &out));
        assert_int_equal(d.stale_trips, 1);
        /* Still stale later: no second report. */
        assert_int_equal(chair_deadman_apply(&d, fed + S, fed, &req, &out), 0);
        /* Fed again: the step's values pass. */
        chair_deadman_apply(&d, fed + S, fed + S, &req, &out);
        assert_false(d.stale);
        assert_float_equal(out.v[CHAIR_ACT_CARRIAGE], -0.8f, 0);
        chair_config_free(cfg);
}

/* The defaults: a whole capped session plus a minute for what a program may
 * hold that long; a minute for the pump; twice the travel timeout for recline. */
static void test_defaults(void **state) {
        (void) state;
        struct chair_config *cfg = testkit_config();
        cfg->safety.max_session_min = 30;
        cfg->safety.travel_timeout_s = 30;
        assert_float_equal(chair_deadman_default_max_on_s(cfg, CHAIR_ACT_HEATER), 1860, 0);
        assert_float_equal(chair_deadman_default_max_on_s(cfg, CHAIR_ACT_KNEAD), 1860, 0);
        assert_float_equal(chair_deadman_default_max_on_s(cfg, CHAIR_ACT_PUMP), 60, 0);
        assert_float_equal(chair_deadman_default_max_on_s(cfg, CHAIR_ACT_BACKREST), 60, 0);
        struct chair_deadman d;
        cfg->hardware.outputs[CHAIR_ACT_PUMP].max_on_s = 5;
        chair_deadman_init(&d, cfg);
        assert_int_equal(d.max_on_ns[CHAIR_ACT_PUMP], 5 * S);
        assert_int_equal(d.max_on_ns[CHAIR_ACT_HEATER], 1860 * S);
        assert_int_equal(d.stall_ns, 50 * MS);
        chair_config_free(cfg);
}

static bool ended(const struct rig *r) {
        return r->sessions_ended > 0;
}

/* A session whose heater stays on longer than the heater's max_on_s, on the
 * simulated chair under the real control step: the plant's heater goes off,
 * output_timeout is raised and ends the session, every output safe. */
static void test_sim_session_cut(void **state) {
        (void) state;
        struct chair_config *cfg = testkit_config();
        cfg->hardware.outputs[CHAIR_ACT_HEATER].max_on_s = 5.0f;   /* warming up takes minutes */
        struct rig *r = rig_new(cfg);

        assert_int_equal(rig_start(r, "long"), CHAIR_OK);
        assert_true(rig_run_until(r, 120, ended));
        assert_true(r->faults_seen & (1u << CHAIR_FAULT_OUTPUT_TIMEOUT));
        assert_int_equal(r->last_end, CHAIR_END_FAULT);
        assert_true(chair_outputs_all_safe(r->cfg, &r->out));
        rig_free(r);
}

/* ---- the linux backend's output thread, against a fake sysfs PWM ---- */

static void sleep_ms(int ms) {
        struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
}

/* Poll a file until it reads want (the output thread is asynchronous); the
 * bound is generous on purpose: this asserts what happens, not how fast. */
static bool wait_file(const char *root, const char *rel, long want) {
        for (int i = 0; i < 5000; i++) {
                if (fs_read_long(root, rel) == want)
                        return true;
                sleep_ms(1);
        }
        return false;
}

static void linux_heater_config(struct chair_config *cfg, const char *root) {
        fs_config_init(cfg, root, root);
        fs_pwm_chip(root, 0, 1);
        fs_pwm_channel(root, 0, 0);
        cfg->control.max_stall_ms = 50;
        cfg->safety.max_session_min = 30;
        struct chair_output_config *h = &cfg->hardware.outputs[CHAIR_ACT_HEATER];
        h->present = true;
        h->pwm = (struct chair_pwm_binding) { .set = true, .chip = 0, .channel = 0, .period_ns = 50000, .max_duty = 1 };
}

/* The tick stops feeding: the heater's PWM goes to 0 by itself. */
static void test_linux_stall(void **state) {
        (void) state;
        char *root = fs_mkroot();
        struct chair_config cfg;
        struct chair_hal *h = NULL;
        struct chair_outputs out;

        linux_heater_config(&cfg, root);
        assert_int_equal(chair_hal_linux_new(&cfg, NULL, &h), 0);
        chair_outputs_safe(&cfg, &out);
        out.v[CHAIR_ACT_HEATER] = 0.5f;
        assert_int_equal(chair_hal_write(h, &out), 0);
        assert_int_equal(chair_hal_linux_settle(h, 5000), 0);
        /* Either it is still driven, or the machine was so slow that 50 ms passed
         * already; both are right.  What must follow is the cut. */
        long duty = fs_read_long(root, "pwm/pwmchip0/pwm0/duty_cycle");
        assert_true(duty == 25000 || duty == 0);
        /* ... no further write() for far longer than max_stall_ms: */
        assert_true(wait_file(root, "pwm/pwmchip0/pwm0/duty_cycle", 0));
        /* Stale cuts are the RT loop's to report (loop_overrun), not output_timeout. */
        assert_int_equal(chair_hal_take_cut(h), 0);
        /* Fed again, as a live tick does (every 2 ms): driven again. */
        bool driven = false;
        for (int i = 0; i < 2500 && !driven; i++) {
                assert_int_equal(chair_hal_write(h, &out), 0);
                sleep_ms(2);
                driven = fs_read_long(root, "pwm/pwmchip0/pwm0/duty_cycle") == 25000;
        }
        assert_true(driven);
        chair_hal_free(h);
        assert_int_equal(fs_read_long(root, "pwm/pwmchip0/pwm0/duty_cycle"), 0);
        fs_rmroot(root);
}

/* A step that keeps the heater on for ever, fed every 2 ms: cut after max_on_s
 * and reported through take_cut; the cut holds while the step insists. */
static void test_linux_on_time(void **state) {
        (void) state;
        char *root = fs_mkroot();
        struct chair_config cfg;
        struct chair_hal *h = NULL;
        struct chair_outputs out;

        linux_heater_config(&cfg, root);
        cfg.hardware.outputs[CHAIR_ACT_HEATER].max_on_s = 0.2f;
        cfg.control.max_stall_ms = 10000;   /* a slow machine must not make this a stall test */
        assert_int_equal(chair_hal_linux_new(&cfg, NULL, &h), 0);
        chair_outputs_safe(&cfg, &out);
        out.v[CHAIR_ACT_HEATER] = 0.8f;
        uint32_t cut = 0;
        bool seen_on = false;
        for (int i = 0; i < 2500 && !cut; i++) {
                assert_int_equal(chair_hal_write(h, &out), 0);
                seen_on |= fs_read_long(root, "pwm/pwmchip0/pwm0/duty_cycle") == 40000;
                sleep_ms(2);
                cut = chair_hal_take_cut(h);
        }
        assert_true(seen_on);
        assert_int_equal(cut, 1u << CHAIR_ACT_HEATER);
        assert_int_equal(chair_hal_write(h, &out), 0);
        assert_int_equal(chair_hal_linux_settle(h, 5000), 0);
        assert_int_equal(fs_read_long(root, "pwm/pwmchip0/pwm0/duty_cycle"), 0);
        /* The step lets go, then drives again: allowed again. */
        out.v[CHAIR_ACT_HEATER] = 0.0f;
        assert_int_equal(chair_hal_write(h, &out), 0);
        assert_int_equal(chair_hal_linux_settle(h, 5000), 0);
        out.v[CHAIR_ACT_HEATER] = 0.5f;
        assert_int_equal(chair_hal_write(h, &out), 0);
        assert_int_equal(chair_hal_linux_settle(h, 5000), 0);
        assert_int_equal(fs_read_long(root, "pwm/pwmchip0/pwm0/duty_cycle"), 25000);
        chair_hal_free(h);
        fs_rmroot(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_on_time_limit),
                cmocka_unit_test(test_stale),
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_sim_session_cut),
                cmocka_unit_test(test_linux_stall),
                cmocka_unit_test(test_linux_on_time),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
