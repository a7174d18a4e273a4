/* SPDX-License-Identifier: MIT */
/*
 * IIO sysfs channels and sensor conversions, against a fake tree in a
 * temporary directory; and the linux HAL's analog inputs (heater NTC,
 * pressure, positions): per-channel read rate, and a sensor file that goes
 * bad mid-session reading as an error, never a crash.
 *
 * A fake tree cannot make a kept-open regular file return ENODEV the way
 * sysfs does when a device goes away, so "vanishing" is simulated by
 * truncating the file (the read returns no data) and by writing garbage.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "errors.h"
#include "fake-sysfs.h"
#include "hal-linux.h"
#include "hal.h"
#include "iio.h"

/* Forward models, written independently of iio.c: temperature -> resistance -> millivolts. */
static double beta_ohm(double r25, double beta, double celsius) {
        return r25 * exp(beta * (1.0 / (celsius + 273.15) - 1.0 / 298.15));
}

static double divider_mv(const struct chair_ntc_config *n, double ohm) {
        return n->vref_mv * ohm / (ohm + n->pullup_ohm);
}

static const struct chair_ntc_config ntc_beta = {
        .r25_ohm = 10000, .beta = 3950, .pullup_ohm = 10000, .vref_mv = 3300,
        .open_ohm = 500000, .short_ohm = 50,
};

static void test_ntc_beta(void **state) {
        static const double temps[] = { -20, 0, 10, 25, 37, 40, 45, 50, 60, 80, 100 };
        for (size_t i = 0; i < sizeof(temps) / sizeof(temps[0]); i++) {
                float c = -999;
                double mv = divider_mv(&ntc_beta, beta_ohm(10000, 3950, temps[i]));
                assert_int_equal(chair_ntc_celsius(&ntc_beta, mv, &c), CHAIR_SENSOR_OK);
                assert_float_equal(c, temps[i], 0.01);
        }
        /* The defining point: R25 in a divider with an equal pull-up reads half of Vref at 25 °C. */
        float c = 0;
        assert_int_equal(chair_ntc_celsius(&ntc_beta, 1650, &c), CHAIR_SENSOR_OK);
        assert_float_equal(c, 25.0, 0.001);
}

/* Steinhart–Hart with the widely published coefficients of a 10 kΩ NTC, against
 * that thermistor's resistance table (R at 0, 25, 50, 80 °C). */
static void test_ntc_steinhart(void **state) {
        struct chair_ntc_config n = {
                .sh_a = 1.129148e-3f, .sh_b = 2.34125e-4f, .sh_c = 8.76741e-8f,
                .pullup_ohm = 10000, .vref_mv = 3300, .open_ohm = 500000, .short_ohm = 50,
        };
        static const struct { double ohm, celsius; } table[] = {
                { 32650, 0 }, { 10000, 25 }, { 3603, 50 }, { 1245, 80 },
        };
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
                float c = -999;
                assert_int_equal(chair_ntc_celsius(&n, divider_mv(&n, table[i].ohm), &c), CHAIR_SENSOR_OK);
                assert_float_equal(c, table[i].celsius, 0.5);
        }
}

static void test_ntc_open_short(void **state) {
        static const struct {
                double mv;
                enum chair_sensor_status want;
        } table[] = {
                { 3300, CHAIR_SENSOR_OPEN },          /* nothing pulls the node down */
                { 3299.9, CHAIR_SENSOR_OPEN },        /* R far above open_ohm */
                { 3240, CHAIR_SENSOR_OPEN },          /* ~540 kΩ > 500 kΩ */
                { 3100, CHAIR_SENSOR_OK },            /* ~155 kΩ: very cold but plausible */
                { 0, CHAIR_SENSOR_SHORT },
                { 10, CHAIR_SENSOR_SHORT },           /* ~30 Ω < 50 Ω */
                { 1650, CHAIR_SENSOR_OK },
                { NAN, CHAIR_SENSOR_ERROR },
        };
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
                float c = 0;
                assert_int_equal(chair_ntc_celsius(&ntc_beta, table[i].mv, &c), table[i].want);
        }
        /* An unusable config is an error, not a temperature. */
        struct chair_ntc_config bad = ntc_beta;
        bad.beta = 0;
        float c = 0;
        assert_int_equal(chair_ntc_celsius(&bad, 1650, &c), CHAIR_SENSOR_ERROR);
}

static void test_linear_map(void **state) {
        struct chair_linear_config m = { .raw_min = 400, .raw_max = 3600, .min = 0, .max = 60 };
        static const struct { double raw; bool clamp; float want; } table[] = {
                { 400, false, 0 }, { 3600, false, 60 }, { 2000, false, 30 },
                { 4000, false, 67.5f }, { 4000, true, 60 }, { 0, true, 0 }, { 0, false, -7.5f },
        };
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
                assert_float_equal(chair_linear_map(&m, table[i].raw, table[i].clamp), table[i].want, 1e-4);
        /* Inverted sensor (raw falls as the position rises). */
        struct chair_linear_config inv = { .raw_min = 4095, .raw_max = 0, .min = 0, .max = 1 };
        assert_float_equal(chair_linear_map(&inv, 4095, true), 0, 1e-6);
        assert_float_equal(chair_linear_map(&inv, 0, true), 1, 1e-6);
}

static void test_channel_read(void **state) {
        char *root = fs_mkroot(), iio[PATH_MAX], why[512];
        struct chair_iio *c = NULL;
        int32_t raw;

        snprintf(iio, sizeof(iio), "%s/iio", root);
        fs_iio_channel(root, 0, 2, 2048, 0);
        fs_write(root, "iio/iio:device0/in_voltage_scale", "0.805664062\n");   /* shared scale */
        fs_write(root, "iio/iio:device0/in_voltage2_offset", "-48\n");
        assert_int_equal(chair_iio_open(iio, 0, 2, &c, why, sizeof(why)), 0);
        assert_int_equal(chair_iio_read_raw(c, &raw), 0);
        assert_int_equal(raw, 2048);
        assert_float_equal(chair_iio_mv(c, raw), (2048 - 48) * 0.805664062, 1e-6);

        /* Values change under the kept-open descriptor. */
        fs_write(root, "iio/iio:device0/in_voltage2_raw", "17\n");
        assert_int_equal(chair_iio_read_raw(c, &raw), 0);
        assert_int_equal(raw, 17);

        /* Garbage and an empty file are errors, not numbers. */
        static const struct { const char *text; int err; } bad[] = {
                { "abc\n", -EBADMSG }, { "12x\n", -EBADMSG }, { "", -ENODATA }, { "99999999999\n", -EBADMSG },
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char path[PATH_MAX + 64];
                snprintf(path, sizeof(path), "%s/iio:device0/in_voltage2_raw", iio);
                FILE *f = fopen(path, "we");
                fputs(bad[i].text, f);
                fclose(f);
                assert_int_equal(chair_iio_read_raw(c, &raw), bad[i].err);
        }
        chair_iio_free(c);

        /* Per-channel scale wins over the shared one. */
        fs_iio_channel(root, 0, 3, 100, 2.0);
        assert_int_equal(chair_iio_open(iio, 0, 3, &c, why, sizeof(why)), 0);
        assert_int_equal(chair_iio_read_raw(c, &raw), 0);
        assert_float_equal(chair_iio_mv(c, raw), 200, 1e-9);
        chair_iio_free(c);

        /* Missing device, missing channel: -ENODEV with the path. */
        assert_int_equal(chair_iio_open(iio, 4, 0, &c, why, sizeof(why)), -ENODEV);
        assert_non_null(strstr(why, "iio:device4"));
        assert_int_equal(chair_iio_open(iio, 0, 7, &c, why, sizeof(why)), -ENODEV);
        assert_non_null(strstr(why, "in_voltage7_raw"));
        /* A channel that cannot be read at start-up fails at start-up. */
        fs_write(root, "iio/iio:device0/in_voltage5_raw", "%s", "");
        assert_int_equal(chair_iio_open(iio, 0, 5, &c, why, sizeof(why)), -ENODATA);
        fs_rmroot(root);
}

static void hal_config(struct chair_config *cfg, const char *root) {
        fs_config_init(cfg, root, NULL);
        struct chair_input_config *ic = &cfg->hardware.inputs;
        ic->heater_temp = (struct chair_iio_binding) { .set = true, .device = 0, .channel = 0, .rate_hz = 10 };
        ic->ntc = ntc_beta;
        ic->pressure[CHAIR_BAG_SEAT] = (struct chair_iio_binding) { .set = true, .device = 1, .channel = 2 };
        ic->pressure_map = (struct chair_linear_config) { .raw_min = 0, .raw_max = 4000, .min = 0, .max = 60 };
        ic->backrest_pos = (struct chair_iio_binding) { .set = true, .device = 0, .channel = 1, .rate_hz = 50 };
        ic->backrest_map = (struct chair_linear_config) { .raw_min = 1000, .raw_max = 3000, .min = 0, .max = 1 };
}

static long raw_for_celsius(double celsius) {
        /* scale 1 mV per LSB in the fake tree */
        return lround(divider_mv(&ntc_beta, beta_ohm(10000, 3950, celsius)));
}

static uint64_t mono_now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

static void test_hal_analog(void **state) {
        char *root = fs_mkroot();
        struct chair_config cfg;
        struct chair_hal *h = NULL;
        struct chair_errors errs = { 0 };
        struct chair_inputs in;

        hal_config(&cfg, root);
        fs_iio_channel(root, 0, 0, raw_for_celsius(30), 1.0);
        fs_iio_channel(root, 0, 1, 2000, 1.0);
        fs_iio_channel(root, 1, 2, 1000, 1.0);
        assert_int_equal(chair_hal_linux_new(&cfg, &errs, &h), 0);
        assert_int_equal(errs.n, 0);

        memset(&in, 0, sizeof(in));
        /* The tick's clock is CLOCK_MONOTONIC on the linux backend: sample ages count. */
        uint64_t t = mono_now_ns();
        assert_int_equal(chair_hal_read(h, t, &in), 0);
        assert_int_equal(in.heater_sensor, CHAIR_SENSOR_OK);
        assert_float_equal(in.heater_c, 30, 0.1);
        assert_float_equal(in.pressure_kpa[CHAIR_BAG_SEAT], 15, 1e-4);
        assert_float_equal(in.pressure_kpa[CHAIR_BAG_LUMBAR_LEFT], 0, 0);
        assert_float_equal(in.backrest, 0.5, 1e-6);
        /* The codes behind the values, for diagnostics; -1 where nothing is fitted. */
        assert_int_equal(in.raw[CHAIR_AN_HEATER], raw_for_celsius(30));
        assert_int_equal(in.raw[CHAIR_AN_BACKREST], 2000);
        assert_int_equal(in.raw[CHAIR_AN_PRESSURE + CHAIR_BAG_SEAT], 1000);
        assert_int_equal(in.raw[CHAIR_AN_PRESSURE + CHAIR_BAG_LUMBAR_LEFT], -1);
        assert_true(in.occupied);                         /* no occupancy sensor fitted */
        assert_false(in.estop);

        /* New values reach the tick once the input thread has read them (the
         * heater at its 10 Hz, the pressure every loop period). */
        fs_write(root, "iio/iio:device0/in_voltage0_raw", "%ld\n", raw_for_celsius(40));
        fs_write(root, "iio/iio:device1/in_voltage2_raw", "2000\n");
        assert_int_equal(chair_hal_linux_settle(h, 5000), 0);
        assert_int_equal(chair_hal_read(h, mono_now_ns(), &in), 0);
        assert_float_equal(in.pressure_kpa[CHAIR_BAG_SEAT], 30, 1e-4);
        assert_float_equal(in.heater_c, 40, 0.1);

        /* A sample older than its max age is a failed sensor, whatever it said:
         * the tick asks 10 s after the last read (the default age limit of the
         * 10 Hz heater is 3 periods + 50 ms = 350 ms). */
        assert_int_equal(chair_hal_read(h, mono_now_ns() + 10ull * 1000000000ull, &in), 0);
        assert_int_equal(in.heater_sensor, CHAIR_SENSOR_ERROR);
        assert_int_equal(in.raw[CHAIR_AN_HEATER], -1);
        assert_true(isinf(in.pressure_kpa[CHAIR_BAG_SEAT]));
        assert_true(isnan(in.backrest));
        /* ... and fresh again at the current time. */
        assert_int_equal(chair_hal_read(h, mono_now_ns(), &in), 0);
        assert_int_equal(in.heater_sensor, CHAIR_SENSOR_OK);

        /* The heater file goes bad mid-session: ERROR, never a crash; pressure fails safe. */
        fs_write(root, "iio/iio:device0/in_voltage0_raw", "%s", "");
        fs_write(root, "iio/iio:device1/in_voltage2_raw", "%s", "");
        fs_write(root, "iio/iio:device0/in_voltage1_raw", "junk\n");
        assert_int_equal(chair_hal_linux_settle(h, 5000), 0);
        assert_int_equal(chair_hal_read(h, mono_now_ns(), &in), 0);
        assert_int_equal(in.heater_sensor, CHAIR_SENSOR_ERROR);
        assert_int_equal(in.raw[CHAIR_AN_HEATER], -1);
        assert_true(isinf(in.pressure_kpa[CHAIR_BAG_SEAT]));
        assert_true(isnan(in.backrest));

        /* And recovers when the sensor reads again. */
        fs_write(root, "iio/iio:device0/in_voltage0_raw", "%ld\n", raw_for_celsius(41));
        assert_int_equal(chair_hal_linux_settle(h, 5000), 0);
        assert_int_equal(chair_hal_read(h, mono_now_ns(), &in), 0);
        assert_int_equal(in.heater_sensor, CHAIR_SENSOR_OK);
        assert_float_equal(in.heater_c, 41, 0.1);

        /* Open sensor at the ADC: OPEN status. */
        fs_write(root, "iio/iio:device0/in_voltage0_raw", "3300\n");
        assert_int_equal(chair_hal_linux_settle(h, 5000), 0);
        assert_int_equal(chair_hal_read(h, mono_now_ns(), &in), 0);
        assert_int_equal(in.heater_sensor, CHAIR_SENSOR_OPEN);

        chair_hal_free(h);
        chair_errors_clear(&errs);
        fs_rmroot(root);
}

static void test_hal_missing_channels(void **state) {
        char *root = fs_mkroot();
        struct chair_config cfg;
        struct chair_hal *h = NULL;
        struct chair_errors errs = { 0 };

        hal_config(&cfg, root);
        cfg.hardware.inputs.heater_temp.line = 42;
        cfg.hardware.inputs.heater_temp.column = 5;
        fs_iio_channel(root, 0, 1, 2000, 1.0);      /* only the backrest channel exists */
        assert_int_equal(chair_hal_linux_new(&cfg, &errs, &h), -ENODEV);
        assert_null(h);
        assert_int_equal(errs.n, 2);
        assert_string_equal(errs.v[0].path, "hardware.inputs.heater_temp");
        assert_int_equal(errs.v[0].line, 42);
        assert_non_null(strstr(errs.v[0].message, "heater_temp"));
        assert_non_null(strstr(errs.v[0].message, "in_voltage0_raw"));
        assert_string_equal(errs.v[1].path, "hardware.inputs.pressure.seat");
        assert_non_null(strstr(errs.v[1].message, "iio:device1"));
        chair_errors_clear(&errs);
        fs_rmroot(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ntc_beta),
                cmocka_unit_test(test_ntc_steinhart),
                cmocka_unit_test(test_ntc_open_short),
                cmocka_unit_test(test_linear_map),
                cmocka_unit_test(test_channel_read),
                cmocka_unit_test(test_hal_analog),
                cmocka_unit_test(test_hal_missing_channels),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
