/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A fake sysfs tree in a temporary directory for the linux backend's tests
 * (PWM and IIO), plus the few privileged tricks those tests need.
 * Helpers abort the test (cmocka fail) on setup errors.
 */

#include <stdbool.h>

struct chair_config;

/* mkdtemp() a root; returns a malloc'd path. */
char *fs_mkroot(void);
/* rm -rf root and free it. */
void fs_rmroot(char *root);

/* Write text to root/rel (parents created), mode 0644. */
void fs_write(const char *root, const char *rel, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* First integer in root/rel, or -1 when unreadable/absent. */
long fs_read_long(const char *root, const char *rel);
/* First line of root/rel into buf (newline stripped); false when absent. */
bool fs_read_line(const char *root, const char *rel, char *buf, unsigned len);
bool fs_exists(const char *root, const char *rel);
void fs_chmod(const char *root, const char *rel, unsigned mode);

/* pwmchipN with npwm, export, unexport. */
void fs_pwm_chip(const char *root, int chip, int npwm);
/* pwmchipN/pwmM with period 0, duty_cycle 0, polarity normal, enable 0. */
void fs_pwm_channel(const char *root, int chip, int channel);
/* iio:deviceN/in_voltageM_raw (and scale when > 0). */
void fs_iio_channel(const char *root, int dev, int channel, long raw, double scale);

/*
 * Root ignores file modes (CAP_DAC_OVERRIDE).  To make "permission denied"
 * real for root too, drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the
 * effective set (they stay permitted, so fs_dac(true) restores them).
 * Returns true when permission bits now apply to this process.
 */
bool fs_dac(bool enable);

/* Zero a config and point the linux backend at root (pwm/, iio/) and dev_dir. */
void fs_config_init(struct chair_config *cfg, const char *root, const char *dev_dir);
