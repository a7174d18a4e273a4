/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * chaird.yaml: loading and validation.  See docs/config.md for every key.
 *
 * The loaded struct chair_config is immutable after chair_config_load() returns;
 * the control thread reads it without locks.  All strings are owned by the config
 * and freed by chair_config_free().
 */

#include <stdbool.h>
#include <stdint.h>

#include "hal.h"

struct chair_errors;

enum chair_backend {
        CHAIR_BACKEND_SIM,
        CHAIR_BACKEND_LINUX,
};

/* A GPIO line: by chip (name, path or label) and offset, or by line name. */
struct chair_gpio_binding {
        bool set;                  /* false when the key is absent */
        char *chip;                /* "gpiochip0", "/dev/gpiochip0" or a label; NULL with name */
        int offset;                /* -1 when addressed by name */
        char *name;                /* line name (gpio-line-names), or NULL */
        bool active_low;
        uint32_t debounce_ms;      /* inputs only */
        /* where in the file the binding was written, for error messages */
        uint32_t line, column;
};

/* A sysfs PWM channel. */
struct chair_pwm_binding {
        bool set;
        int chip;                  /* N of /sys/class/pwm/pwmchipN */
        int channel;
        uint32_t period_ns;        /* default 50000 (20 kHz) */
        float max_duty;            /* 0..1, default 1: duty limit of the driver/motor */
        bool inverted;             /* polarity */
        uint32_t line, column;
};

/* An IIO ADC channel: /sys/bus/iio/devices/iio:deviceN/in_voltageM_raw. */
struct chair_iio_binding {
        bool set;
        int device;
        int channel;
        uint32_t rate_hz;          /* read rate if slower than the loop; 0 = every tick */
        uint32_t max_age_ms;       /* older samples are a sensor fault; 0 = default (docs/config.md) */
        uint32_t line, column;
};

struct chair_output_config {
        bool present;              /* the chair has this part */
        struct chair_pwm_binding pwm;     /* speed/duty (motors, heater, pump) */
        struct chair_gpio_binding dir;    /* direction (bidirectional motors) */
        struct chair_gpio_binding gpio;   /* on/off outputs (valves, pump without PWM) */
        float safe;                /* logical safe value: 0 for everything but valves (0/1) */
        float max;                 /* magnitude limit 0..1 for the logical value, default 1 */
        float slew_per_s;          /* max change of the logical value per second; 0 = none */
        float max_on_s;            /* dead-man: longest continuous time away from safe; 0 = default */
};

/* NTC thermistor conversion for the heater sensor. */
struct chair_ntc_config {
        float r25_ohm;             /* resistance at 25 °C */
        float beta;                /* Beta constant (used when steinhart a/b/c unset) */
        float sh_a, sh_b, sh_c;    /* Steinhart–Hart; all 0 = use beta */
        float pullup_ohm;          /* divider: Vref -- pullup -- ADC -- NTC -- GND */
        float vref_mv;
        float open_ohm;            /* above: sensor open */
        float short_ohm;           /* below: sensor shorted */
};

/* A linear map raw -> unit for pressure and position sensors. */
struct chair_linear_config {
        float raw_min, raw_max;
        float min, max;
};

struct chair_input_config {
        struct chair_gpio_binding estop, occupancy, obstacle;
        struct chair_gpio_binding encoder, carriage_home, carriage_end;
        struct chair_gpio_binding backrest_min, backrest_max, legrest_min, legrest_max;
        struct chair_iio_binding heater_temp;
        struct chair_ntc_config ntc;
        struct chair_iio_binding depth_pos, backrest_pos, legrest_pos;
        struct chair_linear_config depth_map, backrest_map, legrest_map;
        struct chair_iio_binding pressure[_CHAIR_BAG_COUNT];
        struct chair_linear_config pressure_map;
};

/* Mechanical description of the chair (used by control and the sim plant). */
struct chair_geometry {
        float track_mm;            /* carriage travel, 0 = seat end; default 780 */
        float mm_per_pulse;        /* encoder resolution; default 0.5 */
        float carriage_mm_s;       /* carriage speed at full duty; default 120 */
        float recline_s;           /* seconds for a full recline stroke at full duty; default 20 */
        float seat_to_shoulder_ratio; /* seat-to-shoulder distance / body height; default 0.35 */
        float seat_offset_mm;      /* carriage 0 mm above the seat surface; default 60 */
};

struct chair_sim_config {
        uint64_t seed;             /* default 1 */
        float time_scale;          /* daemon only: virtual seconds per wall second, default 1 */
        float body_height_cm;      /* default 175 */
        bool occupied;             /* default true */
        bool estop;                /* default false */
        bool obstacle;             /* default false */
        float ambient_c;           /* default 22 */
        float heater_w;            /* heater power at full duty; default 40 */
        float heater_tau_s;        /* thermal time constant; default 120 */
        float sensor_noise_c;      /* default 0.05 */
        float pump_kpa_s;          /* pressure rise per second at full duty; default 8 */
};

struct chair_tls_config {
        bool enabled;
        char *cafile, *certfile, *keyfile;
        bool insecure;             /* skip server certificate verification; default false */
};

struct chair_mqtt_config {
        char *host;                /* default "localhost" */
        uint16_t port;             /* default 1883 (8883 with TLS) */
        char *base_topic;          /* default "chaird/<chair.id>" */
        char *client_id;           /* default "chaird-<chair.id>" */
        char *username;
        char *password_file;       /* or $CREDENTIALS_DIRECTORY/mqtt-password */
        struct chair_tls_config tls;
        uint16_t keepalive;        /* seconds, default 30 */
        char *discovery_prefix;    /* default "homeassistant" */
        bool discovery;            /* default true */
        int protocol;              /* 5 (default) or 311 */
};

struct chair_config {
        char *path;                /* file it was loaded from */
        char *dir;                 /* its directory: relative paths resolve against it */
        uint64_t hash;             /* FNV-1a 64 of the file bytes, for diagnostics */

        struct {
                char *id;          /* [a-z0-9-], default "chair" */
                char *name;
                char *model;
        } chair;

        struct {
                uint32_t rate_hz;          /* default 500; 50..5000 */
                int rt_priority;           /* default 80; 0 = SCHED_OTHER; 1..99 */
                int cpu;                   /* -1 = no pinning */
                uint32_t max_missed_ticks; /* deprecated (read, warned about, unused) */
                bool max_missed_ticks_set; /* the file still sets it: the daemon warns */
                uint32_t max_stall_ms;     /* default 50: outputs stale longer = safe + loop_overrun */
        } control;

        struct {
                uint32_t default_session_min;   /* default 15 */
                uint32_t max_session_min;       /* default 30, hard cap 30 */
                float heater_max_c;             /* default 45, at most 50 */
                float heater_target_c;          /* default target when heat is on, default 40 */
                float stall_s;                  /* default 0.5 */
                float travel_timeout_s;         /* default 30 */
                bool occupancy_required;        /* default true */
                float occupant_grace_s;         /* default 30 */
                float max_pressure_kpa;         /* default 40 */
                float max_heater_rate_c_s;      /* implausible rate of change, default 5 */
        } safety;

        struct {
                enum chair_backend backend;
                struct chair_geometry geometry;
                struct chair_sim_config sim;
                struct chair_output_config outputs[_CHAIR_ACT_COUNT];
                struct chair_input_config inputs;
                char *gpio_dev_dir;        /* default "/dev" (tests point elsewhere) */
                char *pwm_sysfs;           /* default "/sys/class/pwm" */
                char *iio_sysfs;           /* default "/sys/bus/iio/devices" */
        } hardware;

        struct chair_mqtt_config mqtt;

        struct {
                /* Child lock PIN, 4..8 digits (design C3); NULL: none here (the daemon
                 * then reads the systemd credential owner-pin, chair_owner_pin_load()). */
                char *pin;
        } owner;

        char **program_dirs;       /* absolute after load */
        unsigned n_program_dirs;
        char *state_dir;           /* may be NULL: see chair_config_state_dir() */
};

/*
 * Load and validate FILE.  On success returns 0 and *ret owns the config.
 * On failure returns a negative errno (-EINVAL for invalid content) and appends
 * one located error per problem to errs (FILE:LINE:COL: PATH: MESSAGE).
 */
int chair_config_load(const char *path, struct chair_errors *errs, struct chair_config **ret);
struct chair_config *chair_config_free(struct chair_config *cfg);

/* Defaults for every key (used by the loader and by tests that build configs in C). */
void chair_config_set_defaults(struct chair_config *cfg);

/* chair_pin_valid(): lib/childlock.h. */

/* $STATE_DIRECTORY, else cfg->state_dir, else /var/lib/chaird. */
const char *chair_config_state_dir(const struct chair_config *cfg);

/*
 * Like chair_config_load(), but on invalid content (-EINVAL) *ret still holds a
 * best-effort config (defaults where the file could not be read, the program
 * directories and present parts as written) so that --check-config can go on to
 * check the programs.  The caller frees *ret in every case.
 */
int chair_config_load_lenient(const char *path, struct chair_errors *errs, struct chair_config **ret);

/*
 * The hardware section of FILE alone, for `chaird --safe-state`: every other
 * section is neither read nor checked (an unknown mqtt key, a missing programs
 * directory do not matter here).  Only the hardware keys are type- and
 * range-checked; no cross-checks.  Returns 0 with *ret owning a config whose
 * other sections are zero (free with chair_config_free()); -EINVAL when the file
 * does not parse or its hardware section has errors (appended to errs, located);
 * another negative errno when it cannot be read (also in errs).
 */
int chair_config_load_hardware(const char *path, struct chair_errors *errs, struct chair_config **ret);

/* Where the daemon, when it starts, expects `chaird` to be: shared with chair-sim. */
#define CHAIR_CONFIG_DEFAULT_PATH "/etc/chaird/chaird.yaml"
