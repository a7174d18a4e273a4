/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Commands to the control step, and the error codes of replies (design B3).
 *
 * struct chair_cmd is a small POD: the main loop builds it from JSON
 * (chair_cmd_parse) and passes it to the control thread through an SPSC ring;
 * chair-sim builds it from --inject command=... .  The control step answers each
 * command with a CHAIR_EVENT_RESULT event carrying the same token.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct chair_programs;

enum chair_err {
        CHAIR_OK,
        CHAIR_ERR_BAD_JSON,
        CHAIR_ERR_TOO_LARGE,
        CHAIR_ERR_UNKNOWN_ACTION,
        CHAIR_ERR_UNKNOWN_PROGRAM,
        CHAIR_ERR_INVALID_VALUE,
        CHAIR_ERR_BUSY,            /* a session is running (start), or the chair is busy */
        CHAIR_ERR_NOT_OCCUPIED,
        CHAIR_ERR_FAULT_ACTIVE,
        CHAIR_ERR_RATE_LIMITED,
        CHAIR_ERR_NOT_RUNNING,     /* pause/resume/set with no session */
        CHAIR_ERR_OBSTACLE,        /* recline refused toward a closed obstacle sensor */
        CHAIR_ERR_UNSUPPORTED,     /* the chair lacks the part (recline, heat, ...) */
        CHAIR_ERR_INTERNAL,
        CHAIR_ERR_OCCUPIED,        /* self-test refused: the seat must be empty */
        CHAIR_ERR_UNKNOWN_PROFILE, /* forget_profile: no profile of that name */
        CHAIR_ERR_LOCKED,          /* the child lock is on (design C3) */
        CHAIR_ERR_NO_SESSION,      /* rate: no session in the rating's time window (lib/diary.h) */
        CHAIR_ERR_NO_SUGGESTION,   /* suggest with "start": the diary has no suggestion yet */
        _CHAIR_ERR_COUNT,
};

/* Stable code strings ("bad_json", ...) and default messages. */
const char *chair_err_code(enum chair_err e);
const char *chair_err_message(enum chair_err e);

enum chair_action {
        CHAIR_ACTION_START,
        CHAIR_ACTION_STOP,
        CHAIR_ACTION_PAUSE,
        CHAIR_ACTION_RESUME,
        CHAIR_ACTION_SET,
        CHAIR_ACTION_RECLINE,
        CHAIR_ACTION_CLEAR_FAULTS,
        CHAIR_ACTION_SELF_TEST,
        CHAIR_ACTION_DIAG,         /* answered by the main loop, never reaches the control step */
        CHAIR_ACTION_FORGET_PROFILE, /* "profile" required; answered by the main loop (daemon/history.c)
                                      * and never reaches the control step, which would refuse it
                                      * with unknown_action */
        /* owner API (design C3) */
        CHAIR_ACTION_EXTEND,       /* "minutes" more for the running session */
        CHAIR_ACTION_SKIP,         /* on to the next step (after the last: the closing phase) */
        CHAIR_ACTION_LOCK,         /* child lock on */
        CHAIR_ACTION_UNLOCK,       /* child lock off; "pin" required */
        /* The pain diary (design C4, lib/diary.h): answered by the main loop
         * (daemon/history.c); never reach the control step. */
        CHAIR_ACTION_RATE,         /* "pain" and "phase" required; "zone", "profile" optional */
        CHAIR_ACTION_HISTORY,      /* "profile", "days" optional */
        CHAIR_ACTION_SUGGEST,      /* "profile" optional; "start": true starts the suggestion */
        _CHAIR_ACTION_COUNT,
};

const char *chair_action_name(enum chair_action a);        /* "clear_faults", ... */

#define CHAIR_UNSET (-1)
#define CHAIR_CMD_PROFILE_MAX 32
#define CHAIR_PIN_MAX 8            /* a PIN is 4..8 digits */

struct chair_cmd {
        enum chair_action action;
        uint32_t token;            /* chosen by the sender, echoed in the result event */
        int16_t program;           /* START: index into the program set */
        int16_t minutes;           /* START: 1..max_session_min, or CHAIR_UNSET = program default */
        int8_t intensity;          /* 1..5 or CHAIR_UNSET */
        int8_t speed;              /* 1..5 or CHAIR_UNSET */
        int8_t heat;               /* 0/1 or CHAIR_UNSET */
        int8_t focus;              /* enum chair_landmark, or CHAIR_UNSET (clear focus: -2) */
        int8_t recline;            /* RECLINE: enum chair_recline */
        /* SET: relative changes, -4..4 (0 = none); the result is clamped to 1..5.
         * EXTEND: minutes holds the minutes to add. */
        int8_t intensity_delta, speed_delta;
        bool switch_program;       /* START: end a running session and start this one */
        char pin[CHAIR_PIN_MAX + 1];   /* UNLOCK: the PIN as given, NUL-terminated */
        /* START: an owner profile ("profile" member, 1..31 bytes), "" when none.
         * The main loop fills unset members from it (daemon/history.c); the
         * control step ignores it.  With a profile, "program" may be omitted.
         * FORGET_PROFILE: the profile to delete (always set). */
        char profile[CHAIR_CMD_PROFILE_MAX];
        /* RATE: pain 0..10, phase (enum chair_diary_phase), zone "L1".."S1" or "".
         * HISTORY: days 1..CHAIR_CMD_MAX_DAYS (default 90).  SUGGEST: start. */
        int8_t pain;
        int8_t phase;
        char zone[4];
        uint16_t days;
        bool start;
};

#define CHAIR_CMD_MAX_DAYS 3650
#define CHAIR_CMD_DEFAULT_DAYS 90

#define CHAIR_FOCUS_CLEAR (-2)

static inline void chair_cmd_init(struct chair_cmd *c, enum chair_action a) {
        *c = (struct chair_cmd) {
                .action = a, .program = CHAIR_UNSET, .minutes = CHAIR_UNSET,
                .intensity = CHAIR_UNSET, .speed = CHAIR_UNSET, .heat = CHAIR_UNSET,
                .focus = CHAIR_UNSET, .recline = CHAIR_UNSET,
                .pain = CHAIR_UNSET, .phase = CHAIR_UNSET, .days = CHAIR_CMD_DEFAULT_DAYS,
        };
}

#define CHAIR_CMD_MAX_BYTES 4096
#define CHAIR_CMD_ID_MAX 128

/*
 * Parse one JSON command (design B3) of len bytes.  Validates types and
 * ranges and resolves the program id against progs.  On success returns 0 and
 * fills *cmd.  On failure returns the error code (> 0) and writes a human
 * message into msg.  The optional "id" member (string or number) is copied
 * verbatim as JSON text into id_json (empty when absent) in both cases, so a
 * reply can echo it.  Never allocates beyond json-c's own parse.
 */
enum chair_err chair_cmd_parse(const char *json, size_t len, const struct chair_programs *progs,
                               struct chair_cmd *cmd, char *id_json, size_t id_size,
                               char *msg, size_t msg_size);

/* True when the len bytes are well-formed UTF-8 (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF). */
bool chair_utf8_valid(const void *s, size_t len);

/* "start" → CHAIR_ACTION_START, ...; -EINVAL when unknown. */
int chair_action_from_name(const char *s);

struct chair_config;

/*
 * chair_cmd_parse() with the chair's limits: "minutes" must lie in
 * 1..cfg->safety.max_session_min (chair_cmd_parse() allows up to the hard cap
 * CHAIR_CMD_MAX_MINUTES and leaves the finer check to the control step).
 * cfg may be NULL (then it behaves as chair_cmd_parse()).  JSON nesting deeper
 * than CHAIR_CMD_MAX_DEPTH is bad_json.
 */
#define CHAIR_CMD_MAX_MINUTES 30
#define CHAIR_CMD_MAX_DEPTH 4
enum chair_err chair_cmd_parse_cfg(const char *json, size_t len, const struct chair_config *cfg,
                                   const struct chair_programs *progs, struct chair_cmd *cmd,
                                   char *id_json, size_t id_size, char *msg, size_t msg_size);

/*
 * The reply message for a control-step result that needs more than the code's
 * default text (design C3): how many minutes an extend can still add, how long
 * unlock stays refused, that a resumed session was running already.  detail is
 * the result event's detail.  Writes into buf and returns true, or returns
 * false when the default message (chair_err_message) says it all.
 */
bool chair_cmd_result_message(enum chair_action a, enum chair_err e, int32_t detail, char *buf, size_t size);

/* Whether action a is allowed while the child lock is on (stop, pause, diag, unlock). */
bool chair_action_allowed_locked(enum chair_action a);
