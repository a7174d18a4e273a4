/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "instance.h"

struct chaird_instance {
        int fd[2];
};

/* The broker's host name becomes part of a file name: keep it to a safe alphabet. */
static void file_safe(const char *in, char *out, size_t len) {
        size_t i = 0;
        for (; in && *in && i + 1 < len; in++)
                out[i++] = (*in >= 'a' && *in <= 'z') || (*in >= 'A' && *in <= 'Z') || (*in >= '0' && *in <= '9') ||
                                           *in == '.' || *in == '-' || *in == '_' ? *in : '_';
        out[i] = 0;
}

static int take(const char *path, const char *config_path, int *ret_fd, char *why, size_t why_len) {
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0) {
                int r = -errno;
                snprintf(why, why_len, "cannot create the lock file %s: %s", path, strerror(-r));
                return r;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                int r = -errno;
                char holder[512] = "";
                ssize_t n = pread(fd, holder, sizeof(holder) - 1, 0);
                holder[n > 0 ? n : 0] = 0;
                holder[strcspn(holder, "\n")] = 0;
                close(fd);
                if (r == -EWOULDBLOCK) {
                        snprintf(why, why_len, "another chaird runs for this chair (%s holds %s)",
                                 holder[0] ? holder : "unknown process", path);
                        return -EBUSY;
                }
                snprintf(why, why_len, "cannot lock %s: %s", path, strerror(-r));
                return r;
        }
        /* Ours now: say who we are for the next one that tries. */
        char me[512];
        int len = snprintf(me, sizeof(me), "pid %ld, config %s\n", (long) getpid(), config_path ? config_path : "?");
        if (ftruncate(fd, 0) < 0 || pwrite(fd, me, (size_t) len, 0) != len) {
                /* The lock holds without the note; the refusal just says less. */
        }
        *ret_fd = fd;
        return 0;
}

int chaird_instance_lock(const struct chair_config *cfg, const char *config_path,
                         struct chaird_instance **ret, char *why, size_t why_len) {
        struct chaird_instance *in = calloc(1, sizeof(*in));
        if (!in)
                return -ENOMEM;
        in->fd[0] = in->fd[1] = -1;

        char path[4096], host[256];
        const char *state = chair_config_state_dir(cfg);
        /* The state directory may not exist yet: the history module makes it later. */
        if (mkdir(state, 0750) < 0 && errno != EEXIST) {
                int r = -errno;
                snprintf(why, why_len, "cannot create the state directory %s: %s", state, strerror(-r));
                free(in);
                return r;
        }
        snprintf(path, sizeof(path), "%s/chaird.lock", state);
        int r = take(path, config_path, &in->fd[0], why, why_len);
        if (r < 0)
                goto fail;

        const char *rundir = getenv("RUNTIME_DIRECTORY");
        if (!rundir || !*rundir) {
                rundir = "/run/chaird";
                if (mkdir(rundir, 0755) < 0 && errno != EEXIST) {
                        r = -errno;
                        snprintf(why, why_len, "cannot create %s: %s", rundir, strerror(-r));
                        goto fail;
                }
        }
        /* RUNTIME_DIRECTORY may hold several paths separated by ':'; the first is ours. */
        char dir[2048];
        snprintf(dir, sizeof(dir), "%.*s", (int) strcspn(rundir, ":"), rundir);
        file_safe(cfg->mqtt.host ? cfg->mqtt.host : "localhost", host, sizeof(host));
        snprintf(path, sizeof(path), "%s/chair-%s@%s:%u.lock", dir, cfg->chair.id ? cfg->chair.id : "chair", host,
                 (unsigned) cfg->mqtt.port);
        r = take(path, config_path, &in->fd[1], why, why_len);
        if (r < 0)
                goto fail;
        *ret = in;
        return 0;
fail:
        chaird_instance_unlock(in);
        return r;
}

struct chaird_instance *chaird_instance_unlock(struct chaird_instance *in) {
        if (!in)
                return NULL;
        for (int i = 0; i < 2; i++)
                if (in->fd[i] >= 0)
                        close(in->fd[i]);
        free(in);
        return NULL;
}
