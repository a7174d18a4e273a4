/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-check.h"
#include "config-schema.h"
#include "config.h"
#include "errors.h"
#include "yaml-load.h"
#include "yaml-pos.h"

/* ---- post-processing ---- */

static int absolutize(const char *dir, char **p) {
        char *s;

        if (!*p)
                return 0;
        if (!**p) {
                /* "" means unset */
                free(*p);
                *p = NULL;
                return 0;
        }
        if (**p == '/')
                return 0;
        if (asprintf(&s, "%s/%s", dir, *p) < 0)
                return -ENOMEM;
        free(*p);
        *p = s;
        return 0;
}

static int mark_presence(struct chair_config *cfg, const struct chair_yaml_pos *pos) {
        char path[160];
        const struct chair_yaml_node *node;

        for (int i = 0; i < _CHAIR_ACT_COUNT; i++) {
                struct chair_output_config *o = &cfg->hardware.outputs[i];
                struct {
                        const char *key;
                        bool *set;
                        uint32_t *line, *column;
                } b[] = {
                        { "pwm", &o->pwm.set, &o->pwm.line, &o->pwm.column },
                        { "dir", &o->dir.set, &o->dir.line, &o->dir.column },
                        { "gpio", &o->gpio.set, &o->gpio.line, &o->gpio.column },
                };

                snprintf(path, sizeof(path), "hardware.outputs.%s", chair_actuator_name(i));
                o->present = chair_yaml_pos_has(pos, path);
                for (size_t k = 0; k < sizeof(b) / sizeof(b[0]); k++) {
                        snprintf(path, sizeof(path), "hardware.outputs.%s.%s", chair_actuator_name(i), b[k].key);
                        node = chair_yaml_pos_find(pos, path);
                        *b[k].set = node != NULL;
                        *b[k].line = node ? node->line : 0;
                        *b[k].column = node ? node->column : 0;
                }
        }
        for (size_t i = 0; i < chair_config_n_gpio_inputs; i++) {
                struct chair_gpio_binding *g =
                        (void *) ((uint8_t *) &cfg->hardware.inputs + chair_config_gpio_inputs[i].offset);
                snprintf(path, sizeof(path), "hardware.inputs.%s", chair_config_gpio_inputs[i].key);
                node = chair_yaml_pos_find(pos, path);
                g->set = node != NULL;
                g->line = node ? node->line : 0;
                g->column = node ? node->column : 0;
        }
        for (size_t i = 0; i < chair_config_n_iio_inputs; i++) {
                struct chair_iio_binding *b =
                        (void *) ((uint8_t *) &cfg->hardware.inputs + chair_config_iio_inputs[i].offset);
                snprintf(path, sizeof(path), "hardware.inputs.%s", chair_config_iio_inputs[i].key);
                node = chair_yaml_pos_find(pos, path);
                b->set = node != NULL;
                b->line = node ? node->line : 0;
                b->column = node ? node->column : 0;
        }
        return 0;
}

static int set_derived(struct chair_config *cfg, const struct chair_yaml_pos *pos) {
        /* Replaced by max_stall_ms (design C2): still read so old files load, and
         * alone it keeps its meaning as time (that many periods); the daemon warns. */
        cfg->control.max_missed_ticks_set = chair_yaml_pos_has(pos, "control.max_missed_ticks");
        if (cfg->control.max_missed_ticks_set && !chair_yaml_pos_has(pos, "control.max_stall_ms") &&
            cfg->control.rate_hz > 0) {
                uint64_t ms = (uint64_t) cfg->control.max_missed_ticks * 1000u / cfg->control.rate_hz;
                cfg->control.max_stall_ms = (uint32_t) (ms < 5 ? 5 : ms > 10000 ? 10000 : ms);
        }
        if (!chair_yaml_pos_has(pos, "mqtt.base_topic")) {
                free(cfg->mqtt.base_topic);
                if (asprintf(&cfg->mqtt.base_topic, "chaird/%s", cfg->chair.id ? cfg->chair.id : "chair") < 0)
                        return cfg->mqtt.base_topic = NULL, -ENOMEM;
        }
        if (!chair_yaml_pos_has(pos, "mqtt.client_id")) {
                free(cfg->mqtt.client_id);
                if (asprintf(&cfg->mqtt.client_id, "chaird-%s", cfg->chair.id ? cfg->chair.id : "chair") < 0)
                        return cfg->mqtt.client_id = NULL, -ENOMEM;
        }
        if (!chair_yaml_pos_has(pos, "mqtt.port"))
                cfg->mqtt.port = cfg->mqtt.tls.enabled ? 8883 : 1883;
        return 0;
}

/* Program directories as written, or the default "programs". */
static int set_program_dirs(struct chair_config *cfg, const struct chair_yaml_pos *pos, bool from_index) {
        if (from_index) {
                /* libcyaml could not load the file: take what the index saw (best effort). */
                char path[64];
                for (unsigned i = 0;; i++) {
                        const struct chair_yaml_node *node;
                        char **v;
                        snprintf(path, sizeof(path), "programs[%u]", i);
                        node = chair_yaml_pos_find(pos, path);
                        if (!node || !node->value)
                                break;
                        v = realloc(cfg->program_dirs, (i + 1) * sizeof(char *));
                        if (!v)
                                return -ENOMEM;
                        cfg->program_dirs = v;
                        v[i] = strdup(node->value);
                        if (!v[i])
                                return -ENOMEM;
                        cfg->n_program_dirs = i + 1;
                }
        }
        if (!chair_yaml_pos_has(pos, "programs")) {
                cfg->program_dirs = calloc(1, sizeof(char *));
                if (!cfg->program_dirs)
                        return -ENOMEM;
                cfg->program_dirs[0] = strdup("programs");
                if (!cfg->program_dirs[0])
                        return -ENOMEM;
                cfg->n_program_dirs = 1;
        }
        for (unsigned i = 0; i < cfg->n_program_dirs; i++)
                if (absolutize(cfg->dir, &cfg->program_dirs[i]) < 0)
                        return -ENOMEM;
        return 0;
}

static int resolve_paths(struct chair_config *cfg) {
        char **paths[] = {
                &cfg->state_dir,
                &cfg->mqtt.password_file,
                &cfg->mqtt.tls.cafile,
                &cfg->mqtt.tls.certfile,
                &cfg->mqtt.tls.keyfile,
                &cfg->hardware.gpio_dev_dir,
                &cfg->hardware.pwm_sysfs,
                &cfg->hardware.iio_sysfs,
        };
        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
                if (absolutize(cfg->dir, paths[i]) < 0)
                        return -ENOMEM;
        /* An empty user name is no user name. */
        if (cfg->mqtt.username && !cfg->mqtt.username[0]) {
                free(cfg->mqtt.username);
                cfg->mqtt.username = NULL;
        }
        return 0;
}

/* ---- public API ---- */

static uint64_t fnv1a64(const uint8_t *p, size_t n) {
        uint64_t h = 0xcbf29ce484222325ULL;
        for (size_t i = 0; i < n; i++) {
                h ^= p[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}

static char *file_dir(const char *path) {
        char *copy = strdup(path), *real, *d, *res;

        if (!copy)
                return NULL;
        /* Resolve symlinks and "..": the directory must stay right when the cwd changes. */
        real = realpath(path, NULL);
        d = dirname(real ? real : copy);
        res = strdup(d);
        free(real);
        free(copy);
        return res;
}

void chair_config_set_defaults(struct chair_config *cfg) {
        cfg->chair.id = strdup("chair");
        cfg->control.rate_hz = 500;
        cfg->control.rt_priority = 80;
        cfg->control.cpu = -1;
        cfg->control.max_missed_ticks = 5;
        cfg->control.max_stall_ms = 50;

        cfg->safety.default_session_min = 15;
        cfg->safety.max_session_min = 30;
        cfg->safety.heater_max_c = 45;
        cfg->safety.heater_target_c = 40;
        cfg->safety.stall_s = 0.5f;
        cfg->safety.travel_timeout_s = 30;
        cfg->safety.occupancy_required = true;
        cfg->safety.occupant_grace_s = 30;
        cfg->safety.max_pressure_kpa = 40;
        cfg->safety.max_heater_rate_c_s = 5;

        cfg->hardware.backend = CHAIR_BACKEND_SIM;
        cfg->hardware.geometry = (struct chair_geometry) {
                .track_mm = 780,
                .mm_per_pulse = 0.5f,
                .carriage_mm_s = 120,
                .recline_s = 20,
                .seat_to_shoulder_ratio = 0.35f,
                .seat_offset_mm = 60,
        };
        cfg->hardware.sim = (struct chair_sim_config) {
                .seed = 1,
                .time_scale = 1,
                .body_height_cm = 175,
                .occupied = true,
                .ambient_c = 22,
                .heater_w = 40,
                .heater_tau_s = 120,
                .sensor_noise_c = 0.05f,
                .pump_kpa_s = 8,
        };
        for (int i = 0; i < _CHAIR_ACT_COUNT; i++) {
                struct chair_output_config *o = &cfg->hardware.outputs[i];
                *o = (struct chair_output_config) {
                        .pwm = { .period_ns = 50000, .max_duty = 1 },
                        .dir = { .offset = -1 },
                        .gpio = { .offset = -1 },
                        .max = 1,
                };
        }
        for (size_t i = 0; i < chair_config_n_gpio_inputs; i++) {
                struct chair_gpio_binding *g =
                        (void *) ((uint8_t *) &cfg->hardware.inputs + chair_config_gpio_inputs[i].offset);
                *g = (struct chair_gpio_binding) { .offset = -1 };
        }
        cfg->hardware.inputs.ntc = (struct chair_ntc_config) {
                .r25_ohm = 10000,
                .beta = 3950,
                .pullup_ohm = 10000,
                .vref_mv = 3300,
                .open_ohm = 500000,
                .short_ohm = 50,
        };
        cfg->hardware.inputs.depth_map = (struct chair_linear_config) { 0, 4095, 0, 1 };
        cfg->hardware.inputs.backrest_map = (struct chair_linear_config) { 0, 4095, 0, 1 };
        cfg->hardware.inputs.legrest_map = (struct chair_linear_config) { 0, 4095, 0, 1 };
        cfg->hardware.inputs.pressure_map = (struct chair_linear_config) { 0, 4095, 0, 60 };
        cfg->hardware.gpio_dev_dir = strdup("/dev");
        cfg->hardware.pwm_sysfs = strdup("/sys/class/pwm");
        cfg->hardware.iio_sysfs = strdup("/sys/bus/iio/devices");

        cfg->mqtt.host = strdup("localhost");
        cfg->mqtt.port = 1883;
        cfg->mqtt.base_topic = strdup("chaird/chair");
        cfg->mqtt.client_id = strdup("chaird-chair");
        cfg->mqtt.keepalive = 30;
        cfg->mqtt.discovery_prefix = strdup("homeassistant");
        cfg->mqtt.discovery = true;
        cfg->mqtt.protocol = 5;
}

struct chair_config *chair_config_free(struct chair_config *cfg) {
        if (!cfg)
                return NULL;
        free(cfg->path);
        free(cfg->dir);
        /* Every other pointer is described by the schema. */
        chair_yaml_free(&chair_config_schema, cfg);
        return NULL;
}

const char *chair_config_state_dir(const struct chair_config *cfg) {
        const char *e = getenv("STATE_DIRECTORY");

        if (e && e[0])
                return e;
        if (cfg && cfg->state_dir && cfg->state_dir[0])
                return cfg->state_dir;
        return "/var/lib/chaird";
}

int chair_config_load_lenient(const char *path, struct chair_errors *errs, struct chair_config **ret) {
        struct chair_yaml_pos *pos = NULL;
        struct chair_config *cfg = NULL, *def = NULL;
        uint8_t *data = NULL;
        size_t len = 0;
        void *loaded = NULL;
        int r, rs;

        *ret = NULL;
        r = chair_yaml_read_file(path, CHAIR_YAML_FILE_MAX, errs, &data, &len);
        if (r < 0)
                return r;

        rs = chair_yaml_pos_parse(data, len, path, errs, &pos);
        if (rs == -ENOMEM)
                goto oom;
        /* A document that does not parse, or has duplicate keys, is not handed to libcyaml. */
        if (rs == 0) {
                rs = chair_yaml_load(data, len, path, pos, &chair_config_schema, chair_config_ranges, chair_config_n_ranges,
                                     errs, &loaded);
                if (rs == -ENOMEM)
                        goto oom;
        }
        cfg = loaded;
        if (!cfg) {
                cfg = calloc(1, sizeof(*cfg));
                if (!cfg)
                        goto oom;
        }

        def = calloc(1, sizeof(*def));
        if (!def)
                goto oom;
        chair_config_set_defaults(def);
        if (chair_yaml_fill_defaults(pos, &chair_config_schema, "", cfg, def) < 0)
                goto oom;

        cfg->path = strdup(path);
        cfg->dir = file_dir(path);
        if (!cfg->path || !cfg->dir)
                goto oom;
        cfg->hash = fnv1a64(data, len);

        if (mark_presence(cfg, pos) < 0 || set_derived(cfg, pos) < 0 ||
            set_program_dirs(cfg, pos, loaded == NULL) < 0 || resolve_paths(cfg) < 0)
                goto oom;

        if (loaded) {
                int k = chair_config_check(path, pos, errs, cfg);
                if (k == -ENOMEM)
                        goto oom;
                if (k < 0)
                        rs = k;
        }

        chair_config_free(def);
        chair_yaml_pos_free(pos);
        free(data);
        *ret = cfg;
        return rs < 0 ? -EINVAL : 0;

oom:
        chair_config_free(def);
        if (cfg && cfg != loaded)
                chair_config_free(cfg);
        else
                chair_config_free(loaded);
        chair_yaml_pos_free(pos);
        free(data);
        return -ENOMEM;
}

int chair_config_load(const char *path, struct chair_errors *errs, struct chair_config **ret) {
        struct chair_config *cfg;
        int r;

        *ret = NULL;
        r = chair_config_load_lenient(path, errs, &cfg);
        if (r < 0) {
                chair_config_free(cfg);
                return r;
        }
        *ret = cfg;
        return 0;
}

static bool under_hardware(const char *path) {
        return strncmp(path, "hardware", 8) == 0 && (path[8] == 0 || path[8] == '.');
}

int chair_config_load_hardware(const char *path, struct chair_errors *errs, struct chair_config **ret) {
        struct chair_errors all = { 0 };
        struct chair_yaml_pos *pos = NULL;
        struct chair_config *cfg = NULL, *def = NULL;
        uint8_t *data = NULL;
        size_t len = 0;
        void *loaded = NULL;
        int r;

        *ret = NULL;
        r = chair_yaml_read_file(path, CHAIR_YAML_FILE_MAX, errs, &data, &len);
        if (r < 0)
                return r;

        /* Syntax errors and duplicate keys anywhere: the document cannot be trusted. */
        r = chair_yaml_pos_parse(data, len, path, errs, &pos);
        if (r < 0)
                goto out;
        r = chair_yaml_load(data, len, path, pos, &chair_config_hardware_schema, chair_config_ranges, chair_config_n_ranges,
                            &all, &loaded);
        if (r == -ENOMEM)
                goto out;
        /* Keep what is wrong inside hardware; the rest is none of this loader's business. */
        r = 0;
        for (size_t i = 0; i < all.n; i++) {
                const struct chair_error *e = &all.v[i];
                if (!under_hardware(e->path))
                        continue;
                if (chair_errors_add(errs, e->file, e->line, e->column, e->path, "%s", e->message) < 0) {
                        r = -ENOMEM;
                        goto out;
                }
                r = -EINVAL;
        }
        if (r < 0 || !loaded) {
                r = r < 0 ? r : -EINVAL;
                goto out;
        }
        cfg = loaded;
        loaded = NULL;

        def = calloc(1, sizeof(*def));
        if (!def) {
                r = -ENOMEM;
                goto out;
        }
        chair_config_set_defaults(def);
        cfg->path = strdup(path);
        cfg->dir = file_dir(path);
        if (!cfg->path || !cfg->dir ||
            chair_yaml_fill_defaults(pos, &chair_config_hardware_schema, "", cfg, def) < 0 ||
            mark_presence(cfg, pos) < 0 || resolve_paths(cfg) < 0) {
                r = -ENOMEM;
                goto out;
        }
        cfg->hash = fnv1a64(data, len);
        *ret = cfg;
        cfg = NULL;
        r = 0;
out:
        chair_config_free(cfg);
        chair_yaml_free(&chair_config_hardware_schema, loaded);
        chair_config_free(def);
        chair_errors_clear(&all);
        chair_yaml_pos_free(pos);
        free(data);
        return r;
}
