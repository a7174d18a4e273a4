/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The session timeline: which step runs when, the body scan, the owner's live
 * settings (intensity, speed, heat, focus), pause/resume, the session timer and
 * the ending phase.  It turns time into setpoints (struct chair_setpoint) and
 * never touches outputs; control.c hands its setpoints to shaping and the
 * supervisor.
 *
 * The struct is public (not opaque) so the controller can embed it and nothing
 * is allocated: a tick must never allocate.  Only sequencer.c and control.c
 * touch its fields.
 */

#include <stdbool.h>
#include <stdint.h>

#include "body.h"
#include "hal.h"
#include "program.h"
#include "technique.h"

struct chair_config;

enum chair_seq_phase {
        CHAIR_SEQ_IDLE,
        CHAIR_SEQ_HOMING,          /* carriage to the home switch (start of the scan) */
        CHAIR_SEQ_SCAN,            /* sweep up with the rollers pressing lightly, find the shoulder line */
        CHAIR_SEQ_RETRACT,         /* rollers back in before the program starts */
        CHAIR_SEQ_RUNNING,
        CHAIR_SEQ_PAUSED,
        CHAIR_SEQ_ENDING,          /* park rollers, vent airbags, heat off, settle recline */
};

/* What the sequencer asks of the machine this tick. */
struct chair_seq_out {
        struct chair_setpoint sp;
        bool carriage_direct;      /* true: sp.carriage_mm ignored, use carriage_v */
        float carriage_v;          /* direct carriage drive (homing, scan, parking) */
        bool depth_direct;
        float depth_v;
        bool heat;                 /* regulate the heater to its target */
        float backrest, legrest;   /* recline targets 0..1, NaN = hold still */
        bool motion;               /* anything may move this tick (false while paused) */
};

struct chair_seq {
        enum chair_seq_phase phase;
        const struct chair_program *prog;
        int16_t prog_index;
        uint32_t planned_s;        /* session length chosen at start */
        double elapsed_s;          /* massage time so far (scan + running, pauses excluded) */
        double step_t_s;           /* time into the current step */
        double phase_t_s;          /* time in the current phase */
        double paused_s;           /* time in the current pause */
        double scale;              /* step duration scale for this session */
        double step_end_s[CHAIR_PROGRAM_MAX_STEPS];   /* running-time end of each step */
        double run_s;              /* time since RUNNING began (pauses excluded) */
        uint16_t step;             /* 0-based current step */
        bool step_changed;         /* set on the tick a new step begins (caller emits the event) */

        /* owner's settings */
        uint8_t intensity, speed;  /* 1..5, 3 = as the program says */
        bool heat;
        int8_t focus;              /* landmark or -1 */
        float live_intensity;      /* ramps toward the effective intensity */
        float live_speed;

        /* body */
        struct chair_body body;
        bool scanned;
        float scan_contact_mm;     /* last carriage position with the rollers on the back */

        /* step transitions: blend from the last setpoint of the previous step */
        struct chair_setpoint prev_sp;
        bool have_prev;
        struct chair_setpoint last_sp;

        enum chair_recline recline;         /* current recline position target */
        enum chair_recline owner_recline;   /* from a recline command, overrides steps */
        enum chair_seq_phase resume_phase;  /* where resume goes back to */
        bool carriage_parked, depth_parked;
};

void chair_seq_init(struct chair_seq *s);

/* Begin a session (state checks are the caller's).  minutes already validated. */
void chair_seq_start(struct chair_seq *s, const struct chair_config *cfg, const struct chair_program *p,
                     int16_t index, uint32_t minutes, uint8_t intensity, uint8_t speed, bool heat,
                     int8_t focus);

/* Right after chair_seq_start(): keep the body scanned by the session that ran
 * before (a program switch, design C3) and begin the program's first step now. */
void chair_seq_start_scanned(struct chair_seq *s);
/* More time: planned_s grows by add_s and the steps still to come stretch to
 * fill it.  The cap (rule 3) is the caller's. */
void chair_seq_extend(struct chair_seq *s, uint32_t add_s);
/* End the current step now; the steps after it share the time left.  The
 * caller handles the last step (there is no next one).  While paused it takes
 * effect on resume. */
void chair_seq_skip(struct chair_seq *s);

/* Advance by dt seconds with the current inputs and estimated carriage position;
 * fills out.  Returns true when the session has finished (ending phase done). */
bool chair_seq_tick(struct chair_seq *s, const struct chair_config *cfg, const struct chair_inputs *in,
                    float carriage_mm, double dt, struct chair_seq_out *out);

/* The session's massage time is over or was stopped: go to the ending phase. */
/*
 * The owner's live settings (the control step validated them): intensity and
 * speed 1..5, or a relative change whose result is clamped to 1..5; heat; the
 * focus landmark (-1 = none); a recline preset that overrides the steps'.
 */
void chair_seq_set_intensity(struct chair_seq *s, int level);
void chair_seq_set_speed(struct chair_seq *s, int level);
void chair_seq_change_intensity(struct chair_seq *s, int delta);
void chair_seq_change_speed(struct chair_seq *s, int delta);
void chair_seq_set_heat(struct chair_seq *s, bool on);
void chair_seq_set_focus(struct chair_seq *s, int landmark);
void chair_seq_set_recline(struct chair_seq *s, enum chair_recline r);

void chair_seq_end(struct chair_seq *s);
/* Pause (outputs go safe while paused) and resume where it left off.
 * Both return false when the phase does not allow it. */
bool chair_seq_pause(struct chair_seq *s);
bool chair_seq_resume(struct chair_seq *s);
/* Drop the session at once (stop, fault): back to idle. */
void chair_seq_abort(struct chair_seq *s);

/* Backrest and legrest positions (0..1) of a named recline position. */
void chair_seq_recline_position(enum chair_recline r, float *backrest, float *legrest);

/* Any phase but idle.  Inline: asked several times a tick. */
static inline bool chair_seq_active(const struct chair_seq *s) {
        return s->phase != CHAIR_SEQ_IDLE;
}
double chair_seq_remaining_s(const struct chair_seq *s);
enum chair_technique chair_seq_technique(const struct chair_seq *s);
