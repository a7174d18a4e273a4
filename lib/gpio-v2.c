/* SPDX-License-Identifier: MIT */
/*
 * The libgpiod 2.x backend of lib/gpio.h (Debian 13, Yocto scarthgap and
 * later).  libgpiod 2 claims lines per chip: one gpiod_line_request holds all
 * of a chip's lines, each with its own gpiod_line_settings (direction, initial
 * value, active-low, edges, bias, debounce).  So request_*() only find and
 * check a line (chip, offset, not in use) and chair_gpio_commit() makes one
 * request per chip.  Edge events of a chip's inputs arrive on the request's
 * one fd and are read into a preallocated gpiod_edge_event_buffer.
 *
 * Outputs are set one line per call (gpiod_line_request_set_value): the HAL
 * must order a direction line between two PWM writes (never reverse an
 * H-bridge under drive), which a per-tick batch of line writes would break.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gpiod.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "gpio.h"

#define EVENT_BATCH 16

struct v2_chip {
        char name[64];             /* the kernel's name ("gpiochip0"): one entry per chip, however the config named it */
        char path[512];
        struct gpiod_chip *chip;
        unsigned num_lines;
        struct gpiod_line_request *req;         /* NULL until committed */
        struct gpiod_edge_event_buffer *events; /* when the chip has inputs */
};

struct v2_line {
        const struct chair_gpio_binding *b;
        unsigned chip, offset;
        bool input, claimed;
        int initial;
        struct chair_gpio_edges acc;
};

struct chair_gpio {
        char dev_dir[256];
        struct v2_chip chips[CHAIR_GPIO_MAX_CHIPS];
        unsigned n_chips;
        struct v2_line lines[CHAIR_GPIO_MAX_LINES];
        unsigned n_lines;
        /* Preallocated so the tick's poll() needs no allocation: one fd per chip with inputs. */
        struct pollfd pfd[CHAIR_GPIO_MAX_CHIPS];
        unsigned pfd_chip[CHAIR_GPIO_MAX_CHIPS];
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
        for (unsigned i = 0; i < g->n_chips; i++) {
                struct v2_chip *c = &g->chips[i];
                if (c->req)
                        gpiod_line_request_release(c->req);
                if (c->events)
                        gpiod_edge_event_buffer_free(c->events);
                gpiod_chip_close(c->chip);
        }
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

/*
 * Keep an opened chip: the entry of the same kernel chip when there is one
 * (then this handle is closed), else a new entry.  Takes chip in all cases.
 */
static int chip_keep(struct chair_gpio *g, struct gpiod_chip *chip, const char *path, char *why, size_t why_len) {
        struct gpiod_chip_info *info = gpiod_chip_get_info(chip);
        if (!info) {
                int e = errno ? errno : EIO;
                gpiod_chip_close(chip);
                snprintf(why, why_len, "GPIO chip %s: cannot read its info: %s", path, strerror(e));
                return -e;
        }
        char name[64];
        snprintf(name, sizeof(name), "%s", gpiod_chip_info_get_name(info));
        unsigned num_lines = (unsigned) gpiod_chip_info_get_num_lines(info);
        gpiod_chip_info_free(info);

        for (unsigned i = 0; i < g->n_chips; i++)
                if (strcmp(g->chips[i].name, name) == 0) {
                        gpiod_chip_close(chip);
                        return (int) i;
                }
        if (g->n_chips >= CHAIR_GPIO_MAX_CHIPS) {
                gpiod_chip_close(chip);
                snprintf(why, why_len, "too many GPIO chips (at most %d)", CHAIR_GPIO_MAX_CHIPS);
                return -E2BIG;
        }
        struct v2_chip *c = &g->chips[g->n_chips];
        *c = (struct v2_chip) { .chip = chip, .num_lines = num_lines };
        snprintf(c->name, sizeof(c->name), "%s", name);
        snprintf(c->path, sizeof(c->path), "%s", path);
        return (int) g->n_chips++;
}

/*
 * Visit the GPIO chips under dev_dir in version order (gpiochip2 before
 * gpiochip10), as libgpiod 1.6's gpiod_line_find() did.  match() returns > 0
 * to keep the chip (the visit ends, returning the chip's index), 0 to go on,
 * < 0 to stop with that error.  Returns -ENOENT when nothing matched.
 */
static int chip_scan(struct chair_gpio *g, int (*match)(struct gpiod_chip *chip, const void *arg, int *out),
                     const void *arg, int *out, char *why, size_t why_len) {
        struct dirent **names = NULL;
        int n = scandir(g->dev_dir, &names, NULL, versionsort);
        int r = -ENOENT;

        if (n < 0)
                return -ENOENT;
        for (int i = 0; i < n; i++) {
                char path[512];
                if (r != -ENOENT || strncmp(names[i]->d_name, "gpiochip", 8) != 0)
                        continue;
                snprintf(path, sizeof(path), "%s/%s", g->dev_dir, names[i]->d_name);
                if (!gpiod_is_gpiochip_device(path))
                        continue;
                struct gpiod_chip *chip = gpiod_chip_open(path);
                if (!chip)
                        continue;  /* one unreadable chip must not hide the others */
                int k = match(chip, arg, out);
                if (k > 0)
                        r = chip_keep(g, chip, path, why, why_len);
                else {
                        gpiod_chip_close(chip);
                        if (k < 0)
                                r = k;
                }
        }
        for (int i = 0; i < n; i++)
                free(names[i]);
        free(names);
        return r;
}

static int match_label(struct gpiod_chip *chip, const void *arg, int *out) {
        struct gpiod_chip_info *info = gpiod_chip_get_info(chip);
        if (!info)
                return 0;
        int k = strcmp(gpiod_chip_info_get_label(info), arg) == 0;
        gpiod_chip_info_free(info);
        return k;
}

static int match_line_name(struct gpiod_chip *chip, const void *arg, int *out) {
        int off = gpiod_chip_get_line_offset_from_name(chip, arg);
        if (off < 0)
                return 0;
        *out = off;
        return 1;
}

/* The chip the config calls name: "/dev/gpiochip0" as is; "0" or "gpiochip0"
 * under dev_dir; anything else under dev_dir, then as a chip label. */
static int chip_get(struct chair_gpio *g, const char *name, char *why, size_t why_len) {
        char path[512];
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
        if (chip)
                return chip_keep(g, chip, path, why, why_len);
        if (label_ok && (e == ENOENT || e == ENODEV || e == ENOTTY || e == EINVAL)) {
                int k = chip_scan(g, match_label, name, NULL, why, why_len);
                if (k == -ENOENT) {
                        snprintf(why, why_len, "GPIO chip '%s' not found (tried %s and chip labels)", name, path);
                        return -ENODEV;
                }
                return k;
        }
        snprintf(why, why_len, "GPIO chip '%s' cannot be opened: %s (%s)", name, path, strerror(e ? e : EIO));
        return missing_errno(e);
}

static void line_desc(const struct chair_gpio_binding *b, char *desc, size_t len) {
        if (b->name)
                snprintf(desc, len, "'%s'", b->name);
        else
                snprintf(desc, len, "%s line %d", b->chip, b->offset);
}

/* Someone else holds the line: say who. */
static int line_in_use(struct v2_chip *c, unsigned offset, char *consumer, size_t len) {
        struct gpiod_line_info *info = gpiod_chip_get_line_info(c->chip, offset);
        if (!info)
                return 0;
        int used = gpiod_line_info_is_used(info);
        if (used && consumer) {
                const char *who = gpiod_line_info_get_consumer(info);
                snprintf(consumer, len, "%s", who && *who ? who : "?");
        }
        gpiod_line_info_free(info);
        return used;
}

static int line_request(struct chair_gpio *g, const struct chair_gpio_binding *b, bool input, int value,
                        char *why, size_t why_len) {
        char dummy[8], desc[160], who[64];
        int ci, off;

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

        if (b->name && !b->chip) {
                ci = chip_scan(g, match_line_name, b->name, &off, why, why_len);
                if (ci == -ENOENT) {
                        snprintf(why, why_len, "no GPIO line named '%s' on any chip", b->name);
                        return -ENODEV;
                }
                if (ci < 0)
                        return ci;
        } else {
                if (!b->chip) {
                        snprintf(why, why_len, "GPIO line has neither a chip nor a name");
                        return -EINVAL;
                }
                ci = chip_get(g, b->chip, why, why_len);
                if (ci < 0)
                        return ci;
                if (b->name) {
                        off = gpiod_chip_get_line_offset_from_name(g->chips[ci].chip, b->name);
                        if (off < 0) {
                                snprintf(why, why_len, "no GPIO line named '%s' on chip %s", b->name, b->chip);
                                return -ENODEV;
                        }
                } else {
                        off = b->offset;
                        if (off < 0 || (unsigned) off >= g->chips[ci].num_lines) {
                                snprintf(why, why_len, "GPIO line %d does not exist on chip %s (it has %u lines)",
                                         b->offset, b->chip, g->chips[ci].num_lines);
                                return -ENODEV;
                        }
                }
        }

        struct v2_chip *c = &g->chips[ci];
        line_desc(b, desc, sizeof(desc));
        if (c->req) {
                snprintf(why, why_len, "GPIO %s: the lines of %s are already claimed", desc, c->name);
                return -EALREADY;
        }
        for (unsigned i = 0; i < g->n_lines; i++)
                if (g->lines[i].chip == (unsigned) ci && g->lines[i].offset == (unsigned) off) {
                        snprintf(why, why_len, "GPIO %s cannot be requested: %s (in use by another binding of chaird)",
                                 desc, strerror(EBUSY));
                        return -EBUSY;
                }
        if (line_in_use(c, (unsigned) off, who, sizeof(who))) {
                snprintf(why, why_len, "GPIO %s cannot be requested: %s (in use by another consumer: %s)", desc,
                         strerror(EBUSY), who);
                return -EBUSY;
        }

        unsigned h = g->n_lines++;
        g->lines[h] = (struct v2_line) {
                .b = b, .chip = (unsigned) ci, .offset = (unsigned) off, .input = input, .initial = value ? 1 : 0,
                .acc = { .last = -1 },
        };
        return (int) h;
}

int chair_gpio_request_output(struct chair_gpio *g, const struct chair_gpio_binding *b, int value,
                              char *why, size_t why_len) {
        return line_request(g, b, false, value, why, why_len);
}

int chair_gpio_request_input(struct chair_gpio *g, const struct chair_gpio_binding *b, char *why, size_t why_len) {
        return line_request(g, b, true, 0, why, why_len);
}

static enum gpiod_line_bias bias_of(enum chair_gpio_bias bias) {
        switch (bias) {
        case CHAIR_GPIO_BIAS_PULL_UP: return GPIOD_LINE_BIAS_PULL_UP;
        case CHAIR_GPIO_BIAS_PULL_DOWN: return GPIOD_LINE_BIAS_PULL_DOWN;
        case CHAIR_GPIO_BIAS_DISABLED: return GPIOD_LINE_BIAS_DISABLED;
        case CHAIR_GPIO_BIAS_AS_IS: break;
        }
        return GPIOD_LINE_BIAS_AS_IS;
}

/* One line's settings into lc. */
static int add_line(struct gpiod_line_config *lc, const struct v2_line *l) {
        struct gpiod_line_settings *s = gpiod_line_settings_new();
        int r = 0;

        if (!s)
                return -ENOMEM;
        gpiod_line_settings_set_active_low(s, l->b->active_low);
        if (l->input) {
                if (gpiod_line_settings_set_direction(s, GPIOD_LINE_DIRECTION_INPUT) < 0 ||
                    gpiod_line_settings_set_edge_detection(s, GPIOD_LINE_EDGE_BOTH) < 0 ||
                    gpiod_line_settings_set_bias(s, bias_of(l->b->bias)) < 0)
                        r = -EINVAL;
                gpiod_line_settings_set_debounce_period_us(s, l->b->debounce_us);
        } else if (gpiod_line_settings_set_direction(s, GPIOD_LINE_DIRECTION_OUTPUT) < 0 ||
                   gpiod_line_settings_set_output_value(s, l->initial ? GPIOD_LINE_VALUE_ACTIVE
                                                                      : GPIOD_LINE_VALUE_INACTIVE) < 0)
                r = -EINVAL;
        if (r == 0 && gpiod_line_config_add_line_settings(lc, &l->offset, 1, s) < 0)
                r = errno ? -errno : -EINVAL;
        gpiod_line_settings_free(s);
        return r;
}

/* One request for every line of chip ci.  On failure *bad is a line to blame. */
static int commit_chip(struct chair_gpio *g, unsigned ci, const struct v2_line **bad, char *why, size_t why_len) {
        struct v2_chip *c = &g->chips[ci];
        struct gpiod_line_config *lc = gpiod_line_config_new();
        struct gpiod_request_config *rc = gpiod_request_config_new();
        bool inputs = false;
        int r = 0;

        *bad = NULL;
        if (!lc || !rc)
                r = -ENOMEM;
        for (unsigned i = 0; i < g->n_lines && r == 0; i++) {
                const struct v2_line *l = &g->lines[i];
                if (l->chip != ci)
                        continue;
                if (!*bad)
                        *bad = l;
                inputs |= l->input;
                r = add_line(lc, l);
        }
        if (r == 0) {
                gpiod_request_config_set_consumer(rc, CHAIR_GPIO_CONSUMER);
                errno = 0;
                c->req = gpiod_chip_request_lines(c->chip, rc, lc);
                if (!c->req) {
                        int e = errno ? errno : EIO;
                        char who[64] = "";
                        /* Blame the line someone else holds, when one does. */
                        for (unsigned i = 0; e == EBUSY && i < g->n_lines; i++)
                                if (g->lines[i].chip == ci && line_in_use(c, g->lines[i].offset, who, sizeof(who))) {
                                        *bad = &g->lines[i];
                                        break;
                                }
                        char desc[160];
                        line_desc((*bad)->b, desc, sizeof(desc));
                        snprintf(why, why_len, "GPIO lines of %s (%s) cannot be requested: %s%s%s%s", c->name,
                                 c->path, strerror(e), who[0] ? "; " : "", who[0] ? desc : "",
                                 who[0] ? " is in use by another consumer" : "");
                        r = -e;
                }
        } else
                snprintf(why, why_len, "GPIO lines of %s cannot be configured: %s", c->name, strerror(-r));
        gpiod_line_config_free(lc);
        gpiod_request_config_free(rc);
        if (r < 0)
                return r;

        if (inputs) {
                int fd = gpiod_line_request_get_fd(c->req);
                c->events = gpiod_edge_event_buffer_new(EVENT_BATCH);
                if (fd < 0 || !c->events) {
                        snprintf(why, why_len, "GPIO %s: no edge event descriptor or buffer", c->name);
                        return -ENOMEM;
                }
                /* Belt and braces: even if poll() and read() ever disagree, a read never blocks the tick. */
                int fl = fcntl(fd, F_GETFL);
                if (fl >= 0)
                        (void) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
                g->pfd[g->n_pfd] = (struct pollfd) { .fd = fd, .events = POLLIN };
                g->pfd_chip[g->n_pfd++] = ci;
        }
        for (unsigned i = 0; i < g->n_lines; i++)
                if (g->lines[i].chip == ci)
                        g->lines[i].claimed = true;
        return 0;
}

static bool chip_has_lines(const struct chair_gpio *g, unsigned ci) {
        for (unsigned i = 0; i < g->n_lines; i++)
                if (g->lines[i].chip == ci)
                        return true;
        return false;
}

int chair_gpio_commit(struct chair_gpio *g, const struct chair_gpio_binding **bad, char *why, size_t why_len) {
        char dummy[8], w[512];
        int r = 0;

        if (!why) {
                why = dummy;
                why_len = sizeof(dummy);
        }
        why[0] = 0;
        if (bad)
                *bad = NULL;
        for (unsigned ci = 0; ci < g->n_chips; ci++) {
                const struct v2_line *l = NULL;
                if (g->chips[ci].req || !chip_has_lines(g, ci))
                        continue;  /* claimed already, or only opened for a line that failed its checks */
                int k = commit_chip(g, ci, &l, w, sizeof(w));
                if (k < 0 && r == 0) {
                        r = k;
                        snprintf(why, why_len, "%s", w);
                        if (bad && l)
                                *bad = l->b;
                }
        }
        return r;
}

static struct v2_line *claimed(struct chair_gpio *g, int h) {
        if (h < 0 || (unsigned) h >= g->n_lines || !g->lines[h].claimed)
                return NULL;
        return &g->lines[h];
}

int chair_gpio_set(struct chair_gpio *g, int h, int value) {
        struct v2_line *l = claimed(g, h);
        if (!l || l->input)
                return -EINVAL;
        errno = 0;
        if (gpiod_line_request_set_value(g->chips[l->chip].req, l->offset,
                                         value ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE) < 0)
                return errno ? -errno : -EIO;
        return 0;
}

int chair_gpio_get(struct chair_gpio *g, int h) {
        struct v2_line *l = claimed(g, h);
        if (!l)
                return -EINVAL;
        errno = 0;
        enum gpiod_line_value v = gpiod_line_request_get_value(g->chips[l->chip].req, l->offset);
        if (v == GPIOD_LINE_VALUE_ERROR)
                return errno ? -errno : -EIO;
        return v == GPIOD_LINE_VALUE_ACTIVE ? 1 : 0;
}

static struct v2_line *line_at(struct chair_gpio *g, unsigned ci, unsigned offset) {
        for (unsigned i = 0; i < g->n_lines; i++)
                if (g->lines[i].chip == ci && g->lines[i].offset == offset)
                        return &g->lines[i];
        return NULL;
}

/* Read what one ready chip has, in bounded batches, never blocking. */
static int drain_chip(struct chair_gpio *g, unsigned pi) {
        struct v2_chip *c = &g->chips[g->pfd_chip[pi]];

        /* At most 4 batches per tick bounds the tick's work; the rest waits for the next tick. */
        for (int round = 0; round < 4; round++) {
                errno = 0;
                int n = gpiod_line_request_read_edge_events(c->req, c->events, EVENT_BATCH);
                if (n < 0)
                        return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : (errno ? -errno : -EIO);
                for (int i = 0; i < n; i++) {
                        struct gpiod_edge_event *ev = gpiod_edge_event_buffer_get_event(c->events, (unsigned long) i);
                        struct v2_line *l = ev ? line_at(g, g->pfd_chip[pi], gpiod_edge_event_get_line_offset(ev)) : NULL;
                        if (!l)
                                continue;
                        if (gpiod_edge_event_get_event_type(ev) == GPIOD_EDGE_EVENT_RISING_EDGE) {
                                l->acc.rising++;
                                l->acc.last = 1;
                        } else {
                                l->acc.falling++;
                                l->acc.last = 0;
                        }
                }
                if (n < EVENT_BATCH)
                        return 0;
                /* A full batch: more may be queued; look again without waiting. */
                struct pollfd p = g->pfd[pi];
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
                        int k = drain_chip(g, i);
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
