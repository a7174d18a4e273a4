/* SPDX-License-Identifier: MIT */
/* The backend factory: the one place that knows every backend (and so the
 * one HAL file outside the pure core, as it reaches the linux backend). */
#include <errno.h>

#include "config.h"
#include "errors.h"
#include "hal-backend.h"
#include "hal-linux.h"
#include "hal-sim.h"

int chair_hal_new(const struct chair_config *cfg, struct chair_hal **ret) {
        switch (cfg->hardware.backend) {
        case CHAIR_BACKEND_SIM:
                return chair_hal_sim_new(cfg, ret);
        case CHAIR_BACKEND_LINUX: {
                /* Callers that want every binding problem listed call
                 * chair_hal_linux_new() themselves; here the first one decides. */
                struct chair_errors errs = { 0 };
                int r = chair_hal_linux_new(cfg, &errs, ret);
                chair_errors_clear(&errs);
                return r;
        }
        }
        return -EINVAL;
}
