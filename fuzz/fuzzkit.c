/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "errors.h"
#include "fuzzkit.h"
#include "program-load.h"
#include "program.h"

#ifndef FUZZ_SOURCE_ROOT
#define FUZZ_SOURCE_ROOT "."
#endif

static struct chair_config *cfg;
static struct chair_programs *progs;

static const char *source_root(void) {
        const char *e = getenv("CHAIRD_SOURCE_ROOT");
        return e && e[0] ? e : FUZZ_SOURCE_ROOT;
}

static void load_fixtures(void) {
        struct chair_errors errs = { 0 };
        char *path = NULL;

        if (asprintf(&path, "%s/config/chaird.yaml", source_root()) < 0)
                abort();
        int r = chair_config_load(path, &errs, &cfg);
        if (r >= 0)
                r = chair_programs_load(cfg, &errs, &progs);
        if (r < 0 || !progs || progs->n == 0) {
                fprintf(stderr, "fuzzkit: cannot load the shipped config %s and its programs (%s); "
                        "set CHAIRD_SOURCE_ROOT\n", path, strerror(r < 0 ? -r : ENOENT));
                chair_errors_print(&errs, stderr);
                abort();
        }
        cfg->control.rate_hz = 50;
        chair_errors_clear(&errs);
        free(path);
}

struct chair_config *fuzzkit_config(void) {
        if (!cfg)
                load_fixtures();
        return cfg;
}

const struct chair_programs *fuzzkit_programs(void) {
        if (!progs)
                load_fixtures();
        return progs;
}

const char *fuzzkit_file(const uint8_t *data, size_t size) {
        static int fd = -1;
        static char path[64];

        if (fd < 0) {
                int m = memfd_create("fuzz-input", MFD_CLOEXEC);
                FUZZ_CHECK(m >= 0);
                /* A fixed descriptor number, so the path (which error messages and
                 * relative program directories carry) is the same on every run,
                 * whatever descriptors the runner left open: runs stay repeatable. */
                fd = dup3(m, 200, O_CLOEXEC);
                FUZZ_CHECK(fd == 200);
                close(m);
                snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        }
        FUZZ_CHECK(ftruncate(fd, 0) == 0);
        size_t done = 0;
        while (done < size) {
                ssize_t k = pwrite(fd, data + done, size - done, (off_t) done);
                FUZZ_CHECK(k > 0);
                done += (size_t) k;
        }
        return path;
}
