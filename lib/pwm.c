/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pwm.h"

enum { F_PERIOD, F_DUTY, F_POLARITY, F_ENABLE, _F_COUNT };
static const char *const file_names[_F_COUNT] = { "period", "duty_cycle", "polarity", "enable" };

struct chair_pwm {
        char chip_dir[256];
        int channel;
        int fd[_F_COUNT];
        uint32_t period_ns;
        uint64_t duty_ns;          /* last value written */
        bool enabled;              /* last value written */
        uint64_t writes;
};

/* Format without snprintf: the control thread must not depend on stdio internals. */
static size_t fmt_u64(char *buf, uint64_t v) {
        char tmp[24];
        size_t n = 0, i = 0;
        do {
                tmp[n++] = (char) ('0' + v % 10);
                v /= 10;
        } while (v);
        while (n)
                buf[i++] = tmp[--n];
        buf[i++] = '\n';
        return i;
}

/* sysfs attributes take a whole value per write at offset 0.  The newline
 * also keeps a regular file (test tree) parseable after a shorter rewrite. */
static int write_str(int fd, const char *s, size_t len) {
        ssize_t n = pwrite(fd, s, len, 0);
        if (n < 0)
                return -errno;
        return (size_t) n == len ? 0 : -EIO;
}

static int write_u64(int fd, uint64_t v) {
        char buf[24];
        return write_str(fd, buf, fmt_u64(buf, v));
}

static uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms) {
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* Check the chip, export the channel if its directory is missing. */
static int chip_and_export(const char *root, int chip, int channel, char *chip_dir, size_t cd_len,
                           char *why, size_t why_len) {
        char path[512];
        struct stat st;

        snprintf(chip_dir, cd_len, "%s/pwmchip%d", root, chip);
        if (stat(chip_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
                snprintf(why, why_len, "PWM chip %d missing: %s does not exist", chip, chip_dir);
                return -ENODEV;
        }

        /* npwm says how many channels the chip has; absent in odd trees, then trust export. */
        snprintf(path, sizeof(path), "%s/npwm", chip_dir);
        FILE *f = fopen(path, "re");
        if (f) {
                unsigned npwm;
                int ok = fscanf(f, "%u", &npwm);
                fclose(f);
                if (ok == 1 && channel >= 0 && (unsigned) channel >= npwm) {
                        snprintf(why, why_len, "PWM channel %d missing: %s has only %u channel(s)",
                                 channel, chip_dir, npwm);
                        return -ENODEV;
                }
        }

        snprintf(path, sizeof(path), "%s/pwm%d", chip_dir, channel);
        if (stat(path, &st) == 0)
                return 0;

        snprintf(path, sizeof(path), "%s/export", chip_dir);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
                int e = errno;
                snprintf(why, why_len, "PWM channel %d cannot be exported: %s: %s", channel, path, strerror(e));
                return e == ENOENT ? -ENODEV : -e;
        }
        char buf[24];
        int r = write_str(fd, buf, fmt_u64(buf, (uint64_t) channel));
        close(fd);
        if (r == -EBUSY) {
                snprintf(why, why_len, "PWM channel %d busy: writing %s was refused (claimed by a kernel driver?)",
                         channel, path);
                return r;
        }
        if (r < 0) {
                snprintf(why, why_len, "PWM channel %d cannot be exported: %s: %s", channel, path, strerror(-r));
                return r;
        }
        return 0;
}

/* Wait (bounded) until every file of the channel opens for writing: after an
 * export, udev creates the directory and then fixes owner and mode. */
static int open_files(const char *chip_dir, int channel, int fd[_F_COUNT], bool need_all, unsigned wait_ms,
                      char *why, size_t why_len) {
        char path[600];
        uint64_t deadline = now_ms() + wait_ms;

        for (int i = 0; i < _F_COUNT; i++)
                fd[i] = -1;
        for (;;) {
                int e = 0;
                for (int i = 0; i < _F_COUNT; i++) {
                        if (fd[i] >= 0)
                                continue;
                        if (!need_all && i != F_DUTY && i != F_ENABLE)
                                continue;
                        snprintf(path, sizeof(path), "%s/pwm%d/%s", chip_dir, channel, file_names[i]);
                        fd[i] = open(path, O_WRONLY | O_CLOEXEC);
                        if (fd[i] < 0) {
                                e = errno;
                                break;
                        }
                }
                if (!e)
                        return 0;
                bool transient = e == ENOENT || e == EACCES || e == EPERM;
                if (!transient || now_ms() >= deadline) {
                        if (e == ENOENT)
                                snprintf(why, why_len, "PWM channel %d missing: %s does not exist", channel, path);
                        else
                                snprintf(why, why_len, "PWM channel %d not usable: %s: %s", channel, path, strerror(e));
                        for (int i = 0; i < _F_COUNT; i++)
                                if (fd[i] >= 0) {
                                        close(fd[i]);
                                        fd[i] = -1;
                                }
                        return e == ENOENT ? -ENODEV : -e;
                }
                sleep_ms(10);
        }
}

int chair_pwm_open(const char *root, int chip, int channel, uint32_t period_ns, bool inverted,
                   unsigned wait_ms, struct chair_pwm **ret, char *why, size_t why_len) {
        char dummy[8];
        int r;

        if (!why) {
                why = dummy;
                why_len = sizeof(dummy);
        }
        why[0] = 0;
        if (chip < 0 || channel < 0 || period_ns == 0) {
                snprintf(why, why_len, "PWM chip %d channel %d period %u ns is invalid", chip, channel, period_ns);
                return -EINVAL;
        }

        struct chair_pwm *p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->channel = channel;
        p->period_ns = period_ns;
        for (int i = 0; i < _F_COUNT; i++)
                p->fd[i] = -1;

        r = chip_and_export(root ? root : "/sys/class/pwm", chip, channel, p->chip_dir, sizeof(p->chip_dir),
                            why, why_len);
        if (r < 0)
                goto fail;
        r = open_files(p->chip_dir, channel, p->fd, true, wait_ms, why, why_len);
        if (r < 0)
                goto fail;

        /* Disable before touching polarity (most drivers refuse it while running);
         * period before duty (the kernel refuses duty > period). */
        const char *step = file_names[F_ENABLE];
        r = write_str(p->fd[F_ENABLE], "0\n", 2);
        if (r >= 0) {
                step = file_names[F_PERIOD];
                r = write_u64(p->fd[F_PERIOD], period_ns);
                if (r == -EINVAL) {
                        /* A leftover duty longer than the new period: clear it, then retry. */
                        (void) write_str(p->fd[F_DUTY], "0\n", 2);
                        r = write_u64(p->fd[F_PERIOD], period_ns);
                }
        }
        if (r >= 0) {
                step = file_names[F_POLARITY];
                r = inverted ? write_str(p->fd[F_POLARITY], "inversed\n", 9)
                             : write_str(p->fd[F_POLARITY], "normal\n", 7);
        }
        if (r >= 0) {
                step = file_names[F_DUTY];
                r = write_str(p->fd[F_DUTY], "0\n", 2);
        }
        if (r >= 0) {
                step = file_names[F_ENABLE];
                r = write_str(p->fd[F_ENABLE], "1\n", 2);
        }
        if (r < 0) {
                snprintf(why, why_len, "PWM channel %d cannot be programmed: %s/pwm%d/%s: %s", channel,
                         p->chip_dir, channel, step, strerror(-r));
                goto fail;
        }
        p->writes = 5;
        p->duty_ns = 0;
        p->enabled = true;
        *ret = p;
        return 0;

fail:
        for (int i = 0; i < _F_COUNT; i++)
                if (p->fd[i] >= 0)
                        close(p->fd[i]);
        free(p);
        return r;
}

int chair_pwm_set(struct chair_pwm *p, float duty) {
        if (!(duty > 0.0f))        /* also catches NaN: no drive on garbage */
                duty = 0.0f;
        if (duty > 1.0f)
                duty = 1.0f;
        uint64_t ns = (uint64_t) ((double) duty * p->period_ns + 0.5);
        if (ns > p->period_ns)
                ns = p->period_ns;

        if (ns != p->duty_ns) {
                int r = write_u64(p->fd[F_DUTY], ns);
                if (r < 0)
                        return r;
                p->duty_ns = ns;
                p->writes++;
        }
        if (!p->enabled && ns > 0) {
                int r = write_str(p->fd[F_ENABLE], "1\n", 2);
                if (r < 0)
                        return r;
                p->enabled = true;
                p->writes++;
        }
        return 0;
}

int chair_pwm_off(struct chair_pwm *p, bool force) {
        int r = 0, k;

        if (force || p->duty_ns != 0) {
                k = write_str(p->fd[F_DUTY], "0\n", 2);
                if (k < 0)
                        r = k;
                else {
                        p->duty_ns = 0;
                        p->writes++;
                }
        }
        if (force || p->enabled) {
                k = write_str(p->fd[F_ENABLE], "0\n", 2);
                if (k < 0) {
                        if (r == 0)
                                r = k;
                } else {
                        p->enabled = false;
                        p->writes++;
                }
        }
        return r;
}

struct chair_pwm *chair_pwm_free(struct chair_pwm *p) {
        char path[300];

        if (!p)
                return NULL;
        (void) chair_pwm_off(p, false);
        for (int i = 0; i < _F_COUNT; i++)
                if (p->fd[i] >= 0)
                        close(p->fd[i]);
        snprintf(path, sizeof(path), "%s/unexport", p->chip_dir);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
                char buf[24];
                (void) write_str(fd, buf, fmt_u64(buf, (uint64_t) p->channel));
                close(fd);
        }
        free(p);
        return NULL;
}

uint64_t chair_pwm_writes(const struct chair_pwm *p) {
        return p->writes;
}

uint32_t chair_pwm_period_ns(const struct chair_pwm *p) {
        return p->period_ns;
}

int chair_pwm_safe_off(const char *root, int chip, int channel, unsigned wait_ms, char *why, size_t why_len) {
        char chip_dir[256], dummy[8];
        int fd[_F_COUNT];

        if (!why) {
                why = dummy;
                why_len = sizeof(dummy);
        }
        why[0] = 0;
        int r = chip_and_export(root ? root : "/sys/class/pwm", chip, channel, chip_dir, sizeof(chip_dir),
                                why, why_len);
        if (r < 0)
                return r;
        r = open_files(chip_dir, channel, fd, false, wait_ms, why, why_len);
        if (r < 0)
                return r;
        /* Disable first: that alone stops the drive; duty 0 covers drivers
         * that ignore enable while a consumer holds the channel. */
        int a = write_str(fd[F_ENABLE], "0\n", 2);
        int b = write_str(fd[F_DUTY], "0\n", 2);
        close(fd[F_ENABLE]);
        close(fd[F_DUTY]);
        if (a < 0) {
                snprintf(why, why_len, "PWM channel %d cannot be disabled: %s/pwm%d/enable: %s", channel, chip_dir,
                         channel, strerror(-a));
                return a;
        }
        if (b < 0) {
                /* period 0 (never programmed) refuses nothing, but a driver may refuse duty writes. */
                snprintf(why, why_len, "PWM channel %d duty cannot be cleared: %s/pwm%d/duty_cycle: %s", channel,
                         chip_dir, channel, strerror(-b));
                return b;
        }
        return 0;
}
