/* SPDX-License-Identifier: MIT */
/*
 * MQTT front end: turns <base>/set messages into control-step commands and
 * the daemon's status and events into the topics of design B3.
 *
 * Nothing a client sends reaches the control thread unchecked: commands are
 * parsed strictly (chair_cmd_parse_cfg), rate limited, and retained or expired
 * ones are dropped (a retained "start" must never start a chair after a reboot).
 *
 * Floods (design C3, docs/security.md): MQTT does not tell a subscriber who
 * published, so there is no per-client budget to be had from a stock broker.
 * Instead every message is parsed first (4 KiB at most, cheap) and then:
 *   - stop and pause pass outside every budget and have pending slots of their
 *     own: a flood of anything never refuses them;
 *   - junk (anything that does not parse) costs no command budget at all; its
 *     error replies and log lines come out of a budget of their own and are
 *     dropped silently (counted) when that is spent;
 *   - valid commands other than stop/pause share a per-topic budget.
 * What goes out is bounded too: Home Assistant discovery at most once per
 * DISCOVERY_MIN_US however often homeassistant/status says "online", and
 * droppable publishes (state, diagnostics, events, discovery) are skipped
 * while libmosquitto's outgoing queue is long (the state is sent again when it
 * drains).
 */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "chaird-version.h"
#include "config.h"
#include "daemon.h"
#include "diary.h"
#include "history.h"
#include "inject.h"
#include "log.h"
#include "mqtt-bridge.h"
#include "mqtt.h"
#include "report.h"

#define RATE_LIMIT_PER_S 20            /* valid non-exempt commands per topic, per second */
#define ERROR_REPLIES_PER_S 20         /* error replies and refusal log lines, per second */
#define MAX_PENDING 32
#define MAX_PENDING_ORDINARY 24        /* the other 8 slots are kept for stop and pause */
#define DISCOVERY_MIN_US (5 * 1000000ull)
#define QUEUE_SOFT 32                  /* outgoing messages: above, droppable ones are skipped */
#define QUEUE_HARD 256                 /* above, everything but availability is skipped */
#define RESPONSE_TOPIC_MAX 256
#define PENDING_TIMEOUT_US (10 * 1000000ull)
#define DIAG_PERIOD_US (10 * 1000000ull)
#define SIM_MAX_CHANGES 8
/* design C3: state on every change, at most 10 per second */
#define STATE_MIN_INTERVAL_US 100000u

/* A token bucket: `rate` per second, at most `burst` saved up. */
struct budget {
        double tokens, rate, burst;
        uint64_t at_us;
};

struct pending {
        bool used;
        uint32_t token;
        uint64_t at_us;
        char id[CHAIR_CMD_ID_MAX];
        char *response_topic;
        void *corr;
        size_t corr_len;
};

struct chaird_mqtt {
        struct chaird *d;
        const struct chair_config *cfg;
        struct chair_mqtt *mqtt;
        sd_event_source *diag_timer;

        char *t_set, *t_sim_set, *t_reply, *t_state, *t_event, *t_avail, *t_programs, *t_diag;
        char *t_discovery, *t_ha_status;
        bool sim;

        char *t_reply_prefix;      /* "<base>/reply/": the only response topics honoured */
        struct pending pending[MAX_PENDING];
        struct budget cmd_budget, sim_budget, err_budget;
        sd_event_source *discovery_timer;    /* a coalesced republish, armed while throttled */
        uint64_t discovery_at_us;            /* last discovery publish */
        bool state_dirty;                    /* a state publish was skipped: send it when drained */

        struct chair_diag diag;
        uint64_t last_status_us;
        bool have_status;
        char *last_state;          /* last published state JSON */
        uint32_t last_faults;
        uint64_t last_state_us;    /* when the state was last published */
        sd_event_source *state_timer;   /* a held-back state change (rate limit) */
};

static uint64_t now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

static double wall_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static bool budget_take(struct budget *k, uint64_t now) {
        if (k->at_us)
                k->tokens += (double) (now - k->at_us) / 1e6 * k->rate;
        else
                k->tokens = k->burst;
        if (k->tokens > k->burst)
                k->tokens = k->burst;
        k->at_us = now;
        if (k->tokens < 1.0)
                return false;
        k->tokens -= 1.0;
        return true;
}

enum pub_class {
        PUB_DROPPABLE,   /* state, diagnostics, events, programs, discovery: a newer copy follows */
        PUB_REPLY,       /* answers */
        PUB_ESSENTIAL,   /* availability */
};

/* All of chaird's publishes are QoS 0: over one TCP connection they arrive in
 * order or the connection drops (and everything retained is republished on the
 * next connect).  QoS 1 made the broker answer every state message with a
 * PUBACK, and with a broker's default Nagle that PUBACK held the next command
 * back until our delayed ACK (up to 40 ms; docs/performance.md). */
#define PUB_QOS 0

static bool publish_str(struct chaird_mqtt *b, const char *topic, const char *s, bool retain,
                        enum pub_class cls) {
        if (!chair_mqtt_is_connected(b->mqtt))
                return false;
        unsigned q = chair_mqtt_queued(b->mqtt);
        if ((cls == PUB_DROPPABLE && q >= QUEUE_SOFT) || (cls != PUB_ESSENTIAL && q >= QUEUE_HARD)) {
                b->diag.mqtt.skipped_publishes++;
                return false;
        }
        int r = chair_mqtt_publish(b->mqtt, topic, s, strlen(s), PUB_QOS, retain);
        if (r < 0 && r != -ENOTCONN)
                log_warning_errno(r, "Failed to publish on %s, ignoring.", topic);
        return r >= 0;
}

/* A response topic is honoured only under <base>/reply/ (design C3): anything
 * else would let a command make chaird publish on its own availability or
 * state topic, or on anybody's. */
static bool response_topic_ok(const struct chaird_mqtt *b, const char *t) {
        size_t n = strlen(b->t_reply_prefix), len = t ? strlen(t) : 0;
        return len > n && len <= RESPONSE_TOPIC_MAX && strncmp(t, b->t_reply_prefix, n) == 0 &&
               !strpbrk(t, "+#");
}

/* An encoded reply s to <base>/reply and the v5 response topic. */
static void send_reply(struct chaird_mqtt *b, const char *s, enum chair_err err,
                       const char *response_topic, const void *corr, size_t corr_len) {
        int r;

        if (err != CHAIR_OK)
                b->diag.mqtt.rejected++;
        publish_str(b, b->t_reply, s, false, PUB_REPLY);
        if (response_topic && response_topic_ok(b, response_topic) && chair_mqtt_is_connected(b->mqtt) &&
            chair_mqtt_queued(b->mqtt) < QUEUE_HARD) {
                r = chair_mqtt_publish_correlated(b->mqtt, response_topic, s, strlen(s), PUB_QOS, corr,
                                                  corr_len);
                if (r < 0 && r != -ENOTCONN)
                        log_warning_errno(r, "Failed to answer on response topic %s, ignoring.",
                                          response_topic);
        }
}

static void reply(struct chaird_mqtt *b, const char *id_json, enum chair_err err, const char *msg,
                  const char *response_topic, const void *corr, size_t corr_len) {
        char *s = NULL;
        int r = chair_report_reply(id_json, err, msg, &s);
        if (r < 0) {
                log_warning_errno(r, "Failed to encode a reply, ignoring.");
                return;
        }
        send_reply(b, s, err, response_topic, corr, corr_len);
        free(s);
}

/* A refusal of a non-exempt message: replied and logged only while the error
 * budget lasts, so junk at any rate costs a bounded amount of output. */
static void refuse(struct chaird_mqtt *b, const char *id_json, enum chair_err err, const char *msg,
                   const struct chair_mqtt_message *m) {
        if (err == CHAIR_ERR_RATE_LIMITED)
                b->diag.mqtt.rate_limited++;
        if (!budget_take(&b->err_budget, now_us())) {
                b->diag.mqtt.rejected++;
                return;
        }
        log_info("Refused command on %s: %s (%s)", m->topic, msg && *msg ? msg : chair_err_message(err),
                 chair_err_code(err));
        reply(b, id_json, err, msg, m->response_topic, m->correlation, m->correlation_len);
}

static void publish_state(struct chaird_mqtt *b, const struct chair_status *st, bool force) {
        char *s = NULL;
        b->last_state_us = now_us();
        if (chair_report_state(st, chaird_programs_running(b->d), &s) < 0)
                return;
        if (!force && !b->state_dirty && b->last_state && strcmp(b->last_state, s) == 0) {
                free(s);
                return;
        }
        if (!publish_str(b, b->t_state, s, true, PUB_DROPPABLE)) {
                b->state_dirty = chair_mqtt_is_connected(b->mqtt);
                free(s);
                return;
        }
        b->state_dirty = false;
        free(b->last_state);
        b->last_state = s;
}

static const char *policy_name(int p) {
        switch (p) {
        case SCHED_FIFO: return "SCHED_FIFO";
        case SCHED_RR: return "SCHED_RR";
        case SCHED_OTHER: return "SCHED_OTHER";
        default: return "unknown";
        }
}

static void publish_diag(struct chaird_mqtt *b) {
        struct chaird_loop_stats ls;
        chaird_loop_stats(b->d, &ls);
        struct chair_status st;
        chaird_status(b->d, &st);

        b->diag.version = CHAIRD_VERSION;
        b->diag.uptime_s = ls.uptime_s;
        b->diag.config_hash = b->cfg->hash;
        b->diag.loop = (struct chair_diag_loop) {
                .rate_hz = ls.rate_hz, .ticks = ls.ticks, .missed = ls.missed,
                .late_ticks = ls.late_ticks, .max_late_us = ls.max_late_us, .max_stale_us = ls.max_stale_us,
                .overruns = ls.overruns, .output_cuts = ls.output_cuts, .events_dropped = ls.events_dropped,
                .max_stall_ms = ls.max_stall_ms,
                .p50_us = ls.p50_us, .p99_us = ls.p99_us, .max_us = ls.max_us,
                .p50_1m_us = ls.p50_1m_us, .p99_1m_us = ls.p99_1m_us, .max_1m_us = ls.max_1m_us,
                .policy = policy_name(ls.policy), .priority = ls.priority,
        };
        b->diag.faults = st.faults;
        b->diag.faults_latched = st.faults_latched;

        /* issue 7: lifetime counters, persistent history, sensors and outputs */
        struct chaird_history *h = chaird_get_history(b->d);
        struct chair_counters total;
        b->diag.status = &st;
        b->diag.cfg = b->cfg;
        b->diag.now_s = (double) time(NULL);
        b->diag.counters = NULL;
        b->diag.persist = NULL;
        b->diag.selftest = NULL;
        if (h) {
                chaird_history_counters(h, &total);
                b->diag.counters = &total;
                b->diag.persist = chaird_history_persist(h);
                b->diag.selftest = chaird_history_selftest(h, &b->diag.selftest_at_s);
        }
        char *s = NULL;
        int k = chair_report_diag(&b->diag, &s);
        b->diag.status = NULL;          /* pointed at this stack frame */
        b->diag.counters = NULL;
        if (k < 0)
                return;
        publish_str(b, b->t_diag, s, true, PUB_DROPPABLE);
        free(s);
}

static void publish_programs(struct chaird_mqtt *b) {
        char *s = NULL;
        if (chair_report_programs(chaird_programs(b->d), &s) < 0)
                return;
        publish_str(b, b->t_programs, s, true, PUB_DROPPABLE);
        free(s);
}

static void publish_discovery(struct chaird_mqtt *b) {
        if (!b->cfg->mqtt.discovery)
                return;
        char *s = NULL;
        if (chair_report_discovery(b->cfg, chaird_programs(b->d), b->cfg->mqtt.base_topic,
                                   CHAIRD_VERSION, &s) < 0)
                return;
        if (publish_str(b, b->t_discovery, s, true, PUB_DROPPABLE))
                b->discovery_at_us = now_us();
        free(s);
}

static int on_discovery_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct chaird_mqtt *b = userdata;
        b->discovery_timer = sd_event_source_disable_unref(b->discovery_timer);
        publish_discovery(b);
        struct chair_status st;
        chaird_status(b->d, &st);
        publish_state(b, &st, true);
        return 0;
}

/* homeassistant/status "online": discovery and state again, at most once per
 * DISCOVERY_MIN_US; more "online"s in between fold into one republish at the
 * end of the window (each one used to queue 4.7 KB of discovery). */
static void ha_online(struct chaird_mqtt *b) {
        if (b->discovery_timer)
                return;
        uint64_t now = now_us();
        if (!b->discovery_at_us || now - b->discovery_at_us >= DISCOVERY_MIN_US) {
                log_info("Home Assistant came online: republishing discovery");
                on_discovery_timer(NULL, 0, b);
                return;
        }
        int r = sd_event_add_time(chaird_event_loop(b->d), &b->discovery_timer, CLOCK_MONOTONIC,
                                  b->discovery_at_us + DISCOVERY_MIN_US, 100000, on_discovery_timer, b);
        if (r < 0)
                log_warning_errno(r, "Failed to schedule the discovery republish, ignoring.");
}

/* ---- commands ------------------------------------------------------------------------- */

/* stop and pause: never refused by a budget or a queue (design C3). */
static bool exempt(enum chair_action a) {
        return a == CHAIR_ACTION_STOP || a == CHAIR_ACTION_PAUSE;
}

static void pending_clear(struct pending *p) {
        free(p->response_topic);
        free(p->corr);
        *p = (struct pending) { 0 };
}

static struct pending *pending_add(struct chaird_mqtt *b, const char *id,
                                   const struct chair_mqtt_message *m, bool is_exempt) {
        for (size_t i = 0; i < (is_exempt ? MAX_PENDING : MAX_PENDING_ORDINARY); i++) {
                struct pending *p = &b->pending[i];
                if (p->used)
                        continue;
                p->used = true;
                p->at_us = now_us();
                snprintf(p->id, sizeof(p->id), "%s", id);
                if (m->response_topic && response_topic_ok(b, m->response_topic))
                        p->response_topic = strdup(m->response_topic);
                if (m->correlation && m->correlation_len) {
                        p->corr = malloc(m->correlation_len);
                        if (p->corr) {
                                memcpy(p->corr, m->correlation, m->correlation_len);
                                p->corr_len = m->correlation_len;
                        }
                }
                return p;
        }
        return NULL;
}

/* Profiles live in the main loop's history (daemon/history.c), not in the
 * control step: answered here, like diag. */
static void forget_profile(struct chaird_mqtt *b, struct chaird_history *h, const struct chair_cmd *cmd,
                           const char *id, const struct chair_mqtt_message *m) {
        char msg[256];
        enum chair_err e = CHAIR_OK;
        int save = 0;

        if (!h) {
                e = CHAIR_ERR_UNSUPPORTED;
                snprintf(msg, sizeof(msg), "this daemon keeps no state directory, so it has no profiles");
        } else {
                int r = chaird_history_forget_profile(h, cmd->profile, &save);
                if (r == -ENOENT) {
                        e = CHAIR_ERR_UNKNOWN_PROFILE;
                        snprintf(msg, sizeof(msg), "no profile \"%s\"", cmd->profile);
                } else if (r < 0) {
                        e = CHAIR_ERR_INVALID_VALUE;
                        snprintf(msg, sizeof(msg), "profile must be a name of 1..%d characters",
                                 CHAIR_CMD_PROFILE_MAX - 1);
                } else if (save < 0) {
                        e = CHAIR_ERR_INTERNAL;
                        snprintf(msg, sizeof(msg), "profile \"%s\" forgotten but the state could not be saved (%s); "
                                 "retrying every minute", cmd->profile, strerror(-save));
                }
        }
        if (e != CHAIR_OK)
                log_info("Refused command on %s: %s (%s)", m->topic, msg, chair_err_code(e));
        reply(b, id, e, e != CHAIR_OK ? msg : NULL, m->response_topic, m->correlation, m->correlation_len);
}

/* The pain diary (design C4) lives in the main loop's history, like the profiles:
 * rate, history and suggest are answered here. */
static void diary_command(struct chaird_mqtt *b, struct chaird_history *h, const struct chair_cmd *cmd,
                          const char *id, const struct chair_mqtt_message *m) {
        struct json_object *data = NULL, *event = NULL;
        char msg[256] = "", *s = NULL;
        enum chair_err e;

        if (!h) {
                e = CHAIR_ERR_UNSUPPORTED;
                snprintf(msg, sizeof(msg), "this daemon keeps no state directory, so it has no pain diary");
        } else if (cmd->action == CHAIR_ACTION_RATE)
                e = chaird_history_rate(h, cmd, &event, msg, sizeof(msg));
        else if (cmd->action == CHAIR_ACTION_HISTORY)
                e = chaird_history_diary(h, cmd, &data, msg, sizeof(msg));
        else {
                struct chair_diary_suggestion sg;
                e = chaird_history_suggest(h, cmd, &sg, msg, sizeof(msg));
                if (e == CHAIR_OK && (data = json_object_new_object()))
                        json_object_object_add(data, "suggestion", chair_diary_suggestion_json(&sg));
        }
        if (e != CHAIR_OK) {
                refuse(b, id, e, msg, m);
                return;
        }
        if (cmd->action == CHAIR_ACTION_RATE)
                reply(b, id, CHAIR_OK, NULL, m->response_topic, m->correlation, m->correlation_len);
        else if (data && chair_report_reply_data(id, data, &s) == 0) {
                send_reply(b, s, CHAIR_OK, m->response_topic, m->correlation, m->correlation_len);
                free(s);
        } else
                reply(b, id, CHAIR_ERR_INTERNAL, "out of memory", m->response_topic, m->correlation,
                      m->correlation_len);
        if (event) {
                publish_str(b, b->t_event, json_object_to_json_string_ext(event, JSON_C_TO_STRING_PLAIN |
                                                                          JSON_C_TO_STRING_NOSLASHESCAPE), false,
                            PUB_DROPPABLE);
                json_object_put(event);
        }
}

/* suggest with "start": the suggestion becomes a start command (false: answered here). */
static bool suggested_start(struct chaird_mqtt *b, struct chaird_history *h, struct chair_cmd *cmd,
                            const char *id, const struct chair_mqtt_message *m) {
        struct chair_diary_suggestion sg;
        char msg[sizeof(sg.reason)] = "";
        enum chair_err e = h ? chaird_history_suggest(h, cmd, &sg, msg, sizeof(msg)) : CHAIR_ERR_UNSUPPORTED;
        int idx = -1;

        if (e == CHAIR_OK && sg.found)
                idx = chair_programs_find(chaird_programs(b->d), sg.program);
        if (e == CHAIR_OK && idx < 0) {
                e = CHAIR_ERR_NO_SUGGESTION;
                snprintf(msg, sizeof(msg), "%s", sg.reason);
        }
        if (e != CHAIR_OK) {
                refuse(b, id, e, msg, m);
                return false;
        }
        char profile[CHAIR_CMD_PROFILE_MAX];
        snprintf(profile, sizeof(profile), "%s", cmd->profile);
        chair_cmd_init(cmd, CHAIR_ACTION_START);
        cmd->program = (int16_t) idx;
        cmd->minutes = (int16_t) sg.minutes;
        cmd->intensity = (int8_t) sg.intensity;
        cmd->heat = sg.heat;
        memcpy(cmd->profile, profile, sizeof(profile));
        log_info("Starting the suggestion: %s", sg.reason);
        return true;
}

static void on_set(struct chaird_mqtt *b, const struct chair_mqtt_message *m) {
        b->diag.mqtt.commands++;
        char id[CHAIR_CMD_ID_MAX] = "", msg[256] = "";
        struct chair_cmd cmd;

        /* Parse before any budget: the action decides which budget applies, and
         * junk must not spend the owner's (at most 4 KiB, refused before json-c
         * when larger). */
        enum chair_err e = chair_cmd_parse_cfg(m->payload, m->len, b->cfg, chaird_programs(b->d),
                                               &cmd, id, sizeof(id), msg, sizeof(msg));
        if (e != CHAIR_OK) {
                refuse(b, id, e, msg, m);
                return;
        }
        bool is_exempt = exempt(cmd.action);
        if (!is_exempt && !budget_take(&b->cmd_budget, now_us())) {
                refuse(b, id, CHAIR_ERR_RATE_LIMITED, NULL, m);
                return;
        }
        /* design C3: the control step refuses what a locked chair must not do;
         * the actions answered here (profiles, ...) are refused here alike */
        struct chair_status lst;
        chaird_status(b->d, &lst);
        if (lst.locked && !chair_action_allowed_locked(cmd.action)) {
                log_info("Refused command on %s: %s (locked)", m->topic, chair_action_name(cmd.action));
                reply(b, id, CHAIR_ERR_LOCKED, NULL, m->response_topic, m->correlation, m->correlation_len);
                return;
        }
        if (cmd.action == CHAIR_ACTION_DIAG) {
                publish_diag(b);
                reply(b, id, CHAIR_OK, NULL, m->response_topic, m->correlation, m->correlation_len);
                return;
        }
        struct chaird_history *h = chaird_get_history(b->d);
        if (cmd.action == CHAIR_ACTION_FORGET_PROFILE) {
                forget_profile(b, h, &cmd, id, m);
                return;
        }
        if (cmd.action == CHAIR_ACTION_RATE || cmd.action == CHAIR_ACTION_HISTORY ||
            (cmd.action == CHAIR_ACTION_SUGGEST && !cmd.start)) {
                diary_command(b, h, &cmd, id, m);
                return;
        }
        if (cmd.action == CHAIR_ACTION_SUGGEST && !suggested_start(b, h, &cmd, id, m))
                return;
        if (cmd.action == CHAIR_ACTION_START && cmd.profile[0] && h)
                chaird_history_use_profile(h, &cmd);
        if (cmd.action == CHAIR_ACTION_START && cmd.program == CHAIR_UNSET) {
                reply(b, id, CHAIR_ERR_UNKNOWN_PROGRAM, "no program given and the profile has none yet",
                      m->response_topic, m->correlation, m->correlation_len);
                return;
        }
        struct pending *p = pending_add(b, id, m, is_exempt);
        if (!p && !is_exempt) {
                refuse(b, id, CHAIR_ERR_RATE_LIMITED, "too many commands waiting for the chair", m);
                return;
        }
        uint32_t token = 0;
        int r = chaird_submit(b->d, &cmd, &token);
        if (r < 0) {
                /* the command ring is full only while the control thread is stuck;
                 * then its watchdog and the output dead-man act, not this reply */
                if (p)
                        pending_clear(p);
                reply(b, id, CHAIR_ERR_BUSY, "the control loop is not taking commands right now",
                      m->response_topic, m->correlation, m->correlation_len);
                return;
        }
        if (p)
                p->token = token;
        else
                /* a flood of stops filled every slot: this one is queued all the same
                 * (a stop always succeeds in the control step); answer now */
                reply(b, id, CHAIR_OK, NULL, m->response_topic, m->correlation, m->correlation_len);
        if (cmd.action == CHAIR_ACTION_START && cmd.profile[0] && h)
                chaird_history_expect_profile(h, token, cmd.profile);
        if (!is_exempt || budget_take(&b->err_budget, now_us()))
                log_info("Command %s queued (token %u)", chair_action_name(cmd.action), token);
}

static void on_sim_set(struct chaird_mqtt *b, const struct chair_mqtt_message *m) {
        struct chair_sim_change ch[SIM_MAX_CHANGES];
        char err[200] = "";
        if (m->len > CHAIR_CMD_MAX_BYTES) {
                refuse(b, NULL, CHAIR_ERR_TOO_LARGE, NULL, m);
                return;
        }
        if (!chair_utf8_valid(m->payload, m->len)) {
                refuse(b, NULL, CHAIR_ERR_BAD_JSON, "the message is not valid UTF-8", m);
                return;
        }
        int n = chair_sim_set_parse_json(m->payload, m->len, ch, SIM_MAX_CHANGES, err, sizeof(err));
        if (n < 0) {
                refuse(b, NULL, CHAIR_ERR_INVALID_VALUE, err, m);
                return;
        }
        if (!budget_take(&b->sim_budget, now_us())) {
                refuse(b, NULL, CHAIR_ERR_RATE_LIMITED, NULL, m);
                return;
        }
        for (int i = 0; i < n; i++) {
                int r = chaird_sim_apply(b->d, &ch[i]);
                if (r < 0) {
                        reply(b, NULL, r == -EOPNOTSUPP ? CHAIR_ERR_UNSUPPORTED : CHAIR_ERR_BUSY, NULL,
                              m->response_topic, m->correlation, m->correlation_len);
                        return;
                }
        }
        log_info("Simulated plant changed (%d key%s)", n, n == 1 ? "" : "s");
        reply(b, NULL, CHAIR_OK, NULL, m->response_topic, m->correlation, m->correlation_len);
}

static void on_message(void *userdata, const struct chair_mqtt_message *m) {
        struct chaird_mqtt *b = userdata;
        bool is_set = strcmp(m->topic, b->t_set) == 0;
        bool is_sim = b->sim && strcmp(m->topic, b->t_sim_set) == 0;

        if (b->t_ha_status && strcmp(m->topic, b->t_ha_status) == 0) {
                if (m->len == 6 && memcmp(m->payload, "online", 6) == 0)
                        ha_online(b);
                return;
        }
        if (!is_set && !is_sim)
                return;
        /* With MQTT v5 the subscription keeps the publisher's retain flag
         * (retain-as-published), so this also catches a retained command
         * published live, not only the one the broker stored. */
        if (m->retain) {
                b->diag.mqtt.ignored_retained++;
                if (budget_take(&b->err_budget, now_us()))
                        log_warning("Ignoring a retained command on %s (commands must not be retained; "
                                    "clear it with an empty retained message)", m->topic);
                return;
        }
        if (m->has_expiry && m->expiry_s == 0) {
                b->diag.mqtt.ignored_expired++;
                if (budget_take(&b->err_budget, now_us()))
                        log_warning("Ignoring an expired command on %s", m->topic);
                return;
        }
        if (is_set)
                on_set(b, m);
        else
                on_sim_set(b, m);
}

/* ---- daemon listener ------------------------------------------------------------------- */

static void on_event(void *userdata, const struct chair_event *ev) {
        struct chaird_mqtt *b = userdata;
        if (ev->kind == CHAIR_EVENT_RESULT) {
                for (size_t i = 0; i < MAX_PENDING; i++) {
                        struct pending *p = &b->pending[i];
                        if (!p->used || p->token != ev->result.token)
                                continue;
                        char msg[200];
                        bool has_msg = chair_cmd_result_message(ev->result.action, ev->result.err, ev->result.detail,
                                                                msg, sizeof(msg));
                        reply(b, p->id, ev->result.err, has_msg ? msg : NULL, p->response_topic, p->corr,
                              p->corr_len);
                        pending_clear(p);
                        return;
                }
                return;   /* a command from another front end (--run) */
        }
        if (ev->kind == CHAIR_EVENT_FAULT)
                chair_diag_fault_raised(&b->diag, ev->fault.code, wall_s());
        else if (ev->kind == CHAIR_EVENT_FAULT_CLEARED)
                chair_diag_fault_cleared(&b->diag, ev->fault.code, wall_s());
        else if (ev->kind == CHAIR_EVENT_SESSION_STARTED)
                b->diag.sessions++;

        char *s = NULL;
        if (chair_report_event(ev, chaird_programs_running(b->d), wall_s(), &s) < 0)
                return;
        publish_str(b, b->t_event, s, false, PUB_DROPPABLE);
        free(s);
        /* a fault is worth a fresh diagnostics snapshot for the technician */
        if (ev->kind == CHAIR_EVENT_FAULT || ev->kind == CHAIR_EVENT_FAULT_CLEARED ||
            ev->kind == CHAIR_EVENT_SELF_TEST)
                publish_diag(b);
}

/* Per-actuator counters, sampled at each status report. */
static void count_actuators(struct chaird_mqtt *b, const struct chair_status *st) {
        uint64_t now = now_us();
        double dt = b->have_status ? (double) (now - b->last_status_us) / 1e6 : 0;
        for (int a = 0; a < _CHAIR_ACT_COUNT; a++) {
                const struct chair_output_config *oc = &b->cfg->hardware.outputs[a];
                struct chair_diag_actuator *x = &b->diag.act[a];
                x->present = oc->present;
                if (!oc->present)
                        continue;
                bool driven = fabsf(st->out.v[a] - oc->safe) > 1e-3f;
                bool was = fabsf(x->value - oc->safe) > 1e-3f;
                if (driven && (!was || !b->have_status))
                        x->starts++;
                if (driven && was)
                        x->active_s += dt;
                x->value = st->out.v[a];
        }
        b->last_status_us = now;
        b->have_status = true;
}

static int on_state_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct chaird_mqtt *b = userdata;
        struct chair_status st;
        chaird_status(b->d, &st);      /* the newest, not the one held back */
        publish_state(b, &st, false);
        return 0;
}

static void on_status(void *userdata, const struct chair_status *st) {
        struct chaird_mqtt *b = userdata;
        count_actuators(b, st);
        uint64_t now = now_us();
        if (b->last_state_us && now - b->last_state_us < STATE_MIN_INTERVAL_US) {
                /* design C3: at most 10 a second; the latest state goes out when the
                 * interval is over (one timer, armed once) */
                uint64_t at = b->last_state_us + STATE_MIN_INTERVAL_US;
                int r = b->state_timer ? sd_event_source_set_time(b->state_timer, at)
                                       : sd_event_add_time(chaird_event_loop(b->d), &b->state_timer,
                                                           CLOCK_MONOTONIC, at, 1000, on_state_timer, b);
                if (r >= 0)
                        r = sd_event_source_set_enabled(b->state_timer, SD_EVENT_ONESHOT);
                if (r >= 0)
                        return;
                log_warning_errno(r, "Failed to hold back a state update, publishing it now.");
        }
        publish_state(b, st, false);
}

static void on_programs_changed(void *userdata, const struct chair_programs *progs) {
        struct chaird_mqtt *b = userdata;
        publish_programs(b);
        publish_discovery(b);
}

static int on_diag_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct chaird_mqtt *b = userdata;
        publish_diag(b);
        if (b->state_dirty) {
                struct chair_status st;
                chaird_status(b->d, &st);
                publish_state(b, &st, true);
        }
        /* a result that never came: answer rather than leave the client waiting */
        uint64_t now = now_us();
        for (size_t i = 0; i < MAX_PENDING; i++) {
                struct pending *p = &b->pending[i];
                if (p->used && now - p->at_us > PENDING_TIMEOUT_US) {
                        reply(b, p->id, CHAIR_ERR_INTERNAL, "the control loop did not answer",
                              p->response_topic, p->corr, p->corr_len);
                        pending_clear(p);
                }
        }
        sd_event_source_set_time(s, usec + DIAG_PERIOD_US);
        return 0;
}

/* ---- connection ------------------------------------------------------------------------ */

static void on_connected(void *userdata) {
        struct chaird_mqtt *b = userdata;
        b->diag.mqtt.connects++;
        log_info("Connected to MQTT broker %s:%u as %s", b->cfg->mqtt.host, b->cfg->mqtt.port,
                 b->cfg->mqtt.client_id);
        int r = chair_mqtt_subscribe_opts(b->mqtt, b->t_set, 1, true);
        if (r >= 0 && b->sim)
                r = chair_mqtt_subscribe_opts(b->mqtt, b->t_sim_set, 1, true);
        if (r >= 0 && b->t_ha_status)
                r = chair_mqtt_subscribe(b->mqtt, b->t_ha_status, 1);
        if (r < 0)
                log_warning_errno(r, "Failed to subscribe, ignoring.");

        publish_str(b, b->t_avail, "online", true, PUB_ESSENTIAL);
        publish_programs(b);
        struct chair_status st;
        chaird_status(b->d, &st);
        publish_state(b, &st, true);
        publish_diag(b);
        publish_discovery(b);
}

static void on_disconnected(void *userdata, int reason) {
        struct chaird_mqtt *b = userdata;
        log_warning_errno(reason, "MQTT broker %s:%u unreachable or connection lost; retrying",
                          b->cfg->mqtt.host, b->cfg->mqtt.port);
}

static int topic(char **ret, const char *base, const char *suffix) {
        return asprintf(ret, "%s/%s", base, suffix) < 0 ? -ENOMEM : 0;
}

int chaird_mqtt_new(struct chaird *d, struct chaird_mqtt **ret) {
        const struct chair_config *cfg = chaird_config(d);
        struct chaird_mqtt *b = calloc(1, sizeof(*b));
        if (!b)
                return log_error_errno(-ENOMEM, "Out of memory");
        b->d = d;
        b->cfg = cfg;
        b->sim = cfg->hardware.backend == CHAIR_BACKEND_SIM;
        b->cmd_budget = b->sim_budget = (struct budget) { .rate = RATE_LIMIT_PER_S, .burst = RATE_LIMIT_PER_S };
        b->err_budget = (struct budget) { .rate = ERROR_REPLIES_PER_S, .burst = ERROR_REPLIES_PER_S };
        const char *base = cfg->mqtt.base_topic;

        int r = 0;
        if (topic(&b->t_set, base, "set") < 0 || topic(&b->t_sim_set, base, "sim/set") < 0 ||
            topic(&b->t_reply, base, "reply") < 0 || topic(&b->t_state, base, "state") < 0 ||
            topic(&b->t_event, base, "event") < 0 || topic(&b->t_avail, base, "availability") < 0 ||
            topic(&b->t_programs, base, "programs") < 0 || topic(&b->t_diag, base, "diagnostics") < 0 ||
            topic(&b->t_reply_prefix, base, "reply/") < 0 ||
            chair_report_discovery_topic(cfg, &b->t_discovery) < 0 ||
            (cfg->mqtt.discovery && topic(&b->t_ha_status, cfg->mqtt.discovery_prefix, "status") < 0)) {
                r = log_error_errno(-ENOMEM, "Out of memory");
                goto fail;
        }

        char *password = NULL, *username = NULL;
        r = chair_mqtt_read_username(&cfg->mqtt, &username);
        if (r < 0) {
                log_error_errno(r, "Failed to read the MQTT user name ($CREDENTIALS_DIRECTORY/mqtt-username)");
                goto fail;
        }
        r = chair_mqtt_read_password(&cfg->mqtt, &password);
        if (r < 0) {
                free(username);
                log_error_errno(r, "Failed to read the MQTT password (%s)",
                                cfg->mqtt.password_file ? cfg->mqtt.password_file
                                                        : "$CREDENTIALS_DIRECTORY/mqtt-password");
                goto fail;
        }
        struct chair_mqtt_options o = {
                .host = cfg->mqtt.host,
                .port = cfg->mqtt.port,
                .client_id = cfg->mqtt.client_id,
                .username = username,
                .password = password,
                .tls = cfg->mqtt.tls.enabled,
                .cafile = cfg->mqtt.tls.cafile,
                .certfile = cfg->mqtt.tls.certfile,
                .keyfile = cfg->mqtt.tls.keyfile,
                .tls_insecure = cfg->mqtt.tls.insecure,
                .keepalive = cfg->mqtt.keepalive,
                .protocol = cfg->mqtt.protocol,
                .will_topic = b->t_avail,
                .will_payload = "offline",
                .will_retain = true,
        };
        struct chair_mqtt_callbacks cb = {
                .connected = on_connected,
                .disconnected = on_disconnected,
                .message = on_message,
                .userdata = b,
        };
        r = chair_mqtt_new(chaird_event_loop(d), &o, &cb, &b->mqtt);
        free(username);
        if (password) {
                explicit_bzero(password, strlen(password));
                free(password);
        }
        if (r < 0) {
                log_error_errno(r, "Failed to set up the MQTT client (check mqtt.tls files)");
                goto fail;
        }

        r = sd_event_add_time_relative(chaird_event_loop(d), &b->diag_timer, CLOCK_MONOTONIC,
                                       DIAG_PERIOD_US, 500000, on_diag_timer, b);
        if (r >= 0)
                r = sd_event_source_set_enabled(b->diag_timer, SD_EVENT_ON);
        if (r < 0) {
                log_error_errno(r, "Failed to set up the diagnostics timer");
                goto fail;
        }

        struct chaird_listener l = {
                .event = on_event,
                .status = on_status,
                .programs_changed = on_programs_changed,
                .userdata = b,
        };
        r = chaird_add_listener(d, &l);
        if (r < 0) {
                log_error_errno(r, "Failed to register the MQTT listener");  /* last fallible step */
                goto fail;
        }
        log_info("MQTT: broker %s:%u%s, base topic %s, MQTT %s", cfg->mqtt.host, cfg->mqtt.port,
                 cfg->mqtt.tls.enabled ? " (TLS)" : "", base, cfg->mqtt.protocol == 311 ? "3.1.1" : "5");
        r = chair_mqtt_start(b->mqtt);
        if (r < 0)
                log_warning_errno(r, "MQTT broker %s:%u not reachable yet; retrying in the background",
                                  cfg->mqtt.host, cfg->mqtt.port);
        *ret = b;
        return 0;
fail:
        chaird_mqtt_free(b);
        return r;
}

struct chaird_mqtt *chaird_mqtt_free(struct chaird_mqtt *b) {
        if (!b)
                return NULL;
        if (b->mqtt && chair_mqtt_is_connected(b->mqtt)) {
                struct chair_status st;
                chaird_status(b->d, &st);
                publish_state(b, &st, true);
                publish_str(b, b->t_avail, "offline", true, PUB_ESSENTIAL);
                int r = chair_mqtt_shutdown(b->mqtt, 2000);
                if (r < 0 && r != -ENOTCONN)
                        log_warning_errno(r, "Failed to disconnect cleanly from the broker, ignoring.");
        }
        b->diag_timer = sd_event_source_disable_unref(b->diag_timer);
        b->discovery_timer = sd_event_source_disable_unref(b->discovery_timer);
        b->state_timer = sd_event_source_disable_unref(b->state_timer);
        b->mqtt = chair_mqtt_free(b->mqtt);
        for (size_t i = 0; i < MAX_PENDING; i++)
                pending_clear(&b->pending[i]);
        free(b->t_set), free(b->t_sim_set), free(b->t_reply), free(b->t_state), free(b->t_event);
        free(b->t_avail), free(b->t_programs), free(b->t_diag), free(b->t_discovery);
        free(b->t_ha_status), free(b->last_state), free(b->t_reply_prefix);
        free(b);
        return NULL;
}
