/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * `chaird --safe-state [--config FILE]` (ExecStopPost=): drive every output
 * safe from any config.  Logs what it found and returns the exit status
 * (docs/config.md "Safe state"):
 *   0  every output of this config's hardware section is at its safe value
 *      (errors elsewhere in the config were logged and ignored);
 *   2  the hardware section could not be read: every output of the map the
 *      daemon saved when it last started is at its safe value;
 *   1  an output could not be reached, or no hardware map could be read at all.
 */
struct chair_config;

int chaird_safe_state(const char *config_path);

/* At start, once the hardware came up: save its map for chaird_safe_state(); logs failures. */
void chaird_safe_state_save_map(const struct chair_config *cfg);
