#!/bin/sh
# SPDX-License-Identifier: MIT
# chair-sim speed: simulated seconds per wall second for a 15-minute program at
# 500 Hz (the shipped config's rate), best of RUNS runs.
#   bench/chair-sim-speed.sh [BUILD_DIR] [PROGRAM] [RUNS]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
program=${2:-lumbar-relief}
runs=${3:-5}
sim="$build/tools/chair-sim"
[ -x "$sim" ] || { echo "build first: $sim not found" >&2; exit 1; }

python3 - "$sim" "$top/config/chaird.yaml" "$program" "$runs" <<'PY'
import json, subprocess, sys, time
sim, cfg, prog, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
best = None
for _ in range(runs):
    t0 = time.perf_counter()
    out = subprocess.run([sim, "--config", cfg, "--json", prog], check=True,
                         capture_output=True, text=True).stdout
    wall = time.perf_counter() - t0
    best = wall if best is None else min(best, wall)
d = json.loads(out)
print(f"program {prog}: {d['simulated_s']:.0f} simulated s, {d['ticks']} ticks at {d['rate_hz']} Hz, "
      f"{best:.3f} s wall (best of {runs}, process start-up included)")
print(f"speed: {d['simulated_s'] / best:.0f}x real time, {best / d['ticks'] * 1e9:.0f} ns per tick "
      f"(control step + sim plant)")
PY
