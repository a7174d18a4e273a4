/* SPDX-License-Identifier: MIT */
/* JSON encoders: state, reply, event, programs, diagnostics, HA discovery. */
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
#include <json-c/json.h>

#include "config.h"
#include "counters.h"
#include "persist.h"
#include "program.h"
#include "report.h"

static struct chair_program prog_v[] = {
        { .id = "lumbar-relief", .name = (char *) "Lumbar relief", .description = (char *) "Gentle",
          .default_minutes = 15 },
        { .id = "deep-back", .name = (char *) "Deep \"back\"", .description = (char *) "Hard",
          .default_minutes = 20 },
};
static const struct chair_programs progs = { .v = prog_v, .n = 2 };

/* Walk "a.b.c" through nested objects. */
static json_object *get_path(json_object *o, const char *path) {
        char buf[128];
        snprintf(buf, sizeof(buf), "%s", path);
        char *save = NULL;
        for (char *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save)) {
                json_object *n = NULL;
                if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, k, &n))
                        fail_msg("missing key %s (at %s)", path, k);
                o = n;
        }
        return o;
}

struct key_type {
        const char *path;
        json_type type;            /* json_type_null: null allowed and expected */
};

static void check_keys(json_object *o, const struct key_type *k, size_t n) {
        for (size_t i = 0; i < n; i++) {
                json_object *v = get_path(o, k[i].path);
                json_type t = json_object_get_type(v);
                /* json-c reports integral numbers as int; doubles written from floats may be either */
                if (k[i].type == json_type_double && (t == json_type_int || t == json_type_double))
                        continue;
                if (t != k[i].type)
                        fail_msg("%s: type %s, want %s", k[i].path, json_type_to_name(t),
                                 json_type_to_name(k[i].type));
        }
}

static json_object *parse(const char *s) {
        json_object *o = json_tokener_parse(s);
        if (!o)
                fail_msg("not JSON: %s", s);
        return o;
}

static void test_state_running(void **state) {
        struct chair_status st;
        memset(&st, 0, sizeof(st));
        st.state = CHAIR_STATE_RUNNING;
        st.program = 1;
        st.step = 2;
        st.steps = 8;
        st.technique = CHAIR_TECH_KNEADING;
        st.elapsed_s = 61.25f;
        st.remaining_s = 838.75f;
        st.intensity = 3;
        st.speed = 2;
        st.heat_on = true;
        st.heat_target_c = 40;
        st.heat_c = 35.24f;
        st.carriage_mm = 212.5f;
        st.recline = CHAIR_RECLINE_RELAX;
        st.focus = CHAIR_LM_L4;
        st.occupied = true;
        st.faults = 1u << CHAIR_FAULT_HEATER_SENSOR;

        char *s = NULL;
        assert_int_equal(chair_report_state(&st, &progs, &s), 0);
        json_object *o = parse(s);
        static const struct key_type keys[] = {
                { "state", json_type_string },     { "program", json_type_string },
                { "program_name", json_type_string }, { "step", json_type_int },
                { "steps", json_type_int },        { "technique", json_type_string },
                { "elapsed_s", json_type_double }, { "remaining_s", json_type_double },
                { "intensity", json_type_int },    { "speed", json_type_int },
                { "heat.on", json_type_boolean },  { "heat.target_c", json_type_double },
                { "heat.temp_c", json_type_double }, { "roller.position_mm", json_type_double },
                { "roller.technique", json_type_string }, { "recline", json_type_string },
                { "focus", json_type_string },     { "occupied", json_type_boolean },
                { "faults", json_type_array },     { "faults_latched", json_type_array },
                { "all_safe", json_type_boolean },
        };
        check_keys(o, keys, sizeof(keys) / sizeof(keys[0]));
        assert_string_equal(json_object_get_string(get_path(o, "state")), chair_state_name(st.state));
        assert_string_equal(json_object_get_string(get_path(o, "program")), "deep-back");
        assert_string_equal(json_object_get_string(get_path(o, "focus")), "L4");
        assert_string_equal(json_object_get_string(get_path(o, "recline")), "relax");
        assert_true(fabs(json_object_get_double(get_path(o, "heat.temp_c")) - 35.2) < 1e-9);
        json_object *faults = get_path(o, "faults");
        assert_int_equal(json_object_array_length(faults), 1);
        json_object *f0 = json_object_array_get_idx(faults, 0);
        assert_string_equal(json_object_get_string(get_path(f0, "code")),
                            chair_fault_code(CHAIR_FAULT_HEATER_SENSOR));
        assert_true(json_object_is_type(get_path(f0, "message"), json_type_string));
        json_object_put(o);
        free(s);
}

static void test_state_idle_nulls(void **state) {
        struct chair_status st;
        memset(&st, 0, sizeof(st));
        st.state = CHAIR_STATE_IDLE;
        st.program = -1;
        st.focus = -1;
        st.recline = CHAIR_RECLINE_UPRIGHT;
        st.heat_c = NAN;      /* bad sensor → null, never NaN (which is not JSON) */
        char *s = NULL;
        assert_int_equal(chair_report_state(&st, NULL, &s), 0);
        json_object *o = parse(s);
        static const struct key_type keys[] = {
                { "program", json_type_null }, { "technique", json_type_null },
                { "focus", json_type_null },   { "heat.temp_c", json_type_null },
        };
        check_keys(o, keys, sizeof(keys) / sizeof(keys[0]));
        assert_int_equal(json_object_array_length(get_path(o, "faults")), 0);
        json_object_put(o);
        free(s);
}

struct reply_case {
        const char *id;
        enum chair_err err;
        const char *message;
        const char *want_id;       /* JSON text of "id" or NULL when absent */
};

static void test_reply_table(void **state) {
        static const struct reply_case cases[] = {
                { "\"abc\"", CHAIR_OK, NULL, "\"abc\"" },
                { "17", CHAIR_ERR_UNKNOWN_PROGRAM, "no program \"x\"", "17" },
                { "", CHAIR_ERR_BUSY, NULL, NULL },
                { NULL, CHAIR_ERR_RATE_LIMITED, NULL, NULL },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const struct reply_case *c = &cases[i];
                char *s = NULL;
                assert_int_equal(chair_report_reply(c->id, c->err, c->message, &s), 0);
                json_object *o = parse(s), *id = NULL;
                assert_int_equal(json_object_get_boolean(get_path(o, "ok")), c->err == CHAIR_OK);
                if (c->want_id) {
                        assert_true(json_object_object_get_ex(o, "id", &id));
                        assert_string_equal(json_object_to_json_string_ext(id, JSON_C_TO_STRING_PLAIN),
                                            c->want_id);
                } else
                        assert_false(json_object_object_get_ex(o, "id", &id));
                if (c->err != CHAIR_OK) {
                        assert_string_equal(json_object_get_string(get_path(o, "error.code")),
                                            chair_err_code(c->err));
                        assert_string_equal(json_object_get_string(get_path(o, "error.message")),
                                            c->message ? c->message : chair_err_message(c->err));
                } else
                        assert_false(json_object_object_get_ex(o, "error", &id));
                json_object_put(o);
                free(s);
        }
}

static void test_events(void **state) {
        static const struct {
                struct chair_event ev;
                const char *name;
        } cases[] = {
                { { .kind = CHAIR_EVENT_SESSION_STARTED, .started = { 0, 900 } }, "session_started" },
                { { .kind = CHAIR_EVENT_STEP, .step = { 3, CHAIR_TECH_TAPPING } }, "step" },
                { { .kind = CHAIR_EVENT_SESSION_ENDED, .ended = { CHAIR_END_COMPLETED, 900 } },
                  "session_ended" },
                { { .kind = CHAIR_EVENT_FAULT, .fault = { CHAIR_FAULT_ESTOP } }, "fault" },
                { { .kind = CHAIR_EVENT_FAULT_CLEARED, .fault = { CHAIR_FAULT_ESTOP } },
                  "fault_cleared" },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *s = NULL;
                assert_int_equal(chair_report_event(&cases[i].ev, &progs, 1700000000.0, &s), 0);
                json_object *o = parse(s);
                assert_string_equal(json_object_get_string(get_path(o, "event")), cases[i].name);
                json_object_put(o);
                free(s);
        }
        struct chair_event r = { .kind = CHAIR_EVENT_RESULT };
        char *s = NULL;
        assert_int_equal(chair_report_event(&r, &progs, 0, &s), -ENOENT);
}

static void test_programs(void **state) {
        char *s = NULL;
        assert_int_equal(chair_report_programs(&progs, &s), 0);
        json_object *a = parse(s);
        assert_int_equal(json_object_array_length(a), 2);
        static const struct key_type keys[] = {
                { "id", json_type_string }, { "name", json_type_string },
                { "description", json_type_string }, { "default_minutes", json_type_int },
        };
        for (size_t i = 0; i < 2; i++)
                check_keys(json_object_array_get_idx(a, i), keys, 4);
        assert_string_equal(json_object_get_string(get_path(json_object_array_get_idx(a, 1), "name")),
                            "Deep \"back\"");
        json_object_put(a);
        free(s);
}

static void test_diag(void **state) {
        struct chair_diag d;
        memset(&d, 0, sizeof(d));
        d.version = "0.1.0";
        d.uptime_s = 12.5;
        d.config_hash = 0xdeadbeefULL;
        d.loop.rate_hz = 500;
        d.loop.ticks = 6250;
        d.loop.policy = "SCHED_FIFO";
        d.act[CHAIR_ACT_CARRIAGE].present = true;
        d.act[CHAIR_ACT_CARRIAGE].starts = 3;
        for (int i = 0; i < CHAIR_DIAG_HISTORY + 5; i++)
                chair_diag_fault_raised(&d, CHAIR_FAULT_ESTOP, 1700000000.0 + i);
        chair_diag_fault_cleared(&d, CHAIR_FAULT_ESTOP, 1700000100.0);
        assert_int_equal(d.n_history, CHAIR_DIAG_HISTORY);
        assert_true(d.history[CHAIR_DIAG_HISTORY - 1].cleared_s > 0);
        assert_true(d.history[CHAIR_DIAG_HISTORY - 2].cleared_s == 0);

        char *s = NULL;
        assert_int_equal(chair_report_diag(&d, &s), 0);
        json_object *o = parse(s);
        static const struct key_type keys[] = {
                { "version", json_type_string },       { "uptime_s", json_type_double },
                { "config_hash", json_type_string },   { "loop.rate_hz", json_type_int },
                { "loop.ticks", json_type_int },       { "loop.missed", json_type_int },
                { "loop.late_ticks", json_type_int },  { "loop.max_late_us", json_type_int },
                { "loop.max_stale_us", json_type_int }, { "loop.output_cuts", json_type_int },
                { "loop.events_dropped", json_type_int },
                { "loop.latency_us.p50", json_type_int }, { "loop.latency_us.p99", json_type_int },
                { "loop.latency_us.max", json_type_int }, { "actuators.carriage.starts", json_type_int },
                { "faults_history", json_type_array }, { "faults", json_type_array },
        };
        check_keys(o, keys, sizeof(keys) / sizeof(keys[0]));
        assert_string_equal(json_object_get_string(get_path(o, "config_hash")), "00000000deadbeef");
        assert_int_equal(json_object_array_length(get_path(o, "faults_history")), CHAIR_DIAG_HISTORY);
        json_object *ign;
        assert_false(json_object_object_get_ex(get_path(o, "actuators"), "heater", &ign));
        json_object_put(o);
        free(s);
}

/* Issue 7: the persistent parts of the diagnostics, and the self-test event. */
static void test_diag_persistent(void **state) {
        struct chair_config *cfg = calloc(1, sizeof(*cfg));
        struct chair_diag d;
        struct chair_status st;
        struct chair_counters c = { 0 };
        struct chair_persist *p;
        struct chair_st_report rep = { 0 };

        assert_non_null(cfg);
        chair_config_set_defaults(cfg);
        cfg->hardware.outputs[CHAIR_ACT_CARRIAGE].present = true;
        cfg->hardware.outputs[CHAIR_ACT_HEATER].present = true;
        cfg->hardware.inputs.heater_temp.set = true;
        cfg->hardware.inputs.estop.set = true;
        memset(&st, 0, sizeof(st));
        st.out.v[CHAIR_ACT_CARRIAGE] = -0.25f;
        st.in.heater_c = 31.25f;
        st.in.heater_sensor = CHAIR_SENSOR_OK;
        for (int a = 0; a < _CHAIR_AN_COUNT; a++)
                st.in.raw[a] = -1;
        st.in.raw[CHAIR_AN_HEATER] = 2345;
        c.sessions = 7;
        c.act[CHAIR_ACT_HEATER].on_s = 90;
        assert_int_equal(chair_persist_new("/nonexistent", &p), 0);
        chair_persist_add_fault(p, 1700000000, "roller_stall", "stalled", "state=running carriage_mm=12");
        struct chair_usage_record u = { .start = 1700000000, .minutes = 15 };
        snprintf(u.program, sizeof(u.program), "lumbar-relief");
        assert_int_equal(chair_persist_add_usage(p, &u), 0);
        rep.item[CHAIR_ST_CARRIAGE] = (struct chair_st_item) { CHAIR_ST_CARRIAGE, CHAIR_ST_FAIL, CHAIR_ST_NO_PULSES, 0 };
        rep.item[CHAIR_ST_TAP] = (struct chair_st_item) { CHAIR_ST_TAP, CHAIR_ST_SKIPPED, CHAIR_ST_NOT_FITTED, 0 };
        rep.item[CHAIR_ST_HEATER] = (struct chair_st_item) { CHAIR_ST_HEATER, CHAIR_ST_PASS, CHAIR_ST_OK, 0.75f };
        rep.done = true;
        rep.failed = 1;

        memset(&d, 0, sizeof(d));
        d.version = "0.1.0";
        d.counters = &c;
        d.persist = p;
        d.status = &st;
        d.cfg = cfg;
        d.selftest = &rep;
        d.selftest_at_s = 1700000500;
        d.now_s = 1700000600;
        chair_diag_fault_raised(&d, CHAIR_FAULT_ESTOP, 1700000000.0);   /* replaced by the persistent history */
        char *s = NULL;
        assert_int_equal(chair_report_diag(&d, &s), 0);
        json_object *o = parse(s);
        static const struct key_type keys[] = {
                { "counters.sessions", json_type_int },           { "counters.heater_on_s", json_type_double },
                { "counters.actuators.carriage.run_s", json_type_double },
                { "sensors.estop", json_type_boolean },           { "sensors.heater_temp.celsius", json_type_double },
                { "sensors.heater_temp.status", json_type_string }, { "outputs.carriage", json_type_double },
                { "all_safe", json_type_boolean },                { "self_test.passed", json_type_boolean },
                { "self_test.parts", json_type_array },           { "self_test.at", json_type_string },
                { "self_tests", json_type_array },                { "usage.days", json_type_array },
                { "usage.programs", json_type_array },            { "profiles", json_type_array },
                { "state_dir", json_type_string },
        };
        check_keys(o, keys, sizeof(keys) / sizeof(keys[0]));
        json_object *ign;
        assert_int_equal(json_object_get_int(get_path(o, "counters.sessions")), 7);
        assert_int_equal(json_object_get_int(get_path(o, "sensors.heater_temp.raw")), 2345);
        assert_false(json_object_object_get_ex(get_path(o, "outputs"), "knead", &ign));    /* not fitted */
        assert_false(json_object_object_get_ex(get_path(o, "sensors"), "obstacle", &ign));
        assert_false(json_object_object_get_ex(get_path(o, "counters.actuators"), "knead", &ign));
        assert_float_equal(json_object_get_double(get_path(o, "outputs.carriage")), -0.25, 1e-9);
        json_object *h = get_path(o, "faults_history");
        assert_int_equal(json_object_array_length(h), 1);
        assert_string_equal(json_object_get_string(get_path(json_object_array_get_idx(h, 0), "code")), "roller_stall");
        assert_string_equal(json_object_get_string(get_path(json_object_array_get_idx(h, 0), "context")),
                            "state=running carriage_mm=12");
        json_object *parts = get_path(o, "self_test.parts");
        assert_int_equal(json_object_array_length(parts), _CHAIR_ST_PART_COUNT - 1);   /* tap not fitted */
        assert_int_equal(json_object_array_length(get_path(o, "usage.days")), CHAIR_USAGE_DAYS);
        json_object_put(o);
        free(s);

        /* the event carries the same report */
        struct chair_event ev = { .kind = CHAIR_EVENT_SELF_TEST, .self_test = rep };
        assert_int_equal(chair_report_event(&ev, &progs, 1700000500.0, &s), 0);
        o = parse(s);
        assert_string_equal(json_object_get_string(get_path(o, "event")), "self_test");
        assert_false(json_object_get_boolean(get_path(o, "passed")));
        assert_int_equal(json_object_get_int(get_path(o, "failed")), 1);
        json_object *first = json_object_array_get_idx(get_path(o, "parts"), 0);
        assert_string_equal(json_object_get_string(get_path(first, "part")), "carriage");
        assert_string_equal(json_object_get_string(get_path(first, "result")), "fail");
        assert_string_equal(json_object_get_string(get_path(first, "reason")), "no encoder pulses while driven");
        check_keys(o, (const struct key_type[]) { { "ts", json_type_double } }, 1);
        json_object_put(o);
        free(s);
        chair_persist_free(p);
        chair_config_free(cfg);
}

/* What HA requires of each platform in device discovery (besides p and unique_id). */
static const struct {
        const char *platform;
        const char *required[4];
} ha_required[] = {
        { "select", { "command_topic", "options", NULL } },
        { "number", { "command_topic", NULL } },
        { "switch", { "command_topic", NULL } },
        { "button", { "command_topic", NULL } },
        { "sensor", { "state_topic", NULL } },
        { "binary_sensor", { "state_topic", NULL } },
        { "lock", { "command_topic", "state_topic", "command_template", NULL } },
};

/* The entities issue 4 asks for: key → platform. */
static const struct {
        const char *key, *platform;
} wanted[] = {
        { "program", "select" },  { "intensity", "number" },   { "speed", "number" },
        { "heat", "switch" },     { "stop", "button" },        { "pause", "button" },
        { "resume", "button" },   { "remaining", "sensor" },   { "heater_temperature", "sensor" },
        { "occupancy", "binary_sensor" }, { "fault", "binary_sensor" },
        /* issue 16 / design C3 */
        { "focus", "select" },    { "extend", "button" },      { "skip", "button" },
        { "clear_faults", "button" }, { "child_lock", "lock" },
        /* issue 18: the pain diary */
        { "pain", "number" },     { "pain_change", "sensor" }, { "start_suggestion", "button" },
};

static void test_discovery(void **state) {
        struct chair_config cfg;
        memset(&cfg, 0, sizeof(cfg));
        cfg.chair.id = (char *) "living-room";
        cfg.chair.name = (char *) "Living room chair";
        cfg.chair.model = (char *) "RC-1";
        cfg.mqtt.discovery_prefix = (char *) "homeassistant";

        char *topic = NULL;
        assert_int_equal(chair_report_discovery_topic(&cfg, &topic), 0);
        assert_string_equal(topic, "homeassistant/device/living-room/config");
        free(topic);

        char *s = NULL;
        assert_int_equal(chair_report_discovery(&cfg, &progs, "chaird/living-room", "0.1.0", &s), 0);
        assert_null(strstr(s, "object_id"));     /* deprecated by HA */
        json_object *o = parse(s);

        json_object *ids = get_path(o, "dev.ids");
        assert_true(json_object_is_type(ids, json_type_array) && json_object_array_length(ids) > 0);
        assert_true(json_object_is_type(get_path(o, "dev.name"), json_type_string));
        assert_true(json_object_is_type(get_path(o, "o.name"), json_type_string));
        json_object *av = json_object_array_get_idx(get_path(o, "availability"), 0);
        assert_string_equal(json_object_get_string(get_path(av, "topic")),
                            "chaird/living-room/availability");

        json_object *cmps = get_path(o, "cmps");
        assert_true(json_object_is_type(cmps, json_type_object));
        const char *uids[32];
        size_t n_uids = 0;
        struct json_object_iter it;
        json_object_object_foreachC(cmps, it) {
                json_object *c = it.val;
                const char *p = json_object_get_string(get_path(c, "p"));
                const char *uid = json_object_get_string(get_path(c, "unique_id"));
                const char *name = json_object_get_string(get_path(c, "name"));
                const char *eid = json_object_get_string(get_path(c, "default_entity_id"));
                /* entity names must not repeat the device name */
                assert_null(strstr(name, "Living room"));
                /* default_entity_id is <platform>.<object id> in [a-z0-9_] */
                assert_int_equal(strncmp(eid, p, strlen(p)), 0);
                assert_int_equal(eid[strlen(p)], '.');
                for (const char *q = eid + strlen(p) + 1; *q; q++)
                        assert_true((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '_');
                for (size_t i = 0; i < n_uids; i++)
                        assert_string_not_equal(uids[i], uid);
                assert_true(n_uids < 32);
                uids[n_uids++] = uid;

                bool known = false;
                for (size_t i = 0; i < sizeof(ha_required) / sizeof(ha_required[0]); i++) {
                        if (strcmp(ha_required[i].platform, p) != 0)
                                continue;
                        known = true;
                        for (size_t r = 0; ha_required[i].required[r]; r++)
                                (void) get_path(c, ha_required[i].required[r]);
                }
                if (!known)
                        fail_msg("component %s: unexpected platform %s", it.key, p);
        }
        for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
                json_object *w = get_path(cmps, wanted[i].key);
                assert_string_equal(json_object_get_string(get_path(w, "p")), wanted[i].platform);
        }
        json_object *opts = get_path(cmps, "program.options");
        assert_int_equal(json_object_array_length(opts), 2);
        json_object *fault = get_path(cmps, "fault");
        assert_string_equal(json_object_get_string(get_path(fault, "entity_category")), "diagnostic");
        assert_string_equal(json_object_get_string(get_path(fault, "json_attributes_topic")),
                            "chaird/living-room/state");
        assert_string_equal(json_object_get_string(get_path(cmps, "stop.payload_press")),
                            "{\"action\":\"stop\"}");

        /* the pain diary's entities send commands chaird takes, and read the rated event */
        struct chair_cmd cmd;
        char id[CHAIR_CMD_ID_MAX], msg[256];
        const char *press = json_object_get_string(get_path(cmps, "start_suggestion.payload_press"));
        assert_int_equal(chair_cmd_parse(press, strlen(press), &progs, &cmd, id, sizeof(id), msg, sizeof(msg)), CHAIR_OK);
        assert_int_equal(cmd.action, CHAIR_ACTION_SUGGEST);
        assert_true(cmd.start);
        const char *tmpl = json_object_get_string(get_path(cmps, "pain.command_template"));
        char rate[160];
        const char *v = strstr(tmpl, "{{ value | int }}");
        assert_non_null(v);
        snprintf(rate, sizeof(rate), "%.*s7%s", (int) (v - tmpl), tmpl, v + strlen("{{ value | int }}"));
        assert_int_equal(chair_cmd_parse(rate, strlen(rate), &progs, &cmd, id, sizeof(id), msg, sizeof(msg)), CHAIR_OK);
        assert_int_equal(cmd.action, CHAIR_ACTION_RATE);
        assert_int_equal(cmd.pain, 7);
        assert_string_equal(json_object_get_string(get_path(cmps, "pain.state_topic")), "chaird/living-room/event");
        assert_string_equal(json_object_get_string(get_path(cmps, "pain_change.state_topic")),
                            "chaird/living-room/event");
        /* idle: HA's "unknown" (payload_reset), not 0 below the slider's 1..5 */
        assert_string_equal(json_object_get_string(get_path(cmps, "intensity.payload_reset")), "None");
        assert_non_null(strstr(json_object_get_string(get_path(cmps, "intensity.value_template")), "'None'"));
        assert_string_equal(json_object_get_string(get_path(cmps, "extend.payload_press")),
                            "{\"action\":\"extend\",\"minutes\":5}");
        /* no recline entity on a chair without a measured backrest */
        json_object *none;
        assert_false(json_object_object_get_ex(cmps, "recline", &none));
        json_object_put(o);
        free(s);

        cfg.hardware.outputs[CHAIR_ACT_BACKREST].present = true;
        cfg.hardware.inputs.backrest_pos.set = true;
        assert_int_equal(chair_report_discovery(&cfg, &progs, "chaird/living-room", "0.1.0", &s), 0);
        o = parse(s);
        json_object *rec = get_path(o, "cmps.recline");
        assert_string_equal(json_object_get_string(get_path(rec, "p")), "select");
        assert_int_equal(json_object_array_length(get_path(rec, "options")), 3);
        json_object_put(o);
        free(s);
}

/* history and suggest: an ok reply with the members the diary built. */
static void test_reply_data(void **state) {
        char *s = NULL;
        json_object *d = json_object_new_object();
        json_object_object_add(d, "rated", json_object_new_int(3));
        json_object_object_add(d, "profile", NULL);
        assert_int_equal(chair_report_reply_data("\"h1\"", d, &s), 0);
        assert_string_equal(s, "{\"id\":\"h1\",\"ok\":true,\"rated\":3,\"profile\":null}");
        free(s);
        assert_int_equal(chair_report_reply_data(NULL, NULL, &s), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_state_running),
                cmocka_unit_test(test_state_idle_nulls),
                cmocka_unit_test(test_reply_table),
                cmocka_unit_test(test_events),
                cmocka_unit_test(test_programs),
                cmocka_unit_test(test_diag),
                cmocka_unit_test(test_diag_persistent),
                cmocka_unit_test(test_discovery),
                cmocka_unit_test(test_reply_data),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
