/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A list of located errors, as printed by --check-config:
 *     FILE:LINE:COL: PATH: MESSAGE
 * PATH is the key path in the document, e.g. "safety.heater_max_c" or
 * "steps[2].intensity".  LINE and COL are 1-based; 0 when unknown (printed as 0).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct chair_error {
        bool warning;              /* printed with "warning: "; does not fail a check */
        bool note;                 /* printed with "note: "; neither */
        char *file;
        uint32_t line, column;
        char *path;
        char *message;
};

struct chair_errors {
        struct chair_error *v;
        size_t n, cap;
        size_t run;                /* entries in a row for the file of the last one */
        size_t dropped;            /* of that run, not kept (see CHAIR_ERRORS_PER_FILE) */
};

/*
 * At most this many entries are kept per file in a row; the rest are counted
 * in one last entry ("N more errors in this file"), so that a file with
 * 80,000 bad keys costs neither memory nor a screenful per key.
 */
#define CHAIR_ERRORS_PER_FILE 100

/* Append one error; printf-style message.  Returns 0 or -ENOMEM. */
int chair_errors_add(struct chair_errors *e, const char *file, uint32_t line, uint32_t column,
                     const char *path, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* The same as a warning (a finding that does not make the file invalid). */
int chair_errors_warn(struct chair_errors *e, const char *file, uint32_t line, uint32_t column,
                      const char *path, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* A note: information only (an override by id, ...). */
int chair_errors_note(struct chair_errors *e, const char *file, uint32_t line, uint32_t column,
                      const char *path, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Entries that are errors, not warnings or notes. */
size_t chair_errors_count(const struct chair_errors *e);
/* Print every error, one per line, in the FILE:LINE:COL: PATH: MESSAGE form. */
void chair_errors_print(const struct chair_errors *e, FILE *f);
/* Free the entries (the struct itself may live on the stack). */
void chair_errors_clear(struct chair_errors *e);
