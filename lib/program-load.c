/* SPDX-License-Identifier: MIT */
/* Loading and validating program files (lib/program-load.h); the model is lib/program.c. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "errors.h"
#include "program-load.h"
#include "program.h"
#include "yaml-load.h"
#include "yaml-pos.h"

/* ---- loading ---- */

/* What libcyaml loads; turned into struct chair_program after validation. */
struct raw_step {
        int technique;
        char *zone;
        uint32_t duration_s;
        uint8_t intensity;
        uint8_t speed;
        bool heat;
        uint8_t airbags;
        int recline;
};

struct raw_program {
        char *id;
        char *name;
        char *description;
        uint32_t default_minutes;
        struct raw_step *steps;
        unsigned n_steps;
};

#define OPT CYAML_FLAG_OPTIONAL
/* A program file larger than this is refused (-EFBIG): 64 steps fit in a few KiB. */
#define PROGRAM_MAX_BYTES CHAIR_YAML_FILE_MAX

static const cyaml_strval_t technique_strings[] = {
        { "rolling", CHAIR_TECH_ROLLING },
        { "kneading", CHAIR_TECH_KNEADING },
        { "tapping", CHAIR_TECH_TAPPING },
        { "shiatsu", CHAIR_TECH_SHIATSU },
        { "deep-tissue", CHAIR_TECH_DEEP_TISSUE },
        { "myofascial", CHAIR_TECH_MYOFASCIAL },
        { "stretch", CHAIR_TECH_STRETCH },
        { "rocking", CHAIR_TECH_ROCKING },
        { "compression", CHAIR_TECH_COMPRESSION },
        { "heat", CHAIR_TECH_HEAT },
};

static const cyaml_strval_t airbag_strings[] = {
        { "lumbar-left", 1 << CHAIR_BAG_LUMBAR_LEFT },
        { "lumbar-right", 1 << CHAIR_BAG_LUMBAR_RIGHT },
        { "seat", 1 << CHAIR_BAG_SEAT },
        { "calves", 1 << CHAIR_BAG_CALVES },
};

static const cyaml_strval_t recline_strings[] = {
        { "upright", CHAIR_RECLINE_UPRIGHT },
        { "relax", CHAIR_RECLINE_RELAX },
        { "zero-gravity", CHAIR_RECLINE_ZERO_GRAVITY },
};

static const cyaml_schema_field_t step_fields[] = {
        CYAML_FIELD_ENUM("technique", CYAML_FLAG_STRICT, struct raw_step, technique,
                         technique_strings, CYAML_ARRAY_LEN(technique_strings)),
        CYAML_FIELD_STRING_PTR("zone", OPT, struct raw_step, zone, 0, CYAML_UNLIMITED),
        CYAML_FIELD_UINT("duration_s", CYAML_FLAG_DEFAULT, struct raw_step, duration_s),
        CYAML_FIELD_UINT("intensity", OPT, struct raw_step, intensity),
        CYAML_FIELD_UINT("speed", OPT, struct raw_step, speed),
        CYAML_FIELD_BOOL("heat", OPT, struct raw_step, heat),
        CYAML_FIELD_FLAGS("airbags", OPT | CYAML_FLAG_STRICT, struct raw_step, airbags,
                          airbag_strings, CYAML_ARRAY_LEN(airbag_strings)),
        CYAML_FIELD_ENUM("recline", OPT | CYAML_FLAG_STRICT, struct raw_step, recline,
                         recline_strings, CYAML_ARRAY_LEN(recline_strings)),
        CYAML_FIELD_END,
};

static const cyaml_schema_value_t step_schema = {
        CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct raw_step, step_fields),
};

static const cyaml_schema_field_t program_fields[] = {
        CYAML_FIELD_STRING_PTR("id", CYAML_FLAG_DEFAULT, struct raw_program, id, 0, CYAML_UNLIMITED),
        CYAML_FIELD_STRING_PTR("name", CYAML_FLAG_DEFAULT, struct raw_program, name, 0, CYAML_UNLIMITED),
        CYAML_FIELD_STRING_PTR("description", OPT, struct raw_program, description, 0, CYAML_UNLIMITED),
        CYAML_FIELD_UINT("default_minutes", OPT, struct raw_program, default_minutes),
        /* Counts are checked by us so that errors name the key, not an entry. */
        CYAML_FIELD_SEQUENCE_COUNT("steps", CYAML_FLAG_POINTER, struct raw_program, steps, n_steps,
                                   &step_schema, 0, CYAML_UNLIMITED),
        CYAML_FIELD_END,
};

static const cyaml_schema_value_t program_schema = {
        CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct raw_program, program_fields),
};

#define DEFAULT_ZONE "T12-S1"
static const struct raw_step step_defaults = {
        .intensity = 3,
        .speed = 3,
        .recline = CHAIR_RECLINE_KEEP,
};
static const struct raw_program program_defaults = {
        .default_minutes = 15,
};

#define RS(key, type, m, lo, hi) { key, type, offsetof(struct raw_step, m), lo, hi }
static const struct chair_yaml_range step_ranges[] = {
        RS("duration_s", CHAIR_YAML_U32, duration_s, 5, 1800),
        RS("intensity", CHAIR_YAML_U8, intensity, 1, 5),
        RS("speed", CHAIR_YAML_U8, speed, 1, 5),
};
static const struct chair_yaml_range program_ranges[] = {
        { "default_minutes", CHAIR_YAML_U32, offsetof(struct raw_program, default_minutes), 1, 30 },
};

static const struct chair_yaml_ranges program_range_sets[] = {
        { "", program_ranges, sizeof(program_ranges) / sizeof(program_ranges[0]) },
        { "steps[*]", step_ranges, sizeof(step_ranges) / sizeof(step_ranges[0]) },
};

/* "L4" or "L3-L5"; from must be nearer the head (or equal). */
static int parse_zone(const char *s, enum chair_landmark *from, enum chair_landmark *to, const char **why) {
        char a[8], b[8];
        const char *dash = strchr(s, '-');
        int x, y;

        if (!dash) {
                x = y = chair_landmark_from_name(s);
        } else {
                size_t n = (size_t) (dash - s);
                if (n >= sizeof(a) || strlen(dash + 1) >= sizeof(b)) {
                        *why = "unknown landmark";
                        return -EINVAL;
                }
                memcpy(a, s, n);
                a[n] = 0;
                strcpy(b, dash + 1);
                x = chair_landmark_from_name(a);
                y = chair_landmark_from_name(b);
        }
        if (x < 0 || y < 0) {
                *why = "unknown landmark";
                return -EINVAL;
        }
        if (x > y) {
                *why = "range must run from the head down";
                return -EINVAL;
        }
        *from = (enum chair_landmark) x;
        *to = (enum chair_landmark) y;
        return 0;
}

static bool has_part(const struct chair_config *cfg, enum chair_actuator a) {
        return !cfg || cfg->hardware.outputs[a].present;
}

/*
 * Parts a program uses that the chair lacks.  A part a technique cannot work
 * without is needed: the program is skipped.  Otherwise (a recline preset, heat,
 * bags holding during a roller technique) the step goes on without it: that use
 * is dropped from the step and said once per program.
 */
struct fit {
        uint32_t missing;          /* needed parts the chair lacks (bit mask of enum chair_actuator) */
        char first[64];            /* path of the first key that needs one */
        uint32_t dropped;          /* parts whose use was dropped */
        char first_dropped[64];
};

static bool need(struct fit *fit, const struct chair_config *cfg, enum chair_actuator a,
                 const char *base, const char *key, bool essential) {
        uint32_t *mask = essential ? &fit->missing : &fit->dropped;
        char *first = essential ? fit->first : fit->first_dropped;

        if (has_part(cfg, a))
                return true;
        if (!*mask)
                snprintf(first, sizeof(fit->first), "%s.%s", base, key);
        *mask |= 1u << a;
        return false;
}

/* Validate one step against the schema and the chair; fill *out.  Parts the
 * chair lacks are not errors: they are collected in *fit (graceful fit). */
static int check_step(const char *file, const struct chair_yaml_pos *pos, struct chair_errors *errs,
                      const struct chair_config *cfg, unsigned i, const struct raw_step *s,
                      struct chair_step *out, struct fit *fit) {
        char base[32], path[64];
        const char *why = NULL;
        int r, ret = 0;

#define FAIL(key, ...) do { \
                snprintf(path, sizeof(path), "%s.%s", base, key); \
                r = chair_yaml_error(file, pos, errs, path, __VA_ARGS__); \
                if (r == -ENOMEM) \
                        return r; \
                ret = r; \
        } while (0)
        /* Ranges were checked on the values as written, by chair_yaml_load(). */
        snprintf(base, sizeof(base), "steps[%u]", i);

        *out = (struct chair_step) {
                .technique = (enum chair_technique) s->technique,
                .duration_s = s->duration_s,
                .intensity = s->intensity,
                .speed = s->speed,
                .heat = s->heat,
                .airbags = s->airbags,
                .recline = (enum chair_recline) s->recline,
        };
        if (parse_zone(s->zone ? s->zone : DEFAULT_ZONE, &out->zone_from, &out->zone_to, &why) < 0)
                FAIL("zone", "%s in '%s' (landmarks head to seat: C7 T10 T12 L1 L2 L3 L4 L5 S1; "
                     "a range like L3-L5)", why, s->zone);

        /* Steps that cannot do what they say (docs/programs.md "Checks"). */
        if (s->technique == CHAIR_TECH_HEAT && !s->heat)
                FAIL("technique", "technique 'heat' rests the rollers and needs heat: true; "
                     "without it this step does nothing");
        if (s->technique == CHAIR_TECH_COMPRESSION && !s->airbags)
                FAIL("technique", "technique 'compression' needs airbags (a list of: lumbar-left, "
                     "lumbar-right, seat, calves); without them this step does nothing");

        /* Needed: the technique is nothing without them. */
        if (s->technique == CHAIR_TECH_HEAT)
                need(fit, cfg, CHAIR_ACT_HEATER, base, "technique", true);
        if (s->technique == CHAIR_TECH_ROCKING || s->technique == CHAIR_TECH_STRETCH)
                need(fit, cfg, CHAIR_ACT_BACKREST, base, "technique", true);
        if (s->technique == CHAIR_TECH_STRETCH) {
                /* The stretch grips the hips with both lumbar bags, whatever the step lists. */
                need(fit, cfg, CHAIR_ACT_VALVE_LUMBAR_LEFT, base, "technique", true);
                need(fit, cfg, CHAIR_ACT_VALVE_LUMBAR_RIGHT, base, "technique", true);
                need(fit, cfg, CHAIR_ACT_PUMP, base, "technique", true);
        }
        /* Used if there: heat with a roller technique, a recline preset, bags
         * holding during a roller technique.  Without them the step goes on. */
        if (s->heat && s->technique != CHAIR_TECH_HEAT && !need(fit, cfg, CHAIR_ACT_HEATER, base, "heat", false))
                out->heat = false;
        if (s->recline != CHAIR_RECLINE_KEEP && !need(fit, cfg, CHAIR_ACT_BACKREST, base, "recline", false))
                out->recline = CHAIR_RECLINE_KEEP;
        for (int b = 0; b < _CHAIR_BAG_COUNT; b++) {
                bool essential = s->technique == CHAIR_TECH_COMPRESSION;
                if (!(s->airbags & (1u << b)))
                        continue;
                /* Both asked, so each notes its own missing part. */
                bool valve = need(fit, cfg, chair_airbag_valve(b), base, "airbags", essential);
                bool pump = need(fit, cfg, CHAIR_ACT_PUMP, base, "airbags", essential);
                if (!valve || !pump)
                        out->airbags &= (uint8_t) ~(1u << b);
        }
#undef FAIL
        return ret;
}

static bool valid_program_id(const char *s) {
        size_t n = s ? strlen(s) : 0;      /* NULL: an empty document has no id at all */
        return n > 0 && n < CHAIR_PROGRAM_ID_MAX &&
               strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* "heater, backrest" */
static void part_list(uint32_t mask, char *buf, size_t size) {
        size_t n = 0;

        buf[0] = 0;
        for (int a = 0; a < _CHAIR_ACT_COUNT && n < size; a++)
                if (mask & (1u << a))
                        n += (size_t) snprintf(buf + n, size - n, "%s%s", n ? ", " : "",
                                               chair_actuator_name((enum chair_actuator) a));
}

/* Load and validate; *id_line/column: where the id key is, for duplicate-id errors. */
static int program_load(const char *path, const struct chair_config *cfg, struct chair_errors *errs,
                        struct chair_program *ret, uint32_t *id_line, uint32_t *id_column) {
        struct chair_yaml_pos *pos = NULL;
        struct raw_program *raw = NULL;
        struct chair_program p = { 0 };
        struct fit fit = { 0 };
        uint8_t *data = NULL;
        size_t len = 0;
        void *loaded = NULL;
        int r, bad = 0;

        *ret = (struct chair_program) { 0 };
        r = chair_yaml_read_file(path, PROGRAM_MAX_BYTES, errs, &data, &len);
        if (r < 0)
                return r;

        r = chair_yaml_pos_parse(data, len, path, errs, &pos);
        if (r < 0)
                goto out;
        r = chair_yaml_load(data, len, path, pos, &program_schema, program_range_sets,
                            sizeof(program_range_sets) / sizeof(program_range_sets[0]), errs, &loaded);
        raw = loaded;
        if (!raw)
                goto out;       /* nothing more can be checked */
        bad = r;
        chair_yaml_pos_locate(pos, "id", id_line, id_column);

        r = chair_yaml_fill_defaults(pos, &program_schema, "", raw, &program_defaults);
        if (r < 0)
                goto out;

        if (!valid_program_id(raw->id)) {
                r = chair_yaml_error(path, pos, errs, "id", "must be 1 to %d characters of a-z, 0-9 and '-'",
                                     CHAIR_PROGRAM_ID_MAX - 1);
                if (r == -ENOMEM)
                        goto out;
                bad = r;
        }
        if (raw->n_steps < 1 || raw->n_steps > CHAIR_PROGRAM_MAX_STEPS) {
                r = chair_yaml_error(path, pos, errs, "steps", "needs 1 to %d steps, not %u",
                                     CHAIR_PROGRAM_MAX_STEPS, raw->n_steps);
                if (r == -ENOMEM)
                        goto out;
                bad = r;
        }

        p.steps = calloc(raw->n_steps ? raw->n_steps : 1, sizeof(*p.steps));
        if (!p.steps) {
                r = -ENOMEM;
                goto out;
        }
        for (unsigned i = 0; i < raw->n_steps; i++) {
                char base[32];
                snprintf(base, sizeof(base), "steps[%u]", i);
                r = chair_yaml_fill_defaults(pos, &step_schema, base, &raw->steps[i], &step_defaults);
                if (r < 0)
                        goto out;
                r = check_step(path, pos, errs, cfg, i, &raw->steps[i], &p.steps[i], &fit);
                if (r == -ENOMEM)
                        goto out;
                if (r < 0)
                        bad = r;
                p.total_s += p.steps[i].duration_s;
        }
        p.n_steps = raw->n_steps;
        r = bad;
        if (r < 0)
                goto out;

        /* Step times are scaled to the session; more than 10 % away from
         * default_minutes, every step lasts longer (or shorter) than written: say so. */
        if (p.total_s > 0) {
                double ratio = raw->default_minutes * 60.0 / p.total_s;
                if (ratio > 1.1 || ratio < 1 / 1.1) {
                        uint32_t l, c;
                        const char *at = chair_yaml_pos_has(pos, "default_minutes") ? "default_minutes" : "steps";
                        chair_yaml_pos_locate(pos, at, &l, &c);
                        if (chair_errors_warn(errs, path, l, c, at,
                                              "the steps add up to %" PRIu32 " s but default_minutes is %" PRIu32
                                              " (%" PRIu32 " s): each step will run %.2f times as long as written",
                                              p.total_s, raw->default_minutes, raw->default_minutes * 60,
                                              ratio) < 0) {
                                r = -ENOMEM;
                                goto out;
                        }
                }
        }

        /* Graceful fit: one warning naming every part it needs that the chair lacks. */
        if (fit.missing) {
                char parts[256];
                uint32_t l, c;
                part_list(fit.missing, parts, sizeof(parts));
                chair_yaml_pos_locate(pos, fit.first, &l, &c);
                if (chair_errors_warn(errs, path, l, c, fit.first,
                                      "program '%s' skipped: it needs %s, which this chair lacks "
                                      "(not under hardware.outputs)", raw->id, parts) < 0) {
                        r = -ENOMEM;
                        goto out;
                }
                snprintf(ret->id, sizeof(ret->id), "%s", raw->id);
                r = -ENODEV;
                goto out;
        }
        if (fit.dropped) {
                char parts[256];
                uint32_t l, c;
                part_list(fit.dropped, parts, sizeof(parts));
                chair_yaml_pos_locate(pos, fit.first_dropped, &l, &c);
                if (chair_errors_note(errs, path, l, c, fit.first_dropped,
                                      "program '%s' runs without %s on this chair (its steps go on without them)",
                                      raw->id, parts) < 0) {
                        r = -ENOMEM;
                        goto out;
                }
        }

        snprintf(p.id, sizeof(p.id), "%s", raw->id);
        p.default_minutes = raw->default_minutes;
        p.name = raw->name;
        raw->name = NULL;
        p.description = raw->description ? raw->description : strdup("");
        raw->description = NULL;
        p.file = strdup(path);
        if (!p.description || !p.file) {
                r = -ENOMEM;
                goto out;
        }
        *ret = p;
        p = (struct chair_program) { 0 };
        r = 0;
out:
        chair_program_clear(&p);
        chair_yaml_free(&program_schema, raw);
        chair_yaml_pos_free(pos);
        free(data);
        return r;
}

int chair_program_load(const char *path, const struct chair_config *cfg,
                       struct chair_errors *errs, struct chair_program *ret) {
        uint32_t line, column;
        return program_load(path, cfg, errs, ret, &line, &column);
}

static int cmp_names(const void *a, const void *b) {
        /* strcmp, not strcoll: the order must not depend on the locale. */
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool is_program_file(const char *name) {
        size_t n = strlen(name);
        return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".yaml") == 0;
}

/* Sorted *.yaml names in DIR. */
static int list_dir(const char *dir, char ***ret, size_t *ret_n) {
        DIR *d = opendir(dir);
        struct dirent *de;
        char **v = NULL;
        size_t n = 0;

        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                char **nv;
                if (!is_program_file(de->d_name))
                        continue;
                nv = realloc(v, (n + 1) * sizeof(*v));
                if (!nv)
                        goto oom;
                v = nv;
                if (!(v[n] = strdup(de->d_name)))
                        goto oom;
                n++;
        }
        closedir(d);
        if (n > 0)
                qsort(v, n, sizeof(*v), cmp_names);
        *ret = v;
        *ret_n = n;
        return 0;
oom:
        closedir(d);
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
        return -ENOMEM;
}

int chair_programs_load(const struct chair_config *cfg, struct chair_errors *errs,
                        struct chair_programs **ret) {
        struct chair_programs *set;
        int ret_r = 0;

        *ret = NULL;
        set = calloc(1, sizeof(*set));
        if (!set)
                return -ENOMEM;

        for (unsigned d = 0; d < cfg->n_program_dirs; d++) {
                const char *dir = cfg->program_dirs[d];
                size_t first = set->n;  /* programs of this directory start here */
                char **names = NULL;
                size_t n_names = 0;
                int r;

                r = dir && dir[0] ? list_dir(dir, &names, &n_names) : -ENOENT;
                if (r == -ENOMEM)
                        goto oom;
                if (r < 0) {
                        if (chair_errors_add(errs, cfg->path, 0, 0, "programs",
                                             "cannot open program directory %s: %s", dir ? dir : "(none)",
                                             strerror(-r)) < 0)
                                goto oom;
                        ret_r = -EINVAL;
                        continue;
                }

                for (size_t i = 0; i < n_names; i++) {
                        struct chair_program p;
                        uint32_t line = 0, column = 0;
                        char *path = NULL;
                        int k;

                        if (asprintf(&path, "%s/%s", dir, names[i]) < 0) {
                                path = NULL;
                                r = -ENOMEM;
                        } else {
                                r = program_load(path, cfg, errs, &p, &line, &column);
                        }
                        if (r == -ENOMEM) {
                                free(path);
                                for (size_t j = i; j < n_names; j++)
                                        free(names[j]);
                                free(names);
                                goto oom;
                        }
                        free(names[i]);
                        if (r == -ENODEV) {
                                /* Graceful fit: warned about; the rest go on. */
                                void *v = realloc(set->skipped, (set->n_skipped + 1) * sizeof(*set->skipped));
                                free(path);
                                if (!v) {
                                        for (size_t j = i + 1; j < n_names; j++)
                                                free(names[j]);
                                        free(names);
                                        goto oom;
                                }
                                set->skipped = v;
                                memcpy(set->skipped[set->n_skipped++], p.id, sizeof(p.id));
                                continue;
                        }
                        if (r < 0) {
                                free(path);
                                ret_r = -EINVAL;
                                continue;
                        }

                        k = chair_programs_find(set, p.id);
                        if (k >= (int) first) {
                                r = chair_errors_add(errs, path, line, column, "id",
                                                     "duplicate program id '%s' (also in %s)", p.id,
                                                     set->v[k].file);
                                free(path);
                                chair_program_clear(&p);
                                if (r < 0) {
                                        for (size_t j = i + 1; j < n_names; j++)
                                                free(names[j]);
                                        free(names);
                                        goto oom;
                                }
                                ret_r = -EINVAL;
                                continue;
                        }
                        free(path);
                        if (k >= 0) {
                                /* A later directory overrides an earlier one: said once, here. */
                                if (chair_errors_note(errs, p.file, line, column, "id",
                                                      "program '%s' overrides the one in %s", p.id,
                                                      set->v[k].file) < 0) {
                                        chair_program_clear(&p);
                                        for (size_t j = i + 1; j < n_names; j++)
                                                free(names[j]);
                                        free(names);
                                        goto oom;
                                }
                                chair_program_clear(&set->v[k]);
                                set->v[k] = p;
                                continue;
                        }
                        if (set->n >= CHAIR_PROGRAMS_MAX) {
                                r = chair_errors_add(errs, p.file, 0, 0, "",
                                                     "more than %d programs in all directories",
                                                     CHAIR_PROGRAMS_MAX);
                                chair_program_clear(&p);
                                if (r < 0) {
                                        for (size_t j = i + 1; j < n_names; j++)
                                                free(names[j]);
                                        free(names);
                                        goto oom;
                                }
                                ret_r = -EINVAL;
                                continue;
                        }
                        struct chair_program *v = realloc(set->v, (set->n + 1) * sizeof(*v));
                        if (!v) {
                                chair_program_clear(&p);
                                for (size_t j = i + 1; j < n_names; j++)
                                        free(names[j]);
                                free(names);
                                goto oom;
                        }
                        set->v = v;
                        set->v[set->n++] = p;
                }
                free(names);
        }

        if (ret_r == 0 && set->n == 0 && set->n_skipped > 0) {
                if (chair_errors_add(errs, cfg->path, 0, 0, "programs",
                                     "no program fits this chair: all %zu were skipped (see the warnings)",
                                     set->n_skipped) < 0)
                        goto oom;
                ret_r = -EINVAL;
        }
        if (ret_r < 0) {
                chair_programs_free(set);
                return ret_r;
        }
        *ret = set;
        return 0;
oom:
        chair_programs_free(set);
        return -ENOMEM;
}

int chair_check_config(const char *config_path, FILE *out) {
        struct chair_errors errs = { 0 };
        struct chair_config *cfg = NULL;
        struct chair_programs *progs = NULL;
        int r, rp = 0;

        r = chair_config_load_lenient(config_path, &errs, &cfg);
        /*
         * Programs are checked even when the config has errors, against what
         * could be read.  A missing directory was reported by the config check
         * already, at its key: skip it here.
         */
        if (cfg) {
                char **all = cfg->program_dirs;
                unsigned n_all = cfg->n_program_dirs, n = 0;
                char **dirs = calloc(n_all ? n_all : 1, sizeof(char *));
                if (!dirs) {
                        rp = -ENOMEM;
                } else {
                        struct stat st;
                        for (unsigned i = 0; i < n_all; i++)
                                if (stat(all[i], &st) == 0 && S_ISDIR(st.st_mode))
                                        dirs[n++] = all[i];
                        cfg->program_dirs = dirs;
                        cfg->n_program_dirs = n;
                        rp = chair_programs_load(cfg, &errs, &progs);
                        cfg->program_dirs = all;
                        cfg->n_program_dirs = n_all;
                        free(dirs);
                }
        }
        if (r == -ENOMEM || rp == -ENOMEM) {
                fprintf(out, "%s: out of memory\n", config_path);
                r = -ENOMEM;
        } else if (r < 0 || rp < 0 || chair_errors_count(&errs) > 0) {
                chair_errors_print(&errs, out);
                r = -EINVAL;
        } else {
                /* Warnings and notes first, then what was skipped, then the verdict. */
                chair_errors_print(&errs, out);
                if (progs && progs->n_skipped > 0) {
                        fprintf(out, "%zu program(s) skipped, they need parts this chair lacks:", progs->n_skipped);
                        for (size_t i = 0; i < progs->n_skipped; i++)
                                fprintf(out, " %s", progs->skipped[i]);
                        fprintf(out, "\n");
                }
                fprintf(out, "configuration OK\n");
        }
        chair_programs_free(progs);
        chair_config_free(cfg);
        chair_errors_clear(&errs);
        return r;
}
