/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The daemon's main-loop side, as seen by its front ends (the MQTT bridge, the
 * --run development flag).  Everything here is called on the main thread
 * (sd-event loop) only.
 *
 * Owner: daemon area (daemon/chaird.c implements it).  Front ends (MQTT area:
 * daemon/mqtt-bridge.c) use only what is declared here.
 */

#include <stdint.h>

#include <systemd/sd-event.h>

#include "command.h"
#include "control.h"

struct chair_config;
struct chair_programs;
struct chair_hal;
struct chair_sim_change;
struct chaird;

/* Listener callbacks, called on the main thread after the control thread reported. */
struct chaird_listener {
        /* Every event from the control step, in order (results, session, step, fault...). */
        void (*event)(void *userdata, const struct chair_event *ev);
        /* The status changed in a way an owner would see (state, step, settings, faults),
         * or a second passed while a session runs. */
        void (*status)(void *userdata, const struct chair_status *st);
        /* The program set was replaced (SIGHUP reload). */
        void (*programs_changed)(void *userdata, const struct chair_programs *progs);
        void *userdata;
};

/* Register a listener (at most 4).  Returns 0 or -ENOSPC. */
int chaird_add_listener(struct chaird *d, const struct chaird_listener *l);

/*
 * Queue a command for the control thread.  Returns 0 and the token the matching
 * CHAIR_EVENT_RESULT will carry (cmd->token is overwritten), or -EAGAIN when the
 * ring is full.
 */
int chaird_submit(struct chaird *d, struct chair_cmd *cmd, uint32_t *ret_token);

/* Queue a change to the simulated plant; -EOPNOTSUPP unless the backend is sim. */
int chaird_sim_apply(struct chaird *d, const struct chair_sim_change *c);

/* The latest status snapshot (copied, consistent). */
void chaird_status(struct chaird *d, struct chair_status *st);

sd_event *chaird_event_loop(struct chaird *d);
const struct chair_config *chaird_config(struct chaird *d);
const struct chair_programs *chaird_programs(struct chaird *d);
/*
 * chaird_programs() is the set to parse commands against (the newest loaded).
 * After a SIGHUP reload the control step keeps the previous set until the
 * running session ends; status.program and session events index into this one,
 * the set the control step actually uses.  Equal to chaird_programs() except
 * during such a hand-over.
 */
const struct chair_programs *chaird_programs_running(struct chaird *d);

/* Loop statistics for diagnostics. */
struct chaird_loop_stats {
        uint32_t rate_hz;
        uint64_t ticks, missed;
        uint64_t late_ticks;                      /* ticks that woke a period or more late */
        uint32_t max_late_us, max_stale_us;       /* how late at worst; longest without an output write */
        uint64_t overruns, output_cuts, events_dropped;
        uint32_t max_stall_ms;
        uint32_t p50_us, p99_us, max_us;          /* since start */
        uint32_t p50_1m_us, p99_1m_us, max_1m_us; /* over the last minute */
        int policy;                               /* SCHED_FIFO / SCHED_OTHER actually obtained */
        int priority;
        double uptime_s;
};
void chaird_loop_stats(struct chaird *d, struct chaird_loop_stats *s);

/* The persistent state (daemon/history.h); NULL before it is set up. */
struct chaird_history;
struct chaird_history *chaird_get_history(struct chaird *d);
