/* SPDX-License-Identifier: MIT */
/* The key-path index: paths and 1-based positions of keys and entries. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "errors.h"
#include "yaml-pos.h"

static const char doc[] =
        "a: 1\n"                        /* 1 */
        "b:\n"                          /* 2 */
        "  c: x\n"                      /* 3 */
        "  list:\n"                     /* 4 */
        "    - k: 1\n"                  /* 5 */
        "      m: 2\n"                  /* 6 */
        "    - plain\n"                 /* 7 */
        "flow: { p: [1, 2], q: z }\n";  /* 8 */

static void test_positions(void **state) {
        static const struct {
                const char *path;
                uint32_t line, column;
                const char *value;
        } cases[] = {
                { "a", 1, 1, "1" },
                { "b", 2, 1, NULL },
                { "b.c", 3, 3, "x" },
                { "b.list", 4, 3, NULL },
                { "b.list[0]", 5, 7, NULL },
                { "b.list[0].k", 5, 7, "1" },
                { "b.list[0].m", 6, 7, "2" },
                { "b.list[1]", 7, 7, "plain" },
                { "flow", 8, 1, NULL },
                { "flow.p", 8, 9, NULL },
                { "flow.p[1]", 8, 16, "2" },
                { "flow.q", 8, 20, "z" },
        };
        struct chair_errors e = { 0 };
        struct chair_yaml_pos *p = NULL;

        assert_int_equal(chair_yaml_pos_parse(doc, strlen(doc), "doc", &e, &p), 0);
        assert_int_equal(e.n, 0);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const struct chair_yaml_node *n = chair_yaml_pos_find(p, cases[i].path);
                assert_non_null(n);
                assert_int_equal(n->line, cases[i].line);
                assert_int_equal(n->column, cases[i].column);
                if (cases[i].value)
                        assert_string_equal(n->value, cases[i].value);
                else
                        assert_null(n->value);
        }
        assert_false(chair_yaml_pos_has(p, "b.d"));
        chair_yaml_pos_free(p);
}

static void test_locate_ancestor(void **state) {
        struct chair_errors e = { 0 };
        struct chair_yaml_pos *p = NULL;
        uint32_t line, col;

        assert_int_equal(chair_yaml_pos_parse(doc, strlen(doc), "doc", &e, &p), 0);
        chair_yaml_pos_locate(p, "b.list[0].missing", &line, &col);
        assert_int_equal(line, 5);
        assert_int_equal(col, 7);
        chair_yaml_pos_locate(p, "b.list[9].x", &line, &col);
        assert_int_equal(line, 4);
        assert_int_equal(col, 3);
        chair_yaml_pos_locate(p, "nothing", &line, &col);
        assert_int_equal(line, 1);
        assert_int_equal(col, 1);
        chair_yaml_pos_free(p);
}

static void test_errors(void **state) {
        static const struct {
                const char *text;
                uint32_t line, column;
                const char *path, *message;
        } cases[] = {
                { "a: 1\nb: 2\na: 3\n", 3, 1, "a", "duplicate key" },
                { "x:\n  y: 1\n   z: 2\n", 3, 5, "x", "syntax error" },
                { "x: [1, 2\n", 2, 1, "x", "syntax error" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct chair_errors e = { 0 };
                struct chair_yaml_pos *p = NULL;

                assert_int_equal(chair_yaml_pos_parse(cases[i].text, strlen(cases[i].text), "f", &e, &p),
                                 -EINVAL);
                assert_int_equal(e.n, 1);
                assert_int_equal(e.v[0].line, cases[i].line);
                assert_int_equal(e.v[0].column, cases[i].column);
                assert_string_equal(e.v[0].path, cases[i].path);
                assert_non_null(strstr(e.v[0].message, cases[i].message));
                chair_yaml_pos_free(p);
                chair_errors_clear(&e);
        }
}

/* Aliases are expanded into the index under the alias's path; the nodes keep
 * the position of the text they copy. */
static void test_aliases(void **state) {
        static const char text[] =
                "base: &b { x: 1, y: [a, b] }\n"      /* 1 */
                "copy: *b\n"                          /* 2 */
                "list:\n"                             /* 3 */
                "  - &s plain\n"                      /* 4 */
                "  - *s\n";                           /* 5 */
        struct chair_errors e = { 0 };
        struct chair_yaml_pos *p = NULL;
        const struct chair_yaml_node *n;

        assert_int_equal(chair_yaml_pos_parse(text, strlen(text), "f", &e, &p), 0);
        assert_int_equal(e.n, 0);
        n = chair_yaml_pos_find(p, "copy");
        assert_non_null(n);
        assert_true(n->is_container);
        assert_int_equal(n->line, 2);
        n = chair_yaml_pos_find(p, "copy.y[1]");
        assert_non_null(n);
        assert_string_equal(n->value, "b");
        assert_int_equal(n->line, 1);
        n = chair_yaml_pos_find(p, "list[1]");
        assert_non_null(n);
        assert_string_equal(n->value, "plain");
        assert_int_equal(p->expanded, 6);      /* copy, x, y, y[0], y[1]; list[1] */
        chair_yaml_pos_free(p);
}

static void test_alias_errors(void **state) {
        static const struct {
                const char *text;
                uint32_t line, column;
                const char *path, *message;
        } cases[] = {
                { "a: *nope\n", 1, 4, "a", "unknown alias *nope" },
                { "a: &x [1, *x]\n", 1, 11, "a[1]", "recursive alias *x" },
                /* 3 levels of 30: each *b copies 931 nodes; the tenth crosses 10,000 */
                { "a: &a [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]\n"
                  "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                  "c: [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n",
                  3, 32, "c[9]", "alias *b expands too far" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct chair_errors e = { 0 };
                struct chair_yaml_pos *p = NULL;

                assert_int_equal(chair_yaml_pos_parse(cases[i].text, strlen(cases[i].text), "f", &e, &p), -EINVAL);
                chair_errors_print(&e, stdout);
                assert_int_equal(e.n, 1);
                assert_int_equal(e.v[0].line, cases[i].line);
                assert_int_equal(e.v[0].column, cases[i].column);
                assert_string_equal(e.v[0].path, cases[i].path);
                assert_non_null(strstr(e.v[0].message, cases[i].message));
                assert_true(p->expanded <= CHAIR_YAML_ALIAS_NODES_MAX);
                chair_yaml_pos_free(p);
                chair_errors_clear(&e);
        }
}

/* A key longer than the limit is refused at the key. */
static void test_long_key(void **state) {
        char text[CHAIR_YAML_KEY_MAX + 16];
        struct chair_errors e = { 0 };
        struct chair_yaml_pos *p = NULL;

        memset(text, 'k', CHAIR_YAML_KEY_MAX + 1);
        strcpy(text + CHAIR_YAML_KEY_MAX + 1, ": 1\n");
        assert_int_equal(chair_yaml_pos_parse(text, strlen(text), "f", &e, &p), -EINVAL);
        assert_int_equal(e.n, 1);
        assert_int_equal(e.v[0].line, 1);
        assert_non_null(strstr(e.v[0].message, "key longer than 256 characters"));
        chair_yaml_pos_free(p);
        chair_errors_clear(&e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_positions),
                cmocka_unit_test(test_locate_ancestor),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_aliases),
                cmocka_unit_test(test_alias_errors),
                cmocka_unit_test(test_long_key),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
