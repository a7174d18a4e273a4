/* SPDX-License-Identifier: MIT */
/*
 * The control tick never allocates or locks: malloc, calloc, realloc, free and
 * pthread_mutex_lock/trylock are wrapped at link time (tests/meson.build:
 * alloc_wrap) and counted while a whole session of every shipped program runs
 * tick by tick against the simulated plant.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "control.h"
#include "errors.h"
#include "hal-sim.h"
#include "program-load.h"
#include "program.h"

static bool armed;
static unsigned long counted;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
int __real_pthread_mutex_lock(pthread_mutex_t *m);
int __real_pthread_mutex_trylock(pthread_mutex_t *m);

/* Prototypes keep -Wmissing-prototypes quiet: these are link-time wrappers. */
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
int __wrap_pthread_mutex_lock(pthread_mutex_t *m);
int __wrap_pthread_mutex_trylock(pthread_mutex_t *m);

void *__wrap_malloc(size_t n) { if (armed) counted++; return __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) { if (armed) counted++; return __real_calloc(n, m); }
void *__wrap_realloc(void *p, size_t n) { if (armed) counted++; return __real_realloc(p, n); }
void __wrap_free(void *p) { if (armed && p) counted++; __real_free(p); }
int __wrap_pthread_mutex_lock(pthread_mutex_t *m) { if (armed) counted++; return __real_pthread_mutex_lock(m); }
int __wrap_pthread_mutex_trylock(pthread_mutex_t *m) { if (armed) counted++; return __real_pthread_mutex_trylock(m); }

static char config_path[4096];

/* The counter itself must be able to see an allocation, or the test proves nothing. */
static void test_counter_counts(void **state) {
        /* Through volatile pointers: the compiler may drop a malloc/free pair it can see. */
        void *(*volatile do_malloc)(size_t) = malloc;
        void (*volatile do_free)(void *) = free;
        counted = 0;
        armed = true;
        void *p = do_malloc(16);
        do_free(p);
        armed = false;
        assert_int_equal(counted, 2);
}

static void run_program(const struct chair_config *cfg, const struct chair_programs *progs, int prog,
                        unsigned long *ticks) {
        struct chair_hal *hal = NULL;
        struct chair_ctl *ctl = NULL;
        struct chair_inputs in;
        struct chair_outputs out;
        struct chair_event ev[CHAIR_MAX_EVENTS_PER_TICK];
        struct chair_status st;
        struct chair_cmd start;
        uint64_t period = 1000000000ull / cfg->control.rate_hz;

        assert_int_equal(chair_hal_sim_new(cfg, &hal), 0);
        assert_int_equal(chair_ctl_new(cfg, progs, &ctl), 0);
        chair_cmd_init(&start, CHAIR_ACTION_START);
        start.program = (int16_t) prog;

        counted = 0;
        armed = true;
        for (uint64_t t = 0;; t++) {
                chair_hal_read(hal, t * period, &in);
                chair_ctl_step(ctl, t * period, &in, t == 0 ? &start : NULL, t == 0, &out, ev);
                chair_hal_write(hal, &out);
                chair_ctl_status(ctl, &st);
                (*ticks)++;
                if (t > 0 && (st.state == CHAIR_STATE_IDLE || st.state == CHAIR_STATE_FAULT))
                        break;
        }
        armed = false;
        assert_int_equal(st.state, CHAIR_STATE_IDLE);
        assert_int_equal(counted, 0);

        chair_ctl_free(ctl);
        chair_hal_free(hal);
}

static void test_shipped_programs_tick_without_allocating(void **state) {
        struct chair_errors errs = { 0 };
        struct chair_config *cfg = NULL;
        struct chair_programs *progs = NULL;
        unsigned long ticks = 0;

        assert_int_equal(chair_config_load(config_path, &errs, &cfg), 0);
        assert_int_equal(chair_programs_load(cfg, &errs, &progs), 0);
        assert_true(progs->n >= 7);
        for (size_t i = 0; i < progs->n; i++)
                run_program(cfg, progs, (int) i, &ticks);
        /* Whole sessions ran: at least 7 × 10 minutes at the configured rate. */
        assert_true(ticks >= 7ul * 600 * cfg->control.rate_hz);
        chair_programs_free(progs);
        chair_config_free(cfg);
        chair_errors_clear(&errs);
}

/* The owner API (design C3) on the tick: deltas, extend, skip, switch, lock,
 * unlock, pause, resume, idle recline; none of it allocates. */
static void test_owner_commands_without_allocating(void **state) {
        struct chair_errors errs = { 0 };
        struct chair_config *cfg = NULL;
        struct chair_programs *progs = NULL;
        struct chair_hal *hal = NULL;
        struct chair_ctl *ctl = NULL;
        struct chair_inputs in;
        struct chair_outputs out;
        struct chair_event ev[CHAIR_MAX_EVENTS_PER_TICK];
        struct chair_status st;
        struct chair_cmd script[12];
        unsigned ok = 0;

        assert_int_equal(chair_config_load(config_path, &errs, &cfg), 0);
        assert_int_equal(chair_programs_load(cfg, &errs, &progs), 0);
        cfg->owner.pin = strdup("2468");
        assert_int_equal(chair_hal_sim_new(cfg, &hal), 0);
        assert_int_equal(chair_ctl_new(cfg, progs, &ctl), 0);
        uint64_t period = 1000000000ull / cfg->control.rate_hz;

        static const enum chair_action acts[12] = {
                CHAIR_ACTION_START, CHAIR_ACTION_SET, CHAIR_ACTION_EXTEND, CHAIR_ACTION_SKIP,
                CHAIR_ACTION_LOCK, CHAIR_ACTION_UNLOCK, CHAIR_ACTION_UNLOCK, CHAIR_ACTION_PAUSE,
                CHAIR_ACTION_RESUME, CHAIR_ACTION_START, CHAIR_ACTION_STOP, CHAIR_ACTION_RECLINE,
        };
        for (int i = 0; i < 12; i++) {
                chair_cmd_init(&script[i], acts[i]);
                script[i].token = (uint32_t) i + 1;
        }
        script[0].program = 0;
        script[1].intensity_delta = 1;
        script[2].minutes = 1;
        strcpy(script[5].pin, "1111");
        strcpy(script[6].pin, "2468");
        script[9].program = (int16_t) (progs->n - 1);
        script[9].switch_program = true;
        script[11].recline = CHAIR_RECLINE_ZERO_GRAVITY;

        counted = 0;
        armed = true;
        /* one command every 20 s of simulated time, after the scan */
        uint64_t every = 20ull * cfg->control.rate_hz;
        for (uint64_t t = 0; t < 13 * every; t++) {
                int k = t == 0 ? 0 : t % every == 0 ? (int) (t / every) : -1;
                chair_hal_read(hal, t * period, &in);
                size_t n = chair_ctl_step(ctl, t * period, &in, k >= 0 && k < 12 ? &script[k] : NULL,
                                          k >= 0 && k < 12, &out, ev);
                chair_hal_write(hal, &out);
                chair_ctl_status(ctl, &st);
                for (size_t i = 0; i < n; i++)
                        if (ev[i].kind == CHAIR_EVENT_RESULT && ev[i].result.err == CHAIR_OK)
                                ok++;
        }
        armed = false;
        assert_int_equal(counted, 0);
        assert_int_equal(ok, 11);       /* all but the wrong PIN */
        assert_int_equal(st.recline, CHAIR_RECLINE_ZERO_GRAVITY);

        chair_ctl_free(ctl);
        chair_hal_free(hal);
        chair_programs_free(progs);
        chair_config_free(cfg);
        chair_errors_clear(&errs);
}

int main(void) {
        const char *src = getenv("CHAIRD_SOURCE_ROOT");
        snprintf(config_path, sizeof(config_path), "%s/config/chaird.yaml", src ? src : ".");
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_counter_counts),
                cmocka_unit_test(test_shipped_programs_tick_without_allocating),
                cmocka_unit_test(test_owner_commands_without_allocating),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
