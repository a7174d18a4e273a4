#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A picture of a massage program: what the chair does, over time.

    tools/plot-program.py [--chair-sim PATH] [--config FILE] [--height CM] [-o FILE.png|FILE.svg] PROGRAM

Plays PROGRAM (an id or a file, as chair-sim takes it) on the simulated chair
with chair-sim, from the trace it writes, and draws four panels sharing the
time axis:

  1. the roller carriage's position along the spine, over the body model's
     landmark bands (C7, T10, T12, L1-L5, S1) of the scanned occupant, on a
     background coloured by technique;
  2. intensity and speed (1-5) and the roller depth (0-1);
  3. the heater pad's temperature and its target, and the four airbag pressures;
  4. the backrest and legrest recline (0 upright .. 1 fully reclined).

It uses Debian's python3-matplotlib (hence /usr/bin/python3) and exits 77 when
that is missing.  tools/plot-programs.sh draws every shipped program into
docs/programs/.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile

try:
    import matplotlib
    matplotlib.use("Agg")      # files only; the format follows the output's extension
    import matplotlib.pyplot as plt
except ImportError:
    print("plot-program: needs matplotlib (Debian: apt install python3-matplotlib)", file=sys.stderr)
    sys.exit(77)

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# One colour per technique, the same in every picture.
TECHNIQUE_COLOURS = {
    "rolling": "#cfe3f3", "kneading": "#f6d6b8", "tapping": "#f3c7d6", "shiatsu": "#d8cdea",
    "deep-tissue": "#e8c3b2", "myofascial": "#cde8d3", "stretch": "#e9e6b8", "rocking": "#d2e6e6",
    "compression": "#dadada", "heat": "#f8e0c0",
}
LANDMARK_ORDER = ["S1", "L5", "L4", "L3", "L2", "L1", "T12", "T10", "C7"]


def run_sim(sim, config, program, height, trace):
    cmd = [sim, "--json", "--trace", trace, "--trace-every", "50"]
    if config:
        cmd += ["--config", config]
    if height:
        cmd += ["--inject", "0:body_height_cm=%g" % height]
    cmd.append(program)
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode not in (0, 2):
        sys.exit("plot-program: chair-sim failed (exit %d): %s" % (r.returncode, r.stderr.strip()))
    return json.loads(r.stdout)


def read_trace(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    cols = {k: [] for k in rows[0]} if rows else {}
    for row in rows:
        for k, v in row.items():
            cols[k].append(v)
    num = {}
    for k, v in cols.items():
        try:
            num[k] = [float(x) for x in v]
        except ValueError:
            num[k] = v
    return num


def technique_spans(t, techniques):
    """(start, end, technique) runs of the same technique."""
    spans = []
    start = None
    for i, tech in enumerate(techniques):
        if start is None or tech != techniques[start]:
            if start is not None and techniques[start]:
                spans.append((t[start], t[i], techniques[start]))
            start = i
    if start is not None and techniques[start]:
        spans.append((t[start], t[-1], techniques[start]))
    return spans


def draw(summary, tr, out, title):
    t = [x / 60.0 for x in tr["t_s"]]    # minutes
    fig, axes = plt.subplots(4, 1, figsize=(11, 10), sharex=True,
                             gridspec_kw={"height_ratios": [3, 1.3, 1.6, 1.1]})
    spans = technique_spans(t, tr["technique"])
    seen = set()
    for a in axes:
        for (s, e, tech) in spans:
            label = tech if (a is axes[0] and tech not in seen) else None
            if label:
                seen.add(tech)
            a.axvspan(s, e, color=TECHNIQUE_COLOURS.get(tech, "#eeeeee"), alpha=0.6, lw=0, label=label)
        a.grid(True, alpha=0.3)

    # 1. carriage along the spine, with the landmark bands of this occupant
    ax = axes[0]
    lm = summary.get("landmarks_mm", {})
    for name in LANDMARK_ORDER:
        if name in lm and lm[name] > 0:
            ax.axhline(lm[name], color="#555555", lw=0.6, ls=":")
            ax.text(t[-1], lm[name], " " + name, va="center", fontsize=8, color="#333333")
    if lm.get("L1") and lm.get("S1"):
        ax.axhspan(lm["S1"], lm["L1"], color="#ffb000", alpha=0.12, lw=0, label="lumbar L1-S1")
    ax.plot(t, tr["carriage_mm"], color="#1f4e79", lw=0.9, label="rollers")
    ax.set_ylabel("carriage (mm from seat)")
    ax.legend(loc="upper left", fontsize=7, ncol=4, framealpha=0.8)

    # 2. intensity, speed, depth
    ax = axes[1]
    ax.step(t, tr["intensity"], where="post", color="#b03a2e", label="intensity")
    # drawn a little lower so that equal values do not hide each other
    ax.step(t, [v - 0.1 for v in tr["speed"]], where="post", color="#117a65", label="speed")
    ax.set_ylim(0, 5.5)
    ax.set_ylabel("1-5")
    ax2 = ax.twinx()
    ax2.plot(t, tr["depth"], color="#6c3483", lw=0.8, label="roller depth")
    ax2.set_ylim(0, 1.05)
    ax2.set_ylabel("depth 0-1")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper left", fontsize=7, ncol=3)

    # 3. heat and airbags
    ax = axes[2]
    ax.plot(t, tr["heater_c"], color="#c0392b", lw=0.9, label="heater °C")
    tgt = [v if v > 0 else float("nan") for v in tr["heat_target_c"]]
    ax.plot(t, tgt, color="#c0392b", lw=0.7, ls="--", label="target")
    ax.set_ylabel("°C")
    ax2 = ax.twinx()
    for bag, colour in (("lumbar-left", "#2874a6"), ("lumbar-right", "#5dade2"), ("seat", "#7d6608"),
                        ("calves", "#229954")):
        ax2.plot(t, tr["kpa." + bag], color=colour, lw=0.7, label=bag)
    ax2.set_ylabel("airbag kPa")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper left", fontsize=7, ncol=6)

    # 4. recline
    ax = axes[3]
    ax.plot(t, tr["backrest"], color="#34495e", label="backrest")
    ax.plot(t, tr["legrest"], color="#a04000", label="legrest")
    ax.set_ylim(-0.05, 1.05)
    ax.set_ylabel("recline")
    ax.set_xlabel("minutes")
    ax.legend(loc="upper left", fontsize=7, ncol=2)

    faults = ", ".join("%s at %.0f s" % (f["code"], f["at_s"]) for f in summary.get("faults", []))
    fig.suptitle("%s — %s, %.1f min%s" % (title, summary.get("result"), summary.get("simulated_s", 0) / 60.0,
                                           ("; faults: " + faults) if faults else ""), fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    fig.savefig(out, dpi=80)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description="Draw a massage program as the simulated chair plays it.")
    ap.add_argument("program")
    ap.add_argument("--chair-sim", default=os.path.join(TOP, "build", "tools", "chair-sim"))
    ap.add_argument("--config", default=os.path.join(TOP, "config", "chaird.yaml"))
    ap.add_argument("--height", type=float, default=None, help="occupant's height in cm (default 175)")
    ap.add_argument("-o", "--output", default=None, help="PNG or SVG file (default PROGRAM.png)")
    a = ap.parse_args()
    if not os.access(a.chair_sim, os.X_OK):
        sys.exit("plot-program: no chair-sim at %s (build first, or --chair-sim PATH)" % a.chair_sim)
    out = a.output or (os.path.splitext(os.path.basename(a.program))[0] + ".png")
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "trace.csv")
        summary = run_sim(a.chair_sim, a.config, a.program, a.height, trace)
        tr = read_trace(trace)
    if not tr.get("t_s"):
        sys.exit("plot-program: chair-sim wrote an empty trace")
    draw(summary, tr, out, summary.get("program", a.program))
    print(out)


if __name__ == "__main__":
    main()
