/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Inside the config loader: everything a config must satisfy beyond its
 * schema and ranges: sessions within the cap, heater target under its limit,
 * a travel timeout long enough for a full move, no GPIO line or PWM channel
 * claimed twice, the bindings the linux backend needs, a heater with its
 * sensor, the owner's PIN, MQTT topic prefixes.  Each problem is appended to
 * errs as FILE:LINE:COL: PATH: MESSAGE at the key.
 */

struct chair_config;
struct chair_errors;
struct chair_yaml_pos;

/* 0, the first negative errno of a failed check, or -ENOMEM. */
int chair_config_check(const char *file, const struct chair_yaml_pos *pos, struct chair_errors *errs,
                       const struct chair_config *cfg);
