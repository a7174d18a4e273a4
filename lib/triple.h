/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A triple buffer: one writer thread hands the latest copy of a fixed-size
 * value to one reader thread, lock-free and wait-free on both sides.  The
 * writer fills chair_triple_back() and publishes it; the reader calls
 * chair_triple_take() and reads chair_triple_front().  Values in between are
 * overwritten, never queued: right for "the latest outputs" and "the latest
 * input samples", where only the newest matters.
 *
 * Used between the control tick and the linux backend's I/O threads
 * (docs/architecture.md).  new/free on the main thread; the rest never
 * allocates, locks or blocks.
 */

#include <stdbool.h>
#include <stddef.h>

struct chair_triple;

/* Three buffers of size bytes, each a copy of init (which may be NULL: zeros). */
int chair_triple_new(size_t size, const void *init, struct chair_triple **ret);
struct chair_triple *chair_triple_free(struct chair_triple *t);   /* accepts NULL, returns NULL */

/* Writer: the buffer to fill (the writer's own until published). */
void *chair_triple_back(struct chair_triple *t);
/* Writer: make the back buffer the newest; the writer gets a fresh back buffer
 * holding no particular value (fill all of it before the next publish). */
void chair_triple_publish(struct chair_triple *t);

/* Reader: take the newest published buffer, if any came since the last take.
 * Returns true when front changed. */
bool chair_triple_take(struct chair_triple *t);
/* Reader: the buffer taken last (the init value before any take). */
const void *chair_triple_front(const struct chair_triple *t);
