#!/bin/sh
# SPDX-License-Identifier: MIT
#
# fuzz/campaign.sh [SECONDS] [TARGET...]
#
# A longer fuzzing campaign: each target (default: all four) runs for SECONDS
# (default 300); after a crash, hang or out-of-memory it is counted and the
# target restarted for the time left.  The corpus grows across campaigns in
# $FUZZ_BUILD_DIR/fuzz-campaign/TARGET (seeded from fuzz/corpus/TARGET);
# reproducers land in $FUZZ_BUILD_DIR/fuzz-artifacts/TARGET.  At the end it
# prints one line per target: executions, coverage (edges, features), corpus
# size and crashes/hangs/OOMs, in the form docs/robustness.md records.
# Exit 1 when any target crashed, hung or ran out of memory.
#
# Environment: FUZZ_BUILD_DIR (default build-fuzz), FUZZ_JOBS (targets at once,
# default: CPUs, max 4), CC (clang).
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
SECS=${1:-300}
[ $# -gt 0 ] && shift
TARGETS=${*:-command config program inject}
B=${FUZZ_BUILD_DIR:-$SRC/build-fuzz}
export FUZZ_BUILD_DIR=$B

# Build (and the clang/libFuzzer checks) exactly as the short pass does.
for t in $TARGETS; do
        "$SRC/fuzz/run.sh" --quiet "$t" 1 >/dev/null || {
                rc=$?
                "$SRC/fuzz/run.sh" "$t" 1
                exit $rc
        }
done

JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
[ "$JOBS" -gt 4 ] && JOBS=4
LOGS=$(mktemp -d)
trap 'rm -rf "$LOGS"' EXIT

# One target for SECS seconds.  libFuzzer stops at the first crash, hang or
# OOM: count it (its reproducer is kept) and carry on for the time left.
campaign_one() {
        t=$1
        mkdir -p "$B/fuzz-campaign/$t" "$B/fuzz-artifacts/$t"
        stop=$(($(date +%s) + SECS))
        execs=0 crash=0 hang=0 oom=0
        : >"$LOGS/$t"
        while [ "$(date +%s)" -lt "$stop" ]; do
                left=$((stop - $(date +%s)))
                [ "$left" -gt 0 ] || break
                rc=0
                "$B/fuzz/fuzz-$t" -max_total_time="$left" -dict="$SRC/fuzz/dict/$t.dict" \
                        -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
                        -error_exitcode=1 -timeout_exitcode=2 \
                        -artifact_prefix="$B/fuzz-artifacts/$t/" \
                        "$B/fuzz-campaign/$t" "$SRC/fuzz/corpus/$t" >"$LOGS/$t.run" 2>&1 || rc=$?
                cat "$LOGS/$t.run" >>"$LOGS/$t"
                n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$LOGS/$t.run" | tail -1)
                execs=$((execs + ${n:-0}))
                case $rc in
                0) ;;
                2) hang=$((hang + 1)) ;;
                *) if grep -q 'out-of-memory' "$LOGS/$t.run"; then oom=$((oom + 1)); else crash=$((crash + 1)); fi ;;
                esac
                # a target that dies at start-up would spin here
                [ "$rc" -eq 0 ] || [ -n "$n" ] || break
        done
        last=$(grep -E '^#[0-9]+' "$LOGS/$t" | grep 'cov:' | tail -1)
        cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
        ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
        corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
        echo "$execs ${cov:-?} ${ft:-?} ${corp:-?} $crash $hang $oom" >"$LOGS/$t.res"
}

echo "Fuzzing ${TARGETS} for ${SECS} s each, ${JOBS} at a time ($(date -u +%Y-%m-%dT%H:%MZ), $(clang --version | head -1))"
set -- $TARGETS
while [ $# -gt 0 ]; do
        i=0
        while [ $# -gt 0 ] && [ $i -lt "$JOBS" ]; do
                campaign_one "$1" &
                shift
                i=$((i + 1))
        done
        wait
done

status=0
printf '%-14s %12s %8s %8s %9s %8s %18s\n' target executions exec/s cov features corpus crash/hang/oom
for t in $TARGETS; do
        read -r execs cov ft corp crash hang oom <"$LOGS/$t.res"
        printf '%-14s %12s %8s %8s %9s %8s %18s\n' "fuzz-$t" "$execs" "$((execs / SECS))" "$cov" "$ft" \
                "$corp" "$crash/$hang/$oom"
        if [ $((crash + hang + oom)) -gt 0 ]; then
                status=1
                echo "  reproducers: $B/fuzz-artifacts/$t/"
                grep -E 'ERROR: |invariant failed|runtime error' "$LOGS/$t" | sort | uniq -c | head -10
        fi
done
exit $status
