#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Diagnostics, persistent history and the self-test, end to end: chaird on the
sim backend with a real mosquitto, driven by chairctl (the helpers come from
test-mqtt.py).  Exit 77 when mosquitto or the clients are missing."""
import glob
import importlib.util
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


def diag(b, env):
    r = ctl(b, "diag", "--json", env=env)
    check(r.returncode == 0, "diag: %r" % (r,))
    return json.loads(r.stdout)


def sim(b, payload):
    """Change the simulated plant and wait for the daemon's answer (a fire-and-forget
    publish and a fixed sleep race on a loaded machine).  Plant changes and
    commands reach the control thread through the same queue, so any command
    sent after the answer sees the change."""
    H.expect_reply(b, payload, topic=H.BASE + "/sim/set", corr="sim")


def faults_now(b):
    return [f["code"] for f in (H.state(b) or {}).get("faults", [])]


def wait_idle(b, env, timeout=60):
    H.wait_for("idle", lambda: json.loads(ctl(b, "status", "--json", env=env).stdout)["state"] == "idle", timeout)


def test_diagnostics(tmp):
    # a corrupt file from an earlier life: the daemon starts anyway
    with open(os.path.join(tmp, "usage.json"), "w") as f:
        f.write('{"version": 1, "sessions": [{"start": 17')
    b = H.Broker(tmp).start()
    c = H.Chair(tmp, b, time_scale=20).start()
    env = H.ctl_env(b, tmp)
    try:
        H.wait_online(b)
        check("usage.json corrupt (truncated JSON), kept as usage.json.corrupt-" in c.logtext(),
              "no clear line about the corrupt file: %s" % c.logtext()[-2000:])
        check(len(glob.glob(os.path.join(tmp, "usage.json.corrupt-*"))) == 1, "corrupt file not kept aside")

        # self-test: refused with someone seated, passes on an empty seat
        r = ctl(b, "self-test", env=env)
        check(r.returncode == 1 and "occupied" in r.stderr, "self-test while seated: %r" % (r,))
        sim(b, {"occupied": False})
        H.wait_for("empty seat", lambda: (H.state(b) or {}).get("occupied") is False)
        r = ctl(b, "self-test", env=env, timeout=120)
        check(r.returncode == 0 and "passed" in r.stdout and "carriage" in r.stdout, "self-test: %r" % (r,))
        # a stalled carriage fails it, and says why
        sim(b, {"stall": "carriage"})
        r = ctl(b, "self-test", "--json", env=env, timeout=120)
        check(r.returncode == 1, "self-test with a stalled carriage: %r" % (r,))
        rep = json.loads(r.stdout)
        part = [p for p in rep["parts"] if p["part"] == "carriage"][0]
        check(rep["event"] == "self_test" and not rep["passed"] and part["result"] == "fail" and
              "encoder" in part["reason"], "report: %r" % rep)
        sim(b, {"stall": "none", "occupied": True})
        H.wait_for("seated", lambda: (H.state(b) or {}).get("occupied") is True)

        # a session under a new profile; the profile remembers it
        r = ctl(b, "start", "lumbar-relief", "--minutes", "1", "--intensity", "2", "--profile", "anna", env=env)
        check(r.returncode == 0, "start with a profile: %r" % (r,))
        wait_idle(b, env)
        # a heater sensor fault: into the history with its context
        sim(b, {"heater_sensor": "open"})
        H.wait_for("heater sensor fault", lambda: "heater_sensor" in faults_now(b))
        sim(b, {"heater_sensor": "ok"})
        # the profile alone starts its program
        r = ctl(b, "start", "--profile", "anna", env=env)
        check(r.returncode == 0, "start --profile: %r" % (r,))
        st = json.loads(ctl(b, "status", "--json", env=env).stdout)
        check(st["program"] == "lumbar-relief" and st["intensity"] == 2, "profile not applied: %r" % st)
        check(ctl(b, "stop", env=env).returncode == 0, "stop")
        wait_idle(b, env)

        d = diag(b, env)
        for key in ("counters", "sensors", "outputs", "faults_history", "self_tests", "usage", "profiles", "self_test"):
            check(key in d, "diagnostics lack %s: %r" % (key, sorted(d)))
        check(d["loop"]["policy"] and "latency_1m_us" in d["loop"], "loop: %r" % d["loop"])
        # how late, how stale, what the dead-man cut (design C2)
        lp = d["loop"]
        check(all(isinstance(lp.get(k), int) for k in
                  ("late_ticks", "max_late_us", "max_stale_us", "overruns", "output_cuts", "events_dropped"))
              and lp.get("max_stall_ms", 0) > 0 and lp["events_dropped"] == 0 and lp["output_cuts"] == 0,
              "loop reports late ticks, worst lateness and staleness, overruns, cuts, dropped events")
        check(d["counters"]["sessions"] == 2 and d["counters"]["self_tests"] == 2, "counters: %r" % d["counters"])
        check(d["counters"]["actuators"]["carriage"]["run_s"] > 0, "carriage run time: %r" % d["counters"])
        check("heater_temp" in d["sensors"] and "carriage" in d["outputs"], "sensors/outputs: %r" % d)
        check(d["usage"]["sessions"] == 2 and d["usage"]["programs"][0]["program"] == "lumbar-relief",
              "usage: %r" % d["usage"])
        check([p["name"] for p in d["profiles"]] == ["anna"] and d["profiles"][0]["program"] == "lumbar-relief"
              and d["profiles"][0]["shoulder_mm"], "profiles: %r" % d["profiles"])
        check(len(d["self_tests"]) == 2 and not d["self_tests"][1]["passed"], "self-test history: %r" % d["self_tests"])
        hs = [f for f in d["faults_history"] if f["code"] == "heater_sensor"]
        check(hs and "state=" in hs[0]["context"] and hs[0]["at"], "fault history: %r" % d["faults_history"])

        r = ctl(b, "faults", env=env)
        check(r.returncode == 0 and "heater_sensor" in r.stdout and "state=" in r.stdout, "faults: %r" % (r,))
        r = ctl(b, "usage", env=env)
        check(r.returncode == 0 and time.strftime("%Y-%m-%d") in r.stdout and "lumbar-relief" in r.stdout and
              "#" in r.stdout, "usage: %r" % (r,))
        r = ctl(b, "diag", env=env)
        check(r.returncode == 0 and "counters:" in r.stdout and "sensors:" in r.stdout and
              "self-test:" in r.stdout, "diag text: %r" % (r,))

        # everything survives a restart
        check(c.stop() == 0, "chaird did not exit cleanly")
        with open(os.path.join(tmp, "counters.json")) as f:
            check(json.load(f)["counters"]["sessions"] == 2, "counters.json")
        with open(os.path.join(tmp, "usage.json")) as f:
            check(len(json.load(f)["sessions"]) == 2, "usage.json")
        check(not glob.glob(os.path.join(tmp, "*.tmp")), "temporary files left")
        c = H.Chair(tmp, b, time_scale=20).start()
        H.wait_online(b)
        d = diag(b, env)
        check(d["counters"]["sessions"] == 2 and d["usage"]["sessions"] == 2 and len(d["profiles"]) == 1,
              "after a restart: %r" % {k: d.get(k) for k in ("counters", "usage", "profiles")})
        check("corrupt" not in c.logtext().split("state in")[-1], "a clean start should not complain")
    finally:
        c.stop()
        b.stop()


def main():
    for tool in ("mosquitto", "mosquitto_pub", "mosquitto_sub"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            print("SKIP: %s not installed (apt-get install mosquitto mosquitto-clients)" % tool)
            return 77
    if not shutil.which("mosquitto"):
        os.environ["PATH"] += ":/usr/sbin"
    tmp = tempfile.mkdtemp(prefix="chaird-diag-")
    t0 = time.time()
    try:
        test_diagnostics(tmp)
        print("ok   diagnostics (%.1f s)" % (time.time() - t0))
        shutil.rmtree(tmp, ignore_errors=True)
        return 0
    except Exception as e:
        print("FAIL diagnostics: %s (logs in %s)" % (e, tmp))
        for f in sorted(os.listdir(tmp)):
            if f.endswith(".log"):
                with open(os.path.join(tmp, f)) as fh:
                    print("---- %s\n%s" % (f, fh.read()[-3000:]))
        return 1


if __name__ == "__main__":
    sys.exit(main())
