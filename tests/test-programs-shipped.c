/* SPDX-License-Identifier: MIT */
/*
 * The programs shipped in config/programs, loaded with the shipped
 * config/chaird.yaml: all there, all valid, and shaped as docs/programs.md
 * promises.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "errors.h"
#include "program-load.h"
#include "program.h"

static const char *const shipped_ids[] = {
        "lumbar-relief", "posture", "sleep-wind-down", "circulation",
        "stress-relief", "mobility", "deep-tissue",
};
#define N_SHIPPED (sizeof(shipped_ids) / sizeof(shipped_ids[0]))

struct fixture {
        struct chair_config *cfg;
        struct chair_programs *progs;
};

static void print_errors(const char *what, int r, struct chair_errors *errs) {
        chair_errors_print(errs, stdout);
        printf("%s failed: %d (%s), %zu error(s) above\n", what, r, strerror(r < 0 ? -r : r), errs->n);
}

static void fail_with_errors(const char *what, int r, struct chair_errors *errs) {
        print_errors(what, r, errs);
        fail();
}

static int setup(void **state) {
        static struct fixture f;
        struct chair_errors errs = { 0 };
        const char *root = getenv("CHAIRD_SOURCE_ROOT");
        char path[PATH_MAX];
        int r;

        snprintf(path, sizeof(path), "%s/config/chaird.yaml", root ? root : ".");
        /* A group setup reports failure by its return value: every test then
         * fails, which is right when the shipped files do not load. */
        r = chair_config_load(path, &errs, &f.cfg);
        if (r < 0 || errs.n > 0) {
                print_errors(path, r, &errs);
                chair_errors_clear(&errs);
                return -1;
        }
        r = chair_programs_load(f.cfg, &errs, &f.progs);
        if (r < 0 || errs.n > 0) {
                print_errors("loading the shipped programs", r, &errs);
                chair_errors_clear(&errs);
                f.cfg = chair_config_free(f.cfg);
                return -1;
        }
        chair_errors_clear(&errs);
        *state = &f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;

        f->progs = chair_programs_free(f->progs);
        f->cfg = chair_config_free(f->cfg);
        return 0;
}

static const struct chair_program *get(const struct fixture *f, const char *id) {
        int i = chair_programs_find(f->progs, id);

        if (i < 0)
                fail_msg("program %s not shipped", id);
        return &f->progs->v[i];
}

/* Every program docs/programs.md describes is there, each from its own file
 * named for its id. */
static void test_all_present(void **state) {
        const struct fixture *f = *state;

        assert_true(f->progs->n >= N_SHIPPED);
        for (size_t i = 0; i < N_SHIPPED; i++) {
                const struct chair_program *p = get(f, shipped_ids[i]);
                const char *base;
                char want[CHAIR_PROGRAM_ID_MAX + 8];

                assert_string_equal(p->id, shipped_ids[i]);
                assert_non_null(p->name);
                assert_true(strlen(p->name) > 0);
                assert_non_null(p->description);
                assert_true(strlen(p->description) > 0);
                assert_non_null(p->file);
                base = strrchr(p->file, '/');
                base = base ? base + 1 : p->file;
                snprintf(want, sizeof(want), "%s.yaml", p->id);
                assert_string_equal(base, want);
        }
}

/* Each file also validates on its own against the shipped chair. */
static void test_each_validates(void **state) {
        const struct fixture *f = *state;

        for (size_t i = 0; i < f->progs->n; i++) {
                struct chair_program p = { 0 };
                struct chair_errors errs = { 0 };
                int r;

                r = chair_program_load(f->progs->v[i].file, f->cfg, &errs, &p);
                if (r < 0 || errs.n > 0)
                        fail_with_errors(f->progs->v[i].file, r, &errs);
                assert_string_equal(p.id, f->progs->v[i].id);
                assert_int_equal(p.n_steps, f->progs->v[i].n_steps);
                chair_program_clear(&p);
                chair_errors_clear(&errs);
        }
}

/* Durations add up to the default session exactly, step counts are
 * realistic, every value is in range. */
static void test_shape(void **state) {
        const struct fixture *f = *state;

        for (size_t i = 0; i < N_SHIPPED; i++) {
                const struct chair_program *p = get(f, shipped_ids[i]);
                uint32_t sum = 0;

                if (p->n_steps < 6 || p->n_steps > 12)
                        fail_msg("%s: %zu steps", p->id, p->n_steps);
                for (size_t s = 0; s < p->n_steps; s++) {
                        const struct chair_step *st = &p->steps[s];

                        sum += st->duration_s;
                        assert_in_range(st->intensity, 1, 5);
                        assert_in_range(st->speed, 1, 5);
                        assert_true(st->zone_from <= st->zone_to);
                        assert_true((unsigned) st->technique < _CHAIR_TECH_COUNT);
                }
                if (sum != p->default_minutes * 60u)
                        fail_msg("%s: steps last %u s, default_minutes %u", p->id, sum, p->default_minutes);
                assert_int_equal(p->total_s, sum);
        }
}

/* Sleep wind-down ends low, reclined and never livelier than before. */
static void test_sleep_wind_down(void **state) {
        const struct fixture *f = *state;
        const struct chair_program *p = get(f, "sleep-wind-down");
        const struct chair_step *last = &p->steps[p->n_steps - 1];
        enum chair_recline recline = CHAIR_RECLINE_KEEP;
        uint32_t start = 0;
        int prev_i = -1, prev_s = -1;

        assert_true(last->intensity <= 2);
        assert_true(last->heat);

        /* The recline in force at the end: the last step's, or the last one
         * set before it. */
        for (size_t s = 0; s < p->n_steps; s++)
                if (p->steps[s].recline != CHAIR_RECLINE_KEEP)
                        recline = p->steps[s].recline;
        assert_true(recline == CHAIR_RECLINE_RELAX || recline == CHAIR_RECLINE_ZERO_GRAVITY);

        /* Every step that runs in the second half is no stronger and no faster
         * than the one before it. */
        for (size_t s = 0; s < p->n_steps; s++) {
                const struct chair_step *st = &p->steps[s];
                uint32_t end = start + st->duration_s;

                if (2u * end > p->total_s) {
                        if (prev_i >= 0 && st->intensity > prev_i)
                                fail_msg("step %zu: intensity rises to %u in the second half", s, st->intensity);
                        if (prev_s >= 0 && st->speed > prev_s)
                                fail_msg("step %zu: speed rises to %u in the second half", s, st->speed);
                }
                prev_i = st->intensity;
                prev_s = st->speed;
                start = end;
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_all_present),
                cmocka_unit_test(test_each_validates),
                cmocka_unit_test(test_shape),
                cmocka_unit_test(test_sleep_wind_down),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
