/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The linux backend: GPIO lines through libgpiod 1.6 (gpio.c), PWM through
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
 * Threads (design C2): read()/write() touch memory only.  write() posts the
 * outputs to the output thread ("chaird-out"), which applies them (every PWM
 * and GPIO line write) under the dead-man of lib/deadman.h: each output's
 * max_on_s, and every output safe when write() has not been called for
 * control.max_stall_ms.  The input thread ("chaird-in") reads each IIO channel
 * at its rate_hz (the loop rate when 0) and hands timestamped samples to
 * read(); a sample older than max_age_ms (default 3 periods + 50 ms) reads as
 * a failed read.  Both run SCHED_FIFO just at/below control.rt_priority when
 * allowed.  A failed output write shows as an error of the next read().
 *
 * Inputs: edges are drained without blocking on every read().  The stop
 * button, obstacle sensor and end switches report active on the first edge to
 * active (even a press shorter than a tick) and release only after the line
 * stayed inactive for debounce_ms; occupancy is debounced both ways.  Encoder
 * pulses count every edge (both directions).
 * A failed (or stale) ADC read:
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
 * Wait (sleeping, at most timeout_ms) until the output thread has applied
 * every write() made before the call and the input thread has read every
 * analog channel after it.  For tests and tools that must see the hardware
 * follow at once; never on the control thread.  0 or -ETIMEDOUT.
 */
int chair_hal_linux_settle(struct chair_hal *hal, int timeout_ms);

/*
 * `chaird --safe-state`: without a running HAL, request every configured
 * output line with its safe value as the initial value (then release it) and
 * disable every PWM channel (exporting it first if needed).  Goes on past
 * failures: each is appended to errs (may be NULL).  Returns 0 when every
 * output was reached, else the first negative errno.  Main thread only.
 */
int chair_hal_linux_safe_state(const struct chair_config *cfg, struct chair_errors *errs);
