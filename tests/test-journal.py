#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""chaird's journald path, end to end, with this test playing journald.

The test binds a datagram socket at /run/systemd/journal/socket, runs the real
chaird on the sim backend with stderr in a file and JOURNAL_STREAM naming that
file (as systemd does for a service whose stderr is the journal), and reads
the native-protocol entries that sd_journal_sendv() sends: the start-up line
(PRIORITY=6), session lines carrying CHAIR_PROGRAM (and CHAIR_STEP), and an
estop fault injected through a real mosquitto on <base>/sim/set, carrying
CHAIR_FAULT, CHAIR_FAULT_CONTEXT and a warning-or-worse PRIORITY.  None of
those lines may reach the stderr file.  A second run with JOURNAL_STREAM
naming another file must log to stderr and send no datagram at all.

Exit 77 (and say why) when not root, when mosquitto is missing, when the
socket cannot be created, or when something already owns the socket (a live
journald is never disturbed).  The socket, and any directory this test
created for it, are removed at the end.

usage: test-journal.py CHAIRD
"""

import array
import errno
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import importlib.util

from checks import FAILURES, check, verdict

JOURNAL_DIR = "/run/systemd/journal"
JOURNAL_SOCKET = JOURNAL_DIR + "/socket"
# two build directories running this test at once would fight over the socket
LOCK_PATH = "/run/chaird-test-journal.lock"
CHAIR = "journal"
BASE = "chaird/" + CHAIR
PROGRAM_ID = "journal-test"
# log.c's stderr format: "<level>: <message>"
STDERR_LOG_LINE = re.compile(r"^(emerg|alert|crit|error|warning|notice|info|debug): ", re.M)
FIELD_NAME = re.compile(rb"^[A-Z_][A-Z0-9_]*$")


CONFIG = """\
chair: {{ id: {chair}, name: "Journal test chair" }}
control: {{ rate_hz: 100, rt_priority: 0, max_missed_ticks: 1000 }}
hardware:
  backend: sim
  sim: {{ time_scale: 1 }}
  outputs:
    carriage: {{}}
    knead: {{}}
    tap: {{}}
    heater: {{}}
    pump: {{}}
    valve-lumbar-left: {{}}
  inputs:
    estop: {{}}
    occupancy: {{}}
    encoder: {{}}
    carriage_home: {{}}
    carriage_end: {{}}
    heater_temp: {{}}
mqtt:
  host: 127.0.0.1
  port: {port}
  keepalive: 5
programs: [{programs}]
state_dir: {state}
"""

PROGRAM = """\
id: {id}
name: Journal test
description: a long first step so that the fault lands inside the session
default_minutes: 5
steps:
  - technique: rolling
    zone: T12-S1
    duration_s: 120
    intensity: 2
    speed: 3
  - technique: kneading
    zone: L3-L5
    duration_s: 60
    intensity: 3
    speed: 2
"""


# The broker and publishing come from the MQTT tests' helpers.
_spec = importlib.util.spec_from_file_location("mqtt_helpers", os.path.join(os.path.dirname(__file__), "test-mqtt.py"))
H = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(H)


def skip(why):
    print("SKIP: " + why, flush=True)
    sys.exit(77)


class ProtocolError(Exception):
    pass


def parse_entry(data):
    """One native-protocol entry -> {FIELD: [values]}.  Fields are KEY=VALUE\\n, or
    KEY\\n<le64 length><value>\\n when the value may hold a newline."""
    fields = {}
    i = 0
    while i < len(data):
        nl = data.find(b"\n", i)
        if nl < 0:
            raise ProtocolError("field not ended by a newline at offset %d: %r" % (i, data[i:i + 40]))
        line = data[i:nl]
        eq = line.find(b"=")
        if eq >= 0:
            key, value = line[:eq], line[eq + 1:]
            i = nl + 1
        else:
            key = line
            if nl + 1 + 8 > len(data):
                raise ProtocolError("binary field %r without its length" % key)
            (n,) = struct.unpack_from("<Q", data, nl + 1)
            start = nl + 1 + 8
            end = start + n
            if end >= len(data) or data[end:end + 1] != b"\n":
                raise ProtocolError("binary field %r: %d bytes not followed by a newline" % (key, n))
            value = data[start:end]
            i = end + 1
        if not FIELD_NAME.match(key):
            raise ProtocolError("bad field name %r" % key)
        fields.setdefault(key.decode(), []).append(value.decode("utf-8", "replace"))
    return fields


class FakeJournald:
    """The socket and a thread that parses every datagram into self.entries."""

    def __init__(self):
        self.created_dirs = []
        self.sock = None
        self.entries = []
        self.errors = []
        self.lock = threading.Lock()
        self.stop_flag = False
        self.thread = None

    def bind(self):
        if os.path.lexists(JOURNAL_SOCKET):
            import stat
            st = os.lstat(JOURNAL_SOCKET)
            if not stat.S_ISSOCK(st.st_mode):
                skip("%s exists and is not a socket; not touching it" % JOURNAL_SOCKET)
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            try:
                probe.connect(JOURNAL_SOCKET)
                skip("%s is owned by a live journald (or something else); not disturbing it"
                     % JOURNAL_SOCKET)
            except ConnectionRefusedError:
                # nobody holds it: a leftover of a killed run, safe to take over
                print("note: taking over the stale socket %s" % JOURNAL_SOCKET)
                os.unlink(JOURNAL_SOCKET)
            except OSError as e:
                skip("cannot probe %s (%s); not touching it" % (JOURNAL_SOCKET, e))
            finally:
                probe.close()
        for d in ("/run/systemd", JOURNAL_DIR):
            if not os.path.isdir(d):
                try:
                    os.mkdir(d, 0o755)
                except OSError as e:
                    skip("cannot create %s: %s" % (d, e))
                self.created_dirs.append(d)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            self.sock.bind(JOURNAL_SOCKET)
        except OSError as e:
            self.sock.close()
            self.sock = None
            skip("cannot bind %s: %s" % (JOURNAL_SOCKET, e))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.settimeout(0.1)
        self.thread = threading.Thread(target=self._receive, daemon=True)
        self.thread.start()

    def _receive(self):
        fd_size = array.array("i").itemsize
        while not self.stop_flag:
            try:
                data, anc, flags, _ = self.sock.recvmsg(1 << 20, socket.CMSG_SPACE(4 * fd_size))
            except socket.timeout:
                continue
            except OSError as e:
                with self.lock:
                    self.errors.append("recvmsg: %s" % e)
                return
            fds = array.array("i")
            for level, kind, cdata in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(cdata[:len(cdata) - len(cdata) % fd_size])
            try:
                if flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC):
                    raise ProtocolError("datagram truncated (flags 0x%x)" % flags)
                if fds:
                    # a big entry: libsystemd sends a sealed memfd holding it, and no payload
                    if len(fds) != 1 or data:
                        raise ProtocolError("%d fds with %d payload bytes" % (len(fds), len(data)))
                    size = os.fstat(fds[0]).st_size
                    data = os.pread(fds[0], size, 0)
                entry = parse_entry(data)
                with self.lock:
                    self.entries.append(entry)
            except (ProtocolError, OSError) as e:
                with self.lock:
                    self.errors.append(str(e))
            finally:
                for fd in fds:
                    os.close(fd)

    def count(self):
        with self.lock:
            return len(self.entries)

    def wait_for(self, pred, start=0, seconds=30, proc=None):
        """First entry from index start on for which pred holds.  The time limit is a guard
        against hangs, not an assertion."""
        end = time.monotonic() + seconds
        while True:
            with self.lock:
                snapshot = self.entries[start:]
            for e in snapshot:
                if pred(e):
                    return e
            if time.monotonic() >= end or (proc and proc.poll() is not None):
                return None
            time.sleep(0.05)

    def close(self):
        self.stop_flag = True
        if self.thread:
            self.thread.join(5)
        if self.sock:
            self.sock.close()
            try:
                os.unlink(JOURNAL_SOCKET)
            except FileNotFoundError:
                pass
        for d in reversed(self.created_dirs):
            try:
                os.rmdir(d)
            except OSError as e:
                print("warning: cannot remove %s: %s" % (d, e))


def one(entry, key):
    v = entry.get(key)
    return v[0] if v and len(v) == 1 else None


def message(entry):
    return one(entry, "MESSAGE") or ""


class Chaird:
    """chaird --run PROGRAM with stdout and stderr in files of their own."""

    def __init__(self, chaird, tmp, name, config, journal_stream_of):
        self.stderr_path = os.path.join(tmp, name + ".stderr")
        self.stdout_path = os.path.join(tmp, name + ".stdout")
        self.stderr = open(self.stderr_path, "w")
        self.stdout = open(self.stdout_path, "w")
        # JOURNAL_STREAM names the file that journal_stream_of is: stderr's own, or another
        st = os.fstat(journal_stream_of(self).fileno())
        env = dict(os.environ)
        for k in ("NOTIFY_SOCKET", "WATCHDOG_PID", "WATCHDOG_USEC", "LISTEN_FDS", "LISTEN_PID"):
            env.pop(k, None)
        env["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
        self.proc = subprocess.Popen([chaird, "--config", config, "--run", PROGRAM_ID],
                                     env=env, stdout=self.stdout, stderr=self.stderr)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def stderr_text(self):
        self.stderr.flush()
        with open(self.stderr_path, errors="replace") as f:
            return f.read()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()
        self.stdout.close()


def wait_text(fn, needle, proc, seconds=30):
    end = time.monotonic() + seconds
    while needle not in fn():
        if time.monotonic() > end or proc.poll() is not None:
            return needle in fn()
        time.sleep(0.05)
    return True


def test_journal(chaird, tmp, config, jd, broker):
    print("# JOURNAL_STREAM is stderr: every line goes to the journal socket")
    c = Chaird(chaird, tmp, "journal", config, lambda c: c.stderr)
    try:
        start = jd.wait_for(lambda e: re.match(r"chaird \S+: config ", message(e)), proc=c.proc)
        check(start is not None, "start-up line received as a journal entry")
        if start:
            check(one(start, "PRIORITY") == "6", "start-up line PRIORITY=6 (%r)" % start.get("PRIORITY"))
            check("sim backend" in message(start), "start-up MESSAGE names the backend (%r)" % message(start))

        started = jd.wait_for(lambda e: message(e).startswith("session started: "), proc=c.proc)
        check(started is not None, "'session started' entry received")
        if started:
            check(one(started, "CHAIR_PROGRAM") == PROGRAM_ID,
                  "session started: CHAIR_PROGRAM=%s (%r)" % (PROGRAM_ID, started.get("CHAIR_PROGRAM")))
            check(one(started, "PRIORITY") == "6", "session started: PRIORITY=6")
            check("CHAIR_FAULT" not in started, "session started: no CHAIR_FAULT")
        step = jd.wait_for(lambda e: message(e).startswith("step 1: "), proc=c.proc)
        check(step is not None and one(step, "CHAIR_STEP") == "1" and one(step, "CHAIR_PROGRAM") == PROGRAM_ID,
              "'step 1' entry carries CHAIR_STEP=1 and CHAIR_PROGRAM (%r)" % step)

        # the sim's estop; chaird may not have subscribed yet, so repeat until it lands
        mark = jd.count()
        fault = None
        deadline = time.monotonic() + 30
        while fault is None and time.monotonic() < deadline and c.proc.poll() is None:
            H.pub(broker, BASE + "/sim/set", json.dumps({"estop": True}))
            fault = jd.wait_for(lambda e: "CHAIR_FAULT" in e and message(e).startswith("fault: "),
                                start=mark, seconds=1, proc=c.proc)
        check(fault is not None, "estop fault entry received")
        if fault:
            check(one(fault, "CHAIR_FAULT") == "estop", "fault: CHAIR_FAULT=estop (%r)" % fault.get("CHAIR_FAULT"))
            prio = one(fault, "PRIORITY")
            check(prio is not None and prio.isdigit() and int(prio) <= 4,
                  "fault: PRIORITY warning or worse (%r)" % prio)
            ctx = one(fault, "CHAIR_FAULT_CONTEXT")
            check(bool(ctx), "fault: CHAIR_FAULT_CONTEXT present (%r)" % ctx)
            check(ctx is not None and ctx in message(fault), "fault: the MESSAGE quotes the context")
            check(ctx is not None and ("program=" + PROGRAM_ID) in ctx and not ctx.startswith("state=fault")
                  and not ctx.startswith("state=idle"),
                  "fault: the context says what the chair was doing, not the state after (%r)" % ctx)
            check(one(fault, "CHAIR_PROGRAM") == PROGRAM_ID,
                  "fault in a session: CHAIR_PROGRAM=%s (%r)" % (PROGRAM_ID, fault.get("CHAIR_PROGRAM")))
            step_field = one(fault, "CHAIR_STEP")
            check(step_field is not None and step_field.isdigit() and int(step_field) >= 1,
                  "fault in a session: CHAIR_STEP (%r)" % step_field)

        mark = jd.count()
        H.pub(broker, BASE + "/sim/set", json.dumps({"estop": False}))
        cleared = None
        deadline = time.monotonic() + 30
        while cleared is None and time.monotonic() < deadline and c.proc.poll() is None:
            H.pub(broker, BASE + "/set", json.dumps({"action": "clear_faults"}))
            cleared = jd.wait_for(lambda e: message(e).startswith("fault cleared: "),
                                  start=mark, seconds=1, proc=c.proc)
        check(cleared is not None and one(cleared, "CHAIR_FAULT") == "estop" and one(cleared, "PRIORITY") == "5",
              "'fault cleared' entry: CHAIR_FAULT=estop, PRIORITY=5 (%r)" % cleared)

        rc = c.stop()
        check(rc == 0, "exit 0 after SIGTERM (rc %r)" % rc)
        last = jd.wait_for(lambda e: message(e) == "outputs safe at exit", seconds=5)
        check(last is not None, "the last line ('outputs safe at exit') reached the journal too")

        with jd.lock:
            entries = list(jd.entries)
            errors = list(jd.errors)
        check(not errors, "every datagram parsed (%s)" % "; ".join(errors[:3]))
        bad = [e for e in entries
               if one(e, "MESSAGE") is None
               or not re.fullmatch(r"[0-7]", one(e, "PRIORITY") or "")
               or ("ERRNO" in e and not re.fullmatch(r"[1-9][0-9]*", one(e, "ERRNO") or ""))
               or ("CHAIR_STEP" in e and not re.fullmatch(r"[1-9][0-9]*", one(e, "CHAIR_STEP") or ""))]
        ended = [e for e in entries if message(e).startswith("session ended (fault)")]
        check(len(ended) == 1 and one(ended[0], "CHAIR_PROGRAM") == PROGRAM_ID,
              "'session ended (fault)' entry: CHAIR_PROGRAM=%s (%r)" % (PROGRAM_ID, ended))
        unnamed = [e for e in entries if one(e, "CHAIR_PROGRAM") in ("", "?")]
        check(not unnamed, "no CHAIR_PROGRAM without a program (%r)" % unnamed[:2])
        check(not bad, "%d entries, each one MESSAGE and PRIORITY 0..7, ERRNO/CHAIR_STEP numeric (bad: %r)"
              % (len(entries), bad[:2]))
        if FAILURES:
            for e in entries:
                print("  entry: " + " ".join("%s=%s" % (k, v[0]) for k, v in e.items()
                                             if k in ("PRIORITY", "MESSAGE", "ERRNO") or k.startswith("CHAIR_")))
        err = c.stderr_text()
        leaked = STDERR_LOG_LINE.findall(err)
        check(not leaked, "no log line in the stderr file (%d found: %r)" % (len(leaked), err[:300]))
        dup = [message(e) for e in entries if message(e) and message(e) in err]
        check(not dup, "no journal MESSAGE also in the stderr file (%r)" % dup[:2])
    finally:
        c.close()


def test_not_journal(chaird, tmp, config, jd):
    print("# JOURNAL_STREAM names another file: lines go to stderr, no datagram")
    mark = jd.count()
    c = Chaird(chaird, tmp, "stderr", config, lambda c: c.stdout)
    try:
        check(wait_text(c.stderr_text, "info: session started: " + PROGRAM_ID, c.proc),
              "'session started' line on stderr")
        rc = c.stop()
        check(rc == 0, "exit 0 after SIGTERM (rc %r)" % rc)
        err = c.stderr_text()
        check(re.search(r"^info: chaird \S+: config ", err, re.M) is not None, "start-up line on stderr")
        check("info: outputs safe at exit" in err, "last line on stderr")
        # the socket stayed bound and writable all along: only JOURNAL_STREAM decided.
        # Our own marker datagram, sent after chaird exited, is read after anything
        # chaird sent (one socket, in order): once it is in, the count is final.
        marker = "MESSAGE=test-journal marker %d" % os.getpid()
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(marker.encode() + b"\n", JOURNAL_SOCKET)
        seen = jd.wait_for(lambda e: message(e) == marker.split("=", 1)[1], start=mark, seconds=10)
        check(seen is not None, "the marker datagram was received")
        with jd.lock:
            chaird_entries = [e for e in jd.entries[mark:] if e is not seen]
        check(not chaird_entries, "no datagram while stderr is not the journal stream (%d: %r)"
              % (len(chaird_entries), chaird_entries[:2]))
    finally:
        c.close()


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    chaird = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0:
        skip("not root: cannot bind %s" % JOURNAL_SOCKET)
    for tool in ("mosquitto", "mosquitto_pub"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            skip("%s not installed" % tool)
    if not shutil.which("mosquitto"):
        os.environ["PATH"] += ":/usr/sbin"

    # meson sends SIGTERM on a timeout: run the finally blocks then too
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    try:
        lock = open(LOCK_PATH, "w")
    except OSError as e:
        skip("cannot open %s: %s" % (LOCK_PATH, e))
    end = time.monotonic() + 300
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError as e:
            if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN) or time.monotonic() > end:
                skip("another run holds %s" % LOCK_PATH)
            time.sleep(0.2)

    tmp = tempfile.mkdtemp(prefix="test-journal-")
    jd = FakeJournald()
    broker = None
    try:
        jd.bind()
        broker = H.Broker(tmp).start()     # first: it makes tmp's files readable to mosquitto
        os.mkdir(os.path.join(tmp, "programs"))
        with open(os.path.join(tmp, "programs", PROGRAM_ID + ".yaml"), "w") as f:
            f.write(PROGRAM.format(id=PROGRAM_ID))
        config = os.path.join(tmp, "chaird.yaml")
        with open(config, "w") as f:
            f.write(CONFIG.format(chair=CHAIR, port=broker.port, programs=os.path.join(tmp, "programs"),
                                  state=tmp))
        test_journal(chaird, tmp, config, jd, broker)
        test_not_journal(chaird, tmp, config, jd)
    finally:
        if broker:
            broker.stop()
        jd.close()
        if FAILURES:
            print("  (kept %s)" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        lock.close()
    check(not os.path.lexists(JOURNAL_SOCKET), "socket removed")
    return verdict()


if __name__ == "__main__":
    sys.exit(main())
