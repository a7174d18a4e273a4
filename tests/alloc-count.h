/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Allocation and lock counting for one thread, through the linker's --wrap
 * (tests/meson.build: alloc_wrap).  Only calls made from the watched thread
 * count, so the test's own thread and cmocka may allocate freely.
 */

#include <pthread.h>

void alloc_count_watch(pthread_t t);   /* start counting calls from t (resets the counts) */
void alloc_count_unwatch(void);        /* stop counting; the counts stay readable */
unsigned long alloc_count_allocs(void);    /* malloc + calloc + realloc + free */
unsigned long alloc_count_locks(void);     /* pthread_mutex_lock + trylock */
