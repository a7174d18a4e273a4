/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * GPIO lines for the linux backend.  Two files implement this header and only
 * they call libgpiod: lib/gpio-v1.c (libgpiod 1.6, Debian 12) and
 * lib/gpio-v2.c (libgpiod 2.x, Debian 13, Yocto scarthgap and later); meson
 * builds the one matching the libgpiod it finds.
 *
 * A struct chair_gpio owns the chips it opened and the lines it requested
 * (consumer "chaird").  Lines are addressed by an int handle returned at
 * request time.  Outputs are requested with their initial value, so the
 * kernel drives the safe value from the moment the request succeeds.  Inputs
 * are requested for both-edge events, with the binding's bias and kernel
 * debounce; chair_gpio_poll() drains the events of every input without
 * blocking.
 *
 * Claiming happens in two steps because libgpiod 2 claims all the lines of a
 * chip in one request: request_*() find and check a line and return its
 * handle, chair_gpio_commit() claims every line asked for so far.  (The 1.6
 * backend claims in request_*() already; its commit has nothing left to do.)
 * set/get/poll work on committed lines only.
 *
 * Thread rules: new, free, request_*() and commit on the main thread before the control
 * loop starts; poll/take_edges on the control thread (reading the kernel's
 * edge queue never touches a bus); set on the linux backend's output thread,
 * which owns every output write (no allocation; one or a few syscalls).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct chair_gpio;
struct chair_gpio_binding;

#define CHAIR_GPIO_CONSUMER "chaird"
#define CHAIR_GPIO_MAX_LINES 48
#define CHAIR_GPIO_MAX_CHIPS 16

/*
 * dev_dir: where chip names ("gpiochip0") are looked up, normally "/dev";
 * NULL means "/dev".  The string is copied.
 */
int chair_gpio_new(const char *dev_dir, struct chair_gpio **ret);
/* Releases every line and closes every chip.  Accepts NULL, returns NULL. */
struct chair_gpio *chair_gpio_free(struct chair_gpio *g);

/*
 * Request b as an output driving value (0/1, logical: active_low applied by
 * the kernel) from the start.  Returns a handle >= 0, or a negative errno;
 * on failure why (if not NULL) receives a one-line description of what was
 * missing and the path or name tried.
 */
int chair_gpio_request_output(struct chair_gpio *g, const struct chair_gpio_binding *b, int value,
                              char *why, size_t why_len);
/*
 * Request b as an input with both-edge events, b->bias and b->debounce_us
 * (the kernel's debounce; libgpiod 1.6 has none: -EOPNOTSUPP with a why).
 * Same returns as above.
 */
int chair_gpio_request_input(struct chair_gpio *g, const struct chair_gpio_binding *b,
                             char *why, size_t why_len);

/*
 * Claim every line requested since the last commit, one kernel request per
 * chip.  Every chip is tried even after a failure, so that as many outputs
 * as possible are held at their initial value.  Returns 0 or the first
 * negative errno; then *bad (if not NULL) is the binding of a line that was
 * not claimed (the one in use for EBUSY) and why says what happened.
 */
int chair_gpio_commit(struct chair_gpio *g, const struct chair_gpio_binding **bad, char *why, size_t why_len);

/* Set an output's logical value.  Control-thread safe.  0 or negative errno. */
int chair_gpio_set(struct chair_gpio *g, int h, int value);
/* Read a line's logical value: 0/1 or negative errno. */
int chair_gpio_get(struct chair_gpio *g, int h);

/*
 * Drain pending edge events of every input line without blocking (poll with
 * a zero timeout, then read what is ready).  Control-thread safe.  Returns
 * 0, or the first negative errno met (the other lines are still drained).
 */
int chair_gpio_poll(struct chair_gpio *g);

struct chair_gpio_edges {
        uint32_t rising;           /* edges to the logical active level */
        uint32_t falling;          /* edges to the logical inactive level */
        int last;                  /* level after the last edge: 1, 0, or -1 when no edge */
};
/* Take (and reset) the edges accumulated by chair_gpio_poll() for input h. */
void chair_gpio_take_edges(struct chair_gpio *g, int h, struct chair_gpio_edges *e);
