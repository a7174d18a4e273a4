/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "errors.h"
#include "gpio.h"
#include "hal-linux.h"
#include "hal.h"
#include "iio.h"
#include "pwm.h"

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

struct an_ent {
        bool present;
        struct chair_iio *c;
        uint64_t period_ns, next_ns;
        bool ok;
        int32_t raw;
};

struct hal_linux {
        struct chair_hal base;
        struct chair_gpio *gpio;
        struct out_ent out[_CHAIR_ACT_COUNT];
        struct in_ent in[_IN_COUNT];
        struct an_ent an[_AN_COUNT];
        uint32_t encoder_pulses;
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

static int hal_linux_write(struct chair_hal *hal, const struct chair_outputs *outs) {
        struct hal_linux *h = (struct hal_linux *) hal;
        const struct chair_config *cfg = hal->cfg;
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

static int hal_linux_safe(struct chair_hal *hal) {
        struct hal_linux *h = (struct hal_linux *) hal;
        const struct chair_config *cfg = hal->cfg;
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

        for (int i = 0; i < _AN_COUNT; i++) {
                struct an_ent *a = &h->an[i];
                if (!a->present || now_ns < a->next_ns)
                        continue;
                a->ok = chair_iio_read_raw(a->c, &a->raw) >= 0;
                a->next_ns = now_ns + a->period_ns;
        }

        struct an_ent *a = &h->an[AN_HEATER];
        if (!a->present) {
                in->heater_sensor = CHAIR_SENSOR_ABSENT;
                in->heater_c = 0.0f;
        } else if (!a->ok)
                in->heater_sensor = CHAIR_SENSOR_ERROR;
        else
                in->heater_sensor = chair_ntc_celsius(&ic->ntc, chair_iio_mv(a->c, a->raw), &in->heater_c);

        const struct chair_linear_config *maps[] = { &ic->depth_map, &ic->backrest_map, &ic->legrest_map };
        float *pos[] = { &in->depth, &in->backrest, &in->legrest };
        for (int i = 0; i < 3; i++) {
                a = &h->an[AN_DEPTH + i];
                *pos[i] = !a->present ? 0.0f : a->ok ? chair_linear_map(maps[i], a->raw, true) : NAN;
        }
        /* The analog table is laid out as enum chair_analog. */
        _Static_assert((int) _AN_COUNT == (int) _CHAIR_AN_COUNT && (int) AN_PRESSURE == (int) CHAIR_AN_PRESSURE,
                       "analog tables differ");
        for (int i = 0; i < _AN_COUNT; i++)
                in->raw[i] = h->an[i].present && h->an[i].ok ? h->an[i].raw : -1;
        for (int b = 0; b < _CHAIR_BAG_COUNT; b++) {
                a = &h->an[AN_PRESSURE + b];
                in->pressure_kpa[b] = !a->present ? 0.0f
                                      : a->ok     ? chair_linear_map(&ic->pressure_map, a->raw, false)
                                                  : INFINITY;
        }
        return r;
}

static void hal_linux_destroy(struct chair_hal *hal) {
        struct hal_linux *h = (struct hal_linux *) hal;

        if (h->gpio)
                (void) hal_linux_safe(hal);
        for (int i = 0; i < _CHAIR_ACT_COUNT; i++)
                h->out[i].pwm = chair_pwm_free(h->out[i].pwm);
        for (int i = 0; i < _AN_COUNT; i++)
                h->an[i].c = chair_iio_free(h->an[i].c);
        h->gpio = chair_gpio_free(h->gpio);
        free(h);
}

static const struct chair_hal_ops hal_linux_ops = {
        .name = "linux",
        .read = hal_linux_read,
        .write = hal_linux_write,
        .safe = hal_linux_safe,
        .destroy = hal_linux_destroy,
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
                if (rate && cfg->control.rate_hz && rate >= cfg->control.rate_hz)
                        rate = 0;
                a->period_ns = rate ? 1000000000ull / rate : 0;
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

/* The config path of binding b (an output's dir/gpio or a GPIO input), for errors found at commit. */
static void binding_path(const struct chair_config *cfg, const struct chair_gpio_binding *b, char *path, size_t len,
                         const char **what) {
        for (int i = 0; i < _CHAIR_ACT_COUNT; i++) {
                const struct chair_output_config *oc = &cfg->hardware.outputs[i];
                if (b == &oc->dir || b == &oc->gpio) {
                        snprintf(path, len, "hardware.outputs.%s.%s", chair_actuator_name(i), b == &oc->dir ? "dir" : "gpio");
                        *what = chair_actuator_name(i);
                        return;
                }
        }
        for (int i = 0; i < _IN_COUNT; i++)
                if (b == in_binding(cfg, i)) {
                        snprintf(path, len, "hardware.inputs.%s", in_names[i]);
                        *what = in_names[i];
                        return;
                }
        snprintf(path, len, "hardware");
        *what = "gpio";
}

/* Claim the requested lines (libgpiod 2: one request per chip), reporting a failure at its binding. */
static int commit_lines(struct chair_gpio *g, const struct chair_config *cfg, struct chair_errors *errs) {
        const struct chair_gpio_binding *bad = NULL;
        char why[512], path[128];
        const char *what;

        int r = chair_gpio_commit(g, &bad, why, sizeof(why));
        if (r < 0) {
                binding_path(cfg, bad, path, sizeof(path), &what);
                add_error(errs, cfg, bad ? bad->line : 0, bad ? bad->column : 0, path, what, why);
        }
        return r;
}

/* Each input's level at start, once its line is claimed. */
static int read_initial_inputs(struct hal_linux *h, const struct chair_config *cfg, struct chair_errors *errs) {
        char why[512], path[128];
        int r = 0;

        for (int i = 0; i < _IN_COUNT; i++) {
                const struct chair_gpio_binding *b = in_binding(cfg, i);
                struct in_ent *e = &h->in[i];
                if (!e->present)
                        continue;
                int v = chair_gpio_get(h->gpio, e->h);
                if (v < 0) {
                        snprintf(path, sizeof(path), "hardware.inputs.%s", in_names[i]);
                        snprintf(why, sizeof(why), "cannot read the line: %s", strerror(-v));
                        add_error(errs, cfg, b->line, b->column, path, in_names[i], why);
                        r = first(r, v);
                        continue;
                }
                e->raw = e->state = v;
        }
        return r;
}

int chair_hal_linux_new(const struct chair_config *cfg, struct chair_errors *errs, struct chair_hal **ret) {
        struct hal_linux *h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->base.ops = &hal_linux_ops;
        h->base.cfg = cfg;
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
        if (r >= 0)
                r = commit_lines(h->gpio, cfg, errs);
        if (r >= 0)
                r = read_initial_inputs(h, cfg, errs);
        if (r < 0) {
                hal_linux_destroy(&h->base);
                return r;
        }
        *ret = &h->base;
        return 0;
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
        /* Whatever could be found is claimed, so at its safe value, even when some binding failed. */
        r = first(r, commit_lines(g, cfg, errs));
        chair_gpio_free(g);
        return r;
}
