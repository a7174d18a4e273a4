/* SPDX-License-Identifier: MIT */
/* Persistent state: round trips, corrupt files kept aside, usage statistics,
 * profiles, and the crash test (a writer killed at over a thousand random
 * points never leaves a broken file). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "control.h"
#include "persist.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifdef UNDER_ASAN
/* A small quarantine: the crash test forks a thousand writers, and each fork
 * copies the page tables of all the memory the test has touched, freed memory
 * held in AddressSanitizer's quarantine included (it made the test 5x slower). */
const char *__asan_default_options(void);
const char *__asan_default_options(void) {
        return "quarantine_size_mb=1";
}
#endif

static const char *const state_files[] = { "counters.json", "history.json", "usage.json", "profiles.json" };
#define N_FILES (sizeof(state_files) / sizeof(state_files[0]))

/* ---- helpers ------------------------------------------------------------ */

static char *make_dir(void) {
        /* tmpfs when there is one: the crash test is about process death, which
         * fsync cannot change, and a disk's fsync would make it slow. */
        const char *base = getenv("CHAIRD_PERSIST_TEST_DIR");
        char tmpl[512];

        if (!base)
                base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(tmpl, sizeof(tmpl), "%s/test-persist-XXXXXX", base);
        char *d = mkdtemp(tmpl);
        assert_non_null(d);
        return strdup(d);
}

static void remove_dir(char *dir) {
        DIR *d = opendir(dir);
        struct dirent *e;
        char path[1024];

        assert_non_null(d);
        while ((e = readdir(d))) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                if (unlink(path) < 0)
                        rmdir(path);
        }
        closedir(d);
        rmdir(dir);
        free(dir);
}

static void write_file(const char *dir, const char *name, const char *content) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

static char *read_file(const char *dir, const char *name) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        FILE *f = fopen(path, "r");
        if (!f)
                return NULL;
        char *buf = calloc(1, 1 << 20);
        size_t n = fread(buf, 1, (1 << 20) - 1, f);
        buf[n] = '\0';
        fclose(f);
        return buf;
}

static bool exists(const char *dir, const char *name) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        return access(path, F_OK) == 0;
}

/* Names in dir that start with prefix (count, and the first one into out). */
static unsigned count_prefix(const char *dir, const char *prefix, char *out, size_t out_size) {
        DIR *d = opendir(dir);
        struct dirent *e;
        unsigned n = 0;

        assert_non_null(d);
        while ((e = readdir(d)))
                if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
                        if (n++ == 0 && out)
                                snprintf(out, out_size, "%s", e->d_name);
                }
        closedir(d);
        return n;
}

static unsigned count_entries(const char *dir) {
        return count_prefix(dir, "", NULL, 0) - 2;      /* . and .. */
}

static struct chair_persist *open_loaded(const char *dir, int expect, char *msg, size_t msg_size) {
        struct chair_persist *p;
        char local[1024];

        if (!msg) {
                msg = local;
                msg_size = sizeof(local);
        }
        assert_int_equal(chair_persist_new(dir, &p), 0);
        int r = chair_persist_load(p, msg, msg_size);
        if (r != expect)
                print_message("load: %d (%s)\n", r, msg);
        assert_int_equal(r, expect);
        return p;
}

static void fill(struct chair_persist *p) {
        struct chair_counters c = { 0 };
        struct chair_usage_record u = { 0 };
        struct chair_profile prof = { .heat = -1 };
        char code[32], ctx[64];

        c.sessions = 42;
        c.act[CHAIR_ACT_CARRIAGE].on_s = 1234.5;
        c.act[CHAIR_ACT_KNEAD].direction_changes = 77;
        c.knead_cycles = 999.25;
        c.inflations[CHAIR_BAG_SEAT] = 8;
        c.faults[CHAIR_FAULT_PINCH] = 3;
        chair_persist_set_counters(p, &c);

        for (int i = 0; i < 70; i++) {
                snprintf(code, sizeof(code), "code%d", i);
                snprintf(ctx, sizeof(ctx), "state=running step=%d", i);
                chair_persist_add_fault(p, 1700000000 + i, code, "a \"quoted\" message / with ü", ctx);
        }
        for (int i = 0; i < 3; i++) {
                struct chair_selftest_record s = { .time = 1700000100 + i, .passed = i != 1 };
                snprintf(s.summary, sizeof(s.summary), "carriage=%s", i == 1 ? "fail(no pulses)" : "pass");
                chair_persist_add_selftest(p, &s);
        }
        for (int i = 0; i < 5; i++) {
                u.start = 1700000000 + i * 86400;
                snprintf(u.program, sizeof(u.program), i % 2 ? "lumbar-relief" : "deep-tissue");
                u.minutes = 15.5f + (float) i;
                snprintf(u.ended, sizeof(u.ended), "completed");
                snprintf(u.profile, sizeof(u.profile), i == 2 ? "anna" : "");
                assert_int_equal(chair_persist_add_usage(p, &u), 0);
        }
        snprintf(prof.name, sizeof(prof.name), "anna");
        snprintf(prof.program, sizeof(prof.program), "lumbar-relief");
        prof.intensity = 4;
        prof.heat = 1;
        prof.shoulder_mm = 512.5f;
        assert_int_equal(chair_persist_profile_set(p, &prof), 0);
        memset(&prof, 0, sizeof(prof));
        prof.heat = -1;
        snprintf(prof.name, sizeof(prof.name), "Jörg the 2nd");
        assert_int_equal(chair_persist_profile_set(p, &prof), 0);
}

static void check_filled(const struct chair_persist *p) {
        const struct chair_counters *c = chair_persist_counters(p);
        assert_int_equal(c->sessions, 42);
        assert_float_equal(c->act[CHAIR_ACT_CARRIAGE].on_s, 1234.5, 1e-9);
        assert_int_equal(c->act[CHAIR_ACT_KNEAD].direction_changes, 77);
        assert_float_equal(c->knead_cycles, 999.25, 1e-9);
        assert_int_equal(c->inflations[CHAIR_BAG_SEAT], 8);
        assert_int_equal(c->faults[CHAIR_FAULT_PINCH], 3);

        /* the 64 newest of 70, oldest first */
        assert_int_equal(chair_persist_n_faults(p), CHAIR_FAULT_HISTORY_MAX);
        assert_string_equal(chair_persist_fault(p, 0)->code, "code6");
        assert_int_equal(chair_persist_fault(p, 0)->time, 1700000006);
        assert_string_equal(chair_persist_fault(p, 63)->code, "code69");
        assert_string_equal(chair_persist_fault(p, 63)->message, "a \"quoted\" message / with ü");
        assert_string_equal(chair_persist_fault(p, 63)->context, "state=running step=69");
        assert_null(chair_persist_fault(p, 64));

        assert_int_equal(chair_persist_n_selftests(p), 3);
        assert_false(chair_persist_selftest(p, 1)->passed);
        assert_string_equal(chair_persist_selftest(p, 1)->summary, "carriage=fail(no pulses)");

        assert_int_equal(chair_persist_n_usage(p), 5);
        assert_string_equal(chair_persist_usage(p, 1)->program, "lumbar-relief");
        assert_float_equal(chair_persist_usage(p, 4)->minutes, 19.5, 1e-6);
        assert_string_equal(chair_persist_usage(p, 2)->profile, "anna");
        assert_string_equal(chair_persist_usage(p, 3)->profile, "");
        assert_string_equal(chair_persist_usage(p, 0)->ended, "completed");

        assert_int_equal(chair_persist_n_profiles(p), 2);
        const struct chair_profile *a = chair_persist_profile_find(p, "anna");
        assert_non_null(a);
        assert_string_equal(a->program, "lumbar-relief");
        assert_int_equal(a->intensity, 4);
        assert_int_equal(a->heat, 1);
        assert_float_equal(a->shoulder_mm, 512.5, 1e-3);
        a = chair_persist_profile_find(p, "Jörg the 2nd");
        assert_non_null(a);
        assert_int_equal(a->heat, -1);
        assert_int_equal(a->intensity, 0);
        assert_string_equal(a->program, "");
}

/* ---- round trips -------------------------------------------------------- */

static void test_first_start_and_round_trip(void **state) {
        char *dir = make_dir();
        char sub[600], msg[512];
        struct stat st;

        /* a state directory that does not exist yet is created */
        snprintf(sub, sizeof(sub), "%s/state", dir);
        struct chair_persist *p = open_loaded(sub, 0, msg, sizeof(msg));
        assert_string_equal(msg, "");
        assert_int_equal(stat(sub, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(chair_persist_n_faults(p), 0);
        assert_int_equal(chair_persist_counters(p)->sessions, 0);
        assert_false(chair_persist_dirty(p));

        fill(p);
        assert_true(chair_persist_dirty(p));
        assert_int_equal(chair_persist_save(p, false), 0);
        assert_false(chair_persist_dirty(p));
        for (size_t i = 0; i < N_FILES; i++) {
                char path[700];
                snprintf(path, sizeof(path), "%s/%s", sub, state_files[i]);
                assert_int_equal(stat(path, &st), 0);
                assert_int_equal(st.st_mode & 0777, 0600);
        }
        assert_int_equal(count_prefix(sub, "", NULL, 0) - 2, N_FILES);   /* no temporary left */
        p = chair_persist_free(p);
        assert_null(p);

        p = open_loaded(sub, 0, msg, sizeof(msg));
        check_filled(p);
        /* saving again gives the same bytes (stable output) */
        char *before = read_file(sub, "history.json");
        assert_int_equal(chair_persist_save(p, true), 0);
        char *after = read_file(sub, "history.json");
        assert_string_equal(before, after);
        free(before);
        free(after);
        chair_persist_free(p);
        chair_persist_free(NULL);
        remove_dir(dir);
}

static void test_only_dirty_files_are_written(void **state) {
        char *dir = make_dir();
        struct chair_persist *p = open_loaded(dir, 0, NULL, 0);
        char path[700];

        fill(p);
        assert_int_equal(chair_persist_save(p, false), 0);
        snprintf(path, sizeof(path), "%s/counters.json", dir);
        assert_int_equal(unlink(path), 0);

        /* nothing changed: nothing written */
        assert_int_equal(chair_persist_save(p, false), 0);
        assert_false(exists(dir, "counters.json"));
        /* the same counters again are no change either */
        struct chair_counters c = *chair_persist_counters(p);
        chair_persist_set_counters(p, &c);
        assert_false(chair_persist_dirty(p));
        c.sessions++;
        chair_persist_set_counters(p, &c);
        assert_true(chair_persist_dirty(p));
        assert_int_equal(chair_persist_save(p, false), 0);
        assert_true(exists(dir, "counters.json"));
        assert_int_equal(unlink(path), 0);
        assert_int_equal(chair_persist_save(p, true), 0);
        assert_true(exists(dir, "counters.json"));
        chair_persist_free(p);

        /* a failed save keeps the file dirty for the next try */
        p = open_loaded(dir, 0, NULL, 0);
        chair_persist_add_fault(p, 1, "estop", "m", "c");
        char *moved = strdup(dir);
        chair_persist_free(p);
        struct chair_persist *q;
        assert_int_equal(chair_persist_new("/nonexistent/chaird-test", &q), 0);
        chair_persist_add_fault(q, 1, "estop", "m", "c");
        assert_true(chair_persist_save(q, false) < 0);
        assert_true(chair_persist_dirty(q));
        chair_persist_free(q);
        free(moved);
        remove_dir(dir);
}

/* ---- corrupt files -------------------------------------------------------- */

static const struct {
        const char *file;
        const char *content;
        const char *why;                /* expected in the message */
} corrupt_cases[] = {
        { "counters.json", "", "empty file" },
        { "counters.json", "{\"version\":1,\"counters\":{\"sessions\":", "truncated JSON" },
        { "counters.json", "\x01\x02garbage", "" },
        { "counters.json", "[1,2,3]", "not a JSON object" },
        { "counters.json", "{\"version\":1,\"counters\":{}} trailing", "garbage after the JSON" },
        { "counters.json", "{\"version\":99,\"counters\":{}}", "unsupported version" },
        { "counters.json", "{\"counters\":{}}", "no version" },
        { "counters.json", "{\"version\":1,\"counters\":{\"sessions\":-4}}", "invalid content" },
        { "counters.json", "{\"version\":1}", "invalid content" },
        { "history.json", "{\"version\":1,\"faults\":[{\"code\":\"estop\"}]}", "invalid content" },
        { "history.json", "{\"version\":1,\"faults\":{}}", "invalid content" },
        { "history.json", "{\"version\":1,\"self_tests\":[{\"time\":1,\"passed\":\"yes\"}]}", "invalid content" },
        { "usage.json", "{\"version\":1,\"sessions\":[{\"start\":1,\"program\":\"x\",\"minutes\":\"5\"}]}", "invalid content" },
        { "usage.json", "{\"version\":1,\"sessions\":[{\"start\":-1,\"program\":\"x\",\"minutes\":5}]}", "invalid content" },
        { "profiles.json", "{\"version\":1,\"profiles\":[{\"name\":\"\"}]}", "invalid content" },
        { "profiles.json", "{\"version\":1,\"profiles\":[{\"name\":\"a\",\"intensity\":9}]}", "invalid content" },
        { "profiles.json", "{\"version\":1,\"profiles\":[{\"name\":\"a\",\"program\":\"Bad Id\"}]}", "invalid content" },
};

static void test_corrupt_file_kept_aside(void **state) {
        for (size_t i = 0; i < sizeof(corrupt_cases) / sizeof(corrupt_cases[0]); i++) {
                char *dir = make_dir();
                char msg[1024], aside[256], prefix[64];

                print_message("case %zu: %s\n", i, corrupt_cases[i].file);
                struct chair_persist *p = open_loaded(dir, 0, NULL, 0);
                fill(p);
                assert_int_equal(chair_persist_save(p, true), 0);
                chair_persist_free(p);
                write_file(dir, corrupt_cases[i].file, corrupt_cases[i].content);

                p = open_loaded(dir, 1, msg, sizeof(msg));
                print_message("  %s\n", msg);
                assert_non_null(strstr(msg, corrupt_cases[i].file));
                assert_non_null(strstr(msg, corrupt_cases[i].why));
                assert_non_null(strstr(msg, "kept as"));
                assert_non_null(strstr(msg, "using defaults"));
                assert_null(strchr(msg, '\n'));         /* one line */

                /* the bad file is kept, byte for byte, under a timestamped name */
                snprintf(prefix, sizeof(prefix), "%s.corrupt-", corrupt_cases[i].file);
                assert_int_equal(count_prefix(dir, prefix, aside, sizeof(aside)), 1);
                assert_non_null(strstr(msg, aside));
                assert_false(exists(dir, corrupt_cases[i].file));
                char *kept = read_file(dir, aside);
                assert_string_equal(kept, corrupt_cases[i].content);
                free(kept);

                /* its part is at defaults; the other parts loaded */
                bool counters = strcmp(corrupt_cases[i].file, "counters.json") == 0;
                bool history = strcmp(corrupt_cases[i].file, "history.json") == 0;
                bool usage = strcmp(corrupt_cases[i].file, "usage.json") == 0;
                bool profiles = strcmp(corrupt_cases[i].file, "profiles.json") == 0;
                assert_int_equal(chair_persist_counters(p)->sessions, counters ? 0 : 42);
                assert_int_equal(chair_persist_n_faults(p), history ? 0 : CHAIR_FAULT_HISTORY_MAX);
                assert_int_equal(chair_persist_n_selftests(p), history ? 0 : 3);
                assert_int_equal(chair_persist_n_usage(p), usage ? 0 : 5);
                assert_int_equal(chair_persist_n_profiles(p), profiles ? 0 : 2);

                /* the next save writes a good file, and the next load is clean */
                assert_int_equal(chair_persist_save(p, true), 0);
                chair_persist_free(p);
                p = open_loaded(dir, 0, msg, sizeof(msg));
                assert_string_equal(msg, "");
                chair_persist_free(p);
                remove_dir(dir);
        }
}

static void test_several_corruptions(void **state) {
        char *dir = make_dir();
        char msg[2048];

        /* two bad files: one message naming both */
        write_file(dir, "counters.json", "{");
        write_file(dir, "usage.json", "nope");
        struct chair_persist *p = open_loaded(dir, 2, msg, sizeof(msg));
        assert_non_null(strstr(msg, "counters.json"));
        assert_non_null(strstr(msg, "usage.json"));
        assert_null(strchr(msg, '\n'));
        chair_persist_free(p);

        /* corrupt again within the same second: an earlier copy is never overwritten */
        write_file(dir, "counters.json", "{");
        p = open_loaded(dir, 1, msg, sizeof(msg));
        chair_persist_free(p);
        write_file(dir, "counters.json", "{{");
        p = open_loaded(dir, 1, msg, sizeof(msg));
        chair_persist_free(p);
        assert_int_equal(count_prefix(dir, "counters.json.corrupt-", NULL, 0), 3);

        /* not a regular file: moved aside too */
        char path[700];
        snprintf(path, sizeof(path), "%s/profiles.json", dir);
        assert_int_equal(mkdir(path, 0700), 0);
        p = open_loaded(dir, 1, msg, sizeof(msg));
        assert_non_null(strstr(msg, "not a regular file"));
        assert_int_equal(count_prefix(dir, "profiles.json.corrupt-", NULL, 0), 1);
        chair_persist_free(p);

        /* a NULL message buffer is allowed */
        write_file(dir, "counters.json", "{");
        assert_int_equal(chair_persist_new(dir, &p), 0);
        assert_int_equal(chair_persist_load(p, NULL, 0), 1);
        chair_persist_free(p);
        remove_dir(dir);
}

static void test_stale_temporary_removed(void **state) {
        char *dir = make_dir();
        struct chair_persist *p = open_loaded(dir, 0, NULL, 0);

        fill(p);
        assert_int_equal(chair_persist_save(p, true), 0);
        chair_persist_free(p);
        /* what a crash before the rename leaves */
        write_file(dir, "usage.json.tmp", "{\"version\":1,\"sess");
        p = open_loaded(dir, 0, NULL, 0);
        assert_false(exists(dir, "usage.json.tmp"));
        assert_int_equal(chair_persist_n_usage(p), 5);
        chair_persist_free(p);
        remove_dir(dir);
}

static void test_write_atomic_errors(void **state) {
        char *dir = make_dir();

        assert_int_equal(chair_persist_write_atomic(dir, "a/b", "x", 1), -EINVAL);
        assert_int_equal(chair_persist_write_atomic(dir, "", "x", 1), -EINVAL);
        assert_int_equal(chair_persist_write_atomic("/nonexistent-dir-chaird", "f", "x", 1), -ENOENT);
        assert_int_equal(chair_persist_write_atomic(dir, "f", "hello", 5), 0);
        char *s = read_file(dir, "f");
        assert_string_equal(s, "hello");
        free(s);
        assert_int_equal(count_entries(dir), 1);
        remove_dir(dir);
}

/* ---- usage statistics ----------------------------------------------------- */

static void test_usage_summary(void **state) {
        struct chair_persist *p;
        struct chair_usage_summary s;
        /* 2024-03-15 18:00:00 UTC */
        const int64_t now = 1710525600;
        const int64_t today = 1710460800;       /* 2024-03-15 00:00 UTC */
        static const struct { int64_t start; const char *program; float minutes; } recs[] = {
                { today - 40 * 86400, "old", 99 },              /* before the window */
                { today - 29 * 86400 + 10, "lumbar-relief", 15 },  /* first day of the window */
                { today - 86400 + 3600, "lumbar-relief", 10 },
                { today - 1, "deep-tissue", 20 },               /* yesterday 23:59:59 */
                { today, "deep-tissue", 5 },                    /* today 00:00 */
                { today + 3600, "lumbar-relief", 12.5f },
                { now + 3600, "future", 50 },                   /* clock went back: ignored */
        };

        setenv("TZ", "UTC", 1);
        tzset();
        assert_int_equal(chair_persist_new("/nonexistent", &p), 0);
        for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
                struct chair_usage_record u = { .start = recs[i].start, .minutes = recs[i].minutes };
                snprintf(u.program, sizeof(u.program), "%s", recs[i].program);
                assert_int_equal(chair_persist_add_usage(p, &u), 0);
        }
        chair_persist_usage_summary(p, now, &s);
        assert_int_equal(s.day_start[CHAIR_USAGE_DAYS - 1], today);
        assert_int_equal(s.day_start[0], today - 29 * 86400);
        assert_float_equal(s.day_minutes[CHAIR_USAGE_DAYS - 1], 17.5, 1e-6);
        assert_int_equal(s.day_sessions[CHAIR_USAGE_DAYS - 1], 2);
        assert_float_equal(s.day_minutes[CHAIR_USAGE_DAYS - 2], 30, 1e-6);
        assert_float_equal(s.day_minutes[0], 15, 1e-6);
        assert_float_equal(s.total_minutes, 62.5, 1e-6);
        assert_int_equal(s.sessions, 5);
        assert_int_equal(s.n_programs, 2);
        assert_string_equal(s.programs[0].program, "lumbar-relief");
        assert_float_equal(s.programs[0].minutes, 37.5, 1e-6);
        assert_int_equal(s.programs[0].sessions, 3);
        assert_string_equal(s.programs[1].program, "deep-tissue");
        assert_float_equal(s.other_minutes, 0, 0);

        /* more programs than the summary lists: the rest adds up in "other" */
        for (int i = 0; i < CHAIR_USAGE_TOP_PROGRAMS + 2; i++) {
                struct chair_usage_record u = { .start = today + 60 * i, .minutes = 1 };
                snprintf(u.program, sizeof(u.program), "p%02d", i);
                assert_int_equal(chair_persist_add_usage(p, &u), 0);
        }
        chair_persist_usage_summary(p, now, &s);
        assert_int_equal(s.n_programs, CHAIR_USAGE_TOP_PROGRAMS);
        assert_float_equal(s.other_minutes, 4, 1e-6);
        assert_float_equal(s.total_minutes, 62.5 + CHAIR_USAGE_TOP_PROGRAMS + 2, 1e-6);
        chair_persist_free(p);
}

static void test_usage_log_is_capped(void **state) {
        struct chair_persist *p;

        assert_int_equal(chair_persist_new("/nonexistent", &p), 0);
        for (int i = 0; i < CHAIR_USAGE_MAX + 10; i++) {
                struct chair_usage_record u = { .start = i, .minutes = 1 };
                snprintf(u.program, sizeof(u.program), "p");
                assert_int_equal(chair_persist_add_usage(p, &u), 0);
        }
        assert_int_equal(chair_persist_n_usage(p), CHAIR_USAGE_MAX);
        assert_int_equal(chair_persist_usage(p, 0)->start, 10);
        assert_null(chair_persist_usage(p, CHAIR_USAGE_MAX));
        chair_persist_free(p);
}

/* ---- the pain diary's fields (usage.json version 2) -------------------- */

/* A usage.json as chaird wrote it before the pain diary (version 1) loads
 * unchanged, and the next save writes version 2 with the ratings. */
static void test_usage_version1_loads(void **state) {
        char *dir = make_dir(), msg[512];
        struct chair_persist *p;

        write_file(dir, "usage.json",
                   "{\n  \"version\": 1,\n  \"sessions\": [\n"
                   "    { \"start\": 1700000000, \"program\": \"lumbar-relief\", \"minutes\": 15.0, \"ended\": \"completed\", \"profile\": \"anna\" },\n"
                   "    { \"start\": 1700090000, \"program\": \"posture\", \"minutes\": 9.5, \"ended\": \"stopped\" }\n"
                   "  ]\n}\n");
        assert_int_equal(chair_persist_new(dir, &p), 0);
        assert_int_equal(chair_persist_load(p, msg, sizeof(msg)), 0);
        assert_int_equal(chair_persist_n_usage(p), 2);
        const struct chair_usage_record *u = chair_persist_usage(p, 0);
        assert_int_equal(u->start, 1700000000);
        assert_string_equal(u->profile, "anna");
        assert_int_equal(u->end, 0);
        assert_false(u->has_before);
        assert_false(u->has_after);
        assert_int_equal(u->intensity, 0);

        /* rate the first one and save: version 2 with the ratings */
        struct chair_usage_record r = *u;
        r.has_before = r.has_after = true;
        r.pain_before = 6;
        r.pain_after = 3;
        r.intensity = 3;
        r.heat = true;
        r.end = 1700000900;
        snprintf(r.zone, sizeof(r.zone), "L4");
        assert_int_equal(chair_persist_usage_update(p, 0, &r), 0);
        assert_int_equal(chair_persist_usage_update(p, 2, &r), -ENOENT);
        assert_true(chair_persist_dirty(p));
        assert_int_equal(chair_persist_save(p, false), 0);
        chair_persist_free(p);

        struct json_object *o = json_object_from_file(strcat(strcpy(msg, dir), "/usage.json"));
        assert_non_null(o);
        struct json_object *v, *a;
        assert_true(json_object_object_get_ex(o, "version", &v));
        assert_int_equal(json_object_get_int(v), CHAIR_USAGE_VERSION);
        assert_true(json_object_object_get_ex(o, "sessions", &a));
        assert_true(json_object_object_get_ex(json_object_array_get_idx(a, 0), "pain_after", &v));
        assert_int_equal(json_object_get_int(v), 3);
        /* the unrated record carries no diary members */
        assert_false(json_object_object_get_ex(json_object_array_get_idx(a, 1), "pain_before", &v));
        json_object_put(o);

        assert_int_equal(chair_persist_new(dir, &p), 0);
        assert_int_equal(chair_persist_load(p, msg, sizeof(msg)), 0);
        u = chair_persist_usage(p, 0);
        assert_true(u->has_before && u->has_after && u->heat);
        assert_int_equal(u->pain_before, 6);
        assert_int_equal(u->pain_after, 3);
        assert_int_equal(u->intensity, 3);
        assert_int_equal(u->end, 1700000900);
        assert_string_equal(u->zone, "L4");
        assert_false(chair_persist_usage(p, 1)->has_before);
        assert_false(chair_persist_pending_before(p)->set);

        /* a "before" waiting for its start is kept in usage.json too */
        struct chair_pending_rating pb = { .set = true, .pain = 7, .zone = "S1", .profile = "anna", .at = 1700001000 };
        chair_persist_set_pending_before(p, &pb);
        assert_true(chair_persist_usage_dirty(p));
        assert_int_equal(chair_persist_save(p, false), 0);
        chair_persist_free(p);
        assert_int_equal(chair_persist_new(dir, &p), 0);
        assert_int_equal(chair_persist_load(p, msg, sizeof(msg)), 0);
        const struct chair_pending_rating *got = chair_persist_pending_before(p);
        assert_true(got->set);
        assert_int_equal(got->pain, 7);
        assert_int_equal(got->at, 1700001000);
        assert_string_equal(got->zone, "S1");
        assert_string_equal(got->profile, "anna");
        chair_persist_set_pending_before(p, NULL);
        assert_int_equal(chair_persist_save(p, false), 0);
        chair_persist_free(p);
        char *text = read_file(dir, "usage.json");
        assert_null(strstr(text, "pending_before"));
        free(text);

        /* a version from the future, or a pain outside 0..10, is set aside */
        write_file(dir, "usage.json", "{\"version\": 3, \"sessions\": []}");
        assert_int_equal(chair_persist_new(dir, &p), 0);
        assert_int_equal(chair_persist_load(p, msg, sizeof(msg)), 1);
        assert_non_null(strstr(msg, "unsupported version"));
        chair_persist_free(p);
        write_file(dir, "usage.json", "{\"version\": 2, \"sessions\": [{\"start\": 1, \"program\": \"p\", "
                   "\"minutes\": 1, \"pain_before\": 11}]}");
        assert_int_equal(chair_persist_new(dir, &p), 0);
        assert_int_equal(chair_persist_load(p, msg, sizeof(msg)), 1);
        assert_int_equal(chair_persist_n_usage(p), 0);
        chair_persist_free(p);
        remove_dir(dir);
}

/* ---- profiles ----------------------------------------------------------- */

static void test_profiles(void **state) {
        struct chair_persist *p;
        struct chair_profile f = { .heat = -1 };

        assert_int_equal(chair_persist_new("/nonexistent", &p), 0);
        assert_false(chair_profile_name_valid(""));
        assert_false(chair_profile_name_valid(NULL));
        assert_false(chair_profile_name_valid("tab\there"));
        assert_false(chair_profile_name_valid("a-name-that-is-far-too-long-to-keep"));
        assert_true(chair_profile_name_valid("Anna B."));

        assert_int_equal(chair_persist_profile_set(p, &f), -EINVAL);    /* no name */
        snprintf(f.name, sizeof(f.name), "anna");
        f.intensity = 6;
        assert_int_equal(chair_persist_profile_set(p, &f), -EINVAL);
        f.intensity = 3;
        f.heat = 2;
        assert_int_equal(chair_persist_profile_set(p, &f), -EINVAL);
        f.heat = 0;
        snprintf(f.program, sizeof(f.program), "Not-An-Id");
        assert_int_equal(chair_persist_profile_set(p, &f), -EINVAL);
        snprintf(f.program, sizeof(f.program), "lumbar-relief");
        assert_int_equal(chair_persist_profile_set(p, &f), 0);
        /* set again replaces */
        f.shoulder_mm = 480;
        assert_int_equal(chair_persist_profile_set(p, &f), 0);
        assert_int_equal(chair_persist_n_profiles(p), 1);
        assert_float_equal(chair_persist_profile_find(p, "anna")->shoulder_mm, 480, 0);
        assert_null(chair_persist_profile_find(p, "Anna"));

        for (int i = 1; i < CHAIR_PROFILES_MAX; i++) {
                snprintf(f.name, sizeof(f.name), "user%d", i);
                assert_int_equal(chair_persist_profile_set(p, &f), 0);
        }
        snprintf(f.name, sizeof(f.name), "one-too-many");
        assert_int_equal(chair_persist_profile_set(p, &f), -ENOSPC);
        assert_int_equal(chair_persist_profile_remove(p, "user3"), 0);
        assert_int_equal(chair_persist_profile_remove(p, "user3"), -ENOENT);
        assert_int_equal(chair_persist_profile_set(p, &f), 0);
        assert_int_equal(chair_persist_n_profiles(p), CHAIR_PROFILES_MAX);
        assert_string_equal(chair_persist_profile(p, 2)->name, "user2");
        assert_string_equal(chair_persist_profile(p, 3)->name, "user4");
        chair_persist_free(p);
}

/* A forgotten profile is gone from disk, not only from memory (chairctl forget-profile). */
static void test_profile_remove_persists(void **state) {
        char *dir = make_dir();
        struct chair_persist *p = open_loaded(dir, 0, NULL, 0);
        static const char *const names[] = { "anna", "bob", "carl" };

        for (size_t i = 0; i < 3; i++) {
                struct chair_profile f = { .intensity = (int8_t) (i + 1), .heat = 1, .shoulder_mm = 400.0f + (float) i };
                snprintf(f.name, sizeof(f.name), "%s", names[i]);
                snprintf(f.program, sizeof(f.program), "lumbar-relief");
                assert_int_equal(chair_persist_profile_set(p, &f), 0);
        }
        assert_int_equal(chair_persist_save(p, false), 0);
        chair_persist_free(p);

        p = open_loaded(dir, 0, NULL, 0);
        assert_int_equal(chair_persist_n_profiles(p), 3);
        assert_int_equal(chair_persist_save(p, false), 0);     /* files never written yet */
        assert_false(chair_persist_dirty(p));
        assert_int_equal(chair_persist_profile_remove(p, "nobody"), -ENOENT);
        assert_false(chair_persist_dirty(p));           /* nothing removed, nothing to write */
        assert_false(chair_persist_profiles_dirty(p));
        assert_int_equal(chair_persist_profile_remove(p, "bob"), 0);
        assert_true(chair_persist_dirty(p));
        assert_true(chair_persist_profiles_dirty(p));
        assert_int_equal(chair_persist_save(p, false), 0);
        assert_false(chair_persist_profiles_dirty(p));
        chair_persist_free(p);

        char *text = read_file(dir, "profiles.json");
        assert_non_null(text);
        assert_null(strstr(text, "bob"));
        assert_non_null(strstr(text, "carl"));
        free(text);
        p = open_loaded(dir, 0, NULL, 0);
        assert_int_equal(chair_persist_n_profiles(p), 2);
        assert_null(chair_persist_profile_find(p, "bob"));
        const struct chair_profile *a = chair_persist_profile_find(p, "anna"), *c = chair_persist_profile_find(p, "carl");
        assert_non_null(a);
        assert_non_null(c);
        assert_int_equal(a->intensity, 1);
        assert_int_equal(c->intensity, 3);
        assert_float_equal(c->shoulder_mm, 402.0f, 0.01);

        /* the last ones too: an empty profiles file, not a stale one */
        assert_int_equal(chair_persist_profile_remove(p, "anna"), 0);
        assert_int_equal(chair_persist_profile_remove(p, "carl"), 0);
        assert_int_equal(chair_persist_save(p, false), 0);
        chair_persist_free(p);
        p = open_loaded(dir, 0, NULL, 0);
        assert_int_equal(chair_persist_n_profiles(p), 0);
        assert_null(chair_persist_profile_find(p, "anna"));
        chair_persist_free(p);
        remove_dir(dir);
}

/* ---- the crash test --------------------------------------------------------- */

#define CRASH_KILLS 1000
#define CRASH_USAGE 64

/* State version k, built afresh: every file says k everywhere, so a mix of
 * two versions inside one file would show. */
static struct chair_persist *make_version(const char *dir, uint64_t k) {
        struct chair_persist *p;
        struct chair_counters c = { 0 };
        char ctx[64];

        if (chair_persist_new(dir, &p) < 0)
                return NULL;
        c.sessions = k;
        c.knead_cycles = (double) k * 0.5;
        chair_persist_set_counters(p, &c);
        snprintf(ctx, sizeof(ctx), "v=%llu", (unsigned long long) k);
        for (int i = 0; i < CHAIR_FAULT_HISTORY_MAX; i++)
                chair_persist_add_fault(p, (int64_t) k, "estop", "stop button pressed", ctx);
        struct chair_usage_record u = { .start = (int64_t) k, .minutes = (float) (k % 1000) };
        snprintf(u.program, sizeof(u.program), "v%llu", (unsigned long long) k);
        for (int i = 0; i < CRASH_USAGE; i++)
                if (chair_persist_add_usage(p, &u) < 0)
                        return chair_persist_free(p);
        struct chair_profile prof = { .heat = -1, .intensity = (int8_t) (k % 5 + 1) };
        snprintf(prof.name, sizeof(prof.name), "owner");
        snprintf(prof.program, sizeof(prof.program), "v%llu", (unsigned long long) k);
        chair_persist_profile_set(p, &prof);
        return p;
}

/* The version each file holds, or -1 when a file is inconsistent within itself. */
static void versions(const struct chair_persist *p, int64_t v[N_FILES]) {
        char want[64];

        v[0] = (int64_t) chair_persist_counters(p)->sessions;
        if (chair_persist_counters(p)->knead_cycles != (double) v[0] * 0.5)
                v[0] = -1;

        v[1] = chair_persist_n_faults(p) ? chair_persist_fault(p, 0)->time : -1;
        snprintf(want, sizeof(want), "v=%lld", (long long) v[1]);
        for (unsigned i = 0; i < chair_persist_n_faults(p); i++)
                if (chair_persist_fault(p, i)->time != v[1] || strcmp(chair_persist_fault(p, i)->context, want) != 0)
                        v[1] = -1;
        if (chair_persist_n_faults(p) != CHAIR_FAULT_HISTORY_MAX)
                v[1] = -1;

        v[2] = chair_persist_n_usage(p) ? chair_persist_usage(p, 0)->start : -1;
        snprintf(want, sizeof(want), "v%lld", (long long) v[2]);
        for (size_t i = 0; i < chair_persist_n_usage(p); i++)
                if (chair_persist_usage(p, i)->start != v[2] || strcmp(chair_persist_usage(p, i)->program, want) != 0)
                        v[2] = -1;
        if (chair_persist_n_usage(p) != CRASH_USAGE)
                v[2] = -1;

        const struct chair_profile *f = chair_persist_profile_find(p, "owner");
        v[3] = -1;
        if (f && sscanf(f->program, "v%lld", (long long *) &v[3]) != 1)
                v[3] = -1;
        if (f && f->intensity != (int8_t) (v[3] % 5 + 1))
                v[3] = -1;
}

static uint64_t splitmix64(uint64_t x) {
        x += 0x9E3779B97F4A7C15ull;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
        return x ^ (x >> 31);
}

static double mono_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void test_crash_leaves_old_or_new(void **state) {
        char *dir = make_dir();
        struct chair_persist *p;
        int64_t old[N_FILES];
        unsigned outcomes[3] = { 0 };   /* kills where files held: all old, a mix, all new */

        /* version 1 on disk */
        p = make_version(dir, 1);
        assert_non_null(p);
        assert_int_equal(chair_persist_save(p, true), 0);
        for (size_t f = 0; f < N_FILES; f++)
                old[f] = 1;

        /* How long one save takes here, so the kill delays spread over a whole save
         * and a bit beyond (the delays themselves come from a fixed seed list). */
        double t0 = mono_s();
        for (int i = 0; i < 5; i++)
                assert_int_equal(chair_persist_save(p, true), 0);
        unsigned save_us = (unsigned) ((mono_s() - t0) / 5 * 1e6) + 1;
        print_message("one save: %u us\n", save_us);
        chair_persist_free(p);

        for (unsigned kill_no = 0; kill_no < CRASH_KILLS; kill_no++) {
                int fds[2];
                int64_t base = 0;
                for (size_t f = 0; f < N_FILES; f++)
                        if (old[f] > base)
                                base = old[f];
                base++;                         /* the first version the writer writes */

                assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
                /* the writer: versions base, base+1, ... reporting each completed save */
                pid_t pid = fork();
                assert_true(pid >= 0);
                if (pid == 0) {
                        close(fds[0]);
                        for (uint64_t k = (uint64_t) base;; k++) {
                                struct chair_persist *w = make_version(dir, k);
                                if (!w)
                                        _exit(3);
                                if (chair_persist_save(w, true) < 0)
                                        _exit(4);
                                chair_persist_free(w);
                                if (write(fds[1], &k, sizeof(k)) != sizeof(k))
                                        _exit(5);
                        }
                }
                close(fds[1]);
                /* seeded, deterministic delay: 0 .. 2 saves (the first one starts after fork) */
                uint64_t rnd = splitmix64(0xC4A1Dull * 1000003u + kill_no);
                useconds_t delay = (useconds_t) (rnd % (2u * save_us + 100u));
                usleep(delay);
                assert_int_equal(kill(pid, SIGKILL), 0);
                int status;
                assert_int_equal(waitpid(pid, &status, 0), pid);
                if (!WIFSIGNALED(status)) {
                        print_message("writer exited by itself: status %d\n", status);
                        fail();
                }

                /* the last completed save the writer reported */
                int64_t done = -1;
                uint64_t k;
                while (read(fds[0], &k, sizeof(k)) == sizeof(k))
                        done = (int64_t) k;
                close(fds[0]);

                struct chair_persist *q;
                char msg[512];
                assert_int_equal(chair_persist_new(dir, &q), 0);
                int r = chair_persist_load(q, msg, sizeof(msg));
                if (r != 0) {
                        print_message("kill %u after %u us: load says %s\n", kill_no, (unsigned) delay, msg);
                        fail();
                }
                int64_t v[N_FILES];
                versions(q, v);
                unsigned n_new = 0;
                for (size_t f = 0; f < N_FILES; f++) {
                        /* old = what was there before the last completed save's successor began */
                        int64_t was = done >= 0 ? done : old[f];
                        int64_t next = done >= 0 ? done + 1 : base;
                        if (v[f] != was && v[f] != next) {
                                print_message("kill %u after %u us: %s holds version %lld, expected %lld or %lld\n",
                                              kill_no, (unsigned) delay, state_files[f], (long long) v[f],
                                              (long long) was, (long long) next);
                                fail();
                        }
                        n_new += v[f] == next;
                        old[f] = v[f];
                }
                /* files are saved in order: a later file is never newer than an earlier one */
                for (size_t f = 1; f < N_FILES; f++)
                        assert_true(v[f] <= v[f - 1]);
                /* nothing but the state files is left behind */
                assert_int_equal(count_entries(dir), N_FILES);
                outcomes[n_new == 0 ? 0 : n_new == N_FILES ? 2 : 1]++;
                chair_persist_free(q);
        }
        print_message("%d kills: %u all old, %u mixed, %u all new\n", CRASH_KILLS, outcomes[0], outcomes[1],
                      outcomes[2]);
        remove_dir(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_first_start_and_round_trip),
                cmocka_unit_test(test_only_dirty_files_are_written),
                cmocka_unit_test(test_corrupt_file_kept_aside),
                cmocka_unit_test(test_several_corruptions),
                cmocka_unit_test(test_stale_temporary_removed),
                cmocka_unit_test(test_write_atomic_errors),
                cmocka_unit_test(test_usage_summary),
                cmocka_unit_test(test_usage_log_is_capped),
                cmocka_unit_test(test_usage_version1_loads),
                cmocka_unit_test(test_profiles),
                cmocka_unit_test(test_profile_remove_persists),
                cmocka_unit_test(test_crash_leaves_old_or_new),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
