/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "errors.h"
#include "yaml-pos.h"

#define MAX_DEPTH 64

struct frame {
        bool mapping;
        bool want_key;             /* mapping: the next node is a key */
        size_t node;               /* index of this container's node */
        size_t pending;            /* mapping: node of the key awaiting its value */
        unsigned next_index;       /* sequence: index of the next entry */
        size_t anchor;             /* anchor opened on this container, + 1 (0: none) */
};

/* An anchor: the nodes [start, end) are its value (start: its key or entry node). */
struct anchor {
        char *name;
        size_t start, end;
        bool closed;
};

static size_t hash_path(const char *s) {
        /* FNV-1a */
        size_t h = (size_t) 0xcbf29ce484222325ULL;
        for (; *s; s++) {
                h ^= (unsigned char) *s;
                h *= (size_t) 0x100000001b3ULL;
        }
        return h;
}

/* Slot of PATH: the one holding it, or the empty one where it would go. */
static size_t slot_of(const struct chair_yaml_pos *p, const char *path) {
        struct chair_yaml_pos *mp = (struct chair_yaml_pos *) p;     /* the work counter only */
        size_t mask = p->n_slots - 1, i = hash_path(path) & mask;

        while (p->slots[i]) {
                mp->work++;
                if (strcmp(p->v[p->slots[i] - 1].path, path) == 0)
                        break;
                i = (i + 1) & mask;
        }
        return i;
}

static int index_grow(struct chair_yaml_pos *p) {
        size_t n = p->n_slots ? p->n_slots * 2 : 128;
        size_t *old = p->slots, n_old = p->n_slots;

        p->slots = calloc(n, sizeof(size_t));
        if (!p->slots) {
                p->slots = old;
                return -ENOMEM;
        }
        p->n_slots = n;
        for (size_t i = 0; i < n_old; i++)
                if (old[i])
                        p->slots[slot_of(p, p->v[old[i] - 1].path)] = old[i];
        free(old);
        return 0;
}

/* Make node I findable by its path; the first node of a path keeps it (duplicates). */
static int index_add(struct chair_yaml_pos *p, size_t i) {
        size_t s;

        if (2 * (p->n + 1) > p->n_slots && index_grow(p) < 0)
                return -ENOMEM;
        s = slot_of(p, p->v[i].path);
        if (!p->slots[s])
                p->slots[s] = i + 1;
        return 0;
}

/* Takes PATH.  -E2BIG when the document is over a limit (see yaml-pos.h). */
static int add_node(struct chair_yaml_pos *p, char *path, const yaml_mark_t *m, bool is_key,
                    size_t *ret) {
        size_t plen = strlen(path) + 1;

        if (p->n >= CHAIR_YAML_NODES_MAX || p->path_bytes + plen > CHAIR_YAML_PATH_BYTES_MAX) {
                free(path);
                return -E2BIG;
        }
        if (p->n == p->cap) {
                size_t cap = p->cap ? p->cap * 2 : 64;
                struct chair_yaml_node *v = realloc(p->v, cap * sizeof(*v));
                if (!v) {
                        free(path);
                        return -ENOMEM;
                }
                p->v = v;
                p->cap = cap;
        }
        p->v[p->n] = (struct chair_yaml_node) {
                .path = path,
                .line = (uint32_t) m->line + 1,
                .column = (uint32_t) m->column + 1,
                .is_key = is_key,
        };
        p->path_bytes += plen;
        *ret = p->n++;
        return index_add(p, *ret);
}

static char *join_key(const char *parent, const char *key) {
        char *s;
        if (asprintf(&s, "%s%s%s", parent, parent[0] ? "." : "", key) < 0)
                return NULL;
        return s;
}

static char *join_index(const char *parent, unsigned i) {
        char *s;
        if (asprintf(&s, "%s[%u]", parent, i) < 0)
                return NULL;
        return s;
}

/* The path a syntax error is reported under: the key being parsed, or its container. */
static const char *error_path(const struct chair_yaml_pos *p, const struct frame *st, int depth) {
        if (depth == 0)
                return "";
        const struct frame *f = &st[depth - 1];
        if (f->mapping && !f->want_key)
                return p->v[f->pending].path;
        return p->v[f->node].path;
}

static const char *anchor_of(const yaml_event_t *ev) {
        switch (ev->type) {
        case YAML_SCALAR_EVENT: return (const char *) ev->data.scalar.anchor;
        case YAML_MAPPING_START_EVENT: return (const char *) ev->data.mapping_start.anchor;
        case YAML_SEQUENCE_START_EVENT: return (const char *) ev->data.sequence_start.anchor;
        default: return NULL;
        }
}

/*
 * Node IDX takes the value of anchor A: its scalar, or copies of its nodes
 * under IDX's path.  A copy is made once per alias, so an alias bomb is
 * stopped by CHAIR_YAML_ALIAS_NODES_MAX before it costs anything.
 * Returns 0, -E2BIG over a limit, -ENOMEM.
 */
static int expand_alias(struct chair_yaml_pos *p, size_t idx, const struct anchor *a) {
        size_t base_len = strlen(p->v[a->start].path);

        if (p->expanded + (a->end - a->start) > CHAIR_YAML_ALIAS_NODES_MAX)
                return -E2BIG;
        p->expanded += a->end - a->start;
        p->v[idx].is_container = p->v[a->start].is_container;
        p->v[idx].is_sequence = p->v[a->start].is_sequence;
        free(p->v[idx].value);
        p->v[idx].value = NULL;
        if (p->v[a->start].value && !(p->v[idx].value = strdup(p->v[a->start].value)))
                return -ENOMEM;
        for (size_t j = a->start + 1; j < a->end; j++) {
                char *path;
                size_t k;
                int r;
                if (asprintf(&path, "%s%s", p->v[idx].path, p->v[j].path + base_len) < 0)
                        return -ENOMEM;
                yaml_mark_t m = { .line = p->v[j].line - 1, .column = p->v[j].column - 1 };
                r = add_node(p, path, &m, p->v[j].is_key, &k);
                if (r < 0)
                        return r;
                p->v[k].is_container = p->v[j].is_container;
                p->v[k].is_sequence = p->v[j].is_sequence;
                if (p->v[j].value && !(p->v[k].value = strdup(p->v[j].value)))
                        return -ENOMEM;
        }
        return 0;
}

#define MARK(m) (uint32_t) (m).line + 1, (uint32_t) (m).column + 1

int chair_yaml_pos_parse(const void *data, size_t len, const char *file,
                         struct chair_errors *errs, struct chair_yaml_pos **ret) {
        struct frame st[MAX_DEPTH];
        struct anchor *anchors = NULL;
        size_t n_anchors = 0, n_aliases = 0;
        int depth = 0, r = 0;
        bool done = false, root_seen = false, dup = false;
        yaml_parser_t parser;
        struct chair_yaml_pos *p;

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        if (!yaml_parser_initialize(&parser)) {
                free(p);
                return -ENOMEM;
        }
        yaml_parser_set_input_string(&parser, data, len);

        /* A limit is reported where it was crossed; r is -EINVAL then. */
#define LIMIT(mark, path, ...) do { \
                if (chair_errors_add(errs, file, MARK(mark), path, __VA_ARGS__) < 0) \
                        r = -ENOMEM; \
                else \
                        r = -EINVAL; \
        } while (0)
#define ADDED(k, mark, path) do { \
                if ((k) == -E2BIG) \
                        LIMIT(mark, path, "document too large: more than %d nodes or %u MiB of key paths", \
                              CHAIR_YAML_NODES_MAX, CHAIR_YAML_PATH_BYTES_MAX >> 20); \
                else if ((k) < 0) \
                        r = (k); \
        } while (0)

        while (!done && r == 0) {
                yaml_event_t ev;
                char *path = NULL;
                size_t idx = 0;
                bool container;
                int k;

                if (!yaml_parser_parse(&parser, &ev)) {
                        if (parser.error == YAML_MEMORY_ERROR) {
                                r = -ENOMEM;
                                break;
                        }
                        /* libyaml's problem_mark is 0-based; ours are 1-based. */
                        chair_errors_add(errs, file, (uint32_t) parser.problem_mark.line + 1,
                                         (uint32_t) parser.problem_mark.column + 1,
                                         error_path(p, st, depth), "syntax error: %s%s%s",
                                         parser.problem ? parser.problem : "invalid YAML",
                                         parser.context ? " " : "",
                                         parser.context ? parser.context : "");
                        r = -EINVAL;
                        break;
                }

                switch (ev.type) {
                case YAML_STREAM_END_EVENT:
                        done = true;
                        break;
                case YAML_MAPPING_END_EVENT:
                case YAML_SEQUENCE_END_EVENT:
                        depth--;
                        if (st[depth].anchor) {
                                anchors[st[depth].anchor - 1].end = p->n;
                                anchors[st[depth].anchor - 1].closed = true;
                        }
                        break;
                case YAML_SCALAR_EVENT:
                case YAML_ALIAS_EVENT:
                case YAML_MAPPING_START_EVENT:
                case YAML_SEQUENCE_START_EVENT:
                        container = ev.type == YAML_MAPPING_START_EVENT ||
                                    ev.type == YAML_SEQUENCE_START_EVENT;
                        if (depth == 0) {
                                if (root_seen) {
                                        /* A config or program is one document; a second one
                                         * would be ignored by the loader, so it is an error
                                         * (and its nodes have no place in this index). */
                                        chair_errors_add(errs, file, MARK(ev.start_mark), "",
                                                         "a second YAML document starts here; a file holds one");
                                        r = -EINVAL;
                                        break;
                                }
                                root_seen = true;
                                path = strdup("");
                                if (!path) {
                                        r = -ENOMEM;
                                        break;
                                }
                                k = add_node(p, path, &ev.start_mark, false, &idx);
                                ADDED(k, ev.start_mark, "");
                                if (r < 0)
                                        break;
                        } else if (st[depth - 1].mapping && st[depth - 1].want_key) {
                                struct frame *f = &st[depth - 1];
                                if (ev.type != YAML_SCALAR_EVENT) {
                                        chair_errors_add(errs, file, MARK(ev.start_mark), p->v[f->node].path,
                                                         "only plain scalar keys are supported");
                                        r = -EINVAL;
                                        break;
                                }
                                if (ev.data.scalar.length > CHAIR_YAML_KEY_MAX) {
                                        LIMIT(ev.start_mark, p->v[f->node].path,
                                              "key longer than %d characters", CHAIR_YAML_KEY_MAX);
                                        break;
                                }
                                path = join_key(p->v[f->node].path, (const char *) ev.data.scalar.value);
                                if (!path) {
                                        r = -ENOMEM;
                                        break;
                                }
                                if (chair_yaml_pos_find(p, path)) {
                                        chair_errors_add(errs, file, MARK(ev.start_mark), path, "duplicate key");
                                        dup = true;
                                }
                                k = add_node(p, path, &ev.start_mark, true, &f->pending);
                                ADDED(k, ev.start_mark, p->v[f->node].path);
                                f->want_key = false;
                                break;
                        } else if (st[depth - 1].mapping) {
                                struct frame *f = &st[depth - 1];
                                idx = f->pending;
                                f->want_key = true;
                        } else {
                                struct frame *f = &st[depth - 1];
                                path = join_index(p->v[f->node].path, f->next_index++);
                                if (!path) {
                                        r = -ENOMEM;
                                        break;
                                }
                                k = add_node(p, path, &ev.start_mark, false, &idx);
                                ADDED(k, ev.start_mark, p->v[f->node].path);
                                if (r < 0)
                                        break;
                        }

                        if (ev.type == YAML_ALIAS_EVENT) {
                                const char *name = (const char *) ev.data.alias.anchor;
                                const struct anchor *a = NULL;
                                for (size_t i = n_anchors; i-- > 0;)
                                        if (strcmp(anchors[i].name, name) == 0) {
                                                a = &anchors[i];
                                                break;
                                        }
                                if (!a || !a->closed) {
                                        LIMIT(ev.start_mark, p->v[idx].path, "%s alias *%s",
                                              a ? "recursive" : "unknown", name);
                                        break;
                                }
                                if (++n_aliases > CHAIR_YAML_ALIASES_MAX) {
                                        LIMIT(ev.start_mark, p->v[idx].path, "more than %d aliases",
                                              CHAIR_YAML_ALIASES_MAX);
                                        break;
                                }
                                k = expand_alias(p, idx, a);
                                if (k == -E2BIG)
                                        LIMIT(ev.start_mark, p->v[idx].path,
                                              "alias *%s expands too far: aliases may copy at most %d nodes in all",
                                              name, CHAIR_YAML_ALIAS_NODES_MAX);
                                else if (k < 0)
                                        r = k;
                                break;
                        }

                        p->v[idx].is_container = container;
                        p->v[idx].is_sequence = ev.type == YAML_SEQUENCE_START_EVENT;
                        if (ev.type == YAML_SCALAR_EVENT) {
                                free(p->v[idx].value);
                                p->v[idx].value = strdup((const char *) ev.data.scalar.value);
                                if (!p->v[idx].value) {
                                        r = -ENOMEM;
                                        break;
                                }
                        }
                        if (anchor_of(&ev)) {
                                struct anchor *v;
                                if (n_anchors >= CHAIR_YAML_ALIASES_MAX) {
                                        LIMIT(ev.start_mark, p->v[idx].path, "more than %d anchors",
                                              CHAIR_YAML_ALIASES_MAX);
                                        break;
                                }
                                v = realloc(anchors, (n_anchors + 1) * sizeof(*v));
                                if (!v) {
                                        r = -ENOMEM;
                                        break;
                                }
                                anchors = v;
                                anchors[n_anchors] = (struct anchor) {
                                        .name = strdup(anchor_of(&ev)),
                                        .start = idx,
                                        .end = idx + 1,
                                        .closed = !container,
                                };
                                if (!anchors[n_anchors++].name) {
                                        r = -ENOMEM;
                                        break;
                                }
                        }
                        if (container) {
                                if (depth == MAX_DEPTH) {
                                        chair_errors_add(errs, file, MARK(ev.start_mark),
                                                         p->v[idx].path, "nested too deeply");
                                        r = -EINVAL;
                                        break;
                                }
                                st[depth++] = (struct frame) {
                                        .mapping = ev.type == YAML_MAPPING_START_EVENT,
                                        .want_key = true,
                                        .node = idx,
                                        .anchor = anchor_of(&ev) ? n_anchors : 0,
                                };
                        }
                        break;
                default:
                        break;
                }
                yaml_event_delete(&ev);
        }
#undef ADDED
#undef LIMIT

        for (size_t i = 0; i < n_anchors; i++)
                free(anchors[i].name);
        free(anchors);
        yaml_parser_delete(&parser);
        if (r == -ENOMEM) {
                chair_yaml_pos_free(p);
                return r;
        }
        /* Duplicate keys were recorded as errors without stopping the parse. */
        if (r == 0 && dup)
                r = -EINVAL;
        *ret = p;
        return r;
}

struct chair_yaml_pos *chair_yaml_pos_free(struct chair_yaml_pos *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n; i++) {
                free(p->v[i].path);
                free(p->v[i].value);
        }
        free(p->v);
        free(p->slots);
        free(p);
        return NULL;
}

size_t chair_yaml_pos_work(const struct chair_yaml_pos *p) {
        return p ? p->work : 0;
}

const struct chair_yaml_node *chair_yaml_pos_find(const struct chair_yaml_pos *p, const char *path) {
        size_t s;

        if (!p || !p->n_slots)
                return NULL;
        s = slot_of(p, path);
        return p->slots[s] ? &p->v[p->slots[s] - 1] : NULL;
}

bool chair_yaml_pos_has(const struct chair_yaml_pos *p, const char *path) {
        return chair_yaml_pos_find(p, path) != NULL;
}

void chair_yaml_pos_locate(const struct chair_yaml_pos *p, const char *path,
                           uint32_t *line, uint32_t *column) {
        char buf[512];
        size_t n;

        snprintf(buf, sizeof(buf), "%s", path);
        for (;;) {
                const struct chair_yaml_node *node = chair_yaml_pos_find(p, buf);
                if (node) {
                        *line = node->line;
                        *column = node->column;
                        return;
                }
                n = strlen(buf);
                if (n == 0)
                        break;
                /* Strip the last component: ".key" or "[N]". */
                while (n > 0 && buf[n - 1] != '.' && buf[n - 1] != '[')
                        n--;
                buf[n > 0 ? n - 1 : 0] = 0;
        }
        *line = 1;
        *column = 1;
}
