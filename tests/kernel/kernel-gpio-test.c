/* SPDX-License-Identifier: MIT */
/*
 * kernel-gpio-test: the linux backend, the real control step and the daemon
 * against a real kernel's GPIO character device, gpio-sim and the IIO dummy
 * device.  Runs inside the qemu VM that tests/kernel/run.sh boots (or on any
 * kernel with gpio-sim, configfs and iio_dummy, as root).
 *
 *   kernel-gpio-test --config FILE [--example FILE] [--chaird PATH] [--tag TAG]
 *                    [--miswire output-active-low=ACTUATOR | --miswire input-line=INPUT:LINENAME]
 *
 * It builds a test bench through configfs that mirrors the Raspberry Pi
 * example: gpio-sim chips labelled "pinctrl-bcm2711" (58 lines named like a
 * Pi 4's) and "mcp23017" (16 lines), an IIO dummy device, and a fake sysfs
 * PWM tree (the kernel has no PWM simulator).  Its own table of the chair's
 * wiring (docs/hardware.md) says which physical line each signal is on and
 * which level means what; it never asks the config under test, so a config
 * wired wrong (an output's active-low flag, an input on the wrong line) fails.
 * --miswire applies such a fault to the loaded config on purpose: the run
 * must then fail (tests/kernel/init counts that as a pass).
 *
 * Prints one "PASS TAG/CHECK" or "FAIL TAG/CHECK: why" line per check; exits
 * 0 when all passed, 1 when any failed, 77 when the kernel lacks gpio-sim or
 * configfs.  No check asserts a wall-clock time: the control step ticks in
 * real time at the config's rate (later when the VM is slower; the step is
 * given the real time of each tick), and waits for the daemon have generous
 * timeouts that only guard against hangs.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "command.h"
#include "config.h"
#include "control.h"
#include "errors.h"
#include "hal-linux.h"
#include "hal.h"
#include "program.h"
#include "program-load.h"

#define CONFIGFS "/sys/kernel/config"
#define GPIO_SIM CONFIGFS "/gpio-sim"
#define IIO_DUMMY CONFIGFS "/iio/devices/dummy"
#define IIO_NAME "chaird-adc"

/* ---- checks ------------------------------------------------------------------------------ */

static const char *tag = "kernel";
static unsigned n_pass, n_fail;

static bool check(bool ok, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool check(bool ok, const char *name, const char *fmt, ...) {
        if (ok) {
                printf("PASS %s/%s\n", tag, name);
                n_pass++;
        } else {
                va_list ap;
                printf("FAIL %s/%s: ", tag, name);
                va_start(ap, fmt);
                vprintf(fmt, ap);
                va_end(ap);
                printf("\n");
                n_fail++;
        }
        fflush(stdout);
        return ok;
}

/* ---- small file helpers ------------------------------------------------------------------- */

static int write_file(const char *path, const char *s) {
        int fd = open(path, O_WRONLY | O_CLOEXEC | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
                return -errno;
        size_t n = strlen(s);
        int r = write(fd, s, n) == (ssize_t) n ? 0 : -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        return r;
}

static int read_word(const char *path, char *buf, size_t len) {
        FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        if (!fgets(buf, (int) len, f))
                buf[0] = 0;
        fclose(f);
        buf[strcspn(buf, "\n")] = 0;
        return 0;
}

static long read_long(const char *path) {
        char buf[64];
        if (read_word(path, buf, sizeof(buf)) < 0 || !buf[0])
                return -1;
        return strtol(buf, NULL, 10);
}

static void mkdir_p(const char *path) {
        char p[PATH_MAX];
        snprintf(p, sizeof(p), "%s", path);
        for (char *s = p + 1; *s; s++)
                if (*s == '/') {
                        *s = 0;
                        mkdir(p, 0755);
                        *s = '/';
                }
        mkdir(p, 0755);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st;
        (void) flag;
        (void) ftw;
        return remove(path);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...) {
        va_list ap;
        printf("FAIL %s/setup: ", tag);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        exit(1);
}

static void sleep_ns(uint64_t ns) {
        struct timespec ts = { .tv_sec = (time_t) (ns / 1000000000u), .tv_nsec = (long) (ns % 1000000000u) };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* ---- the bench: gpio-sim chips and the IIO dummy, made through configfs --------------------- */

enum { BCM, MCP, _CHIP_COUNT };

static struct sim_chip {
        const char *dir;           /* under GPIO_SIM */
        const char *label;
        unsigned n_lines;
        char dev_name[64], chip_name[64];
} chips[_CHIP_COUNT] = {
        [BCM] = { "chaird-bcm2711", "pinctrl-bcm2711", 58, "", "" },
        [MCP] = { "chaird-mcp23017", "mcp23017", 16, "", "" },
};

/* The names a Pi 4 gives its header lines (the rest stay unnamed here). */
static void pi_line_name(unsigned off, char *buf, size_t len) {
        if (off == 0)
                snprintf(buf, len, "ID_SDA");
        else if (off == 1)
                snprintf(buf, len, "ID_SCL");
        else if (off <= 27)
                snprintf(buf, len, "GPIO%u", off);
        else
                buf[0] = 0;
}

static void bench_down(void) {
        char path[PATH_MAX];
        for (int c = 0; c < _CHIP_COUNT; c++) {
                snprintf(path, sizeof(path), "%s/%s", GPIO_SIM, chips[c].dir);
                if (access(path, F_OK) < 0)
                        continue;
                snprintf(path, sizeof(path), "%s/%s/live", GPIO_SIM, chips[c].dir);
                write_file(path, "0");
                for (unsigned l = 0; l < chips[c].n_lines; l++) {
                        snprintf(path, sizeof(path), "%s/%s/bank0/line%u", GPIO_SIM, chips[c].dir, l);
                        rmdir(path);
                }
                snprintf(path, sizeof(path), "%s/%s/bank0", GPIO_SIM, chips[c].dir);
                rmdir(path);
                snprintf(path, sizeof(path), "%s/%s", GPIO_SIM, chips[c].dir);
                rmdir(path);
        }
        rmdir(IIO_DUMMY "/" IIO_NAME);
}

/* 0, or 77 with the reason printed when the kernel cannot make the bench. */
static int bench_up(void) {
        char path[PATH_MAX], name[32];
        struct stat st;

        if (stat(GPIO_SIM, &st) < 0) {
                printf("SKIP %s: %s missing: a kernel with CONFIG_GPIO_SIM and configfs mounted on %s is needed\n",
                       tag, GPIO_SIM, CONFIGFS);
                return 77;
        }
        if (stat(IIO_DUMMY, &st) < 0) {
                printf("SKIP %s: %s missing: a kernel with CONFIG_IIO_SIMPLE_DUMMY and CONFIG_IIO_CONFIGFS is needed\n",
                       tag, IIO_DUMMY);
                return 77;
        }
        bench_down();              /* what an interrupted earlier run left */
        for (int c = 0; c < _CHIP_COUNT; c++) {
                char n[16];
                snprintf(path, sizeof(path), "%s/%s", GPIO_SIM, chips[c].dir);
                if (mkdir(path, 0755) < 0)
                        die("mkdir %s: %s", path, strerror(errno));
                snprintf(path, sizeof(path), "%s/%s/bank0", GPIO_SIM, chips[c].dir);
                if (mkdir(path, 0755) < 0)
                        die("mkdir %s: %s", path, strerror(errno));
                snprintf(path, sizeof(path), "%s/%s/bank0/label", GPIO_SIM, chips[c].dir);
                if (write_file(path, chips[c].label) < 0)
                        die("cannot write %s", path);
                snprintf(path, sizeof(path), "%s/%s/bank0/num_lines", GPIO_SIM, chips[c].dir);
                snprintf(n, sizeof(n), "%u", chips[c].n_lines);
                if (write_file(path, n) < 0)
                        die("cannot write %s", path);
                for (unsigned l = 0; c == BCM && l < chips[c].n_lines; l++) {
                        pi_line_name(l, name, sizeof(name));
                        if (!name[0])
                                continue;
                        snprintf(path, sizeof(path), "%s/%s/bank0/line%u", GPIO_SIM, chips[c].dir, l);
                        if (mkdir(path, 0755) < 0)
                                die("mkdir %s: %s", path, strerror(errno));
                        snprintf(path, sizeof(path), "%s/%s/bank0/line%u/name", GPIO_SIM, chips[c].dir, l);
                        if (write_file(path, name) < 0)
                                die("cannot write %s", path);
                }
                snprintf(path, sizeof(path), "%s/%s/live", GPIO_SIM, chips[c].dir);
                int r = write_file(path, "1");
                if (r < 0)
                        die("cannot bring %s live: %s", chips[c].dir, strerror(-r));
                snprintf(path, sizeof(path), "%s/%s/dev_name", GPIO_SIM, chips[c].dir);
                read_word(path, chips[c].dev_name, sizeof(chips[c].dev_name));
                snprintf(path, sizeof(path), "%s/%s/bank0/chip_name", GPIO_SIM, chips[c].dir);
                read_word(path, chips[c].chip_name, sizeof(chips[c].chip_name));
                if (!chips[c].dev_name[0] || !chips[c].chip_name[0])
                        die("gpio-sim %s is live but has no dev_name/chip_name", chips[c].dir);
        }
        if (mkdir(IIO_DUMMY "/" IIO_NAME, 0755) < 0)
                die("mkdir %s: %s", IIO_DUMMY "/" IIO_NAME, strerror(errno));
        return 0;
}

static void sim_path(int c, unsigned off, const char *attr, char *buf, size_t len) {
        snprintf(buf, len, "/sys/devices/platform/%s/%s/sim_gpio%u/%s", chips[c].dev_name, chips[c].chip_name, off,
                 attr);
}

/* What the outside world puts on a line: gpio-sim's pull. */
static void line_pull(int c, unsigned off, int level) {
        char path[PATH_MAX];
        sim_path(c, off, "pull", path, sizeof(path));
        int r = write_file(path, level ? "pull-up" : "pull-down");
        if (r < 0)
                die("cannot write %s: %s", path, strerror(-r));
}

/* The level on a line: what its requester drives, or its pull when it is free. */
static int line_level(int c, unsigned off) {
        char path[PATH_MAX];
        sim_path(c, off, "value", path, sizeof(path));
        return (int) read_long(path);
}

/* ---- the chair's wiring, from docs/hardware.md (independent of the config under test) ------ */

struct wired_out {
        enum chair_actuator act;
        bool dir;                  /* the direction line of a motor (else the switch line) */
        int chip;
        unsigned off;
};

/* Every GPIO output is active-high on the reference chair: a direction line
 * high = reverse (the H-bridge's DIR), a valve line high = energised (ULN2803);
 * every safe level is low. */
static const struct wired_out wired_outs[] = {
        { CHAIR_ACT_CARRIAGE, true, BCM, 5 },
        { CHAIR_ACT_KNEAD, true, BCM, 6 },
        { CHAIR_ACT_DEPTH, true, BCM, 16 },
        { CHAIR_ACT_BACKREST, true, BCM, 20 },
        { CHAIR_ACT_LEGREST, true, BCM, 21 },
        { CHAIR_ACT_VALVE_LUMBAR_LEFT, false, MCP, 0 },
        { CHAIR_ACT_VALVE_LUMBAR_RIGHT, false, MCP, 1 },
        { CHAIR_ACT_VALVE_SEAT, false, MCP, 2 },
        { CHAIR_ACT_VALVE_CALVES, false, MCP, 3 },
};
#define N_OUTS (sizeof(wired_outs) / sizeof(wired_outs[0]))

/* The level the wiring needs for logical value v (hal.h's mapping). */
static int wired_level(const struct wired_out *w, float v) {
        return w->dir ? v < 0 : v >= 0.5f;
}

static const char *wired_out_name(const struct wired_out *w) {
        return chair_actuator_name(w->act);
}

struct wired_in {
        const char *name;          /* the config key under hardware.inputs */
        unsigned off;              /* on the BCM chip */
        bool active_high;
        int idle;                  /* level with a seated occupant, nothing pressed or reached */
        size_t field;              /* offsetof(struct chair_inputs, ...) */
};

static const struct wired_in wired_ins[] = {
        { "estop", 4, true, 0, offsetof(struct chair_inputs, estop) },                 /* NC to GND, pull-up */
        { "occupancy", 17, false, 0, offsetof(struct chair_inputs, occupied) },        /* seat switch to GND */
        { "obstacle", 27, false, 1, offsetof(struct chair_inputs, obstacle) },         /* safety edge to GND */
        { "carriage_home", 19, true, 0, offsetof(struct chair_inputs, carriage_home) },
        { "carriage_end", 26, true, 0, offsetof(struct chair_inputs, carriage_end) },
        { "backrest_min", 22, true, 0, offsetof(struct chair_inputs, backrest_min) },
        { "backrest_max", 23, true, 0, offsetof(struct chair_inputs, backrest_max) },
        { "legrest_min", 24, true, 0, offsetof(struct chair_inputs, legrest_min) },
        { "legrest_max", 25, true, 0, offsetof(struct chair_inputs, legrest_max) },
};
#define N_INS (sizeof(wired_ins) / sizeof(wired_ins[0]))
#define ENCODER_OFF 18u
#define W_ESTOP 0
#define W_OCCUPANCY 1
#define W_HOME 3
#define W_END 4

static bool in_field(const struct chair_inputs *in, const struct wired_in *w) {
        return *(const bool *) ((const char *) in + w->field);
}

/* The wiring as the outside world sees it while idle: inputs at their idle
 * levels, and every output's pull at its UNSAFE level, so that a line nobody
 * drives reads unsafe and a safe reading proves the driver. */
static void wiring_idle(void) {
        for (size_t i = 0; i < N_INS; i++)
                line_pull(BCM, wired_ins[i].off, wired_ins[i].idle);
        line_pull(BCM, ENCODER_OFF, 0);
        for (size_t i = 0; i < N_OUTS; i++)
                line_pull(wired_outs[i].chip, wired_outs[i].off, 1);
}

/* Every wired output line at the level the logical outputs o ask for; the
 * first mismatch is described in why. */
static bool outputs_match(const struct chair_outputs *o, char *why, size_t len) {
        for (size_t i = 0; i < N_OUTS; i++) {
                const struct wired_out *w = &wired_outs[i];
                int want = wired_level(w, o->v[w->act]);
                int got = line_level(w->chip, w->off);
                if (got != want) {
                        snprintf(why, len, "%s %s line (%s:%u) reads %d, the wiring needs %d for %.2f",
                                 wired_out_name(w), w->dir ? "dir" : "switch", chips[w->chip].label, w->off, got, want,
                                 (double) o->v[w->act]);
                        return false;
                }
        }
        return true;
}

/* ---- the fake sysfs PWM tree -------------------------------------------------------------- */

static const char *pwm_root;

static void pwm_tree(const struct chair_config *cfg) {
        char path[PATH_MAX];
        pwm_root = cfg->hardware.pwm_sysfs;
        nftw(pwm_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        for (int i = 0; i < _CHAIR_ACT_COUNT; i++) {
                const struct chair_pwm_binding *p = &cfg->hardware.outputs[i].pwm;
                if (!cfg->hardware.outputs[i].present || !p->set)
                        continue;
                static const char *const files[][2] = {
                        { "period", "0\n" }, { "duty_cycle", "0\n" }, { "polarity", "normal\n" }, { "enable", "0\n" },
                };
                snprintf(path, sizeof(path), "%s/pwmchip%d/pwm%d", pwm_root, p->chip, p->channel);
                mkdir_p(path);
                for (int f = 0; f < 4; f++) {
                        snprintf(path, sizeof(path), "%s/pwmchip%d/pwm%d/%s", pwm_root, p->chip, p->channel,
                                 files[f][0]);
                        write_file(path, files[f][1]);
                }
                snprintf(path, sizeof(path), "%s/pwmchip%d/npwm", pwm_root, p->chip);
                write_file(path, "16\n");
                snprintf(path, sizeof(path), "%s/pwmchip%d/export", pwm_root, p->chip);
                write_file(path, "");
                snprintf(path, sizeof(path), "%s/pwmchip%d/unexport", pwm_root, p->chip);
                write_file(path, "");
        }
}

static long pwm_file(const struct chair_pwm_binding *p, const char *file) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/pwmchip%d/pwm%d/%s", pwm_root, p->chip, p->channel, file);
        return read_long(path);
}

/* Duty fraction a PWM channel puts out (0 while disabled). */
static double pwm_out(const struct chair_pwm_binding *p) {
        long period = pwm_file(p, "period"), duty = pwm_file(p, "duty_cycle");
        if (pwm_file(p, "enable") != 1 || period <= 0 || duty <= 0)
                return 0;
        return (double) duty / (double) period;
}

/* Every configured PWM channel puts out nothing. */
static bool pwm_all_off(const struct chair_config *cfg, char *why, size_t len) {
        for (int i = 0; i < _CHAIR_ACT_COUNT; i++) {
                const struct chair_pwm_binding *p = &cfg->hardware.outputs[i].pwm;
                if (cfg->hardware.outputs[i].present && p->set && pwm_out(p) != 0) {
                        snprintf(why, len, "%s PWM (pwmchip%d/pwm%d) still at duty %.2f", chair_actuator_name(i),
                                 p->chip, p->channel, pwm_out(p));
                        return false;
                }
        }
        return true;
}

/* The backend applies outputs on its own output thread (design C2), so a
 * line gets there a little after chair_hal_write() returns: allow it up to
 * SETTLE_PERIODS control periods (20 ms at 500 Hz, inside the output
 * dead-man's limit) before calling a mismatch, posting them again meanwhile
 * as the ticks would.  pwm_off: also every PWM
 * channel off. */
#define SETTLE_PERIODS 10
static uint64_t period_ns;

static bool settle(struct chair_hal *h, const struct chair_config *cfg, const struct chair_outputs *o, bool pwm_off,
                   char *why, size_t len) {
        for (int k = 0; k < SETTLE_PERIODS; k++) {
                sleep_ns(period_ns);
                /* Fed again as a tick would, or the dead-man cuts them. */
                chair_hal_write(h, o);
                if (outputs_match(o, why, len) && (!pwm_off || pwm_all_off(cfg, why, len)))
                        return true;
        }
        return false;
}

/* ---- the config: mirror of the example, deliberate faults ------------------------------------ */

static bool binding_eq(const struct chair_gpio_binding *a, const struct chair_gpio_binding *b) {
        if (a->set != b->set)
                return false;
        if (!a->set)
                return true;
        return a->offset == b->offset && a->active_low == b->active_low && a->debounce_ms == b->debounce_ms &&
               !strcmp(a->chip ? a->chip : "", b->chip ? b->chip : "") &&
               !strcmp(a->name ? a->name : "", b->name ? b->name : "");
}

static struct chair_gpio_binding *input_binding(struct chair_config *cfg, const char *name) {
        struct chair_input_config *i = &cfg->hardware.inputs;
        struct { const char *n; struct chair_gpio_binding *b; } t[] = {
                { "estop", &i->estop }, { "occupancy", &i->occupancy }, { "obstacle", &i->obstacle },
                { "encoder", &i->encoder }, { "carriage_home", &i->carriage_home },
                { "carriage_end", &i->carriage_end }, { "backrest_min", &i->backrest_min },
                { "backrest_max", &i->backrest_max }, { "legrest_min", &i->legrest_min },
                { "legrest_max", &i->legrest_max },
        };
        for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++)
                if (!strcmp(t[k].n, name))
                        return t[k].b;
        return NULL;
}

static void check_mirror(struct chair_config *cfg, const char *example) {
        struct chair_errors errs = { 0 };
        struct chair_config *ex = NULL;
        if (chair_config_load(example, &errs, &ex) < 0) {
                chair_errors_print(&errs, stdout);
                check(false, "config-mirrors-example", "cannot load %s", example);
                chair_errors_clear(&errs);
                return;
        }
        const char *bad = NULL;
        for (int i = 0; i < _CHAIR_ACT_COUNT && !bad; i++) {
                const struct chair_output_config *a = &cfg->hardware.outputs[i], *b = &ex->hardware.outputs[i];
                if (a->present != b->present || !binding_eq(&a->dir, &b->dir) || !binding_eq(&a->gpio, &b->gpio) ||
                    a->safe != b->safe || a->pwm.chip != b->pwm.chip || a->pwm.channel != b->pwm.channel)
                        bad = chair_actuator_name(i);
        }
        for (size_t k = 0; k < N_INS && !bad; k++)
                if (!binding_eq(input_binding(cfg, wired_ins[k].name), input_binding(ex, wired_ins[k].name)))
                        bad = wired_ins[k].name;
        if (!bad && !binding_eq(&cfg->hardware.inputs.encoder, &ex->hardware.inputs.encoder))
                bad = "encoder";
        check(!bad, "config-mirrors-example", "%s is bound differently from %s", bad, example);
        chair_config_free(ex);
}

/* --miswire: the faults the test must catch. */
static void miswire(struct chair_config *cfg, const char *spec) {
        char buf[128];
        snprintf(buf, sizeof(buf), "%s", spec);
        char *eq = strchr(buf, '=');
        if (!eq)
                die("bad --miswire %s", spec);
        *eq++ = 0;
        if (!strcmp(buf, "output-active-low")) {
                int a = chair_actuator_from_name(eq);
                if (a < 0 || !cfg->hardware.outputs[a].present)
                        die("--miswire: no output %s", eq);
                struct chair_output_config *o = &cfg->hardware.outputs[a];
                struct chair_gpio_binding *b = o->gpio.set ? &o->gpio : &o->dir;
                b->active_low = !b->active_low;
        } else if (!strcmp(buf, "input-line")) {
                char *colon = strchr(eq, ':');
                struct chair_gpio_binding *b = colon ? (*colon = 0, input_binding(cfg, eq)) : NULL;
                if (!b || !b->set)
                        die("--miswire input-line=INPUT:LINE, got %s", spec);
                free(b->name);
                free(b->chip);
                b->chip = NULL;
                b->offset = -1;
                b->name = strdup(colon + 1);
        } else
                die("unknown --miswire %s", spec);
        printf("NOTE %s: config deliberately mis-wired: %s\n", tag, spec);
}

/* ---- the HAL on its own -------------------------------------------------------------------- */

static uint64_t now_ns;

static uint64_t monotonic_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

/* On to the next tick in real time, as the daemon's loop does: sleep until
 * one period after the last tick, or, when the VM is slower than that, take
 * the time it is (no burst of catch-up ticks).  Real time, not a virtual
 * clock, so that a backend serving inputs from an I/O thread (design C2) has
 * had the time to read them and its age checks see real ages. */
static void advance(void) {
        uint64_t target = now_ns + period_ns, cur = monotonic_ns();
        if (cur < target) {
                struct timespec ts = { .tv_sec = (time_t) (target / 1000000000u),
                                       .tv_nsec = (long) (target % 1000000000u) };
                while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                        ;
                now_ns = target;
        } else
                now_ns = cur;
}

static void read_for(struct chair_hal *h, double seconds, struct chair_inputs *in) {
        uint64_t end = now_ns + (uint64_t) (seconds * 1e9);
        while (now_ns <= end) {
                chair_hal_read(h, now_ns, in);
                advance();
        }
}

static void check_outputs(struct chair_hal *h, const struct chair_config *cfg) {
        char why[256];
        struct chair_outputs safe;
        chair_outputs_safe(cfg, &safe);

        /* Pulled to the unsafe level, so only the kernel driving the request's
         * initial value makes these read safe. */
        check(outputs_match(&safe, why, sizeof(why)), "outputs-start-safe", "%s", why);

        /* One output at a time away from safe: exactly its line follows, at
         * the level the wiring needs. */
        bool ok = true;
        for (size_t i = 0; i < N_OUTS && ok; i++) {
                struct chair_outputs o = safe;
                o.v[wired_outs[i].act] = wired_outs[i].dir ? -0.5f : 1.0f;
                chair_hal_write(h, &o);
                ok = settle(h, cfg, &o, false, why, sizeof(why));
                if (ok && wired_outs[i].dir && cfg->hardware.outputs[wired_outs[i].act].pwm.set) {
                        const struct chair_output_config *oc = &cfg->hardware.outputs[wired_outs[i].act];
                        double want = 0.5 * oc->pwm.max_duty, got = pwm_out(&oc->pwm);
                        for (int k = 0; k < SETTLE_PERIODS && fabs(got - want) > 0.01; k++) {
                                sleep_ns(period_ns);
                                got = pwm_out(&oc->pwm);
                        }
                        if (fabs(got - want) > 0.01) {
                                snprintf(why, sizeof(why), "%s PWM at %.3f, want %.3f", wired_out_name(&wired_outs[i]),
                                         got, want);
                                ok = false;
                        }
                }
                chair_hal_write(h, &safe);
        }
        check(ok, "outputs-follow-wiring", "%s", why);
        check(settle(h, cfg, &safe, true, why, sizeof(why)), "outputs-back-to-safe", "%s", why);
}

static void check_inputs(struct chair_hal *h) {
        struct chair_inputs base, in;
        char why[256] = "";
        bool ok = true;

        read_for(h, 0.5, &base);
        for (size_t i = 0; i < N_INS; i++) {
                const struct wired_in *w = &wired_ins[i];
                int idle_logical = w->active_high ? w->idle : !w->idle;
                if (in_field(&base, w) != (bool) idle_logical) {
                        snprintf(why, sizeof(why), "%s reads %d at rest (line GPIO%u at %d), want %d", w->name,
                                 in_field(&base, w), w->off, w->idle, idle_logical);
                        ok = false;
                        break;
                }
        }
        check(ok, "inputs-at-rest", "%s", why);

        /* Each line in turn to its other level: exactly that input follows. */
        ok = true;
        for (size_t i = 0; i < N_INS && ok; i++) {
                const struct wired_in *w = &wired_ins[i];
                line_pull(BCM, w->off, !w->idle);
                read_for(h, 0.3, &in);     /* past every debounce of the example */
                for (size_t j = 0; j < N_INS && ok; j++) {
                        bool want = in_field(&base, &wired_ins[j]) ^ (i == j);
                        if (in_field(&in, &wired_ins[j]) != want) {
                                snprintf(why, sizeof(why), "with line GPIO%u (%s) at %d, %s reads %d, want %d", w->off,
                                         w->name, !w->idle, wired_ins[j].name, in_field(&in, &wired_ins[j]), want);
                                ok = false;
                        }
                }
                line_pull(BCM, w->off, w->idle);
                read_for(h, 0.3, &in);
        }
        check(ok, "inputs-follow-wiring", "%s", why);

        /* Encoder: every edge on GPIO18 is a pulse.  Read between bursts of four
         * so the kernel's event queue (16 per line) never overflows. */
        chair_hal_read(h, now_ns, &in);
        uint32_t before = in.encoder_pulses;
        int level = 0;
        for (int k = 0; k < 40; k++) {
                level = !level;
                line_pull(BCM, ENCODER_OFF, level);
                if (k % 4 == 3) {
                        advance();
                        chair_hal_read(h, now_ns, &in);
                }
        }
        read_for(h, 0.01, &in);
        check(in.encoder_pulses - before == 40, "encoder-edges", "40 edges on GPIO18 counted as %u pulses",
              in.encoder_pulses - before);
}

/* The IIO dummy's in_voltage0_raw is 73 with offset 7 and scale 0.001333 mV
 * (drivers/iio/dummy/iio_simple_dummy.c); the heater's NTC divider makes that
 * a shorted sensor by the config's own numbers, computed here on its own. */
static void check_iio(struct chair_hal *h, const struct chair_config *cfg) {
        char path[PATH_MAX], name[64] = "";
        struct chair_inputs in;
        const struct chair_ntc_config *n = &cfg->hardware.inputs.ntc;

        snprintf(path, sizeof(path), "%s/iio:device%d/name", cfg->hardware.iio_sysfs,
                 cfg->hardware.inputs.heater_temp.device);
        read_word(path, name, sizeof(name));
        check(!strcmp(name, IIO_NAME), "iio-dummy-present", "%s names '%s', want '%s'", path, name, IIO_NAME);

        read_for(h, 0.2, &in);
        double mv = (73 + 7) * 0.001333;
        double ohm = n->pullup_ohm * mv / (n->vref_mv - mv);
        enum chair_sensor_status want = ohm < n->short_ohm ? CHAIR_SENSOR_SHORT
                : ohm > n->open_ohm ? CHAIR_SENSOR_OPEN : CHAIR_SENSOR_OK;
        check(in.raw[CHAIR_AN_HEATER] == 73, "iio-raw-read", "heater raw %d, the dummy says 73",
              (int) in.raw[CHAIR_AN_HEATER]);
        check(in.heater_sensor == want, "iio-ntc-status", "heater sensor status %d for %.1f ohm, want %d",
              (int) in.heater_sensor, ohm, (int) want);
}

/* ---- the real control step on the kernel lines -------------------------------------------- */

struct plant {
        double carriage_mm, pulse_acc_mm;
        int encoder, home, end;
};

/* The carriage as the wiring sees it: speed from the fake PWM duty, direction
 * from the GPIO5 level, encoder edges as real edges on GPIO18, end switches
 * on GPIO19/26. */
static void plant_step(struct plant *p, const struct chair_config *cfg, double dt) {
        const struct chair_output_config *oc = &cfg->hardware.outputs[CHAIR_ACT_CARRIAGE];
        const struct chair_geometry *g = &cfg->hardware.geometry;
        double v = pwm_out(&oc->pwm) / oc->pwm.max_duty;
        if (line_level(BCM, 5))
                v = -v;
        double d = v * g->carriage_mm_s * dt;
        double to = fmin(fmax(p->carriage_mm + d, 0), g->track_mm);
        p->pulse_acc_mm += fabs(to - p->carriage_mm);
        p->carriage_mm = to;
        while (p->pulse_acc_mm >= g->mm_per_pulse) {
                p->pulse_acc_mm -= g->mm_per_pulse;
                p->encoder = !p->encoder;
                line_pull(BCM, ENCODER_OFF, p->encoder);
        }
        int home = p->carriage_mm <= 0.5, end = p->carriage_mm >= g->track_mm - 0.5;
        if (home != p->home)
                line_pull(BCM, wired_ins[W_HOME].off, p->home = home);
        if (end != p->end)
                line_pull(BCM, wired_ins[W_END].off, p->end = end);
}

struct session {
        struct chair_hal *h;
        struct chair_ctl *ctl;
        const struct chair_config *cfg;
        struct plant plant;
        struct chair_inputs in;
        struct chair_outputs out;
        struct chair_event ev[CHAIR_MAX_EVENTS_PER_TICK];
        size_t n_ev;
        struct chair_status st;
        uint32_t faults_seen;
};

static void tick(struct session *s, const struct chair_cmd *cmd) {
        chair_hal_read(s->h, now_ns, &s->in);
        s->n_ev = chair_ctl_step(s->ctl, now_ns, &s->in, cmd, cmd ? 1 : 0, &s->out, s->ev);
        chair_hal_write(s->h, &s->out);
        chair_ctl_status(s->ctl, &s->st);
        for (size_t i = 0; i < s->n_ev; i++)
                if (s->ev[i].kind == CHAIR_EVENT_FAULT)
                        s->faults_seen |= 1u << s->ev[i].fault.code;
        uint64_t then = now_ns;
        advance();
        plant_step(&s->plant, s->cfg, (double) (now_ns - then) / 1e9);
}

static enum chair_err command(struct session *s, struct chair_cmd *c) {
        c->token = 77;
        tick(s, c);
        for (size_t i = 0; i < s->n_ev; i++)
                if (s->ev[i].kind == CHAIR_EVENT_RESULT && s->ev[i].result.token == 77)
                        return s->ev[i].result.err;
        return CHAIR_ERR_INTERNAL;
}

/* Tick until the state is st (true) or max_s of time passed (false);
 * every 50th tick the lines are compared with what the step asked for. */
static bool run_until(struct session *s, enum chair_state want, double max_s, char *why, size_t len) {
        uint64_t end = now_ns + (uint64_t) (max_s * 1e9);
        for (uint64_t i = 0; now_ns < end; i++) {
                tick(s, NULL);
                if (i % 50 == 49) {
                        if (!settle(s->h, s->cfg, &s->out, false, why, len))
                                return false;
                }
                if (want != _CHAIR_STATE_COUNT && s->st.state == want)
                        return true;
        }
        if (want == _CHAIR_STATE_COUNT)
                return true;
        snprintf(why, len, "state %s after %.0f s (faults 0x%x), want %s", chair_state_name(s->st.state), max_s,
                 s->st.faults, chair_state_name(want));
        return false;
}

static void check_session(struct chair_hal *h, const struct chair_config *cfg) {
        struct chair_errors errs = { 0 };
        struct chair_programs *progs = NULL;
        struct session s = { .h = h, .cfg = cfg };
        struct chair_cmd c;
        char why[256] = "";

        if (chair_programs_load(cfg, &errs, &progs) < 0 || chair_ctl_new(cfg, progs, &s.ctl) < 0) {
                chair_errors_print(&errs, stdout);
                check(false, "session-setup", "cannot load the programs or make the control step");
                chair_errors_clear(&errs);
                chair_programs_free(progs);
                return;
        }
        s.plant.carriage_mm = 150;  /* somewhere up the back: homing must bring it down */
        chair_hal_read(h, now_ns, &s.in);

        int prog = chair_programs_find(progs, "lumbar-relief");
        chair_cmd_init(&c, CHAIR_ACTION_START);
        c.program = (int16_t) prog;
        c.minutes = 5;
        enum chair_err e = command(&s, &c);
        bool ok = check(prog >= 0 && e == CHAIR_OK, "session-start", "start lumbar-relief: %s",
                        prog < 0 ? "no such program" : chair_err_code(e));
        /* Homing drives the carriage down on GPIO5 + pwmchip0/pwm0 until GPIO19
         * closes, counting the encoder's real edges on the way. */
        if (ok)
                ok = check(run_until(&s, CHAIR_STATE_RUNNING, 30, why, sizeof(why)) && s.plant.carriage_mm < 1,
                           "session-homes-and-runs", "%s (carriage at %.1f mm)", why, s.plant.carriage_mm);
        if (ok)
                ok = check(run_until(&s, _CHAIR_STATE_COUNT, 3, why, sizeof(why)) &&
                           s.st.state == CHAIR_STATE_RUNNING && s.plant.carriage_mm > 5,
                           "session-lines-follow-step", "%s (state %s, carriage at %.1f mm, faults 0x%x)", why,
                           chair_state_name(s.st.state), s.plant.carriage_mm, s.st.faults);

        /* E-stop: GPIO4 goes high; the very tick that reads it puts every line
         * and channel at its safe value. */
        if (ok) {
                struct chair_outputs safe;
                chair_outputs_safe(cfg, &safe);
                line_pull(BCM, wired_ins[W_ESTOP].off, !wired_ins[W_ESTOP].idle);
                tick(&s, NULL);
                bool lines = settle(h, cfg, &safe, true, why, sizeof(why));
                check(lines && chair_outputs_all_safe(cfg, &s.out) && (s.faults_seen & (1u << CHAIR_FAULT_ESTOP)),
                      "estop-safe-within-one-tick", "%s (fault seen %d)", lines ? "step outputs not safe" : why,
                      !!(s.faults_seen & (1u << CHAIR_FAULT_ESTOP)));
                line_pull(BCM, wired_ins[W_ESTOP].off, wired_ins[W_ESTOP].idle);
                run_until(&s, _CHAIR_STATE_COUNT, 0.5, why, sizeof(why));
                chair_cmd_init(&c, CHAIR_ACTION_CLEAR_FAULTS);
                e = command(&s, &c);
                /* The heater sensor's fault stays (the dummy's fixed reading is a
                 * short), so clear_faults may answer fault_active; what matters
                 * is that nothing stopping is left. */
                ok = check((e == CHAIR_OK || e == CHAIR_ERR_FAULT_ACTIVE) &&
                           !((s.st.faults | s.st.faults_latched) & CHAIR_FAULTS_STOPPING), "estop-clears",
                           "clear_faults after release: %s, faults 0x%x, latched 0x%x", chair_err_code(e),
                           s.st.faults, s.st.faults_latched);
        }

        /* The occupant leaves (GPIO17 released high): the session pauses. */
        if (ok) {
                chair_cmd_init(&c, CHAIR_ACTION_START);
                c.program = (int16_t) prog;
                c.minutes = 5;
                e = command(&s, &c);
                ok = check(e == CHAIR_OK && run_until(&s, CHAIR_STATE_RUNNING, 30, why, sizeof(why)),
                           "session-restarts", "%s %s", chair_err_code(e), why);
        }
        if (ok) {
                line_pull(BCM, wired_ins[W_OCCUPANCY].off, !wired_ins[W_OCCUPANCY].idle);
                bool paused = run_until(&s, CHAIR_STATE_PAUSED, 2, why, sizeof(why));
                run_until(&s, _CHAIR_STATE_COUNT, 0.5, why, sizeof(why));
                double carriage = pwm_out(&cfg->hardware.outputs[CHAIR_ACT_CARRIAGE].pwm);
                check(paused && s.st.state == CHAIR_STATE_PAUSED && carriage == 0, "occupant-leaves-pauses",
                      "%s (state %s, carriage duty %.2f)", why, chair_state_name(s.st.state), carriage);
                line_pull(BCM, wired_ins[W_OCCUPANCY].off, wired_ins[W_OCCUPANCY].idle);
                chair_cmd_init(&c, CHAIR_ACTION_STOP);
                command(&s, &c);
                run_until(&s, CHAIR_STATE_IDLE, 10, why, sizeof(why));
        }
        chair_ctl_free(s.ctl);
        chair_programs_free(progs);
}

/* ---- the daemon: crash and --safe-state --------------------------------------------------- */

static pid_t spawn(const char *chaird, const char *config, const char *extra, const char *log) {
        pid_t pid = fork();
        if (pid < 0)
                die("fork: %s", strerror(errno));
        if (pid == 0) {
                int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
                if (fd >= 0) {
                        dup2(fd, 1);
                        dup2(fd, 2);
                }
                if (extra)
                        execl(chaird, chaird, "--config", config, extra, (char *) NULL);
                else
                        execl(chaird, chaird, "--config", config, (char *) NULL);
                _exit(127);
        }
        return pid;
}

static int wait_exit(pid_t pid, double max_s) {
        int status;
        for (double t = 0; t < max_s; t += 0.05) {
                pid_t r = waitpid(pid, &status, WNOHANG);
                if (r == pid)
                        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                sleep_ns(50000000);
        }
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return -1;
}

static void show_log(const char *log) {
        char line[512];
        FILE *f = fopen(log, "re");
        if (!f)
                return;
        while (fgets(line, sizeof(line), f))
                printf("  | %s", line);
        fclose(f);
}

static bool file_contains(const char *path, const char *needle) {
        char line[512];
        bool found = false;
        FILE *f = fopen(path, "re");
        if (!f)
                return false;
        while (!found && fgets(line, sizeof(line), f))
                found = strstr(line, needle) != NULL;
        fclose(f);
        return found;
}

static void check_daemon(const char *chaird, const char *config, const struct chair_config *cfg) {
        char why[256] = "", log[PATH_MAX];
        struct chair_outputs safe;
        chair_outputs_safe(cfg, &safe);
        snprintf(log, sizeof(log), "%s/../chaird-%s.log", cfg->hardware.pwm_sysfs, tag);
        unlink(log);

        /* Every output pulled to its unsafe level: safe readings prove chaird holds the lines. */
        wiring_idle();
        pid_t pid = spawn(chaird, config, NULL, log);
        bool held = false;
        for (double t = 0; t < 120 && !held; t += 0.1) {
                held = outputs_match(&safe, why, sizeof(why));
                if (!held) {
                        if (waitpid(pid, NULL, WNOHANG) == pid) {
                                snprintf(why, sizeof(why), "chaird exited");
                                break;
                        }
                        sleep_ns(100000000);
                }
        }
        if (!check(held, "daemon-holds-lines-safe", "%s", why)) {
                show_log(log);
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                return;
        }

        /* --safe-state while the daemon still holds the lines must fail and
         * name them: so its exit 0 further down means every line was claimed
         * (and driven) by it. */
        char busylog[PATH_MAX + 8];
        snprintf(busylog, sizeof(busylog), "%s.busy", log);
        unlink(busylog);
        int rc = wait_exit(spawn(chaird, config, "--safe-state", busylog), 120);
        bool named = file_contains(busylog, "hardware.outputs.");
        if (!check(rc != 0 && rc != 127 && rc != -1 && named, "safe-state-reports-held-lines",
                   "chaird --safe-state exited %d while chaird held the lines (%s)", rc,
                   named ? "a binding named" : "no hardware.outputs.* binding named"))
                show_log(busylog);

        /* A crash: the kernel releases every line and gpio-sim shows the pull,
         * i.e. no line keeps chaird's value (rule 10's reason). */
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        bool released = true;
        for (size_t i = 0; i < N_OUTS; i++)
                if (line_level(wired_outs[i].chip, wired_outs[i].off) != 1) {
                        snprintf(why, sizeof(why), "%s line still at %d after SIGKILL", wired_out_name(&wired_outs[i]),
                                 line_level(wired_outs[i].chip, wired_outs[i].off));
                        released = false;
                }
        check(released, "sigkill-releases-lines", "%s", why);

        /* What a crash leaves on PWM: the channels keep running (sysfs PWM
         * state outlives the process; here the fake tree plays it). */
        for (int i = 0; i < _CHAIR_ACT_COUNT; i++) {
                const struct chair_pwm_binding *p = &cfg->hardware.outputs[i].pwm;
                char path[PATH_MAX], v[32];
                if (!cfg->hardware.outputs[i].present || !p->set)
                        continue;
                snprintf(path, sizeof(path), "%s/pwmchip%d/pwm%d/period", pwm_root, p->chip, p->channel);
                snprintf(v, sizeof(v), "%llu\n", (unsigned long long) p->period_ns);
                write_file(path, v);
                snprintf(path, sizeof(path), "%s/pwmchip%d/pwm%d/duty_cycle", pwm_root, p->chip, p->channel);
                snprintf(v, sizeof(v), "%llu\n", (unsigned long long) p->period_ns / 2);
                write_file(path, v);
                snprintf(path, sizeof(path), "%s/pwmchip%d/pwm%d/enable", pwm_root, p->chip, p->channel);
                write_file(path, "1\n");
        }

        unlink(log);
        rc = wait_exit(spawn(chaird, config, "--safe-state", log), 120);
        if (!check(rc == 0, "safe-state-after-sigkill", "chaird --safe-state exited %d", rc))
                show_log(log);
        check(pwm_all_off(cfg, why, sizeof(why)), "safe-state-pwm-off", "%s", why);
}

/* ---- main ---------------------------------------------------------------------------------- */

int main(int argc, char **argv) {
        const char *config = NULL, *example = NULL, *chaird = NULL, *miswire_spec = NULL;
        static const struct option opts[] = {
                { "config", required_argument, NULL, 'c' }, { "example", required_argument, NULL, 'e' },
                { "chaird", required_argument, NULL, 'd' }, { "tag", required_argument, NULL, 't' },
                { "miswire", required_argument, NULL, 'm' }, { 0 },
        };
        int o;
        while ((o = getopt_long(argc, argv, "", opts, NULL)) >= 0)
                switch (o) {
                case 'c': config = optarg; break;
                case 'e': example = optarg; break;
                case 'd': chaird = optarg; break;
                case 't': tag = optarg; break;
                case 'm': miswire_spec = optarg; break;
                default: return 2;
                }
        if (!config) {
                fprintf(stderr, "usage: kernel-gpio-test --config FILE [--example FILE] [--chaird PATH] [--tag TAG] "
                                "[--miswire SPEC]\n");
                return 2;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);

        struct chair_errors errs = { 0 };
        struct chair_config *cfg = NULL;
        if (chair_config_load(config, &errs, &cfg) < 0) {
                chair_errors_print(&errs, stdout);
                die("cannot load %s", config);
        }
        if (example)
                check_mirror(cfg, example);
        if (miswire_spec)
                miswire(cfg, miswire_spec);

        int r = bench_up();
        if (r == 77)
                return 77;
        wiring_idle();
        pwm_tree(cfg);
        if (cfg->state_dir)
                mkdir_p(cfg->state_dir);
        period_ns = 1000000000ull / cfg->control.rate_hz;
        now_ns = monotonic_ns();

        struct chair_hal *h = NULL;
        r = chair_hal_linux_new(cfg, &errs, &h);
        if (!check(r >= 0, "hal-up", "the linux backend did not come up on the Pi layout: %s", strerror(-r))) {
                chair_errors_print(&errs, stdout);
        } else {
                check_outputs(h, cfg);
                check_inputs(h);
                check_iio(h, cfg);
                check_session(h, cfg);
                char why[256];
                struct chair_outputs safe;
                chair_outputs_safe(cfg, &safe);
                int k = chair_hal_safe(h);
                check(k >= 0 && settle(h, cfg, &safe, true, why, sizeof(why)),
                      "hal-safe", "%s", k < 0 ? strerror(-k) : why);
                h = chair_hal_free(h);
                if (chaird)
                        check_daemon(chaird, config, cfg);
        }
        chair_errors_clear(&errs);
        chair_config_free(cfg);
        bench_down();
        printf("DONE %s: %u passed, %u failed\n", tag, n_pass, n_fail);
        return n_fail ? 1 : 0;
}
