#!/bin/sh
# SPDX-License-Identifier: MIT
#
# tools/asan-test.sh [meson test arguments...]
#
# The whole test suite in an AddressSanitizer + UndefinedBehaviorSanitizer
# build (build-asan, or $ASAN_BUILD_DIR): configure once, build, run.  Any
# invalid access, leak or undefined behaviour fails the test that hit it.
# b_lundef=false: the sanitizer runtimes are linked into executables only.
#
# The short fuzz pass (fuzz-short) and the package test are skipped here: its targets are already
# ASan/UBSan builds and it runs in the normal suite.  CHAIRD_FUZZ_SKIP=0 keeps it.
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
B=${ASAN_BUILD_DIR:-$SRC/build-asan}

if [ ! -f "$B/build.ninja" ]; then
        meson setup "$B" "$SRC" -Db_sanitize=address,undefined -Db_lundef=false
fi
ninja -C "$B"

# halt_on_error: gcc's UBSan checks recover by default and would only print.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export CHAIRD_FUZZ_SKIP=${CHAIRD_FUZZ_SKIP:-1}
# The simulation testing runs 2,000 seeds in the normal suite; here, several
# times slower, a 1,000-seed half checks the harness and the control step for
# memory errors without taking CI's whole budget.  CHAIRD_DST_SEEDS=2000 for all.
export CHAIRD_DST_SEEDS=${CHAIRD_DST_SEEDS:-1000}
# The Debian package is built from the source tree, not from this build: the
# normal suite already built, installed and purged it.
export CHAIRD_PACKAGING_SKIP=${CHAIRD_PACKAGING_SKIP:-1}
# valgrind cannot run an ASan binary; the normal suite runs chaird under valgrind.
export CHAIRD_VALGRIND_SKIP=1
exec meson test -C "$B" --print-errorlogs "$@"
