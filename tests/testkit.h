/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Shared fixtures for the core tests: a reference-chair config built in C (every
 * part and sensor present, sim backend), a small program set, and a "rig" that
 * steps the control step against the simulated plant in virtual time.
 */

#include <stdbool.h>
#include <stdint.h>

#include "command.h"
#include "config.h"
#include "control.h"
#include "hal-sim.h"
#include "program.h"

/* Every part and sensor of the reference chair present; backend sim; 500 Hz. */
struct chair_config *testkit_config(void);

/*
 * Programs: "short" (1 minute: rolling T12-S1 with heat, kneading L4 with heat,
 * stretch L3-L5 with the lumbar airbags in the relax recline) and "long"
 * (20 minutes of kneading L3-L5 with heat).
 */
struct chair_programs *testkit_programs(const struct chair_config *cfg);

struct rig {
        struct chair_config *cfg;
        struct chair_programs *progs;
        struct chair_hal *hal;
        struct chair_ctl *ctl;
        uint64_t now_ns, period_ns;
        uint64_t ticks;
        struct chair_inputs in;
        struct chair_outputs out;
        struct chair_event ev[CHAIR_MAX_EVENTS_PER_TICK];
        size_t n_ev;
        struct chair_status st;
        struct chair_sim_truth truth;
        /* every event seen since the rig started */
        uint32_t faults_seen;      /* mask of CHAIR_EVENT_FAULT codes */
        unsigned sessions_ended;
        enum chair_end_reason last_end;
        unsigned steps_seen;
        /* Optional: called between reading the plant and the control step, to
         * tamper with the inputs the way failing hardware would. */
        void (*tamper)(struct rig *r);
};

/* Build a rig on cfg (taken over; NULL = testkit_config()). */
struct rig *rig_new(struct chair_config *cfg);
void rig_free(struct rig *r);

/* One tick with these commands; returns the number of events. */
size_t rig_tick(struct rig *r, const struct chair_cmd *cmds, size_t n);
/* Tick for the given simulated seconds with no commands. */
void rig_run(struct rig *r, double seconds);
/* Tick until pred holds or max_s passes; returns true when it held. */
bool rig_run_until(struct rig *r, double max_s, bool (*pred)(const struct rig *r));
/* Send one command on a tick of its own and return its result. */
enum chair_err rig_cmd(struct rig *r, const struct chair_cmd *cmd);
enum chair_err rig_start(struct rig *r, const char *program);
void rig_sim(struct rig *r, enum chair_sim_key key, float value);
double rig_time(const struct rig *r);
