/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "config.h"
#include "deadman.h"
#include "hal-sim.h"
#include "hal.h"

/*
 * Plant constants that the config does not expose.  They are chosen to look
 * like the reference chair, not to be tuned per chair: a controller that only
 * works for one exact value of these is not robust enough for real hardware.
 */
#define SUBSTEP_NS        1000000ULL   /* at most 1 ms per integration step */
#define MAX_GAP_NS        10000000000ULL /* a read after a longer gap integrates only 10 s */
#define CARRIAGE_TAU_S    0.05         /* motor + carriage inertia */
#define SWITCH_BAND_MM    0.5          /* end switches close this close to the stops */
#define DEPTH_RATE        0.5          /* depth units per second at full duty */
#define DEPTH_CONTACT     0.35         /* depth where the rollers meet the back */
#define DEPTH_COMPLIANCE  0.05         /* extra depth the back yields at full push */
#define HEATER_K_C_PER_W  0.7          /* 40 W -> +28 °C over the environment: ~61 °C on a body */
#define SKIN_C            33.0         /* the occupant's back warms the pad's surroundings */
#define ENV_TAU_S         300.0        /* how fast the pad's surroundings follow skin/ambient */
#define BAG_VENT_TAU_S    0.5          /* open vent valve */
#define BAG_LEAK_TAU_S    600.0        /* closed bag slowly leaks */
#define PUMP_RELIEF_KPA   80.0         /* pump relief valve: far above any safe limit */
#define RECLINE_SWITCH    0.005        /* recline end switches, as a fraction of the stroke */

struct chair_hal_sim {
        struct chair_hal base;         /* first: the ops cast between the two */

        struct chair_outputs out;      /* last written, present actuators only */
        struct chair_deadman dm;       /* on-time limits, as the linux output layer has */
        uint32_t cut;                  /* outputs it cut, not yet taken */

        /* Plant state (double: hours of 1 ms steps must not drift). */
        bool started;
        uint64_t last_ns;
        double carriage_mm, carriage_v;
        double travel_mm;              /* distance since the last encoder edge */
        uint32_t pulses;
        double depth;
        double heater_c, env_c;
        double pressure[_CHAIR_BAG_COUNT];
        double backrest, legrest;

        /* Conditions set by config and by chair_hal_sim_apply(). */
        bool estop, occupied, obstacle;
        float body_height_cm;
        int stalled;
        enum chair_sensor_status heater_sensor;
        double encoder_noise_hz;       /* spurious edges per second */
        double noise_edges;            /* fraction of the next spurious edge */
        bool home_broken;              /* home switch never closes */
        double carriage_speed;         /* share of carriage_mm_s the drive reaches (1 = healthy) */

        uint64_t rng;
};

static const char *const key_names[_CHAIR_SIM_KEY_COUNT] = {
        [CHAIR_SIM_ESTOP] = "estop",
        [CHAIR_SIM_OCCUPIED] = "occupied",
        [CHAIR_SIM_OBSTACLE] = "obstacle",
        [CHAIR_SIM_HEATER_SENSOR] = "heater_sensor",
        [CHAIR_SIM_STALL] = "stall",
        [CHAIR_SIM_BODY_HEIGHT_CM] = "body_height_cm",
        [CHAIR_SIM_OVERPRESSURE] = "overpressure",
        [CHAIR_SIM_ENCODER_NOISE] = "encoder_noise",
        [CHAIR_SIM_HOME_SWITCH] = "home_switch",
        [CHAIR_SIM_HEATER_C] = "heater_c",
        [CHAIR_SIM_CARRIAGE_SPEED] = "carriage_speed",
};

const char *chair_sim_key_name(enum chair_sim_key k) {
        return (unsigned) k < _CHAIR_SIM_KEY_COUNT ? key_names[k] : NULL;
}

static const struct chair_hal_ops sim_ops;

static struct chair_hal_sim *to_sim(struct chair_hal *h) {
        return (struct chair_hal_sim *) h;
}

/* splitmix64: tiny, good enough for sensor noise, and identical on every platform. */
static uint64_t rng_next(struct chair_hal_sim *s) {
        uint64_t z = (s->rng += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

/* Uniform in [-a, a]. */
static double rng_noise(struct chair_hal_sim *s, double a) {
        double u = (double) (rng_next(s) >> 11) * (1.0 / 9007199254740992.0);   /* [0,1) */
        return (2.0 * u - 1.0) * a;
}

static double clampd(double v, double lo, double hi) {
        return v < lo ? lo : v > hi ? hi : v;
}

static bool present(const struct chair_hal_sim *s, enum chair_actuator a) {
        return s->base.cfg->hardware.outputs[a].present;
}

/* The value the plant sees: nothing from a part the chair lacks, and a stalled
 * motor does not turn whatever it is driven with. */
static double drive(const struct chair_hal_sim *s, enum chair_actuator a) {
        if (!present(s, a) || s->stalled == (int) a)
                return 0.0;
        return s->out.v[a];
}

static float shoulder_mm(const struct chair_hal_sim *s) {
        return chair_body_shoulder_for_height(&s->base.cfg->hardware.geometry, s->body_height_cm);
}

static void step(struct chair_hal_sim *s, double dt) {
        const struct chair_config *cfg = s->base.cfg;
        const struct chair_geometry *g = &cfg->hardware.geometry;
        const struct chair_sim_config *sc = &cfg->hardware.sim;

        /* Carriage: first-order lag toward duty × speed, hard stops at both ends. */
        if (s->stalled == CHAIR_ACT_CARRIAGE || !present(s, CHAIR_ACT_CARRIAGE)) {
                s->carriage_v = 0.0;
        } else {
                double target = drive(s, CHAIR_ACT_CARRIAGE) * g->carriage_mm_s * s->carriage_speed;
                double a = dt / CARRIAGE_TAU_S;
                s->carriage_v += (target - s->carriage_v) * (a > 1.0 ? 1.0 : a);
                double x = s->carriage_mm + s->carriage_v * dt;
                if (x <= 0.0 || x >= g->track_mm) {
                        x = clampd(x, 0.0, g->track_mm);
                        s->carriage_v = 0.0;
                }
                s->travel_mm += fabs(x - s->carriage_mm);
                s->carriage_mm = x;
                /* Single-channel encoder: an edge per mm_per_pulse either way. */
                if (g->mm_per_pulse > 0.0f)
                        while (s->travel_mm >= g->mm_per_pulse) {
                                s->travel_mm -= g->mm_per_pulse;
                                s->pulses++;
                        }
        }

        /* A noisy encoder line (injected): edges whatever the carriage does. */
        if (s->encoder_noise_hz > 0.0) {
                s->noise_edges += s->encoder_noise_hz * dt;
                while (s->noise_edges >= 1.0) {
                        s->noise_edges -= 1.0;
                        s->pulses++;
                }
        }

        /* Depth: the back stops the rollers below the shoulder line. */
        {
                double u = drive(s, CHAIR_ACT_DEPTH);
                double d = s->depth + u * DEPTH_RATE * dt;
                double limit = 1.0;
                if (s->occupied && s->carriage_mm < shoulder_mm(s))
                        limit = DEPTH_CONTACT + DEPTH_COMPLIANCE * (u > 0.0 ? u : 0.0);
                s->depth = clampd(d, 0.0, limit);
        }

        /* Heater pad: first-order toward environment + power; the environment
         * follows the occupant's skin or the room. */
        {
                double env_target = s->occupied ? SKIN_C : sc->ambient_c;
                s->env_c += (env_target - s->env_c) * dt / ENV_TAU_S;
                double p = sc->heater_w * drive(s, CHAIR_ACT_HEATER) * HEATER_K_C_PER_W;
                double tau = sc->heater_tau_s > 0.0f ? sc->heater_tau_s : 1.0;
                s->heater_c += (p - (s->heater_c - s->env_c)) * dt / tau;
        }

        /* Airbags: the pump fills every bag whose valve connects it. */
        {
                double pump = drive(s, CHAIR_ACT_PUMP);
                for (int b = 0; b < _CHAIR_BAG_COUNT; b++) {
                        enum chair_actuator valve = chair_airbag_valve((enum chair_airbag) b);
                        double *p = &s->pressure[b];
                        if (!present(s, valve)) {
                                *p = 0.0;
                        } else if (s->out.v[valve] >= 0.5f) {
                                if (pump > 0.0)
                                        *p = fmin(*p + pump * sc->pump_kpa_s * dt, PUMP_RELIEF_KPA);
                                else
                                        *p -= *p * dt / BAG_LEAK_TAU_S;
                        } else {
                                double a = dt / BAG_VENT_TAU_S;
                                *p -= *p * (a > 1.0 ? 1.0 : a);
                        }
                }
        }

        /* Recline: position integrates duty over the full-stroke time. */
        if (g->recline_s > 0.0f) {
                s->backrest = clampd(s->backrest + drive(s, CHAIR_ACT_BACKREST) / g->recline_s * dt, 0.0, 1.0);
                s->legrest = clampd(s->legrest + drive(s, CHAIR_ACT_LEGREST) / g->recline_s * dt, 0.0, 1.0);
        }
}

/* The sim's sensors read like a 12-bit ADC: positions and pressures through the
 * inverse of their configured linear maps, the heater through the NTC divider
 * (Vref -- pullup -- ADC -- NTC -- GND, Beta model) spanning vref_mv. */
#define SIM_ADC_MAX 4095

static int32_t adc_code(float frac) {
        frac = frac < 0 ? 0 : frac > 1 ? 1 : frac;
        return (int32_t) (frac * SIM_ADC_MAX + 0.5f);
}

static int32_t adc_linear(const struct chair_linear_config *m, float v) {
        if (m->max == m->min)
                return -1;
        float raw = m->raw_min + (v - m->min) / (m->max - m->min) * (m->raw_max - m->raw_min);
        return adc_code(raw / SIM_ADC_MAX);
}

static int32_t adc_ntc(const struct chair_ntc_config *n, enum chair_sensor_status status, double c) {
        if (status == CHAIR_SENSOR_OPEN)
                return SIM_ADC_MAX;            /* no current through the NTC: the ADC sees Vref */
        if (status == CHAIR_SENSOR_SHORT)
                return 0;
        float r = n->r25_ohm * expf(n->beta * (1.0f / ((float) c + 273.15f) - 1.0f / 298.15f));
        return adc_code(r / (r + n->pullup_ohm));
}

static void fill_raw(const struct chair_input_config *ic, struct chair_inputs *in, double heater_c,
                     enum chair_sensor_status heater_status) {
        in->raw[CHAIR_AN_HEATER] = ic->heater_temp.set ? adc_ntc(&ic->ntc, heater_status, heater_c) : -1;
        in->raw[CHAIR_AN_DEPTH] = ic->depth_pos.set ? adc_linear(&ic->depth_map, in->depth) : -1;
        in->raw[CHAIR_AN_BACKREST] = ic->backrest_pos.set ? adc_linear(&ic->backrest_map, in->backrest) : -1;
        in->raw[CHAIR_AN_LEGREST] = ic->legrest_pos.set ? adc_linear(&ic->legrest_map, in->legrest) : -1;
        for (int b = 0; b < _CHAIR_BAG_COUNT; b++)
                in->raw[CHAIR_AN_PRESSURE + b] =
                        ic->pressure[b].set ? adc_linear(&ic->pressure_map, in->pressure_kpa[b]) : -1;
}

static void fill_inputs(struct chair_hal_sim *s, struct chair_inputs *in) {
        const struct chair_config *cfg = s->base.cfg;
        const struct chair_input_config *ic = &cfg->hardware.inputs;
        const struct chair_geometry *g = &cfg->hardware.geometry;
        double noise = cfg->hardware.sim.sensor_noise_c;

        /* A chair without the button / sensor cannot report it; an absent
         * occupancy sensor reads "occupied" (the hal.h contract). */
        in->estop = ic->estop.set && s->estop;
        in->occupied = ic->occupancy.set ? s->occupied : true;
        in->obstacle = ic->obstacle.set && s->obstacle;

        in->encoder_pulses = s->pulses;
        in->carriage_home = !s->home_broken && s->carriage_mm <= SWITCH_BAND_MM;
        in->carriage_end = s->carriage_mm >= g->track_mm - SWITCH_BAND_MM;

        in->depth = (float) s->depth;

        if (!ic->heater_temp.set) {
                in->heater_sensor = CHAIR_SENSOR_ABSENT;
                in->heater_c = NAN;
        } else if (s->heater_sensor != CHAIR_SENSOR_OK) {
                in->heater_sensor = s->heater_sensor;
                in->heater_c = NAN;
        } else {
                in->heater_sensor = CHAIR_SENSOR_OK;
                in->heater_c = (float) (s->heater_c + rng_noise(s, noise));
        }

        /* Pressure sensors share the configured noise amplitude (in kPa). */
        for (int b = 0; b < _CHAIR_BAG_COUNT; b++)
                in->pressure_kpa[b] = (float) fmax(s->pressure[b] + rng_noise(s, noise), 0.0);

        in->backrest = (float) s->backrest;
        in->legrest = (float) s->legrest;
        in->backrest_min = s->backrest <= RECLINE_SWITCH;
        in->backrest_max = s->backrest >= 1.0 - RECLINE_SWITCH;
        in->legrest_min = s->legrest <= RECLINE_SWITCH;
        in->legrest_max = s->legrest >= 1.0 - RECLINE_SWITCH;
        fill_raw(ic, in, in->heater_sensor == CHAIR_SENSOR_OK ? in->heater_c : s->heater_c, s->heater_sensor);
}

static int sim_read(struct chair_hal *h, uint64_t now_ns, struct chair_inputs *in) {
        struct chair_hal_sim *s = to_sim(h);

        if (s->started && now_ns > s->last_ns) {
                uint64_t gap = now_ns - s->last_ns;
                /* Bound the work one read can cost: the control thread must not
                 * spin for minutes after a suspend or a debugger stop. */
                if (gap > MAX_GAP_NS)
                        gap = MAX_GAP_NS;
                uint64_t n = (gap + SUBSTEP_NS - 1) / SUBSTEP_NS;
                double dt = (double) gap / (double) n * 1e-9;
                for (uint64_t i = 0; i < n; i++)
                        step(s, dt);
        }
        /* Time never runs backwards for the plant; an earlier now_ns only reads. */
        if (!s->started || now_ns > s->last_ns)
                s->last_ns = now_ns;
        s->started = true;

        fill_inputs(s, in);
        return 0;
}

static float sanitize(enum chair_actuator a, float v) {
        if (!isfinite(v))
                return 0.0f;
        switch (chair_actuator_kind(a)) {
        case CHAIR_ACT_KIND_BIDIR:
                return v < -1.0f ? -1.0f : v > 1.0f ? 1.0f : v;
        case CHAIR_ACT_KIND_DUTY:
                return v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
        case CHAIR_ACT_KIND_SWITCH:
                return v >= 0.5f ? 1.0f : 0.0f;
        }
        return 0.0f;
}

static int sim_write(struct chair_hal *h, const struct chair_outputs *out) {
        struct chair_hal_sim *s = to_sim(h);
        struct chair_outputs apply;

        /* The plant runs inside the tick, so nothing can go stale here (fed now);
         * the on-time limits apply as on real hardware. */
        s->cut |= chair_deadman_apply(&s->dm, s->last_ns, s->last_ns, out, &apply);
        for (int i = 0; i < _CHAIR_ACT_COUNT; i++)
                s->out.v[i] = present(s, (enum chair_actuator) i) ? sanitize((enum chair_actuator) i, apply.v[i]) : 0.0f;
        return 0;
}

static uint32_t sim_take_cut(struct chair_hal *h) {
        struct chair_hal_sim *s = to_sim(h);
        uint32_t c = s->cut;
        s->cut = 0;
        return c;
}

static int sim_safe(struct chair_hal *h) {
        struct chair_hal_sim *s = to_sim(h);

        chair_outputs_safe(h->cfg, &s->out);
        return 0;
}

static void sim_destroy(struct chair_hal *h) {
        free(to_sim(h));
}

static const struct chair_hal_ops sim_ops = {
        .name = "sim",
        .read = sim_read,
        .write = sim_write,
        .safe = sim_safe,
        .destroy = sim_destroy,
        .take_cut = sim_take_cut,
};

int chair_hal_sim_new(const struct chair_config *cfg, struct chair_hal **ret) {
        if (!cfg || !ret)
                return -EINVAL;

        struct chair_hal_sim *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;

        const struct chair_sim_config *sc = &cfg->hardware.sim;
        s->base.ops = &sim_ops;
        s->base.cfg = cfg;
        chair_outputs_safe(cfg, &s->out);
        chair_deadman_init(&s->dm, cfg);
        s->carriage_speed = 1.0;
        s->dm.stall_ns = 0;            /* virtual time: the tick is the plant's clock */
        s->estop = sc->estop;
        s->occupied = sc->occupied;
        s->obstacle = sc->obstacle;
        s->body_height_cm = sc->body_height_cm;
        s->stalled = -1;
        s->heater_sensor = CHAIR_SENSOR_OK;
        /* The chair has stood in the room: pad and surroundings at ambient. */
        s->heater_c = sc->ambient_c;
        s->env_c = sc->ambient_c;
        s->rng = sc->seed;

        *ret = &s->base;
        return 0;
}

bool chair_hal_is_sim(const struct chair_hal *h) {
        return h && h->ops == &sim_ops;
}

int chair_hal_sim_apply(struct chair_hal *h, const struct chair_sim_change *c) {
        if (!chair_hal_is_sim(h) || !c)
                return -EINVAL;
        struct chair_hal_sim *s = to_sim(h);

        switch (c->key) {
        case CHAIR_SIM_ESTOP:
                s->estop = c->b;
                return 0;
        case CHAIR_SIM_OCCUPIED:
                s->occupied = c->b;
                return 0;
        case CHAIR_SIM_OBSTACLE:
                s->obstacle = c->b;
                return 0;
        case CHAIR_SIM_HEATER_SENSOR:
                if (c->sensor != CHAIR_SENSOR_OK && c->sensor != CHAIR_SENSOR_OPEN &&
                    c->sensor != CHAIR_SENSOR_SHORT)
                        return -EINVAL;
                s->heater_sensor = c->sensor;
                return 0;
        case CHAIR_SIM_STALL:
                if (c->actuator < -1 || c->actuator >= _CHAIR_ACT_COUNT)
                        return -EINVAL;
                s->stalled = c->actuator;
                return 0;
        case CHAIR_SIM_BODY_HEIGHT_CM:
                if (!isfinite(c->f) || c->f < 100.0f || c->f > 230.0f)
                        return -EINVAL;
                s->body_height_cm = c->f;
                return 0;
        case CHAIR_SIM_OVERPRESSURE:
                if (c->bag < 0 || c->bag >= _CHAIR_BAG_COUNT)
                        return -EINVAL;
                s->pressure[c->bag] = PUMP_RELIEF_KPA;
                return 0;
        case CHAIR_SIM_ENCODER_NOISE:
                if (!isfinite(c->f) || c->f < 0.0f || c->f > 5000.0f)
                        return -EINVAL;
                s->encoder_noise_hz = c->f;
                return 0;
        case CHAIR_SIM_HOME_SWITCH:
                s->home_broken = !c->b;
                return 0;
        case CHAIR_SIM_CARRIAGE_SPEED:
                if (!isfinite(c->f) || c->f < 0.01f || c->f > 1.0f)
                        return -EINVAL;
                s->carriage_speed = c->f;
                return 0;
        case CHAIR_SIM_HEATER_C:
                if (!isfinite(c->f) || c->f < -20.0f || c->f > 150.0f)
                        return -EINVAL;
                s->heater_c = c->f;
                return 0;
        case _CHAIR_SIM_KEY_COUNT:
                break;
        }
        return -EINVAL;
}

void chair_hal_sim_truth(const struct chair_hal *h, struct chair_sim_truth *t) {
        const struct chair_hal_sim *s = (const struct chair_hal_sim *) h;

        memset(t, 0, sizeof(*t));
        if (!chair_hal_is_sim(h))
                return;
        t->carriage_mm = (float) s->carriage_mm;
        t->carriage_mm_s = (float) s->carriage_v;
        t->depth = (float) s->depth;
        t->heater_c = (float) s->heater_c;
        for (int b = 0; b < _CHAIR_BAG_COUNT; b++)
                t->pressure_kpa[b] = (float) s->pressure[b];
        t->backrest = (float) s->backrest;
        t->legrest = (float) s->legrest;
        t->shoulder_mm = shoulder_mm(s);
        t->occupied = s->occupied;
        t->estop = s->estop;
        t->obstacle = s->obstacle;
        t->body_height_cm = s->body_height_cm;
        t->stalled = s->stalled;
        t->heater_sensor = s->heater_sensor;
        t->encoder_pulses = s->pulses;
}
