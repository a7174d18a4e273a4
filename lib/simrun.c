/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "body.h"
#include "command.h"
#include "config.h"
#include "program.h"
#include "simrun.h"

/* A run without --seconds stops here even if the session somehow goes on:
 * twice the hard session cap plus parking is far beyond any real session. */
#define SAFETY_NET_S (2 * 30 * 60 + 600)

const char *chair_sim_result_name(enum chair_sim_result r) {
        switch (r) {
        case CHAIR_SIM_COMPLETED: return "completed";
        case CHAIR_SIM_STOPPED: return "stopped";
        case CHAIR_SIM_FAULT: return "fault";
        case CHAIR_SIM_REFUSED: return "refused";
        }
        return "unknown";
}

static int cmp_inject(const void *a, const void *b) {
        const struct chair_inject *x = *(const struct chair_inject *const *) a;
        const struct chair_inject *y = *(const struct chair_inject *const *) b;
        return x->at_s < y->at_s ? -1 : x->at_s > y->at_s ? 1 : (x < y ? -1 : x > y);
}

static void trace_header(FILE *f) {
        fputs("t_s,state,step,technique,carriage_mm,heater_c,all_safe,depth,backrest,legrest", f);
        for (int b = 0; b < _CHAIR_BAG_COUNT; b++)
                fprintf(f, ",kpa.%s", chair_airbag_name(b));
        for (int a = 0; a < _CHAIR_ACT_COUNT; a++)
                fprintf(f, ",out.%s", chair_actuator_name(a));
        fputs(",intensity,speed,heat_target_c\n", f);
}

static void trace_row(FILE *f, const struct chair_config *cfg, double t, const struct chair_status *st) {
        fprintf(f, "%.4f,%s,%u,%s,%.2f,%.2f,%d,%.3f,%.3f,%.3f", t, chair_state_name(st->state), st->step,
                st->step ? chair_technique_name(st->technique) : "", st->carriage_mm,
                (double) st->in.heater_c, st->all_safe, (double) st->in.depth, (double) st->in.backrest,
                (double) st->in.legrest);
        for (int b = 0; b < _CHAIR_BAG_COUNT; b++)
                fprintf(f, ",%.2f", (double) st->in.pressure_kpa[b]);
        for (int a = 0; a < _CHAIR_ACT_COUNT; a++)
                fprintf(f, ",%.3f", cfg->hardware.outputs[a].present ? (double) st->out.v[a] : 0.0);
        fprintf(f, ",%u,%u,%.1f\n", st->intensity, st->speed, (double) st->heat_target_c);
}

static void live_line(FILE *f, const struct chair_programs *progs, const struct chair_status *st) {
        int rem = (int) st->remaining_s;
        char heat[32];

        if (isnan(st->heat_c))
                snprintf(heat, sizeof(heat), "sensor fault");
        else
                snprintf(heat, sizeof(heat), "%.1f °C%s", (double) st->heat_c, st->out.v[CHAIR_ACT_HEATER] > 0 ? " (heating)" : "");
        fprintf(f, "\r\033[K%-8s %-16s step %2u/%-2u %-12s roller %4.0f mm  heat %-18s %2d:%02d left",
                chair_state_name(st->state), st->program >= 0 ? progs->v[st->program].id : "-",
                st->step, st->steps, st->step ? chair_technique_name(st->technique) : "-",
                (double) st->carriage_mm, heat, rem / 60, rem % 60);
        if (st->faults)
                for (int i = 0; i < _CHAIR_FAULT_COUNT; i++)
                        if (st->faults & (1u << i))
                                fprintf(f, " [%s]", chair_fault_code(i));
        fflush(f);
}

static void pace(double realtime, double virtual_s, const struct timespec *t0) {
        struct timespec due = *t0;
        double wall = virtual_s / realtime;
        due.tv_sec += (time_t) wall;
        due.tv_nsec += (long) ((wall - floor(wall)) * 1e9);
        if (due.tv_nsec >= 1000000000L) {
                due.tv_sec++;
                due.tv_nsec -= 1000000000L;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL);
}

int chair_simrun(const struct chair_config *cfg_in, const struct chair_programs *progs,
                 const struct chair_simrun_opts *o, struct chair_simrun_result *r, char *err, size_t err_size) {
        struct chair_config cfg = *cfg_in;        /* shallow: only the seed may differ */
        struct chair_hal *hal = NULL;
        struct chair_ctl *ctl = NULL;
        const struct chair_inject **inj = NULL;
        struct chair_cmd *cmds = NULL;
        size_t next_inj = 0;
        int ret = 0;

        memset(r, 0, sizeof(*r));
        r->carriage_min_mm = INFINITY;
        r->carriage_max_mm = -INFINITY;
        r->max_heater_c = -INFINITY;
        r->rate_hz = cfg.control.rate_hz;

        int prog = chair_programs_find(progs, o->program);
        if (prog < 0) {
                snprintf(err, err_size, "unknown program '%s'", o->program);
                return -ENOENT;
        }
        if (o->seed_set)
                cfg.hardware.sim.seed = o->seed;
        cfg.hardware.backend = CHAIR_BACKEND_SIM;

        if (o->n_injects) {
                inj = calloc(o->n_injects, sizeof(*inj));
                if (!inj)
                        return -ENOMEM;
                for (size_t i = 0; i < o->n_injects; i++)
                        inj[i] = &o->injects[i];
                qsort(inj, o->n_injects, sizeof(*inj), cmp_inject);
        }
        cmds = calloc(o->n_injects + 1, sizeof(*cmds));
        if (!cmds) {
                ret = -ENOMEM;
                goto out;
        }

        ret = chair_hal_sim_new(&cfg, &hal);
        if (ret < 0) {
                snprintf(err, err_size, "cannot create the simulated chair: %s", strerror(-ret));
                goto out;
        }
        ret = chair_ctl_new(&cfg, progs, &ctl);
        if (ret < 0) {
                snprintf(err, err_size, "cannot create the controller: %s", strerror(-ret));
                goto out;
        }

        uint64_t period_ns = 1000000000ull / cfg.control.rate_hz;
        uint64_t trace_every = o->trace_every > 1 ? o->trace_every : 1;
        uint64_t trigger_tick = 0;
        bool trigger_pending = false, started = false, ended = false;
        enum chair_end_reason end_reason = CHAIR_END_COMPLETED;
        struct timespec t0;
        struct chair_event ev[CHAIR_MAX_EVENTS_PER_TICK];
        struct chair_status st;
        struct chair_sim_truth truth;
        struct chair_outputs out;
        struct chair_inputs in;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (o->trace)
                trace_header(o->trace);

        for (uint64_t tick = 0;; tick++) {
                uint64_t now = tick * period_ns;
                double t = (double) now / 1e9;
                size_t n_cmds = 0;

                if (!started) {
                        chair_cmd_init(&cmds[n_cmds], CHAIR_ACTION_START);
                        cmds[n_cmds].program = (int16_t) prog;
                        cmds[n_cmds].minutes = (int16_t) o->minutes;
                        cmds[n_cmds].intensity = (int8_t) o->intensity;
                        cmds[n_cmds].speed = (int8_t) o->speed;
                        cmds[n_cmds].heat = (int8_t) o->heat;
                        cmds[n_cmds].token = 0;
                        n_cmds++;
                        started = true;
                }
                /* A tick takes CHAIR_MAX_CMDS_PER_TICK commands; more at the same
                 * instant wait for the next tick, as in the daemon's ring. */
                while (next_inj < o->n_injects && inj[next_inj]->at_s <= t + 1e-12 &&
                       !(inj[next_inj]->is_command && n_cmds >= CHAIR_MAX_CMDS_PER_TICK)) {
                        const struct chair_inject *x = inj[next_inj++];
                        if (x->is_command) {
                                char id[CHAIR_CMD_ID_MAX], msg[256];
                                struct chair_cmd c;
                                enum chair_err e = chair_cmd_parse_cfg(x->command, strlen(x->command), &cfg, progs, &c,
                                                                   id, sizeof(id), msg, sizeof(msg));
                                if (e != CHAIR_OK) {
                                        snprintf(err, err_size, "injected command at %gs: %s: %s", x->at_s,
                                                 chair_err_code(e), msg);
                                        ret = -EINVAL;
                                        goto out;
                                }
                                c.token = (uint32_t) next_inj;
                                cmds[n_cmds++] = c;
                        } else {
                                chair_hal_sim_apply(hal, &x->change);
                                if (x->change.key == CHAIR_SIM_ESTOP && x->change.b && !trigger_pending) {
                                        trigger_pending = true;
                                        trigger_tick = tick;
                                }
                        }
                }

                chair_hal_read(hal, now, &in);
                if (chair_hal_take_cut(hal))
                        chair_ctl_raise(ctl, CHAIR_FAULT_OUTPUT_TIMEOUT, &out);
                size_t n_ev = chair_ctl_step(ctl, now, &in, cmds, n_cmds, &out, ev);
                chair_hal_write(hal, &out);
                chair_ctl_status(ctl, &st);
                chair_hal_sim_truth(hal, &truth);

                for (size_t i = 0; i < n_ev; i++) {
                        const struct chair_event *e = &ev[i];
                        switch (e->kind) {
                        case CHAIR_EVENT_RESULT:
                                if (e->result.err != CHAIR_OK)
                                        r->commands_refused++;
                                if (e->result.token == 0 && e->result.action == CHAIR_ACTION_START &&
                                    e->result.err != CHAIR_OK) {
                                        r->start_error = e->result.err;
                                        ended = true;
                                        end_reason = CHAIR_END_STOPPED;
                                }
                                if (e->result.action == CHAIR_ACTION_STOP && !trigger_pending) {
                                        trigger_pending = true;
                                        trigger_tick = tick;
                                }
                                break;
                        case CHAIR_EVENT_STEP:
                                r->steps_run++;
                                if (o->live)
                                        fputc('\n', o->live);
                                break;
                        case CHAIR_EVENT_FAULT:
                                if (r->n_faults < CHAIR_SIMRUN_MAX_FAULTS) {
                                        r->faults[r->n_faults].code = e->fault.code;
                                        r->faults[r->n_faults].at_s = t;
                                        r->n_faults++;
                                }
                                if (chair_fault_is_stopping(e->fault.code) && !trigger_pending) {
                                        trigger_pending = true;
                                        trigger_tick = tick;
                                }
                                break;
                        case CHAIR_EVENT_SESSION_ENDED:
                                end_reason = e->ended.reason;
                                r->session_s = e->ended.elapsed_s;
                                break;
                        default:
                                break;
                        }
                }

                if (trigger_pending && st.all_safe) {
                        uint32_t d = (uint32_t) (tick - trigger_tick);
                        if (d > r->max_safe_reaction_ticks)
                                r->max_safe_reaction_ticks = d;
                        r->safe_reactions++;
                        trigger_pending = false;
                }
                if (st.shoulder_mm > 0 && st.shoulder_mm != r->shoulder_mm) {
                        r->shoulder_mm = st.shoulder_mm;
                        struct chair_body body;
                        chair_body_from_shoulder(&cfg.hardware.geometry, st.shoulder_mm, &body);
                        memcpy(r->landmark_mm, body.landmark_mm, sizeof(r->landmark_mm));
                }
                r->carriage_min_mm = fminf(r->carriage_min_mm, truth.carriage_mm);
                r->carriage_max_mm = fmaxf(r->carriage_max_mm, truth.carriage_mm);
                r->max_heater_c = fmaxf(r->max_heater_c, truth.heater_c);
                r->ticks = tick + 1;
                r->simulated_s = (double) (tick + 1) * (double) period_ns / 1e9;

                if (o->trace && tick % trace_every == 0)
                        trace_row(o->trace, &cfg, t, &st);
                if (o->on_tick && o->on_tick(o->userdata, tick, t, &st, &truth, ev, n_ev))
                        break;
                if (o->realtime > 0) {
                        if (o->live && tick % (cfg.control.rate_hz / 10 + 1) == 0)
                                live_line(o->live, progs, &st);
                        if (tick % 16 == 0)
                                pace(o->realtime, t, &t0);
                }

                if (ended)
                        break;
                /* The session is over once it is idle again (parking done) or latched in a fault. */
                if (tick > 0 && (st.state == CHAIR_STATE_IDLE || (st.state == CHAIR_STATE_FAULT && st.all_safe)))
                        break;
                if (o->seconds > 0 && r->simulated_s >= o->seconds - 1e-9) {
                        end_reason = CHAIR_END_STOPPED;
                        break;
                }
                if (r->simulated_s > SAFETY_NET_S) {
                        end_reason = CHAIR_END_STOPPED;
                        break;
                }
        }

        if (o->live) {
                live_line(o->live, progs, &st);
                fputc('\n', o->live);
        }
        if (r->start_error != CHAIR_OK)
                r->result = CHAIR_SIM_REFUSED;
        else if (st.state == CHAIR_STATE_FAULT || end_reason == CHAIR_END_FAULT)
                r->result = CHAIR_SIM_FAULT;
        else if (end_reason == CHAIR_END_COMPLETED && st.state == CHAIR_STATE_IDLE)
                r->result = CHAIR_SIM_COMPLETED;
        else
                r->result = CHAIR_SIM_STOPPED;
        if (!isfinite(r->carriage_min_mm))
                r->carriage_min_mm = r->carriage_max_mm = 0;
        ret = 0;
out:
        chair_ctl_free(ctl);
        chair_hal_free(hal);
        free(cmds);
        free(inj);
        return ret;
}

/* A JSON number printed with a fixed number of decimals (json-c's default is %.17g). */
static json_object *num(double v, int decimals) {
        char buf[64];
        snprintf(buf, sizeof(buf), "%.*f", decimals, v);
        return json_object_new_double_s(v, buf);
}

void chair_simrun_print_json(const struct chair_simrun_result *r, const char *program, FILE *f) {
        json_object *o = json_object_new_object();
        json_object *faults = json_object_new_array();

        json_object_object_add(o, "program", json_object_new_string(program));
        json_object_object_add(o, "result", json_object_new_string(chair_sim_result_name(r->result)));
        if (r->result == CHAIR_SIM_REFUSED)
                json_object_object_add(o, "start_error", json_object_new_string(chair_err_code(r->start_error)));
        json_object_object_add(o, "simulated_s", num(r->simulated_s, 3));
        json_object_object_add(o, "session_s", num(r->session_s, 3));
        json_object_object_add(o, "ticks", json_object_new_int64((int64_t) r->ticks));
        json_object_object_add(o, "rate_hz", json_object_new_int64(r->rate_hz));
        json_object_object_add(o, "steps_run", json_object_new_int64(r->steps_run));
        for (size_t i = 0; i < r->n_faults; i++) {
                json_object *x = json_object_new_object();
                json_object_object_add(x, "code", json_object_new_string(chair_fault_code(r->faults[i].code)));
                json_object_object_add(x, "at_s", num(r->faults[i].at_s, 3));
                json_object_array_add(faults, x);
        }
        json_object_object_add(o, "faults", faults);
        json_object_object_add(o, "max_heater_c", num(r->max_heater_c, 2));
        json_object_object_add(o, "carriage_min_mm", num(r->carriage_min_mm, 1));
        json_object_object_add(o, "carriage_max_mm", num(r->carriage_max_mm, 1));
        json_object_object_add(o, "max_safe_reaction_ticks", json_object_new_int64(r->max_safe_reaction_ticks));
        json_object_object_add(o, "safe_reactions", json_object_new_int64(r->safe_reactions));
        json_object_object_add(o, "shoulder_mm", num(r->shoulder_mm, 1));
        json_object *lm = json_object_new_object();
        for (int l = 0; l < _CHAIR_LM_COUNT; l++)
                json_object_object_add(lm, chair_landmark_name(l), num(r->landmark_mm[l], 1));
        json_object_object_add(o, "landmarks_mm", lm);
        json_object_object_add(o, "commands_refused", json_object_new_int64(r->commands_refused));
        fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
}

void chair_simrun_print_text(const struct chair_simrun_result *r, const char *program, FILE *f) {
        fprintf(f, "program:        %s\n", program);
        fprintf(f, "result:         %s", chair_sim_result_name(r->result));
        if (r->result == CHAIR_SIM_REFUSED)
                fprintf(f, " (%s: %s)", chair_err_code(r->start_error), chair_err_message(r->start_error));
        fprintf(f, "\nsimulated:      %.1f s (%llu ticks at %u Hz), session %.1f s\n", r->simulated_s,
                (unsigned long long) r->ticks, r->rate_hz, r->session_s);
        fprintf(f, "steps run:      %u\n", r->steps_run);
        fprintf(f, "shoulder line:  %.0f mm\n", (double) r->shoulder_mm);
        fprintf(f, "carriage:       %.1f .. %.1f mm\n", (double) r->carriage_min_mm, (double) r->carriage_max_mm);
        fprintf(f, "max heater:     %.2f °C\n", (double) r->max_heater_c);
        fprintf(f, "safe reaction:  %u tick(s) at most over %u trigger(s)\n", r->max_safe_reaction_ticks,
                r->safe_reactions);
        fprintf(f, "faults:        ");
        if (!r->n_faults)
                fprintf(f, " none");
        for (size_t i = 0; i < r->n_faults; i++)
                fprintf(f, " %s@%.2fs", chair_fault_code(r->faults[i].code), r->faults[i].at_s);
        fputc('\n', f);
}
