/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Deterministic simulation testing of the control step (docs/safety.md).
 *
 * From one seed the harness builds a chair (the shipped config with its safety
 * figures varied within their valid ranges), then runs the daemon's control step
 * against the simulated plant in virtual time while
 *   - an owner sends random commands at random times: valid, invalid and
 *     nonsensical, built as struct chair_cmd and as JSON through the parser;
 *   - the plant suffers random faults: e-stop presses and releases, the occupant
 *     leaving and returning, obstacles, heater sensor open/short, stalled motors,
 *     body heights of 140..200 cm, and sensor-level faults injected between the
 *     plant and the control step (encoder noise, heater reading jumps, pressure
 *     spikes);
 *   - ticks are randomly late, or missed in runs (raising loop_overrun after
 *     control.max_missed_ticks in a row, as the daemon's RT loop does).
 * Every invariant is checked on every tick.  Everything derives from the seed,
 * so a failing seed reproduces exactly:  CHAIRD_DST_SEED=<seed> build/tests/test-dst
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct chair_config;
struct chair_programs;

struct dst_opts {
        uint64_t seed;
        double seconds;            /* simulated seconds per seed */
        FILE *log;                 /* violations are printed here (NULL: silent) */
        unsigned max_print;        /* print at most this many violations per seed */
        bool trace;                /* print every injected fault and command to log */
        /* Tests of the harness itself: break the controller's outputs after each
         * step so that the oracle must object.  0 = none, 1 = heater always on,
         * 2 = carriage always driven. */
        int sabotage;
};

struct dst_stats {
        uint64_t seeds;
        uint64_t ticks;
        double simulated_s;
        uint64_t checks;           /* invariant evaluations */
        uint64_t violations;
        uint64_t failed_seeds;
        uint64_t commands, json_commands, commands_ok;
        uint64_t sessions_started;
        uint64_t plant_faults, sensor_faults;
        uint64_t missed_ticks, overruns;
        uint64_t faults_reported;
        uint32_t faults_by_code;   /* mask of every fault code seen reported */
};

/* Load the shipped config and programs ($CHAIRD_SOURCE_ROOT/config/chaird.yaml). */
int dst_load(struct chair_config **cfg, struct chair_programs **progs);

/* Run one seed; adds to *st and returns the number of violations found. */
uint64_t dst_run(const struct chair_config *cfg, const struct chair_programs *progs, const struct dst_opts *o,
                 struct dst_stats *st);

void dst_stats_add(struct dst_stats *to, const struct dst_stats *from);
void dst_stats_print(const struct dst_stats *st, FILE *f);
