/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Inside the config loader (lib/config.c, lib/config-check.c): the schema of
 * chaird.yaml for libcyaml, the range tables of its numbers, and the input
 * bindings by key.  Not for other modules: they use lib/config.h.
 */

#include <stddef.h>

#include <cyaml/cyaml.h>

#include "yaml-load.h"

/* The whole file, and the hardware section alone (--safe-state). */
extern const cyaml_schema_value_t chair_config_schema;
extern const cyaml_schema_value_t chair_config_hardware_schema;

/* Where each range table applies, for chair_yaml_load()'s value check. */
extern const struct chair_yaml_ranges chair_config_ranges[];
extern const size_t chair_config_n_ranges;

/* The input bindings by key under hardware.inputs, with their offsets in struct
 * chair_input_config: GPIO lines and IIO channels. */
struct chair_config_input_key {
        const char *key;
        size_t offset;
};
extern const struct chair_config_input_key chair_config_gpio_inputs[];
extern const size_t chair_config_n_gpio_inputs;
extern const struct chair_config_input_key chair_config_iio_inputs[];
extern const size_t chair_config_n_iio_inputs;
