/* SPDX-License-Identifier: MIT */
/*
 * Program files: names, step parsing and defaults, directory loading with
 * overrides and duplicates, and every broken program reported at its key.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "errors.h"
#include "program-load.h"
#include "program.h"

static char data_dir[PATH_MAX / 2];

static const char *data(const char *name) {
        static char buf[4][PATH_MAX];
        static unsigned k;
        k = (k + 1) % 4;
        snprintf(buf[k], sizeof(buf[k]), "%s/%s", data_dir, name);
        return buf[k];
}

static struct chair_config *config(const char *name) {
        struct chair_errors e = { 0 };
        struct chair_config *cfg = NULL;

        assert_int_equal(chair_config_load(data(name), &e, &cfg), 0);
        chair_errors_clear(&e);
        return cfg;
}

static void test_names(void **state) {
        static const char *const techniques[] = {
                "rolling", "kneading", "tapping", "shiatsu", "deep-tissue", "myofascial",
                "stretch", "rocking", "compression", "heat",
        };
        static const char *const landmarks[] = { "C7", "T10", "T12", "L1", "L2", "L3", "L4", "L5", "S1" };
        static const char *const reclines[] = { "upright", "relax", "zero-gravity" };
        static const char *const bad[] = { "", "Rolling", "deep_tissue", "l4", "L6", "zero gravity" };

        assert_int_equal(sizeof(techniques) / sizeof(techniques[0]), _CHAIR_TECH_COUNT);
        for (int i = 0; i < _CHAIR_TECH_COUNT; i++) {
                assert_string_equal(chair_technique_name(i), techniques[i]);
                assert_int_equal(chair_technique_from_name(techniques[i]), i);
        }
        assert_int_equal(sizeof(landmarks) / sizeof(landmarks[0]), _CHAIR_LM_COUNT);
        for (int i = 0; i < _CHAIR_LM_COUNT; i++) {
                assert_string_equal(chair_landmark_name(i), landmarks[i]);
                assert_int_equal(chair_landmark_from_name(landmarks[i]), i);
        }
        assert_int_equal(sizeof(reclines) / sizeof(reclines[0]), _CHAIR_RECLINE_COUNT);
        for (int i = 0; i < _CHAIR_RECLINE_COUNT; i++) {
                assert_string_equal(chair_recline_name(i), reclines[i]);
                assert_int_equal(chair_recline_from_name(reclines[i]), i);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(chair_technique_from_name(bad[i]), -EINVAL);
                assert_int_equal(chair_landmark_from_name(bad[i]), -EINVAL);
                assert_int_equal(chair_recline_from_name(bad[i]), -EINVAL);
        }
        assert_int_equal(chair_technique_from_name(NULL), -EINVAL);
        assert_null(chair_technique_name(_CHAIR_TECH_COUNT));
        assert_null(chair_landmark_name(_CHAIR_LM_COUNT));
        assert_null(chair_recline_name(CHAIR_RECLINE_KEEP));
}

static void test_load_steps(void **state) {
        struct chair_config *cfg = config("valid.yaml");
        struct chair_errors e = { 0 };
        struct chair_program p;
        const char *path = data("programs-full/test-relax.yaml");

        assert_int_equal(chair_program_load(path, cfg, &e, &p), 0);
        assert_int_equal(e.n, 0);
        assert_string_equal(p.id, "test-relax");
        assert_string_equal(p.name, "Test relax");
        assert_string_equal(p.description, "A short program for the config tests.");
        assert_string_equal(p.file, path);
        assert_int_equal(p.default_minutes, 10);
        assert_int_equal(p.n_steps, 3);
        assert_int_equal(p.total_s, 180 + 360 + 60);

        assert_int_equal(p.steps[0].technique, CHAIR_TECH_ROLLING);
        assert_int_equal(p.steps[0].zone_from, CHAIR_LM_T12);
        assert_int_equal(p.steps[0].zone_to, CHAIR_LM_S1);
        assert_int_equal(p.steps[0].intensity, 2);
        assert_true(p.steps[0].heat);
        assert_int_equal(p.steps[0].airbags, 0);
        assert_int_equal(p.steps[0].recline, CHAIR_RECLINE_KEEP);

        assert_int_equal(p.steps[1].technique, CHAIR_TECH_KNEADING);
        assert_int_equal(p.steps[1].zone_from, CHAIR_LM_L3);
        assert_int_equal(p.steps[1].zone_to, CHAIR_LM_L5);
        assert_int_equal(p.steps[1].airbags, (1 << CHAIR_BAG_LUMBAR_LEFT) | (1 << CHAIR_BAG_LUMBAR_RIGHT));
        assert_int_equal(p.steps[1].recline, CHAIR_RECLINE_RELAX);
        assert_false(p.steps[1].heat);

        /* A single landmark is a zone of one. */
        assert_int_equal(p.steps[2].technique, CHAIR_TECH_SHIATSU);
        assert_int_equal(p.steps[2].zone_from, CHAIR_LM_L4);
        assert_int_equal(p.steps[2].zone_to, CHAIR_LM_L4);
        chair_program_clear(&p);
        chair_program_clear(&p);  /* cleared twice is fine */
        chair_config_free(cfg);
}

static void test_step_defaults(void **state) {
        struct chair_errors e = { 0 };
        struct chair_program p;

        /* No config: nothing to check the parts against. */
        assert_int_equal(chair_program_load(data("programs/test-basic.yaml"), NULL, &e, &p), 0);
        assert_int_equal(p.default_minutes, 15);
        assert_string_equal(p.description, "");
        assert_int_equal(p.n_steps, 1);
        assert_int_equal(p.steps[0].intensity, 3);
        assert_int_equal(p.steps[0].speed, 3);
        assert_int_equal(p.steps[0].zone_from, CHAIR_LM_T12);
        assert_int_equal(p.steps[0].zone_to, CHAIR_LM_S1);
        assert_int_equal(p.steps[0].recline, CHAIR_RECLINE_KEEP);
        assert_false(p.steps[0].heat);
        chair_program_clear(&p);
}

static void test_load_dirs(void **state) {
        struct chair_config *cfg = config("valid.yaml");
        struct chair_errors e = { 0 };
        struct chair_programs *set = NULL;
        int k;

        assert_int_equal(chair_programs_load(cfg, &e, &set), 0);
        /* The override is said once, as a note. */
        chair_errors_print(&e, stdout);
        assert_int_equal(e.n, 1);
        assert_true(e.v[0].note);
        assert_int_equal(chair_errors_count(&e), 0);
        assert_string_equal(e.v[0].file, data("programs-override/test-relax.yaml"));
        assert_non_null(strstr(e.v[0].message, "program 'test-relax' overrides the one in "));
        chair_errors_clear(&e);
        /* test-basic from programs/, test-relax from programs-full/ replaced by programs-override/;
         * README.txt is not a program. */
        assert_int_equal(set->n, 2);
        assert_string_equal(set->v[0].id, "test-basic");
        k = chair_programs_find(set, "test-relax");
        assert_int_equal(k, 1);
        assert_string_equal(set->v[k].name, "Test relax (override)");
        assert_string_equal(set->v[k].file, data("programs-override/test-relax.yaml"));
        assert_int_equal(chair_programs_find(set, "nope"), -ENOENT);
        assert_int_equal(chair_programs_find(set, NULL), -ENOENT);
        chair_programs_free(set);
        assert_null(chair_programs_free(NULL));
        chair_config_free(cfg);
}

static void test_duplicate_id(void **state) {
        struct chair_config *cfg;
        struct chair_errors e = { 0 };
        struct chair_programs *set = (void *) 1;

        cfg = config("dup-programs.yaml");
        assert_int_equal(chair_programs_load(cfg, &e, &set), -EINVAL);
        assert_null(set);
        chair_errors_print(&e, stdout);
        assert_int_equal(e.n, 1);
        assert_string_equal(e.v[0].file, data("dup-programs/b.yaml"));
        assert_int_equal(e.v[0].line, 2);
        assert_int_equal(e.v[0].column, 1);
        assert_string_equal(e.v[0].path, "id");
        assert_non_null(strstr(e.v[0].message, "duplicate program id 'same'"));
        chair_errors_clear(&e);
        chair_config_free(cfg);
}

/* Each broken program against a chair: its error, exactly where it is. */
static void test_broken_programs(void **state) {
        static const struct {
                const char *config;
                const char *file;
                uint32_t line, column;
                const char *path;
                const char *message;
        } cases[] = {
                { "valid.yaml", "bad-id.yaml", 1, 1, "id", "a-z, 0-9 and '-'" },
                { "valid.yaml", "intensity.yaml", 8, 5, "steps[1].intensity", "out of range: 6 (allowed 1..5)" },
                { "valid.yaml", "bad-zone.yaml", 5, 5, "steps[0].zone", "unknown landmark in 'L6'" },
                { "valid.yaml", "zone-reversed.yaml", 5, 5, "steps[0].zone", "from the head down in 'L5-L3'" },
                { "valid.yaml", "too-many-steps.yaml", 3, 1, "steps", "needs 1 to 64 steps, not 65" },
                { "valid.yaml", "no-steps.yaml", 3, 1, "steps", "not 0" },
                { "valid.yaml", "missing-technique.yaml", 6, 5, "steps[1].technique", "missing required key" },
                { "valid.yaml", "missing-id.yaml", 1, 1, "id", "missing required key" },
                { "valid.yaml", "bad-technique.yaml", 4, 5, "steps[0].technique",
                  "invalid value 'karate': expected one of: rolling, kneading" },
                { "valid.yaml", "unknown-key.yaml", 6, 5, "steps[0].pressure", "unknown key" },
                { "valid.yaml", "duration.yaml", 5, 5, "steps[0].duration_s", "out of range: 2" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct chair_config *cfg = config(cases[i].config);
                struct chair_errors e = { 0 };
                struct chair_program p;
                char file[PATH_MAX];

                snprintf(file, sizeof(file), "%s/bad-programs/%s", data_dir, cases[i].file);
                print_message("%s\n", cases[i].file);
                assert_int_equal(chair_program_load(file, cfg, &e, &p), -EINVAL);
                chair_errors_print(&e, stdout);
                assert_int_equal(e.n, 1);
                assert_string_equal(e.v[0].file, file);
                assert_int_equal(e.v[0].line, cases[i].line);
                assert_int_equal(e.v[0].column, cases[i].column);
                assert_string_equal(e.v[0].path, cases[i].path);
                assert_non_null(strstr(e.v[0].message, cases[i].message));
                /* Nothing is handed out on failure. */
                assert_null(p.steps);
                assert_null(p.name);
                chair_errors_clear(&e);
                chair_config_free(cfg);
        }
}

/* Every error of a program in one pass, with the real range or the list of
 * valid values; semantic checks as errors or warnings. */
static void test_strict_values(void **state) {
        static const char text[] =
                "id: strict\n"
                "name: Strict\n"
                "default_minutes: 20\n"
                "steps:\n"
                "  - technique: kneading\n"
                "    duration_s: 30.9\n"                 /* 6 */
                "    intensity: 2.9\n"                   /* 7 */
                "  - technique: rolling\n"
                "    duration_s: two minutes\n"          /* 9 */
                "    airbags: [seat, neck]\n"            /* 10 */
                "  - technique: heat\n"                  /* 11 */
                "    duration_s: 20\n"
                "  - technique: compression\n"           /* 13 */
                "    duration_s: 10\n";
        static const struct {
                uint32_t line, column;
                const char *path, *message;
        } want[] = {
                { 6, 5, "steps[0].duration_s", "invalid value '30.9': expected an integer in 5..1800 (decimal digits: no fractions" },
                { 7, 5, "steps[0].intensity", "invalid value '2.9': expected an integer in 1..5" },
                { 9, 5, "steps[1].duration_s", "invalid value 'two minutes': expected an integer in 5..1800" },
                { 10, 21, "steps[1].airbags[1]",
                  "unknown value 'neck': expected a list of: lumbar-left, lumbar-right, seat, calves" },
        };
        static const struct {
                uint32_t line, column;
                const char *path, *message;
        } semantic[] = {
                { 11, 5, "steps[2].technique", "technique 'heat' rests the rollers and needs heat: true" },
                { 13, 5, "steps[3].technique", "technique 'compression' needs airbags" },
        };
        char path[] = "/tmp/test-program-XXXXXX";
        struct chair_config *cfg = config("valid.yaml");
        struct chair_errors e = { 0 };
        struct chair_program p;
        char *fixed;
        int fd = mkstemp(path);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t) sizeof(text) - 1);
        close(fd);
        assert_int_equal(chair_program_load(path, cfg, &e, &p), -EINVAL);
        chair_errors_print(&e, stdout);
        assert_int_equal(e.n, sizeof(want) / sizeof(want[0]));
        for (size_t i = 0; i < e.n; i++) {
                assert_string_equal(e.v[i].file, path);
                assert_int_equal(e.v[i].line, want[i].line);
                assert_int_equal(e.v[i].column, want[i].column);
                assert_string_equal(e.v[i].path, want[i].path);
                if (!strstr(e.v[i].message, want[i].message))
                        fail_msg("%s: '%s' lacks '%s'", want[i].path, e.v[i].message, want[i].message);
        }
        chair_errors_clear(&e);

        /* The types fixed: the semantic errors show. */
        fixed = strdup(text);
        assert_non_null(fixed);
        memcpy(strstr(fixed, "30.9"), "30  ", 4);
        memcpy(strstr(fixed, "2.9"), "2  ", 3);
        memcpy(strstr(fixed, "two minutes"), "60         ", 11);
        memcpy(strstr(fixed, "neck"), "seat", 4);
        fd = open(path, O_WRONLY | O_TRUNC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, fixed, strlen(fixed)), (ssize_t) strlen(fixed));
        close(fd);
        free(fixed);
        assert_int_equal(chair_program_load(path, cfg, &e, &p), -EINVAL);
        chair_errors_print(&e, stdout);
        /* [seat, seat]: a warning; the two techniques that do nothing: errors */
        assert_int_equal(e.n, 3);
        assert_true(e.v[0].warning);
        assert_string_equal(e.v[0].path, "steps[1].airbags[1]");
        assert_non_null(strstr(e.v[0].message, "'seat' is listed twice"));
        for (size_t i = 0; i < 2; i++) {
                assert_false(e.v[1 + i].warning);
                assert_int_equal(e.v[1 + i].line, semantic[i].line);
                assert_int_equal(e.v[1 + i].column, semantic[i].column);
                assert_string_equal(e.v[1 + i].path, semantic[i].path);
                assert_non_null(strstr(e.v[1 + i].message, semantic[i].message));
        }
        chair_errors_clear(&e);
        unlink(path);
        chair_config_free(cfg);
}

/* Step times far from default_minutes: a warning, the program loads. */
static void test_step_time_warning(void **state) {
        static const char text[] =
                "id: short\nname: Short\ndefault_minutes: 20\nsteps:\n"
                "  - { technique: rolling, duration_s: 30 }\n"
                "  - { technique: kneading, duration_s: 30 }\n";
        char path[] = "/tmp/test-program-XXXXXX";
        struct chair_errors e = { 0 };
        struct chair_program p;
        int fd = mkstemp(path);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t) sizeof(text) - 1);
        close(fd);
        assert_int_equal(chair_program_load(path, NULL, &e, &p), 0);
        chair_errors_print(&e, stdout);
        assert_int_equal(e.n, 1);
        assert_true(e.v[0].warning);
        assert_int_equal(e.v[0].line, 3);
        assert_string_equal(e.v[0].path, "default_minutes");
        assert_non_null(strstr(e.v[0].message, "the steps add up to 60 s but default_minutes is 20 (1200 s)"));
        chair_program_clear(&p);
        chair_errors_clear(&e);
        unlink(path);
}

/* Graceful fit: a program needing a part the chair lacks is skipped with one
 * warning naming the part, at the first key that needs it. */
static void test_graceful_fit(void **state) {
        static const struct {
                const char *config;
                const char *file;
                uint32_t line, column;
                const char *path;
                const char *message;
        } cases[] = {
                { "no-calves.yaml", "airbag-missing.yaml", 7, 5, "steps[0].airbags",
                  "program 'calves' skipped: it needs valve-calves, which this chair lacks" },
                { "no-calves.yaml", "recline-missing.yaml", 5, 5, "steps[0].technique", "it needs backrest," },
                { "no-pump.yaml", "pump-missing.yaml", 7, 5, "steps[0].airbags", "it needs pump," },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct chair_config *cfg = config(cases[i].config);
                struct chair_errors e = { 0 };
                struct chair_program p;
                char file[PATH_MAX];

                snprintf(file, sizeof(file), "%s/bad-programs/%s", data_dir, cases[i].file);
                print_message("%s\n", cases[i].file);
                assert_int_equal(chair_program_load(file, cfg, &e, &p), -ENODEV);
                chair_errors_print(&e, stdout);
                assert_int_equal(e.n, 1);
                assert_true(e.v[0].warning);
                assert_int_equal(chair_errors_count(&e), 0);
                assert_string_equal(e.v[0].file, file);
                assert_int_equal(e.v[0].line, cases[i].line);
                assert_int_equal(e.v[0].column, cases[i].column);
                assert_string_equal(e.v[0].path, cases[i].path);
                assert_non_null(strstr(e.v[0].message, cases[i].message));
                assert_null(p.steps);
                chair_errors_clear(&e);
                chair_config_free(cfg);
        }
}

/* A part a step only uses if there (heat with a roller technique, a recline
 * preset, bags holding) is dropped from the step on a chair without it: the
 * program loads, with one note. */
static void test_fit_without_optional_parts(void **state) {
        struct chair_config *cfg = config("no-calves.yaml");
        struct chair_errors e = { 0 };
        struct chair_program p;
        char file[PATH_MAX];

        snprintf(file, sizeof(file), "%s/bad-programs/heat-missing.yaml", data_dir);
        assert_int_equal(chair_program_load(file, cfg, &e, &p), 0);
        chair_errors_print(&e, stdout);
        assert_int_equal(e.n, 1);
        assert_true(e.v[0].note);
        assert_int_equal(e.v[0].line, 7);
        assert_int_equal(e.v[0].column, 5);
        assert_string_equal(e.v[0].path, "steps[0].heat");
        assert_non_null(strstr(e.v[0].message, "program 'heat' runs without heater on this chair"));
        assert_false(p.steps[0].heat);
        chair_program_clear(&p);
        chair_errors_clear(&e);
        chair_config_free(cfg);
}

/* The same program is fine on a chair that has the parts. */
static void test_parts_present(void **state) {
        static const char *const files[] = { "airbag-missing.yaml", "heat-missing.yaml", "recline-missing.yaml" };
        struct chair_config *cfg = config("valid.yaml");

        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                struct chair_errors e = { 0 };
                struct chair_program p;
                char file[PATH_MAX];
                snprintf(file, sizeof(file), "%s/bad-programs/%s", data_dir, files[i]);
                assert_int_equal(chair_program_load(file, cfg, &e, &p), 0);
                chair_program_clear(&p);
        }
        chair_config_free(cfg);
}

static int setup(void **state) {
        const char *root = getenv("CHAIRD_SOURCE_ROOT");
        char *real;

        if (!root) {
                fprintf(stderr, "CHAIRD_SOURCE_ROOT not set: run through meson test\n");
                exit(77);
        }
        snprintf(data_dir, sizeof(data_dir), "%s/tests/data/config", root);
        real = realpath(data_dir, NULL);
        assert_non_null(real);
        snprintf(data_dir, sizeof(data_dir), "%s", real);
        free(real);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_load_steps),
                cmocka_unit_test(test_step_defaults),
                cmocka_unit_test(test_load_dirs),
                cmocka_unit_test(test_duplicate_id),
                cmocka_unit_test(test_broken_programs),
                cmocka_unit_test(test_strict_values),
                cmocka_unit_test(test_step_time_warning),
                cmocka_unit_test(test_graceful_fit),
                cmocka_unit_test(test_fit_without_optional_parts),
                cmocka_unit_test(test_parts_present),
        };
        return cmocka_run_group_tests(tests, setup, NULL);
}
