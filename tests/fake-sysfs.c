/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/capability.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "fake-sysfs.h"

char *fs_mkroot(void) {
        char tmpl[] = "/tmp/chaird-linux-XXXXXX";
        char *r = mkdtemp(tmpl);
        assert_non_null(r);
        return strdup(r);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st;
        (void) flag;
        (void) ftw;
        chmod(path, 0755);
        return remove(path);
}

void fs_rmroot(char *root) {
        if (!root)
                return;
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        free(root);
}

static void mkdir_p(char *path) {
        for (char *p = path + 1; *p; p++)
                if (*p == '/') {
                        *p = 0;
                        mkdir(path, 0755);
                        *p = '/';
                }
        mkdir(path, 0755);
}

void fs_write(const char *root, const char *rel, const char *fmt, ...) {
        char path[PATH_MAX], dir[PATH_MAX];
        va_list ap;

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        snprintf(dir, sizeof(dir), "%s", path);
        char *slash = strrchr(dir, '/');
        *slash = 0;
        mkdir_p(dir);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        va_start(ap, fmt);
        vfprintf(f, fmt, ap);
        va_end(ap);
        assert_int_equal(fclose(f), 0);
}

long fs_read_long(const char *root, const char *rel) {
        char path[PATH_MAX];
        long v;

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        FILE *f = fopen(path, "re");
        if (!f)
                return -1;
        int ok = fscanf(f, "%ld", &v);
        fclose(f);
        return ok == 1 ? v : -1;
}

bool fs_read_line(const char *root, const char *rel, char *buf, unsigned len) {
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        FILE *f = fopen(path, "re");
        if (!f)
                return false;
        if (!fgets(buf, (int) len, f))
                buf[0] = 0;
        fclose(f);
        buf[strcspn(buf, "\n")] = 0;
        return true;
}

bool fs_exists(const char *root, const char *rel) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", root, rel);
        return access(path, F_OK) == 0;
}

void fs_chmod(const char *root, const char *rel, unsigned mode) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", root, rel);
        assert_int_equal(chmod(path, mode), 0);
}

void fs_pwm_chip(const char *root, int chip, int npwm) {
        char rel[128];
        snprintf(rel, sizeof(rel), "pwm/pwmchip%d/npwm", chip);
        fs_write(root, rel, "%d\n", npwm);
        snprintf(rel, sizeof(rel), "pwm/pwmchip%d/export", chip);
        fs_write(root, rel, "%s", "");
        snprintf(rel, sizeof(rel), "pwm/pwmchip%d/unexport", chip);
        fs_write(root, rel, "%s", "");
}

void fs_pwm_channel(const char *root, int chip, int channel) {
        static const char *const files[][2] = {
                { "period", "0\n" }, { "duty_cycle", "0\n" }, { "polarity", "normal\n" }, { "enable", "0\n" },
        };
        char rel[128];
        for (unsigned i = 0; i < 4; i++) {
                snprintf(rel, sizeof(rel), "pwm/pwmchip%d/pwm%d/%s", chip, channel, files[i][0]);
                fs_write(root, rel, "%s", files[i][1]);
        }
}

void fs_iio_channel(const char *root, int dev, int channel, long raw, double scale) {
        char rel[128];
        snprintf(rel, sizeof(rel), "iio/iio:device%d/in_voltage%d_raw", dev, channel);
        fs_write(root, rel, "%ld\n", raw);
        if (scale > 0) {
                snprintf(rel, sizeof(rel), "iio/iio:device%d/in_voltage%d_scale", dev, channel);
                fs_write(root, rel, "%.9f\n", scale);
        }
}

bool fs_dac(bool enable) {
        struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
        struct __user_cap_data_struct data[2];

        if (geteuid() != 0)
                return !enable;    /* an ordinary user is always subject to modes */
        memset(data, 0, sizeof(data));
        if (syscall(SYS_capget, &hdr, data) < 0)
                return false;
        uint32_t bits = (1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH);
        if (enable)
                data[0].effective |= bits & data[0].permitted;
        else
                data[0].effective &= ~bits;
        if (syscall(SYS_capset, &hdr, data) < 0)
                return false;
        return !enable;
}

void fs_config_init(struct chair_config *cfg, const char *root, const char *dev_dir) {
        static char pwm[PATH_MAX], iio[PATH_MAX], dev[PATH_MAX];

        memset(cfg, 0, sizeof(*cfg));
        snprintf(pwm, sizeof(pwm), "%s/pwm", root);
        snprintf(iio, sizeof(iio), "%s/iio", root);
        snprintf(dev, sizeof(dev), "%s", dev_dir ? dev_dir : "/dev");
        cfg->path = (char *) "test.yaml";
        cfg->control.rate_hz = 500;
        cfg->hardware.backend = CHAIR_BACKEND_LINUX;
        cfg->hardware.pwm_sysfs = pwm;
        cfg->hardware.iio_sysfs = iio;
        cfg->hardware.gpio_dev_dir = dev;
        for (int i = 0; i < _CHAIR_ACT_COUNT; i++) {
                cfg->hardware.outputs[i].max = 1.0f;
                cfg->hardware.outputs[i].pwm.max_duty = 1.0f;
                cfg->hardware.outputs[i].pwm.period_ns = 50000;
                cfg->hardware.outputs[i].dir.offset = -1;
                cfg->hardware.outputs[i].gpio.offset = -1;
        }
}
