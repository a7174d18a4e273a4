/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Wear counters: what each part of the chair has done over its life, so a
 * technician can see which part is wearing out.
 *
 * Two pieces:
 *  - struct chair_counters: the totals, a POD that is copied freely (snapshot
 *    for diagnostics, the persisted totals, sums of both);
 *  - struct chair_counter_tracker: the totals plus the little state needed to
 *    see edges (direction changes, valve openings, recline starts) from one
 *    tick's outputs to the next.
 *
 * chair_counters_tick() and chair_counters_event() never allocate, log, lock
 * or block: the control thread calls them after every chair_ctl_step().  The
 * main thread gets the totals by copying tracker.total through the snapshot
 * buffer (a plain struct copy).  The JSON helpers allocate and belong to the
 * main thread.
 *
 * Estimates (the reference chair has no sensor for these; documented in
 * docs/diagnostics.md):
 *  - kneading cycles = ∫ |duty| · CHAIR_KNEAD_CYCLES_PER_S dt: the kneading
 *    head turns about once a second at full duty on the reference chair, and
 *    the turn rate follows the duty;
 *  - tapping cycles = ∫ duty · CHAIR_TAP_CYCLES_PER_S dt (about 8 strokes a
 *    second at full duty);
 *  - carriage travel in mm = encoder pulses × geometry.mm_per_pulse when the
 *    chair has an encoder, else ∫ |duty| · geometry.carriage_mm_s dt.
 */

#include <stdbool.h>
#include <stdint.h>

#include "hal.h"

struct chair_config;
struct chair_event;
struct json_object;

/* Faults are a 32-bit mask (control.h): room for every code there can be.
 * Kept here as a number so control.h can include this header. */
#define CHAIR_COUNTERS_MAX_FAULTS 32

#define CHAIR_KNEAD_CYCLES_PER_S 1.0
#define CHAIR_TAP_CYCLES_PER_S 8.0
/* Below this magnitude an output counts as off (shaping ramps through small values). */
#define CHAIR_COUNTERS_ON_THRESHOLD 0.02f

struct chair_act_counters {
        double on_s;               /* seconds with |value| above the threshold (run time, heater on-time, valve open) */
        double duty_s;             /* ∫ |value| dt: "full-power seconds" */
        uint64_t starts;           /* off → on transitions (recline travels, pump runs, heater switch-ons) */
        uint64_t direction_changes;/* bidirectional motors: sign of the drive reversed */
};

struct chair_counters {
        struct chair_act_counters act[_CHAIR_ACT_COUNT];
        double knead_cycles;       /* estimate, see above */
        double tap_cycles;         /* estimate, see above */
        double carriage_mm;        /* distance travelled, both directions */
        uint64_t inflations[_CHAIR_BAG_COUNT];  /* valve opened (0→1) and the pump ran while open */
        uint64_t sessions;         /* sessions started */
        uint64_t self_tests;       /* self-tests run */
        uint64_t faults[CHAIR_COUNTERS_MAX_FAULTS];   /* faults raised, by enum chair_fault */
};

struct chair_counter_tracker {
        struct chair_counters total;
        /* edge detection; not part of the totals */
        bool have_prev;
        int8_t last_dir[_CHAIR_ACT_COUNT];      /* last non-zero direction of each bidirectional motor */
        bool was_on[_CHAIR_ACT_COUNT];
        bool bag_armed[_CHAIR_BAG_COUNT];       /* valve opened, waiting for the pump */
        bool bag_open_prev[_CHAIR_BAG_COUNT];
        uint32_t last_pulses;
};

/* Zero everything. */
void chair_counter_tracker_init(struct chair_counter_tracker *t);

/*
 * Account one tick of dt seconds during which out was applied (the outputs of
 * this tick), with in the inputs read at its start.  Only actuators present
 * in cfg count.  Control thread: no allocation, no locks.
 */
void chair_counters_tick(struct chair_counter_tracker *t, const struct chair_config *cfg,
                         const struct chair_inputs *in, const struct chair_outputs *out, double dt);

/* Account an event of the control step (sessions started, faults). Control thread. */
void chair_counters_event(struct chair_counter_tracker *t, const struct chair_event *e);

/* dst += src, field by field (persisted totals + counts since start). */
void chair_counters_add(struct chair_counters *dst, const struct chair_counters *src);

/* The sum of every actuator's on_s for the motors (carriage, knead, tap, depth, recline, pump). */
double chair_counters_motor_s(const struct chair_counters *c);

/*
 * JSON form (docs/diagnostics.md):
 *   {"actuators":{"carriage":{"run_s":..,"duty_s":..,"starts":..,"direction_changes":..},...},
 *    "knead_cycles":..,"tap_cycles":..,"carriage_travel_mm":..,"heater_on_s":..,
 *    "airbag_inflations":{"lumbar-left":..,...},"recline_travels":{"backrest":..,"legrest":..},
 *    "sessions":..,"self_tests":..,"faults":{"estop":..,...}}
 * cfg may be NULL (every actuator is listed) or a config (only present parts).
 * Returns a new object (caller owns one reference) or NULL on allocation failure.
 */
struct json_object *chair_counters_to_json(const struct chair_counters *c, const struct chair_config *cfg);

/*
 * Read the form above into *c (zeroed first).  Unknown members are ignored
 * (a newer version's file), missing ones stay 0, negative or non-numeric
 * values are errors.  Returns 0 or -EINVAL.
 */
int chair_counters_from_json(struct json_object *o, struct chair_counters *c);
