/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

int chair_errors_add(struct chair_errors *e, const char *file, uint32_t line, uint32_t column,
                     const char *path, const char *fmt, ...) {
        struct chair_error *n;
        va_list ap;
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
        *n = (struct chair_error) { .line = line, .column = column };
        n->file = strdup(file ? file : "");
        n->path = strdup(path ? path : "");
        va_start(ap, fmt);
        r = vasprintf(&n->message, fmt, ap);
        va_end(ap);
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

void chair_errors_print(const struct chair_errors *e, FILE *f) {
        for (size_t i = 0; i < e->n; i++) {
                const struct chair_error *x = &e->v[i];
                /* An empty path means the document as a whole. */
                fprintf(f, "%s:%" PRIu32 ":%" PRIu32 ": %s: %s\n", x->file, x->line, x->column,
                        x->path[0] ? x->path : "(document)", x->message);
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
