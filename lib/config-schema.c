/* SPDX-License-Identifier: MIT */
/* The shape of chaird.yaml: libcyaml's schema, the range of every number and
 * the input bindings by key (lib/config-schema.h). */
#include <stddef.h>

#include <cyaml/cyaml.h>

#include "config-schema.h"
#include "config.h"
#include "yaml-load.h"

/* ---- libcyaml schema: the shape of chaird.yaml (every key optional) ---- */

#define OPT CYAML_FLAG_OPTIONAL
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

const cyaml_schema_value_t chair_config_schema = {
        CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct chair_config, top_fields),
};

/* The hardware section alone (--safe-state): every other key is left alone. */
static const cyaml_schema_field_t hardware_only_fields[] = {
        CYAML_FIELD_MAPPING("hardware", OPT, struct chair_config, hardware, hardware_fields),
        CYAML_FIELD_END,
};

const cyaml_schema_value_t chair_config_hardware_schema = {
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
const struct chair_yaml_ranges chair_config_ranges[] = {
        { "", top_ranges, N(top_ranges) },
        { "hardware.outputs.*", output_ranges, N(output_ranges) },
        { "hardware.inputs.pressure.*", iio_ranges, N(iio_ranges) },
        { "hardware.inputs.*", gpio_in_ranges, N(gpio_in_ranges) },
        { "hardware.inputs.*", iio_ranges, N(iio_ranges) },
};

const size_t chair_config_n_ranges = N(chair_config_ranges);

/* Input bindings by key, for presence, ranges and line claims. */
const struct chair_config_input_key chair_config_gpio_inputs[] = {
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
};
const size_t chair_config_n_gpio_inputs = N(chair_config_gpio_inputs);

const struct chair_config_input_key chair_config_iio_inputs[] = {
        { "heater_temp", offsetof(struct chair_input_config, heater_temp) },
        { "depth_pos", offsetof(struct chair_input_config, depth_pos) },
        { "backrest_pos", offsetof(struct chair_input_config, backrest_pos) },
        { "legrest_pos", offsetof(struct chair_input_config, legrest_pos) },
        { "pressure.lumbar-left", offsetof(struct chair_input_config, pressure[CHAIR_BAG_LUMBAR_LEFT]) },
        { "pressure.lumbar-right", offsetof(struct chair_input_config, pressure[CHAIR_BAG_LUMBAR_RIGHT]) },
        { "pressure.seat", offsetof(struct chair_input_config, pressure[CHAIR_BAG_SEAT]) },
        { "pressure.calves", offsetof(struct chair_input_config, pressure[CHAIR_BAG_CALVES]) },
};
const size_t chair_config_n_iio_inputs = N(chair_config_iio_inputs);
