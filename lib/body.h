/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Body model: where the spinal landmarks of this occupant lie on the carriage
 * track.  A body scan at session start finds the shoulder line (the carriage
 * position where the rollers leave the back, found in the sim by the plant's
 * body model and on a real chair by the depth sensor's load change); the
 * landmarks are then placed by average body proportions between the shoulder
 * line and the seat.
 */

#include "program.h"

struct chair_geometry;

struct chair_body {
        float shoulder_mm;                       /* carriage mm of the shoulder line */
        float landmark_mm[_CHAIR_LM_COUNT];      /* carriage mm of each landmark, clamped to the track */
};

/* Landmarks from a measured shoulder line.  Pure, no allocation. */
void chair_body_from_shoulder(const struct chair_geometry *g, float shoulder_mm, struct chair_body *b);

/* The shoulder line an occupant of height_cm has (used by the sim plant and as the
 * scan's fallback estimate). */
float chair_body_shoulder_for_height(const struct chair_geometry *g, float height_cm);
