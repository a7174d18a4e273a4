/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "errors.h"
#include "program-load.h"
#include "program.h"
#include "reload.h"

struct chaird_reload {
        const struct chair_config *cfg;
        chaird_reload_done_t done;
        void *userdata;
        int fd;                        /* eventfd: the worker's "finished" */
        sd_event_source *source;
        pthread_t thread;
        bool running;                  /* a worker exists (not yet joined) */
        bool again;                    /* a request came while it ran */
        _Atomic bool finished;

        /* the worker's result, read by the main thread after join */
        int r;
        struct chair_programs *p;
        struct chair_errors errs;
};

static void *worker(void *userdata) {
        struct chaird_reload *rl = userdata;
        rl->r = chair_programs_load(rl->cfg, &rl->errs, &rl->p);
        atomic_store_explicit(&rl->finished, true, memory_order_release);
        uint64_t one = 1;
        ssize_t n = write(rl->fd, &one, sizeof(one));
        (void) n;
        return NULL;
}

static int start(struct chaird_reload *rl) {
        rl->r = 0;
        rl->p = NULL;
        rl->errs = (struct chair_errors) { 0 };
        atomic_store(&rl->finished, false);
        int r = pthread_create(&rl->thread, NULL, worker, rl);
        if (r != 0)
                return -r;
        pthread_setname_np(rl->thread, "chaird-reload");
        rl->running = true;
        return 1;
}

static int on_finished(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct chaird_reload *rl = userdata;
        uint64_t n;
        ssize_t k = read(fd, &n, sizeof(n));
        (void) k;
        if (!rl->running || !atomic_load_explicit(&rl->finished, memory_order_acquire))
                return 0;
        pthread_join(rl->thread, NULL);
        rl->running = false;
        rl->done(rl->userdata, rl->r, rl->p, &rl->errs);
        if (rl->again) {
                rl->again = false;
                int r = start(rl);
                if (r < 0)
                        rl->done(rl->userdata, r, NULL, &(struct chair_errors) { 0 });
        }
        return 0;
}

int chaird_reload_new(sd_event *e, const struct chair_config *cfg, chaird_reload_done_t done, void *userdata,
                      struct chaird_reload **ret) {
        struct chaird_reload *rl = calloc(1, sizeof(*rl));
        if (!rl)
                return -ENOMEM;
        rl->cfg = cfg;
        rl->done = done;
        rl->userdata = userdata;
        rl->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (rl->fd < 0) {
                int r = -errno;
                free(rl);
                return r;
        }
        int r = sd_event_add_io(e, &rl->source, rl->fd, EPOLLIN, on_finished, rl);
        if (r < 0) {
                close(rl->fd);
                free(rl);
                return r;
        }
        *ret = rl;
        return 0;
}

int chaird_reload_request(struct chaird_reload *rl) {
        if (rl->running) {
                rl->again = true;
                return 0;
        }
        return start(rl);
}

bool chaird_reload_busy(const struct chaird_reload *rl) {
        return rl && rl->running;
}

bool chaird_reload_free(struct chaird_reload *rl) {
        if (!rl)
                return false;
        sd_event_source_unref(rl->source);
        if (rl->running && !atomic_load_explicit(&rl->finished, memory_order_acquire)) {
                /* Leave it: it owns rl and its eventfd until the process exits. */
                pthread_detach(rl->thread);
                return true;
        }
        if (rl->running) {
                pthread_join(rl->thread, NULL);
                chair_programs_free(rl->p);
                chair_errors_clear(&rl->errs);
        }
        close(rl->fd);
        free(rl);
        return false;
}
