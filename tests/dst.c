/* SPDX-License-Identifier: MIT */
/*
 * Deterministic simulation testing harness (see dst.h and docs/safety.md).
 *
 * The oracle below knows the plant's truth (what is stalled, which sensor is
 * broken, which reading the harness tampered with) and checks the supervisor,
 * which only sees inputs, against the detection bounds docs/safety.md promises.
 * The figures that mirror lib/safety.c are the documented contract, repeated
 * here on purpose: if the supervisor drifts from its documentation, this fails.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "config.h"
#include "control.h"
#include "dst.h"
#include "errors.h"
#include "hal-sim.h"
#include "program-load.h"
#include "program.h"

/* Documented detection figures (docs/safety.md, "Fault table"). */
#define STALL_MIN_DRIVE        0.15f  /* drives weaker than this are not stall-checked */
#define MOTOR_STALL_MIN_S      1.0    /* motor stall window: max(stall_s, this) */
#define DEPTH_END              0.005f /* depth fully in */
#define UNDRIVEN_SETTLE_S      0.5
#define ENCODER_FAULT_PULSES   20
#define HEATER_WINDOW_S        0.5
/* Margins of the invariants. */
#define HEATER_MARGIN_C        0.5f   /* true pad temperature above heater_max_c (noise ±0.05 + one tick) */
#define ENDING_MAX_S           25.0   /* parking after the massage time: 780 mm at 72 mm/s + slack */
#define STALL_RECOVER_S        0.3    /* a freed motor needs this long to show motion again */
#define ENC_NOISE_MEMORY_S     6.0    /* noise is remembered for a 5 s window after 0.5 s settling */
#define HEATER_JUMP_MEMORY_S   1.2    /* two heater windows and slack */

struct dst {
        const struct dst_opts *o;
        struct chair_config cfg;       /* per-seed copy (shallow: strings are shared) */
        const struct chair_programs *progs;
        struct chair_hal *hal;
        struct chair_ctl *ctl;
        uint64_t rng;
        /* The owner API commands (design C3) draw from a stream of their own, so
         * that the main stream (and what every seed did before they existed)
         * keeps its draws. */
        uint64_t rng_owner;

        uint64_t base_ns, now_ns, period_ns;
        double t, dt;                  /* harness time (s) of this tick; time since the last tick */
        uint64_t tick;
        uint32_t missed_in_row;
        double p_late, p_miss;

        struct chair_inputs in;
        struct chair_outputs out, prev_out;
        struct chair_event ev[CHAIR_MAX_EVENTS_PER_TICK];
        size_t n_ev;
        struct chair_cmd cmds[4];
        size_t n_cmds;
        struct chair_status st;
        struct chair_sim_truth truth;

        /* schedules */
        double cmd_mean_s, plant_mean_s, sensor_mean_s;
        double next_cmd_s, next_plant_s, next_sensor_s;

        /* sensor-level faults between plant and control */
        double enc_noise_until, enc_noise_last;
        uint32_t enc_extra;
        double heater_jump_until, heater_jump_changed;
        float heater_jump;
        double press_until;
        int press_bag;
        float press_kpa;

        /* oracle */
        double last_stalled[_CHAIR_ACT_COUNT];
        double stall_cond_s[_CHAIR_ACT_COUNT];
        float stall_ref[_CHAIR_ACT_COUNT];
        double enc_cond_s;
        /* an episode of a cause that was reported once is satisfied, even if the
         * owner clears the fault while the cause lasts */
        bool stall_done[_CHAIR_ACT_COUNT], enc_done;
        double heater_jump_on_s;
        bool heater_jump_applied, heater_jump_armed, heater_sensor_was_ok;
        bool overrun_pending;
        uint32_t reported;             /* from FAULT / FAULT_CLEARED events */
        bool recline_authorized;
        double session_motion_s, session_ending_s;
        uint64_t ev_started, ev_ended;

        uint64_t violations;
        struct dst_stats *st_out;
};

#define BIT(f) (1u << (f))

/* ---- randomness (splitmix64: identical on every platform) ---------------- */

static uint64_t rnd(struct dst *d) {
        uint64_t z = (d->rng += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

static double unif(struct dst *d) {
        return (double) (rnd(d) >> 11) * (1.0 / 9007199254740992.0);
}

static double urange(struct dst *d, double lo, double hi) {
        return lo + (hi - lo) * unif(d);
}

static int irange(struct dst *d, int lo, int hi) {
        return lo + (int) (rnd(d) % (uint64_t) (hi - lo + 1));
}

static bool chance(struct dst *d, double p) {
        return unif(d) < p;
}

static double expo(struct dst *d, double mean) {
        return -mean * log(1.0 - unif(d));
}

/* ---- reporting ----------------------------------------------------------- */

__attribute__((format(printf, 2, 3)))
static void trace(struct dst *d, const char *fmt, ...) {
        if (!d->o->trace || !d->o->log)
                return;
        va_list ap;
        fprintf(d->o->log, "  t=%9.4f ", d->t);
        va_start(ap, fmt);
        vfprintf(d->o->log, fmt, ap);
        va_end(ap);
        fputc('\n', d->o->log);
}

__attribute__((format(printf, 2, 3)))
static void violation(struct dst *d, const char *fmt, ...) {
        d->violations++;
        if (!d->o->log || d->violations > d->o->max_print)
                return;
        va_list ap;
        fprintf(d->o->log, "DST seed %llu: t=%.4f s tick %llu state %s: ", (unsigned long long) d->o->seed, d->t,
                (unsigned long long) d->tick, chair_state_name(d->st.state));
        va_start(ap, fmt);
        vfprintf(d->o->log, fmt, ap);
        va_end(ap);
        fprintf(d->o->log, "\n  carriage %.1f mm (truth %.1f) out %.3f, depth %.3f out %.3f, backrest %.3f out %.3f, "
                "legrest %.3f out %.3f, heater %.2f °C out %.3f, latched %#x, stalled %d, elapsed %.2f s, "
                "remaining %.2f s\n",
                (double) d->st.carriage_mm, (double) d->truth.carriage_mm, (double) d->out.v[CHAIR_ACT_CARRIAGE],
                (double) d->in.depth, (double) d->out.v[CHAIR_ACT_DEPTH], (double) d->in.backrest,
                (double) d->out.v[CHAIR_ACT_BACKREST], (double) d->in.legrest, (double) d->out.v[CHAIR_ACT_LEGREST],
                (double) d->truth.heater_c, (double) d->out.v[CHAIR_ACT_HEATER], d->st.faults_latched,
                d->truth.stalled, (double) d->st.elapsed_s, (double) d->st.remaining_s);
        fprintf(d->o->log, "  reproduce: CHAIRD_DST_SEED=%llu build/tests/test-dst\n", (unsigned long long) d->o->seed);
}

#define CHECK(d, cond, ...) do { (d)->st_out->checks++; if (!(cond)) violation((d), __VA_ARGS__); } while (0)

/* ---- the chair for this seed -------------------------------------------- */

static void vary_config(struct dst *d) {
        struct chair_config *c = &d->cfg;
        static const uint32_t caps[] = { 1, 2, 3, 5, 15, 30 };

        c->hardware.backend = CHAIR_BACKEND_SIM;
        c->safety.stall_s = (float) urange(d, 0.2, 1.0);
        /* A full recline stroke takes recline_s plus the approach: the timeout must allow it. */
        c->safety.travel_timeout_s = (float) urange(d, c->hardware.geometry.recline_s + 8, 60);
        c->safety.heater_max_c = (float) urange(d, 38, 50);
        c->safety.heater_target_c = c->safety.heater_max_c - (float) urange(d, 1, 6);
        c->safety.max_session_min = caps[irange(d, 0, 5)];
        if (c->safety.default_session_min > c->safety.max_session_min)
                c->safety.default_session_min = c->safety.max_session_min;
        c->safety.occupant_grace_s = (float) urange(d, 0, 60);
        c->safety.max_pressure_kpa = (float) urange(d, 20, 60);
        c->safety.max_heater_rate_c_s = (float) urange(d, 2, 10);
        c->safety.occupancy_required = chance(d, 0.9);
        c->control.max_missed_ticks = (uint32_t) irange(d, 2, 10);
        c->control.rate_hz = chance(d, 0.5) ? 250 : 500;
        /* The RT loop judges overruns by time (max_stall_ms); the harness keeps its
         * own count of missed periods, the same bound in ticks (and the same random
         * draws, so pinned seeds keep their meaning). */
        c->control.max_stall_ms = c->control.max_missed_ticks * 1000u / c->control.rate_hz;
        c->hardware.sim.seed = d->o->seed;
        c->hardware.sim.body_height_cm = (float) urange(d, 140, 200);
        c->hardware.sim.ambient_c = (float) urange(d, 15, 30);
}

/* ---- the plant suffers --------------------------------------------------- */

static void plant_fault(struct dst *d) {
        struct chair_sim_change ch = { 0 };
        static const int stallable[] = { CHAIR_ACT_CARRIAGE, CHAIR_ACT_BACKREST, CHAIR_ACT_LEGREST, CHAIR_ACT_DEPTH,
                                         CHAIR_ACT_PUMP, CHAIR_ACT_KNEAD, CHAIR_ACT_TAP };
        int k = irange(d, 0, 99);

        if (k < 15) {
                ch.key = CHAIR_SIM_ESTOP;
                ch.b = chance(d, 0.8) ? !d->truth.estop : d->truth.estop;
        } else if (k < 30) {
                ch.key = CHAIR_SIM_OCCUPIED;
                ch.b = chance(d, 0.8) ? !d->truth.occupied : d->truth.occupied;
        } else if (k < 45) {
                ch.key = CHAIR_SIM_OBSTACLE;
                ch.b = !d->truth.obstacle;
        } else if (k < 60) {
                ch.key = CHAIR_SIM_HEATER_SENSOR;
                int s = irange(d, 0, 3);
                ch.sensor = s <= 1 ? CHAIR_SENSOR_OK : s == 2 ? CHAIR_SENSOR_OPEN : CHAIR_SENSOR_SHORT;
        } else if (k < 88) {
                ch.key = CHAIR_SIM_STALL;
                ch.actuator = chance(d, 0.5) ? -1 : stallable[irange(d, 0, 6)];
        } else {
                ch.key = CHAIR_SIM_BODY_HEIGHT_CM;
                ch.f = (float) urange(d, 140, 200);
        }
        if (chair_hal_sim_apply(d->hal, &ch) < 0)
                abort();
        d->st_out->plant_faults++;
        trace(d, "plant %s = %g", chair_sim_key_name(ch.key),
              ch.key == CHAIR_SIM_BODY_HEIGHT_CM ? (double) ch.f :
              ch.key == CHAIR_SIM_STALL ? (double) ch.actuator :
              ch.key == CHAIR_SIM_HEATER_SENSOR ? (double) ch.sensor : (double) ch.b);
}

static void sensor_fault(struct dst *d) {
        int k = irange(d, 0, 2);

        d->st_out->sensor_faults++;
        if (k == 0) {
                d->enc_noise_until = d->t + urange(d, 0.05, 3);
                trace(d, "encoder noise until %.3f", d->enc_noise_until);
        } else if (k == 1) {
                float min = 2 * d->cfg.safety.max_heater_rate_c_s * (float) HEATER_WINDOW_S + 1;
                d->heater_jump = (float) urange(d, min, 30) * (chance(d, 0.5) ? 1 : -1);
                d->heater_jump_until = d->t + urange(d, 0.2, 5);
                d->heater_jump_changed = d->t;   /* also when it replaces a jump in progress */
                trace(d, "heater reading %+.1f until %.3f", (double) d->heater_jump, d->heater_jump_until);
        } else {
                d->press_bag = irange(d, 0, _CHAIR_BAG_COUNT - 1);
                d->press_kpa = (float) urange(d, 5, 60);
                d->press_until = d->t + urange(d, 0.05, 2);
                trace(d, "pressure %s %+.1f until %.3f", chair_airbag_name(d->press_bag), (double) d->press_kpa,
                      d->press_until);
        }
}

/* Between the plant and the control step: a flaky encoder, a jumping NTC, a spiking
 * pressure sensor. */
static void tamper(struct dst *d) {
        if (d->t < d->enc_noise_until) {
                /* A noisy line makes edges in time, whether or not the loop ticks:
                 * one per nominal period elapsed (a missed tick does not silence it;
                 * counting one per executed tick made the oracle's time bound
                 * unreachable after missed ticks: soak seeds 2018941, 2026196). */
                uint32_t k = (uint32_t) (d->dt * 1e9 / (double) d->period_ns + 0.5);
                d->enc_extra += k ? k : 1;
                d->enc_noise_last = d->t;
        }
        d->in.encoder_pulses += d->enc_extra;

        /* The jump is seen only while the sensor reads; the supervisor can judge its
         * rate only when it had a good reading just before (armed). */
        bool sensor_ok = d->in.heater_sensor == CHAIR_SENSOR_OK;
        bool applied = d->t < d->heater_jump_until && sensor_ok;
        if (applied != d->heater_jump_applied) {
                d->heater_jump_changed = d->t;
                d->heater_jump_armed = applied && d->heater_sensor_was_ok;
                d->heater_jump_on_s = 0;
        }
        if (applied) {
                d->heater_jump_on_s += d->dt;
                d->in.heater_c += d->heater_jump;
        }
        d->heater_jump_applied = applied;
        d->heater_sensor_was_ok = sensor_ok;

        if (d->t < d->press_until)
                d->in.pressure_kpa[d->press_bag] += d->press_kpa;
}

/* ---- the owner ----------------------------------------------------------- */

static int8_t rand_level(struct dst *d) {
        int k = irange(d, 0, 9);
        return k < 3 ? CHAIR_UNSET : k < 9 ? (int8_t) irange(d, 1, 5) : (int8_t) irange(d, -128, 127);
}

static void rand_struct_cmd(struct dst *d, struct chair_cmd *c) {
        int k = irange(d, 0, 99);
        int n = (int) d->progs->n;

        if (k < 30) {
                chair_cmd_init(c, CHAIR_ACTION_START);
                c->program = (int16_t) (chance(d, 0.9) ? irange(d, 0, n - 1) : irange(d, -3, n + 3));
                int m = irange(d, 0, 9);
                c->minutes = m < 5 ? CHAIR_UNSET :
                             m < 9 ? (int16_t) irange(d, 1, (int) d->cfg.safety.max_session_min) :
                                     (int16_t) irange(d, -5, 99);
                c->intensity = rand_level(d);
                c->speed = rand_level(d);
                c->heat = (int8_t) (chance(d, 0.9) ? irange(d, -1, 1) : irange(d, -128, 127));
                c->focus = (int8_t) (chance(d, 0.8) ? CHAIR_UNSET : irange(d, -3, _CHAIR_LM_COUNT + 2));
        } else if (k < 37)
                chair_cmd_init(c, CHAIR_ACTION_STOP);
        else if (k < 43)
                chair_cmd_init(c, CHAIR_ACTION_PAUSE);
        else if (k < 51)
                chair_cmd_init(c, CHAIR_ACTION_RESUME);
        else if (k < 65) {
                chair_cmd_init(c, CHAIR_ACTION_SET);
                c->intensity = rand_level(d);
                c->speed = rand_level(d);
                c->heat = (int8_t) irange(d, -1, 2);
                c->focus = (int8_t) (chance(d, 0.6) ? CHAIR_UNSET : irange(d, -3, _CHAIR_LM_COUNT + 2));
        } else if (k < 75) {
                chair_cmd_init(c, CHAIR_ACTION_RECLINE);
                c->recline = (int8_t) irange(d, -2, _CHAIR_RECLINE_COUNT + 1);
        } else if (k < 92)
                chair_cmd_init(c, CHAIR_ACTION_CLEAR_FAULTS);
        else if (k < 94)
                chair_cmd_init(c, CHAIR_ACTION_SELF_TEST);
        else {
                /* Nonsense straight into the struct: any action number, any field. */
                c->action = (enum chair_action) irange(d, -3, _CHAIR_ACTION_COUNT + 5);
                c->program = (int16_t) irange(d, -32768, 32767);
                c->minutes = (int16_t) irange(d, -32768, 32767);
                c->intensity = (int8_t) irange(d, -128, 127);
                c->speed = (int8_t) irange(d, -128, 127);
                c->heat = (int8_t) irange(d, -128, 127);
                c->focus = (int8_t) irange(d, -128, 127);
                c->recline = (int8_t) irange(d, -128, 127);
        }
}

static void json_value(struct dst *d, char *buf, size_t size, const char *key) {
        int k = irange(d, 0, 11);

        if (strcmp(key, "program") == 0 && k < 8) {
                snprintf(buf, size, "\"%s\"", d->progs->v[irange(d, 0, (int) d->progs->n - 1)].id);
                return;
        }
        if (strcmp(key, "position") == 0 && k < 8) {
                static const char *const pos[] = { "upright", "relax", "zero-gravity" };
                snprintf(buf, size, "\"%s\"", pos[irange(d, 0, 2)]);
                return;
        }
        if (strcmp(key, "focus") == 0 && k < 6) {
                snprintf(buf, size, "\"%s\"", chair_landmark_name(irange(d, 0, _CHAIR_LM_COUNT - 1)));
                return;
        }
        if (strcmp(key, "heat") == 0 && k < 8) {
                snprintf(buf, size, k < 4 ? "true" : "false");
                return;
        }
        switch (k) {
        case 0: case 1: case 2: case 3: case 4: case 5:
                snprintf(buf, size, "%d", irange(d, 0, 6));
                break;
        case 6: snprintf(buf, size, "%d", irange(d, -100000, 100000)); break;
        case 7: snprintf(buf, size, "%.3f", urange(d, -10, 40)); break;
        case 8: snprintf(buf, size, "\"%c%c\"", 'a' + irange(d, 0, 25), '0' + irange(d, 0, 9)); break;
        case 9: snprintf(buf, size, "null"); break;
        case 10: snprintf(buf, size, "1e300"); break;
        default: snprintf(buf, size, "{\"x\":[1,{\"y\":[2]}]}"); break;
        }
}

/* Random JSON through the command parser; returns true when it yields a command
 * the daemon would hand to the control step. */
static bool rand_json_cmd(struct dst *d, struct chair_cmd *c) {
        static const char *const actions[] = { "start", "stop", "pause", "resume", "set", "recline",
                                               "clear_faults", "self_test", "diag", "explode", "", "START" };
        static const char *const keys[] = { "program", "minutes", "intensity", "speed", "heat", "focus",
                                            "position", "id", "intensty", "action" };
        char buf[768], val[64], id[CHAIR_CMD_ID_MAX], msg[256];
        size_t len = 0;

        len += (size_t) snprintf(buf + len, sizeof(buf) - len, "{\"action\":\"%s\"",
                                 actions[chance(d, 0.85) ? irange(d, 0, 7) : irange(d, 0, 11)]);
        int members = irange(d, 0, 5);
        for (int i = 0; i < members && len < sizeof(buf) - 128; i++) {
                const char *key = keys[chance(d, 0.9) ? irange(d, 0, 6) : irange(d, 7, 9)];
                json_value(d, val, sizeof(val), key);
                len += (size_t) snprintf(buf + len, sizeof(buf) - len, ",\"%s\":%s", key, val);
        }
        len += (size_t) snprintf(buf + len, sizeof(buf) - len, "}");
        /* Mangle some: truncate, flip a byte, or send a bare value. */
        int m = irange(d, 0, 19);
        if (m == 0)
                len = (size_t) irange(d, 0, (int) len);
        else if (m == 1)
                buf[irange(d, 0, (int) len - 1)] = (char) irange(d, 1, 255);
        else if (m == 2)
                len = (size_t) snprintf(buf, sizeof(buf), "%s", chance(d, 0.5) ? "[]" : "42");

        d->st_out->json_commands++;
        enum chair_err e = chair_cmd_parse_cfg(buf, len, &d->cfg, d->progs, c, id, sizeof(id), msg, sizeof(msg));
        if (e != CHAIR_OK)
                return false;
        /* The parser's contract: what it accepts is in range. */
        CHECK(d, (unsigned) c->action < _CHAIR_ACTION_COUNT, "parser accepted action %d", c->action);
        CHECK(d, c->action != CHAIR_ACTION_START || (c->program >= 0 && (size_t) c->program < d->progs->n),
              "parser accepted start of program %d", c->program);
        CHECK(d, c->minutes == CHAIR_UNSET || (c->minutes >= 1 && (uint32_t) c->minutes <= d->cfg.safety.max_session_min),
              "parser accepted minutes %d (cap %u)", c->minutes, d->cfg.safety.max_session_min);
        CHECK(d, c->intensity == CHAIR_UNSET || (c->intensity >= 1 && c->intensity <= 5),
              "parser accepted intensity %d", c->intensity);
        CHECK(d, c->speed == CHAIR_UNSET || (c->speed >= 1 && c->speed <= 5), "parser accepted speed %d", c->speed);
        /* diag is answered by the main loop and never reaches the control step. */
        return c->action != CHAIR_ACTION_DIAG;
}

/* An owner API command (design C3): deltas, extend, skip, switch, lock, unlock. */
static void owner_api_cmd(struct dst *d, struct chair_cmd *c) {
        int k = irange(d, 0, 99);

        if (k < 25) {
                chair_cmd_init(c, CHAIR_ACTION_SET);
                c->intensity_delta = (int8_t) (chance(d, 0.9) ? irange(d, -4, 4) : irange(d, -128, 127));
                c->speed_delta = (int8_t) (chance(d, 0.5) ? 0 : irange(d, -4, 4));
        } else if (k < 40) {
                chair_cmd_init(c, CHAIR_ACTION_EXTEND);
                c->minutes = (int16_t) (chance(d, 0.9) ? irange(d, 1, 30) : irange(d, -5, 99));
        } else if (k < 55)
                chair_cmd_init(c, CHAIR_ACTION_SKIP);
        else if (k < 70) {
                chair_cmd_init(c, CHAIR_ACTION_START);
                c->program = (int16_t) irange(d, 0, (int) d->progs->n - 1);
                c->switch_program = true;
        } else if (k < 82)
                chair_cmd_init(c, CHAIR_ACTION_LOCK);
        else {
                chair_cmd_init(c, CHAIR_ACTION_UNLOCK);
                snprintf(c->pin, sizeof(c->pin), "%s", chance(d, 0.7) ? d->cfg.owner.pin : "1111");
        }
}

/* The same with the owner API's own random stream. */
static bool owner_api_draw(struct dst *d, struct chair_cmd *c, bool build) {
        uint64_t keep = d->rng;
        bool api;

        d->rng = d->rng_owner;
        api = chance(d, 0.15);
        if (api && build)
                owner_api_cmd(d, c);
        d->rng_owner = d->rng;
        d->rng = keep;
        return api;
}

/* What an owner would likely do next: clear a fault, start, resume. */
static void sensible_cmd(struct dst *d, struct chair_cmd *c) {
        if (d->st.faults_latched)
                chair_cmd_init(c, CHAIR_ACTION_CLEAR_FAULTS);
        else if (d->st.state == CHAIR_STATE_IDLE) {
                chair_cmd_init(c, CHAIR_ACTION_START);
                c->program = (int16_t) irange(d, 0, (int) d->progs->n - 1);
                if (chance(d, 0.5))
                        c->minutes = (int16_t) irange(d, 1, (int) d->cfg.safety.max_session_min);
        } else if (d->st.state == CHAIR_STATE_PAUSED)
                chair_cmd_init(c, CHAIR_ACTION_RESUME);
        else
                rand_struct_cmd(d, c);
}

static void owner(struct dst *d) {
        d->n_cmds = 0;
        if (d->t < d->next_cmd_s)
                return;
        d->next_cmd_s = d->t + expo(d, d->cmd_mean_s);
        size_t n = chance(d, 0.1) ? (size_t) irange(d, 2, 3) : 1;
        for (size_t i = 0; i < n; i++) {
                struct chair_cmd *c = &d->cmds[d->n_cmds];
                if (chance(d, 0.25)) {
                        if (!rand_json_cmd(d, c))
                                continue;
                } else if (chance(d, 0.4))
                        sensible_cmd(d, c);
                else
                        rand_struct_cmd(d, c);
                owner_api_draw(d, c, true);     /* may replace it (its own stream) */
                c->token = (uint32_t) (d->tick * 4 + i + 1);
                trace(d, "command %s (program %d minutes %d intensity %d heat %d recline %d)",
                      chair_action_name(c->action) ? chair_action_name(c->action) : "?", c->program, c->minutes,
                      c->intensity, c->heat, c->recline);
                d->n_cmds++;
                d->st_out->commands++;
        }
}

/* ---- the oracle ------------------------------------------------------------ */

static bool present(const struct dst *d, enum chair_actuator a) {
        return d->cfg.hardware.outputs[a].present;
}

static bool heater_monitored(const struct dst *d) {
        return present(d, CHAIR_ACT_HEATER) && d->cfg.hardware.inputs.heater_temp.set;
}

static bool recently_stalled(const struct dst *d, enum chair_actuator a, double within) {
        return d->last_stalled[a] >= 0 && d->t - d->last_stalled[a] <= within;
}

/* Was fault f caused by something the harness did, as of this tick? */
static bool caused(const struct dst *d, enum chair_fault f) {
        const struct chair_inputs *in = &d->in;
        const struct chair_config *c = &d->cfg;

        switch (f) {
        case CHAIR_FAULT_ESTOP:
                return in->estop;
        case CHAIR_FAULT_HEATER_SENSOR:
                return heater_monitored(d) &&
                       (in->heater_sensor != CHAIR_SENSOR_OK || isnan(in->heater_c) || in->heater_c > 120 ||
                        in->heater_c < -20 ||
                        (d->heater_jump_changed >= 0 && d->t - d->heater_jump_changed <= HEATER_JUMP_MEMORY_S));
        case CHAIR_FAULT_HEATER_OVERTEMP:
                return heater_monitored(d) && in->heater_c > c->safety.heater_max_c;
        case CHAIR_FAULT_ROLLER_STALL:
                return recently_stalled(d, CHAIR_ACT_CARRIAGE, STALL_RECOVER_S);
        case CHAIR_FAULT_MOTOR_STALL:
                return recently_stalled(d, CHAIR_ACT_DEPTH, STALL_RECOVER_S) ||
                       recently_stalled(d, CHAIR_ACT_BACKREST, STALL_RECOVER_S) ||
                       recently_stalled(d, CHAIR_ACT_LEGREST, STALL_RECOVER_S);
        case CHAIR_FAULT_TRAVEL_TIMEOUT: {
                double w = c->safety.travel_timeout_s + 1.0;
                return recently_stalled(d, CHAIR_ACT_CARRIAGE, w) || recently_stalled(d, CHAIR_ACT_BACKREST, w) ||
                       recently_stalled(d, CHAIR_ACT_LEGREST, w);
        }
        case CHAIR_FAULT_ENCODER_FAULT:
                return d->enc_noise_last >= 0 && d->t - d->enc_noise_last <= ENC_NOISE_MEMORY_S;
        case CHAIR_FAULT_PINCH:
                return in->obstacle && (d->prev_out.v[CHAIR_ACT_BACKREST] > 0 || d->prev_out.v[CHAIR_ACT_LEGREST] < 0);
        case CHAIR_FAULT_OVERPRESSURE:
                for (int b = 0; b < _CHAIR_BAG_COUNT; b++)
                        if (c->hardware.inputs.pressure[b].set && present(d, chair_airbag_valve(b)) &&
                            in->pressure_kpa[b] > c->safety.max_pressure_kpa)
                                return true;
                return false;
        case CHAIR_FAULT_LOOP_OVERRUN:
                return d->overrun_pending;
        default:
                return false;   /* hal_io, output_timeout: the harness never causes them */
        }
}

static uint32_t stopping_mask(void) {
        uint32_t m = 0;
        for (int f = 0; f < _CHAIR_FAULT_COUNT; f++)
                if (chair_fault_is_stopping(f))
                        m |= BIT(f);
        return m;
}

/* Track how long each stall condition has held, on the plant's truth. */
static void stall_oracle(struct dst *d, enum chair_actuator a, bool have_sensor, bool at_min, bool at_max,
                         double window, enum chair_fault f, uint32_t latched) {
        float drive = d->prev_out.v[a];
        if (a == CHAIR_ACT_DEPTH && drive > 0)
                drive = 0;   /* pushing out, the body may stop it */
        bool cond = present(d, a) && have_sensor && d->truth.stalled == (int) a && fabsf(drive) >= STALL_MIN_DRIVE &&
                    !(drive < 0 && at_min) && !(drive > 0 && at_max);
        if (a == CHAIR_ACT_CARRIAGE && d->t - d->enc_noise_last <= 0.1)
                cond = false;   /* noise pulses mask a stall, as they would on real hardware */
        /* A stalled motor's part can still be moved by something else (the
         * occupant's back pushes stalled rollers in): the episode starts when the
         * position stops changing. */
        float pos = a == CHAIR_ACT_DEPTH ? d->truth.depth : a == CHAIR_ACT_BACKREST ? d->truth.backrest :
                    a == CHAIR_ACT_LEGREST ? d->truth.legrest : d->truth.carriage_mm;
        float eps = a == CHAIR_ACT_CARRIAGE ? d->cfg.hardware.geometry.mm_per_pulse : 0.002f;
        if (fabsf(pos - d->stall_ref[a]) >= eps) {
                d->stall_ref[a] = pos;
                cond = false;
        }
        d->stall_cond_s[a] = cond ? d->stall_cond_s[a] + d->dt : 0;
        if (!cond)
                d->stall_done[a] = false;
        else if (latched & BIT(f))
                d->stall_done[a] = true;
        double slack = 3.0 * (double) d->period_ns / 1e9 * (d->cfg.control.max_missed_ticks + 1);
        if (d->stall_cond_s[a] >= window + slack && !d->stall_done[a])
                CHECK(d, latched & BIT(f), "%s stalled and driven for %.3f s (bound %.3f s) but %s not reported",
                      chair_actuator_name(a), d->stall_cond_s[a], window, chair_fault_code(f));
}

static void check(struct dst *d, bool stop_applied, bool overrun_now) {
        const struct chair_config *c = &d->cfg;
        const struct chair_inputs *in = &d->in;
        const struct chair_outputs *out = &d->out;
        uint32_t latched = d->st.faults_latched;
        bool all_safe = chair_outputs_all_safe(c, out);
        bool stopping = (latched & stopping_mask()) != 0;
        struct chair_outputs safe;

        chair_outputs_safe(c, &safe);

        /* Events: every reported fault was caused; reported and latched agree. */
        for (size_t i = 0; i < d->n_ev; i++) {
                const struct chair_event *e = &d->ev[i];
                if (e->kind == CHAIR_EVENT_FAULT) {
                        CHECK(d, caused(d, e->fault.code), "fault %s reported but not caused",
                              chair_fault_code(e->fault.code));
                        d->reported |= BIT(e->fault.code);
                        d->st_out->faults_reported++;
                        d->st_out->faults_by_code |= BIT(e->fault.code);
                        if (e->fault.code == CHAIR_FAULT_LOOP_OVERRUN)
                                d->overrun_pending = false;
                        else if (e->fault.code == CHAIR_FAULT_HEATER_SENSOR)
                                d->heater_jump_armed = false;
                        else if (e->fault.code == CHAIR_FAULT_ENCODER_FAULT)
                                d->enc_done = true;
                        else if (e->fault.code == CHAIR_FAULT_ROLLER_STALL)
                                d->stall_done[CHAIR_ACT_CARRIAGE] = true;
                        else if (e->fault.code == CHAIR_FAULT_MOTOR_STALL)
                                d->stall_done[CHAIR_ACT_BACKREST] = d->stall_done[CHAIR_ACT_LEGREST] =
                                        d->stall_done[CHAIR_ACT_DEPTH] = true;
                } else if (e->kind == CHAIR_EVENT_FAULT_CLEARED)
                        d->reported &= ~BIT(e->fault.code);
                else if (e->kind == CHAIR_EVENT_SESSION_STARTED) {
                        /* a new session (also when a stop and a start share a tick) */
                        d->ev_started++;
                        d->session_motion_s = d->session_ending_s = 0;
                }
                else if (e->kind == CHAIR_EVENT_SESSION_ENDED) {
                        d->ev_ended++;
                        CHECK(d, d->ev_ended <= d->ev_started, "session_ended #%llu without a session",
                              (unsigned long long) d->ev_ended);
                }
                else if (e->kind == CHAIR_EVENT_RESULT && e->result.err == CHAIR_OK) {
                        d->st_out->commands_ok++;
                        if (e->result.action == CHAIR_ACTION_RECLINE)
                                d->recline_authorized = true;
                        else if (e->result.action == CHAIR_ACTION_START) {
                                d->st_out->sessions_started++;
                                d->recline_authorized = false;
                        } else if (e->result.action == CHAIR_ACTION_STOP)
                                d->recline_authorized = false;
                }
        }
        if (stopping)
                d->recline_authorized = false;
        if (overrun_now)
                CHECK(d, latched & BIT(CHAIR_FAULT_LOOP_OVERRUN), "loop overrun raised but not latched");
        CHECK(d, (d->reported & ~latched) == 0, "fault events report %#x but latched is %#x", d->reported, latched);
        if (d->n_ev < CHAIR_MAX_EVENTS_PER_TICK && !overrun_now)
                CHECK(d, (latched & ~d->reported) == 0, "latched %#x but only %#x reported", latched, d->reported);

        /* Detection within the bound: the same tick for level-triggered causes. */
        if (in->estop)
                CHECK(d, latched & BIT(CHAIR_FAULT_ESTOP), "e-stop pressed but not latched");
        if (heater_monitored(d) && in->heater_sensor != CHAIR_SENSOR_OK)
                CHECK(d, latched & BIT(CHAIR_FAULT_HEATER_SENSOR), "heater sensor %d but heater_sensor not latched",
                      in->heater_sensor);
        if (heater_monitored(d) && in->heater_sensor == CHAIR_SENSOR_OK && in->heater_c > c->safety.heater_max_c)
                CHECK(d, latched & (BIT(CHAIR_FAULT_HEATER_OVERTEMP) | BIT(CHAIR_FAULT_HEATER_SENSOR)),
                      "heater reads %.2f > %.2f but no overtemp", (double) in->heater_c, (double) c->safety.heater_max_c);
        if (latched & BIT(CHAIR_FAULT_HEATER_SENSOR))
                d->heater_jump_armed = false;
        if (d->heater_jump_armed && d->heater_jump_on_s >= HEATER_WINDOW_S * 2 + 2 * d->dt && heater_monitored(d))
                CHECK(d, latched & BIT(CHAIR_FAULT_HEATER_SENSOR), "heater reading jumped %.1f °C %.3f s ago, not reported",
                      (double) d->heater_jump, d->heater_jump_on_s);
        if (caused(d, CHAIR_FAULT_PINCH))
                CHECK(d, latched & BIT(CHAIR_FAULT_PINCH), "recline moved toward a closed obstacle sensor, no pinch");
        if (caused(d, CHAIR_FAULT_OVERPRESSURE))
                CHECK(d, latched & BIT(CHAIR_FAULT_OVERPRESSURE), "airbag over its limit, no overpressure");

        stall_oracle(d, CHAIR_ACT_CARRIAGE, c->hardware.inputs.encoder.set, in->carriage_home, in->carriage_end,
                     c->safety.stall_s, CHAIR_FAULT_ROLLER_STALL, latched);
        double rw = c->safety.stall_s > MOTOR_STALL_MIN_S ? c->safety.stall_s : MOTOR_STALL_MIN_S;
        stall_oracle(d, CHAIR_ACT_BACKREST, c->hardware.inputs.backrest_pos.set, in->backrest_min, in->backrest_max,
                     rw, CHAIR_FAULT_MOTOR_STALL, latched);
        stall_oracle(d, CHAIR_ACT_LEGREST, c->hardware.inputs.legrest_pos.set, in->legrest_min, in->legrest_max,
                     rw, CHAIR_FAULT_MOTOR_STALL, latched);
        stall_oracle(d, CHAIR_ACT_DEPTH, c->hardware.inputs.depth_pos.set, in->depth <= DEPTH_END, false,
                     rw, CHAIR_FAULT_MOTOR_STALL, latched);

        /* Encoder pulses while undriven: noise on an undriven carriage for the settle
         * time plus 25 ticks (more than 20 pulses at one a tick). */
        bool undriven_noise = d->t < d->enc_noise_until && d->prev_out.v[CHAIR_ACT_CARRIAGE] == 0.0f;
        d->enc_cond_s = undriven_noise ? d->enc_cond_s + d->dt : 0;
        if (!undriven_noise)
                d->enc_done = false;
        else if (latched & BIT(CHAIR_FAULT_ENCODER_FAULT))
                d->enc_done = true;
        if (present(d, CHAIR_ACT_CARRIAGE) && c->hardware.inputs.encoder.set && !d->enc_done &&
            d->enc_cond_s >= UNDRIVEN_SETTLE_S + (ENCODER_FAULT_PULSES + 5) * (double) d->period_ns / 1e9)
                CHECK(d, latched & BIT(CHAIR_FAULT_ENCODER_FAULT), "encoder noise on an undriven carriage for %.3f s, "
                      "no encoder_fault", d->enc_cond_s);

        /* Outputs within their limits, always. */
        for (int a = 0; a < _CHAIR_ACT_COUNT; a++) {
                const struct chair_output_config *oc = &c->hardware.outputs[a];
                float v = out->v[a];
                if (!oc->present)
                        continue;
                bool ok = isfinite(v);
                switch (chair_actuator_kind(a)) {
                case CHAIR_ACT_KIND_BIDIR: ok = ok && fabsf(v) <= oc->max; break;
                case CHAIR_ACT_KIND_DUTY: ok = ok && v >= 0 && v <= oc->max; break;
                case CHAIR_ACT_KIND_SWITCH: ok = ok && (v == 0.0f || v == 1.0f); break;
                }
                CHECK(d, ok, "output %s = %g outside its limits", chair_actuator_name(a), (double) v);
        }

        /* Rule 1 and 2: safe within one tick of a stop, e-stop or stopping fault. */
        if (stopping || in->estop || stop_applied || overrun_now)
                CHECK(d, all_safe, "stop/e-stop/fault (latched %#x) but outputs not all safe", latched);
        if (d->st.state == CHAIR_STATE_PAUSED || d->st.state == CHAIR_STATE_FAULT)
                CHECK(d, all_safe, "state %s with outputs not safe", chair_state_name(d->st.state));
        /* Idle: nothing moves but a commanded recline (or a self-test, which owns
         * the outputs while it runs, still under the supervisor's rules). */
        if (d->st.state == CHAIR_STATE_IDLE && !d->st.self_testing) {
                for (int a = 0; a < _CHAIR_ACT_COUNT; a++) {
                        bool recline = a == CHAIR_ACT_BACKREST || a == CHAIR_ACT_LEGREST;
                        if (!present(d, a) || (recline && d->recline_authorized))
                                continue;
                        CHECK(d, out->v[a] == safe.v[a], "idle: %s = %g without a session or recline command",
                              chair_actuator_name(a), (double) out->v[a]);
                }
        }

        /* Rule 4: heater. */
        CHECK(d, d->truth.heater_c <= c->safety.heater_max_c + HEATER_MARGIN_C, "heater pad at %.2f °C > %.2f + %.1f",
              (double) d->truth.heater_c, (double) c->safety.heater_max_c, (double) HEATER_MARGIN_C);
        if (present(d, CHAIR_ACT_HEATER) && (in->heater_sensor != CHAIR_SENSOR_OK ||
                                             (latched & (BIT(CHAIR_FAULT_HEATER_SENSOR) | BIT(CHAIR_FAULT_HEATER_OVERTEMP)))))
                CHECK(d, out->v[CHAIR_ACT_HEATER] == 0, "heater driven %.3f with its sensor/fault bad",
                      (double) out->v[CHAIR_ACT_HEATER]);

        /* Airbags at their limit vent and the pump stops. */
        for (int b = 0; b < _CHAIR_BAG_COUNT; b++)
                if (c->hardware.inputs.pressure[b].set && in->pressure_kpa[b] >= c->safety.max_pressure_kpa) {
                        CHECK(d, out->v[chair_airbag_valve(b)] == 0, "bag %s at %.1f kPa not vented",
                              chair_airbag_name(b), (double) in->pressure_kpa[b]);
                        CHECK(d, out->v[CHAIR_ACT_PUMP] == 0, "pump on with bag %s at its limit", chair_airbag_name(b));
                }

        /* Rule 7: no recline toward a closed obstacle sensor. */
        if (in->obstacle)
                CHECK(d, out->v[CHAIR_ACT_BACKREST] <= 0 && out->v[CHAIR_ACT_LEGREST] >= 0,
                      "recline driven toward the obstacle (backrest %g legrest %g)",
                      (double) out->v[CHAIR_ACT_BACKREST], (double) out->v[CHAIR_ACT_LEGREST]);

        /* Carriage inside the track, and never pushed into a closed end switch. */
        float track = c->hardware.geometry.track_mm;
        CHECK(d, d->truth.carriage_mm >= 0 && d->truth.carriage_mm <= track, "carriage at %.2f mm outside the track",
              (double) d->truth.carriage_mm);
        CHECK(d, d->st.carriage_mm >= 0 && d->st.carriage_mm <= track, "carriage estimate %.2f mm outside the track",
              (double) d->st.carriage_mm);
        CHECK(d, !(in->carriage_home && out->v[CHAIR_ACT_CARRIAGE] < 0) &&
                 !(in->carriage_end && out->v[CHAIR_ACT_CARRIAGE] > 0), "carriage driven into a closed end switch");
        CHECK(d, !(in->backrest_min && out->v[CHAIR_ACT_BACKREST] < 0) &&
                 !(in->backrest_max && out->v[CHAIR_ACT_BACKREST] > 0) &&
                 !(in->legrest_min && out->v[CHAIR_ACT_LEGREST] < 0) &&
                 !(in->legrest_max && out->v[CHAIR_ACT_LEGREST] > 0), "recline driven into a closed end switch");

        /* Rule 6: never massaging an empty chair. */
        if (!in->occupied && c->safety.occupancy_required && c->hardware.inputs.occupancy.set)
                CHECK(d, d->st.state != CHAIR_STATE_RUNNING && d->st.state != CHAIR_STATE_SCANNING,
                      "state %s with the seat empty", chair_state_name(d->st.state));

        /* Rule 3: the session cap. */
        double cap_s = c->safety.max_session_min * 60.0;
        /* A tick may overshoot by its own gap, which the controller caps at 0.1 s. */
        CHECK(d, d->st.elapsed_s <= cap_s + 0.1 && d->st.elapsed_s + d->st.remaining_s <= cap_s + 0.1,
              "session elapsed %.2f + remaining %.2f over the %.0f s cap", (double) d->st.elapsed_s,
              (double) d->st.remaining_s, cap_s);
        if (d->st.state == CHAIR_STATE_SCANNING || d->st.state == CHAIR_STATE_RUNNING)
                d->session_motion_s += d->dt;
        if (d->st.state == CHAIR_STATE_ENDING)
                d->session_ending_s += d->dt;
        CHECK(d, d->session_motion_s <= cap_s + 0.1, "massage ran %.2f s, cap %.0f s", d->session_motion_s, cap_s);
        CHECK(d, d->session_ending_s <= ENDING_MAX_S, "ending phase ran %.2f s", d->session_ending_s);
        /* Exactly one session_ended per session: idle or fault means it was sent
         * (a fault raised from outside the step ends the session in the next step). */
        if ((d->st.state == CHAIR_STATE_IDLE || d->st.state == CHAIR_STATE_FAULT) && !overrun_now)
                CHECK(d, d->ev_ended == d->ev_started || d->n_ev == CHAIR_MAX_EVENTS_PER_TICK,
                      "%llu sessions started, %llu ended", (unsigned long long) d->ev_started,
                      (unsigned long long) d->ev_ended);
}

/* ---- one seed ---------------------------------------------------------------- */

uint64_t dst_run(const struct chair_config *cfg, const struct chair_programs *progs, const struct dst_opts *o,
                 struct dst_stats *st) {
        struct dst *d = calloc(1, sizeof(*d));
        struct dst_stats local = { 0 };
        if (!d)
                abort();
        d->o = o;
        d->cfg = *cfg;
        d->progs = progs;
        d->st_out = &local;
        d->rng = o->seed * 0x2545f4914f6cdd1dULL + 0x5eed;
        d->rng_owner = o->seed * 0x9e3779b97f4a7c15ULL + 0x0a11;
        vary_config(d);
        d->cfg.owner.pin = (char *) "2468";     /* so that lock and unlock do something */
        if (chair_hal_sim_new(&d->cfg, &d->hal) < 0 || chair_ctl_new(&d->cfg, progs, &d->ctl) < 0)
                abort();

        d->period_ns = 1000000000ULL / d->cfg.control.rate_hz;
        d->cmd_mean_s = urange(d, 1, 15);
        d->plant_mean_s = urange(d, 5, 60);
        d->sensor_mean_s = urange(d, 10, 120);
        static const double lates[] = { 0, 0.05, 0.3 };
        static const double misses[] = { 0, 1e-5, 1e-4, 5e-4 };
        d->p_late = lates[irange(d, 0, 2)];
        d->p_miss = misses[irange(d, 0, 3)];
        d->next_cmd_s = expo(d, 1.0);
        d->next_plant_s = expo(d, d->plant_mean_s);
        d->next_sensor_s = expo(d, d->sensor_mean_s);
        d->enc_noise_last = d->heater_jump_changed = -1;
        for (int a = 0; a < _CHAIR_ACT_COUNT; a++)
                d->last_stalled[a] = -1;
        chair_outputs_safe(&d->cfg, &d->out);
        d->prev_out = d->out;
        chair_hal_sim_truth(d->hal, &d->truth);
        if (o->trace && o->log)
                fprintf(o->log, "seed %llu: rate %u Hz, stall_s %.2f, travel %.1f s, heater max %.1f target %.1f, "
                        "cap %u min, grace %.0f s, pressure %.0f kPa, max_missed %u, p_miss %g, body %.0f cm\n",
                        (unsigned long long) o->seed, d->cfg.control.rate_hz, (double) d->cfg.safety.stall_s,
                        (double) d->cfg.safety.travel_timeout_s, (double) d->cfg.safety.heater_max_c,
                        (double) d->cfg.safety.heater_target_c, d->cfg.safety.max_session_min,
                        (double) d->cfg.safety.occupant_grace_s, (double) d->cfg.safety.max_pressure_kpa,
                        d->cfg.control.max_missed_ticks, d->p_miss, (double) d->cfg.hardware.sim.body_height_cm);

        double last_t = 0;
        while (d->t < o->seconds) {
                /* When does this tick run?  Late within its period, or after missed ones. */
                bool overrun = false;
                uint64_t due = d->base_ns + d->period_ns;
                if (d->p_miss > 0 && chance(d, d->p_miss)) {
                        /* Mostly a short hiccup; one in ten runs past max_missed_ticks. */
                        int mm = (int) d->cfg.control.max_missed_ticks;
                        uint32_t k = (uint32_t) (chance(d, 0.9) ? irange(d, 1, mm - 1) : irange(d, mm, 2 * mm));
                        due += k * d->period_ns;
                        d->missed_in_row += k;
                        local.missed_ticks += k;
                        if (d->missed_in_row >= d->cfg.control.max_missed_ticks) {
                                overrun = true;
                                d->missed_in_row = 0;
                                local.overruns++;
                        }
                } else
                        d->missed_in_row = 0;
                d->base_ns = due;
                d->now_ns = due + (d->p_late > 0 && chance(d, d->p_late) ?
                                   (uint64_t) (unif(d) * 0.5 * (double) d->period_ns) : 0);
                d->t = (double) d->now_ns / 1e9;
                d->dt = d->t - last_t;
                last_t = d->t;

                while (d->t >= d->next_plant_s) {
                        plant_fault(d);
                        d->next_plant_s += expo(d, d->plant_mean_s);
                }
                while (d->t >= d->next_sensor_s) {
                        sensor_fault(d);
                        d->next_sensor_s += expo(d, d->sensor_mean_s);
                }

                chair_hal_read(d->hal, d->now_ns, &d->in);
                tamper(d);
                owner(d);
                d->n_ev = chair_ctl_step(d->ctl, d->now_ns, &d->in, d->cmds, d->n_cmds, &d->out, d->ev);
                if (o->sabotage == 1)
                        d->out.v[CHAIR_ACT_HEATER] = 1;
                else if (o->sabotage == 2)
                        d->out.v[CHAIR_ACT_CARRIAGE] = 0.5f;
                if (overrun) {
                        chair_ctl_raise(d->ctl, CHAIR_FAULT_LOOP_OVERRUN, &d->out);
                        d->overrun_pending = true;
                        trace(d, "loop overrun raised");
                }
                chair_hal_write(d->hal, &d->out);
                chair_ctl_status(d->ctl, &d->st);
                chair_hal_sim_truth(d->hal, &d->truth);
                for (int a = 0; a < _CHAIR_ACT_COUNT; a++)
                        if (d->truth.stalled == a)
                                d->last_stalled[a] = d->t;

                /* A stop whose effect no later command in the same batch undid. */
                bool stop_applied = false;
                for (size_t i = 0; i < d->n_ev; i++)
                        if (d->ev[i].kind == CHAIR_EVENT_RESULT && d->ev[i].result.err == CHAIR_OK) {
                                if (d->ev[i].result.action == CHAIR_ACTION_STOP)
                                        stop_applied = true;
                                else if (d->ev[i].result.action == CHAIR_ACTION_START ||
                                         d->ev[i].result.action == CHAIR_ACTION_RECLINE ||
                                         d->ev[i].result.action == CHAIR_ACTION_SELF_TEST)
                                        stop_applied = false;
                        }
                check(d, stop_applied, overrun);

                d->prev_out = d->out;
                d->tick++;
        }

        local.seeds = 1;
        local.ticks = d->tick;
        local.simulated_s = d->t;
        local.violations = d->violations;
        local.failed_seeds = d->violations ? 1 : 0;
        if (d->violations && o->log)
                fprintf(o->log, "DST seed %llu: %llu violation(s)\n", (unsigned long long) o->seed,
                        (unsigned long long) d->violations);
        dst_stats_add(st, &local);

        uint64_t v = d->violations;
        chair_ctl_free(d->ctl);
        chair_hal_free(d->hal);
        free(d);
        return v;
}

/* ---- loading and statistics ---------------------------------------------------- */

int dst_load(struct chair_config **cfg, struct chair_programs **progs) {
        char path[4096];
        const char *src = getenv("CHAIRD_SOURCE_ROOT");
        struct chair_errors errs = { 0 };

        snprintf(path, sizeof(path), "%s/config/chaird.yaml", src ? src : ".");
        int r = chair_config_load(path, &errs, cfg);
        if (r >= 0)
                r = chair_programs_load(*cfg, &errs, progs);
        if (r < 0)
                chair_errors_print(&errs, stderr);
        chair_errors_clear(&errs);
        return r;
}

void dst_stats_add(struct dst_stats *to, const struct dst_stats *f) {
        to->seeds += f->seeds;
        to->ticks += f->ticks;
        to->simulated_s += f->simulated_s;
        to->checks += f->checks;
        to->violations += f->violations;
        to->failed_seeds += f->failed_seeds;
        to->commands += f->commands;
        to->json_commands += f->json_commands;
        to->commands_ok += f->commands_ok;
        to->sessions_started += f->sessions_started;
        to->plant_faults += f->plant_faults;
        to->sensor_faults += f->sensor_faults;
        to->missed_ticks += f->missed_ticks;
        to->overruns += f->overruns;
        to->faults_reported += f->faults_reported;
        to->faults_by_code |= f->faults_by_code;
}

void dst_stats_print(const struct dst_stats *s, FILE *f) {
        fprintf(f, "seeds run:            %llu\n", (unsigned long long) s->seeds);
        fprintf(f, "simulated hours:      %.2f\n", s->simulated_s / 3600.0);
        fprintf(f, "ticks:                %llu\n", (unsigned long long) s->ticks);
        fprintf(f, "invariant checks:     %llu\n", (unsigned long long) s->checks);
        fprintf(f, "violations:           %llu (in %llu seeds)\n", (unsigned long long) s->violations,
                (unsigned long long) s->failed_seeds);
        fprintf(f, "commands:             %llu (%llu from JSON tries, %llu accepted), sessions %llu\n",
                (unsigned long long) s->commands, (unsigned long long) s->json_commands,
                (unsigned long long) s->commands_ok, (unsigned long long) s->sessions_started);
        fprintf(f, "plant faults:         %llu, sensor faults %llu\n", (unsigned long long) s->plant_faults,
                (unsigned long long) s->sensor_faults);
        fprintf(f, "missed ticks:         %llu, overruns %llu\n", (unsigned long long) s->missed_ticks,
                (unsigned long long) s->overruns);
        fprintf(f, "faults reported:      %llu, codes:", (unsigned long long) s->faults_reported);
        for (int c = 0; c < _CHAIR_FAULT_COUNT; c++)
                if (s->faults_by_code & BIT(c))
                        fprintf(f, " %s", chair_fault_code(c));
        fputc('\n', f);
}
