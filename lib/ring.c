/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

/* Keep the two indices on separate cache lines: each is written by one thread
 * only, and sharing a line would make every push and pop bounce it. */
#define CACHE_LINE 64

struct chair_ring {
        alignas(CACHE_LINE) _Atomic size_t head;   /* next slot to write; producer writes */
        alignas(CACHE_LINE) _Atomic size_t tail;   /* next slot to read; consumer writes */
        alignas(CACHE_LINE) size_t mask;
        size_t item_size;
        unsigned char *items;
};

int chair_ring_new(size_t item_size, size_t capacity, struct chair_ring **ret) {
        if (item_size == 0 || capacity < 2 || (capacity & (capacity - 1)) != 0)
                return -EINVAL;
        if (capacity > SIZE_MAX / item_size)
                return -EINVAL;

        struct chair_ring *r = aligned_alloc(CACHE_LINE, sizeof(*r));
        if (!r)
                return -ENOMEM;
        memset(r, 0, sizeof(*r));
        r->items = calloc(capacity, item_size);
        if (!r->items) {
                free(r);
                return -ENOMEM;
        }
        r->mask = capacity - 1;
        r->item_size = item_size;
        atomic_init(&r->head, 0);
        atomic_init(&r->tail, 0);
        *ret = r;
        return 0;
}

struct chair_ring *chair_ring_free(struct chair_ring *r) {
        if (r) {
                free(r->items);
                free(r);
        }
        return NULL;
}

bool chair_ring_push(struct chair_ring *r, const void *item) {
        size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
        /* acquire: the consumer finished reading the slot before it moved tail past it */
        size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);

        if (head - tail > r->mask)
                return false;
        memcpy(r->items + (head & r->mask) * r->item_size, item, r->item_size);
        /* release: the item's bytes become visible before the new head */
        atomic_store_explicit(&r->head, head + 1, memory_order_release);
        return true;
}

bool chair_ring_peek(const struct chair_ring *r, void *item) {
        size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
        size_t head = atomic_load_explicit(&r->head, memory_order_acquire);

        if (head == tail)
                return false;
        memcpy(item, r->items + (tail & r->mask) * r->item_size, r->item_size);
        return true;
}

bool chair_ring_pop(struct chair_ring *r, void *item) {
        if (!chair_ring_peek(r, item))
                return false;
        size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
        /* release: our read of the slot completes before the producer may reuse it */
        atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
        return true;
}

size_t chair_ring_count(const struct chair_ring *r) {
        size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
        size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
        return head - tail;
}

size_t chair_ring_capacity(const struct chair_ring *r) {
        return r->mask + 1;
}
