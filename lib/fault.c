/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "fault.h"

static const struct {
        const char *code;
        const char *message;
} faults[_CHAIR_FAULT_COUNT] = {
        [CHAIR_FAULT_ESTOP] = { "estop", "stop button pressed" },
        [CHAIR_FAULT_HEATER_SENSOR] = { "heater_sensor", "heater temperature sensor open, shorted or implausible; heat disabled" },
        [CHAIR_FAULT_HEATER_OVERTEMP] = { "heater_overtemp", "heater above its temperature limit; heat disabled" },
        [CHAIR_FAULT_ROLLER_STALL] = { "roller_stall", "roller carriage driven but not moving (no encoder pulses)" },
        [CHAIR_FAULT_TRAVEL_TIMEOUT] = { "travel_timeout", "a motor did not reach its end position in time" },
        [CHAIR_FAULT_ENCODER_FAULT] = { "encoder_fault", "encoder pulses while the carriage is not driven" },
        [CHAIR_FAULT_PINCH] = { "pinch", "obstacle under the chair while reclining; motion stopped" },
        [CHAIR_FAULT_OVERPRESSURE] = { "overpressure", "airbag pressure above its limit" },
        [CHAIR_FAULT_LOOP_OVERRUN] = { "loop_overrun", "control loop stalled: outputs went stale longer than control.max_stall_ms" },
        [CHAIR_FAULT_HAL_IO] = { "hal_io", "hardware input/output failed" },
        [CHAIR_FAULT_MOTOR_STALL] = { "motor_stall", "roller depth, backrest or legrest motor driven but its position does not change" },
        [CHAIR_FAULT_OUTPUT_TIMEOUT] = { "output_timeout", "an output stayed on longer than its max_on_s; the output layer switched it off" },
};

_Static_assert(_CHAIR_FAULT_COUNT <= 32, "a fault set is a 32-bit mask");

const char *chair_fault_code(enum chair_fault f) {
        return (unsigned) f < _CHAIR_FAULT_COUNT ? faults[f].code : "unknown";
}

const char *chair_fault_message(enum chair_fault f) {
        return (unsigned) f < _CHAIR_FAULT_COUNT ? faults[f].message : "unknown fault";
}

int chair_fault_from_code(const char *s) {
        for (int i = 0; s && i < _CHAIR_FAULT_COUNT; i++)
                if (strcmp(s, faults[i].code) == 0)
                        return i;
        return -EINVAL;
}

bool chair_fault_is_stopping(enum chair_fault f) {
        return (unsigned) f < _CHAIR_FAULT_COUNT && (CHAIR_FAULTS_STOPPING & (1u << f));
}
