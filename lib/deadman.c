/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <string.h>

#include "config.h"
#include "deadman.h"

#define NSEC_PER_SEC 1000000000ULL

float chair_deadman_default_max_on_s(const struct chair_config *cfg, enum chair_actuator a) {
        /* A whole session of the longest allowed length plus a minute: the step
         * legitimately keeps the heater, the kneading motor or a held airbag on
         * for a whole program (measured: the heater 20 min in sleep-wind-down). */
        float session_s = (float) cfg->safety.max_session_min * 60.0f + 60.0f;

        switch (a) {
        case CHAIR_ACT_PUMP:
                /* The shipped programs run the pump at most ~3 s at a time; a minute
                 * without reaching pressure is a leak or a dead sensor. */
                return 60.0f;
        case CHAIR_ACT_BACKREST:
        case CHAIR_ACT_LEGREST:
                /* A full recline move takes recline_s; the travel timeout fault comes
                 * at travel_timeout_s.  Twice that is a step that never stops. */
                return 2.0f * cfg->safety.travel_timeout_s;
        default:
                return session_s;
        }
}

void chair_deadman_init(struct chair_deadman *d, const struct chair_config *cfg) {
        memset(d, 0, sizeof(*d));
        d->stall_ns = (uint64_t) cfg->control.max_stall_ms * 1000000ULL;
        for (int i = 0; i < _CHAIR_ACT_COUNT; i++) {
                const struct chair_output_config *o = &cfg->hardware.outputs[i];
                d->safe[i] = o->present ? o->safe : 0.0f;
                if (!o->present)
                        continue;
                float s = o->max_on_s > 0 ? o->max_on_s : chair_deadman_default_max_on_s(cfg, (enum chair_actuator) i);
                d->max_on_ns[i] = (uint64_t) ((double) s * (double) NSEC_PER_SEC);
        }
}

uint32_t chair_deadman_apply(struct chair_deadman *d, uint64_t now_ns, uint64_t fed_ns,
                             const struct chair_outputs *req, struct chair_outputs *out) {
        uint32_t newly = 0;
        bool stale = d->stall_ns > 0 && now_ns > fed_ns && now_ns - fed_ns > d->stall_ns;

        if (stale && !d->stale) {
                d->stale_trips++;
                for (int i = 0; i < _CHAIR_ACT_COUNT; i++)
                        if ((d->on & (1u << i)) && !(d->tripped & (1u << i)))
                                newly |= 1u << i;
        }
        d->stale = stale;

        for (int i = 0; i < _CHAIR_ACT_COUNT; i++) {
                uint32_t bit = 1u << i;
                float v = req->v[i];
                /* NaN counts as "on": the backend turns it into the safe value anyway,
                 * but a step that produces it is not resting. */
                bool on = !(v == d->safe[i]);

                if (!on) {
                        /* The step itself let go: re-arm. */
                        d->on &= ~bit;
                        d->tripped &= ~bit;
                } else if (!(d->on & bit)) {
                        d->on |= bit;
                        d->on_since_ns[i] = now_ns;
                } else if (d->max_on_ns[i] && !(d->tripped & bit) &&
                           now_ns - d->on_since_ns[i] >= d->max_on_ns[i]) {
                        d->tripped |= bit;
                        d->on_time_trips++;
                        newly |= bit;
                }
                out->v[i] = stale || (d->tripped & bit) ? d->safe[i] : v;
        }
        return newly;
}
