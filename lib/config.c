/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "errors.h"
#include "yaml-load.h"
#include "yaml-pos.h"

/* ---- libcyaml schema: the shape of chaird.yaml (every key optional) ---- */

#define OPT CYAML_FLAG_OPTIONAL
/* Larger files are refused (-EFBIG) rather than read: no real config comes near. */
#define CONFIG_MAX_BYTES CHAIR_YAML_FILE_MAX
#define MEMBER_TYPE(type, m) __typeof__(((type *) 0)->m)
typedef MEMBER_TYPE(struct chair_config, chair) chair_sect_t;
typedef MEMBER_TYPE(struct chair_config, control) control_sect_t;
typedef MEMBER_TYPE(struct chair_config, safety) safety_sect_t;
typedef MEMBER_TYPE(struct chair_config, hardware) hardware_sect_t;
typedef MEMBER_TYPE(struct chair_config, owner) owner_sect_t;

#define STR(key, type, member) CYAML_FIELD_STRING_PTR(key, OPT, type, member, 0, CYAML_UNLIMITED)

static const cyaml_schema_field_t gpio_out_fields[] = {
        STR("chip", struct chair_gpio_binding, chip),
        CYAML_FIELD_INT("line", OPT, struct chair_gpio_binding, offset),
        STR("name", struct chair_gpio_binding, name),
        CYAML_FIELD_BOOL("active_low", OPT, struct chair_gpio_binding, active_low),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t gpio_in_fields[] = {
        STR("chip", struct chair_gpio_binding, chip),
        CYAML_FIELD_INT("line", OPT, struct chair_gpio_binding, offset),
        STR("name", struct chair_gpio_binding, name),
        CYAML_FIELD_BOOL("active_low", OPT, struct chair_gpio_binding, active_low),
        CYAML_FIELD_UINT("debounce_ms", OPT, struct chair_gpio_binding, debounce_ms),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t pwm_fields[] = {
        CYAML_FIELD_INT("chip", OPT, struct chair_pwm_binding, chip),
        CYAML_FIELD_INT("channel", OPT, struct chair_pwm_binding, channel),
        CYAML_FIELD_UINT("period_ns", OPT, struct chair_pwm_binding, period_ns),
        CYAML_FIELD_FLOAT("max_duty", OPT, struct chair_pwm_binding, max_duty),
        CYAML_FIELD_BOOL("inverted", OPT, struct chair_pwm_binding, inverted),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t iio_fields[] = {
        CYAML_FIELD_INT("device", OPT, struct chair_iio_binding, device),
        CYAML_FIELD_INT("channel", OPT, struct chair_iio_binding, channel),
        CYAML_FIELD_UINT("rate_hz", OPT, struct chair_iio_binding, rate_hz),
        CYAML_FIELD_UINT("max_age_ms", OPT, struct chair_iio_binding, max_age_ms),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t output_fields[] = {
        CYAML_FIELD_MAPPING("pwm", OPT, struct chair_output_config, pwm, pwm_fields),
        CYAML_FIELD_MAPPING("dir", OPT, struct chair_output_config, dir, gpio_out_fields),
        CYAML_FIELD_MAPPING("gpio", OPT, struct chair_output_config, gpio, gpio_out_fields),
        CYAML_FIELD_FLOAT("safe", OPT, struct chair_output_config, safe),
        CYAML_FIELD_FLOAT("max", OPT, struct chair_output_config, max),
        CYAML_FIELD_FLOAT("slew_per_s", OPT, struct chair_output_config, slew_per_s),
        CYAML_FIELD_FLOAT("max_on_s", OPT, struct chair_output_config, max_on_s),
        CYAML_FIELD_END,
};

/* Keys are the actuator names of hal.c (test-config checks they agree). */
#define OUTPUT(k, idx) { \
        .key = k, \
        .data_offset = (idx) * sizeof(struct chair_output_config), \
        .value = { CYAML_VALUE_MAPPING(OPT, struct chair_output_config, output_fields) }, \
}
static const cyaml_schema_field_t outputs_fields[] = {
        OUTPUT("carriage", CHAIR_ACT_CARRIAGE),
        OUTPUT("knead", CHAIR_ACT_KNEAD),
        OUTPUT("tap", CHAIR_ACT_TAP),
        OUTPUT("depth", CHAIR_ACT_DEPTH),
        OUTPUT("heater", CHAIR_ACT_HEATER),
        OUTPUT("pump", CHAIR_ACT_PUMP),
        OUTPUT("valve-lumbar-left", CHAIR_ACT_VALVE_LUMBAR_LEFT),
        OUTPUT("valve-lumbar-right", CHAIR_ACT_VALVE_LUMBAR_RIGHT),
        OUTPUT("valve-seat", CHAIR_ACT_VALVE_SEAT),
        OUTPUT("valve-calves", CHAIR_ACT_VALVE_CALVES),
        OUTPUT("backrest", CHAIR_ACT_BACKREST),
        OUTPUT("legrest", CHAIR_ACT_LEGREST),
        CYAML_FIELD_END,
};

#define PRESSURE(k, idx) { \
        .key = k, \
        .data_offset = (idx) * sizeof(struct chair_iio_binding), \
        .value = { CYAML_VALUE_MAPPING(OPT, struct chair_iio_binding, iio_fields) }, \
}
static const cyaml_schema_field_t pressure_fields[] = {
        PRESSURE("lumbar-left", CHAIR_BAG_LUMBAR_LEFT),
        PRESSURE("lumbar-right", CHAIR_BAG_LUMBAR_RIGHT),
        PRESSURE("seat", CHAIR_BAG_SEAT),
        PRESSURE("calves", CHAIR_BAG_CALVES),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t ntc_fields[] = {
        CYAML_FIELD_FLOAT("r25_ohm", OPT, struct chair_ntc_config, r25_ohm),
        CYAML_FIELD_FLOAT("beta", OPT, struct chair_ntc_config, beta),
        CYAML_FIELD_FLOAT("sh_a", OPT, struct chair_ntc_config, sh_a),
        CYAML_FIELD_FLOAT("sh_b", OPT, struct chair_ntc_config, sh_b),
        CYAML_FIELD_FLOAT("sh_c", OPT, struct chair_ntc_config, sh_c),
        CYAML_FIELD_FLOAT("pullup_ohm", OPT, struct chair_ntc_config, pullup_ohm),
        CYAML_FIELD_FLOAT("vref_mv", OPT, struct chair_ntc_config, vref_mv),
        CYAML_FIELD_FLOAT("open_ohm", OPT, struct chair_ntc_config, open_ohm),
        CYAML_FIELD_FLOAT("short_ohm", OPT, struct chair_ntc_config, short_ohm),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t linear_fields[] = {
        CYAML_FIELD_FLOAT("raw_min", OPT, struct chair_linear_config, raw_min),
        CYAML_FIELD_FLOAT("raw_max", OPT, struct chair_linear_config, raw_max),
        CYAML_FIELD_FLOAT("min", OPT, struct chair_linear_config, min),
        CYAML_FIELD_FLOAT("max", OPT, struct chair_linear_config, max),
        CYAML_FIELD_END,
};

#define IN_GPIO(key, m) CYAML_FIELD_MAPPING(key, OPT, struct chair_input_config, m, gpio_in_fields)
#define IN_IIO(key, m) CYAML_FIELD_MAPPING(key, OPT, struct chair_input_config, m, iio_fields)
#define IN_MAP(key, m) CYAML_FIELD_MAPPING(key, OPT, struct chair_input_config, m, linear_fields)
static const cyaml_schema_field_t inputs_fields[] = {
        IN_GPIO("estop", estop),
        IN_GPIO("occupancy", occupancy),
        IN_GPIO("obstacle", obstacle),
        IN_GPIO("encoder", encoder),
        IN_GPIO("carriage_home", carriage_home),
        IN_GPIO("carriage_end", carriage_end),
        IN_GPIO("backrest_min", backrest_min),
        IN_GPIO("backrest_max", backrest_max),
        IN_GPIO("legrest_min", legrest_min),
        IN_GPIO("legrest_max", legrest_max),
        IN_IIO("heater_temp", heater_temp),
        CYAML_FIELD_MAPPING("ntc", OPT, struct chair_input_config, ntc, ntc_fields),
        IN_IIO("depth_pos", depth_pos),
        IN_IIO("backrest_pos", backrest_pos),
        IN_IIO("legrest_pos", legrest_pos),
        IN_MAP("depth_map", depth_map),
        IN_MAP("backrest_map", backrest_map),
        IN_MAP("legrest_map", legrest_map),
        CYAML_FIELD_MAPPING("pressure", OPT, struct chair_input_config, pressure, pressure_fields),
        IN_MAP("pressure_map", pressure_map),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t geometry_fields[] = {
        CYAML_FIELD_FLOAT("track_mm", OPT, struct chair_geometry, track_mm),
        CYAML_FIELD_FLOAT("mm_per_pulse", OPT, struct chair_geometry, mm_per_pulse),
        CYAML_FIELD_FLOAT("carriage_mm_s", OPT, struct chair_geometry, carriage_mm_s),
        CYAML_FIELD_FLOAT("recline_s", OPT, struct chair_geometry, recline_s),
        CYAML_FIELD_FLOAT("seat_to_shoulder_ratio", OPT, struct chair_geometry, seat_to_shoulder_ratio),
        CYAML_FIELD_FLOAT("seat_offset_mm", OPT, struct chair_geometry, seat_offset_mm),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t sim_fields[] = {
        CYAML_FIELD_UINT("seed", OPT, struct chair_sim_config, seed),
        CYAML_FIELD_FLOAT("time_scale", OPT, struct chair_sim_config, time_scale),
        CYAML_FIELD_FLOAT("body_height_cm", OPT, struct chair_sim_config, body_height_cm),
        CYAML_FIELD_BOOL("occupied", OPT, struct chair_sim_config, occupied),
        CYAML_FIELD_BOOL("estop", OPT, struct chair_sim_config, estop),
        CYAML_FIELD_BOOL("obstacle", OPT, struct chair_sim_config, obstacle),
        CYAML_FIELD_FLOAT("ambient_c", OPT, struct chair_sim_config, ambient_c),
        CYAML_FIELD_FLOAT("heater_w", OPT, struct chair_sim_config, heater_w),
        CYAML_FIELD_FLOAT("heater_tau_s", OPT, struct chair_sim_config, heater_tau_s),
        CYAML_FIELD_FLOAT("sensor_noise_c", OPT, struct chair_sim_config, sensor_noise_c),
        CYAML_FIELD_FLOAT("pump_kpa_s", OPT, struct chair_sim_config, pump_kpa_s),
        CYAML_FIELD_END,
};

static const cyaml_strval_t backend_strings[] = {
        { "sim", CHAIR_BACKEND_SIM },
        { "linux", CHAIR_BACKEND_LINUX },
};

static const cyaml_schema_field_t hardware_fields[] = {
        CYAML_FIELD_ENUM("backend", OPT | CYAML_FLAG_STRICT, hardware_sect_t, backend,
                         backend_strings, CYAML_ARRAY_LEN(backend_strings)),
        STR("gpio_dev_dir", hardware_sect_t, gpio_dev_dir),
        STR("pwm_sysfs", hardware_sect_t, pwm_sysfs),
        STR("iio_sysfs", hardware_sect_t, iio_sysfs),
        CYAML_FIELD_MAPPING("geometry", OPT, hardware_sect_t, geometry, geometry_fields),
        CYAML_FIELD_MAPPING("sim", OPT, hardware_sect_t, sim, sim_fields),
        CYAML_FIELD_MAPPING("outputs", OPT, hardware_sect_t, outputs, outputs_fields),
        CYAML_FIELD_MAPPING("inputs", OPT, hardware_sect_t, inputs, inputs_fields),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t tls_fields[] = {
        CYAML_FIELD_BOOL("enabled", OPT, struct chair_tls_config, enabled),
        STR("cafile", struct chair_tls_config, cafile),
        STR("certfile", struct chair_tls_config, certfile),
        STR("keyfile", struct chair_tls_config, keyfile),
        CYAML_FIELD_BOOL("insecure", OPT, struct chair_tls_config, insecure),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t mqtt_fields[] = {
        STR("host", struct chair_mqtt_config, host),
        CYAML_FIELD_UINT("port", OPT, struct chair_mqtt_config, port),
        STR("base_topic", struct chair_mqtt_config, base_topic),
        STR("client_id", struct chair_mqtt_config, client_id),
        STR("username", struct chair_mqtt_config, username),
        STR("password_file", struct chair_mqtt_config, password_file),
        CYAML_FIELD_MAPPING("tls", OPT, struct chair_mqtt_config, tls, tls_fields),
        CYAML_FIELD_UINT("keepalive", OPT, struct chair_mqtt_config, keepalive),
        STR("discovery_prefix", struct chair_mqtt_config, discovery_prefix),
        CYAML_FIELD_BOOL("discovery", OPT, struct chair_mqtt_config, discovery),
        CYAML_FIELD_INT("protocol", OPT, struct chair_mqtt_config, protocol),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t chair_fields[] = {
        STR("id", chair_sect_t, id),
        STR("name", chair_sect_t, name),
        STR("model", chair_sect_t, model),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t control_fields[] = {
        CYAML_FIELD_UINT("rate_hz", OPT, control_sect_t, rate_hz),
        CYAML_FIELD_INT("rt_priority", OPT, control_sect_t, rt_priority),
        CYAML_FIELD_INT("cpu", OPT, control_sect_t, cpu),
        CYAML_FIELD_UINT("max_missed_ticks", OPT, control_sect_t, max_missed_ticks),
        CYAML_FIELD_UINT("max_stall_ms", OPT, control_sect_t, max_stall_ms),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t safety_fields[] = {
        CYAML_FIELD_UINT("default_session_min", OPT, safety_sect_t, default_session_min),
        CYAML_FIELD_UINT("max_session_min", OPT, safety_sect_t, max_session_min),
        CYAML_FIELD_FLOAT("heater_max_c", OPT, safety_sect_t, heater_max_c),
        CYAML_FIELD_FLOAT("heater_target_c", OPT, safety_sect_t, heater_target_c),
        CYAML_FIELD_FLOAT("stall_s", OPT, safety_sect_t, stall_s),
        CYAML_FIELD_FLOAT("travel_timeout_s", OPT, safety_sect_t, travel_timeout_s),
        CYAML_FIELD_BOOL("occupancy_required", OPT, safety_sect_t, occupancy_required),
        CYAML_FIELD_FLOAT("occupant_grace_s", OPT, safety_sect_t, occupant_grace_s),
        CYAML_FIELD_FLOAT("max_pressure_kpa", OPT, safety_sect_t, max_pressure_kpa),
        CYAML_FIELD_FLOAT("max_heater_rate_c_s", OPT, safety_sect_t, max_heater_rate_c_s),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t owner_fields[] = {
        STR("pin", owner_sect_t, pin),
        CYAML_FIELD_END,
};

static const cyaml_schema_value_t string_entry = {
        CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, CYAML_UNLIMITED),
};

static const cyaml_schema_field_t top_fields[] = {
        CYAML_FIELD_MAPPING("chair", OPT, struct chair_config, chair, chair_fields),
        CYAML_FIELD_MAPPING("control", OPT, struct chair_config, control, control_fields),
        CYAML_FIELD_MAPPING("safety", OPT, struct chair_config, safety, safety_fields),
        CYAML_FIELD_MAPPING("hardware", OPT, struct chair_config, hardware, hardware_fields),
        CYAML_FIELD_MAPPING("mqtt", OPT, struct chair_config, mqtt, mqtt_fields),
        CYAML_FIELD_MAPPING("owner", OPT, struct chair_config, owner, owner_fields),
        /* Counts are checked by us so that errors name the key, not an entry. */
        CYAML_FIELD_SEQUENCE_COUNT("programs", CYAML_FLAG_POINTER | OPT, struct chair_config,
                                   program_dirs, n_program_dirs, &string_entry, 0, CYAML_UNLIMITED),
        STR("state_dir", struct chair_config, state_dir),
        CYAML_FIELD_END,
};

static const cyaml_schema_value_t config_schema = {
        CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct chair_config, top_fields),
};

/* The hardware section alone (--safe-state): every other key is left alone. */
static const cyaml_schema_field_t hardware_only_fields[] = {
        CYAML_FIELD_MAPPING("hardware", OPT, struct chair_config, hardware, hardware_fields),
        CYAML_FIELD_END,
};

static const cyaml_schema_value_t hardware_only_schema = {
        CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct chair_config, hardware_only_fields),
};

/* ---- ranges: one row per numeric key, checked only where the file sets it ---- */

#define NUM_U32 CHAIR_YAML_U32
#define NUM_I32 CHAIR_YAML_I32
#define NUM_U16 CHAIR_YAML_U16
#define NUM_FLOAT CHAIR_YAML_FLOAT
#define range chair_yaml_range

#define R(key, type, st, m, lo, hi) { key, type, offsetof(st, m), lo, hi }
#define RC(key, type, m, lo, hi) R(key, type, struct chair_config, m, lo, hi)

static const struct range top_ranges[] = {
        RC("control.rate_hz", NUM_U32, control.rate_hz, 50, 5000),
        RC("control.rt_priority", NUM_I32, control.rt_priority, 0, 99),
        RC("control.cpu", NUM_I32, control.cpu, -1, 1023),
        RC("control.max_missed_ticks", NUM_U32, control.max_missed_ticks, 1, 1000),
        RC("control.max_stall_ms", NUM_U32, control.max_stall_ms, 5, 10000),
        RC("safety.default_session_min", NUM_U32, safety.default_session_min, 1, 30),
        RC("safety.max_session_min", NUM_U32, safety.max_session_min, 1, 30),
        RC("safety.heater_max_c", NUM_FLOAT, safety.heater_max_c, 30, 50),
        RC("safety.heater_target_c", NUM_FLOAT, safety.heater_target_c, 25, 49),
        RC("safety.stall_s", NUM_FLOAT, safety.stall_s, 0.05, 5),
        RC("safety.travel_timeout_s", NUM_FLOAT, safety.travel_timeout_s, 1, 120),
        RC("safety.occupant_grace_s", NUM_FLOAT, safety.occupant_grace_s, 0, 300),
        RC("safety.max_pressure_kpa", NUM_FLOAT, safety.max_pressure_kpa, 5, 60),
        RC("safety.max_heater_rate_c_s", NUM_FLOAT, safety.max_heater_rate_c_s, 0.5, 50),
        RC("hardware.geometry.track_mm", NUM_FLOAT, hardware.geometry.track_mm, 200, 1500),
        RC("hardware.geometry.mm_per_pulse", NUM_FLOAT, hardware.geometry.mm_per_pulse, 0.01, 10),
        RC("hardware.geometry.carriage_mm_s", NUM_FLOAT, hardware.geometry.carriage_mm_s, 10, 500),
        RC("hardware.geometry.recline_s", NUM_FLOAT, hardware.geometry.recline_s, 2, 120),
        RC("hardware.geometry.seat_to_shoulder_ratio", NUM_FLOAT,
           hardware.geometry.seat_to_shoulder_ratio, 0.2, 0.5),
        RC("hardware.geometry.seat_offset_mm", NUM_FLOAT, hardware.geometry.seat_offset_mm, 0, 300),
        RC("hardware.sim.time_scale", NUM_FLOAT, hardware.sim.time_scale, 0.1, 1000),
        RC("hardware.sim.body_height_cm", NUM_FLOAT, hardware.sim.body_height_cm, 100, 230),
        RC("hardware.sim.ambient_c", NUM_FLOAT, hardware.sim.ambient_c, -20, 50),
        RC("hardware.sim.heater_w", NUM_FLOAT, hardware.sim.heater_w, 1, 500),
        RC("hardware.sim.heater_tau_s", NUM_FLOAT, hardware.sim.heater_tau_s, 1, 3600),
        RC("hardware.sim.sensor_noise_c", NUM_FLOAT, hardware.sim.sensor_noise_c, 0, 5),
        RC("hardware.sim.pump_kpa_s", NUM_FLOAT, hardware.sim.pump_kpa_s, 0.1, 100),
        RC("hardware.inputs.ntc.r25_ohm", NUM_FLOAT, hardware.inputs.ntc.r25_ohm, 100, 1e6),
        RC("hardware.inputs.ntc.beta", NUM_FLOAT, hardware.inputs.ntc.beta, 1000, 10000),
        RC("hardware.inputs.ntc.pullup_ohm", NUM_FLOAT, hardware.inputs.ntc.pullup_ohm, 100, 1e6),
        RC("hardware.inputs.ntc.vref_mv", NUM_FLOAT, hardware.inputs.ntc.vref_mv, 500, 5000),
        RC("hardware.inputs.ntc.open_ohm", NUM_FLOAT, hardware.inputs.ntc.open_ohm, 1000, 1e8),
        RC("hardware.inputs.ntc.short_ohm", NUM_FLOAT, hardware.inputs.ntc.short_ohm, 0, 10000),
        RC("mqtt.port", NUM_U16, mqtt.port, 1, 65535),
        RC("mqtt.keepalive", NUM_U16, mqtt.keepalive, 5, 3600),
};

static const struct range output_ranges[] = {
        R("pwm.chip", NUM_I32, struct chair_output_config, pwm.chip, 0, 1023),
        R("pwm.channel", NUM_I32, struct chair_output_config, pwm.channel, 0, 1023),
        R("pwm.period_ns", NUM_U32, struct chair_output_config, pwm.period_ns, 1000, 100000000),
        R("pwm.max_duty", NUM_FLOAT, struct chair_output_config, pwm.max_duty, 0.01, 1),
        R("dir.line", NUM_I32, struct chair_output_config, dir.offset, 0, 1023),
        R("gpio.line", NUM_I32, struct chair_output_config, gpio.offset, 0, 1023),
        R("max", NUM_FLOAT, struct chair_output_config, max, 0, 1),
        R("slew_per_s", NUM_FLOAT, struct chair_output_config, slew_per_s, 0, 1000),
        R("max_on_s", NUM_FLOAT, struct chair_output_config, max_on_s, 0.1, 7200),
};

static const struct range gpio_in_ranges[] = {
        R("line", NUM_I32, struct chair_gpio_binding, offset, 0, 1023),
        R("debounce_ms", NUM_U32, struct chair_gpio_binding, debounce_ms, 0, 1000),
};

static const struct range iio_ranges[] = {
        R("device", NUM_I32, struct chair_iio_binding, device, 0, 1023),
        R("channel", NUM_I32, struct chair_iio_binding, channel, 0, 1023),
        R("rate_hz", NUM_U32, struct chair_iio_binding, rate_hz, 0, 5000),
        R("max_age_ms", NUM_U32, struct chair_iio_binding, max_age_ms, 1, 60000),
};

/* Where each table applies, for the value check of chair_yaml_load(). */
#define N(t) (sizeof(t) / sizeof((t)[0]))
static const struct chair_yaml_ranges config_ranges[] = {
        { "", top_ranges, N(top_ranges) },
        { "hardware.outputs.*", output_ranges, N(output_ranges) },
        { "hardware.inputs.pressure.*", iio_ranges, N(iio_ranges) },
        { "hardware.inputs.*", gpio_in_ranges, N(gpio_in_ranges) },
        { "hardware.inputs.*", iio_ranges, N(iio_ranges) },
};

/* Input bindings by key, for presence, ranges and line claims. */
static const struct {
        const char *key;
        size_t offset;
} gpio_inputs[] = {
        { "estop", offsetof(struct chair_input_config, estop) },
        { "occupancy", offsetof(struct chair_input_config, occupancy) },
        { "obstacle", offsetof(struct chair_input_config, obstacle) },
        { "encoder", offsetof(struct chair_input_config, encoder) },
        { "carriage_home", offsetof(struct chair_input_config, carriage_home) },
        { "carriage_end", offsetof(struct chair_input_config, carriage_end) },
        { "backrest_min", offsetof(struct chair_input_config, backrest_min) },
        { "backrest_max", offsetof(struct chair_input_config, backrest_max) },
        { "legrest_min", offsetof(struct chair_input_config, legrest_min) },
        { "legrest_max", offsetof(struct chair_input_config, legrest_max) },
}, iio_inputs[] = {
        { "heater_temp", offsetof(struct chair_input_config, heater_temp) },
        { "depth_pos", offsetof(struct chair_input_config, depth_pos) },
        { "backrest_pos", offsetof(struct chair_input_config, backrest_pos) },
        { "legrest_pos", offsetof(struct chair_input_config, legrest_pos) },
        { "pressure.lumbar-left", offsetof(struct chair_input_config, pressure[CHAIR_BAG_LUMBAR_LEFT]) },
        { "pressure.lumbar-right", offsetof(struct chair_input_config, pressure[CHAIR_BAG_LUMBAR_RIGHT]) },
        { "pressure.seat", offsetof(struct chair_input_config, pressure[CHAIR_BAG_SEAT]) },
        { "pressure.calves", offsetof(struct chair_input_config, pressure[CHAIR_BAG_CALVES]) },
};

/* ---- validation context ---- */

struct check {
        const char *file;
        const struct chair_yaml_pos *pos;
        struct chair_errors *errs;
        int r;
};

static void fail(struct check *c, const char *path, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void fail(struct check *c, const char *path, const char *fmt, ...) {
        char msg[512];
        va_list ap;
        int r;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        r = chair_yaml_error(c->file, c->pos, c->errs, path, "%s", msg);
        if (r == -ENOMEM || c->r == 0)
                c->r = r;
}

static bool has(const struct check *c, const char *base, const char *key) {
        char path[256];
        snprintf(path, sizeof(path), "%s%s%s", base, base[0] && key[0] ? "." : "", key);
        return chair_yaml_pos_has(c->pos, path);
}

/* ---- line and channel claims ---- */

struct claim {
        char what[96];             /* "gpiochip0:17", "name SEAT_SENSE", "pwmchip0/1" */
        char binding[128];         /* path of the binding that claims it */
        char key[160];             /* path of the key that names it */
};

static const char *chip_name(const char *chip) {
        /* "/dev/gpiochip0" and "gpiochip0" are the same chip. */
        return strncmp(chip, "/dev/", 5) == 0 ? chip + 5 : chip;
}

static void claim_gpio(struct check *c, struct claim *v, size_t *n, const char *binding,
                       const struct chair_gpio_binding *g) {
        struct claim *x = &v[*n];

        if (!g->set)
                return;
        if (has(c, binding, "name") && g->name) {
                snprintf(x->what, sizeof(x->what), "named %s", g->name);
                snprintf(x->key, sizeof(x->key), "%s.name", binding);
        } else if (has(c, binding, "line")) {
                snprintf(x->what, sizeof(x->what), "%s:%d", chip_name(g->chip ? g->chip : "?"), g->offset);
                snprintf(x->key, sizeof(x->key), "%s.line", binding);
        } else {
                return;
        }
        snprintf(x->binding, sizeof(x->binding), "%s", binding);
        for (size_t i = 0; i < *n; i++)
                if (strcmp(v[i].what, x->what) == 0) {
                        fail(c, x->key, "GPIO line %s already used by %s", x->what, v[i].binding);
                        return;
                }
        (*n)++;
}

/* ---- post-processing ---- */

static int absolutize(const char *dir, char **p) {
        char *s;

        if (!*p)
                return 0;
        if (!**p) {
                /* "" means unset */
                free(*p);
                *p = NULL;
                return 0;
        }
        if (**p == '/')
                return 0;
        if (asprintf(&s, "%s/%s", dir, *p) < 0)
                return -ENOMEM;
        free(*p);
        *p = s;
        return 0;
}

static int mark_presence(struct chair_config *cfg, const struct chair_yaml_pos *pos) {
        char path[160];
        const struct chair_yaml_node *node;

        for (int i = 0; i < _CHAIR_ACT_COUNT; i++) {
                struct chair_output_config *o = &cfg->hardware.outputs[i];
                struct {
                        const char *key;
                        bool *set;
                        uint32_t *line, *column;
                } b[] = {
                        { "pwm", &o->pwm.set, &o->pwm.line, &o->pwm.column },
                        { "dir", &o->dir.set, &o->dir.line, &o->dir.column },
                        { "gpio", &o->gpio.set, &o->gpio.line, &o->gpio.column },
                };

                snprintf(path, sizeof(path), "hardware.outputs.%s", chair_actuator_name(i));
                o->present = chair_yaml_pos_has(pos, path);
                for (size_t k = 0; k < sizeof(b) / sizeof(b[0]); k++) {
                        snprintf(path, sizeof(path), "hardware.outputs.%s.%s", chair_actuator_name(i), b[k].key);
                        node = chair_yaml_pos_find(pos, path);
                        *b[k].set = node != NULL;
                        *b[k].line = node ? node->line : 0;
                        *b[k].column = node ? node->column : 0;
                }
        }
        for (size_t i = 0; i < sizeof(gpio_inputs) / sizeof(gpio_inputs[0]); i++) {
                struct chair_gpio_binding *g =
                        (void *) ((uint8_t *) &cfg->hardware.inputs + gpio_inputs[i].offset);
                snprintf(path, sizeof(path), "hardware.inputs.%s", gpio_inputs[i].key);
                node = chair_yaml_pos_find(pos, path);
                g->set = node != NULL;
                g->line = node ? node->line : 0;
                g->column = node ? node->column : 0;
        }
        for (size_t i = 0; i < sizeof(iio_inputs) / sizeof(iio_inputs[0]); i++) {
                struct chair_iio_binding *b =
                        (void *) ((uint8_t *) &cfg->hardware.inputs + iio_inputs[i].offset);
                snprintf(path, sizeof(path), "hardware.inputs.%s", iio_inputs[i].key);
                node = chair_yaml_pos_find(pos, path);
                b->set = node != NULL;
                b->line = node ? node->line : 0;
                b->column = node ? node->column : 0;
        }
        return 0;
}

static int set_derived(struct chair_config *cfg, const struct chair_yaml_pos *pos) {
        /* Replaced by max_stall_ms (design C2): still read so old files load, and
         * alone it keeps its meaning as time (that many periods); the daemon warns. */
        cfg->control.max_missed_ticks_set = chair_yaml_pos_has(pos, "control.max_missed_ticks");
        if (cfg->control.max_missed_ticks_set && !chair_yaml_pos_has(pos, "control.max_stall_ms") &&
            cfg->control.rate_hz > 0) {
                uint64_t ms = (uint64_t) cfg->control.max_missed_ticks * 1000u / cfg->control.rate_hz;
                cfg->control.max_stall_ms = (uint32_t) (ms < 5 ? 5 : ms > 10000 ? 10000 : ms);
        }
        if (!chair_yaml_pos_has(pos, "mqtt.base_topic")) {
                free(cfg->mqtt.base_topic);
                if (asprintf(&cfg->mqtt.base_topic, "chaird/%s", cfg->chair.id ? cfg->chair.id : "chair") < 0)
                        return cfg->mqtt.base_topic = NULL, -ENOMEM;
        }
        if (!chair_yaml_pos_has(pos, "mqtt.client_id")) {
                free(cfg->mqtt.client_id);
                if (asprintf(&cfg->mqtt.client_id, "chaird-%s", cfg->chair.id ? cfg->chair.id : "chair") < 0)
                        return cfg->mqtt.client_id = NULL, -ENOMEM;
        }
        if (!chair_yaml_pos_has(pos, "mqtt.port"))
                cfg->mqtt.port = cfg->mqtt.tls.enabled ? 8883 : 1883;
        return 0;
}

/* Program directories as written, or the default "programs". */
static int set_program_dirs(struct chair_config *cfg, const struct chair_yaml_pos *pos, bool from_index) {
        if (from_index) {
                /* libcyaml could not load the file: take what the index saw (best effort). */
                char path[64];
                for (unsigned i = 0;; i++) {
                        const struct chair_yaml_node *node;
                        char **v;
                        snprintf(path, sizeof(path), "programs[%u]", i);
                        node = chair_yaml_pos_find(pos, path);
                        if (!node || !node->value)
                                break;
                        v = realloc(cfg->program_dirs, (i + 1) * sizeof(char *));
                        if (!v)
                                return -ENOMEM;
                        cfg->program_dirs = v;
                        v[i] = strdup(node->value);
                        if (!v[i])
                                return -ENOMEM;
                        cfg->n_program_dirs = i + 1;
                }
        }
        if (!chair_yaml_pos_has(pos, "programs")) {
                cfg->program_dirs = calloc(1, sizeof(char *));
                if (!cfg->program_dirs)
                        return -ENOMEM;
                cfg->program_dirs[0] = strdup("programs");
                if (!cfg->program_dirs[0])
                        return -ENOMEM;
                cfg->n_program_dirs = 1;
        }
        for (unsigned i = 0; i < cfg->n_program_dirs; i++)
                if (absolutize(cfg->dir, &cfg->program_dirs[i]) < 0)
                        return -ENOMEM;
        return 0;
}

static int resolve_paths(struct chair_config *cfg) {
        char **paths[] = {
                &cfg->state_dir,
                &cfg->mqtt.password_file,
                &cfg->mqtt.tls.cafile,
                &cfg->mqtt.tls.certfile,
                &cfg->mqtt.tls.keyfile,
                &cfg->hardware.gpio_dev_dir,
                &cfg->hardware.pwm_sysfs,
                &cfg->hardware.iio_sysfs,
        };
        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
                if (absolutize(cfg->dir, paths[i]) < 0)
                        return -ENOMEM;
        /* An empty user name is no user name. */
        if (cfg->mqtt.username && !cfg->mqtt.username[0]) {
                free(cfg->mqtt.username);
                cfg->mqtt.username = NULL;
        }
        return 0;
}

/* ---- semantic checks ---- */

static bool valid_id(const char *s, size_t max) {
        size_t n = strlen(s);
        if (n == 0 || n > max)
                return false;
        return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static void check_outputs(struct check *c, const struct chair_config *cfg, struct claim *gpio_claims,
                          size_t *n_gpio) {
        struct claim pwm_claims[_CHAIR_ACT_COUNT];
        size_t n_pwm = 0;
        bool linux_backend = cfg->hardware.backend == CHAIR_BACKEND_LINUX;

        for (int i = 0; i < _CHAIR_ACT_COUNT; i++) {
                const struct chair_output_config *o = &cfg->hardware.outputs[i];
                enum chair_act_kind kind = chair_actuator_kind(i);
                char base[96], bind[128];

                if (!o->present)
                        continue;
                snprintf(base, sizeof(base), "hardware.outputs.%s", chair_actuator_name(i));

                if (has(c, base, "safe")) {
                        if (kind != CHAIR_ACT_KIND_SWITCH)
                                fail(c, (snprintf(bind, sizeof(bind), "%s.safe", base), bind),
                                     "safe may only be set on valves (motors, heater and pump are safe at 0)");
                        else if (o->safe != 0.0f && o->safe != 1.0f)
                                fail(c, (snprintf(bind, sizeof(bind), "%s.safe", base), bind),
                                     "must be 0 (vent) or 1 (connected), not %g", (double) o->safe);
                }
                if (kind != CHAIR_ACT_KIND_BIDIR && o->dir.set)
                        fail(c, (snprintf(bind, sizeof(bind), "%s.dir", base), bind),
                             "%s has no direction line", chair_actuator_name(i));

                if (o->pwm.set && has(c, base, "pwm.channel")) {
                        struct claim *x = &pwm_claims[n_pwm];
                        snprintf(x->what, sizeof(x->what), "pwmchip%d/%d", o->pwm.chip, o->pwm.channel);
                        snprintf(x->binding, sizeof(x->binding), "%s.pwm", base);
                        snprintf(x->key, sizeof(x->key), "%s.pwm.channel", base);
                        size_t k;
                        for (k = 0; k < n_pwm; k++)
                                if (strcmp(pwm_claims[k].what, x->what) == 0) {
                                        fail(c, x->key, "PWM channel %s already used by %s", x->what,
                                             pwm_claims[k].binding);
                                        break;
                                }
                        if (k == n_pwm)
                                n_pwm++;
                }
                snprintf(bind, sizeof(bind), "%s.dir", base);
                claim_gpio(c, gpio_claims, n_gpio, bind, &o->dir);
                snprintf(bind, sizeof(bind), "%s.gpio", base);
                claim_gpio(c, gpio_claims, n_gpio, bind, &o->gpio);

                if (linux_backend) {
                        bool pwm = o->pwm.set && has(c, base, "pwm.channel");
                        bool dir = o->dir.set && (has(c, base, "dir.line") || has(c, base, "dir.name"));
                        bool gpio = o->gpio.set && (has(c, base, "gpio.line") || has(c, base, "gpio.name"));
                        const char *need = NULL;

                        if (kind == CHAIR_ACT_KIND_BIDIR && !(pwm && dir))
                                need = "a pwm channel and a dir line";
                        else if (kind == CHAIR_ACT_KIND_DUTY && !(pwm || gpio))
                                need = "a pwm channel or a gpio line";
                        else if (kind == CHAIR_ACT_KIND_SWITCH && !gpio)
                                need = "a gpio line";
                        if (need)
                                fail(c, base, "the linux backend needs %s for %s", need, chair_actuator_name(i));
                }
        }
}

static void check_inputs(struct check *c, const struct chair_config *cfg, struct claim *gpio_claims,
                         size_t *n_gpio) {
        bool linux_backend = cfg->hardware.backend == CHAIR_BACKEND_LINUX;
        char base[96];

        for (size_t i = 0; i < sizeof(gpio_inputs) / sizeof(gpio_inputs[0]); i++) {
                const struct chair_gpio_binding *g =
                        (const void *) ((const uint8_t *) &cfg->hardware.inputs + gpio_inputs[i].offset);
                if (!g->set)
                        continue;
                snprintf(base, sizeof(base), "hardware.inputs.%s", gpio_inputs[i].key);
                claim_gpio(c, gpio_claims, n_gpio, base, g);
                if (has(c, base, "line") && !g->chip)
                        fail(c, base, "a line offset needs a chip");
                else if (linux_backend && !has(c, base, "line") && !has(c, base, "name"))
                        fail(c, base, "the linux backend needs a chip and line, or a line name");
        }
        for (size_t i = 0; i < sizeof(iio_inputs) / sizeof(iio_inputs[0]); i++) {
                const struct chair_iio_binding *b =
                        (const void *) ((const uint8_t *) &cfg->hardware.inputs + iio_inputs[i].offset);
                if (!b->set)
                        continue;
                snprintf(base, sizeof(base), "hardware.inputs.%s", iio_inputs[i].key);
                if (linux_backend && !has(c, base, "channel"))
                        fail(c, base, "the linux backend needs an IIO channel");
        }

        static const struct {
                const char *key;
                size_t offset;
        } maps[] = {
                { "hardware.inputs.depth_map", offsetof(struct chair_input_config, depth_map) },
                { "hardware.inputs.backrest_map", offsetof(struct chair_input_config, backrest_map) },
                { "hardware.inputs.legrest_map", offsetof(struct chair_input_config, legrest_map) },
                { "hardware.inputs.pressure_map", offsetof(struct chair_input_config, pressure_map) },
        };
        for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
                const struct chair_linear_config *m =
                        (const void *) ((const uint8_t *) &cfg->hardware.inputs + maps[i].offset);
                if (has(c, maps[i].key, "") && m->raw_min == m->raw_max)
                        fail(c, maps[i].key, "raw_min and raw_max must differ");
        }
        if (has(c, "hardware.inputs.ntc", "") && cfg->hardware.inputs.ntc.open_ohm <= cfg->hardware.inputs.ntc.short_ohm)
                fail(c, "hardware.inputs.ntc.open_ohm", "must be above short_ohm");
}

static void validate(struct check *c, const struct chair_config *cfg) {
        struct claim gpio_claims[2 * _CHAIR_ACT_COUNT + sizeof(gpio_inputs) / sizeof(gpio_inputs[0])];
        size_t n_gpio = 0;

        /* Ranges were checked on the values as written, by chair_yaml_load(). */
        if (has(c, "chair.id", "") && !valid_id(cfg->chair.id ? cfg->chair.id : "", 32))
                fail(c, "chair.id", "must be 1 to 32 characters of a-z, 0-9 and '-'");
        if (cfg->safety.default_session_min > cfg->safety.max_session_min)
                fail(c, has(c, "safety.default_session_min", "") ? "safety.default_session_min"
                                                                   : "safety.max_session_min",
                     "default_session_min (%" PRIu32 ") exceeds max_session_min (%" PRIu32 ")",
                     cfg->safety.default_session_min, cfg->safety.max_session_min);
        if (cfg->safety.heater_target_c > cfg->safety.heater_max_c - 1)
                fail(c, has(c, "safety.heater_target_c", "") ? "safety.heater_target_c" : "safety.heater_max_c",
                     "heater_target_c (%g) must be at least 1 below heater_max_c (%g)",
                     (double) cfg->safety.heater_target_c, (double) cfg->safety.heater_max_c);
        /* The travel timeout must leave room for a normal full move, or every
         * recline to zero-gravity (or a carriage homing from the far end) would end
         * in a travel_timeout fault: a full recline stroke takes recline_s at full
         * duty plus the slower approach of the position loop (about a tenth more, measured);
         * homing runs at 0.6 duty. */
        {
                const struct chair_geometry *g = &cfg->hardware.geometry;
                float need = 0;
                if (cfg->hardware.outputs[CHAIR_ACT_BACKREST].present || cfg->hardware.outputs[CHAIR_ACT_LEGREST].present)
                        need = g->recline_s * 1.15f + 1;
                if (cfg->hardware.outputs[CHAIR_ACT_CARRIAGE].present && g->carriage_mm_s > 0) {
                        float home = g->track_mm / (0.6f * g->carriage_mm_s) * 1.15f + 1;
                        if (home > need)
                                need = home;
                }
                if (cfg->safety.travel_timeout_s < need)
                        fail(c, has(c, "safety.travel_timeout_s", "") ? "safety.travel_timeout_s" : "hardware.geometry",
                             "travel_timeout_s (%g) is shorter than a normal full move of this chair needs (%.1f s)",
                             (double) cfg->safety.travel_timeout_s, (double) need);
        }
        if (has(c, "mqtt.protocol", "") && cfg->mqtt.protocol != 5 && cfg->mqtt.protocol != 311)
                fail(c, "mqtt.protocol", "must be 5 or 311, not %d", cfg->mqtt.protocol);
        if (has(c, "owner.pin", "") && !chair_pin_valid(cfg->owner.pin))
                fail(c, "owner.pin", "must be 4 to 8 digits (quote it: pin: \"0123\")");
        if (has(c, "programs", "") && cfg->n_program_dirs == 0)
                fail(c, "programs", "needs at least one directory");
        /* Topic prefixes: an MQTT wildcard or an empty level would make every
         * subscribe and publish of the bridge invalid (or match other chairs). */
        static const char *const topic_keys[] = { "mqtt.base_topic", "mqtt.discovery_prefix" };
        const char *topic_vals[] = { cfg->mqtt.base_topic, cfg->mqtt.discovery_prefix };
        for (size_t i = 0; i < 2; i++) {
                const char *t = topic_vals[i] ? topic_vals[i] : "";
                if (has(c, topic_keys[i], "") &&
                    (!t[0] || strpbrk(t, "+#") || t[0] == '/' || t[strlen(t) - 1] == '/' ||
                     strstr(t, "//")))
                        fail(c, topic_keys[i], "must be a topic without wildcards (+, #) or empty levels");
        }

        /* The supervisor keeps a heater without a sensor off for good
         * (docs/safety.md): such a chair would offer heat and never give it. */
        if (cfg->hardware.outputs[CHAIR_ACT_HEATER].present && !cfg->hardware.inputs.heater_temp.set)
                fail(c, "hardware.outputs.heater",
                     "a heater needs a temperature sensor (hardware.inputs.heater_temp); without one it never heats");

        check_outputs(c, cfg, gpio_claims, &n_gpio);
        check_inputs(c, cfg, gpio_claims, &n_gpio);

        for (unsigned i = 0; i < cfg->n_program_dirs; i++) {
                struct stat st;
                char path[32];
                const char *dir = cfg->program_dirs[i];
                snprintf(path, sizeof(path), "programs[%u]", i);
                /* An empty list item ("-" alone) loads as no string at all. */
                if (!dir || !dir[0])
                        fail(c, has(c, path, "") ? path : "programs", "must be a directory path");
                else if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
                        fail(c, has(c, path, "") ? path : "programs", "no such directory: %s", dir);
        }
}

/* ---- public API ---- */

bool chair_pin_valid(const char *pin) {
        size_t n = pin ? strlen(pin) : 0;
        if (n < 4 || n > 8)
                return false;
        for (size_t i = 0; i < n; i++)
                if (pin[i] < '0' || pin[i] > '9')
                        return false;
        return true;
}

static uint64_t fnv1a64(const uint8_t *p, size_t n) {
        uint64_t h = 0xcbf29ce484222325ULL;
        for (size_t i = 0; i < n; i++) {
                h ^= p[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}

static char *file_dir(const char *path) {
        char *copy = strdup(path), *real, *d, *res;

        if (!copy)
                return NULL;
        /* Resolve symlinks and "..": the directory must stay right when the cwd changes. */
        real = realpath(path, NULL);
        d = dirname(real ? real : copy);
        res = strdup(d);
        free(real);
        free(copy);
        return res;
}

void chair_config_set_defaults(struct chair_config *cfg) {
        cfg->chair.id = strdup("chair");
        cfg->control.rate_hz = 500;
        cfg->control.rt_priority = 80;
        cfg->control.cpu = -1;
        cfg->control.max_missed_ticks = 5;
        cfg->control.max_stall_ms = 50;

        cfg->safety.default_session_min = 15;
        cfg->safety.max_session_min = 30;
        cfg->safety.heater_max_c = 45;
        cfg->safety.heater_target_c = 40;
        cfg->safety.stall_s = 0.5f;
        cfg->safety.travel_timeout_s = 30;
        cfg->safety.occupancy_required = true;
        cfg->safety.occupant_grace_s = 30;
        cfg->safety.max_pressure_kpa = 40;
        cfg->safety.max_heater_rate_c_s = 5;

        cfg->hardware.backend = CHAIR_BACKEND_SIM;
        cfg->hardware.geometry = (struct chair_geometry) {
                .track_mm = 780,
                .mm_per_pulse = 0.5f,
                .carriage_mm_s = 120,
                .recline_s = 20,
                .seat_to_shoulder_ratio = 0.35f,
                .seat_offset_mm = 60,
        };
        cfg->hardware.sim = (struct chair_sim_config) {
                .seed = 1,
                .time_scale = 1,
                .body_height_cm = 175,
                .occupied = true,
                .ambient_c = 22,
                .heater_w = 40,
                .heater_tau_s = 120,
                .sensor_noise_c = 0.05f,
                .pump_kpa_s = 8,
        };
        for (int i = 0; i < _CHAIR_ACT_COUNT; i++) {
                struct chair_output_config *o = &cfg->hardware.outputs[i];
                *o = (struct chair_output_config) {
                        .pwm = { .period_ns = 50000, .max_duty = 1 },
                        .dir = { .offset = -1 },
                        .gpio = { .offset = -1 },
                        .max = 1,
                };
        }
        for (size_t i = 0; i < sizeof(gpio_inputs) / sizeof(gpio_inputs[0]); i++) {
                struct chair_gpio_binding *g =
                        (void *) ((uint8_t *) &cfg->hardware.inputs + gpio_inputs[i].offset);
                *g = (struct chair_gpio_binding) { .offset = -1 };
        }
        cfg->hardware.inputs.ntc = (struct chair_ntc_config) {
                .r25_ohm = 10000,
                .beta = 3950,
                .pullup_ohm = 10000,
                .vref_mv = 3300,
                .open_ohm = 500000,
                .short_ohm = 50,
        };
        cfg->hardware.inputs.depth_map = (struct chair_linear_config) { 0, 4095, 0, 1 };
        cfg->hardware.inputs.backrest_map = (struct chair_linear_config) { 0, 4095, 0, 1 };
        cfg->hardware.inputs.legrest_map = (struct chair_linear_config) { 0, 4095, 0, 1 };
        cfg->hardware.inputs.pressure_map = (struct chair_linear_config) { 0, 4095, 0, 60 };
        cfg->hardware.gpio_dev_dir = strdup("/dev");
        cfg->hardware.pwm_sysfs = strdup("/sys/class/pwm");
        cfg->hardware.iio_sysfs = strdup("/sys/bus/iio/devices");

        cfg->mqtt.host = strdup("localhost");
        cfg->mqtt.port = 1883;
        cfg->mqtt.base_topic = strdup("chaird/chair");
        cfg->mqtt.client_id = strdup("chaird-chair");
        cfg->mqtt.keepalive = 30;
        cfg->mqtt.discovery_prefix = strdup("homeassistant");
        cfg->mqtt.discovery = true;
        cfg->mqtt.protocol = 5;
}

struct chair_config *chair_config_free(struct chair_config *cfg) {
        if (!cfg)
                return NULL;
        free(cfg->path);
        free(cfg->dir);
        /* Every other pointer is described by the schema. */
        chair_yaml_free(&config_schema, cfg);
        return NULL;
}

const char *chair_config_state_dir(const struct chair_config *cfg) {
        const char *e = getenv("STATE_DIRECTORY");

        if (e && e[0])
                return e;
        if (cfg && cfg->state_dir && cfg->state_dir[0])
                return cfg->state_dir;
        return "/var/lib/chaird";
}

int chair_config_load_lenient(const char *path, struct chair_errors *errs, struct chair_config **ret) {
        struct chair_yaml_pos *pos = NULL;
        struct chair_config *cfg = NULL, *def = NULL;
        uint8_t *data = NULL;
        size_t len = 0;
        void *loaded = NULL;
        int r, rs;

        *ret = NULL;
        r = chair_yaml_read_file(path, CONFIG_MAX_BYTES, errs, &data, &len);
        if (r < 0)
                return r;

        rs = chair_yaml_pos_parse(data, len, path, errs, &pos);
        if (rs == -ENOMEM)
                goto oom;
        /* A document that does not parse, or has duplicate keys, is not handed to libcyaml. */
        if (rs == 0) {
                rs = chair_yaml_load(data, len, path, pos, &config_schema, config_ranges, N(config_ranges),
                                     errs, &loaded);
                if (rs == -ENOMEM)
                        goto oom;
        }
        cfg = loaded;
        if (!cfg) {
                cfg = calloc(1, sizeof(*cfg));
                if (!cfg)
                        goto oom;
        }

        def = calloc(1, sizeof(*def));
        if (!def)
                goto oom;
        chair_config_set_defaults(def);
        if (chair_yaml_fill_defaults(pos, &config_schema, "", cfg, def) < 0)
                goto oom;

        cfg->path = strdup(path);
        cfg->dir = file_dir(path);
        if (!cfg->path || !cfg->dir)
                goto oom;
        cfg->hash = fnv1a64(data, len);

        if (mark_presence(cfg, pos) < 0 || set_derived(cfg, pos) < 0 ||
            set_program_dirs(cfg, pos, loaded == NULL) < 0 || resolve_paths(cfg) < 0)
                goto oom;

        if (loaded) {
                struct check c = { .file = path, .pos = pos, .errs = errs };
                validate(&c, cfg);
                if (c.r == -ENOMEM)
                        goto oom;
                if (c.r < 0)
                        rs = c.r;
        }

        chair_config_free(def);
        chair_yaml_pos_free(pos);
        free(data);
        *ret = cfg;
        return rs < 0 ? -EINVAL : 0;

oom:
        chair_config_free(def);
        if (cfg && cfg != loaded)
                chair_config_free(cfg);
        else
                chair_config_free(loaded);
        chair_yaml_pos_free(pos);
        free(data);
        return -ENOMEM;
}

int chair_config_load(const char *path, struct chair_errors *errs, struct chair_config **ret) {
        struct chair_config *cfg;
        int r;

        *ret = NULL;
        r = chair_config_load_lenient(path, errs, &cfg);
        if (r < 0) {
                chair_config_free(cfg);
                return r;
        }
        *ret = cfg;
        return 0;
}

static bool under_hardware(const char *path) {
        return strncmp(path, "hardware", 8) == 0 && (path[8] == 0 || path[8] == '.');
}

int chair_config_load_hardware(const char *path, struct chair_errors *errs, struct chair_config **ret) {
        struct chair_errors all = { 0 };
        struct chair_yaml_pos *pos = NULL;
        struct chair_config *cfg = NULL, *def = NULL;
        uint8_t *data = NULL;
        size_t len = 0;
        void *loaded = NULL;
        int r;

        *ret = NULL;
        r = chair_yaml_read_file(path, CONFIG_MAX_BYTES, errs, &data, &len);
        if (r < 0)
                return r;

        /* Syntax errors and duplicate keys anywhere: the document cannot be trusted. */
        r = chair_yaml_pos_parse(data, len, path, errs, &pos);
        if (r < 0)
                goto out;
        r = chair_yaml_load(data, len, path, pos, &hardware_only_schema, config_ranges, N(config_ranges),
                            &all, &loaded);
        if (r == -ENOMEM)
                goto out;
        /* Keep what is wrong inside hardware; the rest is none of this loader's business. */
        r = 0;
        for (size_t i = 0; i < all.n; i++) {
                const struct chair_error *e = &all.v[i];
                if (!under_hardware(e->path))
                        continue;
                if (chair_errors_add(errs, e->file, e->line, e->column, e->path, "%s", e->message) < 0) {
                        r = -ENOMEM;
                        goto out;
                }
                r = -EINVAL;
        }
        if (r < 0 || !loaded) {
                r = r < 0 ? r : -EINVAL;
                goto out;
        }
        cfg = loaded;
        loaded = NULL;

        def = calloc(1, sizeof(*def));
        if (!def) {
                r = -ENOMEM;
                goto out;
        }
        chair_config_set_defaults(def);
        cfg->path = strdup(path);
        cfg->dir = file_dir(path);
        if (!cfg->path || !cfg->dir ||
            chair_yaml_fill_defaults(pos, &hardware_only_schema, "", cfg, def) < 0 ||
            mark_presence(cfg, pos) < 0 || resolve_paths(cfg) < 0) {
                r = -ENOMEM;
                goto out;
        }
        cfg->hash = fnv1a64(data, len);
        *ret = cfg;
        cfg = NULL;
        r = 0;
out:
        chair_config_free(cfg);
        chair_yaml_free(&hardware_only_schema, loaded);
        chair_config_free(def);
        chair_errors_clear(&all);
        chair_yaml_pos_free(pos);
        free(data);
        return r;
}
