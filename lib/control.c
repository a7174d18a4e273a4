/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "childlock.h"
#include "config.h"
#include "control.h"
#include "counters.h"
#include "program.h"
#include "safety.h"
#include "sequencer.h"
#include "shaping.h"
#include "strtab.h"

/* The carriage encoder has one channel: the direction of travel is taken from a
 * model of the motor's response to the drive (same lag as the motor's), so the
 * pulses that arrive while it slows down after a reversal count the right way. */
#define CARRIAGE_MOTOR_TAU_S 0.05
/* A gap between ticks larger than this is integrated as this much (a stalled
 * thread must not make the controller jump). */
#define MAX_DT_S 0.1
/* A session paused for longer than this ends. */
#define MAX_PAUSE_S (10 * 60)
/* A recline part within this of a preset's position is "at" the preset: wider
 * than the position loop's deadband (lib/shaping.c RECLINE_DEADBAND). */
#define RECLINE_AT_PRESET 0.03f

struct chair_ctl {
        const struct chair_config *cfg;
        const struct chair_programs *progs;

        struct chair_seq seq;
        struct chair_safety safety;
        struct chair_shaper shaper;

        struct chair_inputs in;
        struct chair_outputs out;       /* written on the previous tick */

        uint64_t last_ns;
        bool have_time;
        uint32_t last_pulses;
        bool have_pulses;
        float carriage_mm;
        double carriage_vel;            /* modelled motor response, -1..1 */

        double unoccupied_s;
        enum chair_end_reason end_reason;
        uint32_t emitted_faults;        /* latched faults already reported as events */
        /* What the chair was doing when the faults not yet reported were detected
         * (noted before the supervisor's reaction changes it). */
        struct chair_fault_where where;
        bool where_noted;

        /* Recline commanded while no session runs. */
        enum chair_recline idle_recline;
        enum chair_recline idle_target;     /* ...and where it went, kept after it arrived */

        struct chair_lock lock;         /* child lock (design C3) */
        bool occupant_away;             /* occupant_left reported, occupant_returned not yet */
        uint8_t backrest_pct, legrest_pct;   /* reported positions, moved by >= 1 % */

        uint64_t ticks;
        uint64_t events_dropped;
        enum chair_state state;

        struct chair_selftest selftest;
        struct chair_counter_tracker counters;
};

static const char *const state_names[_CHAIR_STATE_COUNT] = {
        [CHAIR_STATE_IDLE] = "idle",
        [CHAIR_STATE_SCANNING] = "scanning",
        [CHAIR_STATE_RUNNING] = "running",
        [CHAIR_STATE_PAUSED] = "paused",
        [CHAIR_STATE_ENDING] = "ending",
        [CHAIR_STATE_FAULT] = "fault",
};

CHAIR_DEFINE_NAME(chair_state_name, enum chair_state, state_names, "unknown")

const char *chair_end_reason_name(enum chair_end_reason r) {
        switch (r) {
        case CHAIR_END_COMPLETED: return "completed";
        case CHAIR_END_STOPPED: return "stopped";
        case CHAIR_END_FAULT: return "fault";
        case CHAIR_END_LEFT: return "left";
        case CHAIR_END_SHUTDOWN: return "shutdown";
        case CHAIR_END_SWITCHED: return "switched";
        }
        return "unknown";
}

const char *chair_recline_state_name(enum chair_recline r) {
        if (r == CHAIR_RECLINE_MOVING)
                return "moving";
        if (r == CHAIR_RECLINE_CUSTOM)
                return "custom";
        return chair_recline_name(r);
}

const char *chair_pause_reason_name(enum chair_pause_reason r) {
        return r == CHAIR_PAUSE_OCCUPANT_LEFT ? "occupant_left" : "owner";
}

int chair_ctl_new(const struct chair_config *cfg, const struct chair_programs *progs, struct chair_ctl **ret) {
        struct chair_ctl *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->cfg = cfg;
        c->progs = progs;
        chair_seq_init(&c->seq);
        chair_safety_init(&c->safety);
        chair_shaper_init(&c->shaper, cfg);
        chair_selftest_init(&c->selftest, cfg);
        chair_counter_tracker_init(&c->counters);
        chair_outputs_safe(cfg, &c->out);
        c->idle_recline = CHAIR_RECLINE_KEEP;
        c->idle_target = CHAIR_RECLINE_KEEP;
        c->state = CHAIR_STATE_IDLE;
        *ret = c;
        return 0;
}

struct chair_ctl *chair_ctl_free(struct chair_ctl *c) {
        free(c);
        return NULL;
}

int chair_ctl_set_locked(struct chair_ctl *c, bool locked) {
        if (locked && !chair_pin_valid(c->cfg->owner.pin))
                return -EINVAL;
        c->lock.locked = locked;
        return 0;
}

int chair_ctl_set_programs(struct chair_ctl *c, const struct chair_programs *progs) {
        if (chair_seq_active(&c->seq))
                return -EBUSY;
        c->progs = progs;
        return 0;
}

/* ---- events ---------------------------------------------------------- */

struct evbuf {
        struct chair_event *v;
        size_t n;
        uint64_t now;
        uint64_t *dropped;
        size_t cmds_left;               /* commands after the one being applied (their results need room) */
};

/* The budget of control.h, checked where the events are made.  Raised and
 * cleared once per fault; the most a command causes is a switch: its result,
 * session_ended, program_switched, session_started and the first step. */
_Static_assert(CHAIR_MAX_EVENTS_PER_TICK >= CHAIR_MAX_CMDS_PER_TICK * CHAIR_EVENTS_PER_CMD +
                                            2 * _CHAIR_FAULT_COUNT + CHAIR_EVENTS_PER_TICK_SESSION,
               "event budget too small for what one tick can produce");
_Static_assert(CHAIR_EVENTS_PER_CMD >= 5, "a switch's result and its four events must fit");

/* Room for k more events besides one result per command still to come (a
 * second line of defence: within the budget above it always holds). */
static bool ev_room(const struct evbuf *b, size_t k) {
        return b->n + k + b->cmds_left + 1 <= CHAIR_MAX_EVENTS_PER_TICK;
}

static struct chair_event *ev_push(struct evbuf *b, enum chair_event_kind k) {
        if (b->n >= CHAIR_MAX_EVENTS_PER_TICK) {
                /* Cannot happen within the budget; counted so it is never silent. */
                if (b->dropped)
                        (*b->dropped)++;
                return NULL;
        }
        struct chair_event *e = &b->v[b->n++];
        memset(e, 0, sizeof(*e));
        e->kind = k;
        e->at_ns = b->now;
        return e;
}

static void ev_result(struct evbuf *b, const struct chair_cmd *cmd, enum chair_err err, int32_t detail) {
        struct chair_event *e = ev_push(b, CHAIR_EVENT_RESULT);
        if (!e)
                return;
        e->result.token = cmd->token;
        e->result.action = cmd->action;
        e->result.err = err;
        e->result.detail = detail;
}

static void ev_simple(struct evbuf *b, enum chair_event_kind k) {
        ev_push(b, k);
}

static void ev_paused(struct evbuf *b, enum chair_pause_reason why) {
        struct chair_event *e = ev_push(b, CHAIR_EVENT_PAUSED);
        if (e)
                e->paused.reason = why;
}

static void end_session(struct chair_ctl *c, struct evbuf *b, enum chair_end_reason why, bool at_once) {
        if (!chair_seq_active(&c->seq))
                return;
        /* A session already ending announced its end when it began to: a fault or
         * stop while parking must not report a second session_ended. */
        struct chair_event *e = c->seq.phase == CHAIR_SEQ_ENDING ? NULL : ev_push(b, CHAIR_EVENT_SESSION_ENDED);
        if (e) {
                e->ended.reason = why;
                e->ended.elapsed_s = (float) c->seq.elapsed_s;
        }
        if (at_once)
                chair_seq_abort(&c->seq);
        else {
                c->end_reason = why;
                chair_seq_end(&c->seq);
        }
}

/* ---- commands ---------------------------------------------------------- */

static bool occupancy_ok(const struct chair_ctl *c) {
        return !c->cfg->safety.occupancy_required || !c->cfg->hardware.inputs.occupancy.set || c->in.occupied;
}

static uint8_t or_default(int8_t v, uint8_t def) {
        return v == CHAIR_UNSET ? def : (uint8_t) v;
}

static enum chair_err cmd_start(struct chair_ctl *c, const struct chair_cmd *cmd, struct evbuf *b) {
        const struct chair_config *cfg = c->cfg;
        /* design C3: a switch ends the running session and starts the new program
         * on the body already scanned; a session still scanning or ending has no
         * scan to keep, and is busy like any other start. */
        bool switching = cmd->switch_program && chair_seq_active(&c->seq) && c->seq.scanned &&
                         (c->seq.phase == CHAIR_SEQ_RUNNING || c->seq.phase == CHAIR_SEQ_PAUSED);
        int16_t from = c->seq.prog_index;

        if (chair_seq_active(&c->seq) && !switching)
                return CHAIR_ERR_BUSY;
        /* A switch reports four events and its result; a burst of switches in
         * one tick must not crowd out the results of the commands after it. */
        if (switching && !ev_room(b, 4))
                return CHAIR_ERR_BUSY;
        if (chair_safety_stopping(&c->safety) || c->in.estop)
                return CHAIR_ERR_FAULT_ACTIVE;
        if (!c->progs || cmd->program < 0 || (size_t) cmd->program >= c->progs->n)
                return CHAIR_ERR_UNKNOWN_PROGRAM;
        if (!occupancy_ok(c))
                return CHAIR_ERR_NOT_OCCUPIED;
        if (cmd->minutes != CHAIR_UNSET && (cmd->minutes < 1 || (uint32_t) cmd->minutes > cfg->safety.max_session_min))
                return CHAIR_ERR_INVALID_VALUE;
        if ((cmd->intensity != CHAIR_UNSET && (cmd->intensity < 1 || cmd->intensity > 5)) ||
            (cmd->speed != CHAIR_UNSET && (cmd->speed < 1 || cmd->speed > 5)) ||
            (cmd->focus != CHAIR_UNSET && cmd->focus != CHAIR_FOCUS_CLEAR &&
             (cmd->focus < 0 || cmd->focus >= _CHAIR_LM_COUNT)))
                return CHAIR_ERR_INVALID_VALUE;
        if (cmd->heat == 1 && !cfg->hardware.outputs[CHAIR_ACT_HEATER].present)
                return CHAIR_ERR_UNSUPPORTED;

        const struct chair_program *p = &c->progs->v[cmd->program];
        uint32_t minutes = cmd->minutes != CHAIR_UNSET ? (uint32_t) cmd->minutes : p->default_minutes;
        /* Rule 3: the cap holds whatever the program's default says. */
        if (minutes > cfg->safety.max_session_min)
                minutes = cfg->safety.max_session_min;
        bool heat = cmd->heat == CHAIR_UNSET ? cfg->hardware.outputs[CHAIR_ACT_HEATER].present : cmd->heat == 1;

        if (switching) {
                struct chair_event *e;
                /* the old session's end, then the switch, then the new start */
                end_session(c, b, CHAIR_END_SWITCHED, true);
                e = ev_push(b, CHAIR_EVENT_PROGRAM_SWITCHED);
                if (e) {
                        e->switched.from = from;
                        e->switched.to = cmd->program;
                }
        }
        chair_seq_start(&c->seq, cfg, p, cmd->program, minutes, or_default(cmd->intensity, 3),
                        or_default(cmd->speed, 3), heat, cmd->focus >= 0 ? cmd->focus : -1);
        if (switching)
                chair_seq_start_scanned(&c->seq);
        c->idle_recline = CHAIR_RECLINE_KEEP;
        c->idle_target = CHAIR_RECLINE_KEEP;
        c->occupant_away = false;
        c->unoccupied_s = 0;
        c->end_reason = CHAIR_END_COMPLETED;

        struct chair_event *e = ev_push(b, CHAIR_EVENT_SESSION_STARTED);
        if (e) {
                e->started.program = cmd->program;
                e->started.planned_s = minutes * 60u;
        }
        /* No scan after a switch: the first step begins now (the tick reports
         * only the steps it moves on to). */
        if (switching && (e = ev_push(b, CHAIR_EVENT_STEP))) {
                e->step.index = 1;
                e->step.technique = p->steps[0].technique;
        }
        return CHAIR_OK;
}

/* design C3: more time for a running session, within safety.max_session_min.
 * *detail: the most minutes that could be added (for the refusal's message). */
static enum chair_err cmd_extend(struct chair_ctl *c, const struct chair_cmd *cmd, int32_t *detail) {
        struct chair_seq *s = &c->seq;
        uint32_t cap_s = c->cfg->safety.max_session_min * 60u;

        if (!chair_seq_active(s) || s->phase == CHAIR_SEQ_ENDING)
                return CHAIR_ERR_NOT_RUNNING;
        /* whole minutes only: the room left under the cap, rounded down */
        int32_t room = s->planned_s < cap_s ? (int32_t) ((cap_s - s->planned_s) / 60u) : 0;
        *detail = room;
        if (cmd->minutes < 1 || cmd->minutes > room)
                return CHAIR_ERR_INVALID_VALUE;
        chair_seq_extend(s, (uint32_t) cmd->minutes * 60u);
        return CHAIR_OK;
}

/* design C3: on to the next step; after the last, the closing phase.
 * *detail = 1 when that was the last step. */
static enum chair_err cmd_skip(struct chair_ctl *c, struct evbuf *b, int32_t *detail) {
        struct chair_seq *s = &c->seq;

        /* the steps are laid out once the scan is done: before, there is no step to skip */
        if (s->phase != CHAIR_SEQ_RUNNING && !(s->phase == CHAIR_SEQ_PAUSED && s->resume_phase == CHAIR_SEQ_RUNNING))
                return CHAIR_ERR_NOT_RUNNING;
        if (s->step + 1u >= s->prog->n_steps) {
                *detail = 1;
                end_session(c, b, CHAIR_END_COMPLETED, false);
                return CHAIR_OK;
        }
        chair_seq_skip(s);
        return CHAIR_OK;
}

static enum chair_err cmd_lock(struct chair_ctl *c, struct evbuf *b) {
        bool changed;
        enum chair_err e = chair_lock_on(&c->lock, c->cfg->owner.pin, &changed);
        if (changed)
                ev_simple(b, CHAIR_EVENT_LOCKED);
        return e;
}

static enum chair_err cmd_unlock(struct chair_ctl *c, const struct chair_cmd *cmd, struct evbuf *b,
                                 int32_t *detail) {
        bool changed;
        enum chair_err e = chair_lock_off(&c->lock, c->cfg->owner.pin, cmd->pin, b->now, &changed, detail);
        if (changed)
                ev_simple(b, CHAIR_EVENT_UNLOCKED);
        return e;
}

static enum chair_err cmd_set(struct chair_ctl *c, const struct chair_cmd *cmd) {
        struct chair_seq *s = &c->seq;

        if (!chair_seq_active(s) || s->phase == CHAIR_SEQ_ENDING)
                return CHAIR_ERR_NOT_RUNNING;
        if ((cmd->intensity != CHAIR_UNSET && (cmd->intensity < 1 || cmd->intensity > 5)) ||
            (cmd->speed != CHAIR_UNSET && (cmd->speed < 1 || cmd->speed > 5)) ||
            (cmd->focus != CHAIR_UNSET && cmd->focus != CHAIR_FOCUS_CLEAR &&
             (cmd->focus < 0 || cmd->focus >= _CHAIR_LM_COUNT)))
                return CHAIR_ERR_INVALID_VALUE;
        if ((cmd->intensity_delta != 0 && cmd->intensity != CHAIR_UNSET) ||
            (cmd->speed_delta != 0 && cmd->speed != CHAIR_UNSET) ||
            cmd->intensity_delta < -4 || cmd->intensity_delta > 4 || cmd->speed_delta < -4 || cmd->speed_delta > 4)
                return CHAIR_ERR_INVALID_VALUE;
        if (cmd->heat == 1 && !c->cfg->hardware.outputs[CHAIR_ACT_HEATER].present)
                return CHAIR_ERR_UNSUPPORTED;
        if (cmd->intensity != CHAIR_UNSET)
                chair_seq_set_intensity(s, cmd->intensity);
        if (cmd->speed != CHAIR_UNSET)
                chair_seq_set_speed(s, cmd->speed);
        /* design C3: relative changes, the result clamped to 1..5 */
        if (cmd->intensity_delta != 0)
                chair_seq_change_intensity(s, cmd->intensity_delta);
        if (cmd->speed_delta != 0)
                chair_seq_change_speed(s, cmd->speed_delta);
        if (cmd->heat != CHAIR_UNSET)
                chair_seq_set_heat(s, cmd->heat == 1);
        if (cmd->focus == CHAIR_FOCUS_CLEAR)
                chair_seq_set_focus(s, -1);
        else if (cmd->focus != CHAIR_UNSET)
                chair_seq_set_focus(s, cmd->focus);
        return CHAIR_OK;
}

static enum chair_err cmd_recline(struct chair_ctl *c, const struct chair_cmd *cmd) {
        const struct chair_config *cfg = c->cfg;

        if (cmd->recline < 0 || cmd->recline >= _CHAIR_RECLINE_COUNT)
                return CHAIR_ERR_INVALID_VALUE;
        if (!cfg->hardware.outputs[CHAIR_ACT_BACKREST].present || !cfg->hardware.inputs.backrest_pos.set)
                return CHAIR_ERR_UNSUPPORTED;
        if (chair_safety_stopping(&c->safety))
                return CHAIR_ERR_FAULT_ACTIVE;
        /* Rule 7: never toward a closed obstacle sensor.  Coming upright is allowed. */
        if (c->in.obstacle && cmd->recline != CHAIR_RECLINE_UPRIGHT)
                return CHAIR_ERR_OBSTACLE;
        if (chair_seq_active(&c->seq))
                chair_seq_set_recline(&c->seq, cmd->recline);
        else {
                c->idle_recline = cmd->recline;
                c->idle_target = cmd->recline;
        }
        return CHAIR_OK;
}

static enum chair_err cmd_clear(struct chair_ctl *c, struct evbuf *b) {
        uint32_t before = c->safety.latched;
        uint32_t left = chair_safety_clear(&c->safety, c->cfg, &c->in);

        for (int f = 0; f < _CHAIR_FAULT_COUNT; f++)
                if ((before & ~left) & (1u << f)) {
                        struct chair_event *e = ev_push(b, CHAIR_EVENT_FAULT_CLEARED);
                        if (e)
                                e->fault.code = f;
                }
        c->emitted_faults &= left;
        return left ? CHAIR_ERR_FAULT_ACTIVE : CHAIR_OK;
}

/* ---- self-test (lib/selftest.c runs it; the supervisor keeps the last word) ---- */

static void selftest_report(struct chair_ctl *c, struct evbuf *b) {
        struct chair_event *e = ev_push(b, CHAIR_EVENT_SELF_TEST);
        if (e)
                e->self_test = *chair_selftest_report(&c->selftest);
}

static void selftest_abort(struct chair_ctl *c, struct evbuf *b, enum chair_st_reason why) {
        if (!chair_selftest_running(&c->selftest))
                return;
        chair_selftest_abort(&c->selftest, why);
        selftest_report(c, b);
}

static enum chair_err cmd_self_test(struct chair_ctl *c) {
        if (chair_seq_active(&c->seq) || c->idle_recline != CHAIR_RECLINE_KEEP || chair_selftest_running(&c->selftest))
                return CHAIR_ERR_BUSY;
        if (chair_safety_stopping(&c->safety))
                return CHAIR_ERR_FAULT_ACTIVE;
        switch (chair_selftest_start(&c->selftest, &c->in)) {
        case CHAIR_ST_OK:
                c->counters.total.self_tests++;
                return CHAIR_OK;
        case CHAIR_ST_ABORT_ESTOP:
                return CHAIR_ERR_FAULT_ACTIVE;
        case CHAIR_ST_ABORT_OBSTACLE:
                return CHAIR_ERR_OBSTACLE;
        case CHAIR_ST_ABORT_OCCUPIED:
                return CHAIR_ERR_OCCUPIED;
        default:
                return CHAIR_ERR_BUSY;
        }
}

/* While a self-test runs it owns the outputs; a stop button or stopping fault ends it. */
static void selftest_tick(struct chair_ctl *c, struct evbuf *b, const struct chair_inputs *in, double dt,
                          struct chair_outputs *out) {
        if (in->estop || chair_safety_stopping(&c->safety)) {
                selftest_abort(c, b, in->estop ? CHAIR_ST_ABORT_ESTOP : CHAIR_ST_ABORT_STOPPED);
                chair_outputs_safe(c->cfg, out);
                return;
        }
        if (chair_selftest_step(&c->selftest, in, dt, out))
                selftest_report(c, b);
}

static void apply_cmd(struct chair_ctl *c, const struct chair_cmd *cmd, struct evbuf *b) {
        enum chair_err err = CHAIR_OK;
        int32_t detail = 0;

        if (!chair_lock_allows(&c->lock, cmd->action)) {
                ev_result(b, cmd, CHAIR_ERR_LOCKED, 0);
                return;
        }
        if (chair_selftest_running(&c->selftest) &&
            (cmd->action == CHAIR_ACTION_START || cmd->action == CHAIR_ACTION_RECLINE)) {
                ev_result(b, cmd, CHAIR_ERR_BUSY, 0);
                return;
        }
        switch (cmd->action) {
        case CHAIR_ACTION_START:
                err = cmd_start(c, cmd, b);
                break;
        case CHAIR_ACTION_STOP:
                /* Stop always succeeds, also when nothing runs: it is a safety command. */
                end_session(c, b, CHAIR_END_STOPPED, true);
                c->idle_recline = CHAIR_RECLINE_KEEP;
                c->idle_target = CHAIR_RECLINE_KEEP;
                selftest_abort(c, b, CHAIR_ST_ABORT_STOPPED);
                break;
        case CHAIR_ACTION_PAUSE: {
                bool was = c->seq.phase == CHAIR_SEQ_PAUSED;
                if (!chair_seq_pause(&c->seq))
                        err = CHAIR_ERR_NOT_RUNNING;
                else if (!was)
                        ev_paused(b, CHAIR_PAUSE_OWNER);
                break;
        }
        case CHAIR_ACTION_RESUME:
                if (chair_seq_active(&c->seq) && c->seq.phase != CHAIR_SEQ_PAUSED &&
                    c->seq.phase != CHAIR_SEQ_ENDING)
                        detail = 1;     /* running already: nothing to do, and the reply says so */
                else if (c->seq.phase != CHAIR_SEQ_PAUSED)
                        err = CHAIR_ERR_NOT_RUNNING;
                else if (chair_safety_stopping(&c->safety))
                        err = CHAIR_ERR_FAULT_ACTIVE;
                else if (!occupancy_ok(c))
                        err = CHAIR_ERR_NOT_OCCUPIED;
                else {
                        chair_seq_resume(&c->seq);
                        c->unoccupied_s = 0;
                        ev_simple(b, CHAIR_EVENT_RESUMED);
                }
                break;
        case CHAIR_ACTION_SET:
                err = cmd_set(c, cmd);
                break;
        case CHAIR_ACTION_RECLINE:
                err = cmd_recline(c, cmd);
                break;
        case CHAIR_ACTION_CLEAR_FAULTS:
                err = cmd_clear(c, b);
                break;
        case CHAIR_ACTION_SELF_TEST:
                err = cmd_self_test(c);
                break;
        case CHAIR_ACTION_EXTEND:
                err = cmd_extend(c, cmd, &detail);
                break;
        case CHAIR_ACTION_SKIP:
                err = cmd_skip(c, b, &detail);
                break;
        case CHAIR_ACTION_LOCK:
                err = cmd_lock(c, b);
                break;
        case CHAIR_ACTION_UNLOCK:
                err = cmd_unlock(c, cmd, b, &detail);
                break;
        default:
                err = CHAIR_ERR_UNKNOWN_ACTION;
                break;
        }
        ev_result(b, cmd, err, detail);
}

/* ---- the tick ---------------------------------------------------------- */

static void estimate_carriage(struct chair_ctl *c, const struct chair_inputs *in, uint32_t pulses, double dt) {
        const struct chair_geometry *g = &c->cfg->hardware.geometry;
        double a = dt / CARRIAGE_MOTOR_TAU_S;

        if (a > 1)
                a = 1;
        c->carriage_vel += (c->out.v[CHAIR_ACT_CARRIAGE] - c->carriage_vel) * a;
        float dir = c->carriage_vel > 0 ? 1.0f : c->carriage_vel < 0 ? -1.0f : 0.0f;
        c->carriage_mm += dir * (float) pulses * g->mm_per_pulse;
        if (in->carriage_home)
                c->carriage_mm = 0;
        if (in->carriage_end)
                c->carriage_mm = g->track_mm;
        if (c->carriage_mm < 0)
                c->carriage_mm = 0;
        if (c->carriage_mm > g->track_mm)
                c->carriage_mm = g->track_mm;
}

static enum chair_state current_state(const struct chair_ctl *c) {
        if (chair_safety_stopping(&c->safety))
                return CHAIR_STATE_FAULT;
        switch (c->seq.phase) {
        case CHAIR_SEQ_HOMING:
        case CHAIR_SEQ_SCAN:
        case CHAIR_SEQ_RETRACT:
                return CHAIR_STATE_SCANNING;
        case CHAIR_SEQ_RUNNING:
                return CHAIR_STATE_RUNNING;
        case CHAIR_SEQ_PAUSED:
                return CHAIR_STATE_PAUSED;
        case CHAIR_SEQ_ENDING:
                return CHAIR_STATE_ENDING;
        case CHAIR_SEQ_IDLE:
                break;
        }
        return CHAIR_STATE_IDLE;
}

/* Note what the chair is doing for the next fault events, unless a note is
 * already waiting (the first detection's view is the one that counts). */
static void note_fault_where(struct chair_ctl *c) {
        const struct chair_seq *s = &c->seq;
        bool session = chair_seq_active(s);

        if (c->where_noted)
                return;
        c->where = (struct chair_fault_where) {
                .state = c->state,
                .program = session ? s->prog_index : -1,
                .step = session && (s->phase == CHAIR_SEQ_RUNNING || s->phase == CHAIR_SEQ_PAUSED ||
                                    s->phase == CHAIR_SEQ_ENDING) ? (uint16_t) (s->step + 1) : 0,
                .steps = session && s->prog ? (uint16_t) s->prog->n_steps : 0,
                .elapsed_s = session ? (float) s->elapsed_s : 0,
        };
        c->where_noted = true;
}

static void emit_faults(struct chair_ctl *c, struct evbuf *b) {
        uint32_t fresh = c->safety.latched & ~c->emitted_faults;

        if (fresh == 0) {       /* runs twice a tick: the usual case in one compare */
                chair_safety_ack_raised(&c->safety);
                c->where_noted = false;     /* a note for a fault already reported goes stale */
                return;
        }
        note_fault_where(c);
        for (int f = 0; f < _CHAIR_FAULT_COUNT && (fresh >> f) != 0; f++)
                if (fresh & (1u << f)) {
                        struct chair_event *e = ev_push(b, CHAIR_EVENT_FAULT);
                        if (!e)
                                return;
                        e->fault.code = f;
                        e->fault.where = c->where;
                        c->emitted_faults |= 1u << f;
                }
        c->where_noted = false;
        chair_safety_ack_raised(&c->safety);
}

static void occupancy(struct chair_ctl *c, struct evbuf *b, double dt) {
        struct chair_seq *s = &c->seq;

        if (!chair_seq_active(s) || s->phase == CHAIR_SEQ_ENDING) {
                c->occupant_away = false;
                return;
        }
        if (occupancy_ok(c)) {
                c->unoccupied_s = 0;
                if (c->occupant_away) {
                        c->occupant_away = false;
                        ev_simple(b, CHAIR_EVENT_OCCUPANT_RETURNED);
                }
                return;
        }
        /* Rule 6: pause at once; end after the grace period.  Resuming takes the
         * owner's resume: a chair must not start moving when someone sits down. */
        if (!c->occupant_away) {
                c->occupant_away = true;
                ev_simple(b, CHAIR_EVENT_OCCUPANT_LEFT);
                if (s->phase != CHAIR_SEQ_PAUSED)
                        ev_paused(b, CHAIR_PAUSE_OCCUPANT_LEFT);
        }
        chair_seq_pause(s);
        c->unoccupied_s += dt;
        if (c->unoccupied_s > c->cfg->safety.occupant_grace_s)
                end_session(c, b, CHAIR_END_LEFT, false);
}

/* A position in whole per cent that moves only when the reading is a full
 * per cent away: a reading sitting on a rounding edge must not make the state
 * flap (design C3: positions change the state by >= 1 %). */
static uint8_t follow_pct(uint8_t pct, float v) {
        if (!(v >= 0))          /* also NaN */
                v = 0;
        if (v > 1)
                v = 1;
        float x = v * 100.0f;
        if (x >= pct + 1.0f || x <= pct - 1.0f)
                return (uint8_t) lroundf(x);
        return pct;
}

size_t chair_ctl_step(struct chair_ctl *c, uint64_t now_ns, const struct chair_inputs *in,
                      const struct chair_cmd *cmds, size_t n_cmds,
                      struct chair_outputs *out, struct chair_event *ev) {
        const struct chair_config *cfg = c->cfg;
        struct evbuf b = { .v = ev, .n = 0, .now = now_ns, .dropped = &c->events_dropped };
        struct chair_seq_out so;
        double dt = 0;
        uint32_t pulses = 0;

        if (c->have_time && now_ns > c->last_ns)
                dt = (double) (now_ns - c->last_ns) / 1e9;
        if (dt > MAX_DT_S)
                dt = MAX_DT_S;
        c->last_ns = now_ns;
        c->have_time = true;
        if (c->have_pulses)
                pulses = in->encoder_pulses - c->last_pulses;   /* wraps correctly */
        c->last_pulses = in->encoder_pulses;
        c->have_pulses = true;
        c->in = *in;
        c->ticks++;

        estimate_carriage(c, in, pulses, dt);

        chair_safety_set_homing(&c->safety, c->seq.phase == CHAIR_SEQ_HOMING ||
                                            (c->seq.phase == CHAIR_SEQ_ENDING && !c->seq.carriage_parked));
        chair_safety_detect(&c->safety, cfg, in, pulses, &c->out, dt);
        if (c->safety.latched & ~c->emitted_faults)
                note_fault_where(c);    /* before the reaction below ends the session */
        if (chair_safety_stopping(&c->safety)) {
                /* Nothing resumes by itself after a stopping fault, not even a recline. */
                end_session(c, &b, CHAIR_END_FAULT, true);
                c->idle_recline = CHAIR_RECLINE_KEEP;
                c->idle_target = CHAIR_RECLINE_KEEP;
        }
        emit_faults(c, &b);

        if (n_cmds > CHAIR_MAX_CMDS_PER_TICK) {
                c->events_dropped += n_cmds - CHAIR_MAX_CMDS_PER_TICK;   /* their results */
                n_cmds = CHAIR_MAX_CMDS_PER_TICK;
        }
        for (size_t i = 0; i < n_cmds; i++) {
                b.cmds_left = n_cmds - i - 1;
                apply_cmd(c, &cmds[i], &b);
        }

        occupancy(c, &b, dt);
        if (c->seq.phase == CHAIR_SEQ_PAUSED && c->seq.paused_s > MAX_PAUSE_S)
                end_session(c, &b, CHAIR_END_STOPPED, false);

        bool was_ending = c->seq.phase == CHAIR_SEQ_ENDING;
        bool finished = chair_seq_tick(&c->seq, cfg, in, c->carriage_mm, dt, &so);
        if (!was_ending && (c->seq.phase == CHAIR_SEQ_ENDING || finished)) {
                /* The massage time ran out this tick (on a chair with nothing to
                 * park, the ending phase may also have finished in the same tick). */
                struct chair_event *e = ev_push(&b, CHAIR_EVENT_SESSION_ENDED);
                if (e) {
                        e->ended.reason = CHAIR_END_COMPLETED;
                        e->ended.elapsed_s = (float) c->seq.elapsed_s;
                }
        }
        if (c->seq.step_changed && c->seq.phase == CHAIR_SEQ_RUNNING) {
                struct chair_event *e = ev_push(&b, CHAIR_EVENT_STEP);
                if (e) {
                        e->step.index = (uint16_t) (c->seq.step + 1);   /* 1-based, as in the state */
                        e->step.technique = c->seq.prog->steps[c->seq.step].technique;
                }
        }
        if (c->seq.scanned && c->seq.phase == CHAIR_SEQ_RUNNING && c->seq.step_changed && c->seq.step == 0) {
                struct chair_event *e = ev_push(&b, CHAIR_EVENT_SCAN_DONE);
                if (e)
                        e->scan.shoulder_mm = c->seq.body.shoulder_mm;
        }

        /* Recline on command while no session runs. */
        bool idle_recline = false;
        if (!chair_seq_active(&c->seq) && c->idle_recline != CHAIR_RECLINE_KEEP) {
                float br, lr;
                memset(&so, 0, sizeof(so));
                so.backrest = so.legrest = NAN;
                chair_seq_recline_position(c->idle_recline, &br, &lr);
                if (cfg->hardware.outputs[CHAIR_ACT_BACKREST].present)
                        so.backrest = br;
                if (cfg->hardware.outputs[CHAIR_ACT_LEGREST].present)
                        so.legrest = lr;
                idle_recline = true;
        }

        bool paused = c->seq.phase == CHAIR_SEQ_PAUSED;
        bool force_safe = chair_safety_stopping(&c->safety) || paused ||
                          (!chair_seq_active(&c->seq) && !idle_recline);

        chair_shaper_run(&c->shaper, cfg, &so, in, c->carriage_mm, dt, out);
        if (idle_recline) {
                /* Only the recline moves: everything else stays at its safe value. */
                float br = out->v[CHAIR_ACT_BACKREST], lr = out->v[CHAIR_ACT_LEGREST];
                chair_outputs_safe(cfg, out);
                out->v[CHAIR_ACT_BACKREST] = br;
                out->v[CHAIR_ACT_LEGREST] = lr;
                if (br == 0.0f && lr == 0.0f)
                        c->idle_recline = CHAIR_RECLINE_KEEP;
        }
        if (!force_safe)
                chair_shaper_slew(&c->shaper, dt, out);
        if (chair_selftest_running(&c->selftest)) {
                selftest_tick(c, &b, in, dt, out);
                force_safe = chair_safety_stopping(&c->safety);
        }
        chair_safety_enforce(&c->safety, cfg, in, force_safe, out);

        /* A pinch stop is final for this session and the recline. */
        emit_faults(c, &b);

        chair_counters_tick(&c->counters, cfg, in, out, dt);
        for (size_t i = 0; i < b.n; i++)
                chair_counters_event(&c->counters, &ev[i]);

        chair_shaper_commit(&c->shaper, out);
        c->out = *out;
        c->state = current_state(c);
        c->backrest_pct = follow_pct(c->backrest_pct, in->backrest);
        c->legrest_pct = follow_pct(c->legrest_pct, in->legrest);
        return b.n;
}

void chair_ctl_raise(struct chair_ctl *c, enum chair_fault f, struct chair_outputs *out) {
        if ((unsigned) f < _CHAIR_FAULT_COUNT && !(c->emitted_faults & (1u << f)))
                note_fault_where(c);    /* a new fault: reported by the next step */
        chair_safety_raise(&c->safety, f);
        /* The session itself ends in the next step, which can report it
         * (session_ended, reason fault); the outputs are safe from now on. */
        if (chair_fault_is_stopping(f)) {
                c->idle_recline = CHAIR_RECLINE_KEEP;
                c->idle_target = CHAIR_RECLINE_KEEP;
        }
        chair_safety_enforce(&c->safety, c->cfg, &c->in, chair_fault_is_stopping(f), &c->out);
        *out = c->out;
        chair_shaper_commit(&c->shaper, out);
        c->state = current_state(c);
}

size_t chair_ctl_shutdown(struct chair_ctl *c, struct chair_outputs *out, struct chair_event *ev) {
        struct evbuf b = { .v = ev, .n = 0, .now = c->last_ns, .dropped = &c->events_dropped };

        /* The same ending as any other, so listeners hear it from the core
         * (the daemon used to invent this event). */
        end_session(c, &b, CHAIR_END_SHUTDOWN, true);
        chair_seq_abort(&c->seq);   /* also a session that was already parking */
        selftest_abort(c, &b, CHAIR_ST_ABORT_STOPPED);
        c->idle_recline = CHAIR_RECLINE_KEEP;
        c->idle_target = CHAIR_RECLINE_KEEP;
        chair_outputs_safe(c->cfg, &c->out);
        *out = c->out;
        chair_shaper_commit(&c->shaper, out);
        c->state = current_state(c);
        return b.n;
}

/* The preset the chair is at (measured), else moving or custom (design C3). */
static enum chair_recline recline_state(const struct chair_ctl *c) {
        const struct chair_config *cfg = c->cfg;
        bool leg = cfg->hardware.outputs[CHAIR_ACT_LEGREST].present && cfg->hardware.inputs.legrest_pos.set;

        if (!cfg->hardware.outputs[CHAIR_ACT_BACKREST].present || !cfg->hardware.inputs.backrest_pos.set)
                return CHAIR_RECLINE_KEEP;
        if (c->out.v[CHAIR_ACT_BACKREST] != cfg->hardware.outputs[CHAIR_ACT_BACKREST].safe ||
            (cfg->hardware.outputs[CHAIR_ACT_LEGREST].present &&
             c->out.v[CHAIR_ACT_LEGREST] != cfg->hardware.outputs[CHAIR_ACT_LEGREST].safe))
                return CHAIR_RECLINE_MOVING;
        for (int r = 0; r < _CHAIR_RECLINE_COUNT; r++) {
                float br, lr;
                chair_seq_recline_position(r, &br, &lr);
                if (fabsf(c->in.backrest - br) <= RECLINE_AT_PRESET &&
                    (!leg || fabsf(c->in.legrest - lr) <= RECLINE_AT_PRESET))
                        return r;
        }
        return CHAIR_RECLINE_CUSTOM;
}

void chair_ctl_status(const struct chair_ctl *c, struct chair_status *st) {
        const struct chair_seq *s = &c->seq;
        bool session = chair_seq_active(s);

        memset(st, 0, sizeof(*st));
        st->state = c->state;
        st->program = session ? s->prog_index : -1;
        st->steps = session && s->prog ? (uint16_t) s->prog->n_steps : 0;
        st->step = session && (s->phase == CHAIR_SEQ_RUNNING || s->phase == CHAIR_SEQ_PAUSED ||
                               s->phase == CHAIR_SEQ_ENDING) ? (uint16_t) (s->step + 1) : 0;
        st->technique = chair_seq_technique(s);
        st->elapsed_s = session ? (float) s->elapsed_s : 0;
        st->remaining_s = (float) chair_seq_remaining_s(s);
        st->intensity = session ? s->intensity : 0;
        st->speed = session ? s->speed : 0;
        st->heat_wanted = session && s->heat;
        /* design C3: on only while the heater may heat: a session in motion, no
         * heater fault (the massage goes on without heat then) */
        st->heat_on = st->heat_wanted && s->phase != CHAIR_SEQ_PAUSED && s->phase != CHAIR_SEQ_ENDING &&
                      !(c->safety.latched & ((1u << CHAIR_FAULT_HEATER_SENSOR) | (1u << CHAIR_FAULT_HEATER_OVERTEMP))) &&
                      !chair_safety_stopping(&c->safety);
        st->heat_target_c = c->out.v[CHAIR_ACT_HEATER] > 0 || (session && s->heat) ? c->cfg->safety.heater_target_c : 0;
        st->heat_c = c->cfg->hardware.inputs.heater_temp.set && c->in.heater_sensor == CHAIR_SENSOR_OK ? c->in.heater_c : NAN;
        st->carriage_mm = c->carriage_mm;
        st->backrest = c->in.backrest;
        st->legrest = c->in.legrest;
        st->backrest_pct = c->backrest_pct;
        st->legrest_pct = c->legrest_pct;
        st->recline_target = session ? (s->owner_recline != CHAIR_RECLINE_KEEP ? s->owner_recline : s->recline)
                                     : c->idle_target;
        st->recline = recline_state(c);
        st->locked = c->lock.locked;
        st->focus = session ? s->focus : -1;
        st->occupied = c->in.occupied;
        st->faults = c->safety.latched;
        st->faults_latched = c->safety.latched;
        st->shoulder_mm = s->scanned ? s->body.shoulder_mm : 0;
        st->all_safe = chair_outputs_all_safe(c->cfg, &c->out);
        st->ticks = c->ticks;
        st->events_dropped = c->events_dropped;
        st->out = c->out;
        st->in = c->in;
        st->self_testing = chair_selftest_running(&c->selftest);
        st->counters = c->counters.total;
}

void chair_status_visible(const struct chair_status *st, struct chair_status_visible *v) {
        memset(v, 0, sizeof(*v));
        v->state = st->state;
        v->program = st->program;
        v->step = st->step;
        v->intensity = st->intensity;
        v->speed = st->speed;
        v->heat_on = st->heat_on;
        v->occupied = st->occupied;
        v->locked = st->locked;
        v->recline = st->recline;
        v->recline_target = st->recline_target;
        v->backrest_pct = st->backrest_pct;
        v->legrest_pct = st->legrest_pct;
        v->focus = st->focus;
        v->faults = st->faults;
        v->faults_latched = st->faults_latched;
        v->elapsed_s = (int32_t) st->elapsed_s;
}
