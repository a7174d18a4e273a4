/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The self-test: moves each part the chair has, briefly, and checks that its
 * feedback answers.  A small tick-driven state machine like the control step:
 * pure, allocation-free, embedded by value in the controller; its outputs go
 * through the safety supervisor like any other.
 *
 * Preconditions (chair_selftest_start): no session (the caller checks), stop
 * button released, seat empty where an occupancy sensor is fitted (someone
 * sitting must not be surprised by moving rollers), no obstacle where an
 * obstacle sensor is fitted.  The same conditions abort a test under way.
 *
 * Parts, in this order, each followed by a short settle with every output safe:
 *   carriage  drive away from the end it sits at for up to 1 s, expecting
 *             encoder pulses within 0.6 × safety.stall_s (sooner than the
 *             supervisor's stall fault), then drive to the home switch,
 *             expecting pulses all the way and the switch within the time the
 *             travel needs (track_mm / speed × 1.5 + 2 s, at most 0.9 ×
 *             travel_timeout_s);
 *   depth     move away from the nearer end until the position changed by
 *             0.05 (within 1 s), then back to where it was (within 2 s);
 *   knead,    run at half duty for 1 s; no feedback exists: "not checked";
 *   tap
 *   heater    full duty until the temperature rose 0.5 °C (within 20 s);
 *             an open/shorted sensor fails at once; skipped without a sensor
 *             or when already within 1 °C of heater_max_c;
 *   airbags   per bag: pump and valve on until the pressure rose 2 kPa (within
 *             5 s), then vented until it fell by half of that (within 5 s);
 *   backrest, move away from the nearer end by 0.03 of the stroke, then back
 *   legrest   (each within 2 × the expected time + 1 s, from geometry.recline_s).
 * Depth, backrest and legrest also fail as soon as their position stays within
 * 0.002 for 0.6 × max(stall_s, 1 s) while driven: sooner than the supervisor's
 * motor_stall fault, which would otherwise abort the whole test.
 * A part the config lacks is "skipped"; a part fitted without its feedback
 * sensor is run briefly and reported "not checked" (the heater excepted: no
 * heat without a sensor).
 *
 * Thread: the control thread; every function here is allocation-free.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal.h"

struct chair_config;

enum chair_st_part {
        CHAIR_ST_CARRIAGE,
        CHAIR_ST_DEPTH,
        CHAIR_ST_KNEAD,
        CHAIR_ST_TAP,
        CHAIR_ST_HEATER,
        CHAIR_ST_AIRBAG_LUMBAR_LEFT,
        CHAIR_ST_AIRBAG_LUMBAR_RIGHT,
        CHAIR_ST_AIRBAG_SEAT,
        CHAIR_ST_AIRBAG_CALVES,
        CHAIR_ST_BACKREST,
        CHAIR_ST_LEGREST,
        _CHAIR_ST_PART_COUNT,
};

enum chair_st_result {
        CHAIR_ST_PENDING,          /* not reached yet */
        CHAIR_ST_PASS,
        CHAIR_ST_FAIL,
        CHAIR_ST_SKIPPED,          /* not fitted, or the test was aborted before it */
        CHAIR_ST_NOT_CHECKED,      /* ran, but the part has no feedback to check */
};

enum chair_st_reason {
        CHAIR_ST_OK,
        CHAIR_ST_NOT_FITTED,
        CHAIR_ST_NO_FEEDBACK,
        CHAIR_ST_NO_PULSES,
        CHAIR_ST_NO_END_SWITCH,
        CHAIR_ST_NO_MOVEMENT,
        CHAIR_ST_NOT_RETURNED,
        CHAIR_ST_NO_TEMP_RISE,
        CHAIR_ST_SENSOR_FAULT,
        CHAIR_ST_TOO_WARM,
        CHAIR_ST_NO_PRESSURE_RISE,
        CHAIR_ST_NO_PRESSURE_FALL,
        CHAIR_ST_NO_PUMP,
        CHAIR_ST_ABORT_ESTOP,
        CHAIR_ST_ABORT_OCCUPIED,
        CHAIR_ST_ABORT_OBSTACLE,
        CHAIR_ST_ABORT_STOPPED,    /* stop command, fault or shutdown */
        _CHAIR_ST_REASON_COUNT,
};

struct chair_st_item {
        uint8_t part;              /* enum chair_st_part */
        uint8_t result;            /* enum chair_st_result */
        uint8_t reason;            /* enum chair_st_reason */
        float measured;            /* pulses, position change, °C or kPa risen; 0 when none */
};

/* A POD: copy it anywhere (events, snapshots, history). */
struct chair_st_report {
        struct chair_st_item item[_CHAIR_ST_PART_COUNT];   /* indexed by enum chair_st_part */
        bool done;                 /* the test finished (completely or aborted) */
        bool aborted;
        bool passed;               /* done, not aborted, and no part failed */
        uint8_t failed;            /* number of parts that failed */
        float duration_s;
};

struct chair_selftest {
        /* all private: read the report through chair_selftest_report() */
        const struct chair_config *cfg;
        bool running, settling, fresh;
        uint8_t part, phase;
        int8_t dir;
        double t, settle_t, total_t, since_pulse_s, still_s;
        float base, peak, ref;
        uint32_t pulses, last_pulses;
        bool have_pulses;
        struct chair_st_report report;
};

void chair_selftest_init(struct chair_selftest *t, const struct chair_config *cfg);

/*
 * Begin a test.  Returns CHAIR_ST_OK, or the reason it may not start now:
 * CHAIR_ST_ABORT_ESTOP, CHAIR_ST_ABORT_OCCUPIED, CHAIR_ST_ABORT_OBSTACLE, or
 * CHAIR_ST_ABORT_STOPPED when a test already runs.
 */
enum chair_st_reason chair_selftest_start(struct chair_selftest *t, const struct chair_inputs *in);

bool chair_selftest_running(const struct chair_selftest *t);

/*
 * One tick of dt seconds: writes every output into out (safe values for all
 * parts but the one under test; all safe when no test runs).  Returns true on
 * the tick the test finishes (then chair_selftest_report() is complete).
 */
bool chair_selftest_step(struct chair_selftest *t, const struct chair_inputs *in, double dt,
                         struct chair_outputs *out);

/* End a running test now (stop command, fault, shutdown): the part under way
 * and the rest are "skipped" with reason why.  No-op when none runs. */
void chair_selftest_abort(struct chair_selftest *t, enum chair_st_reason why);

const struct chair_st_report *chair_selftest_report(const struct chair_selftest *t);

const char *chair_st_part_name(enum chair_st_part p);       /* "carriage", "airbag-seat", ... */
const char *chair_st_result_name(enum chair_st_result r);   /* "pass", "fail", "skipped", "not_checked" */
const char *chair_st_reason_message(enum chair_st_reason r);

/* "carriage=pass depth=fail(position did not change while driven) ..." into buf
 * (truncated to fit); returns the length it needed, like snprintf. */
int chair_st_report_summary(const struct chair_st_report *r, char *buf, size_t size);
