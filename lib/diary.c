/* SPDX-License-Identifier: MIT */
/*
 * The pain diary: windows, medians, the worsening flag and the suggestion
 * method (docs/pain-diary.md explains them to owners).
 *
 * Pain ratings are whole numbers 0..10, so a change (after − before) is one
 * of 21 values: medians come from a 21-bucket histogram, with no sorting and
 * no allocation, and a weighted median is the same walk with weights.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "command.h"
#include "diary.h"
#include "json-util.h"
#include "program.h"

#define N_CHANGES (2 * CHAIR_DIARY_PAIN_MAX + 1)   /* -10..10 */
#define DAY_S 86400
#define EPS 1e-9

static const char *const phase_names[] = {
        [CHAIR_DIARY_BEFORE] = "before",
        [CHAIR_DIARY_AFTER] = "after",
        [CHAIR_DIARY_AUTO] = "auto",
};

const char *chair_diary_phase_name(enum chair_diary_phase p) {
        return (unsigned) p <= CHAIR_DIARY_AUTO ? phase_names[p] : NULL;
}

int chair_diary_phase_from_name(const char *s) {
        for (int i = 0; s && i <= CHAIR_DIARY_AUTO; i++)
                if (strcmp(s, phase_names[i]) == 0)
                        return i;
        return -EINVAL;
}

bool chair_diary_zone_valid(const char *zone) {
        static const char *const zones[] = { "L1", "L2", "L3", "L4", "L5", "S1" };
        for (size_t i = 0; zone && i < sizeof(zones) / sizeof(zones[0]); i++)
                if (strcmp(zone, zones[i]) == 0)
                        return true;
        return false;
}

bool chair_diary_rated(const struct chair_usage_record *u) {
        return u->has_before && u->has_after;
}

int64_t chair_diary_end(const struct chair_usage_record *u) {
        if (u->end > 0)
                return u->end;
        return u->start + (int64_t) lround(u->minutes * 60.0);
}

bool chair_diary_of_profile(const struct chair_usage_record *u, const char *profile) {
        return strcmp(u->profile, profile ? profile : "") == 0;
}

__attribute__((format(printf, 3, 4)))
static int refuse(char *msg, size_t size, const char *fmt, ...) {
        if (msg && size) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(msg, size, fmt, ap);
                va_end(ap);
        }
        return -ESRCH;
}

/* The newest ended session of profile (any, for none) whose "after" window is open. */
static bool after_record(const struct chair_diary_now *s, const char *profile, size_t *ret) {
        for (size_t i = s->n_log; i-- > 0;) {
                const struct chair_usage_record *u = &s->log[i];
                int64_t end = chair_diary_end(u);
                if (end > s->now)
                        continue;          /* the clock went back: not a session after this one */
                if (s->now - end > CHAIR_DIARY_AFTER_WINDOW_S)
                        return false;      /* older ones ended even earlier */
                if (profile && *profile && !chair_diary_of_profile(u, profile))
                        continue;
                *ret = i;
                return true;
        }
        return false;
}

int chair_diary_place(const struct chair_diary_now *s, enum chair_diary_phase *phase, const char *profile,
                      size_t *ret_index, char *msg, size_t msg_size) {
        bool named = profile && *profile;
        const char *sp = s->session_profile ? s->session_profile : "";
        size_t idx = 0;

        if (msg && msg_size)
                msg[0] = '\0';
        if (s->in_session && named && strcmp(sp, profile) != 0)
                return refuse(msg, msg_size, "the session under way is not %s's: rate it without a profile or "
                              "under its own", profile);
        if (*phase == CHAIR_DIARY_AUTO) {
                if (s->in_session)
                        *phase = s->ending || s->elapsed_s > CHAIR_DIARY_BEFORE_IN_SESSION_S ? CHAIR_DIARY_AFTER
                                                                                              : CHAIR_DIARY_BEFORE;
                else
                        *phase = after_record(s, profile, &idx) && !s->log[idx].has_after ? CHAIR_DIARY_AFTER
                                                                                          : CHAIR_DIARY_BEFORE;
        }
        if (*phase == CHAIR_DIARY_BEFORE) {
                if (!s->in_session)
                        return CHAIR_DIARY_TO_NEXT;
                if (s->elapsed_s <= CHAIR_DIARY_BEFORE_IN_SESSION_S)
                        return CHAIR_DIARY_TO_CURRENT;
                return refuse(msg, msg_size, "a \"before\" rating is given before a start or in the session's "
                              "first %d minutes; this session has run %.0f minutes",
                              CHAIR_DIARY_BEFORE_IN_SESSION_S / 60, s->elapsed_s / 60.0);
        }
        if (s->in_session) {
                if (s->ending)
                        return CHAIR_DIARY_TO_CURRENT;
                return refuse(msg, msg_size, "an \"after\" rating is given while the session ends or within %d "
                              "minutes after it; this session is still running", CHAIR_DIARY_AFTER_WINDOW_S / 60);
        }
        if (!after_record(s, profile, &idx))
                return refuse(msg, msg_size, "no session%s%s ended in the last %d minutes to rate \"after\"",
                              named ? " of " : "", named ? profile : "", CHAIR_DIARY_AFTER_WINDOW_S / 60);
        *ret_index = idx;
        return CHAIR_DIARY_TO_RECORD;
}

bool chair_diary_before_applies(int64_t rated_at, int64_t start) {
        return start >= rated_at - 60 && start - rated_at <= CHAIR_DIARY_BEFORE_WAIT_S;
}

/* ---- medians over the 21 possible changes ---------------------------------------------- */

/* The weighted median of a histogram w[0..N_CHANGES) of values -10..10: the
 * value where the cumulative weight reaches half; on an exact half, the mean
 * of that value and the next one with weight.  Equal weights give the plain
 * median (the mean of the two middle values for an even count). */
static double hist_median(const double *w) {
        double total = 0, cum = 0;
        for (int i = 0; i < N_CHANGES; i++)
                total += w[i];
        if (total <= 0)
                return 0;
        for (int i = 0; i < N_CHANGES; i++) {
                if (w[i] <= 0)
                        continue;
                cum += w[i];
                if (cum + EPS * total < total / 2)
                        continue;
                double v = i - CHAIR_DIARY_PAIN_MAX;
                if (fabs(cum - total / 2) <= EPS * total)
                        for (int j = i + 1; j < N_CHANGES; j++)
                                if (w[j] > 0)
                                        return (v + (j - CHAIR_DIARY_PAIN_MAX)) / 2;
                return v;
        }
        return 0;
}

static int bucket(int change) {
        if (change < -CHAIR_DIARY_PAIN_MAX)
                change = -CHAIR_DIARY_PAIN_MAX;
        if (change > CHAIR_DIARY_PAIN_MAX)
                change = CHAIR_DIARY_PAIN_MAX;
        return change + CHAIR_DIARY_PAIN_MAX;
}

double chair_diary_median(const int *change, size_t n) {
        double w[N_CHANGES] = { 0 };
        for (size_t i = 0; i < n; i++)
                w[bucket(change[i])] += 1;
        return hist_median(w);
}

static int change_of(const struct chair_usage_record *u) {
        return u->pain_after - u->pain_before;
}

/* ---- history ----------------------------------------------------------------------------- */

bool chair_diary_in_period(const struct chair_usage_record *u, const char *profile, int64_t now, unsigned days) {
        return chair_diary_rated(u) && chair_diary_of_profile(u, profile) && u->start <= now &&
               now - u->start <= (int64_t) days * DAY_S;
}

static double median3(int a, int b, int c) {
        int v[3] = { a, b, c };
        return chair_diary_median(v, 3);
}

static void worsening(const struct chair_usage_record *log, size_t n, const char *profile,
                      struct chair_diary_history *h) {
        const struct chair_usage_record *last[2 * CHAIR_DIARY_TREND];   /* newest first */
        unsigned k = 0;

        for (size_t i = n; i-- > 0 && k < 2 * CHAIR_DIARY_TREND;)
                if (chair_diary_rated(&log[i]) && chair_diary_of_profile(&log[i], profile))
                        last[k++] = &log[i];
        if (k >= CHAIR_DIARY_TREND) {
                unsigned worse = 0;
                for (unsigned i = 0; i < CHAIR_DIARY_TREND; i++)
                        worse += change_of(last[i]) > 0;
                if (worse >= 2) {
                        h->worsening = true;
                        snprintf(h->worsening_reason, sizeof(h->worsening_reason),
                                 "your pain was worse after the session than before in %u of your last %d "
                                 "rated sessions", worse, CHAIR_DIARY_TREND);
                        return;
                }
        }
        if (k == 2 * CHAIR_DIARY_TREND) {
                double recent = median3(last[0]->pain_before, last[1]->pain_before, last[2]->pain_before);
                double earlier = median3(last[3]->pain_before, last[4]->pain_before, last[5]->pain_before);
                if (recent - earlier >= 2) {
                        h->worsening = true;
                        snprintf(h->worsening_reason, sizeof(h->worsening_reason),
                                 "your pain before a session rose from %g to %g points (median of 3 sessions "
                                 "each) over your last %d rated sessions", earlier, recent, 2 * CHAIR_DIARY_TREND);
                }
        }
}

void chair_diary_history(const struct chair_usage_record *log, size_t n, const char *profile, int64_t now,
                         unsigned days, struct chair_diary_history *h) {
        /* One histogram per program: 32 × 21 doubles on the stack. */
        double w[CHAIR_DIARY_PROGRAMS_MAX][N_CHANGES];

        memset(h, 0, sizeof(*h));
        memset(w, 0, sizeof(w));
        for (size_t i = 0; i < n; i++) {
                const struct chair_usage_record *u = &log[i];
                if (!chair_diary_in_period(u, profile, now, days))
                        continue;
                h->rated++;
                unsigned k = 0;
                while (k < h->n_programs && strcmp(h->programs[k].program, u->program) != 0)
                        k++;
                if (k == h->n_programs) {
                        if (k == CHAIR_DIARY_PROGRAMS_MAX)
                                continue;  /* listed in sessions, left out of the per-program figures */
                        snprintf(h->programs[k].program, sizeof(h->programs[k].program), "%s", u->program);
                        h->n_programs++;
                }
                h->programs[k].sessions++;
                w[k][bucket(change_of(u))] += 1;
        }
        for (unsigned k = 0; k < h->n_programs; k++)
                h->programs[k].median_change = hist_median(w[k]);
        /* By program id: the same order whatever order the sessions came in. */
        for (unsigned i = 1; i < h->n_programs; i++)
                for (unsigned j = i; j > 0 && strcmp(h->programs[j].program, h->programs[j - 1].program) < 0; j--) {
                        struct chair_diary_program_stat t = h->programs[j];
                        h->programs[j] = h->programs[j - 1];
                        h->programs[j - 1] = t;
                }
        worsening(log, n, profile, h);
}

/* ---- suggestion -------------------------------------------------------------------------- */

struct combo {
        const char *program;
        int intensity;
        bool heat;
        unsigned sessions;
        double w[N_CHANGES];       /* recency weights per relief value (before − after) */
        unsigned minutes[CHAIR_CMD_MAX_MINUTES + 1];
        double relief;
        unsigned median_minutes;
};

static unsigned median_minutes(const unsigned *m, unsigned n) {
        unsigned cum = 0;
        for (unsigned v = 0; v <= CHAIR_CMD_MAX_MINUTES; v++) {
                cum += m[v];
                if (2 * cum >= n)
                        return v;  /* the lower median: the shorter of two middle values */
        }
        return CHAIR_CMD_MAX_MINUTES;
}

/* a better than b: more relief; on a tie the gentler setting. */
static bool better(const struct combo *a, const struct combo *b) {
        if (fabs(a->relief - b->relief) > EPS)
                return a->relief > b->relief;
        if (a->intensity != b->intensity)
                return a->intensity < b->intensity;
        if (a->heat != b->heat)
                return !a->heat;
        if (a->median_minutes != b->median_minutes)
                return a->median_minutes < b->median_minutes;
        if (a->sessions != b->sessions)
                return a->sessions > b->sessions;
        return strcmp(a->program, b->program) < 0;
}

static const char *program_name(const struct chair_programs *progs, const char *id) {
        int i = progs ? chair_programs_find(progs, id) : -1;
        if (i < 0)
                return id;
        return progs->v[i].name && *progs->v[i].name ? progs->v[i].name : id;
}

static void append(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t size, const char *fmt, ...) {
        size_t len = strnlen(buf, size);
        if (len + 1 >= size)
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf + len, size - len, fmt, ap);
        va_end(ap);
}

/* "3", "2.5": the figure as an owner would say it. */
static void points(char *buf, size_t size, double v) {
        snprintf(buf, size, "%g", round(v * 10.0) / 10.0);
}

void chair_diary_suggest(const struct chair_usage_record *log, size_t n, const char *profile, int64_t now,
                         const struct chair_diary_limits *lim, struct chair_diary_suggestion *s) {
        struct combo combos[CHAIR_DIARY_COMBOS_MAX];   /* ~42 KiB of stack: the main thread's, never the tick's */
        unsigned n_combos = 0;
        struct chair_diary_history h;

        memset(s, 0, sizeof(*s));
        chair_diary_history(log, n, profile, now, UINT32_MAX / DAY_S, &h);
        s->rated = h.rated;
        s->worsening = h.worsening;

        for (size_t i = 0; i < n; i++) {
                const struct chair_usage_record *u = &log[i];
                if (!chair_diary_rated(u) || !chair_diary_of_profile(u, profile) || u->intensity < 1 ||
                    u->start > now)
                        continue;
                unsigned k = 0;
                while (k < n_combos && !(strcmp(combos[k].program, u->program) == 0 &&
                                         combos[k].intensity == u->intensity && combos[k].heat == u->heat))
                        k++;
                if (k == n_combos) {
                        /* checked once per setting: a program gone from the chair is left out */
                        if (k == CHAIR_DIARY_COMBOS_MAX || !lim->progs || chair_programs_find(lim->progs, u->program) < 0)
                                continue;
                        memset(&combos[k], 0, sizeof(combos[k]));
                        combos[k].program = u->program;
                        combos[k].intensity = u->intensity;
                        combos[k].heat = u->heat;
                        n_combos++;
                }
                struct combo *c = &combos[k];
                /* Whole periods: the sessions of the last 30 days weigh the same (so
                 * their median is the plain one the reason quotes), each older
                 * period half as much as the one after it. */
                double periods = floor((double) (now - u->start) / DAY_S / CHAIR_DIARY_HALF_LIFE_DAYS);
                c->w[bucket(u->pain_before - u->pain_after)] += ldexp(1.0, -(int) fmin(periods, 1000));
                long m = lround(u->minutes);
                c->minutes[m < 1 ? 1 : m > CHAIR_CMD_MAX_MINUTES ? CHAIR_CMD_MAX_MINUTES : m]++;
                c->sessions++;
        }

        const struct combo *best = NULL;
        for (unsigned k = 0; k < n_combos; k++) {
                struct combo *c = &combos[k];
                c->relief = hist_median(c->w);
                c->median_minutes = median_minutes(c->minutes, c->sessions);
                if (c->sessions >= CHAIR_DIARY_MIN_COMBO && (!best || better(c, best)))
                        best = c;
        }

        s->based_on = h.rated;
        if (h.rated < CHAIR_DIARY_MIN_RATED)
                snprintf(s->reason, sizeof(s->reason), "Rate your pain before and after at least %d sessions for a "
                         "suggestion; %u rated so far.", CHAIR_DIARY_MIN_RATED, h.rated);
        else if (!best)
                snprintf(s->reason, sizeof(s->reason), "No setting has been rated in %d sessions yet: repeat a "
                         "program you liked at the same intensity and heat, and rate it before and after.",
                         CHAIR_DIARY_MIN_COMBO);
        else if (best->relief <= 0)
                snprintf(s->reason, sizeof(s->reason), "None of the settings you rated has eased your pain so far "
                         "(%u rated sessions). If your pain does not ease, please see a clinician.", h.rated);
        else {
                char fig[16];
                s->found = true;
                snprintf(s->program, sizeof(s->program), "%s", best->program);
                s->intensity = best->intensity;
                s->heat = best->heat && lim->has_heater;
                unsigned max = lim->max_minutes ? lim->max_minutes : 1;
                s->minutes = best->median_minutes < 1 ? 1 : best->median_minutes > max ? max : best->median_minutes;
                s->relief = best->relief;
                s->based_on = best->sessions;
                points(fig, sizeof(fig), best->relief);
                snprintf(s->reason, sizeof(s->reason), "%s at intensity %d %s heat eased your pain by %s point%s on "
                         "average over %u sessions.", program_name(lim->progs, best->program), best->intensity,
                         best->heat ? "with" : "without", fig, strcmp(fig, "1") == 0 ? "" : "s", best->sessions);
        }
        if (h.worsening)
                append(s->reason, sizeof(s->reason), " Your pain has been getting worse lately (%s): please see a "
                       "clinician.", h.worsening_reason);
}

/* ---- JSON -------------------------------------------------------------------------------- */

static struct json_object *num(double v) {
        return json_object_new_double(round(v * 10.0) / 10.0);
}

static struct json_object *session_json(const struct chair_usage_record *u) {
        struct json_object *x = json_object_new_object();
        int r = 0;
        if (!x)
                return NULL;
        r |= chair_json_add(x, "start", json_object_new_int64(u->start));
        r |= chair_json_add(x, "end", json_object_new_int64(chair_diary_end(u)));
        r |= chair_json_add(x, "program", json_object_new_string(u->program));
        r |= chair_json_add(x, "minutes", num(u->minutes));
        if (u->intensity > 0) {
                r |= chair_json_add(x, "intensity", json_object_new_int(u->intensity));
                r |= chair_json_add(x, "heat", json_object_new_boolean(u->heat));
        }
        r |= chair_json_add(x, "pain_before", json_object_new_int(u->pain_before));
        r |= chair_json_add(x, "pain_after", json_object_new_int(u->pain_after));
        r |= chair_json_add(x, "change", json_object_new_int(change_of(u)));
        if (u->zone[0])
                r |= chair_json_add(x, "zone", json_object_new_string(u->zone));
        if (r) {
                json_object_put(x);
                return NULL;
        }
        return x;
}

struct json_object *chair_diary_history_json(const struct chair_usage_record *log, size_t n, const char *profile,
                                             int64_t now, unsigned days) {
        struct chair_diary_history h;
        struct json_object *o = json_object_new_object(), *a = json_object_new_array(), *pa = json_object_new_array();
        int r = 0;

        if (!o || !a || !pa)
                goto fail;
        chair_diary_history(log, n, profile, now, days, &h);
        /* The newest CHAIR_DIARY_LIST_MAX, listed oldest first. */
        size_t first = 0;
        for (size_t i = n, k = 0; i-- > 0;)
                if (chair_diary_in_period(&log[i], profile, now, days) && ++k == CHAIR_DIARY_LIST_MAX) {
                        first = i;
                        break;
                }
        for (size_t i = first; i < n && r == 0; i++)
                if (chair_diary_in_period(&log[i], profile, now, days))
                        r |= chair_json_append(a, session_json(&log[i]));
        for (unsigned k = 0; k < h.n_programs && r == 0; k++) {
                struct json_object *x = json_object_new_object();
                if (!x)
                        goto fail;
                r |= chair_json_add(x, "program", json_object_new_string(h.programs[k].program));
                r |= chair_json_add(x, "sessions", json_object_new_int((int) h.programs[k].sessions));
                r |= chair_json_add(x, "median_change", num(h.programs[k].median_change));
                r |= chair_json_append(pa, x);
        }
        if (profile && *profile)
                r |= chair_json_add(o, "profile", json_object_new_string(profile));
        else
                json_object_object_add(o, "profile", NULL);     /* JSON null */
        r |= chair_json_add(o, "days", json_object_new_int((int) days));
        r |= chair_json_add(o, "rated", json_object_new_int((int) h.rated));
        r |= chair_json_add(o, "sessions", a);
        a = NULL;
        r |= chair_json_add(o, "programs", pa);
        pa = NULL;
        r |= chair_json_add(o, "worsening", json_object_new_boolean(h.worsening));
        if (h.worsening)
                r |= chair_json_add(o, "worsening_reason", json_object_new_string(h.worsening_reason));
        if (r)
                goto fail;
        return o;
fail:
        json_object_put(a);
        json_object_put(pa);
        json_object_put(o);
        return NULL;
}

struct json_object *chair_diary_suggestion_json(const struct chair_diary_suggestion *s) {
        struct json_object *o = json_object_new_object();
        int r = 0;
        if (!o)
                return NULL;
        if (s->found) {
                r |= chair_json_add(o, "program", json_object_new_string(s->program));
                r |= chair_json_add(o, "minutes", json_object_new_int((int) s->minutes));
                r |= chair_json_add(o, "intensity", json_object_new_int(s->intensity));
                r |= chair_json_add(o, "heat", json_object_new_boolean(s->heat));
                r |= chair_json_add(o, "relief", num(s->relief));
        } else
                json_object_object_add(o, "program", NULL);     /* JSON null */
        r |= chair_json_add(o, "reason", json_object_new_string(s->reason));
        r |= chair_json_add(o, "based_on", json_object_new_int((int) s->based_on));
        r |= chair_json_add(o, "rated", json_object_new_int((int) s->rated));
        r |= chair_json_add(o, "worsening", json_object_new_boolean(s->worsening));
        if (r) {
                json_object_put(o);
                return NULL;
        }
        return o;
}
