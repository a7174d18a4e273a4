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
};

/* cfg must stay as it is for the shaper's life, like the controller's
 * (control.h): the safe baseline is taken from it once, here. */
void chair_shaper_init(struct chair_shaper *sh, const struct chair_config *cfg);

/* Compute outputs from setpoints and inputs.  carriage_mm is the estimated position. */
void chair_shaper_run(struct chair_shaper *sh, const struct chair_config *cfg, const struct chair_seq_out *so,
                      const struct chair_inputs *in, float carriage_mm, double dt, struct chair_outputs *out);

/* Apply slew limits toward out from the last written values; safe values pass at once
 * when bypass is set (the supervisor's forced stop must not be slowed down). */
void chair_shaper_slew(struct chair_shaper *sh, const struct chair_config *cfg, double dt, struct chair_outputs *out);

/* Remember what was finally written this tick. */
void chair_shaper_commit(struct chair_shaper *sh, const struct chair_outputs *out);
