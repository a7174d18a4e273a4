/* SPDX-License-Identifier: MIT */
/*
 * The linux HAL's GPIO side with libgpiod replaced at link time
 * (-Wl,--wrap=gpiod_..., see tests/meson.build): the wrappers below model the
 * kernel's view (chips, lines, who requested what, line values) and record
 * every request and every value written, so the tests assert what the kernel
 * would have been asked.  PWM channels live in a fake sysfs tree.
 *
 * Edge events travel through a real pipe per requested input line, so the
 * HAL's poll()-then-read path runs exactly as it would on a gpiochip fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <gpiod.h>
#include <limits.h>
#include <math.h>
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
#include "fake-sysfs.h"
#include "hal-linux.h"
#include "hal.h"

/* ---- the fake kernel ---- */

#define DEV "/fake/dev"
#define NLINES 32

struct gpiod_line {
        struct gpiod_chip *chip;
        unsigned offset;
        const char *name;
        bool requested, busy_external;
        char consumer[32];
        int type, flags, default_val;
        int value;                  /* logical value as the requester sees it */
        int pipe[2];
        int events[64], n_events;   /* queued event types */
};

struct gpiod_chip {
        const char *path, *label;
        int opens;
        struct gpiod_line lines[NLINES];
};

static struct gpiod_chip chips[2];

struct write_rec {
        const struct gpiod_line *line;
        int value;
};
static struct write_rec writes[256];
static int n_writes;
static int n_requests;

static void kernel_reset(void) {
        for (int c = 0; c < 2; c++)
                for (int i = 0; i < NLINES; i++)
                        if (chips[c].lines[i].requested && chips[c].lines[i].pipe[0] >= 0) {
                                close(chips[c].lines[i].pipe[0]);
                                close(chips[c].lines[i].pipe[1]);
                        }
        memset(chips, 0, sizeof(chips));
        chips[0].path = DEV "/gpiochip0";
        chips[0].label = "pinctrl-bcm2711";
        chips[1].path = DEV "/gpiochip1";
        chips[1].label = "expander";
        for (int c = 0; c < 2; c++)
                for (unsigned i = 0; i < NLINES; i++) {
                        chips[c].lines[i].chip = &chips[c];
                        chips[c].lines[i].offset = i;
                        chips[c].lines[i].pipe[0] = chips[c].lines[i].pipe[1] = -1;
                }
        chips[0].lines[22].name = "SEAT_SENSE";
        chips[1].lines[7].name = "OBSTACLE";
        n_writes = n_requests = 0;
}

static struct gpiod_line *L(int chip, unsigned off) {
        return &chips[chip].lines[off];
}

struct gpiod_chip *__wrap_gpiod_chip_open(const char *path);
struct gpiod_chip *__wrap_gpiod_chip_open(const char *path) {
        for (int c = 0; c < 2; c++)
                if (strcmp(path, chips[c].path) == 0) {
                        chips[c].opens++;
                        return &chips[c];
                }
        errno = ENOENT;
        return NULL;
}

struct gpiod_chip *__wrap_gpiod_chip_open_by_label(const char *label);
struct gpiod_chip *__wrap_gpiod_chip_open_by_label(const char *label) {
        for (int c = 0; c < 2; c++)
                if (strcmp(label, chips[c].label) == 0) {
                        chips[c].opens++;
                        return &chips[c];
                }
        errno = ENOENT;
        return NULL;
}

static void release(struct gpiod_line *l) {
        if (!l->requested)
                return;
        l->requested = false;
        if (l->pipe[0] >= 0) {
                close(l->pipe[0]);
                close(l->pipe[1]);
                l->pipe[0] = l->pipe[1] = -1;
        }
}

void __wrap_gpiod_chip_close(struct gpiod_chip *chip);
void __wrap_gpiod_chip_close(struct gpiod_chip *chip) {
        assert_true(chip->opens > 0);
        if (--chip->opens == 0)
                for (int i = 0; i < NLINES; i++)
                        release(&chip->lines[i]);
}

struct gpiod_line *__wrap_gpiod_chip_get_line(struct gpiod_chip *chip, unsigned off);
struct gpiod_line *__wrap_gpiod_chip_get_line(struct gpiod_chip *chip, unsigned off) {
        assert_true(chip->opens > 0);
        if (off >= NLINES) {
                errno = EINVAL;
                return NULL;
        }
        return &chip->lines[off];
}

struct gpiod_line *__wrap_gpiod_chip_find_line(struct gpiod_chip *chip, const char *name);
struct gpiod_line *__wrap_gpiod_chip_find_line(struct gpiod_chip *chip, const char *name) {
        for (int i = 0; i < NLINES; i++)
                if (chip->lines[i].name && strcmp(chip->lines[i].name, name) == 0)
                        return &chip->lines[i];
        errno = ENOENT;
        return NULL;
}

struct gpiod_line *__wrap_gpiod_line_find(const char *name);
struct gpiod_line *__wrap_gpiod_line_find(const char *name) {
        for (int c = 0; c < 2; c++)
                for (int i = 0; i < NLINES; i++)
                        if (chips[c].lines[i].name && strcmp(chips[c].lines[i].name, name) == 0) {
                                chips[c].opens++;
                                return &chips[c].lines[i];
                        }
        errno = ENOENT;
        return NULL;
}

struct gpiod_chip *__wrap_gpiod_line_get_chip(struct gpiod_line *line);
struct gpiod_chip *__wrap_gpiod_line_get_chip(struct gpiod_line *line) {
        return line->chip;
}

int __wrap_gpiod_line_request(struct gpiod_line *line, const struct gpiod_line_request_config *rc, int def);
int __wrap_gpiod_line_request(struct gpiod_line *line, const struct gpiod_line_request_config *rc, int def) {
        assert_true(line->chip->opens > 0);
        if (line->requested || line->busy_external) {
                errno = EBUSY;
                return -1;
        }
        line->requested = true;
        snprintf(line->consumer, sizeof(line->consumer), "%s", rc->consumer);
        line->type = rc->request_type;
        line->flags = rc->flags;
        line->default_val = def;
        if (rc->request_type == GPIOD_LINE_REQUEST_DIRECTION_OUTPUT)
                line->value = def;
        if (rc->request_type == GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES) {
                assert_int_equal(pipe2(line->pipe, O_CLOEXEC | O_NONBLOCK), 0);
                line->n_events = 0;
        }
        n_requests++;
        return 0;
}

void __wrap_gpiod_line_release(struct gpiod_line *line);
void __wrap_gpiod_line_release(struct gpiod_line *line) {
        release(line);
}

int __wrap_gpiod_line_set_value(struct gpiod_line *line, int value);
int __wrap_gpiod_line_set_value(struct gpiod_line *line, int value) {
        assert_true(line->requested);
        assert_int_equal(line->type, GPIOD_LINE_REQUEST_DIRECTION_OUTPUT);
        assert_true(value == 0 || value == 1);
        line->value = value;
        assert_true(n_writes < 256);
        writes[n_writes++] = (struct write_rec) { line, value };
        return 0;
}

int __wrap_gpiod_line_get_value(struct gpiod_line *line);
int __wrap_gpiod_line_get_value(struct gpiod_line *line) {
        assert_true(line->requested);
        return line->value;
}

int __wrap_gpiod_line_event_get_fd(struct gpiod_line *line);
int __wrap_gpiod_line_event_get_fd(struct gpiod_line *line) {
        if (line->type != GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES) {
                errno = EPERM;
                return -1;
        }
        return line->pipe[0];
}

int __wrap_gpiod_line_event_read_multiple(struct gpiod_line *line, struct gpiod_line_event *ev, unsigned n);
int __wrap_gpiod_line_event_read_multiple(struct gpiod_line *line, struct gpiod_line_event *ev, unsigned n) {
        char b[64];
        assert_true(line->requested);
        if (n > sizeof(b))
                n = sizeof(b);
        ssize_t k = read(line->pipe[0], b, n);
        if (k <= 0) {
                errno = k < 0 ? errno : EIO;
                return -1;
        }
        assert_true(k <= line->n_events);
        for (ssize_t i = 0; i < k; i++) {
                ev[i] = (struct gpiod_line_event) { .event_type = line->events[i] };
        }
        memmove(line->events, line->events + k, (size_t) (line->n_events - k) * sizeof(int));
        line->n_events -= (int) k;
        return (int) k;
}

/* The outside world moves an input line (logical level). */
static void edge(struct gpiod_line *l, int level) {
        assert_true(l->requested);
        assert_true(l->n_events < 64);
        l->value = level;
        l->events[l->n_events++] = level ? GPIOD_LINE_EVENT_RISING_EDGE : GPIOD_LINE_EVENT_FALLING_EDGE;
        assert_int_equal(write(l->pipe[1], "e", 1), 1);
}

/* ---- the chair ---- */

struct fixture {
        char *root;
        struct chair_config cfg;
};

static struct chair_gpio_binding gpio_at(const char *chip, int off, bool active_low) {
        return (struct chair_gpio_binding) { .set = true, .chip = (char *) chip, .offset = off, .active_low = active_low };
}

static struct chair_pwm_binding pwm_at(int chip, int ch, float max_duty) {
        return (struct chair_pwm_binding) { .set = true, .chip = chip, .channel = ch, .period_ns = 50000, .max_duty = max_duty };
}

/*
 * carriage:  pwm 0/0 (max_duty 0.8), dir gpiochip0:17
 * pump:      gpio gpiochip0:6 (no PWM)
 * valve-lumbar-left: gpiochip0:5, safe 0;  valve-seat: gpiochip1:3 active-low, safe 1
 * tap:       pwm 0/1
 * estop gpiochip0:4 active-low debounce 5 ms; occupancy by name SEAT_SENSE debounce 20 ms;
 * obstacle by chip label + name; encoder gpiochip0:23; carriage_home gpiochip1:9
 */
static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        f->root = fs_mkroot();
        kernel_reset();
        fs_config_init(&f->cfg, f->root, DEV);
        fs_pwm_chip(f->root, 0, 2);
        fs_pwm_channel(f->root, 0, 0);
        fs_pwm_channel(f->root, 0, 1);

        struct chair_output_config *o = f->cfg.hardware.outputs;
        o[CHAIR_ACT_CARRIAGE].present = true;
        o[CHAIR_ACT_CARRIAGE].pwm = pwm_at(0, 0, 0.8f);
        o[CHAIR_ACT_CARRIAGE].dir = gpio_at("gpiochip0", 17, false);
        o[CHAIR_ACT_PUMP].present = true;
        o[CHAIR_ACT_PUMP].gpio = gpio_at("gpiochip0", 6, false);
        o[CHAIR_ACT_VALVE_LUMBAR_LEFT].present = true;
        o[CHAIR_ACT_VALVE_LUMBAR_LEFT].gpio = gpio_at("gpiochip0", 5, false);
        o[CHAIR_ACT_VALVE_SEAT].present = true;
        o[CHAIR_ACT_VALVE_SEAT].gpio = gpio_at("1", 3, true);
        o[CHAIR_ACT_VALVE_SEAT].safe = 1;
        o[CHAIR_ACT_TAP].present = true;
        o[CHAIR_ACT_TAP].pwm = pwm_at(0, 1, 1.0f);

        struct chair_input_config *in = &f->cfg.hardware.inputs;
        in->estop = gpio_at(DEV "/gpiochip0", 4, true);
        in->estop.debounce_ms = 5;
        in->occupancy = (struct chair_gpio_binding) { .set = true, .offset = -1, .name = (char *) "SEAT_SENSE", .debounce_ms = 20 };
        in->obstacle = (struct chair_gpio_binding) { .set = true, .chip = (char *) "expander", .offset = -1, .name = (char *) "OBSTACLE" };
        in->encoder = gpio_at("gpiochip0", 23, false);
        in->carriage_home = gpio_at("gpiochip1", 9, false);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        fs_rmroot(f->root);
        kernel_reset();
        free(f);
        return 0;
}

static void assert_no_line_requested(void) {
        for (int c = 0; c < 2; c++) {
                for (int i = 0; i < NLINES; i++)
                        assert_false(chips[c].lines[i].requested);
                assert_int_equal(chips[c].opens, 0);
        }
}

static void test_requests(void **state) {
        struct fixture *f = *state;
        struct chair_hal *h = NULL;
        struct chair_errors errs = { 0 };

        /* The occupant is seated when we start: the kernel reports the line high. */
        L(0, 22)->value = 1;
        assert_int_equal(chair_hal_linux_new(&f->cfg, &errs, &h), 0);
        assert_int_equal(errs.n, 0);

        static const struct {
                int chip, off, type, flags, initial;
        } want[] = {
                { 0, 17, GPIOD_LINE_REQUEST_DIRECTION_OUTPUT, 0, 0 },                                  /* carriage dir */
                { 0, 6, GPIOD_LINE_REQUEST_DIRECTION_OUTPUT, 0, 0 },                                   /* pump off */
                { 0, 5, GPIOD_LINE_REQUEST_DIRECTION_OUTPUT, 0, 0 },                                   /* valve vented */
                { 1, 3, GPIOD_LINE_REQUEST_DIRECTION_OUTPUT, GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW, 1 },  /* valve safe 1 */
                { 0, 4, GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES, GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW, -1 }, /* estop */
                { 0, 22, GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES, 0, -1 },                                 /* occupancy */
                { 1, 7, GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES, 0, -1 },                                  /* obstacle */
                { 0, 23, GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES, 0, -1 },                                 /* encoder */
                { 1, 9, GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES, 0, -1 },                                  /* home */
        };
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
                struct gpiod_line *l = L(want[i].chip, (unsigned) want[i].off);
                assert_true(l->requested);
                assert_string_equal(l->consumer, "chaird");
                assert_int_equal(l->type, want[i].type);
                assert_int_equal(l->flags, want[i].flags);
                if (want[i].initial >= 0)
                        assert_int_equal(l->default_val, want[i].initial);
        }
        assert_int_equal(n_requests, (int) (sizeof(want) / sizeof(want[0])));
        /* Nothing written beyond the requests: the request itself set the safe values. */
        assert_int_equal(n_writes, 0);
        /* PWM channels programmed, at duty 0. */
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm0/enable"), 1);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm0/duty_cycle"), 0);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm1/period"), 50000);

        struct chair_inputs in = { 0 };
        assert_int_equal(chair_hal_read(h, 1000, &in), 0);
        assert_true(in.occupied);
        assert_false(in.estop);

        chair_hal_free(h);
        assert_no_line_requested();
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm0/enable"), 0);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/unexport"), 1);   /* last one freed */
        chair_errors_clear(&errs);
}

/* A short session: per tick, the logical outputs and what the kernel/sysfs must see. */
static void test_session_writes(void **state) {
        struct fixture *f = *state;
        struct chair_hal *h = NULL;
        struct chair_outputs out;
        struct {
                float carriage, tap, pump, valve_ll, valve_seat;
                /* expected line writes this tick, in order: (chip, off, value), terminated by chip -1 */
                int w[6][3];
                long carriage_duty, tap_duty;
        } ticks[] = {
                { 0, 0, 0, 0, 1, { { -1 } }, 0, 0 },                                      /* all safe: nothing */
                { 0.5f, 0.3f, 0.7f, 1, 0, { { 0, 6, 1 }, { 0, 5, 1 }, { 1, 3, 0 }, { -1 } }, 20000, 15000 },
                { 0.5f, 0.3f, 0.7f, 1, 0, { { -1 } }, 20000, 15000 },                       /* unchanged */
                { -0.25f, 0.3f, 0.01f, 1, 0, { { 0, 17, 1 }, { -1 } }, 10000, 15000 },      /* reverse */
                { -1.0f, 0, 0, 0, 0, { { 0, 6, 0 }, { 0, 5, 0 }, { -1 } }, 40000, 0 },
                { 2.0f, 0, 0, 0.4f, 1, { { 0, 17, 0 }, { 1, 3, 1 }, { -1 } }, 40000, 0 },  /* clamped; valve < 0.5 = 0 */
                { NAN, 0, 0, 0, 1, { { -1 } }, 0, 0 },                                    /* NaN -> safe */
        };

        assert_int_equal(chair_hal_linux_new(&f->cfg, NULL, &h), 0);
        for (size_t t = 0; t < sizeof(ticks) / sizeof(ticks[0]); t++) {
                memset(&out, 0, sizeof(out));
                out.v[CHAIR_ACT_CARRIAGE] = ticks[t].carriage;
                out.v[CHAIR_ACT_TAP] = ticks[t].tap;
                out.v[CHAIR_ACT_PUMP] = ticks[t].pump;
                out.v[CHAIR_ACT_VALVE_LUMBAR_LEFT] = ticks[t].valve_ll;
                out.v[CHAIR_ACT_VALVE_SEAT] = ticks[t].valve_seat;
                out.v[CHAIR_ACT_KNEAD] = 1.0f;    /* not fitted: must touch nothing */
                n_writes = 0;
                assert_int_equal(chair_hal_write(h, &out), 0);
                assert_int_equal(chair_hal_linux_settle(h, 5000), 0);   /* the output thread applied it */
                int n = 0;
                for (; ticks[t].w[n][0] >= 0; n++) {
                        assert_ptr_equal(writes[n].line, L(ticks[t].w[n][0], (unsigned) ticks[t].w[n][1]));
                        assert_int_equal(writes[n].value, ticks[t].w[n][2]);
                }
                assert_int_equal(n_writes, n);
                assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm0/duty_cycle"), ticks[t].carriage_duty);
                assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm1/duty_cycle"), ticks[t].tap_duty);
        }
        chair_hal_free(h);
}

/* E-stop: an edge fed through the mocks shows on the very next read, and the
 * safe outputs written in that same tick reach every line and channel. */
static void test_estop_edge(void **state) {
        struct fixture *f = *state;
        struct chair_hal *h = NULL;
        struct chair_inputs in = { 0 };
        struct chair_outputs out = { 0 };
        uint64_t t = 1000000000ull;

        assert_int_equal(chair_hal_linux_new(&f->cfg, NULL, &h), 0);
        out.v[CHAIR_ACT_CARRIAGE] = -0.6f;
        out.v[CHAIR_ACT_TAP] = 0.5f;
        out.v[CHAIR_ACT_PUMP] = 1;
        out.v[CHAIR_ACT_VALVE_LUMBAR_LEFT] = 1;
        out.v[CHAIR_ACT_VALVE_SEAT] = 0;
        assert_int_equal(chair_hal_read(h, t, &in), 0);
        assert_false(in.estop);
        assert_int_equal(chair_hal_write(h, &out), 0);
        assert_int_equal(chair_hal_linux_settle(h, 5000), 0);   /* the output thread applied it */

        edge(L(0, 4), 1);
        t += 2000000;
        assert_int_equal(chair_hal_read(h, t, &in), 0);
        assert_true(in.estop);
        /* What the control step does on that tick: safe outputs. */
        chair_outputs_safe(&f->cfg, &out);
        assert_int_equal(chair_hal_write(h, &out), 0);
        assert_int_equal(chair_hal_linux_settle(h, 5000), 0);   /* the output thread applied it */
        assert_int_equal(L(0, 6)->value, 0);
        assert_int_equal(L(0, 5)->value, 0);
        assert_int_equal(L(1, 3)->value, 1);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm0/duty_cycle"), 0);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm1/duty_cycle"), 0);

        /* Held: stays.  Released: seen on the next tick, then reported only once the
         * line stayed quiet for debounce_ms (5 ms): 3 more 2-ms ticks. */
        t += 2000000;
        assert_int_equal(chair_hal_read(h, t, &in), 0);
        assert_true(in.estop);
        edge(L(0, 4), 0);
        int released_after = -1;
        for (int k = 1; k <= 10 && released_after < 0; k++) {
                t += 2000000;
                assert_int_equal(chair_hal_read(h, t, &in), 0);
                if (!in.estop)
                        released_after = k;
        }
        assert_int_equal(released_after, 4);

        /* A bounce-free press shorter than a tick still reports estop on the next read. */
        edge(L(0, 4), 1);
        edge(L(0, 4), 0);
        t += 2000000;
        assert_int_equal(chair_hal_read(h, t, &in), 0);
        assert_true(in.estop);
        chair_hal_free(h);
}

static void test_encoder_and_switches(void **state) {
        struct fixture *f = *state;
        struct chair_hal *h = NULL;
        struct chair_inputs in = { 0 };
        uint64_t t = 5000000000ull;

        L(0, 22)->value = 1;   /* seated */
        assert_int_equal(chair_hal_linux_new(&f->cfg, NULL, &h), 0);
        assert_int_equal(chair_hal_read(h, t, &in), 0);
        uint32_t p0 = in.encoder_pulses;

        /* A table of edge bursts per tick on the encoder line. */
        static const int bursts[] = { 0, 1, 2, 7, 0, 40, 3 };
        uint32_t total = 0;
        int level = 0;
        for (size_t i = 0; i < sizeof(bursts) / sizeof(bursts[0]); i++) {
                for (int k = 0; k < bursts[i]; k++) {
                        level = !level;
                        edge(L(0, 23), level);
                }
                total += (uint32_t) bursts[i];
                t += 2000000;
                assert_int_equal(chair_hal_read(h, t, &in), 0);
                assert_int_equal(in.encoder_pulses - p0, total);
        }

        /* Occupancy is debounced both ways: a 4 ms dropout is ignored, a long one is not. */
        edge(L(0, 22), 0);
        t += 2000000;
        assert_int_equal(chair_hal_read(h, t, &in), 0);
        assert_true(in.occupied);
        edge(L(0, 22), 1);
        for (int k = 0; k < 20; k++) {
                t += 2000000;
                assert_int_equal(chair_hal_read(h, t, &in), 0);
                assert_true(in.occupied);
        }
        edge(L(0, 22), 0);
        int gone_after = -1;
        for (int k = 1; k <= 20 && gone_after < 0; k++) {
                t += 2000000;
                assert_int_equal(chair_hal_read(h, t, &in), 0);
                if (!in.occupied)
                        gone_after = k;
        }
        assert_int_equal(gone_after, 11);   /* seen on tick 1, then 20 ms quiet at 2 ms ticks */

        /* End switch and obstacle act at once (no debounce configured). */
        edge(L(1, 9), 1);
        edge(L(1, 7), 1);
        t += 2000000;
        assert_int_equal(chair_hal_read(h, t, &in), 0);
        assert_true(in.carriage_home);
        assert_true(in.obstacle);
        assert_false(in.carriage_end);     /* not fitted */
        chair_hal_free(h);
}

static void test_binding_errors(void **state) {
        struct fixture *f = *state;
        struct chair_hal *h = NULL;
        struct chair_errors errs = { 0 };
        struct chair_output_config *o = f->cfg.hardware.outputs;
        struct chair_input_config *in = &f->cfg.hardware.inputs;

        o[CHAIR_ACT_CARRIAGE].dir = gpio_at("gpiochip9", 17, false);          /* no such chip */
        o[CHAIR_ACT_CARRIAGE].dir.line = 31;
        o[CHAIR_ACT_VALVE_LUMBAR_LEFT].gpio = gpio_at("gpiochip0", 99, false); /* beyond the chip */
        L(1, 3)->busy_external = true;                                         /* valve-seat busy */
        o[CHAIR_ACT_TAP].pwm = pwm_at(3, 0, 1.0f);                             /* no pwmchip3 */
        in->occupancy.name = (char *) "NO_SUCH_LINE";
        o[CHAIR_ACT_BACKREST].present = true;                                  /* no bindings at all */

        assert_true(chair_hal_linux_new(&f->cfg, &errs, &h) < 0);
        assert_null(h);
        static const struct {
                const char *path, *needle1, *needle2;
        } want[] = {
                { "hardware.outputs.carriage.dir", "carriage", DEV "/gpiochip9" },
                { "hardware.outputs.tap.pwm", "tap", "/pwm/pwmchip3" },
                { "hardware.outputs.valve-lumbar-left.gpio", "valve-lumbar-left", "line 99" },
                { "hardware.outputs.valve-seat.gpio", "valve-seat", "Device or resource busy" },
                { "hardware.outputs.backrest.dir", "backrest", "no direction line" },
                { "hardware.outputs.backrest.pwm", "backrest", "no pwm channel" },
                { "hardware.inputs.occupancy", "occupancy", "NO_SUCH_LINE" },
        };
        assert_int_equal(errs.n, sizeof(want) / sizeof(want[0]));
        for (size_t i = 0; i < errs.n; i++) {
                bool found = false;
                for (size_t j = 0; j < sizeof(want) / sizeof(want[0]); j++)
                        if (strcmp(errs.v[i].path, want[j].path) == 0) {
                                found = true;
                                assert_non_null(strstr(errs.v[i].message, want[j].needle1));
                                assert_non_null(strstr(errs.v[i].message, want[j].needle2));
                        }
                if (!found)
                        fail_msg("unexpected error %s: %s", errs.v[i].path, errs.v[i].message);
                assert_string_equal(errs.v[i].file, "test.yaml");
        }
        assert_int_equal(errs.v[0].line, 31);
        /* Nothing left claimed after a failed start. */
        assert_no_line_requested();
        chair_errors_clear(&errs);
}

/* chaird --safe-state after a crash: lines are free again but hold whatever they last had. */
static void test_safe_state(void **state) {
        struct fixture *f = *state;
        struct chair_errors errs = { 0 };

        L(0, 17)->value = 1;
        L(0, 6)->value = 1;
        L(0, 5)->value = 1;
        L(1, 3)->value = 0;
        fs_write(f->root, "pwm/pwmchip0/pwm0/enable", "1\n");
        fs_write(f->root, "pwm/pwmchip0/pwm0/duty_cycle", "30000\n");
        fs_write(f->root, "pwm/pwmchip0/pwm1/enable", "1\n");

        assert_int_equal(chair_hal_linux_safe_state(&f->cfg, &errs), 0);
        assert_int_equal(errs.n, 0);
        static const struct { int chip, off, value, flags; } want[] = {
                { 0, 17, 0, 0 }, { 0, 6, 0, 0 }, { 0, 5, 0, 0 }, { 1, 3, 1, GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW },
        };
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
                struct gpiod_line *l = L(want[i].chip, (unsigned) want[i].off);
                assert_int_equal(l->type, GPIOD_LINE_REQUEST_DIRECTION_OUTPUT);
                assert_int_equal(l->default_val, want[i].value);
                assert_int_equal(l->value, want[i].value);
                assert_int_equal(l->flags, want[i].flags);
                assert_string_equal(l->consumer, "chaird");
        }
        assert_int_equal(n_requests, 4);   /* outputs only: inputs are not touched */
        assert_no_line_requested();        /* released again on exit */
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm0/enable"), 0);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm0/duty_cycle"), 0);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm1/enable"), 0);

        /* Failures do not stop it: a busy line and a missing PWM chip are reported, the rest is reached. */
        kernel_reset();
        L(0, 6)->value = 1;
        L(0, 5)->value = 1;
        L(0, 17)->busy_external = true;
        f->cfg.hardware.outputs[CHAIR_ACT_CARRIAGE].pwm.chip = 4;
        fs_write(f->root, "pwm/pwmchip0/pwm1/enable", "1\n");
        assert_true(chair_hal_linux_safe_state(&f->cfg, &errs) < 0);
        assert_int_equal(errs.n, 2);
        assert_string_equal(errs.v[0].path, "hardware.outputs.carriage.pwm");
        assert_non_null(strstr(errs.v[0].message, "pwmchip4"));
        assert_string_equal(errs.v[1].path, "hardware.outputs.carriage.dir");
        assert_int_equal(L(0, 6)->value, 0);
        assert_int_equal(L(0, 5)->value, 0);
        assert_int_equal(L(1, 3)->default_val, 1);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm1/enable"), 0);
        chair_errors_clear(&errs);
}

/* safe() on a running HAL forces every output, even ones the cache thinks are safe. */
static void test_hal_safe(void **state) {
        struct fixture *f = *state;
        struct chair_hal *h = NULL;
        struct chair_outputs out = { 0 };

        assert_int_equal(chair_hal_linux_new(&f->cfg, NULL, &h), 0);
        out.v[CHAIR_ACT_CARRIAGE] = -0.5f;
        out.v[CHAIR_ACT_PUMP] = 1;
        out.v[CHAIR_ACT_VALVE_SEAT] = 0;
        assert_int_equal(chair_hal_write(h, &out), 0);
        assert_int_equal(chair_hal_linux_settle(h, 5000), 0);   /* the output thread applied it */
        n_writes = 0;
        assert_int_equal(chair_hal_safe(h), 0);
        /* dir, pump, valve-ll, valve-seat: each written once */
        assert_int_equal(n_writes, 4);
        assert_int_equal(L(0, 17)->value, 0);
        assert_int_equal(L(0, 6)->value, 0);
        assert_int_equal(L(0, 5)->value, 0);
        assert_int_equal(L(1, 3)->value, 1);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm0/enable"), 0);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm0/duty_cycle"), 0);

        /* Driving again re-enables the channel. */
        out.v[CHAIR_ACT_CARRIAGE] = 0.25f;
        assert_int_equal(chair_hal_write(h, &out), 0);
        assert_int_equal(chair_hal_linux_settle(h, 5000), 0);   /* the output thread applied it */
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm0/enable"), 1);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm0/duty_cycle"), 10000);
        chair_hal_free(h);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_requests, setup, teardown),
                cmocka_unit_test_setup_teardown(test_session_writes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_estop_edge, setup, teardown),
                cmocka_unit_test_setup_teardown(test_encoder_and_switches, setup, teardown),
                cmocka_unit_test_setup_teardown(test_binding_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_safe_state, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hal_safe, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
