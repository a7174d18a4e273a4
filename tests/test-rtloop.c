/* SPDX-License-Identifier: MIT */
/*
 * The control thread on the sim backend: a whole session without a single
 * allocation or lock on the control thread, consistent loop statistics, missed
 * periods counted when a test hook delays ticks, a stalled loop stops ticking,
 * and a new program set is taken over only between sessions.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "alloc-count.h"
#include "config.h"
#include "control.h"
#include "errors.h"
#include "hal-backend.h"
#include "hal.h"
#include "histogram.h"
#include "program-load.h"
#include "program.h"
#include "rtloop.h"

#define NSEC_PER_SEC 1000000000ULL
/* guard against a hang, not a timing assertion */
#define GUARD_NS (30 * NSEC_PER_SEC)

static char tmpdir[64];

static void write_file(const char *name, const char *text) {
        char path[256];
        snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static const char config_yaml[] =
        "chair:\n"
        "  id: rtloop-test\n"
        "control:\n"
        "  rate_hz: 1000\n"
        "  rt_priority: 10\n"
        "  max_stall_ms: 100\n"       /* a loaded machine must not fault by chance */
        "hardware:\n"
        "  backend: sim\n"
        "  sim:\n"
        "    time_scale: 30\n"
        "  outputs:\n"
        "    carriage: {}\n"
        "    knead: {}\n"
        "    depth: {}\n"
        "    heater: {}\n"
        "  inputs:\n"
        "    encoder: {}\n"
        "    carriage_home: {}\n"
        "    carriage_end: {}\n"
        "    heater_temp: {}\n"
        "programs: [programs]\n";

static const char program_yaml[] =
        "id: quick\n"
        "name: Quick\n"
        "description: two short steps\n"
        "default_minutes: 1\n"
        "steps:\n"
        "  - technique: rolling\n"
        "    zone: T12-S1\n"
        "    duration_s: 30\n"
        "    intensity: 2\n"
        "    speed: 3\n"
        "    heat: true\n"
        "  - technique: kneading\n"
        "    zone: L3-L5\n"
        "    duration_s: 30\n"
        "    intensity: 3\n"
        "    speed: 2\n";

struct fixture {
        struct chair_config *cfg;
        struct chair_programs *progs;
        struct chair_hal *hal;
        struct chair_ctl *ctl;
        struct chair_rt *rt;
        int efd;
};

static uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * NSEC_PER_SEC + (uint64_t) ts.tv_nsec;
}

static void sleep_ms(unsigned ms) {
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
}

static int group_setup(void **state) {
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/test-rtloop-XXXXXX");
        if (!mkdtemp(tmpdir))
                return -1;
        char dir[128];
        snprintf(dir, sizeof(dir), "%s/programs", tmpdir);
        if (mkdir(dir, 0755) < 0)
                return -1;
        write_file("chaird.yaml", config_yaml);
        write_file("programs/quick.yaml", program_yaml);
        return 0;
}

static int group_teardown(void **state) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
}

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        struct chair_errors errs = { 0 };
        char path[128];

        assert_non_null(f);
        snprintf(path, sizeof(path), "%s/chaird.yaml", tmpdir);
        int r = chair_config_load(path, &errs, &f->cfg);
        chair_errors_print(&errs, stdout);
        assert_int_equal(r, 0);
        r = chair_programs_load(f->cfg, &errs, &f->progs);
        chair_errors_print(&errs, stdout);
        assert_int_equal(r, 0);
        chair_errors_clear(&errs);
        assert_int_equal(chair_hal_new(f->cfg, &f->hal), 0);
        assert_int_equal(chair_ctl_new(f->cfg, f->progs, &f->ctl), 0);
        f->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        assert_true(f->efd >= 0);

        struct chair_rt_options o;
        chair_rt_options_from_config(f->cfg, &o);
        o.lock_memory = false;
        o.wake_fd = f->efd;
        assert_int_equal(chair_rt_new(f->cfg, f->hal, f->ctl, &o, &f->rt), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        chair_rt_free(f->rt);
        chair_ctl_free(f->ctl);
        chair_hal_free(f->hal);
        chair_programs_free(f->progs);
        chair_config_free(f->cfg);
        close(f->efd);
        free(f);
        return 0;
}

/* Wait for the next note (polling the eventfd like the daemon does). */
static bool next_note(struct fixture *f, struct chair_rt_note *n, uint64_t deadline) {
        while (now_ns() < deadline) {
                if (chair_rt_receive(f->rt, n))
                        return true;
                struct pollfd p = { .fd = f->efd, .events = POLLIN };
                if (poll(&p, 1, 100) > 0) {
                        uint64_t v;
                        ssize_t k = read(f->efd, &v, sizeof(v));
                        (void) k;
                }
        }
        return false;
}

static void start_session(struct fixture *f, uint32_t token) {
        struct chair_rt_msg m = { .kind = CHAIR_RT_MSG_CMD };
        chair_cmd_init(&m.cmd, CHAIR_ACTION_START);
        m.cmd.program = 0;
        m.cmd.token = token;
        assert_true(chair_rt_send(f->rt, &m));
}

static void test_bad_options(void **state) {
        struct fixture *f = *state;
        struct chair_rt_options o;
        struct chair_rt *rt = NULL;

        chair_rt_options_from_config(f->cfg, &o);
        assert_int_equal(o.rate_hz, 1000);
        assert_true(o.time_scale == 30.0);
        o.rate_hz = 0;
        assert_int_equal(chair_rt_new(f->cfg, f->hal, f->ctl, &o, &rt), -EINVAL);
        chair_rt_options_from_config(f->cfg, &o);
        o.msg_capacity = 48;    /* not a power of two */
        assert_int_equal(chair_rt_new(f->cfg, f->hal, f->ctl, &o, &rt), -EINVAL);
        chair_rt_options_from_config(f->cfg, &o);
        o.time_scale = 0;
        assert_int_equal(chair_rt_new(f->cfg, f->hal, f->ctl, &o, &rt), -EINVAL);
        assert_null(rt);
}

static void *volatile sink;

static void *allocating_thread(void *p) {
        (void) p;
        sleep_ms(20);
        /* through a volatile so the compiler cannot drop the malloc/free pair */
        sink = malloc(16);
        free(sink);
        return NULL;
}

/* The counter itself must be able to fail: a watched thread that allocates counts. */
static void test_counter_works(void **state) {
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, allocating_thread, NULL), 0);
        alloc_count_watch(t);
        pthread_join(t, NULL);
        alloc_count_unwatch();
        assert_int_equal(alloc_count_allocs(), 2);
        sink = malloc(16);      /* not the watched thread: not counted */
        free(sink);
        assert_int_equal(alloc_count_allocs(), 2);
}

static void test_session_no_alloc(void **state) {
        struct fixture *f = *state;
        struct chair_rt_note n;
        struct chair_rt_info info;
        struct chair_status st;
        bool started = false, ended = false, result_ok = false;
        unsigned steps = 0;

        uint64_t t0 = now_ns();
        assert_int_equal(chair_rt_start(f->rt), 0);
        alloc_count_watch(chair_rt_thread(f->rt));
        uint64_t t1 = now_ns();

        chair_rt_info(f->rt, &info);
        print_message("policy %s priority %d (requested %d, sched_error %d)\n",
                      info.policy == SCHED_FIFO ? "SCHED_FIFO" : "SCHED_OTHER", info.priority,
                      info.requested_priority, info.sched_error);
        assert_int_equal(info.requested_priority, 10);
        if (info.sched_error)
                assert_int_equal(info.policy, SCHED_OTHER);
        else
                assert_int_equal(info.policy, SCHED_FIFO);
        assert_false(info.memory_locked);       /* not asked for */

        /* a sim change and a full session, answered by events */
        struct chair_rt_msg sim = { .kind = CHAIR_RT_MSG_SIM,
                                    .sim = { .key = CHAIR_SIM_BODY_HEIGHT_CM, .f = 160 } };
        assert_true(chair_rt_send(f->rt, &sim));
        start_session(f, 7);

        uint64_t deadline = now_ns() + GUARD_NS;
        while (!ended && now_ns() < deadline) {
                if (!chair_rt_receive(f->rt, &n)) {
                        /* Back to idle with no session_ended left in the ring is a bug:
                         * stop waiting.  (A tick pushes its events before it publishes
                         * its status, so none can still be on the way.) */
                        chair_rt_status(f->rt, &st);
                        bool over = st.state == CHAIR_STATE_IDLE || st.state == CHAIR_STATE_FAULT;
                        if (started && over && !chair_rt_receive(f->rt, &n))
                                break;
                        if (!started || !over) {
                                sleep_ms(2);
                                continue;
                        }
                }
                if (n.kind != CHAIR_RT_NOTE_EVENT)
                        continue;
                switch (n.ev.kind) {
                case CHAIR_EVENT_RESULT:
                        if (n.ev.result.token == 7 && n.ev.result.err == CHAIR_OK)
                                result_ok = true;
                        break;
                case CHAIR_EVENT_SESSION_STARTED:
                        started = true;
                        break;
                case CHAIR_EVENT_STEP:
                        steps++;
                        break;
                case CHAIR_EVENT_SESSION_ENDED:
                        ended = true;
                        assert_int_equal(n.ev.ended.reason, CHAIR_END_COMPLETED);
                        break;
                default:
                        break;
                }
        }
        chair_rt_status(f->rt, &st);
        print_message("session: result %d, started %d, %u steps, ended %d; now %s, step %u, "
                      "carriage %.0f mm, faults 0x%x\n", result_ok, started, steps, ended,
                      chair_state_name(st.state), st.step, (double) st.carriage_mm, st.faults);
        assert_true(result_ok);
        assert_true(started);
        assert_int_equal(steps, 2);
        assert_true(ended);

        /* let it park and settle to idle */
        deadline = now_ns() + GUARD_NS;
        do {
                sleep_ms(20);
                chair_rt_status(f->rt, &st);
        } while (st.state != CHAIR_STATE_IDLE && now_ns() < deadline);
        assert_int_equal(st.state, CHAIR_STATE_IDLE);

        uint64_t t2 = now_ns();
        chair_rt_stop(f->rt);
        uint64_t t3 = now_ns();
        alloc_count_unwatch();

        print_message("control thread: %lu allocations, %lu lock calls\n",
                      alloc_count_allocs(), alloc_count_locks());
        assert_int_equal(alloc_count_allocs(), 0);
        assert_int_equal(alloc_count_locks(), 0);

        /* outputs safe after the final tick */
        chair_rt_status(f->rt, &st);
        assert_true(st.all_safe);
        assert_true(chair_outputs_all_safe(f->cfg, &st.out));

        /* every period is either ticked or counted missed */
        struct chair_rt_stats s;
        chair_rt_stats(f->rt, &s);
        double period = 1e9 / s.rate_hz;
        double upper = (double) (t3 - t0) / period + 2;
        double lower = (double) (t2 - t1) / period * 0.5;
        print_message("ticks %llu + missed %llu over %.2f s (periods between %.0f and %.0f)\n",
                      (unsigned long long) s.ticks, (unsigned long long) s.missed,
                      (double) (t3 - t0) / 1e9, lower, upper);
        assert_true((double) (s.ticks + s.missed) <= upper);
        assert_true((double) (s.ticks + s.missed) >= lower);
        assert_int_equal(s.notes_dropped, 0);
        assert_int_equal(s.hal_errors, 0);

        /* one latency sample per tick */
        struct chair_hist *h;
        struct chair_hist_summary hs;
        assert_int_equal(chair_hist_new(chair_hist_bins(chair_rt_latency(f->rt)), &h), 0);
        chair_hist_copy(h, chair_rt_latency(f->rt));
        chair_hist_summarize(h, &hs);
        print_message("wake-up latency: p50 %u us, p99 %u us, max %u us over %llu ticks\n",
                      hs.p50_us, hs.p99_us, hs.max_us, (unsigned long long) hs.count);
        assert_int_equal(hs.count, s.ticks);
        assert_true(hs.p50_us <= hs.p99_us && hs.p99_us <= hs.max_us);
        chair_hist_free(h);
}

static void wait_ticks(struct fixture *f, uint64_t n) {
        uint64_t target = chair_rt_ticks(f->rt) + n, deadline = now_ns() + GUARD_NS;
        while (chair_rt_ticks(f->rt) < target && now_ns() < deadline)
                sleep_ms(1);
        assert_true(chair_rt_ticks(f->rt) >= target);
}

static void test_delay_counts_missed(void **state) {
        struct fixture *f = *state;
        struct chair_rt_note n;
        struct chair_rt_stats before, after;
        struct chair_status st;
        bool overrun_event = false;

        assert_int_equal(chair_rt_start(f->rt), 0);
        wait_ticks(f, 20);
        chair_rt_stats(f->rt, &before);

        /* one tick takes 150 ms longer: the next wake-up is >= 149 periods late,
         * and the outputs went unwritten longer than max_stall_ms (100) */
        chair_rt_test_delay(f->rt, 150 * 1000000ULL, 1);
        wait_ticks(f, 20);
        chair_rt_stats(f->rt, &after);
        print_message("missed %llu -> %llu, overruns %llu, most in a row %u\n",
                      (unsigned long long) before.missed, (unsigned long long) after.missed,
                      (unsigned long long) after.overruns, after.max_missed_in_row);
        assert_true(after.missed - before.missed >= 149);
        assert_true(after.max_missed_in_row >= 149);
        assert_true(after.overruns >= 1);
        assert_true(after.max_stale_us >= 150000);
        assert_true(after.max_late_us >= 149000);

        /* ... and the controller went to its safe state with a loop_overrun fault */
        uint64_t deadline = now_ns() + GUARD_NS;
        while (!overrun_event && next_note(f, &n, deadline))
                if (n.kind == CHAIR_RT_NOTE_EVENT && n.ev.kind == CHAIR_EVENT_FAULT &&
                    n.ev.fault.code == CHAIR_FAULT_LOOP_OVERRUN)
                        overrun_event = true;
        assert_true(overrun_event);
        chair_rt_status(f->rt, &st);
        assert_true((st.faults | st.faults_latched) & (1u << CHAIR_FAULT_LOOP_OVERRUN));
        assert_true(st.all_safe);
        chair_rt_stop(f->rt);
}

/* Late is not unsafe (design C2): ticks missed for less than max_stall_ms are
 * counted, with how late, and the session goes on. */
static void test_late_within_stall_limit(void **state) {
        struct fixture *f = *state;
        struct chair_rt_stats before, after;
        struct chair_status st;

        assert_int_equal(chair_rt_start(f->rt), 0);
        wait_ticks(f, 20);
        chair_rt_stats(f->rt, &before);
        /* 20 ms late at 1 kHz: 19+ periods missed, far more than the old
         * max_missed_ticks default (5) ever allowed, and well under 100 ms. */
        chair_rt_test_delay(f->rt, 20 * 1000000ULL, 1);
        wait_ticks(f, 20);
        chair_rt_stats(f->rt, &after);
        print_message("missed %llu -> %llu, late ticks %llu, max late %u us, max stale %u us, overruns %llu\n",
                      (unsigned long long) before.missed, (unsigned long long) after.missed,
                      (unsigned long long) after.late_ticks, after.max_late_us, after.max_stale_us,
                      (unsigned long long) after.overruns);
        assert_true(after.missed - before.missed >= 19);
        assert_true(after.late_ticks > before.late_ticks);
        assert_true(after.max_late_us >= 19000);
        assert_int_equal(after.overruns, 0);
        chair_rt_status(f->rt, &st);
        assert_false((st.faults | st.faults_latched) & (1u << CHAIR_FAULT_LOOP_OVERRUN));
        chair_rt_stop(f->rt);
}

static void test_stall(void **state) {
        struct fixture *f = *state;

        assert_int_equal(chair_rt_start(f->rt), 0);
        wait_ticks(f, 10);
        chair_rt_test_stall(f->rt, true);
        sleep_ms(20);   /* let an in-flight tick finish */
        uint64_t a = chair_rt_ticks(f->rt);
        sleep_ms(100);
        uint64_t b = chair_rt_ticks(f->rt);
        assert_int_equal(a, b);
        chair_rt_test_stall(f->rt, false);
        wait_ticks(f, 10);

        /* stop works while stalled, too */
        chair_rt_test_stall(f->rt, true);
        chair_rt_stop(f->rt);
        struct chair_status st;
        chair_rt_status(f->rt, &st);
        assert_true(st.all_safe);
}

static void test_program_swap_between_sessions(void **state) {
        struct fixture *f = *state;
        struct chair_programs *next = NULL;
        struct chair_errors errs = { 0 };
        struct chair_rt_note n;
        bool started = false, ended = false, acked = false, acked_after_end = false;

        assert_int_equal(chair_programs_load(f->cfg, &errs, &next), 0);
        chair_errors_clear(&errs);
        assert_int_equal(chair_rt_start(f->rt), 0);
        alloc_count_watch(chair_rt_thread(f->rt));

        start_session(f, 1);
        uint64_t deadline = now_ns() + GUARD_NS;
        while (!started && next_note(f, &n, deadline))
                started = n.kind == CHAIR_RT_NOTE_EVENT && n.ev.kind == CHAIR_EVENT_SESSION_STARTED;
        assert_true(started);

        /* hand over the new set mid-session: it must wait for the session's end */
        struct chair_rt_msg m = { .kind = CHAIR_RT_MSG_PROGRAMS, .programs = next };
        assert_true(chair_rt_send(f->rt, &m));
        sleep_ms(50);
        struct chair_rt_msg stop = { .kind = CHAIR_RT_MSG_CMD };
        chair_cmd_init(&stop.cmd, CHAIR_ACTION_STOP);
        assert_true(chair_rt_send(f->rt, &stop));

        deadline = now_ns() + GUARD_NS;
        while (!acked && next_note(f, &n, deadline)) {
                if (n.kind == CHAIR_RT_NOTE_PROGRAMS) {
                        assert_ptr_equal(n.programs, next);
                        acked = true;
                        acked_after_end = ended;
                } else if (n.ev.kind == CHAIR_EVENT_SESSION_ENDED)
                        ended = true;
        }
        assert_true(acked);
        assert_true(acked_after_end);

        chair_rt_stop(f->rt);
        alloc_count_unwatch();
        /* stop, program swap and shutdown: still nothing allocated or locked */
        assert_int_equal(alloc_count_allocs(), 0);
        assert_int_equal(alloc_count_locks(), 0);
        /* the old set is ours to free now; the controller keeps using next */
        chair_programs_free(f->progs);
        f->progs = next;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_counter_works),
                cmocka_unit_test_setup_teardown(test_bad_options, setup, teardown),
                cmocka_unit_test_setup_teardown(test_session_no_alloc, setup, teardown),
                cmocka_unit_test_setup_teardown(test_delay_counts_missed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_late_within_stall_limit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stall, setup, teardown),
                cmocka_unit_test_setup_teardown(test_program_swap_between_sessions, setup, teardown),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
