/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A lock-free single-producer/single-consumer ring of fixed-size POD items.
 *
 * One thread pushes, one (other) thread pops; neither ever blocks, allocates or
 * locks.  The indices are free-running counters published with release stores
 * and read with acquire loads, so an item's bytes are visible to the consumer
 * before the index that makes it poppable (PipeWire's spa_ringbuffer works the
 * same way).  The capacity is a power of two so wrapping is a mask.
 *
 * chair_ring_new()/chair_ring_free() belong to the owner thread (allocate before
 * the threads start, free after they stopped).
 */

#include <stdbool.h>
#include <stddef.h>

struct chair_ring;

/*
 * Allocate a ring of capacity items of item_size bytes each.  capacity must be
 * a power of two >= 2 and item_size > 0, else -EINVAL; -ENOMEM on allocation
 * failure.
 */
int chair_ring_new(size_t item_size, size_t capacity, struct chair_ring **ret);
struct chair_ring *chair_ring_free(struct chair_ring *r);   /* accepts NULL, returns NULL */

/* Producer only: copy item in.  Returns false (and copies nothing) when full. */
bool chair_ring_push(struct chair_ring *r, const void *item);

/* Consumer only: copy the oldest item out.  Returns false when empty. */
bool chair_ring_pop(struct chair_ring *r, void *item);

/* Consumer only: copy the oldest item out without removing it.  False when empty. */
bool chair_ring_peek(const struct chair_ring *r, void *item);

/* Items currently queued; exact on the consumer side, a lower bound of the free
 * space on the producer side.  Any thread. */
size_t chair_ring_count(const struct chair_ring *r);
size_t chair_ring_capacity(const struct chair_ring *r);
