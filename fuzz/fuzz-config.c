/* SPDX-License-Identifier: MIT */
/*
 * fuzz-config: a chaird.yaml written by hand (or by anyone who can write to
 * /etc/chaird), through the loader --check-config uses
 * (chair_config_load_lenient()).
 *
 * Invariants: the loader answers 0 (valid), -EINVAL with at least one located
 * error, or a resource errno, never anything else; a config it accepts keeps
 * the hard safety limits of design A4 whatever the file says, its MQTT topic
 * prefixes hold no wildcard; its safe
 * outputs are safe; and on the sim backend the plant and an idle control step
 * run on it with finite, in-range outputs.
 *
 * Returns the loader's return value.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "config.h"
#include "control.h"
#include "errors.h"
#include "fuzzkit.h"
#include "hal-sim.h"
#include "program.h"

static void check_accepted(const struct chair_config *c) {
        FUZZ_CHECK(c->control.rate_hz >= 50 && c->control.rate_hz <= 5000);
        FUZZ_CHECK(c->safety.max_session_min >= 1 && c->safety.max_session_min <= 30);
        FUZZ_CHECK(c->safety.default_session_min >= 1 &&
                   c->safety.default_session_min <= c->safety.max_session_min);
        FUZZ_CHECK(c->safety.heater_max_c <= 50.0f);
        FUZZ_CHECK(c->safety.heater_target_c < c->safety.heater_max_c);
        FUZZ_CHECK(c->chair.id && c->chair.id[0] &&
                   strspn(c->chair.id, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(c->chair.id));
        FUZZ_CHECK(c->mqtt.base_topic && c->mqtt.host && c->mqtt.discovery_prefix);
        FUZZ_CHECK(c->mqtt.base_topic[0] && !strpbrk(c->mqtt.base_topic, "+#"));
        FUZZ_CHECK(c->mqtt.discovery_prefix[0] && !strpbrk(c->mqtt.discovery_prefix, "+#"));

        struct chair_outputs safe;
        chair_outputs_safe(c, &safe);
        FUZZ_CHECK(chair_outputs_all_safe(c, &safe));

        if (c->hardware.backend != CHAIR_BACKEND_SIM)
                return;        /* the linux backend would open real devices */

        struct chair_programs none = { 0 };
        struct chair_hal *hal = NULL;
        struct chair_ctl *ctl = NULL;
        FUZZ_CHECK(chair_hal_sim_new(c, &hal) == 0);
        FUZZ_CHECK(chair_ctl_new(c, &none, &ctl) == 0);
        uint64_t period = 1000000000ull / c->control.rate_hz, now = 0;
        struct chair_inputs in;
        struct chair_outputs out;
        struct chair_event ev[CHAIR_MAX_EVENTS_PER_TICK];
        for (int i = 0; i < 20; i++, now += period) {
                chair_hal_read(hal, now, &in);
                chair_ctl_step(ctl, now, &in, NULL, 0, &out, ev);
                chair_hal_write(hal, &out);
                for (int a = 0; a < _CHAIR_ACT_COUNT; a++)
                        FUZZ_CHECK(isfinite(out.v[a]) && out.v[a] >= -1.0f && out.v[a] <= 1.0f);
        }
        chair_ctl_free(ctl);
        chair_hal_free(hal);
}

int fuzz_config_one(const uint8_t *data, size_t size) {
        struct chair_errors errs = { 0 };
        struct chair_config *c = NULL;

        int r = chair_config_load_lenient(fuzzkit_file(data, size), &errs, &c);
        FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM || r == -EFBIG);
        if (r == 0) {
                FUZZ_CHECK(c && chair_errors_count(&errs) == 0);
                check_accepted(c);
        } else if (r == -EINVAL) {
                FUZZ_CHECK(chair_errors_count(&errs) > 0);
        }
        for (size_t i = 0; i < errs.n; i++)
                FUZZ_CHECK(errs.v[i].file && errs.v[i].path && errs.v[i].message &&
                           errs.v[i].message[0]);

        /* The printed form is what the user reads: render it (to nowhere). */
        FILE *null = fopen("/dev/null", "we");
        if (null) {
                chair_errors_print(&errs, null);
                fclose(null);
        }
        chair_config_free(c);
        chair_errors_clear(&errs);
        return r;
}
