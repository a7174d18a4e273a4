/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The one clock: CLOCK_MONOTONIC in nanoseconds, as every deadline, sample
 * time and histogram in chaird counts it.  A vDSO call, no system call: safe
 * on the control thread.
 */

#include <stdint.h>
#include <time.h>

#define CHAIR_NSEC_PER_SEC 1000000000ULL

static inline uint64_t chair_now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * CHAIR_NSEC_PER_SEC + (uint64_t) ts.tv_nsec;
}

static inline struct timespec chair_timespec_of(uint64_t ns) {
        return (struct timespec) { .tv_sec = (time_t) (ns / CHAIR_NSEC_PER_SEC),
                                   .tv_nsec = (long) (ns % CHAIR_NSEC_PER_SEC) };
}
