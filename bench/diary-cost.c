/* SPDX-License-Identifier: MIT */
/*
 * diary-cost: what the pain diary's commands cost the main loop on a full
 * usage log (CHAIR_USAGE_MAX sessions, all rated, one profile, 7 programs ×
 * 5 intensities × heat on/off): chair_diary_suggest() and
 * chair_diary_history_json() + its JSON text, in microseconds of CPU time per
 * call (median of the runs).  They run on the main thread between MQTT messages,
 * never on the control thread; the figure says how long a history or suggest
 * command holds the main loop.  Recorded in docs/performance.md.
 *
 *   diary-cost [RUNS]      (default 50)
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diary.h"
#include "program.h"

static double now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);   /* CPU time: the machine may be shared */
        return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
        qsort(v, (size_t) n, sizeof(*v), cmp);
        return v[n / 2];
}

int main(int argc, char **argv) {
        static const char *const ids[] = { "lumbar-relief", "posture", "deep-tissue", "circulation", "mobility",
                                           "sleep-wind-down", "stress-relief" };
        struct chair_program pv[7];
        struct chair_programs progs = { pv, 7 };
        int runs = argc > 1 ? atoi(argv[1]) : 50;
        const int64_t now = 1800000000;
        static struct chair_usage_record log[CHAIR_USAGE_MAX];

        if (runs < 1)
                runs = 1;
        memset(pv, 0, sizeof(pv));
        for (int i = 0; i < 7; i++) {
                snprintf(pv[i].id, sizeof(pv[i].id), "%s", ids[i]);
                pv[i].name = (char *) ids[i];
        }
        /* One session a day for eleven years, varied but deterministic. */
        for (int i = 0; i < CHAIR_USAGE_MAX; i++) {
                struct chair_usage_record *u = &log[i];
                u->start = now - (int64_t) (CHAIR_USAGE_MAX - i) * 86400;
                u->end = u->start + 900;
                u->minutes = 15;
                snprintf(u->program, sizeof(u->program), "%s", ids[i % 7]);
                snprintf(u->profile, sizeof(u->profile), "anna");
                u->intensity = (int8_t) (1 + (i / 7) % 5);
                u->heat = (i / 35) % 2;
                u->has_before = u->has_after = true;
                u->pain_before = (int8_t) (4 + i % 5);
                u->pain_after = (int8_t) (u->pain_before - (i * 7 % 5));
        }

        struct chair_diary_limits lim = { &progs, 30, true };
        double *t = calloc((size_t) runs, sizeof(double));
        struct chair_diary_suggestion s;
        for (int r = 0; r < runs; r++) {
                double t0 = now_us();
                chair_diary_suggest(log, CHAIR_USAGE_MAX, "anna", now, &lim, &s);
                t[r] = now_us() - t0;
        }
        printf("suggest over %d records: %.0f us (median of %d)  [%s]\n", CHAIR_USAGE_MAX, median(t, runs), runs,
               s.reason);
        size_t bytes = 0;
        for (int r = 0; r < runs; r++) {
                double t0 = now_us();
                struct json_object *o = chair_diary_history_json(log, CHAIR_USAGE_MAX, "anna", now, 3650);
                bytes = strlen(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
                json_object_put(o);
                t[r] = now_us() - t0;
        }
        printf("history (3650 days, %d sessions listed) with its JSON text: %.0f us (median of %d), %zu bytes\n",
               CHAIR_DIARY_LIST_MAX, median(t, runs), runs, bytes);
        free(t);
        return 0;
}
