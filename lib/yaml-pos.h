/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Key-path -> position index of a YAML document, built with libyaml's event
 * parser.  libcyaml turns a document into structs but forgets where things
 * were; this index lets validation errors name the line and column of the
 * offending key.
 *
 * Paths: mapping keys joined by '.', sequence entries as "[N]" (0-based), e.g.
 * "hardware.outputs.carriage.pwm.channel" or "steps[2].zone".  The document
 * root is "".  Positions are 1-based.  A mapping key's position is the first
 * character of the key; a sequence entry's position is the first character of
 * the entry's value (after "- ").
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct chair_errors;

struct chair_yaml_node {
        char *path;
        uint32_t line, column;
        bool is_key;               /* a mapping key (false: a sequence entry or the root) */
        bool is_container;         /* its value is a mapping or sequence */
        bool is_sequence;          /* its value is a sequence */
        char *value;               /* scalar value, or NULL */
};

struct chair_yaml_pos {
        struct chair_yaml_node *v;
        size_t n, cap;
        /* Path -> node lookup: open addressing, slots hold index + 1 (0 = empty). */
        size_t *slots;
        size_t n_slots;            /* a power of two, at least twice n */
        size_t path_bytes;         /* bytes of every path together (capped) */
        size_t expanded;           /* nodes produced by aliases (capped) */
        size_t work;               /* path comparisons made so far: see chair_yaml_pos_work() */
};

/*
 * Limits of one document (docs/config.md "Limits"): a key longer than
 * CHAIR_YAML_KEY_MAX, more than CHAIR_YAML_NODES_MAX nodes, more than
 * CHAIR_YAML_ALIASES_MAX aliases or more than CHAIR_YAML_ALIAS_NODES_MAX nodes
 * copied by them is a located error, so that neither a long file nor an alias
 * bomb can make loading slow or large.
 */
#define CHAIR_YAML_KEY_MAX 256
#define CHAIR_YAML_NODES_MAX 200000
#define CHAIR_YAML_PATH_BYTES_MAX (16u * 1024 * 1024)
#define CHAIR_YAML_ALIASES_MAX 256
#define CHAIR_YAML_ALIAS_NODES_MAX 10000

/*
 * Index DATA (LEN bytes; FILE names it in errors).  Syntax errors and duplicate
 * keys are appended to errs (all duplicates, the first syntax error) and make
 * the call return -EINVAL; the index built so far is still returned in *ret.
 * Aliases are expanded into the index (their nodes appear under the alias's
 * path), within the limits above; a document over a limit is -EINVAL too.
 * Returns 0, -EINVAL or -ENOMEM.  *ret is owned by the caller.
 */
int chair_yaml_pos_parse(const void *data, size_t len, const char *file,
                         struct chair_errors *errs, struct chair_yaml_pos **ret);
struct chair_yaml_pos *chair_yaml_pos_free(struct chair_yaml_pos *p);

/*
 * Path comparisons made while building and querying P: a deterministic
 * measure of the work done, which stays within a small multiple of the node
 * count (tests/test-loader-limits.c holds it there).
 */
size_t chair_yaml_pos_work(const struct chair_yaml_pos *p);

/* The node at exactly this path, or NULL. */
const struct chair_yaml_node *chair_yaml_pos_find(const struct chair_yaml_pos *p, const char *path);
/* True when the document has this path. */
bool chair_yaml_pos_has(const struct chair_yaml_pos *p, const char *path);
/*
 * Position of PATH, or of its nearest ancestor present in the document (a
 * missing key is reported where its mapping starts).  1:1 when nothing matches.
 */
void chair_yaml_pos_locate(const struct chair_yaml_pos *p, const char *path,
                           uint32_t *line, uint32_t *column);
