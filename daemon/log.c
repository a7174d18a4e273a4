/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "log.h"

static int max_level = LOG_INFO;
static bool use_journal;
static bool forced_stderr;

/* systemd sets JOURNAL_STREAM=<dev>:<inode> for a service whose stderr goes to the
 * journal; if our stderr is still that stream, native entries keep the fields. */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

void log_setup(void) {
        /* sd_journal_send() silently drops entries when journald's socket is gone */
        use_journal = stderr_is_journal() && access("/run/systemd/journal/socket", W_OK) == 0;
}

void log_set_max_level(int level) {
        max_level = level < LOG_EMERG ? LOG_EMERG : level > LOG_DEBUG ? LOG_DEBUG : level;
}

int log_get_max_level(void) {
        return max_level;
}

void log_force_stderr(bool on) {
        forced_stderr = on;
}

static const char *level_name(int level) {
        static const char *const names[] = {
                "emerg", "alert", "crit", "error", "warning", "notice", "info", "debug",
        };
        return level >= 0 && level <= LOG_DEBUG ? names[level] : "log";
}

int log_full(int level, int error, const struct log_fields *f, const char *fmt, ...) {
        if (level > max_level)
                return error;

        int saved = errno;
        char msg[1024];
        va_list ap;

        va_start(ap, fmt);
        int len = vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (error != 0 && len >= 0 && (size_t) len < sizeof(msg))
                snprintf(msg + len, sizeof(msg) - (size_t) len, ": %s", strerror(error < 0 ? -error : error));

        if (use_journal && !forced_stderr) {
                char fields[7][1100];
                struct iovec iov[7];
                int n = 0;

                snprintf(fields[n], sizeof(fields[n]), "MESSAGE=%s", msg);
                n++;
                snprintf(fields[n], sizeof(fields[n]), "PRIORITY=%d", level);
                n++;
                if (error != 0) {
                        snprintf(fields[n], sizeof(fields[n]), "ERRNO=%d", error < 0 ? -error : error);
                        n++;
                }
                if (f && f->program) {
                        snprintf(fields[n], sizeof(fields[n]), "CHAIR_PROGRAM=%s", f->program);
                        n++;
                }
                if (f && f->fault) {
                        snprintf(fields[n], sizeof(fields[n]), "CHAIR_FAULT=%s", f->fault);
                        n++;
                }
                if (f && f->step > 0) {
                        snprintf(fields[n], sizeof(fields[n]), "CHAIR_STEP=%d", f->step);
                        n++;
                }
                if (f && f->context) {
                        snprintf(fields[n], sizeof(fields[n]), "CHAIR_FAULT_CONTEXT=%s", f->context);
                        n++;
                }
                for (int i = 0; i < n; i++)
                        iov[i] = (struct iovec) { .iov_base = fields[i], .iov_len = strlen(fields[i]) };
                if (sd_journal_sendv(iov, n) >= 0)
                        goto done;
                /* journald gone: fall through to stderr */
        }

        fprintf(stderr, "%s: %s\n", level_name(level), msg);
        fflush(stderr);
done:
        errno = saved;
        return error;
}
