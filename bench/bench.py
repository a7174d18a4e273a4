#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""chaird benchmarks (bench/run-all.sh runs this; see docs/performance.md).

Each part prints its figures and returns a Markdown block; run-all writes the
blocks into docs/performance.md between <!-- bench:PART:begin/end --> markers,
so a partial run (`bench/run-all.sh tick memory`) only replaces its own blocks.

Every figure is measured in this run, on this machine; nothing is hard-coded.
"""
import math
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import json
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.abspath(os.environ.get("BUILD_DIR", os.path.join(TOP, "build")))
CHAIRD = os.path.join(BUILD, "daemon", "chaird")
TICK_COST = os.path.join(BUILD, "bench", "tick-cost")
PROGRAM = "lumbar-relief"
QUICK = os.environ.get("BENCH_QUICK") == "1"


def log(*a):
    print(*a, flush=True)


# ---- helpers ----------------------------------------------------------------------------

def make_config(path, rate_hz=None, rt_priority=None, cpu=None, max_stall_ms=None,
                programs_dir=None, mqtt_port=None):
    """A variant of the shipped config: absolute programs path, control keys set."""
    with open(os.path.join(TOP, "config", "chaird.yaml")) as f:
        text = f.read()
    control = []
    if rate_hz is not None:
        control.append(f"  rate_hz: {rate_hz}")
    if rt_priority is not None:
        control.append(f"  rt_priority: {rt_priority}")
    if cpu is not None:
        control.append(f"  cpu: {cpu}")
    if max_stall_ms is not None:
        control.append(f"  max_stall_ms: {max_stall_ms}")
    if control:
        text = text.replace("#control:\n", "control:\n" + "\n".join(control) + "\n", 1)
    progs = programs_dir or os.path.join(TOP, "config", "programs")
    text = re.sub(r"^programs: \[programs\]", f"programs: [{progs}]", text, count=1, flags=re.M)
    if mqtt_port is not None:
        text = text.replace("#mqtt:\n", f"mqtt:\n  host: 127.0.0.1\n  port: {mqtt_port}\n", 1)
    with open(path, "w") as f:
        f.write(text)
    return path


def hist_percentile(bins, q):
    """bins: {us: count}.  Same rule as chair_hist_percentile(): the ceil(q*n)-th sample."""
    n = sum(bins.values())
    if n == 0:
        return 0
    rank = max(1, math.ceil(q * n))
    seen = 0
    for us in sorted(bins):
        seen += bins[us]
        if seen >= rank:
            return us
    return max(bins)


def task_cpu_ns(pid):
    """CPU time (ns) of every thread of pid, from /proc/PID/task/*/schedstat."""
    total, per = 0, {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                ns = int(f.read().split()[0])
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
        except OSError:
            continue
        total += ns
        per[name] = per.get(name, 0) + ns
    return total, per


def read_dump(path):
    d = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                d[k] = v
    return d


def stop(p, sig=signal.SIGTERM, timeout=15):
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def start_chaird(cfg, tmp, extra_env=None, run=PROGRAM):
    env = dict(os.environ)
    env["CHAIRD_TEST_DUMP"] = os.path.join(tmp, "dump")
    env.pop("NOTIFY_SOCKET", None)
    if extra_env:
        env.update(extra_env)
    args = [CHAIRD, "--config", cfg]
    if run:
        args += ["--run", run]
    errlog = open(os.path.join(tmp, "chaird.log"), "w")
    return subprocess.Popen(args, env=env, stdout=errlog, stderr=subprocess.STDOUT)


def need(tool, package):
    if shutil.which(tool) is None:
        raise RuntimeError(f"{tool} not found (apt-get install {package})")


def fmt(n):
    return f"{n:,.0f}" if isinstance(n, (int, float)) else str(n)


# ---- 1. loop punctuality vs cyclictest --------------------------------------------------

def parse_cyclictest_hist(path, interval_us):
    bins, overflows, maxv = {}, 0, 0
    with open(path) as f:
        for line in f:
            if line.startswith("# Histogram Overflows:"):
                overflows = int(line.split(":")[1].split()[0])
            elif line.startswith("# Max Latencies:"):
                maxv = int(line.split(":")[1].split()[0])
            elif line and line[0].isdigit():
                us, c = line.split()[:2]
                if int(c):
                    bins[int(us)] = int(c)
    if overflows:
        bins[maxv] = bins.get(maxv, 0) + overflows   # counted as the max, like chaird's overflow bin
    n = sum(bins.values())
    # A wake-up k whole periods late means k periods missed (what lib/rtloop.c counts)
    missed = sum(c * (us // interval_us) for us, c in bins.items())
    return {"count": n, "p50": hist_percentile(bins, 0.5), "p99": hist_percentile(bins, 0.99),
            "max": maxv, "missed": missed}


def latency_pass(tmp, load, chaird_cpu, cyc_cpu, seconds, rate_hz=1000, prio=80):
    interval_us = 1000000 // rate_hz
    cfg = make_config(os.path.join(tmp, "lat.yaml"), rate_hz=rate_hz, rt_priority=prio,
                      cpu=chaird_cpu, max_stall_ms=1000)
    dump = os.path.join(tmp, "dump")
    if os.path.exists(dump):
        os.unlink(dump)
    stress = None
    if load:
        stress = subprocess.Popen(["stress-ng", "--cpu", "2", "--io", "1", "--vm", "1", "--vm-bytes", "128M",
                                   "--timeout", f"{seconds + 20}s", "--quiet"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(2)
    histfile = os.path.join(tmp, "cyclictest.hist")
    try:
        d = start_chaird(cfg, tmp)
        time.sleep(1)
        cyc = subprocess.run(["cyclictest", "-m", "-q", "-p", str(prio), "-i", str(interval_us),
                              "-a", str(cyc_cpu), "-t", "1", "-D", f"{seconds}s",
                              "--histogram=10000", f"--histfile={histfile}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        stop(d)
    finally:
        if stress:
            stop(stress, signal.SIGINT)
    if cyc.returncode != 0:
        raise RuntimeError(f"cyclictest exited {cyc.returncode}")
    dd = read_dump(dump)
    if dd.get("policy") != "SCHED_FIFO":
        raise RuntimeError(f"chaird did not get SCHED_FIFO ({dd.get('policy')}): run as root")
    ch = {"count": int(dd["ticks"]), "p50": int(dd["p50_us"]), "p99": int(dd["p99_us"]),
          "max": int(dd["max_us"]), "missed": int(dd["missed"]), "state": dd["state"]}
    cy = parse_cyclictest_hist(histfile, interval_us)
    return ch, cy


def part_latency():
    need("cyclictest", "rt-tests")
    need("stress-ng", "stress-ng")
    seconds = int(os.environ.get("BENCH_LATENCY_S", "10" if QUICK else "60"))
    ncpu = os.cpu_count() or 1
    a, b = (0, 1) if ncpu > 1 else (0, 0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for load in (False, True):
            for chaird_cpu, cyc_cpu in ((a, b), (b, a)):
                log(f"latency: {'stress-ng load' if load else 'idle'}, chaird CPU {chaird_cpu}, "
                    f"cyclictest CPU {cyc_cpu}, {seconds} s ...")
                ch, cy = latency_pass(tmp, load, chaird_cpu, cyc_cpu, seconds)
                rows.append((load, chaird_cpu, cyc_cpu, ch, cy))
                log(f"  chaird     n={ch['count']} p50={ch['p50']} p99={ch['p99']} max={ch['max']} "
                    f"missed={ch['missed']}")
                log(f"  cyclictest n={cy['count']} p50={cy['p50']} p99={cy['p99']} max={cy['max']} "
                    f"missed={cy['missed']}")

    def per100k(m, n):
        return m * 100000 / n if n else 0

    def ratio(x, y):
        return f"{x / y:.2f}" if y else ("1.00" if x == 0 else "∞")

    out = [f"chaird at 1 kHz SCHED_FIFO 80 (sim backend, `--run {PROGRAM}`, control thread pinned) and "
           f"`cyclictest -m -p 80 -i 1000 -a CPU -t 1` in the same run, {seconds} s per pass, then with "
           "the CPUs swapped; load: `stress-ng --cpu 2 --io 1 --vm 1 --vm-bytes 128M`.  Wake-up latency "
           "(µs, actual minus programmed wake-up, 1 µs bins) and periods missed (a wake-up k periods late "
           "misses k) per 100,000 ticks.", "",
           "| load | CPU chaird / cyclictest | chaird p50 / p99 / max | cyclictest p50 / p99 / max "
           "| missed /100k chaird / cyclictest | ratio p50 | ratio p99 |",
           "| --- | --- | --- | --- | --- | --- | --- |"]
    for load, ca, cb, ch, cy in rows:
        out.append(f"| {'stress-ng' if load else 'idle'} | {ca} / {cb} | {ch['p50']} / {ch['p99']} / {ch['max']} "
                   f"| {cy['p50']} / {cy['p99']} / {cy['max']} "
                   f"| {per100k(ch['missed'], ch['count']):.1f} / {per100k(cy['missed'], cy['count']):.1f} "
                   f"| {ratio(ch['p50'], cy['p50'])} | {ratio(ch['p99'], cy['p99'])} |")
    p50s = [r[3]["p50"] / r[4]["p50"] for r in rows if r[4]["p50"]]
    p99s = [r[3]["p99"] / r[4]["p99"] for r in rows if r[4]["p99"]]
    if p50s and p99s:
        out += ["", f"Ratio chaird/cyclictest over the {len(rows)} passes: p50 median "
                f"{statistics.median(p50s):.2f}, p99 median {statistics.median(p99s):.2f} (goal ≤ 1.10)."]
    out += ["", "```sh", "bench/run-all.sh latency      # BENCH_LATENCY_S=60 per pass", "```"]
    return "\n".join(out)


# ---- 2. instructions per tick -----------------------------------------------------------

FUNCS = {"chair_ctl_step": "control step (`chair_ctl_step`)",
         "sim_read": "sim plant read (`chair_hal_read` → `sim_read`, two 1 ms substeps)",
         "sim_write": "sim plant write (`chair_hal_write` → `sim_write`)",
         "chair_ctl_status": "status copy (`chair_ctl_status`)"}


def callgrind(ticks, tmp, minutes=None):
    out = os.path.join(tmp, f"cg.{ticks}.out")
    args = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", TICK_COST,
            "--config", os.path.join(TOP, "config", "chaird.yaml"), "--program", PROGRAM]
    if minutes is not None:
        args += ["--minutes", str(minutes)]
    args.append(str(ticks))
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"tick-cost {ticks} under callgrind exited {r.returncode}: {r.stderr[-500:]}")
    ann = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", out],
                         capture_output=True, text=True, check=True).stdout
    costs = {}
    for line in ann.splitlines():
        m = re.match(r"^\s*([\d,]+)\s+\([\d. %]+\)\s+(.*)$", line)
        if not m:
            continue
        n = int(m.group(1).replace(",", ""))
        what = m.group(2)
        if what.startswith("PROGRAM TOTALS"):
            costs["total"] = n
        elif not what.startswith("=>"):
            fm = re.search(r":([A-Za-z_][\w.]*) \[", what)
            if fm and fm.group(1) in FUNCS and fm.group(1) not in costs:
                costs[fm.group(1)] = n
    return costs


def part_tick():
    need("valgrind", "valgrind")
    budget = {}
    with open(os.path.join(TOP, "bench", "tick-budget.txt")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                k, _, v = line.strip().partition(" ")
                budget[k] = v
    n1, n2 = (int(x) for x in budget["ticks"].split())
    windows = [(f"ticks {n1:,}–{n2:,} (scan + first step; the guard's window)", n1, n2, None)]
    if not QUICK:
        windows.append(("ticks 5,000–449,000 (the whole 15-minute session)", 5000, 449000, 0))
    out = [f"`valgrind --tool=callgrind bench/tick-cost` ({PROGRAM}, shipped config: 500 Hz), "
           "instructions (Ir) per tick as the slope between two run lengths; inclusive cost per "
           "function from `callgrind_annotate --inclusive=yes`.", "",
           "| window | " + " | ".join(FUNCS.values()) + " | whole tick |",
           "| --- |" + " --- |" * (len(FUNCS) + 1)]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, a, b, minutes in windows:
            log(f"tick: callgrind {a} and {b} ticks ...")
            ca, cb = callgrind(a, tmp, minutes), callgrind(b, tmp, minutes)
            slope = {k: (cb.get(k, 0) - ca.get(k, 0)) / (b - a) for k in list(FUNCS) + ["total"]}
            results.append((name, slope))
            log("  " + ", ".join(f"{k} {v:,.0f}" for k, v in slope.items()))
            out.append(f"| {name} | " + " | ".join(fmt(slope[k]) for k in FUNCS) + f" | {fmt(slope['total'])} |")
    s = results[0][1]
    out += ["", f"Goal: control step under 2,000 instructions per tick.  Budget in `bench/tick-budget.txt`: "
            f"ctl_step {budget['ctl_step']}, tick {budget['tick']} (±{budget['tolerance_pct']} %); "
            f"measured now ctl_step {s['chair_ctl_step']:.0f}, tick {s['total']:.0f}.",
            "", "```sh", "bench/run-all.sh tick", "meson test -C build test-tick-budget   # the guard", "```"]
    log(f"tick: budget lines for bench/tick-budget.txt: ctl_step {s['chair_ctl_step']:.0f} / tick {s['total']:.0f}")
    return "\n".join(out)


# ---- 3. memory --------------------------------------------------------------------------

def smaps_by_file(pid):
    """Rss (kB) per mapped file (or [anon]/[stack]/[heap])."""
    per, name = {}, None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                name = parts[5] if len(parts) > 5 else "[anon]"
                name = os.path.basename(name) if name.startswith("/") else name
            elif parts and parts[0] == "Rss:":
                per[name] = per.get(name, 0) + int(parts[1])
    return per


def status_kb(pid, keys):
    v = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, rest = line.partition(":")
            if k in keys:
                v[k] = int(rest.split()[0])
    return v


def part_memory():
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        cfg = make_config(os.path.join(tmp, "mem.yaml"))
        d = start_chaird(cfg, tmp)
        time.sleep(5)
        keys = ("VmHWM", "VmRSS", "RssAnon", "RssFile", "VmLck")
        st = status_kb(d.pid, keys)
        with open(f"/proc/{d.pid}/smaps_rollup") as f:
            pss = {l.split(":")[0]: int(l.split()[1]) for l in f if l.split(":")[0] in ("Pss", "Private_Dirty",
                                                                                        "Private_Clean")}
        per = sorted(smaps_by_file(d.pid).items(), key=lambda kv: -kv[1])
        stop(d)
    log(f"memory: {st}, {pss}")
    top = ", ".join(f"{n} {kb:,} kB" for n, kb in per[:8])
    out += [f"chaird with the shipped config (sim backend, 500 Hz, {len(os.listdir(os.path.join(TOP, 'config', 'programs')))} "
            f"shipped programs) running `--run {PROGRAM}`, read from /proc after 5 s.", "",
            "| peak RSS (VmHWM) | RSS anon | RSS file | locked (VmLck) | PSS | private |",
            "| --- | --- | --- | --- | --- | --- |",
            f"| {st['VmHWM']:,} kB | {st['RssAnon']:,} kB | {st['RssFile']:,} kB | {st.get('VmLck', 0):,} kB "
            f"| {pss.get('Pss', 0):,} kB | {pss.get('Private_Dirty', 0) + pss.get('Private_Clean', 0):,} kB |",
            "", f"Largest resident mappings: {top}."]

    # heap allocations on the control thread: the daemon's own counter test (tests/test-rtloop.c
    # test_session_no_alloc, malloc/free/mutex wrapped at link time) prints them
    rtloop = os.path.join(BUILD, "tests", "test-rtloop")
    if os.path.exists(rtloop):
        env = dict(os.environ, CHAIRD_SOURCE_ROOT=TOP, CHAIRD_BUILD_ROOT=BUILD, CMOCKA_MESSAGE_OUTPUT="stdout")
        r = subprocess.run([rtloop], capture_output=True, text=True, env=env)
        m = re.search(r"control thread: (\d+) allocations, (\d+) lock calls", r.stdout)
        if m:
            log(f"memory: control thread after start: {m.group(1)} allocations, {m.group(2)} lock calls")
            out += ["", f"Heap allocations on the control thread after start: **{m.group(1)}** "
                    f"({m.group(2)} mutex lock calls), counted by `tests/test-rtloop` (malloc, calloc, "
                    "realloc, free and pthread_mutex_lock/trylock wrapped at link time, only calls from the "
                    "control thread counted, a whole session through `chair_rt`)."]
        else:
            why = "failed" if r.returncode else "printed no count"
            log(f"memory: tests/test-rtloop {why}; allocation count not measured")
            out += ["", f"Heap allocations on the control thread: not measured in this run "
                    f"(`tests/test-rtloop` {why}, exit {r.returncode})."]
    out += ["", "```sh", "bench/run-all.sh memory", "```"]
    return "\n".join(out)


# ---- 4. CPU -----------------------------------------------------------------------------

def part_cpu():
    need("cyclictest", "rt-tests")
    seconds = 10 if QUICK else 30
    ncpu = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        cfg = make_config(os.path.join(tmp, "cpu.yaml"), rate_hz=500, rt_priority=80, cpu=0)
        d = start_chaird(cfg, tmp)
        cyc = subprocess.Popen(["cyclictest", "-m", "-q", "-p", "80", "-i", "2000", "-a", str(1 if ncpu > 1 else 0),
                                "-t", "1", "-D", f"{seconds + 5}s"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(2)
        t0 = time.monotonic()
        c0, p0 = task_cpu_ns(d.pid)
        y0, _ = task_cpu_ns(cyc.pid)
        time.sleep(seconds)
        c1, p1 = task_cpu_ns(d.pid)
        y1, _ = task_cpu_ns(cyc.pid)
        wall = (time.monotonic() - t0) * 1e9
        stop(d)
        stop(cyc, signal.SIGINT)
    share = (c1 - c0) / wall * 100
    yshare = (y1 - y0) / wall * 100
    rt = (p1.get("chaird-rt", 0) - p0.get("chaird-rt", 0)) / wall * 100
    log(f"cpu: chaird {share:.2f} % (control thread {rt:.2f} %), cyclictest {yshare:.2f} %")
    return "\n".join([
        f"Share of one core over {seconds} s (CPU time from /proc/PID/task/*/schedstat), chaird at 500 Hz "
        f"SCHED_FIFO 80 running `{PROGRAM}` next to `cyclictest -p 80 -i 2000` (500 Hz) in the same run.", "",
        "| chaird (all threads) | chaird control thread | cyclictest (same rate) | ratio |",
        "| --- | --- | --- | --- |",
        f"| {share:.2f} % | {rt:.2f} % | {yshare:.2f} % | {share / yshare if yshare else 0:.1f}× |",
        "", "```sh", "bench/run-all.sh cpu", "```"])


# ---- 5. MQTT ----------------------------------------------------------------------------

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def part_mqtt():
    need("mosquitto", "mosquitto")
    need("mosquitto_rr", "mosquitto-clients")
    n = 200 if QUICK else 1000
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        broker = subprocess.Popen(["mosquitto", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        try:
            return mqtt_measure(tmp, port, n)
        finally:
            stop(broker)


def mqtt_measure(tmp, port, n):
    sys.path.insert(0, os.path.join(TOP, "bench"))
    sys.dont_write_bytecode = True
    import mqttbench   # bench/mqttbench.py: a minimal MQTT 3.1.1 client over a plain socket
    n_rr = 100 if QUICK else 300
    cfg = make_config(os.path.join(tmp, "mqtt.yaml"), mqtt_port=port, max_stall_ms=1000)
    d = start_chaird(cfg, tmp, run=None)
    try:
        base = "chaird/chair"
        time.sleep(1.5)
        if d.poll() is not None:
            raise RuntimeError("chaird exited: " + open(os.path.join(tmp, "chaird.log")).read()[-400:])
        log(f"mqtt: {n} commands through chaird (paced under its 20/s limit) ...")
        rtts, states_per_s = mqttbench.chaird_rtt(port, base, n, PROGRAM)
        log(f"mqtt: {n} round trips through a bare echo responder ...")
        floor = mqttbench.echo_floor(port, n)
        log(f"mqtt: {n_rr} mosquitto_rr runs each against chaird and the echo responder ...")
        rr_ch, rr_floor = mqttbench.rr_floor_and_chaird(port, base, n_rr)
    finally:
        stop(d)

    def pct(v, p):
        v = sorted(v)
        return v[max(0, math.ceil(p * len(v)) - 1)] * 1e6

    rows = [("chaird: `<base>/set` → `<base>/reply`, persistent client", rtts),
            ("floor: bare echo responder (`mosquitto_sub` piped into `mosquitto_pub -l`), persistent client", floor),
            ("chaird: one `mosquitto_rr -e TOPIC` per command (process + connect included)", rr_ch),
            ("floor: one `mosquitto_rr` per request against the echo responder", rr_floor)]
    for name, v in rows:
        log(f"  {name}: n={len(v)} p50 {pct(v, .5):.0f} us p99 {pct(v, .99):.0f} us")
    log(f"  state messages: {states_per_s:.2f}/s")
    out = [f"Commands `{{\"id\":…,\"action\":\"set\",\"intensity\":2|3}}` on `<base>/set` while `{PROGRAM}` "
           "runs (so each one crosses the command ring, one control tick at 500 Hz and the event ring), "
           "paced at 55 ms (chaird allows 20 commands/s), through a private mosquitto on loopback; round trip = "
           "publish of the request to arrival of its reply (matched by id).  Floor: the same through a responder "
           "with no logic at all.", "",
           "| path | n | p50 | p99 |", "| --- | --- | --- | --- |"]
    for name, v in rows:
        out.append(f"| {name} | {len(v):,} | {pct(v, .5):,.0f} µs | {pct(v, .99):,.0f} µs |")
    out += ["", f"State messages on `<base>/state` while the session runs: {states_per_s:.2f} per second "
            "(design: on every change and at least 1/s).", "", "```sh", "bench/run-all.sh mqtt", "```"]
    return "\n".join(out)


# ---- 6. start-up ------------------------------------------------------------------------

def time_to_ready(cfg, tmp):
    path = os.path.join(tmp, "notify.sock")
    if os.path.exists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(20)
    env = dict(os.environ, NOTIFY_SOCKET=path)
    env.pop("CHAIRD_TEST_DUMP", None)
    t0 = time.perf_counter()
    p = subprocess.Popen([CHAIRD, "--config", cfg], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            msg = s.recv(4096).decode(errors="replace")
            if "READY=1" in msg.split("\n"):
                dt = time.perf_counter() - t0
                break
    finally:
        s.close()
        stop(p)
    return dt


def make_programs(dirpath, n):
    src = os.path.join(TOP, "config", "programs")
    files = sorted(f for f in os.listdir(src) if f.endswith(".yaml"))
    os.makedirs(dirpath, exist_ok=True)
    for i in range(n):
        with open(os.path.join(src, files[i % len(files)])) as f:
            text = f.read()
        text = re.sub(r"^id: .*$", f"id: bench-{i:03d}", text, count=1, flags=re.M)
        with open(os.path.join(dirpath, f"bench-{i:03d}.yaml"), "w") as f:
            f.write(text)


def part_startup():
    runs = 5 if QUICK else 20
    with tempfile.TemporaryDirectory() as tmp:
        shipped = make_config(os.path.join(tmp, "shipped.yaml"))
        pdir = os.path.join(tmp, "progs100")
        make_programs(pdir, 100)
        many = make_config(os.path.join(tmp, "many.yaml"), programs_dir=pdir)
        pdir1 = os.path.join(tmp, "progs1")
        make_programs(pdir1, 1)
        one = make_config(os.path.join(tmp, "one.yaml"), programs_dir=pdir1)

        ready = {k: [time_to_ready(c, tmp) for _ in range(runs)] for k, c in (("shipped", shipped), ("100", many))}

        def check(cfg):
            t = []
            for _ in range(runs):
                t0 = time.perf_counter()
                subprocess.run([CHAIRD, "--check-config", "--config", cfg], check=True, stdout=subprocess.DEVNULL)
                t.append(time.perf_counter() - t0)
            return t
        chk1, chk100 = check(one), check(many)
    med = {k: statistics.median(v) * 1e3 for k, v in ready.items()}
    m1, m100 = statistics.median(chk1) * 1e3, statistics.median(chk100) * 1e3
    per = (m100 - m1) / 99
    nship = len(os.listdir(os.path.join(TOP, "config", "programs")))
    log(f"startup: READY=1 {med}, check-config 1 prog {m1:.1f} ms, 100 progs {m100:.1f} ms ({per:.2f} ms/program)")
    return "\n".join([
        f"Median of {runs} runs.  Exec to `READY=1`: a python3 script binds a `NOTIFY_SOCKET` datagram "
        "socket, starts chaird (sim backend) and stops the clock when the datagram with `READY=1` arrives.  "
        "Config load: `chaird --check-config` (loads and validates the config and every program; process "
        "start included) with 1 and with 100 generated programs (copies of the shipped ones under new ids).", "",
        "| exec → READY=1, shipped config "
        f"({nship} programs) | exec → READY=1, 100 programs | check-config, 1 program | check-config, 100 programs "
        "| per program |",
        "| --- | --- | --- | --- | --- |",
        f"| {med['shipped']:.1f} ms | {med['100']:.1f} ms | {m1:.1f} ms | {m100:.1f} ms | {per:.2f} ms |",
        "", "```sh", "bench/run-all.sh startup", "```"])


# ---- 7. chair-sim speed -----------------------------------------------------------------

def part_sim():
    r = subprocess.run(["sh", os.path.join(TOP, "bench", "chair-sim-speed.sh"), BUILD, PROGRAM, "5"],
                       capture_output=True, text=True, check=True)
    log(r.stdout.strip())
    lines = r.stdout.strip().splitlines()
    return "\n".join(["Existing script (section above has the history):", "", "```", *lines, "```", "",
                      "```sh", f"bench/chair-sim-speed.sh build {PROGRAM} 5", "```"])


# ---- 8. a slow bus (design C2) ----------------------------------------------------------

def part_slowbus():
    secs = 5 if QUICK else 30
    exe = os.path.join(BUILD, "bench", "slow-bus")
    rows = []
    for load in (False, True):
        stress = None
        if load:
            need("stress-ng", "stress-ng")
            stress = subprocess.Popen(["stress-ng", "--cpu", str(os.cpu_count() or 2), "--io", "1", "--quiet"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for delay in (0, 4000):
                r = subprocess.run([exe, "--delay-us", str(delay), "--seconds", str(secs)], capture_output=True,
                                   text=True, check=True)
                d = json.loads(r.stdout.strip().splitlines()[-1])
                d["load"] = "stress-ng" if load else "idle"
                rows.append(d)
                log(f"slowbus: {d}")
        finally:
            if stress:
                stop(stress)
    lines = [
        f"`build/bench/slow-bus`: the real control thread at 500 Hz (SCHED_FIFO 80) over the real linux backend "
        "on a fake sysfs tree, outputs changing every tick (3 PWM channels), 5 IIO channels at 10 Hz, with every "
        f"`pwrite()` and `pread()` delayed by the figure below (an I²C PWM expander or an SPI ADC on a busy bus); "
        f"{secs} s per run.  Before the output and input threads (design C2) the same 4 ms made the loop's p99 "
        "4,099 µs and missed 1,533 of 2,994 ticks (issue figures).", "",
        "| load | bus delay | ticks | missed | late ticks | p50 | p99 | max | longest stale | PWM writes | IIO reads |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for d in rows:
        lines.append(f"| {d['load']} | {d['delay_us']} µs | {d['ticks']} | {d['missed']} | {d['late_ticks']} | "
                     f"{d['p50_us']} µs | {d['p99_us']} µs | {d['max_us']} µs | {d['max_stale_us']} µs | "
                     f"{d['pwm_writes']} | {d['iio_reads']} |")
    lines += ["", "`idle` means no stress-ng of ours; ticks missed without any delay come from the machine itself "
              "(its load average is in the header; a VM without PREEMPT_RT).  Compare each delayed run with the "
              "undelayed one under the same load.  With the delay the output thread is busy all the time and "
              "coalesces: it writes the newest outputs, never a queue of old ones.", "",
              "```sh", "bench/run-all.sh slowbus", "```"]
    return "\n".join(lines)


PARTS = {
    "latency": ("1. Loop punctuality vs cyclictest", part_latency),
    "tick": ("2. Instructions per control tick", part_tick),
    "memory": ("3. Memory", part_memory),
    "cpu": ("4. CPU share at 500 Hz", part_cpu),
    "mqtt": ("5. MQTT round trip", part_mqtt),
    "startup": ("6. Start-up", part_startup),
    "sim": ("7. chair-sim speed", part_sim),
    "slowbus": ("8. A slow bus: bus I/O off the control thread", part_slowbus),
}


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    try:
        rev = subprocess.run(["git", "-C", TOP, "describe", "--always", "--dirty"], capture_output=True,
                             text=True).stdout.strip() or "?"
    except OSError:
        rev = "?"
    try:
        cc = subprocess.run(["cc", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        cc = "?"
    load = os.getloadavg()[0]
    return (f"{time.strftime('%Y-%m-%d %H:%M %Z')}; {os.cpu_count()} × {model}, {mem:.0f} GiB; "
            f"kernel {platform.release()}; {cc}; build `{os.path.relpath(BUILD, TOP)}`; "
            f"tree {rev}; load average {load:.2f} at start")


def write_block(doc, part, title, body, header):
    begin, end = f"<!-- bench:{part}:begin -->", f"<!-- bench:{part}:end -->"
    block = f"{begin}\n### {title}\n\n_{header}_\n\n{body}\n{end}"
    with open(doc) as f:
        text = f.read()
    if begin in text and end in text:
        text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        anchor = "<!-- bench:results -->"
        if anchor not in text:
            text = text.rstrip("\n") + "\n\n## Results of bench/run-all.sh\n\n" + anchor + "\n"
        # keep the parts in their numbered order
        later = [p for p in list(PARTS)[list(PARTS).index(part) + 1:] if f"<!-- bench:{p}:begin -->" in text]
        if later:
            i = text.index(f"<!-- bench:{later[0]}:begin -->")
            text = text[:i] + block + "\n\n" + text[i:]
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(doc, "w") as f:
        f.write(text)


def main(argv):
    parts = argv or list(PARTS)
    for p in parts:
        if p not in PARTS:
            sys.exit(f"unknown part '{p}'; parts: {' '.join(PARTS)}")
    doc = os.environ.get("BENCH_DOC", os.path.join(TOP, "docs", "performance.md"))
    header = machine()
    log(f"machine: {header}")
    failed = []
    for p in parts:
        title, fn = PARTS[p]
        log(f"== {title}")
        try:
            body = fn()
        except Exception as e:   # one part failing must not lose the others' figures
            log(f"{p}: FAILED: {e}")
            failed.append(p)
            continue
        if doc != "-":
            write_block(doc, p, title, body, header)
    if failed:
        log(f"failed parts: {' '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
