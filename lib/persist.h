/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Persistent state in the state directory (chair_config_state_dir()):
 *
 *   counters.json   wear counters (struct chair_counters, see counters.h)
 *   history.json    the last CHAIR_FAULT_HISTORY_MAX faults and the last
 *                   CHAIR_SELFTEST_HISTORY_MAX self-test results
 *   usage.json      one record per session (start, program, minutes, ended how)
 *   profiles.json   owner profiles (preferred program, intensity, heat, last scan)
 *
 * Each file is a JSON object with "version": CHAIR_PERSIST_VERSION.  Files are
 * written atomically: the content goes to "<name>.tmp" in the same directory,
 * is fsync()ed, renamed over "<name>", and the directory is fsync()ed, so a
 * crash or power loss at any point leaves the old or the new file, never a
 * mix (tests/test-persist.c kills a writer at over a thousand random points).
 *
 * A file that cannot be parsed or holds invalid values is renamed aside as
 * "<name>.corrupt-YYYYmmddTHHMMSS" (".N" appended if that exists), its part of
 * the state starts from defaults, and chair_persist_load() says so in one
 * message for the caller to log.  Loading never stops the daemon.
 *
 * Thread rules: a struct chair_persist belongs to the main thread.  Loading
 * and saving do file I/O with fsync(): never call them from the control
 * thread.  Only one process may use a state directory at a time (the temporary
 * file name is fixed; a stale one left by a crash is removed at load).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"

#define CHAIR_PERSIST_VERSION 1
/* usage.json alone is at version 2 (pain diary fields); version 1 files still load. */
#define CHAIR_USAGE_VERSION 2
#define CHAIR_FAULT_HISTORY_MAX 64
#define CHAIR_SELFTEST_HISTORY_MAX 16
#define CHAIR_USAGE_MAX 4096            /* oldest sessions drop out beyond this (years of daily use) */
#define CHAIR_PROFILES_MAX 16
#define CHAIR_PROFILE_NAME_MAX 32       /* bytes including the NUL */
#define CHAIR_PERSIST_PROGRAM_MAX 64    /* program id, including the NUL */

struct chair_fault_record {
        int64_t time;              /* Unix seconds */
        char code[32];             /* chair_fault_code() */
        char message[160];
        char context[160];         /* what the chair was doing: "state=running program=... carriage_mm=..." */
};

struct chair_selftest_record {
        int64_t time;
        bool passed;
        char summary[256];         /* "carriage=fail(no encoder pulses) depth=pass ..." */
};

struct chair_usage_record {
        int64_t start;             /* Unix seconds */
        char program[CHAIR_PERSIST_PROGRAM_MAX];
        float minutes;             /* massage time actually given */
        char ended[16];            /* chair_end_reason_name(): completed, stopped, fault, left, shutdown */
        char profile[CHAIR_PROFILE_NAME_MAX];   /* "" when none */
        /* The pain diary (lib/diary.h), usage.json version 2; zero = unknown /
         * not rated, so a record built as { .start = ... } means no rating.  A
         * version 1 file loads with these zero. */
        int64_t end;               /* Unix seconds the session ended; 0 = unknown (start + minutes) */
        int8_t intensity;          /* 1..5 at the session's end, 0 = unknown */
        bool heat;                 /* heat was on (meaningful when intensity != 0) */
        bool has_before, has_after;
        int8_t pain_before;        /* 0..10 (numeric rating scale), when has_before */
        int8_t pain_after;         /* 0..10, when has_after */
        char zone[4];              /* "L1".."S1" the owner rated, "" = none given */
};

/* A pain rating waiting for its session (lib/diary.h): a "before" given while
 * idle, kept in usage.json ("pending_before") so a restart does not lose it. */
struct chair_pending_rating {
        bool set;
        int8_t pain;               /* 0..10 */
        char zone[4];              /* "" = none */
        char profile[CHAIR_PROFILE_NAME_MAX];   /* "" = fits any session */
        int64_t at;                /* Unix seconds it was given */
};

struct chair_profile {
        char name[CHAIR_PROFILE_NAME_MAX];      /* 1..31 bytes, no control characters */
        char program[CHAIR_PERSIST_PROGRAM_MAX];/* preferred program id, "" = none */
        int8_t intensity;          /* 1..5, 0 = not set */
        int8_t heat;               /* 0/1, -1 = not set */
        float shoulder_mm;         /* last body scan, 0 = none yet */
};

#define CHAIR_USAGE_DAYS 30
#define CHAIR_USAGE_TOP_PROGRAMS 8

/* Usage over the last CHAIR_USAGE_DAYS local days (index CHAIR_USAGE_DAYS-1 is today). */
struct chair_usage_summary {
        int64_t day_start[CHAIR_USAGE_DAYS];    /* local midnight, Unix seconds */
        float day_minutes[CHAIR_USAGE_DAYS];
        unsigned day_sessions[CHAIR_USAGE_DAYS];
        unsigned n_programs;                    /* most-used first */
        struct {
                char program[CHAIR_PERSIST_PROGRAM_MAX];
                float minutes;
                unsigned sessions;
        } programs[CHAIR_USAGE_TOP_PROGRAMS];
        float other_minutes;                    /* programs beyond the top ones */
        float total_minutes;
        unsigned sessions;
};

struct chair_persist;

/* dir: the state directory (copied).  Nothing is read until chair_persist_load(). */
int chair_persist_new(const char *dir, struct chair_persist **ret);
struct chair_persist *chair_persist_free(struct chair_persist *p);   /* accepts NULL, returns NULL */

const char *chair_persist_dir(const struct chair_persist *p);

/*
 * Read every file.  Missing files (first start) are defaults, silently; the
 * directory is created (mode 0750) if it is missing.  Returns 0 when all is
 * well, or the number (> 0) of files that could not be used (corrupt or
 * unreadable): then msg holds one line naming each, why, and where it was
 * kept aside.  Negative errno only on allocation failure.
 */
int chair_persist_load(struct chair_persist *p, char *msg, size_t msg_size);

/*
 * Write every file changed since the last save (all with force).  Returns 0,
 * or the first negative errno (the other files are still attempted; the
 * failed ones stay dirty for the next try).
 */
int chair_persist_save(struct chair_persist *p, bool force);
bool chair_persist_dirty(const struct chair_persist *p);
/* profiles.json alone: true while a change to the profiles is not on disk yet. */
bool chair_persist_profiles_dirty(const struct chair_persist *p);
/* usage.json alone (the pain diary's ratings live there). */
bool chair_persist_usage_dirty(const struct chair_persist *p);

/* Counters: the persisted totals.  set replaces them (marks dirty). */
const struct chair_counters *chair_persist_counters(const struct chair_persist *p);
void chair_persist_set_counters(struct chair_persist *p, const struct chair_counters *c);

/* Fault history, oldest first; the oldest falls out beyond CHAIR_FAULT_HISTORY_MAX.
 * Strings are truncated to fit. */
void chair_persist_add_fault(struct chair_persist *p, int64_t time, const char *code,
                             const char *message, const char *context);
unsigned chair_persist_n_faults(const struct chair_persist *p);
const struct chair_fault_record *chair_persist_fault(const struct chair_persist *p, unsigned i);

void chair_persist_add_selftest(struct chair_persist *p, const struct chair_selftest_record *r);
unsigned chair_persist_n_selftests(const struct chair_persist *p);
const struct chair_selftest_record *chair_persist_selftest(const struct chair_persist *p, unsigned i);

/* Usage log, oldest first. */
int chair_persist_add_usage(struct chair_persist *p, const struct chair_usage_record *r);
size_t chair_persist_n_usage(const struct chair_persist *p);
const struct chair_usage_record *chair_persist_usage(const struct chair_persist *p, size_t i);
/* The whole log as one array (oldest first, *n records); valid until the next add/load. */
const struct chair_usage_record *chair_persist_usage_all(const struct chair_persist *p, size_t *n);
/* Replace record i (a rating added, a profile forgotten); strings truncated as
 * in add.  Returns 0, -ENOENT (no record i). */
int chair_persist_usage_update(struct chair_persist *p, size_t i, const struct chair_usage_record *r);
/* The pending "before" rating (set false: none); set marks usage.json dirty. */
const struct chair_pending_rating *chair_persist_pending_before(const struct chair_persist *p);
void chair_persist_set_pending_before(struct chair_persist *p, const struct chair_pending_rating *r);
/* Minutes per local day and per program over the last CHAIR_USAGE_DAYS days up to now. */
void chair_persist_usage_summary(const struct chair_persist *p, int64_t now, struct chair_usage_summary *s);

/* Profiles.  find returns NULL when there is none of that name. set adds or
 * replaces: 0, -EINVAL (bad name or values), -ENOSPC (CHAIR_PROFILES_MAX reached). */
const struct chair_profile *chair_persist_profile_find(const struct chair_persist *p, const char *name);
int chair_persist_profile_set(struct chair_persist *p, const struct chair_profile *prof);
int chair_persist_profile_remove(struct chair_persist *p, const char *name);
unsigned chair_persist_n_profiles(const struct chair_persist *p);
const struct chair_profile *chair_persist_profile(const struct chair_persist *p, unsigned i);
bool chair_profile_name_valid(const char *name);

/*
 * The atomic write underneath: data → "<dir>/<name>.tmp", fsync, rename to
 * "<dir>/<name>", fsync(dir).  Returns 0 or a negative errno (the temporary
 * file is removed on failure).
 */
int chair_persist_write_atomic(const char *dir, const char *name, const void *data, size_t len);
