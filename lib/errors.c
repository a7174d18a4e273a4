/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

static int append(struct chair_errors *e, bool warning, const char *file, uint32_t line, uint32_t column,
                  const char *path, const char *fmt, va_list ap) __attribute__((format(printf, 7, 0)));

static int append(struct chair_errors *e, bool warning, const char *file, uint32_t line, uint32_t column,
                  const char *path, const char *fmt, va_list ap) {
        struct chair_error *n;
        int r;

        if (e->n == e->cap) {
                size_t cap = e->cap ? e->cap * 2 : 8;
                struct chair_error *v = realloc(e->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                e->v = v;
                e->cap = cap;
        }

        n = &e->v[e->n];
        *n = (struct chair_error) { .line = line, .column = column, .warning = warning };
        n->file = strdup(file);
        n->path = strdup(path ? path : "");
        r = vasprintf(&n->message, fmt, ap);
        if (!n->file || !n->path || r < 0) {
                free(n->file);
                free(n->path);
                if (r >= 0)
                        free(n->message);
                return -ENOMEM;
        }
        e->n++;
        return 0;
}

static int append_summary(struct chair_errors *e, const char *file, ...) {
        va_list ap;
        int r;

        va_start(ap, file);
        r = append(e, false, file, 0, 0, "", "more errors", ap);
        va_end(ap);
        return r;
}

static int add(struct chair_errors *e, bool warning, const char *file, uint32_t line, uint32_t column,
               const char *path, const char *fmt, va_list ap) __attribute__((format(printf, 7, 0)));

static int add(struct chair_errors *e, bool warning, const char *file, uint32_t line, uint32_t column,
               const char *path, const char *fmt, va_list ap) {
        char *m;

        if (!file)
                file = "";
        if (e->n > 0 && strcmp(e->v[e->n - 1].file, file) == 0) {
                e->run++;
        } else {
                e->run = 1;
                e->dropped = 0;
        }
        if (e->run <= CHAIR_ERRORS_PER_FILE)
                return append(e, warning, file, line, column, path, fmt, ap);

        /* Over the limit: one last entry counts the rest. */
        if (e->dropped == 0 && append_summary(e, file) < 0)
                return -ENOMEM;
        e->dropped++;
        if (asprintf(&m, "%zu more errors or warnings in this file not shown (at most %d per file)",
                     e->dropped, CHAIR_ERRORS_PER_FILE) < 0)
                return -ENOMEM;
        free(e->v[e->n - 1].message);
        e->v[e->n - 1].message = m;
        return 0;
}

int chair_errors_add(struct chair_errors *e, const char *file, uint32_t line, uint32_t column,
                     const char *path, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = add(e, false, file, line, column, path, fmt, ap);
        va_end(ap);
        return r;
}

int chair_errors_warn(struct chair_errors *e, const char *file, uint32_t line, uint32_t column,
                      const char *path, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = add(e, true, file, line, column, path, fmt, ap);
        va_end(ap);
        return r;
}

int chair_errors_note(struct chair_errors *e, const char *file, uint32_t line, uint32_t column,
                      const char *path, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = add(e, true, file, line, column, path, fmt, ap);
        va_end(ap);
        if (r == 0 && e->run <= CHAIR_ERRORS_PER_FILE) {
                e->v[e->n - 1].warning = false;
                e->v[e->n - 1].note = true;
        }
        return r;
}

size_t chair_errors_count(const struct chair_errors *e) {
        size_t n = 0;
        for (size_t i = 0; i < e->n; i++)
                n += !e->v[i].warning && !e->v[i].note;
        return n;
}

void chair_errors_print(const struct chair_errors *e, FILE *f) {
        for (size_t i = 0; i < e->n; i++) {
                const struct chair_error *x = &e->v[i];
                /* An empty path means the document as a whole. */
                fprintf(f, "%s:%" PRIu32 ":%" PRIu32 ": %s: %s%s\n", x->file, x->line, x->column,
                        x->path[0] ? x->path : "(document)", x->warning ? "warning: " : x->note ? "note: " : "", x->message);
        }
}

void chair_errors_clear(struct chair_errors *e) {
        for (size_t i = 0; i < e->n; i++) {
                free(e->v[i].file);
                free(e->v[i].path);
                free(e->v[i].message);
        }
        free(e->v);
        *e = (struct chair_errors) { 0 };
}
