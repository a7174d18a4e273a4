/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "triple.h"

/* Bit set in `middle` when it holds a buffer the reader has not taken yet. */
#define FRESH 4u

struct chair_triple {
        size_t size;
        _Atomic unsigned middle;   /* index of the buffer in between, | FRESH */
        unsigned back;             /* writer's */
        unsigned front;            /* reader's */
        unsigned char *buf;        /* 3 * size */
};

int chair_triple_new(size_t size, const void *init, struct chair_triple **ret) {
        if (size == 0 || !ret)
                return -EINVAL;
        struct chair_triple *t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->buf = calloc(3, size);
        if (!t->buf) {
                free(t);
                return -ENOMEM;
        }
        t->size = size;
        if (init)
                for (int i = 0; i < 3; i++)
                        memcpy(t->buf + (size_t) i * size, init, size);
        t->back = 0;
        atomic_init(&t->middle, 1);
        t->front = 2;
        *ret = t;
        return 0;
}

struct chair_triple *chair_triple_free(struct chair_triple *t) {
        if (t) {
                free(t->buf);
                free(t);
        }
        return NULL;
}

void *chair_triple_back(struct chair_triple *t) {
        return t->buf + (size_t) t->back * t->size;
}

void chair_triple_publish(struct chair_triple *t) {
        /* acq_rel: the writes to the buffer happen before the reader can see it,
         * and the buffer we get back was fully read before the reader let go. */
        unsigned old = atomic_exchange_explicit(&t->middle, t->back | FRESH, memory_order_acq_rel);
        t->back = old & ~FRESH;
}

bool chair_triple_take(struct chair_triple *t) {
        if (!(atomic_load_explicit(&t->middle, memory_order_acquire) & FRESH))
                return false;
        unsigned old = atomic_exchange_explicit(&t->middle, t->front, memory_order_acq_rel);
        t->front = old & ~FRESH;
        return true;
}

const void *chair_triple_front(const struct chair_triple *t) {
        return t->buf + (size_t) t->front * t->size;
}
