/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The pain diary (design C4): pain ratings before and after sessions, the
 * history per program, and a suggestion drawn from the owner's own history.
 *
 * Pure functions over the usage log (struct chair_usage_record, lib/persist.h,
 * where the ratings are stored): no I/O, no clock, no logging; the caller
 * passes "now".  The daemon (daemon/history.c) keeps the log and calls these.
 * The method is documented for owners in docs/pain-diary.md; change both
 * together.  A comfort aid, not medical advice.
 *
 * Profiles: a rating, history or suggestion names a profile, or none ("" or
 * NULL); "none" is the diary of the sessions started without a profile.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "persist.h"

struct chair_programs;
struct json_object;

#define CHAIR_DIARY_PAIN_MAX 10                 /* numeric rating scale 0..10 */
#define CHAIR_DIARY_BEFORE_WAIT_S (30 * 60)     /* a "before" given while idle waits this long for a start */
#define CHAIR_DIARY_BEFORE_IN_SESSION_S (5 * 60) /* or it is given in the session's first 5 minutes */
#define CHAIR_DIARY_AFTER_WINDOW_S (60 * 60)    /* an "after" is given while the session ends or up to 60 min later */
#define CHAIR_DIARY_MIN_RATED 3                 /* rated sessions before any suggestion */
#define CHAIR_DIARY_MIN_COMBO 2                 /* rated sessions of one setting before it can be suggested */
#define CHAIR_DIARY_HALF_LIFE_DAYS 30.0         /* a session's weight halves for every full 30 days of age */
#define CHAIR_DIARY_TREND 3                     /* sessions compared for the worsening flag */
#define CHAIR_DIARY_PROGRAMS_MAX 32             /* programs listed in a history */
#define CHAIR_DIARY_COMBOS_MAX 128              /* settings compared by a suggestion */

enum chair_diary_phase {
        CHAIR_DIARY_BEFORE,
        CHAIR_DIARY_AFTER,
        CHAIR_DIARY_AUTO,          /* whichever window is open (Home Assistant's number) */
};

const char *chair_diary_phase_name(enum chair_diary_phase p);   /* "before", "after", "auto" */
int chair_diary_phase_from_name(const char *s);                  /* -EINVAL when unknown */
/* The lumbar and sacral landmarks a rating may name: L1..L5, S1. */
bool chair_diary_zone_valid(const char *zone);

/* A session with both ratings. */
bool chair_diary_rated(const struct chair_usage_record *u);
/* When the session ended: u->end, or start + minutes for records written before version 2. */
int64_t chair_diary_end(const struct chair_usage_record *u);
/* u belongs to profile (NULL or "" = the sessions without one). */
bool chair_diary_of_profile(const struct chair_usage_record *u, const char *profile);

/* What the chair is doing when a rating arrives. */
struct chair_diary_now {
        int64_t now;                       /* Unix seconds */
        bool in_session;                   /* a session is under way (scanning .. ending) */
        bool ending;                       /* and in its closing phase */
        double elapsed_s;                  /* its massage time so far */
        const char *session_profile;       /* its profile, "" or NULL = none */
        const struct chair_usage_record *log;   /* the usage log, oldest first */
        size_t n_log;
};

enum chair_diary_target {
        CHAIR_DIARY_TO_NEXT,       /* a "before" kept for the next start (within CHAIR_DIARY_BEFORE_WAIT_S) */
        CHAIR_DIARY_TO_CURRENT,    /* the session under way */
        CHAIR_DIARY_TO_RECORD,     /* the usage record *ret_index (a session that ended) */
};

/*
 * Where a rating for profile goes.  *phase is resolved when it is AUTO.
 * A rating without a profile fits any session; one with a profile only that
 * profile's sessions.  Returns the target (>= 0), or -ESRCH when no session is
 * in the phase's window (msg says which window), with msg filled.
 */
int chair_diary_place(const struct chair_diary_now *s, enum chair_diary_phase *phase, const char *profile,
                      size_t *ret_index, char *msg, size_t msg_size);

/* A "before" rated at rated_at still applies to a session started at start: up to
 * CHAIR_DIARY_BEFORE_WAIT_S later (and a minute earlier, for a clock that stepped). */
bool chair_diary_before_applies(int64_t rated_at, int64_t start);

/* Median of the changes (after − before) of n values in -10..10. */
double chair_diary_median(const int *change, size_t n);

struct chair_diary_program_stat {
        char program[CHAIR_PERSIST_PROGRAM_MAX];
        unsigned sessions;         /* rated sessions in the period */
        double median_change;      /* after − before: negative = relief */
};

struct chair_diary_history {
        unsigned rated;            /* rated sessions of the profile in the period */
        unsigned n_programs;       /* by program id */
        struct chair_diary_program_stat programs[CHAIR_DIARY_PROGRAMS_MAX];
        /* Over the profile's last rated sessions, whatever the period:
         * pain after > before in 2 of the last 3, or the pain before the last 3
         * (median) 2 points or more above the 3 before them. */
        bool worsening;
        char worsening_reason[200];
};

/* Rated sessions of profile that started within days before now. */
bool chair_diary_in_period(const struct chair_usage_record *u, const char *profile, int64_t now, unsigned days);
void chair_diary_history(const struct chair_usage_record *log, size_t n, const char *profile, int64_t now,
                         unsigned days, struct chair_diary_history *h);

struct chair_diary_limits {
        const struct chair_programs *progs;   /* suggestions name only these programs */
        unsigned max_minutes;                 /* safety.max_session_min */
        bool has_heater;
};

struct chair_diary_suggestion {
        bool found;                /* false: program null, reason says why */
        char program[CHAIR_PERSIST_PROGRAM_MAX];
        unsigned minutes;          /* 1..max_minutes */
        int intensity;             /* 1..5 */
        bool heat;
        double relief;             /* recency-weighted median of (before − after), points */
        unsigned based_on;         /* rated sessions of that setting (found), else all rated sessions */
        unsigned rated;            /* rated sessions of the profile */
        bool worsening;
        char reason[400];
};

/*
 * The setting (program, intensity, heat) with the largest recency-weighted
 * median relief over at least CHAIR_DIARY_MIN_COMBO rated sessions, among
 * programs that still exist; nothing while fewer than CHAIR_DIARY_MIN_RATED
 * sessions are rated or when no setting eased the pain.  Ties go to the
 * gentler setting: lower intensity, then without heat, then fewer minutes,
 * then more sessions, then the program id.  Minutes: the setting's median
 * minutes given, within 1..max_minutes.  Deterministic: the same log and now
 * give the same suggestion.
 */
void chair_diary_suggest(const struct chair_usage_record *log, size_t n, const char *profile, int64_t now,
                         const struct chair_diary_limits *lim, struct chair_diary_suggestion *s);

/* Reply members (docs/mqtt.md).  Return a new object, or NULL when out of memory.
 * history: {"profile","days","sessions":[{"start","end","program","minutes","intensity",
 * "heat","pain_before","pain_after","change","zone"}] (oldest first, the newest
 * CHAIR_DIARY_LIST_MAX), "programs":[{"program","sessions","median_change"}],
 * "rated","worsening","worsening_reason"}. */
#define CHAIR_DIARY_LIST_MAX 500
struct json_object *chair_diary_history_json(const struct chair_usage_record *log, size_t n, const char *profile,
                                             int64_t now, unsigned days);
/* {"program","minutes","intensity","heat","reason","based_on","relief","rated","worsening"},
 * program null (and no minutes, intensity, heat, relief) when !found. */
struct json_object *chair_diary_suggestion_json(const struct chair_diary_suggestion *s);
