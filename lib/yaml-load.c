/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* ---- the value check: every scalar against its schema, before libcyaml ---- */

/* "%g", but integral values in full (4294967295, not 4.29497e+09). */
static const char *fmt_num(double v, char *buf, size_t size) {
        /* The range first: converting a double outside int64_t is undefined. */
        if (v > -1e16 && v < 1e16 && v == (double) (int64_t) v)
                snprintf(buf, size, "%" PRId64, (int64_t) v);
        else
                snprintf(buf, size, "%g", v);
        return buf;
}

/* Does PATH equal BASE "." KEY, where '*' in BASE stands for one path component? */
static bool range_match(const char *base, const char *key, const char *path) {
        const char *b = base;

        while (*b) {
                if (*b == '*') {
                        path += strcspn(path, ".[]");
                        b++;
                } else if (*b++ != *path++) {
                        return false;
                }
        }
        if (base[0]) {
                if (*path++ != '.')
                        return false;
        }
        return strcmp(path, key) == 0;
}

static const struct chair_yaml_range *range_for(const struct chair_yaml_ranges *sets, size_t n_sets,
                                                const char *path) {
        for (size_t i = 0; i < n_sets; i++)
                for (size_t j = 0; j < sets[i].n; j++)
                        if (range_match(sets[i].base, sets[i].t[j].key, path))
                                return &sets[i].t[j];
        return NULL;
}

/* The range a C type of SIZE bytes holds. */
static void type_range(const cyaml_schema_value_t *v, double *lo, double *hi) {
        unsigned bits = v->data_size * 8;
        if (v->type == CYAML_FLOAT) {
                *lo = -3.4028234663852886e38;
                *hi = 3.4028234663852886e38;
        } else if (v->type == CYAML_UINT) {
                *lo = 0;
                *hi = bits >= 64 ? 18446744073709551615.0 : (double) (((uint64_t) 1 << bits) - 1);
        } else {
                *lo = bits >= 64 ? -9223372036854775808.0 : -(double) ((uint64_t) 1 << (bits - 1));
                *hi = bits >= 64 ? 9223372036854775807.0 : (double) (((uint64_t) 1 << (bits - 1)) - 1);
        }
}

/* Strict: the whole text is a decimal integer (an optional sign, digits; no
 * leading zero, which libcyaml's strtoll would read as octal). */
static bool parse_integer(const char *s, double *ret) {
        const char *d = s + (*s == '-' || *s == '+');
        if (!*d || strspn(d, "0123456789") != strlen(d) || (d[0] == '0' && d[1]))
                return false;
        *ret = strtod(s, NULL);
        return true;
}

/* Strict: the whole text is a finite number. */
static bool parse_number(const char *s, double *ret) {
        char *end;
        double v;

        if (!*s || strchr(" \t\n", *s) || (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')))
                return false;
        errno = 0;
        v = strtod(s, &end);
        if (*end || !isfinite(v))
                return false;
        *ret = v;
        return true;
}

static bool is_bool(const char *s) {
        /* What libcyaml reads as a boolean. */
        static const char *const words[] = { "true", "false", "yes", "no", "on", "off",
                                             "enable", "disable", "1", "0" };
        for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
                if (strcasecmp(s, words[i]) == 0)
                        return true;
        return false;
}

static int strval_find(const cyaml_schema_value_t *v, const char *s) {
        for (uint32_t i = 0; i < v->enumeration.count; i++)
                if (strcmp(v->enumeration.strings[i].str, s) == 0)
                        return (int) i;
        return -1;
}

struct vcheck {
        const char *file;
        const struct chair_yaml_pos *pos;
        struct chair_errors *errs;
        const struct chair_yaml_ranges *sets;
        size_t n_sets;
        int r;                     /* 0, -EINVAL (an error was added), -ENOMEM */
        bool fatal;                /* an error libcyaml would stop at (not a range) */
};

__attribute__((format(printf, 4, 5)))
static void vfail(struct vcheck *c, const struct chair_yaml_node *node, const char *path, const char *fmt, ...) {
        char msg[768];
        uint32_t line, column;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (node) {
                line = node->line;
                column = node->column;
        } else {
                chair_yaml_pos_locate(c->pos, path, &line, &column);
        }
        if (chair_errors_add(c->errs, c->file, line, column, path, "%s", msg) < 0)
                c->r = -ENOMEM;
        else if (c->r == 0)
                c->r = -EINVAL;
        c->fatal = true;
}

static void check_number(struct vcheck *c, const struct chair_yaml_node *node, const cyaml_schema_value_t *v) {
        const struct chair_yaml_range *row = range_for(c->sets, c->n_sets, node->path);
        bool integer = v->type != CYAML_FLOAT;
        char a[32], b[32];
        double lo, hi, x;

        if (row) {
                lo = row->min;
                hi = row->max;
        } else {
                type_range(v, &lo, &hi);
        }
        if (!(integer ? parse_integer(node->value, &x) : parse_number(node->value, &x))) {
                double f;
                const char *hint = integer && parse_number(node->value, &f) ?
                        " (decimal digits: no fractions, exponents or leading zeros)" : "";
                if (!integer && !row)   /* a float's own range says nothing useful */
                        vfail(c, node, node->path, "invalid value '%s': expected a number", node->value);
                else
                        vfail(c, node, node->path, "invalid value '%s': expected %s in %s..%s%s", node->value,
                              integer ? "an integer" : "a number", fmt_num(lo, a, sizeof(a)),
                              fmt_num(hi, b, sizeof(b)), hint);
                return;
        }
        /* Written so that NaN fails too; the value is quoted as written.  libcyaml
         * can still load it when it fits the C type: the load goes on. */
        if (!(x >= lo && x <= hi)) {
                bool fatal = c->fatal;
                double tlo, thi;
                vfail(c, node, node->path, "out of range: %s (allowed %s..%s)", node->value,
                      fmt_num(lo, a, sizeof(a)), fmt_num(hi, b, sizeof(b)));
                type_range(v, &tlo, &thi);
                if (x >= tlo && x <= thi)
                        c->fatal = fatal;
        }
}

static void describe(const cyaml_schema_value_t *v, char *buf, size_t size);

static void check_flags(struct vcheck *c, const struct chair_yaml_node *node, const cyaml_schema_value_t *v) {
        char want[256], path[600];
        uint32_t seen = 0;

        describe(v, want, sizeof(want));
        for (unsigned i = 0;; i++) {
                const struct chair_yaml_node *e;
                int k;
                snprintf(path, sizeof(path), "%s[%u]", node->path, i);
                e = chair_yaml_pos_find(c->pos, path);
                if (!e)
                        break;
                if (e->is_container || !e->value) {
                        vfail(c, e, path, "wrong type: expected %s", want);
                        continue;
                }
                k = strval_find(v, e->value);
                if (k < 0) {
                        vfail(c, e, path, "unknown value '%s': expected %s", e->value, want);
                } else if (k < 32 && (seen & (1u << k))) {
                        if (chair_errors_warn(c->errs, c->file, e->line, e->column, path,
                                              "'%s' is listed twice", e->value) < 0)
                                c->r = -ENOMEM;
                } else if (k < 32) {
                        seen |= 1u << k;
                }
        }
}

static void check_node(struct vcheck *c, const struct chair_yaml_node *node, const cyaml_schema_value_t *v) {
        char want[256];
        bool scalar = !node->is_container;
        const char *val = node->value ? node->value : "";

        describe(v, want, sizeof(want));
        switch (v->type) {
        case CYAML_MAPPING:
        case CYAML_SEQUENCE:
        case CYAML_SEQUENCE_FIXED:
        case CYAML_FLAGS: {
                bool seq = v->type != CYAML_MAPPING;
                if (scalar && !val[0]) {
                        vfail(c, node, node->path, "empty value: write %s or remove the key", seq ? "[]" : "{}");
                        return;
                }
                if (scalar || node->is_sequence != seq) {
                        vfail(c, node, node->path, "wrong type: expected %s", want);
                        return;
                }
                if (v->type == CYAML_FLAGS)
                        check_flags(c, node, v);
                if (v->type == CYAML_MAPPING) {
                        /* Every missing required key, at its mapping. */
                        for (const cyaml_schema_field_t *f = v->mapping.fields; f && f->key; f++) {
                                char path[600];
                                if (f->value.flags & CYAML_FLAG_OPTIONAL)
                                        continue;
                                snprintf(path, sizeof(path), "%s%s%s", node->path, node->path[0] ? "." : "", f->key);
                                if (!chair_yaml_pos_has(c->pos, path))
                                        vfail(c, NULL, path, "missing required key");
                        }
                }
                return;
        }
        default:
                break;
        }
        if (!scalar) {
                vfail(c, node, node->path, "wrong type: expected %s", want);
                return;
        }
        switch (v->type) {
        case CYAML_INT:
        case CYAML_UINT:
        case CYAML_FLOAT:
                check_number(c, node, v);
                break;
        case CYAML_BOOL:
                if (!is_bool(val))
                        vfail(c, node, node->path, "invalid value '%s': expected true or false", val);
                break;
        case CYAML_ENUM:
                if (strval_find(v, val) < 0)
                        vfail(c, node, node->path, "invalid value '%s': expected %s", val, want);
                break;
        default:
                break;
        }
}

/*
 * Check every node against the schema: wrong types, numbers that are not
 * strictly numbers of the right kind, ranges (on the value as written), enum
 * and flag values, missing required keys.  All of them, not the first one
 * only: libcyaml stops at its first error.
 */
static int check_values(struct vcheck *c, const cyaml_schema_value_t *schema) {
        for (size_t i = 0; i < c->pos->n && c->r != -ENOMEM; i++) {
                const struct chair_yaml_node *node = &c->pos->v[i];
                const cyaml_schema_value_t *v;

                if (node->path[0] && !node->is_key) {
                        /* A sequence entry: the entries of flags are checked with their list. */
                        char ppath[600];
                        size_t n = strlen(node->path);
                        while (n > 0 && node->path[n - 1] != '[')
                                n--;
                        if (n == 0 || n > sizeof(ppath))
                                continue;
                        memcpy(ppath, node->path, n - 1);
                        ppath[n - 1] = 0;
                        v = chair_yaml_schema_at(schema, ppath);
                        if (!v || v->type == CYAML_FLAGS)
                                continue;
                }
                v = node->path[0] ? chair_yaml_schema_at(schema, node->path) : schema;
                if (v)          /* NULL: under an unknown key, reported as such */
                        check_node(c, node, v);
        }
        return c->r;
}

int chair_yaml_load(const void *data, size_t len, const char *file,
                    const struct chair_yaml_pos *pos, const cyaml_schema_value_t *schema,
                    const struct chair_yaml_ranges *ranges, size_t n_ranges,
                    struct chair_errors *errs, void **ret) {
        struct vcheck vc = { .file = file, .pos = pos, .errs = errs, .sets = ranges, .n_sets = n_ranges };
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
        /* A value libcyaml would stop at is reported here, with every other one. */
        check_values(&vc, schema);
        if (vc.r == -ENOMEM)
                return vc.r;
        if (vc.fatal)
                return -EINVAL;
        if (vc.r < 0)
                r = vc.r;

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

void *chair_yaml_free(const cyaml_schema_value_t *schema, void *data) {
        const cyaml_config_t config = { .mem_fn = mem, .log_level = CYAML_LOG_ERROR };
        if (data)
                cyaml_free(&config, schema, data, 0);
        return NULL;
}

static const char *file_kind(mode_t m) {
        if (S_ISDIR(m)) return "a directory";
        if (S_ISFIFO(m)) return "a FIFO";
        if (S_ISSOCK(m)) return "a socket";
        if (S_ISCHR(m)) return "a character device";
        if (S_ISBLK(m)) return "a block device";
        return "not a regular file";
}

int chair_yaml_read_file(const char *path, size_t max, struct chair_errors *errs,
                         uint8_t **ret, size_t *ret_len) {
        uint8_t *buf = NULL;
        size_t len = 0;
        struct stat st;
        int fd, r;

        /*
         * O_NONBLOCK: opening a FIFO must not wait for a writer (a FIFO named
         * zz.yaml in a programs directory hung --check-config and every reload);
         * fstat() then refuses everything but a regular file before any read.
         */
        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                r = -errno;
                goto fail;
        }
        if (fstat(fd, &st) < 0) {
                r = -errno;
                goto fail;
        }
        if (!S_ISREG(st.st_mode)) {
                close(fd);
                if (chair_errors_add(errs, path, 0, 0, "", "cannot read: %s, not a regular file",
                                     file_kind(st.st_mode)) < 0)
                        return -ENOMEM;
                return -EINVAL;
        }
        if ((uint64_t) st.st_size > max) {
                r = -EFBIG;
                goto fail;
        }
        /* The size may change while we read: never take more than max bytes. */
        buf = malloc((size_t) st.st_size + 2);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        for (;;) {
                size_t want = (size_t) st.st_size + 1 - len;
                ssize_t k = read(fd, buf + len, want);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        r = -errno;
                        goto fail;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len > (size_t) st.st_size) {
                        r = -EFBIG;     /* grew while we read */
                        goto fail;
                }
        }
        close(fd);
        buf[len] = 0;
        *ret = buf;
        *ret_len = len;
        return 0;

fail:
        free(buf);
        if (fd >= 0)
                close(fd);
        if (r == -EFBIG)
                r = chair_errors_add(errs, path, 0, 0, "", "cannot read: larger than %zu KiB (the limit of one file)",
                                     max / 1024) < 0 ? -ENOMEM : -EFBIG;
        else if (chair_errors_add(errs, path, 0, 0, "", "cannot read: %s", strerror(-r)) < 0)
                r = -ENOMEM;
        return r;
}
