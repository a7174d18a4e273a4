/* SPDX-License-Identifier: MIT */
/* Located error lists: kept in order, printed as FILE:LINE:COL: PATH: MESSAGE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "errors.h"

static char *print_all(const struct chair_errors *e) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        assert_non_null(f);
        chair_errors_print(e, f);
        fclose(f);
        return buf;
}

static void test_print_format(void **state) {
        struct chair_errors e = { 0 };
        char *out;

        assert_int_equal(chair_errors_add(&e, "a.yaml", 3, 7, "safety.heater_max_c",
                                          "out of range: %d (allowed %d..%d)", 70, 30, 50), 0);
        assert_int_equal(chair_errors_add(&e, "progs/b.yaml", 12, 5, "steps[2].zone", "unknown %s", "L6"), 0);
        /* Unknown position and the document as a whole. */
        assert_int_equal(chair_errors_add(&e, "c.yaml", 0, 0, "", "cannot read"), 0);
        assert_int_equal(chair_errors_add(&e, "d.yaml", 1, 1, NULL, "%s", "x"), 0);
        assert_int_equal(e.n, 4);

        out = print_all(&e);
        assert_string_equal(out,
                            "a.yaml:3:7: safety.heater_max_c: out of range: 70 (allowed 30..50)\n"
                            "progs/b.yaml:12:5: steps[2].zone: unknown L6\n"
                            "c.yaml:0:0: (document): cannot read\n"
                            "d.yaml:1:1: (document): x\n");
        free(out);
        chair_errors_clear(&e);
        assert_int_equal(e.n, 0);
        assert_null(e.v);
}

static void test_many_and_clear(void **state) {
        struct chair_errors e = { 0 };
        char *out;

        /* Growth beyond the initial capacity keeps every entry and its order. */
        for (unsigned i = 0; i < 100; i++)
                assert_int_equal(chair_errors_add(&e, "f", i + 1, 1, "k", "#%u", i), 0);
        assert_int_equal(e.n, 100);
        for (unsigned i = 0; i < 100; i++) {
                char want[16];
                snprintf(want, sizeof(want), "#%u", i);
                assert_string_equal(e.v[i].message, want);
                assert_int_equal(e.v[i].line, i + 1);
        }
        chair_errors_clear(&e);
        out = print_all(&e);
        assert_string_equal(out, "");
        free(out);
        chair_errors_clear(&e);  /* twice is fine */
}

/* Warnings and notes print with their word and are not counted as errors. */
static void test_severities(void **state) {
        struct chair_errors e = { 0 };
        char *out;

        assert_int_equal(chair_errors_warn(&e, "p.yaml", 4, 5, "steps[0].airbags[1]", "'%s' is listed twice", "seat"), 0);
        assert_int_equal(chair_errors_note(&e, "p.yaml", 1, 1, "id", "overrides %s", "q.yaml"), 0);
        assert_int_equal(chair_errors_count(&e), 0);
        assert_int_equal(chair_errors_add(&e, "p.yaml", 2, 1, "name", "bad"), 0);
        assert_int_equal(chair_errors_count(&e), 1);
        out = print_all(&e);
        assert_string_equal(out,
                            "p.yaml:4:5: steps[0].airbags[1]: warning: 'seat' is listed twice\n"
                            "p.yaml:1:1: id: note: overrides q.yaml\n"
                            "p.yaml:2:1: name: bad\n");
        free(out);
        chair_errors_clear(&e);
}

/* At most CHAIR_ERRORS_PER_FILE entries per file in a row, then one line for the rest;
 * the next file starts afresh. */
static void test_per_file_cap(void **state) {
        struct chair_errors e = { 0 };

        for (unsigned i = 0; i < 80000; i++)
                assert_int_equal(chair_errors_add(&e, "big.yaml", i + 1, 1, "k", "#%u", i), 0);
        assert_int_equal(e.n, CHAIR_ERRORS_PER_FILE + 1);
        assert_string_equal(e.v[CHAIR_ERRORS_PER_FILE - 1].message, "#99");
        assert_string_equal(e.v[CHAIR_ERRORS_PER_FILE].file, "big.yaml");
        assert_int_equal(e.v[CHAIR_ERRORS_PER_FILE].line, 0);
        assert_string_equal(e.v[CHAIR_ERRORS_PER_FILE].message,
                            "79900 more errors or warnings in this file not shown (at most 100 per file)");
        assert_int_equal(chair_errors_count(&e), CHAIR_ERRORS_PER_FILE + 1);
        assert_int_equal(chair_errors_add(&e, "next.yaml", 1, 1, "k", "first"), 0);
        assert_int_equal(e.n, CHAIR_ERRORS_PER_FILE + 2);
        assert_string_equal(e.v[e.n - 1].message, "first");
        chair_errors_clear(&e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_print_format),
                cmocka_unit_test(test_many_and_clear),
                cmocka_unit_test(test_severities),
                cmocka_unit_test(test_per_file_cap),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
