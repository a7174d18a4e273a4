/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The safety supervisor (design A4; docs/safety.md has the full table).  It
 * runs on every tick: detect() before the sequencer, to notice faults from the
 * inputs; enforce() last, with the final word over every output.  Embedded in
 * the controller; never allocates.
 */

#include <stdbool.h>
#include <stdint.h>

#include "control.h"
#include "hal.h"

struct chair_config;

struct chair_safety {
        uint32_t latched;          /* faults reported and not yet cleared */
        uint32_t raised;           /* faults raised this tick (caller emits events) */

        /* detection state */
        double carriage_driven_s;  /* time driven without an encoder pulse */
        double undriven_s;         /* time the carriage has been undriven */
        uint32_t undriven_pulses;  /* pulses counted while undriven (after settling) */
        double travel_s[_CHAIR_ACT_COUNT];   /* continuous drive in one direction */
        float travel_dir[_CHAIR_ACT_COUNT];
        float last_heater_c;
        double heater_rate_window_s;
        float heater_window_start_c;
        float heater_window_min_c, heater_window_max_c;   /* extremes seen in the window */
        bool heater_seen;
        bool homing;               /* a move to an end switch is under way (carriage) */
        double homing_s;
        /* motor stall (position-sensed motors): position when the current still
         * window began, and its length */
        float recline_ref[_CHAIR_ACT_COUNT];
        double recline_still_s[_CHAIR_ACT_COUNT];
        double since_undriven_pulse_s;   /* time since an encoder pulse arrived undriven (settled) */
};

void chair_safety_init(struct chair_safety *s);

/*
 * Look at this tick's inputs and the outputs applied on the previous tick.
 * pulses: encoder edges since the last tick.  Sets bits in s->raised for newly
 * detected faults (and latches them).
 */
void chair_safety_detect(struct chair_safety *s, const struct chair_config *cfg, const struct chair_inputs *in,
                         uint32_t pulses, const struct chair_outputs *prev_out, double dt);

/* The faults raised since the last ack have been reported (events emitted). */
static inline void chair_safety_ack_raised(struct chair_safety *s) {
        s->raised = 0;
}

/* A move to an end switch is under way (homing, parking): the carriage's stall
 * and travel rules judge it as such. */
static inline void chair_safety_set_homing(struct chair_safety *s, bool homing) {
        s->homing = homing;
}

/* Latch a fault raised from outside (loop overrun, HAL I/O, pinch seen by control). */
void chair_safety_raise(struct chair_safety *s, enum chair_fault f);

/* Try to clear the latched faults whose cause is gone.  Returns the mask that stays latched. */
uint32_t chair_safety_clear(struct chair_safety *s, const struct chair_config *cfg, const struct chair_inputs *in);

/* True when a latched fault forbids motion (every stopping fault).  Inline and a
 * constant mask: the step asks several times a tick, with faults latched too. */
static inline bool chair_safety_stopping(const struct chair_safety *s) {
        return (s->latched & CHAIR_FAULTS_STOPPING) != 0;
}

/*
 * Final word over the outputs: clamps every value to its limits, forces the
 * heater off on heater faults or at/above heater_max_c, vents over-pressure
 * bags, blocks recline toward a closed obstacle sensor and the backrest/legrest
 * past their end switches, and, when force_safe is set, writes every output's
 * safe value.
 */
void chair_safety_enforce(const struct chair_safety *s, const struct chair_config *cfg,
                          const struct chair_inputs *in, bool force_safe, struct chair_outputs *out);
