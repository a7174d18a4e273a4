#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""MQTT edge figures (issue 15; docs/performance.md "MQTT latency and floods").

  bench/mqtt-edges.py latency [N]   request→reply p50/p99 of N (200) paced commands
                                    through a stock mosquitto and through one with the
                                    shipped snippet's set_tcp_nodelay, next to the
                                    bare-echo floor on the same broker
  bench/mqtt-edges.py flood [N]     N (20) owner start+stop pairs while junk arrives at
                                    500 messages/s on <base>/set: stop publish → reply,
                                    and stop publish → every output safe (chaird's state)

Prints a Markdown block.  Uses $BUILD_DIR (default build/) for chaird.  Figures are
measured in this run on this machine; nothing is hard-coded.
"""
import json
import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.abspath(os.environ.get("BUILD_DIR", os.path.join(TOP, "build")))
CHAIRD = os.path.join(BUILD, "daemon", "chaird")
sys.path.insert(0, os.path.join(TOP, "bench"))
sys.dont_write_bytecode = True
import mqttbench  # noqa: E402  (a minimal MQTT 3.1.1 client over a plain socket)

BASE = "chaird/chair"


class QuickAckClient(mqttbench.Client):
    """The bench client ACKs every segment at once (TCP_QUICKACK after each read), so
    a stock broker's Nagle on its socket to *us* does not end up in chaird's figures."""

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise RuntimeError("broker closed the connection")
            self.buf += chunk
            self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("broker did not listen on %d" % port)


def broker(tmp, extra=""):
    port = free_port()
    conf = os.path.join(tmp, "mosquitto-%d.conf" % port)
    with open(conf, "w") as f:
        f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n%s" % (port, extra))
    p = subprocess.Popen(["mosquitto", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return p, port


def chaird(tmp, port):
    """chaird on the shipped config (sim backend, 500 Hz), pointed at this broker."""
    with open(os.path.join(TOP, "config", "chaird.yaml")) as f:
        text = f.read()
    text = text.replace("#mqtt:\n", "mqtt:\n  host: 127.0.0.1\n  port: %d\n" % port, 1)
    text = text.replace("#control:\n", "control:\n  max_missed_ticks: 1000\n", 1)
    text = text.replace("programs: [programs]", "programs: [%s]" % os.path.join(TOP, "config", "programs"), 1)
    text += "\nstate_dir: %s\n" % tmp
    cfg = os.path.join(tmp, "chaird-%d.yaml" % port)
    with open(cfg, "w") as f:
        f.write(text)
    env = dict(os.environ)
    env.pop("NOTIFY_SOCKET", None)
    log = open(os.path.join(tmp, "chaird-%d.log" % port), "w")
    p = subprocess.Popen([CHAIRD, "--config", cfg], stdout=log, stderr=log, env=env)
    c = mqttbench.Client(port, "bench-wait")
    c.subscribe(BASE + "/availability")
    if not mqttbench._wait_for(c, BASE + "/availability", lambda s: s == "online", 15):
        raise RuntimeError("chaird did not come online")
    c.close()
    return p


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def pct(v, q):
    v = sorted(v)
    return v[max(0, math.ceil(q * len(v)) - 1)] * 1e6


def header():
    load = os.getloadavg()[0]
    return "_%s; %s; kernel %s; load average %.1f at start_" % (
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), platform.machine(), platform.release(), load)


def rtt(port, n, with_state, pace_s=0.055):
    """n paced `set` commands during a session, publish → reply (matched by id).  With
    with_state the client also subscribes to <base>/state, as an owner's app does."""
    c = mqttbench.Client(port, "bench-rtt")
    c.subscribe(BASE + "/reply")
    if with_state:
        c.subscribe(BASE + "/state")
    c.publish(BASE + "/set", json.dumps({"id": "start", "action": "start", "program": "lumbar-relief"}))
    if not mqttbench._wait_for(c, BASE + "/reply", lambda p: '"start"' in p, 10):
        raise RuntimeError("chaird did not answer the start command")
    time.sleep(0.5)
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        c.publish(BASE + "/set", json.dumps({"id": "b%d" % i, "action": "set", "intensity": 2 + i % 2}))
        m = mqttbench._wait_for(c, BASE + "/reply", lambda p, i=i: '"b%d"' % i in p, 5)
        t1 = time.perf_counter()
        if not m or '"ok":true' not in m[1].replace(" ", ""):
            raise RuntimeError("command %d: %r" % (i, m))
        out.append(t1 - t0)
        time.sleep(max(0.0, pace_s - (t1 - t0)))
    c.publish(BASE + "/set", json.dumps({"action": "stop"}))
    c.close()
    return out


def part_latency(n):
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, extra in (("stock mosquitto", ""),
                            ("mosquitto + `set_tcp_nodelay true` (the shipped snippet)",
                             "set_tcp_nodelay true\n")):
            b, port = broker(tmp, extra)
            try:
                d = chaird(tmp, port)
                try:
                    rows.append(("chaird, client on reply + state, " + name, rtt(port, n, True)))
                    rows.append(("chaird, client on reply only, " + name, rtt(port, n, False)))
                finally:
                    stop(d)
                rows.append(("bare echo floor, " + name, mqttbench.echo_floor(port, n)))
            finally:
                stop(b)
    out = [header(), "",
           "%d commands `{\"action\":\"set\",\"intensity\":2|3}` paced at 55 ms while `lumbar-relief` "
           "runs (500 Hz), each timed from its publish to its reply on `<base>/reply` (persistent "
           "client, TCP_NODELAY on its own socket).  Floor: `mosquitto_sub | mosquitto_pub -l` on "
           "the same broker, unpaced." % n, "",
           "| path | n | p50 | p99 | max | replies ≥ 30 ms |", "| --- | --- | --- | --- | --- | --- |"]
    for name, v in rows:
        out.append("| %s | %d | %.0f µs | %.0f µs | %.0f µs | %d |" % (
            name, len(v), pct(v, .5), pct(v, .99), max(v) * 1e6, sum(1 for x in v if x >= 0.030)))
    out += ["", "A reply ≥ 30 ms is the signature of a Nagle stall (a segment held until the peer's "
            "delayed ACK, 40 ms on Linux); the rest of the tail is this shared machine's scheduling."]
    return "\n".join(out)


def junk_flood(port, rate, stop_evt, counter):
    """Junk on <base>/set at `rate` messages/s: bad JSON, bytes, unknown actions, bad values."""
    c = mqttbench.Client(port, "bench-junk")
    junk = ["{", "\xff\xfe", "[1,2]", '{"action":"dance"}', '{"action":"set","intensity":99}',
            '{"action":"start","program":"nope"}', "x" * 5000]
    i, t0 = 0, time.perf_counter()
    while not stop_evt.is_set():
        c.publish(BASE + "/set", junk[i % len(junk)])
        i += 1
        counter[0] = i
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
    c.close()


def part_flood(n):
    out = [header(), ""]
    rows = []
    for name, extra, rate in (("stock mosquitto, no junk (baseline)", "", 0),
                              ("stock mosquitto", "", 500),
                              ("mosquitto + `set_tcp_nodelay true` (the shipped snippet)", "set_tcp_nodelay true\n",
                               500)):
        accepted, reply_lat, safe_lat, jr = flood_run(n, extra, rate)
        junk_rate = jr if rate else junk_rate if rows else 0
        rows.append((name, accepted, reply_lat, safe_lat))
    out += ["%d owner `start` + `stop` pairs while junk arrives on `<base>/set` at %.0f messages/s "
            "(bad JSON, invalid UTF-8, unknown actions, values out of range, 5,000-byte payloads).  "
            "Stop latency = the stop's publish to its reply, and to the first state message with "
            "`state: idle` and `all_safe: true` (an upper bound: the outputs went safe on the tick "
            "before that state was published)." % (n, junk_rate), "",
            "| broker | stops accepted | stop → reply p50 | max | stop → outputs safe (state) p50 | max |",
            "| --- | --- | --- | --- | --- | --- |"]
    for name, accepted, r, sl in rows:
        out.append("| %s | %d of %d | %.1f ms | %.1f ms | %.1f ms | %.1f ms |" % (
            name, accepted, n, pct(r, .5) / 1000, max(r) * 1000, pct(sl, .5) / 1000, max(sl) * 1000))
    return "\n".join(out)


def flood_run(n, extra, rate):
    reply_lat, safe_lat = [], []
    accepted = 0
    with tempfile.TemporaryDirectory() as tmp:
        b, port = broker(tmp, extra)
        try:
            d = chaird(tmp, port)
            stop_evt, counter = threading.Event(), [0]
            t = threading.Thread(target=junk_flood, args=(port, rate, stop_evt, counter), daemon=True)
            c = QuickAckClient(port, "bench-owner")
            c.subscribe(BASE + "/reply")
            c.subscribe(BASE + "/state")
            if rate:
                t.start()
            t_start = time.perf_counter()
            try:
                for i in range(n):
                    for attempt in range(20):
                        c.publish(BASE + "/set", json.dumps({"id": "s%d-%d" % (i, attempt), "action": "start",
                                                             "program": "lumbar-relief"}))
                        m = mqttbench._wait_for(c, BASE + "/reply",
                                                lambda p, k="s%d-%d" % (i, attempt): '"%s"' % k in p, 5)
                        if m and '"ok":true' in m[1].replace(" ", ""):
                            break
                        time.sleep(0.2)
                    mqttbench._wait_for(c, BASE + "/state", lambda p: '"all_safe":false' in p.replace(" ", ""), 10)
                    t0 = time.perf_counter()
                    c.publish(BASE + "/set", json.dumps({"id": "x%d" % i, "action": "stop"}))
                    got_reply = got_safe = None
                    end = t0 + 10
                    while (got_reply is None or got_safe is None) and time.perf_counter() < end:
                        m = c.receive(max(0.01, end - time.perf_counter()))
                        if not m:
                            continue
                        now = time.perf_counter()
                        if m[0] == BASE + "/reply" and '"x%d"' % i in m[1] and got_reply is None:
                            got_reply = now
                            accepted += '"ok":true' in m[1].replace(" ", "")
                        if m[0] == BASE + "/state" and got_safe is None:
                            st = json.loads(m[1])
                            if st.get("all_safe") and st.get("state") == "idle":
                                got_safe = now
                    if got_reply:
                        reply_lat.append(got_reply - t0)
                    if got_safe:
                        safe_lat.append(got_safe - t0)
            finally:
                stop_evt.set()
                if rate:
                    t.join()
                c.close()
                junk_rate = counter[0] / (time.perf_counter() - t_start)
                stop(d)
        finally:
            stop(b)
    return accepted, reply_lat, safe_lat, junk_rate


def main():
    if not shutil.which("mosquitto") and os.path.exists("/usr/sbin/mosquitto"):
        os.environ["PATH"] += ":/usr/sbin"
    part = sys.argv[1] if len(sys.argv) > 1 else "latency"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else (200 if part == "latency" else 20)
    print({"latency": part_latency, "flood": part_flood}[part](n))


if __name__ == "__main__":
    main()
