/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "hal-sim.h"
#include "hal.h"
#include "inject.h"

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

static void test_inject_valid(void **state) {
        static const struct {
                const char *spec;
                double at_s;
                enum chair_sim_key key;
                int ival;          /* b, sensor or actuator */
                float f;
        } cases[] = {
                { "0:estop=1", 0, CHAIR_SIM_ESTOP, 1, 0 },
                { "12.5:estop=0", 12.5, CHAIR_SIM_ESTOP, 0, 0 },
                { "3:estop=true", 3, CHAIR_SIM_ESTOP, 1, 0 },
                { "4:occupied=false", 4, CHAIR_SIM_OCCUPIED, 0, 0 },
                { "4:occupied=1", 4, CHAIR_SIM_OCCUPIED, 1, 0 },
                { "1e2:obstacle=1", 100, CHAIR_SIM_OBSTACLE, 1, 0 },
                { "7:heater_sensor=open", 7, CHAIR_SIM_HEATER_SENSOR, CHAIR_SENSOR_OPEN, 0 },
                { "7:heater_sensor=short", 7, CHAIR_SIM_HEATER_SENSOR, CHAIR_SENSOR_SHORT, 0 },
                { "8:heater_sensor=ok", 8, CHAIR_SIM_HEATER_SENSOR, CHAIR_SENSOR_OK, 0 },
                { "9:stall=carriage", 9, CHAIR_SIM_STALL, CHAIR_ACT_CARRIAGE, 0 },
                { "9:stall=valve-seat", 9, CHAIR_SIM_STALL, CHAIR_ACT_VALVE_SEAT, 0 },
                { "10:stall=none", 10, CHAIR_SIM_STALL, -1, 0 },
                { "0.25:body_height_cm=160", 0.25, CHAIR_SIM_BODY_HEIGHT_CM, 0, 160 },
                { "0:body_height_cm=100", 0, CHAIR_SIM_BODY_HEIGHT_CM, 0, 100 },
                { "0:body_height_cm=229.5", 0, CHAIR_SIM_BODY_HEIGHT_CM, 0, 229.5f },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct chair_inject inj;
                char err[256] = "";
                memset(&inj, 0x5a, sizeof(inj));
                int r = chair_inject_parse(cases[i].spec, &inj, err, sizeof(err));
                if (r != 0)
                        fail_msg("%s: %d %s", cases[i].spec, r, err);
                assert_false(inj.is_command);
                assert_null(inj.command);
                assert_true(inj.at_s == cases[i].at_s);
                assert_int_equal(inj.change.key, cases[i].key);
                switch (cases[i].key) {
                case CHAIR_SIM_ESTOP:
                case CHAIR_SIM_OCCUPIED:
                case CHAIR_SIM_OBSTACLE:
                        assert_int_equal(inj.change.b, cases[i].ival);
                        break;
                case CHAIR_SIM_HEATER_SENSOR:
                        assert_int_equal(inj.change.sensor, cases[i].ival);
                        break;
                case CHAIR_SIM_STALL:
                        assert_int_equal(inj.change.actuator, cases[i].ival);
                        break;
                default:
                        assert_float_equal(inj.change.f, cases[i].f, 1e-6);
                        break;
                }
                chair_inject_clear(&inj);
        }
}

static void test_inject_command(void **state) {
        static const struct {
                const char *spec;
                double at_s;
                const char *command;
        } cases[] = {
                { "30:command={\"action\":\"set\",\"intensity\":5}", 30, "{\"action\":\"set\",\"intensity\":5}" },
                { "1.5:command={\"action\":\"stop\"}", 1.5, "{\"action\":\"stop\"}" },
                /* ':' and '=' inside the JSON belong to the JSON. */
                { "2:command={\"action\":\"start\",\"program\":\"a=b:c\"}", 2,
                  "{\"action\":\"start\",\"program\":\"a=b:c\"}" },
                { "0:command= {\"action\":\"stop\"} ", 0, " {\"action\":\"stop\"} " },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct chair_inject inj;
                char err[256] = "";
                int r = chair_inject_parse(cases[i].spec, &inj, err, sizeof(err));
                if (r != 0)
                        fail_msg("%s: %d %s", cases[i].spec, r, err);
                assert_true(inj.is_command);
                assert_true(inj.at_s == cases[i].at_s);
                assert_string_equal(inj.command, cases[i].command);
                chair_inject_clear(&inj);
                assert_null(inj.command);
                chair_inject_clear(&inj);   /* twice is harmless */
        }
        chair_inject_clear(NULL);
}

static void test_inject_invalid(void **state) {
        static const struct {
                const char *spec;
                const char *reason;   /* a word the one-line reason must contain */
        } cases[] = {
                { "", "AT:KEY=VALUE" },
                { "estop=1", "AT:KEY=VALUE" },
                { "5:estop", "AT:KEY=VALUE" },
                { ":estop=1", "time" },
                { "x:estop=1", "time" },
                { "-1:estop=1", "time" },
                { "nan:estop=1", "time" },
                { "inf:estop=1", "time" },
                { "5s:estop=1", "time" },
                { " 5:estop=1", "time" },
                { "5:=1", "empty key" },
                { "5:bogus=1", "unknown key" },
                { "5:ESTOP=1", "unknown key" },
                { "5:a_very_long_key_name_that_is_not_a_key=1", "unknown key" },
                { "5:estop=2", "not 0 or 1" },
                { "5:estop=", "not 0 or 1" },
                { "5:estop=yes", "not 0 or 1" },
                { "5:occupied=1 ", "not 0 or 1" },
                { "5:heater_sensor=broken", "ok, open or short" },
                { "5:heater_sensor=OPEN", "ok, open or short" },
                { "5:stall=wheel", "actuator" },
                { "5:stall=", "actuator" },
                { "5:body_height_cm=99", "out of range" },
                { "5:body_height_cm=231", "out of range" },
                { "5:body_height_cm=tall", "not a number" },
                { "5:body_height_cm=170cm", "not a number" },
                { "5:body_height_cm=nan", "out of range" },
                { "5:command=", "JSON" },
                { "5:command={\"action\":", "JSON" },
                { "5:command=[1,2]", "object" },
                { "5:command=\"stop\"", "object" },
                { "5:command={} {}", "trailing" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct chair_inject inj = { .at_s = -7 };
                char err[256] = "";
                int r = chair_inject_parse(cases[i].spec, &inj, err, sizeof(err));
                if (r != -EINVAL)
                        fail_msg("'%s': expected -EINVAL, got %d", cases[i].spec, r);
                if (!strstr(err, cases[i].reason))
                        fail_msg("'%s': reason '%s' lacks '%s'", cases[i].spec, err, cases[i].reason);
                assert_null(strchr(err, '\n'));
                /* Nothing partial: the output is untouched. */
                assert_true(inj.at_s == -7);
                assert_null(inj.command);
        }

        /* A NULL or zero-sized error buffer is fine. */
        struct chair_inject inj;
        assert_int_equal(chair_inject_parse("x", &inj, NULL, 0), -EINVAL);
        char one[1] = { 'z' };
        assert_int_equal(chair_inject_parse("x", &inj, one, 0), -EINVAL);
        assert_int_equal(one[0], 'z');
        char small[8];
        assert_int_equal(chair_inject_parse("5:bogus=1", &inj, small, sizeof(small)), -EINVAL);
        assert_int_equal(strlen(small), sizeof(small) - 1);
}

static void test_change_parse(void **state) {
        struct chair_sim_change c;
        char err[128];

        assert_int_equal(chair_sim_change_parse("stall", "depth", &c, err, sizeof(err)), 0);
        assert_int_equal(c.key, CHAIR_SIM_STALL);
        assert_int_equal(c.actuator, CHAIR_ACT_DEPTH);
        assert_int_equal(chair_sim_change_parse("obstacle", "true", &c, err, sizeof(err)), 0);
        assert_int_equal(c.key, CHAIR_SIM_OBSTACLE);
        assert_true(c.b);
        /* command is --inject only, not a plant change. */
        assert_int_equal(chair_sim_change_parse("command", "{}", &c, err, sizeof(err)), -EINVAL);
        assert_int_equal(chair_sim_change_parse(NULL, "1", &c, err, sizeof(err)), -EINVAL);
}

struct expect_change {
        enum chair_sim_key key;
        int ival;
        float f;
};

static void test_json_valid(void **state) {
        static const struct {
                const char *json;
                int n;
                struct expect_change c[6];
        } cases[] = {
                { "{}", 0, { { 0 } } },
                { " { } \n", 0, { { 0 } } },
                { "{\"estop\":true}", 1, { { CHAIR_SIM_ESTOP, 1, 0 } } },
                { "{\"estop\":0}", 1, { { CHAIR_SIM_ESTOP, 0, 0 } } },
                { "{\"occupied\":false,\"obstacle\":1}", 2,
                  { { CHAIR_SIM_OCCUPIED, 0, 0 }, { CHAIR_SIM_OBSTACLE, 1, 0 } } },
                { "{\"heater_sensor\":\"short\"}", 1, { { CHAIR_SIM_HEATER_SENSOR, CHAIR_SENSOR_SHORT, 0 } } },
                { "{\"stall\":\"legrest\"}", 1, { { CHAIR_SIM_STALL, CHAIR_ACT_LEGREST, 0 } } },
                { "{\"stall\":\"none\"}", 1, { { CHAIR_SIM_STALL, -1, 0 } } },
                { "{\"body_height_cm\":160}", 1, { { CHAIR_SIM_BODY_HEIGHT_CM, 0, 160 } } },
                { "{\"body_height_cm\":187.5}", 1, { { CHAIR_SIM_BODY_HEIGHT_CM, 0, 187.5f } } },
                { "{\"estop\":true,\"occupied\":true,\"obstacle\":false,\"heater_sensor\":\"open\","
                  "\"stall\":\"tap\",\"body_height_cm\":150}", 6,
                  { { CHAIR_SIM_ESTOP, 1, 0 }, { CHAIR_SIM_OCCUPIED, 1, 0 }, { CHAIR_SIM_OBSTACLE, 0, 0 },
                    { CHAIR_SIM_HEATER_SENSOR, CHAIR_SENSOR_OPEN, 0 }, { CHAIR_SIM_STALL, CHAIR_ACT_TAP, 0 },
                    { CHAIR_SIM_BODY_HEIGHT_CM, 0, 150 } } },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct chair_sim_change ch[_CHAIR_SIM_KEY_COUNT];
                char err[256] = "";
                int r = chair_sim_set_parse_json(cases[i].json, strlen(cases[i].json), ch, ELEMENTSOF(ch),
                                                 err, sizeof(err));
                if (r != cases[i].n)
                        fail_msg("%s: got %d (%s)", cases[i].json, r, err);
                for (int k = 0; k < r; k++) {
                        const struct expect_change *e = &cases[i].c[k];
                        assert_int_equal(ch[k].key, e->key);
                        switch (e->key) {
                        case CHAIR_SIM_ESTOP:
                        case CHAIR_SIM_OCCUPIED:
                        case CHAIR_SIM_OBSTACLE:
                                assert_int_equal(ch[k].b, e->ival);
                                break;
                        case CHAIR_SIM_HEATER_SENSOR:
                                assert_int_equal(ch[k].sensor, e->ival);
                                break;
                        case CHAIR_SIM_STALL:
                                assert_int_equal(ch[k].actuator, e->ival);
                                break;
                        default:
                                assert_float_equal(ch[k].f, e->f, 1e-6);
                                break;
                        }
                }
        }

        /* len bounds the text: a longer buffer's tail is not read. */
        const char *s = "{\"estop\":1}GARBAGE";
        struct chair_sim_change one;
        assert_int_equal(chair_sim_set_parse_json(s, strlen("{\"estop\":1}"), &one, 1, NULL, 0), 1);
        assert_true(one.b);
}

static void test_json_invalid(void **state) {
        static const struct {
                const char *json;
                size_t max;
                const char *reason;
        } cases[] = {
                { "", 6, "JSON" },
                { "{", 6, "JSON" },
                { "{\"estop\":}", 6, "JSON" },
                { "[]", 6, "object" },
                { "true", 6, "object" },
                { "{} x", 6, "trailing" },
                { "{\"bogus\":1}", 6, "unknown key 'bogus'" },
                { "{\"command\":{\"action\":\"stop\"}}", 6, "unknown key 'command'" },
                { "{\"estop\":2}", 6, "not 0 or 1" },
                { "{\"estop\":\"1\"}", 6, "estop: expected" },
                { "{\"estop\":1.0}", 6, "estop: expected" },
                { "{\"estop\":null}", 6, "estop: expected" },
                { "{\"occupied\":-1}", 6, "not 0 or 1" },
                { "{\"heater_sensor\":1}", 6, "heater_sensor: expected a string" },
                { "{\"heater_sensor\":\"melted\"}", 6, "ok, open or short" },
                { "{\"stall\":true}", 6, "stall: expected a string" },
                { "{\"stall\":\"wheel\"}", 6, "actuator" },
                { "{\"body_height_cm\":\"160\"}", 6, "body_height_cm: expected a number" },
                { "{\"body_height_cm\":50}", 6, "out of range" },
                { "{\"body_height_cm\":1e9}", 6, "out of range" },
                /* A bad key after good ones: nothing partial. */
                { "{\"estop\":true,\"occupied\":false,\"bogus\":1}", 6, "unknown key" },
                { "{\"estop\":true,\"occupied\":false}", 1, "too many keys" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct chair_sim_change ch[_CHAIR_SIM_KEY_COUNT];
                char err[256] = "";
                memset(ch, 0x5a, sizeof(ch));
                int r = chair_sim_set_parse_json(cases[i].json, strlen(cases[i].json), ch, cases[i].max,
                                                 err, sizeof(err));
                if (r != -EINVAL)
                        fail_msg("%s: expected -EINVAL, got %d", cases[i].json, r);
                if (!strstr(err, cases[i].reason))
                        fail_msg("%s: reason '%s' lacks '%s'", cases[i].json, err, cases[i].reason);
                assert_null(strchr(err, '\n'));
                for (size_t k = 0; k < ELEMENTSOF(ch); k++) {
                        const unsigned char *p = (const unsigned char *) &ch[k];
                        for (size_t b = 0; b < sizeof(ch[k]); b++)
                                assert_int_equal(p[b], 0x5a);
                }
        }
        assert_int_equal(chair_sim_set_parse_json(NULL, 0, NULL, 0, NULL, 0), -EINVAL);
}

/* Parsed changes apply to the plant. */
static void test_json_applies(void **state) {
        struct chair_sim_change ch[_CHAIR_SIM_KEY_COUNT];
        const char *json = "{\"estop\":true,\"heater_sensor\":\"open\",\"stall\":\"knead\",\"body_height_cm\":190}";
        int n = chair_sim_set_parse_json(json, strlen(json), ch, ELEMENTSOF(ch), NULL, 0);
        assert_int_equal(n, 4);

        struct chair_config cfg;
        memset(&cfg, 0, sizeof(cfg));
        cfg.hardware.sim.body_height_cm = 175;
        struct chair_hal *h = NULL;
        assert_int_equal(chair_hal_sim_new(&cfg, &h), 0);
        for (int i = 0; i < n; i++)
                assert_int_equal(chair_hal_sim_apply(h, &ch[i]), 0);
        struct chair_sim_truth t;
        chair_hal_sim_truth(h, &t);
        assert_true(t.estop);
        assert_int_equal(t.heater_sensor, CHAIR_SENSOR_OPEN);
        assert_int_equal(t.stalled, CHAIR_ACT_KNEAD);
        assert_float_equal(t.body_height_cm, 190, 1e-6);
        h = chair_hal_free(h);

        /* Not a sim backend: refused. */
        struct chair_hal not_sim = { 0 };
        assert_int_equal(chair_hal_sim_apply(&not_sim, &ch[0]), -EINVAL);
        assert_false(chair_hal_is_sim(&not_sim));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_inject_valid),
                cmocka_unit_test(test_inject_command),
                cmocka_unit_test(test_inject_invalid),
                cmocka_unit_test(test_change_parse),
                cmocka_unit_test(test_json_valid),
                cmocka_unit_test(test_json_invalid),
                cmocka_unit_test(test_json_applies),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
