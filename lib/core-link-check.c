/* SPDX-License-Identifier: MIT */
/*
 * Links the whole pure core (lib/meson.build: libchair-core) and nothing else;
 * that it links at all is the check.  Run, it plays one minute of a built-in
 * program on the simulated chair through the control step, so the test also
 * shows the core working on its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "config.h"
#include "control.h"
#include "hal-sim.h"
#include "hal.h"
#include "program.h"

int main(void) {
        /* A chair built in C (config loading is the I/O part): carriage and heater. */
        struct chair_config cfg;
        memset(&cfg, 0, sizeof(cfg));
        cfg.control.rate_hz = 500;
        cfg.safety = (__typeof__(cfg.safety)) { .default_session_min = 1, .max_session_min = 1, .heater_max_c = 45,
                                                .heater_target_c = 40, .stall_s = 0.5f, .travel_timeout_s = 30,
                                                .occupant_grace_s = 30, .max_pressure_kpa = 40,
                                                .max_heater_rate_c_s = 5 };
        cfg.hardware.backend = CHAIR_BACKEND_SIM;
        cfg.hardware.geometry = (struct chair_geometry) { .track_mm = 780, .mm_per_pulse = 0.5f, .carriage_mm_s = 120,
                                                          .recline_s = 20, .seat_to_shoulder_ratio = 0.35f,
                                                          .seat_offset_mm = 60 };
        cfg.hardware.sim = (struct chair_sim_config) { .seed = 1, .time_scale = 1, .body_height_cm = 175,
                                                       .occupied = true, .ambient_c = 22, .heater_w = 40,
                                                       .heater_tau_s = 120, .pump_kpa_s = 8 };
        for (int i = 0; i < _CHAIR_ACT_COUNT; i++)
                cfg.hardware.outputs[i].max = 1;
        cfg.hardware.outputs[CHAIR_ACT_CARRIAGE].present = true;
        cfg.hardware.outputs[CHAIR_ACT_KNEAD].present = true;
        cfg.hardware.outputs[CHAIR_ACT_HEATER].present = true;
        cfg.hardware.inputs.encoder.set = cfg.hardware.inputs.carriage_home.set = true;
        cfg.hardware.inputs.carriage_end.set = cfg.hardware.inputs.heater_temp.set = true;
        cfg.hardware.inputs.ntc = (struct chair_ntc_config) { .r25_ohm = 10000, .beta = 3950, .pullup_ohm = 10000,
                                                              .vref_mv = 3300, .open_ohm = 500000, .short_ohm = 50 };
        cfg.hardware.inputs.depth_map = cfg.hardware.inputs.backrest_map = cfg.hardware.inputs.legrest_map =
                (struct chair_linear_config) { 0, 4095, 0, 1 };
        cfg.hardware.inputs.pressure_map = (struct chair_linear_config) { 0, 4095, 0, 60 };

        struct chair_step step = { .technique = CHAIR_TECH_KNEADING, .zone_from = CHAIR_LM_L3, .zone_to = CHAIR_LM_L5,
                                   .duration_s = 60, .intensity = 3, .speed = 3, .heat = true };
        struct chair_program prog = { .name = (char *) "Core check", .description = (char *) "",
                                      .default_minutes = 1, .steps = &step, .n_steps = 1, .total_s = 60 };
        snprintf(prog.id, sizeof(prog.id), "core-check");
        struct chair_programs progs = { .v = &prog, .n = 1 };

        struct chair_hal *hal = NULL;
        struct chair_ctl *ctl = NULL;
        if (chair_hal_sim_new(&cfg, &hal) < 0 || chair_ctl_new(&cfg, &progs, &ctl) < 0) {
                fprintf(stderr, "core-link-check: setup failed\n");
                return 1;
        }
        struct chair_cmd start;
        chair_cmd_init(&start, CHAIR_ACTION_START);
        start.program = 0;
        struct chair_inputs in;
        struct chair_outputs out;
        struct chair_event ev[CHAIR_MAX_EVENTS_PER_TICK];
        struct chair_status st;
        bool ran = false, ended = false;
        for (uint64_t t = 0; t < 120ull * 500 && !ended; t++) {
                uint64_t now = t * 2000000ull;
                chair_hal_read(hal, now, &in);
                size_t n = chair_ctl_step(ctl, now, &in, &start, t == 0, &out, ev);
                chair_hal_write(hal, &out);
                for (size_t i = 0; i < n; i++)
                        ended |= ev[i].kind == CHAIR_EVENT_SESSION_ENDED;
                chair_ctl_status(ctl, &st);
                ran |= st.state == CHAIR_STATE_RUNNING;
        }
        chair_ctl_free(ctl);
        chair_hal_free(hal);
        printf("core-link-check: the core links on its own; a session %s and %s\n", ran ? "ran" : "did NOT run",
               ended ? "ended" : "did NOT end");
        return ran && ended ? 0 : 1;
}
