/* SPDX-License-Identifier: MIT */
/*
 * The linux HAL against real kernel GPIO lines from gpio-sim
 * (/sys/kernel/config/gpio-sim, CONFIG_GPIO_SIM): outputs start at their safe
 * values, writes reach the lines, and a simulated stop-button press (the
 * line's pull flipped from sysfs) is seen on the next read.
 * Exits 77 when the kernel has no gpio-sim or we may not configure it.
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "errors.h"
#include "fake-sysfs.h"
#include "hal-linux.h"
#include "hal.h"

#define GPIO_SIM "/sys/kernel/config/gpio-sim"

static char sim_dir[256], dev_name[64], chip_name[64];

static int write_file(const char *path, const char *s) {
        FILE *f = fopen(path, "we");
        if (!f)
                return -errno;
        int r = fputs(s, f) < 0 ? -EIO : 0;
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        return r;
}

static int read_word(const char *path, char *buf, size_t len) {
        FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        int ok = fscanf(f, "%63s", buf);
        fclose(f);
        (void) len;
        return ok == 1 ? 0 : -EBADMSG;
}

static int sim_line(unsigned off, const char *attr, char *buf, size_t len, const char *set) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "/sys/devices/platform/%s/%s/sim_gpio%u/%s", dev_name, chip_name, off, attr);
        return set ? write_file(path, set) : read_word(path, buf, len);
}

static int sim_value(unsigned off) {
        char buf[64];
        if (sim_line(off, "value", buf, sizeof(buf), NULL) < 0)
                return -1;
        return atoi(buf);
}

static void sim_teardown(void) {
        char path[PATH_MAX + 32];
        if (!sim_dir[0])
                return;
        snprintf(path, sizeof(path), "%s/live", sim_dir);
        write_file(path, "0");
        snprintf(path, sizeof(path), "%s/bank0", sim_dir);
        rmdir(path);
        rmdir(sim_dir);
        sim_dir[0] = 0;
}

/* Returns 0, or a reason to skip in why. */
static int sim_setup(char *why, size_t len) {
        char path[PATH_MAX + 32];
        struct stat st;

        if (stat(GPIO_SIM, &st) < 0) {
                if (system("modprobe gpio-sim >/dev/null 2>&1") != 0 || stat(GPIO_SIM, &st) < 0) {
                        snprintf(why, len, "%s missing: kernel without gpio-sim (CONFIG_GPIO_SIM) or configfs not mounted",
                                 GPIO_SIM);
                        return -ENOENT;
                }
        }
        snprintf(sim_dir, sizeof(sim_dir), "%s/chaird-test-%d", GPIO_SIM, (int) getpid());
        if (mkdir(sim_dir, 0755) < 0) {
                snprintf(why, len, "cannot create %s: %s", sim_dir, strerror(errno));
                sim_dir[0] = 0;
                return -errno;
        }
        snprintf(path, sizeof(path), "%s/bank0", sim_dir);
        int r = mkdir(path, 0755) < 0 ? -errno : 0;
        if (r >= 0) {
                snprintf(path, sizeof(path), "%s/bank0/num_lines", sim_dir);
                r = write_file(path, "16");
        }
        if (r >= 0) {
                snprintf(path, sizeof(path), "%s/live", sim_dir);
                r = write_file(path, "1");
        }
        if (r >= 0) {
                snprintf(path, sizeof(path), "%s/dev_name", sim_dir);
                r = read_word(path, dev_name, sizeof(dev_name));
        }
        if (r >= 0) {
                snprintf(path, sizeof(path), "%s/bank0/chip_name", sim_dir);
                r = read_word(path, chip_name, sizeof(chip_name));
        }
        if (r < 0) {
                snprintf(why, len, "cannot bring up a gpio-sim chip under %s: %s", sim_dir, strerror(-r));
                sim_teardown();
                return r;
        }
        return 0;
}

static void test_real_lines(void **state) {
        struct chair_config cfg;
        struct chair_errors errs = { 0 };
        struct chair_hal *h = NULL;
        struct chair_inputs in = { 0 };
        struct chair_outputs out = { 0 };
        char *root = fs_mkroot();

        fs_config_init(&cfg, root, "/dev");
        struct chair_output_config *o = cfg.hardware.outputs;
        o[CHAIR_ACT_VALVE_SEAT].present = true;
        o[CHAIR_ACT_VALVE_SEAT].safe = 1;
        o[CHAIR_ACT_VALVE_SEAT].gpio = (struct chair_gpio_binding) { .set = true, .chip = chip_name, .offset = 3 };
        o[CHAIR_ACT_PUMP].present = true;
        o[CHAIR_ACT_PUMP].gpio = (struct chair_gpio_binding) { .set = true, .chip = chip_name, .offset = 4 };
        o[CHAIR_ACT_VALVE_CALVES].present = true;
        o[CHAIR_ACT_VALVE_CALVES].gpio = (struct chair_gpio_binding) { .set = true, .chip = chip_name, .offset = 6, .active_low = true };
        /* Stop button: normally closed to ground through a pull-up, active-low. */
        assert_int_equal(sim_line(5, "pull", NULL, 0, "pull-up"), 0);
        cfg.hardware.inputs.estop = (struct chair_gpio_binding) { .set = true, .chip = chip_name, .offset = 5, .active_low = true };

        assert_int_equal(chair_hal_linux_new(&cfg, &errs, &h), 0);
        assert_int_equal(sim_value(3), 1);     /* safe value from the request on */
        assert_int_equal(sim_value(4), 0);
        assert_int_equal(sim_value(6), 1);     /* active-low, safe 0 -> physical high */

        uint64_t t = 1000000000ull;
        assert_int_equal(chair_hal_read(h, t, &in), 0);
        assert_false(in.estop);

        out.v[CHAIR_ACT_PUMP] = 1;
        out.v[CHAIR_ACT_VALVE_SEAT] = 0;
        out.v[CHAIR_ACT_VALVE_CALVES] = 1;
        assert_int_equal(chair_hal_write(h, &out), 0);
        assert_int_equal(sim_value(3), 0);
        assert_int_equal(sim_value(4), 1);
        assert_int_equal(sim_value(6), 0);

        /* Press: the line is pulled low; the edge is queued by the kernel at once. */
        assert_int_equal(sim_line(5, "pull", NULL, 0, "pull-down"), 0);
        t += 2000000;
        assert_int_equal(chair_hal_read(h, t, &in), 0);
        assert_true(in.estop);

        assert_int_equal(chair_hal_safe(h), 0);
        assert_int_equal(sim_value(3), 1);
        assert_int_equal(sim_value(4), 0);
        assert_int_equal(sim_value(6), 1);
        chair_hal_free(h);

        /* --safe-state on released lines. */
        assert_int_equal(chair_hal_linux_safe_state(&cfg, &errs), 0);
        assert_int_equal(errs.n, 0);
        chair_errors_clear(&errs);
        fs_rmroot(root);
}

int main(void) {
        char why[1024];
        if (sim_setup(why, sizeof(why)) < 0) {
                printf("SKIP: %s\n", why);
                return 77;
        }
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_real_lines),
        };
        int r = cmocka_run_group_tests(tests, NULL, NULL);
        sim_teardown();
        return r;
}
