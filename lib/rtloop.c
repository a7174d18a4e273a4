/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "control.h"
#include "hal-sim.h"
#include "hal.h"
#include "histogram.h"
#include "ring.h"
#include "rtloop.h"

#if defined(__SANITIZE_ADDRESS__)
#  define CHAIR_ASAN 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define CHAIR_ASAN 1
#  endif
#endif

#define NSEC_PER_SEC CHAIR_NSEC_PER_SEC
#define MAX_CMDS_PER_TICK CHAIR_MAX_CMDS_PER_TICK
#define THREAD_STACK (512 * 1024)
#define PREFAULT_STACK (128 * 1024)
/* mlockall(MCL_FUTURE) under a small RLIMIT_MEMLOCK makes later mmaps fail; skip below this. */
#define MEMLOCK_MIN (64ULL * 1024 * 1024)

/* The fields an owner would notice changing (state, step, settings, faults, whole seconds). */
struct chair_rt {
        const struct chair_config *cfg;
        struct chair_hal *hal;
        struct chair_ctl *ctl;
        struct chair_rt_options o;
        bool sim;
        uint64_t period_ns;

        struct chair_ring *msgs, *notes;
        struct chair_hist *latency;

        /* status triple buffer: the thread writes buf[back], then swaps it into
         * middle (with FRESH set); the owner swaps middle into front to read. */
        struct chair_status buf[3];
        _Atomic unsigned middle;
        unsigned back, front;

        /* counters: written by the control thread only */
        _Atomic uint64_t ticks, missed, overruns, notes_dropped, hal_errors, late_ticks, output_cuts;
        _Atomic uint32_t max_late_us;      /* the latest a tick ever woke */
        _Atomic uint32_t max_stale_us;     /* the longest the outputs went without a write */
        _Atomic uint32_t max_missed_in_row;
        _Atomic uint32_t max_work_us;

        _Atomic bool stop;
        _Atomic bool stall;
        _Atomic uint64_t delay_ns;
        _Atomic uint32_t delay_ticks;

        struct chair_rt_info info;
        pthread_t thread;
        bool running;
        sem_t started;

        /* control-thread-only state */
        const struct chair_programs *pending_programs;
        const struct chair_programs *unacked_programs;
        struct chair_cmd cmds[MAX_CMDS_PER_TICK];
        struct chair_event events[CHAIR_MAX_EVENTS_PER_TICK];
        struct chair_inputs in;
        struct chair_outputs out;
        struct chair_status_visible last_visible;
        uint64_t t0_ns;
        uint64_t fed_ns;                   /* when the outputs were last written (wall clock) */
        uint64_t stall_ns;                 /* o.max_stall_ms */
};

#define FRESH 4u


/* Single-writer counters: a relaxed load+store is enough and costs no locked instruction. */
static void bump(_Atomic uint64_t *c, uint64_t by) {
        atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + by,
                              memory_order_relaxed);
}

void chair_rt_options_from_config(const struct chair_config *cfg, struct chair_rt_options *o) {
        *o = (struct chair_rt_options) {
                .rate_hz = cfg->control.rate_hz,
                .rt_priority = cfg->control.rt_priority,
                .cpu = cfg->control.cpu,
                .max_stall_ms = cfg->control.max_stall_ms,
                .time_scale = cfg->hardware.backend == CHAIR_BACKEND_SIM &&
                              cfg->hardware.sim.time_scale > 0 ? cfg->hardware.sim.time_scale : 1.0,
                .lock_memory = true,
                .wake_fd = -1,
        };
}

int chair_rt_new(const struct chair_config *cfg, struct chair_hal *hal, struct chair_ctl *ctl,
                 const struct chair_rt_options *o, struct chair_rt **ret) {
        if (!cfg || !hal || !ctl || !o || o->rate_hz < 1 || o->rate_hz > 100000 ||
            o->rt_priority < 0 || o->rt_priority > 99 || !(o->time_scale > 0))
                return -EINVAL;

        struct chair_rt *rt = calloc(1, sizeof(*rt));
        if (!rt)
                return -ENOMEM;
        rt->cfg = cfg;
        rt->hal = hal;
        rt->ctl = ctl;
        rt->o = *o;
        if (rt->o.msg_capacity == 0)
                rt->o.msg_capacity = 64;
        if (rt->o.note_capacity == 0)
                rt->o.note_capacity = 256;
        if (rt->o.latency_bins == 0)
                rt->o.latency_bins = 10000;
        rt->sim = chair_hal_is_sim(hal);
        rt->period_ns = NSEC_PER_SEC / rt->o.rate_hz;
        rt->stall_ns = (uint64_t) rt->o.max_stall_ms * 1000000ULL;

        int r = chair_ring_new(sizeof(struct chair_rt_msg), rt->o.msg_capacity, &rt->msgs);
        if (r == 0)
                r = chair_ring_new(sizeof(struct chair_rt_note), rt->o.note_capacity, &rt->notes);
        if (r == 0)
                r = chair_hist_new(rt->o.latency_bins, &rt->latency);
        if (r == 0 && sem_init(&rt->started, 0, 0) < 0)
                r = -errno;
        if (r < 0) {
                chair_ring_free(rt->msgs);
                chair_ring_free(rt->notes);
                chair_hist_free(rt->latency);
                free(rt);
                return r;
        }

        /* Every buffer starts with the controller's initial status, so the owner
         * reads something sensible before the first tick. */
        chair_ctl_status(ctl, &rt->buf[0]);
        rt->buf[1] = rt->buf[2] = rt->buf[0];
        rt->back = 0;
        atomic_init(&rt->middle, 1);
        rt->front = 2;
        chair_outputs_safe(cfg, &rt->out);

        rt->info.policy = SCHED_OTHER;
        rt->info.requested_priority = o->rt_priority;
        rt->info.cpu = -1;
        rt->info.rtprio_limit = -1;
        *ret = rt;
        return 0;
}

static void set_scheduling(struct chair_rt *rt) {
        struct chair_rt_info *i = &rt->info;
        struct rlimit rl;

        if (getrlimit(RLIMIT_RTPRIO, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
                i->rtprio_limit = (long) rl.rlim_cur;

        if (rt->o.rt_priority > 0) {
                int prio = rt->o.rt_priority;
                if (i->rtprio_limit >= 1 && prio > i->rtprio_limit) {
                        prio = (int) i->rtprio_limit;
                        i->priority_clamped = true;
                }
                /* With RLIMIT_RTPRIO 0 only CAP_SYS_NICE lets this through; try anyway. */
                struct sched_param sp = { .sched_priority = prio };
                int r = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
                if (r == 0) {
                        i->policy = SCHED_FIFO;
                        i->priority = prio;
                } else
                        i->sched_error = -r;
        }

        if (rt->o.cpu >= 0) {
                cpu_set_t set;
                CPU_ZERO(&set);
                CPU_SET(rt->o.cpu, &set);
                int r = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
                if (r == 0)
                        i->cpu = rt->o.cpu;
                else
                        i->cpu_error = -r;
        }
}

/* Touch the stack the loop will use, so no page fault lands inside a tick. */
static __attribute__((noinline)) void prefault_stack(void) {
        volatile unsigned char buf[PREFAULT_STACK];
        for (size_t i = 0; i < sizeof(buf); i += 1024)
                buf[i] = 0;
}

static void wake_owner(struct chair_rt *rt) {
        if (rt->o.wake_fd < 0)
                return;
        uint64_t one = 1;
        /* eventfd: never blocks with EFD_NONBLOCK, and a full counter is impossible in practice */
        ssize_t n = write(rt->o.wake_fd, &one, sizeof(one));
        (void) n;
}

/* Publish the controller's status; returns true when something visible changed. */
static bool publish_status(struct chair_rt *rt) {
        struct chair_status *st = &rt->buf[rt->back];
        struct chair_status_visible v;

        chair_ctl_status(rt->ctl, st);
        unsigned old = atomic_exchange_explicit(&rt->middle, rt->back | FRESH, memory_order_acq_rel);
        rt->back = old & ~FRESH;

        chair_status_visible(st, &v);
        bool changed = memcmp(&v, &rt->last_visible, sizeof(v)) != 0;
        rt->last_visible = v;
        return changed;
}

static bool push_note(struct chair_rt *rt, const struct chair_rt_note *n) {
        if (chair_ring_push(rt->notes, n))
                return true;
        bump(&rt->notes_dropped, 1);
        return false;
}

/* Collect this tick's commands; apply sim changes; pick up a new program set. */
static size_t drain_messages(struct chair_rt *rt) {
        struct chair_rt_msg m;
        size_t n = 0;

        while (n < MAX_CMDS_PER_TICK && chair_ring_peek(rt->msgs, &m)) {
                if (m.kind == CHAIR_RT_MSG_PROGRAMS) {
                        if (rt->pending_programs)
                                break;  /* one swap at a time: leave it queued */
                        rt->pending_programs = m.programs;
                        chair_ring_pop(rt->msgs, &m);
                        /* Commands behind the swap were built against the new set:
                         * keep them for the tick that has tried the swap. */
                        break;
                }
                chair_ring_pop(rt->msgs, &m);
                if (m.kind == CHAIR_RT_MSG_CMD)
                        rt->cmds[n++] = m.cmd;
                else if (m.kind == CHAIR_RT_MSG_SIM && rt->sim)
                        chair_hal_sim_apply(rt->hal, &m.sim);
        }
        return n;
}

static bool try_program_swap(struct chair_rt *rt) {
        bool noted = false;

        if (rt->pending_programs && chair_ctl_set_programs(rt->ctl, rt->pending_programs) == 0) {
                rt->unacked_programs = rt->pending_programs;
                rt->pending_programs = NULL;
        }
        if (rt->unacked_programs) {
                struct chair_rt_note n = { .kind = CHAIR_RT_NOTE_PROGRAMS,
                                           .programs = rt->unacked_programs };
                /* The owner frees the old set on this note: it must not get lost,
                 * so a full ring means "try again next tick". */
                if (chair_ring_push(rt->notes, &n)) {
                        rt->unacked_programs = NULL;
                        noted = true;
                }
        }
        return noted;
}

static uint64_t virtual_ns(const struct chair_rt *rt, uint64_t t) {
        if (rt->o.time_scale == 1.0)
                return t;
        return rt->t0_ns + (uint64_t) ((double) (t - rt->t0_ns) * rt->o.time_scale);
}

static void run_tick(struct chair_rt *rt, uint64_t t, bool overrun) {
        bool wake = try_program_swap(rt);
        size_t n_cmds = drain_messages(rt);
        uint64_t vt = virtual_ns(rt, t);

        if (chair_hal_read(rt->hal, vt, &rt->in) < 0) {
                bump(&rt->hal_errors, 1);
                chair_ctl_raise(rt->ctl, CHAIR_FAULT_HAL_IO, &rt->out);
        }
        /* The output dead-man below us cut an output the step kept on too long. */
        uint32_t cut = chair_hal_take_cut(rt->hal);
        if (cut) {
                bump(&rt->output_cuts, (uint64_t) __builtin_popcount(cut));
                chair_ctl_raise(rt->ctl, CHAIR_FAULT_OUTPUT_TIMEOUT, &rt->out);
        }
        size_t n_ev = chair_ctl_step(rt->ctl, vt, &rt->in, rt->cmds, n_cmds, &rt->out, rt->events);
        if (overrun)
                chair_ctl_raise(rt->ctl, CHAIR_FAULT_LOOP_OVERRUN, &rt->out);
        if (chair_hal_write(rt->hal, &rt->out) < 0) {
                bump(&rt->hal_errors, 1);
                chair_ctl_raise(rt->ctl, CHAIR_FAULT_HAL_IO, &rt->out);
        }
        rt->fed_ns = chair_now_ns();

        for (size_t i = 0; i < n_ev && i < CHAIR_MAX_EVENTS_PER_TICK; i++) {
                struct chair_rt_note note = { .kind = CHAIR_RT_NOTE_EVENT, .ev = rt->events[i] };
                push_note(rt, &note);
                wake = true;
        }
        if (publish_status(rt))
                wake = true;

        atomic_store_explicit(&rt->ticks, atomic_load_explicit(&rt->ticks, memory_order_relaxed) + 1,
                              memory_order_release);
        if (wake)
                wake_owner(rt);
}

static void sleep_ns(uint64_t ns) {
        struct timespec ts = chair_timespec_of(ns);
        while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
                ;
}

static void shutdown_outputs(struct chair_rt *rt) {
        size_t n_ev = chair_ctl_shutdown(rt->ctl, &rt->out, rt->events);
        if (chair_hal_write(rt->hal, &rt->out) < 0)
                bump(&rt->hal_errors, 1);
        for (size_t i = 0; i < n_ev; i++) {
                struct chair_rt_note note = { .kind = CHAIR_RT_NOTE_EVENT, .ev = rt->events[i] };
                push_note(rt, &note);
        }
        publish_status(rt);
        wake_owner(rt);
}

static void *thread_main(void *userdata) {
        struct chair_rt *rt = userdata;

        set_scheduling(rt);
        prefault_stack();

        uint64_t next = chair_now_ns() + rt->period_ns;
        rt->t0_ns = next;
        rt->fed_ns = next;   /* nothing is stale before the first tick */
        uint32_t in_row = 0;

        sem_post(&rt->started);

        for (;;) {
                struct timespec ts = chair_timespec_of(next);
                while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                        ;

                /* test hook: a stuck loop */
                while (atomic_load_explicit(&rt->stall, memory_order_relaxed) &&
                       !atomic_load_explicit(&rt->stop, memory_order_relaxed))
                        sleep_ns(1000000);

                if (atomic_load_explicit(&rt->stop, memory_order_acquire))
                        break;

                uint64_t t = chair_now_ns();
                uint64_t late = t > next ? t - next : 0;
                chair_hist_record(rt->latency, (uint32_t) (late / 1000 > UINT32_MAX ? UINT32_MAX : late / 1000));

                /* Woke a whole period (or more) late: those periods are gone.  Skip
                 * them rather than running a burst of catch-up ticks (cyclictest
                 * does the same), and count them. */
                if (late >= rt->period_ns) {
                        uint64_t k = late / rt->period_ns;
                        bump(&rt->missed, k);
                        bump(&rt->late_ticks, 1);
                        next += k * rt->period_ns;
                        in_row = in_row + k > UINT32_MAX ? UINT32_MAX : in_row + (uint32_t) k;
                        if (in_row > atomic_load_explicit(&rt->max_missed_in_row, memory_order_relaxed))
                                atomic_store_explicit(&rt->max_missed_in_row, in_row, memory_order_relaxed);
                } else
                        in_row = 0;
                uint32_t late_us = late / 1000 > UINT32_MAX ? UINT32_MAX : (uint32_t) (late / 1000);
                if (late_us > atomic_load_explicit(&rt->max_late_us, memory_order_relaxed))
                        atomic_store_explicit(&rt->max_late_us, late_us, memory_order_relaxed);

                /* loop_overrun by time, not by count (design C2): only when the
                 * outputs went without a write for longer than max_stall_ms, which
                 * is also when the output dead-man has already made them safe.
                 * Late ticks that stay inside it are counted and nothing more. */
                bool overrun = false;
                uint64_t stale = t > rt->fed_ns ? t - rt->fed_ns : 0;
                uint32_t stale_us = stale / 1000 > UINT32_MAX ? UINT32_MAX : (uint32_t) (stale / 1000);
                if (stale_us > atomic_load_explicit(&rt->max_stale_us, memory_order_relaxed))
                        atomic_store_explicit(&rt->max_stale_us, stale_us, memory_order_relaxed);
                if (rt->stall_ns > 0 && stale > rt->stall_ns) {
                        overrun = true;
                        bump(&rt->overruns, 1);
                }

                run_tick(rt, t, overrun);

                uint64_t work_us = (chair_now_ns() - t) / 1000;
                if (work_us > atomic_load_explicit(&rt->max_work_us, memory_order_relaxed))
                        atomic_store_explicit(&rt->max_work_us,
                                              work_us > UINT32_MAX ? UINT32_MAX : (uint32_t) work_us,
                                              memory_order_relaxed);

                /* test hook: a tick that takes too long */
                uint32_t dt = atomic_load_explicit(&rt->delay_ticks, memory_order_relaxed);
                if (dt > 0) {
                        atomic_store_explicit(&rt->delay_ticks, dt - 1, memory_order_relaxed);
                        sleep_ns(atomic_load_explicit(&rt->delay_ns, memory_order_relaxed));
                }

                next += rt->period_ns;
        }

        shutdown_outputs(rt);
        return NULL;
}

static void lock_memory(struct chair_rt *rt) {
#ifdef CHAIR_ASAN
        /* The sanitizer's shadow memory is terabytes of reserved address space. */
        rt->info.mlock_error = -EOPNOTSUPP;
        return;
#else
        struct rlimit rl;
        if (geteuid() != 0 && getrlimit(RLIMIT_MEMLOCK, &rl) == 0 &&
            rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < MEMLOCK_MIN) {
                rt->info.mlock_error = -EOPNOTSUPP;
                return;
        }
        if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
                rt->info.mlock_error = -errno;
        else
                rt->info.memory_locked = true;
#endif
}

int chair_rt_start(struct chair_rt *rt) {
        if (rt->running)
                return -EALREADY;
        if (rt->o.lock_memory)
                lock_memory(rt);

        pthread_attr_t attr;
        int r = pthread_attr_init(&attr);
        if (r != 0)
                return -r;
        r = pthread_attr_setstacksize(&attr, THREAD_STACK);
        if (r == 0)
                r = pthread_create(&rt->thread, &attr, thread_main, rt);
        pthread_attr_destroy(&attr);
        if (r != 0)
                return -r;
        pthread_setname_np(rt->thread, "chaird-rt");

        while (sem_wait(&rt->started) < 0 && errno == EINTR)
                ;
        rt->running = true;
        return 0;
}

void chair_rt_stop(struct chair_rt *rt) {
        if (!rt || !rt->running)
                return;
        atomic_store_explicit(&rt->stop, true, memory_order_release);
        pthread_join(rt->thread, NULL);
        rt->running = false;
}

struct chair_rt *chair_rt_free(struct chair_rt *rt) {
        if (!rt)
                return NULL;
        chair_rt_stop(rt);
        sem_destroy(&rt->started);
        chair_ring_free(rt->msgs);
        chair_ring_free(rt->notes);
        chair_hist_free(rt->latency);
        free(rt);
        return NULL;
}

void chair_rt_info(const struct chair_rt *rt, struct chair_rt_info *info) {
        *info = rt->info;
}

bool chair_rt_send(struct chair_rt *rt, const struct chair_rt_msg *m) {
        return chair_ring_push(rt->msgs, m);
}

bool chair_rt_receive(struct chair_rt *rt, struct chair_rt_note *n) {
        return chair_ring_pop(rt->notes, n);
}

bool chair_rt_status(struct chair_rt *rt, struct chair_status *st) {
        bool fresh = false;
        if (atomic_load_explicit(&rt->middle, memory_order_acquire) & FRESH) {
                unsigned old = atomic_exchange_explicit(&rt->middle, rt->front, memory_order_acq_rel);
                rt->front = old & ~FRESH;
                fresh = true;
        }
        *st = rt->buf[rt->front];
        return fresh;
}

uint64_t chair_rt_ticks(const struct chair_rt *rt) {
        return atomic_load_explicit(&rt->ticks, memory_order_acquire);
}

void chair_rt_stats(const struct chair_rt *rt, struct chair_rt_stats *s) {
        *s = (struct chair_rt_stats) {
                .rate_hz = rt->o.rate_hz,
                .ticks = atomic_load_explicit(&rt->ticks, memory_order_acquire),
                .missed = atomic_load_explicit(&rt->missed, memory_order_relaxed),
                .overruns = atomic_load_explicit(&rt->overruns, memory_order_relaxed),
                .notes_dropped = atomic_load_explicit(&rt->notes_dropped, memory_order_relaxed),
                .hal_errors = atomic_load_explicit(&rt->hal_errors, memory_order_relaxed),
                .max_missed_in_row = atomic_load_explicit(&rt->max_missed_in_row, memory_order_relaxed),
                .late_ticks = atomic_load_explicit(&rt->late_ticks, memory_order_relaxed),
                .max_late_us = atomic_load_explicit(&rt->max_late_us, memory_order_relaxed),
                .max_stale_us = atomic_load_explicit(&rt->max_stale_us, memory_order_relaxed),
                .output_cuts = atomic_load_explicit(&rt->output_cuts, memory_order_relaxed),
                .max_work_us = atomic_load_explicit(&rt->max_work_us, memory_order_relaxed),
        };
}

const struct chair_hist *chair_rt_latency(const struct chair_rt *rt) {
        return rt->latency;
}

pthread_t chair_rt_thread(const struct chair_rt *rt) {
        return rt->thread;
}

void chair_rt_test_stall(struct chair_rt *rt, bool on) {
        atomic_store_explicit(&rt->stall, on, memory_order_relaxed);
}

void chair_rt_test_delay(struct chair_rt *rt, uint64_t delay_ns, uint32_t n_ticks) {
        atomic_store_explicit(&rt->delay_ns, delay_ns, memory_order_relaxed);
        atomic_store_explicit(&rt->delay_ticks, n_ticks, memory_order_relaxed);
}
