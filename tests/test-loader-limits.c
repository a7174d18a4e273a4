/* SPDX-License-Identifier: MIT */
/*
 * Hostile files against the loader (issue 15): an alias bomb, a FIFO named
 * like a program, an 80,000-key program and an oversized file.  Each one must
 * fail `chaird --check-config` with a located message naming the file, inside
 * 64 MiB of address space (RLIMIT_AS on the child), and the work done must stay
 * linear in the document (yaml-pos's comparison counter; deterministic, unlike
 * a wall-clock bound).  Timing figures are in docs/robustness.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "errors.h"
#include "yaml-load.h"
#include "yaml-pos.h"

#define MEMORY_LIMIT (64ul * 1024 * 1024)

static char chaird[PATH_MAX];
static char dir[] = "/tmp/test-loader-limits-XXXXXX";
static char programs[PATH_MAX + 16], config[PATH_MAX + 16];

/* The classic "billion laughs", 9 levels of 9: about 1 KiB, 9^9 strings expanded. */
static const char bomb[] =
        "id: bomb\n"
        "name: Bomb\n"
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
        "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
        "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
        "steps: [*i]\n";

static char *many_keys(unsigned n, size_t *len) {
        size_t cap = 64 + (size_t) n * 16, k = 0;
        char *s = malloc(cap);
        assert_non_null(s);
        k += (size_t) snprintf(s + k, cap - k, "id: big\nname: Big\nsteps:\n  - technique: rolling\n    duration_s: 900\n");
        for (unsigned i = 0; i < n; i++)
                k += (size_t) snprintf(s + k, cap - k, "k%u: 1\n", i);
        *len = k;
        return s;
}

static void write_file(const char *path, const char *text, size_t len) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, len), (ssize_t) len);
        close(fd);
}

/*
 * Run chaird --check-config in a child limited to MEMORY_LIMIT of address
 * space; return its exit status, its output in *out (caller frees).  A hang
 * would end in SIGALRM after a generous 120 s: a guard, not a timing check.
 */
static int check_config(char **out) {
        char outpath[PATH_MAX + 16];
        int status, fd;
        pid_t pid;

        snprintf(outpath, sizeof(outpath), "%s/out.txt", dir);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct rlimit rl = { MEMORY_LIMIT, MEMORY_LIMIT };
                fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
                if (fd < 0)
                        _exit(100);
                dup2(fd, 1);
                dup2(fd, 2);
#ifndef __SANITIZE_ADDRESS__
                /* ASan reserves terabytes of address space: no limit there. */
                if (setrlimit(RLIMIT_AS, &rl) < 0)
                        _exit(101);
#else
                (void) rl;
#endif
                alarm(120);
                execl(chaird, chaird, "--check-config", "--config", config, (char *) NULL);
                _exit(102);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);

        FILE *f = fopen(outpath, "re");
        assert_non_null(f);
        size_t cap = 1 << 20, len;
        *out = malloc(cap + 1);
        assert_non_null(*out);
        len = fread(*out, 1, cap, f);
        (*out)[len] = 0;
        fclose(f);
        print_message("%s", *out);
        if (WIFSIGNALED(status))
                fail_msg("chaird died of signal %d", WTERMSIG(status));
        return WEXITSTATUS(status);
}

static void expect_line(const char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void expect_line(const char *out, const char *fmt, ...) {
        char want[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(want, sizeof(want), fmt, ap);
        va_end(ap);
        if (!strstr(out, want))
                fail_msg("no '%s' in the output", want);
}

static void test_alias_bomb(void **state) {
        char path[PATH_MAX + 32], *out;
        struct chair_errors e = { 0 };
        struct chair_yaml_pos *p = NULL;

        assert_true(sizeof(bomb) < 1024);
        /* In the index: stopped at the alias that crosses the limit, little work done. */
        assert_int_equal(chair_yaml_pos_parse(bomb, sizeof(bomb) - 1, "bomb.yaml", &e, &p), -EINVAL);
        assert_non_null(p);
        assert_true(p->expanded <= CHAIR_YAML_ALIAS_NODES_MAX);
        assert_true(p->n <= CHAIR_YAML_ALIAS_NODES_MAX + 200);
        assert_true(chair_yaml_pos_work(p) <= 4 * p->n);
        assert_int_equal(e.n, 1);
        assert_non_null(strstr(e.v[0].message, "expands too far"));
        chair_yaml_pos_free(p);
        chair_errors_clear(&e);

        snprintf(path, sizeof(path), "%s/bomb.yaml", programs);
        write_file(path, bomb, sizeof(bomb) - 1);
        assert_int_equal(check_config(&out), 1);
        expect_line(out, "%s:7:8: e[0]: alias *d expands too far", path);
        assert_null(strstr(out, "configuration OK"));
        free(out);
        unlink(path);
}

static void test_fifo(void **state) {
        char path[PATH_MAX + 32], *out;

        snprintf(path, sizeof(path), "%s/zz.yaml", programs);
        assert_int_equal(mkfifo(path, 0644), 0);
        /* Without O_NONBLOCK the open would wait for a writer for ever. */
        assert_int_equal(check_config(&out), 1);
        expect_line(out, "%s:0:0: (document): cannot read: a FIFO, not a regular file", path);
        free(out);
        unlink(path);
}

static void test_many_keys(void **state) {
        char path[PATH_MAX + 32], *out, *doc;
        size_t len;

        /* The index does a bounded number of comparisons per node, however many. */
        for (unsigned n = 20000; n <= 80000; n *= 4) {
                struct chair_errors e = { 0 };
                struct chair_yaml_pos *p = NULL;
                doc = many_keys(n, &len);
                assert_int_equal(chair_yaml_pos_parse(doc, len, "big.yaml", &e, &p), 0);
                assert_true(p->n > n);
                print_message("%u keys: %zu nodes, %zu comparisons\n", n, p->n, chair_yaml_pos_work(p));
                assert_true(chair_yaml_pos_work(p) <= 4 * p->n);
                /* ...and so do the lookups the loader makes afterwards. */
                size_t before = chair_yaml_pos_work(p);
                for (unsigned i = 0; i < n; i += 97) {
                        char key[32];
                        snprintf(key, sizeof(key), "k%u", i);
                        assert_true(chair_yaml_pos_has(p, key));
                }
                assert_true(chair_yaml_pos_work(p) - before <= 2 * (n / 97 + 1));
                chair_yaml_pos_free(p);
                free(doc);
        }

        doc = many_keys(80000, &len);
        assert_true(len < CHAIR_YAML_FILE_MAX);
        snprintf(path, sizeof(path), "%s/big.yaml", programs);
        write_file(path, doc, len);
        free(doc);
        assert_int_equal(check_config(&out), 1);
        expect_line(out, "%s:6:1: k0: unknown key (known: id, name, description, default_minutes, steps)", path);
        /* The first hundred, then one line for the rest. */
        expect_line(out, "%s:0:0: (document): 79900 more errors or warnings in this file not shown", path);
        free(out);
        unlink(path);
}

static void test_oversized(void **state) {
        char path[PATH_MAX + 32], *out, *doc;
        size_t len;

        doc = many_keys(120000, &len);
        assert_true(len > CHAIR_YAML_FILE_MAX);
        snprintf(path, sizeof(path), "%s/huge.yaml", programs);
        write_file(path, doc, len);
        free(doc);
        assert_int_equal(check_config(&out), 1);
        expect_line(out, "%s:0:0: (document): cannot read: larger than 1024 KiB", path);
        free(out);
        unlink(path);
}

/* A directory named like a program is refused the same way. */
static void test_directory(void **state) {
        char path[PATH_MAX + 32], *out;

        snprintf(path, sizeof(path), "%s/dir.yaml", programs);
        assert_int_equal(mkdir(path, 0755), 0);
        assert_int_equal(check_config(&out), 1);
        expect_line(out, "%s:0:0: (document): cannot read: a directory, not a regular file", path);
        free(out);
        rmdir(path);
}

static int setup(void **state) {
        const char *build = getenv("CHAIRD_BUILD_ROOT");
        char text[PATH_MAX + 64];

        if (!build) {
                fprintf(stderr, "CHAIRD_BUILD_ROOT not set: run through meson test\n");
                exit(77);
        }
        snprintf(chaird, sizeof(chaird), "%s/daemon/chaird", build);
        if (access(chaird, X_OK) < 0) {
                fprintf(stderr, "%s not built: skipping\n", chaird);
                exit(77);
        }
        assert_non_null(mkdtemp(dir));
        snprintf(programs, sizeof(programs), "%s/programs", dir);
        assert_int_equal(mkdir(programs, 0755), 0);
        snprintf(config, sizeof(config), "%s/chaird.yaml", dir);
        snprintf(text, sizeof(text), "programs: [%s]\n", programs);
        write_file(config, text, strlen(text));
        /* One good program, so that only the hostile file is wrong. */
        snprintf(text, sizeof(text), "%s/good.yaml", programs);
        write_file(text, "id: good\nname: Good\ndefault_minutes: 1\nsteps:\n  - { technique: rolling, duration_s: 60 }\n",
                   strlen("id: good\nname: Good\ndefault_minutes: 1\nsteps:\n  - { technique: rolling, duration_s: 60 }\n"));
        return 0;
}

static int teardown(void **state) {
        char path[PATH_MAX + 32];
        snprintf(path, sizeof(path), "%s/good.yaml", programs);
        unlink(path);
        rmdir(programs);
        snprintf(path, sizeof(path), "%s/out.txt", dir);
        unlink(path);
        unlink(config);
        rmdir(dir);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_alias_bomb),
                cmocka_unit_test(test_fifo),
                cmocka_unit_test(test_many_keys),
                cmocka_unit_test(test_oversized),
                cmocka_unit_test(test_directory),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
