/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Hardware abstraction: the one interface between the control step and a chair.
 *
 * The control step thinks in *logical* actuator values, one float per actuator:
 *   - bidirectional motors (carriage, knead, depth, backrest, legrest): -1..+1,
 *     the sign is the direction line, the magnitude the PWM duty;
 *   - unidirectional drives (tap, heater, pump): 0..1 duty;
 *   - valves: 0 or 1 (1 = the zone is connected to the pump, 0 = vented).
 * A backend maps these onto lines and channels (active-low, duty limits, ...).
 *
 * Thread rules: chair_hal_read()/chair_hal_write()/chair_hal_take_cut() are
 * called from the control thread on every tick and never allocate, log, lock or
 * block.  Everything else (new/free/safe) is called from the main thread, and
 * safe() only once the control thread no longer writes (it stopped, or never
 * ran): the linux backend hands safe() to its output thread through the same
 * single-writer mailbox the tick uses.
 *
 * What runs where (design C2, docs/architecture.md): the tick reads and writes
 * memory only.  In the linux backend, read() copies the latest timestamped
 * input snapshot and drains GPIO edge events (the kernel queues them; reading
 * the queue never touches a bus); write() posts the outputs to the output
 * thread, which does every sysfs PWM and GPIO line write under the output
 * dead-man; the input thread reads every IIO channel at its rate.  An analog
 * sample older than its max_age_ms reads as a failed sensor.  The sim backend
 * has no bus: it runs the plant and the dead-man's on-time limit inline.
 */

#include <stdbool.h>
#include <stdint.h>

struct chair_config;

enum chair_actuator {
        CHAIR_ACT_CARRIAGE,        /* roller carriage along the spine; + = toward the head */
        CHAIR_ACT_KNEAD,           /* kneading motor; sign = rotation direction */
        CHAIR_ACT_TAP,             /* tapping motor, 0..1 */
        CHAIR_ACT_DEPTH,           /* roller depth (3D); + = rollers out, deeper */
        CHAIR_ACT_HEATER,          /* lumbar heater, 0..1 */
        CHAIR_ACT_PUMP,            /* air pump, 0..1 */
        CHAIR_ACT_VALVE_LUMBAR_LEFT,
        CHAIR_ACT_VALVE_LUMBAR_RIGHT,
        CHAIR_ACT_VALVE_SEAT,
        CHAIR_ACT_VALVE_CALVES,
        CHAIR_ACT_BACKREST,        /* + = recline further back */
        CHAIR_ACT_LEGREST,         /* + = raise the legrest */
        _CHAIR_ACT_COUNT,
};

enum chair_airbag {
        CHAIR_BAG_LUMBAR_LEFT,
        CHAIR_BAG_LUMBAR_RIGHT,
        CHAIR_BAG_SEAT,
        CHAIR_BAG_CALVES,
        _CHAIR_BAG_COUNT,
};

/* Kind of drive an actuator has; decides its value range. */
enum chair_act_kind {
        CHAIR_ACT_KIND_BIDIR,      /* -1..1 */
        CHAIR_ACT_KIND_DUTY,       /* 0..1 */
        CHAIR_ACT_KIND_SWITCH,     /* 0 or 1 */
};

/* Stable names, used in config keys, trace columns (out.<name>) and diagnostics. */
const char *chair_actuator_name(enum chair_actuator a);
int chair_actuator_from_name(const char *s);          /* enum value or -EINVAL */
const char *chair_airbag_name(enum chair_airbag b);    /* "lumbar-left", ... */
int chair_airbag_from_name(const char *s);

/* Inline because the supervisor, the shaper and the counters ask once per
 * actuator on every control tick: an out-of-line call each was about 100
 * instructions a tick (docs/performance.md). */
extern const uint8_t chair_actuator_kinds[_CHAIR_ACT_COUNT];

static inline enum chair_act_kind chair_actuator_kind(enum chair_actuator a) {
        return (unsigned) a < _CHAIR_ACT_COUNT ? (enum chair_act_kind) chair_actuator_kinds[a] : CHAIR_ACT_KIND_DUTY;
}

/* The valves follow the airbags' order in enum chair_actuator. */
static inline enum chair_actuator chair_airbag_valve(enum chair_airbag b) {
        return (enum chair_actuator) (CHAIR_ACT_VALVE_LUMBAR_LEFT + b);
}

enum chair_sensor_status {
        CHAIR_SENSOR_OK,
        CHAIR_SENSOR_OPEN,         /* reads as an open circuit */
        CHAIR_SENSOR_SHORT,        /* reads as a short circuit */
        CHAIR_SENSOR_ERROR,        /* read failed / implausible raw value */
        CHAIR_SENSOR_ABSENT,       /* not fitted on this chair */
};

/* Analog sensors (ADC channels), the index of struct chair_inputs.raw. */
enum chair_analog {
        CHAIR_AN_HEATER,           /* heater NTC */
        CHAIR_AN_DEPTH,
        CHAIR_AN_BACKREST,
        CHAIR_AN_LEGREST,
        CHAIR_AN_PRESSURE,         /* + enum chair_airbag */
        _CHAIR_AN_COUNT = CHAIR_AN_PRESSURE + _CHAIR_BAG_COUNT,
};

struct chair_inputs {
        bool estop;                /* stop button pressed (true while held) */
        bool occupied;             /* seat occupancy sensor (true if no sensor fitted) */
        bool obstacle;             /* under-chair obstacle sensor closed */

        uint32_t encoder_pulses;   /* carriage encoder edges, cumulative, wraps */
        bool carriage_home;        /* end switch at 0 mm (seat end) */
        bool carriage_end;         /* end switch at the far (head) end */

        float depth;               /* roller depth position 0..1 */

        float heater_c;            /* lumbar heater NTC temperature */
        enum chair_sensor_status heater_sensor;

        float pressure_kpa[_CHAIR_BAG_COUNT];

        float backrest;            /* position 0 (upright) .. 1 (fully reclined) */
        float legrest;             /* position 0 (down) .. 1 (fully raised) */
        bool backrest_min, backrest_max;  /* end switches */
        bool legrest_min, legrest_max;

        /* The ADC code behind each analog value above, for technicians (the
         * control step never looks at it): what IIO's in_voltageN_raw read, or
         * what the sim's 12-bit ADC would read.  -1 when the sensor is not
         * fitted or its last read failed. */
        int32_t raw[_CHAIR_AN_COUNT];
};

struct chair_outputs {
        float v[_CHAIR_ACT_COUNT];
};

struct chair_hal;

struct chair_hal_ops {
        const char *name;
        /* Bring inputs up to date as of now_ns (CLOCK_MONOTONIC or virtual time). */
        int (*read)(struct chair_hal *h, uint64_t now_ns, struct chair_inputs *in);
        /* Apply outputs; only actuators present in the config are touched. */
        int (*write)(struct chair_hal *h, const struct chair_outputs *out);
        /* Drive every output to its safe value, reporting but not stopping at failures. */
        int (*safe)(struct chair_hal *h);
        void (*destroy)(struct chair_hal *h);
        /* Outputs (bit per enum chair_actuator) that the output dead-man
         * (lib/deadman.h) cut for exceeding their on-time since the last call.
         * Control-thread safe.  NULL: the backend has no dead-man. */
        uint32_t (*take_cut)(struct chair_hal *h);
};

struct chair_hal {
        const struct chair_hal_ops *ops;
        const struct chair_config *cfg;
};

/* chair_hal_new() (the backend the config names): lib/hal-backend.h. */
struct chair_hal *chair_hal_free(struct chair_hal *h);   /* accepts NULL, returns NULL */

static inline int chair_hal_read(struct chair_hal *h, uint64_t now_ns, struct chair_inputs *in) {
        return h->ops->read(h, now_ns, in);
}
static inline int chair_hal_write(struct chair_hal *h, const struct chair_outputs *out) {
        return h->ops->write(h, out);
}
static inline int chair_hal_safe(struct chair_hal *h) {
        return h->ops->safe(h);
}
static inline uint32_t chair_hal_take_cut(struct chair_hal *h) {
        return h->ops->take_cut ? h->ops->take_cut(h) : 0;
}

/* The safe value of every actuator as configured (motors 0, heater 0, valves per config). */
void chair_outputs_safe(const struct chair_config *cfg, struct chair_outputs *out);
/* True when every present actuator sits at its safe value. */
bool chair_outputs_all_safe(const struct chair_config *cfg, const struct chair_outputs *out);
