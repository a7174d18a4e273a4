/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Plant changes for the simulated chair, in the two forms users give them:
 *   chair-sim --inject AT:KEY=VALUE   e.g. 12.5:estop=1, 30:command={"action":"stop"}
 *   MQTT <base>/sim/set JSON          e.g. {"estop":true,"body_height_cm":160}
 * Keys (design B1): estop, occupied, obstacle (0/1 or true/false),
 * heater_sensor (ok|open|short), stall (an actuator name or none),
 * body_height_cm (number), and command (JSON command, --inject only).
 */

#include <stddef.h>

#include "hal-sim.h"

struct chair_inject {
        double at_s;               /* simulated seconds */
        bool is_command;
        struct chair_sim_change change;   /* when !is_command */
        char *command;             /* when is_command: the JSON text (owned) */
};

/* Parse one --inject spec.  Returns 0, or -EINVAL with a one-line reason in err. */
int chair_inject_parse(const char *spec, struct chair_inject *ret, char *err, size_t err_size);
void chair_inject_clear(struct chair_inject *i);

/* Parse KEY=VALUE (no time, no command) into a plant change. */
int chair_sim_change_parse(const char *key, const char *value, struct chair_sim_change *ret,
                           char *err, size_t err_size);

/*
 * Parse a sim/set JSON object into up to max changes.  Returns the number of
 * changes (>= 0), or -EINVAL with a reason in err (then nothing is applied).
 */
int chair_sim_set_parse_json(const char *json, size_t len, struct chair_sim_change *changes,
                             size_t max, char *err, size_t err_size);
