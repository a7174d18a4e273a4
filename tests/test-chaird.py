#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""chaird as systemd sees it: sd_notify (READY, STATUS, WATCHDOG, STOPPING) on a
datagram socket this test binds, the watchdog going quiet while the control
thread is stalled through the test hook, SIGTERM during a session (exit 0 within
2 s, outputs safe), SIGHUP with a valid and a broken program directory, the
real-time fallback under RLIMIT_RTPRIO 0, and the command line.

usage: test-chaird.py CHAIRD
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from checks import FAILURES, check, verdict

CHAIRD = os.path.abspath(sys.argv[1])

CONFIG = """\
chair:
  id: daemon-test
control:
  rate_hz: 500
  rt_priority: 20
  max_missed_ticks: 50   # 100 ms: a loaded test machine must not fault
hardware:
  backend: sim
  sim:
    time_scale: {scale}
  outputs:
    carriage: {{}}
    knead: {{}}
    tap: {{}}
    heater: {{}}
    pump: {{}}
    valve-lumbar-left: {{}}
  inputs:
    encoder: {{}}
    carriage_home: {{}}
    carriage_end: {{}}
    heater_temp: {{}}
programs: [programs]
"""

PROGRAM = """\
id: {id}
name: {name}
description: a test program
default_minutes: 5
steps:
  - technique: rolling
    zone: T12-S1
    duration_s: 60
    intensity: 2
    speed: 3
    heat: true
  - technique: kneading
    zone: L3-L5
    duration_s: 60
    intensity: 3
    speed: 2
"""

BROKEN_PROGRAM = """\
id: broken
name: Broken
description: intensity out of range
default_minutes: 5
steps:
  - technique: kneading
    zone: L3-L5
    duration_s: 60
    intensity: 9
    speed: 2
"""


class Chair:
    """One chaird process with its own config, notify socket and log file."""

    def __init__(self, name, args=(), scale=1, wrapper=(), watchdog_usec=None, start=True, config=None):
        self.dir = tempfile.mkdtemp(prefix="test-chaird-" + name + "-")
        os.mkdir(os.path.join(self.dir, "programs"))
        self.config = os.path.join(self.dir, "chaird.yaml")
        with open(self.config, "w") as f:
            f.write(config if config is not None else CONFIG.format(scale=scale))
        self.write_program("relax", PROGRAM.format(id="relax", name="Relax"))
        self.sock_path = os.path.join(self.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.sock_path)
        self.sock.settimeout(0.1)
        self.dump = os.path.join(self.dir, "dump")
        self.log_path = os.path.join(self.dir, "stderr")
        self.messages = []
        self.cursor = 0
        env = dict(os.environ)
        for k in ("JOURNAL_STREAM", "WATCHDOG_PID", "WATCHDOG_USEC", "LISTEN_FDS"):
            env.pop(k, None)
        # Each chair its own state directory: one chaird per state directory.
        self.state = os.path.join(self.dir, "state")
        env.update(NOTIFY_SOCKET=self.sock_path, CHAIRD_TEST_HOOKS="1", CHAIRD_TEST_DUMP=self.dump,
                   STATE_DIRECTORY=self.state, RUNTIME_DIRECTORY=self.dir)
        if watchdog_usec:
            env["WATCHDOG_USEC"] = str(watchdog_usec)
        self.log = open(self.log_path, "w")
        self.proc = None
        if not start:
            return
        self.proc = subprocess.Popen(list(wrapper) + [CHAIRD, "--config", self.config] + list(args),
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def write_program(self, name, text):
        with open(os.path.join(self.dir, "programs", name + ".yaml"), "w") as f:
            f.write(text)

    def poll_messages(self, seconds):
        """Collect notify datagrams for up to `seconds`; returns the new ones."""
        new = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                if self.proc.poll() is not None:
                    break
                continue
            for line in data.split("\n"):
                if line:
                    new.append(line)
        self.messages += new
        return new

    def wait_for(self, pred, seconds=15):
        """Wait until a notify line not yet looked at satisfies pred; lines are looked at
        in order, once.  The time limit is a guard against hangs, not an assertion."""
        end = time.monotonic() + seconds
        while True:
            while self.cursor < len(self.messages):
                line = self.messages[self.cursor]
                self.cursor += 1
                if pred(line):
                    return line
            if time.monotonic() >= end or self.proc.poll() is not None:
                return None
            self.poll_messages(0.1)

    def skip_seen(self):
        self.cursor = len(self.messages)

    def stop(self, sig=signal.SIGTERM):
        t0 = time.monotonic()
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        took = time.monotonic() - t0
        self.poll_messages(0.2)
        return rc, took

    def output(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def dumped(self):
        d = {}
        if os.path.exists(self.dump):
            with open(self.dump) as f:
                for line in f:
                    k, _, v = line.strip().partition("=")
                    d[k] = v
        return d

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.sock.close()
        self.log.close()
        if not FAILURES:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print("  (kept %s)" % self.dir)


def outputs_safe(d):
    outs = {k: float(v) for k, v in d.items() if k.startswith("out.")}
    return d.get("all_safe") == "1" and outs and all(v == 0.0 for v in outs.values())


def test_cli():
    print("# command line")
    r = subprocess.run([CHAIRD, "--version"], capture_output=True, text=True)
    check(r.returncode == 0 and r.stdout.startswith("chaird "), "--version prints the version, exit 0")
    r = subprocess.run([CHAIRD, "--help"], capture_output=True, text=True)
    check(r.returncode == 0 and "--safe-state" in r.stdout, "--help exit 0")
    for args, what in ((["--bogus"], "unknown option"),
                       (["-x"], "unknown short option"),
                       (["--config"], "missing value"),
                       (["--run", "relax", "--minutes", "0"], "--minutes out of range"),
                       (["--run", "relax", "--minutes", "5x"], "--minutes not a number"),
                       (["--minutes", "5"], "--minutes without --run"),
                       (["stray"], "stray argument")):
        r = subprocess.run([CHAIRD] + args, capture_output=True, text=True)
        lines = r.stderr.strip().split("\n")
        check(r.returncode == 1 and len(lines) == 1 and lines[0].startswith("chaird: "),
              "%s: one line, exit 1 (%r)" % (what, r.stderr.strip()))

    c = Chair("cli", start=False)
    r = subprocess.run([CHAIRD, "--check-config", "--config", c.config], capture_output=True, text=True)
    check(r.returncode == 0 and "configuration OK" in r.stdout, "--check-config on a good config")
    c.write_program("broken", BROKEN_PROGRAM)
    r = subprocess.run([CHAIRD, "--check-config", "--config", c.config], capture_output=True, text=True)
    located = re.search(r"broken\.yaml:\d+:\d+: ", r.stdout + r.stderr)
    check(r.returncode == 1 and located, "--check-config on a broken program: located error, exit 1")
    os.unlink(os.path.join(c.dir, "programs", "broken.yaml"))
    r = subprocess.run([CHAIRD, "--safe-state", "--config", c.config], capture_output=True, text=True)
    check(r.returncode == 0, "--safe-state exit 0 (%s)" % (r.stderr.strip().split("\n")[-1]))
    # A missing config: the hardware map saved at the last start, if any (exit 2), else exit 1.
    empty = os.path.join(c.dir, "empty-state")
    os.makedirs(empty, exist_ok=True)
    r = subprocess.run([CHAIRD, "--safe-state", "--config", os.path.join(c.dir, "nope.yaml")],
                       capture_output=True, text=True, env=dict(os.environ, STATE_DIRECTORY=empty))
    check(r.returncode == 1, "--safe-state with a missing config and no saved map exits 1")
    r = subprocess.run([CHAIRD, "--config", c.config, "--run", "nope"], capture_output=True, text=True,
                       env=dict(os.environ, STATE_DIRECTORY=c.state, RUNTIME_DIRECTORY=c.dir))
    check(r.returncode == 1 and "unknown program" in r.stderr, "--run with an unknown program exits 1")
    c.close()


def test_notify_watchdog():
    print("# READY, STATUS, WATCHDOG and a stalled control thread")
    # WATCHDOG_USEC 0.4 s: the daemon pings every 0.2 s while the loop ticks
    c = Chair("watchdog", args=["--run", "relax"], watchdog_usec=400000)
    try:
        ready = c.wait_for(lambda l: l == "READY=1")
        check(ready is not None, "READY=1 sent")
        status = c.wait_for(lambda l: l.startswith("STATUS=") and ("running" in l or "scanning" in l))
        check(status is not None, "STATUS= line for the session (%s)" % status)
        ready_idx = c.messages.index("READY=1") if ready else -1
        check(not any(m == "WATCHDOG=1" for m in c.messages[:max(ready_idx, 0)]),
              "no WATCHDOG=1 before READY=1")
        pings = [m for m in c.poll_messages(1.5) if m == "WATCHDOG=1"]
        check(len(pings) >= 2, "WATCHDOG=1 while the loop ticks (%d in 1.5 s)" % len(pings))

        c.proc.send_signal(signal.SIGUSR1)          # test hook: stall the control thread
        c.poll_messages(0.6)                         # a ping may already be on its way
        stalled = [m for m in c.poll_messages(1.5) if m == "WATCHDOG=1"]
        check(len(stalled) == 0, "no WATCHDOG=1 while the control thread is stalled (%d)" % len(stalled))
        c.proc.send_signal(signal.SIGUSR1)          # release it
        c.skip_seen()
        mark = c.cursor
        again = c.wait_for(lambda l: l == "WATCHDOG=1", seconds=5)
        check(again is not None, "WATCHDOG=1 again once the loop ticks")
        c.cursor = mark
        fault = c.wait_for(lambda l: l.startswith("STATUS=") and "loop_overrun" in l, seconds=5)
        check(fault is not None, "the stall raised loop_overrun (%s)" % fault)

        rc, took = c.stop()
        check(rc == 0, "exit 0 after SIGTERM (rc %d)" % rc)
        out = c.output()
        check(out.count("not feeding the watchdog") == 1, "one log line for the starving watchdog")
        check(outputs_safe(c.dumped()), "outputs safe at exit")
    finally:
        c.close()


def test_sigterm_during_session():
    print("# SIGTERM while a session runs")
    c = Chair("sigterm", args=["--run", "relax", "--minutes", "10"], scale=5)
    try:
        check(c.wait_for(lambda l: l == "READY=1") is not None, "READY=1 sent")
        running = c.wait_for(lambda l: l.startswith("STATUS=running relax, step "), seconds=30)
        check(running is not None, "session running (%s)" % running)
        m = re.match(r"STATUS=running relax, step (\d+)/(\d+), (\d+):(\d\d) left", running or "")
        check(m is not None, "STATUS names program, step and time left")
        rc, took = c.stop()
        check("STOPPING=1" in c.messages, "STOPPING=1 sent")
        check(rc == 0, "exit 0 (rc %d)" % rc)
        check(took < 2.0, "exited within 2 s of SIGTERM (%.2f s)" % took)
        d = c.dumped()
        check(outputs_safe(d), "outputs safe at exit (%s)" % {k: v for k, v in d.items() if k.startswith("out.") or k == "all_safe"})
        out = c.output()
        check("session ended (shutdown)" in out, "the session ended because of the shutdown")
        check("outputs safe at exit" in out, "daemon reports outputs safe at exit")
        print("  loop: %s at %s Hz, %s ticks, %s missed, latency p50 %s us, p99 %s us, max %s us"
              % (d.get("policy"), d.get("rate_hz"), d.get("ticks"), d.get("missed"),
                 d.get("p50_us"), d.get("p99_us"), d.get("max_us")))
        check(int(d.get("ticks", "0")) > 0, "loop statistics reported")
    finally:
        c.close()


def test_sighup():
    print("# SIGHUP with a valid and a broken program directory")
    c = Chair("sighup")
    try:
        check(c.wait_for(lambda l: l == "READY=1") is not None, "READY=1 sent")
        c.write_program("second", PROGRAM.format(id="second", name="Second"))
        c.proc.send_signal(signal.SIGHUP)
        check(c.wait_for(lambda l: l == "RELOADING=1") is not None, "RELOADING=1 on SIGHUP")
        check(c.wait_for(lambda l: l == "READY=1") is not None, "READY=1 after the reload")
        deadline = time.monotonic() + 10
        while "new program set in use (2 programs)" not in c.output() and time.monotonic() < deadline:
            time.sleep(0.05)
        check("new program set in use (2 programs)" in c.output(), "valid directory: 2 programs in use")

        c.write_program("broken", BROKEN_PROGRAM)
        c.proc.send_signal(signal.SIGHUP)
        c.wait_for(lambda l: l == "READY=1")
        deadline = time.monotonic() + 10
        while "keeping the current set" not in c.output() and time.monotonic() < deadline:
            time.sleep(0.05)
        out = c.output()
        check(re.search(r"broken\.yaml:\d+:\d+: ", out) is not None, "broken directory: located error logged")
        check("keeping the current set of 2 programs" in out, "broken directory: old set kept")
        check(c.proc.poll() is None, "still running after a broken reload")

        rc, took = c.stop()
        check(rc == 0, "exit 0 (rc %d)" % rc)
        check(c.dumped().get("programs") == "2", "2 programs in use at exit")
    finally:
        c.close()


def test_sigterm_during_reload():
    print("# SIGTERM while a reload reads a file that never ends")
    c = Chair("reload-fifo", args=["--run", "relax"], scale=20)
    try:
        check(c.wait_for(lambda l: l == "READY=1") is not None, "READY=1 sent")
        check(c.wait_for(lambda l: "relax" in l) is not None, "session running")
        # A FIFO nobody writes: reading it blocks for ever (unless the loader
        # refuses non-regular files, which is fine too: then it is quick).
        os.mkfifo(os.path.join(c.dir, "programs", "zz.yaml"))
        c.proc.send_signal(signal.SIGHUP)
        check(c.wait_for(lambda l: l == "RELOADING=1") is not None, "RELOADING=1 on SIGHUP")
        c.skip_seen()
        # the main loop still runs: status updates keep coming while the worker is stuck
        got = c.wait_for(lambda l: l.startswith("STATUS="), seconds=5)
        check(got is not None, "the main loop goes on during the reload (%s)" % got)
        rc, took = c.stop()
        check(rc == 0, "exit 0 (rc %d)" % rc)
        check(took < 2.0, "exited within 2 s of SIGTERM during the reload (%.2f s)" % took)
        check(outputs_safe(c.dumped()), "outputs safe at exit")
    finally:
        c.close()


def test_rt_fallback():
    print("# real-time fallback with RLIMIT_RTPRIO 0")
    prlimit = shutil.which("prlimit")
    if not prlimit:
        print("SKIP: prlimit not found")
        return None
    wrapper = [prlimit, "--rtprio=0"]
    if os.geteuid() == 0:
        # root's CAP_SYS_NICE ignores RLIMIT_RTPRIO: drop it for this run
        setpriv = shutil.which("setpriv")
        if not setpriv:
            print("SKIP: running as root and setpriv not found")
            return None
        wrapper += [setpriv, "--inh-caps=-sys_nice", "--bounding-set=-sys_nice"]
    c = Chair("rtprio", wrapper=wrapper)
    try:
        check(c.wait_for(lambda l: l == "READY=1") is not None, "READY=1 sent without real-time")
        c.poll_messages(0.5)
        rc, took = c.stop()
        check(rc == 0, "exit 0 (rc %d)" % rc)
        out = c.output()
        check(out.count("real-time scheduling refused") == 1, "warned exactly once")
        check("SCHED_OTHER" in out, "policy logged")
        d = c.dumped()
        check(d.get("policy") == "SCHED_OTHER", "loop statistics report SCHED_OTHER")
        check(int(d.get("ticks", "0")) > 0, "the loop ticked")
    finally:
        c.close()
    return True


def test_single_instance():
    print("# one chaird per chair")
    c = Chair("single")
    other = tempfile.mkdtemp(prefix="test-chaird-other-")
    try:
        check(c.wait_for(lambda l: l == "READY=1") is not None, "first chaird READY=1")
        env = dict(os.environ)
        for k in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
            env.pop(k, None)
        # the same config: same state directory, same chair on the same broker
        env["STATE_DIRECTORY"] = c.state
        env["RUNTIME_DIRECTORY"] = c.dir
        r = subprocess.run([CHAIRD, "--config", c.config], env=env, capture_output=True, text=True, timeout=60)
        names = "another chaird runs for this chair" in r.stderr and ("pid %d" % c.proc.pid) in r.stderr
        check(r.returncode != 0 and names,
              "a second chaird with the same state directory exits non-zero naming the first (rc %d: %s)"
              % (r.returncode, r.stderr.strip().splitlines()[-1:]))
        # another state directory, but the same chair id on the same broker
        env["STATE_DIRECTORY"] = other
        r = subprocess.run([CHAIRD, "--config", c.config], env=env, capture_output=True, text=True, timeout=60)
        check(r.returncode != 0 and "another chaird runs for this chair" in r.stderr and "chair-daemon-test@" in r.stderr,
              "a second chaird for the same chair id and broker exits non-zero (rc %d)" % r.returncode)
        # the first is untouched: still running, still ticking, clean exit
        check(c.proc.poll() is None, "the first chaird still runs")
        c.skip_seen()
        c.poll_messages(0.3)
        rc, took = c.stop()
        check(rc == 0, "the first chaird exits 0 on SIGTERM (rc %d)" % rc)
        check(int(c.dumped().get("ticks", "0")) > 0, "the first chaird's loop ticked throughout")
        # and once it is gone, a new one may start (the kernel dropped its locks)
        env["STATE_DIRECTORY"] = c.state
        p = subprocess.Popen([CHAIRD, "--config", c.config], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        time.sleep(1.0)
        alive = p.poll() is None
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=30)
        check(alive and p.returncode == 0, "after it exits, a new chaird starts (rc %s)" % p.returncode)
    finally:
        c.close()
        shutil.rmtree(other, ignore_errors=True)


def test_safe_state_saved_map():
    print("# --safe-state from a broken config: the hardware map saved at the last start")
    c = Chair("safemap")     # its own STATE_DIRECTORY (Chair.state)
    state = c.state
    try:
        check(c.wait_for(lambda l: l == "READY=1") is not None, "READY=1 sent")
        saved = os.path.join(state, "hardware-map.yaml")
        check(os.path.exists(saved), "the daemon saved its hardware map at start")
        rc, took = c.stop()
        check(rc == 0, "exit 0 (rc %d)" % rc)
        env = dict(os.environ, STATE_DIRECTORY=state)
        with open(c.config, "a") as f:
            f.write("mqtt: { colour: red }\n")
        r = subprocess.run([CHAIRD, "--safe-state", "--config", c.config], capture_output=True, text=True, env=env)
        check(r.returncode == 0 and "mqtt.colour" in r.stderr,
              "an unknown mqtt key: reported, ignored, exit 0 (%d)" % r.returncode)
        with open(c.config, "a") as f:
            f.write("hardware: [\n")
        r = subprocess.run([CHAIRD, "--safe-state", "--config", c.config], capture_output=True, text=True, env=env)
        check(r.returncode == 2 and "saved hardware map" in r.stderr,
              "a config that does not parse: the saved map, exit 2 (%d)" % r.returncode)
    finally:
        c.close()


def test_graceful_fit():
    print("# a chair without recline and airbags starts with the shipped programs that fit")
    shipped = os.path.join(os.environ["CHAIRD_SOURCE_ROOT"], "config", "programs")
    config = CONFIG.format(scale=1).replace("    pump: {}\n", "").replace("    valve-lumbar-left: {}\n", "")
    config = config.replace("programs: [programs]", "programs: [%s]" % shipped)
    c = Chair("fit", config=config)
    try:
        check(c.wait_for(lambda l: l == "READY=1") is not None, "READY=1 sent")
        out = c.output()
        check("program 'posture' skipped: it needs pump" in out, "a skipped program is named with its part")
        check("4 programs" not in out and "3 programs" in out, "started with the 3 programs that fit")
        rc, took = c.stop()
        check(rc == 0, "exit 0 (rc %d)" % rc)
        check(c.dumped().get("programs") == "3", "3 programs in use at exit")
    finally:
        c.close()


def main():
    test_cli()
    test_single_instance()
    test_graceful_fit()
    test_safe_state_saved_map()
    test_notify_watchdog()
    test_sigterm_during_session()
    test_sighup()
    test_sigterm_during_reload()
    test_rt_fallback()
    return verdict()


if __name__ == "__main__":
    sys.exit(main())
