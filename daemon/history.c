/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-event.h>

#include <json-c/json.h>

#include "config.h"
#include "daemon.h"
#include "diary.h"
#include "history.h"
#include "log.h"
#include "program.h"

/* Files change all the time while a session runs (counters); flash wears. */
#define SAVE_PERIOD_US (60ull * 1000000ull)

struct chaird_history {
        struct chaird *d;
        struct chair_persist *p;
        struct chair_counters base;     /* totals loaded at start */
        sd_event_source *timer;
        int last_save_error;

        /* the session under way */
        bool in_session;
        int64_t session_start;
        char session_program[CHAIR_PERSIST_PROGRAM_MAX];
        char session_profile[CHAIR_PROFILE_NAME_MAX];
        uint8_t session_intensity;
        bool session_heat;
        float session_shoulder_mm;
        /* The pain diary: ratings of the session under way, written with its
         * record when it ends.  A "before" given while idle waits in the
         * persistent state (chair_persist_pending_before()). */
        struct chair_pending_rating session_before, session_after;
        /* The settings the owner settled on (the last while the massage ran), for
         * the usage record; the profile keeps the ones started with. */
        uint8_t settled_intensity;
        bool settled_heat;

        /* a start naming a profile, waiting for its result */
        bool expecting;
        uint32_t expect_token;
        char expect_profile[CHAIR_PROFILE_NAME_MAX];

        bool have_selftest;
        struct chair_st_report selftest;
        double selftest_at;
};

static const char *program_id(const struct chair_programs *progs, int idx) {
        return progs && idx >= 0 && (size_t) idx < progs->n ? progs->v[idx].id : NULL;
}

void chaird_fault_context(const struct chair_status *st, const struct chair_fault_where *where,
                          const struct chair_programs *progs, char *buf, size_t size) {
        const char *prog = program_id(progs, where->program);
        int n = snprintf(buf, size, "state=%s", chair_state_name(where->state));

        if (n < 0 || (size_t) n >= size)
                return;
        if (prog)
                n += snprintf(buf + n, size - (size_t) n, " program=%s step=%u/%u elapsed_s=%.0f", prog,
                              (unsigned) where->step, (unsigned) where->steps, where->elapsed_s);
        if ((size_t) n < size)
                n += snprintf(buf + n, size - (size_t) n, " carriage_mm=%.0f depth=%.2f heater_c=%.1f"
                              " backrest=%.2f occupied=%d estop=%d obstacle=%d", st->carriage_mm,
                              st->in.depth, st->heat_c, st->backrest, st->in.occupied, st->in.estop,
                              st->in.obstacle);
        if (st->self_testing && (size_t) n < size)
                snprintf(buf + n, size - (size_t) n, " self_test=1");
}

void chaird_history_counters(const struct chaird_history *h, struct chair_counters *total) {
        struct chair_status st;

        chaird_status(h->d, &st);
        *total = h->base;
        chair_counters_add(total, &st.counters);
}

const struct chair_persist *chaird_history_persist(const struct chaird_history *h) {
        return h->p;
}

const struct chair_st_report *chaird_history_selftest(const struct chaird_history *h, double *at_s) {
        if (!h->have_selftest)
                return NULL;
        if (at_s)
                *at_s = h->selftest_at;
        return &h->selftest;
}

static int save_now(struct chaird_history *h) {
        struct chair_counters total;

        chaird_history_counters(h, &total);
        chair_persist_set_counters(h->p, &total);
        int r = chair_persist_save(h->p, false);
        if (r < 0 && r != h->last_save_error)
                log_warning_errno(r, "Failed to save the state in %s, will retry", chair_persist_dir(h->p));
        else if (r == 0 && h->last_save_error)
                log_info("state saved in %s again", chair_persist_dir(h->p));
        h->last_save_error = r;
        return r;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct chaird_history *h = userdata;

        save_now(h);
        int r = sd_event_source_set_time_relative(s, SAVE_PERIOD_US);
        if (r >= 0)
                r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        if (r < 0)
                log_warning_errno(r, "Failed to re-arm the state save timer, ignoring.");
        return 0;
}

static void session_started(struct chaird_history *h, const struct chair_event *ev) {
        const char *id = program_id(chaird_programs_running(h->d), ev->started.program);
        struct chair_status st;

        chaird_status(h->d, &st);
        h->in_session = true;
        h->session_start = (int64_t) time(NULL);
        snprintf(h->session_program, sizeof(h->session_program), "%s", id ? id : "unknown");
        h->session_profile[0] = '\0';
        h->session_intensity = h->settled_intensity = st.intensity;
        h->session_heat = h->settled_heat = st.heat_wanted;   /* the owner's choice, not whether it heats now */
        h->session_shoulder_mm = 0;
        h->session_after = (struct chair_pending_rating) { 0 };
        /* A "before" waits for one start only, and not for ever. */
        const struct chair_pending_rating *nb = chair_persist_pending_before(h->p);
        h->session_before = nb->set && chair_diary_before_applies(nb->at, h->session_start)
                                    ? *nb : (struct chair_pending_rating) { 0 };
        chair_persist_set_pending_before(h->p, NULL);
}

/* The diary's part of the record of the session that just ended. */
static void session_diary(struct chaird_history *h, struct chair_usage_record *u) {
        const struct chair_pending_rating *b = &h->session_before, *a = &h->session_after;

        u->end = (int64_t) time(NULL);
        u->intensity = (int8_t) (h->settled_intensity >= 1 && h->settled_intensity <= 5 ? h->settled_intensity : 0);
        u->heat = h->settled_heat;
        /* A "before" named for another profile than the session ran under is dropped. */
        if (b->set && (!b->profile[0] || strcmp(b->profile, h->session_profile) == 0)) {
                u->has_before = true;
                u->pain_before = b->pain;
                snprintf(u->zone, sizeof(u->zone), "%s", b->zone);
        }
        if (a->set) {
                u->has_after = true;
                u->pain_after = a->pain;
                if (a->zone[0])
                        snprintf(u->zone, sizeof(u->zone), "%s", a->zone);
        }
        h->session_before = h->session_after = (struct chair_pending_rating) { 0 };
}

static void session_ended(struct chaird_history *h, const struct chair_event *ev) {
        struct chair_usage_record u = { .start = h->session_start };

        if (!h->in_session)
                return;
        h->in_session = false;
        snprintf(u.program, sizeof(u.program), "%s", h->session_program);
        u.minutes = ev->ended.elapsed_s > 0 ? ev->ended.elapsed_s / 60.0f : 0;
        snprintf(u.ended, sizeof(u.ended), "%s", chair_end_reason_name(ev->ended.reason));
        snprintf(u.profile, sizeof(u.profile), "%s", h->session_profile);
        session_diary(h, &u);
        if (chair_persist_add_usage(h->p, &u) < 0)
                log_warning("Out of memory recording the session, ignoring.");

        if (h->session_profile[0]) {
                /* The owner's latest choices become the profile's preferences. */
                const struct chair_profile *old = chair_persist_profile_find(h->p, h->session_profile);
                struct chair_profile f = { .heat = h->session_heat };
                snprintf(f.name, sizeof(f.name), "%s", h->session_profile);
                snprintf(f.program, sizeof(f.program), "%s", h->session_program);
                f.intensity = (int8_t) (h->session_intensity >= 1 && h->session_intensity <= 5 ? h->session_intensity : 0);
                f.shoulder_mm = h->session_shoulder_mm > 0 ? h->session_shoulder_mm : old ? old->shoulder_mm : 0;
                int r = chair_persist_profile_set(h->p, &f);
                if (r < 0)
                        log_warning_errno(r, "Failed to update profile \"%s\", ignoring.", f.name);
        }
        save_now(h);
}

static void on_event(void *userdata, const struct chair_event *ev) {
        struct chaird_history *h = userdata;

        switch (ev->kind) {
        case CHAIR_EVENT_SESSION_STARTED:
                session_started(h, ev);
                break;
        case CHAIR_EVENT_RESULT:
                if (h->expecting && ev->result.token == h->expect_token) {
                        h->expecting = false;
                        /* session_started came first, in the same tick */
                        if (ev->result.err == CHAIR_OK && h->in_session)
                                snprintf(h->session_profile, sizeof(h->session_profile), "%s", h->expect_profile);
                }
                break;
        case CHAIR_EVENT_SCAN_DONE:
                h->session_shoulder_mm = ev->scan.shoulder_mm;
                break;
        case CHAIR_EVENT_SESSION_ENDED:
                session_ended(h, ev);
                break;
        case CHAIR_EVENT_FAULT: {
                struct chair_status st;
                char ctx[160];
                chaird_status(h->d, &st);
                chaird_fault_context(&st, &ev->fault.where, chaird_programs_running(h->d), ctx, sizeof(ctx));
                chair_persist_add_fault(h->p, (int64_t) time(NULL), chair_fault_code(ev->fault.code),
                                        chair_fault_message(ev->fault.code), ctx);
                break;
        }
        case CHAIR_EVENT_SELF_TEST: {
                struct chair_selftest_record rec = { .time = (int64_t) time(NULL), .passed = ev->self_test.passed };
                chair_st_report_summary(&ev->self_test, rec.summary, sizeof(rec.summary));
                h->selftest = ev->self_test;
                h->selftest_at = (double) rec.time;
                h->have_selftest = true;
                chair_persist_add_selftest(h->p, &rec);
                save_now(h);
                break;
        }
        default:
                break;
        }
}

/* The settings the owner settled on: the last ones while the massage ran. */
static void on_status(void *userdata, const struct chair_status *st) {
        struct chaird_history *h = userdata;

        if (h->in_session && st->state == CHAIR_STATE_RUNNING) {
                h->settled_intensity = st->intensity;
                h->settled_heat = st->heat_wanted;
        }
}

int chaird_history_use_profile(struct chaird_history *h, struct chair_cmd *cmd) {
        if (!cmd->profile[0])
                return 0;
        if (!chair_profile_name_valid(cmd->profile))
                return -EINVAL;
        const struct chair_profile *f = chair_persist_profile_find(h->p, cmd->profile);
        if (!f)
                return 0;
        if (cmd->program == CHAIR_UNSET && f->program[0]) {
                int idx = chair_programs_find(chaird_programs(h->d), f->program);
                if (idx >= 0)
                        cmd->program = (int16_t) idx;
        }
        if (cmd->intensity == CHAIR_UNSET && f->intensity >= 1)
                cmd->intensity = f->intensity;
        if (cmd->heat == CHAIR_UNSET && f->heat >= 0)
                cmd->heat = f->heat;
        return 0;
}

void chaird_history_expect_profile(struct chaird_history *h, uint32_t token, const char *name) {
        h->expecting = true;
        h->expect_token = token;
        snprintf(h->expect_profile, sizeof(h->expect_profile), "%s", name);
}

/* The pain diary of a forgotten profile: its ratings leave the usage records
 * (what remains is the usage statistics of docs/diagnostics.md) and the
 * ratings waiting for a session are dropped. */
static void forget_diary(struct chaird_history *h, const char *name, bool session_theirs) {
        size_t n;
        const struct chair_usage_record *log = chair_persist_usage_all(h->p, &n);
        unsigned k = 0;

        for (size_t i = 0; i < n; i++) {
                if (!chair_diary_of_profile(&log[i], name) ||
                    !(log[i].has_before || log[i].has_after || log[i].zone[0]))
                        continue;
                struct chair_usage_record u = log[i];
                u.has_before = u.has_after = false;
                u.pain_before = u.pain_after = 0;
                u.zone[0] = '\0';
                chair_persist_usage_update(h->p, i, &u);
                k++;
        }
        if (strcmp(chair_persist_pending_before(h->p)->profile, name) == 0)
                chair_persist_set_pending_before(h->p, NULL);
        if (session_theirs || strcmp(h->session_before.profile, name) == 0)
                h->session_before = (struct chair_pending_rating) { 0 };
        if (session_theirs || strcmp(h->session_after.profile, name) == 0)
                h->session_after = (struct chair_pending_rating) { 0 };
        if (k)
                log_info("Removed the pain ratings of %u sessions of \"%s\"", k, name);
}

int chaird_history_forget_profile(struct chaird_history *h, const char *name, int *ret_save) {
        bool pending = false;

        *ret_save = 0;
        if (!chair_profile_name_valid(name))
                return -EINVAL;
        bool session_theirs = h->in_session && strcmp(h->session_profile, name) == 0;
        /* A session under this name would write the profile back when it ends. */
        if (h->in_session && strcmp(h->session_profile, name) == 0) {
                h->session_profile[0] = '\0';
                pending = true;
        }
        if (h->expecting && strcmp(h->expect_profile, name) == 0) {
                h->expecting = false;
                pending = true;
        }
        int r = chair_persist_profile_remove(h->p, name);
        if (r < 0 && !(r == -ENOENT && pending))
                return r;
        forget_diary(h, name, session_theirs);
        log_info("Forgot owner profile \"%s\"%s", name, r < 0 ? " (the session under way will not create it)" : "");
        if (r < 0)
                return 0;       /* nothing on disk to rewrite */
        /* save_now() logs a failure itself; what the owner is told depends on
         * profiles.json alone (another state file failing is not this command's). */
        r = save_now(h);
        if (chair_persist_profiles_dirty(h->p) || chair_persist_usage_dirty(h->p))
                *ret_save = r < 0 ? r : -EIO;
        return 0;
}

/* ---- the pain diary (design C4, lib/diary.h) ---------------------------------------------- */

/* A profile a diary command may name: a stored one, or the session's under way
 * (a new profile is stored when its first session ends). */
static bool profile_known(struct chaird_history *h, const char *name) {
        return !name[0] || chair_persist_profile_find(h->p, name) ||
               (h->in_session && strcmp(h->session_profile, name) == 0) ||
               (h->expecting && strcmp(h->expect_profile, name) == 0);
}

static enum chair_err unknown_profile(const char *name, char *msg, size_t msg_size) {
        snprintf(msg, msg_size, "no profile \"%s\" (a profile is made by a session started under it)", name);
        return CHAIR_ERR_UNKNOWN_PROFILE;
}

static struct json_object *rated_event(const struct chair_cmd *cmd, enum chair_diary_phase phase,
                                       const struct chair_usage_record *u, bool pending) {
        struct json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        json_object_object_add(o, "event", json_object_new_string("rated"));
        json_object_object_add(o, "phase", json_object_new_string(chair_diary_phase_name(phase)));
        json_object_object_add(o, "pain", json_object_new_int(cmd->pain));
        if (cmd->zone[0])
                json_object_object_add(o, "zone", json_object_new_string(cmd->zone));
        json_object_object_add(o, "profile", cmd->profile[0] ? json_object_new_string(cmd->profile) : NULL);
        /* pending: a "before" waiting for the next start; else the session it belongs to */
        json_object_object_add(o, "pending", json_object_new_boolean(pending));
        if (u) {
                json_object_object_add(o, "program", json_object_new_string(u->program));
                json_object_object_add(o, "session_start", json_object_new_int64(u->start));
                if (u->has_before && u->has_after)
                        json_object_object_add(o, "change", json_object_new_int(u->pain_after - u->pain_before));
        }
        json_object_object_add(o, "ts", json_object_new_int64((int64_t) time(NULL)));
        return o;
}

enum chair_err chaird_history_rate(struct chaird_history *h, const struct chair_cmd *cmd,
                                   struct json_object **ret_event, char *msg, size_t msg_size) {
        struct chair_status st;
        size_t n, idx = 0;
        const struct chair_usage_record *log = chair_persist_usage_all(h->p, &n);
        enum chair_diary_phase phase = (enum chair_diary_phase) cmd->phase;

        *ret_event = NULL;
        if (!profile_known(h, cmd->profile))
                return unknown_profile(cmd->profile, msg, msg_size);
        chaird_status(h->d, &st);
        struct chair_diary_now now = {
                .now = (int64_t) time(NULL), .in_session = h->in_session,
                .ending = st.state == CHAIR_STATE_ENDING, .elapsed_s = st.elapsed_s,
                .session_profile = h->session_profile, .log = log, .n_log = n,
        };
        int r = chair_diary_place(&now, &phase, cmd->profile, &idx, msg, msg_size);
        if (r < 0)
                return CHAIR_ERR_NO_SESSION;

        struct chair_pending_rating rating = { .set = true, .pain = cmd->pain, .at = now.now };
        snprintf(rating.zone, sizeof(rating.zone), "%s", cmd->zone);
        snprintf(rating.profile, sizeof(rating.profile), "%s", cmd->profile);
        struct chair_usage_record cur = { .start = h->session_start };
        const struct chair_usage_record *u = NULL;

        switch (r) {
        case CHAIR_DIARY_TO_NEXT:
                chair_persist_set_pending_before(h->p, &rating);
                /* On disk before the reply says ok: a restart before the start keeps it. */
                if (save_now(h) < 0 && chair_persist_usage_dirty(h->p)) {
                        snprintf(msg, msg_size, "the rating is kept but could not be saved yet; retrying every minute");
                        return CHAIR_ERR_INTERNAL;
                }
                break;
        case CHAIR_DIARY_TO_CURRENT:
                if (phase == CHAIR_DIARY_BEFORE)
                        h->session_before = rating;
                else
                        h->session_after = rating;
                snprintf(cur.program, sizeof(cur.program), "%s", h->session_program);
                cur.has_before = h->session_before.set;
                cur.pain_before = h->session_before.pain;
                cur.has_after = h->session_after.set;
                cur.pain_after = h->session_after.pain;
                u = &cur;
                break;
        default: {         /* CHAIR_DIARY_TO_RECORD: an "after" for a session that ended */
                struct chair_usage_record rec = log[idx];
                rec.has_after = true;
                rec.pain_after = cmd->pain;
                if (cmd->zone[0])
                        snprintf(rec.zone, sizeof(rec.zone), "%s", cmd->zone);
                if (chair_persist_usage_update(h->p, idx, &rec) < 0) {
                        snprintf(msg, msg_size, "the session's record is gone");
                        return CHAIR_ERR_INTERNAL;
                }
                /* On disk before the reply says ok. */
                if (save_now(h) < 0 && chair_persist_usage_dirty(h->p)) {
                        snprintf(msg, msg_size, "the rating is kept but could not be saved yet; retrying every minute");
                        return CHAIR_ERR_INTERNAL;
                }
                u = chair_persist_usage(h->p, idx);
                break;
        }
        }
        log_info("Pain rated %d (%s%s%s%s)", cmd->pain, chair_diary_phase_name(phase), cmd->profile[0] ? ", " : "",
                 cmd->profile, r == CHAIR_DIARY_TO_NEXT ? ", for the next session" : "");
        *ret_event = rated_event(cmd, phase, u, r == CHAIR_DIARY_TO_NEXT);
        return CHAIR_OK;
}

enum chair_err chaird_history_diary(struct chaird_history *h, const struct chair_cmd *cmd,
                                    struct json_object **ret, char *msg, size_t msg_size) {
        size_t n;
        const struct chair_usage_record *log = chair_persist_usage_all(h->p, &n);

        *ret = NULL;
        if (!profile_known(h, cmd->profile))
                return unknown_profile(cmd->profile, msg, msg_size);
        *ret = chair_diary_history_json(log, n, cmd->profile, (int64_t) time(NULL), cmd->days);
        if (!*ret) {
                snprintf(msg, msg_size, "out of memory");
                return CHAIR_ERR_INTERNAL;
        }
        return CHAIR_OK;
}

enum chair_err chaird_history_suggest(struct chaird_history *h, const struct chair_cmd *cmd,
                                      struct chair_diary_suggestion *s, char *msg, size_t msg_size) {
        const struct chair_config *cfg = chaird_config(h->d);
        struct chair_diary_limits lim = {
                .progs = chaird_programs(h->d),
                .max_minutes = cfg->safety.max_session_min,
                .has_heater = cfg->hardware.outputs[CHAIR_ACT_HEATER].present,
        };
        size_t n;
        const struct chair_usage_record *log = chair_persist_usage_all(h->p, &n);

        if (!profile_known(h, cmd->profile))
                return unknown_profile(cmd->profile, msg, msg_size);
        chair_diary_suggest(log, n, cmd->profile, (int64_t) time(NULL), &lim, s);
        return CHAIR_OK;
}

int chaird_history_new(struct chaird *d, struct chaird_history **ret) {
        const struct chair_config *cfg = chaird_config(d);
        struct chaird_history *h = calloc(1, sizeof(*h));
        char msg[1024];
        int r;

        if (!h)
                return log_error_errno(-ENOMEM, "Out of memory");
        h->d = d;
        r = chair_persist_new(chair_config_state_dir(cfg), &h->p);
        if (r < 0) {
                free(h);
                return log_error_errno(r, "Out of memory");
        }
        r = chair_persist_load(h->p, msg, sizeof(msg));
        if (r < 0) {
                chaird_history_free(h);
                return log_error_errno(r, "Failed to load the state");
        }
        if (r > 0)
                log_warning("%s", msg);
        h->base = *chair_persist_counters(h->p);
        log_info("state in %s: %llu sessions, %u faults in the history, %zu usage records, %u profiles",
                 chair_persist_dir(h->p), (unsigned long long) h->base.sessions, chair_persist_n_faults(h->p),
                 chair_persist_n_usage(h->p), chair_persist_n_profiles(h->p));

        r = sd_event_add_time_relative(chaird_event_loop(d), &h->timer, CLOCK_MONOTONIC, SAVE_PERIOD_US,
                                       1000000, on_timer, h);
        if (r < 0) {
                chaird_history_free(h);
                return log_error_errno(r, "Failed to set up the state save timer");
        }
        struct chaird_listener l = { .event = on_event, .status = on_status, .userdata = h };
        r = chaird_add_listener(d, &l);
        if (r < 0) {
                chaird_history_free(h);
                return log_error_errno(r, "Failed to register the history listener");
        }
        *ret = h;
        return 0;
}

struct chaird_history *chaird_history_free(struct chaird_history *h) {
        if (!h)
                return NULL;
        h->timer = sd_event_source_disable_unref(h->timer);
        if (h->p) {
                save_now(h);
                chair_persist_free(h->p);
        }
        free(h);
        return NULL;
}
