/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * JSON documents chaird publishes over MQTT (design B3): state, replies,
 * events, the program list, diagnostics and the Home Assistant device
 * discovery payload.
 *
 * Every encoder returns 0 and a NUL-terminated string in *ret that the caller
 * frees with free(), or -ENOMEM / -EINVAL.  They allocate (json-c), so they run
 * on the main thread only, never on the control path.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "command.h"
#include "control.h"
#include "hal.h"

struct chair_config;
struct chair_counters;
struct chair_persist;
struct chair_programs;
struct chair_st_report;

/* State: {"state","program","program_name","step","steps","technique",
 * "elapsed_s","remaining_s","intensity","speed","heat":{"on","target_c","temp_c"},
 * "roller":{"position_mm","technique"},"recline","focus","occupied",
 * "faults":[{"code","message"}],"faults_latched":[code...],"all_safe"}.
 * progs may be NULL (program ids become null). */
int chair_report_state(const struct chair_status *st, const struct chair_programs *progs,
                       char **ret);

/* Reply: {"id":<id_json>,"ok":true} or {"id":...,"ok":false,"error":{"code","message"}}.
 * id_json is JSON text as chair_cmd_parse() wrote it; NULL or "" omits "id".
 * message NULL → chair_err_message(err). */
int chair_report_reply(const char *id_json, enum chair_err err, const char *message, char **ret);

/* An ok reply carrying members: {"id":...,"ok":true, <each member of data>}
 * (history, suggest).  Takes data (freed in every case). */
struct json_object;
int chair_report_reply_data(const char *id_json, struct json_object *data, char **ret);

/* Event topic payload for ev, or -ENOENT for kinds not published (RESULT).
 * wall_s: UNIX time to stamp the event with ("ts"). */
int chair_report_event(const struct chair_event *ev, const struct chair_programs *progs,
                       double wall_s, char **ret);

/* [{"id","name","description","default_minutes"}, ...] */
int chair_report_programs(const struct chair_programs *progs, char **ret);

/* Diagnostics, filled by the daemon's MQTT bridge. */
struct chair_diag_loop {
        uint32_t rate_hz;
        uint64_t ticks, missed;
        uint64_t late_ticks;                      /* ticks that woke a whole period or more late */
        uint32_t max_late_us;                     /* the latest any tick woke */
        uint32_t max_stale_us;                    /* longest the outputs went unwritten */
        uint64_t overruns;                        /* loop_overrun raised (stale > max_stall_ms) */
        uint64_t output_cuts;                     /* outputs the dead-man cut for their on-time */
        uint64_t events_dropped;                  /* over the per-tick budget: should stay 0 */
        uint32_t max_stall_ms;
        uint32_t p50_us, p99_us, max_us;          /* since start */
        uint32_t p50_1m_us, p99_1m_us, max_1m_us; /* last minute */
        const char *policy;                       /* "SCHED_FIFO", "SCHED_OTHER", ... */
        int priority;
};

/* Per-actuator counters as sampled from status snapshots. */
struct chair_diag_actuator {
        bool present;
        uint32_t starts;           /* safe → driven transitions seen */
        double active_s;           /* time spent away from the safe value */
        float value;               /* last commanded logical value */
};

#define CHAIR_DIAG_HISTORY 32

struct chair_diag_fault {
        enum chair_fault code;
        double at_s;               /* UNIX time */
        double cleared_s;          /* UNIX time, 0 while still active */
};

struct chair_diag {
        const char *version;
        double uptime_s;
        uint64_t config_hash;
        struct chair_diag_loop loop;
        struct chair_diag_actuator act[_CHAIR_ACT_COUNT];
        uint32_t faults;           /* active fault mask */
        uint32_t faults_latched;
        struct chair_diag_fault history[CHAIR_DIAG_HISTORY];   /* oldest first */
        size_t n_history;
        uint64_t sessions;
        struct {
                uint64_t commands, rejected, rate_limited, ignored_retained, ignored_expired;
                uint64_t connects;
                uint64_t skipped_publishes;   /* outgoing queue too long (issue 15) */
        } mqtt;

        /* Persistent diagnostics (daemon/history.c); each NULL = omitted.  With
         * persist, "faults_history" lists its records (last 64, with context)
         * instead of the in-memory history above. */
        const struct chair_counters *counters;      /* lifetime wear counters → "counters" */
        const struct chair_persist *persist;        /* → "faults_history", "self_tests", "usage", "profiles" */
        const struct chair_status *status;          /* → "sensors", "outputs" */
        const struct chair_config *cfg;             /* the parts and sensors the chair has (with status) */
        const struct chair_st_report *selftest;     /* the last self-test since start → "self_test" */
        double selftest_at_s;                       /* its UNIX time */
        double now_s;                               /* UNIX time: the usage summary's "today" */
};

/* Append a fault (ring: the oldest entry drops out when full). */
void chair_diag_fault_raised(struct chair_diag *d, enum chair_fault f, double now_s);
/* Mark the newest still-active entry for f as cleared. */
void chair_diag_fault_cleared(struct chair_diag *d, enum chair_fault f, double now_s);

/* {"version","uptime_s","config_hash","loop":{"rate_hz","ticks","missed","policy",
 * "priority","latency_us":{"p50","p99","max"},"latency_1m_us":{...}},
 * "actuators":{name:{"starts","active_s","value"}},"faults":[...],
 * "faults_latched":[...],"faults_history":[{"code","message","at","cleared_at"}],
 * "sessions","mqtt":{...}} */
int chair_report_diag(const struct chair_diag *d, char **ret);

/* A self-test report: {"passed","aborted","failed","duration_s","parts":[{"part","result",
 * "reason","measured"}]} (not-fitted parts left out).  Returns a new object or NULL. */
struct json_object *chair_report_selftest_json(const struct chair_st_report *r);

/* "<discovery_prefix>/device/<chair.id>/config" */
int chair_report_discovery_topic(const struct chair_config *cfg, char **ret);

/*
 * Home Assistant device discovery payload for the chair at base topic base:
 * one device ("dev"), origin ("o"), availability, and components ("cmps"):
 * program select, intensity and speed numbers, heat switch, stop/pause/resume
 * buttons, state/remaining-time/heater-temperature sensors, occupancy and
 * fault binary sensors.
 */
int chair_report_discovery(const struct chair_config *cfg, const struct chair_programs *progs,
                           const char *base, const char *version, char **ret);
