#!/bin/sh
# SPDX-License-Identifier: MIT
#
# fuzz/run.sh [--quiet] TARGET|all [RUNS]
#
# Build the libFuzzer targets if needed and run each for a fixed number of
# executions (default 20000) from its seed corpus (fuzz/corpus/TARGET) with its
# dictionary (fuzz/dict/TARGET.dict) and a fixed seed, so the pass is the same
# every time.  Exit 0 when no target crashed, hung or broke an invariant, 1 when
# one did (the reproducer is kept and its path printed), 77 when this machine
# cannot build libFuzzer targets (no clang, or no libclang-rt-N-dev).
#
# Environment:
#   FUZZ_BUILD_DIR  where to build (default: build-fuzz in the source tree; under
#                   meson test: fuzz-build inside the test's build directory, or
#                   that directory itself when it was configured with -Dfuzz=true)
#   FUZZ_SEED       libFuzzer -seed (default 1)
#   FUZZ_JOBS       targets run at the same time (default: number of CPUs, max 4)
#   CC              the clang to use (default clang)
#   CHAIRD_FUZZ_SKIP=1  skip (exit 77) without building anything
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
TARGETS="command config program inject"
QUIET=0
if [ "${1:-}" = "--quiet" ]; then
        QUIET=1
        shift
fi
WHAT=${1:-}
RUNS=${2:-20000}

usage() {
        echo "usage: $0 [--quiet] command|config|program|inject|all [RUNS]" >&2
        exit 2
}
case "$WHAT" in
all) ;;
command|config|program|inject) TARGETS=$WHAT ;;
*) usage ;;
esac
case "$RUNS" in
''|*[!0-9]*) usage ;;
esac

if [ "${CHAIRD_FUZZ_SKIP:-0}" = 1 ]; then
        echo "SKIP: CHAIRD_FUZZ_SKIP=1 (tools/asan-test.sh sets it: the fuzz targets carry their own sanitizers)"
        exit 77
fi

CC=${CC:-clang}
case "$CC" in
*clang*) ;;
*) CC=clang ;;   # the gcc a meson test environment may carry cannot build libFuzzer targets
esac
if ! command -v "$CC" >/dev/null 2>&1; then
        echo "SKIP: $CC not found; the fuzz targets need clang (apt-get install clang)"
        exit 77
fi

# Can this clang link a libFuzzer target at all?  (Debian: libclang-rt-N-dev.)
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void) d; (void) n; return 0; }' \
        > "$probe/p.c"
if ! "$CC" -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" 2>"$probe/err"; then
        v=$("$CC" -dumpversion 2>/dev/null | cut -d. -f1 || true)
        echo "SKIP: $CC cannot link -fsanitize=fuzzer (Debian: apt-get install libclang-rt-${v:-N}-dev):"
        head -3 "$probe/err"
        exit 77
fi

# Where to build: the test's own build directory when it has the targets.
if [ -z "${FUZZ_BUILD_DIR:-}" ]; then
        if [ -n "${CHAIRD_BUILD_ROOT:-}" ] && [ -f "$CHAIRD_BUILD_ROOT/build.ninja" ] &&
           grep -q '^build fuzz/fuzz-command:' "$CHAIRD_BUILD_ROOT/build.ninja"; then
                FUZZ_BUILD_DIR=$CHAIRD_BUILD_ROOT
        elif [ -n "${CHAIRD_BUILD_ROOT:-}" ]; then
                FUZZ_BUILD_DIR=$CHAIRD_BUILD_ROOT/fuzz-build
        else
                FUZZ_BUILD_DIR=$SRC/build-fuzz
        fi
fi
B=$FUZZ_BUILD_DIR

if [ ! -f "$B/build.ninja" ]; then
        echo "Configuring $B (clang, -Dfuzz=true)"
        # Only the library and the fuzz targets get built below; tests off keeps
        # the configure step short.
        CC=$CC meson setup "$B" "$SRC" -Dfuzz=true -Dtests=disabled >"$probe/setup.log" 2>&1 || {
                cat "$probe/setup.log"
                exit 1
        }
fi
exes=""
for t in $TARGETS; do
        exes="$exes fuzz/fuzz-$t"
done
# shellcheck disable=SC2086
ninja -C "$B" $exes >"$probe/build.log" 2>&1 || {
        cat "$probe/build.log"
        exit 1
}

JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
[ "$JOBS" -gt 4 ] && JOBS=4
[ "$JOBS" -lt 1 ] && JOBS=1
ART=$B/fuzz-artifacts
mkdir -p "$ART"

# One target: a scratch corpus dir (new inputs go there, never into the seeds
# in the source tree), and the seeds as a list in name order.  Given as a
# directory, libFuzzer would take them in the file system's readdir order, which
# differs from machine to machine, and so would the whole run despite the fixed
# -seed: the same commit could pass here and fail in CI.
# Address-space randomisation changes the pointer values libFuzzer's comparison
# tracing sees, and with them the run: off when setarch can turn it off.
norandom=
if setarch "$(uname -m)" -R true 2>/dev/null; then
        norandom="setarch $(uname -m) -R"
fi

run_one() {
        t=$1
        work="$probe/corpus-$t"
        mkdir -p "$work" "$ART/$t"
        find "$SRC/fuzz/corpus/$t" -type f | LC_ALL=C sort | paste -sd, - >"$probe/seeds-$t"
        $norandom "$B/fuzz/fuzz-$t" -runs="$RUNS" -seed="${FUZZ_SEED:-1}" \
                -dict="$SRC/fuzz/dict/$t.dict" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
                -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
                -artifact_prefix="$ART/$t/" -seed_inputs=@"$probe/seeds-$t" \
                "$work" >"$probe/log-$t" 2>&1
}

summary() {
        t=$1 rc=$2
        # libFuzzer's final statistics and last status line.
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$probe/log-$t")
        secs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$probe/log-$t")
        cov=$(grep -E '^#[0-9]+' "$probe/log-$t" | tail -1 | sed -n 's/.*cov: \([0-9]*\).*ft: \([0-9]*\).*corp: \([0-9]*\).*/cov \1, features \2, corpus \3/p')
        if [ "$rc" -eq 0 ]; then
                echo "fuzz-$t: OK: ${execs:-?} executions (${secs:-?}/s), ${cov:-no coverage line}"
        else
                echo "fuzz-$t: FAILED (exit $rc) after ${execs:-?} executions"
                grep -E 'ERROR|invariant failed|runtime error|SUMMARY|Test unit written|ALARM|deadly signal' \
                        "$probe/log-$t" | head -20
                [ "$QUIET" -eq 1 ] || tail -40 "$probe/log-$t"
        fi
}

status=0
set -- $TARGETS
while [ $# -gt 0 ]; do
        batch=""
        i=0
        while [ $# -gt 0 ] && [ $i -lt "$JOBS" ]; do
                batch="$batch $1"
                ( set +e; run_one "$1"; echo $? >"$probe/rc-$1" ) &
                shift
                i=$((i + 1))
        done
        wait
        for t in $batch; do
                rc=$(cat "$probe/rc-$t")
                summary "$t" "$rc"
                [ "$rc" -eq 0 ] || status=1
        done
done
exit $status
