/* SPDX-License-Identifier: MIT */
/* Wear counters: edges, run times, estimates, JSON round trip, and a real
 * session on the simulated chair. */
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alloc-count.h"
#include "counters.h"
#include "testkit.h"

#define DT 0.002

struct fixture {
        struct chair_config *cfg;
        struct chair_counter_tracker t;
        struct chair_inputs in;
        struct chair_outputs out;
};

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        f->cfg = testkit_config();
        chair_counter_tracker_init(&f->t);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        chair_config_free(f->cfg);
        free(f);
        return 0;
}

static void ticks(struct fixture *f, unsigned n) {
        for (unsigned i = 0; i < n; i++)
                chair_counters_tick(&f->t, f->cfg, &f->in, &f->out, DT);
}

static void test_run_time_and_duty(void **state) {
        struct fixture *f = *state;

        f->out.v[CHAIR_ACT_CARRIAGE] = 0.5f;
        f->out.v[CHAIR_ACT_HEATER] = 0.25f;
        ticks(f, 1000);
        f->out.v[CHAIR_ACT_CARRIAGE] = 0.01f;   /* below the threshold: off */
        f->out.v[CHAIR_ACT_HEATER] = 0;
        ticks(f, 500);
        const struct chair_counters *c = &f->t.total;
        assert_float_equal(c->act[CHAIR_ACT_CARRIAGE].on_s, 2.0, 1e-6);
        assert_float_equal(c->act[CHAIR_ACT_CARRIAGE].duty_s, 1.0, 1e-6);
        assert_float_equal(c->act[CHAIR_ACT_HEATER].on_s, 2.0, 1e-6);
        assert_float_equal(c->act[CHAIR_ACT_HEATER].duty_s, 0.5, 1e-6);
        assert_int_equal(c->act[CHAIR_ACT_HEATER].starts, 1);
        assert_float_equal(c->act[CHAIR_ACT_KNEAD].on_s, 0, 0);
}

/* A drive sequence and the direction changes and starts it must give. */
static const struct {
        const char *name;
        float seq[12];
        unsigned n;
        unsigned changes, starts;
} dir_cases[] = {
        { "steady", { 0.5f, 0.5f, 0.5f }, 3, 0, 1 },
        { "reverse through zero", { 0.5f, 0, 0, -0.5f }, 4, 1, 2 },
        { "reverse directly", { 0.5f, -0.5f, 0.5f, -0.5f }, 4, 3, 1 },
        { "same direction after a pause", { -0.3f, 0, -0.3f, 0, -0.3f }, 5, 0, 3 },
        { "tiny values are off", { 0.5f, 0.01f, -0.01f, 0.5f }, 4, 0, 2 },
        { "mixed", { 0.5f, 0.5f, 0, 0.5f, -0.5f, -0.5f, 0, -0.5f, 0.5f }, 9, 2, 3 },
};

static void test_direction_changes(void **state) {
        struct fixture *f = *state;

        for (size_t i = 0; i < sizeof(dir_cases) / sizeof(dir_cases[0]); i++) {
                chair_counter_tracker_init(&f->t);
                for (unsigned k = 0; k < dir_cases[i].n; k++) {
                        f->out.v[CHAIR_ACT_KNEAD] = dir_cases[i].seq[k];
                        ticks(f, 10);
                }
                print_message("case %s\n", dir_cases[i].name);
                assert_int_equal(f->t.total.act[CHAIR_ACT_KNEAD].direction_changes, dir_cases[i].changes);
                assert_int_equal(f->t.total.act[CHAIR_ACT_KNEAD].starts, dir_cases[i].starts);
        }
}

static void test_inflations(void **state) {
        struct fixture *f = *state;
        enum chair_actuator v = chair_airbag_valve(CHAIR_BAG_SEAT);
        uint64_t *n = &f->t.total.inflations[CHAIR_BAG_SEAT];

        /* valve opens first, the pump follows: one inflation */
        f->out.v[v] = 1;
        ticks(f, 5);
        assert_int_equal(*n, 0);
        f->out.v[CHAIR_ACT_PUMP] = 1;
        ticks(f, 5);
        assert_int_equal(*n, 1);
        /* the regulation pulses the pump while the valve stays open: still one */
        for (int i = 0; i < 5; i++) {
                f->out.v[CHAIR_ACT_PUMP] = i % 2 ? 1.0f : 0.0f;
                ticks(f, 5);
        }
        assert_int_equal(*n, 1);
        /* vent and reopen without the pump: no inflation */
        f->out.v[v] = 0;
        f->out.v[CHAIR_ACT_PUMP] = 0;
        ticks(f, 5);
        f->out.v[v] = 1;
        ticks(f, 5);
        assert_int_equal(*n, 1);
        /* vent, reopen with the pump on: a second one */
        f->out.v[v] = 0;
        ticks(f, 5);
        f->out.v[v] = 1;
        f->out.v[CHAIR_ACT_PUMP] = 1;
        ticks(f, 5);
        assert_int_equal(*n, 2);
        assert_int_equal(f->t.total.inflations[CHAIR_BAG_CALVES], 0);
}

static void test_cycles_and_travel(void **state) {
        struct fixture *f = *state;

        f->out.v[CHAIR_ACT_KNEAD] = -1.0f;
        f->out.v[CHAIR_ACT_TAP] = 0.5f;
        f->in.encoder_pulses = 0xFFFFFFF0u;
        ticks(f, 1);                    /* the first tick only records the pulse count */
        f->in.encoder_pulses = 0x10u;   /* wrapped: 32 pulses */
        ticks(f, 4999);
        const struct chair_counters *c = &f->t.total;
        assert_float_equal(c->knead_cycles, 10.0 * CHAIR_KNEAD_CYCLES_PER_S, 1e-6);
        assert_float_equal(c->tap_cycles, 5.0 * CHAIR_TAP_CYCLES_PER_S, 1e-6);
        assert_float_equal(c->carriage_mm, 32 * f->cfg->hardware.geometry.mm_per_pulse, 1e-6);

        /* without an encoder the distance comes from the drive */
        chair_counter_tracker_init(&f->t);
        f->cfg->hardware.inputs.encoder.set = false;
        memset(&f->out, 0, sizeof(f->out));
        f->out.v[CHAIR_ACT_CARRIAGE] = -0.5f;
        ticks(f, 500);
        assert_float_equal(f->t.total.carriage_mm, 0.5 * f->cfg->hardware.geometry.carriage_mm_s, 1e-3);
}

static void test_absent_parts_do_not_count(void **state) {
        struct fixture *f = *state;

        f->cfg->hardware.outputs[CHAIR_ACT_TAP].present = false;
        f->cfg->hardware.outputs[CHAIR_ACT_PUMP].present = false;
        f->out.v[CHAIR_ACT_TAP] = 1;
        f->out.v[CHAIR_ACT_PUMP] = 1;
        f->out.v[chair_airbag_valve(CHAIR_BAG_SEAT)] = 1;
        ticks(f, 100);
        assert_float_equal(f->t.total.act[CHAIR_ACT_TAP].on_s, 0, 0);
        assert_float_equal(f->t.total.tap_cycles, 0, 0);
        assert_int_equal(f->t.total.inflations[CHAIR_BAG_SEAT], 0);
        assert_int_equal(f->t.total.act[chair_airbag_valve(CHAIR_BAG_SEAT)].starts, 1);
}

static void test_events(void **state) {
        struct fixture *f = *state;
        struct chair_event e = { .kind = CHAIR_EVENT_SESSION_STARTED };

        chair_counters_event(&f->t, &e);
        chair_counters_event(&f->t, &e);
        e = (struct chair_event) { .kind = CHAIR_EVENT_FAULT, .fault.code = CHAIR_FAULT_ROLLER_STALL };
        chair_counters_event(&f->t, &e);
        e.kind = CHAIR_EVENT_FAULT_CLEARED;     /* clearing is no new fault */
        chair_counters_event(&f->t, &e);
        e = (struct chair_event) { .kind = CHAIR_EVENT_FAULT, .fault.code = (enum chair_fault) 99 };
        chair_counters_event(&f->t, &e);        /* out of range: ignored, no overflow */
        assert_int_equal(f->t.total.sessions, 2);
        assert_int_equal(f->t.total.faults[CHAIR_FAULT_ROLLER_STALL], 1);
        assert_int_equal(f->t.total.faults[CHAIR_FAULT_ESTOP], 0);
}

static void fill(struct chair_counters *c, unsigned seed) {
        memset(c, 0, sizeof(*c));
        for (int a = 0; a < _CHAIR_ACT_COUNT; a++) {
                c->act[a].on_s = seed * 10.5 + a;
                c->act[a].duty_s = seed * 3.25 + a;
                c->act[a].starts = seed * 7u + (unsigned) a;
                if (chair_actuator_kind(a) == CHAIR_ACT_KIND_BIDIR)
                        c->act[a].direction_changes = seed * 5u + (unsigned) a;
        }
        c->knead_cycles = seed * 100.125;
        c->tap_cycles = seed * 800.5;
        c->carriage_mm = seed * 12345.5;
        for (int b = 0; b < _CHAIR_BAG_COUNT; b++)
                c->inflations[b] = seed + (unsigned) b;
        c->sessions = seed * 2u;
        c->self_tests = seed;
        for (int i = 0; i < _CHAIR_FAULT_COUNT; i++)
                c->faults[i] = seed + (unsigned) i * 3u;
}

static void test_add_and_json_round_trip(void **state) {
        struct chair_counters a, b, sum, back;

        fill(&a, 1);
        fill(&b, 4);
        sum = a;
        chair_counters_add(&sum, &b);
        assert_int_equal(sum.sessions, 10);
        assert_float_equal(sum.carriage_mm, 5 * 12345.5, 1e-9);
        assert_int_equal(sum.faults[CHAIR_FAULT_PINCH], 1 + 4 + 2 * 3 * CHAIR_FAULT_PINCH);

        struct json_object *o = chair_counters_to_json(&sum, NULL);
        assert_non_null(o);
        /* through text, as on disk */
        struct json_object *p = json_tokener_parse(json_object_to_json_string(o));
        assert_non_null(p);
        assert_int_equal(chair_counters_from_json(p, &back), 0);
        assert_memory_equal(&back, &sum, sizeof(sum));

        /* derived members are there for readers */
        struct json_object *x;
        assert_true(json_object_object_get_ex(p, "heater_on_s", &x));
        assert_float_equal(json_object_get_double(x), sum.act[CHAIR_ACT_HEATER].on_s, 1e-9);
        assert_true(json_object_object_get_ex(p, "recline_travels", &x));
        assert_true(json_object_object_get_ex(x, "backrest", &x));
        assert_int_equal(json_object_get_int64(x), (int64_t) sum.act[CHAIR_ACT_BACKREST].starts);
        json_object_put(o);
        json_object_put(p);
}

static const struct {
        const char *json;
        int ret;
} from_cases[] = {
        { "{}", 0 },
        { "{\"sessions\":3,\"future_member\":[1,2]}", 0 },
        { "{\"sessions\":-1}", -EINVAL },
        { "{\"sessions\":\"3\"}", -EINVAL },
        { "{\"knead_cycles\":-0.5}", -EINVAL },
        { "{\"actuators\":[]}", -EINVAL },
        { "{\"actuators\":{\"carriage\":{\"run_s\":\"x\"}}}", -EINVAL },
        { "{\"actuators\":{\"carriage\":5}}", -EINVAL },
        { "{\"faults\":{\"estop\":2.5}}", -EINVAL },
        { "[1]", -EINVAL },
};

static void test_from_json_validates(void **state) {
        for (size_t i = 0; i < sizeof(from_cases) / sizeof(from_cases[0]); i++) {
                struct json_object *o = json_tokener_parse(from_cases[i].json);
                struct chair_counters c;
                assert_non_null(o);
                print_message("case %s\n", from_cases[i].json);
                assert_int_equal(chair_counters_from_json(o, &c), from_cases[i].ret);
                json_object_put(o);
        }
}

static void test_to_json_lists_present_parts(void **state) {
        struct fixture *f = *state;
        struct chair_counters c = { 0 };
        struct json_object *o, *acts, *x;

        f->cfg->hardware.outputs[CHAIR_ACT_LEGREST].present = false;
        o = chair_counters_to_json(&c, f->cfg);
        assert_true(json_object_object_get_ex(o, "actuators", &acts));
        assert_true(json_object_object_get_ex(acts, "backrest", &x));
        assert_false(json_object_object_get_ex(acts, "legrest", &x));
        json_object_put(o);
}

/* A real session: every part the "short" program uses shows up, and the
 * accounting on the tick allocates nothing. */
static void test_session_on_sim(void **state) {
        struct rig *r = rig_new(NULL);
        struct chair_counter_tracker t;
        double dt = 1.0 / r->cfg->control.rate_hz;

        chair_counter_tracker_init(&t);
        assert_int_equal(rig_start(r, "short"), CHAIR_OK);
        for (size_t i = 0; i < r->n_ev; i++)
                chair_counters_event(&t, &r->ev[i]);
        alloc_count_watch(pthread_self());
        while (r->st.state != CHAIR_STATE_IDLE && rig_time(r) < 200) {
                rig_tick(r, NULL, 0);
                chair_counters_tick(&t, r->cfg, &r->in, &r->out, dt);
                for (size_t i = 0; i < r->n_ev; i++)
                        chair_counters_event(&t, &r->ev[i]);
        }
        alloc_count_unwatch();
        assert_int_equal(alloc_count_allocs(), 0);
        assert_int_equal(r->st.state, CHAIR_STATE_IDLE);

        const struct chair_counters *c = &t.total;
        assert_int_equal(c->sessions, 1);
        assert_true(c->act[CHAIR_ACT_CARRIAGE].on_s > 1);
        assert_true(c->act[CHAIR_ACT_CARRIAGE].direction_changes >= 2);   /* rolling strokes */
        assert_true(c->knead_cycles > 1);
        assert_true(c->act[CHAIR_ACT_HEATER].on_s > 1);
        assert_true(c->inflations[CHAIR_BAG_LUMBAR_LEFT] >= 1);
        assert_true(c->inflations[CHAIR_BAG_LUMBAR_RIGHT] >= 1);
        assert_int_equal(c->inflations[CHAIR_BAG_CALVES], 0);              /* not in the program */
        assert_true(c->act[CHAIR_ACT_BACKREST].starts >= 1);               /* the stretch's recline */
        /* the counted travel agrees with the plant's own encoder */
        assert_float_equal(c->carriage_mm, r->truth.encoder_pulses * r->cfg->hardware.geometry.mm_per_pulse,
                           r->cfg->hardware.geometry.mm_per_pulse * 2);
        uint64_t faults = 0;
        for (int i = 0; i < _CHAIR_FAULT_COUNT; i++)
                faults += c->faults[i];
        assert_int_equal(faults, 0);
        rig_free(r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_run_time_and_duty, setup, teardown),
                cmocka_unit_test_setup_teardown(test_direction_changes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_inflations, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cycles_and_travel, setup, teardown),
                cmocka_unit_test_setup_teardown(test_absent_parts_do_not_count, setup, teardown),
                cmocka_unit_test_setup_teardown(test_events, setup, teardown),
                cmocka_unit_test(test_add_and_json_round_trip),
                cmocka_unit_test(test_from_json_validates),
                cmocka_unit_test_setup_teardown(test_to_json_lists_present_parts, setup, teardown),
                cmocka_unit_test(test_session_on_sim),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
