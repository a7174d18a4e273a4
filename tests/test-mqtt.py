#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""MQTT integration tests: chaird and chairctl against a real mosquitto.

Each test starts Debian's mosquitto on a free loopback port with a config
written at test time, runs chaird on the sim backend, and talks to it with
mosquitto_pub/sub/rr and chairctl.

Usage: test-mqtt.py [TEST...]   (default: all).  Exit 77 when mosquitto or
the clients are missing.
"""
import json
import queue
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

BUILD = os.environ.get("CHAIRD_BUILD_ROOT", os.path.join(os.path.dirname(__file__), "..", "build"))
SOURCE = os.environ.get("CHAIRD_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), ".."))
CHAIRD = os.path.join(BUILD, "daemon", "chaird")
CHAIRCTL = os.path.join(BUILD, "tools", "chairctl")
CHAIR = "test"
BASE = "chaird/" + CHAIR

HARDWARE = """
hardware:
  backend: sim
  sim: { time_scale: %(time_scale)s }
  outputs:
    carriage: {}
    knead: {}
    tap: {}
    depth: {}
    heater: {}
    pump: {}
    valve-lumbar-left: {}
    valve-lumbar-right: {}
    valve-seat: {}
    valve-calves: {}
    backrest: {}
    legrest: {}
  inputs:
    estop: {}
    occupancy: {}
    obstacle: {}
    encoder: {}
    carriage_home: {}
    carriage_end: {}
    backrest_min: {}
    backrest_max: {}
    legrest_min: {}
    legrest_max: {}
    heater_temp: {}
    depth_pos: {}
    backrest_pos: {}
    legrest_pos: {}
    pressure:
      lumbar-left: {}
      lumbar-right: {}
      seat: {}
      calves: {}
"""


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise Fail("broker did not listen on %d" % port)


class Broker:
    def __init__(self, tmp, port=None, extra="", tls=None):
        self.tmp = tmp
        self.port = port or free_port()
        self.extra = extra
        self.tls = tls
        self.proc = None
        self.conf = os.path.join(tmp, "mosquitto-%d.conf" % self.port)

    def start(self):
        # mosquitto started as root drops to its own user: let it read our files
        os.chmod(self.tmp, 0o755)
        for f in os.listdir(self.tmp):
            if not f.endswith(".log"):
                os.chmod(os.path.join(self.tmp, f), 0o644)
        with open(self.conf, "w") as f:
            f.write("listener %d 127.0.0.1\n" % self.port)
            if self.tls:
                f.write("cafile %s\ncertfile %s\nkeyfile %s\n" % self.tls)
            f.write("persistence false\n")
            f.write(self.extra or "allow_anonymous true\n")
        self.log = open(os.path.join(self.tmp, "mosquitto-%d.log" % self.port), "a")
        self.proc = subprocess.Popen(["mosquitto", "-c", self.conf], stdout=self.log, stderr=self.log)
        wait_port(self.port)
        return self

    def stop(self):
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None


class Chair:
    """chaird on the sim backend."""

    def __init__(self, tmp, broker, mqtt_extra="", time_scale=1, name="chaird"):
        self.tmp = tmp
        self.broker = broker
        self.cfg = os.path.join(tmp, name + ".yaml")
        self.logpath = os.path.join(tmp, name + ".log")
        with open(self.cfg, "w") as f:
            f.write("chair: { id: %s, name: \"Test chair\", model: \"RC-1\" }\n" % CHAIR)
            # slow sanitizer builds on a loaded CI machine must not trip loop_overrun
            f.write("control: { rate_hz: 100, rt_priority: 0, max_missed_ticks: 1000 }\n")
            f.write(HARDWARE % {"time_scale": time_scale})
            f.write("mqtt:\n  host: 127.0.0.1\n  port: %d\n  keepalive: 5\n%s" % (broker.port, mqtt_extra))
            f.write("programs: [%s]\n" % os.path.join(SOURCE, "config", "programs"))
            f.write("state_dir: %s\n" % tmp)
        self.proc = None
        self.wrapper = []      # e.g. valgrind and its options

    def start(self, env=None):
        e = dict(os.environ)
        e.pop("NOTIFY_SOCKET", None)
        e.pop("JOURNAL_STREAM", None)
        # chaird's one-per-chair lock of the chair id goes to the runtime directory:
        # the test's own, not the machine's /run/chaird
        e["RUNTIME_DIRECTORY"] = self.tmp
        e.update(env or {})
        self.log = open(self.logpath, "a")
        self.proc = subprocess.Popen(self.wrapper + [CHAIRD, "--config", self.cfg], stdout=self.log,
                                     stderr=self.log, env=e)
        return self

    def stop(self, timeout=10):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None

    def logtext(self):
        with open(self.logpath) as f:
            return f.read()


def client_args(broker, user=None, tls=None):
    a = ["-h", "127.0.0.1", "-p", str(broker.port), "-V", "5"]
    if user:
        a += ["-u", user[0], "-P", user[1]]
    if tls:
        a += ["--cafile", tls]
    return a


def sub(broker, topics, count=1, timeout=5, user=None, tls=None, retained_only=False, extra=()):
    """Collect up to count messages (as dicts from -F %j)."""
    a = ["mosquitto_sub"] + client_args(broker, user, tls) + ["-C", str(count), "-W", str(timeout), "-F", "%j"]
    if retained_only:
        a += ["--retained-only"]
    for t in topics:
        a += ["-t", t]
    a += list(extra)
    p = subprocess.run(a, capture_output=True, text=True)
    out = []
    for line in p.stdout.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


LISTENERS = []    # closed at exit whatever happened: an orphan would hold meson's pipes open


class Listener:
    """A mosquitto_sub that is known to be subscribed before the test goes on.

    A fixed sleep after starting mosquitto_sub races with its SUBSCRIBE on a
    loaded machine (messages published in between are lost): ready() publishes
    to a private sentinel topic until the subscriber prints it."""

    def __init__(self, broker, topics, user=None, tls=None):
        self.broker, self.user, self.tls = broker, user, tls
        self.sentinel = "test/listener/%d/%d" % (os.getpid(), id(self))
        a = ["mosquitto_sub"] + client_args(broker, user, tls) + ["-F", "%j", "-t", self.sentinel]
        for t in topics:
            a += ["-t", t]
        self.proc = subprocess.Popen(a, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        LISTENERS.append(self)
        self.q = queue.Queue()
        self.early = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                self.q.put(json.loads(line))
            except ValueError:
                pass

    def ready(self, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            pub(self.broker, self.sentinel, "ping", user=self.user, tls=self.tls)
            try:
                while True:
                    m = self.q.get(timeout=0.3)
                    if m.get("topic") == self.sentinel:
                        return self
                    self.early.append(m)        # retained, or sent before the sentinel: kept
            except queue.Empty:
                pass
        raise Fail("mosquitto_sub did not subscribe within %d s" % timeout)

    def collect(self, count, timeout):
        """Up to count messages (not the sentinel's) arriving within timeout seconds."""
        out, end = self.early[:count], time.time() + timeout
        del self.early[:count]
        while len(out) < count and time.time() < end:
            try:
                m = self.q.get(timeout=max(0.01, end - time.time()))
            except queue.Empty:
                break
            if m.get("topic") != self.sentinel:
                out.append(m)
        return out

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def payload_json(msg):
    p = msg.get("payload")
    return p if isinstance(p, (dict, list)) else json.loads(p)


def retained(broker, topic, timeout=3, **kw):
    m = sub(broker, [topic], 1, timeout, **kw)
    return m[0] if m else None


def pub(broker, topic, payload, retain=False, user=None, tls=None, extra=()):
    a = ["mosquitto_pub"] + client_args(broker, user, tls) + ["-t", topic, "-m", payload, "-q", "1"]
    if retain:
        a += ["-r"]
    a += list(extra)
    subprocess.run(a, check=True, capture_output=True)


def rr(broker, payload, timeout=5, corr="c0ffee", user=None, tls=None, topic=BASE + "/set"):
    """Request/response with MQTT v5 Correlation Data; returns (reply dict, properties) or (None, None)."""
    resp = "%s/reply/rr-%d-%s" % (BASE, os.getpid(), corr)
    a = (["mosquitto_rr"] + client_args(broker, user, tls) +
         ["-t", topic, "-e", resp, "-m", payload, "-W", str(timeout), "-F", "%j",
          "-D", "publish", "correlation-data", corr])
    p = subprocess.run(a, capture_output=True, text=True)
    for line in p.stdout.splitlines():
        try:
            m = json.loads(line)
        except ValueError:
            continue
        return payload_json(m), m.get("properties", {})
    return None, None


def state(broker, **kw):
    m = retained(broker, BASE + "/state", **kw)
    return payload_json(m) if m else None


def wait_for(what, fn, timeout=10, interval=0.2):
    end = time.time() + timeout
    last = None
    while time.time() < end:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise Fail("timed out waiting for %s (last: %r)" % (what, last))


def wait_online(broker, timeout=15, **kw):
    def f():
        m = retained(broker, BASE + "/availability", timeout=2, **kw)
        return m and m["payload"] == "online"
    wait_for("availability online", f, timeout)


def expect_reply(broker, cmd, code=None, corr="c1", **kw):
    r, props = rr(broker, json.dumps(cmd) if not isinstance(cmd, str) else cmd, corr=corr, **kw)
    check(r is not None, "no reply to %s" % cmd)
    check(props.get("correlation-data") == corr,
          "reply to %s lacks correlation data %s: %r" % (cmd, corr, props))
    if code is None:
        check(r.get("ok") is True, "%s refused: %r" % (cmd, r))
    else:
        check(r.get("ok") is False and r["error"]["code"] == code,
              "%s: expected %s, got %r" % (cmd, code, r))
        check(isinstance(r["error"].get("message"), str) and r["error"]["message"], "no message: %r" % r)
    return r


IN_SESSION = ("scanning", "running", "paused", "ending")


# ---- tests -------------------------------------------------------------------------


def test_commands(tmp):
    """Every command and every error code, with v5 correlation data round trips."""
    b = Broker(tmp).start()
    c = Chair(tmp, b).start()
    try:
        wait_online(b)
        programs = payload_json(retained(b, BASE + "/programs"))
        check(any(p["id"] == "lumbar-relief" for p in programs), "programs lack lumbar-relief")
        for p in programs:
            check(set(p) >= {"id", "name", "description", "default_minutes"}, "program keys %r" % p)

        r = expect_reply(b, {"action": "diag", "id": "d1"}, corr="diag-1")
        check(r.get("id") == "d1", "id not echoed: %r" % r)
        d = payload_json(retained(b, BASE + "/diagnostics"))
        for k in ("version", "uptime_s", "config_hash", "loop", "faults_history"):
            check(k in d, "diagnostics lack %s" % k)
        for k in ("rate_hz", "ticks", "missed", "latency_us"):
            check(k in d["loop"], "diagnostics.loop lacks %s" % k)

        # error codes that the parser decides
        expect_reply(b, "{", "bad_json")
        expect_reply(b, "[1,2]", "bad_json")
        expect_reply(b, json.dumps({"action": "stop", "pad": "x" * 5000}), "too_large")
        expect_reply(b, {"action": "dance"}, "unknown_action")
        expect_reply(b, {"action": "start", "program": "no-such-program"}, "unknown_program")
        expect_reply(b, {"action": "set", "intensity": 9}, "invalid_value")
        expect_reply(b, {"action": "start", "program": "lumbar-relief", "minutes": 99}, "invalid_value")
        r = expect_reply(b, {"action": "frobnicate", "id": 7}, "unknown_action")
        check(r.get("id") == 7, "numeric id not echoed: %r" % r)

        # a session, and every session command
        expect_reply(b, {"action": "start", "program": "lumbar-relief", "minutes": 5, "intensity": 3,
                         "heat": True})
        st = wait_for("a session", lambda: (state(b) or {}).get("state") in IN_SESSION and state(b))
        check(st["program"] == "lumbar-relief", "state program %r" % st.get("program"))
        for k in ("state", "program", "step", "steps", "elapsed_s", "remaining_s", "intensity", "speed",
                  "heat", "roller", "recline", "occupied", "faults"):
            check(k in st, "state lacks %s" % k)
        expect_reply(b, {"action": "start", "program": "lumbar-relief"}, "busy")
        expect_reply(b, {"action": "set", "intensity": 4})
        wait_for("intensity 4", lambda: (state(b) or {}).get("intensity") == 4)
        expect_reply(b, {"action": "set", "speed": 2, "heat": False})
        expect_reply(b, {"action": "set", "focus": "L4"})
        expect_reply(b, {"action": "set", "focus": None})
        expect_reply(b, {"action": "pause"})
        wait_for("paused", lambda: (state(b) or {}).get("state") == "paused")
        expect_reply(b, {"action": "resume"})
        r, _ = rr(b, json.dumps({"action": "recline", "position": "relax"}), corr="rec")
        check(r is not None and (r["ok"] or r["error"]["code"] in ("busy", "obstacle", "unsupported")),
              "recline: %r" % r)
        r, _ = rr(b, json.dumps({"action": "self_test"}), corr="st")
        check(r is not None and (r["ok"] or r["error"]["code"] in ("busy", "unsupported")), "self_test: %r" % r)
        expect_reply(b, {"action": "stop"})
        wait_for("idle", lambda: (state(b) or {}).get("state") == "idle")
        r, _ = rr(b, json.dumps({"action": "pause"}), corr="p2")
        check(r is not None and r["ok"] is False, "pause while idle accepted: %r" % r)

        # not_occupied: the simulated occupant stands up
        expect_reply(b, {"occupied": False}, topic=BASE + "/sim/set", corr="sim1")
        wait_for("unoccupied", lambda: (state(b) or {}).get("occupied") is False)
        expect_reply(b, {"action": "start", "program": "lumbar-relief"}, "not_occupied")
        expect_reply(b, {"occupied": True}, topic=BASE + "/sim/set", corr="sim2")
        wait_for("occupied", lambda: (state(b) or {}).get("occupied") is True)
        expect_reply(b, {"nonsense": 1}, "invalid_value", topic=BASE + "/sim/set", corr="sim3")

        # fault_active: the stop button latches until released and cleared
        expect_reply(b, {"estop": True}, topic=BASE + "/sim/set", corr="sim4")
        wait_for("estop fault", lambda: any(f["code"] == "estop" for f in (state(b) or {}).get("faults", [])))
        expect_reply(b, {"action": "start", "program": "lumbar-relief"}, "fault_active")
        expect_reply(b, {"estop": False}, topic=BASE + "/sim/set", corr="sim5")
        time.sleep(0.5)
        expect_reply(b, {"action": "clear_faults"})
        wait_for("faults cleared", lambda: (state(b) or {}).get("faults") == [])
        hist = payload_json(retained(b, BASE + "/diagnostics"))["faults_history"]
        check(any(h["code"] == "estop" for h in hist), "estop not in faults_history: %r" % hist)

        # rate_limited: 60 commands at once through one connection
        lines = "\n".join(json.dumps({"action": "diag", "id": i}) for i in range(60)) + "\n"
        collector = Listener(b, [BASE + "/reply"]).ready()
        subprocess.run(["mosquitto_pub"] + client_args(b) + ["-t", BASE + "/set", "-q", "1", "-l"],
                       input=lines, text=True, check=True)
        replies = [payload_json(m) for m in collector.collect(60, 15)]
        collector.close()
        limited = [r for r in replies if not r["ok"] and r["error"]["code"] == "rate_limited"]
        accepted = [r for r in replies if r["ok"]]
        check(limited, "no rate_limited among %d replies" % len(replies))
        check(accepted, "every command was rate limited")

        # discovery, republished when Home Assistant comes online
        disc = payload_json(retained(b, "homeassistant/device/%s/config" % CHAIR))
        check("cmps" in disc and "dev" in disc and "o" in disc, "discovery keys %r" % list(disc))
        live = Listener(b, ["homeassistant/device/%s/config" % CHAIR]).ready()
        pub(b, "homeassistant/status", "online")
        flags = [m.get("retain") for m in live.collect(2, 15)]
        live.close()
        check(flags == [1, 0], "discovery not republished on homeassistant/status (retain flags %r)"
              % flags)
        check(c.stop() == 0, "chaird did not exit 0 on SIGTERM")
        m = retained(b, BASE + "/availability")
        check(m and m["payload"] == "offline", "no clean offline on SIGTERM: %r" % m)
    finally:
        c.stop()
        b.stop()


def test_retained(tmp):
    """A retained start is never obeyed, neither at connect nor while connected."""
    b = Broker(tmp).start()
    pub(b, BASE + "/set", json.dumps({"action": "start", "program": "lumbar-relief"}), retain=True)
    c = Chair(tmp, b).start()
    try:
        wait_online(b)
        time.sleep(1.5)
        check(state(b)["state"] not in IN_SESSION, "retained start obeyed at connect")
        pub(b, BASE + "/set", "", retain=True)   # clear it
        check("retained" in c.logtext(), "retained command not logged")
        # a non-retained start works, proving the subscription is live
        expect_reply(b, {"action": "start", "program": "lumbar-relief"})
        expect_reply(b, {"action": "stop"})
    finally:
        c.stop()
        b.stop()


def expect_will_after_kill(b, c):
    """kill -9 the daemon: no clean DISCONNECT, so the broker must publish its retained will."""
    c.proc.kill()
    c.proc.wait()
    wait_for("offline will", lambda: (retained(b, BASE + "/availability", timeout=2) or {}).get("payload")
             == "offline", timeout=20)


def test_lwt(tmp):
    """kill -9 of chaird: the broker publishes the retained offline will."""
    b = Broker(tmp).start()
    c = Chair(tmp, b).start()
    try:
        wait_online(b)
        expect_will_after_kill(b, c)
    finally:
        c.stop()
        b.stop()


def test_reconnect(tmp):
    """Broker restarted mid-session: the session goes on, chaird reconnects and republishes."""
    b = Broker(tmp).start()
    c = Chair(tmp, b).start()
    try:
        wait_online(b)
        expect_reply(b, {"action": "start", "program": "lumbar-relief", "minutes": 5})
        before = wait_for("running", lambda: (state(b) or {}).get("state") in IN_SESSION and state(b))
        b.stop()
        time.sleep(3)
        b.start()       # same port, empty (persistence false): everything must be republished
        wait_online(b, timeout=45)
        after = wait_for("state", lambda: state(b))
        check(after["state"] in IN_SESSION, "session did not go on: %r" % after["state"])
        check(after["elapsed_s"] > before["elapsed_s"] + 2, "elapsed did not advance: %r -> %r"
              % (before["elapsed_s"], after["elapsed_s"]))
        check(retained(b, BASE + "/programs") is not None, "programs not republished")
        check(retained(b, "homeassistant/device/%s/config" % CHAIR) is not None, "discovery not republished")
        expect_reply(b, {"action": "stop"})
    finally:
        c.stop()
        b.stop()


def test_valgrind(tmp):
    """chaird under valgrind: no invalid access and no leak after a session, a broker
    reconnect and a SIGHUP reload (valgrind's exit code 99 on any error)."""
    b = Broker(tmp).start()
    c = Chair(tmp, b)
    vglog = os.path.join(tmp, "valgrind.log")
    c.wrapper = [shutil.which("valgrind"), "--leak-check=full",
                 "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99",
                 "--log-file=" + vglog]
    c.start()
    rc = None
    try:
        wait_online(b, timeout=90)
        expect_reply(b, {"action": "start", "program": "posture", "minutes": 1}, timeout=30)
        wait_for("running", lambda: (state(b) or {}).get("state") in IN_SESSION, timeout=60)
        b.stop()
        time.sleep(2)
        b.start()
        wait_online(b, timeout=90)
        c.proc.send_signal(signal.SIGHUP)
        wait_for("reload", lambda: "reloaded" in c.logtext(), timeout=60)
        expect_reply(b, {"action": "stop"}, timeout=30)
        wait_for("idle", lambda: (state(b) or {}).get("state") == "idle", timeout=60)
    finally:
        rc = c.stop(timeout=120)
        b.stop()
    with open(vglog) as f:
        report = f.read()
    check(rc == 0, "chaird under valgrind exited %r:\n%s" % (rc, report[-4000:]))


def test_acl(tmp):
    """A user without ACL rights cannot command the chair."""
    pw = os.path.join(tmp, "passwd")
    users = {"chaird": "pw-chaird", "owner": "pw-owner", "guest": "pw-guest"}
    first = True
    for u, p in users.items():
        subprocess.run(["mosquitto_passwd", "-b"] + (["-c"] if first else []) + [pw, u, p], check=True,
                       capture_output=True)
        first = False
    acl = os.path.join(tmp, "acl")
    with open(acl, "w") as f:
        f.write("user chaird\ntopic readwrite chaird/#\ntopic readwrite homeassistant/#\n\n"
                "user owner\ntopic readwrite chaird/%s/#\n\n"
                "user guest\ntopic read chaird/%s/#\n" % (CHAIR, CHAIR))
    b = Broker(tmp, extra="allow_anonymous false\npassword_file %s\nacl_file %s\n" % (pw, acl)).start()
    pwfile = os.path.join(tmp, "chaird-password")
    with open(pwfile, "w") as f:
        f.write(users["chaird"] + "\n")
    c = Chair(tmp, b, mqtt_extra="  username: chaird\n  password_file: %s\n" % pwfile).start()
    owner = ("owner", users["owner"])
    guest = ("guest", users["guest"])
    try:
        wait_online(b, user=owner)
        r, _ = rr(b, json.dumps({"action": "start", "program": "lumbar-relief"}), timeout=3, corr="g",
                  user=guest)
        check(r is None, "guest got a reply: %r" % r)
        time.sleep(1)
        check(state(b, user=owner)["state"] == "idle", "guest started the chair")
        r, _ = rr(b, json.dumps({"action": "start", "program": "lumbar-relief"}), timeout=3, corr="g2")
        check(r is None, "anonymous got a reply: %r" % r)
        expect_reply(b, {"action": "diag"}, user=owner)
        # the daemon also authenticates from $CREDENTIALS_DIRECTORY
        c.stop()
        creds = os.path.join(tmp, "creds")
        os.makedirs(creds, exist_ok=True)
        shutil.copy(pwfile, os.path.join(creds, "mqtt-password"))
        c2 = Chair(tmp, b, mqtt_extra="  username: chaird\n", name="chaird-creds")
        c2.start(env={"CREDENTIALS_DIRECTORY": creds})
        try:
            wait_for("online with credentials", lambda: (retained(b, BASE + "/availability", timeout=2, user=owner)
                                                         or {}).get("payload") == "online")
            expect_reply(b, {"action": "diag"}, user=owner, corr="c2")
        finally:
            c2.stop()
    finally:
        c.stop()
        b.stop()


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=%s" % name,
            "-keyout", name + ".key", "-out", name + ".crt", cwd=d)
    return os.path.join(d, name + ".crt")


def test_tls(tmp):
    """TLS with a CA and server certificate made here; a wrong CA is refused."""
    if not shutil.which("openssl"):
        print("SKIP tls: openssl missing")
        return
    ca = make_ca(tmp, "ca")
    wrong = make_ca(tmp, "wrong-ca")
    with open(os.path.join(tmp, "san.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key",
            "-out", "server.csr", cwd=tmp)
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-extfile", "san.ext", "-out", "server.crt", cwd=tmp)
    b = Broker(tmp, tls=(ca, os.path.join(tmp, "server.crt"), os.path.join(tmp, "server.key"))).start()
    good = Chair(tmp, b, mqtt_extra="  tls: { enabled: true, cafile: %s }\n" % ca, name="chaird-tls")
    bad = Chair(tmp, b, mqtt_extra="  tls: { enabled: true, cafile: %s }\n  client_id: chaird-wrong\n" % wrong,
                name="chaird-wrong-ca")
    try:
        bad.start()
        time.sleep(4)
        m = retained(b, BASE + "/availability", timeout=2, tls=ca)
        check(m is None, "a chaird with the wrong CA got through: %r" % m)
        check(bad.proc.poll() is None, "chaird with the wrong CA exited instead of retrying")
        bad.stop()
        good.start()
        wait_online(b, tls=ca)
        expect_reply(b, {"action": "diag"}, tls=ca)
        r = subprocess.run([CHAIRCTL, "--broker", "127.0.0.1:%d" % b.port, "--chair", CHAIR, "--cafile", ca,
                            "programs"], capture_output=True, text=True, timeout=20)
        check(r.returncode == 0 and "lumbar-relief" in r.stdout, "chairctl over TLS: %r" % (r,))
        r = subprocess.run([CHAIRCTL, "--broker", "127.0.0.1:%d" % b.port, "--chair", CHAIR, "--cafile", wrong,
                            "status"], capture_output=True, text=True, timeout=20)
        check(r.returncode != 0, "chairctl accepted a server signed by another CA")
        # the chair does not spin on its socket: CPU time stays small over a few seconds
        time.sleep(3)
        with open("/proc/%d/stat" % good.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        cpu_s = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        check(cpu_s < 5, "chaird used %.1f s of CPU" % cpu_s)
    finally:
        bad.stop()
        good.stop()
        b.stop()


def ctl_env(b, tmp):
    """chairctl's environment: this broker and chair, and no user config file."""
    return {"CHAIRCTL_BROKER": "127.0.0.1:%d" % b.port, "CHAIRCTL_CHAIR": CHAIR, "HOME": tmp,
            "XDG_CONFIG_HOME": ""}


def ctl(b, *args, timeout=20, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([CHAIRCTL] + list(args), capture_output=True, text=True, timeout=timeout, env=e)


def test_mqtt311(tmp):
    """chaird on MQTT 3.1.1 (mqtt.protocol: 311, for old brokers): commands and
    replies matched by "id" on $B/reply, the retained state and will, chairctl --mqtt311."""
    b = Broker(tmp).start()
    c = Chair(tmp, b, mqtt_extra="  protocol: 311\n").start()
    env = ctl_env(b, tmp)
    try:
        wait_online(b)
        replies = Listener(b, [BASE + "/reply"]).ready()
        v311 = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(b.port), "-V", "311", "-q", "1", "-t", BASE + "/set"]
        subprocess.run(v311 + ["-m", json.dumps({"action": "start", "program": "lumbar-relief", "id": "a311"})],
                       check=True)
        subprocess.run(v311 + ["-m", json.dumps({"action": "start", "program": "nope", "id": 311})], check=True)
        got = [payload_json(m) for m in replies.collect(2, 15)]
        replies.close()
        check(len(got) == 2, "replies on %s/reply: %r" % (BASE, got))
        by_id = {r.get("id"): r for r in got}
        check(by_id.get("a311", {}).get("ok") is True, "start by a 3.1.1 client: %r" % got)
        check(by_id.get(311, {}).get("ok") is False and by_id[311]["error"]["code"] == "unknown_program",
              "refusal matched by a numeric id: %r" % got)
        wait_for("running", lambda: (state(b) or {}).get("state") in IN_SESSION)
        # a v5 request with a response topic: a 3.1.1 daemon never sees the
        # properties, so the answer is on $B/reply only (docs/mqtt.md)
        replies = Listener(b, [BASE + "/reply"]).ready()
        r, _ = rr(b, json.dumps({"action": "diag", "id": "rr"}), timeout=3, corr="x311")
        check(r is None, "a 3.1.1 daemon answered on a response topic: %r" % r)
        got = [payload_json(m) for m in replies.collect(1, 15)]
        replies.close()
        check(got and got[0].get("id") == "rr" and got[0].get("ok") is True,
              "the answer to the v5 request on $B/reply: %r" % got)
        r = ctl(b, "--mqtt311", "status", "--json", env=env)
        check(r.returncode == 0 and json.loads(r.stdout)["state"] in IN_SESSION, "chairctl --mqtt311: %r" % (r,))
        r = ctl(b, "--mqtt311", "stop", env=env)
        check(r.returncode == 0, "chairctl --mqtt311 stop: %r" % (r,))
        wait_for("idle", lambda: (state(b) or {}).get("state") == "idle")
        # the will, set over 3.1.1
        expect_will_after_kill(b, c)
    finally:
        c.stop()
        b.stop()


def test_chairctl(tmp):
    """chairctl start / status / refusal / stop / programs / diag / watch round trips."""
    b = Broker(tmp).start()
    c = Chair(tmp, b, time_scale=20).start()
    env = ctl_env(b, tmp)
    try:
        wait_online(b)
        r = ctl(b, "programs", env=env)
        check(r.returncode == 0 and "lumbar-relief" in r.stdout, "programs: %r" % (r,))
        r = ctl(b, "start", "lumbar-relief", "--minutes", "1", "--intensity", "2", "--heat", "on", env=env)
        check(r.returncode == 0, "start: %r" % (r,))
        r = ctl(b, "status", "--json", env=env)
        check(r.returncode == 0, "status: %r" % (r,))
        st = json.loads(r.stdout)
        check(st["state"] in IN_SESSION and st["program"] == "lumbar-relief", "status: %r" % st)
        r = ctl(b, "start", "lumbar-relief", env=env)
        check(r.returncode == 1 and "busy" in r.stderr, "second start not refused: %r" % (r,))
        r = ctl(b, "set", "intensity=9", env=env)
        check(r.returncode == 1 and "invalid_value" in r.stderr, "set intensity=9: %r" % (r,))
        r = ctl(b, "status", env=env)
        check(r.returncode == 0 and "lumbar-relief" in r.stdout, "text status: %r" % (r,))
        # watch ends with the session (a 1 minute session at 20x lasts ~3 s of wall time)
        r = ctl(b, "watch", timeout=60, env=env)
        check(r.returncode == 0 and "ended" in r.stdout and "progress" in r.stdout, "watch: %r" % (r,))
        wait_for("idle after the session", lambda: json.loads(ctl(b, "status", "--json", env=env).stdout)["state"]
                 == "idle", timeout=30)
        r = ctl(b, "start", "lumbar-relief", "--minutes", "5", env=env)
        check(r.returncode == 0, "start 2: %r" % (r,))
        r = ctl(b, "stop", env=env)
        check(r.returncode == 0, "stop: %r" % (r,))
        r = ctl(b, "diag", "--json", env=env)
        check(r.returncode == 0 and json.loads(r.stdout)["version"], "diag: %r" % (r,))
        r = ctl(b, "diag", env=env)
        check(r.returncode == 0 and "loop:" in r.stdout, "diag text: %r" % (r,))
        # the config file names the broker; flags override it
        os.makedirs(os.path.join(tmp, ".config"), exist_ok=True)
        with open(os.path.join(tmp, ".config", "chairctl.conf"), "w") as f:
            f.write("# test\nbroker = 127.0.0.1:%d\nchair = %s\n" % (b.port, CHAIR))
        r = ctl(b, "status", "--json", env={"HOME": tmp, "XDG_CONFIG_HOME": "", "CHAIRCTL_BROKER": "",
                                            "CHAIRCTL_CHAIR": ""})
        check(r.returncode == 0, "config file: %r" % (r,))
        r = ctl(b, "--chair", "nobody", "-t", "1", "stop", env=env)
        check(r.returncode == 3, "no answer should exit 3: %r" % (r,))
        r = ctl(b, "--mqtt311", "pause", env=env)
        check(r.returncode == 1, "MQTT 3.1.1 pause while idle: %r" % (r,))
    finally:
        c.stop()
        b.stop()


def profile_names(tmp):
    try:
        with open(os.path.join(tmp, "profiles.json")) as f:
            return [p["name"] for p in json.load(f)["profiles"]]
    except FileNotFoundError:
        return []


def usage_records(tmp):
    try:
        with open(os.path.join(tmp, "usage.json")) as f:
            return json.load(f)["sessions"]
    except (FileNotFoundError, ValueError):
        return []


def wait_idle_state(b, timeout=30):
    wait_for("idle", lambda: (state(b) or {}).get("state") == "idle", timeout)


def test_profiles(tmp):
    """forget_profile over MQTT and chairctl: the profile is gone from disk at once, its
    usage records stay, and a start naming only that profile is refused again."""
    b = Broker(tmp).start()
    c = Chair(tmp, b, time_scale=20).start()
    env = ctl_env(b, tmp)
    try:
        wait_online(b)
        # a session under a new profile creates it when the session ends
        expect_reply(b, {"action": "start", "program": "lumbar-relief", "minutes": 5, "intensity": 2,
                         "profile": "anna"}, corr="p1")
        expect_reply(b, {"action": "stop"}, corr="p2")
        wait_idle_state(b)
        wait_for("profile anna saved", lambda: "anna" in profile_names(tmp))
        # the profile alone starts its program
        expect_reply(b, {"action": "start", "profile": "anna"}, corr="p3")
        expect_reply(b, {"action": "stop"}, corr="p4")
        wait_idle_state(b)

        r = expect_reply(b, {"action": "forget_profile", "profile": "anna", "id": "f1"}, corr="p5")
        check(r.get("id") == "f1", "id not echoed: %r" % r)
        # written right away, not at the next periodic save
        check("anna" not in profile_names(tmp), "anna still in profiles.json: %r" % profile_names(tmp))
        usage = [u.get("profile") for u in usage_records(tmp)]
        check(usage.count("anna") == 2, "usage records under anna should stay: %r" % usage)
        r = expect_reply(b, {"action": "start", "profile": "anna"}, code="unknown_program", corr="p6")
        check("the profile has none yet" in r["error"]["message"], "message: %r" % r)
        check((state(b) or {}).get("state") == "idle", "a refused start moved the chair")
        r = expect_reply(b, {"action": "forget_profile", "profile": "anna"}, code="unknown_profile", corr="p7")
        check("anna" in r["error"]["message"], "message should name the profile: %r" % r)
        expect_reply(b, {"action": "forget_profile"}, code="invalid_value", corr="p8")
        expect_reply(b, {"action": "forget_profile", "profile": "anna", "program": "lumbar-relief"},
                     code="invalid_value", corr="p9")
        expect_reply(b, {"action": "forget_profile", "profile": ""}, code="invalid_value", corr="p10")

        # forgotten while its first session runs: the session's end does not create it
        expect_reply(b, {"action": "start", "program": "lumbar-relief", "minutes": 5, "profile": "carl"},
                     corr="p11")
        expect_reply(b, {"action": "forget_profile", "profile": "carl"}, corr="p12")
        check(state(b)["state"] in IN_SESSION, "forget_profile must not touch the session: %r" % state(b))
        expect_reply(b, {"action": "stop"}, corr="p13")
        wait_idle_state(b)
        # the session's end is saved in one go (usage and profiles): wait for its record
        records = wait_for("the third session's usage record", lambda: len(usage_records(tmp)) == 3 and
                           usage_records(tmp))
        check("profile" not in records[-1], "a forgotten profile named in the usage log: %r" % records[-1])
        check("carl" not in profile_names(tmp), "carl re-created at the session's end: %r" % profile_names(tmp))

        # chairctl
        r = ctl(b, "start", "lumbar-relief", "--minutes", "5", "--profile", "bob", env=env)
        check(r.returncode == 0, "start --profile bob: %r" % (r,))
        check(ctl(b, "stop", env=env).returncode == 0, "stop")
        wait_idle_state(b)
        wait_for("profile bob saved", lambda: "bob" in profile_names(tmp))
        r = ctl(b, "forget-profile", "bob", env=env)
        check(r.returncode == 0, "forget-profile bob: %r" % (r,))
        check("bob" not in profile_names(tmp), "bob still in profiles.json")
        r = ctl(b, "forget-profile", "bob", env=env)
        check(r.returncode == 1 and "unknown_profile" in r.stderr and "bob" in r.stderr,
              "second forget-profile: %r" % (r,))
        r = ctl(b, "forget-profile", env=env)
        check(r.returncode == 2, "forget-profile without a name: %r" % (r,))

        # still gone after a restart
        check(c.stop() == 0, "chaird did not exit cleanly")
        c = Chair(tmp, b, time_scale=20).start()
        wait_online(b)
        r = ctl(b, "diag", "--json", env=env)
        check(r.returncode == 0 and json.loads(r.stdout)["profiles"] == [], "profiles after a restart: %r" % (r,))
    finally:
        c.stop()
        b.stop()


TESTS = {
    "commands": test_commands,
    "retained": test_retained,
    "lwt": test_lwt,
    "reconnect": test_reconnect,
    "acl": test_acl,
    "tls": test_tls,
    "chairctl": test_chairctl,
    "mqtt311": test_mqtt311,
    "profiles": test_profiles,
    "valgrind": test_valgrind,
}


def main():
    for tool in ("mosquitto", "mosquitto_pub", "mosquitto_sub", "mosquitto_rr", "mosquitto_passwd"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            print("SKIP: %s not installed (apt-get install mosquitto mosquitto-clients)" % tool)
            return 77
    if not shutil.which("mosquitto"):
        os.environ["PATH"] += ":/usr/sbin"
    for b in (CHAIRD, CHAIRCTL):
        if not os.access(b, os.X_OK):
            print("FAIL: %s not built" % b)
            return 1
    names = sys.argv[1:] or list(TESTS)
    if "valgrind" in names and not shutil.which("valgrind"):
        print("SKIP: valgrind not installed (apt-get install valgrind)")
        return 77
    if "valgrind" in names and os.environ.get("CHAIRD_VALGRIND_SKIP") == "1":
        print("SKIP: CHAIRD_VALGRIND_SKIP=1 (a sanitizer build: ASan and valgrind do not mix)")
        return 77
    failed = 0
    for n in names:
        tmp = tempfile.mkdtemp(prefix="chaird-mqtt-%s-" % n)
        t0 = time.time()
        try:
            TESTS[n](tmp)
            print("ok   %s (%.1f s)" % (n, time.time() - t0))
            if not os.environ.get("CHAIRD_KEEP_TMP"):
                shutil.rmtree(tmp, ignore_errors=True)
        except Exception as e:   # report every failure with its logs kept
            failed += 1
            for listener in LISTENERS:
                listener.close()
            print("FAIL %s: %s (logs in %s)" % (n, e, tmp))
            for f in sorted(os.listdir(tmp)):
                if f.endswith(".log"):
                    with open(os.path.join(tmp, f)) as fh:
                        print("---- %s\n%s" % (f, fh.read()[-3000:]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
