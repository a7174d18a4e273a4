/* SPDX-License-Identifier: MIT */
/*
 * The linux HAL's GPIO side on libgpiod 2 (lib/gpio-v2.c) with the calls that
 * reach the kernel replaced at link time (-Wl,--wrap=gpiod_..., see
 * tests/meson.build): chips, chip and line info, line requests, values and
 * edge events.  The settings, line-config and request-config objects are
 * libgpiod's own: the fake kernel reads what chaird put in them through
 * libgpiod's getters, as the real library hands them to the kernel, and
 * records per line what the hardware would see: direction, initial value,
 * active-low, edges, bias, debounce, consumer, and every value written.
 *
 * The twin of tests/test-gpio-mock.c (libgpiod 1.6): the same chair and the
 * same per-tick expectations, plus what only the 2.x backend does (one
 * request per chip, bias and kernel debounce, a line lost between check and
 * claim).  Edge events travel through a real pipe per request, so the HAL's
 * poll()-then-read path runs as on a line request's fd.
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

#define NLINES 32
#define NCHIPS 2
#define NREQ 8

struct mline {
        const char *name;
        bool requested, busy_external;
        char consumer[32];
        struct gpiod_line_request *req;
        enum gpiod_line_direction direction;
        enum gpiod_line_edge edge;
        enum gpiod_line_bias bias;
        bool active_low;
        unsigned long debounce_us;
        int initial;
        int value;                  /* logical value as the requester sees it */
};

struct gpiod_chip {
        char path[PATH_MAX];
        const char *name, *label;
        int opens;
        struct mline lines[NLINES];
};

struct gpiod_line_request {
        struct gpiod_chip *chip;
        bool live;
        unsigned offsets[NLINES];
        size_t n;
        int pipe[2];
        struct { unsigned offset; int type; } events[128];
        int n_events;
};

struct gpiod_chip_info { struct gpiod_chip *chip; };
struct gpiod_line_info { struct mline *l; };
struct gpiod_edge_event { unsigned offset; enum gpiod_edge_event_type type; };
struct gpiod_edge_event_buffer { size_t capacity, n; struct gpiod_edge_event ev[64]; };

static struct gpiod_chip chips[NCHIPS];
static struct gpiod_line_request reqs[NREQ];
static char dev_dir[PATH_MAX - 64];   /* leaves room for "/gpiochipN" in a chip path */

struct write_rec {
        const struct mline *line;
        int value;
};
static struct write_rec writes[256];
static int n_writes, n_requests, n_buffers;
static struct mline *steal;       /* this line is taken by someone else right after chaird checks it */

static void kernel_reset(void) {
        for (int i = 0; i < NREQ; i++)
                if (reqs[i].live) {
                        close(reqs[i].pipe[0]);
                        close(reqs[i].pipe[1]);
                }
        memset(chips, 0, sizeof(chips));
        memset(reqs, 0, sizeof(reqs));
        for (int c = 0; c < NCHIPS; c++)
                snprintf(chips[c].path, sizeof(chips[c].path), "%s/gpiochip%d", dev_dir, c);
        chips[0].name = "gpiochip0";
        chips[0].label = "pinctrl-bcm2711";
        chips[1].name = "gpiochip1";
        chips[1].label = "expander";
        chips[0].lines[22].name = "SEAT_SENSE";
        chips[1].lines[7].name = "OBSTACLE";
        n_writes = n_requests = n_buffers = 0;
        steal = NULL;
}

static struct mline *L(int chip, unsigned off) {
        return &chips[chip].lines[off];
}

static struct gpiod_chip *chip_at(const char *path) {
        for (int c = 0; c < NCHIPS; c++)
                if (strcmp(path, chips[c].path) == 0)
                        return &chips[c];
        return NULL;
}

bool __wrap_gpiod_is_gpiochip_device(const char *path);
bool __wrap_gpiod_is_gpiochip_device(const char *path) {
        return chip_at(path) != NULL;
}

struct gpiod_chip *__wrap_gpiod_chip_open(const char *path);
struct gpiod_chip *__wrap_gpiod_chip_open(const char *path) {
        struct gpiod_chip *c = chip_at(path);
        if (!c) {
                errno = ENOENT;
                return NULL;
        }
        c->opens++;
        return c;
}

static void release(struct gpiod_line_request *r) {
        assert_true(r->live);
        for (size_t i = 0; i < r->n; i++) {
                struct mline *l = &r->chip->lines[r->offsets[i]];
                l->requested = false;
                l->req = NULL;
        }
        close(r->pipe[0]);
        close(r->pipe[1]);
        r->live = false;
}

void __wrap_gpiod_chip_close(struct gpiod_chip *chip);
void __wrap_gpiod_chip_close(struct gpiod_chip *chip) {
        assert_true(chip->opens > 0);
        chip->opens--;
}

struct gpiod_chip_info *__wrap_gpiod_chip_get_info(struct gpiod_chip *chip);
struct gpiod_chip_info *__wrap_gpiod_chip_get_info(struct gpiod_chip *chip) {
        assert_true(chip->opens > 0);
        struct gpiod_chip_info *i = malloc(sizeof(*i));
        i->chip = chip;
        return i;
}
const char *__wrap_gpiod_chip_info_get_name(struct gpiod_chip_info *info);
const char *__wrap_gpiod_chip_info_get_name(struct gpiod_chip_info *info) {
        return info->chip->name;
}
const char *__wrap_gpiod_chip_info_get_label(struct gpiod_chip_info *info);
const char *__wrap_gpiod_chip_info_get_label(struct gpiod_chip_info *info) {
        return info->chip->label;
}
size_t __wrap_gpiod_chip_info_get_num_lines(struct gpiod_chip_info *info);
size_t __wrap_gpiod_chip_info_get_num_lines(struct gpiod_chip_info *info) {
        return NLINES;
}
void __wrap_gpiod_chip_info_free(struct gpiod_chip_info *info);
void __wrap_gpiod_chip_info_free(struct gpiod_chip_info *info) {
        free(info);
}

struct gpiod_line_info *__wrap_gpiod_chip_get_line_info(struct gpiod_chip *chip, unsigned int offset);
struct gpiod_line_info *__wrap_gpiod_chip_get_line_info(struct gpiod_chip *chip, unsigned int offset) {
        static struct mline free_line;
        assert_true(chip->opens > 0);
        assert_true(offset < NLINES);
        struct gpiod_line_info *i = malloc(sizeof(*i));
        i->l = &chip->lines[offset];
        if (i->l == steal) {
                /* Free when looked at, taken by another process right after. */
                i->l = &free_line;
                chip->lines[offset].busy_external = true;
                steal = NULL;
        }
        return i;
}
bool __wrap_gpiod_line_info_is_used(struct gpiod_line_info *info);
bool __wrap_gpiod_line_info_is_used(struct gpiod_line_info *info) {
        return info->l->requested || info->l->busy_external;
}
const char *__wrap_gpiod_line_info_get_consumer(struct gpiod_line_info *info);
const char *__wrap_gpiod_line_info_get_consumer(struct gpiod_line_info *info) {
        return info->l->busy_external ? "fan-daemon" : info->l->consumer;
}
void __wrap_gpiod_line_info_free(struct gpiod_line_info *info);
void __wrap_gpiod_line_info_free(struct gpiod_line_info *info) {
        free(info);
}

int __wrap_gpiod_chip_get_line_offset_from_name(struct gpiod_chip *chip, const char *name);
int __wrap_gpiod_chip_get_line_offset_from_name(struct gpiod_chip *chip, const char *name) {
        assert_true(chip->opens > 0);
        for (int i = 0; i < NLINES; i++)
                if (chip->lines[i].name && strcmp(chip->lines[i].name, name) == 0)
                        return i;
        errno = ENOENT;
        return -1;
}

/* The kernel's side of a request: what libgpiod would pass down, read back through libgpiod's getters. */
struct gpiod_line_request *__wrap_gpiod_chip_request_lines(struct gpiod_chip *chip, struct gpiod_request_config *rc,
                                                           struct gpiod_line_config *lc);
struct gpiod_line_request *__wrap_gpiod_chip_request_lines(struct gpiod_chip *chip, struct gpiod_request_config *rc,
                                                           struct gpiod_line_config *lc) {
        unsigned offs[NLINES];
        assert_true(chip->opens > 0);
        size_t n = gpiod_line_config_get_num_configured_offsets(lc);
        assert_true(n > 0 && n <= NLINES);
        assert_int_equal(gpiod_line_config_get_configured_offsets(lc, offs, NLINES), n);
        for (size_t i = 0; i < n; i++)
                if (chip->lines[offs[i]].requested || chip->lines[offs[i]].busy_external) {
                        errno = EBUSY;
                        return NULL;
                }
        struct gpiod_line_request *r = NULL;
        for (int i = 0; i < NREQ && !r; i++)
                if (!reqs[i].live)
                        r = &reqs[i];
        assert_non_null(r);
        *r = (struct gpiod_line_request) { .chip = chip, .live = true, .n = n };
        memcpy(r->offsets, offs, n * sizeof(offs[0]));
        /* Blocking, as the kernel hands it out: the backend must make its end non-blocking. */
        assert_int_equal(pipe2(r->pipe, O_CLOEXEC), 0);
        const char *consumer = gpiod_request_config_get_consumer(rc);
        for (size_t i = 0; i < n; i++) {
                struct mline *l = &chip->lines[offs[i]];
                struct gpiod_line_settings *s = gpiod_line_config_get_line_settings(lc, offs[i]);
                assert_non_null(s);
                l->requested = true;
                l->req = r;
                snprintf(l->consumer, sizeof(l->consumer), "%s", consumer ? consumer : "");
                l->direction = gpiod_line_settings_get_direction(s);
                l->edge = gpiod_line_settings_get_edge_detection(s);
                l->bias = gpiod_line_settings_get_bias(s);
                l->active_low = gpiod_line_settings_get_active_low(s);
                l->debounce_us = gpiod_line_settings_get_debounce_period_us(s);
                l->initial = gpiod_line_settings_get_output_value(s) == GPIOD_LINE_VALUE_ACTIVE;
                if (l->direction == GPIOD_LINE_DIRECTION_OUTPUT)
                        l->value = l->initial;
                gpiod_line_settings_free(s);
        }
        n_requests++;
        return r;
}

void __wrap_gpiod_line_request_release(struct gpiod_line_request *r);
void __wrap_gpiod_line_request_release(struct gpiod_line_request *r) {
        release(r);
}

static struct mline *req_line(struct gpiod_line_request *r, unsigned offset) {
        assert_true(r->live);
        for (size_t i = 0; i < r->n; i++)
                if (r->offsets[i] == offset)
                        return &r->chip->lines[offset];
        fail_msg("line %u is not in the request", offset);
        return NULL;
}

int __wrap_gpiod_line_request_set_value(struct gpiod_line_request *r, unsigned int offset, enum gpiod_line_value v);
int __wrap_gpiod_line_request_set_value(struct gpiod_line_request *r, unsigned int offset, enum gpiod_line_value v) {
        struct mline *l = req_line(r, offset);
        assert_int_equal(l->direction, GPIOD_LINE_DIRECTION_OUTPUT);
        assert_true(v == GPIOD_LINE_VALUE_ACTIVE || v == GPIOD_LINE_VALUE_INACTIVE);
        l->value = v == GPIOD_LINE_VALUE_ACTIVE;
        assert_true(n_writes < 256);
        writes[n_writes++] = (struct write_rec) { l, l->value };
        return 0;
}

enum gpiod_line_value __wrap_gpiod_line_request_get_value(struct gpiod_line_request *r, unsigned int offset);
enum gpiod_line_value __wrap_gpiod_line_request_get_value(struct gpiod_line_request *r, unsigned int offset) {
        return req_line(r, offset)->value ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE;
}

int __wrap_gpiod_line_request_get_fd(struct gpiod_line_request *r);
int __wrap_gpiod_line_request_get_fd(struct gpiod_line_request *r) {
        assert_true(r->live);
        return r->pipe[0];
}

struct gpiod_edge_event_buffer *__wrap_gpiod_edge_event_buffer_new(size_t capacity);
struct gpiod_edge_event_buffer *__wrap_gpiod_edge_event_buffer_new(size_t capacity) {
        assert_true(capacity > 0 && capacity <= 64);
        struct gpiod_edge_event_buffer *b = calloc(1, sizeof(*b));
        b->capacity = capacity;
        n_buffers++;
        return b;
}
void __wrap_gpiod_edge_event_buffer_free(struct gpiod_edge_event_buffer *b);
void __wrap_gpiod_edge_event_buffer_free(struct gpiod_edge_event_buffer *b) {
        n_buffers--;
        free(b);
}
struct gpiod_edge_event *__wrap_gpiod_edge_event_buffer_get_event(struct gpiod_edge_event_buffer *b, unsigned long i);
struct gpiod_edge_event *__wrap_gpiod_edge_event_buffer_get_event(struct gpiod_edge_event_buffer *b, unsigned long i) {
        assert_true(i < b->n);
        return &b->ev[i];
}
enum gpiod_edge_event_type __wrap_gpiod_edge_event_get_event_type(struct gpiod_edge_event *ev);
enum gpiod_edge_event_type __wrap_gpiod_edge_event_get_event_type(struct gpiod_edge_event *ev) {
        return ev->type;
}
unsigned int __wrap_gpiod_edge_event_get_line_offset(struct gpiod_edge_event *ev);
unsigned int __wrap_gpiod_edge_event_get_line_offset(struct gpiod_edge_event *ev) {
        return ev->offset;
}

int __wrap_gpiod_line_request_read_edge_events(struct gpiod_line_request *r, struct gpiod_edge_event_buffer *b,
                                               size_t max);
int __wrap_gpiod_line_request_read_edge_events(struct gpiod_line_request *r, struct gpiod_edge_event_buffer *b,
                                               size_t max) {
        char buf[64];
        assert_true(r->live);
        assert_true(max <= b->capacity);
        /* A read of the request fd: blocks unless O_NONBLOCK, which the backend must have set. */
        assert_true(fcntl(r->pipe[0], F_GETFL) & O_NONBLOCK);
        ssize_t k = read(r->pipe[0], buf, max);
        if (k <= 0) {
                errno = k < 0 ? errno : EIO;
                return -1;
        }
        assert_true(k <= r->n_events);
        for (ssize_t i = 0; i < k; i++)
                b->ev[i] = (struct gpiod_edge_event) { .offset = r->events[i].offset, .type = r->events[i].type };
        b->n = (size_t) k;
        memmove(r->events, r->events + k, (size_t) (r->n_events - k) * sizeof(r->events[0]));
        r->n_events -= (int) k;
        return (int) k;
}

/* The outside world moves an input line (logical level). */
static void edge(struct mline *l, int level) {
        assert_true(l->requested);
        assert_int_equal(l->direction, GPIOD_LINE_DIRECTION_INPUT);
        struct gpiod_line_request *r = l->req;
        assert_true(r->n_events < 128);
        l->value = level;
        r->events[r->n_events].offset = (unsigned) (l - l->req->chip->lines);
        r->events[r->n_events++].type = level ? GPIOD_EDGE_EVENT_RISING_EDGE : GPIOD_EDGE_EVENT_FALLING_EDGE;
        assert_int_equal(write(r->pipe[1], "e", 1), 1);
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
 * As in test-gpio-mock.c:
 * carriage:  pwm 0/0 (max_duty 0.8), dir gpiochip0:17
 * pump:      gpio gpiochip0:6 (no PWM)
 * valve-lumbar-left: gpiochip0:5, safe 0;  valve-seat: chip "1" line 3 active-low, safe 1
 * tap:       pwm 0/1
 * estop DEV/gpiochip0:4 active-low, pull-up, kernel debounce 2 ms, debounce 5 ms;
 * occupancy by name SEAT_SENSE (pull-down) debounce 20 ms; obstacle by chip
 * label + name; encoder gpiochip0:23; carriage_home gpiochip1:9 (bias disabled)
 */
static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        f->root = fs_mkroot();
        snprintf(dev_dir, sizeof(dev_dir), "%s/dev", f->root);
        /* Real files, so that the backend's scan of the device directory finds the chips. */
        fs_write(f->root, "dev/gpiochip0", "%s", "");
        fs_write(f->root, "dev/gpiochip1", "%s", "");
        fs_write(f->root, "dev/gpiochip-not-a-chip", "%s", "");
        fs_write(f->root, "dev/null", "%s", "");
        kernel_reset();
        fs_config_init(&f->cfg, f->root, dev_dir);
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
        in->estop = gpio_at(chips[0].path, 4, true);
        in->estop.debounce_ms = 5;
        in->estop.bias = CHAIR_GPIO_BIAS_PULL_UP;
        in->estop.debounce_us = 2000;
        in->occupancy = (struct chair_gpio_binding) { .set = true, .offset = -1, .name = (char *) "SEAT_SENSE",
                                                      .debounce_ms = 20, .bias = CHAIR_GPIO_BIAS_PULL_DOWN };
        in->obstacle = (struct chair_gpio_binding) { .set = true, .chip = (char *) "expander", .offset = -1, .name = (char *) "OBSTACLE" };
        in->encoder = gpio_at("gpiochip0", 23, false);
        in->carriage_home = gpio_at("gpiochip1", 9, false);
        in->carriage_home.bias = CHAIR_GPIO_BIAS_DISABLED;
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
        for (int c = 0; c < NCHIPS; c++) {
                for (int i = 0; i < NLINES; i++)
                        assert_false(chips[c].lines[i].requested);
                assert_int_equal(chips[c].opens, 0);
        }
        for (int i = 0; i < NREQ; i++)
                assert_false(reqs[i].live);
        assert_int_equal(n_buffers, 0);
}

#define OUT GPIOD_LINE_DIRECTION_OUTPUT
#define IN GPIOD_LINE_DIRECTION_INPUT

static void test_requests(void **state) {
        struct fixture *f = *state;
        struct chair_hal *h = NULL;
        struct chair_errors errs = { 0 };

        /* The occupant is seated when we start: the kernel reports the line high. */
        L(0, 22)->value = 1;
        assert_int_equal(chair_hal_linux_new(&f->cfg, &errs, &h), 0);
        assert_int_equal(errs.n, 0);

        static const struct {
                int chip, off;
                enum gpiod_line_direction dir;
                bool active_low;
                enum gpiod_line_bias bias;
                unsigned long debounce_us;
                int initial;
        } want[] = {
                { 0, 17, OUT, false, GPIOD_LINE_BIAS_AS_IS, 0, 0 },           /* carriage dir */
                { 0, 6, OUT, false, GPIOD_LINE_BIAS_AS_IS, 0, 0 },            /* pump off */
                { 0, 5, OUT, false, GPIOD_LINE_BIAS_AS_IS, 0, 0 },            /* valve vented */
                { 1, 3, OUT, true, GPIOD_LINE_BIAS_AS_IS, 0, 1 },             /* valve safe 1 */
                { 0, 4, IN, true, GPIOD_LINE_BIAS_PULL_UP, 2000, -1 },        /* estop */
                { 0, 22, IN, false, GPIOD_LINE_BIAS_PULL_DOWN, 0, -1 },       /* occupancy */
                { 1, 7, IN, false, GPIOD_LINE_BIAS_AS_IS, 0, -1 },            /* obstacle */
                { 0, 23, IN, false, GPIOD_LINE_BIAS_AS_IS, 0, -1 },           /* encoder */
                { 1, 9, IN, false, GPIOD_LINE_BIAS_DISABLED, 0, -1 },         /* home */
        };
        int n_lines = 0;
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
                struct mline *l = L(want[i].chip, (unsigned) want[i].off);
                print_message("chip %d line %d\n", want[i].chip, want[i].off);
                assert_true(l->requested);
                assert_string_equal(l->consumer, "chaird");
                assert_int_equal(l->direction, want[i].dir);
                assert_int_equal(l->edge, want[i].dir == IN ? GPIOD_LINE_EDGE_BOTH : GPIOD_LINE_EDGE_NONE);
                assert_int_equal(l->active_low, want[i].active_low);
                assert_int_equal(l->bias, want[i].bias);
                assert_int_equal(l->debounce_us, want[i].debounce_us);
                if (want[i].initial >= 0)
                        assert_int_equal(l->initial, want[i].initial);
        }
        for (int c = 0; c < NCHIPS; c++)
                for (int i = 0; i < NLINES; i++)
                        n_lines += chips[c].lines[i].requested;
        assert_int_equal(n_lines, (int) (sizeof(want) / sizeof(want[0])));
        /* One request per chip, however the config named the chip (name, number, path, label, line name). */
        assert_int_equal(n_requests, 2);
        assert_ptr_equal(L(0, 17)->req, L(0, 22)->req);
        assert_ptr_equal(L(1, 3)->req, L(1, 9)->req);
        assert_int_equal(chips[0].opens, 1);
        assert_int_equal(chips[1].opens, 1);
        /* Nothing written beyond the requests: the request itself set the safe values. */
        assert_int_equal(n_writes, 0);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm0/enable"), 1);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm0/duty_cycle"), 0);

        struct chair_inputs in = { 0 };
        assert_int_equal(chair_hal_read(h, 1000, &in), 0);
        assert_true(in.occupied);
        assert_false(in.estop);

        chair_hal_free(h);
        assert_no_line_requested();
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm0/enable"), 0);
        chair_errors_clear(&errs);
}

/* A short session: per tick, the logical outputs and what the kernel/sysfs must see. */
static void test_session_writes(void **state) {
        struct fixture *f = *state;
        struct chair_hal *h = NULL;
        struct chair_outputs out;
        struct {
                float carriage, tap, pump, valve_ll, valve_seat;
                int w[6][3];       /* line writes this tick, in order: (chip, off, value), ended by chip -1 */
                long carriage_duty, tap_duty;
        } ticks[] = {
                { 0, 0, 0, 0, 1, { { -1 } }, 0, 0 },
                { 0.5f, 0.3f, 0.7f, 1, 0, { { 0, 6, 1 }, { 0, 5, 1 }, { 1, 3, 0 }, { -1 } }, 20000, 15000 },
                { 0.5f, 0.3f, 0.7f, 1, 0, { { -1 } }, 20000, 15000 },
                { -0.25f, 0.3f, 0.01f, 1, 0, { { 0, 17, 1 }, { -1 } }, 10000, 15000 },
                { -1.0f, 0, 0, 0, 0, { { 0, 6, 0 }, { 0, 5, 0 }, { -1 } }, 40000, 0 },
                { 2.0f, 0, 0, 0.4f, 1, { { 0, 17, 0 }, { 1, 3, 1 }, { -1 } }, 40000, 0 },
                { NAN, 0, 0, 0, 1, { { -1 } }, 0, 0 },
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

/* E-stop: an edge shows on the very next read, and that tick's safe outputs reach every line. */
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
        chair_outputs_safe(&f->cfg, &out);
        assert_int_equal(chair_hal_write(h, &out), 0);
        assert_int_equal(chair_hal_linux_settle(h, 5000), 0);   /* the output thread applied it */
        assert_int_equal(L(0, 17)->value, 0);     /* back to forward, after the duty went to 0 */
        assert_int_equal(L(0, 6)->value, 0);
        assert_int_equal(L(0, 5)->value, 0);
        assert_int_equal(L(1, 3)->value, 1);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm0/duty_cycle"), 0);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm1/duty_cycle"), 0);

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

        /* A press shorter than a tick still reports estop on the next read. */
        edge(L(0, 4), 1);
        edge(L(0, 4), 0);
        t += 2000000;
        assert_int_equal(chair_hal_read(h, t, &in), 0);
        assert_true(in.estop);
        chair_hal_free(h);
}

/* Encoder edges share the chip's one event fd with estop and occupancy: each counted on its own line. */
static void test_encoder_and_switches(void **state) {
        struct fixture *f = *state;
        struct chair_hal *h = NULL;
        struct chair_inputs in = { 0 };
        uint64_t t = 5000000000ull;

        L(0, 22)->value = 1;   /* seated */
        assert_int_equal(chair_hal_linux_new(&f->cfg, NULL, &h), 0);
        assert_int_equal(chair_hal_read(h, t, &in), 0);
        uint32_t p0 = in.encoder_pulses;

        /* Bursts per tick; 40 edges are more than one 16-event batch, 60 more than the 4 batches of one tick. */
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
                assert_true(in.occupied);
                assert_false(in.estop);
        }
        for (int k = 0; k < 70; k++) {
                level = !level;
                edge(L(0, 23), level);
        }
        total += 70;
        t += 2000000;
        assert_int_equal(chair_hal_read(h, t, &in), 0);
        assert_int_equal(in.encoder_pulses - p0, total - 6);   /* 64 this tick ... */
        t += 2000000;
        assert_int_equal(chair_hal_read(h, t, &in), 0);
        assert_int_equal(in.encoder_pulses - p0, total);       /* ... the rest on the next */

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
        assert_int_equal(gone_after, 11);

        /* End switch and obstacle (chip 1's fd) act at once. */
        edge(L(1, 9), 1);
        edge(L(1, 7), 1);
        t += 2000000;
        assert_int_equal(chair_hal_read(h, t, &in), 0);
        assert_true(in.carriage_home);
        assert_true(in.obstacle);
        assert_false(in.carriage_end);
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
        in->obstacle.chip = (char *) "no-such-label";
        in->carriage_end = gpio_at("/dev/../gpiochip0", 23, false);            /* a path that is no chip here */
        o[CHAIR_ACT_BACKREST].present = true;                                  /* no bindings at all */

        assert_true(chair_hal_linux_new(&f->cfg, &errs, &h) < 0);
        assert_null(h);
        static const struct {
                const char *path, *needle1, *needle2;
        } want[] = {
                { "hardware.outputs.carriage.dir", "carriage", "gpiochip9" },
                { "hardware.outputs.tap.pwm", "tap", "/pwm/pwmchip3" },
                { "hardware.outputs.valve-lumbar-left.gpio", "valve-lumbar-left", "line 99" },
                { "hardware.outputs.valve-seat.gpio", "valve-seat", "in use by another consumer: fan-daemon" },
                { "hardware.outputs.backrest.dir", "backrest", "no direction line" },
                { "hardware.outputs.backrest.pwm", "backrest", "no pwm channel" },
                { "hardware.inputs.occupancy", "occupancy", "NO_SUCH_LINE" },
                { "hardware.inputs.obstacle", "obstacle", "'no-such-label' not found" },
                { "hardware.inputs.carriage_end", "carriage_end", "/dev/../gpiochip0" },
        };
        assert_int_equal(errs.n, sizeof(want) / sizeof(want[0]));
        for (size_t i = 0; i < errs.n; i++) {
                bool found = false;
                print_message("%s: %s\n", errs.v[i].path, errs.v[i].message);
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
        assert_no_line_requested();
        chair_errors_clear(&errs);

        /* The same line twice (by chip number and by name): the second binding is named. */
        kernel_reset();
        f->cfg.hardware.outputs[CHAIR_ACT_BACKREST].present = false;
        o[CHAIR_ACT_CARRIAGE].dir = gpio_at("gpiochip0", 17, false);
        o[CHAIR_ACT_VALVE_LUMBAR_LEFT].gpio = gpio_at("gpiochip0", 5, false);
        o[CHAIR_ACT_TAP].pwm = pwm_at(0, 1, 1.0f);
        in->occupancy.name = (char *) "SEAT_SENSE";
        in->obstacle.chip = (char *) "expander";
        in->carriage_end = (struct chair_gpio_binding) { .set = true, .offset = -1, .name = (char *) "SEAT_SENSE", .line = 12, .column = 5 };
        assert_true(chair_hal_linux_new(&f->cfg, &errs, &h) < 0);
        assert_int_equal(errs.n, 1);
        assert_string_equal(errs.v[0].path, "hardware.inputs.carriage_end");
        assert_non_null(strstr(errs.v[0].message, "in use by another binding of chaird"));
        assert_int_equal(errs.v[0].line, 12);
        assert_no_line_requested();
        chair_errors_clear(&errs);
}

/* A line taken by someone else between check and claim: the commit fails and names that line's binding,
 * and the other chip's lines are still claimed, so held at their safe values. */
static void test_lost_at_commit(void **state) {
        struct fixture *f = *state;
        struct chair_errors errs = { 0 };
        struct chair_hal *h = NULL;
        struct chair_output_config *o = f->cfg.hardware.outputs;

        o[CHAIR_ACT_VALVE_SEAT].gpio.line = 40;
        o[CHAIR_ACT_VALVE_SEAT].gpio.column = 15;
        L(0, 17)->value = 1;
        L(0, 6)->value = 1;
        L(1, 3)->value = 0;
        steal = L(1, 3);
        assert_true(chair_hal_linux_safe_state(&f->cfg, &errs) < 0);
        assert_null(steal);                  /* it was checked, then taken */
        assert_int_equal(errs.n, 1);
        assert_string_equal(errs.v[0].path, "hardware.outputs.valve-seat.gpio");
        assert_int_equal(errs.v[0].line, 40);
        assert_int_equal(errs.v[0].column, 15);
        assert_non_null(strstr(errs.v[0].message, "gpiochip1"));
        assert_non_null(strstr(errs.v[0].message, "is in use by another consumer"));
        assert_int_equal(L(0, 17)->value, 0);
        assert_int_equal(L(0, 6)->value, 0);
        assert_int_equal(L(0, 17)->initial, 0);
        assert_false(L(1, 3)->requested);
        L(1, 3)->busy_external = false;
        assert_no_line_requested();
        chair_errors_clear(&errs);

        /* The daemon's start: the same failure at the same binding, nothing left claimed. */
        kernel_reset();
        steal = L(1, 3);
        assert_true(chair_hal_linux_new(&f->cfg, &errs, &h) < 0);
        assert_null(h);
        assert_int_equal(errs.n, 1);
        assert_string_equal(errs.v[0].path, "hardware.outputs.valve-seat.gpio");
        L(1, 3)->busy_external = false;
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
        static const struct { int chip, off, value; bool active_low; } want[] = {
                { 0, 17, 0, false }, { 0, 6, 0, false }, { 0, 5, 0, false }, { 1, 3, 1, true },
        };
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
                struct mline *l = L(want[i].chip, (unsigned) want[i].off);
                assert_int_equal(l->direction, OUT);
                assert_int_equal(l->initial, want[i].value);
                assert_int_equal(l->value, want[i].value);
                assert_int_equal(l->active_low, want[i].active_low);
                assert_string_equal(l->consumer, "chaird");
        }
        assert_int_equal(n_requests, 2);   /* outputs only (inputs are not touched), one request per chip */
        assert_false(L(0, 4)->requested || L(0, 4)->direction);
        assert_no_line_requested();
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
        assert_non_null(strstr(errs.v[1].message, "fan-daemon"));
        assert_int_equal(L(0, 6)->value, 0);
        assert_int_equal(L(0, 5)->value, 0);
        assert_int_equal(L(1, 3)->initial, 1);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm1/enable"), 0);
        chair_errors_clear(&errs);

        /* The only line asked for on a chip fails its check: that chip has nothing to claim, the others do. */
        kernel_reset();
        f->cfg.hardware.outputs[CHAIR_ACT_CARRIAGE].pwm.chip = 0;
        L(1, 3)->busy_external = true;
        L(0, 6)->value = 1;
        assert_true(chair_hal_linux_safe_state(&f->cfg, &errs) < 0);
        assert_int_equal(errs.n, 1);
        assert_string_equal(errs.v[0].path, "hardware.outputs.valve-seat.gpio");
        assert_int_equal(n_requests, 1);
        assert_int_equal(L(0, 6)->value, 0);
        L(1, 3)->busy_external = false;
        assert_no_line_requested();
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
        assert_int_equal(n_writes, 4);
        assert_int_equal(L(0, 17)->value, 0);
        assert_int_equal(L(0, 6)->value, 0);
        assert_int_equal(L(0, 5)->value, 0);
        assert_int_equal(L(1, 3)->value, 1);
        assert_int_equal(fs_read_long(f->root, "pwm/pwmchip0/pwm0/enable"), 0);
        chair_hal_free(h);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_requests, setup, teardown),
                cmocka_unit_test_setup_teardown(test_session_writes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_estop_edge, setup, teardown),
                cmocka_unit_test_setup_teardown(test_encoder_and_switches, setup, teardown),
                cmocka_unit_test_setup_teardown(test_binding_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_lost_at_commit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_safe_state, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hal_safe, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
