/* SPDX-License-Identifier: MIT */
#include <math.h>

#include "body.h"
#include "clamp.h"
#include "config.h"

/*
 * Landmark heights above the seat surface as fractions of the seated shoulder
 * height (seat surface to acromion line).  Derived from average segment
 * proportions of adults: seated shoulder height is about 0.35 of stature, the
 * sacrum's top (S1) sits about 0.06 of stature above the seat, each lumbar
 * vertebra with its disc spans about 0.02 of stature, and T12 sits about 0.18
 * of stature above the seat.  C7 lies just above the shoulder line.
 */
static const float landmark_frac[_CHAIR_LM_COUNT] = {
        [CHAIR_LM_C7] = 1.02f,
        [CHAIR_LM_T10] = 0.62f,
        [CHAIR_LM_T12] = 0.51f,
        [CHAIR_LM_L1] = 0.455f,
        [CHAIR_LM_L2] = 0.40f,
        [CHAIR_LM_L3] = 0.345f,
        [CHAIR_LM_L4] = 0.29f,
        [CHAIR_LM_L5] = 0.235f,
        [CHAIR_LM_S1] = 0.17f,
};

void chair_body_from_shoulder(const struct chair_geometry *g, float shoulder_mm, struct chair_body *b) {
        /* The carriage's 0 mm is seat_offset_mm above the seat surface. */
        float seat_to_shoulder = shoulder_mm + g->seat_offset_mm;

        b->shoulder_mm = shoulder_mm;
        for (int i = 0; i < _CHAIR_LM_COUNT; i++)
                b->landmark_mm[i] = chair_clampf(landmark_frac[i] * seat_to_shoulder - g->seat_offset_mm,
                                           0.0f, g->track_mm);
}

float chair_body_shoulder_for_height(const struct chair_geometry *g, float height_cm) {
        return height_cm * 10.0f * g->seat_to_shoulder_ratio - g->seat_offset_mm;
}
