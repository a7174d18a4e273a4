/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <string.h>

#include "clamp.h"
#include "config.h"
#include "shaping.h"

/* Loop gains, tuned on the sim plant of the reference chair (docs/safety.md). */
#define CARRIAGE_LAG_S     0.12f   /* position error is closed in ~this time constant */
#define CARRIAGE_MAX_V     0.9f
#define CARRIAGE_DEADBAND  0.5f    /* mm: the encoder's own resolution */
#define DEPTH_GAIN         4.0f
#define DEPTH_MAX_V        0.8f
#define DEPTH_DEADBAND     0.01f
/* Recline: full duty (a stroke takes geometry.recline_s, 20 s on the reference
 * chair) and a minimum drive outside the deadband.  With the old 0.7 limit and a
 * pure P tail a move to zero-gravity kept the motor driven for 29.4 s, a hair under
 * the 30 s travel timeout, and crawled below the stall detector's minimum duty for
 * seconds; now a full stroke takes ~22 s and every move is stall-checked. */
#define RECLINE_GAIN       10.0f
#define RECLINE_MAX_V      1.0f
#define RECLINE_MIN_V      0.2f
#define RECLINE_DEADBAND   0.01f
#define HEATER_KP          0.15f   /* duty per °C of error */
#define HEATER_KI          0.004f  /* duty per °C·s */
#define BAG_ON_KPA         0.5f    /* a target below this means vent */
#define BAG_HYST_KPA       1.0f    /* pump again when this far under target */
#define BAG_OVERSHOOT_KPA  2.0f    /* vent briefly when this far over target */
#define PUMP_DUTY          0.9f

static float p_loop(float err, float gain, float max, float deadband) {
        if (fabsf(err) < deadband)
                return 0;
        return chair_clampf(err * gain, -max, max);
}

/* A P loop that never drives weaker than min_v outside its deadband. */
static float p_loop_min(float err, float gain, float max, float min_v, float deadband) {
        float v = p_loop(err, gain, max, deadband);
        if (v > 0 && v < min_v)
                return min_v;
        if (v < 0 && v > -min_v)
                return -min_v;
        return v;
}

void chair_shaper_init(struct chair_shaper *sh, const struct chair_config *cfg) {
        memset(sh, 0, sizeof(*sh));
        chair_outputs_safe(cfg, &sh->safe);
        sh->last = sh->safe;
        for (int a = 0; a < _CHAIR_ACT_COUNT; a++) {
                float rate = cfg->hardware.outputs[a].slew_per_s;
                if (rate > 0 && chair_actuator_kind(a) != CHAIR_ACT_KIND_SWITCH) {
                        sh->slew_act[sh->n_slew] = (uint8_t) a;
                        sh->slew_rate[sh->n_slew] = rate;
                        sh->n_slew++;
                }
        }
}

static bool present(const struct chair_config *cfg, enum chair_actuator a) {
        return cfg->hardware.outputs[a].present;
}

static float heater_duty(struct chair_shaper *sh, const struct chair_config *cfg, const struct chair_inputs *in,
                         bool heat, double dt) {
        if (!heat || !present(cfg, CHAIR_ACT_HEATER) || isnan(in->heater_c) ||
            in->heater_sensor != CHAIR_SENSOR_OK) {
                sh->heater_i = 0;
                return 0;
        }
        float err = cfg->safety.heater_target_c - in->heater_c;
        float duty = HEATER_KP * err + HEATER_KI * sh->heater_i;
        /* Anti-windup: integrate only while the output is not saturated the same way. */
        if ((duty < 1.0f || err < 0) && (duty > 0.0f || err > 0))
                sh->heater_i += err * (float) dt;
        return chair_clampf(duty, 0, 1);
}

static void airbags(struct chair_shaper *sh, const struct chair_config *cfg, const struct chair_seq_out *so,
                    const struct chair_inputs *in, float *v) {
        bool pump = false;

        for (int b = 0; b < _CHAIR_BAG_COUNT; b++) {
                enum chair_actuator valve = chair_airbag_valve(b);
                float target = so->sp.bag_kpa[b];

                /* Closed-loop only: a bag without its pressure sensor is never inflated. */
                if (!present(cfg, valve) || !present(cfg, CHAIR_ACT_PUMP) || !cfg->hardware.inputs.pressure[b].set ||
                    target < BAG_ON_KPA || !so->motion) {
                        v[valve] = 0;
                        sh->pumping[b] = false;
                        continue;
                }
                float p = in->pressure_kpa[b];
                if (p < target - BAG_HYST_KPA)
                        sh->pumping[b] = true;
                else if (p >= target)
                        sh->pumping[b] = false;
                /* The pump feeds every connected bag; one that is over target lets air out. */
                v[valve] = p > target + BAG_OVERSHOOT_KPA ? 0.0f : 1.0f;
                pump |= sh->pumping[b];
        }
        v[CHAIR_ACT_PUMP] = pump ? PUMP_DUTY : 0.0f;
}

void chair_shaper_run(struct chair_shaper *sh, const struct chair_config *cfg, const struct chair_seq_out *so,
                      const struct chair_inputs *in, float carriage_mm, double dt, struct chair_outputs *out) {
        float *v = out->v;

        /* A copy, not chair_outputs_safe(): a loop over the config's outputs
         * cost about 110 instructions a tick (docs/performance.md). */
        *out = sh->safe;
        v[CHAIR_ACT_HEATER] = heater_duty(sh, cfg, in, so->heat, dt);

        if (!isnan(so->backrest) && cfg->hardware.inputs.backrest_pos.set)
                v[CHAIR_ACT_BACKREST] = p_loop_min(so->backrest - in->backrest, RECLINE_GAIN, RECLINE_MAX_V,
                                                   RECLINE_MIN_V, RECLINE_DEADBAND);
        if (!isnan(so->legrest) && cfg->hardware.inputs.legrest_pos.set)
                v[CHAIR_ACT_LEGREST] = p_loop_min(so->legrest - in->legrest, RECLINE_GAIN, RECLINE_MAX_V,
                                                  RECLINE_MIN_V, RECLINE_DEADBAND);

        if (!so->motion) {
                v[CHAIR_ACT_HEATER] = so->heat ? v[CHAIR_ACT_HEATER] : 0;
                return;
        }

        if (so->carriage_direct)
                v[CHAIR_ACT_CARRIAGE] = so->carriage_v;
        else
                v[CHAIR_ACT_CARRIAGE] = p_loop(so->sp.carriage_mm - carriage_mm,
                                               1.0f / (CARRIAGE_LAG_S * cfg->hardware.geometry.carriage_mm_s),
                                               CARRIAGE_MAX_V, CARRIAGE_DEADBAND);

        if (so->depth_direct)
                v[CHAIR_ACT_DEPTH] = so->depth_v;
        else if (cfg->hardware.inputs.depth_pos.set)
                v[CHAIR_ACT_DEPTH] = p_loop(so->sp.depth - in->depth, DEPTH_GAIN, DEPTH_MAX_V, DEPTH_DEADBAND);

        v[CHAIR_ACT_KNEAD] = so->sp.knead;
        v[CHAIR_ACT_TAP] = so->sp.tap;
        airbags(sh, cfg, so, in, v);
}

void chair_shaper_slew(struct chair_shaper *sh, double dt, struct chair_outputs *out) {
        for (unsigned i = 0; i < sh->n_slew; i++) {
                int a = sh->slew_act[i];
                float step = sh->slew_rate[i] * (float) dt;
                float prev = sh->last.v[a];
                out->v[a] = chair_clampf(out->v[a], prev - step, prev + step);
        }
}

void chair_shaper_commit(struct chair_shaper *sh, const struct chair_outputs *out) {
        sh->last = *out;
}
