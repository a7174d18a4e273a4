# SPDX-License-Identifier: MIT
"""MQTT round-trip measurements for bench/bench.py (part 5).

A minimal MQTT 3.1.1 client over a plain socket (QoS 0 only), so the bench
needs nothing beyond python3 and the mosquitto packages: one persistent
connection measures publish-of-request to arrival-of-reply without process or
connection start-up in the figure.
"""
import json
import os
import signal
import socket
import struct
import subprocess
import time


def _remaining(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _str(s):
    b = s.encode()
    return struct.pack("!H", len(b)) + b


class Client:
    def __init__(self, port, client_id):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        var = _str("MQTT") + bytes([4, 0x02]) + struct.pack("!H", 60)
        self._send(0x10, var + _str(client_id))
        t, body = self._packet()
        if t & 0xF0 != 0x20 or body[1] != 0:
            raise RuntimeError("MQTT CONNECT refused")
        self.mid = 0

    def _send(self, first, body):
        self.s.sendall(bytes([first]) + _remaining(len(body)) + body)

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise RuntimeError("broker closed the connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _packet(self):
        first = self._read(1)[0]
        mult, n = 1, 0
        while True:
            b = self._read(1)[0]
            n += (b & 0x7F) * mult
            mult *= 128
            if not b & 0x80:
                break
        return first, self._read(n)

    def subscribe(self, topic):
        self.mid += 1
        self._send(0x82, struct.pack("!H", self.mid) + _str(topic) + b"\x00")
        while True:
            t, _ = self._packet()
            if t & 0xF0 == 0x90:
                return

    def publish(self, topic, payload):
        self._send(0x30, _str(topic) + payload.encode())

    def receive(self, timeout):
        """Next PUBLISH as (topic, payload, retained), or None on timeout."""
        self.s.settimeout(timeout)
        try:
            while True:
                first, body = self._packet()
                if first & 0xF0 != 0x30:
                    continue
                tl = struct.unpack("!H", body[:2])[0]
                topic = body[2:2 + tl].decode()
                qos = first >> 1 & 3
                payload = body[2 + tl + (2 if qos else 0):]
                return topic, payload.decode(errors="replace"), bool(first & 1)
        except socket.timeout:
            return None
        finally:
            self.s.settimeout(10)

    def close(self):
        try:
            self._send(0xE0, b"")
        except OSError:
            pass
        self.s.close()


def _wait_for(c, topic, pred, timeout):
    end = time.perf_counter() + timeout
    while True:
        left = end - time.perf_counter()
        if left <= 0:
            return None
        m = c.receive(left)
        if m and m[0] == topic and pred(m[1]):
            return m


def chaird_rtt(port, base, n, program, pace_s=0.055):
    """n commands on <base>/set, each timed to its <base>/reply (matched by id);
    paced under chaird's 20 commands/s limit.  Also state messages per second."""
    c = Client(port, "bench-rtt")
    c.subscribe(base + "/reply")
    c.subscribe(base + "/state")
    # a running session, so commands travel through the control thread
    c.publish(base + "/set", json.dumps({"id": "start", "action": "start", "program": program}))
    if not _wait_for(c, base + "/reply", lambda p: '"start"' in p, 10):
        raise RuntimeError("chaird did not answer the start command")
    time.sleep(0.5)

    rtts, refused, first_refusal = [], 0, None
    for i in range(n):
        cmd = {"id": f"b{i}", "action": "set", "intensity": 2 + i % 2}
        t0 = time.perf_counter()
        c.publish(base + "/set", json.dumps(cmd))
        m = _wait_for(c, base + "/reply", lambda p, i=i: f'"b{i}"' in p, 5)
        t1 = time.perf_counter()
        if not m:
            raise RuntimeError(f"no reply to command {i}")
        if '"ok":true' not in m[1].replace(" ", ""):
            refused += 1
            first_refusal = first_refusal or m[1]
        rtts.append(t1 - t0)
        time.sleep(max(0.0, pace_s - (t1 - t0)))
    if refused:
        raise RuntimeError(f"{refused} of {n} commands refused, first: {first_refusal}")

    # state messages per second while the session runs (the retained copy on subscribe excluded)
    count, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 10:
        m = c.receive(max(0.01, 10 - (time.perf_counter() - t0)))
        if m and m[0] == base + "/state" and not m[2]:
            count += 1
    rate = count / (time.perf_counter() - t0)
    c.close()
    return rtts, rate


def _echo_responder(port):
    """The floor: a bare responder from the mosquitto tools, no logic at all."""
    sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-t", "bench/req"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    pub = subprocess.Popen(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-t", "bench/rep", "-l"],
                           stdin=sub.stdout, stderr=subprocess.DEVNULL)
    sub.stdout.close()
    time.sleep(0.5)
    return sub, pub


def echo_floor(port, n):
    sub, pub = _echo_responder(port)
    try:
        c = Client(port, "bench-floor")
        c.subscribe("bench/rep")
        rtts = []
        for i in range(n):
            t0 = time.perf_counter()
            c.publish("bench/req", f"e{i}")
            if not _wait_for(c, "bench/rep", lambda p, i=i: p == f"e{i}", 5):
                raise RuntimeError(f"echo responder did not answer {i}")
            rtts.append(time.perf_counter() - t0)
        c.close()
        return rtts
    finally:
        for p in (sub, pub):
            p.send_signal(signal.SIGTERM)
            p.wait()


def rr_times(port, topic, resp, payload, n, pace_s=0.0):
    """n runs of mosquitto_rr (a new process and connection each time), wall time each."""
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = subprocess.run(["mosquitto_rr", "-h", "127.0.0.1", "-p", str(port), "-t", topic, "-e", resp,
                            "-m", payload, "-W", "5"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        dt = time.perf_counter() - t0
        if r.returncode != 0:
            raise RuntimeError(f"mosquitto_rr exited {r.returncode}")
        out.append(dt)
        time.sleep(max(0.0, pace_s - dt))
    return out


def rr_floor_and_chaird(port, base, n):
    sub, pub = _echo_responder(port)
    try:
        floor = rr_times(port, "bench/req", "bench/rep", "ping", n)
    finally:
        for p in (sub, pub):
            p.send_signal(signal.SIGTERM)
            p.wait()
    ch = rr_times(port, base + "/set", "bench/rr-reply", json.dumps({"action": "set", "intensity": 3}), n, 0.055)
    return ch, floor


if __name__ == "__main__":
    import sys
    print(os.path.basename(sys.argv[0]), "is a module of bench/bench.py")
