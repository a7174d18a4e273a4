/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "config.h"
#include "program.h"
#include "report.h"

/* Numbers with one decimal: a state payload at 1 Hz does not need
 * 35.200000000000003, and short payloads are kinder to small brokers. */
static json_object *num1(double v) {
        if (!isfinite(v))
                return NULL;    /* json null */
        char buf[32];
        snprintf(buf, sizeof(buf), "%.1f", v);
        return json_object_new_double_s(v, buf);
}

static json_object *str_or_null(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

static int finish(json_object *o, char **ret) {
        if (!o)
                return -ENOMEM;
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE);
        char *c = s ? strdup(s) : NULL;
        json_object_put(o);
        if (!c)
                return -ENOMEM;
        *ret = c;
        return 0;
}

static void add(json_object *o, const char *k, json_object *v) {
        json_object_object_add(o, k, v);
}

static const char *program_id(const struct chair_programs *progs, int idx) {
        if (!progs || idx < 0 || (size_t) idx >= progs->n)
                return NULL;
        return progs->v[idx].id;
}

static const char *program_name(const struct chair_programs *progs, int idx) {
        if (!progs || idx < 0 || (size_t) idx >= progs->n)
                return NULL;
        return progs->v[idx].name ? progs->v[idx].name : progs->v[idx].id;
}

static json_object *fault_list(uint32_t mask, bool with_message) {
        json_object *a = json_object_new_array();
        for (int f = 0; f < _CHAIR_FAULT_COUNT; f++) {
                if (!(mask & (1u << f)))
                        continue;
                if (with_message) {
                        json_object *e = json_object_new_object();
                        add(e, "code", str_or_null(chair_fault_code(f)));
                        add(e, "message", str_or_null(chair_fault_message(f)));
                        json_object_array_add(a, e);
                } else
                        json_object_array_add(a, str_or_null(chair_fault_code(f)));
        }
        return a;
}

static bool in_session(enum chair_state s) {
        return s == CHAIR_STATE_SCANNING || s == CHAIR_STATE_RUNNING || s == CHAIR_STATE_PAUSED ||
               s == CHAIR_STATE_ENDING;
}

int chair_report_state(const struct chair_status *st, const struct chair_programs *progs,
                       char **ret) {
        if (!st || !ret)
                return -EINVAL;
        bool session = in_session(st->state) || st->program >= 0;
        const char *tech = session && st->step > 0 ? chair_technique_name(st->technique) : NULL;

        json_object *o = json_object_new_object();
        add(o, "state", str_or_null(chair_state_name(st->state)));
        add(o, "program", str_or_null(program_id(progs, st->program)));
        add(o, "program_name", str_or_null(program_name(progs, st->program)));
        add(o, "step", json_object_new_int(st->step));
        add(o, "steps", json_object_new_int(st->steps));
        add(o, "technique", str_or_null(tech));
        add(o, "elapsed_s", num1(st->elapsed_s));
        add(o, "remaining_s", num1(st->remaining_s));
        add(o, "intensity", json_object_new_int(st->intensity));
        add(o, "speed", json_object_new_int(st->speed));

        json_object *heat = json_object_new_object();
        add(heat, "on", json_object_new_boolean(st->heat_on));
        add(heat, "target_c", num1(st->heat_target_c));
        add(heat, "temp_c", num1(st->heat_c));
        add(o, "heat", heat);

        json_object *roller = json_object_new_object();
        add(roller, "position_mm", num1(st->carriage_mm));
        add(roller, "technique", str_or_null(tech));
        add(o, "roller", roller);

        add(o, "recline", str_or_null(chair_recline_name(st->recline)));
        add(o, "backrest", num1(st->backrest));
        add(o, "legrest", num1(st->legrest));
        add(o, "focus", st->focus >= 0 ? str_or_null(chair_landmark_name(st->focus)) : NULL);
        add(o, "occupied", json_object_new_boolean(st->occupied));
        add(o, "faults", fault_list(st->faults | st->faults_latched, true));
        add(o, "faults_latched", fault_list(st->faults_latched, false));
        add(o, "all_safe", json_object_new_boolean(st->all_safe));
        return finish(o, ret);
}

static json_object *parse_id(const char *id_json) {
        if (!id_json || !*id_json)
                return NULL;
        return json_tokener_parse(id_json);
}

int chair_report_reply(const char *id_json, enum chair_err err, const char *message, char **ret) {
        if (!ret)
                return -EINVAL;
        json_object *o = json_object_new_object();
        json_object *id = parse_id(id_json);
        if (id)
                add(o, "id", id);
        add(o, "ok", json_object_new_boolean(err == CHAIR_OK));
        if (err != CHAIR_OK) {
                json_object *e = json_object_new_object();
                add(e, "code", json_object_new_string(chair_err_code(err)));
                add(e, "message", json_object_new_string(message && *message
                                                                  ? message
                                                                  : chair_err_message(err)));
                add(o, "error", e);
        }
        return finish(o, ret);
}

int chair_report_event(const struct chair_event *ev, const struct chair_programs *progs,
                       double wall_s, char **ret) {
        if (!ev || !ret)
                return -EINVAL;
        json_object *o = json_object_new_object();
        switch (ev->kind) {
        case CHAIR_EVENT_SESSION_STARTED:
                add(o, "event", json_object_new_string("session_started"));
                add(o, "program", str_or_null(program_id(progs, ev->started.program)));
                add(o, "program_name", str_or_null(program_name(progs, ev->started.program)));
                add(o, "planned_s", json_object_new_int64(ev->started.planned_s));
                break;
        case CHAIR_EVENT_SCAN_DONE:
                add(o, "event", json_object_new_string("scan_done"));
                add(o, "shoulder_mm", num1(ev->scan.shoulder_mm));
                break;
        case CHAIR_EVENT_STEP:
                add(o, "event", json_object_new_string("step"));
                add(o, "step", json_object_new_int(ev->step.index));
                add(o, "technique", str_or_null(chair_technique_name(ev->step.technique)));
                break;
        case CHAIR_EVENT_SESSION_ENDED:
                add(o, "event", json_object_new_string("session_ended"));
                add(o, "reason", str_or_null(chair_end_reason_name(ev->ended.reason)));
                add(o, "elapsed_s", num1(ev->ended.elapsed_s));
                break;
        case CHAIR_EVENT_FAULT:
        case CHAIR_EVENT_FAULT_CLEARED:
                add(o, "event", json_object_new_string(ev->kind == CHAIR_EVENT_FAULT ? "fault"
                                                                                     : "fault_cleared"));
                add(o, "code", str_or_null(chair_fault_code(ev->fault.code)));
                add(o, "message", str_or_null(chair_fault_message(ev->fault.code)));
                break;
        default:
                json_object_put(o);
                return -ENOENT;
        }
        add(o, "ts", num1(wall_s));
        return finish(o, ret);
}

int chair_report_programs(const struct chair_programs *progs, char **ret) {
        if (!ret)
                return -EINVAL;
        json_object *a = json_object_new_array();
        for (size_t i = 0; progs && i < progs->n; i++) {
                const struct chair_program *p = &progs->v[i];
                json_object *o = json_object_new_object();
                add(o, "id", json_object_new_string(p->id));
                add(o, "name", json_object_new_string(p->name ? p->name : p->id));
                add(o, "description", json_object_new_string(p->description ? p->description : ""));
                add(o, "default_minutes", json_object_new_int64(p->default_minutes));
                json_object_array_add(a, o);
        }
        return finish(a, ret);
}

void chair_diag_fault_raised(struct chair_diag *d, enum chair_fault f, double now_s) {
        if (d->n_history == CHAIR_DIAG_HISTORY) {
                memmove(&d->history[0], &d->history[1], sizeof(d->history[0]) * (CHAIR_DIAG_HISTORY - 1));
                d->n_history--;
        }
        d->history[d->n_history++] = (struct chair_diag_fault) { .code = f, .at_s = now_s };
}

void chair_diag_fault_cleared(struct chair_diag *d, enum chair_fault f, double now_s) {
        for (size_t i = d->n_history; i > 0; i--)
                if (d->history[i - 1].code == f && d->history[i - 1].cleared_s == 0) {
                        d->history[i - 1].cleared_s = now_s;
                        return;
                }
}

static json_object *iso_time(double t) {
        if (t <= 0)
                return NULL;
        time_t s = (time_t) t;
        struct tm tm;
        char buf[40];
        if (!gmtime_r(&s, &tm) || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return NULL;
        return json_object_new_string(buf);
}

static json_object *latency(uint32_t p50, uint32_t p99, uint32_t max) {
        json_object *o = json_object_new_object();
        add(o, "p50", json_object_new_int64(p50));
        add(o, "p99", json_object_new_int64(p99));
        add(o, "max", json_object_new_int64(max));
        return o;
}

int chair_report_diag(const struct chair_diag *d, char **ret) {
        if (!d || !ret)
                return -EINVAL;
        char hash[24];
        snprintf(hash, sizeof(hash), "%016llx", (unsigned long long) d->config_hash);

        json_object *o = json_object_new_object();
        add(o, "version", str_or_null(d->version));
        add(o, "uptime_s", num1(d->uptime_s));
        add(o, "config_hash", json_object_new_string(hash));

        json_object *loop = json_object_new_object();
        add(loop, "rate_hz", json_object_new_int64(d->loop.rate_hz));
        add(loop, "ticks", json_object_new_int64((int64_t) d->loop.ticks));
        add(loop, "missed", json_object_new_int64((int64_t) d->loop.missed));
        add(loop, "policy", str_or_null(d->loop.policy));
        add(loop, "priority", json_object_new_int(d->loop.priority));
        add(loop, "latency_us", latency(d->loop.p50_us, d->loop.p99_us, d->loop.max_us));
        add(loop, "latency_1m_us", latency(d->loop.p50_1m_us, d->loop.p99_1m_us, d->loop.max_1m_us));
        add(o, "loop", loop);

        json_object *acts = json_object_new_object();
        for (int a = 0; a < _CHAIR_ACT_COUNT; a++) {
                const struct chair_diag_actuator *x = &d->act[a];
                if (!x->present)
                        continue;
                json_object *e = json_object_new_object();
                add(e, "starts", json_object_new_int64(x->starts));
                add(e, "active_s", num1(x->active_s));
                add(e, "value", num1(x->value));
                const char *name = chair_actuator_name(a);
                if (name)
                        add(acts, name, e);
                else
                        json_object_put(e);
        }
        add(o, "actuators", acts);

        add(o, "faults", fault_list(d->faults | d->faults_latched, true));
        add(o, "faults_latched", fault_list(d->faults_latched, false));
        json_object *hist = json_object_new_array();
        for (size_t i = 0; i < d->n_history && i < CHAIR_DIAG_HISTORY; i++) {
                json_object *e = json_object_new_object();
                add(e, "code", str_or_null(chair_fault_code(d->history[i].code)));
                add(e, "message", str_or_null(chair_fault_message(d->history[i].code)));
                add(e, "at", iso_time(d->history[i].at_s));
                add(e, "cleared_at", iso_time(d->history[i].cleared_s));
                json_object_array_add(hist, e);
        }
        add(o, "faults_history", hist);
        add(o, "sessions", json_object_new_int64((int64_t) d->sessions));

        json_object *m = json_object_new_object();
        add(m, "commands", json_object_new_int64((int64_t) d->mqtt.commands));
        add(m, "rejected", json_object_new_int64((int64_t) d->mqtt.rejected));
        add(m, "rate_limited", json_object_new_int64((int64_t) d->mqtt.rate_limited));
        add(m, "ignored_retained", json_object_new_int64((int64_t) d->mqtt.ignored_retained));
        add(m, "ignored_expired", json_object_new_int64((int64_t) d->mqtt.ignored_expired));
        add(m, "connects", json_object_new_int64((int64_t) d->mqtt.connects));
        add(o, "mqtt", m);
        return finish(o, ret);
}

static const char *chair_id(const struct chair_config *cfg) {
        return cfg && cfg->chair.id && *cfg->chair.id ? cfg->chair.id : "chair";
}

int chair_report_discovery_topic(const struct chair_config *cfg, char **ret) {
        const char *prefix = cfg && cfg->mqtt.discovery_prefix && *cfg->mqtt.discovery_prefix
                                     ? cfg->mqtt.discovery_prefix
                                     : "homeassistant";
        return asprintf(ret, "%s/device/%s/config", prefix, chair_id(cfg)) < 0 ? -ENOMEM : 0;
}

/* Entity ids allow [a-z0-9_] only; chair ids are [a-z0-9-]. */
static void object_id(char *buf, size_t size, const char *chair, const char *key) {
        snprintf(buf, size, "%s_%s", chair, key);
        for (char *p = buf; *p; p++)
                if (*p == '-')
                        *p = '_';
}

struct component {
        const char *key;           /* cmps key and unique_id suffix */
        const char *platform;
        const char *name;
};

static json_object *component(json_object *cmps, const char *chair, const struct component *c,
                              const char *state_topic) {
        char uid[200], eid[200], oid[160];
        object_id(oid, sizeof(oid), chair, c->key);
        snprintf(uid, sizeof(uid), "chaird_%s", oid);
        snprintf(eid, sizeof(eid), "%s.%s", c->platform, oid);

        json_object *o = json_object_new_object();
        add(o, "p", json_object_new_string(c->platform));
        add(o, "name", json_object_new_string(c->name));
        add(o, "unique_id", json_object_new_string(uid));
        add(o, "default_entity_id", json_object_new_string(eid));
        if (state_topic)
                add(o, "state_topic", json_object_new_string(state_topic));
        add(cmps, c->key, o);
        return o;
}

static void add_str(json_object *o, const char *k, const char *v) {
        add(o, k, json_object_new_string(v));
}

int chair_report_discovery(const struct chair_config *cfg, const struct chair_programs *progs,
                           const char *base, const char *version, char **ret) {
        if (!cfg || !base || !ret)
                return -EINVAL;
        const char *chair = chair_id(cfg);
        char *state = NULL, *set = NULL, *avail = NULL;
        if (asprintf(&state, "%s/state", base) < 0)
                state = NULL;
        if (asprintf(&set, "%s/set", base) < 0)
                set = NULL;
        if (asprintf(&avail, "%s/availability", base) < 0)
                avail = NULL;
        if (!state || !set || !avail) {
                free(state), free(set), free(avail);
                return -ENOMEM;
        }

        json_object *o = json_object_new_object();

        char ident[160];
        snprintf(ident, sizeof(ident), "chaird_%s", chair);
        json_object *dev = json_object_new_object();
        json_object *ids = json_object_new_array();
        json_object_array_add(ids, json_object_new_string(ident));
        add(dev, "ids", ids);
        add_str(dev, "name", cfg->chair.name && *cfg->chair.name ? cfg->chair.name : chair);
        add_str(dev, "mf", "chaird");
        if (cfg->chair.model && *cfg->chair.model)
                add_str(dev, "mdl", cfg->chair.model);
        if (version)
                add_str(dev, "sw", version);
        add(o, "dev", dev);

        json_object *origin = json_object_new_object();
        add_str(origin, "name", "chaird");
        if (version)
                add_str(origin, "sw", version);
        add(o, "o", origin);

        json_object *av = json_object_new_array();
        json_object *av0 = json_object_new_object();
        add_str(av0, "topic", avail);
        add_str(av0, "payload_available", "online");
        add_str(av0, "payload_not_available", "offline");
        json_object_array_add(av, av0);
        add(o, "availability", av);
        add(o, "qos", json_object_new_int(1));

        json_object *cmps = json_object_new_object();
        json_object *c;

        /* Program select: HA shows names; the templates map names ↔ ids with a
         * JSON object literal, which Jinja reads as a dict. */
        c = component(cmps, chair, &(struct component) { "program", "select", "Program" }, state);
        json_object *options = json_object_new_array();
        json_object *by_name = json_object_new_object();
        for (size_t i = 0; progs && i < progs->n; i++) {
                const char *n = progs->v[i].name ? progs->v[i].name : progs->v[i].id;
                json_object_array_add(options, json_object_new_string(n));
                add(by_name, n, json_object_new_string(progs->v[i].id));
        }
        add(c, "options", options);
        add_str(c, "command_topic", set);
        const char *map = json_object_to_json_string_ext(by_name, JSON_C_TO_STRING_PLAIN |
                                                                    JSON_C_TO_STRING_NOSLASHESCAPE);
        char *tmpl = NULL;
        if (asprintf(&tmpl,
                     "{%% set m = %s %%}{\"action\":\"start\",\"program\":{{ m.get(value, value) | tojson }}}",
                     map) >= 0) {
                add_str(c, "command_template", tmpl);
                free(tmpl);
        }
        json_object_put(by_name);
        add_str(c, "value_template", "{{ value_json.program_name if value_json.program_name else 'None' }}");
        add_str(c, "icon", "mdi:seat-recline-extra");

        for (int i = 0; i < 2; i++) {
                const char *k = i == 0 ? "intensity" : "speed";
                c = component(cmps, chair,
                              &(struct component) { k, "number", i == 0 ? "Intensity" : "Speed" },
                              state);
                char t[96];
                add_str(c, "command_topic", set);
                snprintf(t, sizeof(t), "{\"action\":\"set\",\"%s\":{{ value | int }}}", k);
                add_str(c, "command_template", t);
                snprintf(t, sizeof(t), "{{ value_json.%s }}", k);
                add_str(c, "value_template", t);
                add(c, "min", json_object_new_int(1));
                add(c, "max", json_object_new_int(5));
                add(c, "step", json_object_new_int(1));
                add_str(c, "mode", "slider");
        }

        c = component(cmps, chair, &(struct component) { "heat", "switch", "Heat" }, state);
        add_str(c, "command_topic", set);
        add_str(c, "payload_on", "{\"action\":\"set\",\"heat\":true}");
        add_str(c, "payload_off", "{\"action\":\"set\",\"heat\":false}");
        add_str(c, "value_template", "{{ 'ON' if value_json.heat.on else 'OFF' }}");
        add_str(c, "state_on", "ON");
        add_str(c, "state_off", "OFF");
        add_str(c, "icon", "mdi:heat-wave");

        static const struct component buttons[] = {
                { "stop", "button", "Stop" },
                { "pause", "button", "Pause" },
                { "resume", "button", "Resume" },
        };
        for (size_t i = 0; i < 3; i++) {
                char t[64];
                c = component(cmps, chair, &buttons[i], NULL);
                add_str(c, "command_topic", set);
                snprintf(t, sizeof(t), "{\"action\":\"%s\"}", buttons[i].key);
                add_str(c, "payload_press", t);
        }

        c = component(cmps, chair, &(struct component) { "state", "sensor", "State" }, state);
        add_str(c, "value_template", "{{ value_json.state }}");
        add_str(c, "device_class", "enum");
        json_object *states = json_object_new_array();
        for (int s = 0; s < _CHAIR_STATE_COUNT; s++)
                if (chair_state_name(s))
                        json_object_array_add(states, json_object_new_string(chair_state_name(s)));
        add(c, "options", states);

        c = component(cmps, chair, &(struct component) { "remaining", "sensor", "Time remaining" },
                      state);
        add_str(c, "value_template", "{{ value_json.remaining_s | round(0) | int }}");
        add_str(c, "device_class", "duration");
        add_str(c, "unit_of_measurement", "s");

        c = component(cmps, chair,
                      &(struct component) { "heater_temperature", "sensor", "Heater temperature" },
                      state);
        add_str(c, "value_template", "{{ value_json.heat.temp_c if value_json.heat.temp_c is not none else 'None' }}");
        add_str(c, "device_class", "temperature");
        add_str(c, "state_class", "measurement");
        add_str(c, "unit_of_measurement", "°C");

        c = component(cmps, chair, &(struct component) { "occupancy", "binary_sensor", "Occupancy" },
                      state);
        add_str(c, "value_template", "{{ 'ON' if value_json.occupied else 'OFF' }}");
        add_str(c, "device_class", "occupancy");

        c = component(cmps, chair, &(struct component) { "fault", "binary_sensor", "Fault" }, state);
        add_str(c, "value_template", "{{ 'ON' if value_json.faults | length > 0 else 'OFF' }}");
        add_str(c, "device_class", "problem");
        add_str(c, "entity_category", "diagnostic");
        add_str(c, "json_attributes_topic", state);
        add_str(c, "json_attributes_template", "{{ {'faults': value_json.faults} | tojson }}");

        add(o, "cmps", cmps);
        free(state), free(set), free(avail);
        return finish(o, ret);
}
