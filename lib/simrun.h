/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Run one program on the simulated chair in virtual time, as fast as the CPU
 * allows (chair-sim, the scenario tests and the simulation-testing harness all
 * use this).  The control step and the plant are the daemon's own; only the
 * clock is virtual.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "control.h"
#include "hal-sim.h"
#include "inject.h"

struct chair_config;
struct chair_programs;

enum chair_sim_result {
        CHAIR_SIM_COMPLETED,
        CHAIR_SIM_STOPPED,
        CHAIR_SIM_FAULT,
        CHAIR_SIM_REFUSED,         /* the start command was refused (start_error says why) */
};

const char *chair_sim_result_name(enum chair_sim_result r);

/* Called after every tick (tests check invariants here).  Return non-zero to stop the run. */
typedef int (*chair_simrun_tick_fn)(void *userdata, uint64_t tick, double t_s, const struct chair_status *st,
                                    const struct chair_sim_truth *truth, const struct chair_event *ev, size_t n_ev);

struct chair_simrun_opts {
        const char *program;               /* program id */
        double seconds;                    /* 0 = until the session ends */
        bool seed_set;
        uint64_t seed;                     /* overrides hardware.sim.seed when seed_set */
        int minutes, intensity, speed, heat;   /* start parameters, CHAIR_UNSET for defaults */
        const struct chair_inject *injects;    /* sorted by at_s or not: they are applied in time order */
        size_t n_injects;
        FILE *trace;                       /* CSV trace, or NULL */
        unsigned trace_every;              /* a row every N ticks (0 or 1 = every tick) */
        double realtime;                   /* > 0: pace virtual time at this many × wall time */
        FILE *live;                        /* > 0 realtime: a live status line is drawn here */
        chair_simrun_tick_fn on_tick;
        void *userdata;
};

#define CHAIR_SIMRUN_MAX_FAULTS 32

struct chair_simrun_result {
        enum chair_sim_result result;
        enum chair_err start_error;
        double simulated_s;
        uint64_t ticks;
        uint32_t rate_hz;
        uint32_t steps_run;
        struct { enum chair_fault code; double at_s; } faults[CHAIR_SIMRUN_MAX_FAULTS];
        size_t n_faults;
        float max_heater_c;                /* true heater temperature, plant side */
        float carriage_min_mm, carriage_max_mm;
        uint32_t max_safe_reaction_ticks;  /* 0 = safe on the very tick that saw the trigger */
        uint32_t safe_reactions;           /* how many triggers were measured */
        float shoulder_mm;
        /* carriage mm of each spinal landmark (enum chair_landmark) for the
         * scanned shoulder line, as the programs' zones resolve them; 0 before a scan */
        float landmark_mm[_CHAIR_LM_COUNT];
        double session_s;                  /* massage time of the session */
        uint32_t commands_refused;
};

/*
 * Run.  Returns 0 with *r filled, or a negative errno with a one-line reason
 * in err (unknown program, bad injected command, ...).
 */
int chair_simrun(const struct chair_config *cfg, const struct chair_programs *progs,
                 const struct chair_simrun_opts *o, struct chair_simrun_result *r, char *err, size_t err_size);

/* Print r as the --json summary / the human summary. */
void chair_simrun_print_json(const struct chair_simrun_result *r, const char *program, FILE *f);
void chair_simrun_print_text(const struct chair_simrun_result *r, const char *program, FILE *f);
