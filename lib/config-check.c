/* SPDX-License-Identifier: MIT */
/* The checks a loaded config must pass beyond its schema: ranges that depend on
 * each other, claims of lines and channels, bindings the backend needs
 * (lib/config-check.h). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "childlock.h"
#include "config-check.h"
#include "config-schema.h"
#include "config.h"
#include "errors.h"
#include "yaml-load.h"
#include "yaml-pos.h"

/* ---- validation context ---- */

struct check {
        const char *file;
        const struct chair_yaml_pos *pos;
        struct chair_errors *errs;
        int r;
};

static void fail(struct check *c, const char *path, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void fail(struct check *c, const char *path, const char *fmt, ...) {
        char msg[512];
        va_list ap;
        int r;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        r = chair_yaml_error(c->file, c->pos, c->errs, path, "%s", msg);
        if (r == -ENOMEM || c->r == 0)
                c->r = r;
}

static bool has(const struct check *c, const char *base, const char *key) {
        char path[256];
        snprintf(path, sizeof(path), "%s%s%s", base, base[0] && key[0] ? "." : "", key);
        return chair_yaml_pos_has(c->pos, path);
}

/* ---- line and channel claims ---- */

struct claim {
        char what[96];             /* "gpiochip0:17", "name SEAT_SENSE", "pwmchip0/1" */
        char binding[128];         /* path of the binding that claims it */
        char key[160];             /* path of the key that names it */
};

static const char *chip_name(const char *chip) {
        /* "/dev/gpiochip0" and "gpiochip0" are the same chip. */
        return strncmp(chip, "/dev/", 5) == 0 ? chip + 5 : chip;
}

static void claim_gpio(struct check *c, struct claim *v, size_t *n, const char *binding,
                       const struct chair_gpio_binding *g) {
        struct claim *x = &v[*n];

        if (!g->set)
                return;
        if (has(c, binding, "name") && g->name) {
                snprintf(x->what, sizeof(x->what), "named %s", g->name);
                snprintf(x->key, sizeof(x->key), "%s.name", binding);
        } else if (has(c, binding, "line")) {
                snprintf(x->what, sizeof(x->what), "%s:%d", chip_name(g->chip ? g->chip : "?"), g->offset);
                snprintf(x->key, sizeof(x->key), "%s.line", binding);
        } else {
                return;
        }
        snprintf(x->binding, sizeof(x->binding), "%s", binding);
        for (size_t i = 0; i < *n; i++)
                if (strcmp(v[i].what, x->what) == 0) {
                        fail(c, x->key, "GPIO line %s already used by %s", x->what, v[i].binding);
                        return;
                }
        (*n)++;
}

/* ---- semantic checks ---- */

static bool valid_id(const char *s, size_t max) {
        size_t n = strlen(s);
        if (n == 0 || n > max)
                return false;
        return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static void check_outputs(struct check *c, const struct chair_config *cfg, struct claim *gpio_claims,
                          size_t *n_gpio) {
        struct claim pwm_claims[_CHAIR_ACT_COUNT];
        size_t n_pwm = 0;
        bool linux_backend = cfg->hardware.backend == CHAIR_BACKEND_LINUX;

        for (int i = 0; i < _CHAIR_ACT_COUNT; i++) {
                const struct chair_output_config *o = &cfg->hardware.outputs[i];
                enum chair_act_kind kind = chair_actuator_kind(i);
                char base[96], bind[128];

                if (!o->present)
                        continue;
                snprintf(base, sizeof(base), "hardware.outputs.%s", chair_actuator_name(i));

                if (has(c, base, "safe")) {
                        if (kind != CHAIR_ACT_KIND_SWITCH)
                                fail(c, (snprintf(bind, sizeof(bind), "%s.safe", base), bind),
                                     "safe may only be set on valves (motors, heater and pump are safe at 0)");
                        else if (o->safe != 0.0f && o->safe != 1.0f)
                                fail(c, (snprintf(bind, sizeof(bind), "%s.safe", base), bind),
                                     "must be 0 (vent) or 1 (connected), not %g", (double) o->safe);
                }
                if (kind != CHAIR_ACT_KIND_BIDIR && o->dir.set)
                        fail(c, (snprintf(bind, sizeof(bind), "%s.dir", base), bind),
                             "%s has no direction line", chair_actuator_name(i));

                if (o->pwm.set && has(c, base, "pwm.channel")) {
                        struct claim *x = &pwm_claims[n_pwm];
                        snprintf(x->what, sizeof(x->what), "pwmchip%d/%d", o->pwm.chip, o->pwm.channel);
                        snprintf(x->binding, sizeof(x->binding), "%s.pwm", base);
                        snprintf(x->key, sizeof(x->key), "%s.pwm.channel", base);
                        size_t k;
                        for (k = 0; k < n_pwm; k++)
                                if (strcmp(pwm_claims[k].what, x->what) == 0) {
                                        fail(c, x->key, "PWM channel %s already used by %s", x->what,
                                             pwm_claims[k].binding);
                                        break;
                                }
                        if (k == n_pwm)
                                n_pwm++;
                }
                snprintf(bind, sizeof(bind), "%s.dir", base);
                claim_gpio(c, gpio_claims, n_gpio, bind, &o->dir);
                snprintf(bind, sizeof(bind), "%s.gpio", base);
                claim_gpio(c, gpio_claims, n_gpio, bind, &o->gpio);

                if (linux_backend) {
                        bool pwm = o->pwm.set && has(c, base, "pwm.channel");
                        bool dir = o->dir.set && (has(c, base, "dir.line") || has(c, base, "dir.name"));
                        bool gpio = o->gpio.set && (has(c, base, "gpio.line") || has(c, base, "gpio.name"));
                        const char *need = NULL;

                        if (kind == CHAIR_ACT_KIND_BIDIR && !(pwm && dir))
                                need = "a pwm channel and a dir line";
                        else if (kind == CHAIR_ACT_KIND_DUTY && !(pwm || gpio))
                                need = "a pwm channel or a gpio line";
                        else if (kind == CHAIR_ACT_KIND_SWITCH && !gpio)
                                need = "a gpio line";
                        if (need)
                                fail(c, base, "the linux backend needs %s for %s", need, chair_actuator_name(i));
                }
        }
}

static void check_inputs(struct check *c, const struct chair_config *cfg, struct claim *gpio_claims,
                         size_t *n_gpio) {
        bool linux_backend = cfg->hardware.backend == CHAIR_BACKEND_LINUX;
        char base[96];

        for (size_t i = 0; i < chair_config_n_gpio_inputs; i++) {
                const struct chair_gpio_binding *g =
                        (const void *) ((const uint8_t *) &cfg->hardware.inputs + chair_config_gpio_inputs[i].offset);
                if (!g->set)
                        continue;
                snprintf(base, sizeof(base), "hardware.inputs.%s", chair_config_gpio_inputs[i].key);
                claim_gpio(c, gpio_claims, n_gpio, base, g);
                if (has(c, base, "line") && !g->chip)
                        fail(c, base, "a line offset needs a chip");
                else if (linux_backend && !has(c, base, "line") && !has(c, base, "name"))
                        fail(c, base, "the linux backend needs a chip and line, or a line name");
        }
        for (size_t i = 0; i < chair_config_n_iio_inputs; i++) {
                const struct chair_iio_binding *b =
                        (const void *) ((const uint8_t *) &cfg->hardware.inputs + chair_config_iio_inputs[i].offset);
                if (!b->set)
                        continue;
                snprintf(base, sizeof(base), "hardware.inputs.%s", chair_config_iio_inputs[i].key);
                if (linux_backend && !has(c, base, "channel"))
                        fail(c, base, "the linux backend needs an IIO channel");
        }

        static const struct {
                const char *key;
                size_t offset;
        } maps[] = {
                { "hardware.inputs.depth_map", offsetof(struct chair_input_config, depth_map) },
                { "hardware.inputs.backrest_map", offsetof(struct chair_input_config, backrest_map) },
                { "hardware.inputs.legrest_map", offsetof(struct chair_input_config, legrest_map) },
                { "hardware.inputs.pressure_map", offsetof(struct chair_input_config, pressure_map) },
        };
        for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
                const struct chair_linear_config *m =
                        (const void *) ((const uint8_t *) &cfg->hardware.inputs + maps[i].offset);
                if (has(c, maps[i].key, "") && m->raw_min == m->raw_max)
                        fail(c, maps[i].key, "raw_min and raw_max must differ");
        }
        if (has(c, "hardware.inputs.ntc", "") && cfg->hardware.inputs.ntc.open_ohm <= cfg->hardware.inputs.ntc.short_ohm)
                fail(c, "hardware.inputs.ntc.open_ohm", "must be above short_ohm");
}

static void validate(struct check *c, const struct chair_config *cfg) {
        struct claim gpio_claims[2 * _CHAIR_ACT_COUNT + chair_config_n_gpio_inputs];
        size_t n_gpio = 0;

        /* Ranges were checked on the values as written, by chair_yaml_load(). */
        if (has(c, "chair.id", "") && !valid_id(cfg->chair.id ? cfg->chair.id : "", 32))
                fail(c, "chair.id", "must be 1 to 32 characters of a-z, 0-9 and '-'");
        if (cfg->safety.default_session_min > cfg->safety.max_session_min)
                fail(c, has(c, "safety.default_session_min", "") ? "safety.default_session_min"
                                                                   : "safety.max_session_min",
                     "default_session_min (%" PRIu32 ") exceeds max_session_min (%" PRIu32 ")",
                     cfg->safety.default_session_min, cfg->safety.max_session_min);
        if (cfg->safety.heater_target_c > cfg->safety.heater_max_c - 1)
                fail(c, has(c, "safety.heater_target_c", "") ? "safety.heater_target_c" : "safety.heater_max_c",
                     "heater_target_c (%g) must be at least 1 below heater_max_c (%g)",
                     (double) cfg->safety.heater_target_c, (double) cfg->safety.heater_max_c);
        /* The travel timeout must leave room for a normal full move, or every
         * recline to zero-gravity (or a carriage homing from the far end) would end
         * in a travel_timeout fault: a full recline stroke takes recline_s at full
         * duty plus the slower approach of the position loop (about a tenth more, measured);
         * homing runs at 0.6 duty. */
        {
                const struct chair_geometry *g = &cfg->hardware.geometry;
                float need = 0;
                if (cfg->hardware.outputs[CHAIR_ACT_BACKREST].present || cfg->hardware.outputs[CHAIR_ACT_LEGREST].present)
                        need = g->recline_s * 1.15f + 1;
                if (cfg->hardware.outputs[CHAIR_ACT_CARRIAGE].present && g->carriage_mm_s > 0) {
                        float home = g->track_mm / (0.6f * g->carriage_mm_s) * 1.15f + 1;
                        if (home > need)
                                need = home;
                }
                if (cfg->safety.travel_timeout_s < need)
                        fail(c, has(c, "safety.travel_timeout_s", "") ? "safety.travel_timeout_s" : "hardware.geometry",
                             "travel_timeout_s (%g) is shorter than a normal full move of this chair needs (%.1f s)",
                             (double) cfg->safety.travel_timeout_s, (double) need);
        }
        if (has(c, "mqtt.protocol", "") && cfg->mqtt.protocol != 5 && cfg->mqtt.protocol != 311)
                fail(c, "mqtt.protocol", "must be 5 or 311, not %d", cfg->mqtt.protocol);
        if (has(c, "owner.pin", "") && !chair_pin_valid(cfg->owner.pin))
                fail(c, "owner.pin", "must be 4 to 8 digits (quote it: pin: \"0123\")");
        if (has(c, "programs", "") && cfg->n_program_dirs == 0)
                fail(c, "programs", "needs at least one directory");
        /* Topic prefixes: an MQTT wildcard or an empty level would make every
         * subscribe and publish of the bridge invalid (or match other chairs). */
        static const char *const topic_keys[] = { "mqtt.base_topic", "mqtt.discovery_prefix" };
        const char *topic_vals[] = { cfg->mqtt.base_topic, cfg->mqtt.discovery_prefix };
        for (size_t i = 0; i < 2; i++) {
                const char *t = topic_vals[i] ? topic_vals[i] : "";
                if (has(c, topic_keys[i], "") &&
                    (!t[0] || strpbrk(t, "+#") || t[0] == '/' || t[strlen(t) - 1] == '/' ||
                     strstr(t, "//")))
                        fail(c, topic_keys[i], "must be a topic without wildcards (+, #) or empty levels");
        }

        /* The supervisor keeps a heater without a sensor off for good
         * (docs/safety.md): such a chair would offer heat and never give it. */
        if (cfg->hardware.outputs[CHAIR_ACT_HEATER].present && !cfg->hardware.inputs.heater_temp.set)
                fail(c, "hardware.outputs.heater",
                     "a heater needs a temperature sensor (hardware.inputs.heater_temp); without one it never heats");

        check_outputs(c, cfg, gpio_claims, &n_gpio);
        check_inputs(c, cfg, gpio_claims, &n_gpio);

        for (unsigned i = 0; i < cfg->n_program_dirs; i++) {
                struct stat st;
                char path[32];
                const char *dir = cfg->program_dirs[i];
                snprintf(path, sizeof(path), "programs[%u]", i);
                /* An empty list item ("-" alone) loads as no string at all. */
                if (!dir || !dir[0])
                        fail(c, has(c, path, "") ? path : "programs", "must be a directory path");
                else if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
                        fail(c, has(c, path, "") ? path : "programs", "no such directory: %s", dir);
        }
}

int chair_config_check(const char *file, const struct chair_yaml_pos *pos, struct chair_errors *errs,
                       const struct chair_config *cfg) {
        struct check c = { .file = file, .pos = pos, .errs = errs };
        validate(&c, cfg);
        return c.r;
}
