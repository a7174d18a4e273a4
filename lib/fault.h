/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Faults (design A4): the one place that lists them, names them, describes
 * them and says which stop the session.  docs/safety.md has the table of when
 * each is detected and how it clears.  A set of faults is a bit mask of
 * (1u << code).  Refusals that are not faults (nobody seated, an obstacle in
 * the way of a recline) are reply codes (enum chair_err in command.h), not here.
 *
 * Codes are stable strings: they travel in MQTT state and events and are
 * stored in the fault history and the counters by name, never by number.
 */

#include <stdbool.h>

enum chair_fault {
        CHAIR_FAULT_ESTOP,
        CHAIR_FAULT_HEATER_SENSOR,
        CHAIR_FAULT_HEATER_OVERTEMP,
        CHAIR_FAULT_ROLLER_STALL,
        CHAIR_FAULT_TRAVEL_TIMEOUT,
        CHAIR_FAULT_ENCODER_FAULT,
        CHAIR_FAULT_PINCH,
        CHAIR_FAULT_OVERPRESSURE,
        CHAIR_FAULT_LOOP_OVERRUN,  /* outputs went stale longer than control.max_stall_ms */
        CHAIR_FAULT_HAL_IO,
        CHAIR_FAULT_MOTOR_STALL,   /* depth (retracting), backrest or legrest driven, position still */
        CHAIR_FAULT_OUTPUT_TIMEOUT,/* the output dead-man cut an output on too long (lib/deadman.h) */
        _CHAIR_FAULT_COUNT,
};

/* The faults that stop the session: every one but the heater's, which only
 * take the heat away.  A constant, so that the checks on every tick are one AND. */
#define CHAIR_FAULTS_STOPPING \
        (((1u << _CHAIR_FAULT_COUNT) - 1) & ~((1u << CHAIR_FAULT_HEATER_SENSOR) | (1u << CHAIR_FAULT_HEATER_OVERTEMP)))

const char *chair_fault_code(enum chair_fault f);       /* "estop", "heater_sensor", ...; "unknown" */
const char *chair_fault_message(enum chair_fault f);    /* one line for owners and technicians */
int chair_fault_from_code(const char *s);               /* enum value or -EINVAL */
bool chair_fault_is_stopping(enum chair_fault f);
