/* SPDX-License-Identifier: MIT */
/*
 * "did you mean ...?" for names an owner typed (design C3): a case-insensitive
 * edit distance against the names that exist.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "program.h"
#include "suggest.h"

/* Edit distance of a and b ignoring case (Levenshtein, one row); strings
 * longer than CHAIR_SUGGEST_MAX_LEN are never close. */
static unsigned distance(const char *a, const char *b) {
        size_t na = strlen(a), nb = strlen(b);
        unsigned row[CHAIR_SUGGEST_MAX_LEN + 1];

        if (na > CHAIR_SUGGEST_MAX_LEN || nb > CHAIR_SUGGEST_MAX_LEN)
                return UINT32_MAX / 2;
        for (size_t j = 0; j <= nb; j++)
                row[j] = (unsigned) j;
        for (size_t i = 1; i <= na; i++) {
                unsigned diag = row[0];
                row[0] = (unsigned) i;
                for (size_t j = 1; j <= nb; j++) {
                        unsigned up = row[j];
                        unsigned cost = tolower((unsigned char) a[i - 1]) != tolower((unsigned char) b[j - 1]);
                        unsigned best = diag + cost;
                        if (up + 1 < best)
                                best = up + 1;
                        if (row[j - 1] + 1 < best)
                                best = row[j - 1] + 1;
                        row[j] = best;
                        diag = up;
                }
        }
        return row[nb];
}

/* Close enough to be a typo: the same letters in another case, or at most a
 * third of the word's letters (and at most 3) wrong. */
static bool close_enough(const char *typed, const char *cand, unsigned *score) {
        size_t n = strlen(cand);
        unsigned limit = n / 3 < 3 ? (unsigned) (n / 3) : 3;
        unsigned d = distance(typed, cand);

        if (limit < 1)
                limit = 1;
        *score = d;
        return d <= limit;
}

/* ", did you mean \"x\"?" for the closest of cands, or "" when none is close. */
const char *chair_suggest(const char *typed, const char *const *cands, size_t n, char *buf, size_t size) {
        const char *best = NULL;
        unsigned best_d = UINT32_MAX;

        for (size_t i = 0; typed && i < n; i++) {
                unsigned d;
                if (cands[i] && close_enough(typed, cands[i], &d) && d < best_d) {
                        best = cands[i];
                        best_d = d;
                }
        }
        if (!best)
                return "";
        snprintf(buf, size, "; did you mean \"%s\"?", best);
        return buf;
}

/* The program whose id or name is closest to typed, by its id. */
const char *chair_suggest_program(const char *typed, const struct chair_programs *progs, char *buf, size_t size) {
        const char *best = NULL;
        unsigned best_d = UINT32_MAX;

        for (size_t i = 0; typed && progs && i < progs->n; i++) {
                const char *names[2] = { progs->v[i].id, progs->v[i].name };
                for (int k = 0; k < 2; k++) {
                        unsigned d;
                        if (names[k] && close_enough(typed, names[k], &d) && d < best_d) {
                                best = progs->v[i].id;
                                best_d = d;
                        }
                }
        }
        if (!best)
                return "";
        snprintf(buf, size, "; did you mean \"%s\"?", best);
        return buf;
}
