/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "hal.h"
#include "strtab.h"

static const char *const actuator_names[_CHAIR_ACT_COUNT] = {
        [CHAIR_ACT_CARRIAGE] = "carriage",
        [CHAIR_ACT_KNEAD] = "knead",
        [CHAIR_ACT_TAP] = "tap",
        [CHAIR_ACT_DEPTH] = "depth",
        [CHAIR_ACT_HEATER] = "heater",
        [CHAIR_ACT_PUMP] = "pump",
        [CHAIR_ACT_VALVE_LUMBAR_LEFT] = "valve-lumbar-left",
        [CHAIR_ACT_VALVE_LUMBAR_RIGHT] = "valve-lumbar-right",
        [CHAIR_ACT_VALVE_SEAT] = "valve-seat",
        [CHAIR_ACT_VALVE_CALVES] = "valve-calves",
        [CHAIR_ACT_BACKREST] = "backrest",
        [CHAIR_ACT_LEGREST] = "legrest",
};

static const char *const airbag_names[_CHAIR_BAG_COUNT] = {
        [CHAIR_BAG_LUMBAR_LEFT] = "lumbar-left",
        [CHAIR_BAG_LUMBAR_RIGHT] = "lumbar-right",
        [CHAIR_BAG_SEAT] = "seat",
        [CHAIR_BAG_CALVES] = "calves",
};

CHAIR_DEFINE_NAME_LOOKUP(chair_actuator_name, chair_actuator_from_name, enum chair_actuator, actuator_names, NULL)

/* BIDIR is 0: an actuator added without a line here would be clamped to
 * -max..max.  Give it its kind, then this count (tests/test-shaping.c lists
 * every kind again). */
_Static_assert(_CHAIR_ACT_COUNT == 12, "a new actuator needs its kind in chair_actuator_kinds");

const uint8_t chair_actuator_kinds[_CHAIR_ACT_COUNT] = {
        [CHAIR_ACT_CARRIAGE] = CHAIR_ACT_KIND_BIDIR,
        [CHAIR_ACT_KNEAD] = CHAIR_ACT_KIND_BIDIR,
        [CHAIR_ACT_TAP] = CHAIR_ACT_KIND_DUTY,
        [CHAIR_ACT_DEPTH] = CHAIR_ACT_KIND_BIDIR,
        [CHAIR_ACT_HEATER] = CHAIR_ACT_KIND_DUTY,
        [CHAIR_ACT_PUMP] = CHAIR_ACT_KIND_DUTY,
        [CHAIR_ACT_VALVE_LUMBAR_LEFT] = CHAIR_ACT_KIND_SWITCH,
        [CHAIR_ACT_VALVE_LUMBAR_RIGHT] = CHAIR_ACT_KIND_SWITCH,
        [CHAIR_ACT_VALVE_SEAT] = CHAIR_ACT_KIND_SWITCH,
        [CHAIR_ACT_VALVE_CALVES] = CHAIR_ACT_KIND_SWITCH,
        [CHAIR_ACT_BACKREST] = CHAIR_ACT_KIND_BIDIR,
        [CHAIR_ACT_LEGREST] = CHAIR_ACT_KIND_BIDIR,
};

CHAIR_DEFINE_NAME_LOOKUP(chair_airbag_name, chair_airbag_from_name, enum chair_airbag, airbag_names, NULL)


struct chair_hal *chair_hal_free(struct chair_hal *h) {
        if (h)
                h->ops->destroy(h);
        return NULL;
}

void chair_outputs_safe(const struct chair_config *cfg, struct chair_outputs *out) {
        for (int i = 0; i < _CHAIR_ACT_COUNT; i++)
                out->v[i] = cfg->hardware.outputs[i].present ? cfg->hardware.outputs[i].safe : 0.0f;
}

bool chair_outputs_all_safe(const struct chair_config *cfg, const struct chair_outputs *out) {
        for (int i = 0; i < _CHAIR_ACT_COUNT; i++) {
                if (!cfg->hardware.outputs[i].present)
                        continue;
                /* Exact comparison on purpose: the supervisor writes the safe value itself. */
                if (out->v[i] != cfg->hardware.outputs[i].safe)
                        return false;
        }
        return true;
}
