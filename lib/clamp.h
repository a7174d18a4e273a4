/* SPDX-License-Identifier: MIT */
#pragma once

/* v limited to [lo, hi]; NaN stays NaN (callers that must not pass NaN on
 * check isfinite() first, as the supervisor does). */
static inline float chair_clampf(float v, float lo, float hi) {
        return v < lo ? lo : v > hi ? hi : v;
}
