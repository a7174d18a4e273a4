/* SPDX-License-Identifier: MIT */
/*
 * tick-cost: run N control ticks of one session on the simulated plant, in
 * virtual time, and exit.  Made to be run under valgrind --tool=callgrind at two
 * lengths: the difference of the instruction counts divided by the difference
 * of the tick counts is the cost of one tick, with process start-up, config and
 * program loading cancelled out.
 *
 * Each tick does what the daemon's control thread does around the step
 * (lib/rtloop.c run_tick): chair_hal_read() → chair_ctl_step() →
 * chair_hal_write() → chair_ctl_status().  They stay separate, non-inlined
 * calls into libchair, so callgrind's inclusive cost per function splits the
 * tick into "control step alone" and "sim plant".
 *
 *   tick-cost [--config FILE] [--program ID] [--minutes N] TICKS
 *
 * The session lasts safety.max_session_min minutes unless --minutes says
 * otherwise (0 = the program's default length).
 *
 * Exit 0 when all TICKS ran with the session still going (idle or faulted
 * before the end would measure an idle loop: exit 2), 1 on usage/config errors.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "config.h"
#include "control.h"
#include "errors.h"
#include "hal-sim.h"
#include "hal.h"
#include "program-load.h"
#include "program.h"

static void usage(FILE *f) {
        fprintf(f, "Usage: tick-cost [--config FILE] [--program ID] [--minutes N] TICKS\n"
                   "Run TICKS control ticks of PROGRAM (default lumbar-relief) on the sim plant.\n"
                   "The session lasts N minutes (default safety.max_session_min, 0 = program default).\n");
}

static void print_errors(const struct chair_errors *errs) {
        for (size_t i = 0; i < errs->n; i++)
                fprintf(stderr, "%s:%u:%u: %s: %s\n", errs->v[i].file ? errs->v[i].file : "?",
                        errs->v[i].line, errs->v[i].column, errs->v[i].path ? errs->v[i].path : "",
                        errs->v[i].message ? errs->v[i].message : "");
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "config",  required_argument, NULL, 'c' },
                { "program", required_argument, NULL, 'p' },
                { "minutes", required_argument, NULL, 'm' },
                { "help",    no_argument,       NULL, 'h' },
                { 0 }
        };
        const char *config_path = NULL, *program = "lumbar-relief";
        int c, minutes = -1;
        char *end;

        while ((c = getopt_long(argc, argv, "c:p:m:h", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        config_path = optarg;
                        break;
                case 'p':
                        program = optarg;
                        break;
                case 'm':
                        errno = 0;
                        minutes = (int) strtol(optarg, &end, 10);
                        if (errno || end == optarg || *end || minutes < 0 || minutes > CHAIR_CMD_MAX_MINUTES) {
                                fprintf(stderr, "tick-cost: invalid --minutes '%s'\n", optarg);
                                return 1;
                        }
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 1;
                }
        if (optind + 1 != argc) {
                usage(stderr);
                return 1;
        }
        errno = 0;
        unsigned long long n_ticks = strtoull(argv[optind], &end, 10);
        if (errno || end == argv[optind] || *end || n_ticks < 1) {
                fprintf(stderr, "tick-cost: invalid tick count '%s'\n", argv[optind]);
                return 1;
        }
        if (!config_path) {
                /* the checkout's shipped config, wherever we are started from */
                const char *src = getenv("CHAIRD_SOURCE_ROOT");
                static char path[4096];
                snprintf(path, sizeof(path), "%s/config/chaird.yaml", src ? src : ".");
                config_path = path;
        }

        struct chair_errors errs = { 0 };
        struct chair_config *cfg = NULL;
        struct chair_programs *progs = NULL;
        int r = chair_config_load(config_path, &errs, &cfg);
        if (r >= 0)
                r = chair_programs_load(cfg, &errs, &progs);
        if (r < 0) {
                print_errors(&errs);
                fprintf(stderr, "tick-cost: cannot load %s: %s\n", config_path, strerror(-r));
                chair_errors_clear(&errs);
                chair_programs_free(progs);
                chair_config_free(cfg);
                return 1;
        }
        chair_errors_clear(&errs);

        int idx = chair_programs_find(progs, program);
        if (idx < 0) {
                fprintf(stderr, "tick-cost: unknown program '%s'\n", program);
                chair_programs_free(progs);
                chair_config_free(cfg);
                return 1;
        }

        struct chair_hal *hal = NULL;
        struct chair_ctl *ctl = NULL;
        r = chair_hal_sim_new(cfg, &hal);
        if (r >= 0)
                r = chair_ctl_new(cfg, progs, &ctl);
        if (r < 0) {
                fprintf(stderr, "tick-cost: set-up failed: %s\n", strerror(-r));
                chair_ctl_free(ctl);
                chair_hal_free(hal);
                chair_programs_free(progs);
                chair_config_free(cfg);
                return 1;
        }

        struct chair_cmd start;
        chair_cmd_init(&start, CHAIR_ACTION_START);
        start.program = (int16_t) idx;
        /* by default the longest session, so a long run does not end early */
        if (minutes < 0)
                start.minutes = (int16_t) cfg->safety.max_session_min;
        else if (minutes > 0)
                start.minutes = (int16_t) minutes;

        static struct chair_inputs in;
        static struct chair_outputs out;
        static struct chair_event ev[CHAIR_MAX_EVENTS_PER_TICK];
        static struct chair_status st;
        const uint64_t period = 1000000000ULL / cfg->control.rate_hz;

        for (unsigned long long t = 0; t < n_ticks; t++) {
                uint64_t now = t * period;
                chair_hal_read(hal, now, &in);
                chair_ctl_step(ctl, now, &in, &start, t == 0 ? 1 : 0, &out, ev);
                chair_hal_write(hal, &out);
                chair_ctl_status(ctl, &st);
        }

        bool running = st.state != CHAIR_STATE_IDLE && st.state != CHAIR_STATE_FAULT;
        printf("ticks=%llu rate_hz=%u state=%s step=%u/%u\n", n_ticks, cfg->control.rate_hz,
               chair_state_name(st.state), st.step, st.steps);

        chair_ctl_free(ctl);
        chair_hal_free(hal);
        chair_programs_free(progs);
        chair_config_free(cfg);
        return running ? 0 : 2;
}
