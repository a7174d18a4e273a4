/* SPDX-License-Identifier: MIT */
#include <errno.h>
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
#include "hal-backend.h"
#include "hal-sim.h"
#include "hal.h"
#include "iio.h"

#define MS 1000000ULL
#define S  1000000000ULL

/*
 * A sim config built in C: the loader's defaults, every part fitted, every
 * input wired.  The config owns strings, so a test releases it with
 * config_release() (chair_config_free() wants the heap struct).
 */
static void sim_config(struct chair_config *cfg) {
        struct chair_config *d = calloc(1, sizeof(*d));
        assert_non_null(d);
        chair_config_set_defaults(d);
        *cfg = *d;          /* cfg takes over the strings */
        free(d);
        for (int i = 0; i < _CHAIR_ACT_COUNT; i++) {
                cfg->hardware.outputs[i].present = true;
                cfg->hardware.outputs[i].max = 1;
                /* These tests drive the plant for hours to see its physics; the
                 * output dead-man (tests/test-deadman.c) stays out of the way. */
                cfg->hardware.outputs[i].max_on_s = 1e6f;
        }
        struct chair_input_config *in = &cfg->hardware.inputs;
        in->estop.set = in->occupancy.set = in->obstacle.set = true;
        in->encoder.set = in->carriage_home.set = in->carriage_end.set = true;
        in->backrest_min.set = in->backrest_max.set = in->legrest_min.set = in->legrest_max.set = true;
        in->heater_temp.set = in->depth_pos.set = in->backrest_pos.set = in->legrest_pos.set = true;
        for (int b = 0; b < _CHAIR_BAG_COUNT; b++)
                in->pressure[b].set = true;
}

struct rig {
        struct chair_config cfg;
        struct chair_hal *h;
        struct chair_outputs out;
        struct chair_inputs in;
        uint64_t t;
};

static void rig_start(struct rig *r) {
        assert_int_equal(chair_hal_new(&r->cfg, &r->h), 0);
        assert_true(chair_hal_is_sim(r->h));
        memset(&r->out, 0, sizeof(r->out));
        memset(&r->in, 0, sizeof(r->in));   /* padding too: the determinism test compares bytes */
        r->t = 1000 * S;   /* any origin: the first read only records it */
        assert_int_equal(chair_hal_read(r->h, r->t, &r->in), 0);
}

static void rig_init(struct rig *r) {
        sim_config(&r->cfg);
        rig_start(r);
}

static void config_release(struct chair_config *cfg) {
        struct chair_config *d = malloc(sizeof(*d));
        assert_non_null(d);
        *d = *cfg;
        chair_config_free(d);
        memset(cfg, 0, sizeof(*cfg));
}

static void rig_stop(struct rig *r) {
        r->h = chair_hal_free(r->h);
        assert_null(r->h);
        config_release(&r->cfg);
}

/* Write the outputs, then read every tick_ns for seconds of virtual time. */
static void run(struct rig *r, double seconds, uint64_t tick_ns) {
        uint64_t end = r->t + (uint64_t) (seconds * 1e9);
        assert_int_equal(chair_hal_write(r->h, &r->out), 0);
        while (r->t < end) {
                r->t += tick_ns;
                assert_int_equal(chair_hal_read(r->h, r->t, &r->in), 0);
        }
}

static struct chair_sim_truth truth(const struct rig *r) {
        struct chair_sim_truth t;
        chair_hal_sim_truth(r->h, &t);
        return t;
}

static void sim_apply(struct rig *r, struct chair_sim_change c) {
        assert_int_equal(chair_hal_sim_apply(r->h, &c), 0);
}

static void test_carriage_moves_and_stops(void **state) {
        struct rig r;
        rig_init(&r);
        const struct chair_geometry *g = &r.cfg.hardware.geometry;

        assert_true(r.in.carriage_home);
        assert_false(r.in.carriage_end);

        /* Half duty: cruising at half the full-duty speed after the lag. */
        r.out.v[CHAIR_ACT_CARRIAGE] = 0.5f;
        run(&r, 1.0, 2 * MS);
        struct chair_sim_truth t = truth(&r);
        assert_float_equal(t.carriage_mm_s, 0.5f * g->carriage_mm_s, 0.5);
        /* Lag makes it a little behind the ideal 60 mm, never ahead. */
        assert_true(t.carriage_mm < 0.5f * g->carriage_mm_s * 1.0f);
        assert_true(t.carriage_mm > 0.5f * g->carriage_mm_s * 0.85f);
        assert_false(r.in.carriage_home);
        assert_false(r.in.carriage_end);

        /* Full duty long enough to reach the far end: stops there, switch closes. */
        r.out.v[CHAIR_ACT_CARRIAGE] = 1.0f;
        run(&r, g->track_mm / g->carriage_mm_s + 2.0, 2 * MS);
        t = truth(&r);
        assert_float_equal(t.carriage_mm, g->track_mm, 1e-3);
        assert_float_equal(t.carriage_mm_s, 0.0f, 1e-6);
        assert_true(r.in.carriage_end);
        assert_false(r.in.carriage_home);

        /* And back to the seat end. */
        r.out.v[CHAIR_ACT_CARRIAGE] = -1.0f;
        run(&r, g->track_mm / g->carriage_mm_s + 2.0, 2 * MS);
        t = truth(&r);
        assert_float_equal(t.carriage_mm, 0.0f, 1e-3);
        assert_true(r.in.carriage_home);
        assert_false(r.in.carriage_end);

        /* Zero duty: the carriage coasts to a stop within a few time constants. */
        r.out.v[CHAIR_ACT_CARRIAGE] = 1.0f;
        run(&r, 1.0, 2 * MS);
        r.out.v[CHAIR_ACT_CARRIAGE] = 0.0f;
        run(&r, 0.5, 2 * MS);
        float stopped_at = truth(&r).carriage_mm;
        run(&r, 1.0, 2 * MS);
        assert_float_equal(truth(&r).carriage_mm, stopped_at, 1e-2);
        rig_stop(&r);
}

static void test_call_rate_independent(void **state) {
        /* Tick lengths finer than, equal to, between and far above the 1 ms
         * substep; 3 s is a whole number of each, so every run ends at the
         * same virtual time. */
        static const uint64_t ticks[] = { 1 * MS, MS / 4, 3 * MS / 2, 2 * MS, 10 * MS, 50 * MS, 300 * MS };
        float ref_mm = NAN, ref_c = NAN;

        for (size_t i = 0; i < sizeof(ticks) / sizeof(ticks[0]); i++) {
                struct rig r;
                rig_init(&r);
                r.out.v[CHAIR_ACT_CARRIAGE] = 0.8f;
                r.out.v[CHAIR_ACT_HEATER] = 1.0f;
                run(&r, 3.0, ticks[i]);
                struct chair_sim_truth t = truth(&r);
                if (i == 0) {
                        ref_mm = t.carriage_mm;
                        ref_c = t.heater_c;
                }
                assert_float_equal(t.carriage_mm, ref_mm, 0.5);
                assert_float_equal(t.heater_c, ref_c, 0.01);
                rig_stop(&r);
        }
}

static void test_encoder_pulses_per_mm(void **state) {
        struct rig r;
        rig_init(&r);
        const float mpp = r.cfg.hardware.geometry.mm_per_pulse;

        uint32_t p0 = r.in.encoder_pulses;
        r.out.v[CHAIR_ACT_CARRIAGE] = 1.0f;
        run(&r, 2.0, 1 * MS);
        r.out.v[CHAIR_ACT_CARRIAGE] = 0.0f;   /* let it coast to a stop: exact path */
        run(&r, 1.0, 1 * MS);
        float up = truth(&r).carriage_mm;
        uint32_t p1 = r.in.encoder_pulses;
        assert_in_range(p1 - p0, (uint32_t) floorf(up / mpp) - 1, (uint32_t) floorf(up / mpp) + 1);

        /* Coming back counts up too: single-channel encoder, no direction. */
        r.out.v[CHAIR_ACT_CARRIAGE] = -0.6f;
        run(&r, 1.5, 1 * MS);
        r.out.v[CHAIR_ACT_CARRIAGE] = 0.0f;
        run(&r, 1.0, 1 * MS);
        float down = up - truth(&r).carriage_mm;
        assert_true(down > 50.0f);
        uint32_t p2 = r.in.encoder_pulses;
        float travelled = up + down;
        assert_in_range(p2 - p0, (uint32_t) floorf(travelled / mpp) - 1, (uint32_t) floorf(travelled / mpp) + 1);
        assert_int_equal(truth(&r).encoder_pulses, p2);

        /* Idle: no pulses. */
        run(&r, 5.0, 10 * MS);
        assert_int_equal(r.in.encoder_pulses, p2);

        /* Finer encoder, more pulses for the same path. */
        rig_stop(&r);
        sim_config(&r.cfg);
        r.cfg.hardware.geometry.mm_per_pulse = 0.1f;
        rig_start(&r);
        r.out.v[CHAIR_ACT_CARRIAGE] = 1.0f;
        run(&r, 2.0, 1 * MS);
        float mm = truth(&r).carriage_mm;
        assert_in_range(r.in.encoder_pulses, (uint32_t) floorf(mm / 0.1f) - 1, (uint32_t) floorf(mm / 0.1f) + 1);
        rig_stop(&r);
}

static void test_stall(void **state) {
        struct rig r;
        rig_init(&r);

        r.out.v[CHAIR_ACT_CARRIAGE] = 1.0f;
        run(&r, 1.0, 2 * MS);
        float at = truth(&r).carriage_mm;
        uint32_t pulses = r.in.encoder_pulses;
        assert_true(at > 50.0f);

        sim_apply(&r, (struct chair_sim_change) { .key = CHAIR_SIM_STALL, .actuator = CHAIR_ACT_CARRIAGE });
        assert_int_equal(truth(&r).stalled, CHAIR_ACT_CARRIAGE);
        run(&r, 2.0, 2 * MS);
        assert_float_equal(truth(&r).carriage_mm, at, 1e-6);
        assert_int_equal(r.in.encoder_pulses, pulses);

        /* Knead and tap have no feedback, but the stall is accepted and shown. */
        sim_apply(&r, (struct chair_sim_change) { .key = CHAIR_SIM_STALL, .actuator = CHAIR_ACT_KNEAD });
        assert_int_equal(truth(&r).stalled, CHAIR_ACT_KNEAD);
        sim_apply(&r, (struct chair_sim_change) { .key = CHAIR_SIM_STALL, .actuator = CHAIR_ACT_TAP });
        assert_int_equal(truth(&r).stalled, CHAIR_ACT_TAP);

        /* Un-stalled, the carriage moves again. */
        sim_apply(&r, (struct chair_sim_change) { .key = CHAIR_SIM_STALL, .actuator = -1 });
        run(&r, 1.0, 2 * MS);
        assert_true(truth(&r).carriage_mm > at + 50.0f);
        assert_true(r.in.encoder_pulses > pulses + 100);

        /* A stalled recline motor holds. */
        sim_apply(&r, (struct chair_sim_change) { .key = CHAIR_SIM_STALL, .actuator = CHAIR_ACT_BACKREST });
        r.out.v[CHAIR_ACT_BACKREST] = 1.0f;
        run(&r, 2.0, 10 * MS);
        assert_float_equal(truth(&r).backrest, 0.0f, 1e-6);

        /* Out-of-range actuators are refused. */
        struct chair_sim_change bad = { .key = CHAIR_SIM_STALL, .actuator = _CHAIR_ACT_COUNT };
        assert_int_equal(chair_hal_sim_apply(r.h, &bad), -EINVAL);
        bad.actuator = -2;
        assert_int_equal(chair_hal_sim_apply(r.h, &bad), -EINVAL);
        rig_stop(&r);
}

/* Heater settles far above the limit at full duty, at the surroundings at 0. */
static void test_heater(void **state) {
        static const struct {
                bool occupied;
                float duty;
        } cases[] = {
                { true, 1.0f },
                { false, 1.0f },
                { true, 0.0f },
                { false, 0.0f },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct rig r;
                sim_config(&r.cfg);
                r.cfg.hardware.sim.occupied = cases[i].occupied;
                rig_start(&r);
                const struct chair_sim_config *sc = &r.cfg.hardware.sim;

                assert_float_equal(r.in.heater_c, sc->ambient_c, sc->sensor_noise_c + 1e-4);
                assert_int_equal(r.in.heater_sensor, CHAIR_SENSOR_OK);

                r.out.v[CHAIR_ACT_HEATER] = cases[i].duty;
                float max_seen = -INFINITY;
                for (int k = 0; k < 3600; k++) {
                        run(&r, 1.0, 20 * MS);
                        max_seen = fmaxf(max_seen, r.in.heater_c);
                }
                float t_true = truth(&r).heater_c;
                if (cases[i].duty > 0.0f) {
                        assert_true(r.in.heater_c > r.cfg.safety.heater_max_c + 2.0f);
                        assert_in_range((int) t_true, 45, 70);
                } else {
                        float env = cases[i].occupied ? 33.0f : sc->ambient_c;
                        assert_float_equal(t_true, env, 0.5);
                        assert_float_equal(r.in.heater_c, env, 0.5 + sc->sensor_noise_c);
                        assert_true(max_seen < 34.0f);
                }
                /* The reading is the truth plus bounded noise. */
                assert_float_equal(r.in.heater_c, t_true, sc->sensor_noise_c + 1e-4);
                rig_stop(&r);
        }
}

static void test_heater_rises_with_time_constant(void **state) {
        struct rig r;
        rig_init(&r);
        r.out.v[CHAIR_ACT_HEATER] = 1.0f;
        run(&r, 10.0, 10 * MS);
        float t10 = truth(&r).heater_c;
        run(&r, r.cfg.hardware.sim.heater_tau_s, 10 * MS);
        float t_tau = truth(&r).heater_c;
        assert_true(t10 > 22.5f && t10 < 30.0f);
        assert_true(t_tau > 35.0f && t_tau < 55.0f);
        rig_stop(&r);
}

static void test_heater_sensor_faults(void **state) {
        static const enum chair_sensor_status faults[] = { CHAIR_SENSOR_OPEN, CHAIR_SENSOR_SHORT };
        struct rig r;
        rig_init(&r);

        for (size_t i = 0; i < 2; i++) {
                sim_apply(&r, (struct chair_sim_change) { .key = CHAIR_SIM_HEATER_SENSOR, .sensor = faults[i] });
                run(&r, 0.1, 10 * MS);
                assert_true(isnan(r.in.heater_c));
                assert_int_equal(r.in.heater_sensor, faults[i]);
                assert_int_equal(truth(&r).heater_sensor, faults[i]);
                assert_false(isnan(truth(&r).heater_c));

                sim_apply(&r, (struct chair_sim_change) { .key = CHAIR_SIM_HEATER_SENSOR, .sensor = CHAIR_SENSOR_OK });
                run(&r, 0.1, 10 * MS);
                assert_false(isnan(r.in.heater_c));
                assert_int_equal(r.in.heater_sensor, CHAIR_SENSOR_OK);
        }

        struct chair_sim_change bad = { .key = CHAIR_SIM_HEATER_SENSOR, .sensor = CHAIR_SENSOR_ABSENT };
        assert_int_equal(chair_hal_sim_apply(r.h, &bad), -EINVAL);
        rig_stop(&r);
}

/* The raw ADC codes the sim reports convert back to the values it reports,
 * through the same conversions the linux backend applies (lib/iio.h). */
static void test_raw_codes(void **state) {
        struct rig r;
        rig_init(&r);
        const struct chair_input_config *ic = &r.cfg.hardware.inputs;

        r.out.v[CHAIR_ACT_DEPTH] = 1;
        r.out.v[CHAIR_ACT_BACKREST] = 1;
        r.out.v[CHAIR_ACT_HEATER] = 1;
        r.out.v[CHAIR_ACT_PUMP] = 1;
        r.out.v[CHAIR_ACT_VALVE_SEAT] = 1;
        run(&r, 3, 2 * MS);
        for (int a = 0; a < _CHAIR_AN_COUNT; a++)
                assert_true(r.in.raw[a] >= 0 && r.in.raw[a] <= 4095);
        double lsb_depth = (ic->depth_map.max - ic->depth_map.min) / (ic->depth_map.raw_max - ic->depth_map.raw_min);
        assert_float_equal(chair_linear_map(&ic->depth_map, r.in.raw[CHAIR_AN_DEPTH], true), r.in.depth, lsb_depth);
        assert_float_equal(chair_linear_map(&ic->backrest_map, r.in.raw[CHAIR_AN_BACKREST], true), r.in.backrest,
                           lsb_depth);
        double lsb_kpa = (ic->pressure_map.max - ic->pressure_map.min) / (ic->pressure_map.raw_max - ic->pressure_map.raw_min);
        assert_true(r.in.pressure_kpa[CHAIR_BAG_SEAT] > 5);
        assert_float_equal(chair_linear_map(&ic->pressure_map, r.in.raw[CHAIR_AN_PRESSURE + CHAIR_BAG_SEAT], false),
                           r.in.pressure_kpa[CHAIR_BAG_SEAT], lsb_kpa);
        float c = 0;
        double mv = r.in.raw[CHAIR_AN_HEATER] / 4095.0 * ic->ntc.vref_mv;
        assert_int_equal(chair_ntc_celsius(&ic->ntc, mv, &c), CHAIR_SENSOR_OK);
        assert_float_equal(c, r.in.heater_c, 0.3);

        /* An open sensor reads full scale, a shorted one zero. */
        sim_apply(&r, (struct chair_sim_change) { .key = CHAIR_SIM_HEATER_SENSOR, .sensor = CHAIR_SENSOR_OPEN });
        run(&r, 0.01, 2 * MS);
        assert_int_equal(r.in.raw[CHAIR_AN_HEATER], 4095);
        sim_apply(&r, (struct chair_sim_change) { .key = CHAIR_SIM_HEATER_SENSOR, .sensor = CHAIR_SENSOR_SHORT });
        run(&r, 0.01, 2 * MS);
        assert_int_equal(r.in.raw[CHAIR_AN_HEATER], 0);
        rig_stop(&r);

        /* A sensor the chair does not have has no code. */
        sim_config(&r.cfg);
        r.cfg.hardware.inputs.legrest_pos.set = false;
        r.cfg.hardware.inputs.pressure[CHAIR_BAG_CALVES].set = false;
        rig_start(&r);
        assert_int_equal(r.in.raw[CHAIR_AN_LEGREST], -1);
        assert_int_equal(r.in.raw[CHAIR_AN_PRESSURE + CHAIR_BAG_CALVES], -1);
        assert_true(r.in.raw[CHAIR_AN_DEPTH] >= 0);
        rig_stop(&r);
}

static void test_airbags(void **state) {
        struct rig r;
        rig_init(&r);
        const float rate = r.cfg.hardware.sim.pump_kpa_s;
        const float noise = r.cfg.hardware.sim.sensor_noise_c;

        /* Fill lumbar-left only, at full duty for 2 s. */
        r.out.v[CHAIR_ACT_PUMP] = 1.0f;
        r.out.v[CHAIR_ACT_VALVE_LUMBAR_LEFT] = 1.0f;
        run(&r, 2.0, 2 * MS);
        struct chair_sim_truth t = truth(&r);
        assert_float_equal(t.pressure_kpa[CHAIR_BAG_LUMBAR_LEFT], 2.0f * rate, 0.05);
        assert_float_equal(r.in.pressure_kpa[CHAIR_BAG_LUMBAR_LEFT], 2.0f * rate, 0.05 + noise);
        for (int b = CHAIR_BAG_LUMBAR_RIGHT; b < _CHAIR_BAG_COUNT; b++) {
                assert_float_equal(t.pressure_kpa[b], 0.0f, 1e-6);
                assert_true(r.in.pressure_kpa[b] >= 0.0f);
        }

        /* Half duty fills at half the rate. */
        r.out.v[CHAIR_ACT_PUMP] = 0.5f;
        run(&r, 1.0, 2 * MS);
        float full = truth(&r).pressure_kpa[CHAIR_BAG_LUMBAR_LEFT];
        assert_float_equal(full, 2.5f * rate, 0.05);

        /* Pump off, valve still connected: holds (only a slow leak). */
        r.out.v[CHAIR_ACT_PUMP] = 0.0f;
        run(&r, 5.0, 2 * MS);
        float held = truth(&r).pressure_kpa[CHAIR_BAG_LUMBAR_LEFT];
        assert_true(held < full);
        assert_true(held > 0.95f * full);

        /* Vent: falls toward 0 within a few half-second time constants. */
        r.out.v[CHAIR_ACT_VALVE_LUMBAR_LEFT] = 0.0f;
        run(&r, 0.5, 2 * MS);
        float one_tau = truth(&r).pressure_kpa[CHAIR_BAG_LUMBAR_LEFT];
        assert_float_equal(one_tau, held * expf(-1.0f), 0.05f * held);
        run(&r, 3.0, 2 * MS);
        assert_true(truth(&r).pressure_kpa[CHAIR_BAG_LUMBAR_LEFT] < 0.01f * held);

        /* A vented bag does not fill even with the pump on. */
        r.out.v[CHAIR_ACT_PUMP] = 1.0f;
        run(&r, 1.0, 2 * MS);
        assert_true(truth(&r).pressure_kpa[CHAIR_BAG_SEAT] < 1e-3f);
        rig_stop(&r);
}

static void test_recline_limits(void **state) {
        static const enum chair_actuator motors[] = { CHAIR_ACT_BACKREST, CHAIR_ACT_LEGREST };

        for (size_t i = 0; i < 2; i++) {
                struct rig r;
                rig_init(&r);
                const float stroke = r.cfg.hardware.geometry.recline_s;
                bool back = motors[i] == CHAIR_ACT_BACKREST;
#define POS() (back ? r.in.backrest : r.in.legrest)
#define MIN() (back ? r.in.backrest_min : r.in.legrest_min)
#define MAX() (back ? r.in.backrest_max : r.in.legrest_max)
                assert_float_equal(POS(), 0.0f, 1e-6);
                assert_true(MIN());
                assert_false(MAX());

                r.out.v[motors[i]] = 0.5f;
                run(&r, stroke / 2, 10 * MS);
                assert_float_equal(POS(), 0.25f, 1e-3);
                assert_false(MIN());
                assert_false(MAX());

                /* Beyond the stroke: clamped at 1, max switch closed. */
                r.out.v[motors[i]] = 1.0f;
                run(&r, stroke, 10 * MS);
                assert_float_equal(POS(), 1.0f, 1e-6);
                assert_true(MAX());
                assert_false(MIN());

                r.out.v[motors[i]] = -1.0f;
                run(&r, stroke * 1.5, 10 * MS);
                assert_float_equal(POS(), 0.0f, 1e-6);
                assert_true(MIN());
#undef POS
#undef MIN
#undef MAX
                rig_stop(&r);
        }
}

/* Drive a fixed script and record every input struct. */
static void script(uint64_t seed, struct chair_inputs *rec, size_t n) {
        struct rig r;
        sim_config(&r.cfg);
        r.cfg.hardware.sim.seed = seed;
        rig_start(&r);
        for (size_t i = 0; i < n; i++) {
                r.out.v[CHAIR_ACT_CARRIAGE] = (float) sin((double) i * 0.01);
                r.out.v[CHAIR_ACT_HEATER] = (i / 200) % 2 ? 1.0f : 0.0f;
                r.out.v[CHAIR_ACT_PUMP] = 0.7f;
                r.out.v[CHAIR_ACT_VALVE_SEAT] = (i / 300) % 2 ? 1.0f : 0.0f;
                r.out.v[CHAIR_ACT_DEPTH] = 0.3f;
                if (i == n / 2)
                        sim_apply(&r, (struct chair_sim_change) { .key = CHAIR_SIM_BODY_HEIGHT_CM, .f = 150 });
                run(&r, 0.002, 2 * MS);
                rec[i] = r.in;
        }
        rig_stop(&r);
}

static void test_determinism(void **state) {
        enum { N = 2000 };
        struct chair_inputs *a = calloc(N, sizeof(*a));
        struct chair_inputs *b = calloc(N, sizeof(*b));
        struct chair_inputs *c = calloc(N, sizeof(*c));
        assert_non_null(a);
        assert_non_null(b);
        assert_non_null(c);

        script(42, a, N);
        script(42, b, N);
        script(43, c, N);

        size_t heater_diff = 0;
        for (size_t i = 0; i < N; i++) {
                assert_memory_equal(&a[i], &b[i], sizeof(a[i]));
                if (a[i].heater_c != c[i].heater_c)
                        heater_diff++;
                /* The plant itself does not depend on the seed, only the noise. */
                assert_int_equal(a[i].encoder_pulses, c[i].encoder_pulses);
        }
        assert_true(heater_diff > N / 2);
        free(a);
        free(b);
        free(c);
}

/* The back blocks the rollers below the shoulder line only. */
static void test_depth_shoulder_line(void **state) {
        struct rig r;
        sim_config(&r.cfg);
        const struct chair_geometry geo = r.cfg.hardware.geometry;
        const struct chair_geometry *g = &geo;
        config_release(&r.cfg);
        float s150 = chair_body_shoulder_for_height(g, 150);
        float s195 = chair_body_shoulder_for_height(g, 195);
        float probe = (s150 + s195) / 2;
        assert_true(s150 < probe && probe < s195 && s195 < g->track_mm);

        static const struct {
                float height;
                bool occupied;
                bool blocked;
        } cases[] = {
                { 150, true, false },   /* rollers above a short person's shoulders */
                { 195, true, true },    /* still on a tall person's back */
                { 195, false, false },  /* nobody in the chair */
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                sim_config(&r.cfg);
                r.cfg.hardware.sim.body_height_cm = cases[i].height;
                r.cfg.hardware.sim.occupied = cases[i].occupied;
                rig_start(&r);
                assert_float_equal(truth(&r).shoulder_mm, chair_body_shoulder_for_height(g, cases[i].height), 1e-3);

                /* Carriage to the probe position (rollers retracted). */
                r.out.v[CHAIR_ACT_CARRIAGE] = 1.0f;
                while (truth(&r).carriage_mm < probe)
                        run(&r, 0.001, 1 * MS);
                r.out.v[CHAIR_ACT_CARRIAGE] = 0.0f;
                run(&r, 0.5, 1 * MS);

                r.out.v[CHAIR_ACT_DEPTH] = 1.0f;
                run(&r, 4.0, 2 * MS);
                if (cases[i].blocked) {
                        assert_true(r.in.depth > 0.3f);
                        assert_true(r.in.depth < 0.45f);
                } else {
                        assert_float_equal(r.in.depth, 1.0f, 1e-6);
                }

                /* Retracting works either way. */
                r.out.v[CHAIR_ACT_DEPTH] = -1.0f;
                run(&r, 4.0, 2 * MS);
                assert_float_equal(r.in.depth, 0.0f, 1e-6);
                rig_stop(&r);
        }

        /* Changing the body height moves the line: the 150 cm chair, rollers out
         * above the shoulders, becomes a 195 cm one and the back pushes them in. */
        sim_config(&r.cfg);
        r.cfg.hardware.sim.body_height_cm = 150;
        rig_start(&r);
        r.out.v[CHAIR_ACT_CARRIAGE] = 1.0f;
        while (truth(&r).carriage_mm < probe)
                run(&r, 0.001, 1 * MS);
        r.out.v[CHAIR_ACT_CARRIAGE] = 0.0f;
        r.out.v[CHAIR_ACT_DEPTH] = 0.5f;
        run(&r, 4.0, 2 * MS);
        assert_float_equal(r.in.depth, 1.0f, 1e-6);
        sim_apply(&r, (struct chair_sim_change) { .key = CHAIR_SIM_BODY_HEIGHT_CM, .f = 195 });
        run(&r, 0.01, 2 * MS);
        assert_true(r.in.depth < 0.45f);

        struct chair_sim_change bad = { .key = CHAIR_SIM_BODY_HEIGHT_CM, .f = 99 };
        assert_int_equal(chair_hal_sim_apply(r.h, &bad), -EINVAL);
        bad.f = NAN;
        assert_int_equal(chair_hal_sim_apply(r.h, &bad), -EINVAL);
        rig_stop(&r);
}

static void test_inputs_and_absent_parts(void **state) {
        struct rig r;
        rig_init(&r);

        assert_false(r.in.estop);
        assert_true(r.in.occupied);
        assert_false(r.in.obstacle);
        sim_apply(&r, (struct chair_sim_change) { .key = CHAIR_SIM_ESTOP, .b = true });
        sim_apply(&r, (struct chair_sim_change) { .key = CHAIR_SIM_OCCUPIED, .b = false });
        sim_apply(&r, (struct chair_sim_change) { .key = CHAIR_SIM_OBSTACLE, .b = true });
        run(&r, 0.01, 10 * MS);
        assert_true(r.in.estop);
        assert_false(r.in.occupied);
        assert_true(r.in.obstacle);
        rig_stop(&r);

        /* Config defaults for the conditions. */
        sim_config(&r.cfg);
        r.cfg.hardware.sim.estop = true;
        r.cfg.hardware.sim.occupied = false;
        r.cfg.hardware.sim.obstacle = true;
        rig_start(&r);
        assert_true(r.in.estop);
        assert_false(r.in.occupied);
        assert_true(r.in.obstacle);
        rig_stop(&r);

        /* A chair without those inputs and without a heater sensor. */
        sim_config(&r.cfg);
        r.cfg.hardware.sim.estop = true;
        r.cfg.hardware.sim.occupied = false;
        r.cfg.hardware.sim.obstacle = true;
        r.cfg.hardware.inputs.estop.set = false;
        r.cfg.hardware.inputs.occupancy.set = false;
        r.cfg.hardware.inputs.obstacle.set = false;
        r.cfg.hardware.inputs.heater_temp.set = false;
        rig_start(&r);
        assert_false(r.in.estop);
        assert_true(r.in.occupied);
        assert_false(r.in.obstacle);
        assert_int_equal(r.in.heater_sensor, CHAIR_SENSOR_ABSENT);
        assert_true(isnan(r.in.heater_c));
        assert_true(truth(&r).estop);
        assert_false(truth(&r).occupied);
        rig_stop(&r);

        /* Parts the chair lacks do nothing, whatever is written. */
        sim_config(&r.cfg);
        r.cfg.hardware.outputs[CHAIR_ACT_CARRIAGE].present = false;
        r.cfg.hardware.outputs[CHAIR_ACT_HEATER].present = false;
        r.cfg.hardware.outputs[CHAIR_ACT_PUMP].present = false;
        r.cfg.hardware.outputs[CHAIR_ACT_BACKREST].present = false;
        rig_start(&r);
        r.out.v[CHAIR_ACT_CARRIAGE] = 1.0f;
        r.out.v[CHAIR_ACT_HEATER] = 1.0f;
        r.out.v[CHAIR_ACT_PUMP] = 1.0f;
        r.out.v[CHAIR_ACT_VALVE_SEAT] = 1.0f;
        r.out.v[CHAIR_ACT_BACKREST] = 1.0f;
        r.out.v[CHAIR_ACT_LEGREST] = 1.0f;
        run(&r, 5.0, 10 * MS);
        struct chair_sim_truth t = truth(&r);
        assert_float_equal(t.carriage_mm, 0.0f, 1e-6);
        assert_int_equal(t.encoder_pulses, 0);
        assert_true(t.heater_c < r.cfg.hardware.sim.ambient_c + 1.0f);
        assert_float_equal(t.pressure_kpa[CHAIR_BAG_SEAT], 0.0f, 1e-6);
        assert_float_equal(t.backrest, 0.0f, 1e-6);
        assert_true(t.legrest > 0.2f);   /* the legrest is there */
        rig_stop(&r);
}

static void test_write_and_safe(void **state) {
        struct rig r;
        sim_config(&r.cfg);
        r.cfg.hardware.outputs[CHAIR_ACT_VALVE_CALVES].safe = 1.0f;   /* a valve safe "connected" */
        rig_start(&r);

        /* Out-of-range and NaN values are clamped, not integrated. */
        r.out.v[CHAIR_ACT_CARRIAGE] = 7.0f;
        r.out.v[CHAIR_ACT_DEPTH] = NAN;
        run(&r, 1.0, 2 * MS);
        assert_float_equal(truth(&r).carriage_mm_s, r.cfg.hardware.geometry.carriage_mm_s, 0.5);
        assert_float_equal(r.in.depth, 0.0f, 1e-6);

        /* safe(): every output at its safe value; the plant stops. */
        r.out.v[CHAIR_ACT_PUMP] = 1.0f;
        r.out.v[CHAIR_ACT_VALVE_SEAT] = 1.0f;
        run(&r, 1.0, 2 * MS);
        assert_true(truth(&r).pressure_kpa[CHAIR_BAG_SEAT] > 5.0f);
        assert_int_equal(chair_hal_safe(r.h), 0);
        float seat = truth(&r).pressure_kpa[CHAIR_BAG_SEAT];
        for (int i = 0; i < 1000; i++) {
                r.t += 2 * MS;
                assert_int_equal(chair_hal_read(r.h, r.t, &r.in), 0);
        }
        struct chair_sim_truth t = truth(&r);
        assert_float_equal(t.carriage_mm_s, 0.0f, 1e-2);
        assert_true(t.pressure_kpa[CHAIR_BAG_SEAT] < 0.2f * seat);

        /* Time going backwards only reads. */
        float mm = t.carriage_mm;
        assert_int_equal(chair_hal_read(r.h, r.t - 5 * S, &r.in), 0);
        assert_float_equal(truth(&r).carriage_mm, mm, 1e-6);
        rig_stop(&r);

        assert_false(chair_hal_is_sim(NULL));
        assert_null(chair_hal_free(NULL));
}

/* The injected faults (issue 17) act on the plant as a technician would expect. */
static void test_injected_faults(void **state) {
        (void) state;
        struct rig r;
        rig_init(&r);

        /* overpressure: the bag jumps to the pump's relief pressure at once */
        sim_apply(&r, (struct chair_sim_change) { .key = CHAIR_SIM_OVERPRESSURE, .bag = CHAIR_BAG_SEAT });
        run(&r, 0.002, 1 * MS);
        assert_true(r.in.pressure_kpa[CHAIR_BAG_SEAT] > 75.0f);
        assert_true(r.in.pressure_kpa[CHAIR_BAG_CALVES] < 5.0f);
        struct chair_sim_change bad = { .key = CHAIR_SIM_OVERPRESSURE, .bag = _CHAIR_BAG_COUNT };
        assert_int_equal(chair_hal_sim_apply(r.h, &bad), -EINVAL);

        /* encoder noise: edges with the carriage standing still */
        uint32_t p0 = r.in.encoder_pulses;
        sim_apply(&r, (struct chair_sim_change) { .key = CHAIR_SIM_ENCODER_NOISE, .f = 100.0f });
        run(&r, 1.0, 1 * MS);
        assert_in_range(r.in.encoder_pulses - p0, 99, 101);
        assert_float_equal(truth(&r).carriage_mm, 0.0f, 1e-6);
        sim_apply(&r, (struct chair_sim_change) { .key = CHAIR_SIM_ENCODER_NOISE, .f = 0.0f });
        p0 = r.in.encoder_pulses;
        run(&r, 1.0, 1 * MS);
        assert_int_equal(r.in.encoder_pulses, p0);

        /* a broken home switch: at 0 mm and still open */
        assert_true(r.in.carriage_home);
        sim_apply(&r, (struct chair_sim_change) { .key = CHAIR_SIM_HOME_SWITCH, .b = false });
        run(&r, 0.01, 1 * MS);
        assert_false(r.in.carriage_home);
        sim_apply(&r, (struct chair_sim_change) { .key = CHAIR_SIM_HOME_SWITCH, .b = true });
        run(&r, 0.01, 1 * MS);
        assert_true(r.in.carriage_home);

        /* an overheated pad: the truth jumps, then follows the model */
        sim_apply(&r, (struct chair_sim_change) { .key = CHAIR_SIM_HEATER_C, .f = 55.0f });
        run(&r, 0.002, 1 * MS);
        assert_float_equal(r.in.heater_c, 55.0f, 0.5f);
        run(&r, 60, 10 * MS);
        assert_true(truth(&r).heater_c < 55.0f);

        /* a worn carriage drive: a tenth of the speed */
        sim_apply(&r, (struct chair_sim_change) { .key = CHAIR_SIM_CARRIAGE_SPEED, .f = 0.1f });
        r.out.v[CHAIR_ACT_CARRIAGE] = 1.0f;
        run(&r, 10, 1 * MS);
        float expect = 0.1f * r.cfg.hardware.geometry.carriage_mm_s * 10.0f;
        assert_float_equal(truth(&r).carriage_mm, expect, expect * 0.05f);
        bad = (struct chair_sim_change) { .key = CHAIR_SIM_CARRIAGE_SPEED, .f = 0.0f };
        assert_int_equal(chair_hal_sim_apply(r.h, &bad), -EINVAL);
        rig_stop(&r);
}

static void test_key_names(void **state) {
        static const char *const names[_CHAIR_SIM_KEY_COUNT] = {
                "estop", "occupied", "obstacle", "heater_sensor", "stall", "body_height_cm",
                "overpressure", "encoder_noise", "home_switch", "heater_c", "carriage_speed",
        };
        for (int k = 0; k < _CHAIR_SIM_KEY_COUNT; k++)
                assert_string_equal(chair_sim_key_name((enum chair_sim_key) k), names[k]);
        assert_null(chair_sim_key_name(_CHAIR_SIM_KEY_COUNT));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_carriage_moves_and_stops),
                cmocka_unit_test(test_call_rate_independent),
                cmocka_unit_test(test_encoder_pulses_per_mm),
                cmocka_unit_test(test_stall),
                cmocka_unit_test(test_heater),
                cmocka_unit_test(test_heater_rises_with_time_constant),
                cmocka_unit_test(test_heater_sensor_faults),
                cmocka_unit_test(test_raw_codes),
                cmocka_unit_test(test_airbags),
                cmocka_unit_test(test_recline_limits),
                cmocka_unit_test(test_determinism),
                cmocka_unit_test(test_depth_shoulder_line),
                cmocka_unit_test(test_inputs_and_absent_parts),
                cmocka_unit_test(test_write_and_safe),
                cmocka_unit_test(test_injected_faults),
                cmocka_unit_test(test_key_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
