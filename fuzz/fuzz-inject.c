/* SPDX-License-Identifier: MIT */
/*
 * fuzz-inject: the two ways to change the simulated plant from outside, with
 * the same bytes:
 *   - chair-sim --inject AT:KEY=VALUE (the text up to the first NUL), and the
 *     JSON command it may carry, through chair_cmd_parse();
 *   - an MQTT payload on <base>/sim/set through chair_sim_set_parse_json()
 *     (all the bytes, not NUL-terminated, at most 8 changes as the bridge
 *     allows);
 *   - KEY=VALUE split at the first '=' through chair_sim_change_parse().
 * Every change that parses is applied to a simulated chair, which must stay
 * within its model (body height 100..230 cm, finite positions).
 *
 * Returns a bit mask of what parsed: 1 --inject, 2 sim/set JSON, 4 KEY=VALUE.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "command.h"
#include "config.h"
#include "fuzzkit.h"
#include "hal-sim.h"
#include "inject.h"
#include "program.h"

#define SIM_MAX_CHANGES 8   /* as the MQTT bridge */

static struct chair_hal *hal;
static uint64_t now_ns;

static void apply(const struct chair_sim_change *c) {
        struct chair_inputs in;
        struct chair_sim_truth t;

        FUZZ_CHECK((unsigned) c->key < _CHAIR_SIM_KEY_COUNT);
        FUZZ_CHECK(chair_hal_sim_apply(hal, c) == 0);
        now_ns += 20000000ull;
        chair_hal_read(hal, now_ns, &in);
        chair_hal_sim_truth(hal, &t);
        FUZZ_CHECK(t.body_height_cm >= 100.0f && t.body_height_cm <= 230.0f);
        FUZZ_CHECK(isfinite(t.carriage_mm) && isfinite(t.heater_c) && isfinite(t.shoulder_mm));
        FUZZ_CHECK(t.stalled >= -1 && t.stalled < _CHAIR_ACT_COUNT);
}

int fuzz_inject_one(const uint8_t *data, size_t size) {
        char err[256];
        int mask = 0;

        if (!hal)
                FUZZ_CHECK(chair_hal_sim_new(fuzzkit_config(), &hal) == 0);

        char *text = malloc(size + 1);
        FUZZ_CHECK(text);
        memcpy(text, data, size);
        text[size] = 0;

        struct chair_inject inj;
        err[0] = 0;
        int r = chair_inject_parse(text, &inj, err, sizeof(err));
        FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
        if (r == -EINVAL)
                FUZZ_CHECK(err[0] != 0);
        if (r == 0) {
                mask |= 1;
                FUZZ_CHECK(isfinite(inj.at_s) && inj.at_s >= 0.0);
                if (inj.is_command) {
                        struct chair_cmd cmd;
                        char id[CHAIR_CMD_ID_MAX], msg[256];
                        FUZZ_CHECK(inj.command);
                        chair_cmd_parse(inj.command, strlen(inj.command), fuzzkit_programs(), &cmd,
                                        id, sizeof(id), msg, sizeof(msg));
                } else {
                        apply(&inj.change);
                }
                chair_inject_clear(&inj);
        }

        struct chair_sim_change ch[SIM_MAX_CHANGES];
        err[0] = 0;
        int n = chair_sim_set_parse_json((const char *) data, size, ch, SIM_MAX_CHANGES, err, sizeof(err));
        FUZZ_CHECK((n >= 0 && n <= SIM_MAX_CHANGES) || n == -EINVAL || n == -ENOMEM);
        if (n == -EINVAL)
                FUZZ_CHECK(err[0] != 0);
        if (n >= 0) {
                mask |= 2;
                for (int i = 0; i < n; i++)
                        apply(&ch[i]);
        }

        char *eq = strchr(text, '=');
        if (eq) {
                struct chair_sim_change c;
                *eq = 0;
                err[0] = 0;
                r = chair_sim_change_parse(text, eq + 1, &c, err, sizeof(err));
                FUZZ_CHECK(r == 0 || r == -EINVAL);
                if (r == 0) {
                        mask |= 4;
                        apply(&c);
                } else {
                        FUZZ_CHECK(err[0] != 0);
                }
        }
        free(text);
        return mask;
}
