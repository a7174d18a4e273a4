/* SPDX-License-Identifier: MIT */
/* Output shaping: the safe baseline taken from the config, the slew limits
 * (only where configured, never on switches), and that a stop is never slowed
 * down by a ramp. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "shaping.h"
#include "testkit.h"

static struct chair_seq_out idle_setpoints(void) {
        return (struct chair_seq_out) { .backrest = NAN, .legrest = NAN };
}

/* Every actuator's kind decides its range in the supervisor and the shaper. */
static void test_actuator_kinds(void **state) {
        static const struct {
                enum chair_actuator a;
                enum chair_act_kind kind;
        } want[] = {
                { CHAIR_ACT_CARRIAGE, CHAIR_ACT_KIND_BIDIR },
                { CHAIR_ACT_KNEAD, CHAIR_ACT_KIND_BIDIR },
                { CHAIR_ACT_TAP, CHAIR_ACT_KIND_DUTY },
                { CHAIR_ACT_DEPTH, CHAIR_ACT_KIND_BIDIR },
                { CHAIR_ACT_HEATER, CHAIR_ACT_KIND_DUTY },
                { CHAIR_ACT_PUMP, CHAIR_ACT_KIND_DUTY },
                { CHAIR_ACT_VALVE_LUMBAR_LEFT, CHAIR_ACT_KIND_SWITCH },
                { CHAIR_ACT_VALVE_LUMBAR_RIGHT, CHAIR_ACT_KIND_SWITCH },
                { CHAIR_ACT_VALVE_SEAT, CHAIR_ACT_KIND_SWITCH },
                { CHAIR_ACT_VALVE_CALVES, CHAIR_ACT_KIND_SWITCH },
                { CHAIR_ACT_BACKREST, CHAIR_ACT_KIND_BIDIR },
                { CHAIR_ACT_LEGREST, CHAIR_ACT_KIND_BIDIR },
        };
        assert_int_equal(sizeof(want) / sizeof(want[0]), _CHAIR_ACT_COUNT);
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
                assert_int_equal(chair_actuator_kind(want[i].a), want[i].kind);
        /* Out of range: the narrowest range that still moves, never -max..max. */
        assert_int_equal(chair_actuator_kind(_CHAIR_ACT_COUNT), CHAIR_ACT_KIND_DUTY);
        for (int b = 0; b < _CHAIR_BAG_COUNT; b++)
                assert_int_equal(chair_actuator_kind(chair_airbag_valve(b)), CHAIR_ACT_KIND_SWITCH);
}

/* A valve configured connected-when-safe shows in the baseline; absent parts are 0. */
static void test_safe_baseline_from_config(void **state) {
        struct chair_config *cfg = testkit_config();
        cfg->hardware.outputs[CHAIR_ACT_VALVE_SEAT].safe = 1.0f;
        cfg->hardware.outputs[CHAIR_ACT_TAP].present = false;
        struct chair_shaper sh;
        chair_shaper_init(&sh, cfg);

        struct chair_seq_out so = idle_setpoints();
        struct chair_inputs in = { .heater_c = 25, .heater_sensor = CHAIR_SENSOR_OK };
        struct chair_outputs out;
        for (int a = 0; a < _CHAIR_ACT_COUNT; a++)
                out.v[a] = 0.77f;       /* garbage the baseline must replace */
        chair_shaper_run(&sh, cfg, &so, &in, 0, 0.002, &out);
        for (int a = 0; a < _CHAIR_ACT_COUNT; a++) {
                float want = a == CHAIR_ACT_VALVE_SEAT ? 1.0f : 0.0f;
                assert_float_equal(out.v[a], want, 0);
        }
        chair_config_free(cfg);
}

/* Only the configured outputs are slewed, each by its own rate × dt; the
 * others and every switch pass at once. */
static void test_slew_only_where_configured(void **state) {
        struct chair_config *cfg = testkit_config();
        cfg->hardware.outputs[CHAIR_ACT_KNEAD].slew_per_s = 2.0f;
        cfg->hardware.outputs[CHAIR_ACT_CARRIAGE].slew_per_s = 10.0f;
        cfg->hardware.outputs[CHAIR_ACT_VALVE_CALVES].slew_per_s = 1.0f;   /* a switch: never slewed */
        struct chair_shaper sh;
        chair_shaper_init(&sh, cfg);
        assert_int_equal(sh.n_slew, 2);

        struct chair_outputs out = sh.safe;
        out.v[CHAIR_ACT_KNEAD] = -1.0f;
        out.v[CHAIR_ACT_CARRIAGE] = 1.0f;
        out.v[CHAIR_ACT_TAP] = 0.9f;
        out.v[CHAIR_ACT_VALVE_CALVES] = 1.0f;
        chair_shaper_slew(&sh, 0.01, &out);
        assert_float_equal(out.v[CHAIR_ACT_KNEAD], -0.02f, 1e-6);
        assert_float_equal(out.v[CHAIR_ACT_CARRIAGE], 0.1f, 1e-6);
        assert_float_equal(out.v[CHAIR_ACT_TAP], 0.9f, 0);
        assert_float_equal(out.v[CHAIR_ACT_VALVE_CALVES], 1.0f, 0);

        /* From the last committed value, not from zero. */
        chair_shaper_commit(&sh, &out);
        out.v[CHAIR_ACT_KNEAD] = 1.0f;
        chair_shaper_slew(&sh, 0.01, &out);
        assert_float_equal(out.v[CHAIR_ACT_KNEAD], 0.0f, 1e-6);
        chair_config_free(cfg);
}

/* With no slew configured (the shipped config) the limiter changes nothing. */
static void test_no_slew_is_identity(void **state) {
        struct chair_config *cfg = testkit_config();
        struct chair_shaper sh;
        chair_shaper_init(&sh, cfg);
        assert_int_equal(sh.n_slew, 0);
        struct chair_outputs out = sh.safe, before;
        out.v[CHAIR_ACT_KNEAD] = -1.0f;
        out.v[CHAIR_ACT_DEPTH] = 0.5f;
        before = out;
        chair_shaper_slew(&sh, 0.002, &out);
        assert_memory_equal(&out, &before, sizeof(out));
        chair_config_free(cfg);
}

/* A whole session with a slewed kneading motor: no tick moves it faster than
 * its rate, and the stop still reaches the safe values in the tick it came. */
static void test_session_slewed_but_stop_immediate(void **state) {
        struct chair_config *cfg = testkit_config();
        const float rate = 0.2f;   /* slower than the sequencer's own ramps */
        cfg->hardware.outputs[CHAIR_ACT_KNEAD].slew_per_s = rate;
        struct rig *r = rig_new(cfg);
        const double dt = (double) r->period_ns / 1e9;
        assert_int_equal(rig_start(r, "short"), CHAIR_OK);

        float prev = r->out.v[CHAIR_ACT_KNEAD], biggest = 0;
        bool kneaded = false;
        for (int i = 0; i < (int) (40 / dt); i++) {
                rig_tick(r, NULL, 0);
                float v = r->out.v[CHAIR_ACT_KNEAD];
                biggest = fmaxf(biggest, fabsf(v - prev));
                kneaded |= fabsf(v) > 0.2f;
                prev = v;
        }
        assert_true(kneaded);   /* the program did knead: the bound was exercised */
        assert_true(biggest <= rate * (float) dt * 1.001f);
        assert_true(biggest > 0);

        /* Stop while kneading: safe on that very tick, no ramp down. */
        for (int i = 0; i < (int) (60 / dt) && fabsf(r->out.v[CHAIR_ACT_KNEAD]) < 0.2f; i++)
                rig_tick(r, NULL, 0);
        assert_true(fabsf(r->out.v[CHAIR_ACT_KNEAD]) >= 0.2f);
        struct chair_cmd c;
        chair_cmd_init(&c, CHAIR_ACTION_STOP);
        assert_int_equal(rig_cmd(r, &c), CHAIR_OK);
        assert_true(r->st.all_safe);
        assert_float_equal(r->out.v[CHAIR_ACT_KNEAD], 0.0f, 0);
        rig_free(r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_actuator_kinds),
                cmocka_unit_test(test_safe_baseline_from_config),
                cmocka_unit_test(test_slew_only_where_configured),
                cmocka_unit_test(test_no_slew_is_identity),
                cmocka_unit_test(test_session_slewed_but_stop_immediate),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
