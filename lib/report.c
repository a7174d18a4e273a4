/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "config.h"
#include "counters.h"
#include "persist.h"
#include "program.h"
#include "report.h"
#include "selftest.h"

/* Numbers with one decimal: a state payload at 1 Hz does not need
 * 35.200000000000003, and short payloads are kinder to small brokers. */
static json_object *num1(double v) {
        if (!isfinite(v))
                return NULL;    /* json null */
        char buf[32];
        snprintf(buf, sizeof(buf), "%.1f", v);
        return json_object_new_double_s(v, buf);
}

/* Positions and output values: three decimals (0..1 ranges). */
static json_object *num3(double v) {
        if (!isfinite(v))
                return NULL;
        char buf[32];
        snprintf(buf, sizeof(buf), "%.3f", v);
        return json_object_new_double_s(v, buf);
}

/* 0..100 per cent as 0..1 with two decimals. */
static json_object *pct(unsigned v) {
        char buf[16];
        snprintf(buf, sizeof(buf), "%u.%02u", v / 100, v % 100);
        return json_object_new_double_s(v / 100.0, buf);
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
        add(heat, "wanted", json_object_new_boolean(st->heat_wanted));
        add(heat, "target_c", num1(st->heat_target_c));
        add(heat, "temp_c", num1(st->heat_c));
        add(o, "heat", heat);

        json_object *roller = json_object_new_object();
        add(roller, "position_mm", num1(st->carriage_mm));
        add(roller, "technique", str_or_null(tech));
        add(o, "roller", roller);

        /* design C3: measured positions in whole per cent (the state changes by >= 1 %) */
        add(o, "recline", str_or_null(chair_recline_state_name(st->recline)));
        add(o, "recline_target", str_or_null(chair_recline_name(st->recline_target)));
        add(o, "backrest", pct(st->backrest_pct));
        add(o, "legrest", pct(st->legrest_pct));
        add(o, "locked", json_object_new_boolean(st->locked));
        add(o, "focus", st->focus >= 0 ? str_or_null(chair_landmark_name(st->focus)) : NULL);
        add(o, "occupied", json_object_new_boolean(st->occupied));
        add(o, "faults", fault_list(st->faults | st->faults_latched, true));
        add(o, "faults_latched", fault_list(st->faults_latched, false));
        add(o, "all_safe", json_object_new_boolean(st->all_safe));
        add(o, "self_test", json_object_new_boolean(st->self_testing));
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
        /* design C3: an accepted command may say what it did ("the session is running already") */
        if (err == CHAIR_OK && message && *message)
                add(o, "message", json_object_new_string(message));
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

int chair_report_reply_data(const char *id_json, struct json_object *data, char **ret) {
        if (!ret || !data) {
                json_object_put(data);
                return -EINVAL;
        }
        json_object *o = json_object_new_object();
        json_object *id = parse_id(id_json);
        if (id)
                add(o, "id", id);
        add(o, "ok", json_object_new_boolean(true));
        struct json_object_iter it;
        json_object_object_foreachC(data, it)
                add(o, it.key, json_object_get(it.val));
        json_object_put(data);
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
        case CHAIR_EVENT_PAUSED:
                add(o, "event", json_object_new_string("paused"));
                add(o, "reason", json_object_new_string(chair_pause_reason_name(ev->paused.reason)));
                break;
        case CHAIR_EVENT_RESUMED:
                add(o, "event", json_object_new_string("resumed"));
                break;
        case CHAIR_EVENT_OCCUPANT_LEFT:
                add(o, "event", json_object_new_string("occupant_left"));
                break;
        case CHAIR_EVENT_OCCUPANT_RETURNED:
                add(o, "event", json_object_new_string("occupant_returned"));
                break;
        case CHAIR_EVENT_PROGRAM_SWITCHED:
                add(o, "event", json_object_new_string("program_switched"));
                add(o, "from", str_or_null(program_id(progs, ev->switched.from)));
                add(o, "program", str_or_null(program_id(progs, ev->switched.to)));
                add(o, "program_name", str_or_null(program_name(progs, ev->switched.to)));
                break;
        case CHAIR_EVENT_LOCKED:
                add(o, "event", json_object_new_string("locked"));
                break;
        case CHAIR_EVENT_UNLOCKED:
                add(o, "event", json_object_new_string("unlocked"));
                break;
        case CHAIR_EVENT_SELF_TEST: {
                json_object *r = chair_report_selftest_json(&ev->self_test);
                if (!r) {
                        json_object_put(o);
                        return -ENOMEM;
                }
                /* the report's members at the top level, after "event" */
                add(o, "event", json_object_new_string("self_test"));
                struct json_object_iterator it = json_object_iter_begin(r), end = json_object_iter_end(r);
                for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
                        add(o, json_object_iter_peek_name(&it), json_object_get(json_object_iter_peek_value(&it)));
                json_object_put(r);
                break;
        }
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

json_object *chair_report_selftest_json(const struct chair_st_report *r) {
        json_object *o = json_object_new_object(), *parts = json_object_new_array();
        if (!o || !parts) {
                json_object_put(o);
                json_object_put(parts);
                return NULL;
        }
        add(o, "passed", json_object_new_boolean(r->passed));
        add(o, "aborted", json_object_new_boolean(r->aborted));
        add(o, "failed", json_object_new_int(r->failed));
        add(o, "duration_s", num1(r->duration_s));
        for (int p = 0; p < _CHAIR_ST_PART_COUNT; p++) {
                const struct chair_st_item *it = &r->item[p];
                if (it->result == CHAIR_ST_SKIPPED && it->reason == CHAIR_ST_NOT_FITTED)
                        continue;
                json_object *e = json_object_new_object();
                add(e, "part", json_object_new_string(chair_st_part_name(p)));
                add(e, "result", json_object_new_string(chair_st_result_name(it->result)));
                add(e, "reason", json_object_new_string(chair_st_reason_message(it->reason)));
                if (it->measured != 0)
                        add(e, "measured", num1(it->measured));
                json_object_array_add(parts, e);
        }
        add(o, "parts", parts);
        return o;
}

/* The ADC code behind an analog value; null when there is none (not fitted, read failed). */
static void add_raw(json_object *e, int32_t raw) {
        add(e, "raw", raw >= 0 ? json_object_new_int64(raw) : NULL);
}

/* "sensors": every input the chair has, as the control step sees it, with the
 * raw ADC code of each analog one. */
static json_object *sensors_json(const struct chair_status *st, const struct chair_config *cfg) {
        static const char *const status_names[] = {
                [CHAIR_SENSOR_OK] = "ok", [CHAIR_SENSOR_OPEN] = "open", [CHAIR_SENSOR_SHORT] = "short",
                [CHAIR_SENSOR_ERROR] = "error", [CHAIR_SENSOR_ABSENT] = "absent",
        };
        const struct chair_input_config *ic = cfg ? &cfg->hardware.inputs : NULL;
        const struct chair_inputs *in = &st->in;
        json_object *o = json_object_new_object();
#define DIGITAL(name, binding, value) \
        if (!ic || ic->binding.set) \
                add(o, name, json_object_new_boolean(value))
        DIGITAL("estop", estop, in->estop);
        DIGITAL("occupied", occupancy, in->occupied);
        DIGITAL("obstacle", obstacle, in->obstacle);
        DIGITAL("carriage_home", carriage_home, in->carriage_home);
        DIGITAL("carriage_end", carriage_end, in->carriage_end);
        DIGITAL("backrest_min", backrest_min, in->backrest_min);
        DIGITAL("backrest_max", backrest_max, in->backrest_max);
        DIGITAL("legrest_min", legrest_min, in->legrest_min);
        DIGITAL("legrest_max", legrest_max, in->legrest_max);
#undef DIGITAL
        if (!ic || ic->encoder.set) {
                json_object *e = json_object_new_object();
                add(e, "pulses", json_object_new_int64(in->encoder_pulses));
                add(e, "carriage_mm", num1(st->carriage_mm));
                add(o, "encoder", e);
        }
        if (!ic || ic->heater_temp.set) {
                json_object *e = json_object_new_object();
                add(e, "celsius", num1(in->heater_c));
                add_raw(e, in->raw[CHAIR_AN_HEATER]);
                add(e, "status", json_object_new_string((unsigned) in->heater_sensor <= CHAIR_SENSOR_ABSENT
                                                                ? status_names[in->heater_sensor] : "error"));
                add(o, "heater_temp", e);
        }
        json_object *e;
#define POSITION(name, binding, value, an) \
        if (!ic || ic->binding.set) { \
                e = json_object_new_object(); \
                add(e, "position", num3(value)); \
                add_raw(e, in->raw[an]); \
                add(o, name, e); \
        }
        POSITION("depth_pos", depth_pos, in->depth, CHAIR_AN_DEPTH);
        POSITION("backrest_pos", backrest_pos, in->backrest, CHAIR_AN_BACKREST);
        POSITION("legrest_pos", legrest_pos, in->legrest, CHAIR_AN_LEGREST);
#undef POSITION
        for (int b = 0; b < _CHAIR_BAG_COUNT; b++) {
                if (ic && !ic->pressure[b].set)
                        continue;
                char key[48];
                snprintf(key, sizeof(key), "pressure_%s", chair_airbag_name(b));
                e = json_object_new_object();
                add(e, "kpa", num1(in->pressure_kpa[b]));
                add_raw(e, in->raw[CHAIR_AN_PRESSURE + b]);
                add(o, key, e);
        }
        return o;
}

/* Minutes per day and per program over the last 30 days. */
static json_object *usage_json(const struct chair_persist *p, double now_s) {
        struct chair_usage_summary s;
        json_object *o = json_object_new_object(), *days = json_object_new_array(),
                    *progs = json_object_new_array();

        chair_persist_usage_summary(p, (int64_t) now_s, &s);
        for (int i = 0; i < CHAIR_USAGE_DAYS; i++) {
                time_t t = (time_t) s.day_start[i];
                struct tm tm;
                char date[16] = "";
                if (localtime_r(&t, &tm))
                        strftime(date, sizeof(date), "%Y-%m-%d", &tm);
                json_object *e = json_object_new_object();
                add(e, "date", json_object_new_string(date));
                add(e, "minutes", num1(s.day_minutes[i]));
                add(e, "sessions", json_object_new_int64(s.day_sessions[i]));
                json_object_array_add(days, e);
        }
        for (unsigned i = 0; i < s.n_programs; i++) {
                json_object *e = json_object_new_object();
                add(e, "program", json_object_new_string(s.programs[i].program));
                add(e, "minutes", num1(s.programs[i].minutes));
                add(e, "sessions", json_object_new_int64(s.programs[i].sessions));
                json_object_array_add(progs, e);
        }
        add(o, "days", days);
        add(o, "programs", progs);
        add(o, "other_minutes", num1(s.other_minutes));
        add(o, "total_minutes", num1(s.total_minutes));
        add(o, "sessions", json_object_new_int64(s.sessions));
        add(o, "records", json_object_new_int64((int64_t) chair_persist_n_usage(p)));
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
        add(loop, "late_ticks", json_object_new_int64((int64_t) d->loop.late_ticks));
        add(loop, "max_late_us", json_object_new_int64(d->loop.max_late_us));
        add(loop, "max_stale_us", json_object_new_int64(d->loop.max_stale_us));
        add(loop, "max_stall_ms", json_object_new_int64(d->loop.max_stall_ms));
        add(loop, "overruns", json_object_new_int64((int64_t) d->loop.overruns));
        add(loop, "output_cuts", json_object_new_int64((int64_t) d->loop.output_cuts));
        add(loop, "events_dropped", json_object_new_int64((int64_t) d->loop.events_dropped));
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
        for (unsigned i = 0; d->persist && i < chair_persist_n_faults(d->persist); i++) {
                const struct chair_fault_record *f = chair_persist_fault(d->persist, i);
                json_object *e = json_object_new_object();
                add(e, "code", json_object_new_string(f->code));
                add(e, "message", json_object_new_string(f->message));
                add(e, "at", iso_time((double) f->time));
                add(e, "context", json_object_new_string(f->context));
                json_object_array_add(hist, e);
        }
        for (size_t i = 0; !d->persist && i < d->n_history && i < CHAIR_DIAG_HISTORY; i++) {
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
        add(m, "skipped_publishes", json_object_new_int64((int64_t) d->mqtt.skipped_publishes));
        add(o, "mqtt", m);

        if (d->counters)
                add(o, "counters", chair_counters_to_json(d->counters, d->cfg));
        if (d->status) {
                add(o, "sensors", sensors_json(d->status, d->cfg));
                json_object *outs = json_object_new_object();
                for (int a = 0; a < _CHAIR_ACT_COUNT; a++)
                        if (!d->cfg || d->cfg->hardware.outputs[a].present)
                                add(outs, chair_actuator_name(a), num3(d->status->out.v[a]));
                add(o, "outputs", outs);
                add(o, "all_safe", json_object_new_boolean(d->status->all_safe));
        }
        if (d->selftest) {
                json_object *t = chair_report_selftest_json(d->selftest);
                if (t)
                        add(t, "at", iso_time(d->selftest_at_s));
                add(o, "self_test", t);
        }
        if (d->persist) {
                json_object *st = json_object_new_array();
                for (unsigned i = 0; i < chair_persist_n_selftests(d->persist); i++) {
                        const struct chair_selftest_record *r = chair_persist_selftest(d->persist, i);
                        json_object *e = json_object_new_object();
                        add(e, "at", iso_time((double) r->time));
                        add(e, "passed", json_object_new_boolean(r->passed));
                        add(e, "summary", json_object_new_string(r->summary));
                        json_object_array_add(st, e);
                }
                add(o, "self_tests", st);
                add(o, "usage", usage_json(d->persist, d->now_s));
                json_object *pr = json_object_new_array();
                for (unsigned i = 0; i < chair_persist_n_profiles(d->persist); i++) {
                        const struct chair_profile *f = chair_persist_profile(d->persist, i);
                        json_object *e = json_object_new_object();
                        add(e, "name", json_object_new_string(f->name));
                        add(e, "program", f->program[0] ? json_object_new_string(f->program) : NULL);
                        add(e, "intensity", f->intensity ? json_object_new_int(f->intensity) : NULL);
                        add(e, "heat", f->heat >= 0 ? json_object_new_boolean(f->heat) : NULL);
                        add(e, "shoulder_mm", f->shoulder_mm > 0 ? num1(f->shoulder_mm) : NULL);
                        json_object_array_add(pr, e);
                }
                add(o, "profiles", pr);
                add(o, "state_dir", json_object_new_string(chair_persist_dir(d->persist)));
        }
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

/* The pain diary (docs/pain-diary.md): the last rating as a number that rates
 * (phase auto), the last change as a sensor, both read from the "rated"
 * event; on other events the template fails on purpose (is_defined) and Home
 * Assistant keeps the entity's state.  A button starts the suggestion. */
static void discovery_diary(json_object *cmps, const char *chair, const char *base, const char *set) {
        char *event = NULL;
        if (asprintf(&event, "%s/event", base) < 0)
                return;
        json_object *c = component(cmps, chair, &(struct component) { "pain", "number", "Pain (last rating)" }, event);
        add_str(c, "command_topic", set);
        add_str(c, "command_template", "{\"action\":\"rate\",\"pain\":{{ value | int }},\"phase\":\"auto\"}");
        add_str(c, "value_template", "{{ value_json.pain | is_defined }}");
        add(c, "min", json_object_new_int(0));
        add(c, "max", json_object_new_int(10));
        add(c, "step", json_object_new_int(1));
        add_str(c, "mode", "slider");
        add_str(c, "icon", "mdi:emoticon-sad-outline");

        c = component(cmps, chair, &(struct component) { "pain_change", "sensor", "Pain change (last session)" },
                      event);
        add_str(c, "value_template", "{{ value_json.change | is_defined }}");
        add_str(c, "unit_of_measurement", "points");
        add_str(c, "state_class", "measurement");
        add_str(c, "icon", "mdi:trending-down");

        c = component(cmps, chair, &(struct component) { "start_suggestion", "button", "Start suggested session" },
                      NULL);
        add_str(c, "command_topic", set);
        add_str(c, "payload_press", "{\"action\":\"suggest\",\"start\":true}");
        add_str(c, "icon", "mdi:lightbulb-on-outline");
        free(event);
}

/* design C3: recline, minutes, focus and the child lock. */
static void add_owner_entities(json_object *cmps, const struct chair_config *cfg, const char *chair,
                               const char *state, const char *set) {
        json_object *c, *opts;

        if (cfg->hardware.outputs[CHAIR_ACT_BACKREST].present && cfg->hardware.inputs.backrest_pos.set) {
                c = component(cmps, chair, &(struct component) { "recline", "select", "Recline" }, state);
                opts = json_object_new_array();
                for (int r = 0; r < _CHAIR_RECLINE_COUNT; r++)
                        json_object_array_add(opts, json_object_new_string(chair_recline_name(r)));
                add(c, "options", opts);
                add_str(c, "command_topic", set);
                add_str(c, "command_template", "{\"action\":\"recline\",\"position\":{{ value | tojson }}}");
                /* where it is heading, else the preset it is at; between presets "None" (unknown) */
                add_str(c, "value_template",
                        "{{ value_json.recline_target if value_json.recline_target else "
                        "(value_json.recline if value_json.recline in ['upright', 'relax', 'zero-gravity'] else 'None') }}");
                add_str(c, "icon", "mdi:seat-recline-normal");
        }

        /* "minutes": five more minutes for the running session (extend) */
        c = component(cmps, chair, &(struct component) { "extend", "button", "5 more minutes" }, NULL);
        add_str(c, "command_topic", set);
        add_str(c, "payload_press", "{\"action\":\"extend\",\"minutes\":5}");
        add_str(c, "icon", "mdi:timer-plus-outline");

        c = component(cmps, chair, &(struct component) { "focus", "select", "Focus" }, state);
        opts = json_object_new_array();
        json_object_array_add(opts, json_object_new_string("none"));
        for (int l = 0; l < _CHAIR_LM_COUNT; l++)
                json_object_array_add(opts, json_object_new_string(chair_landmark_name(l)));
        add(c, "options", opts);
        add_str(c, "command_topic", set);
        add_str(c, "command_template",
                "{\"action\":\"set\",\"focus\":{{ 'null' if value == 'none' else (value | tojson) }}}");
        add_str(c, "value_template", "{{ value_json.focus if value_json.focus else 'none' }}");
        add_str(c, "icon", "mdi:target");

        /* The child lock: HA asks for the code on unlock and hands it to the template. */
        c = component(cmps, chair, &(struct component) { "child_lock", "lock", "Child lock" }, state);
        add_str(c, "command_topic", set);
        add_str(c, "payload_lock", "LOCK");
        add_str(c, "payload_unlock", "UNLOCK");
        add_str(c, "command_template",
                "{% if value == 'LOCK' %}{\"action\":\"lock\"}"
                "{% else %}{\"action\":\"unlock\",\"pin\":{{ code | string | tojson }}}{% endif %}");
        add_str(c, "code_format", "^[0-9]{4,8}$");
        add_str(c, "value_template", "{{ 'LOCKED' if value_json.locked else 'UNLOCKED' }}");
        add_str(c, "state_locked", "LOCKED");
        add_str(c, "state_unlocked", "UNLOCKED");
        add_str(c, "icon", "mdi:lock");
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
        /* Idle: "None", the payload HA's MQTT select takes as "unknown" (no option
         * selected; home-assistant/core#53227), never shown as an option. */
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
                /* Idle (0): payload_reset, HA's "unknown", not 0 outside the 1..5 slider */
                snprintf(t, sizeof(t), "{{ value_json.%s if value_json.%s else 'None' }}", k, k);
                add_str(c, "value_template", t);
                add_str(c, "payload_reset", "None");
                add(c, "min", json_object_new_int(1));
                add(c, "max", json_object_new_int(5));
                add(c, "step", json_object_new_int(1));
                add_str(c, "mode", "slider");
        }

        c = component(cmps, chair, &(struct component) { "heat", "switch", "Heat" }, state);
        add_str(c, "command_topic", set);
        add_str(c, "payload_on", "{\"action\":\"set\",\"heat\":true}");
        add_str(c, "payload_off", "{\"action\":\"set\",\"heat\":false}");
        /* the owner's setting (heat.wanted); heat.on also says whether it may heat right now */
        add_str(c, "value_template", "{{ 'ON' if value_json.heat.wanted else 'OFF' }}");
        add_str(c, "state_on", "ON");
        add_str(c, "state_off", "OFF");
        add_str(c, "icon", "mdi:heat-wave");

        static const struct component buttons[] = {
                { "stop", "button", "Stop" },
                { "pause", "button", "Pause" },
                { "resume", "button", "Resume" },
                { "skip", "button", "Next step" },
                { "clear_faults", "button", "Clear faults" },
        };
        for (size_t i = 0; i < sizeof(buttons) / sizeof(buttons[0]); i++) {
                char t[64];
                c = component(cmps, chair, &buttons[i], NULL);
                add_str(c, "command_topic", set);
                snprintf(t, sizeof(t), "{\"action\":\"%s\"}", buttons[i].key);
                add_str(c, "payload_press", t);
        }
        add_owner_entities(cmps, cfg, chair, state, set);

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

        discovery_diary(cmps, chair, base, set);

        add(o, "cmps", cmps);
        free(state), free(set), free(avail);
        return finish(o, ret);
}
