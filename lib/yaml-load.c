/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "yaml-load.h"
#include "yaml-pos.h"

static void *mem(void *ctx, void *ptr, size_t size) {
        if (size == 0) {
                free(ptr);
                return NULL;
        }
        return realloc(ptr, size);
}

/*
 * What libcyaml said about the one error that stopped it: the message, then a
 * backtrace from the innermost node outwards:
 *     Load: Invalid INT value: 'abc'
 *     Load: Backtrace:
 *     Load:   in mapping field 'x' (line: 3, column: 6)
 *     Load:   in sequence entry '2' (line: 3, column: 5)     (1-based entry)
 */
#define BT_MAX 32
struct capture {
        char message[512];
        bool in_backtrace;
        unsigned n;
        struct {
                bool entry;
                unsigned index;
                char key[96];
        } bt[BT_MAX];
};

__attribute__((format(printf, 3, 0)))
static void capture_log(cyaml_log_t level, void *ctx, const char *fmt, va_list args) {
        struct capture *c = ctx;
        char line[512];
        const char *s = line;
        size_t n;

        if (level < CYAML_LOG_ERROR)
                return;
        vsnprintf(line, sizeof(line), fmt, args);
        n = strlen(line);
        while (n > 0 && line[n - 1] == '\n')
                line[--n] = 0;
        if (strncmp(s, "Load: ", 6) == 0)
                s += 6;

        if (strcmp(s, "Backtrace:") == 0) {
                c->in_backtrace = true;
        } else if (c->in_backtrace) {
                const char *q;
                if (c->n == BT_MAX)
                        return;
                if ((q = strstr(s, "in mapping field '"))) {
                        q += strlen("in mapping field '");
                        size_t k = strcspn(q, "'");
                        if (k >= sizeof(c->bt[0].key))
                                k = sizeof(c->bt[0].key) - 1;
                        memcpy(c->bt[c->n].key, q, k);
                        c->bt[c->n].key[k] = 0;
                        c->bt[c->n].entry = false;
                        c->n++;
                } else if ((q = strstr(s, "in sequence entry '"))) {
                        c->bt[c->n].entry = true;
                        c->bt[c->n].index = (unsigned) strtoul(q + strlen("in sequence entry '"), NULL, 10);
                        c->n++;
                }
        } else if (!c->message[0]) {
                snprintf(c->message, sizeof(c->message), "%s", s);
        }
}

static char *capture_path(const struct capture *c) {
        char buf[512] = "";
        size_t len = 0;

        for (unsigned i = c->n; i-- > 0;) {
                if (c->bt[i].entry)
                        /* libcyaml counts entries from 1 while loading them. */
                        len += (size_t) snprintf(buf + len, sizeof(buf) - len, "[%u]",
                                                 c->bt[i].index > 0 ? c->bt[i].index - 1 : 0);
                else
                        len += (size_t) snprintf(buf + len, sizeof(buf) - len, "%s%s",
                                                 len ? "." : "", c->bt[i].key);
                if (len >= sizeof(buf))
                        break;
        }
        return strdup(buf);
}

static const cyaml_schema_field_t *find_field(const cyaml_schema_value_t *v, const char *key, size_t klen) {
        if (!v || v->type != CYAML_MAPPING)
                return NULL;
        for (const cyaml_schema_field_t *f = v->mapping.fields; f && f->key; f++)
                if (strlen(f->key) == klen && strncmp(f->key, key, klen) == 0)
                        return f;
        return NULL;
}

const cyaml_schema_value_t *chair_yaml_schema_at(const cyaml_schema_value_t *v, const char *path) {
        const char *p = path;

        while (v && *p) {
                if (*p == '.') {
                        p++;
                } else if (*p == '[') {
                        if (v->type != CYAML_SEQUENCE && v->type != CYAML_SEQUENCE_FIXED)
                                return NULL;
                        v = v->sequence.entry;
                        p = strchr(p, ']');
                        if (!p)
                                return NULL;
                        p++;
                } else {
                        size_t k = strcspn(p, ".[");
                        const cyaml_schema_field_t *f = find_field(v, p, k);
                        if (!f)
                                return NULL;
                        v = &f->value;
                        p += k;
                }
        }
        return v;
}

/* A human description of what a schema value accepts. */
static void describe(const cyaml_schema_value_t *v, char *buf, size_t size) {
        size_t len;

        if (!v) {
                snprintf(buf, size, "another type");
                return;
        }
        switch (v->type) {
        case CYAML_INT:
                if (v->data_size < 8)
                        snprintf(buf, size, "an integer in %" PRId64 "..%" PRId64,
                                 -((int64_t) 1 << (v->data_size * 8 - 1)),
                                 ((int64_t) 1 << (v->data_size * 8 - 1)) - 1);
                else
                        snprintf(buf, size, "an integer");
                break;
        case CYAML_UINT:
                if (v->data_size < 8)
                        snprintf(buf, size, "an integer in 0..%" PRIu64,
                                 ((uint64_t) 1 << (v->data_size * 8)) - 1);
                else
                        snprintf(buf, size, "a non-negative integer");
                break;
        case CYAML_FLOAT:
                snprintf(buf, size, "a number");
                break;
        case CYAML_BOOL:
                snprintf(buf, size, "true or false");
                break;
        case CYAML_STRING:
                snprintf(buf, size, "a string");
                break;
        case CYAML_MAPPING:
                snprintf(buf, size, "a mapping");
                break;
        case CYAML_SEQUENCE:
        case CYAML_SEQUENCE_FIXED:
                snprintf(buf, size, "a list");
                break;
        case CYAML_ENUM:
        case CYAML_FLAGS:
                len = (size_t) snprintf(buf, size, "%s", v->type == CYAML_FLAGS ? "a list of: " : "one of: ");
                for (uint32_t i = 0; i < v->enumeration.count && len < size; i++)
                        len += (size_t) snprintf(buf + len, size - len, "%s%s", i ? ", " : "",
                                                 v->enumeration.strings[i].str);
                break;
        default:
                snprintf(buf, size, "a value");
                break;
        }
}

/* Turn libcyaml's wording into ours (see docs/config.md "Errors"). */
static void translate(const char *msg, const cyaml_schema_value_t *v, char *out, size_t size) {
        char want[256];

        describe(v, want, sizeof(want));
        if (strncmp(msg, "Invalid ", 8) == 0 && strstr(msg, " value: ")) {
                const char *val = strstr(msg, " value: ") + 8;
                size_t k;
                if (*val == '\'')
                        val++;
                k = strcspn(val, "'");
                snprintf(out, size, "invalid value '%.*s': expected %s", (int) k, val, want);
        } else if (strncmp(msg, "Expecting ", 10) == 0) {
                snprintf(out, size, "wrong type: expected %s", want);
        } else if (strncmp(msg, "Missing required mapping field", 30) == 0) {
                snprintf(out, size, "missing required key");
        } else {
                snprintf(out, size, "%s", msg);
        }
}

static int check_unknown_keys(const char *file, const struct chair_yaml_pos *pos,
                              const cyaml_schema_value_t *schema, struct chair_errors *errs) {
        int r = 0;

        for (size_t i = 0; i < pos->n; i++) {
                const struct chair_yaml_node *node = &pos->v[i];
                const cyaml_schema_value_t *parent;
                char known[512];
                size_t klen, plen = strlen(node->path), len = 0;
                const char *key;

                if (!node->is_key)
                        continue;
                key = node->path + plen;
                while (key > node->path && key[-1] != '.' && key[-1] != ']')
                        key--;
                klen = strlen(key);
                {
                        char ppath[512];
                        size_t n = (size_t) (key - node->path);
                        if (n > 0 && node->path[n - 1] == '.')
                                n--;
                        if (n >= sizeof(ppath))
                                continue;
                        memcpy(ppath, node->path, n);
                        ppath[n] = 0;
                        parent = chair_yaml_schema_at(schema, ppath);
                }
                /* An unknown ancestor was reported already; a type mismatch is libcyaml's. */
                if (!parent || parent->type != CYAML_MAPPING || find_field(parent, key, klen))
                        continue;

                known[0] = 0;
                for (const cyaml_schema_field_t *f = parent->mapping.fields; f->key && len < sizeof(known); f++)
                        len += (size_t) snprintf(known + len, sizeof(known) - len, "%s%s",
                                                 len ? ", " : "", f->key);
                if (chair_errors_add(errs, file, node->line, node->column, node->path,
                                     "unknown key (known: %s)", known) < 0)
                        return -ENOMEM;
                r = -EINVAL;
        }
        return r;
}

int chair_yaml_load(const void *data, size_t len, const char *file,
                    const struct chair_yaml_pos *pos, const cyaml_schema_value_t *schema,
                    struct chair_errors *errs, void **ret) {
        struct capture cap = { 0 };
        const cyaml_config_t config = {
                .log_fn = capture_log,
                .log_ctx = &cap,
                .mem_fn = mem,
                .log_level = CYAML_LOG_ERROR,
                /* Unknown keys are found by check_unknown_keys(), all of them, at their keys. */
                .flags = CYAML_CFG_IGNORE_UNKNOWN_KEYS,
        };
        void *out = NULL;
        cyaml_err_t e;
        int r;

        *ret = NULL;
        r = check_unknown_keys(file, pos, schema, errs);
        if (r == -ENOMEM)
                return r;

        e = cyaml_load_data(data, len, &config, schema, &out, NULL);
        if (e == CYAML_ERR_OOM)
                return -ENOMEM;
        if (e != CYAML_OK) {
                char msg[768];
                uint32_t line, column;
                char *path;
                const char *missing = "Missing required mapping field: ";
                if (strncmp(cap.message, missing, strlen(missing)) == 0 && cap.n > 0 &&
                    !cap.bt[0].entry) {
                        /*
                         * The innermost frame is the last key libcyaml saw in
                         * that mapping, not the missing one: name the missing one.
                         */
                        const char *k = cap.message + strlen(missing);
                        size_t kl = strnlen(k, sizeof(cap.bt[0].key) - 1);
                        memcpy(cap.bt[0].key, k, kl);
                        cap.bt[0].key[kl] = 0;
                }
                path = capture_path(&cap);
                if (!path)
                        return -ENOMEM;
                const struct chair_yaml_node *node = chair_yaml_pos_find(pos, path);
                const cyaml_schema_value_t *want = chair_yaml_schema_at(schema, path);
                translate(cap.message[0] ? cap.message : cyaml_strerror(e), want, msg, sizeof(msg));
                /* "key:" with nothing after it (e.g. every child commented out) */
                if (node && !node->is_container && node->value && !node->value[0] && want &&
                    (want->type == CYAML_MAPPING || want->type == CYAML_SEQUENCE))
                        snprintf(msg, sizeof(msg), "empty value: write %s or remove the key",
                                 want->type == CYAML_MAPPING ? "{}" : "[]");
                chair_yaml_pos_locate(pos, path, &line, &column);
                r = chair_errors_add(errs, file, line, column, path, "%s", msg);
                free(path);
                return r < 0 ? r : -EINVAL;
        }

        if (!out) {
                /* libcyaml returns no data for a document that sets nothing. */
                out = calloc(1, schema->data_size);
                if (!out)
                        return -ENOMEM;
        }
        *ret = out;
        return r;
}

static char *join(const char *base, const char *key) {
        char *s;
        if (asprintf(&s, "%s%s%s", base, base[0] ? "." : "", key) < 0)
                return NULL;
        return s;
}

static int fill(const struct chair_yaml_pos *pos, const cyaml_schema_field_t *fields,
                const char *base, uint8_t *data, const uint8_t *defaults) {
        for (const cyaml_schema_field_t *f = fields; f->key; f++) {
                const cyaml_schema_value_t *v = &f->value;
                uint8_t *dst = data + f->data_offset;
                const uint8_t *src = defaults + f->data_offset;
                char *path = join(base, f->key);
                int r = 0;

                if (!path)
                        return -ENOMEM;
                if (v->type == CYAML_MAPPING && !(v->flags & CYAML_FLAG_POINTER)) {
                        r = fill(pos, v->mapping.fields, path, dst, src);
                } else if (v->type == CYAML_SEQUENCE || v->type == CYAML_SEQUENCE_FIXED ||
                           v->type == CYAML_MAPPING) {
                        /* left to the caller */
                } else if (!chair_yaml_pos_has(pos, path)) {
                        if (v->type == CYAML_STRING && (v->flags & CYAML_FLAG_POINTER)) {
                                const char *s = *(char *const *) (const void *) src;
                                char *copy = s ? strdup(s) : NULL;
                                if (s && !copy)
                                        r = -ENOMEM;
                                else {
                                        free(*(char **) (void *) dst);
                                        *(char **) (void *) dst = copy;
                                }
                        } else if (!(v->flags & CYAML_FLAG_POINTER)) {
                                memcpy(dst, src, v->data_size);
                        }
                }
                free(path);
                if (r < 0)
                        return r;
        }
        return 0;
}

int chair_yaml_fill_defaults(const struct chair_yaml_pos *pos, const cyaml_schema_value_t *schema,
                             const char *base, void *data, const void *defaults) {
        return fill(pos, schema->mapping.fields, base, data, defaults);
}

int chair_yaml_error(const char *file, const struct chair_yaml_pos *pos, struct chair_errors *errs,
                     const char *path, const char *fmt, ...) {
        char msg[512];
        uint32_t line, column;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        chair_yaml_pos_locate(pos, path, &line, &column);
        if (chair_errors_add(errs, file, line, column, path, "%s", msg) < 0)
                return -ENOMEM;
        return -EINVAL;
}

static double num_get(const void *p, enum chair_yaml_num t) {
        switch (t) {
        case CHAIR_YAML_U8: return *(const uint8_t *) p;
        case CHAIR_YAML_U16: return *(const uint16_t *) p;
        case CHAIR_YAML_U32: return *(const uint32_t *) p;
        case CHAIR_YAML_I32: return *(const int32_t *) p;
        case CHAIR_YAML_FLOAT: return *(const float *) p;
        }
        return 0.0 / 0.0;
}

int chair_yaml_check_ranges(const char *file, const struct chair_yaml_pos *pos,
                            struct chair_errors *errs, const char *base, const void *data,
                            const struct chair_yaml_range *t, size_t n) {
        int r = 0;

        for (size_t i = 0; i < n; i++) {
                char path[256];
                double v = num_get((const uint8_t *) data + t[i].offset, t[i].type);

                snprintf(path, sizeof(path), "%s%s%s", base, base[0] ? "." : "", t[i].key);
                if (!chair_yaml_pos_has(pos, path))
                        continue;
                /* Written so that NaN fails too. */
                if (!(v >= t[i].min && v <= t[i].max)) {
                        r = chair_yaml_error(file, pos, errs, path, "out of range: %g (allowed %g..%g)",
                                             v, t[i].min, t[i].max);
                        if (r == -ENOMEM)
                                return r;
                }
        }
        return r;
}

void *chair_yaml_free(const cyaml_schema_value_t *schema, void *data) {
        const cyaml_config_t config = { .mem_fn = mem, .log_level = CYAML_LOG_ERROR };
        if (data)
                cyaml_free(&config, schema, data, 0);
        return NULL;
}

int chair_yaml_read_file(const char *path, size_t max, uint8_t **ret, size_t *ret_len) {
        FILE *f = fopen(path, "re");
        uint8_t *buf = NULL;
        size_t len = 0, cap = 0;

        if (!f)
                return -errno;
        for (;;) {
                if (len == cap) {
                        uint8_t *b;
                        cap = cap ? cap * 2 : 4096;
                        if (cap > max) {
                                free(buf);
                                fclose(f);
                                return -EFBIG;
                        }
                        b = realloc(buf, cap + 1);
                        if (!b) {
                                free(buf);
                                fclose(f);
                                return -ENOMEM;
                        }
                        buf = b;
                }
                size_t k = fread(buf + len, 1, cap - len, f);
                len += k;
                if (k == 0)
                        break;
        }
        if (ferror(f)) {
                int r = -EIO;
                free(buf);
                fclose(f);
                return r;
        }
        fclose(f);
        buf[len] = 0;
        *ret = buf;
        *ret_len = len;
        return 0;
}
