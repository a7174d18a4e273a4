/* SPDX-License-Identifier: MIT */
/*
 * JSON commands (design B3) → struct chair_cmd.
 *
 * Strict on purpose: a remote that sends a typo ("intensty") or a string where a
 * number belongs gets an error reply instead of a chair doing something else
 * than the owner asked for.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "command.h"
#include "config.h"
#include "diary.h"
#include "program.h"
#include "suggest.h"

static const char *const err_codes[_CHAIR_ERR_COUNT] = {
        [CHAIR_OK] = "ok",
        [CHAIR_ERR_BAD_JSON] = "bad_json",
        [CHAIR_ERR_TOO_LARGE] = "too_large",
        [CHAIR_ERR_UNKNOWN_ACTION] = "unknown_action",
        [CHAIR_ERR_UNKNOWN_PROGRAM] = "unknown_program",
        [CHAIR_ERR_INVALID_VALUE] = "invalid_value",
        [CHAIR_ERR_BUSY] = "busy",
        [CHAIR_ERR_NOT_OCCUPIED] = "not_occupied",
        [CHAIR_ERR_FAULT_ACTIVE] = "fault_active",
        [CHAIR_ERR_RATE_LIMITED] = "rate_limited",
        [CHAIR_ERR_NOT_RUNNING] = "not_running",
        [CHAIR_ERR_OBSTACLE] = "obstacle",
        [CHAIR_ERR_UNSUPPORTED] = "unsupported",
        [CHAIR_ERR_INTERNAL] = "internal",
        [CHAIR_ERR_OCCUPIED] = "occupied",
        [CHAIR_ERR_UNKNOWN_PROFILE] = "unknown_profile",
        [CHAIR_ERR_LOCKED] = "locked",
        [CHAIR_ERR_NO_SESSION] = "no_session",
        [CHAIR_ERR_NO_SUGGESTION] = "no_suggestion",
};

static const char *const err_messages[_CHAIR_ERR_COUNT] = {
        [CHAIR_OK] = "OK",
        [CHAIR_ERR_BAD_JSON] = "the command is not a valid JSON object",
        [CHAIR_ERR_TOO_LARGE] = "the command is larger than 4096 bytes",
        [CHAIR_ERR_UNKNOWN_ACTION] = "unknown action",
        [CHAIR_ERR_UNKNOWN_PROGRAM] = "no program with this id",
        [CHAIR_ERR_INVALID_VALUE] = "invalid value",
        [CHAIR_ERR_BUSY] = "a session is already running",
        [CHAIR_ERR_NOT_OCCUPIED] = "nobody is seated in the chair",
        [CHAIR_ERR_FAULT_ACTIVE] = "a fault is active; clear it with clear_faults",
        [CHAIR_ERR_RATE_LIMITED] = "too many commands; slow down",
        [CHAIR_ERR_NOT_RUNNING] = "no session is running",
        [CHAIR_ERR_OBSTACLE] = "an obstacle blocks the recline",
        [CHAIR_ERR_UNSUPPORTED] = "this chair lacks the part the command needs",
        [CHAIR_ERR_INTERNAL] = "internal error",
        [CHAIR_ERR_OCCUPIED] = "the seat must be empty for the self-test",
        [CHAIR_ERR_UNKNOWN_PROFILE] = "no profile with this name",
        [CHAIR_ERR_LOCKED] = "the chair is locked; unlock it with the PIN (stop and pause still work)",
        [CHAIR_ERR_NO_SESSION] = "no session to rate in this rating's time window",
        [CHAIR_ERR_NO_SUGGESTION] = "the pain diary has no suggestion yet",
};

static const char *const action_names[_CHAIR_ACTION_COUNT] = {
        [CHAIR_ACTION_START] = "start",
        [CHAIR_ACTION_STOP] = "stop",
        [CHAIR_ACTION_PAUSE] = "pause",
        [CHAIR_ACTION_RESUME] = "resume",
        [CHAIR_ACTION_SET] = "set",
        [CHAIR_ACTION_RECLINE] = "recline",
        [CHAIR_ACTION_CLEAR_FAULTS] = "clear_faults",
        [CHAIR_ACTION_SELF_TEST] = "self_test",
        [CHAIR_ACTION_DIAG] = "diag",
        [CHAIR_ACTION_FORGET_PROFILE] = "forget_profile",
        [CHAIR_ACTION_EXTEND] = "extend",
        [CHAIR_ACTION_SKIP] = "skip",
        [CHAIR_ACTION_LOCK] = "lock",
        [CHAIR_ACTION_UNLOCK] = "unlock",
        [CHAIR_ACTION_RATE] = "rate",
        [CHAIR_ACTION_HISTORY] = "history",
        [CHAIR_ACTION_SUGGEST] = "suggest",
};

const char *chair_err_code(enum chair_err e) {
        return (unsigned) e < _CHAIR_ERR_COUNT ? err_codes[e] : "internal";
}

const char *chair_err_message(enum chair_err e) {
        return (unsigned) e < _CHAIR_ERR_COUNT ? err_messages[e] : "internal error";
}

const char *chair_action_name(enum chair_action a) {
        return (unsigned) a < _CHAIR_ACTION_COUNT ? action_names[a] : NULL;
}

int chair_action_from_name(const char *s) {
        for (int i = 0; s && i < _CHAIR_ACTION_COUNT; i++)
                if (strcmp(s, action_names[i]) == 0)
                        return i;
        return -EINVAL;
}

/* Which members each action accepts besides "action" and "id". */
enum {
        K_PROGRAM = 1 << 0,
        K_MINUTES = 1 << 1,
        K_INTENSITY = 1 << 2,
        K_SPEED = 1 << 3,
        K_HEAT = 1 << 4,
        K_FOCUS = 1 << 5,
        K_POSITION = 1 << 6,
        K_PROFILE = 1 << 7,
        K_INTENSITY_DELTA = 1 << 8,
        K_SPEED_DELTA = 1 << 9,
        K_SWITCH = 1 << 10,
        K_PIN = 1 << 11,
        K_PAIN = 1 << 12,          /* pain diary: rate, history, suggest */
        K_PHASE = 1 << 13,
        K_ZONE = 1 << 14,
        K_DAYS = 1 << 15,
        K_START = 1 << 16,
};

static const unsigned action_keys[_CHAIR_ACTION_COUNT] = {
        [CHAIR_ACTION_START] = K_PROGRAM | K_MINUTES | K_INTENSITY | K_SPEED | K_HEAT | K_FOCUS | K_PROFILE |
                               K_SWITCH,
        [CHAIR_ACTION_SET] = K_INTENSITY | K_SPEED | K_HEAT | K_FOCUS | K_INTENSITY_DELTA | K_SPEED_DELTA,
        [CHAIR_ACTION_EXTEND] = K_MINUTES,
        [CHAIR_ACTION_UNLOCK] = K_PIN,
        [CHAIR_ACTION_RECLINE] = K_POSITION,
        [CHAIR_ACTION_FORGET_PROFILE] = K_PROFILE,
        [CHAIR_ACTION_RATE] = K_PAIN | K_PHASE | K_ZONE | K_PROFILE,
        [CHAIR_ACTION_HISTORY] = K_PROFILE | K_DAYS,
        [CHAIR_ACTION_SUGGEST] = K_PROFILE | K_START,
};

static const struct {
        const char *name;
        unsigned bit;
} key_table[] = {
        { "program", K_PROGRAM },   { "minutes", K_MINUTES }, { "intensity", K_INTENSITY },
        { "speed", K_SPEED },       { "heat", K_HEAT },       { "focus", K_FOCUS },
        { "position", K_POSITION }, { "profile", K_PROFILE },
        { "intensity_delta", K_INTENSITY_DELTA }, { "speed_delta", K_SPEED_DELTA },
        { "switch", K_SWITCH },     { "pin", K_PIN },
        { "pain", K_PAIN },         { "phase", K_PHASE },     { "zone", K_ZONE },
        { "days", K_DAYS },         { "start", K_START },
};

static unsigned key_bit(const char *k) {
        for (size_t i = 0; i < sizeof(key_table) / sizeof(key_table[0]); i++)
                if (strcmp(k, key_table[i].name) == 0)
                        return key_table[i].bit;
        return 0;
}

bool chair_utf8_valid(const void *data, size_t len) {
        const unsigned char *p = data;
        for (size_t i = 0; i < len;) {
                unsigned char c = p[i];
                size_t n;
                uint32_t cp, min;
                if (c < 0x80) {
                        i++;
                        continue;
                } else if ((c & 0xe0) == 0xc0) {
                        n = 2, cp = c & 0x1f, min = 0x80;
                } else if ((c & 0xf0) == 0xe0) {
                        n = 3, cp = c & 0x0f, min = 0x800;
                } else if ((c & 0xf8) == 0xf0) {
                        n = 4, cp = c & 0x07, min = 0x10000;
                } else
                        return false;
                if (len - i < n)
                        return false;
                for (size_t k = 1; k < n; k++) {
                        if ((p[i + k] & 0xc0) != 0x80)
                                return false;
                        cp = cp << 6 | (p[i + k] & 0x3f);
                }
                /* overlong forms, UTF-16 surrogates and beyond U+10FFFF are not UTF-8 (RFC 3629) */
                if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
                        return false;
                i += n;
        }
        return true;
}

/* The byte length of s cut to at most max bytes without splitting a UTF-8
 * sequence, for "%.*s": a cut in the middle of one would put invalid UTF-8
 * into a reply. */
static int utf8_cut(const char *s, int max) {
        int n = (int) strnlen(s, (size_t) max + 1);
        if (n <= max)
                return n;
        n = max;
        while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80)
                n--;
        return n;
}

__attribute__((format(printf, 4, 5)))
static enum chair_err fail(enum chair_err e, char *msg, size_t msg_size, const char *fmt, ...) {
        if (msg && msg_size > 0) {
                if (fmt) {
                        va_list ap;
                        va_start(ap, fmt);
                        vsnprintf(msg, msg_size, fmt, ap);
                        va_end(ap);
                } else
                        snprintf(msg, msg_size, "%s", chair_err_message(e));
        }
        return e;
}

/* An integer member in lo..hi; json-c's int type only (no 3.5, no "3"). */
static enum chair_err get_int(json_object *o, const char *key, int lo, int hi, int *ret, char *msg,
                              size_t msg_size) {
        if (!json_object_is_type(o, json_type_int))
                return fail(CHAIR_ERR_INVALID_VALUE, msg, msg_size, "%s must be an integer %d..%d",
                            key, lo, hi);
        int64_t v = json_object_get_int64(o);
        if (v < lo || v > hi)
                return fail(CHAIR_ERR_INVALID_VALUE, msg, msg_size, "%s must be %d..%d, got %lld",
                            key, lo, hi, (long long) v);
        *ret = (int) v;
        return CHAIR_OK;
}

static enum chair_err parse_object(json_object *root, unsigned max_minutes,
                                   const struct chair_programs *progs, struct chair_cmd *cmd,
                                   char *msg, size_t msg_size) {
        json_object *a = NULL;
        if (!json_object_object_get_ex(root, "action", &a))
                return fail(CHAIR_ERR_INVALID_VALUE, msg, msg_size, "missing \"action\"");
        if (!json_object_is_type(a, json_type_string))
                return fail(CHAIR_ERR_INVALID_VALUE, msg, msg_size, "\"action\" must be a string");
        const char *aname = json_object_get_string(a);
        int action = chair_action_from_name(aname);
        if (action < 0)
                return fail(CHAIR_ERR_UNKNOWN_ACTION, msg, msg_size, "unknown action \"%.*s\"",
                            utf8_cut(aname, 64), aname);

        chair_cmd_init(cmd, (enum chair_action) action);
        unsigned allowed = action_keys[action], seen = 0;

        /* The C form of the iteration: the plain macro is a GNU statement expression. */
        struct json_object_iter it;
        json_object_object_foreachC(root, it) {
                const char *key = it.key;
                json_object *val = it.val;
                if (strcmp(key, "action") == 0 || strcmp(key, "id") == 0)
                        continue;
                unsigned bit = key_bit(key);
                if (!(bit & allowed))
                        return fail(CHAIR_ERR_INVALID_VALUE, msg, msg_size,
                                    "\"%.*s\" is not a member of a %s command", utf8_cut(key, 64), key,
                                    aname);
                seen |= bit;
                enum chair_err e;
                int v;
                switch (bit) {
                case K_PROGRAM: {
                        if (!json_object_is_type(val, json_type_string))
                                return fail(CHAIR_ERR_INVALID_VALUE, msg, msg_size,
                                            "program must be a string (a program id)");
                        const char *id = json_object_get_string(val);
                        int idx = progs ? chair_programs_find(progs, id) : -ENOENT;
                        char hint[CHAIR_SUGGEST_MAX_LEN + 32];
                        if (idx < 0)
                                return fail(CHAIR_ERR_UNKNOWN_PROGRAM, msg, msg_size,
                                            "no program \"%.*s\"%s", utf8_cut(id, 64), id,
                                            chair_suggest_program(id, progs, hint, sizeof(hint)));
                        cmd->program = (int16_t) idx;
                        break;
                }
                case K_MINUTES:
                        e = get_int(val, key, 1, (int) max_minutes, &v, msg, msg_size);
                        if (e)
                                return e;
                        cmd->minutes = (int16_t) v;
                        break;
                case K_INTENSITY:
                case K_SPEED:
                        e = get_int(val, key, 1, 5, &v, msg, msg_size);
                        if (e)
                                return e;
                        if (bit == K_INTENSITY)
                                cmd->intensity = (int8_t) v;
                        else
                                cmd->speed = (int8_t) v;
                        break;
                case K_HEAT:
                        if (!json_object_is_type(val, json_type_boolean))
                                return fail(CHAIR_ERR_INVALID_VALUE, msg, msg_size,
                                            "heat must be true or false");
                        cmd->heat = json_object_get_boolean(val) ? 1 : 0;
                        break;
                case K_FOCUS:
                        if (val == NULL) {      /* json null: clear the focus */
                                cmd->focus = CHAIR_FOCUS_CLEAR;
                                break;
                        }
                        if (!json_object_is_type(val, json_type_string) ||
                            (v = chair_landmark_from_name(json_object_get_string(val))) < 0) {
                                const char *lm[_CHAIR_LM_COUNT];
                                char hint[CHAIR_SUGGEST_MAX_LEN + 32];
                                for (int i = 0; i < _CHAIR_LM_COUNT; i++)
                                        lm[i] = chair_landmark_name(i);
                                return fail(CHAIR_ERR_INVALID_VALUE, msg, msg_size,
                                            "focus must be a landmark (C7, T10, T12, L1..L5, S1) or null%s",
                                            json_object_is_type(val, json_type_string)
                                                    ? chair_suggest(json_object_get_string(val), lm, _CHAIR_LM_COUNT,
                                                              hint, sizeof(hint))
                                                    : "");
                        }
                        cmd->focus = (int8_t) v;
                        break;
                case K_PROFILE: {
                        const char *name = json_object_is_type(val, json_type_string) ? json_object_get_string(val) : NULL;
                        size_t n = name ? strlen(name) : 0;
                        bool ok = n > 0 && n < sizeof(cmd->profile);
                        for (size_t i = 0; ok && i < n; i++)
                                ok = (unsigned char) name[i] >= 0x20 && name[i] != 0x7f;
                        if (!ok)
                                return fail(CHAIR_ERR_INVALID_VALUE, msg, msg_size,
                                            "profile must be a name of 1..%zu characters", sizeof(cmd->profile) - 1);
                        memcpy(cmd->profile, name, n + 1);
                        break;
                }
                case K_PAIN:
                        e = get_int(val, key, 0, CHAIR_DIARY_PAIN_MAX, &v, msg, msg_size);
                        if (e)
                                return e;
                        cmd->pain = (int8_t) v;
                        break;
                case K_PHASE:
                        if (!json_object_is_type(val, json_type_string) ||
                            (v = chair_diary_phase_from_name(json_object_get_string(val))) < 0)
                                return fail(CHAIR_ERR_INVALID_VALUE, msg, msg_size,
                                            "phase must be \"before\", \"after\" or \"auto\"");
                        cmd->phase = (int8_t) v;
                        break;
                case K_ZONE:
                        if (!json_object_is_type(val, json_type_string) ||
                            !chair_diary_zone_valid(json_object_get_string(val)))
                                return fail(CHAIR_ERR_INVALID_VALUE, msg, msg_size,
                                            "zone must be a lower-back landmark: L1, L2, L3, L4, L5 or S1");
                        snprintf(cmd->zone, sizeof(cmd->zone), "%s", json_object_get_string(val));
                        break;
                case K_DAYS:
                        e = get_int(val, key, 1, CHAIR_CMD_MAX_DAYS, &v, msg, msg_size);
                        if (e)
                                return e;
                        cmd->days = (uint16_t) v;
                        break;
                case K_START:
                        if (!json_object_is_type(val, json_type_boolean))
                                return fail(CHAIR_ERR_INVALID_VALUE, msg, msg_size, "start must be true or false");
                        cmd->start = json_object_get_boolean(val);
                        break;
                case K_POSITION:
                        if (!json_object_is_type(val, json_type_string) ||
                            (v = chair_recline_from_name(json_object_get_string(val))) < 0) {
                                static const char *const pos[] = { "upright", "relax", "zero-gravity" };
                                char hint[CHAIR_SUGGEST_MAX_LEN + 32];
                                return fail(CHAIR_ERR_INVALID_VALUE, msg, msg_size,
                                            "position must be upright, relax or zero-gravity%s",
                                            json_object_is_type(val, json_type_string)
                                                    ? chair_suggest(json_object_get_string(val), pos, 3, hint, sizeof(hint))
                                                    : "");
                        }
                        cmd->recline = (int8_t) v;
                        break;
                case K_INTENSITY_DELTA:
                case K_SPEED_DELTA:
                        e = get_int(val, key, -4, 4, &v, msg, msg_size);
                        if (e)
                                return e;
                        if (v == 0)
                                return fail(CHAIR_ERR_INVALID_VALUE, msg, msg_size,
                                            "%s must be -4..-1 or 1..4, got 0", key);
                        if (bit == K_INTENSITY_DELTA)
                                cmd->intensity_delta = (int8_t) v;
                        else
                                cmd->speed_delta = (int8_t) v;
                        break;
                case K_SWITCH:
                        if (!json_object_is_type(val, json_type_boolean))
                                return fail(CHAIR_ERR_INVALID_VALUE, msg, msg_size,
                                            "switch must be true or false");
                        cmd->switch_program = json_object_get_boolean(val);
                        break;
                case K_PIN: {
                        /* Never echoed: a wrong PIN must not appear in replies or logs. */
                        const char *pin = json_object_is_type(val, json_type_string) ? json_object_get_string(val) : NULL;
                        size_t n = pin ? strlen(pin) : 0;
                        bool ok = n >= 4 && n <= CHAIR_PIN_MAX;
                        for (size_t i = 0; ok && i < n; i++)
                                ok = pin[i] >= '0' && pin[i] <= '9';
                        if (!ok)
                                return fail(CHAIR_ERR_INVALID_VALUE, msg, msg_size,
                                            "pin must be a string of 4 to %d digits", CHAIR_PIN_MAX);
                        memcpy(cmd->pin, pin, n + 1);
                        break;
                }
                }
        }

        if (action == CHAIR_ACTION_START && !(seen & (K_PROGRAM | K_PROFILE)))
                return fail(CHAIR_ERR_INVALID_VALUE, msg, msg_size, "start needs \"program\" (or \"profile\")");
        if (action == CHAIR_ACTION_FORGET_PROFILE && !(seen & K_PROFILE))
                return fail(CHAIR_ERR_INVALID_VALUE, msg, msg_size, "forget_profile needs \"profile\"");
        if (action == CHAIR_ACTION_RATE && (seen & (K_PAIN | K_PHASE)) != (K_PAIN | K_PHASE))
                return fail(CHAIR_ERR_INVALID_VALUE, msg, msg_size, "rate needs \"pain\" (0..10) and \"phase\"");
        if (action == CHAIR_ACTION_RECLINE && !(seen & K_POSITION))
                return fail(CHAIR_ERR_INVALID_VALUE, msg, msg_size, "recline needs \"position\"");
        if (action == CHAIR_ACTION_SET && !seen)
                return fail(CHAIR_ERR_INVALID_VALUE, msg, msg_size,
                            "set needs one of intensity, speed, heat, focus, intensity_delta, speed_delta");
        if ((seen & K_INTENSITY && seen & K_INTENSITY_DELTA) || (seen & K_SPEED && seen & K_SPEED_DELTA))
                return fail(CHAIR_ERR_INVALID_VALUE, msg, msg_size,
                            "give a value or a delta, not both (intensity or intensity_delta)");
        if (action == CHAIR_ACTION_EXTEND && !(seen & K_MINUTES))
                return fail(CHAIR_ERR_INVALID_VALUE, msg, msg_size, "extend needs \"minutes\"");
        if (action == CHAIR_ACTION_UNLOCK && !(seen & K_PIN))
                return fail(CHAIR_ERR_INVALID_VALUE, msg, msg_size, "unlock needs \"pin\"");
        return CHAIR_OK;
}

/* Copy the "id" member as JSON text; only strings and numbers are ids. */
static enum chair_err extract_id(json_object *root, char *id_json, size_t id_size, char *msg,
                                 size_t msg_size) {
        json_object *id;
        if (!json_object_object_get_ex(root, "id", &id))
                return CHAIR_OK;
        if (!json_object_is_type(id, json_type_string) && !json_object_is_type(id, json_type_int) &&
            !json_object_is_type(id, json_type_double))
                return fail(CHAIR_ERR_INVALID_VALUE, msg, msg_size, "id must be a string or a number");
        const char *s = json_object_to_json_string_ext(id, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE);
        size_t n = strlen(s);
        if (n >= CHAIR_CMD_ID_MAX || !id_json || n >= id_size)
                return fail(CHAIR_ERR_INVALID_VALUE, msg, msg_size, "id is too long");
        memcpy(id_json, s, n + 1);
        return CHAIR_OK;
}

static bool ascii_only(const char *s, size_t len) {
        for (size_t i = 0; i < len; i++)
                if ((unsigned char) s[i] >= 0x80)
                        return false;
        return true;
}

/*
 * json-c 0.17 and later refuse every byte over 0x7f inside a string in strict
 * mode ("invalid string sequence": Debian 13's 0.18), although RFC 8259 allows
 * UTF-8 there; 0.16 (Debian 12) accepts it.  The text is valid UTF-8 by now:
 * json-c gets each non-ASCII character as its \uXXXX escape (a surrogate pair
 * above U+FFFF), which every version decodes back to the same UTF-8.  Outside a
 * string such an escape is as invalid as the raw byte was.  Returns a new
 * string (3 bytes per input byte at most) and its length, or NULL.
 */
static char *ascii_json(const char *s, size_t len, size_t *ret_len) {
        char *out = malloc(3 * len + 1), *o = out;
        if (!out)
                return NULL;
        for (size_t i = 0; i < len;) {
                unsigned char c = (unsigned char) s[i];
                if (c < 0x80) {
                        *o++ = (char) c;
                        i++;
                        continue;
                }
                unsigned n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
                uint32_t cp = c & (n == 4 ? 0x07 : n == 3 ? 0x0f : 0x1f);
                for (unsigned k = 1; k < n && i + k < len; k++)
                        cp = (cp << 6) | ((unsigned char) s[i + k] & 0x3f);
                i += n;
                if (cp >= 0x10000) {
                        cp -= 0x10000;
                        o += sprintf(o, "\\u%04x\\u%04x", (unsigned) (0xd800 | (cp >> 10)),
                                     (unsigned) (0xdc00 | (cp & 0x3ff)));
                } else
                        o += sprintf(o, "\\u%04x", (unsigned) cp);
        }
        *o = 0;
        *ret_len = (size_t) (o - out);
        return out;
}

enum chair_err chair_cmd_parse_cfg(const char *json, size_t len, const struct chair_config *cfg,
                                   const struct chair_programs *progs, struct chair_cmd *cmd,
                                   char *id_json, size_t id_size, char *msg, size_t msg_size) {
        if (id_json && id_size > 0)
                id_json[0] = 0;
        if (msg && msg_size > 0)
                msg[0] = 0;
        chair_cmd_init(cmd, CHAIR_ACTION_STOP);

        if (len > CHAIR_CMD_MAX_BYTES)
                return fail(CHAIR_ERR_TOO_LARGE, msg, msg_size, "command is %zu bytes, at most %d",
                            len, CHAIR_CMD_MAX_BYTES);
        if (!json || len == 0)
                return fail(CHAIR_ERR_BAD_JSON, msg, msg_size, "empty command");
        if (memchr(json, 0, len))
                return fail(CHAIR_ERR_BAD_JSON, msg, msg_size, "NUL byte in the command");
        /* JSON text is UTF-8 (RFC 8259) and json-c does not check: a string that
         * is not would be echoed raw into the reply (its "id", an unknown program
         * or action) and make that reply invalid JSON (design C3).  "\ud800"
         * escapes are fine: json-c turns a lone surrogate into U+FFFD. */
        if (!chair_utf8_valid(json, len))
                return fail(CHAIR_ERR_BAD_JSON, msg, msg_size, "the command is not valid UTF-8");

        char *escaped = NULL;
        if (!ascii_only(json, len)) {
                escaped = ascii_json(json, len, &len);
                if (!escaped)
                        return fail(CHAIR_ERR_INTERNAL, msg, msg_size, "out of memory");
                json = escaped;
        }
        json_tokener *tok = json_tokener_new_ex(CHAIR_CMD_MAX_DEPTH);
        if (!tok) {
                free(escaped);
                return fail(CHAIR_ERR_INTERNAL, msg, msg_size, "out of memory");
        }
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        json_object *root = json_tokener_parse_ex(tok, json, (int) len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        size_t used = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);

        enum chair_err e;
        if (!root || jerr != json_tokener_success) {
                e = fail(CHAIR_ERR_BAD_JSON, msg, msg_size, "invalid JSON: %s",
                         jerr == json_tokener_continue ? "unexpected end"
                                                       : json_tokener_error_desc(jerr));
                goto out;
        }
        /* Only whitespace may follow the object. */
        for (size_t i = used; i < len; i++)
                if (!strchr(" \t\r\n", json[i])) {
                        e = fail(CHAIR_ERR_BAD_JSON, msg, msg_size, "invalid JSON: trailing data");
                        goto out;
                }
        if (!json_object_is_type(root, json_type_object)) {
                e = fail(CHAIR_ERR_BAD_JSON, msg, msg_size, "the command must be a JSON object");
                goto out;
        }

        e = extract_id(root, id_json, id_size, msg, msg_size);
        if (e)
                goto out;

        unsigned max_minutes = CHAIR_CMD_MAX_MINUTES;
        if (cfg && cfg->safety.max_session_min > 0 && cfg->safety.max_session_min < max_minutes)
                max_minutes = cfg->safety.max_session_min;
        e = parse_object(root, max_minutes, progs, cmd, msg, msg_size);
out:
        json_object_put(root);
        free(escaped);
        if (e == CHAIR_OK && msg && msg_size > 0)
                msg[0] = 0;
        return e;
}

enum chair_err chair_cmd_parse(const char *json, size_t len, const struct chair_programs *progs,
                               struct chair_cmd *cmd, char *id_json, size_t id_size, char *msg,
                               size_t msg_size) {
        return chair_cmd_parse_cfg(json, len, NULL, progs, cmd, id_json, id_size, msg, msg_size);
}

bool chair_action_allowed_locked(enum chair_action a) {
        /* design C3: the owner can always stop or pause a locked chair */
        return a == CHAIR_ACTION_STOP || a == CHAIR_ACTION_PAUSE || a == CHAIR_ACTION_DIAG ||
               a == CHAIR_ACTION_UNLOCK;
}

bool chair_cmd_result_message(enum chair_action a, enum chair_err e, int32_t detail, char *buf, size_t size) {
        if (!buf || size == 0)
                return false;
        if (a == CHAIR_ACTION_EXTEND && e == CHAIR_ERR_INVALID_VALUE) {
                if (detail <= 0)
                        snprintf(buf, size, "the session is at safety.max_session_min already; no minutes can be added");
                else
                        snprintf(buf, size, "at most %d more minute%s can be added (safety.max_session_min)",
                                 (int) detail, detail == 1 ? "" : "s");
                return true;
        }
        if (a == CHAIR_ACTION_UNLOCK && e == CHAIR_ERR_RATE_LIMITED) {
                snprintf(buf, size, "too many wrong PINs; unlock is refused for %d more second%s",
                         (int) detail, detail == 1 ? "" : "s");
                return true;
        }
        if (a == CHAIR_ACTION_UNLOCK && e == CHAIR_ERR_INVALID_VALUE) {
                snprintf(buf, size, "wrong PIN");
                return true;
        }
        if (a == CHAIR_ACTION_LOCK && e == CHAIR_ERR_INVALID_VALUE) {
                snprintf(buf, size, "no PIN is configured (owner.pin or the owner-pin credential), so the chair cannot be locked");
                return true;
        }
        if (a == CHAIR_ACTION_RESUME && e == CHAIR_OK && detail == 1) {
                snprintf(buf, size, "the session is running already");
                return true;
        }
        if (a == CHAIR_ACTION_SKIP && e == CHAIR_OK && detail == 1) {
                snprintf(buf, size, "that was the last step: the session is ending");
                return true;
        }
        return false;
}
