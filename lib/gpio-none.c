/* SPDX-License-Identifier: MIT */
/*
 * lib/gpio.h for a build without libgpiod (-Dgpiod=disabled, e.g. a Yocto
 * image for the simulated chair only): every request fails and says why, so
 * `backend: linux` with GPIO bindings stops at start-up with a clear error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "gpio.h"

struct chair_gpio {
        int unused;
};

int chair_gpio_new(const char *dev_dir, struct chair_gpio **ret) {
        struct chair_gpio *g = calloc(1, sizeof(*g));
        if (!g)
                return -ENOMEM;
        *ret = g;
        return 0;
}

struct chair_gpio *chair_gpio_free(struct chair_gpio *g) {
        free(g);
        return NULL;
}

static int unsupported(char *why, size_t why_len) {
        if (why)
                snprintf(why, why_len, "this chaird is built without libgpiod (meson -Dgpiod=disabled)");
        return -EOPNOTSUPP;
}

int chair_gpio_request_output(struct chair_gpio *g, const struct chair_gpio_binding *b, int value,
                              char *why, size_t why_len) {
        return unsupported(why, why_len);
}

int chair_gpio_request_input(struct chair_gpio *g, const struct chair_gpio_binding *b, char *why, size_t why_len) {
        return unsupported(why, why_len);
}

int chair_gpio_commit(struct chair_gpio *g, const struct chair_gpio_binding **bad, char *why, size_t why_len) {
        if (bad)
                *bad = NULL;
        return 0;
}

int chair_gpio_set(struct chair_gpio *g, int h, int value) {
        return -EINVAL;
}

int chair_gpio_get(struct chair_gpio *g, int h) {
        return -EINVAL;
}

int chair_gpio_poll(struct chair_gpio *g) {
        return 0;
}

void chair_gpio_take_edges(struct chair_gpio *g, int h, struct chair_gpio_edges *e) {
        *e = (struct chair_gpio_edges) { .last = -1 };
}
