/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "testkit.h"

struct chair_config *testkit_config(void) {
        struct chair_config *cfg = calloc(1, sizeof(*cfg));
        if (!cfg)
                abort();
        chair_config_set_defaults(cfg);
        cfg->hardware.backend = CHAIR_BACKEND_SIM;
        for (int a = 0; a < _CHAIR_ACT_COUNT; a++)
                cfg->hardware.outputs[a].present = true;
        struct chair_input_config *in = &cfg->hardware.inputs;
        in->estop.set = in->occupancy.set = in->obstacle.set = true;
        in->encoder.set = in->carriage_home.set = in->carriage_end.set = true;
        in->backrest_min.set = in->backrest_max.set = in->legrest_min.set = in->legrest_max.set = true;
        in->heater_temp.set = in->depth_pos.set = in->backrest_pos.set = in->legrest_pos.set = true;
        for (int b = 0; b < _CHAIR_BAG_COUNT; b++)
                in->pressure[b].set = true;
        return cfg;
}

static void add_step(struct chair_program *p, enum chair_technique t, enum chair_landmark from,
                     enum chair_landmark to, uint32_t s, uint8_t intensity, bool heat, uint8_t bags,
                     enum chair_recline recline) {
        p->steps[p->n_steps++] = (struct chair_step) {
                .technique = t, .zone_from = from, .zone_to = to, .duration_s = s,
                .intensity = intensity, .speed = 3, .heat = heat, .airbags = bags, .recline = recline,
        };
        p->total_s += s;
}

static void init_program(struct chair_program *p, const char *id, uint32_t minutes) {
        strcpy(p->id, id);
        p->name = strdup(id);
        p->description = strdup("test program");
        p->file = strdup("testkit");
        p->default_minutes = minutes;
        p->steps = calloc(CHAIR_PROGRAM_MAX_STEPS, sizeof(*p->steps));
        if (!p->name || !p->description || !p->file || !p->steps)
                abort();
}

struct chair_programs *testkit_programs(const struct chair_config *cfg) {
        struct chair_programs *set = calloc(1, sizeof(*set));
        (void) cfg;
        if (!set)
                abort();
        set->v = calloc(2, sizeof(*set->v));
        if (!set->v)
                abort();
        set->n = 2;

        struct chair_program *p = &set->v[0];
        init_program(p, "short", 1);
        add_step(p, CHAIR_TECH_ROLLING, CHAIR_LM_T12, CHAIR_LM_S1, 20, 2, true, 0, CHAIR_RECLINE_KEEP);
        add_step(p, CHAIR_TECH_KNEADING, CHAIR_LM_L4, CHAIR_LM_L4, 20, 3, true, 0, CHAIR_RECLINE_KEEP);
        add_step(p, CHAIR_TECH_STRETCH, CHAIR_LM_L3, CHAIR_LM_L5, 20, 3, false,
                 (1u << CHAIR_BAG_LUMBAR_LEFT) | (1u << CHAIR_BAG_LUMBAR_RIGHT), CHAIR_RECLINE_RELAX);

        p = &set->v[1];
        init_program(p, "long", 20);
        add_step(p, CHAIR_TECH_KNEADING, CHAIR_LM_L3, CHAIR_LM_L5, 1200, 3, true, 0, CHAIR_RECLINE_KEEP);
        return set;
}

struct rig *rig_new(struct chair_config *cfg) {
        struct rig *r = calloc(1, sizeof(*r));
        if (!r)
                abort();
        r->cfg = cfg ? cfg : testkit_config();
        r->progs = testkit_programs(r->cfg);
        if (chair_hal_sim_new(r->cfg, &r->hal) < 0 || chair_ctl_new(r->cfg, r->progs, &r->ctl) < 0)
                abort();
        r->period_ns = 1000000000ull / r->cfg->control.rate_hz;
        return r;
}

void rig_free(struct rig *r) {
        if (!r)
                return;
        chair_ctl_free(r->ctl);
        chair_hal_free(r->hal);
        chair_programs_free(r->progs);
        chair_config_free(r->cfg);
        free(r);
}

size_t rig_tick(struct rig *r, const struct chair_cmd *cmds, size_t n) {
        chair_hal_read(r->hal, r->now_ns, &r->in);
        if (r->tamper)
                r->tamper(r);
        /* As the RT loop does: the output dead-man's cuts end the session. */
        if (chair_hal_take_cut(r->hal))
                chair_ctl_raise(r->ctl, CHAIR_FAULT_OUTPUT_TIMEOUT, &r->out);
        r->n_ev = chair_ctl_step(r->ctl, r->now_ns, &r->in, cmds, n, &r->out, r->ev);
        chair_hal_write(r->hal, &r->out);
        chair_ctl_status(r->ctl, &r->st);
        chair_hal_sim_truth(r->hal, &r->truth);
        for (size_t i = 0; i < r->n_ev; i++) {
                const struct chair_event *e = &r->ev[i];
                if (e->kind == CHAIR_EVENT_FAULT)
                        r->faults_seen |= 1u << e->fault.code;
                else if (e->kind == CHAIR_EVENT_SESSION_ENDED) {
                        r->sessions_ended++;
                        r->last_end = e->ended.reason;
                } else if (e->kind == CHAIR_EVENT_STEP)
                        r->steps_seen++;
        }
        r->now_ns += r->period_ns;
        r->ticks++;
        return r->n_ev;
}

void rig_run(struct rig *r, double seconds) {
        uint64_t n = (uint64_t) (seconds * r->cfg->control.rate_hz + 0.5);
        for (uint64_t i = 0; i < n; i++)
                rig_tick(r, NULL, 0);
}

bool rig_run_until(struct rig *r, double max_s, bool (*pred)(const struct rig *r)) {
        uint64_t n = (uint64_t) (max_s * r->cfg->control.rate_hz + 0.5);
        for (uint64_t i = 0; i < n; i++) {
                rig_tick(r, NULL, 0);
                if (pred(r))
                        return true;
        }
        return false;
}

enum chair_err rig_cmd(struct rig *r, const struct chair_cmd *cmd) {
        struct chair_cmd c = *cmd;
        c.token = 4242;
        rig_tick(r, &c, 1);
        for (size_t i = 0; i < r->n_ev; i++)
                if (r->ev[i].kind == CHAIR_EVENT_RESULT && r->ev[i].result.token == 4242)
                        return r->ev[i].result.err;
        return CHAIR_ERR_INTERNAL;
}

enum chair_err rig_start(struct rig *r, const char *program) {
        struct chair_cmd c;
        chair_cmd_init(&c, CHAIR_ACTION_START);
        c.program = (int16_t) chair_programs_find(r->progs, program);
        return rig_cmd(r, &c);
}

void rig_sim(struct rig *r, enum chair_sim_key key, float value) {
        struct chair_sim_change c = { .key = key };
        switch (key) {
        case CHAIR_SIM_ESTOP:
        case CHAIR_SIM_OCCUPIED:
        case CHAIR_SIM_OBSTACLE:
                c.b = value != 0;
                break;
        case CHAIR_SIM_HEATER_SENSOR:
                c.sensor = (enum chair_sensor_status) value;
                break;
        case CHAIR_SIM_STALL:
                c.actuator = (int) value;
                break;
        default:
                c.f = value;
                break;
        }
        if (chair_hal_sim_apply(r->hal, &c) < 0)
                abort();
}

double rig_time(const struct rig *r) {
        return (double) r->now_ns / 1e9;
}
