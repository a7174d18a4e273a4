/* SPDX-License-Identifier: MIT */
/*
 * fuzz-program: one program file (a YAML file in config/programs: written by a
 * manufacturer, installed by anyone with write access to a program
 * directory) through chair_program_load() against the shipped chair.
 *
 * Invariants: 0 or -EINVAL with located errors (or a resource errno); an
 * accepted program has a valid id, 1..CHAIR_PROGRAM_MAX_STEPS steps whose
 * fields are in range and whose durations add up, and a session of it starts
 * on the simulated chair and runs a few simulated seconds with finite,
 * in-range outputs.
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
#include "program-load.h"
#include "program.h"

static void check_accepted(const struct chair_config *cfg, struct chair_program *p) {
        size_t n = strlen(p->id);
        uint32_t total = 0;

        FUZZ_CHECK(n > 0 && n < CHAIR_PROGRAM_ID_MAX);
        FUZZ_CHECK(strspn(p->id, "abcdefghijklmnopqrstuvwxyz0123456789-") == n);
        FUZZ_CHECK(p->name && p->description);
        FUZZ_CHECK(p->n_steps >= 1 && p->n_steps <= CHAIR_PROGRAM_MAX_STEPS);
        for (size_t i = 0; i < p->n_steps; i++) {
                const struct chair_step *s = &p->steps[i];
                FUZZ_CHECK((unsigned) s->technique < _CHAIR_TECH_COUNT);
                FUZZ_CHECK(s->intensity >= 1 && s->intensity <= 5);
                FUZZ_CHECK(s->speed >= 1 && s->speed <= 5);
                FUZZ_CHECK(s->duration_s > 0);
                FUZZ_CHECK(s->zone_from <= s->zone_to);
                for (int b = 0; b < _CHAIR_BAG_COUNT; b++)
                        if (s->airbags & (1u << b))
                                FUZZ_CHECK(cfg->hardware.outputs[CHAIR_ACT_VALVE_LUMBAR_LEFT + b].present);
                total += s->duration_s;
        }
        FUZZ_CHECK(total == p->total_s);

        /* Play it: start, and three simulated seconds.  On a copy of the chair
         * without the depth sensor, so the session skips the body scan (which
         * takes longer than that) and goes straight to the program's steps. */
        struct chair_config noscan = *cfg;
        noscan.hardware.inputs.depth_pos.set = false;
        cfg = &noscan;
        struct chair_programs set = { .v = p, .n = 1 };
        struct chair_hal *hal = NULL;
        struct chair_ctl *ctl = NULL;
        FUZZ_CHECK(chair_hal_sim_new(cfg, &hal) == 0);
        FUZZ_CHECK(chair_ctl_new(cfg, &set, &ctl) == 0);
        uint64_t period = 1000000000ull / cfg->control.rate_hz, now = 0;
        struct chair_inputs in;
        struct chair_outputs out;
        struct chair_event ev[CHAIR_MAX_EVENTS_PER_TICK];
        struct chair_cmd start;
        chair_cmd_init(&start, CHAIR_ACTION_START);
        start.program = 0;
        start.token = 1;
        bool answered = false;
        for (unsigned i = 0; i < 3 * cfg->control.rate_hz; i++, now += period) {
                chair_hal_read(hal, now, &in);
                size_t k = chair_ctl_step(ctl, now, &in, i == 1 ? &start : NULL, i == 1, &out, ev);
                chair_hal_write(hal, &out);
                for (size_t e = 0; e < k; e++)
                        if (ev[e].kind == CHAIR_EVENT_RESULT && ev[e].result.token == 1) {
                                FUZZ_CHECK(ev[e].result.err == CHAIR_OK);
                                answered = true;
                        }
                for (int a = 0; a < _CHAIR_ACT_COUNT; a++)
                        FUZZ_CHECK(isfinite(out.v[a]) && out.v[a] >= -1.0f && out.v[a] <= 1.0f);
        }
        FUZZ_CHECK(answered);
        chair_ctl_free(ctl);
        chair_hal_free(hal);
}

int fuzz_program_one(const uint8_t *data, size_t size) {
        const struct chair_config *cfg = fuzzkit_config();
        struct chair_errors errs = { 0 };
        struct chair_program p = { 0 };

        int r = chair_program_load(fuzzkit_file(data, size), cfg, &errs, &p);
        FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM || r == -EFBIG || r == -ENODEV);
        if (r == 0) {
                /* Warnings (a bag listed twice, step times) may come with a good program. */
                FUZZ_CHECK(chair_errors_count(&errs) == 0);
                check_accepted(cfg, &p);
        } else if (r == -EINVAL) {
                FUZZ_CHECK(chair_errors_count(&errs) > 0);
        } else if (r == -ENODEV) {
                /* Skipped (graceful fit): one warning says why. */
                FUZZ_CHECK(errs.n > 0 && errs.v[errs.n - 1].warning && !p.steps);
        }
        for (size_t i = 0; i < errs.n; i++)
                FUZZ_CHECK(errs.v[i].file && errs.v[i].path && errs.v[i].message &&
                           errs.v[i].message[0]);
        chair_program_clear(&p);
        chair_errors_clear(&errs);
        return r;
}
