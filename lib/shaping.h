/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Output shaping: turns the sequencer's setpoints into actuator values —
 * position loops for the carriage, depth and recline, heater regulation (PI
 * with anti-windup), airbag pressure regulation (pump and valves, with
 * hysteresis) — and limits how fast each output may change (slew).  Embedded
 * in the controller; never allocates.
 */

#include <stdbool.h>

#include "hal.h"
#include "sequencer.h"

struct chair_config;

struct chair_shaper {
        float heater_i;            /* PI integrator */
        bool pumping[_CHAIR_BAG_COUNT];
        struct chair_outputs last; /* what was written last tick (for slew limits) */
        struct chair_outputs safe; /* every output at its safe value, the baseline of a tick */
        /* The outputs with a slew limit (rate > 0, not a switch) and their
         * rates, listed once: most chairs limit few or none, and the limiter
         * then costs nothing per tick. */
        uint8_t n_slew;
        uint8_t slew_act[_CHAIR_ACT_COUNT];
        float slew_rate[_CHAIR_ACT_COUNT];
};

/* cfg must stay as it is for the shaper's life, like the controller's
 * (control.h): the safe baseline is taken from it once, here. */
void chair_shaper_init(struct chair_shaper *sh, const struct chair_config *cfg);

/* Compute outputs from setpoints and inputs.  carriage_mm is the estimated position. */
void chair_shaper_run(struct chair_shaper *sh, const struct chair_config *cfg, const struct chair_seq_out *so,
                      const struct chair_inputs *in, float carriage_mm, double dt, struct chair_outputs *out);

/* Limit each slewed output's change from the last written value to rate × dt.
 * The step does not call it when the outputs are forced safe: a stop must
 * never be slowed down by a ramp. */
void chair_shaper_slew(struct chair_shaper *sh, double dt, struct chair_outputs *out);

/* Remember what was finally written this tick. */
void chair_shaper_commit(struct chair_shaper *sh, const struct chair_outputs *out);
