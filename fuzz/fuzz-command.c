/* SPDX-License-Identifier: MIT */
/*
 * fuzz-command: one MQTT payload on <base>/set, end to end.
 *
 * The bytes go through chair_cmd_parse_cfg() exactly as the MQTT bridge hands
 * them over (not NUL-terminated), the reply is encoded as the bridge would
 * publish it, and a command that parses is applied by the control step to an
 * idle chair and to a chair in the middle of a session (sim backend, shipped
 * config and programs).  Invariants: the reply is one JSON object whose "ok"
 * matches the verdict, every command gets exactly one result event, a refused
 * command changes no session, and every output stays finite and in range.
 *
 * Returns the parser's verdict (enum chair_err).
 */
#include <math.h>
#include <string.h>

#include <json-c/json.h>

#include "command.h"
#include "config.h"
#include "control.h"
#include "fuzzkit.h"
#include "hal-sim.h"
#include "program.h"
#include "report.h"

struct frig {
        struct chair_hal *hal;
        struct chair_ctl *ctl;
        uint64_t now_ns, period_ns;
        struct chair_inputs in;
        struct chair_outputs out;
        struct chair_event ev[CHAIR_MAX_EVENTS_PER_TICK];
        size_t n_ev;
        struct chair_status st;
};

static struct frig idle_rig, busy_rig;
static uint32_t next_token = 1;

static void frig_reset(struct frig *r) {
        const struct chair_config *cfg = fuzzkit_config();

        chair_ctl_free(r->ctl);
        chair_hal_free(r->hal);
        *r = (struct frig) { 0 };
        FUZZ_CHECK(chair_hal_sim_new(cfg, &r->hal) == 0);
        FUZZ_CHECK(chair_ctl_new(cfg, fuzzkit_programs(), &r->ctl) == 0);
        r->period_ns = 1000000000ull / cfg->control.rate_hz;
        r->now_ns = 1000000000ull;
        chair_ctl_status(r->ctl, &r->st);
}

static void frig_tick(struct frig *r, const struct chair_cmd *cmd) {
        const struct chair_config *cfg = fuzzkit_config();

        chair_hal_read(r->hal, r->now_ns, &r->in);
        r->n_ev = chair_ctl_step(r->ctl, r->now_ns, &r->in, cmd, cmd ? 1 : 0, &r->out, r->ev);
        FUZZ_CHECK(r->n_ev <= CHAIR_MAX_EVENTS_PER_TICK);
        chair_hal_write(r->hal, &r->out);
        chair_ctl_status(r->ctl, &r->st);
        r->now_ns += r->period_ns;
        FUZZ_CHECK((unsigned) r->st.state < _CHAIR_STATE_COUNT);
        for (int a = 0; a < _CHAIR_ACT_COUNT; a++) {
                float v = r->out.v[a];
                FUZZ_CHECK(isfinite(v) && v >= -1.0f && v <= 1.0f);
                /* an absent part is never driven */
                if (!cfg->hardware.outputs[a].present)
                        FUZZ_CHECK(v == cfg->hardware.outputs[a].safe || v == 0.0f);
        }
}

static bool in_session(enum chair_state s) {
        return s == CHAIR_STATE_SCANNING || s == CHAIR_STATE_RUNNING || s == CHAIR_STATE_PAUSED;
}

/* Idle, no latched fault: rebuilt whenever a command left it otherwise. */
static void ensure_idle(void) {
        if (idle_rig.ctl && idle_rig.st.state == CHAIR_STATE_IDLE && !idle_rig.st.faults_latched)
                return;
        frig_reset(&idle_rig);
        frig_tick(&idle_rig, NULL);
        FUZZ_CHECK(idle_rig.st.state == CHAIR_STATE_IDLE);
}

/* In a session (past the body scan): rebuilt and restarted when it left it.  Kept
 * between inputs because a restart costs a scan of several simulated seconds. */
static void ensure_session(void) {
        if (busy_rig.ctl && in_session(busy_rig.st.state) && busy_rig.st.state != CHAIR_STATE_SCANNING)
                return;
        frig_reset(&busy_rig);
        frig_tick(&busy_rig, NULL);
        struct chair_cmd start;
        chair_cmd_init(&start, CHAIR_ACTION_START);
        int idx = chair_programs_find(fuzzkit_programs(), "lumbar-relief");
        start.program = (int16_t) (idx >= 0 ? idx : 0);
        start.token = next_token++;
        frig_tick(&busy_rig, &start);
        for (unsigned i = 0; i < 120 * 50 && busy_rig.st.state != CHAIR_STATE_RUNNING; i++)
                frig_tick(&busy_rig, NULL);
        FUZZ_CHECK(busy_rig.st.state == CHAIR_STATE_RUNNING);
}

/* Apply cmd on a tick of its own plus two quiet ticks; check the answer. */
static void apply(struct frig *r, const struct chair_cmd *cmd_in) {
        struct chair_cmd cmd = *cmd_in;
        struct chair_status before = r->st;
        int results = 0;
        enum chair_err err = CHAIR_OK;

        cmd.token = next_token++;
        frig_tick(r, &cmd);
        for (size_t i = 0; i < r->n_ev; i++)
                if (r->ev[i].kind == CHAIR_EVENT_RESULT && r->ev[i].result.token == cmd.token) {
                        results++;
                        err = r->ev[i].result.err;
                        FUZZ_CHECK(r->ev[i].result.action == cmd.action);
                }
        FUZZ_CHECK(results == 1);
        FUZZ_CHECK((unsigned) err < _CHAIR_ERR_COUNT);
        if (err != CHAIR_OK) {
                /* A refused command starts nothing and swaps no program. */
                if (before.state == CHAIR_STATE_IDLE)
                        FUZZ_CHECK(!in_session(r->st.state));
                if (in_session(before.state))
                        FUZZ_CHECK(r->st.program == before.program);
        }
        frig_tick(r, NULL);
        frig_tick(r, NULL);
}

/* The reply the bridge would publish: one object, "ok" true exactly when accepted. */
static void check_reply(const char *id, enum chair_err e, const char *msg) {
        char *s = NULL;
        FUZZ_CHECK(chair_report_reply(id, e, msg[0] ? msg : NULL, &s) == 0 && s);
        json_object *o = json_tokener_parse(s);
        json_object *ok = NULL;
        FUZZ_CHECK(o && json_object_is_type(o, json_type_object));
        FUZZ_CHECK(json_object_object_get_ex(o, "ok", &ok));
        FUZZ_CHECK(json_object_get_boolean(ok) == (e == CHAIR_OK));
        if (id[0]) {
                json_object *idv = NULL;
                FUZZ_CHECK(json_object_object_get_ex(o, "id", &idv));
        }
        json_object_put(o);
        free(s);
}

int fuzz_command_one(const uint8_t *data, size_t size) {
        const struct chair_config *cfg = fuzzkit_config();
        const struct chair_programs *progs = fuzzkit_programs();
        struct chair_cmd cmd;
        char id[CHAIR_CMD_ID_MAX], msg[256];

        enum chair_err e = chair_cmd_parse_cfg((const char *) data, size, cfg, progs, &cmd, id,
                                               sizeof(id), msg, sizeof(msg));
        FUZZ_CHECK((unsigned) e < _CHAIR_ERR_COUNT);
        FUZZ_CHECK(memchr(id, 0, sizeof(id)) && memchr(msg, 0, sizeof(msg)));
        if (e != CHAIR_OK)
                FUZZ_CHECK(msg[0] != 0);
        check_reply(id, e, msg);
        if (e != CHAIR_OK)
                return e;
        /* What the main loop answers itself never reaches the step (daemon/mqtt-bridge.c):
         * diag, forget_profile, and a start whose profile has no program yet. */
        if (cmd.action == CHAIR_ACTION_DIAG || cmd.action == CHAIR_ACTION_FORGET_PROFILE)
                return e;
        /* the pain diary's actions (daemon/history.c): in range for lib/diary.c */
        if (cmd.action == CHAIR_ACTION_RATE || cmd.action == CHAIR_ACTION_HISTORY ||
            cmd.action == CHAIR_ACTION_SUGGEST) {
                FUZZ_CHECK(cmd.action != CHAIR_ACTION_RATE ||
                           (cmd.pain >= 0 && cmd.pain <= 10 && cmd.phase >= 0 && cmd.phase <= 2));
                FUZZ_CHECK(cmd.days >= 1 && cmd.days <= CHAIR_CMD_MAX_DAYS);
                return e;
        }
        if (cmd.action == CHAIR_ACTION_START && cmd.program == CHAIR_UNSET) {
                FUZZ_CHECK(cmd.profile[0] != 0);   /* only a profile may leave the program out */
                return e;
        }

        /* What the parser let through must be in range for the control step. */
        FUZZ_CHECK((unsigned) cmd.action < _CHAIR_ACTION_COUNT);
        if (cmd.action == CHAIR_ACTION_START)
                FUZZ_CHECK(cmd.program >= 0 && (size_t) cmd.program < progs->n);
        FUZZ_CHECK(cmd.intensity == CHAIR_UNSET || (cmd.intensity >= 1 && cmd.intensity <= 5));
        FUZZ_CHECK(cmd.speed == CHAIR_UNSET || (cmd.speed >= 1 && cmd.speed <= 5));
        FUZZ_CHECK(cmd.minutes == CHAIR_UNSET ||
                   (cmd.minutes >= 1 && (uint32_t) cmd.minutes <= cfg->safety.max_session_min));

        ensure_idle();
        apply(&idle_rig, &cmd);
        ensure_session();
        apply(&busy_rig, &cmd);
        return e;
}
