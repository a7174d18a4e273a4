/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The control thread: a fixed-rate real-time loop around chair_ctl_step().
 *
 * Every tick (period 1/rate_hz, absolute wake-ups on CLOCK_MONOTONIC):
 *   drain the message ring (commands, sim changes, a new program set),
 *   chair_hal_read() → chair_ctl_step() → chair_hal_write(),
 *   push the step's events into the note ring, publish a status snapshot,
 *   and wake the owner's eventfd when there is something to look at.
 * A wake-up later than a whole period skips the periods already past and counts
 * them as missed.  CHAIR_FAULT_LOOP_OVERRUN (outputs safe at once) is raised
 * only when the outputs went unwritten for longer than control.max_stall_ms
 * (design C2): the output dead-man below has made them safe by then.  Outputs
 * the dead-man cut for their on-time raise CHAIR_FAULT_OUTPUT_TIMEOUT.  Each
 * tick's wake-up latency goes into a 1 µs histogram.
 *
 * After chair_rt_start() returns, the thread never allocates, locks, logs or
 * blocks (other than its clock_nanosleep() and an eventfd write, which does not
 * block).  Library code does not log: everything worth a warning (real-time
 * policy refused, priority clamped, memory not locked) is reported through
 * struct chair_rt_info for the caller to log.
 *
 * Threads: chair_rt_new/start/stop/free, chair_rt_send, chair_rt_receive and
 * chair_rt_status are for ONE owner thread (the main loop).  chair_rt_ticks,
 * chair_rt_stats, chair_rt_latency and the test hooks may be called from any
 * thread.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "command.h"
#include "control.h"
#include "hal-sim.h"

struct chair_config;
struct chair_programs;
struct chair_hal;
struct chair_ctl;
struct chair_hist;

/* Owner → control thread.  A tagged union so one ring keeps everything in order. */
enum chair_rt_msg_kind {
        CHAIR_RT_MSG_CMD,          /* a command for chair_ctl_step() */
        CHAIR_RT_MSG_SIM,          /* a change to the simulated plant (ignored unless sim) */
        CHAIR_RT_MSG_PROGRAMS,     /* switch to this program set between sessions */
};

struct chair_rt_msg {
        enum chair_rt_msg_kind kind;
        union {
                struct chair_cmd cmd;
                struct chair_sim_change sim;
                const struct chair_programs *programs;
        };
};

/* Control thread → owner. */
enum chair_rt_note_kind {
        CHAIR_RT_NOTE_EVENT,       /* an event from chair_ctl_step() */
        CHAIR_RT_NOTE_PROGRAMS,    /* the control step now uses this set; the previous one
                                    * is no longer referenced and may be freed */
};

struct chair_rt_note {
        enum chair_rt_note_kind kind;
        union {
                struct chair_event ev;
                const struct chair_programs *programs;
        };
};

struct chair_rt_options {
        uint32_t rate_hz;          /* 1..100000 */
        int rt_priority;           /* 0 = SCHED_OTHER, 1..99 = SCHED_FIFO */
        int cpu;                   /* pin to this CPU, -1 = no pinning */
        uint32_t max_stall_ms;     /* outputs stale longer = loop_overrun; 0 = never */
        double time_scale;         /* sim only: virtual seconds per wall second (1 = real time) */
        bool lock_memory;          /* mlockall(MCL_CURRENT|MCL_FUTURE) at start */
        int wake_fd;               /* eventfd written when notes or status are new; -1 = none */
        size_t msg_capacity;       /* power of two; 0 = 64 */
        size_t note_capacity;      /* power of two; 0 = 256 */
        uint32_t latency_bins;     /* histogram range in µs; 0 = 10000 */
};

/* Options from cfg->control (+ hardware.sim.time_scale for the sim backend),
 * lock_memory true, wake_fd -1, default capacities. */
void chair_rt_options_from_config(const struct chair_config *cfg, struct chair_rt_options *o);

/* What the thread obtained; complete once chair_rt_start() returned. */
struct chair_rt_info {
        int policy;                /* SCHED_FIFO or SCHED_OTHER, as obtained */
        int priority;              /* obtained (0 for SCHED_OTHER) */
        int requested_priority;
        long rtprio_limit;         /* RLIMIT_RTPRIO soft limit, -1 = unlimited */
        bool priority_clamped;     /* lowered to RLIMIT_RTPRIO */
        int sched_error;           /* 0, or negative errno of the refused SCHED_FIFO request */
        int cpu;                   /* pinned CPU or -1 */
        int cpu_error;             /* 0, or negative errno of the refused pinning */
        bool memory_locked;
        int mlock_error;           /* 0, or negative errno; -EOPNOTSUPP when skipped on purpose
                                    * (sanitizer builds, RLIMIT_MEMLOCK too small) */
};

struct chair_rt_stats {
        uint32_t rate_hz;
        uint64_t ticks;            /* ticks run */
        uint64_t missed;           /* periods skipped because the thread woke too late */
        uint64_t overruns;         /* times stale outputs (> max_stall_ms) raised loop_overrun */
        uint64_t late_ticks;       /* ticks that woke a whole period or more late */
        uint32_t max_late_us;      /* the latest any tick woke */
        uint32_t max_stale_us;     /* the longest the outputs went without a write */
        uint64_t output_cuts;      /* outputs the dead-man cut for their on-time */
        uint64_t notes_dropped;    /* note ring was full */
        uint64_t hal_errors;       /* failed chair_hal_read/write calls */
        uint32_t max_missed_in_row;
        uint32_t max_work_us;      /* longest tick (read → step → write → publish) */
};

struct chair_rt;

/*
 * Prepare (allocate everything; no thread yet).  cfg, hal and ctl must outlive
 * the struct; ctl and hal belong to the control thread between chair_rt_start()
 * and chair_rt_stop().  Returns 0, -EINVAL for bad options, -ENOMEM.
 */
int chair_rt_new(const struct chair_config *cfg, struct chair_hal *hal, struct chair_ctl *ctl,
                 const struct chair_rt_options *o, struct chair_rt **ret);

/*
 * Lock memory if asked, start the thread and wait until it set its policy and
 * entered the loop.  Returns 0 or a negative errno when the thread could not be
 * created.  Refused real-time scheduling is not an error: see chair_rt_info().
 */
int chair_rt_start(struct chair_rt *rt);

/*
 * Ask the thread to end: on its next tick it calls chair_ctl_shutdown(), writes
 * the (safe) outputs, publishes a final status and exits.  Joins it (at most one
 * period plus the time of a stalled test hook).  No-op when not running.
 */
void chair_rt_stop(struct chair_rt *rt);

/* Stops the thread if still running; accepts NULL, returns NULL. */
struct chair_rt *chair_rt_free(struct chair_rt *rt);

void chair_rt_info(const struct chair_rt *rt, struct chair_rt_info *info);

/* Owner: queue a message.  False when the ring is full (try again later). */
bool chair_rt_send(struct chair_rt *rt, const struct chair_rt_msg *m);

/* Owner: take the next note.  False when none. */
bool chair_rt_receive(struct chair_rt *rt, struct chair_rt_note *n);

/* Owner: copy the latest status snapshot into st (always consistent).  Returns true
 * when it is newer than the one the previous call returned. */
bool chair_rt_status(struct chair_rt *rt, struct chair_status *st);

/* Ticks run so far (acquire); the watchdog feeds systemd only while this moves. */
uint64_t chair_rt_ticks(const struct chair_rt *rt);
void chair_rt_stats(const struct chair_rt *rt, struct chair_rt_stats *s);
/* The live latency histogram (wake-up minus programmed wake-up, µs); read it with
 * chair_hist_copy()/chair_hist_window_*, never summarize it in place. */
const struct chair_hist *chair_rt_latency(const struct chair_rt *rt);
/* The thread's id while it runs (tests compare it in allocation wrappers). */
pthread_t chair_rt_thread(const struct chair_rt *rt);

/*
 * Test hooks, compiled in and harmless unless called.
 * stall: while on, the thread stops ticking (sleeps 1 ms at a time), as a stuck
 *        loop would; chair_rt_stop() still ends it.
 * delay: each of the next n_ticks ticks sleeps an extra delay_ns after its work,
 *        so the following wake-ups come late and periods are missed.
 */
void chair_rt_test_stall(struct chair_rt *rt, bool on);
void chair_rt_test_delay(struct chair_rt *rt, uint64_t delay_ns, uint32_t n_ticks);
