/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The daemon's memory across restarts (lib/persist.c in the state directory):
 * wear counters, fault history, usage log, self-test results, owner profiles.
 *
 * Main thread only.  It listens to the control thread's events and status
 * (daemon.h listener): faults and self-tests go into the history, each session
 * into the usage log, and the counters the control step keeps (status.counters,
 * counted since start) are added to the totals loaded at start.  Files are
 * written at the end of every session and self-test, at most once a minute
 * otherwise, and at exit; never from the control thread.
 */

#include <stdint.h>

#include "control.h"
#include "persist.h"

struct chaird;
struct chaird_history;

/* Load the state (a corrupt file: one warning, defaults, the daemon goes on),
 * register the listener and the once-a-minute timer. */
int chaird_history_new(struct chaird *d, struct chaird_history **ret);
/* Save what changed and free; accepts NULL, returns NULL. */
struct chaird_history *chaird_history_free(struct chaird_history *h);

/* Persisted totals + what the control step counted since start. */
void chaird_history_counters(const struct chaird_history *h, struct chair_counters *total);
const struct chair_persist *chaird_history_persist(const struct chaird_history *h);

/* The last self-test report since start, or NULL; *at_s its UNIX time. */
const struct chair_st_report *chaird_history_selftest(const struct chaird_history *h, double *at_s);

/*
 * A start command names a profile: fill what cmd leaves unset (program,
 * intensity, heat) from it.  Returns 0 (filled, or a new profile that will be
 * created when the session ends), -EINVAL for a bad name.  Call
 * chaird_history_expect_profile() with the token chaird_submit() returned so
 * the session gets recorded under the profile.
 */
int chaird_history_use_profile(struct chaird_history *h, struct chair_cmd *cmd);
void chaird_history_expect_profile(struct chaird_history *h, uint32_t token, const char *name);

/*
 * Forget (delete) the owner profile name, for an owner who sells the chair or
 * wants their data gone, and write profiles.json right away rather than at the
 * next periodic save.  A session running under the profile goes on but no
 * longer updates or re-creates it.  The usage log keeps its records (they are
 * statistics; docs/diagnostics.md).
 *
 * Returns 0 when the profile was forgotten (also when it did not exist yet but
 * a session under way would have created it), -ENOENT when there is no profile
 * of that name, -EINVAL for a bad name.  On 0, *ret_save is the result of the
 * save (0 or a negative errno, logged here): the profile stays forgotten in
 * memory and the save is retried with the periodic one.
 */
int chaird_history_forget_profile(struct chaird_history *h, const char *name, int *ret_save);

/*
 * The pain diary (design C4, lib/diary.h, docs/pain-diary.md).  Each returns
 * CHAIR_OK, or an error code with msg filled (unknown_profile, no_session,
 * internal).
 *
 * rate: the rating goes to the session its phase's window points at (kept in
 * memory until that session's record is written when it ends; a rating of a
 * session that ended is written before this returns).  *ret_event: the
 * "rated" event to publish (caller puts it; NULL when out of memory).
 * diary: the "history" reply members.  suggest: the suggestion within the
 * chair's programs and limits.
 */
struct json_object;
struct chair_diary_suggestion;
enum chair_err chaird_history_rate(struct chaird_history *h, const struct chair_cmd *cmd,
                                   struct json_object **ret_event, char *msg, size_t msg_size);
enum chair_err chaird_history_diary(struct chaird_history *h, const struct chair_cmd *cmd,
                                    struct json_object **ret, char *msg, size_t msg_size);
enum chair_err chaird_history_suggest(struct chaird_history *h, const struct chair_cmd *cmd,
                                      struct chair_diary_suggestion *s, char *msg, size_t msg_size);

/* "state=running program=lumbar-relief step=2/5 carriage_mm=312 heater_c=38.2 ...":
 * the state and session from the fault event's where (what the chair was doing
 * when the fault was detected), the readings from the status after that tick. */
void chaird_fault_context(const struct chair_status *st, const struct chair_fault_where *where,
                          const struct chair_programs *progs, char *buf, size_t size);
