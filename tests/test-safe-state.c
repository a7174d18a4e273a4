/* SPDX-License-Identifier: MIT */
/*
 * `chaird --safe-state` from any config (issue 15), against the fake sysfs
 * tree: the heater and tapping PWM channels are left running at duty
 * 40000/50000, as a crashed daemon leaves them; every case must leave them at
 * duty 0 and disabled, and the exit status must say which map was used
 * (0: this config's, 2: the saved one, 1: a part failed or no map at all).
 * Each case runs in-process (chair_safe_state()) and through the chaird binary.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "errors.h"
#include "fake-sysfs.h"
#include "hwmap.h"

struct fixture {
        char *root;
        char state[PATH_MAX];
        char config[PATH_MAX];
};

static char chaird[PATH_MAX];

/* The outputs of every config below: heater on pwmchip0/pwm0, tap on pwmchip0/pwm1. */
static const char hardware_fmt[] =
        "hardware:\n"
        "  backend: linux\n"
        "  pwm_sysfs: %s/pwm\n"
        "  iio_sysfs: %s/iio\n"
        "  gpio_dev_dir: %s/dev\n"
        "  outputs:\n"
        "    heater: { pwm: { chip: 0, channel: 0 } }\n"
        "    tap: { pwm: { chip: 0, channel: %d } }\n"
        "  inputs:\n"
        "    heater_temp: { device: 0, channel: 0 }\n";

static void running(struct fixture *f) {
        for (int ch = 0; ch < 2; ch++) {
                char rel[64];
                snprintf(rel, sizeof(rel), "pwm/pwmchip0/pwm%d/period", ch);
                fs_write(f->root, rel, "50000\n");
                snprintf(rel, sizeof(rel), "pwm/pwmchip0/pwm%d/duty_cycle", ch);
                fs_write(f->root, rel, "40000\n");
                snprintf(rel, sizeof(rel), "pwm/pwmchip0/pwm%d/enable", ch);
                fs_write(f->root, rel, "1\n");
        }
}

static void assert_safe(struct fixture *f) {
        for (int ch = 0; ch < 2; ch++) {
                char rel[64];
                snprintf(rel, sizeof(rel), "pwm/pwmchip0/pwm%d/duty_cycle", ch);
                assert_int_equal(fs_read_long(f->root, rel), 0);
                snprintf(rel, sizeof(rel), "pwm/pwmchip0/pwm%d/enable", ch);
                assert_int_equal(fs_read_long(f->root, rel), 0);
        }
}

static void write_config(struct fixture *f, const char *extra, int tap_channel) {
        FILE *c = fopen(f->config, "we");
        assert_non_null(c);
        fprintf(c, hardware_fmt, f->root, f->root, f->root, tap_channel);
        fputs(extra, c);
        assert_int_equal(fclose(c), 0);
}

/* Exit status of chaird --safe-state on the fixture's config. */
static int run_chaird(struct fixture *f) {
        int status;
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0) {
                setenv("STATE_DIRECTORY", f->state, 1);
                execl(chaird, chaird, "--safe-state", "--config", f->config, (char *) NULL);
                _exit(127);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        return WEXITSTATUS(status);
}

static bool has_message(const struct chair_errors *e, bool warning, const char *path, const char *text) {
        for (size_t i = 0; i < e->n; i++)
                if (e->v[i].warning == warning && strcmp(e->v[i].path, path) == 0 && strstr(e->v[i].message, text))
                        return true;
        return false;
}

/* The map a daemon saved when it last started with a good config. */
static void save_map(struct fixture *f) {
        struct chair_errors e = { 0 };
        struct chair_config *cfg = NULL;

        write_config(f, "", 1);
        assert_int_equal(chair_config_load_hardware(f->config, &e, &cfg), 0);
        assert_int_equal(chair_hwmap_save(cfg, f->state), 0);
        chair_config_free(cfg);
        chair_errors_clear(&e);
}

/* A broken mqtt key and a missing programs directory: reported, ignored; exit 0. */
static void test_errors_elsewhere(void **state) {
        struct fixture *f = *state;
        struct chair_errors e = { 0 };
        enum chair_safe_from from;

        write_config(f, "mqtt:\n  colour: red\n  port: lots\nprograms: [/nonexistent/programs]\n", 1);
        running(f);
        assert_int_equal(chair_safe_state(f->config, &e, &from), 0);
        chair_errors_print(&e, stdout);
        assert_int_equal(from, CHAIR_SAFE_FROM_CONFIG);
        assert_safe(f);
        assert_true(has_message(&e, true, "mqtt.colour", "unknown key"));
        assert_true(has_message(&e, true, "mqtt.port", "invalid value 'lots'"));
        assert_int_equal(chair_errors_count(&e), 0);
        chair_errors_clear(&e);

        running(f);
        assert_int_equal(run_chaird(f), 0);
        assert_safe(f);
}

/* A missing programs directory alone (libcyaml loads the rest): the same. */
static void test_missing_programs_dir(void **state) {
        struct fixture *f = *state;
        struct chair_errors e = { 0 };
        enum chair_safe_from from;

        write_config(f, "programs: [/nonexistent/programs]\n", 1);
        running(f);
        assert_int_equal(chair_safe_state(f->config, &e, &from), 0);
        chair_errors_print(&e, stdout);
        assert_int_equal(from, CHAIR_SAFE_FROM_CONFIG);
        assert_true(has_message(&e, true, "programs[0]", "no such directory"));
        assert_safe(f);
        chair_errors_clear(&e);
        running(f);
        assert_int_equal(run_chaird(f), 0);
        assert_safe(f);
}

/* The hardware section itself broken, or the file not YAML at all: the saved map; exit 2. */
static void test_saved_map(void **state) {
        static const char *const broken[] = {
                "  bogus: [\n",                               /* a syntax error */
                "safety: { max_session_min: 30.5 }\nhardware: { backend: lunix }\n", /* hardware twice: a duplicate key */
        };
        struct fixture *f = *state;

        save_map(f);
        for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
                struct chair_errors e = { 0 };
                enum chair_safe_from from;

                write_config(f, broken[i], 1);
                running(f);
                assert_int_equal(chair_safe_state(f->config, &e, &from), 0);
                chair_errors_print(&e, stdout);
                assert_int_equal(from, CHAIR_SAFE_FROM_SAVED);
                assert_true(chair_errors_count(&e) > 0);      /* why the config's map was not used */
                assert_safe(f);
                chair_errors_clear(&e);

                running(f);
                assert_int_equal(run_chaird(f), 2);
                assert_safe(f);
        }

        /* An unreadable config: the saved map too. */
        snprintf(f->config, sizeof(f->config), "%s/does-not-exist.yaml", f->root);
        running(f);
        assert_int_equal(run_chaird(f), 2);
        assert_safe(f);
}

/* Broken, and no map saved: nothing to go by; exit 1. */
static void test_no_map(void **state) {
        struct fixture *f = *state;
        struct chair_errors e = { 0 };
        enum chair_safe_from from;

        write_config(f, "  bogus: [\n", 1);
        assert_int_equal(chair_safe_state(f->config, &e, &from), -ENOENT);
        assert_int_equal(from, CHAIR_SAFE_FROM_NOTHING);
        chair_errors_clear(&e);
        assert_int_equal(run_chaird(f), 1);
}

/* One output cannot be reached (tap on a channel that does not exist): the
 * heater is still driven safe, and the exit status says a part failed. */
static void test_part_fails(void **state) {
        struct fixture *f = *state;
        struct chair_errors e = { 0 };
        enum chair_safe_from from;
        char rel[64];

        write_config(f, "", 7);
        running(f);
        assert_true(chair_safe_state(f->config, &e, &from) < 0);
        chair_errors_print(&e, stdout);
        assert_int_equal(from, CHAIR_SAFE_FROM_CONFIG);
        assert_true(has_message(&e, false, "hardware.outputs.tap.pwm", ""));
        snprintf(rel, sizeof(rel), "pwm/pwmchip0/pwm0/duty_cycle");
        assert_int_equal(fs_read_long(f->root, rel), 0);
        chair_errors_clear(&e);
        running(f);
        assert_int_equal(run_chaird(f), 1);
        assert_int_equal(fs_read_long(f->root, rel), 0);
}

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        assert_non_null(f);
        f->root = fs_mkroot();
        fs_pwm_chip(f->root, 0, 2);
        fs_pwm_channel(f->root, 0, 0);
        fs_pwm_channel(f->root, 0, 1);
        fs_iio_channel(f->root, 0, 0, 2048, 0);
        snprintf(f->state, sizeof(f->state), "%s/state", f->root);
        assert_int_equal(mkdir(f->state, 0755), 0);
        snprintf(f->config, sizeof(f->config), "%s/dev", f->root);
        assert_int_equal(mkdir(f->config, 0755), 0);
        snprintf(f->config, sizeof(f->config), "%s/chaird.yaml", f->root);
        setenv("STATE_DIRECTORY", f->state, 1);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        fs_rmroot(f->root);
        free(f);
        return 0;
}

int main(void) {
        const char *build = getenv("CHAIRD_BUILD_ROOT");
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_errors_elsewhere, setup, teardown),
                cmocka_unit_test_setup_teardown(test_missing_programs_dir, setup, teardown),
                cmocka_unit_test_setup_teardown(test_saved_map, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_map, setup, teardown),
                cmocka_unit_test_setup_teardown(test_part_fails, setup, teardown),
        };

        if (!build) {
                fprintf(stderr, "CHAIRD_BUILD_ROOT not set: run through meson test\n");
                return 77;
        }
        snprintf(chaird, sizeof(chaird), "%s/daemon/chaird", build);
        if (access(chaird, X_OK) < 0) {
                fprintf(stderr, "%s not built: skipping\n", chaird);
                return 77;
        }
        return cmocka_run_group_tests(tests, NULL, NULL);
}
