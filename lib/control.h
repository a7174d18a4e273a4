/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The control step: one pure function of (state, inputs, commands, time) →
 * (state, outputs, events) that the daemon's real-time thread and chair-sim
 * both call.  Inside it: the sequencer (session, steps, ramps), the techniques,
 * the safety supervisor (which has the last word over every output) and output
 * shaping (slew limits, heater and airbag regulation).
 *
 * chair_ctl_new() allocates everything up front; chair_ctl_step() never
 * allocates, logs, locks or blocks.  A struct chair_ctl belongs to one thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "command.h"
#include "counters.h"
#include "fault.h"
#include "hal.h"
#include "program.h"
#include "selftest.h"

struct chair_config;
struct chair_programs;

enum chair_state {
        CHAIR_STATE_IDLE,
        CHAIR_STATE_SCANNING,
        CHAIR_STATE_RUNNING,
        CHAIR_STATE_PAUSED,
        CHAIR_STATE_ENDING,
        CHAIR_STATE_FAULT,
        _CHAIR_STATE_COUNT,
};

const char *chair_state_name(enum chair_state s);   /* "idle", ... as in the MQTT state */

/* Fault codes, names and the stopping mask: lib/fault.h. */

enum chair_end_reason {
        CHAIR_END_COMPLETED,       /* ran its full time */
        CHAIR_END_STOPPED,         /* stop command */
        CHAIR_END_FAULT,           /* a stopping fault */
        CHAIR_END_LEFT,            /* occupant left and did not return within the grace period */
        CHAIR_END_SHUTDOWN,        /* daemon shutdown */
        CHAIR_END_SWITCHED,        /* start with "switch": another program took over (design C3) */
};

const char *chair_end_reason_name(enum chair_end_reason r);

enum chair_event_kind {
        CHAIR_EVENT_RESULT,        /* answer to a command (token, err) */
        CHAIR_EVENT_SESSION_STARTED,
        CHAIR_EVENT_SCAN_DONE,
        CHAIR_EVENT_STEP,
        CHAIR_EVENT_SESSION_ENDED,
        CHAIR_EVENT_FAULT,
        CHAIR_EVENT_FAULT_CLEARED,
        CHAIR_EVENT_SELF_TEST,     /* a self-test finished (or was aborted): its report */
        /* owner API (design C3) */
        CHAIR_EVENT_PAUSED,        /* paused.reason */
        CHAIR_EVENT_RESUMED,
        CHAIR_EVENT_OCCUPANT_LEFT,
        CHAIR_EVENT_OCCUPANT_RETURNED,
        CHAIR_EVENT_PROGRAM_SWITCHED,   /* switched.from, switched.to (program indexes) */
        CHAIR_EVENT_LOCKED,
        CHAIR_EVENT_UNLOCKED,
};

/* Recline states beyond the presets of enum chair_recline (status.recline only). */
#define CHAIR_RECLINE_MOVING ((enum chair_recline) 100)
#define CHAIR_RECLINE_CUSTOM ((enum chair_recline) 101)
/* "upright", ..., "moving", "custom"; NULL for CHAIR_RECLINE_KEEP. */
const char *chair_recline_state_name(enum chair_recline r);
enum chair_pause_reason {
        CHAIR_PAUSE_OWNER,
        CHAIR_PAUSE_OCCUPANT_LEFT,
};
const char *chair_pause_reason_name(enum chair_pause_reason r);

/* What the chair was doing when a fault was detected: taken at the start of the
 * tick, before the supervisor's reaction ended the session (the session_ended
 * event of that reaction comes first, and the status after the tick reads idle). */
struct chair_fault_where {
        enum chair_state state;
        int16_t program;           /* index, -1 when no session */
        uint16_t step, steps;      /* 1-based step, 0 when none */
        float elapsed_s;
};

struct chair_event {
        enum chair_event_kind kind;
        uint64_t at_ns;
        union {
                /* detail: what a reply message needs beyond the code (see
                 * chair_cmd_result_message()): extend: the minutes that can
                 * still be added; unlock refused: seconds left; resume of a
                 * running session and skip of the last step: 1. */
                struct { uint32_t token; enum chair_action action; enum chair_err err; int32_t detail; } result;
                struct { int16_t program; uint32_t planned_s; } started;
                struct { float shoulder_mm; } scan;
                struct { uint16_t index; enum chair_technique technique; } step;   /* index 1-based, as in the state */
                struct { enum chair_pause_reason reason; } paused;
                struct { int16_t from, to; } switched;
                struct { enum chair_end_reason reason; float elapsed_s; } ended;
                struct { enum chair_fault code; struct chair_fault_where where; } fault;   /* where: FAULT only */
                struct chair_st_report self_test;
        };
};

/*
 * The per-tick event budget.  A tick takes at most CHAIR_MAX_CMDS_PER_TICK
 * commands (callers pass no more; the RT loop leaves the rest in its ring for
 * the next tick); each yields its result and at most CHAIR_EVENTS_PER_CMD - 1
 * consequences (a switch: session_ended, program_switched, session_started,
 * step); every fault can be raised and cleared once; and the session itself
 * adds at most session_ended, step, scan_done, self_test, occupant_left,
 * occupant_returned, paused and resumed.  The caller's array holds all
 * of it, so nothing is ever dropped; should a change break the sum, the
 * static assert in control.c fails the build, and at run time an event that
 * does not fit is counted (chair_status.events_dropped) for the daemon to log.
 */
#define CHAIR_MAX_CMDS_PER_TICK 4
#define CHAIR_EVENTS_PER_CMD 5
#define CHAIR_EVENTS_PER_TICK_SESSION 8
#define CHAIR_MAX_EVENTS_PER_TICK \
        (CHAIR_MAX_CMDS_PER_TICK * CHAIR_EVENTS_PER_CMD + 2 * _CHAIR_FAULT_COUNT + CHAIR_EVENTS_PER_TICK_SESSION)

/* What the owner and technician see; a POD copied out after each tick. */
struct chair_status {
        enum chair_state state;
        int16_t program;           /* index, -1 when idle */
        uint16_t step;             /* 1-based while a session runs, 0 otherwise */
        uint16_t steps;
        enum chair_technique technique;
        float elapsed_s, remaining_s;
        uint8_t intensity, speed;
        bool heat_on;              /* owner wants heat this session */
        float heat_target_c;       /* 0 when the heater is not regulating */
        float heat_c;              /* measured (NaN when the sensor is bad) */
        float carriage_mm;         /* estimated from encoder pulses */
        float backrest, legrest;   /* measured, 0..1 */
        uint8_t backrest_pct, legrest_pct;   /* the same in whole per cent, moved only by >= 1 % */
        /* The preset the chair is at, else CHAIR_RECLINE_MOVING or CHAIR_RECLINE_CUSTOM;
         * CHAIR_RECLINE_KEEP when the chair cannot recline (no backrest or no sensor). */
        enum chair_recline recline;
        enum chair_recline recline_target;   /* where it is heading; CHAIR_RECLINE_KEEP: nowhere */
        bool locked;               /* child lock on */
        bool heat_wanted;          /* the owner asked for heat this session (heat_on: the heater may heat now) */
        int8_t focus;              /* landmark or -1 */
        bool occupied;
        uint32_t faults;           /* active fault mask */
        uint32_t faults_latched;   /* faults waiting for clear_faults */
        float shoulder_mm;         /* last scan, 0 before any */
        bool all_safe;             /* every output at its safe value */
        uint64_t ticks;
        uint64_t events_dropped;   /* events that did not fit the budget (a bug: logged) */
        struct chair_outputs out;
        struct chair_inputs in;
        bool self_testing;         /* a self-test runs (state reads idle meanwhile) */
        struct chair_counters counters;   /* wear counted by this controller since it was made */
};

struct chair_ctl;

/* Allocates all memory the controller will ever use.  cfg and progs must outlive it
 * (progs until chair_ctl_set_programs() replaces it), and cfg must not change
 * under it: the output shaper takes the safe values from it once, here. */
int chair_ctl_new(const struct chair_config *cfg, const struct chair_programs *progs,
                  struct chair_ctl **ret);
struct chair_ctl *chair_ctl_free(struct chair_ctl *c);

/*
 * One tick at time now_ns (monotonic, any epoch; must not go backwards).
 * Applies cmds in order (at most CHAIR_MAX_CMDS_PER_TICK; more is a caller
 * bug: the extra ones are answered by nothing and counted as dropped events),
 * then computes out.  Appends at most
 * CHAIR_MAX_EVENTS_PER_TICK events to ev (caller's array of that size) and
 * returns how many.  Never allocates, logs, locks or blocks.
 */
size_t chair_ctl_step(struct chair_ctl *c, uint64_t now_ns, const struct chair_inputs *in,
                      const struct chair_cmd *cmds, size_t n_cmds,
                      struct chair_outputs *out, struct chair_event *ev);

/* Raise a fault from outside the step (loop overrun, HAL I/O); takes effect at once:
 * out is rewritten to the safe values. */
void chair_ctl_raise(struct chair_ctl *c, enum chair_fault f, struct chair_outputs *out);

/* End any session because the process is shutting down; out becomes safe.
 * Appends its events to ev (an array of CHAIR_MAX_EVENTS_PER_TICK), as a step
 * does: session_ended (reason shutdown) for a session still running, and the
 * report of a self-test it aborted.  Returns how many. */
size_t chair_ctl_shutdown(struct chair_ctl *c, struct chair_outputs *out, struct chair_event *ev);

/* The child lock as persisted (daemon start, before the control thread runs).
 * Refused (-EINVAL) with locked = true when cfg has no owner.pin. */
int chair_ctl_set_locked(struct chair_ctl *c, bool locked);

/* Swap the program set; only between sessions.  Returns -EBUSY while a session runs. */
int chair_ctl_set_programs(struct chair_ctl *c, const struct chair_programs *progs);

void chair_ctl_status(const struct chair_ctl *c, struct chair_status *st);

/* The part of a status an owner sees (state, program, step, settings, faults,
 * whole seconds elapsed): the control thread wakes the main loop, and the main
 * loop tells its listeners, when this changes.  Compare two with memcmp(). */
struct chair_status_visible {
        enum chair_state state;
        int16_t program;
        uint16_t step;
        uint8_t intensity, speed;
        bool heat_on, occupied, locked;
        enum chair_recline recline, recline_target;
        uint8_t backrest_pct, legrest_pct;
        int8_t focus;
        uint32_t faults, faults_latched;
        int32_t elapsed_s;
};

/* Fills v (padding zeroed, so memcmp() compares values).  No allocation. */
void chair_status_visible(const struct chair_status *st, struct chair_status_visible *v);
