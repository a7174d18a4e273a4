/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <json-c/json_object_iterator.h>

#include "hal.h"
#include "hal-sim.h"
#include "inject.h"

#define BODY_HEIGHT_MIN 100.0
#define BODY_HEIGHT_MAX 230.0

static int fail(char *err, size_t err_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t err_size, const char *fmt, ...) {
        if (err && err_size > 0) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(err, err_size, fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

static int key_from_name(const char *s) {
        for (int k = 0; k < _CHAIR_SIM_KEY_COUNT; k++)
                if (strcmp(s, chair_sim_key_name((enum chair_sim_key) k)) == 0)
                        return k;
        return -EINVAL;
}

static bool is_flag(enum chair_sim_key k) {
        return k == CHAIR_SIM_ESTOP || k == CHAIR_SIM_OCCUPIED || k == CHAIR_SIM_OBSTACLE || k == CHAIR_SIM_HOME_SWITCH;
}

/* The number keys and their ranges. */
static bool number_range(enum chair_sim_key k, double *lo, double *hi) {
        switch (k) {
        case CHAIR_SIM_BODY_HEIGHT_CM: *lo = BODY_HEIGHT_MIN; *hi = BODY_HEIGHT_MAX; return true;
        case CHAIR_SIM_ENCODER_NOISE: *lo = 0; *hi = 5000; return true;
        case CHAIR_SIM_HEATER_C: *lo = -20; *hi = 150; return true;
        case CHAIR_SIM_CARRIAGE_SPEED: *lo = 0.01; *hi = 1; return true;
        default: return false;
        }
}

#define KEYS_EXPECTED "estop, occupied, obstacle, heater_sensor, stall, body_height_cm, overpressure, " \
        "encoder_noise, home_switch, heater_c, carriage_speed"

static int number_check(enum chair_sim_key k, const char *key, double v, const char *text, char *err,
                        size_t err_size) {
        double lo = 0, hi = 0;
        if (!number_range(k, &lo, &hi) || !isfinite(v) || v < lo || v > hi)
                return fail(err, err_size, "%s: %s is out of range (%g..%g)", key, text, lo, hi);
        return 0;
}

static int sensor_from_name(const char *s, enum chair_sensor_status *ret) {
        if (strcmp(s, "ok") == 0)
                *ret = CHAIR_SENSOR_OK;
        else if (strcmp(s, "open") == 0)
                *ret = CHAIR_SENSOR_OPEN;
        else if (strcmp(s, "short") == 0)
                *ret = CHAIR_SENSOR_SHORT;
        else
                return -EINVAL;
        return 0;
}

/* stall: an actuator name or "none" (-1). */
static int stall_from_name(const char *s, int *ret) {
        if (strcmp(s, "none") == 0) {
                *ret = -1;
                return 0;
        }
        int a = chair_actuator_from_name(s);
        if (a < 0)
                return -EINVAL;
        *ret = a;
        return 0;
}

int chair_sim_change_parse(const char *key, const char *value, struct chair_sim_change *ret,
                           char *err, size_t err_size) {
        struct chair_sim_change c = { 0 };
        int k;

        if (!key || !value || !ret)
                return fail(err, err_size, "missing key or value");

        k = key_from_name(key);
        if (k < 0)
                return fail(err, err_size, "unknown key '%s' (expected " KEYS_EXPECTED " or command)", key);
        c.key = (enum chair_sim_key) k;

        if (is_flag(c.key)) {
                if (strcmp(value, "1") == 0 || strcmp(value, "true") == 0)
                        c.b = true;
                else if (strcmp(value, "0") == 0 || strcmp(value, "false") == 0)
                        c.b = false;
                else
                        return fail(err, err_size, "%s: '%s' is not 0 or 1", key, value);
        } else if (c.key == CHAIR_SIM_HEATER_SENSOR) {
                if (sensor_from_name(value, &c.sensor) < 0)
                        return fail(err, err_size, "heater_sensor: '%s' is not ok, open or short", value);
        } else if (c.key == CHAIR_SIM_STALL) {
                if (stall_from_name(value, &c.actuator) < 0)
                        return fail(err, err_size, "stall: '%s' is not an actuator name or none", value);
        } else if (c.key == CHAIR_SIM_OVERPRESSURE) {
                c.bag = chair_airbag_from_name(value);
                if (c.bag < 0)
                        return fail(err, err_size,
                                    "overpressure: '%s' is not an airbag (lumbar-left, lumbar-right, seat, calves)", value);
        } else {
                char *end = NULL;
                errno = 0;
                double v = strtod(value, &end);
                if (end == value || *end != '\0' || errno == ERANGE)
                        return fail(err, err_size, "%s: '%s' is not a number", key, value);
                int r = number_check(c.key, key, v, value, err, err_size);
                if (r < 0)
                        return r;
                c.f = (float) v;
        }

        *ret = c;
        return 0;
}

/*
 * Parse len bytes of JSON into *ret.  json-c cannot end a bare top-level
 * literal or number ("true", "12") without seeing a terminator, so a NUL is
 * fed after the text.  *used is how far the value reached.  what prefixes the
 * error reason.
 */
static int parse_json(const char *text, size_t len, const char *what, struct json_object **ret,
                      size_t *used, char *err, size_t err_size) {
        struct json_tokener *tok = json_tokener_new();
        if (!tok)
                return -ENOMEM;
        struct json_object *o = json_tokener_parse_ex(tok, text, (int) len);
        enum json_tokener_error je = json_tokener_get_error(tok);
        *used = json_tokener_get_parse_end(tok);
        if (!o && je == json_tokener_continue) {
                o = json_tokener_parse_ex(tok, "", 1);
                je = json_tokener_get_error(tok);
        }
        json_tokener_free(tok);
        if (!o || je != json_tokener_success) {
                json_object_put(o);
                return fail(err, err_size, "%snot valid JSON: %s", what,
                            je == json_tokener_continue ? "unexpected end of text" : json_tokener_error_desc(je));
        }
        *ret = o;
        return 0;
}

/* Validate that the command text is one JSON object, so a typo fails at the
 * command line and not minutes into a simulated session. */
static int command_check(const char *text, char *err, size_t err_size) {
        struct json_object *o = NULL;
        size_t used = 0;
        int r = parse_json(text, strlen(text), "command: ", &o, &used, err, err_size);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object))
                r = fail(err, err_size, "command: must be a JSON object");
        else if (text[used + strspn(text + used, " \t\r\n")] != '\0')
                r = fail(err, err_size, "command: trailing text after the JSON object");
        json_object_put(o);
        return r;
}

int chair_inject_parse(const char *spec, struct chair_inject *ret, char *err, size_t err_size) {
        struct chair_inject i = { 0 };
        char key[32];
        int r;

        if (!spec || !ret)
                return fail(err, err_size, "missing inject spec");

        const char *colon = strchr(spec, ':');
        if (!colon)
                return fail(err, err_size, "'%s' is not AT:KEY=VALUE", spec);

        /* AT: simulated seconds, a plain finite non-negative number. */
        char *end = NULL;
        errno = 0;
        i.at_s = strtod(spec, &end);
        if (end == spec || end != colon || errno == ERANGE || !isfinite(i.at_s) || i.at_s < 0.0 ||
            isspace((unsigned char) spec[0]))
                return fail(err, err_size, "'%.*s' is not a time in seconds (>= 0)", (int) (colon - spec), spec);

        const char *kv = colon + 1;
        const char *eq = strchr(kv, '=');
        if (!eq)
                return fail(err, err_size, "'%s' is not AT:KEY=VALUE", spec);
        size_t klen = (size_t) (eq - kv);
        if (klen == 0)
                return fail(err, err_size, "'%s': empty key", spec);
        if (klen >= sizeof(key))
                return fail(err, err_size, "unknown key '%.*s'", (int) klen, kv);
        memcpy(key, kv, klen);
        key[klen] = '\0';
        const char *value = eq + 1;

        if (strcmp(key, "command") == 0) {
                /* The whole rest is JSON: it may contain ':' and '=' itself. */
                r = command_check(value, err, err_size);
                if (r < 0)
                        return r;
                i.is_command = true;
                i.command = strdup(value);
                if (!i.command)
                        return -ENOMEM;
        } else {
                r = chair_sim_change_parse(key, value, &i.change, err, err_size);
                if (r < 0)
                        return r;
        }

        *ret = i;
        return 0;
}

void chair_inject_clear(struct chair_inject *i) {
        if (!i)
                return;
        free(i->command);
        i->command = NULL;
        i->is_command = false;
}

static int json_change(const char *key, struct json_object *v, struct chair_sim_change *c,
                       char *err, size_t err_size) {
        int k = key_from_name(key);
        if (k < 0)
                return fail(err, err_size, "unknown key '%s' (expected " KEYS_EXPECTED ")", key);
        c->key = (enum chair_sim_key) k;

        enum json_type t = json_object_get_type(v);
        if (is_flag(c->key)) {
                if (t == json_type_boolean) {
                        c->b = json_object_get_boolean(v);
                } else if (t == json_type_int) {
                        int64_t n = json_object_get_int64(v);
                        if (n != 0 && n != 1)
                                return fail(err, err_size, "%s: %lld is not 0 or 1", key, (long long) n);
                        c->b = n == 1;
                } else {
                        return fail(err, err_size, "%s: expected true/false or 0/1", key);
                }
        } else if (c->key == CHAIR_SIM_HEATER_SENSOR) {
                if (t != json_type_string)
                        return fail(err, err_size, "heater_sensor: expected a string (ok, open or short)");
                if (sensor_from_name(json_object_get_string(v), &c->sensor) < 0)
                        return fail(err, err_size, "heater_sensor: '%s' is not ok, open or short",
                                    json_object_get_string(v));
        } else if (c->key == CHAIR_SIM_STALL) {
                if (t != json_type_string)
                        return fail(err, err_size, "stall: expected a string (an actuator name or none)");
                if (stall_from_name(json_object_get_string(v), &c->actuator) < 0)
                        return fail(err, err_size, "stall: '%s' is not an actuator name or none",
                                    json_object_get_string(v));
        } else if (c->key == CHAIR_SIM_OVERPRESSURE) {
                if (t != json_type_string || (c->bag = chair_airbag_from_name(json_object_get_string(v))) < 0)
                        return fail(err, err_size, "overpressure: expected an airbag name (lumbar-left, lumbar-right, "
                                    "seat, calves)");
        } else {
                if (t != json_type_int && t != json_type_double)
                        return fail(err, err_size, "%s: expected a number", key);
                double d = json_object_get_double(v);
                char text[32];
                snprintf(text, sizeof(text), "%g", d);
                int r = number_check(c->key, key, d, text, err, err_size);
                if (r < 0)
                        return r;
                c->f = (float) d;
        }
        return 0;
}

int chair_sim_set_parse_json(const char *json, size_t len, struct chair_sim_change *changes,
                             size_t max, char *err, size_t err_size) {
        if (!json)
                return fail(err, err_size, "no JSON text");
        if (len > INT32_MAX)
                return fail(err, err_size, "JSON text too large");

        struct json_object *o = NULL;
        size_t used = 0;
        int r = parse_json(json, len, "", &o, &used, err, err_size);
        if (r < 0)
                return r;
        for (size_t i = used; i < len; i++)
                if (!strchr(" \t\r\n", json[i])) {   /* a trailing NUL counts as space */
                        r = fail(err, err_size, "trailing text after the JSON object");
                        goto out;
                }
        if (!json_object_is_type(o, json_type_object)) {
                r = fail(err, err_size, "expected a JSON object of plant keys");
                goto out;
        }

        /* Two passes: validate every key first, then fill the caller's array,
         * so an error leaves it untouched (nothing partial). */
        size_t n = 0;
        for (int pass = 0; pass < 2; pass++) {
                struct json_object_iterator it = json_object_iter_begin(o);
                struct json_object_iterator itend = json_object_iter_end(o);
                n = 0;
                for (; !json_object_iter_equal(&it, &itend); json_object_iter_next(&it)) {
                        struct chair_sim_change c = { 0 };
                        if (n >= max) {
                                r = fail(err, err_size, "too many keys (at most %zu)", max);
                                goto out;
                        }
                        r = json_change(json_object_iter_peek_name(&it), json_object_iter_peek_value(&it),
                                        &c, err, err_size);
                        if (r < 0)
                                goto out;
                        if (pass == 1)
                                changes[n] = c;
                        n++;
                }
        }
        r = (int) n;
out:
        json_object_put(o);
        return r;
}
