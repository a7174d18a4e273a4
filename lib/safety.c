/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "clamp.h"
#include "config.h"
#include "safety.h"

/* Figures not in the config, with the reason for each. */
#define STALL_MIN_DRIVE         0.15f  /* below this duty a motor may legitimately creep too slowly to pulse */
#define UNDRIVEN_SETTLE_S       0.5    /* the carriage coasts ~10 tau after the drive stops */
#define UNDRIVEN_WINDOW_S       5.0
#define UNDRIVEN_MAX_PULSES     20     /* 10 mm at 0.5 mm/pulse: more is not coasting or noise */
#define UNDRIVEN_QUIET_S        1.0    /* encoder_fault clears only after this long without such pulses */
#define HEATER_RATE_WINDOW_S    0.5    /* judge the rate of change over a window, not per tick (noise) */
#define HEATER_MIN_C            (-20.0f)
#define HEATER_MAX_PLAUSIBLE_C  120.0f
#define OVERTEMP_CLEAR_BELOW_C  2.0f   /* hysteresis: an overtemp clears 2 °C under the limit */
/* Motor stall of the position-sensed motors (backrest, legrest, and depth while
 * retracting): the position sensor must move this much (fraction of the stroke,
 * above an ADC's noise) within the window while the motor is driven.  The window
 * is stall_s but at least MOTOR_STALL_MIN_S: at the lowest checked duty (0.15) a
 * 20 s recline stroke moves 0.0075/s, so 0.002 takes 0.27 s, well inside a second.
 * Depth is judged only while it retracts: pushing out, the occupant's back stops
 * the rollers by design. */
#define MOTOR_STALL_EPS         0.002f
#define MOTOR_STALL_MIN_S       1.0
#define DEPTH_END               0.005f  /* depth reads at or under this: fully in */

#define BIT(f) (1u << (f))


void chair_safety_init(struct chair_safety *s) {
        memset(s, 0, sizeof(*s));
        s->since_undriven_pulse_s = UNDRIVEN_QUIET_S;
}

void chair_safety_raise(struct chair_safety *s, enum chair_fault f) {
        if (!(s->latched & BIT(f)))
                s->raised |= BIT(f);
        s->latched |= BIT(f);
}

static bool present(const struct chair_config *cfg, enum chair_actuator a) {
        return cfg->hardware.outputs[a].present;
}

static bool heater_reading_bad(const struct chair_inputs *in) {
        return in->heater_sensor != CHAIR_SENSOR_OK || isnan(in->heater_c) ||
               in->heater_c < HEATER_MIN_C || in->heater_c > HEATER_MAX_PLAUSIBLE_C;
}

static bool heater_monitored(const struct chair_config *cfg) {
        return present(cfg, CHAIR_ACT_HEATER) && cfg->hardware.inputs.heater_temp.set;
}

static uint32_t detect_heater(struct chair_safety *s, const struct chair_config *cfg,
                              const struct chair_inputs *in, double dt) {
        uint32_t trig = 0;

        if (!heater_monitored(cfg))
                return 0;
        if (heater_reading_bad(in)) {
                s->heater_seen = false;
                return BIT(CHAIR_FAULT_HEATER_SENSOR);
        }
        if (!s->heater_seen) {
                s->heater_seen = true;
                s->heater_window_start_c = in->heater_c;
                s->heater_window_min_c = s->heater_window_max_c = in->heater_c;
                s->heater_rate_window_s = 0;
        }
        s->heater_rate_window_s += dt;
        s->heater_window_min_c = fminf(s->heater_window_min_c, in->heater_c);
        s->heater_window_max_c = fmaxf(s->heater_window_max_c, in->heater_c);
        if (s->heater_rate_window_s >= HEATER_RATE_WINDOW_S) {
                /* The spread inside the window, not just its ends: a spike that comes
                 * and goes within one window is as implausible as a step (DST seed
                 * 1004932: two opposite jumps in one window cancelled out). */
                float rate = (s->heater_window_max_c - s->heater_window_min_c) / (float) s->heater_rate_window_s;
                if (rate > cfg->safety.max_heater_rate_c_s)
                        trig |= BIT(CHAIR_FAULT_HEATER_SENSOR);
                s->heater_window_start_c = in->heater_c;
                s->heater_window_min_c = s->heater_window_max_c = in->heater_c;
                s->heater_rate_window_s = 0;
        }
        if (in->heater_c > cfg->safety.heater_max_c)
                trig |= BIT(CHAIR_FAULT_HEATER_OVERTEMP);
        s->last_heater_c = in->heater_c;
        return trig;
}

static uint32_t detect_carriage(struct chair_safety *s, const struct chair_config *cfg,
                                const struct chair_inputs *in, uint32_t pulses, float drive, double dt) {
        uint32_t trig = 0;

        if (!present(cfg, CHAIR_ACT_CARRIAGE) || !cfg->hardware.inputs.encoder.set)
                return 0;

        /* Stall: driven, not pushing into an end switch, and no pulse for stall_s. */
        bool at_end = (drive < 0 && in->carriage_home) || (drive > 0 && in->carriage_end);
        if (fabsf(drive) >= STALL_MIN_DRIVE && !at_end && pulses == 0) {
                s->carriage_driven_s += dt;
                if (s->carriage_driven_s >= cfg->safety.stall_s)
                        trig |= BIT(CHAIR_FAULT_ROLLER_STALL);
        } else
                s->carriage_driven_s = 0;

        /* Pulses while undriven, once the carriage had time to coast to a stop. */
        if (drive == 0.0f) {
                s->undriven_s += dt;
                if (s->undriven_s > UNDRIVEN_SETTLE_S) {
                        s->undriven_pulses += pulses;
                        s->since_undriven_pulse_s = pulses ? 0 : s->since_undriven_pulse_s + dt;
                        if (s->undriven_pulses > UNDRIVEN_MAX_PULSES)
                                trig |= BIT(CHAIR_FAULT_ENCODER_FAULT);
                        if (s->undriven_s > UNDRIVEN_SETTLE_S + UNDRIVEN_WINDOW_S) {
                                s->undriven_s = UNDRIVEN_SETTLE_S;
                                s->undriven_pulses = 0;
                        }
                }
        } else {
                s->undriven_s = 0;
                s->undriven_pulses = 0;
        }

        return trig;
}

/* Travel timeout: a move to the carriage's home switch that never gets there
 * (works without an encoder too). */
static uint32_t detect_homing(struct chair_safety *s, const struct chair_config *cfg,
                              const struct chair_inputs *in, double dt) {
        if (!present(cfg, CHAIR_ACT_CARRIAGE) || !cfg->hardware.inputs.carriage_home.set)
                return 0;
        if (s->homing && !in->carriage_home) {
                s->homing_s += dt;
                if (s->homing_s > cfg->safety.travel_timeout_s)
                        return BIT(CHAIR_FAULT_TRAVEL_TIMEOUT);
        } else
                s->homing_s = 0;
        return 0;
}

static uint32_t detect_travel(struct chair_safety *s, const struct chair_config *cfg, enum chair_actuator a,
                              float drive, double dt) {
        if (!present(cfg, a))
                return 0;
        float dir = drive > 0 ? 1.0f : drive < 0 ? -1.0f : 0.0f;
        if (dir != 0 && dir == s->travel_dir[a]) {
                s->travel_s[a] += dt;
                if (s->travel_s[a] > cfg->safety.travel_timeout_s)
                        return BIT(CHAIR_FAULT_TRAVEL_TIMEOUT);
        } else
                s->travel_s[a] = 0;
        s->travel_dir[a] = dir;
        return 0;
}

/* Motor stall: driven (not into its end) and the position sensor still for the
 * window.  Without a position sensor only the travel timeout guards a recline. */
static uint32_t detect_motor_stall(struct chair_safety *s, const struct chair_config *cfg, enum chair_actuator a,
                                     float pos, bool at_min, bool at_max, bool have_pos, float drive, double dt) {
        if (!present(cfg, a) || !have_pos)
                return 0;
        bool at_end = (drive < 0 && at_min) || (drive > 0 && at_max);
        if (fabsf(drive) < STALL_MIN_DRIVE || at_end || fabsf(pos - s->recline_ref[a]) >= MOTOR_STALL_EPS) {
                s->recline_ref[a] = pos;
                s->recline_still_s[a] = 0;
                return 0;
        }
        s->recline_still_s[a] += dt;
        double window = cfg->safety.stall_s > MOTOR_STALL_MIN_S ? cfg->safety.stall_s : MOTOR_STALL_MIN_S;
        return s->recline_still_s[a] >= window ? BIT(CHAIR_FAULT_MOTOR_STALL) : 0;
}

void chair_safety_detect(struct chair_safety *s, const struct chair_config *cfg, const struct chair_inputs *in,
                         uint32_t pulses, const struct chair_outputs *prev, double dt) {
        uint32_t trig = 0;

        if (in->estop)
                trig |= BIT(CHAIR_FAULT_ESTOP);
        trig |= detect_heater(s, cfg, in, dt);
        trig |= detect_carriage(s, cfg, in, pulses, prev->v[CHAIR_ACT_CARRIAGE], dt);
        trig |= detect_homing(s, cfg, in, dt);
        trig |= detect_travel(s, cfg, CHAIR_ACT_BACKREST, prev->v[CHAIR_ACT_BACKREST], dt);
        trig |= detect_travel(s, cfg, CHAIR_ACT_LEGREST, prev->v[CHAIR_ACT_LEGREST], dt);
        trig |= detect_motor_stall(s, cfg, CHAIR_ACT_BACKREST, in->backrest, in->backrest_min, in->backrest_max,
                                   cfg->hardware.inputs.backrest_pos.set, prev->v[CHAIR_ACT_BACKREST], dt);
        trig |= detect_motor_stall(s, cfg, CHAIR_ACT_LEGREST, in->legrest, in->legrest_min, in->legrest_max,
                                   cfg->hardware.inputs.legrest_pos.set, prev->v[CHAIR_ACT_LEGREST], dt);
        trig |= detect_motor_stall(s, cfg, CHAIR_ACT_DEPTH, in->depth, in->depth <= DEPTH_END, false,
                                   cfg->hardware.inputs.depth_pos.set, fminf(prev->v[CHAIR_ACT_DEPTH], 0), dt);

        for (int b = 0; b < _CHAIR_BAG_COUNT; b++)
                if (cfg->hardware.inputs.pressure[b].set && present(cfg, chair_airbag_valve(b)) &&
                    in->pressure_kpa[b] > cfg->safety.max_pressure_kpa)
                        trig |= BIT(CHAIR_FAULT_OVERPRESSURE);

        /* Rule 7: reclining further (backrest +) or lowering the legrest (-)
         * closes the space under the chair. */
        if (in->obstacle && (prev->v[CHAIR_ACT_BACKREST] > 0 || prev->v[CHAIR_ACT_LEGREST] < 0))
                trig |= BIT(CHAIR_FAULT_PINCH);

        s->raised |= trig & ~s->latched;
        s->latched |= trig;
}

/* Is the cause of fault f still there? */
static bool cause_present(const struct chair_safety *s, const struct chair_config *cfg,
                          const struct chair_inputs *in, enum chair_fault f) {
        switch (f) {
        case CHAIR_FAULT_ESTOP:
                return in->estop;
        case CHAIR_FAULT_HEATER_SENSOR:
                return heater_monitored(cfg) && heater_reading_bad(in);
        case CHAIR_FAULT_HEATER_OVERTEMP:
                return heater_monitored(cfg) &&
                       (heater_reading_bad(in) || in->heater_c > cfg->safety.heater_max_c - OVERTEMP_CLEAR_BELOW_C);
        case CHAIR_FAULT_PINCH:
                return in->obstacle;
        case CHAIR_FAULT_ENCODER_FAULT:
                /* Observable while undriven: the pulses must have stopped. */
                return s->since_undriven_pulse_s < UNDRIVEN_QUIET_S;
        case CHAIR_FAULT_OVERPRESSURE:
                for (int b = 0; b < _CHAIR_BAG_COUNT; b++)
                        if (cfg->hardware.inputs.pressure[b].set && in->pressure_kpa[b] > cfg->safety.max_pressure_kpa)
                                return true;
                return false;
        default:
                /* Stall, travel, overrun, I/O: nothing moves while the fault
                 * is latched, so the cause cannot be observed; the technician's
                 * clear_faults is the reset, and detection re-arms at once. */
                (void) s;
                return false;
        }
}

uint32_t chair_safety_clear(struct chair_safety *s, const struct chair_config *cfg, const struct chair_inputs *in) {
        uint32_t cleared = 0;

        for (int f = 0; f < _CHAIR_FAULT_COUNT; f++)
                if ((s->latched & BIT(f)) && !cause_present(s, cfg, in, f)) {
                        s->latched &= ~BIT(f);
                        cleared |= BIT(f);
                }
        /* The stall and travel timers are NOT reset here: while a stopping fault
         * is latched nothing is driven, so they are already zero; and when nothing
         * was latched, resetting them let an owner who kept sending clear_faults
         * postpone the detection of a stall in progress for ever (DST seed 43).
         * Only the encoder's pulse count starts over once its fault is cleared. */
        if (cleared & BIT(CHAIR_FAULT_ENCODER_FAULT))
                s->undriven_pulses = 0;
        return s->latched;
}

void chair_safety_enforce(const struct chair_safety *s, const struct chair_config *cfg,
                          const struct chair_inputs *in, bool force_safe, struct chair_outputs *out) {
        float *v = out->v;

        if (force_safe || chair_safety_stopping(s)) {
                chair_outputs_safe(cfg, out);
                return;
        }

        for (int a = 0; a < _CHAIR_ACT_COUNT; a++) {
                const struct chair_output_config *oc = &cfg->hardware.outputs[a];
                enum chair_act_kind kind = chair_actuator_kind(a);
                float x = v[a];

                if (!oc->present) {
                        v[a] = 0;
                        continue;
                }
                if (isnan(x))
                        x = oc->safe;
                if (kind == CHAIR_ACT_KIND_SWITCH)
                        x = x >= 0.5f ? 1.0f : 0.0f;
                else
                        x = chair_clampf(x, kind == CHAIR_ACT_KIND_BIDIR ? -oc->max : 0.0f, oc->max);
                v[a] = x;
        }

        /* Rule 4: heat only with a healthy sensor, and never at or above the limit. */
        if (present(cfg, CHAIR_ACT_HEATER) &&
            (!heater_monitored(cfg) || heater_reading_bad(in) ||
             (s->latched & (BIT(CHAIR_FAULT_HEATER_SENSOR) | BIT(CHAIR_FAULT_HEATER_OVERTEMP))) ||
             in->heater_c >= cfg->safety.heater_max_c))
                v[CHAIR_ACT_HEATER] = 0;

        /* Vent any bag at its limit, and stop the pump while one is there. */
        for (int b = 0; b < _CHAIR_BAG_COUNT; b++)
                if (cfg->hardware.inputs.pressure[b].set && in->pressure_kpa[b] >= cfg->safety.max_pressure_kpa) {
                        v[chair_airbag_valve(b)] = 0;
                        v[CHAIR_ACT_PUMP] = 0;
                }

        /* Rule 7. */
        if (in->obstacle) {
                v[CHAIR_ACT_BACKREST] = fminf(v[CHAIR_ACT_BACKREST], 0);
                v[CHAIR_ACT_LEGREST] = fmaxf(v[CHAIR_ACT_LEGREST], 0);
        }

        /* Never drive into an end switch. */
        if (in->carriage_home && v[CHAIR_ACT_CARRIAGE] < 0)
                v[CHAIR_ACT_CARRIAGE] = 0;
        if (in->carriage_end && v[CHAIR_ACT_CARRIAGE] > 0)
                v[CHAIR_ACT_CARRIAGE] = 0;
        if (in->backrest_min && v[CHAIR_ACT_BACKREST] < 0)
                v[CHAIR_ACT_BACKREST] = 0;
        if (in->backrest_max && v[CHAIR_ACT_BACKREST] > 0)
                v[CHAIR_ACT_BACKREST] = 0;
        if (in->legrest_min && v[CHAIR_ACT_LEGREST] < 0)
                v[CHAIR_ACT_LEGREST] = 0;
        if (in->legrest_max && v[CHAIR_ACT_LEGREST] > 0)
                v[CHAIR_ACT_LEGREST] = 0;
}
