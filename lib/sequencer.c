/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <string.h>

#include "clamp.h"
#include "config.h"
#include "sequencer.h"

/* Body scan: the rollers press out lightly while the carriage climbs; on the
 * back they stop near the contact depth, above the shoulders they run free. */
#define SCAN_CARRIAGE_V   0.35f    /* ~40 mm/s on the reference chair: slow enough to feel */
#define SCAN_DEPTH_V      0.6f
#define SCAN_CONTACT_MAX  0.45f    /* depth at or below this: rollers are on the back */
#define SCAN_FREE_MIN     0.60f    /* depth at or above this: rollers passed the shoulders */
#define SCAN_SETTLE_S     1.0f     /* let the rollers reach the back before judging */
#define RETRACT_MAX_S     3.0f
#define PARK_V            (-0.6f)
#define DEPTH_PARKED      0.05f
#define STEP_BLEND_S      2.0f     /* smooth ramp from one step's setpoints to the next */
#define LIVE_RATE_PER_S   1.0f     /* intensity/speed change per second when the owner turns it */
#define FOCUS_HALF_MM     40.0f    /* a focused zone: the landmark ±4 cm */
#define POINT_HALF_MM     30.0f    /* a step on a single landmark: ±3 cm */
#define MIN_ZONE_MM       40.0f
#define FALLBACK_HEIGHT_CM 175.0f  /* average adult, used when the chair cannot scan */
#define MIN_BUDGET_S      10.0

/* Backrest and legrest positions of the named recline positions. */
static const float recline_pos[_CHAIR_RECLINE_COUNT][2] = {
        [CHAIR_RECLINE_UPRIGHT] = { 0.0f, 0.0f },
        [CHAIR_RECLINE_RELAX] = { 0.45f, 0.40f },
        [CHAIR_RECLINE_ZERO_GRAVITY] = { 0.80f, 0.70f },
};

static float approach(float v, float target, float max_step) {
        if (v < target)
                return fminf(v + max_step, target);
        return fmaxf(v - max_step, target);
}

void chair_seq_init(struct chair_seq *s) {
        memset(s, 0, sizeof(*s));
        s->phase = CHAIR_SEQ_IDLE;
        s->prog_index = -1;
        s->focus = -1;
        s->recline = CHAIR_RECLINE_KEEP;
        s->owner_recline = CHAIR_RECLINE_KEEP;
}

static bool has_output(const struct chair_config *cfg, enum chair_actuator a) {
        return cfg->hardware.outputs[a].present;
}

static bool can_scan(const struct chair_config *cfg) {
        return has_output(cfg, CHAIR_ACT_CARRIAGE) && has_output(cfg, CHAIR_ACT_DEPTH) &&
               cfg->hardware.inputs.depth_pos.set && cfg->hardware.inputs.carriage_home.set;
}

void chair_seq_start(struct chair_seq *s, const struct chair_config *cfg, const struct chair_program *p,
                     int16_t index, uint32_t minutes, uint8_t intensity, uint8_t speed, bool heat,
                     int8_t focus) {
        struct chair_body keep_body = s->body;
        bool keep_scanned = s->scanned;

        chair_seq_init(s);
        s->body = keep_body;
        s->scanned = keep_scanned;
        s->prog = p;
        s->prog_index = index;
        s->planned_s = minutes * 60u;
        s->intensity = intensity;
        s->speed = speed;
        s->heat = heat;
        s->focus = focus;
        s->live_intensity = chair_clampf(p->steps[0].intensity + (intensity - 3), 1, 5);
        s->live_speed = chair_clampf(p->steps[0].speed + (speed - 3), 1, 5);
        s->scanned = false;
        s->phase = has_output(cfg, CHAIR_ACT_CARRIAGE) && cfg->hardware.inputs.carriage_home.set
                ? CHAIR_SEQ_HOMING : CHAIR_SEQ_RETRACT;
}

static void finish_scan(struct chair_seq *s, const struct chair_config *cfg, float shoulder_mm) {
        chair_body_from_shoulder(&cfg->hardware.geometry, chair_clampf(shoulder_mm, 0, cfg->hardware.geometry.track_mm),
                                 &s->body);
        s->scanned = true;
}

/* Lay out the steps over what is left of the session after the scan. */
static void plan_steps(struct chair_seq *s) {
        double budget = (double) s->planned_s - s->elapsed_s;
        double t = 0;

        if (budget < MIN_BUDGET_S)
                budget = MIN_BUDGET_S;
        s->scale = budget / (double) s->prog->total_s;
        for (size_t i = 0; i < s->prog->n_steps; i++) {
                t += s->prog->steps[i].duration_s * s->scale;
                s->step_end_s[i] = t;
        }
        /* Rounding must not leave a sliver past the planned time. */
        s->step_end_s[s->prog->n_steps - 1] = budget;
        s->step = 0;
        s->step_t_s = 0;
        s->run_s = 0;
        s->step_changed = true;
}

static void enter(struct chair_seq *s, enum chair_seq_phase p) {
        s->phase = p;
        s->phase_t_s = 0;
}

void chair_seq_start_scanned(struct chair_seq *s) {
        s->scanned = true;
        enter(s, CHAIR_SEQ_RUNNING);
        plan_steps(s);
}

static bool steps_planned(const struct chair_seq *s) {
        return s->phase == CHAIR_SEQ_RUNNING || (s->phase == CHAIR_SEQ_PAUSED && s->resume_phase == CHAIR_SEQ_RUNNING);
}

void chair_seq_extend(struct chair_seq *s, uint32_t add_s) {
        s->planned_s += add_s;
        if (!steps_planned(s))
                return;         /* plan_steps() will lay the steps out over the new length */
        size_t last = s->prog->n_steps - 1;
        double end = s->step_end_s[last], rem = end - s->run_s;
        if (rem > 0) {
                double k = (rem + add_s) / rem;
                for (size_t i = s->step; i < last; i++)
                        s->step_end_s[i] = s->run_s + (s->step_end_s[i] - s->run_s) * k;
        }
        s->step_end_s[last] = end + add_s;
}

void chair_seq_skip(struct chair_seq *s) {
        if (!steps_planned(s) || s->step + 1u >= s->prog->n_steps)
                return;
        size_t last = s->prog->n_steps - 1;
        double end = s->step_end_s[last], total = 0, t = s->run_s;
        for (size_t i = s->step + 1u; i <= last; i++)
                total += s->prog->steps[i].duration_s;
        for (size_t i = s->step + 1u; i < last; i++) {
                t += total > 0 ? (end - s->run_s) * s->prog->steps[i].duration_s / total : 0;
                s->step_end_s[i] = t;
        }
        s->step_end_s[last] = end;
        /* the tick's step loop moves on at the next tick of running time */
        s->step_end_s[s->step] = s->run_s;
}

static void step_zone(const struct chair_seq *s, const struct chair_config *cfg, const struct chair_step *st,
                      struct chair_zone *z) {
        float track = cfg->hardware.geometry.track_mm;
        float lo, hi;

        if (s->focus >= 0) {
                float c = s->body.landmark_mm[s->focus];
                lo = c - FOCUS_HALF_MM;
                hi = c + FOCUS_HALF_MM;
        } else if (st->zone_from == st->zone_to) {
                float c = s->body.landmark_mm[st->zone_from];
                lo = c - POINT_HALF_MM;
                hi = c + POINT_HALF_MM;
        } else {
                /* zone_from is nearer the head, so it lies higher on the track. */
                lo = s->body.landmark_mm[st->zone_to];
                hi = s->body.landmark_mm[st->zone_from];
        }
        if (hi - lo < MIN_ZONE_MM) {
                float c = (hi + lo) / 2;
                lo = c - MIN_ZONE_MM / 2;
                hi = c + MIN_ZONE_MM / 2;
        }
        if (lo < 0) {
                hi -= lo;
                lo = 0;
        }
        if (hi > track) {
                lo -= hi - track;
                hi = track;
        }
        z->from_mm = chair_clampf(lo, 0, track);
        z->to_mm = chair_clampf(hi, 0, track);
}

static void blend(struct chair_setpoint *sp, const struct chair_setpoint *prev, float a) {
        sp->carriage_mm = prev->carriage_mm + (sp->carriage_mm - prev->carriage_mm) * a;
        sp->depth = prev->depth + (sp->depth - prev->depth) * a;
        sp->knead = prev->knead + (sp->knead - prev->knead) * a;
        sp->tap = prev->tap + (sp->tap - prev->tap) * a;
        sp->recline_offset = prev->recline_offset + (sp->recline_offset - prev->recline_offset) * a;
        for (int b = 0; b < _CHAIR_BAG_COUNT; b++)
                sp->bag_kpa[b] = prev->bag_kpa[b] + (sp->bag_kpa[b] - prev->bag_kpa[b]) * a;
}

static void recline_targets(const struct chair_seq *s, const struct chair_config *cfg, float offset,
                            struct chair_seq_out *out) {
        enum chair_recline r = s->owner_recline != CHAIR_RECLINE_KEEP ? s->owner_recline : s->recline;

        if (r == CHAIR_RECLINE_KEEP)
                return;
        if (has_output(cfg, CHAIR_ACT_BACKREST))
                out->backrest = chair_clampf(recline_pos[r][0] + offset, 0, 1);
        if (has_output(cfg, CHAIR_ACT_LEGREST))
                out->legrest = recline_pos[r][1];
}

static void run_step(struct chair_seq *s, const struct chair_config *cfg, double dt, struct chair_seq_out *out) {
        const struct chair_step *st = &s->prog->steps[s->step];
        float want_i = chair_clampf(st->intensity + (s->intensity - 3), 1, 5);
        float want_s = chair_clampf(st->speed + (s->speed - 3), 1, 5);
        struct chair_zone z;

        s->live_intensity = approach(s->live_intensity, want_i, LIVE_RATE_PER_S * (float) dt);
        s->live_speed = approach(s->live_speed, want_s, LIVE_RATE_PER_S * (float) dt);
        if (st->recline != CHAIR_RECLINE_KEEP)
                s->recline = st->recline;

        step_zone(s, cfg, st, &z);
        chair_technique_eval(st->technique, &z, s->live_intensity, s->live_speed, (float) s->step_t_s,
                             cfg->safety.max_pressure_kpa * 0.8f, &out->sp);
        /* The step's airbags list says which bags this step may use. */
        for (int b = 0; b < _CHAIR_BAG_COUNT; b++)
                if (!(st->airbags & (1u << b)))
                        out->sp.bag_kpa[b] = 0;
        if (s->have_prev && s->step_t_s < STEP_BLEND_S)
                blend(&out->sp, &s->prev_sp, (float) (s->step_t_s / STEP_BLEND_S));
        s->last_sp = out->sp;

        out->heat = s->heat && st->heat;
        out->motion = true;
        recline_targets(s, cfg, out->sp.recline_offset, out);
}

static bool ending(struct chair_seq *s, const struct chair_config *cfg, const struct chair_inputs *in,
                   struct chair_seq_out *out) {
        out->motion = true;
        /* Park the rollers at the seat end and draw them in; airbags vent (targets 0). */
        if (!has_output(cfg, CHAIR_ACT_CARRIAGE) || !cfg->hardware.inputs.carriage_home.set || in->carriage_home)
                s->carriage_parked = true;
        if (!s->carriage_parked) {
                out->carriage_direct = true;
                out->carriage_v = PARK_V;
        }
        if (!has_output(cfg, CHAIR_ACT_DEPTH) || !cfg->hardware.inputs.depth_pos.set || in->depth <= DEPTH_PARKED)
                s->depth_parked = true;
        if (!s->depth_parked) {
                out->depth_direct = true;
                out->depth_v = PARK_V;
        }
        /* Recline stays where the last step put it: a sleep program ends reclined
         * and quiet; programs that want the owner upright end with an upright step. */
        if (s->carriage_parked && s->depth_parked) {
                s->phase = CHAIR_SEQ_IDLE;
                return true;
        }
        return false;
}

bool chair_seq_tick(struct chair_seq *s, const struct chair_config *cfg, const struct chair_inputs *in,
                    float carriage_mm, double dt, struct chair_seq_out *out) {
        memset(out, 0, sizeof(*out));
        out->backrest = NAN;
        out->legrest = NAN;
        s->step_changed = false;

        if (s->phase == CHAIR_SEQ_IDLE)
                return false;
        s->phase_t_s += dt;

        /* Rule 3 from the first second: homing, the body scan and the retract
         * count as massage time, and when the planned time is up before they are
         * done the session ends as if its last step had (soak seeds 3058743 and
         * 3064222: a one-minute cap and a scan of a tall occupant that took
         * longer than the minute).  RUNNING checks the same below. */
        if ((s->phase == CHAIR_SEQ_HOMING || s->phase == CHAIR_SEQ_SCAN || s->phase == CHAIR_SEQ_RETRACT) &&
            s->elapsed_s + dt >= s->planned_s) {
                s->elapsed_s += dt;
                chair_seq_end(s);
                return ending(s, cfg, in, out);
        }

        switch (s->phase) {
        case CHAIR_SEQ_HOMING:
                s->elapsed_s += dt;
                out->motion = true;
                out->heat = s->heat && s->prog->steps[0].heat;
                out->carriage_direct = true;
                out->depth_direct = true;
                out->depth_v = has_output(cfg, CHAIR_ACT_DEPTH) && in->depth > DEPTH_PARKED ? PARK_V : 0;
                if (in->carriage_home) {
                        if (can_scan(cfg))
                                enter(s, CHAIR_SEQ_SCAN);
                        else
                                enter(s, CHAIR_SEQ_RETRACT);
                } else
                        out->carriage_v = PARK_V;
                break;

        case CHAIR_SEQ_SCAN:
                s->elapsed_s += dt;
                out->motion = true;
                out->heat = s->heat && s->prog->steps[0].heat;
                out->carriage_direct = true;
                out->depth_direct = true;
                out->carriage_v = SCAN_CARRIAGE_V;
                out->depth_v = SCAN_DEPTH_V;
                if (in->depth <= SCAN_CONTACT_MAX)
                        s->scan_contact_mm = carriage_mm;
                if (s->phase_t_s > SCAN_SETTLE_S && in->depth >= SCAN_FREE_MIN) {
                        finish_scan(s, cfg, s->scan_contact_mm);
                        enter(s, CHAIR_SEQ_RETRACT);
                } else if (in->carriage_end || carriage_mm >= cfg->hardware.geometry.track_mm - 1) {
                        /* A tall occupant: the shoulders are above the track. */
                        finish_scan(s, cfg, cfg->hardware.geometry.track_mm);
                        enter(s, CHAIR_SEQ_RETRACT);
                }
                break;

        case CHAIR_SEQ_RETRACT:
                s->elapsed_s += dt;
                out->motion = true;
                out->heat = s->heat && s->prog->steps[0].heat;
                out->carriage_direct = true;
                out->depth_direct = true;
                if (!s->scanned)
                        finish_scan(s, cfg, chair_body_shoulder_for_height(&cfg->hardware.geometry,
                                                                           FALLBACK_HEIGHT_CM));
                if (has_output(cfg, CHAIR_ACT_DEPTH) && cfg->hardware.inputs.depth_pos.set &&
                    in->depth > DEPTH_PARKED * 2 && s->phase_t_s < RETRACT_MAX_S)
                        out->depth_v = PARK_V;
                else {
                        enter(s, CHAIR_SEQ_RUNNING);
                        plan_steps(s);
                }
                break;

        case CHAIR_SEQ_RUNNING:
                s->elapsed_s += dt;
                s->run_s += dt;
                s->step_t_s += dt;
                while (s->step + 1u < s->prog->n_steps && s->run_s >= s->step_end_s[s->step]) {
                        s->step_t_s = s->run_s - s->step_end_s[s->step];
                        s->step++;
                        s->step_changed = true;
                        s->prev_sp = s->last_sp;
                        s->have_prev = true;
                }
                if (s->run_s >= s->step_end_s[s->prog->n_steps - 1] || s->elapsed_s >= s->planned_s) {
                        chair_seq_end(s);
                        return ending(s, cfg, in, out);
                }
                run_step(s, cfg, dt, out);
                break;

        case CHAIR_SEQ_PAUSED:
                s->paused_s += dt;
                break;

        case CHAIR_SEQ_ENDING:
                return ending(s, cfg, in, out);

        case CHAIR_SEQ_IDLE:
                break;
        }
        return false;
}

void chair_seq_end(struct chair_seq *s) {
        if (s->phase == CHAIR_SEQ_IDLE)
                return;
        enter(s, CHAIR_SEQ_ENDING);
        s->carriage_parked = false;
        s->depth_parked = false;
}

bool chair_seq_pause(struct chair_seq *s) {
        switch (s->phase) {
        case CHAIR_SEQ_HOMING:
        case CHAIR_SEQ_SCAN:
        case CHAIR_SEQ_RETRACT:
        case CHAIR_SEQ_RUNNING:
                s->resume_phase = s->phase;
                s->phase = CHAIR_SEQ_PAUSED;
                s->paused_s = 0;
                return true;
        case CHAIR_SEQ_PAUSED:
                return true;
        default:
                return false;
        }
}

bool chair_seq_resume(struct chair_seq *s) {
        if (s->phase != CHAIR_SEQ_PAUSED)
                return false;
        /* A scan interrupted half-way is redone from the home switch: the
         * occupant may have shifted. */
        if (s->resume_phase == CHAIR_SEQ_SCAN)
                enter(s, CHAIR_SEQ_HOMING);
        else
                s->phase = s->resume_phase;
        return true;
}

void chair_seq_abort(struct chair_seq *s) {
        s->phase = CHAIR_SEQ_IDLE;
        s->phase_t_s = 0;
}

void chair_seq_recline_position(enum chair_recline r, float *backrest, float *legrest) {
        if ((unsigned) r >= _CHAIR_RECLINE_COUNT)
                r = CHAIR_RECLINE_UPRIGHT;
        *backrest = recline_pos[r][0];
        *legrest = recline_pos[r][1];
}

double chair_seq_remaining_s(const struct chair_seq *s) {
        if (s->phase == CHAIR_SEQ_IDLE || s->phase == CHAIR_SEQ_ENDING)
                return 0;
        double r = (double) s->planned_s - s->elapsed_s;
        return r > 0 ? r : 0;
}

enum chair_technique chair_seq_technique(const struct chair_seq *s) {
        if (s->prog && (s->phase == CHAIR_SEQ_RUNNING || s->phase == CHAIR_SEQ_PAUSED))
                return s->prog->steps[s->step].technique;
        return CHAIR_TECH_HEAT;
}

/* ---- the owner's live settings ---- */

static uint8_t level(int v) {
        return (uint8_t) (v < 1 ? 1 : v > 5 ? 5 : v);
}

void chair_seq_set_intensity(struct chair_seq *s, int v) {
        s->intensity = level(v);
}

void chair_seq_set_speed(struct chair_seq *s, int v) {
        s->speed = level(v);
}

void chair_seq_change_intensity(struct chair_seq *s, int delta) {
        s->intensity = level(s->intensity + delta);
}

void chair_seq_change_speed(struct chair_seq *s, int delta) {
        s->speed = level(s->speed + delta);
}

void chair_seq_set_heat(struct chair_seq *s, bool on) {
        s->heat = on;
}

void chair_seq_set_focus(struct chair_seq *s, int landmark) {
        s->focus = (int8_t) (landmark >= 0 && landmark < _CHAIR_LM_COUNT ? landmark : -1);
}

void chair_seq_set_recline(struct chair_seq *s, enum chair_recline r) {
        s->owner_recline = r;
}
