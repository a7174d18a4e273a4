/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "histogram.h"

static void test_new_args(void **state) {
        struct chair_hist *h = NULL;
        assert_int_equal(chair_hist_new(0, &h), -EINVAL);
        assert_int_equal(chair_hist_new(10000001, &h), -EINVAL);
        assert_int_equal(chair_hist_new(1, &h), 0);
        assert_int_equal(chair_hist_bins(h), 1);
        assert_null(chair_hist_free(h));
        assert_null(chair_hist_free(NULL));
}

/* Samples given as (value, repeat) runs; expected figures worked out by hand. */
struct run { uint32_t us, n; };
static const struct {
        const char *name;
        uint32_t bins;
        struct run runs[6];
        uint64_t count;
        uint32_t p50, p99, max;
} cases[] = {
        { "empty", 100, { { 0, 0 } }, 0, 0, 0, 0 },
        { "single", 100, { { 7, 1 } }, 1, 7, 7, 7 },
        { "uniform 0..99", 100,
          /* one sample each of 0..99 is built below from the name */
          { { 0, 0 } }, 100, 49, 98, 99 },
        { "mostly fast, one slow tail", 1000, { { 10, 98 }, { 500, 2 } }, 100, 10, 500, 500 },
        { "p99 boundary", 1000, { { 3, 99 }, { 900, 1 } }, 100, 3, 3, 900 },
        { "overflow", 50, { { 20, 90 }, { 70, 5 }, { 1234, 5 } }, 100, 20, 1234, 1234 },
        { "all in overflow", 10, { { 15, 3 }, { 40, 1 } }, 4, 40, 40, 40 },
};

static void fill(struct chair_hist *h, size_t c) {
        if (cases[c].count == 100 && cases[c].runs[0].n == 0) {
                for (uint32_t v = 0; v < 100; v++)
                        chair_hist_record(h, v);
                return;
        }
        for (size_t i = 0; i < 6 && cases[c].runs[i].n; i++)
                for (uint32_t k = 0; k < cases[c].runs[i].n; k++)
                        chair_hist_record(h, cases[c].runs[i].us);
}

static void test_percentiles(void **state) {
        for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
                struct chair_hist *h, *copy;
                struct chair_hist_summary s;

                assert_int_equal(chair_hist_new(cases[c].bins, &h), 0);
                assert_int_equal(chair_hist_new(cases[c].bins, &copy), 0);
                fill(h, c);
                assert_int_equal(chair_hist_copy(copy, h), 0);
                chair_hist_summarize(copy, &s);
                print_message("%s: n=%llu p50=%u p99=%u max=%u\n", cases[c].name,
                              (unsigned long long) s.count, s.p50_us, s.p99_us, s.max_us);
                assert_int_equal(s.count, cases[c].count);
                assert_int_equal(s.p50_us, cases[c].p50);
                assert_int_equal(s.p99_us, cases[c].p99);
                assert_int_equal(s.max_us, cases[c].max);
                chair_hist_free(h);
                chair_hist_free(copy);
        }
}

static void test_copy_mismatch(void **state) {
        struct chair_hist *a, *b, *c;
        assert_int_equal(chair_hist_new(10, &a), 0);
        assert_int_equal(chair_hist_new(20, &b), 0);
        assert_int_equal(chair_hist_new(10, &c), 0);
        assert_int_equal(chair_hist_copy(a, b), -EINVAL);
        assert_int_equal(chair_hist_subtract(a, b, c), -EINVAL);
        assert_int_equal(chair_hist_subtract(a, c, b), -EINVAL);
        chair_hist_free(a);
        chair_hist_free(b);
        chair_hist_free(c);
}

static void test_subtract(void **state) {
        struct chair_hist *live, *old, *d;
        struct chair_hist_summary s;

        assert_int_equal(chair_hist_new(100, &live), 0);
        assert_int_equal(chair_hist_new(100, &old), 0);
        assert_int_equal(chair_hist_new(100, &d), 0);

        for (int i = 0; i < 50; i++)
                chair_hist_record(live, 80);       /* old, slow samples */
        chair_hist_copy(old, live);
        for (int i = 0; i < 100; i++)
                chair_hist_record(live, 5 + i % 3);   /* recent: 5, 6, 7 */

        chair_hist_subtract(d, live, old);
        chair_hist_summarize(d, &s);
        assert_int_equal(s.count, 100);
        assert_int_equal(s.p50_us, 6);
        assert_int_equal(s.p99_us, 7);
        assert_int_equal(s.max_us, 7);   /* the old 80 µs samples are outside the window */

        /* overflow grew inside the window: the window max is the live max */
        chair_hist_record(live, 5000);
        chair_hist_subtract(d, live, old);
        assert_int_equal(chair_hist_max(d), 5000);

        /* subtract in place (dst == newer) */
        chair_hist_subtract(live, live, old);
        assert_int_equal(chair_hist_count(live), 101);

        chair_hist_free(live);
        chair_hist_free(old);
        chair_hist_free(d);
}

static void test_window(void **state) {
        const uint64_t s_ns = 1000000000ULL;
        struct chair_hist *live;
        struct chair_hist_window *w;
        struct chair_hist_summary s;

        assert_int_equal(chair_hist_window_new(100, 0, s_ns, &w), -EINVAL);
        assert_int_equal(chair_hist_window_new(100, 3, 0, &w), -EINVAL);
        assert_int_equal(chair_hist_new(100, &live), 0);
        assert_int_equal(chair_hist_window_new(100, 3, 10 * s_ns, &w), 0);

        /* before any update: everything */
        chair_hist_record(live, 90);
        chair_hist_window_summary(w, live, &s);
        assert_int_equal(s.count, 1);
        assert_int_equal(s.max_us, 90);

        /* one sample per "second" of value = second % 50, window 3 x 10 s */
        for (uint64_t sec = 0; sec < 100; sec++) {
                chair_hist_window_update(w, live, sec * s_ns);
                chair_hist_record(live, (uint32_t) (sec % 50));
        }
        chair_hist_window_summary(w, live, &s);
        /* slots were taken at 0, 10, ..., 90 s; the oldest kept is the one at 70 s,
         * so the window holds seconds 70..99 → values 20..49 */
        assert_int_equal(s.count, 30);
        assert_int_equal(s.max_us, 49);
        assert_int_equal(s.p50_us, 34);

        /* update more often than the period: no new slot */
        chair_hist_window_update(w, live, 95 * s_ns);
        chair_hist_window_summary(w, live, &s);
        assert_int_equal(s.count, 30);

        chair_hist_free(live);
        assert_null(chair_hist_window_free(w));
        assert_null(chair_hist_window_free(NULL));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_new_args),
                cmocka_unit_test(test_percentiles),
                cmocka_unit_test(test_copy_mismatch),
                cmocka_unit_test(test_subtract),
                cmocka_unit_test(test_window),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
