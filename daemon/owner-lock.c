/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "childlock.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "log.h"
#include "owner-lock.h"
#include "persist.h"

#define LOCK_FILE "lock.json"
#define LOCK_FILE_MAX 256

struct chaird_lock {
        struct chaird *d;
        const struct chair_config *cfg;
};

/* Read a small file into buf (NUL-terminated).  Returns its length or a negative errno. */
static ssize_t read_small(const char *path, char *buf, size_t size) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        ssize_t n = read(fd, buf, size - 1);
        int e = errno;
        close(fd);
        if (n < 0)
                return -e;
        if ((size_t) n == size - 1)
                return -EFBIG;
        buf[n] = 0;
        return n;
}

int chaird_owner_pin_load(struct chair_config *cfg) {
        const char *dir = getenv("CREDENTIALS_DIRECTORY");
        char path[4096], buf[64];

        if (cfg->owner.pin || !dir || !*dir)
                return 0;
        snprintf(path, sizeof(path), "%s/owner-pin", dir);
        ssize_t n = read_small(path, buf, sizeof(buf));
        if (n == -ENOENT)
                return 0;
        if (n < 0)
                return log_error_errno((int) n, "Failed to read the owner-pin credential %s", path);
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
                buf[--n] = 0;
        if (!chair_pin_valid(buf)) {
                explicit_bzero(buf, sizeof(buf));
                return log_error_errno(-EINVAL, "%s: the owner-pin credential must be 4 to 8 digits", path);
        }
        cfg->owner.pin = strdup(buf);
        explicit_bzero(buf, sizeof(buf));
        if (!cfg->owner.pin)
                return log_error_errno(-ENOMEM, "Out of memory");
        log_info("child lock PIN from the owner-pin credential");
        return 0;
}

void chaird_lock_restore(const struct chair_config *cfg, struct chair_ctl *ctl) {
        char path[4096], buf[LOCK_FILE_MAX];

        snprintf(path, sizeof(path), "%s/%s", chair_config_state_dir(cfg), LOCK_FILE);
        ssize_t n = read_small(path, buf, sizeof(buf));
        if (n == -ENOENT)
                return;
        if (n < 0) {
                log_warning_errno((int) n, "Failed to read %s; the chair starts unlocked, ignoring.", path);
                return;
        }
        json_object *o = json_tokener_parse(buf), *v = NULL;
        bool locked = false, ok = o && json_object_object_get_ex(o, "locked", &v) &&
                                  json_object_is_type(v, json_type_boolean);
        if (ok)
                locked = json_object_get_boolean(v);
        json_object_put(o);
        if (!ok) {
                log_warning("%s is not {\"locked\": true|false}; the chair starts unlocked, ignoring.", path);
                return;
        }
        if (!locked)
                return;
        if (chair_ctl_set_locked(ctl, true) < 0)
                log_warning("%s says locked, but no PIN is configured (owner.pin or the owner-pin credential): "
                            "the chair starts unlocked, ignoring.", path);
        else
                log_info("child lock on (from %s)", path);
}

static void save(struct chaird_lock *l, bool locked) {
        const char *s = locked ? "{\"version\":1,\"locked\":true}\n" : "{\"version\":1,\"locked\":false}\n";
        const char *dir = chair_config_state_dir(l->cfg);
        int r = chair_persist_write_atomic(dir, LOCK_FILE, s, strlen(s));
        if (r < 0)
                log_warning_errno(r, "Failed to save the child lock in %s/%s; it will not survive a restart, ignoring.",
                                  dir, LOCK_FILE);
}

static void on_event(void *userdata, const struct chair_event *ev) {
        if (ev->kind == CHAIR_EVENT_LOCKED || ev->kind == CHAIR_EVENT_UNLOCKED)
                save(userdata, ev->kind == CHAIR_EVENT_LOCKED);
}

int chaird_lock_new(struct chaird *d, struct chaird_lock **ret) {
        struct chaird_lock *l = calloc(1, sizeof(*l));
        if (!l)
                return log_error_errno(-ENOMEM, "Out of memory");
        l->d = d;
        l->cfg = chaird_config(d);
        struct chaird_listener li = { .event = on_event, .userdata = l };
        int r = chaird_add_listener(d, &li);
        if (r < 0) {
                free(l);
                return log_error_errno(r, "Failed to register the child lock listener");
        }
        *ret = l;
        return 0;
}

struct chaird_lock *chaird_lock_free(struct chaird_lock *l) {
        free(l);
        return NULL;
}
