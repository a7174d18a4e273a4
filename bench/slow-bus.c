/* SPDX-License-Identifier: MIT */
/*
 * slow-bus: the control loop on the linux backend while every sysfs PWM write
 * and IIO read takes as long as it would on a busy I²C or SPI bus (design C2,
 * docs/performance.md "A slow bus").
 *
 *   slow-bus [--delay-us N] [--seconds S] [--rate HZ] [--priority P]
 *
 * It builds a fake sysfs tree (3 PWM channels: tap, heater, pump; 5 IIO
 * channels: the heater NTC at 10 Hz, four airbag pressures at 10 Hz), runs
 * the daemon's real control thread (lib/rtloop.c) over the real linux backend
 * with its output and input threads, and delays every pread()/pwrite() by N µs
 * (link-time wrapped).  The outputs change on every tick, as in a session (a
 * thin HAL decorator varies them: the idle control step would write nothing),
 * so the output thread always has work.  It prints one JSON line: ticks, missed
 * periods, late ticks, the wake-up latency histogram's p50/p99/max, and how
 * many bus transfers the I/O threads did.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "errors.h"
#include "hal-backend.h"
#include "hal.h"
#include "histogram.h"
#include "program-load.h"
#include "program.h"
#include "rtloop.h"

/* ---- the slow bus: pread/pwrite wrapped at link time ---- */

static _Atomic bool armed;
static uint64_t delay_ns;
static _Atomic uint64_t n_reads, n_writes;

ssize_t __real_pread64(int fd, void *buf, size_t n, off_t off);
ssize_t __real_pwrite64(int fd, const void *buf, size_t n, off_t off);
ssize_t __wrap_pread64(int fd, void *buf, size_t n, off_t off);
ssize_t __wrap_pwrite64(int fd, const void *buf, size_t n, off_t off);

static void bus_wait(void) {
        if (!delay_ns)
                return;
        struct timespec ts = { (time_t) (delay_ns / 1000000000ULL), (long) (delay_ns % 1000000000ULL) };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

ssize_t __wrap_pread64(int fd, void *buf, size_t n, off_t off) {
        if (atomic_load(&armed)) {
                atomic_fetch_add(&n_reads, 1);
                bus_wait();
        }
        return __real_pread64(fd, buf, n, off);
}

ssize_t __wrap_pwrite64(int fd, const void *buf, size_t n, off_t off) {
        if (atomic_load(&armed)) {
                atomic_fetch_add(&n_writes, 1);
                bus_wait();
        }
        return __real_pwrite64(fd, buf, n, off);
}

/* ---- a HAL decorator: outputs that change every tick ---- */

struct busy_hal {
        struct chair_hal base;
        struct chair_hal *inner;
        uint64_t n;
};

static int busy_read(struct chair_hal *h, uint64_t now, struct chair_inputs *in) {
        return chair_hal_read(((struct busy_hal *) h)->inner, now, in);
}

static int busy_write(struct chair_hal *h, const struct chair_outputs *out) {
        struct busy_hal *b = (struct busy_hal *) h;
        struct chair_outputs o = *out;
        b->n++;
        /* A new duty on every tick for each channel (a ramp, no libm on the tick). */
        o.v[CHAIR_ACT_TAP] = (float) (b->n % 97) / 97.0f;
        o.v[CHAIR_ACT_HEATER] = (float) (b->n % 89) / 89.0f;
        o.v[CHAIR_ACT_PUMP] = (float) (b->n % 83) / 83.0f;
        return chair_hal_write(b->inner, &o);
}

static int busy_safe(struct chair_hal *h) {
        return chair_hal_safe(((struct busy_hal *) h)->inner);
}

static void busy_destroy(struct chair_hal *h) {
        (void) h;   /* the inner HAL is freed by main() */
}

static uint32_t busy_take_cut(struct chair_hal *h) {
        return chair_hal_take_cut(((struct busy_hal *) h)->inner);
}

static const struct chair_hal_ops busy_ops = {
        .name = "busy", .read = busy_read, .write = busy_write, .safe = busy_safe,
        .destroy = busy_destroy, .take_cut = busy_take_cut,
};

/* ---- the fake sysfs tree ---- */

static void put(const char *dir, const char *name, const char *text) {
        char p[4096];
        snprintf(p, sizeof(p), "%s/%s", dir, name);
        FILE *f = fopen(p, "we");
        if (!f) {
                perror(p);
                exit(1);
        }
        fputs(text, f);
        fclose(f);
}

static void mkdirs(const char *p) {
        char tmp[4096];
        snprintf(tmp, sizeof(tmp), "%s", p);
        for (char *s = tmp + 1; *s; s++)
                if (*s == '/') {
                        *s = 0;
                        mkdir(tmp, 0755);
                        *s = '/';
                }
        mkdir(tmp, 0755);
}

static void make_tree(const char *root) {
        char d[4096];
        snprintf(d, sizeof(d), "%s/pwm/pwmchip0", root);
        mkdirs(d);
        put(d, "npwm", "3\n");
        put(d, "export", "");
        put(d, "unexport", "");
        for (int ch = 0; ch < 3; ch++) {
                snprintf(d, sizeof(d), "%s/pwm/pwmchip0/pwm%d", root, ch);
                mkdirs(d);
                put(d, "period", "0\n");
                put(d, "duty_cycle", "0\n");
                put(d, "polarity", "normal\n");
                put(d, "enable", "0\n");
        }
        snprintf(d, sizeof(d), "%s/iio/iio:device0", root);
        mkdirs(d);
        for (int ch = 0; ch < 5; ch++) {
                char name[64];
                snprintf(name, sizeof(name), "in_voltage%d_raw", ch);
                put(d, name, ch == 0 ? "1650\n" : "400\n");
        }
        snprintf(d, sizeof(d), "%s/dev", root);
        mkdirs(d);
        snprintf(d, sizeof(d), "%s/programs", root);
        mkdirs(d);
}

static const char config_fmt[] =
        "chair: { id: slow-bus }\n"
        "control: { rate_hz: %u, rt_priority: %d, max_stall_ms: 50 }\n"
        "safety: { occupancy_required: false }\n"
        "hardware:\n"
        "  backend: linux\n"
        "  gpio_dev_dir: %s/dev\n"
        "  pwm_sysfs: %s/pwm\n"
        "  iio_sysfs: %s/iio\n"
        "  outputs:\n"
        "    tap: { pwm: { chip: 0, channel: 0, period_ns: 1000000 } }\n"
        "    heater: { pwm: { chip: 0, channel: 1, period_ns: 1000000 } }\n"
        "    pump: { pwm: { chip: 0, channel: 2, period_ns: 1000000 } }\n"
        "  inputs:\n"
        "    heater_temp: { device: 0, channel: 0, rate_hz: 10 }\n"
        "    pressure:\n"
        "      lumbar-left:  { device: 0, channel: 1, rate_hz: 10 }\n"
        "      lumbar-right: { device: 0, channel: 2, rate_hz: 10 }\n"
        "      seat:         { device: 0, channel: 3, rate_hz: 10 }\n"
        "      calves:       { device: 0, channel: 4, rate_hz: 10 }\n"
        "programs: [programs]\n";

static void print_errors(const struct chair_errors *errs) {
        for (size_t i = 0; i < errs->n; i++)
                fprintf(stderr, "%s:%u:%u: %s: %s\n", errs->v[i].file ? errs->v[i].file : "?", errs->v[i].line,
                        errs->v[i].column, errs->v[i].path ? errs->v[i].path : "",
                        errs->v[i].message ? errs->v[i].message : "");
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "delay-us", required_argument, NULL, 'd' },
                { "seconds", required_argument, NULL, 's' },
                { "rate", required_argument, NULL, 'r' },
                { "priority", required_argument, NULL, 'p' },
                { 0 },
        };
        double seconds = 10;
        unsigned rate = 500;
        int prio = 80, c;
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'd': delay_ns = strtoull(optarg, NULL, 10) * 1000ULL; break;
                case 's': seconds = strtod(optarg, NULL); break;
                case 'r': rate = (unsigned) strtoul(optarg, NULL, 10); break;
                case 'p': prio = atoi(optarg); break;
                default:
                        fprintf(stderr, "usage: slow-bus [--delay-us N] [--seconds S] [--rate HZ] [--priority P]\n");
                        return 1;
                }

        char root[] = "/tmp/chaird-slow-bus-XXXXXX";
        if (!mkdtemp(root)) {
                perror("mkdtemp");
                return 1;
        }
        make_tree(root);
        char cfg_path[4096], text[4096];
        snprintf(cfg_path, sizeof(cfg_path), "%s/chaird.yaml", root);
        snprintf(text, sizeof(text), config_fmt, rate, prio, root, root, root);
        put(root, "chaird.yaml", text);

        struct chair_errors errs = { 0 };
        struct chair_config *cfg = NULL;
        struct chair_programs *progs = NULL;
        struct chair_hal *hal = NULL;
        struct chair_ctl *ctl = NULL;
        struct chair_rt *rt = NULL;
        int r = chair_config_load(cfg_path, &errs, &cfg);
        if (r >= 0)
                r = chair_programs_load(cfg, &errs, &progs);
        if (r < 0) {
                print_errors(&errs);
                fprintf(stderr, "slow-bus: config: %s\n", strerror(-r));
                return 1;
        }
        r = chair_hal_new(cfg, &hal);
        if (r < 0) {
                fprintf(stderr, "slow-bus: linux backend on the fake tree: %s\n", strerror(-r));
                return 1;
        }
        struct busy_hal busy = { .base = { .ops = &busy_ops, .cfg = cfg }, .inner = hal };
        r = chair_ctl_new(cfg, progs, &ctl);
        struct chair_rt_options o;
        chair_rt_options_from_config(cfg, &o);
        if (r >= 0)
                r = chair_rt_new(cfg, &busy.base, ctl, &o, &rt);
        if (r < 0) {
                fprintf(stderr, "slow-bus: %s\n", strerror(-r));
                return 1;
        }

        atomic_store(&armed, true);
        r = chair_rt_start(rt);
        if (r < 0) {
                fprintf(stderr, "slow-bus: control thread: %s\n", strerror(-r));
                return 1;
        }
        struct chair_rt_info info;
        chair_rt_info(rt, &info);
        struct timespec ts = { (time_t) seconds, (long) ((seconds - floor(seconds)) * 1e9) };
        nanosleep(&ts, NULL);
        chair_rt_stop(rt);
        atomic_store(&armed, false);

        struct chair_rt_stats s;
        chair_rt_stats(rt, &s);
        struct chair_hist *copy = NULL;
        struct chair_hist_summary sum = { 0 };
        if (chair_hist_new(10000, &copy) >= 0) {
                chair_hist_copy(copy, chair_rt_latency(rt));
                chair_hist_summarize(copy, &sum);
        }
        printf("{\"delay_us\":%llu,\"rate_hz\":%u,\"policy\":\"%s\",\"seconds\":%g,\"ticks\":%llu,\"missed\":%llu,"
               "\"late_ticks\":%llu,\"overruns\":%llu,\"p50_us\":%u,\"p99_us\":%u,\"max_us\":%u,"
               "\"max_stale_us\":%u,\"pwm_writes\":%llu,\"iio_reads\":%llu}\n",
               (unsigned long long) (delay_ns / 1000), rate, info.policy == 0 ? "SCHED_OTHER" : "SCHED_FIFO",
               seconds, (unsigned long long) s.ticks, (unsigned long long) s.missed,
               (unsigned long long) s.late_ticks, (unsigned long long) s.overruns, sum.p50_us, sum.p99_us,
               sum.max_us, s.max_stale_us, (unsigned long long) atomic_load(&n_writes),
               (unsigned long long) atomic_load(&n_reads));

        chair_hist_free(copy);
        chair_rt_free(rt);
        chair_ctl_free(ctl);
        chair_hal_free(hal);
        chair_programs_free(progs);
        chair_config_free(cfg);
        char cmd[4200];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        if (system(cmd) != 0)
                fprintf(stderr, "slow-bus: could not remove %s\n", root);
        return 0;
}
