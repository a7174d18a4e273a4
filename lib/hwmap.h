/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * `chaird --safe-state` from any config (docs/config.md "Safe state").
 *
 * It needs only the hardware section.  Errors elsewhere in the config are
 * reported and ignored.  When even the hardware section cannot be read, the
 * hardware map the daemon saved when it last started (CHAIR_HWMAP_NAME in the
 * state directory, written atomically) is used instead.
 *
 * Main thread only; these functions may block on the file system.
 */

#include <stddef.h>

struct chair_config;
struct chair_errors;

#define CHAIR_HWMAP_NAME "hardware-map.yaml"

/*
 * Write CFG's outputs (backend, sysfs and device directories, every present
 * output with its bindings and safe value) as a config holding only a
 * hardware section, to DIR/CHAIR_HWMAP_NAME, atomically.  Returns 0 or a
 * negative errno.
 */
int chair_hwmap_save(const struct chair_config *cfg, const char *dir);

enum chair_safe_from {
        CHAIR_SAFE_FROM_NOTHING,   /* no hardware map could be read */
        CHAIR_SAFE_FROM_CONFIG,    /* the config's hardware section */
        CHAIR_SAFE_FROM_SAVED,     /* the saved map (the config's could not be read) */
};

/*
 * Drive every output of CONFIG_PATH's hardware section to its safe value; if
 * that section cannot be read, every output of the map saved in the state
 * directory ($STATE_DIRECTORY, else the config's state_dir if it could be
 * read, else /var/lib/chaird).  Errors in the rest of the config are appended
 * to errs as warnings (ignored); hardware errors and outputs that could not be
 * reached as errors.  *from says which map was used.  Returns 0 when every
 * output of that map was driven safe, else a negative errno (-ENOENT: no map).
 */
int chair_safe_state(const char *config_path, struct chair_errors *errs, enum chair_safe_from *from);
