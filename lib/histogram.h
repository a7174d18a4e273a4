/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Latency histogram with 1 µs bins and one overflow bin.
 *
 * One writer thread (the control thread) calls chair_hist_record() on every
 * tick: it only increments counters (relaxed atomics, no allocation, no lock).
 * Other threads never read the live counters for statistics directly; they take
 * a copy with chair_hist_copy() and derive p50/p99/max from the copy outside
 * the tick.  Percentiles of a copy taken while the writer runs are off by at
 * most the few samples recorded during the copy.
 *
 * "Last minute" figures come from struct chair_hist_window: the reader keeps a
 * few cumulative copies taken at a fixed period and subtracts the oldest from
 * the newest, so the writer never has to reset anything.
 */

#include <stdint.h>

struct chair_hist;

struct chair_hist_summary {
        uint64_t count;
        uint32_t p50_us, p99_us, max_us;
};

/*
 * Allocate a histogram with n_bins bins of 1 µs ([0,1), [1,2), ...) and one
 * overflow bin for n_bins µs and above.  n_bins 1..10000000, else -EINVAL.
 */
int chair_hist_new(uint32_t n_bins, struct chair_hist **ret);
struct chair_hist *chair_hist_free(struct chair_hist *h);   /* accepts NULL, returns NULL */

uint32_t chair_hist_bins(const struct chair_hist *h);

/* Writer thread only: count one sample of us microseconds.  Never allocates. */
void chair_hist_record(struct chair_hist *h, uint32_t us);

/* Copy src into dst (same bin count, else -EINVAL).  Any thread; dst must not be
 * written concurrently. */
int chair_hist_copy(struct chair_hist *dst, const struct chair_hist *src);

/*
 * dst = newer - older, bin by bin (both copies of one cumulative histogram,
 * older taken first).  The max of the difference is its highest non-empty
 * bin (exact, samples are whole µs); when the overflow bin grew it is newer's
 * max.  dst may be newer.
 * Same bin counts, else -EINVAL.
 */
int chair_hist_subtract(struct chair_hist *dst, const struct chair_hist *newer,
                        const struct chair_hist *older);

/* Zero every counter.  Only while no writer runs. */
void chair_hist_reset(struct chair_hist *h);

uint64_t chair_hist_count(const struct chair_hist *h);
uint32_t chair_hist_max(const struct chair_hist *h);

/*
 * The smallest value v (µs, bin's lower edge) such that at least q (0..1) of the
 * samples are <= v's bin.  Samples in the overflow bin count as the max.  0 for
 * an empty histogram.
 */
uint32_t chair_hist_percentile(const struct chair_hist *h, double q);

/* count, p50, p99, max in one go. */
void chair_hist_summarize(const struct chair_hist *h, struct chair_hist_summary *s);

/*
 * A sliding window over a cumulative histogram: n_slots copies taken every
 * period_ns.  chair_hist_window_summary() reports the samples recorded since
 * the oldest kept copy, i.e. over the last n_slots * period_ns at most (less
 * right after start).  Reader thread only.
 */
struct chair_hist_window;

int chair_hist_window_new(uint32_t n_bins, unsigned n_slots, uint64_t period_ns,
                          struct chair_hist_window **ret);
struct chair_hist_window *chair_hist_window_free(struct chair_hist_window *w);
/* Take a copy of live if period_ns passed since the last one (call at least that often). */
void chair_hist_window_update(struct chair_hist_window *w, const struct chair_hist *live,
                              uint64_t now_ns);
/* Summary of live minus the oldest kept copy (all of live before the first update). */
void chair_hist_window_summary(struct chair_hist_window *w, const struct chair_hist *live,
                               struct chair_hist_summary *s);
