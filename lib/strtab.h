/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Name tables: an enum's stable names (config keys, MQTT payloads, trace
 * columns) in a `static const char *const table[]` indexed by the enum, and
 * the two lookups every such table needs, written once (systemd's
 * DEFINE_STRING_TABLE_LOOKUP does the same).
 */

#include <errno.h>
#include <stddef.h>
#include <string.h>

#define CHAIR_ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* table[i], or fallback when i is out of range or has no name. */
static inline const char *chair_strtab_name(const char *const *table, size_t n, unsigned i, const char *fallback) {
        return i < n && table[i] ? table[i] : fallback;
}

/* The index whose name is s, or -EINVAL (also for s == NULL). */
static inline int chair_strtab_index(const char *const *table, size_t n, const char *s) {
        for (size_t i = 0; s && i < n; i++)
                if (table[i] && strcmp(s, table[i]) == 0)
                        return (int) i;
        return -EINVAL;
}

/* Defines `const char *to_name(type)` (fallback for unknown values). */
#define CHAIR_DEFINE_NAME(to_name, type, table, fallback) \
        const char *to_name(type v) { \
                return chair_strtab_name(table, CHAIR_ELEMENTSOF(table), (unsigned) v, fallback); \
        }

/* ... and `int from_name(const char *)` (the enum value or -EINVAL). */
#define CHAIR_DEFINE_NAME_LOOKUP(to_name, from_name, type, table, fallback) \
        CHAIR_DEFINE_NAME(to_name, type, table, fallback) \
        int from_name(const char *s) { \
                return chair_strtab_index(table, CHAIR_ELEMENTSOF(table), s); \
        }
