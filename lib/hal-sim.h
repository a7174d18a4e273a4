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
 *
 * Details of the model:
 *  - time: the first read() only records now_ns; later reads integrate from the
 *    previous read in equal substeps of at most 1 ms, so results hardly depend
 *    on the call rate.  A gap longer than 10 s integrates only 10 s (bounded
 *    work per call); an earlier now_ns than the last one just reads.
 *  - only actuators with hardware.outputs[i].present act on the plant; write()
 *    stores the others as 0 and clamps values to the actuator's kind range
 *    (NaN reads as 0).  safe() stores chair_outputs_safe().
 *  - stall (CHAIR_SIM_STALL): the stalled actuator has no effect at all: a
 *    stalled carriage does not move and gives no encoder edges, a stalled
 *    depth/recline motor holds its position, a stalled pump does not fill.
 *    Knead and tap have no feedback; their stall shows only in the truth.
 *  - the encoder is single-channel: one edge per mm_per_pulse travelled in
 *    either direction.  End switches close within 0.5 mm of 0 and track_mm.
 *  - depth: 0..1 at 0.5/s full duty; while occupied and the carriage is below
 *    the shoulder line (chair_body_shoulder_for_height()), the back holds the
 *    rollers at a contact depth of 0.35 (+0.05 × push duty of compliance).
 *  - heater: dT/dt = (heater_w·duty·0.7 °C/W − (T − T_env)) / heater_tau_s;
 *    T_env drifts (tau 300 s) toward 33 °C skin while occupied, ambient when
 *    not.  Full duty settles near 60 °C, far above heater_max_c: the control
 *    loop must regulate.  The reading carries uniform noise of
 *    ±sensor_noise_c from a splitmix64 PRNG seeded with hardware.sim.seed;
 *    an open/short sensor reads NaN with status OPEN/SHORT.
 *  - airbags: with the valve connected (1) a bag rises at pump duty ×
 *    pump_kpa_s (capped by an 80 kPa pump relief), leaks slowly (tau 600 s)
 *    when the pump is off; a vented bag (0) falls toward 0 with tau 0.5 s.
 *    Readings carry the same ±sensor_noise_c noise (in kPa), never below 0.
 *  - backrest/legrest: position += duty / recline_s per second, 0..1; the
 *    min/max switches close within 0.005 of the ends.
 *  - inputs a chair does not have (hardware.inputs.<x>.set false) read as
 *    absent: estop and obstacle read false, occupied reads true (hal.h: "true
 *    if no sensor fitted"), and the heater sensor reads NaN with status ABSENT.
 *    The truth always shows the plant's own state.
 *
 * Thread rules: chair_hal_sim_apply() and chair_hal_sim_truth() touch the same
 * state as read(); call them from the thread that calls read() (chair-sim is
 * single-threaded; the daemon hands sim/set changes to the control thread).
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
        /* Faults for technicians and tests to provoke (issue 17): */
        CHAIR_SIM_OVERPRESSURE,    /* bag: that airbag jumps to the pump's relief pressure (80 kPa) */
        CHAIR_SIM_ENCODER_NOISE,   /* f, 0..5000: spurious encoder edges per second, moving or not */
        CHAIR_SIM_HOME_SWITCH,     /* b: false = the carriage's home switch is broken (never closes) */
        CHAIR_SIM_HEATER_C,        /* f, -20..150: the pad's true temperature jumps to this (overheated pad) */
        CHAIR_SIM_CARRIAGE_SPEED,  /* f, 0.01..1: the carriage reaches this share of its speed (worn drive) */
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
                int bag;                   /* enum chair_airbag */
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
