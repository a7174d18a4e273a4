/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "deadman.h"
#include "errors.h"
#include "gpio.h"
#include "hal-linux.h"
#include "hal.h"
#include "iio.h"
#include "pwm.h"
#include "triple.h"

#define NSEC_PER_SEC CHAIR_NSEC_PER_SEC
/* The output thread wakes at least this often to run the dead-man's clock
 * (and at least four times per max_stall_ms). */
#define OUT_IDLE_WAKE_NS (10ULL * 1000000ULL)
/* Default sample age limit: this many sample periods plus the slack below. */
#define AGE_PERIODS 3
#define AGE_SLACK_NS (50ULL * 1000000ULL)

enum in_role {
        IN_ESTOP,
        IN_OCCUPANCY,
        IN_OBSTACLE,
        IN_ENCODER,
        IN_CARRIAGE_HOME,
        IN_CARRIAGE_END,
        IN_BACKREST_MIN,
        IN_BACKREST_MAX,
        IN_LEGREST_MIN,
        IN_LEGREST_MAX,
        _IN_COUNT,
};

static const char *const in_names[_IN_COUNT] = {
        [IN_ESTOP] = "estop",
        [IN_OCCUPANCY] = "occupancy",
        [IN_OBSTACLE] = "obstacle",
        [IN_ENCODER] = "encoder",
        [IN_CARRIAGE_HOME] = "carriage_home",
        [IN_CARRIAGE_END] = "carriage_end",
        [IN_BACKREST_MIN] = "backrest_min",
        [IN_BACKREST_MAX] = "backrest_max",
        [IN_LEGREST_MIN] = "legrest_min",
        [IN_LEGREST_MAX] = "legrest_max",
};

enum an_role {
        AN_HEATER,
        AN_DEPTH,
        AN_BACKREST,
        AN_LEGREST,
        AN_PRESSURE,               /* + enum chair_airbag */
        _AN_COUNT = AN_PRESSURE + _CHAIR_BAG_COUNT,
};

struct out_ent {
        bool present;
        enum chair_act_kind kind;
        struct chair_pwm *pwm;
        float max_duty;
        float duty;                /* last duty fraction handed to pwm (for direction flips) */
        int dir, sw;               /* gpio handles or -1 */
        int dir_val, sw_val;       /* last value written, -1 unknown */
};

struct in_ent {
        bool present;
        int h;
        bool fail_fast;            /* active at once, release debounced */
        bool raw;                  /* level after the last edge */
        bool state;                /* what read() reports */
        uint64_t changed_ns;
        uint64_t debounce_ns;
};

/* Analog channel: opened on the main thread, read by the input thread only. */
struct an_ent {
        bool present;
        struct chair_iio *c;
        uint64_t period_ns, next_ns;
        uint64_t max_age_ns;
};

/* One sample per analog channel, as the input thread hands it to the tick. */
struct an_sample {
        uint64_t t_ns;             /* CLOCK_MONOTONIC when the read began; 0 = never */
        int32_t raw;
        bool ok;
};
struct an_snapshot {
        struct an_sample s[_AN_COUNT];
};

/* The outputs as the tick posts them to the output thread. */
struct out_post {
        struct chair_outputs v;
        uint64_t fed_ns;           /* CLOCK_MONOTONIC of the tick's write() */
};

struct hal_linux {
        struct chair_hal base;
        struct chair_gpio *gpio;
        struct out_ent out[_CHAIR_ACT_COUNT];   /* output thread's (main thread before start) */
        struct in_ent in[_IN_COUNT];            /* tick's */
        struct an_ent an[_AN_COUNT];            /* input thread's */
        uint32_t encoder_pulses;

        /* tick -> output thread */
        struct chair_triple *posts;
        int out_wake_fd;
        /* input thread -> tick */
        struct chair_triple *samples;
        struct an_snapshot in_work;             /* input thread's working copy */

        struct chair_deadman dm;                /* output thread's */
        _Atomic uint32_t cut;                   /* outputs the dead-man cut, not yet taken by the tick */
        _Atomic uint64_t out_errors;            /* failed output writes (output thread) */
        uint64_t out_errors_seen;               /* tick's */
        _Atomic bool quit;
        _Atomic bool safe_req;                  /* main thread asks the output thread for safe_all() */
        _Atomic int safe_result;
        _Atomic uint64_t applied_ns;            /* when the output thread last finished applying */
        _Atomic uint64_t sampled_ns;            /* start of the input thread's last complete round */
        pthread_t out_thread, in_thread;
        bool out_running, in_running;
        int rt_priority;
};

static const struct chair_gpio_binding *in_binding(const struct chair_config *cfg, enum in_role r) {
        const struct chair_input_config *i = &cfg->hardware.inputs;
        switch (r) {
        case IN_ESTOP: return &i->estop;
        case IN_OCCUPANCY: return &i->occupancy;
        case IN_OBSTACLE: return &i->obstacle;
        case IN_ENCODER: return &i->encoder;
        case IN_CARRIAGE_HOME: return &i->carriage_home;
        case IN_CARRIAGE_END: return &i->carriage_end;
        case IN_BACKREST_MIN: return &i->backrest_min;
        case IN_BACKREST_MAX: return &i->backrest_max;
        case IN_LEGREST_MIN: return &i->legrest_min;
        case IN_LEGREST_MAX: return &i->legrest_max;
        default: return NULL;
        }
}

static const struct chair_iio_binding *an_binding(const struct chair_config *cfg, int r, char *path, size_t len) {
        const struct chair_input_config *i = &cfg->hardware.inputs;
        switch (r) {
        case AN_HEATER:
                snprintf(path, len, "hardware.inputs.heater_temp");
                return &i->heater_temp;
        case AN_DEPTH:
                snprintf(path, len, "hardware.inputs.depth_pos");
                return &i->depth_pos;
        case AN_BACKREST:
                snprintf(path, len, "hardware.inputs.backrest_pos");
                return &i->backrest_pos;
        case AN_LEGREST:
                snprintf(path, len, "hardware.inputs.legrest_pos");
                return &i->legrest_pos;
        default:
                snprintf(path, len, "hardware.inputs.pressure.%s", chair_airbag_name(r - AN_PRESSURE));
                return &i->pressure[r - AN_PRESSURE];
        }
}

static void add_error(struct chair_errors *errs, const struct chair_config *cfg, uint32_t line, uint32_t col,
                      const char *path, const char *what, const char *why) {
        if (errs)
                (void) chair_errors_add(errs, cfg->path ? cfg->path : "(config)", line, col, path, "%s: %s", what, why);
}

static int first(int r, int k) {
        return r < 0 ? r : k;
}

/* ---- outputs ---- */

static int out_set_pwm(struct out_ent *o, float duty) {
        int r = chair_pwm_set(o->pwm, duty);
        if (r >= 0)
                o->duty = duty;
        return r;
}

static int out_set_line(struct chair_gpio *g, int h, int *cache, int v, bool force) {
        if (h < 0 || (!force && *cache == v))
                return 0;
        int r = chair_gpio_set(g, h, v);
        *cache = r < 0 ? -1 : v;
        return r;
}

/* Output thread: drive the hardware to outs (write-on-change). */
static int apply_outputs(struct hal_linux *h, const struct chair_outputs *outs) {
        const struct chair_config *cfg = h->base.cfg;
        int r = 0;

        for (int i = 0; i < _CHAIR_ACT_COUNT; i++) {
                struct out_ent *o = &h->out[i];
                if (!o->present)
                        continue;
                float v = outs->v[i];
                if (!isfinite(v))
                        v = cfg->hardware.outputs[i].safe;

                switch (o->kind) {
                case CHAIR_ACT_KIND_BIDIR: {
                        v = fminf(fmaxf(v, -1.0f), 1.0f);
                        int dir = v < 0;
                        if (dir != o->dir_val) {
                                /* Never reverse an H-bridge under drive. */
                                if (o->duty != 0.0f)
                                        r = first(r, out_set_pwm(o, 0.0f));
                                r = first(r, out_set_line(h->gpio, o->dir, &o->dir_val, dir, false));
                                if (o->dir_val != dir)
                                        break;     /* direction unknown: do not drive */
                        }
                        r = first(r, out_set_pwm(o, fabsf(v) * o->max_duty));
                        break;
                }
                case CHAIR_ACT_KIND_DUTY:
                        v = fminf(fmaxf(v, 0.0f), 1.0f);
                        if (o->pwm)
                                r = first(r, out_set_pwm(o, v * o->max_duty));
                        else
                                r = first(r, out_set_line(h->gpio, o->sw, &o->sw_val, v > 0.0f, false));
                        break;
                case CHAIR_ACT_KIND_SWITCH:
                        r = first(r, out_set_line(h->gpio, o->sw, &o->sw_val, v >= 0.5f, false));
                        break;
                }
        }
        return r;
}

/* Output thread (or the main thread once the output thread is gone). */
static int safe_all(struct hal_linux *h) {
        const struct chair_config *cfg = h->base.cfg;
        int r = 0;

        /* Forced writes: after a failure the caches may not be what the hardware holds. */
        for (int i = 0; i < _CHAIR_ACT_COUNT; i++) {
                struct out_ent *o = &h->out[i];
                if (!o->present)
                        continue;
                if (o->pwm) {
                        int k = chair_pwm_off(o->pwm, true);
                        if (k >= 0)
                                o->duty = 0.0f;
                        r = first(r, k);
                }
                r = first(r, out_set_line(h->gpio, o->dir, &o->dir_val, 0, true));
                r = first(r, out_set_line(h->gpio, o->sw, &o->sw_val, cfg->hardware.outputs[i].safe >= 0.5f, true));
        }
        return r;
}

/* ---- inputs ---- */

static void in_update(struct in_ent *e, const struct chair_gpio_edges *ed, uint64_t now_ns) {
        if (ed->last >= 0 && (bool) ed->last != e->raw) {
                e->raw = ed->last;
                e->changed_ns = now_ns;
        }
        if (e->fail_fast && (e->raw || ed->rising > 0)) {
                /* Even a press shorter than one tick counts; release waits for a quiet line. */
                e->state = true;
                if (ed->rising > 0)
                        e->changed_ns = now_ns;
                return;
        }
        if (now_ns - e->changed_ns >= e->debounce_ns)
                e->state = e->raw;
}

/* Tick: an analog sample is usable when it was read and is not too old. */
static bool sample_ok(const struct an_ent *a, const struct an_sample *x, uint64_t now_ns) {
        return x->ok && x->t_ns != 0 && (now_ns < x->t_ns || now_ns - x->t_ns <= a->max_age_ns);
}

static int hal_linux_read(struct chair_hal *hal, uint64_t now_ns, struct chair_inputs *in) {
        struct hal_linux *h = (struct hal_linux *) hal;
        const struct chair_input_config *ic = &hal->cfg->hardware.inputs;
        bool st[_IN_COUNT] = { 0 };
        int r = chair_gpio_poll(h->gpio);

        for (int i = 0; i < _IN_COUNT; i++) {
                struct in_ent *e = &h->in[i];
                if (!e->present)
                        continue;
                struct chair_gpio_edges ed;
                chair_gpio_take_edges(h->gpio, e->h, &ed);
                if (i == IN_ENCODER) {
                        h->encoder_pulses += ed.rising + ed.falling;
                        continue;
                }
                in_update(e, &ed, now_ns);
                st[i] = e->state;
        }

        in->estop = st[IN_ESTOP];
        in->occupied = h->in[IN_OCCUPANCY].present ? st[IN_OCCUPANCY] : true;
        in->obstacle = st[IN_OBSTACLE];
        in->encoder_pulses = h->encoder_pulses;
        in->carriage_home = st[IN_CARRIAGE_HOME];
        in->carriage_end = st[IN_CARRIAGE_END];
        in->backrest_min = st[IN_BACKREST_MIN];
        in->backrest_max = st[IN_BACKREST_MAX];
        in->legrest_min = st[IN_LEGREST_MIN];
        in->legrest_max = st[IN_LEGREST_MAX];

        /* The input thread's latest samples: memory only, never the bus. */
        (void) chair_triple_take(h->samples);
        const struct an_snapshot *snap = chair_triple_front(h->samples);
        bool ok[_AN_COUNT];
        for (int i = 0; i < _AN_COUNT; i++)
                ok[i] = h->an[i].present && sample_ok(&h->an[i], &snap->s[i], now_ns);

        if (!h->an[AN_HEATER].present) {
                in->heater_sensor = CHAIR_SENSOR_ABSENT;
                in->heater_c = 0.0f;
        } else if (!ok[AN_HEATER])
                in->heater_sensor = CHAIR_SENSOR_ERROR;
        else
                in->heater_sensor = chair_ntc_celsius(&ic->ntc, chair_iio_mv(h->an[AN_HEATER].c, snap->s[AN_HEATER].raw),
                                                      &in->heater_c);

        const struct chair_linear_config *maps[] = { &ic->depth_map, &ic->backrest_map, &ic->legrest_map };
        float *pos[] = { &in->depth, &in->backrest, &in->legrest };
        for (int i = 0; i < 3; i++) {
                int k = AN_DEPTH + i;
                *pos[i] = !h->an[k].present ? 0.0f : ok[k] ? chair_linear_map(maps[i], snap->s[k].raw, true) : NAN;
        }
        /* The analog table is laid out as enum chair_analog. */
        _Static_assert((int) _AN_COUNT == (int) _CHAIR_AN_COUNT && (int) AN_PRESSURE == (int) CHAIR_AN_PRESSURE,
                       "analog tables differ");
        for (int i = 0; i < _AN_COUNT; i++)
                in->raw[i] = ok[i] ? snap->s[i].raw : -1;
        for (int b = 0; b < _CHAIR_BAG_COUNT; b++) {
                int k = AN_PRESSURE + b;
                in->pressure_kpa[b] = !h->an[k].present ? 0.0f
                                      : ok[k]           ? chair_linear_map(&ic->pressure_map, snap->s[k].raw, false)
                                                        : INFINITY;
        }

        /* A write the output thread could not do is this tick's I/O failure. */
        uint64_t errs = atomic_load_explicit(&h->out_errors, memory_order_relaxed);
        if (errs != h->out_errors_seen) {
                h->out_errors_seen = errs;
                if (r >= 0)
                        r = -EIO;
        }
        return r;
}

/* Tick: hand the outputs to the output thread and wake it. */
static int hal_linux_write(struct chair_hal *hal, const struct chair_outputs *outs) {
        struct hal_linux *h = (struct hal_linux *) hal;
        struct out_post *p = chair_triple_back(h->posts);

        p->v = *outs;
        p->fed_ns = chair_now_ns();
        chair_triple_publish(h->posts);
        uint64_t one = 1;
        /* eventfd with EFD_NONBLOCK: never blocks; a saturated counter still wakes. */
        ssize_t n = write(h->out_wake_fd, &one, sizeof(one));
        (void) n;
        return 0;
}

static uint32_t hal_linux_take_cut(struct chair_hal *hal) {
        struct hal_linux *h = (struct hal_linux *) hal;
        return atomic_exchange_explicit(&h->cut, 0, memory_order_relaxed);
}

/* ---- the I/O threads ---- */

static void set_thread_priority(int prio) {
        if (prio <= 0)
                return;
        struct sched_param sp = { .sched_priority = prio };
        /* Refused (no CAP_SYS_NICE, no RLIMIT_RTPRIO) means SCHED_OTHER, as for
         * the control thread; the daemon reports the control thread's policy. */
        (void) pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
}

/* Output thread: apply the newest posted outputs under the dead-man, on every
 * post and at least every OUT_IDLE_WAKE_NS, so a tick that stops posting is
 * noticed within max_stall_ms plus that. */
static void *out_thread_main(void *userdata) {
        struct hal_linux *h = userdata;
        uint64_t wake_ns = OUT_IDLE_WAKE_NS;
        if (h->dm.stall_ns && h->dm.stall_ns / 4 < wake_ns)
                wake_ns = h->dm.stall_ns / 4;
        int timeout_ms = (int) (wake_ns / 1000000ULL);
        if (timeout_ms < 1)
                timeout_ms = 1;

        set_thread_priority(h->rt_priority);
        while (!atomic_load_explicit(&h->quit, memory_order_acquire)) {
                struct pollfd pfd = { .fd = h->out_wake_fd, .events = POLLIN };
                if (poll(&pfd, 1, timeout_ms) > 0) {
                        uint64_t n;
                        ssize_t k = read(h->out_wake_fd, &n, sizeof(n));
                        (void) k;
                }
                if (atomic_load_explicit(&h->quit, memory_order_acquire))
                        break;
                (void) chair_triple_take(h->posts);
                const struct out_post *p = chair_triple_front(h->posts);
                struct chair_outputs apply;
                uint32_t newly = chair_deadman_apply(&h->dm, chair_now_ns(), p->fed_ns, &p->v, &apply);
                /* Stale cuts are the tick's own business (loop_overrun when it
                 * comes back); on-time cuts are reported as output_timeout. */
                uint32_t on_time = newly & h->dm.tripped;
                if (on_time)
                        atomic_fetch_or_explicit(&h->cut, on_time, memory_order_relaxed);
                uint64_t began = chair_now_ns();
                if (atomic_load_explicit(&h->safe_req, memory_order_acquire)) {
                        atomic_store_explicit(&h->safe_result, safe_all(h), memory_order_relaxed);
                        atomic_store_explicit(&h->safe_req, false, memory_order_release);
                } else if (apply_outputs(h, &apply) < 0)
                        atomic_fetch_add_explicit(&h->out_errors, 1, memory_order_relaxed);
                /* What was posted before `began` is on the hardware now. */
                atomic_store_explicit(&h->applied_ns, began, memory_order_release);
        }
        return NULL;
}

static void read_channel(struct hal_linux *h, int i, uint64_t t) {
        struct an_sample *x = &h->in_work.s[i];
        int32_t raw;
        bool ok = chair_iio_read_raw(h->an[i].c, &raw) >= 0;
        x->t_ns = t;
        x->ok = ok;
        if (ok)
                x->raw = raw;
}

/* Input thread: every analog channel at its own rate, earliest due first; each
 * round's samples are published together with their read times. */
static void *in_thread_main(void *userdata) {
        struct hal_linux *h = userdata;

        set_thread_priority(h->rt_priority > 1 ? h->rt_priority - 1 : 0);
        uint64_t round_start = chair_now_ns();
        bool all_read = false;
        while (!atomic_load_explicit(&h->quit, memory_order_acquire)) {
                uint64_t now = chair_now_ns(), due = UINT64_MAX;
                bool any = false;
                for (int i = 0; i < _AN_COUNT; i++) {
                        struct an_ent *a = &h->an[i];
                        if (!a->present)
                                continue;
                        if (a->next_ns <= now) {
                                read_channel(h, i, now);
                                /* From the planned time, not from now: a slow bus makes
                                 * samples late, never the schedule drift for ever. */
                                a->next_ns += a->period_ns;
                                if (a->next_ns <= now)
                                        a->next_ns = now + a->period_ns;
                                any = true;
                                now = chair_now_ns();
                        }
                        if (a->next_ns < due)
                                due = a->next_ns;
                }
                if (any) {
                        *(struct an_snapshot *) chair_triple_back(h->samples) = h->in_work;
                        chair_triple_publish(h->samples);
                        /* Settle bookkeeping: a round is complete when every channel
                         * was read at or after round_start. */
                        all_read = true;
                        for (int i = 0; i < _AN_COUNT; i++)
                                if (h->an[i].present && h->in_work.s[i].t_ns < round_start)
                                        all_read = false;
                        if (all_read) {
                                atomic_store_explicit(&h->sampled_ns, round_start, memory_order_release);
                                round_start = chair_now_ns();
                        }
                }
                /* Sleep until the next channel is due, but look at `quit` at least
                 * every 20 ms so that destroy() never waits long. */
                uint64_t limit = chair_now_ns() + 20ULL * 1000000ULL;
                if (due > limit)
                        due = limit;
                struct timespec ts = { .tv_sec = (time_t) (due / NSEC_PER_SEC), .tv_nsec = (long) (due % NSEC_PER_SEC) };
                while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                        ;
        }
        return NULL;
}

/* Main thread: every output safe, forced (caches not trusted), done by the
 * thread that owns the outputs; waits for it (bounded). */
static int hal_linux_safe(struct chair_hal *hal) {
        struct hal_linux *h = (struct hal_linux *) hal;

        if (!h->out_running)
                return safe_all(h);
        struct out_post *p = chair_triple_back(h->posts);
        chair_outputs_safe(hal->cfg, &p->v);
        p->fed_ns = chair_now_ns();
        chair_triple_publish(h->posts);
        atomic_store_explicit(&h->safe_result, 1, memory_order_relaxed);
        atomic_store_explicit(&h->safe_req, true, memory_order_release);
        uint64_t one = 1;
        ssize_t n = write(h->out_wake_fd, &one, sizeof(one));
        (void) n;
        for (int i = 0; i < 5000 && atomic_load_explicit(&h->safe_req, memory_order_acquire); i++) {
                struct timespec ts = { 0, 200000 };
                nanosleep(&ts, NULL);
        }
        if (atomic_load_explicit(&h->safe_req, memory_order_acquire))
                return -ETIMEDOUT;
        return atomic_load_explicit(&h->safe_result, memory_order_relaxed);
}

static int start_thread(pthread_t *t, void *(*fn)(void *), void *arg, const char *name) {
        int r = pthread_create(t, NULL, fn, arg);
        if (r != 0)
                return -r;
        pthread_setname_np(*t, name);
        return 0;
}

static void stop_threads(struct hal_linux *h) {
        atomic_store_explicit(&h->quit, true, memory_order_release);
        if (h->out_running) {
                uint64_t one = 1;
                ssize_t n = write(h->out_wake_fd, &one, sizeof(one));
                (void) n;
                pthread_join(h->out_thread, NULL);
                h->out_running = false;
        }
        if (h->in_running) {
                pthread_join(h->in_thread, NULL);
                h->in_running = false;
        }
}

static void hal_linux_destroy(struct chair_hal *hal) {
        struct hal_linux *h = (struct hal_linux *) hal;

        /* The threads first: after this, the outputs are this thread's again. */
        stop_threads(h);
        if (h->gpio)
                (void) safe_all(h);
        for (int i = 0; i < _CHAIR_ACT_COUNT; i++)
                h->out[i].pwm = chair_pwm_free(h->out[i].pwm);
        for (int i = 0; i < _AN_COUNT; i++)
                h->an[i].c = chair_iio_free(h->an[i].c);
        h->gpio = chair_gpio_free(h->gpio);
        h->posts = chair_triple_free(h->posts);
        h->samples = chair_triple_free(h->samples);
        if (h->out_wake_fd >= 0)
                close(h->out_wake_fd);
        free(h);
}

static const struct chair_hal_ops hal_linux_ops = {
        .name = "linux",
        .read = hal_linux_read,
        .write = hal_linux_write,
        .safe = hal_linux_safe,
        .destroy = hal_linux_destroy,
        .take_cut = hal_linux_take_cut,
};

/* ---- start-up ---- */

static int open_outputs(struct hal_linux *h, const struct chair_config *cfg, struct chair_errors *errs) {
        char why[512], path[128];
        int r = 0;

        for (int i = 0; i < _CHAIR_ACT_COUNT; i++) {
                const struct chair_output_config *oc = &cfg->hardware.outputs[i];
                struct out_ent *o = &h->out[i];
                const char *name = chair_actuator_name(i);
                o->dir = o->sw = o->dir_val = o->sw_val = -1;
                if (!oc->present)
                        continue;
                o->present = true;
                o->kind = chair_actuator_kind(i);
                o->max_duty = oc->pwm.max_duty > 0 && oc->pwm.max_duty <= 1 ? oc->pwm.max_duty : 1.0f;

                bool want_pwm = o->kind == CHAIR_ACT_KIND_BIDIR || (o->kind == CHAIR_ACT_KIND_DUTY && oc->pwm.set);
                bool want_dir = o->kind == CHAIR_ACT_KIND_BIDIR;
                bool want_sw = !want_pwm;
                int safe_sw = oc->safe >= 0.5f;

                if (want_dir) {
                        snprintf(path, sizeof(path), "hardware.outputs.%s.dir", name);
                        int k = oc->dir.set ? chair_gpio_request_output(h->gpio, &oc->dir, 0, why, sizeof(why))
                                            : (snprintf(why, sizeof(why), "no direction line configured"), -EINVAL);
                        if (k < 0) {
                                add_error(errs, cfg, oc->dir.line, oc->dir.column, path, name, why);
                                r = first(r, k);
                        } else {
                                o->dir = k;
                                o->dir_val = 0;
                        }
                }
                if (want_sw) {
                        snprintf(path, sizeof(path), "hardware.outputs.%s.gpio", name);
                        int k = oc->gpio.set ? chair_gpio_request_output(h->gpio, &oc->gpio, safe_sw, why, sizeof(why))
                                             : (snprintf(why, sizeof(why), "no %s configured",
                                                         o->kind == CHAIR_ACT_KIND_SWITCH ? "gpio line" : "pwm channel or gpio line"),
                                                -EINVAL);
                        if (k < 0) {
                                add_error(errs, cfg, oc->gpio.line, oc->gpio.column, path, name, why);
                                r = first(r, k);
                        } else {
                                o->sw = k;
                                o->sw_val = safe_sw;
                        }
                }
                if (want_pwm) {
                        snprintf(path, sizeof(path), "hardware.outputs.%s.pwm", name);
                        int k = oc->pwm.set ? chair_pwm_open(cfg->hardware.pwm_sysfs, oc->pwm.chip, oc->pwm.channel,
                                                             oc->pwm.period_ns ? oc->pwm.period_ns : 50000,
                                                             oc->pwm.inverted, CHAIR_PWM_EXPORT_WAIT_MS, &o->pwm, why,
                                                             sizeof(why))
                                            : (snprintf(why, sizeof(why), "no pwm channel configured"), -EINVAL);
                        if (k < 0) {
                                add_error(errs, cfg, oc->pwm.line, oc->pwm.column, path, name, why);
                                r = first(r, k);
                        }
                }
        }
        return r;
}

static int open_inputs(struct hal_linux *h, const struct chair_config *cfg, struct chair_errors *errs) {
        const struct chair_input_config *ic = &cfg->hardware.inputs;
        char why[512], path[128];
        int r = 0;

        for (int i = 0; i < _IN_COUNT; i++) {
                const struct chair_gpio_binding *b = in_binding(cfg, i);
                struct in_ent *e = &h->in[i];
                if (!b->set)
                        continue;
                snprintf(path, sizeof(path), "hardware.inputs.%s", in_names[i]);
                int k = chair_gpio_request_input(h->gpio, b, why, sizeof(why));
                if (k < 0) {
                        add_error(errs, cfg, b->line, b->column, path, in_names[i], why);
                        r = first(r, k);
                        continue;
                }
                e->present = true;
                e->h = k;
                e->fail_fast = i != IN_OCCUPANCY && i != IN_ENCODER;
                e->debounce_ns = (uint64_t) b->debounce_ms * 1000000u;
                int v = chair_gpio_get(h->gpio, k);
                if (v < 0) {
                        snprintf(why, sizeof(why), "cannot read the line: %s", strerror(-v));
                        add_error(errs, cfg, b->line, b->column, path, in_names[i], why);
                        r = first(r, v);
                        continue;
                }
                e->raw = e->state = v;
        }

        for (int i = 0; i < _AN_COUNT; i++) {
                const struct chair_iio_binding *b = an_binding(cfg, i, path, sizeof(path));
                struct an_ent *a = &h->an[i];
                if (!b->set)
                        continue;
                char what[64];
                if (i >= AN_PRESSURE)
                        snprintf(what, sizeof(what), "pressure %s", chair_airbag_name(i - AN_PRESSURE));
                else
                        snprintf(what, sizeof(what), "%s", strrchr(path, '.') + 1);
                int k = chair_iio_open(cfg->hardware.iio_sysfs, b->device, b->channel, &a->c, why, sizeof(why));
                if (k < 0) {
                        add_error(errs, cfg, b->line, b->column, path, what, why);
                        r = first(r, k);
                        continue;
                }
                a->present = true;
                uint32_t rate = b->rate_hz;
                if (!rate || (cfg->control.rate_hz && rate > cfg->control.rate_hz))
                        rate = cfg->control.rate_hz ? cfg->control.rate_hz : 500;
                a->period_ns = NSEC_PER_SEC / rate;
                a->max_age_ns = b->max_age_ms ? (uint64_t) b->max_age_ms * 1000000ULL
                                              : AGE_PERIODS * a->period_ns + AGE_SLACK_NS;
        }

        if (ic->heater_temp.set) {
                const struct chair_ntc_config *n = &ic->ntc;
                bool sh = n->sh_a != 0 || n->sh_b != 0 || n->sh_c != 0;
                if (!(n->vref_mv > 0) || !(n->pullup_ohm > 0) || (!sh && (!(n->r25_ohm > 0) || !(n->beta > 0)))) {
                        add_error(errs, cfg, ic->heater_temp.line, ic->heater_temp.column, "hardware.inputs.ntc",
                                  "heater_temp",
                                  "NTC conversion needs vref_mv, pullup_ohm and either r25_ohm+beta or steinhart a/b/c");
                        r = first(r, -EINVAL);
                }
        }
        return r;
}

int chair_hal_linux_new(const struct chair_config *cfg, struct chair_errors *errs, struct chair_hal **ret) {
        struct hal_linux *h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->base.ops = &hal_linux_ops;
        h->base.cfg = cfg;
        h->out_wake_fd = -1;
        h->rt_priority = cfg->control.rt_priority;
        for (int i = 0; i < _CHAIR_ACT_COUNT; i++)
                h->out[i].dir = h->out[i].sw = h->out[i].dir_val = h->out[i].sw_val = -1;

        int r = chair_gpio_new(cfg->hardware.gpio_dev_dir, &h->gpio);
        if (r < 0) {
                free(h);
                return r;
        }
        /* Outputs first: the sooner every output is held at its safe value, the better. */
        r = open_outputs(h, cfg, errs);
        r = first(r, open_inputs(h, cfg, errs));
        if (r < 0)
                goto fail;

        /* One synchronous round of every analog channel, so the tick's first read
         * has samples; from then on the input thread keeps them fresh. */
        uint64_t now = chair_now_ns();
        for (int i = 0; i < _AN_COUNT; i++)
                if (h->an[i].present) {
                        read_channel(h, i, now);
                        h->an[i].next_ns = now + h->an[i].period_ns;
                }
        struct out_post init = { .fed_ns = now };
        chair_outputs_safe(cfg, &init.v);
        chair_deadman_init(&h->dm, cfg);
        r = chair_triple_new(sizeof(struct out_post), &init, &h->posts);
        if (r >= 0)
                r = chair_triple_new(sizeof(struct an_snapshot), &h->in_work, &h->samples);
        if (r < 0)
                goto fail;
        h->out_wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (h->out_wake_fd < 0) {
                r = -errno;
                goto fail;
        }
        r = start_thread(&h->out_thread, out_thread_main, h, "chaird-out");
        if (r < 0)
                goto fail;
        h->out_running = true;
        r = start_thread(&h->in_thread, in_thread_main, h, "chaird-in");
        if (r < 0)
                goto fail;
        h->in_running = true;
        *ret = &h->base;
        return 0;
fail:
        hal_linux_destroy(&h->base);
        return r;
}

int chair_hal_linux_settle(struct chair_hal *hal, int timeout_ms) {
        struct hal_linux *h = (struct hal_linux *) hal;
        uint64_t since = chair_now_ns(), deadline = since + (uint64_t) timeout_ms * 1000000ULL;
        bool any_analog = false;
        for (int i = 0; i < _AN_COUNT; i++)
                any_analog |= h->an[i].present;

        for (;;) {
                bool outs = atomic_load_explicit(&h->applied_ns, memory_order_acquire) >= since;
                bool ins = !any_analog || atomic_load_explicit(&h->sampled_ns, memory_order_acquire) >= since;
                if (outs && ins)
                        return 0;
                if (chair_now_ns() > deadline)
                        return -ETIMEDOUT;
                struct timespec ts = { 0, 200000 };
                nanosleep(&ts, NULL);
        }
}

int chair_hal_linux_safe_state(const struct chair_config *cfg, struct chair_errors *errs) {
        char why[512], path[128];
        struct chair_gpio *g = NULL;
        int r = chair_gpio_new(cfg->hardware.gpio_dev_dir, &g);
        if (r < 0)
                return r;

        for (int i = 0; i < _CHAIR_ACT_COUNT; i++) {
                const struct chair_output_config *oc = &cfg->hardware.outputs[i];
                const char *name = chair_actuator_name(i);
                if (!oc->present)
                        continue;
                /* PWM first: a disabled channel stops the motor whatever the direction line does. */
                if (oc->pwm.set) {
                        snprintf(path, sizeof(path), "hardware.outputs.%s.pwm", name);
                        int k = chair_pwm_safe_off(cfg->hardware.pwm_sysfs, oc->pwm.chip, oc->pwm.channel,
                                                   CHAIR_PWM_EXPORT_WAIT_MS, why, sizeof(why));
                        if (k < 0) {
                                add_error(errs, cfg, oc->pwm.line, oc->pwm.column, path, name, why);
                                r = first(r, k);
                        }
                }
                const struct chair_gpio_binding *lines[2] = { &oc->dir, &oc->gpio };
                const char *keys[2] = { "dir", "gpio" };
                int values[2] = { 0, oc->safe >= 0.5f };
                for (int j = 0; j < 2; j++) {
                        if (!lines[j]->set)
                                continue;
                        snprintf(path, sizeof(path), "hardware.outputs.%s.%s", name, keys[j]);
                        /* The request itself drives the initial value. */
                        int k = chair_gpio_request_output(g, lines[j], values[j], why, sizeof(why));
                        if (k < 0) {
                                add_error(errs, cfg, lines[j]->line, lines[j]->column, path, name, why);
                                r = first(r, k);
                        }
                }
        }
        chair_gpio_free(g);
        return r;
}
