#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""chaird at the edges of MQTT (issue 15, docs/security.md), against a real mosquitto.

  flood-stop      junk at 500 messages/s on <base>/set: 20 of 20 owner stops accepted,
                  each leaving every output safe; a flood of valid commands spends the
                  command budget and still stop and pause pass
  flood-memory    60,000 "online" on homeassistant/status and floods on <base>/set and
                  <base>/sim/set: VmLck grows by less than 1 MiB, discovery at most once
                  per 5 s, chaird answers afterwards
  response-topic  response topics honoured only under <base>/reply/
  retained-live   a retained command published while chaird is subscribed is dropped
  utf8            invalid UTF-8 is bad_json and never echoed
  broker-acl      the shipped broker snippet and chaird-broker-setup: anonymous clients
                  and wrong passwords are refused, the owner commands but cannot fake
                  chaird's topics or read diagnostics, the technician reads them, Home
                  Assistant reads discovery, chaird logs in from its credentials
  broker-tls      the snippet's TLS listener switched on as docs/security.md says:
                  chaird and the owner's chairctl over TLS with their logins

Reuses tests/test-mqtt.py's broker, chair and client helpers.  Exit 77 when mosquitto
or its clients are missing.  No wall-clock limits are asserted (stop latency is a
figure of bench/mqtt-edges.py, docs/performance.md).
"""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

_spec = importlib.util.spec_from_file_location("tmqtt", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                                     "test-mqtt.py"))
T = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(T)
BASE, CHAIR, check, Fail = T.BASE, T.CHAIR, T.check, T.Fail
SOURCE = T.SOURCE


class Flood:
    """mosquitto_pub -l fed from a thread: `rate` lines per second (0: as fast as it
    takes them) cycling through `payloads` (bytes, no newline), `total` at most."""

    def __init__(self, broker, topic, payloads, rate=0, total=None, user=None):
        a = ["mosquitto_pub"] + T.client_args(broker, user) + ["-t", topic, "-q", "0", "-l"]
        self.proc = subprocess.Popen(a, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.payloads, self.rate, self.total = payloads, rate, total
        self.sent = 0
        self.stop_evt = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        t0 = time.time()
        batch = 10
        try:
            while not self.stop_evt.is_set() and (self.total is None or self.sent < self.total):
                n = batch if self.total is None else min(batch, self.total - self.sent)
                chunk = b"".join(self.payloads[(self.sent + i) % len(self.payloads)] + b"\n" for i in range(n))
                self.proc.stdin.write(chunk)
                self.proc.stdin.flush()
                self.sent += n
                if self.rate:
                    delay = t0 + self.sent / self.rate - time.time()
                    if delay > 0:
                        time.sleep(delay)
        except (BrokenPipeError, OSError):
            pass

    def wait(self, timeout=300):
        self.thread.join(timeout)

    def close(self):
        self.stop_evt.set()
        self.thread.join(10)
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# Junk that never parses: every kind of refusal the parser has, none of which may
# spend the owner's command budget.
JUNK = [b"{", b"\xff\xfe\xfd", b"[1,2]", b'{"action":"dance"}', b'{"action":"set","intensity":99}',
        b'{"action":"start","program":"nope"}', b'{"action":"start","program":"\xc3"}',
        b'{"action":"stop","extra":1}', b"x" * 5000, b'{"id":{"a":1},"action":"stop"}']


def st(b, **kw):
    return T.state(b, **kw) or {}


def wait_safe_idle(b, what, **kw):
    T.wait_for(what, lambda: (lambda s: s.get("state") == "idle" and s.get("all_safe") is True)(st(b, **kw)),
               timeout=30)


def diag(b, **kw):
    """Fresh diagnostics.  Retried: right after a flood the command budget may still
    be spent by messages chaird has yet to read (a refusal is then not even answered)."""
    def ask():
        r, _ = T.rr(b, json.dumps({"action": "diag"}), timeout=3, corr="diag-%d" % time.monotonic_ns(), **kw)
        return r and r.get("ok")
    T.wait_for("an answer to diag", ask, timeout=120, interval=1)
    return T.payload_json(T.retained(b, BASE + "/diagnostics", **kw))


def test_flood_stop(tmp):
    b = T.Broker(tmp).start()
    c = T.Chair(tmp, b).start()
    flood = None
    try:
        T.wait_online(b)
        flood = Flood(b, BASE + "/set", JUNK, rate=500)
        accepted = 0
        for i in range(20):
            # the owner's start: junk must not have spent the command budget
            T.expect_reply(b, {"action": "start", "program": "lumbar-relief", "id": "s%d" % i}, corr="s%d" % i)
            T.wait_for("outputs driven (session %d)" % i, lambda: st(b).get("all_safe") is False, timeout=30)
            r = T.expect_reply(b, {"action": "stop", "id": "x%d" % i}, corr="x%d" % i)
            accepted += r.get("ok") is True
            wait_safe_idle(b, "idle with every output safe after stop %d" % i)
        sent = flood.sent
        flood.close()
        flood = None
        check(accepted == 20, "%d of 20 stops accepted" % accepted)
        check(sent >= 1000, "the junk flood ran (%d messages)" % sent)
        d = diag(b)
        check(d["mqtt"]["commands"] >= sent * 0.9, "chaird read the flood (%r of %d)" % (d["mqtt"], sent))

        # Valid commands at 200/s spend the 20/s command budget; stop and pause do not use it.
        T.expect_reply(b, {"action": "start", "program": "lumbar-relief"}, corr="s-valid")
        replies = T.Listener(b, [BASE + "/reply"]).ready()
        flood = Flood(b, BASE + "/set", [b'{"action":"set","intensity":3,"id":"junk"}'], rate=200)
        seen = replies.collect(200, 15)
        limited = [m for m in seen if T.payload_json(m).get("error", {}).get("code") == "rate_limited"]
        check(limited, "the valid-command flood was rate limited (%d replies)" % len(seen))
        T.expect_reply(b, {"action": "pause"}, corr="p-valid")
        T.wait_for("paused under the flood", lambda: st(b).get("state") == "paused")
        T.expect_reply(b, {"action": "stop"}, corr="x-valid")
        wait_safe_idle(b, "idle and safe after a stop under a valid-command flood")
        replies.close()
    finally:
        if flood:
            flood.close()
        c.stop()
        b.stop()


def vm(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])      # kB
    return 0


def test_flood_memory(tmp):
    b = T.Broker(tmp).start()
    c = T.Chair(tmp, b).start()
    floods = []
    try:
        T.wait_online(b)
        pid = c.proc.pid
        time.sleep(1)
        before = vm(pid, "VmLck")
        if before == 0:
            print("SKIP: chaird could not lock its memory here (VmLck 0): nothing to measure")
            raise SystemExit(77)
        disc = T.Listener(b, ["homeassistant/device/%s/config" % CHAIR]).ready()
        t0 = time.time()
        floods = [Flood(b, "homeassistant/status", [b"online"], total=60000),
                  Flood(b, BASE + "/set", JUNK + [b'{"action":"diag"}', b'{"action":"set","intensity":2}'],
                        total=20000),
                  Flood(b, BASE + "/sim/set", [b'{"occupied":true}', b"{", b'{"nope":1}'], total=20000),
                  Flood(b, "homeassistant/status", [b"offline", b"x" * 3000], total=5000)]
        for f in floods:
            f.wait()
        for f in floods:
            f.close()
        sent = sum(f.sent for f in floods)
        floods = []
        # chaird has read everything once it answers a command sent after the floods
        d = diag(b)
        elapsed = time.time() - t0
        time.sleep(6)        # the coalesced discovery republish at the end of its window
        after = vm(pid, "VmLck")
        n_disc = len(disc.collect(1000, 3))
        disc.close()
        print("VmLck %d kB before, %d kB after %d messages in %.1f s; %d discovery messages; mqtt %r"
              % (before, after, sent, elapsed, n_disc, d["mqtt"]))
        m = T.retained(b, BASE + "/availability")
        check(m and m["payload"] == "online", "availability after the floods: %r" % m)
        check(sent == 105000, "every flood message sent (%d)" % sent)
        check(after - before < 1024, "VmLck grew by %d kB (limit 1024)" % (after - before))
        # at most one per 5 s window, the retained copy on subscribe and the trailing one
        check(n_disc <= elapsed / 5 + 3, "%d discovery publishes in %.1f s" % (n_disc, elapsed))
        check(n_disc >= 1, "discovery never republished for 60,000 onlines")
        check(d["mqtt"]["rate_limited"] > 0, "the command floods were limited: %r" % d["mqtt"])
        T.expect_reply(b, {"action": "start", "program": "lumbar-relief"}, corr="after")
        T.expect_reply(b, {"action": "stop"}, corr="after-stop")
        wait_safe_idle(b, "idle after the floods")
    finally:
        for f in floods:
            f.close()
        c.stop()
        b.stop()


def test_response_topic(tmp):
    b = T.Broker(tmp).start()
    c = T.Chair(tmp, b).start()
    try:
        T.wait_online(b)
        watch = T.Listener(b, [BASE + "/#", "elsewhere/#"]).ready()
        watch.collect(100, 2)          # the retained topics on subscribe
        for i, rt in enumerate([BASE + "/availability", BASE + "/state", "elsewhere/x", BASE + "/reply",
                                BASE + "/replyx", BASE + "/reply/", BASE + "/set"]):
            T.pub(b, BASE + "/set", json.dumps({"action": "diag", "id": "rt%d" % i}),
                  extra=["-D", "publish", "response-topic", rt, "-D", "publish", "correlation-data", "c%d" % i])
        got = watch.collect(100, 5)
        watch.close()
        replies = [T.payload_json(m) for m in got if m["topic"] == BASE + "/reply"]
        check(sorted(r.get("id") for r in replies) == ["rt%d" % i for i in range(7)],
              "each command answered once on <base>/reply: %r" % [r.get("id") for r in replies])
        def is_reply(m):
            try:
                return "ok" in T.payload_json(m)
            except (ValueError, TypeError):
                return False
        bad = [m["topic"] for m in got if m["topic"] != BASE + "/reply" and is_reply(m)]
        check(not bad, "chaird answered on topics outside <base>/reply/: %r" % bad)
        m = T.retained(b, BASE + "/availability")
        check(m and m["payload"] == "online", "availability after the attempts: %r" % m)
        # under <base>/reply/ the response topic is honoured, with the correlation data
        r, props = T.rr(b, json.dumps({"action": "diag", "id": "ok"}), corr="fine")
        check(r and r.get("id") == "ok" and props.get("correlation-data") == "fine", "rr: %r %r" % (r, props))
    finally:
        c.stop()
        b.stop()


def test_retained_live(tmp):
    b = T.Broker(tmp).start()
    c = T.Chair(tmp, b).start()
    try:
        T.wait_online(b)
        replies = T.Listener(b, [BASE + "/reply"]).ready()
        T.pub(b, BASE + "/set", json.dumps({"action": "start", "program": "lumbar-relief", "id": "ret"}), retain=True)
        T.pub(b, BASE + "/set", "", retain=True)      # clear it from the broker at once
        got = replies.collect(1, 3)
        replies.close()
        check(not got, "a live retained command was answered: %r" % got)
        check(st(b).get("state") == "idle", "a live retained start started the chair: %r" % st(b))
        d = diag(b)
        check(d["mqtt"]["ignored_retained"] >= 1, "ignored_retained: %r" % d["mqtt"])
        T.expect_reply(b, {"action": "start", "program": "lumbar-relief"}, corr="live")
        T.expect_reply(b, {"action": "stop"}, corr="live-stop")
    finally:
        c.stop()
        b.stop()


def raw_replies(b, payloads):
    """Publish each payload (bytes) on <base>/set and return the raw reply payloads (bytes)."""
    p = subprocess.Popen(["mosquitto_sub"] + T.client_args(b) + ["-t", BASE + "/reply", "-F", "%x",
                                                                  "-C", str(len(payloads)), "-W", "15"],
                         stdout=subprocess.PIPE, text=True)
    time.sleep(1)
    for x in payloads:
        subprocess.run(["mosquitto_pub"] + T.client_args(b) + ["-t", BASE + "/set", "-q", "1", "-s"],
                       input=x, check=True, capture_output=True)
    out, _ = p.communicate(timeout=30)
    return [bytes.fromhex(line.strip()) for line in out.splitlines() if line.strip()]


def test_utf8(tmp):
    b = T.Broker(tmp).start()
    c = T.Chair(tmp, b).start()
    try:
        T.wait_online(b)
        bad = [b'{"action":"start","program":"lumb\xff","id":"u1"}',
               b'{"action":"stop","id":"\xc3\x28"}',
               b'{"action":"dance\xed\xa0\x80","id":3}',           # a UTF-8 encoded surrogate
               b'{"action":"start","program":"\xc0\xaf"}',          # overlong "/"
               b'{"action":"start","program":"a' + "é".encode() * 40 + b'"}']   # valid; cut at 64 bytes
        got = raw_replies(b, bad)
        check(len(got) == len(bad), "%d replies to %d commands" % (len(got), len(bad)))
        for raw in got:
            try:
                text = raw.decode("utf-8", errors="strict")
                r = json.loads(text)
            except ValueError as e:
                check(False, "a reply is not valid UTF-8 JSON (%s): %r" % (e, raw))
                continue
            check(r.get("ok") is False, "refused: %r" % r)
        codes = sorted(json.loads(x)["error"]["code"] for x in got)
        check(codes == ["bad_json"] * 4 + ["unknown_program"], "codes: %r" % codes)
        ids = [json.loads(x).get("id") for x in got]
        check("u1" not in ids and 3 not in ids, "an id of an invalid message was echoed: %r" % ids)
        check(st(b).get("state") == "idle", "something started")
    finally:
        c.stop()
        b.stop()


class SnippetBroker(T.Broker):
    """mosquitto run on the snippet chaird-broker-setup enabled (only the port chosen here)."""

    def __init__(self, tmp, conf):
        super().__init__(tmp)
        self.snippet = conf

    def start(self):
        os.chmod(self.tmp, 0o755)
        self.conf = self.snippet
        self.log = open(os.path.join(self.tmp, "mosquitto-%d.log" % self.port), "a")
        self.proc = subprocess.Popen(["mosquitto", "-c", self.conf], stdout=self.log, stderr=self.log)
        T.wait_port(self.port)
        return self


def pub_rc(b, topic, payload, user=None, retain=False):
    a = ["mosquitto_pub"] + T.client_args(b, user) + ["-t", topic, "-m", payload, "-q", "1"]
    if retain:
        a.append("-r")
    return subprocess.run(a, capture_output=True, text=True, timeout=20).returncode


def broker_setup(tmp, port):
    """chaird-broker-setup into tmp; returns its directories."""
    share = os.path.join(SOURCE, "packaging", "mosquitto")
    d = {k: os.path.join(tmp, k) for k in ("mosquitto", "credstore", "secrets", "home")}
    r = subprocess.run(["sh", os.path.join(share, "chaird-broker-setup"), "--share-dir", share,
                        "--mosquitto-dir", d["mosquitto"], "--credstore", d["credstore"],
                        "--secrets-dir", d["secrets"], "--chairctl-home", d["home"], "--port", str(port),
                        "--bind", "127.0.0.1", "--no-restart"], capture_output=True, text=True)
    check(r.returncode == 0, "chaird-broker-setup: %r" % (r,))
    for x in (tmp, d["mosquitto"], os.path.join(d["mosquitto"], "conf.d")):
        os.chmod(x, 0o755)
    os.chmod(os.path.join(d["mosquitto"], "chaird.passwd"), 0o644)
    d["conf"] = os.path.join(d["mosquitto"], "conf.d", "chaird.conf")
    return d


def check_web_option(tmp):
    """chaird-broker-setup --web also enables the web remote's listener (installed
    as chaird-web.conf next to the snippet), on the port asked for."""
    share = os.path.join(tmp, "share")
    os.makedirs(share)
    for src, dst in (("packaging/mosquitto/chaird.conf", "chaird.conf"), ("packaging/mosquitto/chaird.acl", "chaird.acl"),
                     ("web/mosquitto-web.conf", "chaird-web.conf")):
        shutil.copy(os.path.join(SOURCE, src), os.path.join(share, dst))
    d = {k: os.path.join(tmp, k) for k in ("mosquitto", "credstore", "secrets")}
    r = subprocess.run(["sh", os.path.join(SOURCE, "packaging", "mosquitto", "chaird-broker-setup"), "--share-dir", share,
                        "--mosquitto-dir", d["mosquitto"], "--credstore", d["credstore"], "--secrets-dir", d["secrets"],
                        "--chairctl-home", "none", "--port", "18830", "--web", "18080", "--no-restart"],
                       capture_output=True, text=True)
    web = os.path.join(d["mosquitto"], "conf.d", "chaird-web.conf")
    text = open(web).read() if os.path.exists(web) else ""
    check(r.returncode == 0 and "listener 18080\n" in text and "protocol websockets" in text and "http_dir" in text,
          "chaird-broker-setup --web enables the web listener on its port (%r)" % (r.stdout.strip() or r.stderr.strip()))


def test_broker_tls(tmp):
    """docs/security.md's TLS step on the enabled snippet: its commented TLS listener
    switched on with a certificate made here; chaird (credentials and a verified
    server certificate) and the owner's chairctl over TLS; anonymous refused there too."""
    if not shutil.which("openssl"):
        print("SKIP: openssl missing")
        raise SystemExit(77)
    port, tls_port = T.free_port(), T.free_port()
    d = broker_setup(tmp, port)
    ca = T.make_ca(tmp, "ca")
    with open(os.path.join(tmp, "san.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    T.openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key",
              "-out", "server.csr", cwd=tmp)
    T.openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
              "-days", "2", "-extfile", "san.ext", "-out", "server.crt", cwd=tmp)
    for f in ("server.key", "server.crt", "ca.crt"):
        os.chmod(os.path.join(tmp, f), 0o644)
    with open(d["conf"]) as f:
        text = f.read()
    check("#listener 8883" in text, "the snippet has no TLS listener to switch on")
    text = (text.replace("#listener 8883", "listener %d 127.0.0.1" % tls_port)
            .replace("#certfile /etc/mosquitto/certs/server.crt", "certfile " + os.path.join(tmp, "server.crt"))
            .replace("#keyfile /etc/mosquitto/certs/server.key", "keyfile " + os.path.join(tmp, "server.key")))
    with open(d["conf"], "w") as f:
        f.write(text)
    b = SnippetBroker(tmp, d["conf"])
    b.port = port
    b.start()
    T.wait_port(tls_port)
    tb = T.Broker(tmp, port=tls_port)       # a handle on the TLS listener for the helpers
    c = T.Chair(tmp, tb, mqtt_extra="  tls: { enabled: true, cafile: %s }\n" % ca)
    c.start(env={"CREDENTIALS_DIRECTORY": d["credstore"]})
    with open(os.path.join(d["secrets"], "owner.password")) as f:
        owner = ("owner", f.read().strip())
    try:
        T.wait_online(tb, user=owner, tls=ca)
        check(subprocess.run(["mosquitto_pub"] + T.client_args(tb, tls=ca) + ["-t", BASE + "/set", "-m", "{}"],
                             capture_output=True, timeout=20).returncode != 0,
              "an anonymous client got in over TLS")
        env = dict(T.ctl_env(tb, tmp), HOME=d["home"], CHAIRCTL_BROKER="127.0.0.1:%d" % tls_port,
                   CHAIRCTL_CAFILE=ca)
        r = T.ctl(tb, "--chair", CHAIR, "start", "lumbar-relief", "--minutes", "5", env=env)
        check(r.returncode == 0, "owner's chairctl start over TLS: %r" % (r,))
        r = T.ctl(tb, "--chair", CHAIR, "stop", env=env)
        check(r.returncode == 0, "owner's chairctl stop over TLS: %r" % (r,))
        wait_safe_idle(tb, "idle and safe after the stop over TLS", user=owner, tls=ca)
    finally:
        c.stop()
        b.stop()


def test_broker_acl(tmp):
    """The shipped snippet and ACL, enabled by chaird-broker-setup, on a real mosquitto."""
    check_web_option(os.path.join(tmp, "web-option"))
    share = os.path.join(SOURCE, "packaging", "mosquitto")
    d = {k: os.path.join(tmp, k) for k in ("mosquitto", "credstore", "secrets", "home")}
    port = T.free_port()
    r = subprocess.run(["sh", os.path.join(share, "chaird-broker-setup"), "--share-dir", share,
                        "--mosquitto-dir", d["mosquitto"], "--credstore", d["credstore"],
                        "--secrets-dir", d["secrets"], "--chairctl-home", d["home"], "--port", str(port),
                        "--bind", "127.0.0.1", "--no-restart"], capture_output=True, text=True)
    check(r.returncode == 0, "chaird-broker-setup: %r" % (r,))
    for f in ("credstore/mqtt-username", "credstore/mqtt-password", "secrets/owner.password",
              "home/.config/chairctl.password", "home/.config/chairctl.conf"):
        mode = os.stat(os.path.join(tmp, f)).st_mode & 0o777
        check(mode == 0o600, "%s is mode %o, expected 600" % (f, mode))
    conf = os.path.join(d["mosquitto"], "conf.d", "chaird.conf")
    with open(conf) as f:
        text = f.read()
    check("allow_anonymous false" in text and "set_tcp_nodelay true" in text, "snippet: %s" % text)

    def secret(u):
        with open(os.path.join(d["secrets"], u + ".password")) as f:
            return (u, f.read().strip())
    owner, tech, ha = secret("owner"), secret("technician"), secret("homeassistant")
    # mosquitto drops root: the snippet's files must be readable by its user
    for x in (tmp, d["mosquitto"], os.path.join(d["mosquitto"], "conf.d")):
        os.chmod(x, 0o755)
    os.chmod(os.path.join(d["mosquitto"], "chaird.passwd"), 0o644)

    b = SnippetBroker(tmp, conf)
    b.port = port
    b.start()
    c = T.Chair(tmp, b)          # no username in the config: the credentials say it
    c.start(env={"CREDENTIALS_DIRECTORY": d["credstore"]})
    try:
        T.wait_online(b, user=owner)

        # anonymous: not even a connection
        check(pub_rc(b, BASE + "/set", json.dumps({"action": "start", "program": "lumbar-relief"})) != 0,
              "an anonymous client could publish")
        check(pub_rc(b, BASE + "/availability", "offline", retain=True) != 0,
              "an anonymous client could publish availability")
        check(pub_rc(b, BASE + "/set", "{}", user=("owner", "wrong")) != 0, "a wrong password got in")

        # the owner: commands yes, chaird's own topics no
        env = dict(T.ctl_env(b, tmp), HOME=d["home"], CHAIRCTL_BROKER="")
        r = T.ctl(b, "--chair", CHAIR, "start", "lumbar-relief", "--minutes", "5", env=env)
        check(r.returncode == 0, "owner's chairctl start (credentials from chaird-broker-setup): %r" % (r,))
        T.wait_for("a session", lambda: st(b, user=owner).get("state") in T.IN_SESSION)
        pub_rc(b, BASE + "/availability", "offline", user=owner, retain=True)
        pub_rc(b, BASE + "/state", json.dumps({"state": "idle", "fake": True}), user=owner, retain=True)
        pub_rc(b, BASE + "/reply/x", json.dumps({"ok": True, "fake": True}), user=owner)
        m = T.retained(b, BASE + "/availability", user=owner)
        check(m and m["payload"] == "online", "the owner faked availability: %r" % m)
        check("fake" not in st(b, user=owner), "the owner faked the state")
        check(not T.sub(b, [BASE + "/diagnostics"], 1, 2, user=owner), "the owner read diagnostics")
        r = T.ctl(b, "--chair", CHAIR, "stop", env=env)
        check(r.returncode == 0, "owner's chairctl stop: %r" % (r,))
        wait_safe_idle(b, "idle and safe after the owner's stop", user=owner)

        # technician: diagnostics; Home Assistant: discovery and its status topic
        dg = T.retained(b, BASE + "/diagnostics", user=tech)
        check(dg and "version" in T.payload_json(dg), "the technician reads diagnostics: %r" % dg)
        T.expect_reply(b, {"action": "diag"}, user=tech, corr="tech")
        disc = T.retained(b, "homeassistant/device/%s/config" % CHAIR, user=ha)
        check(disc is not None, "Home Assistant reads discovery")
        check(not T.sub(b, ["homeassistant/device/%s/config" % CHAIR], 1, 2, user=owner),
              "the owner read discovery")
        T.expect_reply(b, {"action": "start", "program": "lumbar-relief"}, user=ha, corr="ha")
        T.expect_reply(b, {"action": "stop"}, user=ha, corr="ha-stop")
        # nobody but chaird publishes discovery
        pub_rc(b, "homeassistant/device/%s/config" % CHAIR, "{}", user=ha, retain=True)
        disc2 = T.retained(b, "homeassistant/device/%s/config" % CHAIR, user=ha)
        check(disc2 and disc2["payload"] != "{}", "Home Assistant overwrote chaird's discovery")
    finally:
        c.stop()
        b.stop()


TESTS = {
    "flood-stop": test_flood_stop,
    "flood-memory": test_flood_memory,
    "response-topic": test_response_topic,
    "retained-live": test_retained_live,
    "utf8": test_utf8,
    "broker-acl": test_broker_acl,
    "broker-tls": test_broker_tls,
}


def main():
    for tool in ("mosquitto", "mosquitto_pub", "mosquitto_sub", "mosquitto_rr", "mosquitto_passwd"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            print("SKIP: %s not installed (apt-get install mosquitto mosquitto-clients)" % tool)
            return 77
    if not shutil.which("mosquitto"):
        os.environ["PATH"] += ":/usr/sbin"
    for x in (T.CHAIRD, T.CHAIRCTL):
        if not os.access(x, os.X_OK):
            print("FAIL: %s not built" % x)
            return 1
    names = sys.argv[1:] or list(TESTS)
    failed = 0
    for n in names:
        tmp = tempfile.mkdtemp(prefix="chaird-edges-%s-" % n)
        t0 = time.time()
        try:
            TESTS[n](tmp)
            print("ok   %s (%.1f s)" % (n, time.time() - t0))
            if not os.environ.get("CHAIRD_KEEP_TMP"):
                shutil.rmtree(tmp, ignore_errors=True)
        except SystemExit as e:
            if e.code == 77 and len(names) == 1:
                return 77
            raise
        except Exception as e:
            failed += 1
            for listener in T.LISTENERS:
                listener.close()
            print("FAIL %s: %s (logs in %s)" % (n, e, tmp))
            for f in sorted(os.listdir(tmp)):
                if f.endswith(".log"):
                    with open(os.path.join(tmp, f), errors="replace") as fh:
                        print("---- %s\n%s" % (f, fh.read()[-3000:]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
