#!/bin/sh
# SPDX-License-Identifier: MIT
# Run every benchmark (or the parts named) and write the figures into
# docs/performance.md with the machine, kernel, date and the commands.
#   bench/run-all.sh [PART...]     parts: latency tick memory cpu mqtt startup sim slowbus
# Environment: BUILD_DIR (default build; set up and built here when missing),
#   BENCH_QUICK=1 (short runs, for a smoke test), BENCH_LATENCY_S (per pass, default 60),
#   BENCH_DOC (file to write, default docs/performance.md; "-" = print only).
# Needs root for SCHED_FIFO and mlockall; installs rt-tests and stress-ng when missing.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
export BUILD_DIR

missing=
for t in cyclictest:rt-tests stress-ng:stress-ng valgrind:valgrind mosquitto:mosquitto \
         mosquitto_rr:mosquitto-clients; do
        command -v "${t%%:*}" >/dev/null 2>&1 || missing="$missing ${t#*:}"
done
if [ -n "$missing" ]; then
        if [ "$(id -u)" = 0 ]; then
                echo "run-all: installing$missing" >&2
                apt-get update -qq
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
        else
                echo "run-all: missing$missing (parts that need them will fail)" >&2
        fi
fi

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
        meson setup "$BUILD_DIR" "$top" >/dev/null
fi
ninja -C "$BUILD_DIR" >/dev/null

exec python3 "$top/bench/bench.py" "$@"
