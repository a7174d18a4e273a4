/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "config.h"
#include "errors.h"
#include "hwmap.h"
#include "log.h"
#include "safe-state.h"

static void log_list(const struct chair_errors *errs) {
        for (size_t i = 0; i < errs->n; i++) {
                const struct chair_error *e = &errs->v[i];
                log_full(e->warning || e->note ? LOG_WARNING : LOG_ERR, 0, NULL, "%s:%u:%u: %s: %s",
                         e->file, e->line, e->column, e->path[0] ? e->path : "(document)", e->message);
        }
}

int chaird_safe_state(const char *config_path) {
        struct chair_errors errs = { 0 };
        enum chair_safe_from from;
        int r;

        r = chair_safe_state(config_path, &errs, &from);
        log_list(&errs);
        chair_errors_clear(&errs);
        if (r == -ENOENT && from == CHAIR_SAFE_FROM_NOTHING) {
                log_error("safe state impossible: neither %s nor the saved %s has a hardware section that can be read",
                          config_path, CHAIR_HWMAP_NAME);
                return 1;
        }
        if (r < 0) {
                log_error_errno(r, "safe state incomplete");
                return 1;
        }
        if (from == CHAIR_SAFE_FROM_SAVED) {
                log_warning("every output of the saved hardware map (%s could not be read) driven to its safe value",
                            config_path);
                return 2;
        }
        log_info("every configured output driven to its safe value");
        return 0;
}

void chaird_safe_state_save_map(const struct chair_config *cfg) {
        const char *dir = chair_config_state_dir(cfg);
        int r = chair_hwmap_save(cfg, dir);
        if (r < 0)
                log_warning_errno(r, "Could not save the hardware map to %s/%s for --safe-state, ignoring",
                                  dir, CHAIR_HWMAP_NAME);
}
