/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ring.h"

static void test_new_args(void **state) {
        static const struct { size_t item, cap; int r; } cases[] = {
                { 8, 2, 0 }, { 8, 1024, 0 }, { 1, 4, 0 }, { 100, 16, 0 },
                { 0, 16, -EINVAL },      /* empty items */
                { 8, 0, -EINVAL },
                { 8, 1, -EINVAL },       /* need room to tell full from empty */
                { 8, 3, -EINVAL },       /* not a power of two */
                { 8, 1000, -EINVAL },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct chair_ring *r = NULL;
                assert_int_equal(chair_ring_new(cases[i].item, cases[i].cap, &r), cases[i].r);
                if (cases[i].r == 0) {
                        assert_non_null(r);
                        assert_int_equal(chair_ring_capacity(r), cases[i].cap);
                        assert_int_equal(chair_ring_count(r), 0);
                }
                assert_null(chair_ring_free(r));
        }
        assert_null(chair_ring_free(NULL));
}

struct item {
        uint64_t seq;
        char tag[12];
};

static void test_fifo_full_empty(void **state) {
        struct chair_ring *r;
        struct item it = { 0 }, out;

        assert_int_equal(chair_ring_new(sizeof(struct item), 8, &r), 0);
        assert_false(chair_ring_pop(r, &out));
        assert_false(chair_ring_peek(r, &out));

        /* wrap many times around the 8 slots, at every fill level */
        uint64_t next_in = 0, next_out = 0;
        for (int round = 0; round < 50; round++) {
                size_t fill = (size_t) (round % 9);
                for (size_t i = 0; i < fill; i++) {
                        it.seq = next_in++;
                        it.tag[0] = (char) ('a' + it.seq % 26);
                        assert_true(chair_ring_push(r, &it));
                }
                assert_int_equal(chair_ring_count(r), fill);
                if (fill == 8) {
                        it.seq = 999999;
                        assert_false(chair_ring_push(r, &it));   /* full: refused, nothing lost */
                        assert_int_equal(chair_ring_count(r), 8);
                }
                if (fill > 0) {
                        assert_true(chair_ring_peek(r, &out));
                        assert_int_equal(out.seq, next_out);   /* peek does not consume */
                }
                for (size_t i = 0; i < fill; i++) {
                        assert_true(chair_ring_pop(r, &out));
                        assert_int_equal(out.seq, next_out);
                        assert_int_equal(out.tag[0], (char) ('a' + next_out % 26));
                        next_out++;
                }
                assert_false(chair_ring_pop(r, &out));
        }
        chair_ring_free(r);
}

/* One producer and one consumer thread stream a sequence through a small ring:
 * every item arrives once, in order, intact. */
#define STREAM_N 200000

struct payload {
        uint64_t seq, check;
};

static void *producer(void *p) {
        struct chair_ring *r = p;
        for (uint64_t i = 0; i < STREAM_N;) {
                struct payload x = { i, ~i * 2654435761u };
                if (chair_ring_push(r, &x))
                        i++;
                else
                        sched_yield();   /* full: let the consumer run, even on one CPU */
        }
        return NULL;
}

static void test_two_threads(void **state) {
        struct chair_ring *r;
        pthread_t t;

        assert_int_equal(chair_ring_new(sizeof(struct payload), 16, &r), 0);
        assert_int_equal(pthread_create(&t, NULL, producer, r), 0);
        uint64_t expect = 0, bad = 0;
        while (expect < STREAM_N) {
                struct payload x;
                if (!chair_ring_pop(r, &x)) {
                        sched_yield();
                        continue;
                }
                if (x.seq != expect || x.check != ~expect * 2654435761u)
                        bad++;
                expect++;
        }
        pthread_join(t, NULL);
        assert_int_equal(bad, 0);
        assert_int_equal(chair_ring_count(r), 0);
        chair_ring_free(r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_new_args),
                cmocka_unit_test(test_fifo_full_empty),
                cmocka_unit_test(test_two_threads),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
