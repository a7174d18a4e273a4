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

/*
 * Load DATA (LEN bytes, FILE names it in errors) according to SCHEMA (a
 * mapping value with CYAML_FLAG_POINTER).  Every unknown key is reported,
 * each at its own position, and the document is still loaded; a value libcyaml
 * rejects (wrong type, bad enum value, missing required key) stops the load and
 * is reported once.
 *
 * Returns 0 when the data loaded and no error was found; -EINVAL when errors
 * were appended (then *ret is still set if libcyaml loaded the data, NULL
 * otherwise); -ENOMEM.  *ret is zero-filled where the document is silent and
 * never NULL on success (an empty document gives a zeroed struct).
 */
int chair_yaml_load(const void *data, size_t len, const char *file,
                    const struct chair_yaml_pos *pos, const cyaml_schema_value_t *schema,
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
 * Check every row whose key the document sets (defaults are valid by
 * construction) and report "out of range: V (allowed MIN..MAX)" at the key.
 * Returns 0, -EINVAL when an error was appended, or -ENOMEM.
 */
int chair_yaml_check_ranges(const char *file, const struct chair_yaml_pos *pos,
                            struct chair_errors *errs, const char *base, const void *data,
                            const struct chair_yaml_range *t, size_t n);

/*
 * Read a whole file into a NUL-terminated buffer (*ret, caller frees).
 * Returns 0, -EFBIG when it is larger than max bytes, or another negative errno.
 */
int chair_yaml_read_file(const char *path, size_t max, uint8_t **ret, size_t *ret_len);
