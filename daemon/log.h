/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Daemon logging: structured journald entries when stderr is the journal
 * ($JOURNAL_STREAM names our stderr, as systemd sets it for services), else one
 * "<level>: message" line on stderr.  Main thread only (never the control thread).
 *
 * Levels are syslog priorities (LOG_ERR ... LOG_DEBUG).  The default maximum is
 * LOG_INFO; each -v raises it by one.  The *_errno variants take a negative
 * errno, append ": <strerror>" to the message (%m would trip -Wpedantic) and
 * return it, so
 *     return log_error_errno(r, "Failed to open %s", path);
 * logs "Failed to open /x: No such file or directory" and propagates r.
 */

#include <stdbool.h>
#include <syslog.h>

/* Optional structured fields (journald: CHAIR_PROGRAM=, CHAIR_FAULT=, CHAIR_STEP=). */
struct log_fields {
        const char *program;       /* NULL = none */
        const char *fault;         /* NULL = none */
        int step;                  /* 1-based; 0 = none */
        const char *context;       /* CHAIR_FAULT_CONTEXT=: what the chair was doing; NULL = none */
};

void log_setup(void);
void log_set_max_level(int level);
int log_get_max_level(void);
/* Force stderr output (tests, --check-config) even under journald. */
void log_force_stderr(bool on);

int log_full(int level, int error, const struct log_fields *f, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

#define log_full_errno(level, error, ...) log_full((level), (error), NULL, __VA_ARGS__)

#define log_debug(...)   log_full(LOG_DEBUG, 0, NULL, __VA_ARGS__)
#define log_info(...)    log_full(LOG_INFO, 0, NULL, __VA_ARGS__)
#define log_notice(...)  log_full(LOG_NOTICE, 0, NULL, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, 0, NULL, __VA_ARGS__)
#define log_error(...)   log_full(LOG_ERR, 0, NULL, __VA_ARGS__)

#define log_debug_errno(e, ...)   log_full(LOG_DEBUG, (e), NULL, __VA_ARGS__)
#define log_info_errno(e, ...)    log_full(LOG_INFO, (e), NULL, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full(LOG_WARNING, (e), NULL, __VA_ARGS__)
#define log_error_errno(e, ...)   log_full(LOG_ERR, (e), NULL, __VA_ARGS__)
