#!/bin/sh
# SPDX-License-Identifier: MIT
# Long soak of the deterministic simulation testing harness (tests/dst.c,
# docs/safety.md): SEEDS seeds from FIRST, in chunks spread over JOBS parallel
# processes, stopping early after MINUTES of wall time.  Prints seeds run,
# simulated hours, invariant checks made and violations found, and every
# failing seed with the command that reproduces it.
#   bench/soak.sh [BUILD_DIR] [SEEDS] [JOBS] [MINUTES]
# Environment: FIRST (first seed, default 1000001: clear of the test suite's
# 1..2000), CHAIRD_DST_SECONDS (simulated seconds per seed, default 180),
# CHUNK (seeds per process per round, default 500).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
seeds=${2:-100000}
jobs=${3:-$(nproc)}
minutes=${4:-0}
first=${FIRST:-1000001}
chunk=${CHUNK:-500}
dst="$build/tests/test-dst"
[ -x "$dst" ] || { echo "build first: $dst not found" >&2; exit 1; }
export CHAIRD_SOURCE_ROOT="$top"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
next=$first
end=$((first + seeds))
round=0
while [ "$next" -lt "$end" ]; do
        if [ "$minutes" -gt 0 ] && [ $(( $(date +%s) - start )) -ge $((minutes * 60)) ]; then
                echo "time limit of $minutes min reached" >&2
                break
        fi
        n=$((chunk * jobs))
        [ $((next + n)) -gt "$end" ] && n=$((end - next))
        i=0
        while [ "$i" -lt "$jobs" ]; do
                CHAIRD_DST_FIRST=$next CHAIRD_DST_SEEDS=$n "$dst" --soak --shard "$i" "$jobs" \
                        > "$tmp/r$round.$i" 2>&1 &
                i=$((i + 1))
        done
        wait || true
        next=$((next + n))
        round=$((round + 1))
        printf 'seeds %d..%d done after %d s\n' "$first" "$((next - 1))" $(( $(date +%s) - start )) >&2
done

cat "$tmp"/r* | awk -v wall=$(( $(date +%s) - start )) '
/^seeds run:/         { seeds += $3 }
/^simulated hours:/   { hours += $3 }
/^ticks:/             { ticks += $2 }
/^invariant checks:/  { checks += $3 }
/^violations:/        { viol += $2; failed += substr($4, 1) + 0 }
/violation\(s\)$/     { bad[$3] = 1 }
END {
        printf "seeds run:          %d\n", seeds
        printf "simulated hours:    %.1f\n", hours
        printf "ticks:              %.0f\n", ticks
        printf "invariant checks:   %.0f\n", checks
        printf "violations found:   %d\n", viol
        printf "wall time:          %d s\n", wall
        for (s in bad) { sub(":", "", s); printf "failing seed %s: CHAIRD_DST_SEED=%s build/tests/test-dst\n", s, s }
}'
