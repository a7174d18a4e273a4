/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The output dead-man: the last guard between the control step and the
 * hardware (design C2).  It sits below the step, in whatever thread applies
 * the outputs, and knows nothing of programs or sessions:
 *
 *   - every output has a maximum continuous on-time (hardware.outputs.<name>.
 *     max_on_s, safe defaults per kind); an output the step keeps away from
 *     its safe value for longer is driven safe and held there until the step
 *     itself puts it back to safe (a stuck step cannot cook the heater pad or
 *     run the pump dry for ever);
 *   - every output goes safe when the control tick has not fed the layer for
 *     more than control.max_stall_ms (a stalled or starved RT thread leaves no
 *     motor running on its last command).
 *
 * Pure and allocation-free: the caller passes the clock, so the linux
 * backend's output thread, the simulated chair and the unit tests run the
 * same code.  One writer: the struct belongs to the thread that applies.
 */

#include <stdbool.h>
#include <stdint.h>

#include "hal.h"

struct chair_config;

struct chair_deadman {
        uint64_t stall_ns;                          /* 0 = no stall check */
        uint64_t max_on_ns[_CHAIR_ACT_COUNT];       /* 0 = no limit (absent outputs) */
        float safe[_CHAIR_ACT_COUNT];
        uint64_t on_since_ns[_CHAIR_ACT_COUNT];     /* valid while the bit is in `on` */
        uint32_t on;                                /* outputs away from safe, as requested */
        uint32_t tripped;                           /* held safe by the on-time limit */
        bool stale;                                 /* all held safe: the tick stopped feeding */

        /* counters for diagnostics (monotonic) */
        uint64_t on_time_trips;                     /* outputs cut by their on-time limit */
        uint64_t stale_trips;                       /* times the tick went stale */
};

/* The default maximum continuous on-time of an actuator for this config,
 * in seconds (used when max_on_s is not set; docs/config.md). */
float chair_deadman_default_max_on_s(const struct chair_config *cfg, enum chair_actuator a);

/* Limits from the config (max_on_s or its default, control.max_stall_ms),
 * every output safe and nothing on. */
void chair_deadman_init(struct chair_deadman *d, const struct chair_config *cfg);

/*
 * What to apply now.  req is what the step asked for when it last fed the
 * layer at fed_ns; now_ns is the applying thread's clock (same clock).
 * out receives req with every tripped output at its safe value, or every
 * output safe while stale.  Returns a bit mask of the outputs that this call
 * newly forced safe (for the caller to report), 0 most of the time.
 */
uint32_t chair_deadman_apply(struct chair_deadman *d, uint64_t now_ns, uint64_t fed_ns,
                             const struct chair_outputs *req, struct chair_outputs *out);
