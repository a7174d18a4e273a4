/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Schema-driven loading with located errors: libcyaml turns the document into
 * structs, a struct chair_yaml_pos index (yaml-pos.h) puts every error at the
 * line and column of the offending key.
 *
 * Memory: everything libcyaml allocates comes from malloc()/realloc(), so
 * loaded strings and structs may be released with free() or
 * chair_yaml_free().
 */

#include <cyaml/cyaml.h>
#include <stddef.h>
#include <stdint.h>

struct chair_errors;
struct chair_yaml_pos;

/* Range tables: one row per numeric key. */
enum chair_yaml_num {
        CHAIR_YAML_U8,
        CHAIR_YAML_U16,
        CHAIR_YAML_U32,
        CHAIR_YAML_I32,
        CHAIR_YAML_FLOAT,
};

struct chair_yaml_range {
        const char *key;           /* relative to the base path */
        enum chair_yaml_num type;
        size_t offset;             /* relative to the base struct */
        double min, max;
};

/*
 * The rows of T apply under BASE: a path, where "*" stands for any one
 * component ("hardware.outputs.*", "steps[*]").
 */
struct chair_yaml_ranges {
        const char *base;
        const struct chair_yaml_range *t;
        size_t n;
};

/*
 * Load DATA (LEN bytes, FILE names it in errors) according to SCHEMA (a
 * mapping value with CYAML_FLAG_POINTER).  Every unknown key is reported,
 * each at its own position, and the document is still loaded.  Every value is
 * checked before libcyaml sees it, each problem reported at its key: a wrong
 * type, a number that is not strictly an integer (or a finite number) where
 * one is expected, a number outside its row in RANGES (quoted as written,
 * with the allowed range), an enum or flag value not in the list (with the
 * list), a missing required key.  Then nothing is loaded.  A flag listed
 * twice is a warning.
 *
 * Returns 0 when the data loaded and no error was found; -EINVAL when errors
 * were appended (then *ret is still set if libcyaml loaded the data, NULL
 * otherwise); -ENOMEM.  *ret is zero-filled where the document is silent and
 * never NULL on success (an empty document gives a zeroed struct).
 */
int chair_yaml_load(const void *data, size_t len, const char *file,
                    const struct chair_yaml_pos *pos, const cyaml_schema_value_t *schema,
                    const struct chair_yaml_ranges *ranges, size_t n_ranges,
                    struct chair_errors *errs, void **ret);

/*
 * For every scalar key of SCHEMA (a mapping found at path BASE, "" for the
 * root) absent from the document, copy the value from
 * DEFAULTS (a struct of the same type) into DATA; strings are duplicated.
 * Sequences are left alone (the caller knows their defaults).
 * Returns 0 or -ENOMEM.
 */
int chair_yaml_fill_defaults(const struct chair_yaml_pos *pos, const cyaml_schema_value_t *schema,
                             const char *base, void *data, const void *defaults);

/* Free DATA and every pointer SCHEMA describes inside it.  Accepts NULL; returns NULL. */
void *chair_yaml_free(const cyaml_schema_value_t *schema, void *data);

/* The schema of the value at PATH (a yaml-pos.h path), or NULL. */
const cyaml_schema_value_t *chair_yaml_schema_at(const cyaml_schema_value_t *schema, const char *path);

/*
 * Append a located error: the position of PATH (or of its nearest ancestor in
 * the document) in FILE.  Returns -EINVAL, or -ENOMEM when it could not be added.
 */
int chair_yaml_error(const char *file, const struct chair_yaml_pos *pos, struct chair_errors *errs,
                     const char *path, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * The most bytes one config or program file may have (docs/config.md
 * "Limits"): a real one is a few KiB.
 */
#define CHAIR_YAML_FILE_MAX (1024u * 1024)

/*
 * Read a whole regular file into a NUL-terminated buffer (*ret, caller frees).
 * Never blocks on a FIFO or device: anything but a regular file is refused
 * before it is read.  On failure an error naming PATH (at 0:0, "cannot
 * read: ...") is appended to errs.  Returns 0, -EFBIG when it is larger than
 * max bytes, -EINVAL when it is not a regular file, -ENOMEM, or another
 * negative errno.
 */
int chair_yaml_read_file(const char *path, size_t max, struct chair_errors *errs,
                         uint8_t **ret, size_t *ret_len);
