/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "iio.h"

struct chair_iio {
        int fd;
        double scale, offset;
};

static int read_double(const char *path, double *v) {
        FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        int ok = fscanf(f, "%lf", v);
        fclose(f);
        return ok == 1 ? 0 : -EBADMSG;
}

/* Per-channel attribute first, then the one shared by every voltage channel. */
static int read_attr(const char *dev_dir, int channel, const char *attr, double def, double *v) {
        char path[600];

        snprintf(path, sizeof(path), "%s/in_voltage%d_%s", dev_dir, channel, attr);
        int r = read_double(path, v);
        if (r != -ENOENT)
                return r;
        snprintf(path, sizeof(path), "%s/in_voltage_%s", dev_dir, attr);
        r = read_double(path, v);
        if (r == -ENOENT) {
                *v = def;
                return 0;
        }
        return r;
}

int chair_iio_open(const char *root, int device, int channel, struct chair_iio **ret, char *why, size_t why_len) {
        char dev_dir[300], path[600], dummy[8];
        struct stat st;

        if (!why) {
                why = dummy;
                why_len = sizeof(dummy);
        }
        why[0] = 0;
        snprintf(dev_dir, sizeof(dev_dir), "%s/iio:device%d", root ? root : "/sys/bus/iio/devices", device);
        if (stat(dev_dir, &st) < 0) {
                snprintf(why, why_len, "IIO device %d missing: %s does not exist", device, dev_dir);
                return -ENODEV;
        }
        snprintf(path, sizeof(path), "%s/in_voltage%d_raw", dev_dir, channel);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                int e = errno;
                snprintf(why, why_len, "IIO channel %d %s: %s: %s", channel,
                         e == ENOENT ? "missing" : "not readable", path, strerror(e));
                return e == ENOENT ? -ENODEV : -e;
        }

        struct chair_iio *c = calloc(1, sizeof(*c));
        if (!c) {
                close(fd);
                return -ENOMEM;
        }
        c->fd = fd;
        int r = read_attr(dev_dir, channel, "scale", 1.0, &c->scale);
        if (r >= 0)
                r = read_attr(dev_dir, channel, "offset", 0.0, &c->offset);
        if (r >= 0) {
                /* One trial read now, so a channel that cannot be read fails at start-up, not mid-session. */
                int32_t raw;
                r = chair_iio_read_raw(c, &raw);
        }
        if (r < 0) {
                snprintf(why, why_len, "IIO channel %d not usable: %s/in_voltage%d_{raw,scale,offset}: %s", channel,
                         dev_dir, channel, strerror(-r));
                chair_iio_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

struct chair_iio *chair_iio_free(struct chair_iio *c) {
        if (c) {
                if (c->fd >= 0)
                        close(c->fd);
                free(c);
        }
        return NULL;
}

int chair_iio_read_raw(struct chair_iio *c, int32_t *raw) {
        char buf[32];

        ssize_t n = pread(c->fd, buf, sizeof(buf) - 1, 0);
        if (n < 0)
                return -errno;
        if (n == 0)
                return -ENODATA;
        buf[n] = 0;

        /* Strict parse by hand: optional sign, digits, optional trailing whitespace. */
        const char *s = buf;
        bool neg = false;
        if (*s == '-' || *s == '+')
                neg = *s++ == '-';
        if (*s < '0' || *s > '9')
                return -EBADMSG;
        int64_t v = 0;
        for (; *s >= '0' && *s <= '9'; s++) {
                v = v * 10 + (*s - '0');
                if (v > INT32_MAX)
                        return -EBADMSG;
        }
        for (; *s; s++)
                if (*s != '\n' && *s != ' ' && *s != '\t')
                        return -EBADMSG;
        *raw = (int32_t) (neg ? -v : v);
        return 0;
}

double chair_iio_mv(const struct chair_iio *c, int32_t raw) {
        return ((double) raw + c->offset) * c->scale;
}

double chair_ntc_ohm(const struct chair_ntc_config *ntc, double mv) {
        if (mv >= ntc->vref_mv)
                return INFINITY;
        if (mv <= 0)
                return 0;
        return ntc->pullup_ohm * mv / (ntc->vref_mv - mv);
}

enum chair_sensor_status chair_ntc_celsius(const struct chair_ntc_config *ntc, double mv, float *celsius) {
        bool sh = ntc->sh_a != 0 || ntc->sh_b != 0 || ntc->sh_c != 0;

        if (!(ntc->vref_mv > 0) || !(ntc->pullup_ohm > 0) || (!sh && (!(ntc->r25_ohm > 0) || !(ntc->beta > 0))))
                return CHAIR_SENSOR_ERROR;
        if (!isfinite(mv))
                return CHAIR_SENSOR_ERROR;

        double r = chair_ntc_ohm(ntc, mv);
        if (ntc->open_ohm > 0 && r > ntc->open_ohm)
                return CHAIR_SENSOR_OPEN;
        if (!isfinite(r))
                return CHAIR_SENSOR_OPEN;
        if (r < ntc->short_ohm || r <= 0)
                return CHAIR_SENSOR_SHORT;

        double inv_t;
        if (sh) {
                double l = log(r);
                inv_t = ntc->sh_a + ntc->sh_b * l + ntc->sh_c * l * l * l;
        } else
                inv_t = 1.0 / 298.15 + log(r / ntc->r25_ohm) / ntc->beta;
        if (!(inv_t > 0))
                return CHAIR_SENSOR_ERROR;
        double t = 1.0 / inv_t - 273.15;
        /* Outside any thermistor's working range: the reading is not believable. */
        if (!isfinite(t) || t < -55 || t > 200)
                return CHAIR_SENSOR_ERROR;
        *celsius = (float) t;
        return CHAIR_SENSOR_OK;
}

float chair_linear_map(const struct chair_linear_config *m, double raw, bool clamp) {
        double span = (double) m->raw_max - m->raw_min;
        if (span == 0)
                return m->min;
        double v = m->min + (raw - m->raw_min) * ((double) m->max - m->min) / span;
        if (clamp) {
                double lo = fmin(m->min, m->max), hi = fmax(m->min, m->max);
                v = fmin(fmax(v, lo), hi);
        }
        return (float) v;
}
