/* SPDX-License-Identifier: MIT */
/*
 * chair-sim: run a program on the simulated chair in virtual time.
 * Exit 0 when the session ended normally, 2 when it ended in a fault (or the
 * start was refused), 1 on usage or config errors.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chaird-version.h"
#include "command.h"
#include "config.h"
#include "errors.h"
#include "inject.h"
#include "program-load.h"
#include "program.h"
#include "simrun.h"

/* The same default as chaird's (config.h). */
#define DEFAULT_CONFIG CHAIR_CONFIG_DEFAULT_PATH

static void help(FILE *f) {
        fprintf(f,
                "Usage: chair-sim [OPTIONS] PROGRAM\n"
                "Run PROGRAM on the simulated chair in virtual time and print a summary.\n"
                "PROGRAM is a program id from the config's program directories, or the\n"
                "path of a program file (anything with a '/' or ending in .yaml).\n\n"
                "  -c, --config FILE      chair config (default " DEFAULT_CONFIG ")\n"
                "  -s, --seconds N        end the run after N simulated seconds\n"
                "      --seed N           plant seed (overrides hardware.sim.seed)\n"
                "  -t, --trace FILE.csv   write a CSV row per tick\n"
                "      --trace-every N    ... per N ticks instead\n"
                "  -j, --json             print the summary as JSON\n"
                "  -i, --inject AT:KEY=VALUE  change the plant at AT simulated seconds\n"
                "                         keys: estop occupied obstacle heater_sensor stall\n"
                "                               body_height_cm command (repeatable)\n"
                "      --minutes N --intensity N --speed N --heat on|off   start parameters\n"
                "      --realtime X       run at X times real time with a live view\n"
                "  -h, --help             this text\n"
                "      --version          version\n\n"
                "Exit status: 0 session ended normally, 2 ended in a fault or was refused,\n"
                "1 usage or configuration error.\n");
}

static int parse_num(const char *s, double lo, double hi, double *ret) {
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || end == s || *end || v < lo || v > hi)
                return -EINVAL;
        *ret = v;
        return 0;
}

static bool is_path(const char *s) {
        size_t n = strlen(s);
        return strchr(s, '/') || (n > 5 && strcmp(s + n - 5, ".yaml") == 0);
}

/*
 * Load the program file PATH against the chair and put it into PROGS, in
 * place of a program with the same id (said once, as a note).  *id: its id.
 */
static int add_program_file(const struct chair_config *cfg, struct chair_programs *progs, const char *path,
                            struct chair_errors *errs, const char **id) {
        struct chair_program p;
        int k, r = chair_program_load(path, cfg, errs, &p);

        if (r == -ENODEV)
                return -EINVAL;     /* the warning says which part the chair lacks */
        if (r < 0)
                return r;
        k = chair_programs_find(progs, p.id);
        if (k >= 0) {
                char *a = realpath(path, NULL), *b = realpath(progs->v[k].file, NULL);
                bool same = a && b && strcmp(a, b) == 0;
                free(a);
                free(b);
                if (!same && chair_errors_note(errs, path, 1, 1, "id", "program '%s' replaces the one in %s for this run",
                                      p.id, progs->v[k].file) < 0) {
                        chair_program_clear(&p);
                        return -ENOMEM;
                }
                chair_program_clear(&progs->v[k]);
        } else {
                struct chair_program *v = realloc(progs->v, (progs->n + 1) * sizeof(*v));
                if (!v) {
                        chair_program_clear(&p);
                        return -ENOMEM;
                }
                progs->v = v;
                k = (int) progs->n++;
        }
        progs->v[k] = p;
        *id = progs->v[k].id;
        return 0;
}

int main(int argc, char **argv) {
        enum { ARG_SEED = 0x100, ARG_TRACE_EVERY, ARG_MINUTES, ARG_INTENSITY, ARG_SPEED, ARG_HEAT,
               ARG_REALTIME, ARG_VERSION };
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "seconds", required_argument, NULL, 's' },
                { "seed", required_argument, NULL, ARG_SEED },
                { "trace", required_argument, NULL, 't' },
                { "trace-every", required_argument, NULL, ARG_TRACE_EVERY },
                { "json", no_argument, NULL, 'j' },
                { "inject", required_argument, NULL, 'i' },
                { "minutes", required_argument, NULL, ARG_MINUTES },
                { "intensity", required_argument, NULL, ARG_INTENSITY },
                { "speed", required_argument, NULL, ARG_SPEED },
                { "heat", required_argument, NULL, ARG_HEAT },
                { "realtime", required_argument, NULL, ARG_REALTIME },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { 0 }
        };
        const char *config_path = DEFAULT_CONFIG, *trace_path = NULL;
        struct chair_simrun_opts o = {
                .minutes = CHAIR_UNSET, .intensity = CHAIR_UNSET, .speed = CHAIR_UNSET, .heat = CHAIR_UNSET,
        };
        struct chair_inject *injects = NULL;
        size_t n_injects = 0;
        bool json = false;
        int c, ret = 1;
        double v;
        char err[512];

        while ((c = getopt_long(argc, argv, "c:s:t:ji:h", options, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        config_path = optarg;
                        break;
                case 's':
                        if (parse_num(optarg, 0.001, 1e7, &o.seconds) < 0) {
                                fprintf(stderr, "chair-sim: --seconds: '%s' is not a positive number\n", optarg);
                                goto out;
                        }
                        break;
                case ARG_SEED: {
                        char *end;
                        errno = 0;
                        unsigned long long s = strtoull(optarg, &end, 0);
                        if (errno || end == optarg || *end || optarg[0] == '-') {
                                fprintf(stderr, "chair-sim: --seed: '%s' is not a non-negative integer\n", optarg);
                                goto out;
                        }
                        o.seed = s;
                        o.seed_set = true;
                        break;
                }
                case 't':
                        trace_path = optarg;
                        break;
                case ARG_TRACE_EVERY:
                        if (parse_num(optarg, 1, 1e9, &v) < 0 || v != (unsigned) v) {
                                fprintf(stderr, "chair-sim: --trace-every: '%s' is not a positive integer\n", optarg);
                                goto out;
                        }
                        o.trace_every = (unsigned) v;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'i': {
                        struct chair_inject *n = realloc(injects, (n_injects + 1) * sizeof(*n));
                        if (!n) {
                                fprintf(stderr, "chair-sim: out of memory\n");
                                goto out;
                        }
                        injects = n;
                        if (chair_inject_parse(optarg, &injects[n_injects], err, sizeof(err)) < 0) {
                                fprintf(stderr, "chair-sim: --inject '%s': %s\n", optarg, err);
                                goto out;
                        }
                        n_injects++;
                        break;
                }
                case ARG_MINUTES:
                        if (parse_num(optarg, 1, 30, &v) < 0 || v != (int) v) {
                                fprintf(stderr, "chair-sim: --minutes: '%s' is not a whole number of minutes 1..30\n", optarg);
                                goto out;
                        }
                        o.minutes = (int) v;
                        break;
                case ARG_INTENSITY:
                case ARG_SPEED:
                        if (parse_num(optarg, 1, 5, &v) < 0 || v != (int) v) {
                                fprintf(stderr, "chair-sim: --%s: '%s' is not 1..5\n",
                                        c == ARG_SPEED ? "speed" : "intensity", optarg);
                                goto out;
                        }
                        *(c == ARG_SPEED ? &o.speed : &o.intensity) = (int) v;
                        break;
                case ARG_HEAT:
                        if (strcmp(optarg, "on") == 0)
                                o.heat = 1;
                        else if (strcmp(optarg, "off") == 0)
                                o.heat = 0;
                        else {
                                fprintf(stderr, "chair-sim: --heat: expected on or off, got '%s'\n", optarg);
                                goto out;
                        }
                        break;
                case ARG_REALTIME:
                        if (parse_num(optarg, 0.01, 1e6, &o.realtime) < 0) {
                                fprintf(stderr, "chair-sim: --realtime: '%s' is not a positive number\n", optarg);
                                goto out;
                        }
                        o.live = stderr;
                        break;
                case 'h':
                        help(stdout);
                        ret = 0;
                        goto out;
                case ARG_VERSION:
                        printf("chair-sim " CHAIRD_VERSION "\n");
                        ret = 0;
                        goto out;
                default:
                        fprintf(stderr, "Try 'chair-sim --help'.\n");
                        goto out;
                }
        }
        if (optind != argc - 1) {
                fprintf(stderr, "chair-sim: %s\nTry 'chair-sim --help'.\n",
                        optind >= argc ? "missing PROGRAM" : "exactly one PROGRAM expected");
                goto out;
        }
        o.program = argv[optind];
        o.injects = injects;
        o.n_injects = n_injects;

        struct chair_errors errs = { 0 };
        struct chair_config *cfg = NULL;
        struct chair_programs *progs = NULL;
        int r = chair_config_load(config_path, &errs, &cfg);
        if (r >= 0)
                r = chair_programs_load(cfg, &errs, &progs);
        if (r >= 0 && is_path(o.program))
                r = add_program_file(cfg, progs, o.program, &errs, &o.program);
        if (r < 0) {
                if (errs.n)
                        chair_errors_print(&errs, stderr);
                else
                        fprintf(stderr, "chair-sim: %s: %s\n", config_path, strerror(-r));
                chair_errors_clear(&errs);
                goto done;
        }
        /* Warnings and notes (a program skipped or overridden), once. */
        chair_errors_print(&errs, stderr);
        chair_errors_clear(&errs);
        if (chair_programs_find(progs, o.program) < 0) {
                fprintf(stderr, "chair-sim: unknown program '%s'; known:", o.program);
                for (size_t i = 0; i < progs->n; i++)
                        fprintf(stderr, " %s", progs->v[i].id);
                fprintf(stderr, " (or the path of a program file)\n");
                goto done;
        }

        FILE *trace = NULL;
        if (trace_path) {
                trace = fopen(trace_path, "we");
                if (!trace) {
                        fprintf(stderr, "chair-sim: cannot write %s: %s\n", trace_path, strerror(errno));
                        goto done;
                }
                o.trace = trace;
        }

        struct chair_simrun_result res;
        r = chair_simrun(cfg, progs, &o, &res, err, sizeof(err));
        if (trace && fclose(trace) != 0 && r >= 0) {
                fprintf(stderr, "chair-sim: writing %s failed: %s\n", trace_path, strerror(errno));
                goto done;
        }
        if (r < 0) {
                fprintf(stderr, "chair-sim: %s\n", err);
                goto done;
        }
        if (json)
                chair_simrun_print_json(&res, o.program, stdout);
        else
                chair_simrun_print_text(&res, o.program, stdout);
        ret = res.result == CHAIR_SIM_FAULT || res.result == CHAIR_SIM_REFUSED ? 2 : 0;
done:
        chair_programs_free(progs);
        chair_config_free(cfg);
out:
        for (size_t i = 0; i < n_injects; i++)
                chair_inject_clear(&injects[i]);
        free(injects);
        return ret;
}
