/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A list of located errors, as printed by --check-config:
 *     FILE:LINE:COL: PATH: MESSAGE
 * PATH is the key path in the document, e.g. "safety.heater_max_c" or
 * "steps[2].intensity".  LINE and COL are 1-based; 0 when unknown (printed as 0).
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct chair_error {
        char *file;
        uint32_t line, column;
        char *path;
        char *message;
};

struct chair_errors {
        struct chair_error *v;
        size_t n, cap;
};

/* Append one error; printf-style message.  Returns 0 or -ENOMEM. */
int chair_errors_add(struct chair_errors *e, const char *file, uint32_t line, uint32_t column,
                     const char *path, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Print every error, one per line, in the FILE:LINE:COL: PATH: MESSAGE form. */
void chair_errors_print(const struct chair_errors *e, FILE *f);
/* Free the entries (the struct itself may live on the stack). */
void chair_errors_clear(struct chair_errors *e);
