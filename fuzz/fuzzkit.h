/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Shared fixtures of the libFuzzer targets (fuzz-*.c) and of the regression
 * test that replays their corpora (tests/test-hostile.c).
 *
 * Each target is one function fuzz_<target>_one(data, size): it feeds the
 * bytes through the real parser (and, where the input parses, on through the
 * code that consumes it), checks the invariants that must hold for any input
 * and aborts with a message when one does not.  It returns the parser's
 * answer so that the regression test can check it.  fuzz/entry.c turns one of
 * them into LLVMFuzzerTestOneInput (FUZZ_ENTRY names which).
 *
 * Not thread-safe: the fixtures are process-wide and loaded on first use.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct chair_config;
struct chair_programs;

/* A broken invariant is a crash to the fuzzer and a failure to the test. */
#define FUZZ_CHECK(cond)                                                                  \
        do {                                                                              \
                if (!(cond)) {                                                            \
                        fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,        \
                                __LINE__, #cond);                                         \
                        abort();                                                          \
                }                                                                         \
        } while (0)

/*
 * The shipped config/chaird.yaml and config/programs, found under
 * $CHAIRD_SOURCE_ROOT, else the source root the fuzz build was configured
 * from.  The control rate is lowered to 50 Hz (a valid setting) so a session
 * costs fewer steps per simulated second.  Aborts when they do not load: a
 * fuzz run without its fixtures would test nothing.
 */
struct chair_config *fuzzkit_config(void);
const struct chair_programs *fuzzkit_programs(void);

/*
 * A path whose file holds exactly these bytes (an in-memory file, rewritten
 * on each call), for the loaders that take a path.  Valid until the next call.
 */
const char *fuzzkit_file(const uint8_t *data, size_t size);

/* The targets.  Return values: see each fuzz-<target>.c. */
int fuzz_command_one(const uint8_t *data, size_t size);
int fuzz_config_one(const uint8_t *data, size_t size);
int fuzz_program_one(const uint8_t *data, size_t size);
int fuzz_inject_one(const uint8_t *data, size_t size);
