/* SPDX-License-Identifier: MIT */
/*
 * The fault table of docs/safety.md, one row per fault: how to provoke it on the
 * simulated plant (or between plant and control, for sensor-level faults), its
 * detection bound, its reaction (which outputs go safe, whether the session goes
 * on degraded) and its clear condition.  Then one test per bug the simulation
 * testing found (tests/test-dst.c), pinned.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "safety.h"
#include "sequencer.h"
#include "testkit.h"

/* ---- a rig tick with a tamper layer between the plant and the control step ---- */

static struct tamper {
        bool enc_noise;            /* one extra encoder pulse per tick */
        uint32_t enc_extra;
        float heater_off;          /* added to a good heater reading */
        float heater_ramp;         /* °C/s added to heater_off; ramps down to 0 when negative */
        int bag;                   /* bag whose reading is raised, or -1 */
        float bag_kpa;
} tp;

static void tamper_reset(void) {
        memset(&tp, 0, sizeof(tp));
        tp.bag = -1;
}

static void tamper_inputs(struct rig *r) {
        double dt = (double) r->period_ns / 1e9;

        if (tp.enc_noise)
                tp.enc_extra++;
        r->in.encoder_pulses += tp.enc_extra;
        tp.heater_off += tp.heater_ramp * (float) dt;
        if (tp.heater_ramp < 0 && tp.heater_off <= 0)
                tp.heater_off = tp.heater_ramp = 0;
        if (r->in.heater_sensor == CHAIR_SENSOR_OK)
                r->in.heater_c += tp.heater_off;
        if (tp.bag >= 0)
                r->in.pressure_kpa[tp.bag] += tp.bag_kpa;
}

static void stick(struct rig *r, const struct chair_cmd *cmds, size_t n) {
        r->tamper = tamper_inputs;
        rig_tick(r, cmds, n);
}

static void srun(struct rig *r, double s) {
        for (uint64_t i = 0; i < (uint64_t) (s * r->cfg->control.rate_hz + 0.5); i++)
                stick(r, NULL, 0);
}

static bool srun_until(struct rig *r, double max_s, bool (*pred)(const struct rig *r)) {
        for (uint64_t i = 0; i < (uint64_t) (max_s * r->cfg->control.rate_hz + 0.5); i++) {
                stick(r, NULL, 0);
                if (pred(r))
                        return true;
        }
        return false;
}

static enum chair_err scmd(struct rig *r, enum chair_action a, int8_t recline) {
        struct chair_cmd c;
        chair_cmd_init(&c, a);
        c.recline = recline;
        c.token = 99;
        stick(r, &c, 1);
        for (size_t i = 0; i < r->n_ev; i++)
                if (r->ev[i].kind == CHAIR_EVENT_RESULT && r->ev[i].result.token == 99)
                        return r->ev[i].result.err;
        return CHAIR_ERR_INTERNAL;
}

static bool is_running(const struct rig *r) { return r->st.state == CHAIR_STATE_RUNNING; }
static bool heater_on(const struct rig *r) { return r->out.v[CHAIR_ACT_HEATER] > 0; }
static bool reclining(const struct rig *r) { return r->out.v[CHAIR_ACT_BACKREST] > 0.5f; }
static bool stopped(const struct rig *r) {
        return r->st.state == CHAIR_STATE_IDLE || r->st.state == CHAIR_STATE_FAULT;
}

/* ---- the rows ----------------------------------------------------------------- */

struct row {
        const char *what;
        enum chair_fault code;
        void (*config)(struct chair_config *cfg);       /* NULL: the reference chair */
        void (*setup)(struct rig *r);                   /* bring the chair where the fault can happen */
        void (*provoke)(struct rig *r);
        bool (*armed)(const struct rig *r);             /* the bound counts from here (NULL: at once) */
        double (*bound)(const struct chair_config *cfg);
        void (*remove)(struct rig *r);
        bool stopping;                                  /* every output safe, session ended */
        bool clear_refused_while_present;
};

static void setup_running(struct rig *r) {
        assert_int_equal(rig_start(r, "long"), CHAIR_OK);
        assert_true(srun_until(r, 60, is_running));
        assert_true(srun_until(r, 30, heater_on));
        srun(r, 1);
}

static void setup_short_running(struct rig *r) {
        assert_int_equal(rig_start(r, "short"), CHAIR_OK);
        assert_true(srun_until(r, 60, is_running));
}

static void setup_reclining(struct rig *r) {
        srun(r, 0.1);
        assert_int_equal(scmd(r, CHAIR_ACTION_RECLINE, CHAIR_RECLINE_ZERO_GRAVITY), CHAIR_OK);
        assert_true(srun_until(r, 5, reclining));
        srun(r, 1);
}

static void setup_idle(struct rig *r) {
        srun(r, 2);
}

/* The carriage away from home, then a new session whose homing cannot arrive. */
static void setup_homing_blocked(struct rig *r) {
        assert_int_equal(rig_start(r, "long"), CHAIR_OK);
        assert_true(srun_until(r, 60, is_running));
        srun(r, 5);
        assert_int_equal(scmd(r, CHAIR_ACTION_STOP, CHAIR_UNSET), CHAIR_OK);
        assert_true(r->truth.carriage_mm > 50);
}

static void sim(struct rig *r, enum chair_sim_key k, float v) { rig_sim(r, k, v); }

static void p_estop(struct rig *r) { sim(r, CHAIR_SIM_ESTOP, 1); }
static void r_estop(struct rig *r) { sim(r, CHAIR_SIM_ESTOP, 0); }
static void p_open(struct rig *r) { sim(r, CHAIR_SIM_HEATER_SENSOR, CHAIR_SENSOR_OPEN); }
static void p_short(struct rig *r) { sim(r, CHAIR_SIM_HEATER_SENSOR, CHAIR_SENSOR_SHORT); }
static void r_sensor(struct rig *r) { sim(r, CHAIR_SIM_HEATER_SENSOR, CHAIR_SENSOR_OK); }
static void p_jump(struct rig *r) { (void) r; tp.heater_off = 15; }
static void r_jump(struct rig *r) { (void) r; tp.heater_off = 0; }
/* Over the limit at a plausible rate (1 °C/s), and back down at 2 °C/s. */
static void p_overtemp(struct rig *r) { (void) r; tp.heater_ramp = 1; }
static void r_overtemp(struct rig *r) { (void) r; tp.heater_ramp = -2; }
static bool over_limit(const struct rig *r) { return r->in.heater_c > r->cfg->safety.heater_max_c; }
static void p_stall_carriage(struct rig *r) { sim(r, CHAIR_SIM_STALL, CHAIR_ACT_CARRIAGE); }
static void p_stall_backrest(struct rig *r) { sim(r, CHAIR_SIM_STALL, CHAIR_ACT_BACKREST); }
static void p_stall_depth(struct rig *r) { sim(r, CHAIR_SIM_STALL, CHAIR_ACT_DEPTH); }
static void r_stall(struct rig *r) { sim(r, CHAIR_SIM_STALL, -1); }
static void p_homing_stall(struct rig *r) {
        sim(r, CHAIR_SIM_STALL, CHAIR_ACT_CARRIAGE);
        assert_int_equal(rig_start(r, "long"), CHAIR_OK);
}
static void p_recline_long(struct rig *r) {
        assert_int_equal(scmd(r, CHAIR_ACTION_RECLINE, CHAIR_RECLINE_ZERO_GRAVITY), CHAIR_OK);
}
static void p_noise(struct rig *r) { (void) r; tp.enc_noise = true; }
static void r_noise(struct rig *r) { (void) r; tp.enc_noise = false; }
static void p_obstacle(struct rig *r) { sim(r, CHAIR_SIM_OBSTACLE, 1); }
static void r_obstacle(struct rig *r) { sim(r, CHAIR_SIM_OBSTACLE, 0); }
static void p_pressure(struct rig *r) { tp.bag = CHAIR_BAG_LUMBAR_LEFT; tp.bag_kpa = r->cfg->safety.max_pressure_kpa + 5; }
static void r_pressure(struct rig *r) { (void) r; tp.bag = -1; }
static void p_overrun(struct rig *r) { chair_ctl_raise(r->ctl, CHAIR_FAULT_LOOP_OVERRUN, &r->out); }
static void p_hal_io(struct rig *r) { chair_ctl_raise(r->ctl, CHAIR_FAULT_HAL_IO, &r->out); }

static bool carriage_driven(const struct rig *r) { return fabsf(r->out.v[CHAIR_ACT_CARRIAGE]) >= 0.15f; }
static bool backrest_driven(const struct rig *r) { return fabsf(r->out.v[CHAIR_ACT_BACKREST]) >= 0.15f; }
static bool depth_retracting(const struct rig *r) { return r->out.v[CHAIR_ACT_DEPTH] <= -0.15f; }
static bool undriven(const struct rig *r) { return r->out.v[CHAIR_ACT_CARRIAGE] == 0.0f; }

static double b_tick(const struct chair_config *c) { return 1.0 / c->control.rate_hz; }
static double b_rate(const struct chair_config *c) { (void) c; return 0.5 + 0.5; }   /* two 0.5 s windows */
static double b_stall(const struct chair_config *c) { return c->safety.stall_s; }
static double b_motor(const struct chair_config *c) { return fmax(c->safety.stall_s, 1.0); }
static double b_travel(const struct chair_config *c) { return c->safety.travel_timeout_s; }
static double b_encoder(const struct chair_config *c) { return 0.5 + 21.0 / c->control.rate_hz; }

static void c_no_encoder(struct chair_config *c) {
        c->hardware.inputs.encoder.set = false;
        c->safety.travel_timeout_s = 5;
}
/* A travel timeout shorter than the stroke: the move itself times out (a recline
 * cannot be commanded without its position sensor, so this is how it shows). */
static void c_short_travel(struct chair_config *c) {
        c->safety.travel_timeout_s = 5;
}

static const struct row rows[] = {
        { "e-stop pressed in a session", CHAIR_FAULT_ESTOP, NULL, setup_running, p_estop, NULL, b_tick, r_estop,
          true, true },
        { "heater sensor open", CHAIR_FAULT_HEATER_SENSOR, NULL, setup_running, p_open, NULL, b_tick, r_sensor,
          false, true },
        { "heater sensor shorted", CHAIR_FAULT_HEATER_SENSOR, NULL, setup_running, p_short, NULL, b_tick, r_sensor,
          false, true },
        { "heater reading jumps 15 °C", CHAIR_FAULT_HEATER_SENSOR, NULL, setup_running, p_jump, NULL, b_rate, r_jump,
          false, false },
        { "heater over its limit", CHAIR_FAULT_HEATER_OVERTEMP, NULL, setup_running, p_overtemp, over_limit, b_tick,
          r_overtemp, false, true },
        { "roller carriage stalls", CHAIR_FAULT_ROLLER_STALL, NULL, setup_running, p_stall_carriage, carriage_driven,
          b_stall, r_stall, true, false },
        { "homing never reaches the switch (no encoder)", CHAIR_FAULT_TRAVEL_TIMEOUT, c_no_encoder,
          setup_homing_blocked, p_homing_stall, NULL, b_travel, r_stall, true, false },
        { "recline drives longer than the travel timeout", CHAIR_FAULT_TRAVEL_TIMEOUT, c_short_travel, setup_idle,
          p_recline_long, backrest_driven, b_travel, NULL, true, false },
        { "encoder pulses while undriven", CHAIR_FAULT_ENCODER_FAULT, NULL, setup_idle, p_noise, undriven, b_encoder,
          r_noise, true, true },
        { "obstacle while reclining", CHAIR_FAULT_PINCH, NULL, setup_reclining, p_obstacle, NULL, b_tick, r_obstacle,
          true, true },
        { "airbag over its pressure limit", CHAIR_FAULT_OVERPRESSURE, NULL, setup_running, p_pressure, NULL, b_tick,
          r_pressure, true, true },
        { "control loop overrun", CHAIR_FAULT_LOOP_OVERRUN, NULL, setup_running, p_overrun, NULL, b_tick, NULL,
          true, false },
        { "hardware I/O failure", CHAIR_FAULT_HAL_IO, NULL, setup_running, p_hal_io, NULL, b_tick, NULL, true, false },
        { "backrest stalls while reclining", CHAIR_FAULT_MOTOR_STALL, NULL, setup_reclining, p_stall_backrest,
          backrest_driven, b_motor, r_stall, true, false },
        { "roller depth stalls while retracting", CHAIR_FAULT_MOTOR_STALL, NULL, setup_short_running, p_stall_depth,
          depth_retracting, b_motor, r_stall, true, false },
};

static bool latched(const struct rig *r, enum chair_fault f) {
        return (r->st.faults_latched & (1u << f)) != 0;
}

static void run_row(const struct row *w) {
        struct chair_config *cfg = testkit_config();
        if (w->config)
                w->config(cfg);
        struct rig *r = rig_new(cfg);
        tamper_reset();

        print_message("row: %s (%s)\n", w->what, chair_fault_code(w->code));
        w->setup(r);
        assert_false(latched(r, w->code));
        unsigned ended_before = r->sessions_ended;
        bool session = r->st.state != CHAIR_STATE_IDLE && r->st.state != CHAIR_STATE_FAULT;

        /* Detection within the bound, counted from when the fault can first be seen. */
        w->provoke(r);
        double t_arm = -1, t_det = -1, period = 1.0 / r->cfg->control.rate_hz;
        chair_ctl_status(r->ctl, &r->st);
        if (latched(r, w->code))
                t_arm = t_det = rig_time(r);   /* raised from outside: at once */
        unsigned ended_pre = r->sessions_ended;
        for (int i = 0; t_det < 0 && i < 120 * (int) r->cfg->control.rate_hz; i++) {
                double t = rig_time(r);
                ended_pre = r->sessions_ended;
                stick(r, NULL, 0);
                if (t_arm < 0 && (!w->armed || w->armed(r)))
                        t_arm = t;
                if (latched(r, w->code))
                        t_det = t;
        }
        assert_true(t_det >= 0);
        assert_true(t_arm >= 0);
        double bound = w->bound(r->cfg);
        print_message("     detected %.3f s after it could be seen (bound %.3f s)\n", t_det - t_arm, bound);
        assert_true(t_det - t_arm <= bound + 2 * period);
        /* A fault raised from outside the step is reported by the next step. */
        if (!(r->faults_seen & (1u << w->code))) {
                assert_true(r->st.all_safe);
                stick(r, NULL, 0);
        }
        assert_true(r->faults_seen & (1u << w->code));

        /* Reaction, as the constant mask says it will be. */
        assert_int_equal(chair_fault_is_stopping(w->code), w->stopping);
        if (w->stopping) {
                assert_true(r->st.all_safe);
                assert_int_equal(r->st.state, CHAIR_STATE_FAULT);
                if (session) {
                        /* One session_ended per session; "fault" unless it had already ended. */
                        assert_int_equal(r->sessions_ended, ended_before + 1);
                        if (ended_pre == ended_before)
                                assert_int_equal(r->last_end, CHAIR_END_FAULT);
                }
                srun(r, 2);
                assert_true(r->st.all_safe);
        } else {
                /* Degraded: the massage goes on without heat. */
                srun(r, 3);
                assert_int_equal(r->st.state, CHAIR_STATE_RUNNING);
                assert_float_equal(r->out.v[CHAIR_ACT_HEATER], 0, 0);
                assert_false(r->st.all_safe);
        }

        /* Clear: refused while the cause lasts (where it can be observed); after it
         * is gone, clear_faults clears, and nothing moves by itself. */
        if (w->clear_refused_while_present) {
                assert_int_equal(scmd(r, CHAIR_ACTION_CLEAR_FAULTS, CHAIR_UNSET), CHAIR_ERR_FAULT_ACTIVE);
                assert_true(latched(r, w->code));
        }
        if (w->remove)
                w->remove(r);
        srun(r, w->code == CHAIR_FAULT_HEATER_OVERTEMP ? 10 : 2);
        assert_true(latched(r, w->code));      /* latched: gone is not cleared */
        assert_int_equal(scmd(r, CHAIR_ACTION_CLEAR_FAULTS, CHAIR_UNSET), CHAIR_OK);
        assert_false(latched(r, w->code));
        if (w->stopping) {
                assert_int_equal(r->st.state, CHAIR_STATE_IDLE);
                srun(r, 3);
                assert_true(r->st.all_safe);
                assert_int_equal(r->st.state, CHAIR_STATE_IDLE);
        }
        rig_free(r);
}

/* ---- the supervisor's last word, clamp by clamp ----------------------------
 * Each case: healthy inputs with one condition set, every output pushed to its
 * extreme in the direction the condition forbids; the enforced value must be
 * the allowed one.  (In a running chair most of these conditions also raise a
 * stopping fault first; the clamps are the second line, so they are tested on
 * their own here, with no fault latched.) */
enum cond {
        C_NONE, C_HOME, C_END, C_BACK_MIN, C_BACK_MAX, C_LEG_MIN, C_LEG_MAX, C_OBSTACLE,
        C_OVERPRESSURE_SEAT, C_HEATER_AT_LIMIT, C_HEATER_SENSOR_OPEN,
};

static void set_cond(struct chair_inputs *in, const struct chair_config *cfg, enum cond c) {
        switch (c) {
        case C_NONE: break;
        case C_HOME: in->carriage_home = true; break;
        case C_END: in->carriage_end = true; break;
        case C_BACK_MIN: in->backrest_min = true; break;
        case C_BACK_MAX: in->backrest_max = true; break;
        case C_LEG_MIN: in->legrest_min = true; break;
        case C_LEG_MAX: in->legrest_max = true; break;
        case C_OBSTACLE: in->obstacle = true; break;
        case C_OVERPRESSURE_SEAT: in->pressure_kpa[CHAIR_BAG_SEAT] = cfg->safety.max_pressure_kpa; break;
        case C_HEATER_AT_LIMIT: in->heater_c = cfg->safety.heater_max_c; break;
        case C_HEATER_SENSOR_OPEN: in->heater_sensor = CHAIR_SENSOR_OPEN; break;
        }
}

static void test_enforce_clamps(void **state) {
        static const struct {
                const char *what;
                enum cond cond;
                enum chair_actuator a;
                float asked, want;
        } cases[] = {
                { "carriage into the home switch", C_HOME, CHAIR_ACT_CARRIAGE, -1.0f, 0.0f },
                { "carriage away from the home switch", C_HOME, CHAIR_ACT_CARRIAGE, 0.5f, 0.5f },
                { "carriage into the far switch", C_END, CHAIR_ACT_CARRIAGE, 1.0f, 0.0f },
                { "carriage away from the far switch", C_END, CHAIR_ACT_CARRIAGE, -0.5f, -0.5f },
                { "backrest past upright", C_BACK_MIN, CHAIR_ACT_BACKREST, -1.0f, 0.0f },
                { "backrest past full recline", C_BACK_MAX, CHAIR_ACT_BACKREST, 1.0f, 0.0f },
                { "backrest back from full recline", C_BACK_MAX, CHAIR_ACT_BACKREST, -0.5f, -0.5f },
                { "legrest below its lowest", C_LEG_MIN, CHAIR_ACT_LEGREST, -1.0f, 0.0f },
                { "legrest above its highest", C_LEG_MAX, CHAIR_ACT_LEGREST, 1.0f, 0.0f },
                { "recline toward an obstacle", C_OBSTACLE, CHAIR_ACT_BACKREST, 1.0f, 0.0f },
                { "upright away from an obstacle", C_OBSTACLE, CHAIR_ACT_BACKREST, -0.5f, -0.5f },
                { "legrest down onto an obstacle", C_OBSTACLE, CHAIR_ACT_LEGREST, -1.0f, 0.0f },
                { "seat bag at its pressure limit", C_OVERPRESSURE_SEAT, CHAIR_ACT_VALVE_SEAT, 1.0f, 0.0f },
                { "pump while a bag is at its limit", C_OVERPRESSURE_SEAT, CHAIR_ACT_PUMP, 1.0f, 0.0f },
                { "another bag stays connected", C_OVERPRESSURE_SEAT, CHAIR_ACT_VALVE_CALVES, 1.0f, 1.0f },
                { "heater at its limit", C_HEATER_AT_LIMIT, CHAIR_ACT_HEATER, 1.0f, 0.0f },
                { "heater with an open sensor", C_HEATER_SENSOR_OPEN, CHAIR_ACT_HEATER, 1.0f, 0.0f },
                { "heater healthy", C_NONE, CHAIR_ACT_HEATER, 0.6f, 0.6f },
                { "duty never negative", C_NONE, CHAIR_ACT_TAP, -1.0f, 0.0f },
                { "bidirectional within -max..max", C_NONE, CHAIR_ACT_KNEAD, -7.0f, -1.0f },
                { "a valve is on or off", C_NONE, CHAIR_ACT_VALVE_SEAT, 0.7f, 1.0f },
                { "NaN takes the safe value", C_NONE, CHAIR_ACT_DEPTH, NAN, 0.0f },
        };
        struct chair_config *cfg = testkit_config();
        struct chair_safety s;
        chair_safety_init(&s);

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct chair_inputs in = { .occupied = true, .heater_c = 30, .heater_sensor = CHAIR_SENSOR_OK,
                                           .depth = 0.5f, .backrest = 0.5f, .legrest = 0.5f };
                struct chair_outputs out = { 0 };
                set_cond(&in, cfg, cases[i].cond);
                out.v[cases[i].a] = cases[i].asked;
                if (cases[i].cond == C_OVERPRESSURE_SEAT)
                        out.v[CHAIR_ACT_VALVE_SEAT] = 1.0f;     /* the bag at its limit is connected */
                print_message("%s\n", cases[i].what);
                chair_safety_enforce(&s, cfg, &in, false, &out);
                assert_float_equal(out.v[cases[i].a], cases[i].want, 1e-6);
        }

        /* A valve whose safe value is "connected" gets it for NaN, too. */
        cfg->hardware.outputs[CHAIR_ACT_VALVE_CALVES].safe = 1.0f;
        struct chair_inputs in = { .occupied = true, .heater_c = 30, .heater_sensor = CHAIR_SENSOR_OK };
        struct chair_outputs out = { 0 };
        out.v[CHAIR_ACT_VALVE_CALVES] = NAN;
        chair_safety_enforce(&s, cfg, &in, false, &out);
        assert_float_equal(out.v[CHAIR_ACT_VALVE_CALVES], 1.0f, 0);
        /* force_safe: everything at its safe value, whatever was asked. */
        for (int a = 0; a < _CHAIR_ACT_COUNT; a++)
                out.v[a] = 1.0f;
        chair_safety_enforce(&s, cfg, &in, true, &out);
        assert_true(chair_outputs_all_safe(cfg, &out));
        chair_config_free(cfg);
}

static void test_fault_table(void **state) {
        (void) state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
                run_row(&rows[i]);
}

/* Every code is stable, named, described and round-trips. */
static void test_fault_codes(void **state) {
        (void) state;
        for (int f = 0; f < _CHAIR_FAULT_COUNT; f++) {
                assert_string_not_equal(chair_fault_code(f), "unknown");
                assert_true(strlen(chair_fault_message(f)) > 10);
                assert_int_equal(chair_fault_from_code(chair_fault_code(f)), f);
        }
        assert_string_equal(chair_fault_code(CHAIR_FAULT_ESTOP), "estop");
        assert_string_equal(chair_fault_code(CHAIR_FAULT_ROLLER_STALL), "roller_stall");
        assert_string_equal(chair_fault_code(CHAIR_FAULT_MOTOR_STALL), "motor_stall");
        assert_true(chair_fault_from_code("nonsense") < 0);
        assert_false(chair_fault_is_stopping(CHAIR_FAULT_HEATER_SENSOR));
        assert_false(chair_fault_is_stopping(CHAIR_FAULT_HEATER_OVERTEMP));
        assert_true(chair_fault_is_stopping(CHAIR_FAULT_PINCH));
        /* refusals, not faults: reply codes of enum chair_err */
        assert_true(chair_fault_from_code("not_occupied") < 0);
        assert_true(chair_fault_from_code("obstacle") < 0);
        assert_false(chair_fault_is_stopping(_CHAIR_FAULT_COUNT));
        assert_string_equal(chair_fault_code(CHAIR_FAULT_OUTPUT_TIMEOUT), "output_timeout");
        assert_true(chair_fault_is_stopping(CHAIR_FAULT_OUTPUT_TIMEOUT));
        assert_int_equal(__builtin_popcount(CHAIR_FAULTS_STOPPING), _CHAIR_FAULT_COUNT - 2);
}

/* ---- regressions: bugs the simulation testing found --------------------------- */

/* DST seed 43: clear_faults reset the stall timers, so an owner who kept sending
 * it postponed stall detection for ever. */
static void test_clear_spam_does_not_postpone_stall(void **state) {
        struct rig *r = rig_new(NULL);
        (void) state;
        tamper_reset();
        setup_running(r);
        p_stall_carriage(r);
        double t_arm = -1;
        for (int i = 0; i < 20 * 500 && !latched(r, CHAIR_FAULT_ROLLER_STALL); i++) {
                double t = rig_time(r);
                if (i % 50 == 0)
                        scmd(r, CHAIR_ACTION_CLEAR_FAULTS, CHAIR_UNSET);
                else
                        stick(r, NULL, 0);
                if (t_arm < 0 && carriage_driven(r))
                        t_arm = t;
        }
        assert_true(latched(r, CHAIR_FAULT_ROLLER_STALL));
        assert_true(rig_time(r) - t_arm <= r->cfg->safety.stall_s + 0.01);
        rig_free(r);
}

/* A move to zero-gravity kept the backrest driven 29.4 s against a 30 s travel
 * timeout: a normal recline must arrive well inside it. */
static void test_recline_fits_travel_timeout(void **state) {
        struct chair_config *cfg = testkit_config();
        (void) state;
        cfg->safety.travel_timeout_s = cfg->hardware.geometry.recline_s + 5;
        struct rig *r = rig_new(cfg);
        tamper_reset();
        srun(r, 0.1);
        int8_t pos[] = { CHAIR_RECLINE_ZERO_GRAVITY, CHAIR_RECLINE_UPRIGHT, CHAIR_RECLINE_RELAX, CHAIR_RECLINE_UPRIGHT };
        for (size_t i = 0; i < sizeof(pos); i++) {
                assert_int_equal(scmd(r, CHAIR_ACTION_RECLINE, pos[i]), CHAIR_OK);
                double driven = 0, most = 0;
                for (int k = 0; k < 40 * 500; k++) {
                        stick(r, NULL, 0);
                        driven = r->out.v[CHAIR_ACT_BACKREST] != 0 ? driven + 0.002 : 0;
                        most = fmax(most, driven);
                }
                float br, lr;
                chair_seq_recline_position(pos[i], &br, &lr);
                assert_float_equal(r->truth.backrest, br, 0.012);
                assert_true(most < r->cfg->hardware.geometry.recline_s + 3);
        }
        assert_int_equal(r->faults_seen, 0);
        rig_free(r);
}

/* DST seed 242: a stalled depth motor kept the ending phase driving it for ever. */
static void test_stalled_depth_ends(void **state) {
        struct rig *r = rig_new(NULL);
        (void) state;
        tamper_reset();
        setup_short_running(r);
        p_stall_depth(r);
        bool idle = srun_until(r, 120, stopped);
        print_message("state %s depth %.3f out %.3f latched %#x\n", chair_state_name(r->st.state), (double) r->in.depth,
                      (double) r->out.v[CHAIR_ACT_DEPTH], r->st.faults_latched);
        assert_true(idle);
        assert_true(r->faults_seen & (1u << CHAIR_FAULT_MOTOR_STALL));
        assert_true(r->st.all_safe);
        rig_free(r);
}

/* encoder_fault cleared while the pulses went on, and came straight back. */
static void test_encoder_clear_needs_quiet(void **state) {
        struct rig *r = rig_new(NULL);
        (void) state;
        tamper_reset();
        srun(r, 1);
        tp.enc_noise = true;
        srun(r, 1);
        assert_true(latched(r, CHAIR_FAULT_ENCODER_FAULT));
        assert_int_equal(scmd(r, CHAIR_ACTION_CLEAR_FAULTS, CHAIR_UNSET), CHAIR_ERR_FAULT_ACTIVE);
        tp.enc_noise = false;
        srun(r, 0.5);
        assert_int_equal(scmd(r, CHAIR_ACTION_CLEAR_FAULTS, CHAIR_UNSET), CHAIR_ERR_FAULT_ACTIVE);
        srun(r, 0.6);
        assert_int_equal(scmd(r, CHAIR_ACTION_CLEAR_FAULTS, CHAIR_UNSET), CHAIR_OK);
        srun(r, 6);
        assert_false(latched(r, CHAIR_FAULT_ENCODER_FAULT));
        rig_free(r);
}

/* DST seed 1004932: a heater reading that jumps and comes back within one
 * 0.5 s window was judged only by the window's ends, and went unnoticed. */
static void test_heater_spike_within_window(void **state) {
        struct rig *r = rig_new(NULL);
        (void) state;
        tamper_reset();
        setup_running(r);
        tp.heater_off = -14;
        srun(r, 0.2);
        tp.heater_off = 0;
        srun(r, 1);
        assert_true(latched(r, CHAIR_FAULT_HEATER_SENSOR));
        assert_int_equal(r->st.state, CHAIR_STATE_RUNNING);
        rig_free(r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fault_codes),
                cmocka_unit_test(test_enforce_clamps),
                cmocka_unit_test(test_fault_table),
                cmocka_unit_test(test_clear_spam_does_not_postpone_stall),
                cmocka_unit_test(test_recline_fits_travel_timeout),
                cmocka_unit_test(test_stalled_depth_ends),
                cmocka_unit_test(test_encoder_clear_needs_quiet),
                cmocka_unit_test(test_heater_spike_within_window),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
