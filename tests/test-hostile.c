/* SPDX-License-Identifier: MIT */
/*
 * Hostile input: every seed and regression input of the fuzz targets replayed
 * through the real parsers (with the fuzz harness's invariants, in the normal
 * and the sanitizer builds, without clang), plus the documented limits of
 * docs/robustness.md checked at their edges.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../fuzz/fuzzkit.h"
#include "command.h"
#include "config.h"
#include "errors.h"
#include "inject.h"
#include "program-load.h"
#include "program.h"

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

typedef int (*target_fn)(const uint8_t *data, size_t size);

static const struct {
        const char *name;
        target_fn fn;
} targets[] = {
        { "command", fuzz_command_one },
        { "config", fuzz_config_one },
        { "program", fuzz_program_one },
        { "inject", fuzz_inject_one },
};

static const char *src_root(void) {
        const char *e = getenv("CHAIRD_SOURCE_ROOT");
        return e && e[0] ? e : ".";
}

/* Read a whole file into a buffer of exactly its size (so the sanitizers see
 * any read past the end), or NULL for an empty file with *len 0. */
static uint8_t *slurp(const char *path, size_t *len) {
        FILE *f = fopen(path, "re");
        assert_non_null(f);
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        long n = ftell(f);
        assert_true(n >= 0);
        rewind(f);
        uint8_t *buf = n > 0 ? malloc((size_t) n) : NULL;
        if (n > 0) {
                assert_non_null(buf);
                assert_int_equal(fread(buf, 1, (size_t) n, f), (size_t) n);
        }
        fclose(f);
        *len = (size_t) n;
        return buf;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * Every file of fuzz/corpus/TARGET through the target.  Seeds named bad-*
 * (command, inject) must be refused, the others accepted; config and program
 * seeds name program directories that do not exist next to an in-memory file,
 * so only the invariants are checked for them.
 */
static void replay(const char *target, target_fn fn, unsigned *n_files) {
        char *dir = NULL;
        assert_true(asprintf(&dir, "%s/fuzz/corpus/%s", src_root(), target) > 0);
        DIR *d = opendir(dir);
        assert_non_null(d);
        char **names = NULL;
        size_t n = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                names = realloc(names, (n + 1) * sizeof(*names));
                assert_non_null(names);
                names[n] = strdup(de->d_name);
                assert_non_null(names[n++]);
        }
        closedir(d);
        qsort(names, n, sizeof(*names), cmp_str);

        for (size_t i = 0; i < n; i++) {
                char *path = NULL;
                size_t len;
                assert_true(asprintf(&path, "%s/%s", dir, names[i]) > 0);
                uint8_t *data = slurp(path, &len);
                int r = fn(data, len);
                bool bad = strncmp(names[i], "bad-", 4) == 0;
                if (strcmp(target, "command") == 0) {
                        if (bad != (r != CHAIR_OK))
                                fail_msg("%s: verdict %s", path, chair_err_code((enum chair_err) r));
                } else if (strcmp(target, "inject") == 0) {
                        if (bad != (r == 0))
                                fail_msg("%s: parsed as mask %d", path, r);
                }
                free(data);
                free(path);
                free(names[i]);
        }
        free(names);
        free(dir);
        *n_files = (unsigned) n;
}

static void test_replay_corpora(void **state) {
        (void) state;
        for (size_t t = 0; t < ELEMENTSOF(targets); t++) {
                unsigned n = 0;
                replay(targets[t].name, targets[t].fn, &n);
                /* an empty corpus would make this test pass vacuously */
                assert_true(n >= 5);
        }
}

/* Inputs the fuzzers found that crashed or broke an invariant, and what the
 * parser must answer now.  Each is also a file in the target's corpus. */
static void test_regressions(void **state) {
        static const struct {
                const char *target;
                const char *what;
                const char *data;
                int expect;
        } cases[] = {
                /* program.c: an empty document has no id: strlen(NULL) (segfault in
                 * --check-config and at daemon start with an empty *.yaml) */
                { "program", "empty program file", "", -EINVAL },
                { "program", "only a comment", "# nothing\n", -EINVAL },
                { "program", "only a document marker", "---\n", -EINVAL },
                { "program", "null document", "~\n", -EINVAL },
                { "config", "empty config file", "", -EINVAL },
                { "config", "smallest valid config", "programs: [/]\n", 0 },
                /* config.c: MQTT wildcards in the topic prefixes were accepted, and
                 * every subscribe and publish of the bridge then failed */
                { "config", "wildcard in base_topic", "programs: [/]\nmqtt:\n  base_topic: chaird/#\n",
                  -EINVAL },
                { "config", "empty discovery_prefix",
                  "programs: [/]\nmqtt:\n  discovery_prefix: \"\"\n", -EINVAL },
                /* yaml-pos.c: a second document (a container at depth 0 after the
                 * first) was skipped without its nesting, and its end drove the
                 * frame stack index below zero (UBSan: index -2 in fuzz-program) */
                { "program", "second document with a mapping",
                  "id: a\nname: A\nsteps:\n---\nname: B\nsteps:\n--- technique: x\n    duration_s: 97\n", -EINVAL },
                { "config", "second document", "programs: [/]\n---\nchair: { id: b }\n", -EINVAL },
                /* config.c: an empty item in programs loads as NULL, and the
                 * directory check passed it to stat() (UBSan: null argument) */
                { "config", "empty programs item", "programs:\n  -  # no-such-dir\n", -EINVAL },
                { "config", "empty programs item after a good one", "programs:\n  - /\n  -\n", -EINVAL },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                target_fn fn = NULL;
                for (size_t t = 0; t < ELEMENTSOF(targets); t++)
                        if (strcmp(targets[t].name, cases[i].target) == 0)
                                fn = targets[t].fn;
                assert_non_null(fn);
                size_t len = strlen(cases[i].data);
                uint8_t *copy = malloc(len ? len : 1);
                assert_non_null(copy);
                memcpy(copy, cases[i].data, len);
                int r = fn(copy, len);
                if (r != cases[i].expect)
                        fail_msg("%s: %s: got %d, expected %d", cases[i].target, cases[i].what, r,
                                 cases[i].expect);
                free(copy);
        }
}

/* Parse text of exactly len bytes (a heap copy, so overreads show). */
static enum chair_err cmd(const char *text, size_t len, char *msg, size_t msg_size) {
        struct chair_cmd c;
        char id[CHAIR_CMD_ID_MAX];
        char *copy = malloc(len ? len : 1);
        assert_non_null(copy);
        memcpy(copy, text, len);
        enum chair_err e = chair_cmd_parse_cfg(copy, len, fuzzkit_config(), fuzzkit_programs(), &c,
                                               id, sizeof(id), msg, msg_size);
        free(copy);
        return e;
}

/* A command padded with spaces to exactly n bytes. */
static char *padded(const char *json, size_t n) {
        size_t k = strlen(json);
        assert_true(n >= k);
        char *s = malloc(n + 1);
        assert_non_null(s);
        memcpy(s, json, k);
        memset(s + k, ' ', n - k);
        s[n] = 0;
        return s;
}

static void test_command_size_limit(void **state) {
        char msg[256];
        (void) state;
        char *s = padded("{\"action\":\"stop\"}", CHAIR_CMD_MAX_BYTES);
        assert_int_equal(cmd(s, CHAIR_CMD_MAX_BYTES, msg, sizeof(msg)), CHAIR_OK);
        free(s);
        s = padded("{\"action\":\"stop\"}", CHAIR_CMD_MAX_BYTES + 1);
        assert_int_equal(cmd(s, CHAIR_CMD_MAX_BYTES + 1, msg, sizeof(msg)), CHAIR_ERR_TOO_LARGE);
        assert_string_equal(chair_err_code(CHAIR_ERR_TOO_LARGE), "too_large");
        free(s);
        /* a NUL inside the payload */
        assert_int_equal(cmd("{\"action\":\"stop\"}\0", 18, msg, sizeof(msg)), CHAIR_ERR_BAD_JSON);
}

/* {"action":"stop","x":[[...1]]}: the object plus depth-1 arrays.  json-c counts
 * the innermost value as a level too, so CHAIR_CMD_MAX_DEPTH (4) admits three
 * nested containers; one more is bad_json before anything is looked at.  Within
 * the limit it parses (and is refused for the unknown member "x"). */
static void test_command_depth_limit(void **state) {
        char msg[256], buf[256];
        (void) state;
        for (int depth = 2; depth <= CHAIR_CMD_MAX_DEPTH + 3; depth++) {
                int n = snprintf(buf, sizeof(buf), "{\"action\":\"stop\",\"x\":");
                for (int i = 1; i < depth; i++)
                        n += snprintf(buf + n, sizeof(buf) - (size_t) n, "[");
                n += snprintf(buf + n, sizeof(buf) - (size_t) n, "1");
                for (int i = 1; i < depth; i++)
                        n += snprintf(buf + n, sizeof(buf) - (size_t) n, "]");
                n += snprintf(buf + n, sizeof(buf) - (size_t) n, "}");
                enum chair_err e = cmd(buf, (size_t) n, msg, sizeof(msg));
                if (depth < CHAIR_CMD_MAX_DEPTH)
                        assert_int_equal(e, CHAIR_ERR_INVALID_VALUE);
                else
                        assert_int_equal(e, CHAIR_ERR_BAD_JSON);
        }
        /* a deeply nested payload within the size limit costs nothing */
        char *deep = malloc(CHAIR_CMD_MAX_BYTES);
        assert_non_null(deep);
        memset(deep, '[', CHAIR_CMD_MAX_BYTES);
        assert_int_equal(cmd(deep, CHAIR_CMD_MAX_BYTES, msg, sizeof(msg)), CHAIR_ERR_BAD_JSON);
        free(deep);
}

static void test_command_id_limit(void **state) {
        char msg[256], buf[512];
        (void) state;
        /* "id" is echoed as JSON text: a string of k characters takes k + 2 */
        for (int k = CHAIR_CMD_ID_MAX - 4; k <= CHAIR_CMD_ID_MAX; k++) {
                int n = snprintf(buf, sizeof(buf), "{\"action\":\"stop\",\"id\":\"%0*d\"}", k, 0);
                enum chair_err e = cmd(buf, (size_t) n, msg, sizeof(msg));
                if (k + 2 < CHAIR_CMD_ID_MAX)
                        assert_int_equal(e, CHAIR_OK);
                else
                        assert_int_equal(e, CHAIR_ERR_INVALID_VALUE);
        }
        /* long strings elsewhere are quoted back shortened, never overflow msg */
        static char name[3000], big[3100];
        memset(name, 'a', sizeof(name) - 1);
        int n = snprintf(big, sizeof(big), "{\"action\":\"start\",\"program\":\"%s\"}", name);
        assert_true(n > 3000 && n < (int) sizeof(big));
        assert_int_equal(cmd(big, (size_t) n, msg, sizeof(msg)), CHAIR_ERR_UNKNOWN_PROGRAM);
        assert_true(strlen(msg) < 200);
}

static void test_sim_set_limits(void **state) {
        struct chair_sim_change ch[8];
        char err[256];
        (void) state;
        /* more keys than the caller's array: refused whole, nothing applied */
        const char *many = "{\"estop\":0,\"occupied\":1,\"obstacle\":0,\"heater_sensor\":\"ok\","
                           "\"stall\":\"none\",\"body_height_cm\":170}";
        assert_int_equal(chair_sim_set_parse_json(many, strlen(many), ch, 8, err, sizeof(err)), 6);
        assert_int_equal(chair_sim_set_parse_json(many, strlen(many), ch, 5, err, sizeof(err)), -EINVAL);
        /* body height outside 100..230 and non-numbers */
        static const char *const bad[] = {
                "{\"body_height_cm\":99.9}", "{\"body_height_cm\":230.1}", "{\"body_height_cm\":1e400}",
                "{\"body_height_cm\":\"170\"}", "{\"estop\":2}", "{\"stall\":\"everything\"}",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(chair_sim_set_parse_json(bad[i], strlen(bad[i]), ch, 8, err, sizeof(err)),
                                 -EINVAL);
        /* --inject keys are at most 31 characters */
        struct chair_inject inj;
        char spec[128];
        snprintf(spec, sizeof(spec), "1:%0*d=1", 40, 0);
        assert_int_equal(chair_inject_parse(spec, &inj, err, sizeof(err)), -EINVAL);
}

static void write_program(const char *dir, unsigned i) {
        char path[512];
        snprintf(path, sizeof(path), "%s/p%03u.yaml", dir, i);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fprintf(f, "id: p%03u\nname: P%u\ndefault_minutes: 1\nsteps:\n  - technique: kneading\n    duration_s: 60\n", i, i);
        assert_int_equal(fclose(f), 0);
}

/* At most CHAIR_PROGRAMS_MAX programs: one more and the set does not load. */
static void test_program_count_limit(void **state) {
        char dir[] = "/tmp/test-hostile-XXXXXX";
        struct chair_config cfg = *fuzzkit_config();
        char *dirs[1] = { dir };
        struct chair_errors errs = { 0 };
        struct chair_programs *set = NULL;
        (void) state;

        assert_non_null(mkdtemp(dir));
        cfg.program_dirs = dirs;
        cfg.n_program_dirs = 1;
        for (unsigned i = 0; i < CHAIR_PROGRAMS_MAX; i++)
                write_program(dir, i);
        assert_int_equal(chair_programs_load(&cfg, &errs, &set), 0);
        assert_int_equal(set->n, CHAIR_PROGRAMS_MAX);
        set = chair_programs_free(set);

        write_program(dir, CHAIR_PROGRAMS_MAX);
        assert_int_equal(chair_programs_load(&cfg, &errs, &set), -EINVAL);
        assert_null(set);
        assert_int_equal(errs.n, 1);
        assert_non_null(strstr(errs.v[0].message, "more than"));
        chair_errors_clear(&errs);

        for (unsigned i = 0; i <= CHAIR_PROGRAMS_MAX; i++) {
                char path[512];
                snprintf(path, sizeof(path), "%s/p%03u.yaml", dir, i);
                unlink(path);
        }
        rmdir(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_replay_corpora),
                cmocka_unit_test(test_regressions),
                cmocka_unit_test(test_command_size_limit),
                cmocka_unit_test(test_command_depth_limit),
                cmocka_unit_test(test_command_id_limit),
                cmocka_unit_test(test_sim_set_limits),
                cmocka_unit_test(test_program_count_limit),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
