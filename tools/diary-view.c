/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "diary-view.h"

#define PAIN_MAX 10

static struct json_object *member(struct json_object *o, const char *k) {
        struct json_object *v = NULL;
        return o && json_object_object_get_ex(o, k, &v) ? v : NULL;
}

static int int_of(struct json_object *o, const char *k, int dflt) {
        struct json_object *v = member(o, k);
        return v ? json_object_get_int(v) : dflt;
}

static const char *str_of(struct json_object *o, const char *k, const char *dflt) {
        struct json_object *v = member(o, k);
        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : dflt;
}

/* Local date and time of a Unix time (the owner's clock): "2026-12-08", "10:15". */
static struct tm local_tm(int64_t t) {
        time_t tt = (time_t) t;
        struct tm tm;
        localtime_r(&tt, &tm);
        return tm;
}

static void local_date(char *buf, size_t size, int64_t t) {
        struct tm tm = local_tm(t);
        strftime(buf, size, "%Y-%m-%d", &tm);
}

static void local_hm(char *buf, size_t size, int64_t t) {
        struct tm tm = local_tm(t);
        strftime(buf, size, "%H:%M", &tm);
}

/* One chart row on a 0..10 axis, two columns a point: B at the pain before,
 * A at the pain after, "<" between them where it eased, ">" where it rose. */
static void chart_row(FILE *f, int before, int after) {
        char row[2 * PAIN_MAX + 2];
        memset(row, ' ', sizeof(row) - 1);
        row[sizeof(row) - 1] = '\0';
        int lo = before < after ? before : after, hi = before < after ? after : before;
        for (int x = 2 * lo + 1; x < 2 * hi; x++)
                row[x] = after < before ? '<' : '>';
        row[2 * before] = 'B';
        row[2 * after] = before == after ? '=' : 'A';
        fprintf(f, "|%s|", row);
}

int diary_view_table(FILE *f, struct json_object *reply) {
        struct json_object *sessions = member(reply, "sessions"), *programs = member(reply, "programs");
        if (!sessions || !json_object_is_type(sessions, json_type_array) || !programs)
                return -EINVAL;
        size_t n = json_object_array_length(sessions);
        const char *profile = str_of(reply, "profile", NULL);

        fprintf(f, "Pain diary%s%s, last %d days: %zu rated session%s\n", profile ? " of " : "", profile ? profile : "",
                int_of(reply, "days", 0), n, n == 1 ? "" : "s");
        if (n == 0) {
                fprintf(f, "Rate your pain (0 = none, 10 = worst imaginable) before and after a session:\n"
                           "  chairctl rate before 6   ...   chairctl rate after 3\n");
                return 0;
        }
        fprintf(f, "\n%-16s %-20s %4s %3s %4s %6s %5s %6s %4s   %-23s\n", "date", "program", "min", "int", "heat",
                "before", "after", "change", "zone", " 0   2   4   6   8  10");
        for (size_t i = 0; i < n; i++) {
                struct json_object *s = json_object_array_get_idx(sessions, i);
                char when[32], hm[8];
                int before = int_of(s, "pain_before", 0), after = int_of(s, "pain_after", 0);
                struct json_object *heat = member(s, "heat");
                int64_t start = json_object_get_int64(member(s, "start"));
                local_date(when, sizeof(when) - sizeof(hm), start);
                local_hm(hm, sizeof(hm), start);
                strcat(strcat(when, " "), hm);
                fprintf(f, "%-16s %-20.20s %4.0f %3s %4s %6d %5d %+6d %4s   ", when, str_of(s, "program", "?"),
                        json_object_get_double(member(s, "minutes")),
                        member(s, "intensity") ? json_object_get_string(member(s, "intensity")) : "-",
                        heat ? (json_object_get_boolean(heat) ? "on" : "off") : "-", before, after, after - before,
                        str_of(s, "zone", "-"));
                chart_row(f, before, after);
                fputc('\n', f);
        }
        fprintf(f, "%*s B before, A after; <<< eased, >>> worse, = same\n", 78, "");

        fprintf(f, "\n%-20s %8s %14s\n", "program", "sessions", "median change");
        for (size_t i = 0; i < json_object_array_length(programs); i++) {
                struct json_object *p = json_object_array_get_idx(programs, i);
                fprintf(f, "%-20s %8d %+14.1f\n", str_of(p, "program", "?"), int_of(p, "sessions", 0),
                        json_object_get_double(member(p, "median_change")));
        }
        struct json_object *w = member(reply, "worsening");
        if (w && json_object_get_boolean(w))
                fprintf(f, "\nWorsening: %s.\nThe chair is a comfort aid, not a treatment: please see a clinician.\n",
                        str_of(reply, "worsening_reason", "your pain has been rising"));
        return 0;
}

/* A CSV field: quoted when it holds a comma, a quote or a line break (RFC 4180). */
static void csv_field(FILE *f, const char *s, bool last) {
        if (strpbrk(s, ",\"\r\n")) {
                fputc('"', f);
                for (; *s; s++) {
                        if (*s == '"')
                                fputc('"', f);
                        fputc(*s, f);
                }
                fputc('"', f);
        } else
                fputs(s, f);
        fputs(last ? "\r\n" : ",", f);
}

int diary_view_csv(FILE *f, struct json_object *reply) {
        struct json_object *sessions = member(reply, "sessions");
        if (!sessions || !json_object_is_type(sessions, json_type_array))
                return -EINVAL;
        static const char *const head[] = { "date", "time", "program", "minutes", "intensity", "heat",
                                            "pain_before", "pain_after", "change", "zone", "profile" };
        const size_t n_head = sizeof(head) / sizeof(head[0]);
        for (size_t i = 0; i < n_head; i++)
                csv_field(f, head[i], i + 1 == n_head);
        for (size_t i = 0; i < json_object_array_length(sessions); i++) {
                struct json_object *s = json_object_array_get_idx(sessions, i), *heat = member(s, "heat");
                char date[16], tod[16], num[5][16];
                int64_t start = json_object_get_int64(member(s, "start"));
                local_date(date, sizeof(date), start);
                local_hm(tod, sizeof(tod), start);
                snprintf(num[0], sizeof(num[0]), "%.1f", json_object_get_double(member(s, "minutes")));
                snprintf(num[1], sizeof(num[1]), "%d", int_of(s, "intensity", 0));
                snprintf(num[2], sizeof(num[2]), "%d", int_of(s, "pain_before", 0));
                snprintf(num[3], sizeof(num[3]), "%d", int_of(s, "pain_after", 0));
                snprintf(num[4], sizeof(num[4]), "%d", int_of(s, "change", 0));
                csv_field(f, date, false);
                csv_field(f, tod, false);
                csv_field(f, str_of(s, "program", ""), false);
                csv_field(f, num[0], false);
                csv_field(f, member(s, "intensity") ? num[1] : "", false);
                csv_field(f, heat ? (json_object_get_boolean(heat) ? "on" : "off") : "", false);
                csv_field(f, num[2], false);
                csv_field(f, num[3], false);
                csv_field(f, num[4], false);
                csv_field(f, str_of(s, "zone", ""), false);
                csv_field(f, str_of(reply, "profile", ""), true);
        }
        return 0;
}

int diary_view_suggestion(FILE *f, struct json_object *reply) {
        struct json_object *s = member(reply, "suggestion");
        if (!s)
                return -EINVAL;
        const char *program = str_of(s, "program", NULL);
        if (!program)
                fprintf(f, "No suggestion yet. %s\n", str_of(s, "reason", ""));
        else
                fprintf(f, "Suggestion: %s for %d minute%s at intensity %d, heat %s\n%s\n", program,
                        int_of(s, "minutes", 0), int_of(s, "minutes", 0) == 1 ? "" : "s", int_of(s, "intensity", 0),
                        json_object_get_boolean(member(s, "heat")) ? "on" : "off", str_of(s, "reason", ""));
        return 0;
}
