/* SPDX-License-Identifier: MIT */
/*
 * Deterministic simulation testing (tests/dst.h, docs/safety.md).
 *
 *   build/tests/test-dst                          the suite: regressions + 2000 seeds
 *   build/tests/test-dst --shard I N              only seeds with (seed - 1) % N == I
 *   CHAIRD_DST_SEED=1234 build/tests/test-dst     one seed, with a trace of what happened
 *   CHAIRD_DST_FIRST=F CHAIRD_DST_SEEDS=N         another seed range
 *   CHAIRD_DST_SECONDS=S                          simulated seconds per seed
 *   build/tests/test-dst --soak                   just run the range and print the figures
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "dst.h"
#include "program.h"

/* Per-seed length: 180 simulated seconds (90,000 ticks at 500 Hz, ~50 ms of
 * CPU) keeps the 2,000-seed suite under two minutes of CPU, in four shards. */
#define DEFAULT_SECONDS 180.0
#define DEFAULT_SEEDS 2000

/* Seeds that once found a bug (docs/safety.md, "Bugs found"), run on every
 * build: 43 clear_faults postponed stall detection; 73 encoder_fault cleared
 * while the pulses went on; 242 a stalled depth motor kept the ending phase
 * driving it for ever; 1004932 a heater reading that jumped back and forth
 * within one rate window went unnoticed; 2018941 and 2026196 the harness's own
 * encoder noise stopped during missed ticks, so its detection bound could not
 * be met (a harness bug: the noise is now made in time, not per tick);
 * 3058743 and 3064222 a body scan outlasted a one-minute session cap (the cap
 * was only checked once the program ran). */
static const uint64_t regression_seeds[] = {
        43, 73, 242, 1004932, 2018941, 2026196, 3058743, 3064222,
};

static struct chair_config *cfg;
static struct chair_programs *progs;
static uint64_t first = 1, count = DEFAULT_SEEDS;
static unsigned shard = 0, shards = 1;
static double seconds = DEFAULT_SECONDS;

static uint64_t env_u64(const char *name, uint64_t def) {
        const char *v = getenv(name);
        return v && *v ? strtoull(v, NULL, 0) : def;
}

static int setup(void **state) {
        (void) state;
        return dst_load(&cfg, &progs) < 0 ? -1 : 0;
}

static int teardown(void **state) {
        (void) state;
        progs = chair_programs_free(progs);
        cfg = chair_config_free(cfg);
        return 0;
}

static struct dst_opts opts(uint64_t seed) {
        return (struct dst_opts) { .seed = seed, .seconds = seconds, .log = stdout, .max_print = 5 };
}

static void test_regressions(void **state) {
        struct dst_stats st = { 0 };
        (void) state;
        for (size_t i = 0; i < sizeof(regression_seeds) / sizeof(regression_seeds[0]); i++) {
                if (regression_seeds[i] == 0)
                        continue;
                struct dst_opts o = opts(regression_seeds[i]);
                assert_int_equal(dst_run(cfg, progs, &o, &st), 0);
        }
}

/* The same seed twice: the same run, tick for tick. */
static void test_reproducible(void **state) {
        struct dst_stats a = { 0 }, b = { 0 };
        struct dst_opts o = opts(77);
        (void) state;
        o.seconds = 60;
        dst_run(cfg, progs, &o, &a);
        dst_run(cfg, progs, &o, &b);
        assert_int_equal(a.ticks, b.ticks);
        assert_int_equal(a.checks, b.checks);
        assert_int_equal(a.commands, b.commands);
        assert_int_equal(a.commands_ok, b.commands_ok);
        assert_int_equal(a.faults_reported, b.faults_reported);
        assert_int_equal(a.faults_by_code, b.faults_by_code);
        assert_true(a.ticks > 0 && a.commands > 0);
}

/* The oracle is not blind: a controller that heats or drives regardless is caught. */
static void test_oracle_catches_sabotage(void **state) {
        (void) state;
        for (int sab = 1; sab <= 2; sab++) {
                struct dst_stats st = { 0 };
                struct dst_opts o = opts(5);
                o.log = NULL;
                o.sabotage = sab;
                o.seconds = 120;
                assert_true(dst_run(cfg, progs, &o, &st) > 0);
        }
}

static void test_seeds(void **state) {
        struct dst_stats st = { 0 };
        (void) state;
        for (uint64_t s = first; s < first + count; s++) {
                if ((s - 1) % shards != shard)
                        continue;
                struct dst_opts o = opts(s);
                dst_run(cfg, progs, &o, &st);
        }
        dst_stats_print(&st, stdout);
        assert_int_equal(st.violations, 0);
}

int main(int argc, char **argv) {
        bool soak = false;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--shard") == 0 && i + 2 < argc) {
                        shard = (unsigned) strtoul(argv[i + 1], NULL, 0);
                        shards = (unsigned) strtoul(argv[i + 2], NULL, 0);
                        i += 2;
                } else if (strcmp(argv[i], "--soak") == 0)
                        soak = true;
                else {
                        fprintf(stderr, "usage: %s [--shard I N] [--soak]\n", argv[0]);
                        return 2;
                }
        }
        if (shards == 0 || shard >= shards)
                return 2;
        first = env_u64("CHAIRD_DST_FIRST", first);
        count = env_u64("CHAIRD_DST_SEEDS", count);
        const char *sec = getenv("CHAIRD_DST_SECONDS");
        if (sec && *sec)
                seconds = strtod(sec, NULL);

        /* One seed, traced: the reproduction of a failure. */
        uint64_t one = env_u64("CHAIRD_DST_SEED", 0);
        if (one || soak) {
                struct dst_stats st = { 0 };
                if (setup(NULL) < 0)
                        return 1;
                if (one) {
                        struct dst_opts o = opts(one);
                        o.trace = getenv("CHAIRD_DST_TRACE") != NULL;
                        o.max_print = 50;
                        dst_run(cfg, progs, &o, &st);
                } else
                        for (uint64_t s = first; s < first + count; s++)
                                if ((s - 1) % shards == shard) {
                                        struct dst_opts o = opts(s);
                                        o.max_print = 3;
                                        dst_run(cfg, progs, &o, &st);
                                }
                dst_stats_print(&st, stdout);
                teardown(NULL);
                return st.violations ? 1 : 0;
        }

        const struct CMUnitTest sweep[] = {
                cmocka_unit_test(test_seeds),
        };
        const struct CMUnitTest all[] = {
                cmocka_unit_test(test_regressions),
                cmocka_unit_test(test_reproducible),
                cmocka_unit_test(test_oracle_catches_sabotage),
                cmocka_unit_test(test_seeds),
        };
        /* Shard 0 also runs the fixed tests. */
        if (shard == 0)
                return cmocka_run_group_tests(all, setup, teardown);
        return cmocka_run_group_tests(sweep, setup, teardown);
}
