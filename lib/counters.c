/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <string.h>

#include "config.h"
#include "control.h"
#include "counters.h"
#include "json-util.h"

_Static_assert(_CHAIR_FAULT_COUNT <= CHAIR_COUNTERS_MAX_FAULTS, "fault codes outgrew the counters");

void chair_counter_tracker_init(struct chair_counter_tracker *t) {
        memset(t, 0, sizeof(*t));
}

static bool is_motor(enum chair_actuator a) {
        switch (a) {
        case CHAIR_ACT_CARRIAGE:
        case CHAIR_ACT_KNEAD:
        case CHAIR_ACT_TAP:
        case CHAIR_ACT_DEPTH:
        case CHAIR_ACT_PUMP:
        case CHAIR_ACT_BACKREST:
        case CHAIR_ACT_LEGREST:
                return true;
        default:
                return false;
        }
}

static const enum chair_actuator bag_valve[_CHAIR_BAG_COUNT] = {
        [CHAIR_BAG_LUMBAR_LEFT] = CHAIR_ACT_VALVE_LUMBAR_LEFT, [CHAIR_BAG_LUMBAR_RIGHT] = CHAIR_ACT_VALVE_LUMBAR_RIGHT,
        [CHAIR_BAG_SEAT] = CHAIR_ACT_VALVE_SEAT, [CHAIR_BAG_CALVES] = CHAIR_ACT_VALVE_CALVES,
};

void chair_counters_tick(struct chair_counter_tracker *t, const struct chair_config *cfg,
                         const struct chair_inputs *in, const struct chair_outputs *out, double dt) {
        struct chair_counters *c = &t->total;
        const struct chair_geometry *g = &cfg->hardware.geometry;

        if (!(dt >= 0))         /* also NaN */
                dt = 0;

        for (int a = 0; a < _CHAIR_ACT_COUNT; a++) {
                float v = out->v[a];
                float mag = fabsf(v);
                bool on = mag > CHAIR_COUNTERS_ON_THRESHOLD;   /* false for NaN */

                /* Most outputs are off most of the time: that path is one compare. */
                if (!on && !t->was_on[a])
                        continue;
                if (!cfg->hardware.outputs[a].present)
                        continue;
                struct chair_act_counters *ac = &c->act[a];
                if (on) {
                        ac->on_s += dt;
                        ac->duty_s += mag * dt;
                        if (!t->was_on[a])
                                ac->starts++;
                        if (chair_actuator_kind(a) == CHAIR_ACT_KIND_BIDIR) {
                                int8_t dir = v > 0 ? 1 : -1;
                                if (t->last_dir[a] != 0 && t->last_dir[a] != dir)
                                        ac->direction_changes++;
                                t->last_dir[a] = dir;
                        }
                }
                t->was_on[a] = on;
        }

        if (cfg->hardware.outputs[CHAIR_ACT_KNEAD].present && !isnan(out->v[CHAIR_ACT_KNEAD]))
                c->knead_cycles += fabsf(out->v[CHAIR_ACT_KNEAD]) * CHAIR_KNEAD_CYCLES_PER_S * dt;
        if (cfg->hardware.outputs[CHAIR_ACT_TAP].present && !isnan(out->v[CHAIR_ACT_TAP]))
                c->tap_cycles += fabsf(out->v[CHAIR_ACT_TAP]) * CHAIR_TAP_CYCLES_PER_S * dt;

        if (cfg->hardware.outputs[CHAIR_ACT_CARRIAGE].present) {
                if (cfg->hardware.inputs.encoder.set) {
                        if (t->have_prev)
                                c->carriage_mm += (double) (uint32_t) (in->encoder_pulses - t->last_pulses) *
                                                  g->mm_per_pulse;
                        t->last_pulses = in->encoder_pulses;
                } else if (!isnan(out->v[CHAIR_ACT_CARRIAGE]))
                        c->carriage_mm += fabsf(out->v[CHAIR_ACT_CARRIAGE]) * g->carriage_mm_s * dt;
        }

        /* An inflation: a valve connects its bag (0→1) and the pump runs while it
         * stays connected.  Counting the valve edge, not pump pulses, keeps the
         * pressure regulation's on/off pumping from inflating the count. */
        bool pump_on = cfg->hardware.outputs[CHAIR_ACT_PUMP].present &&
                       fabsf(out->v[CHAIR_ACT_PUMP]) > CHAIR_COUNTERS_ON_THRESHOLD;
        for (int b = 0; b < _CHAIR_BAG_COUNT; b++) {
                enum chair_actuator valve = bag_valve[b];
                bool open = out->v[valve] >= 0.5f;
                if (!open && !t->bag_open_prev[b] && !t->bag_armed[b])
                        continue;       /* the usual case, in one compare */
                if (!cfg->hardware.outputs[valve].present)
                        continue;
                if (!open)
                        t->bag_armed[b] = false;
                else if (!t->bag_open_prev[b])
                        t->bag_armed[b] = true;
                if (open && t->bag_armed[b] && pump_on) {
                        c->inflations[b]++;
                        t->bag_armed[b] = false;
                }
                t->bag_open_prev[b] = open;
        }
        t->have_prev = true;
}

void chair_counters_event(struct chair_counter_tracker *t, const struct chair_event *e) {
        switch (e->kind) {
        case CHAIR_EVENT_SESSION_STARTED:
                t->total.sessions++;
                break;
        case CHAIR_EVENT_FAULT:
                if ((unsigned) e->fault.code < _CHAIR_FAULT_COUNT)
                        t->total.faults[e->fault.code]++;
                break;
        default:
                break;
        }
}

void chair_counters_add(struct chair_counters *dst, const struct chair_counters *src) {
        for (int a = 0; a < _CHAIR_ACT_COUNT; a++) {
                dst->act[a].on_s += src->act[a].on_s;
                dst->act[a].duty_s += src->act[a].duty_s;
                dst->act[a].starts += src->act[a].starts;
                dst->act[a].direction_changes += src->act[a].direction_changes;
        }
        dst->knead_cycles += src->knead_cycles;
        dst->tap_cycles += src->tap_cycles;
        dst->carriage_mm += src->carriage_mm;
        for (int b = 0; b < _CHAIR_BAG_COUNT; b++)
                dst->inflations[b] += src->inflations[b];
        dst->sessions += src->sessions;
        dst->self_tests += src->self_tests;
        for (int f = 0; f < _CHAIR_FAULT_COUNT; f++)
                dst->faults[f] += src->faults[f];
}

double chair_counters_motor_s(const struct chair_counters *c) {
        double s = 0;
        for (int a = 0; a < _CHAIR_ACT_COUNT; a++)
                if (is_motor(a))
                        s += c->act[a].on_s;
        return s;
}

/* ---- JSON ---------------------------------------------------------------- */

/* Seconds and millimetres are kept to a millisecond / micrometre: plenty, and
 * the file stays readable. */
static struct json_object *num(double v) {
        return json_object_new_double(round(v * 1000.0) / 1000.0);
}

static bool part_present(const struct chair_config *cfg, enum chair_actuator a) {
        return !cfg || cfg->hardware.outputs[a].present;
}

struct json_object *chair_counters_to_json(const struct chair_counters *c, const struct chair_config *cfg) {
        struct json_object *o = json_object_new_object(), *acts = json_object_new_object(),
                           *bags = json_object_new_object(), *recl = json_object_new_object(),
                           *faults = json_object_new_object();
        int r = 0;

        if (!o || !acts || !bags || !recl || !faults)
                goto fail;
        for (int a = 0; a < _CHAIR_ACT_COUNT && r == 0; a++) {
                if (!part_present(cfg, a))
                        continue;
                struct json_object *x = json_object_new_object();
                if (!x)
                        goto fail;
                r |= chair_json_add(x, "run_s", num(c->act[a].on_s));
                r |= chair_json_add(x, "duty_s", num(c->act[a].duty_s));
                r |= chair_json_add(x, "starts", json_object_new_int64((int64_t) c->act[a].starts));
                if (chair_actuator_kind(a) == CHAIR_ACT_KIND_BIDIR)
                        r |= chair_json_add(x, "direction_changes", json_object_new_int64((int64_t) c->act[a].direction_changes));
                r |= chair_json_add(acts, chair_actuator_name(a), x);
        }
        for (int b = 0; b < _CHAIR_BAG_COUNT && r == 0; b++)
                if (part_present(cfg, chair_airbag_valve(b)))
                        r |= chair_json_add(bags, chair_airbag_name(b), json_object_new_int64((int64_t) c->inflations[b]));
        if (part_present(cfg, CHAIR_ACT_BACKREST))
                r |= chair_json_add(recl, "backrest", json_object_new_int64((int64_t) c->act[CHAIR_ACT_BACKREST].starts));
        if (part_present(cfg, CHAIR_ACT_LEGREST))
                r |= chair_json_add(recl, "legrest", json_object_new_int64((int64_t) c->act[CHAIR_ACT_LEGREST].starts));
        for (int f = 0; f < _CHAIR_FAULT_COUNT && r == 0; f++)
                r |= chair_json_add(faults, chair_fault_code(f), json_object_new_int64((int64_t) c->faults[f]));
        if (r != 0)
                goto fail;

        r |= chair_json_add(o, "actuators", acts);
        acts = NULL;
        r |= chair_json_add(o, "motor_run_s", num(chair_counters_motor_s(c)));
        r |= chair_json_add(o, "knead_cycles", num(c->knead_cycles));
        r |= chair_json_add(o, "tap_cycles", num(c->tap_cycles));
        r |= chair_json_add(o, "carriage_travel_mm", num(c->carriage_mm));
        r |= chair_json_add(o, "heater_on_s", num(c->act[CHAIR_ACT_HEATER].on_s));
        r |= chair_json_add(o, "airbag_inflations", bags);
        bags = NULL;
        r |= chair_json_add(o, "recline_travels", recl);
        recl = NULL;
        r |= chair_json_add(o, "sessions", json_object_new_int64((int64_t) c->sessions));
        r |= chair_json_add(o, "self_tests", json_object_new_int64((int64_t) c->self_tests));
        r |= chair_json_add(o, "faults", faults);
        faults = NULL;
        if (r != 0)
                goto fail;
        return o;
fail:
        json_object_put(acts);
        json_object_put(bags);
        json_object_put(recl);
        json_object_put(faults);
        json_object_put(o);
        return NULL;
}

static int get_double(struct json_object *o, const char *key, double *v) {
        struct json_object *x;

        if (!json_object_object_get_ex(o, key, &x))
                return 0;
        if (!json_object_is_type(x, json_type_double) && !json_object_is_type(x, json_type_int))
                return -EINVAL;
        double d = json_object_get_double(x);
        if (!isfinite(d) || d < 0)
                return -EINVAL;
        *v = d;
        return 0;
}

static int get_u64(struct json_object *o, const char *key, uint64_t *v) {
        struct json_object *x;

        if (!json_object_object_get_ex(o, key, &x))
                return 0;
        if (!json_object_is_type(x, json_type_int))
                return -EINVAL;
        int64_t i = json_object_get_int64(x);
        if (i < 0)
                return -EINVAL;
        *v = (uint64_t) i;
        return 0;
}

static int get_obj(struct json_object *o, const char *key, struct json_object **x) {
        *x = NULL;
        if (!json_object_object_get_ex(o, key, x))
                return 0;
        if (!json_object_is_type(*x, json_type_object))
                return -EINVAL;
        return 1;
}

int chair_counters_from_json(struct json_object *o, struct chair_counters *c) {
        struct json_object *x;
        int r = 0;

        memset(c, 0, sizeof(*c));
        if (!o || !json_object_is_type(o, json_type_object))
                return -EINVAL;

        if (get_obj(o, "actuators", &x) < 0)
                return -EINVAL;
        for (int a = 0; x && a < _CHAIR_ACT_COUNT; a++) {
                struct json_object *y;
                int k = get_obj(x, chair_actuator_name(a), &y);
                if (k < 0)
                        return -EINVAL;
                if (k == 0)
                        continue;
                r |= get_double(y, "run_s", &c->act[a].on_s);
                r |= get_double(y, "duty_s", &c->act[a].duty_s);
                r |= get_u64(y, "starts", &c->act[a].starts);
                r |= get_u64(y, "direction_changes", &c->act[a].direction_changes);
        }
        r |= get_double(o, "knead_cycles", &c->knead_cycles);
        r |= get_double(o, "tap_cycles", &c->tap_cycles);
        r |= get_double(o, "carriage_travel_mm", &c->carriage_mm);
        if (get_obj(o, "airbag_inflations", &x) < 0)
                return -EINVAL;
        for (int b = 0; x && b < _CHAIR_BAG_COUNT; b++)
                r |= get_u64(x, chair_airbag_name(b), &c->inflations[b]);
        r |= get_u64(o, "sessions", &c->sessions);
        r |= get_u64(o, "self_tests", &c->self_tests);
        if (get_obj(o, "faults", &x) < 0)
                return -EINVAL;
        for (int f = 0; x && f < _CHAIR_FAULT_COUNT; f++)
                r |= get_u64(x, chair_fault_code(f), &c->faults[f]);
        /* heater_on_s, motor_run_s and recline_travels are derived: written for
         * readers, recomputed from the actuators here. */
        return r ? -EINVAL : 0;
}
