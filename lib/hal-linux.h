/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The linux backend: GPIO lines through libgpiod (gpio.h), PWM through
 * sysfs (pwm.c), ADC sensors through IIO sysfs (iio.c).  See docs/hardware.md.
 *
 * Mapping of the logical values of hal.h onto hardware:
 *   - bidirectional motor v: direction line = (v < 0), duty = |v| * pwm.max_duty;
 *     when the direction flips the duty goes to 0 before the line changes;
 *   - duty drives (tap, heater, pump): duty = v * pwm.max_duty, or, with a
 *     gpio binding instead of pwm, the line is 1 while v > 0;
 *   - valves: line = (v >= 0.5).
 * Every line and channel is written only when its value changes.
 *
 * Inputs: edges are drained without blocking on every read().  The stop
 * button, obstacle sensor and end switches report active on the first edge to
 * active (even a press shorter than a tick) and release only after the line
 * stayed inactive for debounce_ms; occupancy is debounced both ways.  Encoder
 * pulses count every edge (both directions).
 * ADC sensors are read at their rate_hz (every tick when 0).  A failed read:
 * heater_sensor = CHAIR_SENSOR_ERROR, positions NaN, pressures +INFINITY (so
 * an over-pressure check trips rather than a pump running blind).
 */

struct chair_config;
struct chair_hal;
struct chair_errors;

/*
 * Open and claim every binding the config names.  Every problem (missing chip,
 * line, PWM channel or IIO channel, permission) is appended to errs as one line
 * naming the actuator or sensor, what is missing and the path tried; returns
 * a negative errno if any.  Outputs are requested at their safe values.
 * errs may be NULL.
 */
int chair_hal_linux_new(const struct chair_config *cfg, struct chair_errors *errs, struct chair_hal **ret);

/*
 * `chaird --safe-state`: without a running HAL, request every configured
 * output line with its safe value as the initial value (then release it) and
 * disable every PWM channel (exporting it first if needed).  Goes on past
 * failures: each is appended to errs (may be NULL).  Returns 0 when every
 * output was reached, else the first negative errno.  Main thread only.
 */
int chair_hal_linux_safe_state(const struct chair_config *cfg, struct chair_errors *errs);
