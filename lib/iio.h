/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * One IIO ADC channel through sysfs (<root>/iio:deviceN/in_voltageM_raw,
 * root normally /sys/bus/iio/devices), plus the conversions the linux backend
 * applies to ADC readings: NTC thermistor (Beta or Steinhart–Hart) and linear
 * maps for pressure and position sensors.
 *
 * The raw file stays open: chair_iio_read_raw() is one pread() on a kept-open
 * descriptor (no allocation, no open()); it may still sleep on the bus (an
 * SPI ADC), so the linux backend calls it from its input thread, never from
 * the control tick (lib/hal-linux.h, design C2).  The
 * scale and offset are read once at open (per-channel file first, then the
 * shared in_voltage_scale/_offset; absent means 1 and 0).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal.h"

struct chair_iio;
struct chair_ntc_config;
struct chair_linear_config;

/* Returns 0 and *ret, or a negative errno (-ENODEV missing device or channel)
 * with a one-line reason naming the path tried in why. */
int chair_iio_open(const char *root, int device, int channel, struct chair_iio **ret, char *why, size_t why_len);
struct chair_iio *chair_iio_free(struct chair_iio *c);   /* accepts NULL, returns NULL */

/* Read the raw value.  0, or a negative errno: the kernel's error, -ENODATA
 * for an empty read, -EBADMSG for text that is not an integer. */
int chair_iio_read_raw(struct chair_iio *c, int32_t *raw);
/* Millivolts at the ADC input: (raw + offset) * scale, as IIO defines it. */
double chair_iio_mv(const struct chair_iio *c, int32_t raw);

/*
 * NTC in a divider  Vref -- pullup -- ADC -- NTC -- GND:  R = pullup * V / (Vref - V).
 * R above open_ohm reads OPEN, below short_ohm SHORT; an unusable config or a
 * non-finite result ERROR.  *celsius is set only when the result is OK.
 * Steinhart–Hart when any of sh_a/sh_b/sh_c is non-zero, else Beta with r25_ohm.
 */
enum chair_sensor_status chair_ntc_celsius(const struct chair_ntc_config *ntc, double mv, float *celsius);
/* Resistance of the NTC from the ADC millivolts (INFINITY at or above Vref). */
double chair_ntc_ohm(const struct chair_ntc_config *ntc, double mv);

/* raw_min..raw_max onto min..max; clamp limits the result to [min, max]. */
float chair_linear_map(const struct chair_linear_config *m, double raw, bool clamp);
