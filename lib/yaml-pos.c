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
};

static int add_node(struct chair_yaml_pos *p, char *path, const yaml_mark_t *m, bool is_key,
                    size_t *ret) {
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
        *ret = p->n++;
        return 0;
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

int chair_yaml_pos_parse(const void *data, size_t len, const char *file,
                         struct chair_errors *errs, struct chair_yaml_pos **ret) {
        struct frame st[MAX_DEPTH];
        int depth = 0, r = 0;
        bool done = false, root_seen = false;
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

        while (!done && r == 0) {
                yaml_event_t ev;
                char *path = NULL;
                size_t idx;
                bool container;

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
                                        chair_errors_add(errs, file, (uint32_t) ev.start_mark.line + 1,
                                                         (uint32_t) ev.start_mark.column + 1, "",
                                                         "a second YAML document starts here; a file holds one");
                                        r = -EINVAL;
                                        break;
                                }
                                root_seen = true;
                                path = strdup("");
                                if (!path || add_node(p, path, &ev.start_mark, false, &idx) < 0) {
                                        r = -ENOMEM;
                                        break;
                                }
                        } else if (st[depth - 1].mapping && st[depth - 1].want_key) {
                                struct frame *f = &st[depth - 1];
                                if (ev.type != YAML_SCALAR_EVENT) {
                                        chair_errors_add(errs, file, (uint32_t) ev.start_mark.line + 1,
                                                         (uint32_t) ev.start_mark.column + 1,
                                                         p->v[f->node].path,
                                                         "only plain scalar keys are supported");
                                        r = -EINVAL;
                                        break;
                                }
                                path = join_key(p->v[f->node].path, (const char *) ev.data.scalar.value);
                                if (!path) {
                                        r = -ENOMEM;
                                        break;
                                }
                                if (chair_yaml_pos_find(p, path))
                                        chair_errors_add(errs, file, (uint32_t) ev.start_mark.line + 1,
                                                         (uint32_t) ev.start_mark.column + 1, path,
                                                         "duplicate key");
                                if (add_node(p, path, &ev.start_mark, true, &f->pending) < 0) {
                                        r = -ENOMEM;
                                        break;
                                }
                                f->want_key = false;
                                break;
                        } else if (st[depth - 1].mapping) {
                                struct frame *f = &st[depth - 1];
                                idx = f->pending;
                                f->want_key = true;
                        } else {
                                struct frame *f = &st[depth - 1];
                                path = join_index(p->v[f->node].path, f->next_index++);
                                if (!path || add_node(p, path, &ev.start_mark, false, &idx) < 0) {
                                        r = -ENOMEM;
                                        break;
                                }
                        }

                        p->v[idx].is_container = container;
                        if (ev.type == YAML_SCALAR_EVENT) {
                                free(p->v[idx].value);
                                p->v[idx].value = strdup((const char *) ev.data.scalar.value);
                                if (!p->v[idx].value)
                                        r = -ENOMEM;
                        }
                        if (container) {
                                if (depth == MAX_DEPTH) {
                                        chair_errors_add(errs, file, (uint32_t) ev.start_mark.line + 1,
                                                         (uint32_t) ev.start_mark.column + 1,
                                                         p->v[idx].path, "nested too deeply");
                                        r = -EINVAL;
                                        break;
                                }
                                st[depth++] = (struct frame) {
                                        .mapping = ev.type == YAML_MAPPING_START_EVENT,
                                        .want_key = true,
                                        .node = idx,
                                };
                        }
                        break;
                default:
                        break;
                }
                yaml_event_delete(&ev);
        }

        yaml_parser_delete(&parser);
        if (r == -ENOMEM) {
                chair_yaml_pos_free(p);
                return r;
        }
        /* Duplicate keys were recorded as errors without stopping the parse. */
        for (size_t i = 0; r == 0 && i < p->n; i++)
                for (size_t j = 0; j < i; j++)
                        if (p->v[i].is_key && strcmp(p->v[i].path, p->v[j].path) == 0) {
                                r = -EINVAL;
                                break;
                        }
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
        free(p);
        return NULL;
}

const struct chair_yaml_node *chair_yaml_pos_find(const struct chair_yaml_pos *p, const char *path) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n; i++)
                if (strcmp(p->v[i].path, path) == 0)
                        return &p->v[i];
        return NULL;
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
