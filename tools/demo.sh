#!/bin/sh
# SPDX-License-Identifier: MIT
# The live demo: the lumbar-relief program on the simulated chair, sped up 30x,
# with a live status line (state, program, step, technique, roller position,
# heat and time left).  Usage: tools/demo.sh BUILD_DIR [PROGRAM]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$1
program=${2:-lumbar-relief}
echo "chaird demo: $program on the simulated chair at 30x real time (Ctrl-C to quit)" >&2
exec "$build/tools/chair-sim" --config "$top/config/chaird.yaml" --realtime 30 "$program"
