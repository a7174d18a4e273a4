/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The simulated chair: a plant model that behaves like the reference chair's
 * hardware (design A2).  Deterministic for a given hardware.sim.seed.
 *
 *  - carriage: first-order inertia toward duty × carriage_mm_s, encoder edges
 *    every mm_per_pulse, end switches at 0 and track_mm, can be stalled;
 *  - depth: the rollers meet the back below the shoulder line (depth stops near
 *    the contact depth) and extend freely above it; that is what the body scan
 *    looks for;
 *  - heater: first-order thermal model (ambient, occupant's body, heater power),
 *    NTC reading with noise, sensor can read open or short;
 *  - airbags: pump raises pressure of the zones whose valve is open, vented
 *    zones fall toward 0;
 *  - backrest/legrest: position integrates duty / recline_s, end switches;
 *  - inputs: stop button, occupancy, obstacle.
 *
 * read() advances the plant to now_ns using the outputs last written.  Every
 * function here is safe on the control thread (no allocation).
 */

#include <stdbool.h>
#include <stdint.h>

#include "hal.h"

enum chair_sim_key {
        CHAIR_SIM_ESTOP,           /* b */
        CHAIR_SIM_OCCUPIED,        /* b */
        CHAIR_SIM_OBSTACLE,        /* b */
        CHAIR_SIM_HEATER_SENSOR,   /* sensor: OK, OPEN or SHORT */
        CHAIR_SIM_STALL,           /* actuator: an enum chair_actuator, or -1 for none */
        CHAIR_SIM_BODY_HEIGHT_CM,  /* f, 100..230 */
        _CHAIR_SIM_KEY_COUNT,
};

const char *chair_sim_key_name(enum chair_sim_key k);   /* "estop", "heater_sensor", ... */

struct chair_sim_change {
        enum chair_sim_key key;
        union {
                bool b;
                float f;
                enum chair_sensor_status sensor;
                int actuator;
        };
};

/* The plant's true state (what a perfect observer would see), for tests and chair-sim. */
struct chair_sim_truth {
        float carriage_mm;
        float carriage_mm_s;
        float depth;
        float heater_c;            /* true heater pad temperature */
        float pressure_kpa[_CHAIR_BAG_COUNT];
        float backrest, legrest;
        float shoulder_mm;         /* where this occupant's shoulder line is */
        bool occupied, estop, obstacle;
        float body_height_cm;
        int stalled;               /* actuator stalled, or -1 */
        enum chair_sensor_status heater_sensor;
        uint32_t encoder_pulses;
};

/* Sim backend constructor (chair_hal_new() calls it for backend: sim). */
int chair_hal_sim_new(const struct chair_config *cfg, struct chair_hal **ret);

/* Apply a change to the simulated plant (takes effect at the next read). */
int chair_hal_sim_apply(struct chair_hal *h, const struct chair_sim_change *c);
void chair_hal_sim_truth(const struct chair_hal *h, struct chair_sim_truth *t);
/* True when h is a sim backend. */
bool chair_hal_is_sim(const struct chair_hal *h);
