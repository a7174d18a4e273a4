/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The MQTT front end of chaird (design B3): commands in on <base>/set (and
 * <base>/sim/set with the sim backend), replies, state, events, programs,
 * diagnostics, availability and Home Assistant discovery out.
 *
 * Uses only daemon.h; everything runs on the main (sd-event) thread.
 */

struct chaird;
struct chaird_mqtt;

/* Registers a listener with d and starts connecting (in the background: a chair
 * works without its broker).  Returns 0, or negative errno for a configuration
 * that cannot work (unreadable password file, bad TLS files). */
int chaird_mqtt_new(struct chaird *d, struct chaird_mqtt **ret);

/* Publishes the last state and a clean "offline", disconnects (so the broker
 * drops the will), frees.  Accepts NULL, returns NULL. */
struct chaird_mqtt *chaird_mqtt_free(struct chaird_mqtt *b);
