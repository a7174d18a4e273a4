/* SPDX-License-Identifier: MIT */
/*
 * chairctl: the owner's and technician's MQTT client for chaird (design B1, B3).
 *
 * Commands are MQTT v5 requests: published on <base>/set with a Response Topic
 * under <base>/reply/ and random Correlation Data, answered by the daemon with
 * the same correlation data.  With --mqtt311 the command carries an "id" and the
 * answer is picked from <base>/reply by that id.
 *
 * Exit codes: 0 done, 1 the chair refused (its message on stderr), 2 usage,
 * 3 no broker or no answer in time.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "diary-view.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define EXIT_NOANSWER 3

struct settings {
        char *host;
        int port;
        char *chair;
        char *base;
        char *username;
        char *password_file;
        char *cafile, *certfile, *keyfile;
        bool tls, insecure;
        int protocol;
        double timeout_s;
        bool json;
};

static struct settings S = { .port = 1883, .protocol = 5, .timeout_s = 5 };

/* What the message callback collected. */
static struct {
        char *reply_topic;         /* our response topic (v5) */
        char corr[33];             /* correlation data / id we sent */
        json_object *reply;
        json_object *state;        /* latest state */
        bool state_new;
        json_object *programs;
        json_object *diag;         /* latest diagnostics */
        bool diag_fresh;           /* a diagnostics message that was not a retained replay */
        json_object *event;        /* latest event */
        bool event_new;
        char *availability;
        bool connected;
        int connect_rc;
} R;

static char *topic_of(const char *suffix) {
        char *t = NULL;
        if (asprintf(&t, "%s/%s", S.base, suffix) < 0) {
                fprintf(stderr, "chairctl: out of memory\n");
                exit(EXIT_NOANSWER);
        }
        return t;
}

static void set_str(char **dst, const char *v) {
        free(*dst);
        *dst = v ? strdup(v) : NULL;
}

static int parse_broker(const char *s) {
        const char *colon = strrchr(s, ':');
        if (colon && !strchr(colon, ']')) {
                char *end;
                long p = strtol(colon + 1, &end, 10);
                if (*end || p <= 0 || p > 65535)
                        return -EINVAL;
                S.port = (int) p;
                free(S.host);
                S.host = strndup(s, (size_t) (colon - s));
        } else
                set_str(&S.host, s);
        return 0;
}

/* ~/.config/chairctl.conf: "key = value" lines, # comments. */
static void load_config_file(void) {
        const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
        char path[512];
        if (xdg && *xdg)
                snprintf(path, sizeof(path), "%s/chairctl.conf", xdg);
        else if (home && *home)
                snprintf(path, sizeof(path), "%s/.config/chairctl.conf", home);
        else
                return;
        FILE *f = fopen(path, "re");
        if (!f)
                return;
        char line[512];
        unsigned n = 0;
        while (fgets(line, sizeof(line), f)) {
                n++;
                char *p = line + strspn(line, " \t");
                if (*p == '#' || *p == '\n' || !*p)
                        continue;
                char *eq = strchr(p, '=');
                if (!eq) {
                        fprintf(stderr, "chairctl: %s:%u: expected key = value, ignoring.\n", path, n);
                        continue;
                }
                char *k = p, *v = eq + 1;
                *eq = 0;
                for (char *e = eq - 1; e >= k && (*e == ' ' || *e == '\t'); e--)
                        *e = 0;
                v += strspn(v, " \t");
                v[strcspn(v, "\r\n")] = 0;
                for (char *e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\t'); e--)
                        e[-1] = 0;
                if (strcmp(k, "broker") == 0)
                        parse_broker(v);
                else if (strcmp(k, "chair") == 0)
                        set_str(&S.chair, v);
                else if (strcmp(k, "base_topic") == 0)
                        set_str(&S.base, v);
                else if (strcmp(k, "username") == 0)
                        set_str(&S.username, v);
                else if (strcmp(k, "password_file") == 0)
                        set_str(&S.password_file, v);
                else if (strcmp(k, "cafile") == 0) {
                        set_str(&S.cafile, v);
                        S.tls = true;
                } else if (strcmp(k, "certfile") == 0)
                        set_str(&S.certfile, v);
                else if (strcmp(k, "keyfile") == 0)
                        set_str(&S.keyfile, v);
                else if (strcmp(k, "timeout") == 0)
                        S.timeout_s = atof(v);
                else
                        fprintf(stderr, "chairctl: %s:%u: unknown key \"%s\", ignoring.\n", path, n, k);
        }
        fclose(f);
}

static void load_env(void) {
        const char *v;
        if ((v = getenv("CHAIRCTL_BROKER")) && *v)
                parse_broker(v);
        if ((v = getenv("CHAIRCTL_CHAIR")) && *v)
                set_str(&S.chair, v);
        if ((v = getenv("CHAIRCTL_USERNAME")) && *v)
                set_str(&S.username, v);
        if ((v = getenv("CHAIRCTL_PASSWORD_FILE")) && *v)
                set_str(&S.password_file, v);
        if ((v = getenv("CHAIRCTL_CAFILE")) && *v) {
                set_str(&S.cafile, v);
                S.tls = true;
        }
}

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void on_connect(struct mosquitto *m, void *ud, int rc, int flags, const mosquitto_property *p) {
        R.connect_rc = rc;
        R.connected = rc == 0;
}

static bool topic_is(const char *t, const char *suffix) {
        size_t bl = strlen(S.base);
        return strncmp(t, S.base, bl) == 0 && t[bl] == '/' && strcmp(t + bl + 1, suffix) == 0;
}

static void on_message(struct mosquitto *m, void *ud, const struct mosquitto_message *msg,
                       const mosquitto_property *props) {
        json_tokener *tok = json_tokener_new();
        json_object *o = tok ? json_tokener_parse_ex(tok, msg->payload, msg->payloadlen) : NULL;
        json_tokener_free(tok);

        if (R.reply_topic && strcmp(msg->topic, R.reply_topic) == 0) {
                void *corr = NULL;
                uint16_t len = 0;
                bool match = false;
                if (mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &corr, &len, false))
                        match = len == strlen(R.corr) && memcmp(corr, R.corr, len) == 0;
                free(corr);
                if (match && o && !R.reply) {
                        R.reply = o;
                        return;
                }
        } else if (topic_is(msg->topic, "reply") && S.protocol != 5 && o) {
                json_object *id;
                if (!R.reply && json_object_object_get_ex(o, "id", &id) &&
                    strcmp(json_object_get_string(id), R.corr) == 0) {
                        R.reply = o;
                        return;
                }
        } else if (topic_is(msg->topic, "state") && o) {
                json_object_put(R.state);
                R.state = json_object_get(o);
                R.state_new = true;
        } else if (topic_is(msg->topic, "programs") && o) {
                json_object_put(R.programs);
                R.programs = json_object_get(o);
        } else if (topic_is(msg->topic, "diagnostics") && o) {
                json_object_put(R.diag);
                R.diag = json_object_get(o);
                if (!msg->retain)
                        R.diag_fresh = true;
        } else if (topic_is(msg->topic, "event") && o) {
                json_object_put(R.event);
                R.event = json_object_get(o);
                R.event_new = true;
        } else if (topic_is(msg->topic, "availability")) {
                free(R.availability);
                R.availability = strndup(msg->payload, (size_t) msg->payloadlen);
        }
        json_object_put(o);
}

/* Run the client loop until done() or the deadline; false on a lost connection. */
static bool pump(struct mosquitto *m, double until, bool (*done)(void)) {
        while (!done()) {
                double left = until - now_s();
                if (left <= 0)
                        return true;
                int rc = mosquitto_loop(m, left > 0.1 ? 100 : (int) (left * 1000) + 1, 1);
                if (rc != MOSQ_ERR_SUCCESS) {
                        fprintf(stderr, "chairctl: connection to %s:%d lost: %s\n", S.host, S.port,
                                mosquitto_strerror(rc));
                        return false;
                }
        }
        return true;
}

static bool is_connected(void) {
        return R.connected || R.connect_rc != 0;
}

static struct mosquitto *connect_broker(void) {
        mosquitto_lib_init();
        char id[64];
        snprintf(id, sizeof(id), "chairctl-%ld-%04x", (long) getpid(), (unsigned) (rand() & 0xffff));
        struct mosquitto *m = mosquitto_new(id, true, NULL);
        if (!m) {
                fprintf(stderr, "chairctl: cannot create an MQTT client: %s\n", strerror(errno));
                exit(EXIT_NOANSWER);
        }
        mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION,
                             S.protocol == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
        /* one small command, one small reply: nothing for Nagle to gain (docs/performance.md) */
        mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
        if (S.username) {
                char *pw = NULL;
                if (S.password_file) {
                        FILE *f = fopen(S.password_file, "re");
                        size_t n = 0;
                        if (!f || getline(&pw, &n, f) < 0) {
                                fprintf(stderr, "chairctl: cannot read %s: %s\n", S.password_file,
                                        strerror(errno));
                                exit(EXIT_USAGE);
                        }
                        fclose(f);
                        pw[strcspn(pw, "\r\n")] = 0;
                }
                mosquitto_username_pw_set(m, S.username, pw);
                free(pw);
        }
        if (S.tls) {
                int rc = mosquitto_tls_set(m, S.cafile, S.cafile ? NULL : "/etc/ssl/certs", S.certfile,
                                           S.keyfile, NULL);
                if (rc == MOSQ_ERR_SUCCESS)
                        rc = mosquitto_tls_opts_set(m, S.insecure ? 0 : 1, NULL, NULL);
                if (rc == MOSQ_ERR_SUCCESS && S.insecure)
                        rc = mosquitto_tls_insecure_set(m, true);
                if (rc != MOSQ_ERR_SUCCESS) {
                        fprintf(stderr, "chairctl: TLS setup failed: %s\n", mosquitto_strerror(rc));
                        exit(EXIT_USAGE);
                }
        }
        mosquitto_connect_v5_callback_set(m, on_connect);
        mosquitto_message_v5_callback_set(m, on_message);
        int rc = mosquitto_connect_bind_v5(m, S.host, S.port, 30, NULL, NULL);
        if (rc != MOSQ_ERR_SUCCESS) {
                fprintf(stderr, "chairctl: cannot connect to %s:%d: %s\n", S.host, S.port,
                        rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
                exit(EXIT_NOANSWER);
        }
        if (!pump(m, now_s() + S.timeout_s, is_connected) || !R.connected) {
                fprintf(stderr, "chairctl: broker %s:%d %s\n", S.host, S.port,
                        R.connect_rc ? mosquitto_reason_string(R.connect_rc) : "did not answer");
                exit(EXIT_NOANSWER);
        }
        return m;
}

static void subscribe(struct mosquitto *m, const char *suffix) {
        char *t = topic_of(suffix);
        mosquitto_subscribe(m, NULL, t, 1);
        free(t);
}

static bool have_reply(void) {
        return R.reply != NULL;
}

/* Send cmd (takes ownership) and wait for the answer; returns the exit code. */
static int request(struct mosquitto *m, json_object *cmd, bool quiet) {
        snprintf(R.corr, sizeof(R.corr), "%08x%08x", (unsigned) rand(), (unsigned) getpid());
        mosquitto_property *props = NULL;
        if (S.protocol == 5) {
                R.reply_topic = topic_of("reply/");
                char *t = NULL;
                if (asprintf(&t, "%s%s", R.reply_topic, R.corr) < 0)
                        exit(EXIT_NOANSWER);
                free(R.reply_topic);
                R.reply_topic = t;
                mosquitto_subscribe(m, NULL, R.reply_topic, 1);
                mosquitto_property_add_string(&props, MQTT_PROP_RESPONSE_TOPIC, R.reply_topic);
                mosquitto_property_add_binary(&props, MQTT_PROP_CORRELATION_DATA, R.corr,
                                              (uint16_t) strlen(R.corr));
        } else {
                json_object_object_add(cmd, "id", json_object_new_string(R.corr));
                subscribe(m, "reply");
        }
        /* let the SUBACK arrive so the answer cannot overtake our subscription */
        pump(m, now_s() + 0.2, have_reply);

        const char *payload = json_object_to_json_string_ext(cmd, JSON_C_TO_STRING_PLAIN);
        char *set = topic_of("set");
        int rc = mosquitto_publish_v5(m, NULL, set, (int) strlen(payload), payload, 1, false, props);
        mosquitto_property_free_all(&props);
        free(set);
        json_object_put(cmd);
        if (rc != MOSQ_ERR_SUCCESS) {
                fprintf(stderr, "chairctl: publish failed: %s\n", mosquitto_strerror(rc));
                return EXIT_NOANSWER;
        }
        if (!pump(m, now_s() + S.timeout_s, have_reply))
                return EXIT_NOANSWER;
        if (!R.reply) {
                fprintf(stderr, "chairctl: no answer from chair \"%s\" within %.0f s (is chaird running?)\n",
                        S.chair, S.timeout_s);
                return EXIT_NOANSWER;
        }
        json_object *ok, *err, *code, *msg;
        if (json_object_object_get_ex(R.reply, "ok", &ok) && json_object_get_boolean(ok)) {
                /* an accepted command may say what it did ("the session is running already") */
                if (!quiet && !S.json && json_object_object_get_ex(R.reply, "message", &msg))
                        printf("ok: %s\n", json_object_get_string(msg));
                else if (!quiet)
                        printf("%s\n", S.json ? json_object_to_json_string_ext(R.reply, JSON_C_TO_STRING_PLAIN)
                                              : "ok");
                return 0;
        }
        const char *c = "error", *t = "refused";
        if (json_object_object_get_ex(R.reply, "error", &err)) {
                if (json_object_object_get_ex(err, "code", &code))
                        c = json_object_get_string(code);
                if (json_object_object_get_ex(err, "message", &msg))
                        t = json_object_get_string(msg);
        }
        fprintf(stderr, "chairctl: %s (%s)\n", t, c);
        return EXIT_REFUSED;
}

static const char *jstr(json_object *o, const char *path) {
        char buf[128];
        snprintf(buf, sizeof(buf), "%s", path);
        char *save = NULL;
        for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
                if (!json_object_object_get_ex(o, k, &o))
                        return NULL;
        return o && !json_object_is_type(o, json_type_null) ? json_object_get_string(o) : NULL;
}

static double jnum(json_object *o, const char *path) {
        const char *s = jstr(o, path);
        return s ? atof(s) : NAN;
}

/* Each member of an object as (const char *name, json_object *val): the iterator
 * API, because json_object_object_foreach is a GNU statement expression. */
#define MEMBERS(obj, name, val)                                                                         \
        for (struct json_object_iterator it_##name = json_object_iter_begin(obj),                        \
                                         end_##name = json_object_iter_end(obj);                        \
             !json_object_iter_equal(&it_##name, &end_##name); json_object_iter_next(&it_##name))        \
                for (const char *name = json_object_iter_peek_name(&it_##name); name; name = NULL)      \
                        for (json_object *val = json_object_iter_peek_value(&it_##name); name; name = NULL)

static bool in_session(const char *state) {
        return state && (strcmp(state, "scanning") == 0 || strcmp(state, "running") == 0 ||
                         strcmp(state, "paused") == 0 || strcmp(state, "ending") == 0);
}

static void fmt_time(char *buf, size_t n, double s) {
        if (isnan(s) || s < 0)
                s = 0;
        unsigned t = (unsigned) (s + 0.5);
        snprintf(buf, n, "%u:%02u", t / 60, t % 60);
}

static void print_faults(FILE *f, json_object *st) {
        json_object *faults;
        if (!json_object_object_get_ex(st, "faults", &faults) || json_object_array_length(faults) == 0) {
                fprintf(f, "faults:     none\n");
                return;
        }
        for (size_t i = 0; i < json_object_array_length(faults); i++) {
                json_object *e = json_object_array_get_idx(faults, i);
                fprintf(f, "%s %s: %s\n", i == 0 ? "faults:    " : "           ", jstr(e, "code"),
                        jstr(e, "message") ? jstr(e, "message") : "");
        }
}

static void print_state(FILE *f, json_object *st, bool bar) {
        const char *state = jstr(st, "state");
        fprintf(f, "chair:      %s (%s)%s\n", S.chair, state ? state : "?",
                R.availability && strcmp(R.availability, "online") != 0 ? "  [OFFLINE]" : "");
        if (in_session(state)) {
                const char *pn = jstr(st, "program_name"), *pid = jstr(st, "program");
                fprintf(f, "program:    %s (%s)\n", pn ? pn : "?", pid ? pid : "?");
                const char *tech = jstr(st, "technique");
                fprintf(f, "step:       %s/%s  %s\n", jstr(st, "step") ? jstr(st, "step") : "0",
                        jstr(st, "steps") ? jstr(st, "steps") : "0", tech ? tech : "");
                double el = jnum(st, "elapsed_s"), rem = jnum(st, "remaining_s");
                char left[16];
                fmt_time(left, sizeof(left), rem);
                if (bar) {
                        double p = el + rem > 0 ? el / (el + rem) : 0;
                        if (isnan(p) || p < 0)
                                p = 0;
                        if (p > 1)
                                p = 1;
                        char b[41];
                        int w = (int) (p * 40 + 0.5);
                        for (int i = 0; i < 40; i++)
                                b[i] = i < w ? '#' : '-';
                        b[40] = 0;
                        fprintf(f, "progress:   [%s] %3.0f%%  %s left\n", b, p * 100, left);
                } else
                        fprintf(f, "time left:  %s\n", left);
                fprintf(f, "intensity:  %s  speed: %s  focus: %s\n", jstr(st, "intensity"),
                        jstr(st, "speed"), jstr(st, "focus") ? jstr(st, "focus") : "-");
        }
        const char *on = jstr(st, "heat.on");
        double tc = jnum(st, "heat.temp_c"), target = jnum(st, "heat.target_c");
        if (isnan(tc))
                fprintf(f, "heater:     %s, sensor n/a\n", on && strcmp(on, "true") == 0 ? "on" : "off");
        else if (!isnan(target) && target > 0)
                fprintf(f, "heater:     %s, %.1f °C (target %.1f °C)\n",
                        on && strcmp(on, "true") == 0 ? "on" : "off", tc, target);
        else
                fprintf(f, "heater:     %s, %.1f °C\n", on && strcmp(on, "true") == 0 ? "on" : "off", tc);
        const char *occ = jstr(st, "occupied");
        fprintf(f, "occupied:   %s  recline: %s\n", occ && strcmp(occ, "true") == 0 ? "yes" : "no",
                jstr(st, "recline") ? jstr(st, "recline") : "-");
        const char *locked = jstr(st, "locked");
        if (locked && strcmp(locked, "true") == 0)
                fprintf(f, "child lock: on (stop and pause work; chairctl unlock)\n");
        print_faults(f, st);
}

static bool have_state(void) {
        return R.state != NULL;
}

static int cmd_status(struct mosquitto *m) {
        subscribe(m, "availability");
        subscribe(m, "state");
        pump(m, now_s() + S.timeout_s, have_state);
        if (!R.state) {
                fprintf(stderr, "chairctl: no state from chair \"%s\" (is chaird running?)\n", S.chair);
                return EXIT_NOANSWER;
        }
        pump(m, now_s() + 0.1, have_reply);   /* availability usually arrives alongside */
        if (S.json)
                printf("%s\n", json_object_to_json_string_ext(R.state, JSON_C_TO_STRING_PLAIN));
        else
                print_state(stdout, R.state, false);
        return 0;
}

static bool have_programs(void) {
        return R.programs != NULL;
}

static int cmd_programs(struct mosquitto *m) {
        subscribe(m, "programs");
        pump(m, now_s() + S.timeout_s, have_programs);
        if (!R.programs) {
                fprintf(stderr, "chairctl: no program list from chair \"%s\" (is chaird running?)\n", S.chair);
                return EXIT_NOANSWER;
        }
        if (S.json) {
                printf("%s\n", json_object_to_json_string_ext(R.programs, JSON_C_TO_STRING_PLAIN));
                return 0;
        }
        for (size_t i = 0; i < json_object_array_length(R.programs); i++) {
                json_object *p = json_object_array_get_idx(R.programs, i);
                printf("%-22s %3s min  %s\n", jstr(p, "id"), jstr(p, "default_minutes"),
                       jstr(p, "name") ? jstr(p, "name") : "");
                if (jstr(p, "description") && *jstr(p, "description"))
                        printf("%-22s          %s\n", "", jstr(p, "description"));
        }
        return 0;
}

static bool have_fresh_diag(void) {
        return R.diag_fresh;
}

/* Ask for fresh diagnostics; R.diag holds them on success. */
static int fetch_diag(struct mosquitto *m) {
        subscribe(m, "diagnostics");
        json_object *c = json_object_new_object();
        json_object_object_add(c, "action", json_object_new_string("diag"));
        int r = request(m, c, true);
        if (r != 0)
                return r;
        pump(m, now_s() + S.timeout_s, have_fresh_diag);
        if (!R.diag) {
                fprintf(stderr, "chairctl: no diagnostics from chair \"%s\"\n", S.chair);
                return EXIT_NOANSWER;
        }
        return 0;
}

static const char *or_q(const char *s) {
        return s ? s : "?";
}

static void print_selftest(json_object *t) {
        json_object *parts;
        printf("self-test:   %s%s%s in %.0f s\n",
               json_object_get_boolean(json_object_object_get(t, "passed")) ? "passed" :
               json_object_get_boolean(json_object_object_get(t, "aborted")) ? "aborted" : "FAILED",
               jstr(t, "at") ? " at " : "", jstr(t, "at") ? jstr(t, "at") : "", jnum(t, "duration_s"));
        if (!json_object_object_get_ex(t, "parts", &parts))
                return;
        for (size_t i = 0; i < json_object_array_length(parts); i++) {
                json_object *e = json_object_array_get_idx(parts, i);
                const char *res = or_q(jstr(e, "result"));
                bool plain = !strcmp(res, "pass");
                printf("  %-22s %-12s%s%s%s\n", or_q(jstr(e, "part")), res, plain ? "" : "(",
                       plain ? "" : or_q(jstr(e, "reason")), plain ? "" : ")");
        }
}

static int cmd_diag(struct mosquitto *m) {
        int r = fetch_diag(m);
        if (r != 0)
                return r;
        if (S.json) {
                printf("%s\n", json_object_to_json_string_ext(R.diag, JSON_C_TO_STRING_PLAIN));
                return 0;
        }
        json_object *d = R.diag, *x;
        printf("version:     %s\n", or_q(jstr(d, "version")));
        printf("uptime:      %.0f s\n", jnum(d, "uptime_s"));
        printf("config hash: %s\n", or_q(jstr(d, "config_hash")));
        if (jstr(d, "state_dir"))
                printf("state dir:   %s\n", jstr(d, "state_dir"));
        printf("loop:        %s Hz, %s ticks, %s missed, %s priority %s\n", or_q(jstr(d, "loop.rate_hz")),
               or_q(jstr(d, "loop.ticks")), or_q(jstr(d, "loop.missed")), or_q(jstr(d, "loop.policy")),
               or_q(jstr(d, "loop.priority")));
        printf("latency:     since start p50 %s us, p99 %s us, max %s us\n", or_q(jstr(d, "loop.latency_us.p50")),
               or_q(jstr(d, "loop.latency_us.p99")), or_q(jstr(d, "loop.latency_us.max")));
        printf("             last minute p50 %s us, p99 %s us, max %s us\n", or_q(jstr(d, "loop.latency_1m_us.p50")),
               or_q(jstr(d, "loop.latency_1m_us.p99")), or_q(jstr(d, "loop.latency_1m_us.max")));
        print_faults(stdout, d);

        if (json_object_object_get_ex(d, "sensors", &x)) {
                printf("sensors:\n");
                MEMBERS(x, name, v) {
                        if (json_object_is_type(v, json_type_object)) {
                                char line[160] = "";
                                size_t len = 0;
                                MEMBERS(v, k, w)
                                        len += (size_t) snprintf(line + len, len < sizeof(line) ? sizeof(line) - len : 0,
                                                                 "%s%s=%s", len ? " " : "", k,
                                                                 w ? json_object_get_string(w) : "null");
                                printf("  %-26s %s\n", name, line);
                        } else
                                printf("  %-26s %s\n", name, v ? json_object_get_string(v) : "null");
                }
        }
        if (json_object_object_get_ex(d, "outputs", &x)) {
                printf("outputs:    ");
                MEMBERS(x, name, v)
                        printf(" %s=%s", name, v ? json_object_get_string(v) : "null");
                printf("\n");
        }
        json_object *c;
        if (json_object_object_get_ex(d, "counters", &c)) {
                printf("counters:    %s sessions, %s self-tests, motors %.1f h, carriage %.1f m, heater %.1f h\n",
                       or_q(jstr(c, "sessions")), or_q(jstr(c, "self_tests")), jnum(c, "motor_run_s") / 3600,
                       jnum(c, "carriage_travel_mm") / 1000, jnum(c, "heater_on_s") / 3600);
                printf("             kneading %.0f cycles, tapping %.0f cycles (estimates)\n",
                       jnum(c, "knead_cycles"), jnum(c, "tap_cycles"));
                json_object *acts;
                if (json_object_object_get_ex(c, "actuators", &acts)) {
                        printf("  %-20s %10s %10s %8s %10s\n", "part", "run h", "full-pwr h", "starts", "reversals");
                        MEMBERS(acts, name, a)
                                printf("  %-20s %10.2f %10.2f %8s %10s\n", name, jnum(a, "run_s") / 3600,
                                       jnum(a, "duty_s") / 3600, or_q(jstr(a, "starts")),
                                       jstr(a, "direction_changes") ? jstr(a, "direction_changes") : "-");
                }
                json_object *bags;
                if (json_object_object_get_ex(c, "airbag_inflations", &bags)) {
                        printf("  inflations:");
                        MEMBERS(bags, name, v)
                                printf(" %s=%s", name, json_object_get_string(v));
                        printf("\n");
                }
                json_object *rec;
                if (json_object_object_get_ex(c, "recline_travels", &rec)) {
                        printf("  recline travels:");
                        MEMBERS(rec, name, v)
                                printf(" %s=%s", name, json_object_get_string(v));
                        printf("\n");
                }
        } else {
                json_object *acts;
                if (json_object_object_get_ex(d, "actuators", &acts)) {
                        MEMBERS(acts, name, a)
                                printf("  %-20s %6s starts %8.1f s active\n", name, or_q(jstr(a, "starts")),
                                       jnum(a, "active_s"));
                }
        }
        json_object *t;
        if (json_object_object_get_ex(d, "self_test", &t) && t)
                print_selftest(t);
        json_object *h;
        if (json_object_object_get_ex(d, "faults_history", &h)) {
                size_t n = json_object_array_length(h);
                printf("fault history: %zu (last 5 below; chairctl faults for all)\n", n);
                for (size_t i = n > 5 ? n - 5 : 0; i < n; i++) {
                        json_object *e = json_object_array_get_idx(h, i);
                        printf("  %s %s\n", or_q(jstr(e, "at")), or_q(jstr(e, "code")));
                }
        }
        return 0;
}

/* faults: active faults and the whole history, newest last. */
static int cmd_faults(struct mosquitto *m) {
        int r = fetch_diag(m);
        if (r != 0)
                return r;
        json_object *h = NULL;
        json_object_object_get_ex(R.diag, "faults_history", &h);
        if (S.json) {
                printf("%s\n", h ? json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN) : "[]");
                return 0;
        }
        print_faults(stdout, R.diag);
        size_t n = h ? json_object_array_length(h) : 0;
        if (n == 0) {
                printf("history:    none\n");
                return 0;
        }
        printf("history:    %zu fault%s, oldest first\n", n, n == 1 ? "" : "s");
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(h, i);
                printf("%s  %-16s %s\n", or_q(jstr(e, "at")), or_q(jstr(e, "code")), jstr(e, "message") ? jstr(e, "message") : "");
                if (jstr(e, "context"))
                        printf("%22s%s\n", "", jstr(e, "context"));
                if (jstr(e, "cleared_at"))
                        printf("%22scleared %s\n", "", jstr(e, "cleared_at"));
        }
        return 0;
}

/* A bar of width proportional to v/max, at most cols characters. */
static void bar(double v, double max, int cols) {
        int n = max > 0 ? (int) (v / max * cols + 0.5) : 0;
        if (v > 0 && n == 0)
                n = 1;
        for (int i = 0; i < n && i < cols; i++)
                fputs("#", stdout);
}

/* usage: minutes per day and per program over the last 30 days. */
static int cmd_usage(struct mosquitto *m) {
        int r = fetch_diag(m);
        if (r != 0)
                return r;
        json_object *u = NULL, *days = NULL, *progs = NULL;
        if (!json_object_object_get_ex(R.diag, "usage", &u) || !u) {
                fprintf(stderr, "chairctl: this chair keeps no usage log\n");
                return EXIT_NOANSWER;
        }
        if (S.json) {
                printf("%s\n", json_object_to_json_string_ext(u, JSON_C_TO_STRING_PLAIN));
                return 0;
        }
        json_object_object_get_ex(u, "days", &days);
        json_object_object_get_ex(u, "programs", &progs);
        double max = 0;
        for (size_t i = 0; days && i < json_object_array_length(days); i++)
                max = fmax(max, jnum(json_object_array_get_idx(days, i), "minutes"));
        printf("minutes per day, last 30 days (%s min in %s sessions)\n", or_q(jstr(u, "total_minutes")),
               or_q(jstr(u, "sessions")));
        for (size_t i = 0; days && i < json_object_array_length(days); i++) {
                json_object *e = json_object_array_get_idx(days, i);
                printf("%s %6.1f ", or_q(jstr(e, "date")), jnum(e, "minutes"));
                bar(jnum(e, "minutes"), max, 50);
                printf("\n");
        }
        max = 0;
        for (size_t i = 0; progs && i < json_object_array_length(progs); i++)
                max = fmax(max, jnum(json_object_array_get_idx(progs, i), "minutes"));
        printf("\nminutes per program\n");
        for (size_t i = 0; progs && i < json_object_array_length(progs); i++) {
                json_object *e = json_object_array_get_idx(progs, i);
                printf("%-20s %6.1f %3sx ", or_q(jstr(e, "program")), jnum(e, "minutes"), or_q(jstr(e, "sessions")));
                bar(jnum(e, "minutes"), max, 40);
                printf("\n");
        }
        if (jnum(u, "other_minutes") > 0)
                printf("%-20s %6.1f\n", "(other programs)", jnum(u, "other_minutes"));
        return 0;
}

static bool have_selftest_event(void) {
        const char *e = R.event_new ? jstr(R.event, "event") : NULL;
        if (e && strcmp(e, "self_test") == 0)
                return true;
        R.event_new = false;
        return false;
}

/* self-test: run it and wait for its report (published as an event). */
static int cmd_self_test(struct mosquitto *m) {
        subscribe(m, "event");
        json_object *c = json_object_new_object();
        json_object_object_add(c, "action", json_object_new_string("self_test"));
        int r = request(m, c, true);
        if (r != 0)
                return r;
        if (!S.json)
                printf("self-test running (keep the seat empty)...\n");
        /* the test takes about 20 s on the reference chair; up to a minute on others */
        double wait = S.timeout_s > 120 ? S.timeout_s : 120;
        if (!pump(m, now_s() + wait, have_selftest_event) || !have_selftest_event()) {
                fprintf(stderr, "chairctl: no self-test report within %.0f s\n", wait);
                return EXIT_NOANSWER;
        }
        if (S.json)
                printf("%s\n", json_object_to_json_string_ext(R.event, JSON_C_TO_STRING_PLAIN));
        else
                print_selftest(R.event);
        return json_object_get_boolean(json_object_object_get(R.event, "passed")) ? 0 : 1;
}

static bool state_or_event(void) {
        return R.state_new || R.event_new;
}

static int cmd_watch(struct mosquitto *m) {
        subscribe(m, "availability");
        subscribe(m, "event");
        subscribe(m, "state");
        pump(m, now_s() + S.timeout_s, have_state);
        if (!R.state) {
                fprintf(stderr, "chairctl: no state from chair \"%s\" (is chaird running?)\n", S.chair);
                return EXIT_NOANSWER;
        }
        bool tty = isatty(STDOUT_FILENO);
        bool seen_session = in_session(jstr(R.state, "state"));
        if (!seen_session) {
                print_state(stdout, R.state, true);
                printf("no session running\n");
                return 0;
        }
        for (;;) {
                if (R.state_new) {
                        R.state_new = false;
                        if (tty)
                                fputs("\033[H\033[J", stdout);
                        else
                                puts("--");
                        print_state(stdout, R.state, true);
                        fflush(stdout);
                        if (!in_session(jstr(R.state, "state")))
                                break;
                }
                if (R.event_new) {
                        R.event_new = false;
                        const char *ev = jstr(R.event, "event");
                        if (ev && strcmp(ev, "session_ended") == 0) {
                                printf("session ended: %s\n", jstr(R.event, "reason") ? jstr(R.event, "reason") : "?");
                                return 0;
                        }
                }
                if (!pump(m, now_s() + 3600, state_or_event))
                        return EXIT_NOANSWER;
        }
        printf("session ended\n");
        return 0;
}

static int parse_int(const char *what, const char *s, int lo, int hi) {
        char *end;
        long v = strtol(s, &end, 10);
        if (!*s || *end || v < lo || v > hi) {
                fprintf(stderr, "chairctl: %s must be %d..%d\n", what, lo, hi);
                exit(EXIT_USAGE);
        }
        return (int) v;
}

/* intensity, speed: an integer; the range (1..5) is the daemon's to check, so
 * its message is the one the owner sees.  Not an integer at all: say the range
 * here (it used to say 0..100). */
static int parse_level(const char *what, const char *s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (!*s || *end || v < -100 || v > 100) {
                fprintf(stderr, "chairctl: %s must be an integer 1..5 (or +1..+4, -1..-4 for a change)\n", what);
                exit(EXIT_USAGE);
        }
        return (int) v;
}

static bool parse_onoff(const char *s) {
        if (!strcmp(s, "on") || !strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "yes"))
                return true;
        if (!strcmp(s, "off") || !strcmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "no"))
                return false;
        fprintf(stderr, "chairctl: expected on or off, got \"%s\"\n", s);
        exit(EXIT_USAGE);
}

/* start PROGRAM [--minutes N] [--intensity N] [--speed N] [--heat on|off] */
static json_object *build_start(int argc, char **argv) {
        json_object *c = json_object_new_object();
        json_object_object_add(c, "action", json_object_new_string("start"));
        const char *program = NULL;
        for (int i = 0; i < argc; i++) {
                const char *a = argv[i];
                const char *v = i + 1 < argc ? argv[i + 1] : NULL;
                if (!strcmp(a, "--minutes") && v)
                        json_object_object_add(c, "minutes", json_object_new_int(parse_int("minutes", v, 1, 1000))), i++;
                else if (!strcmp(a, "--intensity") && v)
                        json_object_object_add(c, "intensity", json_object_new_int(parse_level("intensity", v))), i++;
                else if (!strcmp(a, "--speed") && v)
                        json_object_object_add(c, "speed", json_object_new_int(parse_level("speed", v))), i++;
                else if (!strcmp(a, "--focus") && v)
                        json_object_object_add(c, "focus", json_object_new_string(v)), i++;
                else if (!strcmp(a, "--switch"))
                        json_object_object_add(c, "switch", json_object_new_boolean(true));
                else if (!strcmp(a, "--heat") && v)
                        json_object_object_add(c, "heat", json_object_new_boolean(parse_onoff(v))), i++;
                else if (!strcmp(a, "--profile") && v)
                        json_object_object_add(c, "profile", json_object_new_string(v)), i++;
                else if (a[0] != '-' && !program)
                        program = a;
                else {
                        fprintf(stderr, "chairctl: start: unexpected \"%s\"\n", a);
                        exit(EXIT_USAGE);
                }
        }
        if (!program && !json_object_object_get(c, "profile")) {
                fprintf(stderr, "chairctl: start needs a program id (see chairctl programs) or --profile\n");
                exit(EXIT_USAGE);
        }
        if (program)
                json_object_object_add(c, "program", json_object_new_string(program));
        return c;
}

/* set KEY=VALUE...: values go to the daemon as typed; it validates ranges. */
static json_object *build_set(int argc, char **argv) {
        json_object *c = json_object_new_object();
        json_object_object_add(c, "action", json_object_new_string("set"));
        if (argc == 0) {
                fprintf(stderr, "chairctl: set needs KEY=VALUE (intensity, speed, heat, focus)\n");
                exit(EXIT_USAGE);
        }
        for (int i = 0; i < argc; i++) {
                char *eq = strchr(argv[i], '=');
                if (!eq) {
                        fprintf(stderr, "chairctl: set: expected KEY=VALUE, got \"%s\"\n", argv[i]);
                        exit(EXIT_USAGE);
                }
                *eq = 0;
                const char *k = argv[i], *v = eq + 1;
                if (!strcmp(k, "heat"))
                        json_object_object_add(c, k, json_object_new_boolean(parse_onoff(v)));
                else if (!strcmp(k, "focus"))
                        json_object_object_add(c, k, !strcmp(v, "none") || !*v ? NULL : json_object_new_string(v));
                else if (!strcmp(k, "intensity") || !strcmp(k, "speed")) {
                        /* "+1"/"-2": one more / two less (design C3 intensity_delta);
                         * a plain number sets the level */
                        if (v[0] == '+' || v[0] == '-') {
                                char key[32];
                                snprintf(key, sizeof(key), "%s_delta", k);
                                json_object_object_add(c, key, json_object_new_int(parse_level(k, v)));
                        } else
                                json_object_object_add(c, k, json_object_new_int(parse_level(k, v)));
                }
                else {
                        fprintf(stderr, "chairctl: set: unknown key \"%s\" (intensity, speed, heat, focus)\n", k);
                        exit(EXIT_USAGE);
                }
        }
        return c;
}

static json_object *simple(const char *action);

/* extend [MINUTES] (default 5) */
static json_object *build_extend(int argc, char **argv) {
        if (argc > 1) {
                fprintf(stderr, "chairctl: extend [MINUTES]\n");
                exit(EXIT_USAGE);
        }
        json_object *c = simple("extend");
        json_object_object_add(c, "minutes", json_object_new_int(argc ? parse_int("minutes", argv[0], 1, 30) : 5));
        return c;
}

/* unlock [PIN]: the PIN from the argument, else read from stdin (not left in
 * the shell history) */
static json_object *build_unlock(int argc, char **argv) {
        char buf[32] = "";
        const char *pin = argc ? argv[0] : NULL;
        if (argc > 1) {
                fprintf(stderr, "chairctl: unlock [PIN]\n");
                exit(EXIT_USAGE);
        }
        if (!pin) {
                if (isatty(STDIN_FILENO))
                        fprintf(stderr, "PIN: ");
                if (!fgets(buf, sizeof(buf), stdin)) {
                        fprintf(stderr, "chairctl: unlock needs the PIN\n");
                        exit(EXIT_USAGE);
                }
                buf[strcspn(buf, "\r\n")] = 0;
                pin = buf;
        }
        json_object *c = simple("unlock");
        json_object_object_add(c, "pin", json_object_new_string(pin));
        return c;
}

static json_object *simple(const char *action) {
        json_object *c = json_object_new_object();
        json_object_object_add(c, "action", json_object_new_string(action));
        return c;
}

/* ---- the pain diary (docs/pain-diary.md) ---- */

static struct {
        json_object *cmd;          /* history or suggest, sent by the view */
        bool csv;
} D;

/* rate before|after|auto PAIN [--zone L1..S1] [--profile NAME]
 * diary [--profile NAME] [--days N] [--csv]     suggest [--profile NAME] [--start] */
static json_object *build_diary(const char *what, int argc, char **argv) {
        bool rate = !strcmp(what, "rate"), suggest = !strcmp(what, "suggest");
        json_object *c = simple(rate ? "rate" : suggest ? "suggest" : "history");
        int i = 0;
        if (rate) {
                if (argc < 2) {
                        fprintf(stderr, "chairctl: rate before|after PAIN (0 = no pain .. 10 = worst imaginable)\n");
                        exit(EXIT_USAGE);
                }
                json_object_object_add(c, "phase", json_object_new_string(argv[0]));
                json_object_object_add(c, "pain", json_object_new_int(parse_int("pain", argv[1], 0, 10)));
                i = 2;
        }
        for (; i < argc; i++) {
                const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
                if (!strcmp(a, "--profile") && v)
                        json_object_object_add(c, "profile", json_object_new_string(v)), i++;
                else if (rate && !strcmp(a, "--zone") && v)
                        json_object_object_add(c, "zone", json_object_new_string(v)), i++;
                else if (!rate && !suggest && !strcmp(a, "--days") && v)
                        json_object_object_add(c, "days", json_object_new_int(parse_int("days", v, 1, 3650))), i++;
                else if (!rate && !suggest && !strcmp(a, "--csv"))
                        D.csv = true;
                else if (suggest && !strcmp(a, "--start"))
                        json_object_object_add(c, "start", json_object_new_boolean(true));
                else {
                        fprintf(stderr, "chairctl: %s: unexpected \"%s\"\n", what, a);
                        exit(EXIT_USAGE);
                }
        }
        return c;
}

static int cmd_diary(struct mosquitto *m) {
        json_object *start = NULL;
        bool starting = json_object_object_get_ex(D.cmd, "start", &start);
        int r = request(m, D.cmd, !S.json && !starting);
        if (r != 0 || S.json || starting)
                return r;
        if (json_object_object_get_ex(R.reply, "suggestion", NULL))
                r = diary_view_suggestion(stdout, R.reply);
        else
                r = D.csv ? diary_view_csv(stdout, R.reply) : diary_view_table(stdout, R.reply);
        if (r < 0) {
                fprintf(stderr, "chairctl: the chair's answer lacks the diary (is it older than this chairctl?)\n");
                return EXIT_NOANSWER;
        }
        return 0;
}

static void usage(FILE *f) {
        fputs("Usage: chairctl [OPTIONS] COMMAND [ARGS]\n"
              "\n"
              "Commands:\n"
              "  start [PROGRAM] [--minutes N] [--intensity N] [--speed N] [--heat on|off]\n"
              "        [--focus L4] [--profile NAME]  (the profile's program and settings fill what is not given)\n"
              "        [--switch]        end a running session and start PROGRAM (no new body scan)\n"
              "  stop | pause | resume | clear-faults\n"
              "  extend [MINUTES]        more time for the running session (default 5)\n"
              "  skip                    on to the next step\n"
              "  lock | unlock [PIN]     child lock (unlock reads the PIN from stdin when not given)\n"
              "  self-test [--json]      move each part briefly, check its feedback, print the report\n"
              "                          (exit 1 when a part fails)\n"
              "  set KEY=VALUE...        intensity=1..5 speed=1..5 heat=on|off focus=L4|none\n"
              "                          intensity=+1 / speed=-1: one more / one less (+1..+4, -1..-4)\n"
              "  recline upright|relax|zero-gravity\n"
              "  forget-profile NAME     delete the owner profile NAME and its pain diary\n"
              "                          (its usage records stay, without ratings)\n"
              "  rate before|after|auto PAIN [--zone L1..S1] [--profile NAME]\n"
              "                          rate your pain 0..10 before or after a session\n"
              "  diary [--profile NAME] [--days N] [--csv]\n"
              "                          rated sessions, a chart, and per program the median change\n"
              "  suggest [--profile NAME] [--start]\n"
              "                          the setting that eased your pain most (--start: start it)\n"
              "  status [--json]         current state\n"
              "  watch                   live view until the session ends\n"
              "  programs [--json]       programs the chair knows\n"
              "  diag [--json]           diagnostics: loop, sensors, outputs, wear counters\n"
              "  faults [--json]         active faults and the fault history with context\n"
              "  usage [--json]          minutes per day and per program, last 30 days\n"
              "\n"
              "Options:\n"
              "  -b, --broker HOST[:PORT]  broker (env CHAIRCTL_BROKER; default localhost:1883)\n"
              "  -c, --chair ID            chair id (env CHAIRCTL_CHAIR; default chair)\n"
              "      --base-topic TOPIC    instead of chaird/<ID>\n"
              "  -u, --username NAME       (env CHAIRCTL_USERNAME)\n"
              "      --password-file FILE  (env CHAIRCTL_PASSWORD_FILE)\n"
              "      --cafile FILE         use TLS, verify the broker against FILE\n"
              "      --cert FILE --key FILE  TLS client certificate\n"
              "      --insecure            do not verify the broker certificate\n"
              "      --mqtt311             use MQTT 3.1.1 (answers matched by id)\n"
              "  -t, --timeout SECONDS     wait this long for an answer (default 5)\n"
              "      --json                machine-readable output\n"
              "\n"
              "Settings also come from ~/.config/chairctl.conf (key = value: broker, chair,\n"
              "base_topic, username, password_file, cafile, certfile, keyfile, timeout).\n"
              "Exit status: 0 done, 1 refused by the chair, 2 usage, 3 no broker or no answer.\n",
              f);
}

int main(int argc, char **argv) {
        srand((unsigned) (time(NULL) ^ (getpid() << 8)));
        S.host = strdup("localhost");
        load_config_file();
        load_env();

        enum { O_BASE = 256, O_PWFILE, O_CAFILE, O_CERT, O_KEY, O_INSECURE, O_311, O_JSON };
        static const struct option opts[] = {
                { "broker", required_argument, NULL, 'b' },
                { "chair", required_argument, NULL, 'c' },
                { "base-topic", required_argument, NULL, O_BASE },
                { "username", required_argument, NULL, 'u' },
                { "password-file", required_argument, NULL, O_PWFILE },
                { "cafile", required_argument, NULL, O_CAFILE },
                { "cert", required_argument, NULL, O_CERT },
                { "key", required_argument, NULL, O_KEY },
                { "insecure", no_argument, NULL, O_INSECURE },
                { "mqtt311", no_argument, NULL, O_311 },
                { "timeout", required_argument, NULL, 't' },
                { "json", no_argument, NULL, O_JSON },
                { "help", no_argument, NULL, 'h' },
                { 0 }
        };
        int c;
        /* "+": stop at the command so its own options (start --minutes) stay for it */
        while ((c = getopt_long(argc, argv, "+b:c:u:t:h", opts, NULL)) >= 0) {
                switch (c) {
                case 'b':
                        if (parse_broker(optarg) < 0) {
                                fprintf(stderr, "chairctl: bad --broker \"%s\"\n", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case 'c': set_str(&S.chair, optarg); break;
                case O_BASE: set_str(&S.base, optarg); break;
                case 'u': set_str(&S.username, optarg); break;
                case O_PWFILE: set_str(&S.password_file, optarg); break;
                case O_CAFILE: set_str(&S.cafile, optarg); S.tls = true; break;
                case O_CERT: set_str(&S.certfile, optarg); S.tls = true; break;
                case O_KEY: set_str(&S.keyfile, optarg); break;
                case O_INSECURE: S.insecure = true; S.tls = true; break;
                case O_311: S.protocol = 311; break;
                case 't': S.timeout_s = atof(optarg); break;
                case O_JSON: S.json = true; break;
                case 'h': usage(stdout); return 0;
                default: usage(stderr); return EXIT_USAGE;
                }
        }
        if (optind >= argc) {
                usage(stderr);
                return EXIT_USAGE;
        }
        if (S.timeout_s <= 0)
                S.timeout_s = 5;
        if (!S.chair)
                S.chair = strdup("chair");
        if (!S.base && asprintf(&S.base, "chaird/%s", S.chair) < 0)
                return EXIT_NOANSWER;

        const char *cmd = argv[optind];
        int nargs = argc - optind - 1;
        char **args = argv + optind + 1;
        /* --json may also follow the command (status --json) */
        for (int i = 0; i < nargs; i++)
                if (!strcmp(args[i], "--json")) {
                        S.json = true;
                        memmove(&args[i], &args[i + 1], sizeof(char *) * (size_t) (nargs - i - 1));
                        nargs--, i--;
                }

        json_object *request_cmd = NULL;
        int (*view)(struct mosquitto *) = NULL;
        if (!strcmp(cmd, "start"))
                request_cmd = build_start(nargs, args);
        else if (!strcmp(cmd, "set"))
                request_cmd = build_set(nargs, args);
        else if (!strcmp(cmd, "recline")) {
                if (nargs != 1) {
                        fprintf(stderr, "chairctl: recline upright|relax|zero-gravity\n");
                        return EXIT_USAGE;
                }
                request_cmd = simple("recline");
                json_object_object_add(request_cmd, "position", json_object_new_string(args[0]));
        } else if (!strcmp(cmd, "forget-profile")) {
                if (nargs != 1) {
                        fprintf(stderr, "chairctl: forget-profile NAME\n");
                        return EXIT_USAGE;
                }
                request_cmd = simple("forget_profile");
                json_object_object_add(request_cmd, "profile", json_object_new_string(args[0]));
        } else if (!strcmp(cmd, "stop") || !strcmp(cmd, "pause") || !strcmp(cmd, "resume") ||
                   !strcmp(cmd, "skip") || !strcmp(cmd, "lock"))
                request_cmd = simple(cmd);
        else if (!strcmp(cmd, "extend"))
                request_cmd = build_extend(nargs, args);
        else if (!strcmp(cmd, "unlock"))
                request_cmd = build_unlock(nargs, args);
        else if (!strcmp(cmd, "clear-faults"))
                request_cmd = simple("clear_faults");
        else if (!strcmp(cmd, "self-test"))
                view = cmd_self_test;
        else if (!strcmp(cmd, "status"))
                view = cmd_status;
        else if (!strcmp(cmd, "watch"))
                view = cmd_watch;
        else if (!strcmp(cmd, "programs"))
                view = cmd_programs;
        else if (!strcmp(cmd, "diag"))
                view = cmd_diag;
        else if (!strcmp(cmd, "faults"))
                view = cmd_faults;
        else if (!strcmp(cmd, "usage"))
                view = cmd_usage;
        else if (!strcmp(cmd, "rate"))
                request_cmd = build_diary(cmd, nargs, args);
        else if (!strcmp(cmd, "diary") || !strcmp(cmd, "suggest")) {
                D.cmd = build_diary(cmd, nargs, args);
                view = cmd_diary;
        }
        else {
                fprintf(stderr, "chairctl: unknown command \"%s\"\n", cmd);
                usage(stderr);
                return EXIT_USAGE;
        }
        if (request_cmd && nargs > 0 && strcmp(cmd, "start") && strcmp(cmd, "set") && strcmp(cmd, "recline") &&
            strcmp(cmd, "forget-profile") && strcmp(cmd, "extend") && strcmp(cmd, "unlock") &&
            strcmp(cmd, "rate")) {
                fprintf(stderr, "chairctl: %s takes no arguments\n", cmd);
                return EXIT_USAGE;
        }

        struct mosquitto *m = connect_broker();
        int r = request_cmd ? request(m, request_cmd, false) : view(m);
        mosquitto_disconnect(m);
        mosquitto_loop(m, 100, 1);
        mosquitto_destroy(m);
        mosquitto_lib_cleanup();
        return r;
}
