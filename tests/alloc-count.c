/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "alloc-count.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
int __real_pthread_mutex_lock(pthread_mutex_t *m);
int __real_pthread_mutex_trylock(pthread_mutex_t *m);

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
int __wrap_pthread_mutex_lock(pthread_mutex_t *m);
int __wrap_pthread_mutex_trylock(pthread_mutex_t *m);

static _Atomic bool watching;
static pthread_t watched;
static atomic_ulong allocs, locks;

void alloc_count_watch(pthread_t t) {
        watched = t;
        atomic_store(&allocs, 0);
        atomic_store(&locks, 0);
        atomic_store(&watching, true);   /* seq_cst: publishes watched */
}

void alloc_count_unwatch(void) {
        atomic_store(&watching, false);
}

unsigned long alloc_count_allocs(void) {
        return atomic_load(&allocs);
}

unsigned long alloc_count_locks(void) {
        return atomic_load(&locks);
}

static bool on_watched(void) {
        return atomic_load(&watching) && pthread_equal(pthread_self(), watched);
}

void *__wrap_malloc(size_t n) {
        if (on_watched())
                atomic_fetch_add(&allocs, 1);
        return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size) {
        if (on_watched())
                atomic_fetch_add(&allocs, 1);
        return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n) {
        if (on_watched())
                atomic_fetch_add(&allocs, 1);
        return __real_realloc(p, n);
}

void __wrap_free(void *p) {
        if (on_watched())
                atomic_fetch_add(&allocs, 1);
        __real_free(p);
}

int __wrap_pthread_mutex_lock(pthread_mutex_t *m) {
        if (on_watched())
                atomic_fetch_add(&locks, 1);
        return __real_pthread_mutex_lock(m);
}

int __wrap_pthread_mutex_trylock(pthread_mutex_t *m) {
        if (on_watched())
                atomic_fetch_add(&locks, 1);
        return __real_pthread_mutex_trylock(m);
}
