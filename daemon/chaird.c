/* SPDX-License-Identifier: MIT */
/*
 * chaird: the massage chair daemon.
 *
 * main() → run() → parse_argv(); then: load config and programs, bring up the
 * hardware, start the control thread (lib/rtloop.c), and run an sd-event main
 * loop that carries the control thread's events and status to the front ends,
 * talks to systemd (READY/STATUS/WATCHDOG/STOPPING) and handles signals.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "chaird-version.h"
#include "clock.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "errors.h"
#include "event-log.h"
#include "hal-backend.h"
#include "hal-linux.h"
#include "hal-sim.h"
#include "hal.h"
#include "histogram.h"
#include "history.h"
#include "instance.h"
#include "log.h"
#include "mqtt-bridge.h"
#include "owner-lock.h"
#include "program-load.h"
#include "program.h"
#include "reload.h"
#include "rtloop.h"
#include "safe-state.h"

#define DEFAULT_CONFIG CHAIR_CONFIG_DEFAULT_PATH
#define MAX_LISTENERS 8
#define NSEC_PER_SEC CHAIR_NSEC_PER_SEC
/* "last minute" latency: 7 cumulative copies 10 s apart cover 60..70 s */
#define WINDOW_SLOTS 7
#define WINDOW_PERIOD_NS (10 * NSEC_PER_SEC)

/* What the command line asked for. */
static const char *arg_config = DEFAULT_CONFIG;
static enum { ACTION_RUN, ACTION_CHECK_CONFIG, ACTION_SAFE_STATE } arg_action = ACTION_RUN;
static int arg_verbose;
static const char *arg_run_program;
static int arg_run_minutes = CHAIR_UNSET;

struct chaird {
        struct chair_config *cfg;
        /* programs_running: the set the control step uses (acknowledged);
         * programs_current: the set commands are parsed against (the newest handed
         * over; equal to running except while a swap waits for the session to end);
         * programs_queued: loaded by a later SIGHUP while a swap was in flight. */
        struct chair_programs *programs_running, *programs_current, *programs_queued;
        bool swap_in_flight;

        struct chair_hal *hal;
        struct chair_ctl *ctl;
        struct chair_rt *rt;
        struct chair_rt_info rt_info;

        sd_event *event;
        int wake_fd;
        sd_event_source *wake_source, *tick_source, *watchdog_source;
        sd_event_source *signal_sources[5];

        struct chaird_listener listeners[MAX_LISTENERS];
        size_t n_listeners;

        struct chair_status status;     /* latest status taken from the control thread */
        struct chair_status_visible delivered;       /* what listeners last heard */
        bool delivered_once;
        char status_line[160];

        uint64_t watchdog_usec;
        uint64_t watchdog_last_ticks;
        bool watchdog_starving;

        struct chair_hist *latency_copy;
        struct chair_hist_window *latency_window;
        struct chaird_history *history;  /* persistent state (daemon/history.c) */

        uint64_t start_ns;
        uint32_t next_token;
        uint32_t run_token;             /* token of the --run start command, 0 = none */
        struct chaird_event_log event_log;     /* daemon/event-log.h */
        bool stopping;                  /* SIGTERM/SIGINT: the control thread is being stopped */

        struct chaird_instance *instance;       /* one chaird per chair (daemon/instance.h) */
        struct chaird_reload *reload;           /* SIGHUP's loader thread (daemon/reload.h) */
        uint64_t events_dropped_logged;         /* status.events_dropped already logged */

        bool test_hooks;                /* CHAIRD_TEST_HOOKS=1: SIGUSR1 stalls the control thread */
        bool test_stalled;
        const char *test_dump;          /* CHAIRD_TEST_DUMP=FILE: final state written at exit */
};


/* ---- daemon.h: the front ends' view ---------------------------------------------------- */

int chaird_add_listener(struct chaird *d, const struct chaird_listener *l) {
        if (d->n_listeners >= MAX_LISTENERS)
                return -ENOSPC;
        d->listeners[d->n_listeners++] = *l;
        return 0;
}

int chaird_submit(struct chaird *d, struct chair_cmd *cmd, uint32_t *ret_token) {
        /* 0 is never a token, so "no token" can be told apart */
        if (++d->next_token == 0)
                d->next_token = 1;
        cmd->token = d->next_token;

        struct chair_rt_msg m = { .kind = CHAIR_RT_MSG_CMD, .cmd = *cmd };
        if (!chair_rt_send(d->rt, &m))
                return -EAGAIN;
        if (ret_token)
                *ret_token = cmd->token;
        return 0;
}

int chaird_sim_apply(struct chaird *d, const struct chair_sim_change *c) {
        if (!chair_hal_is_sim(d->hal))
                return -EOPNOTSUPP;
        struct chair_rt_msg m = { .kind = CHAIR_RT_MSG_SIM, .sim = *c };
        return chair_rt_send(d->rt, &m) ? 0 : -EAGAIN;
}

void chaird_status(struct chaird *d, struct chair_status *st) {
        chair_rt_status(d->rt, &d->status);
        *st = d->status;
}

struct chaird_history *chaird_get_history(struct chaird *d) {
        return d->history;
}

sd_event *chaird_event_loop(struct chaird *d) {
        return d->event;
}

const struct chair_config *chaird_config(struct chaird *d) {
        return d->cfg;
}

const struct chair_programs *chaird_programs(struct chaird *d) {
        return d->programs_current;
}

const struct chair_programs *chaird_programs_running(struct chaird *d) {
        return d->programs_running;
}

void chaird_loop_stats(struct chaird *d, struct chaird_loop_stats *s) {
        struct chair_rt_stats rs;
        struct chair_hist_summary all, last;

        chair_rt_stats(d->rt, &rs);
        chair_hist_copy(d->latency_copy, chair_rt_latency(d->rt));
        chair_hist_summarize(d->latency_copy, &all);
        chair_hist_window_summary(d->latency_window, chair_rt_latency(d->rt), &last);

        *s = (struct chaird_loop_stats) {
                .rate_hz = rs.rate_hz,
                .ticks = rs.ticks,
                .missed = rs.missed,
                .late_ticks = rs.late_ticks,
                .max_late_us = rs.max_late_us,
                .max_stale_us = rs.max_stale_us,
                .overruns = rs.overruns,
                .output_cuts = rs.output_cuts,
                .events_dropped = d->status.events_dropped,
                .max_stall_ms = d->cfg->control.max_stall_ms,
                .p50_us = all.p50_us, .p99_us = all.p99_us, .max_us = all.max_us,
                .p50_1m_us = last.p50_us, .p99_1m_us = last.p99_us, .max_1m_us = last.max_us,
                .policy = d->rt_info.policy,
                .priority = d->rt_info.priority,
                .uptime_s = (double) (chair_now_ns() - d->start_ns) / 1e9,
        };
}

/* ---- status ----------------------------------------------------------------------------- */

static void dispatch_event(struct chaird *d, const struct chair_event *ev);

static void update_status(struct chaird *d) {
        struct chair_status_visible v;
        char line[sizeof(d->status_line)];

        chair_rt_status(d->rt, &d->status);

        /* The tick cannot log: an event that did not fit its budget is counted
         * there and reported here, once per new batch. */
        if (d->status.events_dropped != d->events_dropped_logged) {
                log_error("control step dropped %llu event(s) over its per-tick budget (a bug; please report it)",
                          (unsigned long long) (d->status.events_dropped - d->events_dropped_logged));
                d->events_dropped_logged = d->status.events_dropped;
        }

        chair_status_visible(&d->status, &v);
        if (d->delivered_once && memcmp(&v, &d->delivered, sizeof(v)) == 0)
                return;
        d->delivered = v;
        d->delivered_once = true;

        chaird_format_status_line(d->programs_running, &d->status, line, sizeof(line));
        if (strcmp(line, d->status_line) != 0) {
                snprintf(d->status_line, sizeof(d->status_line), "%s", line);
                sd_notifyf(0, "STATUS=%s", line);
                log_debug("status: %s", line);
        }
        for (size_t i = 0; i < d->n_listeners; i++)
                if (d->listeners[i].status)
                        d->listeners[i].status(d->listeners[i].userdata, &d->status);
}

/* ---- program sets ----------------------------------------------------------------------- */

static void notify_programs_changed(struct chaird *d) {
        for (size_t i = 0; i < d->n_listeners; i++)
                if (d->listeners[i].programs_changed)
                        d->listeners[i].programs_changed(d->listeners[i].userdata, d->programs_current);
}

/* Hand p to the control thread; it takes over between sessions and acknowledges
 * with CHAIR_RT_NOTE_PROGRAMS, after which the previous set is freed. */
static void send_programs(struct chaird *d, struct chair_programs *p) {
        struct chair_rt_msg m = { .kind = CHAIR_RT_MSG_PROGRAMS, .programs = p };

        if (!chair_rt_send(d->rt, &m)) {
                /* ring full: the 1 s timer tries again */
                d->programs_queued = p;
                return;
        }
        d->swap_in_flight = true;
        d->programs_current = p;
        notify_programs_changed(d);
}

static void programs_acknowledged(struct chaird *d, const struct chair_programs *p) {
        if (p != d->programs_current) {
                /* cannot happen: only one swap is ever in flight */
                log_error("control thread acknowledged an unknown program set, ignoring.");
                return;
        }
        if (d->programs_running != d->programs_current)
                chair_programs_free(d->programs_running);
        d->programs_running = d->programs_current;
        d->swap_in_flight = false;
        log_info("new program set in use (%zu programs)", d->programs_running->n);

        if (d->programs_queued) {
                struct chair_programs *q = d->programs_queued;
                d->programs_queued = NULL;
                send_programs(d, q);
        }
}


/* On the main loop, when the reload worker (daemon/reload.c) is done. */
static void programs_reloaded(void *userdata, int r, struct chair_programs *p, struct chair_errors *errs) {
        struct chaird *d = userdata;

        if (r < 0) {
                chaird_log_errors(errs);
                if (chair_errors_count(errs) == 0)
                        log_error_errno(r, "Reloading programs failed");
                log_error("reload failed with %zu error(s); keeping the current set of %zu programs",
                          chair_errors_count(errs), d->programs_current->n);
                chair_errors_clear(errs);
                chair_programs_free(p);
                sd_notifyf(0, "READY=1\nSTATUS=%s", d->status_line);
                return;
        }
        chaird_log_errors(errs);       /* warnings and notes of a good load */
        chair_errors_clear(errs);
        log_info("reloaded %zu programs; they take effect for the next session", p->n);
        sd_notifyf(0, "READY=1\nSTATUS=%s", d->status_line);

        if (d->swap_in_flight || d->programs_queued) {
                /* the newest set wins; an older queued one was never used */
                chair_programs_free(d->programs_queued);
                d->programs_queued = p;
                return;
        }
        send_programs(d, p);
}

/* ---- events from the control thread ----------------------------------------------------- */

static void dispatch_event(struct chaird *d, const struct chair_event *ev) {
        chaird_log_event(&d->event_log, d->programs_running, &d->status, d->run_token, ev);
        for (size_t i = 0; i < d->n_listeners; i++)
                if (d->listeners[i].event)
                        d->listeners[i].event(d->listeners[i].userdata, ev);
}

static void process_notes(struct chaird *d) {
        struct chair_rt_note n;

        while (chair_rt_receive(d->rt, &n)) {
                if (n.kind == CHAIR_RT_NOTE_PROGRAMS) {
                        programs_acknowledged(d, n.programs);
                        continue;
                }
                /* the status first, so listeners see events against a fresh snapshot */
                chair_rt_status(d->rt, &d->status);
                dispatch_event(d, &n.ev);
        }
        update_status(d);
}

static int on_wake(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct chaird *d = userdata;
        uint64_t v;

        /* eventfd: one read resets the counter */
        if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
                log_debug_errno(-errno, "eventfd read");
        process_notes(d);
        return 0;
}

/* ---- timers ----------------------------------------------------------------------------- */

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        struct chaird *d = userdata;

        chair_hist_window_update(d->latency_window, chair_rt_latency(d->rt), chair_now_ns());
        if (d->programs_queued && !d->swap_in_flight) {
                struct chair_programs *q = d->programs_queued;
                d->programs_queued = NULL;
                send_programs(d, q);
        }
        /* also catch anything a missed wake-up left behind */
        process_notes(d);

        sd_event_source_set_time(s, usec + 1000000);
        return 0;
}

/* Feed systemd's watchdog only while the control thread ticks: a stuck real-time
 * loop must let WatchdogSec= fire (design A4 rule 9). */
static int on_watchdog(sd_event_source *s, uint64_t usec, void *userdata) {
        struct chaird *d = userdata;
        uint64_t ticks = chair_rt_ticks(d->rt);

        if (ticks != d->watchdog_last_ticks) {
                d->watchdog_last_ticks = ticks;
                sd_notify(0, "WATCHDOG=1");
                if (d->watchdog_starving)
                        log_notice("control loop ticks again; feeding the watchdog");
                d->watchdog_starving = false;
        } else if (!d->watchdog_starving) {
                d->watchdog_starving = true;
                log_error("control loop has not ticked for %.1f s; not feeding the watchdog",
                          (double) d->watchdog_usec / 2e6);
        }
        /* from now, not from the programmed time: a late dispatch must not make the
         * next check come at once and mistake a short gap for a stuck loop */
        uint64_t t;
        sd_event_now(d->event, CLOCK_MONOTONIC, &t);
        sd_event_source_set_time(s, t + d->watchdog_usec / 2);
        return 0;
}

/* ---- signals ---------------------------------------------------------------------------- */

static int on_terminate(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        struct chaird *d = userdata;

        log_info("SIG%s received, ending safely", sigabbrev_np((int) si->ssi_signo));
        sd_notify(0, "STOPPING=1\nSTATUS=stopping");
        return sd_event_exit(d->event, 0);
}

static int on_hangup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        struct chaird *d = userdata;

        log_info("SIGHUP received, reloading programs");
        sd_notify(0, "RELOADING=1");
        /* Off the main loop: no program file can delay a stop or SIGTERM. */
        int r = chaird_reload_request(d->reload);
        if (r == 0)
                log_info("a reload is under way; another follows it");
        else if (r < 0) {
                log_error_errno(r, "Failed to start the program reload");
                sd_notifyf(0, "READY=1\nSTATUS=%s", d->status_line);
        }
        return 0;
}

static int on_test_stall(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        struct chaird *d = userdata;

        d->test_stalled = !d->test_stalled;
        chair_rt_test_stall(d->rt, d->test_stalled);
        log_warning("test hook: control thread %s", d->test_stalled ? "stalled" : "released");
        return 0;
}

/* ---- start-up and shut-down ------------------------------------------------------------- */

static int dump_final_state(struct chaird *d, bool outputs_safe) {
        struct chaird_loop_stats ls;
        FILE *f = fopen(d->test_dump, "we");

        if (!f)
                return log_warning_errno(-errno, "cannot write %s, ignoring", d->test_dump);
        chaird_loop_stats(d, &ls);
        fprintf(f, "state=%s\n", chair_state_name(d->status.state));
        fprintf(f, "all_safe=%d\n", outputs_safe);
        for (int i = 0; i < _CHAIR_ACT_COUNT; i++)
                if (d->cfg->hardware.outputs[i].present)
                        fprintf(f, "out.%s=%g\n", chair_actuator_name(i), (double) d->status.out.v[i]);
        fprintf(f, "policy=%s\npriority=%d\nrate_hz=%u\nticks=%llu\nmissed=%llu\n"
                "p50_us=%u\np99_us=%u\nmax_us=%u\np99_1m_us=%u\nprograms=%zu\n",
                chaird_policy_name(ls.policy), ls.priority, ls.rate_hz, (unsigned long long) ls.ticks,
                (unsigned long long) ls.missed, ls.p50_us, ls.p99_us, ls.max_us, ls.p99_1m_us,
                d->programs_running ? d->programs_running->n : 0);
        fclose(f);
        return 0;
}

static struct chaird *chaird_free(struct chaird *d) {
        if (!d)
                return NULL;
        chair_rt_free(d->rt);
        for (size_t i = 0; i < sizeof(d->signal_sources) / sizeof(d->signal_sources[0]); i++)
                sd_event_source_unref(d->signal_sources[i]);
        sd_event_source_unref(d->wake_source);
        sd_event_source_unref(d->tick_source);
        sd_event_source_unref(d->watchdog_source);
        sd_event_unref(d->event);
        if (d->wake_fd >= 0)
                close(d->wake_fd);
        chair_ctl_free(d->ctl);
        chair_hal_free(d->hal);
        if (d->programs_current != d->programs_running)
                chair_programs_free(d->programs_current);
        chair_programs_free(d->programs_running);
        chair_programs_free(d->programs_queued);
        chair_hist_free(d->latency_copy);
        chair_hist_window_free(d->latency_window);
        /* A reload still reading a file (a FIFO, a hung mount) is not waited
         * for; it reads the config, so that stays (the process exits now). */
        if (!chaird_reload_free(d->reload))
                chair_config_free(d->cfg);
        chaird_instance_unlock(d->instance);
        free(d);
        return NULL;
}

static int load_config(const char *path, struct chair_config **ret) {
        struct chair_errors errs = { 0 };

        int r = chair_config_load(path, &errs, ret);
        if (r < 0) {
                chaird_log_errors(&errs);
                if (errs.n == 0)
                        log_error_errno(r, "Failed to load %s", path);
        }
        chair_errors_clear(&errs);
        return r;
}

static int help(void) {
        printf("Usage: chaird [OPTIONS]\n\n"
               "Massage chair controller daemon.\n\n"
               "  -c, --config FILE     configuration file (default %s)\n"
               "      --check-config    validate the configuration and every program, then exit\n"
               "      --safe-state      drive every configured output to its safe value, then exit\n"
               "      --run PROGRAM     start PROGRAM once the chair is up (technician's convenience)\n"
               "      --minutes N       session length for --run (1..30)\n"
               "  -v, --verbose         more log output (repeat for debug)\n"
               "  -h, --help            show this help\n"
               "      --version         show the version\n\n"
               "Signals: SIGTERM/SIGINT end any session safely and exit; SIGHUP reloads programs.\n",
               DEFAULT_CONFIG);
        return 0;
}

/* Returns 1 to go on, 0 to exit successfully (help/version), negative on a usage error. */
static int parse_argv(int argc, char *argv[]) {
        enum { ARG_CHECK_CONFIG = 0x100, ARG_SAFE_STATE, ARG_VERSION, ARG_RUN, ARG_MINUTES };
        static const struct option options[] = {
                { "config",       required_argument, NULL, 'c'              },
                { "check-config", no_argument,       NULL, ARG_CHECK_CONFIG },
                { "safe-state",   no_argument,       NULL, ARG_SAFE_STATE   },
                { "run",          required_argument, NULL, ARG_RUN          },
                { "minutes",      required_argument, NULL, ARG_MINUTES      },
                { "verbose",      no_argument,       NULL, 'v'              },
                { "help",         no_argument,       NULL, 'h'              },
                { "version",      no_argument,       NULL, ARG_VERSION      },
                { 0 }
        };
        int c;

        opterr = 0;   /* our own one-line messages */
        while ((c = getopt_long(argc, argv, ":c:vh", options, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        arg_config = optarg;
                        break;
                case ARG_CHECK_CONFIG:
                        arg_action = ACTION_CHECK_CONFIG;
                        break;
                case ARG_SAFE_STATE:
                        arg_action = ACTION_SAFE_STATE;
                        break;
                case ARG_RUN:
                        arg_run_program = optarg;
                        break;
                case ARG_MINUTES: {
                        char *end;
                        errno = 0;
                        long m = strtol(optarg, &end, 10);
                        if (errno || end == optarg || *end || m < 1 || m > CHAIR_CMD_MAX_MINUTES) {
                                fprintf(stderr, "chaird: invalid --minutes '%s': expected 1..%d\n",
                                        optarg, CHAIR_CMD_MAX_MINUTES);
                                return -EINVAL;
                        }
                        arg_run_minutes = (int) m;
                        break;
                }
                case 'v':
                        arg_verbose++;
                        break;
                case 'h':
                        return help();
                case ARG_VERSION:
                        printf("chaird %s\n", CHAIRD_VERSION);
                        return 0;
                case ':':
                        fprintf(stderr, "chaird: option '%s' needs a value (see --help)\n", argv[optind - 1]);
                        return -EINVAL;
                case '?':
                default:
                        if (optopt)
                                fprintf(stderr, "chaird: unknown option '-%c' (see --help)\n", optopt);
                        else
                                fprintf(stderr, "chaird: unknown option '%s' (see --help)\n", argv[optind - 1]);
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "chaird: unexpected argument '%s' (see --help)\n", argv[optind]);
                return -EINVAL;
        }
        if (arg_run_minutes != CHAIR_UNSET && !arg_run_program) {
                fprintf(stderr, "chaird: --minutes needs --run PROGRAM\n");
                return -EINVAL;
        }
        if (arg_run_program && arg_action != ACTION_RUN) {
                fprintf(stderr, "chaird: --run cannot be combined with --check-config or --safe-state\n");
                return -EINVAL;
        }
        return 1;
}

static int setup_event_loop(struct chaird *d, const sigset_t *mask) {
        int r = sd_event_default(&d->event);
        if (r < 0)
                return log_error_errno(r, "Failed to create the event loop");

        r = sd_event_add_signal(d->event, &d->signal_sources[0], SIGTERM, on_terminate, d);
        if (r >= 0)
                r = sd_event_add_signal(d->event, &d->signal_sources[1], SIGINT, on_terminate, d);
        if (r >= 0)
                r = sd_event_add_signal(d->event, &d->signal_sources[2], SIGHUP, on_hangup, d);
        if (r >= 0 && d->test_hooks)
                r = sd_event_add_signal(d->event, &d->signal_sources[3], SIGUSR1, on_test_stall, d);
        if (r < 0)
                return log_error_errno(r, "Failed to watch signals");

        r = sd_event_add_io(d->event, &d->wake_source, d->wake_fd, EPOLLIN, on_wake, d);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the control thread's eventfd");

        uint64_t t;
        sd_event_now(d->event, CLOCK_MONOTONIC, &t);
        r = sd_event_add_time(d->event, &d->tick_source, CLOCK_MONOTONIC, t + 1000000, 100000, on_tick, d);
        if (r >= 0)
                r = sd_event_source_set_enabled(d->tick_source, SD_EVENT_ON);
        if (r < 0)
                return log_error_errno(r, "Failed to add the housekeeping timer");

        if (sd_watchdog_enabled(0, &d->watchdog_usec) > 0 && d->watchdog_usec > 0) {
                /* accuracy 1 ms: the default (250 ms) would blur a 0.5 s interval */
                r = sd_event_add_time(d->event, &d->watchdog_source, CLOCK_MONOTONIC,
                                      t + d->watchdog_usec / 2, 1000, on_watchdog, d);
                if (r >= 0)
                        r = sd_event_source_set_enabled(d->watchdog_source, SD_EVENT_ON);
                if (r < 0)
                        return log_error_errno(r, "Failed to add the watchdog timer");
                log_info("watchdog: %.1f s, fed every %.1f s while the control loop ticks",
                         (double) d->watchdog_usec / 1e6, (double) d->watchdog_usec / 2e6);
        }
        (void) mask;
        return 0;
}

static int start_run_program(struct chaird *d) {
        int idx = chair_programs_find(d->programs_current, arg_run_program);
        struct chair_cmd cmd;

        chair_cmd_init(&cmd, CHAIR_ACTION_START);
        cmd.program = (int16_t) idx;
        cmd.minutes = (int16_t) arg_run_minutes;
        int r = chaird_submit(d, &cmd, &d->run_token);
        if (r < 0)
                return log_error_errno(r, "Failed to start %s", arg_run_program);
        log_info("--run: starting %s", arg_run_program);
        return 0;
}

static int run(int argc, char *argv[]) {
        int r = parse_argv(argc, argv);
        if (r <= 0)
                return r;

        log_setup();
        log_set_max_level(LOG_INFO + arg_verbose);

        if (arg_action == ACTION_CHECK_CONFIG) {
                r = chair_check_config(arg_config, stdout);
                return r == 0 ? 0 : -EINVAL;
        }
        if (arg_action == ACTION_SAFE_STATE) {
                /* Its own exit statuses (0, 1, 2): see safe-state.h. */
                exit(chaird_safe_state(arg_config));
        }

        /* Block the signals we handle before any thread exists, so the control
         * thread inherits the mask and they all arrive at the event loop. */
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        const char *hooks = getenv("CHAIRD_TEST_HOOKS");
        bool test_hooks = hooks && strcmp(hooks, "1") == 0;
        if (test_hooks)
                sigaddset(&mask, SIGUSR1);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        struct chaird *d = calloc(1, sizeof(*d));
        if (!d)
                return log_error_errno(-ENOMEM, "Out of memory");
        d->wake_fd = -1;
        d->event_log.program = -1;
        d->start_ns = chair_now_ns();
        d->test_hooks = test_hooks;
        d->test_dump = getenv("CHAIRD_TEST_DUMP");
        if (d->test_dump && !*d->test_dump)
                d->test_dump = NULL;

        r = load_config(arg_config, &d->cfg);
        if (r < 0)
                goto finish;
        if (d->cfg->control.max_missed_ticks_set)
                log_warning("%s: control.max_missed_ticks is deprecated: a session ends only when the outputs "
                            "went stale for longer than control.max_stall_ms (now %u ms); set that instead",
                            d->cfg->path, d->cfg->control.max_stall_ms);

        /* Before touching hardware or state: a second chaird for this chair leaves
         * the running one alone. */
        {
                char why[1024];
                r = chaird_instance_lock(d->cfg, d->cfg->path, &d->instance, why, sizeof(why));
                if (r < 0) {
                        log_error("%s", why);
                        goto finish;
                }
        }

        struct chair_errors errs = { 0 };
        r = chair_programs_load(d->cfg, &errs, &d->programs_running);
        if (r < 0) {
                chaird_log_errors(&errs);
                chair_errors_clear(&errs);
                log_error_errno(r, "Failed to load programs");
                goto finish;
        }
        chaird_log_errors(&errs);
        chair_errors_clear(&errs);
        d->programs_current = d->programs_running;
        log_info("chaird %s: config %s, %zu programs, %s backend", CHAIRD_VERSION, d->cfg->path,
                 d->programs_running->n, d->cfg->hardware.backend == CHAIR_BACKEND_SIM ? "sim" : "linux");

        if (arg_run_program && chair_programs_find(d->programs_current, arg_run_program) < 0) {
                log_error("--run: unknown program '%s'", arg_run_program);
                r = -ENOENT;
                goto finish;
        }

        if (d->cfg->hardware.backend == CHAIR_BACKEND_LINUX) {
                /* Name the first missing chip, line or channel where the config
                 * binds it; --safe-state walks them all. */
                struct chair_errors herrs = { 0 };
                r = chair_hal_linux_new(d->cfg, &herrs, &d->hal);
                if (r < 0) {
                        if (herrs.n > 0) {
                                const struct chair_error *e = &herrs.v[0];
                                log_error("%s:%u:%u: %s: %s", e->file ? e->file : "?", e->line, e->column,
                                          e->path ? e->path : "", e->message ? e->message : "");
                        }
                        log_error_errno(r, "Failed to bring up the linux hardware: %zu binding problem(s); "
                                        "`chaird --safe-state --config %s` lists every one",
                                        herrs.n, d->cfg->path);
                }
                chair_errors_clear(&herrs);
        } else {
                r = chair_hal_new(d->cfg, &d->hal);
                if (r < 0)
                        log_error_errno(r, "Failed to bring up the sim hardware");
        }
        if (r < 0)
                goto finish;
        /* This map worked: --safe-state falls back to it if the config breaks. */
        chaird_safe_state_save_map(d->cfg);
        r = chair_ctl_new(d->cfg, d->programs_running, &d->ctl);
        if (r < 0) {
                log_error_errno(r, "Failed to set up the controller");
                goto finish;
        }
        /* owner API: the child lock's PIN and the lock as it was (design C3) */
        r = chaird_owner_pin_load(d->cfg);
        if (r < 0)
                goto finish;
        chaird_lock_restore(d->cfg, d->ctl);

        r = chair_hist_new(10000, &d->latency_copy);
        if (r >= 0)
                r = chair_hist_window_new(10000, WINDOW_SLOTS, WINDOW_PERIOD_NS, &d->latency_window);
        if (r < 0) {
                log_error_errno(r, "Out of memory");
                goto finish;
        }

        d->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (d->wake_fd < 0) {
                r = log_error_errno(-errno, "Failed to create an eventfd");
                goto finish;
        }

        struct chair_rt_options o;
        chair_rt_options_from_config(d->cfg, &o);
        o.wake_fd = d->wake_fd;
        o.latency_bins = 10000;
        r = chair_rt_new(d->cfg, d->hal, d->ctl, &o, &d->rt);
        if (r < 0) {
                log_error_errno(r, "Failed to set up the control loop");
                goto finish;
        }

        r = setup_event_loop(d, &mask);
        if (r < 0)
                goto finish;
        r = chaird_reload_new(d->event, d->cfg, programs_reloaded, d, &d->reload);
        if (r < 0) {
                log_error_errno(r, "Failed to set up program reloads");
                goto finish;
        }

        r = chair_rt_start(d->rt);
        if (r < 0) {
                log_error_errno(r, "Failed to start the control thread");
                goto finish;
        }
        chair_rt_info(d->rt, &d->rt_info);
        chaird_log_rt_info(&d->rt_info, o.rate_hz);
        if (o.time_scale != 1.0)
                log_notice("sim time runs %.3g times faster than real time", o.time_scale);
        chair_hist_window_update(d->latency_window, chair_rt_latency(d->rt), chair_now_ns());

        /* FRONTENDS: the MQTT bridge is created here, after the control thread runs and before READY=1 */
        /* the state directory: counters, history, usage, profiles (before the
         * bridge, which publishes them) */
        struct chaird_mqtt *mqtt = NULL;
        struct chaird_lock *lock = NULL;
        r = chaird_history_new(d, &d->history);
        if (r < 0)
                goto stop;
        r = chaird_lock_new(d, &lock);
        if (r < 0)
                goto stop;

        r = chaird_mqtt_new(d, &mqtt);
        if (r < 0)
                goto stop;

        /* hardware and control loop are up: now, and only now, systemd may count us as started */
        chair_rt_status(d->rt, &d->status);
        chaird_format_status_line(d->programs_running, &d->status, d->status_line, sizeof(d->status_line));
        sd_notifyf(0, "READY=1\nSTATUS=%s", d->status_line);

        if (arg_run_program) {
                r = start_run_program(d);
                if (r < 0)
                        goto stop;
        }

        r = sd_event_loop(d->event);
        if (r < 0)
                log_error_errno(r, "Event loop failed");

stop:
        /* The control thread ends the session itself (chair_ctl_shutdown: outputs
         * safe within its last tick); then belt and braces through the HAL. */
        d->stopping = true;
        process_notes(d);       /* whatever the last ticks reported, with the old reasons */
        chair_rt_stop(d->rt);
        process_notes(d);       /* the final status: listeners hear session_ended (shutdown) */

        /* FRONTENDS: freed here */
        mqtt = chaird_mqtt_free(mqtt);   /* last state, clean "offline", DISCONNECT */
        d->history = chaird_history_free(d->history);   /* after the last event: saves */
        lock = chaird_lock_free(lock);

        {
                int k = chair_hal_safe(d->hal);
                if (k < 0)
                        log_error_errno(k, "Failed to drive every output safe");
                bool safe = chair_outputs_all_safe(d->cfg, &d->status.out);
                struct chaird_loop_stats ls;
                struct chair_rt_stats rs;
                chaird_loop_stats(d, &ls);
                chair_rt_stats(d->rt, &rs);
                log_info("control loop: %llu ticks, %llu missed, wake-up latency p50 %u us, p99 %u us, max %u us; "
                         "longest tick %u us",
                         (unsigned long long) ls.ticks, (unsigned long long) ls.missed,
                         ls.p50_us, ls.p99_us, ls.max_us, rs.max_work_us);
                if (safe && k >= 0)
                        log_info("outputs safe at exit");
                else
                        log_error("outputs NOT all safe at exit");
                if (d->test_dump)
                        dump_final_state(d, safe && k >= 0);
        }

finish:
        chaird_free(d);
        return r;
}

int main(int argc, char *argv[]) {
        int r = run(argc, argv);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
