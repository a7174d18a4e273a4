#!/bin/sh
# SPDX-License-Identifier: MIT
# Hostile program files against `chaird --check-config`: wall time and peak RSS
# (best of RUNS) for the alias bomb, a FIFO named zz.yaml, 80,000 unknown keys,
# 1 MiB of keys (the size cap) and 9 steps of 8,000 unknown keys each.  The figures go to
# docs/robustness.md; tests/test-loader-limits.c asserts the bounds that do not
# depend on the machine (located error, 64 MiB, work per node).
#   bench/loader-hostile.sh [BUILD_DIR] [RUNS]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
runs=${2:-3}
chaird="$build/daemon/chaird"
[ -x "$chaird" ] || { echo "build first: $chaird not found" >&2; exit 1; }

python3 - "$chaird" "$runs" <<'PY'
import os, subprocess, sys, tempfile, time
chaird, runs = sys.argv[1], int(sys.argv[2])

def bomb():
    s = 'id: bomb\nname: Bomb\na: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for prev, cur in zip("abcdefgh", "bcdefghi"):
        s += "%s: &%s [%s]\n" % (cur, cur, ",".join(["*" + prev] * 9))
    return s + "steps: [*i]\n"

def keys(n):
    return "id: big\nname: Big\nsteps:\n  - technique: rolling\n    duration_s: 900\n" + \
           "".join("k%d: 1\n" % i for i in range(n))

def steps():
    s = "id: wide\nname: Wide\nsteps:\n"
    for j in range(9):
        s += "  - technique: rolling\n    duration_s: 100\n" + "".join("    x%d: 1\n" % i for i in range(8000))
    return s

cases = [("alias bomb", bomb()), ("FIFO zz.yaml", None), ("80,000 unknown keys", keys(80000)),
         ("1 MiB of keys (the cap)", keys(95000)), ("9 steps x 8,000 unknown keys", steps())]
with tempfile.TemporaryDirectory() as d:
    progs = os.path.join(d, "programs")
    os.mkdir(progs)
    cfg = os.path.join(d, "chaird.yaml")
    open(cfg, "w").write("programs: [programs]\n")
    for name, text in cases:
        path = os.path.join(progs, "zz.yaml")
        if text is None:
            os.mkfifo(path)
            size = 0
        else:
            open(path, "w").write(text)
            size = len(text)
        best, rss = None, 0
        for _ in range(runs):
            t0 = time.perf_counter()
            p = subprocess.Popen([chaird, "--check-config", "--config", cfg],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            out, _ = p.communicate(timeout=60)
            wall = time.perf_counter() - t0
            best = wall if best is None else min(best, wall)
        # peak RSS of one more run, by GNU time
        t = subprocess.run(["/usr/bin/time", "-f", "%M", chaird, "--check-config", "--config", cfg],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        rss = int(t.stderr.strip().splitlines()[-1]) / 1024
        first = out.splitlines()[0] if out else ""
        print("%-32s %8d bytes  exit %d  %.3f s  peak RSS %.1f MiB" % (name, size, p.returncode, best, rss))
        print("    " + first[len(d) + 1:][:150])
        os.unlink(path)
PY
