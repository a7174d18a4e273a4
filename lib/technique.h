/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Techniques: each is a pure generator of setpoints from (zone, intensity,
 * speed, time in step).  Called on every control tick: no allocation, no
 * state other than the arguments.
 */

#include <stdint.h>

#include "hal.h"
#include "program.h"

struct chair_setpoint {
        float carriage_mm;                      /* where the rollers should be on the track */
        float depth;                            /* roller depth 0..1 */
        float knead;                            /* kneading motor -1..1 */
        float tap;                              /* tapping motor 0..1 */
        float bag_kpa[_CHAIR_BAG_COUNT];        /* target pressure per airbag, 0 = vented */
        float recline_offset;                   /* added to the step's recline position, -0.2..0.2 (rocking, stretch) */
};

struct chair_zone {
        float from_mm, to_mm;                   /* from_mm < to_mm, both on the track */
};

/*
 * Fill sp for technique t at t_s seconds into the step.  intensity and speed
 * are 1..5 (intensity may be fractional while ramping).  max_kpa caps the airbag
 * targets.  Deterministic and pure.
 */
void chair_technique_eval(enum chair_technique t, const struct chair_zone *z,
                          float intensity, float speed, float t_s, float max_kpa,
                          struct chair_setpoint *sp);
