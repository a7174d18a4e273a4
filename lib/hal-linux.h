/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The linux backend: GPIO lines through libgpiod 1.6, PWM through sysfs, ADC
 * sensors through IIO sysfs.  See docs/hardware.md.
 */

struct chair_config;
struct chair_hal;
struct chair_errors;

/*
 * Open and claim every binding the config names.  Every problem (missing chip,
 * line, PWM channel or IIO channel, permission) is appended to errs as one line
 * naming the actuator or sensor, what is missing and the path tried; returns
 * a negative errno if any.  Outputs are requested at their safe values.
 */
int chair_hal_linux_new(const struct chair_config *cfg, struct chair_errors *errs, struct chair_hal **ret);
