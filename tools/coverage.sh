#!/bin/sh
# SPDX-License-Identifier: MIT
#
# tools/coverage.sh [BUILD_DIR]
#
# Line coverage of lib/ and daemon/ by the whole test suite: a gcc build with
# -Db_coverage=true (default build-cov), every test, then gcovr's table (file,
# lines, executed, percent, missing lines).  Installs gcovr when missing (root).
# The simulation testing runs 200 seeds here instead of 2,000: coverage is
# about which lines run, and more seeds add time, not lines.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build-cov}

if ! command -v gcovr >/dev/null; then
        [ "$(id -u)" = 0 ] || { echo "coverage.sh: gcovr missing (apt-get install gcovr)" >&2; exit 1; }
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcovr >/dev/null
fi
[ -f "$build/build.ninja" ] || meson setup "$build" "$top" -Db_coverage=true -Dtests=enabled >/dev/null
ninja -C "$build" >/dev/null
find "$build" -name '*.gcda' -delete
CHAIRD_DST_SEEDS=${CHAIRD_DST_SEEDS:-200} meson test -C "$build" --num-processes 2 >/dev/null || true
cd "$build"
gcovr -r "$top" --filter "$top/lib" --filter "$top/daemon" --txt
