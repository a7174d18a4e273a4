/* SPDX-License-Identifier: MIT */
#pragma once

#include "hal.h"

struct chair_config;

/* Create the backend the config names (hardware.backend).  The linux backend's
 * callers that want every binding problem listed call chair_hal_linux_new()
 * themselves; here the first one decides.  0 or a negative errno. */
int chair_hal_new(const struct chair_config *cfg, struct chair_hal **ret);
