/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What the daemon tells the journal and systemd about the chair: one log line
 * per control-step event (with the CHAIR_PROGRAM/STEP/FAULT fields of
 * daemon/log.h), the one-line STATUS= of `systemctl status chaird`, config and
 * program errors with their locations, and what the control thread obtained.
 * Main thread only.
 */

#include <stddef.h>
#include <stdint.h>

struct chair_errors;
struct chair_event;
struct chair_programs;
struct chair_rt_info;
struct chair_status;

struct chaird_event_log {
        /* The session's program as its start event named it: the session_ended
         * line comes when the status may already read idle (a fault's reaction),
         * and must still name it (CHAIR_PROGRAM).  -1 when no session.  Fault
         * lines take theirs from the event (chair_fault_where). */
        int16_t program;
};

/* One journal line for ev.  progs: the set the control step uses; st: the latest
 * status; run_token: the --run command's token (its refusal is an error). */
void chaird_log_event(struct chaird_event_log *el, const struct chair_programs *progs,
                      const struct chair_status *st, uint32_t run_token, const struct chair_event *ev);

/* "running lumbar-relief, step 2/5, 11:40 left", "idle, fault: estop", ... */
void chaird_format_status_line(const struct chair_programs *progs, const struct chair_status *st, char *buf,
                               size_t size);

/* Each entry FILE:LINE:COL: PATH: MESSAGE, at its severity (error, warning, note). */
void chaird_log_errors(const struct chair_errors *errs);

/* The control thread's policy, priority, pinning and memory locking (one warning
 * when real-time scheduling was refused). */
void chaird_log_rt_info(const struct chair_rt_info *i, uint32_t rate_hz);
const char *chaird_policy_name(int policy);   /* "SCHED_FIFO", ... */
