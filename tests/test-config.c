/* SPDX-License-Identifier: MIT */
/*
 * chaird.yaml loading: defaults, a full file, relative paths, the content
 * hash, the state directory, and every broken file in tests/data/config/
 * reported at its exact file, line, column and key path.
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
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "errors.h"
#include "program-load.h"
#include "program.h"

static char data_dir[PATH_MAX / 2];

static const char *data(const char *name) {
        static char buf[PATH_MAX];
        snprintf(buf, sizeof(buf), "%s/%s", data_dir, name);
        return buf;
}

static struct chair_config *load_ok(const char *path) {
        struct chair_errors e = { 0 };
        struct chair_config *cfg = NULL;
        int r = chair_config_load(path, &e, &cfg);

        if (r < 0)
                chair_errors_print(&e, stdout);
        assert_int_equal(r, 0);
        assert_int_equal(e.n, 0);
        assert_non_null(cfg);
        chair_errors_clear(&e);
        return cfg;
}

static void test_set_defaults(void **state) {
        struct chair_config *cfg = calloc(1, sizeof(*cfg));

        assert_non_null(cfg);
        chair_config_set_defaults(cfg);
        assert_string_equal(cfg->chair.id, "chair");
        assert_int_equal(cfg->control.rate_hz, 500);
        assert_int_equal(cfg->control.cpu, -1);
        assert_int_equal(cfg->safety.max_session_min, 30);
        assert_true(cfg->safety.heater_max_c <= 50.0f);
        assert_true(cfg->safety.occupancy_required);
        assert_int_equal(cfg->hardware.backend, CHAIR_BACKEND_SIM);
        for (int i = 0; i < _CHAIR_ACT_COUNT; i++) {
                assert_false(cfg->hardware.outputs[i].present);
                assert_true(cfg->hardware.outputs[i].safe == 0.0f);
                assert_true(cfg->hardware.outputs[i].max == 1.0f);
                assert_int_equal(cfg->hardware.outputs[i].pwm.period_ns, 50000);
                assert_int_equal(cfg->hardware.outputs[i].dir.offset, -1);
        }
        assert_false(cfg->hardware.inputs.estop.set);
        assert_string_equal(cfg->mqtt.host, "localhost");
        assert_int_equal(cfg->mqtt.port, 1883);
        assert_int_equal(cfg->mqtt.protocol, 5);
        chair_config_free(cfg);
        assert_null(chair_config_free(NULL));
}

/* A file that sets nothing gets exactly what chair_config_set_defaults() gives. */
static void test_minimal_is_defaults(void **state) {
        struct chair_config *cfg = load_ok(data("minimal.yaml"));
        struct chair_config *def = calloc(1, sizeof(*def));
        char want[PATH_MAX];

        assert_non_null(def);
        chair_config_set_defaults(def);
        assert_memory_equal(&cfg->control, &def->control, sizeof(cfg->control));
        assert_memory_equal(&cfg->safety, &def->safety, sizeof(cfg->safety));
        assert_memory_equal(&cfg->hardware.geometry, &def->hardware.geometry, sizeof(def->hardware.geometry));
        assert_memory_equal(&cfg->hardware.sim, &def->hardware.sim, sizeof(def->hardware.sim));
        assert_memory_equal(&cfg->hardware.inputs.ntc, &def->hardware.inputs.ntc, sizeof(def->hardware.inputs.ntc));
        for (int i = 0; i < _CHAIR_ACT_COUNT; i++)
                assert_memory_equal(&cfg->hardware.outputs[i], &def->hardware.outputs[i],
                                    sizeof(def->hardware.outputs[i]));
        assert_string_equal(cfg->chair.id, def->chair.id);
        assert_string_equal(cfg->mqtt.host, def->mqtt.host);
        assert_string_equal(cfg->mqtt.base_topic, "chaird/chair");
        assert_string_equal(cfg->mqtt.client_id, "chaird-chair");
        assert_string_equal(cfg->hardware.gpio_dev_dir, "/dev");
        /* The default program directory sits next to the file. */
        assert_int_equal(cfg->n_program_dirs, 1);
        snprintf(want, sizeof(want), "%s/programs", data_dir);
        assert_string_equal(cfg->program_dirs[0], want);
        assert_null(cfg->state_dir);
        chair_config_free(def);
        chair_config_free(cfg);
}

static void test_full_file(void **state) {
        struct chair_config *cfg = load_ok(data("valid.yaml"));
        const struct chair_output_config *o = cfg->hardware.outputs;
        const struct chair_input_config *in = &cfg->hardware.inputs;
        char want[PATH_MAX];

        assert_string_equal(cfg->chair.id, "test-chair");
        assert_string_equal(cfg->chair.name, "Test chair");
        assert_int_equal(cfg->control.rate_hz, 1000);
        assert_int_equal(cfg->control.rt_priority, 50);
        assert_int_equal(cfg->control.cpu, 1);
        assert_int_equal(cfg->safety.max_session_min, 20);
        assert_true(cfg->safety.heater_max_c == 42.0f);
        assert_true(cfg->safety.stall_s == 0.25f);
        assert_false(cfg->safety.occupancy_required);
        assert_true(cfg->hardware.geometry.mm_per_pulse == 0.25f);
        assert_true(cfg->hardware.sim.seed == 42);
        assert_true(cfg->hardware.sim.body_height_cm == 160.0f);

        for (int i = 0; i < _CHAIR_ACT_COUNT; i++)
                assert_true(o[i].present);
        assert_true(o[CHAIR_ACT_CARRIAGE].pwm.set);
        assert_int_equal(o[CHAIR_ACT_CARRIAGE].pwm.period_ns, 40000);
        assert_true(o[CHAIR_ACT_CARRIAGE].pwm.max_duty == 0.9f);
        /* Where the binding was written: line 31, the "pwm" key. */
        assert_int_equal(o[CHAIR_ACT_CARRIAGE].pwm.line, 31);
        assert_int_equal(o[CHAIR_ACT_CARRIAGE].pwm.column, 17);
        assert_string_equal(o[CHAIR_ACT_CARRIAGE].dir.chip, "gpiochip0");
        assert_int_equal(o[CHAIR_ACT_CARRIAGE].dir.offset, 17);
        assert_true(o[CHAIR_ACT_CARRIAGE].slew_per_s == 4.0f);
        assert_int_equal(o[CHAIR_ACT_KNEAD].pwm.period_ns, 50000);  /* default inside a binding */
        assert_true(o[CHAIR_ACT_TAP].max == 0.8f);
        assert_false(o[CHAIR_ACT_TAP].dir.set);
        assert_string_equal(o[CHAIR_ACT_DEPTH].dir.name, "DEPTH_DIR");
        assert_int_equal(o[CHAIR_ACT_DEPTH].dir.offset, -1);
        assert_true(o[CHAIR_ACT_HEATER].pwm.inverted);
        assert_true(o[CHAIR_ACT_PUMP].gpio.set);
        assert_false(o[CHAIR_ACT_PUMP].pwm.set);
        assert_true(o[CHAIR_ACT_VALVE_LUMBAR_RIGHT].gpio.active_low);
        assert_true(o[CHAIR_ACT_VALVE_SEAT].safe == 1.0f);
        assert_true(o[CHAIR_ACT_VALVE_CALVES].safe == 0.0f);

        assert_true(in->estop.set);
        assert_true(in->estop.active_low);
        assert_int_equal(in->estop.debounce_ms, 5);
        assert_string_equal(in->occupancy.name, "SEAT_SENSE");
        assert_false(in->backrest_min.set);
        assert_true(in->heater_temp.set);
        assert_int_equal(in->heater_temp.rate_hz, 10);
        assert_true(in->ntc.beta == 3435.0f);
        assert_true(in->ntc.r25_ohm == 10000.0f);
        assert_true(in->pressure[CHAIR_BAG_LUMBAR_LEFT].set);
        assert_false(in->pressure[CHAIR_BAG_LUMBAR_RIGHT].set);
        assert_int_equal(in->pressure[CHAIR_BAG_SEAT].channel, 2);
        assert_true(in->pressure_map.max == 50.0f);

        assert_string_equal(cfg->mqtt.host, "broker.local");
        assert_int_equal(cfg->mqtt.port, 8883);  /* TLS on, port unset */
        assert_string_equal(cfg->mqtt.base_topic, "chaird/test-chair");
        assert_string_equal(cfg->mqtt.client_id, "chaird-test-chair");
        assert_true(cfg->mqtt.tls.enabled);
        assert_string_equal(cfg->mqtt.tls.cafile, "/etc/ssl/ca.pem");
        assert_null(cfg->mqtt.tls.certfile);
        assert_int_equal(cfg->mqtt.keepalive, 60);
        assert_false(cfg->mqtt.discovery);
        assert_int_equal(cfg->mqtt.protocol, 311);

        /* Relative paths resolve against the file's directory. */
        assert_int_equal(cfg->n_program_dirs, 3);
        snprintf(want, sizeof(want), "%s/programs-full", data_dir);
        assert_string_equal(cfg->program_dirs[1], want);
        snprintf(want, sizeof(want), "%s/state", data_dir);
        assert_string_equal(cfg->state_dir, want);
        snprintf(want, sizeof(want), "%s/secrets/mqtt-password", data_dir);
        assert_string_equal(cfg->mqtt.password_file, want);
        snprintf(want, sizeof(want), "%s/fake-dev", data_dir);
        assert_string_equal(cfg->hardware.gpio_dev_dir, want);
        assert_string_equal(cfg->dir, data_dir);
        chair_config_free(cfg);
}

/* Loaded through a relative path from another working directory. */
static void test_relative_config_path(void **state) {
        char cwd[PATH_MAX], want[PATH_MAX];
        struct chair_config *cfg;

        assert_non_null(getcwd(cwd, sizeof(cwd)));
        assert_int_equal(chdir(data_dir), 0);
        assert_int_equal(chdir("programs"), 0);
        cfg = load_ok("../valid.yaml");
        assert_int_equal(chdir(cwd), 0);

        assert_string_equal(cfg->path, "../valid.yaml");
        assert_string_equal(cfg->dir, data_dir);
        snprintf(want, sizeof(want), "%s/programs", data_dir);
        assert_string_equal(cfg->program_dirs[0], want);
        chair_config_free(cfg);
}

static uint64_t reference_fnv1a(const char *s, size_t n) {
        uint64_t h = 14695981039346656037ULL;
        for (size_t i = 0; i < n; i++)
                h = (h ^ (uint8_t) s[i]) * 1099511628211ULL;
        return h;
}

static void test_hash(void **state) {
        static const char *const texts[] = {
                "",
                "chair: { id: a }\n",
                "chair: { id: b }\n",
        };
        char path[] = "/tmp/test-config-XXXXXX";
        uint64_t seen[3];
        int fd = mkstemp(path);

        assert_true(fd >= 0);
        close(fd);
        for (size_t i = 0; i < 3; i++) {
                FILE *f = fopen(path, "we");
                struct chair_config *cfg;
                assert_non_null(f);
                fputs(texts[i], f);
                fclose(f);
                /* The program directory is not there: the hash is set before validation. */
                struct chair_errors e = { 0 };
                assert_int_equal(chair_config_load_lenient(path, &e, &cfg), -EINVAL);
                assert_non_null(cfg);
                assert_true(cfg->hash == reference_fnv1a(texts[i], strlen(texts[i])));
                seen[i] = cfg->hash;
                chair_config_free(cfg);
                chair_errors_clear(&e);
        }
        /* FNV-1a 64 of the empty input is its offset basis. */
        assert_true(seen[0] == 0xcbf29ce484222325ULL);
        assert_true(seen[1] != seen[2]);
        unlink(path);
}

static void test_state_dir(void **state) {
        struct chair_config *cfg = load_ok(data("valid.yaml"));
        char want[PATH_MAX];

        unsetenv("STATE_DIRECTORY");
        snprintf(want, sizeof(want), "%s/state", data_dir);
        assert_string_equal(chair_config_state_dir(cfg), want);
        setenv("STATE_DIRECTORY", "/run/state-from-systemd", 1);
        assert_string_equal(chair_config_state_dir(cfg), "/run/state-from-systemd");
        setenv("STATE_DIRECTORY", "", 1);
        assert_string_equal(chair_config_state_dir(cfg), want);
        unsetenv("STATE_DIRECTORY");
        free(cfg->state_dir);
        cfg->state_dir = NULL;
        assert_string_equal(chair_config_state_dir(cfg), "/var/lib/chaird");
        chair_config_free(cfg);
}

/* The shipped config loads, has every part of the reference chair and every sensor. */
static void test_shipped_config(void **state) {
        char path[PATH_MAX];
        struct chair_config *cfg;
        const struct chair_input_config *in;

        snprintf(path, sizeof(path), "%s/config/chaird.yaml", getenv("CHAIRD_SOURCE_ROOT"));
        cfg = load_ok(path);
        assert_int_equal(cfg->hardware.backend, CHAIR_BACKEND_SIM);
        for (int i = 0; i < _CHAIR_ACT_COUNT; i++)
                assert_true(cfg->hardware.outputs[i].present);
        in = &cfg->hardware.inputs;
        assert_true(in->estop.set && in->occupancy.set && in->obstacle.set && in->encoder.set);
        assert_true(in->carriage_home.set && in->carriage_end.set);
        assert_true(in->backrest_min.set && in->backrest_max.set && in->legrest_min.set && in->legrest_max.set);
        assert_true(in->heater_temp.set && in->depth_pos.set && in->backrest_pos.set && in->legrest_pos.set);
        for (int b = 0; b < _CHAIR_BAG_COUNT; b++)
                assert_true(in->pressure[b].set);
        chair_config_free(cfg);
}

/* Each broken file: its first error, exactly where it is. */
static void test_broken_files(void **state) {
        static const struct {
                const char *file;
                uint32_t line, column;
                const char *path;
                const char *message;
        } cases[] = {
                { "bad-unknown-key.yaml", 3, 3, "safety.heater_max", "unknown key" },
                { "bad-wrong-type.yaml", 2, 3, "control.rate_hz", "invalid value 'fast'" },
                { "bad-safety-range.yaml", 3, 3, "safety.heater_max_c", "out of range: 70 (allowed 30..50)" },
                { "bad-enum.yaml", 2, 3, "hardware.backend", "expected one of: sim, linux" },
                { "bad-dup-line.yaml", 6, 36, "hardware.outputs.knead.dir.line",
                  "GPIO line gpiochip0:17 already used by hardware.outputs.carriage.dir" },
                { "bad-dup-pwm.yaml", 7, 9, "hardware.outputs.tap.pwm.channel",
                  "PWM channel pwmchip0/0 already used by hardware.outputs.carriage.pwm" },
                { "bad-input-line.yaml", 5, 31, "hardware.inputs.estop.line",
                  "already used by hardware.outputs.valve-seat.gpio" },
                { "bad-safe-motor.yaml", 4, 7, "hardware.outputs.carriage.safe", "only be set on valves" },
                { "bad-safe-valve.yaml", 3, 19, "hardware.outputs.valve-seat.safe", "must be 0 (vent) or 1" },
                { "bad-syntax.yaml", 3, 7, "control", "syntax error: mapping values are not allowed" },
                { "bad-dup-key.yaml", 4, 3, "control.rate_hz", "duplicate key" },
                { "bad-session.yaml", 3, 3, "safety.default_session_min", "exceeds max_session_min (20)" },
                { "bad-travel-timeout.yaml", 7, 3, "safety.travel_timeout_s", "shorter than a normal full move of this chair needs (47.0 s)" },
                { "bad-linux-binding.yaml", 4, 5, "hardware.outputs.carriage", "needs a pwm channel and a dir line" },
                { "bad-chair-id.yaml", 2, 3, "chair.id", "a-z, 0-9 and '-'" },
                { "bad-port.yaml", 2, 3, "mqtt.port", "out of range: 70000 (allowed 1..65535)" },
                { "bad-programs-dir.yaml", 3, 5, "programs[1]", "no such directory" },
                { "bad-programs-null.yaml", 3, 4, "programs[1]", "must be a directory path" },
                { "bad-empty-section.yaml", 1, 1, "control", "empty value" },
                { "bad-heater-sensor.yaml", 4, 5, "hardware.outputs.heater",
                  "a heater needs a temperature sensor (hardware.inputs.heater_temp)" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct chair_errors e = { 0 };
                struct chair_config *cfg = (void *) 1;
                const char *path = data(cases[i].file);
                char file[PATH_MAX];

                snprintf(file, sizeof(file), "%s", path);
                print_message("%s\n", cases[i].file);
                assert_int_equal(chair_config_load(file, &e, &cfg), -EINVAL);
                assert_null(cfg);
                chair_errors_print(&e, stdout);
                assert_int_equal(e.n, 1);
                assert_string_equal(e.v[0].file, file);
                assert_int_equal(e.v[0].line, cases[i].line);
                assert_int_equal(e.v[0].column, cases[i].column);
                assert_string_equal(e.v[0].path, cases[i].path);
                assert_non_null(strstr(e.v[0].message, cases[i].message));
                chair_errors_clear(&e);
        }
}

/* Several problems in one file: all of them, each at its own key. */
static void test_all_errors_reported(void **state) {
        static const char text[] =
                "control:\n"
                "  rate_hz: 10\n"
                "  speed: 3\n"
                "safety:\n"
                "  heater_max_c: 80\n"
                "  colour: red\n";
        char path[] = "/tmp/test-config-XXXXXX";
        struct chair_errors e = { 0 };
        struct chair_config *cfg;
        int fd = mkstemp(path);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t) sizeof(text) - 1);
        close(fd);
        assert_int_equal(chair_config_load(path, &e, &cfg), -EINVAL);
        chair_errors_print(&e, stdout);
        /* two unknown keys, two ranges, the missing default program directory */
        assert_int_equal(e.n, 5);
        assert_string_equal(e.v[0].path, "control.speed");
        assert_int_equal(e.v[0].line, 3);
        assert_string_equal(e.v[1].path, "safety.colour");
        assert_int_equal(e.v[1].line, 6);
        assert_string_equal(e.v[2].path, "control.rate_hz");
        assert_int_equal(e.v[2].line, 2);
        assert_string_equal(e.v[3].path, "safety.heater_max_c");
        assert_int_equal(e.v[3].line, 5);
        assert_string_equal(e.v[4].path, "programs");
        chair_errors_clear(&e);
        unlink(path);
}

/* Numbers as written: no trailing junk, no fractions where an integer goes,
 * ranges quoted as written with the real range; every one in one pass. */
static void test_strict_numbers(void **state) {
        static const char text[] =
                "control:\n"
                "  rate_hz: 500abc\n"           /* 2 */
                "  max_missed_ticks: 5.9\n"     /* 3 */
                "  cpu: 010\n"                  /* 4 */
                "safety:\n"
                "  max_session_min: 30.5\n"     /* 6 */
                "  default_session_min: 1e308\n" /* 7 */
                "  heater_max_c: 1e308\n"       /* 8 */
                "  stall_s: fast\n"             /* 9 */
                "  occupancy_required: maybe\n" /* 10 */
                "mqtt:\n"
                "  port: -1\n"                  /* 12 */
                "  keepalive: 0x10\n";          /* 13 */
        static const struct {
                uint32_t line;
                const char *path, *message;
        } want[] = {
                { 2, "control.rate_hz", "invalid value '500abc': expected an integer in 50..5000" },
                { 3, "control.max_missed_ticks", "invalid value '5.9': expected an integer in 1..1000 (decimal digits: no fractions" },
                { 4, "control.cpu", "invalid value '010': expected an integer in -1..1023 (decimal digits: no fractions, exponents or leading zeros)" },
                { 6, "safety.max_session_min", "invalid value '30.5': expected an integer in 1..30 (decimal digits: no fractions" },
                { 7, "safety.default_session_min", "invalid value '1e308': expected an integer in 1..30" },
                { 8, "safety.heater_max_c", "out of range: 1e308 (allowed 30..50)" },
                { 9, "safety.stall_s", "invalid value 'fast': expected a number in 0.05..5" },
                { 10, "safety.occupancy_required", "invalid value 'maybe': expected true or false" },
                { 12, "mqtt.port", "out of range: -1 (allowed 1..65535)" },
                { 13, "mqtt.keepalive", "invalid value '0x10': expected an integer in 5..3600" },
        };
        char path[] = "/tmp/test-config-XXXXXX";
        struct chair_errors e = { 0 };
        struct chair_config *cfg;
        int fd = mkstemp(path);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t) sizeof(text) - 1);
        close(fd);
        assert_int_equal(chair_config_load(path, &e, &cfg), -EINVAL);
        chair_errors_print(&e, stdout);
        assert_int_equal(e.n, sizeof(want) / sizeof(want[0]));
        for (size_t i = 0; i < e.n; i++) {
                assert_string_equal(e.v[i].file, path);
                assert_int_equal(e.v[i].line, want[i].line);
                assert_int_equal(e.v[i].column, 3);
                assert_string_equal(e.v[i].path, want[i].path);
                if (!strstr(e.v[i].message, want[i].message))
                        fail_msg("%s: '%s' lacks '%s'", want[i].path, e.v[i].message, want[i].message);
        }
        chair_errors_clear(&e);
        unlink(path);
}

static char *check(const char *path, int expect) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        assert_non_null(f);
        assert_int_equal(chair_check_config(path, f), expect);
        fclose(f);
        return buf;
}

static void test_check_config(void **state) {
        char *out, want[3 * PATH_MAX + 128];
        char src[PATH_MAX];

        out = check(data("valid.yaml"), 0);
        /* The override of test-relax by a later directory is said once, as a note. */
        snprintf(want, sizeof(want), "%s/programs-override/test-relax.yaml:1:1: id: note: program 'test-relax' "
                 "overrides the one in %s/programs-full/test-relax.yaml\nconfiguration OK\n", data_dir, data_dir);
        assert_string_equal(out, want);
        free(out);
        snprintf(src, sizeof(src), "%s/config/chaird.yaml", getenv("CHAIRD_SOURCE_ROOT"));
        out = check(src, 0);
        assert_string_equal(out, "configuration OK\n");
        free(out);

        /* Errors of the config and of every program, all of them. */
        out = check(data("multi.yaml"), -EINVAL);
        printf("%s", out);
        snprintf(want, sizeof(want), "%s:2:3: safety.heater_max_c: out of range", data("multi.yaml"));
        assert_non_null(strstr(out, want));
        snprintf(want, sizeof(want), "%s:4:3: control.foo: unknown key", data("multi.yaml"));
        assert_non_null(strstr(out, want));
        snprintf(want, sizeof(want), "%s/bad-programs/intensity.yaml:8:5: steps[1].intensity: out of range",
                 data_dir);
        assert_non_null(strstr(out, want));
        snprintf(want, sizeof(want), "%s/bad-programs/zone-reversed.yaml:5:5: steps[0].zone:", data_dir);
        assert_non_null(strstr(out, want));
        snprintf(want, sizeof(want), "%s/bad-programs/too-many-steps.yaml:3:1: steps:", data_dir);
        assert_non_null(strstr(out, want));
        assert_null(strstr(out, "configuration OK"));
        free(out);

        /* A file libcyaml cannot load still gets its programs checked. */
        out = check(data("multi-broken.yaml"), -EINVAL);
        printf("%s", out);
        snprintf(want, sizeof(want), "%s:1:1: control: wrong type", data("multi-broken.yaml"));
        assert_non_null(strstr(out, want));
        snprintf(want, sizeof(want), "%s/bad-programs/bad-zone.yaml:5:5: steps[0].zone:", data_dir);
        assert_non_null(strstr(out, want));
        free(out);

        out = check(data("no-such-file.yaml"), -EINVAL);
        assert_non_null(strstr(out, "cannot read"));
        free(out);
}

static int setup(void **state) {
        const char *root = getenv("CHAIRD_SOURCE_ROOT");
        if (!root) {
                fprintf(stderr, "CHAIRD_SOURCE_ROOT not set: run through meson test\n");
                exit(77);
        }
        snprintf(data_dir, sizeof(data_dir), "%s/tests/data/config", root);
        char *real = realpath(data_dir, NULL);
        assert_non_null(real);
        snprintf(data_dir, sizeof(data_dir), "%s", real);
        free(real);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_set_defaults),
                cmocka_unit_test(test_minimal_is_defaults),
                cmocka_unit_test(test_full_file),
                cmocka_unit_test(test_relative_config_path),
                cmocka_unit_test(test_hash),
                cmocka_unit_test(test_state_dir),
                cmocka_unit_test(test_shipped_config),
                cmocka_unit_test(test_broken_files),
                cmocka_unit_test(test_all_errors_reported),
                cmocka_unit_test(test_strict_numbers),
                cmocka_unit_test(test_check_config),
        };
        return cmocka_run_group_tests(tests, setup, NULL);
}
