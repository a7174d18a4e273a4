#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The pain diary end to end (design C4, docs/pain-diary.md): chaird on the sim
backend with its clock sped up, a real mosquitto, driven by chairctl and
mosquitto_rr (helpers from test-mqtt.py).

Eight rated one-minute sessions of two programs, where lumbar relief at
intensity 3 with heat clearly eases more than posture at 2 without; with two
rated sessions `suggest` declines; after a restart it names lumbar relief with
the right figures.  Refusals (out of window, out of range, unknown profile),
the rated event, usage.json's version, chairctl's table, chart and CSV, the
suggestion started, and forget_profile removing the diary.

Exit 77 when mosquitto or the clients are missing."""
import csv
import importlib.util
import io
import json
import os
import shutil
import sys
import tempfile
import time

_spec = importlib.util.spec_from_file_location("mqtt_helpers", os.path.join(os.path.dirname(__file__), "test-mqtt.py"))
H = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(H)
check, ctl = H.check, H.ctl

TIME_SCALE = 60    # a one-minute session takes about a second of wall time

# (program, intensity, heat, pain before, pain after): lumbar relief eases 4, 3, 4, 5 points
# (median 4), posture 1, 0, 1, 2 (median 1).
SESSIONS = [
    ("lumbar-relief", 3, "on", 7, 3),
    ("posture", 2, "off", 6, 5),
    ("lumbar-relief", 3, "on", 6, 3),
    ("posture", 2, "off", 5, 5),
    ("lumbar-relief", 3, "on", 7, 3),
    ("posture", 2, "off", 6, 5),
    ("lumbar-relief", 3, "on", 8, 3),
    ("posture", 2, "off", 6, 4),
]


def state_now(b):
    return H.state(b) or {}


def wait_idle(b, timeout=90):
    H.wait_for("idle", lambda: state_now(b).get("state") == "idle", timeout)


def wait_session(b, timeout=30):
    H.wait_for("a session", lambda: state_now(b).get("state") in H.IN_SESSION, timeout)


def ok(r, what):
    check(r.returncode == 0, "%s: %r" % (what, r))
    return r


def refused(r, code, what):
    check(r.returncode == 1 and "(%s)" % code in r.stderr, "%s: expected %s, got %r" % (what, code, r))


def reply(b, cmd, code=None, corr="d1"):
    return H.expect_reply(b, cmd, code, corr=corr)


def play(b, env, i, session, between=None):
    program, intensity, heat, before, after = session
    # the odd ones rate "before" while idle (kept for the start), the even ones in the session's first minutes
    early = i % 2 == 1
    if early:
        ok(ctl(b, "rate", "before", str(before), "--zone", "L4", "--profile", "anna", env=env), "rate before, idle")
        if between:
            between()
    ok(ctl(b, "start", program, "--minutes", "1", "--intensity", str(intensity), "--heat", heat,
           "--profile", "anna", env=env), "start %s" % program)
    if not early:
        wait_session(b)
        ok(ctl(b, "rate", "before", str(before), "--profile", "anna", env=env), "rate before, in the session")
    wait_idle(b)
    ok(ctl(b, "rate", "after", str(after), "--profile", "anna", env=env), "rate after")


# usage.json as chaird wrote it before the diary (version 1): it must load and stay.
USAGE_V1 = {"version": 1, "sessions": [{"start": 1700000000, "program": "posture", "minutes": 10.0,
                                         "ended": "completed", "profile": "anna"}]}


def test_diary(tmp):
    with open(os.path.join(tmp, "usage.json"), "w") as f:
        json.dump(USAGE_V1, f)
    b = H.Broker(tmp).start()
    c = H.Chair(tmp, b, time_scale=TIME_SCALE).start()
    env = H.ctl_env(b, tmp)
    events = None
    try:
        H.wait_online(b)
        # refusals before anything happened
        refused(ctl(b, "rate", "after", "3", env=env), "no_session", "after with no session")
        refused(ctl(b, "rate", "before", "3", "--profile", "zoe", env=env), "unknown_profile", "unknown profile")
        reply(b, {"action": "rate", "pain": 11, "phase": "before"}, "invalid_value")
        reply(b, {"action": "rate", "pain": 5, "phase": "before", "zone": "T10"}, "invalid_value")
        r = reply(b, {"action": "history"})
        check(r["rated"] == 0 and r["sessions"] == [] and r["worsening"] is False, "empty history: %r" % r)

        events = H.Listener(b, [H.BASE + "/event"]).ready()
        for i, s in enumerate(SESSIONS[:2]):
            play(b, env, i, s)
            if i == 0:
                # "after" while a session runs is refused; the rated events came
                ok(ctl(b, "start", "posture", "--minutes", "1", env=env), "start unrated")
                wait_session(b)
                refused(ctl(b, "rate", "after", "2", env=env), "no_session", "after while running")
                refused(ctl(b, "rate", "after", "2", "--profile", "zoe", env=env), "unknown_profile",
                        "a stranger's rating")
                ok(ctl(b, "stop", env=env), "stop")
                wait_idle(b)
        rated = [e for e in (H.payload_json(m) for m in events.collect(200, 3)) if e.get("event") == "rated"]
        check(len(rated) == 4 and rated[0]["phase"] == "before" and rated[0]["pending"] is False and
              rated[1]["phase"] == "after" and rated[1].get("change") == -4 and rated[1]["program"] == "lumbar-relief" and
              rated[2]["pending"] is True and rated[2].get("zone") == "L4" and rated[3].get("change") == -1,
              "rated events: %r" % rated)

        # two rated sessions: no suggestion yet
        r = reply(b, {"action": "suggest", "profile": "anna"})
        sg = r["suggestion"]
        check(sg["program"] is None and "2 rated so far" in sg["reason"] and sg["rated"] == 2,
              "suggestion with 2 rated: %r" % sg)
        r = ctl(b, "suggest", "--profile", "anna", "--start", env=env)
        refused(r, "no_suggestion", "suggest --start with 2 rated")
        r = ok(ctl(b, "suggest", "--profile", "anna", env=env), "chairctl suggest")
        check(r.stdout.startswith("No suggestion yet."), "chairctl suggest: %r" % r.stdout)

        def restart():
            # a "before" waiting for its start survives a restart (it is in usage.json)
            nonlocal c
            check(c.stop() == 0, "chaird did not exit cleanly")
            with open(os.path.join(tmp, "usage.json")) as f:
                pending = json.load(f).get("pending_before")
            check(pending and pending["pain"] == SESSIONS[3][3] and pending["profile"] == "anna",
                  "pending before in usage.json: %r" % pending)
            c = H.Chair(tmp, b, time_scale=TIME_SCALE).start()
            H.wait_online(b)

        for i, s in enumerate(SESSIONS[2:], 2):
            play(b, env, i, s, restart if i == 3 else None)

        # the history: per program the count and the median change
        r = reply(b, {"action": "history", "profile": "anna", "days": 90})
        progs = {p["program"]: p for p in r["programs"]}
        check(r["rated"] == 8 and len(r["sessions"]) == 8, "rated sessions: %r" % r)
        check(progs["lumbar-relief"]["sessions"] == 4 and progs["lumbar-relief"]["median_change"] == -4 and
              progs["posture"]["sessions"] == 4 and progs["posture"]["median_change"] == -1,
              "per program: %r" % r["programs"])
        first, second = r["sessions"][0], r["sessions"][1]
        check(first["pain_before"] == 7 and first["pain_after"] == 3 and "zone" not in first and
              first["intensity"] == 3 and first["heat"] is True, "first session: %r" % first)
        check(second["program"] == "posture" and second["zone"] == "L4" and second["intensity"] == 2 and
              second["heat"] is False, "second session: %r" % second)
        check(r["worsening"] is False, "worsening: %r" % r)
        # the session rated by nobody is not in it, nor in the no-profile diary
        check(reply(b, {"action": "history"})["rated"] == 0, "no-profile diary")

        # chairctl: table with a chart, and CSV
        r = ok(ctl(b, "diary", "--profile", "anna", env=env), "chairctl diary")
        check("8 rated sessions" in r.stdout and "|" in r.stdout and "B" in r.stdout and "<" in r.stdout and
              "lumbar-relief" in r.stdout and "-4.0" in r.stdout, "diary table: %s" % r.stdout)
        r = ok(ctl(b, "diary", "--profile", "anna", "--csv", env=env), "chairctl diary --csv")
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        check(len(rows) == 8 and rows[0]["program"] == "lumbar-relief" and rows[0]["pain_before"] == "7" and
              rows[0]["change"] == "-4" and rows[1]["heat"] == "off", "CSV: %s" % r.stdout)

        # everything survives a restart
        check(c.stop() == 0, "chaird did not exit cleanly")
        with open(os.path.join(tmp, "usage.json")) as f:
            usage = json.load(f)
        check(usage["version"] == 2 and sum(1 for s in usage["sessions"] if "pain_after" in s) == 8 and
              "pending_before" not in usage, "usage.json: %r" % usage)
        check(usage["sessions"][0] == USAGE_V1["sessions"][0], "the version 1 record: %r" % usage["sessions"][0])
        check("corrupt" not in c.logtext(), "the version 1 file was refused: %s" % c.logtext()[-2000:])
        lumbar_minutes = [s["minutes"] for s in usage["sessions"] if s["program"] == "lumbar-relief"]
        c = H.Chair(tmp, b, time_scale=TIME_SCALE).start()
        H.wait_online(b)

        r = reply(b, {"action": "suggest", "profile": "anna"})
        sg = r["suggestion"]
        want_minutes = max(1, round(sorted(lumbar_minutes)[(len(lumbar_minutes) - 1) // 2]))
        check(sg["program"] == "lumbar-relief" and sg["intensity"] == 3 and sg["heat"] is True and
              sg["based_on"] == 4 and sg["minutes"] == want_minutes,
              "suggestion: %r (minutes given %r)" % (sg, lumbar_minutes))
        check(sg["reason"] == "Lumbar relief at intensity 3 with heat eased your pain by 4 points on average "
              "over 4 sessions.", "reason: %r" % sg["reason"])
        r = ok(ctl(b, "suggest", "--profile", "anna", env=env), "chairctl suggest")
        check("Suggestion: lumbar-relief" in r.stdout and "4 points" in r.stdout, "chairctl suggest: %r" % r.stdout)

        # the suggestion started (Home Assistant's button does this)
        ok(ctl(b, "suggest", "--profile", "anna", "--start", env=env), "suggest --start")
        wait_session(b)
        st = state_now(b)
        check(st["program"] == "lumbar-relief" and st["intensity"] == 3, "suggested session: %r" % st)
        ok(ctl(b, "stop", env=env), "stop")
        wait_idle(b)

        # forget_profile removes the diary
        ok(ctl(b, "forget-profile", "anna", env=env), "forget-profile")
        reply(b, {"action": "history", "profile": "anna"}, "unknown_profile")
        with open(os.path.join(tmp, "usage.json")) as f:
            usage = json.load(f)
        check(not any("pain_before" in s or "pain_after" in s or "zone" in s for s in usage["sessions"]),
              "ratings left after forget_profile: %r" % usage)
        check(len(usage["sessions"]) == 11, "usage records stay: %d" % len(usage["sessions"]))
    finally:
        if events:
            events.close()
        c.stop()
        b.stop()


def main():
    for tool in ("mosquitto", "mosquitto_pub", "mosquitto_sub", "mosquitto_rr"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            print("SKIP: %s not installed (apt-get install mosquitto mosquitto-clients)" % tool)
            return 77
    if not shutil.which("mosquitto"):
        os.environ["PATH"] += ":/usr/sbin"
    tmp = tempfile.mkdtemp(prefix="chaird-diary-")
    t0 = time.time()
    try:
        test_diary(tmp)
        print("ok   pain diary (%.1f s)" % (time.time() - t0))
        shutil.rmtree(tmp, ignore_errors=True)
        return 0
    except Exception as e:
        print("FAIL pain diary: %s (logs in %s)" % (e, tmp))
        for f in sorted(os.listdir(tmp)):
            if f.endswith(".log"):
                with open(os.path.join(tmp, f)) as fh:
                    print("---- %s\n%s" % (f, fh.read()[-4000:]))
        return 1


if __name__ == "__main__":
    sys.exit(main())
