/* SPDX-License-Identifier: MIT */
/*
 * sysfs PWM against a fake tree in a temporary directory.
 *
 * Writes are observed from outside with inotify (IN_MODIFY per file, in
 * order), not through the module's own counters.  EBUSY cannot be produced by
 * a regular file, so pwrite64 is wrapped at link time: writes to a file named
 * "export" fail with EBUSY while busy_export is set, as the kernel answers
 * when a driver already holds the channel.  Permission denied is made real for
 * root by dropping CAP_DAC_OVERRIDE (see fake-sysfs.h).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake-sysfs.h"
#include "pwm.h"

ssize_t __real_pwrite64(int fd, const void *buf, size_t n, off_t off);
ssize_t __wrap_pwrite64(int fd, const void *buf, size_t n, off_t off);

static bool busy_export;

ssize_t __wrap_pwrite64(int fd, const void *buf, size_t n, off_t off) {
        char link[64], target[PATH_MAX];
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        ssize_t l = readlink(link, target, sizeof(target) - 1);
        if (busy_export && l > 0) {
                target[l] = 0;
                const char *base = strrchr(target, '/');
                if (base && strcmp(base, "/export") == 0) {
                        errno = EBUSY;
                        return -1;
                }
        }
        return __real_pwrite64(fd, buf, n, off);
}

struct fixture {
        char *root;
        char pwm[PATH_MAX];
        int ino;
};

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        f->root = fs_mkroot();
        snprintf(f->pwm, sizeof(f->pwm), "%s/pwm", f->root);
        f->ino = -1;
        busy_export = false;
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        fs_dac(true);
        if (f->ino >= 0)
                close(f->ino);
        fs_rmroot(f->root);
        free(f);
        return 0;
}

static void watch(struct fixture *f, int chip, int channel) {
        char path[PATH_MAX + 64];
        f->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        assert_true(f->ino >= 0);
        snprintf(path, sizeof(path), "%s/pwmchip%d/pwm%d", f->pwm, chip, channel);
        assert_true(inotify_add_watch(f->ino, path, IN_MODIFY) >= 0);
}

/* Drain inotify; append names of modified files, space separated, to log; return the count. */
static int drain(struct fixture *f, char *log, size_t len) {
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        int count = 0;
        if (log && len)
                log[0] = 0;
        for (;;) {
                ssize_t n = read(f->ino, buf, sizeof(buf));
                if (n <= 0)
                        break;
                for (char *p = buf; p < buf + n;) {
                        struct inotify_event *ev = (struct inotify_event *) p;
                        if (ev->len && log) {
                                strncat(log, ev->name, len - strlen(log) - 1);
                                strncat(log, " ", len - strlen(log) - 1);
                        }
                        count++;
                        p += sizeof(*ev) + ev->len;
                }
        }
        return count;
}

static void test_program_sequence(void **state) {
        struct fixture *f = *state;
        struct chair_pwm *p = NULL;
        char why[512], log[512], line[64];

        fs_pwm_chip(f->root, 0, 2);
        fs_pwm_channel(f->root, 0, 1);
        watch(f, 0, 1);

        assert_int_equal(chair_pwm_open(f->pwm, 0, 1, 40000, true, 0, &p, why, sizeof(why)), 0);
        drain(f, log, sizeof(log));
        /* The channel existed: no export.  Period before the duty cycle, enable last. */
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/export"), -1);
        char *period = strstr(log, "period"), *duty = strstr(log, "duty_cycle"), *pol = strstr(log, "polarity");
        assert_non_null(period);
        assert_non_null(duty);
        assert_non_null(pol);
        assert_true(period < duty);
        assert_true(pol < duty);
        const char *last_enable = NULL;
        for (char *s = strstr(log, "enable"); s; s = strstr(s + 1, "enable"))
                last_enable = s;
        assert_true(last_enable > duty);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm1/period"), 40000);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm1/duty_cycle"), 0);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm1/enable"), 1);
        assert_true(fs_read_line(f->root, "pwm/pwmchip0/pwm1/polarity", line, sizeof(line)));
        assert_string_equal(line, "inversed");

        chair_pwm_free(p);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm1/enable"), 0);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/unexport"), 1);
}

/* Write-on-change: a table of duty requests and how many duty_cycle writes each must cause. */
static void test_write_on_change(void **state) {
        struct fixture *f = *state;
        struct chair_pwm *p = NULL;
        char log[512];
        static const struct {
                float duty;
                long ns;        /* expected duty_cycle content */
                int writes;     /* expected sysfs writes for this call */
        } steps[] = {
                { 0.0f, 0, 0 },       /* already 0 after open */
                { 0.5f, 25000, 1 },
                { 0.5f, 25000, 0 },
                { 0.5f, 25000, 0 },
                { 0.25f, 12500, 1 },
                { 2.0f, 50000, 1 },   /* clamped to the period */
                { 1.0f, 50000, 0 },
                { -1.0f, 0, 1 },      /* clamped to 0 */
                { 0.0f / 0.0f, 0, 0 },/* NaN drives nothing */
        };

        fs_pwm_chip(f->root, 2, 1);
        fs_pwm_channel(f->root, 2, 0);
        assert_int_equal(chair_pwm_open(f->pwm, 2, 0, 50000, false, 0, &p, NULL, 0), 0);
        watch(f, 2, 0);
        for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
                assert_int_equal(chair_pwm_set(p, steps[i].duty), 0);
                int n = drain(f, log, sizeof(log));
                assert_int_equal(n, steps[i].writes);
                if (n)
                        assert_string_equal(log, "duty_cycle ");
                assert_int_equal(fs_read_long(f->root, "pwm/pwmchip2/pwm0/duty_cycle"), steps[i].ns);
        }

        /* off: duty 0 and disable; set re-enables after writing the duty. */
        assert_int_equal(chair_pwm_set(p, 0.4f), 0);
        drain(f, NULL, 0);
        assert_int_equal(chair_pwm_off(p, false), 0);
        assert_int_equal(drain(f, log, sizeof(log)), 2);
        assert_string_equal(log, "duty_cycle enable ");
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip2/pwm0/enable"), 0);
        assert_int_equal(chair_pwm_off(p, false), 0);
        assert_int_equal(drain(f, NULL, 0), 0);
        assert_int_equal(chair_pwm_set(p, 0.1f), 0);
        assert_int_equal(drain(f, log, sizeof(log)), 2);
        assert_string_equal(log, "duty_cycle enable ");
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip2/pwm0/enable"), 1);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip2/pwm0/duty_cycle"), 5000);
        chair_pwm_free(p);
}

/* A fake kernel + udev: on export, create the channel directory, then (later) make it writable. */
struct fake_udev {
        struct fixture *f;
        int chip;
        bool chmod_late;
};

static void *udev_thread(void *arg) {
        struct fake_udev *u = arg;
        char rel[128];
        struct timespec ts = { 0, 5 * 1000 * 1000 };
        snprintf(rel, sizeof(rel), "pwm/pwmchip%d/export", u->chip);
        long ch = -1;
        for (int i = 0; i < 2000 && ch < 0; i++) {
                nanosleep(&ts, NULL);
                ch = fs_read_long(u->f->root, rel);
        }
        if (ch < 0)
                return NULL;
        fs_pwm_channel(u->f->root, u->chip, (int) ch);
        if (u->chmod_late) {
                snprintf(rel, sizeof(rel), "pwm/pwmchip%d/pwm%ld/enable", u->chip, ch);
                fs_chmod(u->f->root, rel, 0444);
                for (int i = 0; i < 6; i++)
                        nanosleep(&ts, NULL);
                fs_chmod(u->f->root, rel, 0644);
        }
        return NULL;
}

static void test_export_waits_for_udev(void **state) {
        struct fixture *f = *state;
        struct chair_pwm *p = NULL;
        char why[512];
        pthread_t t;

        fs_pwm_chip(f->root, 1, 4);
        struct fake_udev u = { .f = f, .chip = 1, .chmod_late = true };
        /* With modes applying, the open must wait out the late chmod as well. */
        (void) fs_dac(false);
        assert_int_equal(pthread_create(&t, NULL, udev_thread, &u), 0);
        int r = chair_pwm_open(f->pwm, 1, 3, 50000, false, 5000, &p, why, sizeof(why));
        pthread_join(t, NULL);
        fs_dac(true);
        assert_int_equal(r, 0);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip1/export"), 3);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip1/pwm3/period"), 50000);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip1/pwm3/enable"), 1);
        chair_pwm_free(p);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip1/unexport"), 3);
}

/* Table of start-up failures: each returns the right errno and names the path tried. */
static void test_open_errors(void **state) {
        struct fixture *f = *state;
        char why[512];
        struct chair_pwm *p = NULL;

        /* missing chip */
        assert_int_equal(chair_pwm_open(f->pwm, 7, 0, 50000, false, 0, &p, why, sizeof(why)), -ENODEV);
        assert_non_null(strstr(why, "pwmchip7"));
        assert_non_null(strstr(why, f->root));

        /* channel beyond npwm */
        fs_pwm_chip(f->root, 0, 2);
        assert_int_equal(chair_pwm_open(f->pwm, 0, 2, 50000, false, 0, &p, why, sizeof(why)), -ENODEV);
        assert_non_null(strstr(why, "2 channel"));

        /* export accepted but the directory never appears (no such channel in the driver) */
        assert_int_equal(chair_pwm_open(f->pwm, 0, 1, 50000, false, 30, &p, why, sizeof(why)), -ENODEV);
        assert_non_null(strstr(why, "pwmchip0/pwm1"));
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/export"), 1);

        /* EBUSY on export: the kernel says a driver holds the channel */
        busy_export = true;
        assert_int_equal(chair_pwm_open(f->pwm, 0, 0, 50000, false, 30, &p, why, sizeof(why)), -EBUSY);
        assert_non_null(strstr(why, "busy"));
        assert_non_null(strstr(why, "pwmchip0/export"));
        busy_export = false;
}

static void test_permission_denied(void **state) {
        struct fixture *f = *state;
        char why[512];
        struct chair_pwm *p = NULL;

        fs_pwm_chip(f->root, 0, 1);
        fs_pwm_channel(f->root, 0, 0);
        fs_chmod(f->root, "pwm/pwmchip0/pwm0/duty_cycle", 0444);
        if (!fs_dac(false))
                skip();    /* cannot make modes apply to this process: nothing to test */
        int r = chair_pwm_open(f->pwm, 0, 0, 50000, false, 30, &p, why, sizeof(why));
        int r2 = chair_pwm_safe_off(f->pwm, 0, 0, 30, NULL, 0);
        fs_dac(true);
        assert_int_equal(r, -EACCES);
        assert_non_null(strstr(why, "pwmchip0/pwm0/duty_cycle"));
        assert_int_equal(r2, -EACCES);
}

static void test_safe_off(void **state) {
        struct fixture *f = *state;
        char why[512];

        /* A channel left running by a crashed daemon. */
        fs_pwm_chip(f->root, 0, 2);
        fs_pwm_channel(f->root, 0, 0);
        fs_write(f->root, "pwm/pwmchip0/pwm0/enable", "1\n");
        fs_write(f->root, "pwm/pwmchip0/pwm0/period", "50000\n");
        fs_write(f->root, "pwm/pwmchip0/pwm0/duty_cycle", "30000\n");
        assert_int_equal(chair_pwm_safe_off(f->pwm, 0, 0, 0, why, sizeof(why)), 0);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm0/enable"), 0);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm0/duty_cycle"), 0);
        /* Period untouched, channel stays exported. */
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm0/period"), 50000);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/unexport"), -1);

        assert_int_equal(chair_pwm_safe_off(f->pwm, 5, 0, 0, why, sizeof(why)), -ENODEV);
        assert_non_null(strstr(why, "pwmchip5"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_program_sequence, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_on_change, setup, teardown),
                cmocka_unit_test_setup_teardown(test_export_waits_for_udev, setup, teardown),
                cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_permission_denied, setup, teardown),
                cmocka_unit_test_setup_teardown(test_safe_off, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
