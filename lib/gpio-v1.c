/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <gpiod.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "gpio.h"

/* The libgpiod 1.6 backend (Debian 12): one request per line, claimed at once. */

struct gpio_chip_ent {
        char key[128];             /* the chip as the config wrote it */
        struct gpiod_chip *chip;
};

struct gpio_line_ent {
        struct gpiod_line *line;
        struct gpiod_chip *own_chip;   /* opened by gpiod_line_find(); closed with the line */
        bool input;
        int pfd;                   /* index into pfd[] for inputs, else -1 */
        struct chair_gpio_edges acc;
};

struct chair_gpio {
        char dev_dir[256];
        struct gpio_chip_ent chips[CHAIR_GPIO_MAX_CHIPS];
        unsigned n_chips;
        struct gpio_line_ent lines[CHAIR_GPIO_MAX_LINES];
        unsigned n_lines;
        /* Preallocated so the tick's poll() needs no allocation. */
        struct pollfd pfd[CHAIR_GPIO_MAX_LINES];
        int pfd_line[CHAIR_GPIO_MAX_LINES];
        unsigned n_pfd;
};

int chair_gpio_new(const char *dev_dir, struct chair_gpio **ret) {
        struct chair_gpio *g = calloc(1, sizeof(*g));
        if (!g)
                return -ENOMEM;
        snprintf(g->dev_dir, sizeof(g->dev_dir), "%s", dev_dir && *dev_dir ? dev_dir : "/dev");
        *ret = g;
        return 0;
}

struct chair_gpio *chair_gpio_free(struct chair_gpio *g) {
        if (!g)
                return NULL;
        for (unsigned i = 0; i < g->n_lines; i++) {
                gpiod_line_release(g->lines[i].line);
                if (g->lines[i].own_chip)
                        gpiod_chip_close(g->lines[i].own_chip);
        }
        for (unsigned i = 0; i < g->n_chips; i++)
                gpiod_chip_close(g->chips[i].chip);
        free(g);
        return NULL;
}

static bool all_digits(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

/* libgpiod says ENOENT for "no such chip/line"; the HAL reports missing hardware as ENODEV. */
static int missing_errno(int e) {
        if (e == 0)
                return -EIO;
        return e == ENOENT ? -ENODEV : -e;
}

static int chip_get(struct chair_gpio *g, const char *name, struct gpiod_chip **ret, char *why, size_t why_len) {
        char path[512];

        for (unsigned i = 0; i < g->n_chips; i++)
                if (strcmp(g->chips[i].key, name) == 0) {
                        *ret = g->chips[i].chip;
                        return 0;
                }
        if (g->n_chips >= CHAIR_GPIO_MAX_CHIPS || strlen(name) >= sizeof(g->chips[0].key)) {
                snprintf(why, why_len, "too many GPIO chips (at most %d)", CHAIR_GPIO_MAX_CHIPS);
                return -E2BIG;
        }

        /* "/dev/gpiochip0" as is; "0" or "gpiochip0" under dev_dir; anything else
         * is tried under dev_dir and then as a chip label ("pinctrl-bcm2711"). */
        bool label_ok = false;
        if (name[0] == '/')
                snprintf(path, sizeof(path), "%s", name);
        else if (all_digits(name))
                snprintf(path, sizeof(path), "%s/gpiochip%s", g->dev_dir, name);
        else {
                snprintf(path, sizeof(path), "%s/%s", g->dev_dir, name);
                label_ok = true;
        }

        errno = 0;
        struct gpiod_chip *chip = gpiod_chip_open(path);
        int e = errno;
        if (!chip && label_ok && (e == ENOENT || e == ENODEV || e == ENOTTY)) {
                errno = 0;
                chip = gpiod_chip_open_by_label(name);
                if (!chip) {
                        snprintf(why, why_len, "GPIO chip '%s' not found (tried %s and chip labels)", name, path);
                        return missing_errno(errno ? errno : e);
                }
        }
        if (!chip) {
                snprintf(why, why_len, "GPIO chip '%s' cannot be opened: %s (%s)", name, path, strerror(e ? e : EIO));
                return missing_errno(e);
        }

        snprintf(g->chips[g->n_chips].key, sizeof(g->chips[0].key), "%s", name);
        g->chips[g->n_chips++].chip = chip;
        *ret = chip;
        return 0;
}

static int bias_flags(enum chair_gpio_bias bias) {
        switch (bias) {
        case CHAIR_GPIO_BIAS_PULL_UP: return GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP;
        case CHAIR_GPIO_BIAS_PULL_DOWN: return GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN;
        case CHAIR_GPIO_BIAS_DISABLED: return GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE;
        case CHAIR_GPIO_BIAS_AS_IS: break;
        }
        return 0;
}

static int line_request(struct chair_gpio *g, const struct chair_gpio_binding *b, bool input, int value,
                        char *why, size_t why_len) {
        char dummy[8];
        struct gpiod_chip *chip = NULL, *own_chip = NULL;
        struct gpiod_line *line;
        int r;

        if (!why) {
                why = dummy;
                why_len = sizeof(dummy);
        }
        why[0] = 0;
        if (!b || !b->set) {
                snprintf(why, why_len, "no GPIO line configured");
                return -EINVAL;
        }
        if (g->n_lines >= CHAIR_GPIO_MAX_LINES) {
                snprintf(why, why_len, "too many GPIO lines (at most %d)", CHAIR_GPIO_MAX_LINES);
                return -E2BIG;
        }
        if (input && b->debounce_us) {
                /* The v1 character-device API has no debounce: refuse rather than ignore a safety-relevant key. */
                snprintf(why, why_len, "debounce_us needs libgpiod 2 (this chaird is built with libgpiod 1.6); "
                                       "use debounce_ms");
                return -EOPNOTSUPP;
        }

        if (b->name && !b->chip) {
                errno = 0;
                line = gpiod_line_find(b->name);
                if (!line) {
                        snprintf(why, why_len, "no GPIO line named '%s' on any chip", b->name);
                        return missing_errno(errno ? errno : ENOENT);
                }
                own_chip = gpiod_line_get_chip(line);
        } else {
                if (!b->chip) {
                        snprintf(why, why_len, "GPIO line has neither a chip nor a name");
                        return -EINVAL;
                }
                r = chip_get(g, b->chip, &chip, why, why_len);
                if (r < 0)
                        return r;
                errno = 0;
                if (b->name) {
                        line = gpiod_chip_find_line(chip, b->name);
                        if (!line) {
                                snprintf(why, why_len, "no GPIO line named '%s' on chip %s", b->name, b->chip);
                                return missing_errno(errno ? errno : ENOENT);
                        }
                } else {
                        line = b->offset >= 0 ? gpiod_chip_get_line(chip, (unsigned) b->offset) : NULL;
                        if (!line) {
                                snprintf(why, why_len, "GPIO line %d does not exist on chip %s", b->offset, b->chip);
                                return -ENODEV;
                        }
                }
        }

        struct gpiod_line_request_config rc = {
                .consumer = CHAIR_GPIO_CONSUMER,
                .request_type = input ? GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES : GPIOD_LINE_REQUEST_DIRECTION_OUTPUT,
                .flags = (b->active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0) | (input ? bias_flags(b->bias) : 0),
        };
        errno = 0;
        if (gpiod_line_request(line, &rc, value ? 1 : 0) < 0) {
                int e = errno ? errno : EIO;
                char desc[160];
                if (b->name)
                        snprintf(desc, sizeof(desc), "'%s'", b->name);
                else
                        snprintf(desc, sizeof(desc), "%s line %d", b->chip, b->offset);
                snprintf(why, why_len, "GPIO %s cannot be requested: %s%s", desc, strerror(e),
                         e == EBUSY ? " (in use by another consumer)" : "");
                if (own_chip)
                        gpiod_chip_close(own_chip);
                return -e;
        }

        unsigned h = g->n_lines;
        struct gpio_line_ent *l = &g->lines[h];
        *l = (struct gpio_line_ent) { .line = line, .own_chip = own_chip, .input = input, .pfd = -1 };
        l->acc.last = -1;
        if (input) {
                int fd = gpiod_line_event_get_fd(line);
                if (fd < 0) {
                        int e = errno ? errno : EIO;
                        gpiod_line_release(line);
                        if (own_chip)
                                gpiod_chip_close(own_chip);
                        snprintf(why, why_len, "GPIO line event descriptor unavailable: %s", strerror(e));
                        return -e;
                }
                /* Belt and braces: even if poll() and read() ever disagree, a read never blocks the tick. */
                int fl = fcntl(fd, F_GETFL);
                if (fl >= 0)
                        (void) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
                l->pfd = (int) g->n_pfd;
                g->pfd[g->n_pfd] = (struct pollfd) { .fd = fd, .events = POLLIN };
                g->pfd_line[g->n_pfd++] = (int) h;
        }
        g->n_lines++;
        return (int) h;
}

int chair_gpio_request_output(struct chair_gpio *g, const struct chair_gpio_binding *b, int value,
                              char *why, size_t why_len) {
        return line_request(g, b, false, value, why, why_len);
}

int chair_gpio_request_input(struct chair_gpio *g, const struct chair_gpio_binding *b, char *why, size_t why_len) {
        return line_request(g, b, true, 0, why, why_len);
}

int chair_gpio_commit(struct chair_gpio *g, const struct chair_gpio_binding **bad, char *why, size_t why_len) {
        /* Every line was claimed by its request already. */
        if (bad)
                *bad = NULL;
        return 0;
}

int chair_gpio_set(struct chair_gpio *g, int h, int value) {
        if (h < 0 || (unsigned) h >= g->n_lines || g->lines[h].input)
                return -EINVAL;
        errno = 0;
        if (gpiod_line_set_value(g->lines[h].line, value ? 1 : 0) < 0)
                return errno ? -errno : -EIO;
        return 0;
}

int chair_gpio_get(struct chair_gpio *g, int h) {
        if (h < 0 || (unsigned) h >= g->n_lines)
                return -EINVAL;
        errno = 0;
        int v = gpiod_line_get_value(g->lines[h].line);
        if (v < 0)
                return errno ? -errno : -EIO;
        return v ? 1 : 0;
}

/* Read what one ready line has, in bounded batches, never blocking. */
static int drain_line(struct chair_gpio *g, struct gpio_line_ent *l) {
        struct gpiod_line_event ev[16];

        /* At most 4 batches per tick bounds the tick's work; the rest waits for the next tick. */
        for (int round = 0; round < 4; round++) {
                errno = 0;
                int n = gpiod_line_event_read_multiple(l->line, ev, 16);
                if (n < 0)
                        return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : (errno ? -errno : -EIO);
                for (int i = 0; i < n; i++) {
                        if (ev[i].event_type == GPIOD_LINE_EVENT_RISING_EDGE) {
                                l->acc.rising++;
                                l->acc.last = 1;
                        } else {
                                l->acc.falling++;
                                l->acc.last = 0;
                        }
                }
                if (n < 16)
                        return 0;
                /* A full batch: more may be queued; look again without waiting. */
                struct pollfd p = g->pfd[l->pfd];
                p.revents = 0;
                if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN))
                        return 0;
        }
        return 0;
}

int chair_gpio_poll(struct chair_gpio *g) {
        int r = 0;

        if (g->n_pfd == 0)
                return 0;
        for (unsigned i = 0; i < g->n_pfd; i++)
                g->pfd[i].revents = 0;
        int n = poll(g->pfd, g->n_pfd, 0);
        if (n < 0)
                return errno == EINTR ? 0 : -errno;
        for (unsigned i = 0; i < g->n_pfd && n > 0; i++) {
                short re = g->pfd[i].revents;
                if (!re)
                        continue;
                n--;
                if (re & POLLIN) {
                        int k = drain_line(g, &g->lines[g->pfd_line[i]]);
                        if (k < 0 && r == 0)
                                r = k;
                } else if ((re & (POLLERR | POLLHUP | POLLNVAL)) && r == 0)
                        r = -EIO;
        }
        return r;
}

void chair_gpio_take_edges(struct chair_gpio *g, int h, struct chair_gpio_edges *e) {
        if (h < 0 || (unsigned) h >= g->n_lines) {
                *e = (struct chair_gpio_edges) { .last = -1 };
                return;
        }
        *e = g->lines[h].acc;
        g->lines[h].acc = (struct chair_gpio_edges) { .last = -1 };
}
