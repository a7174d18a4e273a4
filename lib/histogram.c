/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "histogram.h"

struct chair_hist {
        uint32_t n_bins;
        /* Written by one thread only; relaxed atomics make the concurrent reads
         * of chair_hist_copy() well defined without costing the writer a fence. */
        _Atomic uint64_t count;
        _Atomic uint32_t max;
        _Atomic uint64_t *bins;    /* n_bins + 1: the last one is the overflow bin */
};

int chair_hist_new(uint32_t n_bins, struct chair_hist **ret) {
        if (n_bins < 1 || n_bins > 10000000)
                return -EINVAL;
        struct chair_hist *h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->bins = calloc((size_t) n_bins + 1, sizeof(*h->bins));
        if (!h->bins) {
                free(h);
                return -ENOMEM;
        }
        h->n_bins = n_bins;
        chair_hist_reset(h);
        *ret = h;
        return 0;
}

struct chair_hist *chair_hist_free(struct chair_hist *h) {
        if (h) {
                free(h->bins);
                free(h);
        }
        return NULL;
}

uint32_t chair_hist_bins(const struct chair_hist *h) {
        return h->n_bins;
}

static uint64_t load(const _Atomic uint64_t *p) {
        return atomic_load_explicit(p, memory_order_relaxed);
}

static void store(_Atomic uint64_t *p, uint64_t v) {
        atomic_store_explicit(p, v, memory_order_relaxed);
}

void chair_hist_record(struct chair_hist *h, uint32_t us) {
        uint32_t b = us < h->n_bins ? us : h->n_bins;

        /* Single writer: load+store instead of a locked read-modify-write. */
        store(&h->bins[b], load(&h->bins[b]) + 1);
        store(&h->count, load(&h->count) + 1);
        if (us > atomic_load_explicit(&h->max, memory_order_relaxed))
                atomic_store_explicit(&h->max, us, memory_order_relaxed);
}

void chair_hist_reset(struct chair_hist *h) {
        for (uint32_t i = 0; i <= h->n_bins; i++)
                atomic_init(&h->bins[i], 0);
        atomic_init(&h->count, 0);
        atomic_init(&h->max, 0);
}

int chair_hist_copy(struct chair_hist *dst, const struct chair_hist *src) {
        if (dst->n_bins != src->n_bins)
                return -EINVAL;
        uint64_t total = 0;
        for (uint32_t i = 0; i <= src->n_bins; i++) {
                uint64_t v = load(&src->bins[i]);
                store(&dst->bins[i], v);
                total += v;
        }
        /* The count is the sum of what we copied, so percentiles stay consistent
         * with the bins even while the writer runs. */
        store(&dst->count, total);
        atomic_store_explicit(&dst->max, atomic_load_explicit(&src->max, memory_order_relaxed),
                              memory_order_relaxed);
        return 0;
}

int chair_hist_subtract(struct chair_hist *dst, const struct chair_hist *newer,
                        const struct chair_hist *older) {
        if (dst->n_bins != newer->n_bins || dst->n_bins != older->n_bins)
                return -EINVAL;
        uint64_t total = 0;
        uint32_t max = 0;
        for (uint32_t i = 0; i <= dst->n_bins; i++) {
                uint64_t a = load(&newer->bins[i]), b = load(&older->bins[i]);
                uint64_t d = a >= b ? a - b : 0;
                store(&dst->bins[i], d);
                total += d;
                if (d > 0)
                        max = i < dst->n_bins ? i : atomic_load_explicit(&newer->max, memory_order_relaxed);
        }
        store(&dst->count, total);
        atomic_store_explicit(&dst->max, max, memory_order_relaxed);
        return 0;
}

uint64_t chair_hist_count(const struct chair_hist *h) {
        return load(&h->count);
}

uint32_t chair_hist_max(const struct chair_hist *h) {
        return atomic_load_explicit(&h->max, memory_order_relaxed);
}

uint32_t chair_hist_percentile(const struct chair_hist *h, double q) {
        uint64_t total = 0;
        for (uint32_t i = 0; i <= h->n_bins; i++)
                total += load(&h->bins[i]);
        if (total == 0)
                return 0;
        if (!(q > 0))
                q = 0;
        if (q > 1)
                q = 1;

        /* rank: the ceil(q * total)-th sample, at least the first */
        uint64_t rank = (uint64_t) ceil(q * (double) total);
        if (rank < 1)
                rank = 1;

        uint64_t seen = 0;
        for (uint32_t i = 0; i < h->n_bins; i++) {
                seen += load(&h->bins[i]);
                if (seen >= rank)
                        return i;
        }
        return chair_hist_max(h);
}

void chair_hist_summarize(const struct chair_hist *h, struct chair_hist_summary *s) {
        uint64_t total = 0;
        for (uint32_t i = 0; i <= h->n_bins; i++)
                total += load(&h->bins[i]);
        s->count = total;
        s->p50_us = chair_hist_percentile(h, 0.50);
        s->p99_us = chair_hist_percentile(h, 0.99);
        s->max_us = chair_hist_max(h);
}

struct chair_hist_window {
        struct chair_hist **slots;     /* ring of cumulative copies */
        struct chair_hist *scratch;
        unsigned n_slots, n_used, next;
        uint64_t period_ns, last_ns;
};

struct chair_hist_window *chair_hist_window_free(struct chair_hist_window *w) {
        if (!w)
                return NULL;
        for (unsigned i = 0; w->slots && i < w->n_slots; i++)
                chair_hist_free(w->slots[i]);
        free(w->slots);
        chair_hist_free(w->scratch);
        free(w);
        return NULL;
}

int chair_hist_window_new(uint32_t n_bins, unsigned n_slots, uint64_t period_ns,
                          struct chair_hist_window **ret) {
        if (n_slots < 1 || period_ns == 0)
                return -EINVAL;
        struct chair_hist_window *w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->n_slots = n_slots;
        w->period_ns = period_ns;
        w->slots = calloc(n_slots, sizeof(*w->slots));
        int r = w->slots ? 0 : -ENOMEM;
        for (unsigned i = 0; r == 0 && i < n_slots; i++)
                r = chair_hist_new(n_bins, &w->slots[i]);
        if (r == 0)
                r = chair_hist_new(n_bins, &w->scratch);
        if (r < 0) {
                chair_hist_window_free(w);
                return r;
        }
        *ret = w;
        return 0;
}

void chair_hist_window_update(struct chair_hist_window *w, const struct chair_hist *live,
                              uint64_t now_ns) {
        if (w->n_used > 0 && now_ns - w->last_ns < w->period_ns)
                return;
        chair_hist_copy(w->slots[w->next], live);
        w->next = (w->next + 1) % w->n_slots;
        if (w->n_used < w->n_slots)
                w->n_used++;
        w->last_ns = now_ns;
}

void chair_hist_window_summary(struct chair_hist_window *w, const struct chair_hist *live,
                               struct chair_hist_summary *s) {
        chair_hist_copy(w->scratch, live);
        if (w->n_used > 0) {
                /* the oldest kept copy: the slot about to be overwritten once full */
                unsigned oldest = w->n_used < w->n_slots ? 0 : w->next;
                chair_hist_subtract(w->scratch, w->scratch, w->slots[oldest]);
        }
        chair_hist_summarize(w->scratch, s);
}
