/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "selftest.h"
#include "strtab.h"

/* Figures of the test, with the reason for each (see selftest.h for the plan). */
#define SETTLE_S               0.3     /* motors coast to a stop (carriage tau 50 ms) between parts */
#define CARRIAGE_DUTY          0.6f    /* well above the stall threshold, gentle on the mechanics */
#define CARRIAGE_AWAY_S        1.0     /* ~70 mm on the reference chair: plenty of pulses */
#define PULSE_WINDOW_FRACTION  0.6     /* of safety.stall_s: fail before the supervisor latches a stall */
#define DEPTH_DUTY             0.5f
#define DEPTH_DELTA            0.05f
#define DEPTH_MOVE_S           1.0
#define DEPTH_RETURN_S         2.0
#define DEPTH_RETURN_TOL       0.02f
#define RUN_DUTY               0.5f    /* knead, tap, and parts without feedback */
#define RUN_S                  1.0
#define HEATER_RISE_C          0.5f    /* ten times the sensor noise, reached in seconds */
#define HEATER_MAX_S           20.0
#define HEATER_MARGIN_C        1.0f
#define BAG_RISE_KPA           2.0f
#define BAG_MAX_S              5.0
#define BAG_BLIND_S            0.5     /* without a pressure sensor: a short puff */
#define RECLINE_DUTY           0.8f
#define RECLINE_DELTA          0.03f
#define RECLINE_RETURN_TOL     0.01f
#define RECLINE_BLIND_S        0.5
#define STILL_EPS              0.002f  /* the supervisor's motor-stall threshold (safety.c) */
#define STILL_MIN_WINDOW_S     1.0     /* ... and its shortest window */

static const char *const part_names[_CHAIR_ST_PART_COUNT] = {
        [CHAIR_ST_CARRIAGE] = "carriage",
        [CHAIR_ST_DEPTH] = "depth",
        [CHAIR_ST_KNEAD] = "knead",
        [CHAIR_ST_TAP] = "tap",
        [CHAIR_ST_HEATER] = "heater",
        [CHAIR_ST_AIRBAG_LUMBAR_LEFT] = "airbag-lumbar-left",
        [CHAIR_ST_AIRBAG_LUMBAR_RIGHT] = "airbag-lumbar-right",
        [CHAIR_ST_AIRBAG_SEAT] = "airbag-seat",
        [CHAIR_ST_AIRBAG_CALVES] = "airbag-calves",
        [CHAIR_ST_BACKREST] = "backrest",
        [CHAIR_ST_LEGREST] = "legrest",
};

static const char *const result_names[] = {
        [CHAIR_ST_PENDING] = "pending",
        [CHAIR_ST_PASS] = "pass",
        [CHAIR_ST_FAIL] = "fail",
        [CHAIR_ST_SKIPPED] = "skipped",
        [CHAIR_ST_NOT_CHECKED] = "not_checked",
};

static const char *const reason_messages[_CHAIR_ST_REASON_COUNT] = {
        [CHAIR_ST_OK] = "feedback as expected",
        [CHAIR_ST_NOT_FITTED] = "not fitted on this chair",
        [CHAIR_ST_NO_FEEDBACK] = "no feedback sensor; ran briefly",
        [CHAIR_ST_NO_PULSES] = "no encoder pulses while driven",
        [CHAIR_ST_NO_END_SWITCH] = "end switch not reached in time",
        [CHAIR_ST_NO_MOVEMENT] = "position did not change while driven",
        [CHAIR_ST_NOT_RETURNED] = "did not return to its starting position",
        [CHAIR_ST_NO_TEMP_RISE] = "temperature did not rise while heating",
        [CHAIR_ST_SENSOR_FAULT] = "sensor reads open, shorted or implausible",
        [CHAIR_ST_TOO_WARM] = "already close to its temperature limit",
        [CHAIR_ST_NO_PRESSURE_RISE] = "pressure did not rise with pump and valve on",
        [CHAIR_ST_NO_PRESSURE_FALL] = "pressure did not fall when vented",
        [CHAIR_ST_NO_PUMP] = "no air pump fitted",
        [CHAIR_ST_ABORT_ESTOP] = "aborted: stop button pressed",
        [CHAIR_ST_ABORT_OCCUPIED] = "aborted: seat occupied",
        [CHAIR_ST_ABORT_OBSTACLE] = "aborted: obstacle under the chair",
        [CHAIR_ST_ABORT_STOPPED] = "aborted: stopped",
};

CHAIR_DEFINE_NAME(chair_st_part_name, enum chair_st_part, part_names, "unknown")
CHAIR_DEFINE_NAME(chair_st_result_name, enum chair_st_result, result_names, "unknown")
CHAIR_DEFINE_NAME(chair_st_reason_message, enum chair_st_reason, reason_messages, "unknown")

/* The actuator a part drives (airbags: their valve). */
static enum chair_actuator part_actuator(enum chair_st_part p) {
        switch (p) {
        case CHAIR_ST_CARRIAGE: return CHAIR_ACT_CARRIAGE;
        case CHAIR_ST_DEPTH: return CHAIR_ACT_DEPTH;
        case CHAIR_ST_KNEAD: return CHAIR_ACT_KNEAD;
        case CHAIR_ST_TAP: return CHAIR_ACT_TAP;
        case CHAIR_ST_HEATER: return CHAIR_ACT_HEATER;
        case CHAIR_ST_BACKREST: return CHAIR_ACT_BACKREST;
        case CHAIR_ST_LEGREST: return CHAIR_ACT_LEGREST;
        default: return chair_airbag_valve((enum chair_airbag) (p - CHAIR_ST_AIRBAG_LUMBAR_LEFT));
        }
}

static bool fitted(const struct chair_selftest *t, enum chair_actuator a) {
        return t->cfg->hardware.outputs[a].present;
}

void chair_selftest_init(struct chair_selftest *t, const struct chair_config *cfg) {
        memset(t, 0, sizeof(*t));
        t->cfg = cfg;
        for (int p = 0; p < _CHAIR_ST_PART_COUNT; p++)
                t->report.item[p].part = (uint8_t) p;
}

static enum chair_st_reason blocked(const struct chair_selftest *t, const struct chair_inputs *in) {
        const struct chair_input_config *ic = &t->cfg->hardware.inputs;

        if (in->estop)
                return CHAIR_ST_ABORT_ESTOP;
        if (ic->occupancy.set && in->occupied)
                return CHAIR_ST_ABORT_OCCUPIED;
        if (ic->obstacle.set && in->obstacle)
                return CHAIR_ST_ABORT_OBSTACLE;
        return CHAIR_ST_OK;
}

static bool next_part(struct chair_selftest *t, bool first);

static void begin_part(struct chair_selftest *t) {
        t->phase = 0;
        t->t = 0;
        t->fresh = true;
        t->pulses = 0;
        t->since_pulse_s = 0;
        t->dir = 0;
        t->base = t->peak = 0;
}

enum chair_st_reason chair_selftest_start(struct chair_selftest *t, const struct chair_inputs *in) {
        if (t->running)
                return CHAIR_ST_ABORT_STOPPED;
        enum chair_st_reason why = blocked(t, in);
        if (why != CHAIR_ST_OK)
                return why;

        memset(&t->report, 0, sizeof(t->report));
        for (int p = 0; p < _CHAIR_ST_PART_COUNT; p++)
                t->report.item[p].part = (uint8_t) p;
        t->running = true;
        t->settling = false;
        t->part = 0;
        t->total_t = 0;
        t->have_pulses = false;
        /* Lands on _CHAIR_ST_PART_COUNT when nothing is fitted: the first step finishes. */
        if (!next_part(t, true))
                t->part = _CHAIR_ST_PART_COUNT;
        return CHAIR_ST_OK;
}

bool chair_selftest_running(const struct chair_selftest *t) {
        return t->running;
}

const struct chair_st_report *chair_selftest_report(const struct chair_selftest *t) {
        return &t->report;
}

static void finish(struct chair_selftest *t) {
        struct chair_st_report *r = &t->report;

        t->running = false;
        r->done = true;
        r->failed = 0;
        for (int p = 0; p < _CHAIR_ST_PART_COUNT; p++)
                if (r->item[p].result == CHAIR_ST_FAIL)
                        r->failed++;
        r->passed = !r->aborted && r->failed == 0;
        r->duration_s = (float) t->total_t;
}

void chair_selftest_abort(struct chair_selftest *t, enum chair_st_reason why) {
        if (!t->running)
                return;
        for (int p = 0; p < _CHAIR_ST_PART_COUNT; p++) {
                struct chair_st_item *it = &t->report.item[p];
                if (it->result == CHAIR_ST_PENDING) {
                        it->result = CHAIR_ST_SKIPPED;
                        it->reason = (uint8_t) why;
                }
        }
        t->report.aborted = true;
        finish(t);
}

/* The part under way is decided: record it and settle before the next one. */
static void part_done(struct chair_selftest *t, enum chair_st_result res, enum chair_st_reason why, float measured) {
        struct chair_st_item *it = &t->report.item[t->part];
        it->result = (uint8_t) res;
        it->reason = (uint8_t) why;
        it->measured = measured;
        t->settling = true;
        t->settle_t = 0;
}

/* ---- parts ------------------------------------------------------------- */

static void run_carriage(struct chair_selftest *t, const struct chair_inputs *in, uint32_t pulses,
                         struct chair_outputs *out) {
        const struct chair_config *cfg = t->cfg;
        const struct chair_input_config *ic = &cfg->hardware.inputs;
        const struct chair_geometry *g = &cfg->hardware.geometry;
        bool encoder = ic->encoder.set;
        double window = PULSE_WINDOW_FRACTION * cfg->safety.stall_s;

        if (window < 0.05)
                window = 0.05;
        if (!encoder && !ic->carriage_home.set) {
                /* Nothing to check against: a short run so a technician can listen. */
                if (t->t < RUN_S)
                        out->v[CHAIR_ACT_CARRIAGE] = RUN_DUTY;
                else
                        part_done(t, CHAIR_ST_NOT_CHECKED, CHAIR_ST_NO_FEEDBACK, 0);
                return;
        }
        if (t->fresh) {
                t->fresh = false;
                /* Away from the end it sits at; toward the head from anywhere else. */
                t->dir = ic->carriage_end.set && in->carriage_end ? -1 : 1;
        }
        t->pulses += pulses;
        t->since_pulse_s = pulses ? 0 : t->since_pulse_s;

        if (t->phase == 0) {
                bool at_end = t->dir > 0 ? (ic->carriage_end.set && in->carriage_end) :
                                           (ic->carriage_home.set && in->carriage_home);
                if (encoder && t->since_pulse_s >= window) {
                        part_done(t, CHAIR_ST_FAIL, CHAIR_ST_NO_PULSES, (float) t->pulses);
                        return;
                }
                if (t->t >= CARRIAGE_AWAY_S || at_end) {
                        if (!ic->carriage_home.set) {
                                part_done(t, CHAIR_ST_PASS, CHAIR_ST_OK, (float) t->pulses);
                                return;
                        }
                        t->phase = 1;
                        t->t = 0;
                        t->since_pulse_s = 0;
                } else {
                        out->v[CHAIR_ACT_CARRIAGE] = (float) t->dir * CARRIAGE_DUTY;
                        return;
                }
        }

        /* phase 1: home */
        if (in->carriage_home) {
                part_done(t, CHAIR_ST_PASS, CHAIR_ST_OK, (float) t->pulses);
                return;
        }
        double limit = g->track_mm / (CARRIAGE_DUTY * g->carriage_mm_s) * 1.5 + 2.0;
        if (limit > 0.9 * cfg->safety.travel_timeout_s)
                limit = 0.9 * cfg->safety.travel_timeout_s;
        if (encoder && t->since_pulse_s >= window) {
                part_done(t, CHAIR_ST_FAIL, CHAIR_ST_NO_PULSES, (float) t->pulses);
                return;
        }
        if (t->t >= limit) {
                part_done(t, CHAIR_ST_FAIL, CHAIR_ST_NO_END_SWITCH, (float) t->pulses);
                return;
        }
        out->v[CHAIR_ACT_CARRIAGE] = -CARRIAGE_DUTY;
}

/* Move a positioned part away from its nearer end by delta and back. */
static void run_positioned(struct chair_selftest *t, enum chair_actuator a, float pos, bool has_sensor,
                           float duty, float delta, double move_s, double return_s, float tol,
                           struct chair_outputs *out) {
        if (!has_sensor) {
                if (t->t < RECLINE_BLIND_S)
                        out->v[a] = duty;
                else if (t->t < 2 * RECLINE_BLIND_S)
                        out->v[a] = -duty;
                else
                        part_done(t, CHAIR_ST_NOT_CHECKED, CHAIR_ST_NO_FEEDBACK, 0);
                return;
        }
        if (isnan(pos)) {
                part_done(t, CHAIR_ST_FAIL, CHAIR_ST_SENSOR_FAULT, 0);
                return;
        }
        if (t->fresh) {
                t->fresh = false;
                t->base = t->ref = pos;
                t->still_s = 0;
                t->dir = pos < 0.5f ? 1 : -1;
        }
        float moved = (pos - t->base) * (float) t->dir;
        /* Still while driven: decide before the supervisor's motor_stall would. */
        double still_window = t->cfg->safety.stall_s > STILL_MIN_WINDOW_S ? t->cfg->safety.stall_s : STILL_MIN_WINDOW_S;
        if (fabsf(pos - t->ref) >= STILL_EPS) {
                t->ref = pos;
                t->still_s = 0;
        }
        bool still = t->still_s >= PULSE_WINDOW_FRACTION * still_window;
        if (t->phase == 0) {
                if (moved >= delta) {
                        t->peak = moved;
                        t->phase = 1;
                        t->t = 0;
                        t->still_s = 0;
                        still = false;
                } else if (t->t >= move_s || still) {
                        part_done(t, CHAIR_ST_FAIL, CHAIR_ST_NO_MOVEMENT, fabsf(moved));
                        return;
                } else {
                        out->v[a] = (float) t->dir * duty;
                        return;
                }
        }
        if (moved <= tol) {
                part_done(t, CHAIR_ST_PASS, CHAIR_ST_OK, t->peak);
                return;
        }
        if (t->t >= return_s || still) {
                part_done(t, CHAIR_ST_FAIL, CHAIR_ST_NOT_RETURNED, t->peak);
                return;
        }
        out->v[a] = -(float) t->dir * duty;
}

static void run_plain(struct chair_selftest *t, enum chair_actuator a, struct chair_outputs *out) {
        if (t->t < RUN_S)
                out->v[a] = RUN_DUTY;
        else
                part_done(t, CHAIR_ST_NOT_CHECKED, CHAIR_ST_NO_FEEDBACK, 0);
}

static void run_heater(struct chair_selftest *t, const struct chair_inputs *in, struct chair_outputs *out) {
        const struct chair_config *cfg = t->cfg;
        bool bad = in->heater_sensor != CHAIR_SENSOR_OK || !isfinite(in->heater_c);

        if (!cfg->hardware.inputs.heater_temp.set) {
                part_done(t, CHAIR_ST_SKIPPED, CHAIR_ST_NO_FEEDBACK, 0);
                return;
        }
        if (bad) {
                part_done(t, CHAIR_ST_FAIL, CHAIR_ST_SENSOR_FAULT, 0);
                return;
        }
        if (t->fresh) {
                t->fresh = false;
                t->base = in->heater_c;
                if (t->base + HEATER_RISE_C > cfg->safety.heater_max_c - HEATER_MARGIN_C) {
                        part_done(t, CHAIR_ST_SKIPPED, CHAIR_ST_TOO_WARM, 0);
                        return;
                }
        }
        float rise = in->heater_c - t->base;
        if (rise >= HEATER_RISE_C) {
                part_done(t, CHAIR_ST_PASS, CHAIR_ST_OK, rise);
                return;
        }
        if (t->t >= HEATER_MAX_S) {
                part_done(t, CHAIR_ST_FAIL, CHAIR_ST_NO_TEMP_RISE, rise);
                return;
        }
        out->v[CHAIR_ACT_HEATER] = 1.0f;
}

static void run_airbag(struct chair_selftest *t, enum chair_airbag b, const struct chair_inputs *in,
                       struct chair_outputs *out) {
        const struct chair_config *cfg = t->cfg;
        enum chair_actuator valve = chair_airbag_valve(b);

        if (!fitted(t, CHAIR_ACT_PUMP)) {
                part_done(t, CHAIR_ST_SKIPPED, CHAIR_ST_NO_PUMP, 0);
                return;
        }
        if (!cfg->hardware.inputs.pressure[b].set) {
                if (t->t < BAG_BLIND_S) {
                        out->v[valve] = 1.0f;
                        out->v[CHAIR_ACT_PUMP] = 1.0f;
                } else {
                        out->v[valve] = 0.0f;
                        if (t->t >= 2 * BAG_BLIND_S)
                                part_done(t, CHAIR_ST_NOT_CHECKED, CHAIR_ST_NO_FEEDBACK, 0);
                }
                return;
        }
        float p = in->pressure_kpa[b];
        if (!isfinite(p)) {
                part_done(t, CHAIR_ST_FAIL, CHAIR_ST_SENSOR_FAULT, 0);
                return;
        }
        if (t->fresh) {
                t->fresh = false;
                t->base = t->peak = p;
        }
        if (t->phase == 0) {
                if (p > t->peak)
                        t->peak = p;
                if (p - t->base >= BAG_RISE_KPA) {
                        t->phase = 1;
                        t->t = 0;
                } else if (t->t >= BAG_MAX_S) {
                        part_done(t, CHAIR_ST_FAIL, CHAIR_ST_NO_PRESSURE_RISE, p - t->base);
                        return;
                } else {
                        out->v[valve] = 1.0f;
                        out->v[CHAIR_ACT_PUMP] = 1.0f;
                        return;
                }
        }
        /* phase 1: vent (valve 0 connects the bag to the vent) */
        if (t->peak - p >= BAG_RISE_KPA / 2) {
                part_done(t, CHAIR_ST_PASS, CHAIR_ST_OK, t->peak - t->base);
                return;
        }
        if (t->t >= BAG_MAX_S) {
                part_done(t, CHAIR_ST_FAIL, CHAIR_ST_NO_PRESSURE_FALL, t->peak - t->base);
                return;
        }
        out->v[valve] = 0.0f;
}

static void run_part(struct chair_selftest *t, const struct chair_inputs *in, uint32_t pulses,
                     struct chair_outputs *out) {
        const struct chair_config *cfg = t->cfg;
        const struct chair_input_config *ic = &cfg->hardware.inputs;
        double recline_expected = RECLINE_DELTA * cfg->hardware.geometry.recline_s / RECLINE_DUTY;

        switch ((enum chair_st_part) t->part) {
        case CHAIR_ST_CARRIAGE:
                run_carriage(t, in, pulses, out);
                break;
        case CHAIR_ST_DEPTH:
                run_positioned(t, CHAIR_ACT_DEPTH, in->depth, ic->depth_pos.set, DEPTH_DUTY, DEPTH_DELTA,
                               DEPTH_MOVE_S, DEPTH_RETURN_S, DEPTH_RETURN_TOL, out);
                break;
        case CHAIR_ST_KNEAD:
                run_plain(t, CHAIR_ACT_KNEAD, out);
                break;
        case CHAIR_ST_TAP:
                run_plain(t, CHAIR_ACT_TAP, out);
                break;
        case CHAIR_ST_HEATER:
                run_heater(t, in, out);
                break;
        case CHAIR_ST_BACKREST:
                run_positioned(t, CHAIR_ACT_BACKREST, in->backrest, ic->backrest_pos.set, RECLINE_DUTY,
                               RECLINE_DELTA, 2 * recline_expected + 1, 2 * recline_expected + 1,
                               RECLINE_RETURN_TOL, out);
                break;
        case CHAIR_ST_LEGREST:
                run_positioned(t, CHAIR_ACT_LEGREST, in->legrest, ic->legrest_pos.set, RECLINE_DUTY,
                               RECLINE_DELTA, 2 * recline_expected + 1, 2 * recline_expected + 1,
                               RECLINE_RETURN_TOL, out);
                break;
        default:
                run_airbag(t, (enum chair_airbag) (t->part - CHAIR_ST_AIRBAG_LUMBAR_LEFT), in, out);
                break;
        }
}

/* Move on to the next fitted part, recording unfitted ones on the way.
 * Returns false when none is left. */
static bool next_part(struct chair_selftest *t, bool first) {
        unsigned p = first ? t->part : t->part + 1u;

        for (; p < _CHAIR_ST_PART_COUNT; p++) {
                if (fitted(t, part_actuator(p)))
                        break;
                t->report.item[p].result = CHAIR_ST_SKIPPED;
                t->report.item[p].reason = CHAIR_ST_NOT_FITTED;
        }
        if (p >= _CHAIR_ST_PART_COUNT)
                return false;
        t->part = (uint8_t) p;
        begin_part(t);
        return true;
}

bool chair_selftest_step(struct chair_selftest *t, const struct chair_inputs *in, double dt,
                         struct chair_outputs *out) {
        uint32_t pulses = 0;

        chair_outputs_safe(t->cfg, out);
        if (!t->running)
                return false;
        if (!(dt >= 0))
                dt = 0;
        if (t->have_pulses)
                pulses = in->encoder_pulses - t->last_pulses;   /* wraps correctly */
        t->last_pulses = in->encoder_pulses;
        t->have_pulses = true;
        t->total_t += dt;

        enum chair_st_reason why = blocked(t, in);
        if (why != CHAIR_ST_OK) {
                chair_selftest_abort(t, why);
                return true;
        }

        if (t->part >= _CHAIR_ST_PART_COUNT) {
                finish(t);
                return true;
        }

        if (t->settling) {
                t->settle_t += dt;
                if (t->settle_t < SETTLE_S)
                        return false;
                t->settling = false;
                if (!next_part(t, false)) {
                        finish(t);
                        return true;
                }
        }

        if (t->fresh)
                t->t = 0;
        else {
                t->t += dt;
                t->since_pulse_s += dt;
                t->still_s += dt;
        }
        run_part(t, in, pulses, out);
        t->fresh = false;
        if (t->settling) {
                /* decided this tick: everything safe from now on */
                chair_outputs_safe(t->cfg, out);
        }
        return false;
}

int chair_st_report_summary(const struct chair_st_report *r, char *buf, size_t size) {
        size_t len = 0;
        int need = 0;
        bool full = false;

        if (size)
                buf[0] = '\0';
        for (int p = 0; p < _CHAIR_ST_PART_COUNT; p++) {
                const struct chair_st_item *it = &r->item[p];
                char one[160];
                int n;

                if (it->result == CHAIR_ST_SKIPPED && it->reason == CHAIR_ST_NOT_FITTED)
                        continue;
                if (it->result == CHAIR_ST_PASS || it->result == CHAIR_ST_PENDING)
                        n = snprintf(one, sizeof(one), "%s%s=%s", need ? " " : "", chair_st_part_name(p),
                                     chair_st_result_name(it->result));
                else
                        n = snprintf(one, sizeof(one), "%s%s=%s(%s)", need ? " " : "", chair_st_part_name(p),
                                     chair_st_result_name(it->result), chair_st_reason_message(it->reason));
                if (n < 0)
                        continue;
                need += n;
                /* Whole entries only, and none after the first that did not fit. */
                if (!full && len + (size_t) n < size) {
                        memcpy(buf + len, one, (size_t) n + 1);
                        len += (size_t) n;
                } else
                        full = true;
        }
        return need;
}
