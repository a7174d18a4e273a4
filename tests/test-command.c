/* SPDX-License-Identifier: MIT */
/* JSON command parsing (design B3): every action, every parse-time error code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "command.h"
#include "diary.h"
#include "config.h"
#include "program.h"

static struct chair_program prog_v[] = {
        { .id = "lumbar-relief", .name = (char *) "Lumbar relief", .default_minutes = 15 },
        { .id = "deep-back", .name = (char *) "Deep back", .default_minutes = 20 },
};
static const struct chair_programs progs = { .v = prog_v, .n = 2 };

struct parse_case {
        const char *json;
        enum chair_err err;
        enum chair_action action;  /* checked when err == CHAIR_OK */
        int program, minutes, intensity, speed, heat, focus, recline;
        const char *id;            /* expected id echo ("" = none) */
};

#define U CHAIR_UNSET
#define OKC(j, a, p, m, i, s, h, f, r, id) { j, CHAIR_OK, a, p, m, i, s, h, f, r, id }
#define ERR(j, e, id) { j, e, 0, U, U, U, U, U, U, U, id }

static const struct parse_case cases[] = {
        /* every action, valid */
        OKC("{\"action\":\"start\",\"program\":\"lumbar-relief\",\"minutes\":15,\"intensity\":3,\"heat\":true}",
            CHAIR_ACTION_START, 0, 15, 3, U, 1, U, U, ""),
        OKC("{\"action\":\"start\",\"program\":\"deep-back\"}", CHAIR_ACTION_START, 1, U, U, U, U, U, U, ""),
        OKC("{\"action\":\"start\",\"program\":\"deep-back\",\"speed\":5,\"focus\":\"L4\",\"heat\":false}",
            CHAIR_ACTION_START, 1, U, U, 5, 0, CHAIR_LM_L4, U, ""),
        OKC("{\"action\":\"stop\"}", CHAIR_ACTION_STOP, U, U, U, U, U, U, U, ""),
        OKC("{\"action\":\"pause\",\"id\":\"p1\"}", CHAIR_ACTION_PAUSE, U, U, U, U, U, U, U, "\"p1\""),
        OKC("{\"action\":\"resume\",\"id\":42}", CHAIR_ACTION_RESUME, U, U, U, U, U, U, U, "42"),
        OKC("{\"action\":\"set\",\"intensity\":4}", CHAIR_ACTION_SET, U, U, 4, U, U, U, U, ""),
        OKC("{\"action\":\"set\",\"speed\":1,\"heat\":true}", CHAIR_ACTION_SET, U, U, U, 1, 1, U, U, ""),
        OKC("{\"action\":\"set\",\"focus\":\"S1\"}", CHAIR_ACTION_SET, U, U, U, U, U, CHAIR_LM_S1, U, ""),
        OKC("{\"action\":\"set\",\"focus\":null}", CHAIR_ACTION_SET, U, U, U, U, U, CHAIR_FOCUS_CLEAR, U, ""),
        OKC("{\"action\":\"recline\",\"position\":\"upright\"}", CHAIR_ACTION_RECLINE, U, U, U, U, U, U,
            CHAIR_RECLINE_UPRIGHT, ""),
        OKC("{\"action\":\"recline\",\"position\":\"relax\"}", CHAIR_ACTION_RECLINE, U, U, U, U, U, U,
            CHAIR_RECLINE_RELAX, ""),
        OKC("{\"action\":\"recline\",\"position\":\"zero-gravity\"}", CHAIR_ACTION_RECLINE, U, U, U, U, U,
            U, CHAIR_RECLINE_ZERO_GRAVITY, ""),
        OKC("{\"action\":\"clear_faults\"}", CHAIR_ACTION_CLEAR_FAULTS, U, U, U, U, U, U, U, ""),
        OKC("{\"action\":\"self_test\"}", CHAIR_ACTION_SELF_TEST, U, U, U, U, U, U, U, ""),
        OKC(" {\"id\":\"a/b\",\"action\":\"diag\"}\n", CHAIR_ACTION_DIAG, U, U, U, U, U, U, U, "\"a/b\""),
        OKC("{\"action\":\"start\",\"program\":\"deep-back\",\"minutes\":30}", CHAIR_ACTION_START, 1, 30,
            U, U, U, U, U, ""),
        OKC("{\"action\":\"start\",\"program\":\"deep-back\",\"minutes\":1}", CHAIR_ACTION_START, 1, 1, U,
            U, U, U, U, ""),

        /* bad_json */
        ERR("", CHAIR_ERR_BAD_JSON, ""),
        ERR("{", CHAIR_ERR_BAD_JSON, ""),
        ERR("not json", CHAIR_ERR_BAD_JSON, ""),
        ERR("[\"stop\"]", CHAIR_ERR_BAD_JSON, ""),
        ERR("\"stop\"", CHAIR_ERR_BAD_JSON, ""),
        ERR("42", CHAIR_ERR_BAD_JSON, ""),
        ERR("{\"action\":\"stop\"} x", CHAIR_ERR_BAD_JSON, ""),
        ERR("{\"action\":\"stop\",}", CHAIR_ERR_BAD_JSON, ""),
        ERR("{\"action\":\"stop\",\"x\":[[[[[[1]]]]]]}", CHAIR_ERR_BAD_JSON, ""),
        /* unknown_action */
        ERR("{\"action\":\"dance\"}", CHAIR_ERR_UNKNOWN_ACTION, ""),
        ERR("{\"action\":\"STOP\",\"id\":7}", CHAIR_ERR_UNKNOWN_ACTION, "7"),
        /* unknown_program */
        ERR("{\"action\":\"start\",\"program\":\"nope\",\"id\":\"x\"}", CHAIR_ERR_UNKNOWN_PROGRAM, "\"x\""),
        /* invalid_value */
        ERR("{}", CHAIR_ERR_INVALID_VALUE, ""),
        ERR("{\"action\":5}", CHAIR_ERR_INVALID_VALUE, ""),
        ERR("{\"action\":\"start\"}", CHAIR_ERR_INVALID_VALUE, ""),
        ERR("{\"action\":\"start\",\"program\":3}", CHAIR_ERR_INVALID_VALUE, ""),
        ERR("{\"action\":\"start\",\"program\":\"deep-back\",\"minutes\":0}", CHAIR_ERR_INVALID_VALUE, ""),
        ERR("{\"action\":\"start\",\"program\":\"deep-back\",\"minutes\":31}", CHAIR_ERR_INVALID_VALUE, ""),
        ERR("{\"action\":\"start\",\"program\":\"deep-back\",\"minutes\":\"10\"}", CHAIR_ERR_INVALID_VALUE, ""),
        ERR("{\"action\":\"set\",\"intensity\":0}", CHAIR_ERR_INVALID_VALUE, ""),
        ERR("{\"action\":\"set\",\"intensity\":6}", CHAIR_ERR_INVALID_VALUE, ""),
        ERR("{\"action\":\"set\",\"intensity\":2.5}", CHAIR_ERR_INVALID_VALUE, ""),
        ERR("{\"action\":\"set\",\"speed\":-1}", CHAIR_ERR_INVALID_VALUE, ""),
        ERR("{\"action\":\"set\",\"heat\":1}", CHAIR_ERR_INVALID_VALUE, ""),
        ERR("{\"action\":\"set\",\"focus\":\"L9\"}", CHAIR_ERR_INVALID_VALUE, ""),
        ERR("{\"action\":\"set\"}", CHAIR_ERR_INVALID_VALUE, ""),
        ERR("{\"action\":\"set\",\"intensty\":3}", CHAIR_ERR_INVALID_VALUE, ""),
        ERR("{\"action\":\"stop\",\"intensity\":3}", CHAIR_ERR_INVALID_VALUE, ""),
        ERR("{\"action\":\"recline\"}", CHAIR_ERR_INVALID_VALUE, ""),
        ERR("{\"action\":\"recline\",\"position\":\"flat\"}", CHAIR_ERR_INVALID_VALUE, ""),
        ERR("{\"action\":\"stop\",\"id\":{\"a\":1}}", CHAIR_ERR_INVALID_VALUE, ""),
        ERR("{\"action\":\"stop\",\"id\":true}", CHAIR_ERR_INVALID_VALUE, ""),
};

static void test_parse_table(void **state) {
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const struct parse_case *c = &cases[i];
                struct chair_cmd cmd;
                char id[CHAIR_CMD_ID_MAX], msg[256];
                enum chair_err e = chair_cmd_parse(c->json, strlen(c->json), &progs, &cmd, id,
                                                   sizeof(id), msg, sizeof(msg));
                if (e != c->err)
                        fail_msg("case %zu %s: got %s (%s), want %s", i, c->json, chair_err_code(e),
                                 msg, chair_err_code(c->err));
                assert_string_equal(id, c->id);
                if (e != CHAIR_OK) {
                        assert_true(strlen(msg) > 0);   /* every refusal explains itself */
                        continue;
                }
                assert_int_equal(cmd.action, c->action);
                assert_int_equal(cmd.program, c->program);
                assert_int_equal(cmd.minutes, c->minutes);
                assert_int_equal(cmd.intensity, c->intensity);
                assert_int_equal(cmd.speed, c->speed);
                assert_int_equal(cmd.heat, c->heat);
                assert_int_equal(cmd.focus, c->focus);
                assert_int_equal(cmd.recline, c->recline);
        }
}

static void test_every_action_named(void **state) {
        for (int a = 0; a < _CHAIR_ACTION_COUNT; a++) {
                const char *n = chair_action_name(a);
                assert_non_null(n);
                assert_int_equal(chair_action_from_name(n), a);
        }
        assert_true(chair_action_from_name("nope") < 0);
        assert_null(chair_action_name(_CHAIR_ACTION_COUNT));
}

static void test_err_codes(void **state) {
        static const char *const want[] = {
                "bad_json", "too_large", "unknown_action", "unknown_program", "invalid_value",
                "busy", "not_occupied", "fault_active", "rate_limited",
        };
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
                assert_string_equal(chair_err_code((enum chair_err) (i + 1)), want[i]);
        for (int e = 0; e < _CHAIR_ERR_COUNT; e++) {
                assert_non_null(chair_err_code(e));
                assert_true(strlen(chair_err_message(e)) > 0);
                for (int f = 0; f < e; f++)
                        assert_string_not_equal(chair_err_code(e), chair_err_code(f));
        }
}

/* forget_profile: exactly one member, "profile", under start's name rules. */
static void test_forget_profile(void **state) {
        static const struct {
                const char *json;
                enum chair_err err;
                const char *profile;       /* CHAIR_OK: the name parsed; else a word the message holds */
        } t[] = {
                { "{\"action\":\"forget_profile\",\"profile\":\"anna\"}", CHAIR_OK, "anna" },
                { "{\"id\":\"f1\",\"action\":\"forget_profile\",\"profile\":\"Anna B.\"}", CHAIR_OK, "Anna B." },
                { "{\"action\":\"forget_profile\",\"profile\":\"0123456789012345678901234567890\"}", CHAIR_OK,
                  "0123456789012345678901234567890" },
                /* missing profile */
                { "{\"action\":\"forget_profile\"}", CHAIR_ERR_INVALID_VALUE, "needs" },
                { "{\"action\":\"forget_profile\",\"id\":3}", CHAIR_ERR_INVALID_VALUE, "needs" },
                /* extra members */
                { "{\"action\":\"forget_profile\",\"profile\":\"anna\",\"program\":\"deep-back\"}",
                  CHAIR_ERR_INVALID_VALUE, "not a member" },
                { "{\"action\":\"forget_profile\",\"profile\":\"anna\",\"intensity\":3}",
                  CHAIR_ERR_INVALID_VALUE, "not a member" },
                { "{\"action\":\"forget_profile\",\"name\":\"anna\"}", CHAIR_ERR_INVALID_VALUE, "not a member" },
                /* bad names */
                { "{\"action\":\"forget_profile\",\"profile\":\"\"}", CHAIR_ERR_INVALID_VALUE, "profile" },
                { "{\"action\":\"forget_profile\",\"profile\":\"01234567890123456789012345678901\"}",
                  CHAIR_ERR_INVALID_VALUE, "profile" },
                { "{\"action\":\"forget_profile\",\"profile\":3}", CHAIR_ERR_INVALID_VALUE, "profile" },
                { "{\"action\":\"forget_profile\",\"profile\":null}", CHAIR_ERR_INVALID_VALUE, "profile" },
                { "{\"action\":\"forget_profile\",\"profile\":[\"anna\"]}", CHAIR_ERR_INVALID_VALUE, "profile" },
                { "{\"action\":\"forget_profile\",\"profile\":\"tab\\there\"}", CHAIR_ERR_INVALID_VALUE, "profile" },
                { "{\"action\":\"forget_profile\",\"profile\":\"del\\u007f\"}", CHAIR_ERR_INVALID_VALUE, "profile" },
                /* the action name is exact */
                { "{\"action\":\"forget-profile\",\"profile\":\"anna\"}", CHAIR_ERR_UNKNOWN_ACTION, "forget-profile" },
        };
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                struct chair_cmd cmd;
                char id[CHAIR_CMD_ID_MAX], msg[256];
                enum chair_err e = chair_cmd_parse(t[i].json, strlen(t[i].json), &progs, &cmd, id, sizeof(id),
                                                   msg, sizeof(msg));
                if (e != t[i].err)
                        fail_msg("case %zu %s: got %s (%s), want %s", i, t[i].json, chair_err_code(e), msg,
                                 chair_err_code(t[i].err));
                if (e != CHAIR_OK) {
                        if (!strstr(msg, t[i].profile))
                                fail_msg("case %zu %s: message \"%s\" lacks \"%s\"", i, t[i].json, msg, t[i].profile);
                        continue;
                }
                assert_int_equal(cmd.action, CHAIR_ACTION_FORGET_PROFILE);
                assert_string_equal(cmd.profile, t[i].profile);
                assert_int_equal(cmd.program, CHAIR_UNSET);
                assert_int_equal(cmd.minutes, CHAIR_UNSET);
                assert_int_equal(cmd.intensity, CHAIR_UNSET);
                assert_int_equal(cmd.heat, CHAIR_UNSET);
                assert_int_equal(cmd.recline, CHAIR_UNSET);
        }
        assert_string_equal(chair_action_name(CHAIR_ACTION_FORGET_PROFILE), "forget_profile");
        assert_string_equal(chair_err_code(CHAIR_ERR_UNKNOWN_PROFILE), "unknown_profile");
        assert_non_null(strstr(chair_err_message(CHAIR_ERR_UNKNOWN_PROFILE), "profile"));
}

/* The pain diary's actions: rate, history, suggest (design C4). */
static void test_diary_actions(void **state) {
        static const struct {
                const char *json;
                enum chair_err err;
                const char *word;          /* a word the message holds when refused */
                int pain, phase, days;
                const char *zone, *profile;
                bool start;
        } t[] = {
                { "{\"action\":\"rate\",\"pain\":6,\"phase\":\"before\"}", CHAIR_OK, NULL, 6, CHAIR_DIARY_BEFORE, 90, "", "", false },
                { "{\"action\":\"rate\",\"pain\":0,\"phase\":\"after\",\"zone\":\"L4\",\"profile\":\"anna\"}", CHAIR_OK, NULL,
                  0, CHAIR_DIARY_AFTER, 90, "L4", "anna", false },
                { "{\"action\":\"rate\",\"pain\":10,\"phase\":\"auto\",\"zone\":\"S1\"}", CHAIR_OK, NULL, 10, CHAIR_DIARY_AUTO, 90, "S1", "", false },
                { "{\"action\":\"rate\",\"pain\":11,\"phase\":\"after\"}", CHAIR_ERR_INVALID_VALUE, "0..10" },
                { "{\"action\":\"rate\",\"pain\":-1,\"phase\":\"after\"}", CHAIR_ERR_INVALID_VALUE, "0..10" },
                { "{\"action\":\"rate\",\"pain\":5.5,\"phase\":\"after\"}", CHAIR_ERR_INVALID_VALUE, "integer" },
                { "{\"action\":\"rate\",\"pain\":\"5\",\"phase\":\"after\"}", CHAIR_ERR_INVALID_VALUE, "integer" },
                { "{\"action\":\"rate\",\"pain\":5,\"phase\":\"during\"}", CHAIR_ERR_INVALID_VALUE, "phase" },
                { "{\"action\":\"rate\",\"pain\":5,\"phase\":\"after\",\"zone\":\"T10\"}", CHAIR_ERR_INVALID_VALUE, "L1" },
                { "{\"action\":\"rate\",\"pain\":5,\"phase\":\"after\",\"zone\":4}", CHAIR_ERR_INVALID_VALUE, "zone" },
                { "{\"action\":\"rate\",\"pain\":5}", CHAIR_ERR_INVALID_VALUE, "needs" },
                { "{\"action\":\"rate\",\"phase\":\"after\"}", CHAIR_ERR_INVALID_VALUE, "needs" },
                { "{\"action\":\"rate\",\"pain\":5,\"phase\":\"after\",\"profile\":\"\"}", CHAIR_ERR_INVALID_VALUE, "profile" },
                { "{\"action\":\"rate\",\"pain\":5,\"phase\":\"after\",\"days\":3}", CHAIR_ERR_INVALID_VALUE, "not a member" },
                { "{\"action\":\"history\"}", CHAIR_OK, NULL, CHAIR_UNSET, CHAIR_UNSET, 90, "", "", false },
                { "{\"action\":\"history\",\"profile\":\"anna\",\"days\":365}", CHAIR_OK, NULL, CHAIR_UNSET, CHAIR_UNSET, 365, "", "anna", false },
                { "{\"action\":\"history\",\"days\":0}", CHAIR_ERR_INVALID_VALUE, "days" },
                { "{\"action\":\"history\",\"days\":3651}", CHAIR_ERR_INVALID_VALUE, "days" },
                { "{\"action\":\"history\",\"pain\":3}", CHAIR_ERR_INVALID_VALUE, "not a member" },
                { "{\"action\":\"suggest\",\"profile\":\"anna\"}", CHAIR_OK, NULL, CHAIR_UNSET, CHAIR_UNSET, 90, "", "anna", false },
                { "{\"action\":\"suggest\",\"start\":true}", CHAIR_OK, NULL, CHAIR_UNSET, CHAIR_UNSET, 90, "", "", true },
                { "{\"action\":\"suggest\",\"start\":1}", CHAIR_ERR_INVALID_VALUE, "start" },
                { "{\"action\":\"suggest\",\"program\":\"deep-back\"}", CHAIR_ERR_INVALID_VALUE, "not a member" },
        };
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                struct chair_cmd cmd;
                char id[CHAIR_CMD_ID_MAX], msg[256];
                enum chair_err e = chair_cmd_parse(t[i].json, strlen(t[i].json), &progs, &cmd, id, sizeof(id),
                                                   msg, sizeof(msg));
                if (e != t[i].err)
                        fail_msg("case %zu %s: got %s (%s), want %s", i, t[i].json, chair_err_code(e), msg,
                                 chair_err_code(t[i].err));
                if (e != CHAIR_OK) {
                        if (!strstr(msg, t[i].word))
                                fail_msg("case %zu %s: message \"%s\" lacks \"%s\"", i, t[i].json, msg, t[i].word);
                        continue;
                }
                assert_int_equal(cmd.pain, t[i].pain);
                assert_int_equal(cmd.phase, t[i].phase);
                assert_int_equal(cmd.days, t[i].days);
                assert_string_equal(cmd.zone, t[i].zone);
                assert_string_equal(cmd.profile, t[i].profile);
                assert_int_equal(cmd.start, t[i].start);
        }
        assert_string_equal(chair_err_code(CHAIR_ERR_NO_SESSION), "no_session");
        assert_string_equal(chair_err_code(CHAIR_ERR_NO_SUGGESTION), "no_suggestion");
}

static void test_too_large(void **state) {
        /* a valid command padded with whitespace beyond the limit: size is checked first */
        size_t n = CHAIR_CMD_MAX_BYTES + 1;
        char *buf = malloc(n + 1);
        assert_non_null(buf);
        memset(buf, ' ', n);
        memcpy(buf, "{\"action\":\"stop\"}", 17);
        buf[n] = 0;
        struct chair_cmd cmd;
        char id[CHAIR_CMD_ID_MAX], msg[128];
        assert_int_equal(chair_cmd_parse(buf, n, &progs, &cmd, id, sizeof(id), msg, sizeof(msg)),
                         CHAIR_ERR_TOO_LARGE);
        /* exactly at the limit is fine */
        assert_int_equal(chair_cmd_parse(buf, n - 1, &progs, &cmd, id, sizeof(id), msg, sizeof(msg)),
                         CHAIR_OK);
        free(buf);
}

static void test_minutes_limited_by_config(void **state) {
        struct chair_config cfg;
        memset(&cfg, 0, sizeof(cfg));
        cfg.safety.max_session_min = 20;
        struct chair_cmd cmd;
        char id[CHAIR_CMD_ID_MAX], msg[128];
        const char *j20 = "{\"action\":\"start\",\"program\":\"deep-back\",\"minutes\":20}";
        const char *j21 = "{\"action\":\"start\",\"program\":\"deep-back\",\"minutes\":21}";
        assert_int_equal(chair_cmd_parse_cfg(j20, strlen(j20), &cfg, &progs, &cmd, id, sizeof(id),
                                             msg, sizeof(msg)),
                         CHAIR_OK);
        assert_int_equal(cmd.minutes, 20);
        assert_int_equal(chair_cmd_parse_cfg(j21, strlen(j21), &cfg, &progs, &cmd, id, sizeof(id),
                                             msg, sizeof(msg)),
                         CHAIR_ERR_INVALID_VALUE);
        assert_non_null(strstr(msg, "1..20"));
}

static void test_id_too_long_and_not_nul_terminated(void **state) {
        char json[400];
        char longid[200];
        memset(longid, 'a', sizeof(longid) - 1);
        longid[sizeof(longid) - 1] = 0;
        snprintf(json, sizeof(json), "{\"action\":\"stop\",\"id\":\"%s\"}", longid);
        struct chair_cmd cmd;
        char id[CHAIR_CMD_ID_MAX], msg[128];
        assert_int_equal(chair_cmd_parse(json, strlen(json), &progs, &cmd, id, sizeof(id), msg,
                                         sizeof(msg)),
                         CHAIR_ERR_INVALID_VALUE);
        assert_string_equal(id, "");

        /* MQTT payloads are not NUL-terminated: only len bytes count */
        const char *twice = "{\"action\":\"stop\"}{\"action\":\"start\"}";
        assert_int_equal(chair_cmd_parse(twice, 17, &progs, &cmd, id, sizeof(id), msg, sizeof(msg)),
                         CHAIR_OK);
        assert_int_equal(cmd.action, CHAIR_ACTION_STOP);
        /* an embedded NUL is not JSON */
        assert_int_equal(chair_cmd_parse("{\"action\":\"stop\"}\0", 18, &progs, &cmd, id, sizeof(id),
                                         msg, sizeof(msg)),
                         CHAIR_ERR_BAD_JSON);
}

/* issue 15: JSON text that is not UTF-8 is bad_json and nothing of it is echoed */
static void test_utf8(void **state) {
        static const struct {
                const char *s;
                bool ok;
        } t[] = {
                { "plain", true }, { "\xc3\xa9", true }, { "\xe2\x82\xac", true },
                { "\xf0\x9f\x92\x86", true }, { "\xef\xbf\xbd", true },
                { "\xff", false },                  /* never in UTF-8 */
                { "\xc3", false },                  /* cut short */
                { "\xc3\x28", false },              /* bad continuation */
                { "\xc0\xaf", false },              /* overlong "/" */
                { "\xe0\x80\xaf", false },          /* overlong, 3 bytes */
                { "\xed\xa0\x80", false },          /* a UTF-16 surrogate */
                { "\xf4\x90\x80\x80", false },      /* above U+10FFFF */
                { "\xf8\x88\x80\x80\x80", false },  /* 5-byte form */
        };
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
                assert_int_equal(chair_utf8_valid(t[i].s, strlen(t[i].s)), t[i].ok);

        struct chair_cmd cmd;
        char id[CHAIR_CMD_ID_MAX], msg[256];
        const char *bad_id = "{\"action\":\"stop\",\"id\":\"\xff\"}";
        assert_int_equal(chair_cmd_parse(bad_id, strlen(bad_id), &progs, &cmd, id, sizeof(id), msg,
                                         sizeof(msg)),
                         CHAIR_ERR_BAD_JSON);
        assert_string_equal(id, "");
        /* a long valid name is cut for the message on a character boundary */
        char json[300] = "{\"action\":\"start\",\"program\":\"a";
        for (int i = 0; i < 40; i++)
                strcat(json, "\xc3\xa9");
        strcat(json, "\"}");
        assert_int_equal(chair_cmd_parse(json, strlen(json), &progs, &cmd, id, sizeof(id), msg,
                                         sizeof(msg)),
                         CHAIR_ERR_UNKNOWN_PROGRAM);
        assert_true(chair_utf8_valid(msg, strlen(msg)));
        assert_non_null(strstr(msg, "a\xc3\xa9\xc3\xa9"));     /* the name as sent, decoded */
        /* Valid UTF-8 is a command like any other, on every json-c (0.17+ refuses
         * raw non-ASCII in strict mode; chaird hands it escapes): 2-, 3- and
         * 4-byte characters come back as they were sent. */
        const char *utf8_id = "{\"action\":\"stop\",\"id\":\"Zo\xc3\xab \xe2\x82\xac \xf0\x9f\x92\x86\"}";
        assert_int_equal(chair_cmd_parse(utf8_id, strlen(utf8_id), &progs, &cmd, id, sizeof(id), msg, sizeof(msg)),
                         CHAIR_OK);
        assert_non_null(strstr(id, "Zo\xc3\xab \xe2\x82\xac \xf0\x9f\x92\x86"));
        /* outside a string a non-ASCII byte is still not JSON */
        const char *bare = "{\"action\":\"stop\"}\xc3\xa9";
        assert_int_equal(chair_cmd_parse(bare, strlen(bare), &progs, &cmd, id, sizeof(id), msg, sizeof(msg)),
                         CHAIR_ERR_BAD_JSON);
}

/* ---- owner API (design C3) ---- */

static enum chair_err parse(const char *json, struct chair_cmd *cmd, char *msg, size_t msg_size) {
        char id[CHAIR_CMD_ID_MAX];
        return chair_cmd_parse(json, strlen(json), &progs, cmd, id, sizeof(id), msg, msg_size);
}

static void test_owner_actions(void **state) {
        struct chair_cmd c;
        char msg[256];

        assert_int_equal(parse("{\"action\":\"set\",\"intensity_delta\":-4,\"speed_delta\":2}", &c, msg, sizeof(msg)),
                         CHAIR_OK);
        assert_int_equal(c.intensity_delta, -4);
        assert_int_equal(c.speed_delta, 2);
        assert_int_equal(c.intensity, CHAIR_UNSET);
        static const char *const bad[] = {
                "{\"action\":\"set\",\"intensity_delta\":0}",
                "{\"action\":\"set\",\"intensity_delta\":5}",
                "{\"action\":\"set\",\"speed_delta\":1.5}",
                "{\"action\":\"set\",\"intensity\":3,\"intensity_delta\":1}",
                "{\"action\":\"extend\"}",
                "{\"action\":\"extend\",\"minutes\":0}",
                "{\"action\":\"skip\",\"minutes\":1}",
                "{\"action\":\"unlock\"}",
                "{\"action\":\"unlock\",\"pin\":1234}",
                "{\"action\":\"unlock\",\"pin\":\"123\"}",
                "{\"action\":\"unlock\",\"pin\":\"123456789\"}",
                "{\"action\":\"unlock\",\"pin\":\"12a4\"}",
                "{\"action\":\"lock\",\"pin\":\"1234\"}",
                "{\"action\":\"start\",\"program\":\"deep-back\",\"switch\":1}",
                "{\"action\":\"set\",\"switch\":true}",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(parse(bad[i], &c, msg, sizeof(msg)), CHAIR_ERR_INVALID_VALUE);
                assert_null(strstr(msg, "12a4"));     /* a PIN is never echoed */
        }
        assert_int_equal(parse("{\"action\":\"extend\",\"minutes\":5}", &c, msg, sizeof(msg)), CHAIR_OK);
        assert_int_equal(c.action, CHAIR_ACTION_EXTEND);
        assert_int_equal(c.minutes, 5);
        assert_int_equal(parse("{\"action\":\"skip\"}", &c, msg, sizeof(msg)), CHAIR_OK);
        assert_int_equal(c.action, CHAIR_ACTION_SKIP);
        assert_int_equal(parse("{\"action\":\"lock\"}", &c, msg, sizeof(msg)), CHAIR_OK);
        assert_int_equal(c.action, CHAIR_ACTION_LOCK);
        assert_int_equal(parse("{\"action\":\"unlock\",\"pin\":\"01234567\"}", &c, msg, sizeof(msg)), CHAIR_OK);
        assert_string_equal(c.pin, "01234567");
        assert_int_equal(parse("{\"action\":\"start\",\"program\":\"deep-back\",\"switch\":true}", &c, msg,
                               sizeof(msg)), CHAIR_OK);
        assert_true(c.switch_program);

        /* the range of a level, not 0..100 */
        assert_int_equal(parse("{\"action\":\"set\",\"intensity\":3.5}", &c, msg, sizeof(msg)),
                         CHAIR_ERR_INVALID_VALUE);
        assert_non_null(strstr(msg, "1..5"));
}

static void test_did_you_mean(void **state) {
        static const struct {
                const char *json;
                enum chair_err err;
                const char *hint;          /* NULL: no suggestion */
        } dym_cases[] = {
                { "{\"action\":\"start\",\"program\":\"Lumbar-Relief\"}", CHAIR_ERR_UNKNOWN_PROGRAM, "\"lumbar-relief\"" },
                { "{\"action\":\"start\",\"program\":\"lumbar-relif\"}", CHAIR_ERR_UNKNOWN_PROGRAM, "\"lumbar-relief\"" },
                { "{\"action\":\"start\",\"program\":\"Deep back\"}", CHAIR_ERR_UNKNOWN_PROGRAM, "\"deep-back\"" },
                { "{\"action\":\"start\",\"program\":\"sauna\"}", CHAIR_ERR_UNKNOWN_PROGRAM, NULL },
                { "{\"action\":\"set\",\"focus\":\"l4\"}", CHAIR_ERR_INVALID_VALUE, "\"L4\"" },
                { "{\"action\":\"set\",\"focus\":\"t12\"}", CHAIR_ERR_INVALID_VALUE, "\"T12\"" },
                { "{\"action\":\"set\",\"focus\":\"neck\"}", CHAIR_ERR_INVALID_VALUE, NULL },
                { "{\"action\":\"recline\",\"position\":\"zero gravity\"}", CHAIR_ERR_INVALID_VALUE, "\"zero-gravity\"" },
        };
        for (size_t i = 0; i < sizeof(dym_cases) / sizeof(dym_cases[0]); i++) {
                struct chair_cmd c;
                char msg[256];
                assert_int_equal(parse(dym_cases[i].json, &c, msg, sizeof(msg)), dym_cases[i].err);
                const char *dym = strstr(msg, "did you mean ");
                if (!dym_cases[i].hint)
                        assert_null(dym);
                else {
                        assert_non_null(dym);
                        assert_non_null(strstr(dym, dym_cases[i].hint));
                }
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_table),
                cmocka_unit_test(test_every_action_named),
                cmocka_unit_test(test_err_codes),
                cmocka_unit_test(test_forget_profile),
                cmocka_unit_test(test_diary_actions),
                cmocka_unit_test(test_too_large),
                cmocka_unit_test(test_minutes_limited_by_config),
                cmocka_unit_test(test_id_too_long_and_not_nul_terminated),
                cmocka_unit_test(test_utf8),
                cmocka_unit_test(test_owner_actions),
                cmocka_unit_test(test_did_you_mean),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
