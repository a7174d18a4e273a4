/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "json-util.h"
#include "persist.h"

/* A state file larger than this is not ours (the usage log at its cap is ~1 MiB). */
#define MAX_FILE_BYTES (8u << 20)

enum file_id {
        FILE_COUNTERS,
        FILE_HISTORY,
        FILE_USAGE,
        FILE_PROFILES,
        _FILE_COUNT,
};

static const char *const file_names[_FILE_COUNT] = {
        [FILE_COUNTERS] = "counters.json",
        [FILE_HISTORY] = "history.json",
        [FILE_USAGE] = "usage.json",
        [FILE_PROFILES] = "profiles.json",
};

struct chair_persist {
        char *dir;
        bool dirty[_FILE_COUNT];

        struct chair_counters counters;

        struct chair_fault_record faults[CHAIR_FAULT_HISTORY_MAX];
        unsigned n_faults;
        struct chair_selftest_record selftests[CHAIR_SELFTEST_HISTORY_MAX];
        unsigned n_selftests;

        struct chair_usage_record *usage;
        size_t n_usage, usage_cap;
        struct chair_pending_rating pending_before;

        struct chair_profile profiles[CHAIR_PROFILES_MAX];
        unsigned n_profiles;
};

static void copy_str(char *dst, size_t size, const char *src) {
        if (!src)
                src = "";
        size_t n = strnlen(src, size - 1);
        /* Never cut a UTF-8 sequence in half: back up to a lead byte. */
        if (src[n] != '\0')
                while (n > 0 && ((unsigned char) src[n] & 0xC0) == 0x80)
                        n--;
        memcpy(dst, src, n);
        dst[n] = '\0';
}

int chair_persist_new(const char *dir, struct chair_persist **ret) {
        struct chair_persist *p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->dir = strdup(dir ? dir : ".");
        if (!p->dir) {
                free(p);
                return -ENOMEM;
        }
        *ret = p;
        return 0;
}

struct chair_persist *chair_persist_free(struct chair_persist *p) {
        if (!p)
                return NULL;
        free(p->usage);
        free(p->dir);
        free(p);
        return NULL;
}

const char *chair_persist_dir(const struct chair_persist *p) {
        return p->dir;
}

/* ---- atomic write ------------------------------------------------------ */

static int write_all(int fd, const void *data, size_t len) {
        const char *b = data;
        while (len > 0) {
                ssize_t n = write(fd, b, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                b += n;
                len -= (size_t) n;
        }
        return 0;
}

static int tmp_name(char *buf, size_t size, const char *name) {
        int n = snprintf(buf, size, "%s.tmp", name);
        return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : 0;
}

int chair_persist_write_atomic(const char *dir, const char *name, const void *data, size_t len) {
        char tmp[256];
        int r, dfd, fd;

        if (!name || !*name || strchr(name, '/'))
                return -EINVAL;
        r = tmp_name(tmp, sizeof(tmp), name);
        if (r < 0)
                return r;
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        /* 0600: the usage log and profiles are the owner's personal data. */
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
                r = -errno;
                close(dfd);
                return r;
        }
        r = write_all(fd, data, len);
        /* The data must be on disk before the rename makes it the file: otherwise
         * a power loss can leave the new name pointing at an empty inode. */
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && renameat(dfd, tmp, dfd, name) < 0)
                r = -errno;
        if (r < 0) {
                unlinkat(dfd, tmp, 0);
                close(dfd);
                return r;
        }
        /* Make the rename itself durable. */
        if (fsync(dfd) < 0)
                r = -errno;
        close(dfd);
        return r;
}

/* ---- reading --------------------------------------------------------- */

/* Read and parse one file.  Returns 0 and *ret (NULL when the file does not
 * exist), -EBADMSG with why filled for content that is not one JSON object,
 * or another negative errno when it cannot be read. */
static int read_json(const char *dir, const char *name, struct json_object **ret, char *why, size_t why_size) {
        char path[4096];
        struct stat st;
        int r = 0, fd;
        char *buf = NULL;
        size_t len = 0;

        *ret = NULL;
        if ((size_t) snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
                return -ENAMETOOLONG;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (fstat(fd, &st) < 0) {
                r = -errno;
                goto out;
        }
        if (!S_ISREG(st.st_mode)) {
                snprintf(why, why_size, "not a regular file");
                r = -EBADMSG;
                goto out;
        }
        if ((uint64_t) st.st_size > MAX_FILE_BYTES) {
                snprintf(why, why_size, "larger than %u bytes", MAX_FILE_BYTES);
                r = -EBADMSG;
                goto out;
        }
        buf = malloc((size_t) st.st_size + 1);
        if (!buf) {
                r = -ENOMEM;
                goto out;
        }
        while (len < (size_t) st.st_size) {
                ssize_t n = read(fd, buf + len, (size_t) st.st_size - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        goto out;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        buf[len] = '\0';

        struct json_tokener *tok = json_tokener_new();
        if (!tok) {
                r = -ENOMEM;
                goto out;
        }
        struct json_object *o = json_tokener_parse_ex(tok, buf, (int) len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        size_t used = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        if (!o || jerr != json_tokener_success) {
                snprintf(why, why_size, "%s", len == 0 ? "empty file" :
                         jerr == json_tokener_continue ? "truncated JSON" : json_tokener_error_desc(jerr));
                json_object_put(o);
                r = -EBADMSG;
                goto out;
        }
        while (used < len && strchr(" \t\r\n", buf[used]))
                used++;
        if (used < len) {
                snprintf(why, why_size, "garbage after the JSON at byte %zu", used);
                json_object_put(o);
                r = -EBADMSG;
                goto out;
        }
        if (!json_object_is_type(o, json_type_object)) {
                snprintf(why, why_size, "not a JSON object");
                json_object_put(o);
                r = -EBADMSG;
                goto out;
        }
        *ret = o;
out:
        free(buf);
        close(fd);
        return r;
}

/* Rename DIR/NAME to DIR/NAME.corrupt-<UTC timestamp>[.N]; the new name goes into aside. */
static int set_aside(const char *dir, const char *name, char *aside, size_t aside_size) {
        char from[4096], to[4096], stamp[32];
        time_t now = time(NULL);
        struct tm tm;

        gmtime_r(&now, &tm);
        strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
        if ((size_t) snprintf(from, sizeof(from), "%s/%s", dir, name) >= sizeof(from))
                return -ENAMETOOLONG;
        for (int i = 0; i < 1000; i++) {
                if (i == 0)
                        snprintf(aside, aside_size, "%s.corrupt-%s", name, stamp);
                else
                        snprintf(aside, aside_size, "%s.corrupt-%s.%d", name, stamp, i);
                if ((size_t) snprintf(to, sizeof(to), "%s/%s", dir, aside) >= sizeof(to))
                        return -ENAMETOOLONG;
                /* Never overwrite an earlier corrupt copy a technician may still
                 * want: RENAME_NOREPLACE, or link+unlink where the filesystem
                 * lacks it. */
                if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
                        return 0;
                if (errno == EINVAL || errno == ENOSYS) {
                        if (link(from, to) == 0)
                                return unlink(from) < 0 ? -errno : 0;
                }
                if (errno != EEXIST)
                        return -errno;
        }
        return -EEXIST;
}

/* ---- JSON helpers ---------------------------------------------------- */

static int get_str(struct json_object *o, const char *key, char *dst, size_t size, bool required) {
        struct json_object *x;
        if (!json_object_object_get_ex(o, key, &x))
                return required ? -EINVAL : 0;
        if (!json_object_is_type(x, json_type_string))
                return -EINVAL;
        copy_str(dst, size, json_object_get_string(x));
        return 0;
}

static int get_int(struct json_object *o, const char *key, int64_t min, int64_t max, int64_t *v, bool required) {
        struct json_object *x;
        if (!json_object_object_get_ex(o, key, &x))
                return required ? -EINVAL : 0;
        if (!json_object_is_type(x, json_type_int))
                return -EINVAL;
        int64_t i = json_object_get_int64(x);
        if (i < min || i > max)
                return -EINVAL;
        *v = i;
        return 0;
}

static int get_num(struct json_object *o, const char *key, double min, double max, double *v, bool required) {
        struct json_object *x;
        if (!json_object_object_get_ex(o, key, &x))
                return required ? -EINVAL : 0;
        if (!json_object_is_type(x, json_type_int) && !json_object_is_type(x, json_type_double))
                return -EINVAL;
        double d = json_object_get_double(x);
        if (!isfinite(d) || d < min || d > max)
                return -EINVAL;
        *v = d;
        return 0;
}

static int get_array(struct json_object *o, const char *key, struct json_object **a) {
        *a = NULL;
        if (!json_object_object_get_ex(o, key, a))
                return 0;
        return json_object_is_type(*a, json_type_array) ? 0 : -EINVAL;
}

static struct json_object *new_file_object(void) {
        struct json_object *o = json_object_new_object();
        if (o && chair_json_add(o, "version", json_object_new_int(CHAIR_PERSIST_VERSION)) < 0) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

/* ---- per-file codecs ------------------------------------------------- */

static struct json_object *counters_to_file(const struct chair_persist *p) {
        struct json_object *o = new_file_object();
        if (o && chair_json_add(o, "counters", chair_counters_to_json(&p->counters, NULL)) < 0) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

static int counters_from_file(struct chair_persist *p, struct json_object *o) {
        struct json_object *c;
        if (!json_object_object_get_ex(o, "counters", &c))
                return -EINVAL;
        return chair_counters_from_json(c, &p->counters);
}

static struct json_object *history_to_file(const struct chair_persist *p) {
        struct json_object *o = new_file_object(), *fa = json_object_new_array(), *st = json_object_new_array();
        int r = 0;

        if (!o || !fa || !st)
                goto fail;
        for (unsigned i = 0; i < p->n_faults && r == 0; i++) {
                const struct chair_fault_record *f = &p->faults[i];
                struct json_object *x = json_object_new_object();
                if (!x)
                        goto fail;
                r |= chair_json_add(x, "time", json_object_new_int64(f->time));
                r |= chair_json_add(x, "code", json_object_new_string(f->code));
                r |= chair_json_add(x, "message", json_object_new_string(f->message));
                r |= chair_json_add(x, "context", json_object_new_string(f->context));
                r |= chair_json_append(fa, x);
        }
        for (unsigned i = 0; i < p->n_selftests && r == 0; i++) {
                const struct chair_selftest_record *s = &p->selftests[i];
                struct json_object *x = json_object_new_object();
                if (!x)
                        goto fail;
                r |= chair_json_add(x, "time", json_object_new_int64(s->time));
                r |= chair_json_add(x, "passed", json_object_new_boolean(s->passed));
                r |= chair_json_add(x, "summary", json_object_new_string(s->summary));
                r |= chair_json_append(st, x);
        }
        if (r != 0)
                goto fail;
        r |= chair_json_add(o, "faults", fa);
        fa = NULL;
        r |= chair_json_add(o, "self_tests", st);
        st = NULL;
        if (r != 0)
                goto fail;
        return o;
fail:
        json_object_put(fa);
        json_object_put(st);
        json_object_put(o);
        return NULL;
}

static int history_from_file(struct chair_persist *p, struct json_object *o) {
        struct json_object *a;
        int r = 0;

        if (get_array(o, "faults", &a) < 0)
                return -EINVAL;
        size_t n = a ? json_object_array_length(a) : 0;
        /* Keep the newest if a file somehow holds more than we keep. */
        size_t first = n > CHAIR_FAULT_HISTORY_MAX ? n - CHAIR_FAULT_HISTORY_MAX : 0;
        for (size_t i = first; i < n && r == 0; i++) {
                struct json_object *x = json_object_array_get_idx(a, i);
                struct chair_fault_record *f = &p->faults[p->n_faults];
                if (!json_object_is_type(x, json_type_object))
                        return -EINVAL;
                memset(f, 0, sizeof(*f));
                r |= get_int(x, "time", 0, INT64_MAX, &f->time, true);
                r |= get_str(x, "code", f->code, sizeof(f->code), true);
                r |= get_str(x, "message", f->message, sizeof(f->message), false);
                r |= get_str(x, "context", f->context, sizeof(f->context), false);
                p->n_faults++;
        }
        if (r != 0 || get_array(o, "self_tests", &a) < 0)
                return -EINVAL;
        n = a ? json_object_array_length(a) : 0;
        first = n > CHAIR_SELFTEST_HISTORY_MAX ? n - CHAIR_SELFTEST_HISTORY_MAX : 0;
        for (size_t i = first; i < n && r == 0; i++) {
                struct json_object *x = json_object_array_get_idx(a, i), *b;
                struct chair_selftest_record *s = &p->selftests[p->n_selftests];
                if (!json_object_is_type(x, json_type_object) ||
                    !json_object_object_get_ex(x, "passed", &b) || !json_object_is_type(b, json_type_boolean))
                        return -EINVAL;
                memset(s, 0, sizeof(*s));
                s->passed = json_object_get_boolean(b);
                r |= get_int(x, "time", 0, INT64_MAX, &s->time, true);
                r |= get_str(x, "summary", s->summary, sizeof(s->summary), false);
                p->n_selftests++;
        }
        return r ? -EINVAL : 0;
}

/* Put array a under key in the file object o and return o; after an earlier
 * error (r != 0), or when that fails, free both and return NULL. */
static struct json_object *file_with_array(struct json_object *o, const char *key,
                                           struct json_object *a, int r) {
        if (r == 0 && o && a) {
                if (chair_json_add(o, key, a) == 0)
                        return o;
                a = NULL;       /* chair_json_add() took it */
        }
        json_object_put(a);
        json_object_put(o);
        return NULL;
}

/* The pain diary's members of a usage record (all optional, left out when unknown). */
static int usage_diary_to_json(struct json_object *x, const struct chair_usage_record *u) {
        int r = 0;
        if (u->end > 0)
                r |= chair_json_add(x, "end", json_object_new_int64(u->end));
        if (u->intensity > 0) {
                r |= chair_json_add(x, "intensity", json_object_new_int(u->intensity));
                r |= chair_json_add(x, "heat", json_object_new_boolean(u->heat));
        }
        if (u->has_before)
                r |= chair_json_add(x, "pain_before", json_object_new_int(u->pain_before));
        if (u->has_after)
                r |= chair_json_add(x, "pain_after", json_object_new_int(u->pain_after));
        if (u->zone[0])
                r |= chair_json_add(x, "zone", json_object_new_string(u->zone));
        return r;
}

static int usage_diary_from_json(struct json_object *x, struct chair_usage_record *u) {
        struct json_object *h;
        int64_t v = -1;
        int r = 0;

        r |= get_int(x, "end", 0, INT64_MAX, &u->end, false);
        v = 0;
        r |= get_int(x, "intensity", 1, 5, &v, false);
        u->intensity = (int8_t) v;
        if (json_object_object_get_ex(x, "heat", &h)) {
                if (!json_object_is_type(h, json_type_boolean))
                        return -EINVAL;
                u->heat = json_object_get_boolean(h);
        }
        v = -1;
        r |= get_int(x, "pain_before", 0, 10, &v, false);
        u->has_before = v >= 0;
        u->pain_before = (int8_t) (v >= 0 ? v : 0);
        v = -1;
        r |= get_int(x, "pain_after", 0, 10, &v, false);
        u->has_after = v >= 0;
        u->pain_after = (int8_t) (v >= 0 ? v : 0);
        r |= get_str(x, "zone", u->zone, sizeof(u->zone), false);
        return r ? -EINVAL : 0;
}

static struct json_object *usage_to_file(const struct chair_persist *p) {
        struct json_object *o = new_file_object(), *a = json_object_new_array_ext((int) p->n_usage);
        int r = 0;

        if (!o || !a)
                return file_with_array(o, "sessions", a, -ENOMEM);
        for (size_t i = 0; i < p->n_usage && r == 0; i++) {
                const struct chair_usage_record *u = &p->usage[i];
                struct json_object *x = json_object_new_object();
                if (!x) {
                        r = -ENOMEM;
                        break;
                }
                r |= chair_json_add(x, "start", json_object_new_int64(u->start));
                r |= chair_json_add(x, "program", json_object_new_string(u->program));
                r |= chair_json_add(x, "minutes", json_object_new_double(round(u->minutes * 100.0) / 100.0));
                r |= chair_json_add(x, "ended", json_object_new_string(u->ended));
                if (u->profile[0])
                        r |= chair_json_add(x, "profile", json_object_new_string(u->profile));
                r |= usage_diary_to_json(x, u);
                r |= chair_json_append(a, x);
        }
        /* Version 2: the pain diary fields; a version 1 reader would refuse
         * the file rather than drop the ratings when it rewrites it. */
        if (r == 0 && o)
                r |= chair_json_add(o, "version", json_object_new_int(CHAIR_USAGE_VERSION));
        if (r == 0 && o && p->pending_before.set) {
                const struct chair_pending_rating *b = &p->pending_before;
                struct json_object *x = json_object_new_object();
                if (!x)
                        r = -ENOMEM;
                else {
                        r |= chair_json_add(x, "pain", json_object_new_int(b->pain));
                        r |= chair_json_add(x, "at", json_object_new_int64(b->at));
                        if (b->zone[0])
                                r |= chair_json_add(x, "zone", json_object_new_string(b->zone));
                        if (b->profile[0])
                                r |= chair_json_add(x, "profile", json_object_new_string(b->profile));
                        r |= chair_json_add(o, "pending_before", x);
                }
        }
        return file_with_array(o, "sessions", a, r);
}

static int usage_reserve(struct chair_persist *p, size_t n) {
        if (n <= p->usage_cap)
                return 0;
        size_t cap = p->usage_cap ? p->usage_cap : 64;
        while (cap < n)
                cap *= 2;
        if (cap > CHAIR_USAGE_MAX)
                cap = CHAIR_USAGE_MAX;
        struct chair_usage_record *v = realloc(p->usage, cap * sizeof(*v));
        if (!v)
                return -ENOMEM;
        p->usage = v;
        p->usage_cap = cap;
        return 0;
}

static int usage_from_file(struct chair_persist *p, struct json_object *o) {
        struct json_object *a;
        int r = 0;

        if (get_array(o, "sessions", &a) < 0)
                return -EINVAL;
        size_t n = a ? json_object_array_length(a) : 0;
        size_t first = n > CHAIR_USAGE_MAX ? n - CHAIR_USAGE_MAX : 0;
        if (usage_reserve(p, n - first) < 0)
                return -ENOMEM;
        for (size_t i = first; i < n && r == 0; i++) {
                struct json_object *x = json_object_array_get_idx(a, i);
                struct chair_usage_record *u = &p->usage[p->n_usage];
                double minutes = 0;
                if (!json_object_is_type(x, json_type_object))
                        return -EINVAL;
                memset(u, 0, sizeof(*u));
                r |= get_int(x, "start", 0, INT64_MAX, &u->start, true);
                r |= get_str(x, "program", u->program, sizeof(u->program), true);
                r |= get_num(x, "minutes", 0, 24 * 60, &minutes, true);
                r |= get_str(x, "ended", u->ended, sizeof(u->ended), false);
                r |= get_str(x, "profile", u->profile, sizeof(u->profile), false);
                r |= usage_diary_from_json(x, u);
                u->minutes = (float) minutes;
                p->n_usage++;
        }
        struct json_object *b;
        if (r == 0 && json_object_object_get_ex(o, "pending_before", &b)) {
                struct chair_pending_rating *pb = &p->pending_before;
                int64_t pain = -1;
                if (!json_object_is_type(b, json_type_object))
                        return -EINVAL;
                r |= get_int(b, "pain", 0, 10, &pain, true);
                r |= get_int(b, "at", 0, INT64_MAX, &pb->at, true);
                r |= get_str(b, "zone", pb->zone, sizeof(pb->zone), false);
                r |= get_str(b, "profile", pb->profile, sizeof(pb->profile), false);
                pb->pain = (int8_t) pain;
                pb->set = r == 0;
        }
        return r ? -EINVAL : 0;
}

static struct json_object *profiles_to_file(const struct chair_persist *p) {
        struct json_object *o = new_file_object(), *a = json_object_new_array();
        int r = 0;

        if (!o || !a)
                return file_with_array(o, "profiles", a, -ENOMEM);
        for (unsigned i = 0; i < p->n_profiles && r == 0; i++) {
                const struct chair_profile *f = &p->profiles[i];
                struct json_object *x = json_object_new_object();
                if (!x) {
                        r = -ENOMEM;
                        break;
                }
                r |= chair_json_add(x, "name", json_object_new_string(f->name));
                if (f->program[0])
                        r |= chair_json_add(x, "program", json_object_new_string(f->program));
                if (f->intensity > 0)
                        r |= chair_json_add(x, "intensity", json_object_new_int(f->intensity));
                if (f->heat >= 0)
                        r |= chair_json_add(x, "heat", json_object_new_boolean(f->heat));
                if (f->shoulder_mm > 0)
                        r |= chair_json_add(x, "shoulder_mm", json_object_new_double(round(f->shoulder_mm * 10.0) / 10.0));
                r |= chair_json_append(a, x);
        }
        return file_with_array(o, "profiles", a, r);
}

static int profiles_from_file(struct chair_persist *p, struct json_object *o) {
        struct json_object *a;

        if (get_array(o, "profiles", &a) < 0)
                return -EINVAL;
        size_t n = a ? json_object_array_length(a) : 0;
        if (n > CHAIR_PROFILES_MAX)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                struct json_object *x = json_object_array_get_idx(a, i), *h;
                struct chair_profile f = { .heat = -1 };
                int64_t intensity = 0;
                double shoulder = 0;
                int r = 0;
                if (!json_object_is_type(x, json_type_object))
                        return -EINVAL;
                r |= get_str(x, "name", f.name, sizeof(f.name), true);
                r |= get_str(x, "program", f.program, sizeof(f.program), false);
                r |= get_int(x, "intensity", 1, 5, &intensity, false);
                r |= get_num(x, "shoulder_mm", 0, 5000, &shoulder, false);
                if (json_object_object_get_ex(x, "heat", &h)) {
                        if (!json_object_is_type(h, json_type_boolean))
                                return -EINVAL;
                        f.heat = json_object_get_boolean(h);
                }
                if (r != 0)
                        return -EINVAL;
                f.intensity = (int8_t) intensity;
                f.shoulder_mm = (float) shoulder;
                if (chair_persist_profile_set(p, &f) < 0)
                        return -EINVAL;
        }
        return 0;
}

struct file_codec {
        struct json_object *(*to_file)(const struct chair_persist *p);
        int (*from_file)(struct chair_persist *p, struct json_object *o);
        void (*reset)(struct chair_persist *p);
};

static void reset_counters(struct chair_persist *p) {
        memset(&p->counters, 0, sizeof(p->counters));
}
static void reset_history(struct chair_persist *p) {
        p->n_faults = 0;
        p->n_selftests = 0;
}
static void reset_usage(struct chair_persist *p) {
        p->n_usage = 0;
        p->pending_before = (struct chair_pending_rating) { 0 };
}
static void reset_profiles(struct chair_persist *p) {
        p->n_profiles = 0;
}

static const struct file_codec codecs[_FILE_COUNT] = {
        [FILE_COUNTERS] = { counters_to_file, counters_from_file, reset_counters },
        [FILE_HISTORY] = { history_to_file, history_from_file, reset_history },
        [FILE_USAGE] = { usage_to_file, usage_from_file, reset_usage },
        [FILE_PROFILES] = { profiles_to_file, profiles_from_file, reset_profiles },
};

/* ---- load / save ----------------------------------------------------- */

static void msg_append(char *msg, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void msg_append(char *msg, size_t size, const char *fmt, ...) {
        size_t len = strnlen(msg, size);
        va_list ap;

        if (len + 1 >= size)
                return;
        if (len > 0 && len + 3 < size) {
                memcpy(msg + len, "; ", 3);
                len += 2;
        }
        va_start(ap, fmt);
        vsnprintf(msg + len, size - len, fmt, ap);
        va_end(ap);
}

/* The newest version of each file this chaird reads (and writes); every
 * version from 1 up to it loads. */
static int file_version(int f) {
        return f == FILE_USAGE ? CHAIR_USAGE_VERSION : CHAIR_PERSIST_VERSION;
}

static int check_version(struct json_object *o, int f) {
        struct json_object *v;
        if (!json_object_object_get_ex(o, "version", &v) || !json_object_is_type(v, json_type_int))
                return -EINVAL;
        int64_t n = json_object_get_int64(v);
        return n >= 1 && n <= file_version(f) ? 0 : -EPROTO;
}

int chair_persist_load(struct chair_persist *p, char *msg, size_t msg_size) {
        char tmp[256], why[160], aside[300];
        int bad = 0;

        if (msg && msg_size)
                msg[0] = '\0';
        if (mkdir(p->dir, 0750) < 0 && errno != EEXIST) {
                if (msg)
                        msg_append(msg, msg_size, "state directory %s cannot be created (%s); starting from defaults",
                                   p->dir, strerror(errno));
                return 1;
        }

        for (int f = 0; f < _FILE_COUNT; f++) {
                struct json_object *o = NULL;
                int r;

                codecs[f].reset(p);
                p->dirty[f] = false;
                /* A crash between creating the temporary file and the rename leaves
                 * it behind; it never holds anything the real file lacks. */
                if (tmp_name(tmp, sizeof(tmp), file_names[f]) == 0) {
                        char path[4096];
                        if ((size_t) snprintf(path, sizeof(path), "%s/%s", p->dir, tmp) < sizeof(path))
                                unlink(path);
                }

                why[0] = '\0';
                r = read_json(p->dir, file_names[f], &o, why, sizeof(why));
                if (r == -ENOMEM)
                        return r;
                if (r == 0 && !o)
                        continue;       /* first start */
                if (r == 0) {
                        r = check_version(o, f);
                        if (r == -EPROTO)
                                snprintf(why, sizeof(why), "unsupported version (this chaird reads versions 1 to %d)",
                                         file_version(f));
                        else if (r < 0)
                                snprintf(why, sizeof(why), "no version");
                        else {
                                r = codecs[f].from_file(p, o);
                                if (r == -ENOMEM) {
                                        json_object_put(o);
                                        return r;
                                }
                                if (r < 0)
                                        snprintf(why, sizeof(why), "invalid content");
                        }
                        json_object_put(o);
                        if (r == 0)
                                continue;
                        r = -EBADMSG;
                }

                /* Unusable: defaults for this part, the bad file kept for a technician. */
                codecs[f].reset(p);
                bad++;
                if (r != -EBADMSG) {
                        if (msg)
                                msg_append(msg, msg_size, "state file %s/%s unreadable (%s); using defaults",
                                           p->dir, file_names[f], strerror(-r));
                        continue;
                }
                int k = set_aside(p->dir, file_names[f], aside, sizeof(aside));
                if (!msg)
                        continue;
                if (k < 0)
                        msg_append(msg, msg_size, "state file %s/%s corrupt (%s), could not be moved aside (%s); using defaults",
                                   p->dir, file_names[f], why, strerror(-k));
                else
                        msg_append(msg, msg_size, "state file %s/%s corrupt (%s), kept as %s; using defaults",
                                   p->dir, file_names[f], why, aside);
        }
        return bad;
}

int chair_persist_save(struct chair_persist *p, bool force) {
        int ret = 0;

        for (int f = 0; f < _FILE_COUNT; f++) {
                if (!force && !p->dirty[f])
                        continue;
                struct json_object *o = codecs[f].to_file(p);
                if (!o) {
                        if (ret == 0)
                                ret = -ENOMEM;
                        continue;
                }
                size_t len;
                const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PRETTY |
                                                                  JSON_C_TO_STRING_SPACED |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE, &len);
                int r = s ? 0 : -ENOMEM;
                if (r == 0) {
                        /* A trailing newline: friendlier to cat and diff. */
                        char *buf = malloc(len + 1);
                        if (!buf)
                                r = -ENOMEM;
                        else {
                                memcpy(buf, s, len);
                                buf[len] = '\n';
                                r = chair_persist_write_atomic(p->dir, file_names[f], buf, len + 1);
                                free(buf);
                        }
                }
                json_object_put(o);
                if (r < 0) {
                        if (ret == 0)
                                ret = r;
                        continue;
                }
                p->dirty[f] = false;
        }
        return ret;
}

bool chair_persist_profiles_dirty(const struct chair_persist *p) {
        return p->dirty[FILE_PROFILES];
}

bool chair_persist_usage_dirty(const struct chair_persist *p) {
        return p->dirty[FILE_USAGE];
}

bool chair_persist_dirty(const struct chair_persist *p) {
        for (int f = 0; f < _FILE_COUNT; f++)
                if (p->dirty[f])
                        return true;
        return false;
}

/* ---- counters, history ----------------------------------------------- */

const struct chair_counters *chair_persist_counters(const struct chair_persist *p) {
        return &p->counters;
}

void chair_persist_set_counters(struct chair_persist *p, const struct chair_counters *c) {
        if (memcmp(&p->counters, c, sizeof(*c)) == 0)
                return;
        p->counters = *c;
        p->dirty[FILE_COUNTERS] = true;
}

void chair_persist_add_fault(struct chair_persist *p, int64_t time, const char *code,
                             const char *message, const char *context) {
        if (p->n_faults == CHAIR_FAULT_HISTORY_MAX) {
                memmove(&p->faults[0], &p->faults[1], (CHAIR_FAULT_HISTORY_MAX - 1) * sizeof(p->faults[0]));
                p->n_faults--;
        }
        struct chair_fault_record *f = &p->faults[p->n_faults++];
        f->time = time < 0 ? 0 : time;
        copy_str(f->code, sizeof(f->code), code);
        copy_str(f->message, sizeof(f->message), message);
        copy_str(f->context, sizeof(f->context), context);
        p->dirty[FILE_HISTORY] = true;
}

unsigned chair_persist_n_faults(const struct chair_persist *p) {
        return p->n_faults;
}

const struct chair_fault_record *chair_persist_fault(const struct chair_persist *p, unsigned i) {
        return i < p->n_faults ? &p->faults[i] : NULL;
}

void chair_persist_add_selftest(struct chair_persist *p, const struct chair_selftest_record *r) {
        if (p->n_selftests == CHAIR_SELFTEST_HISTORY_MAX) {
                memmove(&p->selftests[0], &p->selftests[1],
                        (CHAIR_SELFTEST_HISTORY_MAX - 1) * sizeof(p->selftests[0]));
                p->n_selftests--;
        }
        struct chair_selftest_record *s = &p->selftests[p->n_selftests++];
        s->time = r->time < 0 ? 0 : r->time;
        s->passed = r->passed;
        copy_str(s->summary, sizeof(s->summary), r->summary);
        p->dirty[FILE_HISTORY] = true;
}

unsigned chair_persist_n_selftests(const struct chair_persist *p) {
        return p->n_selftests;
}

const struct chair_selftest_record *chair_persist_selftest(const struct chair_persist *p, unsigned i) {
        return i < p->n_selftests ? &p->selftests[i] : NULL;
}

/* ---- usage ------------------------------------------------------------- */

/* Copy with every value brought into its range (what a file may hold). */
static void usage_copy(struct chair_usage_record *u, const struct chair_usage_record *r) {
        memset(u, 0, sizeof(*u));
        u->start = r->start < 0 ? 0 : r->start;
        copy_str(u->program, sizeof(u->program), r->program);
        u->minutes = isfinite(r->minutes) && r->minutes > 0 ? r->minutes : 0;
        copy_str(u->ended, sizeof(u->ended), r->ended);
        copy_str(u->profile, sizeof(u->profile), r->profile);
        u->end = r->end > 0 ? r->end : 0;
        u->intensity = r->intensity >= 1 && r->intensity <= 5 ? r->intensity : 0;
        u->heat = u->intensity && r->heat;
        u->has_before = r->has_before && r->pain_before >= 0 && r->pain_before <= 10;
        u->pain_before = u->has_before ? r->pain_before : 0;
        u->has_after = r->has_after && r->pain_after >= 0 && r->pain_after <= 10;
        u->pain_after = u->has_after ? r->pain_after : 0;
        copy_str(u->zone, sizeof(u->zone), r->zone);
}

int chair_persist_add_usage(struct chair_persist *p, const struct chair_usage_record *r) {
        if (p->n_usage == CHAIR_USAGE_MAX) {
                memmove(&p->usage[0], &p->usage[1], (CHAIR_USAGE_MAX - 1) * sizeof(p->usage[0]));
                p->n_usage--;
        }
        int k = usage_reserve(p, p->n_usage + 1);
        if (k < 0)
                return k;
        usage_copy(&p->usage[p->n_usage++], r);
        p->dirty[FILE_USAGE] = true;
        return 0;
}

int chair_persist_usage_update(struct chair_persist *p, size_t i, const struct chair_usage_record *r) {
        if (i >= p->n_usage)
                return -ENOENT;
        usage_copy(&p->usage[i], r);
        p->dirty[FILE_USAGE] = true;
        return 0;
}

const struct chair_pending_rating *chair_persist_pending_before(const struct chair_persist *p) {
        return &p->pending_before;
}

void chair_persist_set_pending_before(struct chair_persist *p, const struct chair_pending_rating *r) {
        struct chair_pending_rating b = { 0 };
        if (r && r->set && r->pain >= 0 && r->pain <= 10) {
                b = *r;
                copy_str(b.zone, sizeof(b.zone), r->zone);
                copy_str(b.profile, sizeof(b.profile), r->profile);
                b.at = r->at < 0 ? 0 : r->at;
        }
        if (memcmp(&b, &p->pending_before, sizeof(b)) == 0)
                return;
        p->pending_before = b;
        p->dirty[FILE_USAGE] = true;
}

const struct chair_usage_record *chair_persist_usage_all(const struct chair_persist *p, size_t *n) {
        *n = p->n_usage;
        return p->usage;
}

size_t chair_persist_n_usage(const struct chair_persist *p) {
        return p->n_usage;
}

const struct chair_usage_record *chair_persist_usage(const struct chair_persist *p, size_t i) {
        return i < p->n_usage ? &p->usage[i] : NULL;
}

/* Local midnight `back` days before the day of now (mktime normalises
 * tm_mday below 1 and handles DST changes). */
static int64_t local_midnight(int64_t now, int back) {
        time_t t = (time_t) now;
        struct tm tm;

        localtime_r(&t, &tm);
        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        tm.tm_mday -= back;
        tm.tm_isdst = -1;
        return (int64_t) mktime(&tm);
}

void chair_persist_usage_summary(const struct chair_persist *p, int64_t now, struct chair_usage_summary *s) {
        memset(s, 0, sizeof(*s));
        for (int d = 0; d < CHAIR_USAGE_DAYS; d++)
                s->day_start[d] = local_midnight(now, CHAIR_USAGE_DAYS - 1 - d);

        /* Per-program totals over the window; at most CHAIR_USAGE_MAX distinct
         * programs in theory, in practice a handful: a small linear table. */
        struct { const char *id; float minutes; unsigned sessions; } prog[64];
        unsigned n_prog = 0;

        for (size_t i = 0; i < p->n_usage; i++) {
                const struct chair_usage_record *u = &p->usage[i];
                if (u->start < s->day_start[0] || u->start > now)
                        continue;
                int d = CHAIR_USAGE_DAYS - 1;
                while (d > 0 && u->start < s->day_start[d])
                        d--;
                s->day_minutes[d] += u->minutes;
                s->day_sessions[d]++;
                s->total_minutes += u->minutes;
                s->sessions++;

                unsigned k = 0;
                while (k < n_prog && strcmp(prog[k].id, u->program) != 0)
                        k++;
                if (k == n_prog) {
                        if (n_prog == sizeof(prog) / sizeof(prog[0])) {
                                s->other_minutes += u->minutes;
                                continue;
                        }
                        prog[n_prog].id = u->program;
                        prog[n_prog].minutes = 0;
                        prog[n_prog].sessions = 0;
                        n_prog++;
                }
                prog[k].minutes += u->minutes;
                prog[k].sessions++;
        }

        /* Most minutes first; ties by id so the order is stable. */
        for (unsigned i = 1; i < n_prog; i++)
                for (unsigned j = i; j > 0; j--) {
                        bool swap = prog[j].minutes > prog[j - 1].minutes ||
                                    (prog[j].minutes == prog[j - 1].minutes && strcmp(prog[j].id, prog[j - 1].id) < 0);
                        if (!swap)
                                break;
                        __typeof__(prog[0]) t = prog[j];
                        prog[j] = prog[j - 1];
                        prog[j - 1] = t;
                }
        for (unsigned i = 0; i < n_prog; i++) {
                if (i < CHAIR_USAGE_TOP_PROGRAMS) {
                        copy_str(s->programs[i].program, sizeof(s->programs[i].program), prog[i].id);
                        s->programs[i].minutes = prog[i].minutes;
                        s->programs[i].sessions = prog[i].sessions;
                        s->n_programs++;
                } else
                        s->other_minutes += prog[i].minutes;
        }
}

/* ---- profiles ---------------------------------------------------------- */

bool chair_profile_name_valid(const char *name) {
        size_t n = name ? strlen(name) : 0;
        if (n == 0 || n >= CHAIR_PROFILE_NAME_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) name[i] < 0x20 || name[i] == 0x7f)
                        return false;
        return true;
}

static bool program_id_valid(const char *id) {
        for (; *id; id++)
                if (!((*id >= 'a' && *id <= 'z') || (*id >= '0' && *id <= '9') || *id == '-'))
                        return false;
        return true;
}

const struct chair_profile *chair_persist_profile_find(const struct chair_persist *p, const char *name) {
        for (unsigned i = 0; name && i < p->n_profiles; i++)
                if (strcmp(p->profiles[i].name, name) == 0)
                        return &p->profiles[i];
        return NULL;
}

int chair_persist_profile_set(struct chair_persist *p, const struct chair_profile *prof) {
        if (!chair_profile_name_valid(prof->name) ||
            strnlen(prof->program, sizeof(prof->program)) >= sizeof(prof->program) || !program_id_valid(prof->program) ||
            prof->intensity < 0 || prof->intensity > 5 || prof->heat < -1 || prof->heat > 1 ||
            !isfinite(prof->shoulder_mm) || prof->shoulder_mm < 0)
                return -EINVAL;
        struct chair_profile *f = (struct chair_profile *) chair_persist_profile_find(p, prof->name);
        if (!f) {
                if (p->n_profiles == CHAIR_PROFILES_MAX)
                        return -ENOSPC;
                f = &p->profiles[p->n_profiles++];
        }
        *f = *prof;
        p->dirty[FILE_PROFILES] = true;
        return 0;
}

int chair_persist_profile_remove(struct chair_persist *p, const char *name) {
        const struct chair_profile *f = chair_persist_profile_find(p, name);
        if (!f)
                return -ENOENT;
        unsigned i = (unsigned) (f - p->profiles);
        memmove(&p->profiles[i], &p->profiles[i + 1], (p->n_profiles - i - 1) * sizeof(p->profiles[0]));
        p->n_profiles--;
        p->dirty[FILE_PROFILES] = true;
        return 0;
}

unsigned chair_persist_n_profiles(const struct chair_persist *p) {
        return p->n_profiles;
}

const struct chair_profile *chair_persist_profile(const struct chair_persist *p, unsigned i) {
        return i < p->n_profiles ? &p->profiles[i] : NULL;
}
