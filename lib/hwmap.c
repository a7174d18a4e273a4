/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "errors.h"
#include "hal-backend.h"
#include "hal-linux.h"
#include "hal.h"
#include "hwmap.h"
#include "persist.h"

/* A YAML double-quoted string: the loader reads back exactly S. */
static void put_str(FILE *f, const char *s) {
        fputc('"', f);
        for (; s && *s; s++) {
                if (*s == '"' || *s == '\\')
                        fprintf(f, "\\%c", *s);
                else if ((unsigned char) *s < 0x20)
                        fprintf(f, "\\x%02x", (unsigned char) *s);
                else
                        fputc(*s, f);
        }
        fputc('"', f);
}

static void put_gpio(FILE *f, const char *key, const struct chair_gpio_binding *g) {
        if (!g->set)
                return;
        fprintf(f, "      %s: { ", key);
        if (g->chip) {
                fputs("chip: ", f);
                put_str(f, g->chip);
                fputs(", ", f);
        }
        if (g->offset >= 0)
                fprintf(f, "line: %d, ", g->offset);
        if (g->name) {
                fputs("name: ", f);
                put_str(f, g->name);
                fputs(", ", f);
        }
        fprintf(f, "active_low: %s }\n", g->active_low ? "true" : "false");
}

int chair_hwmap_save(const struct chair_config *cfg, const char *dir) {
        const char *dirs[3] = { "gpio_dev_dir", "pwm_sysfs", "iio_sysfs" };
        const char *vals[3] = { cfg->hardware.gpio_dev_dir, cfg->hardware.pwm_sysfs, cfg->hardware.iio_sysfs };
        char *buf = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        f = open_memstream(&buf, &len);
        if (!f)
                return -ENOMEM;
        fputs("# Written by chaird when it started: the outputs of ", f);
        fputs(cfg->path ? cfg->path : "its config", f);
        fputs(",\n# for `chaird --safe-state` when that config cannot be read.  Do not edit.\nhardware:\n", f);
        fprintf(f, "  backend: %s\n", cfg->hardware.backend == CHAIR_BACKEND_LINUX ? "linux" : "sim");
        for (int i = 0; i < 3; i++)
                if (vals[i]) {
                        fprintf(f, "  %s: ", dirs[i]);
                        put_str(f, vals[i]);        /* absolute after load */
                        fputc('\n', f);
                }
        fputs("  outputs:\n", f);
        for (int i = 0; i < _CHAIR_ACT_COUNT; i++) {
                const struct chair_output_config *o = &cfg->hardware.outputs[i];
                if (!o->present)
                        continue;
                fprintf(f, "    %s:\n", chair_actuator_name((enum chair_actuator) i));
                if (o->pwm.set)
                        fprintf(f, "      pwm: { chip: %d, channel: %d, period_ns: %u, inverted: %s }\n", o->pwm.chip,
                                o->pwm.channel, o->pwm.period_ns, o->pwm.inverted ? "true" : "false");
                put_gpio(f, "dir", &o->dir);
                put_gpio(f, "gpio", &o->gpio);
                if (o->safe != 0)
                        fprintf(f, "      safe: %g\n", (double) o->safe);
                if (!o->pwm.set && !o->dir.set && !o->gpio.set && o->safe == 0)
                        fputs("      {}\n", f);
        }
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        r = chair_persist_write_atomic(dir, CHAIR_HWMAP_NAME, buf, len);
        free(buf);
        return r;
}

static bool same_place(const struct chair_error *a, const struct chair_error *b) {
        return a->line == b->line && a->column == b->column && strcmp(a->file, b->file) == 0 &&
               strcmp(a->path, b->path) == 0;
}

/* Errors of the full config: reported, but they do not stop a safe state.
 * What the hardware load reported already (errs from FIRST on) is not repeated. */
static int report_ignored(const char *config_path, struct chair_errors *errs, size_t first, char **state_dir) {
        struct chair_errors all = { 0 };
        struct chair_config *cfg = NULL;
        int r = 0;

        chair_config_load_lenient(config_path, &all, &cfg);
        for (size_t i = 0; i < all.n && r == 0; i++) {
                const struct chair_error *e = &all.v[i];
                bool dup = false;
                if (e->warning || e->note)
                        continue;
                for (size_t j = first; j < errs->n && !dup; j++)
                        dup = same_place(e, &errs->v[j]);
                if (dup)
                        continue;
                if (chair_errors_warn(errs, e->file, e->line, e->column, e->path, "%s (ignored by --safe-state)",
                                      e->message) < 0)
                        r = -ENOMEM;
        }
        if (cfg && cfg->state_dir && !(*state_dir = strdup(cfg->state_dir)))
                r = -ENOMEM;
        chair_config_free(cfg);
        chair_errors_clear(&all);
        return r;
}

static int drive_safe(const struct chair_config *cfg, struct chair_errors *errs) {
        struct chair_hal *hal = NULL;
        int r;

        /* After a crash: open every output afresh and drive it safe, going on
         * past the ones that cannot be reached (each is reported). */
        if (cfg->hardware.backend == CHAIR_BACKEND_LINUX)
                return chair_hal_linux_safe_state(cfg, errs);
        r = chair_hal_new(cfg, &hal);
        if (r >= 0)
                r = chair_hal_safe(hal);
        chair_hal_free(hal);
        return r;
}

int chair_safe_state(const char *config_path, struct chair_errors *errs, enum chair_safe_from *from) {
        struct chair_config *hw = NULL;
        struct chair_config dirs = { 0 };
        char *state_dir = NULL, map[PATH_MAX];
        int r;

        *from = CHAIR_SAFE_FROM_NOTHING;
        size_t first = errs->n;
        r = chair_config_load_hardware(config_path, errs, &hw);
        if (r == -ENOMEM)
                goto out;
        int k = report_ignored(config_path, errs, first, &state_dir);
        if (k < 0) {
                r = k;
                goto out;
        }
        if (r == 0) {
                *from = CHAIR_SAFE_FROM_CONFIG;
        } else {
                dirs.state_dir = state_dir;
                snprintf(map, sizeof(map), "%s/%s", chair_config_state_dir(&dirs), CHAIR_HWMAP_NAME);
                r = chair_config_load_hardware(map, errs, &hw);
                if (r == -ENOMEM)
                        goto out;
                if (r < 0) {
                        r = -ENOENT;
                        goto out;
                }
                *from = CHAIR_SAFE_FROM_SAVED;
        }
        r = drive_safe(hw, errs);
out:
        chair_config_free(hw);
        free(state_dir);
        return r;
}
