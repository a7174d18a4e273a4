/* SPDX-License-Identifier: MIT */
/*
 * Guard against a slower control tick: bench/tick-cost runs under
 * valgrind --tool=callgrind at two run lengths, and the difference of the
 * instruction counts over the difference of the tick counts (start-up cancels
 * out) must stay within the tolerance of the budget checked in as
 * bench/tick-budget.txt, for the control step alone (callgrind
 * --toggle-collect=chair_ctl_step) and for the whole tick with the sim plant.
 *
 * Instruction counts are deterministic for one binary (virtual time, seeded
 * plant), but they depend on the compiler and its flags: the budget names the
 * build it was recorded with, and other builds skip.  So do machines without
 * valgrind and sanitizer builds (valgrind cannot run them).  Exit 77 = skipped.
 *
 * A count far BELOW the budget fails as well: the budget must then be lowered
 * (bench/run-all.sh prints the new figures), or it stops guarding anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "bench/tick-build.h"

extern char **environ;

struct budget {
        char compiler[64];
        char optimization[16];
        int ndebug;
        char program[64];
        unsigned long ticks_short, ticks_long;
        double tolerance_pct;
        double ctl_step;           /* instructions per tick inside chair_ctl_step() */
        double tick;               /* instructions per tick, everything (plant, status, loop) */
};

static struct budget budget;
static char tick_cost[4096], config_path[4096], tmpdir[64];

static int read_budget(const char *path, struct budget *b) {
        FILE *f = fopen(path, "re");
        char line[256];
        int seen = 0;

        if (!f)
                return -errno;
        memset(b, 0, sizeof(*b));
        while (fgets(line, sizeof(line), f)) {
                char key[32];
                int off = 0;

                if (line[0] == '#' || sscanf(line, "%31s %n", key, &off) < 1)
                        continue;
                char *val = line + off;
                val[strcspn(val, "\n")] = '\0';
                if (strcmp(key, "compiler") == 0)
                        seen |= 1, snprintf(b->compiler, sizeof(b->compiler), "%s", val);
                else if (strcmp(key, "optimization") == 0)
                        seen |= 2, snprintf(b->optimization, sizeof(b->optimization), "%s", val);
                else if (strcmp(key, "ndebug") == 0)
                        seen |= 4, b->ndebug = atoi(val);
                else if (strcmp(key, "program") == 0)
                        seen |= 8, snprintf(b->program, sizeof(b->program), "%s", val);
                else if (strcmp(key, "ticks") == 0 && sscanf(val, "%lu %lu", &b->ticks_short, &b->ticks_long) == 2)
                        seen |= 16;
                else if (strcmp(key, "tolerance_pct") == 0)
                        seen |= 32, b->tolerance_pct = atof(val);
                else if (strcmp(key, "ctl_step") == 0)
                        seen |= 64, b->ctl_step = atof(val);
                else if (strcmp(key, "tick") == 0)
                        seen |= 128, b->tick = atof(val);
        }
        fclose(f);
        if (seen != 255 || b->ticks_long <= b->ticks_short || b->ctl_step <= 0 || b->tick <= 0 ||
            b->tolerance_pct <= 0)
                return -EINVAL;
        return 0;
}

/* Run argv with stdout/stderr to /dev/null; returns its exit status, or negative errno. */
static int run(char *const argv[]) {
        posix_spawn_file_actions_t fa;
        pid_t pid;
        int status, r;

        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
        r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0)
                return -r;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Instructions callgrind collected in one run of tick-cost over n ticks
 * (only inside toggle's function when toggle is set). */
static double collected(unsigned long n, const char *toggle) {
        char out[128], out_arg[160], toggle_arg[128], ticks[32], prog_arg[96], cfg_arg[4200];
        char *argv[12];
        int k = 0;

        snprintf(out, sizeof(out), "%s/callgrind.out", tmpdir);
        snprintf(out_arg, sizeof(out_arg), "--callgrind-out-file=%s", out);
        snprintf(ticks, sizeof(ticks), "%lu", n);
        snprintf(prog_arg, sizeof(prog_arg), "--program=%s", budget.program);
        snprintf(cfg_arg, sizeof(cfg_arg), "--config=%s", config_path);
        argv[k++] = (char *) "valgrind";
        argv[k++] = (char *) "--tool=callgrind";
        argv[k++] = out_arg;
        if (toggle) {
                snprintf(toggle_arg, sizeof(toggle_arg), "--toggle-collect=%s", toggle);
                argv[k++] = toggle_arg;
        }
        argv[k++] = tick_cost;
        argv[k++] = cfg_arg;
        argv[k++] = prog_arg;
        argv[k++] = ticks;
        argv[k] = NULL;

        int r = run(argv);
        if (r != 0)
                fail_msg("valgrind tick-cost %lu exited with %d (tick-cost: 2 = session no longer running)", n, r);

        FILE *f = fopen(out, "re");
        assert_non_null(f);
        char line[512];
        double total = -1;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "totals:", 7) == 0)
                        total = atof(line + 7);
        fclose(f);
        unlink(out);
        assert_true(total >= 0);
        return total;
}

static void check(const char *what, const char *toggle, double want) {
        double a = collected(budget.ticks_short, toggle);
        double b = collected(budget.ticks_long, toggle);
        double per_tick = (b - a) / (double) (budget.ticks_long - budget.ticks_short);
        double dev = (per_tick - want) / want * 100.0;

        print_message("%s: %.0f instructions per tick (budget %.0f, %+.1f %%, tolerance ±%.0f %%)\n",
                      what, per_tick, want, dev, budget.tolerance_pct);
        if (dev > budget.tolerance_pct || dev < -budget.tolerance_pct)
                fail_msg("%s costs %.0f instructions per tick, budget %.0f ± %.0f %%: find what changed, "
                         "or record the new figure in bench/tick-budget.txt if it is deliberate",
                         what, per_tick, want, budget.tolerance_pct);
}

static void test_ctl_step(void **state) {
        check("control step", "chair_ctl_step", budget.ctl_step);
}

static void test_whole_tick(void **state) {
        check("tick with sim plant", NULL, budget.tick);
}

static int skip_test(const char *why) {
        printf("SKIP: %s\n", why);
        return 77;
}

int main(void) {
        const char *src = getenv("CHAIRD_SOURCE_ROOT"), *bld = getenv("CHAIRD_BUILD_ROOT");
        char path[4200];

        if (!src || !bld)
                return skip_test("CHAIRD_SOURCE_ROOT / CHAIRD_BUILD_ROOT not set (run through meson test)");
        if (strcmp(TICK_BUILD_SANITIZE, "none") != 0)
                return skip_test("sanitizer build: valgrind cannot run it");

        snprintf(path, sizeof(path), "%s/bench/tick-budget.txt", src);
        int r = read_budget(path, &budget);
        if (r < 0) {
                printf("cannot read %s: %s\n", path, strerror(-r));
                return 1;
        }
        char opt[16];
        snprintf(opt, sizeof(opt), "%s", TICK_BUILD_OPTIMIZATION);
        if (strcmp(budget.compiler, TICK_BUILD_COMPILER) != 0 || strcmp(budget.optimization, opt) != 0 ||
            budget.ndebug != TICK_BUILD_NDEBUG) {
                char why[256];
                snprintf(why, sizeof(why), "budget recorded with %s -O%s ndebug=%d, this build is %s -O%s ndebug=%d",
                         budget.compiler, budget.optimization, budget.ndebug, TICK_BUILD_COMPILER, opt,
                         TICK_BUILD_NDEBUG);
                return skip_test(why);
        }

        char *const version[] = { (char *) "valgrind", (char *) "--version", NULL };
        if (run(version) != 0)
                return skip_test("valgrind not installed (apt-get install valgrind)");

        snprintf(tick_cost, sizeof(tick_cost), "%s/bench/tick-cost", bld);
        snprintf(config_path, sizeof(config_path), "%s/config/chaird.yaml", src);
        if (access(tick_cost, X_OK) < 0) {
                printf("%s not built\n", tick_cost);
                return 1;
        }
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/tick-budget.XXXXXX");
        if (!mkdtemp(tmpdir)) {
                printf("mkdtemp: %s\n", strerror(errno));
                return 1;
        }

        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ctl_step),
                cmocka_unit_test(test_whole_tick),
        };
        int failed = cmocka_run_group_tests(tests, NULL, NULL);
        rmdir(tmpdir);
        return failed;
}
