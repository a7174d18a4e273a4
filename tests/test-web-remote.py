#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The web remote in a real browser (design C5, docs/remote.md).

Starts Debian's mosquitto with a plain MQTT listener and a websockets listener
serving the app (http_dir: a copy of the files meson installs), anonymous
access off, a password file and the owner role's ACL; runs chaird on the sim
backend; then tests/web-remote.js drives headless Chromium through
playwright-core against the page and checks every step on chaird's state topic.

Usage: test-web-remote.py [WEB_FILE...]  (the files meson installs, default:
the app's own list).  Exit 77 when mosquitto, node, chromium or the npm modules
(web/node_modules, `npm ci` in web/) are missing and cannot be installed.
"""
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile

_spec = importlib.util.spec_from_file_location("mqtt_helpers", os.path.join(os.path.dirname(__file__), "test-mqtt.py"))
H = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(H)

WEB = os.path.join(H.SOURCE, "web")
DEFAULT_FILES = ["index.html", "app.css", "app.js", "vendor/mqtt.min.js", "vendor/mqtt.LICENSE.md",
                 "vendor/mqtt.VERSION"]
USERS = {"chaird": "pw-chaird", "owner": "pw-owner", "tester": "pw-tester"}


def skip(why):
    print("SKIP: " + why)
    return 77


def npm_modules():
    """web/node_modules with playwright-core and mqtt, installed from the lock file
    when missing.  Returns None when ready, else why not."""
    need = [os.path.join(WEB, "node_modules", m, "package.json") for m in ("playwright-core", "mqtt")]
    if all(os.path.exists(p) for p in need):
        return None
    npm = shutil.which("npm")
    if not npm:
        return "npm not installed and web/node_modules missing (apt-get install npm; cd web && npm ci)"
    env = dict(os.environ, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1")
    r = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=WEB, env=env,
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0 or not all(os.path.exists(p) for p in need):
        return "`npm ci` in web/ failed (no registry?): %s" % (r.stderr.strip()[-500:] or r.returncode)
    return None


def serve_copy(www, files):
    """The app as installed: exactly the listed files, readable by mosquitto's user
    (in a directory of its own: Broker.start() makes the files in tmp 0644)."""
    for f in files:
        rel = os.path.relpath(os.path.abspath(f) if os.path.exists(f) else os.path.join(WEB, f), WEB)
        dst = os.path.join(www, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy(os.path.join(WEB, rel), dst)
    for d, _, names in os.walk(www):
        os.chmod(d, 0o755)
        for n in names:
            os.chmod(os.path.join(d, n), 0o644)
    return www


def main():
    for tool in ("mosquitto", "mosquitto_passwd"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            return skip("%s not installed (apt-get install mosquitto mosquitto-clients)" % tool)
    if not shutil.which("mosquitto"):
        os.environ["PATH"] += ":/usr/sbin"
    node = shutil.which("node")
    if not node:
        return skip("node not installed (apt-get install nodejs npm)")
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(chromium):
        return skip("chromium not installed (apt-get install chromium)")
    why = npm_modules()
    if why:
        return skip(why)

    tmp = tempfile.mkdtemp(prefix="chaird-web-")
    www = serve_copy(tempfile.mkdtemp(prefix="chaird-www-"), sys.argv[1:] or DEFAULT_FILES)
    pw = os.path.join(tmp, "passwd")
    for i, (u, p) in enumerate(USERS.items()):
        subprocess.run(["mosquitto_passwd", "-b"] + (["-c"] if i == 0 else []) + [pw, u, p], check=True,
                       capture_output=True)
    # The owner role of design C6 (docs/remote.md): command the chair, read what it
    # publishes for owners, list chairs; no diagnostics, no sim/set.
    acl = os.path.join(tmp, "acl")
    with open(acl, "w") as f:
        f.write("user chaird\ntopic readwrite chaird/#\ntopic readwrite homeassistant/#\n\n"
                "user tester\ntopic readwrite chaird/#\n\n"
                "user owner\ntopic write {b}/set\ntopic read {b}/state\ntopic read {b}/event\n"
                "topic read {b}/reply\ntopic read {b}/programs\ntopic read chaird/+/availability\n"
                .format(b=H.BASE))
    ws_port = H.free_port()
    # The shipped listener snippet, on a free loopback port and serving the copy.
    with open(os.path.join(WEB, "mosquitto-web.conf")) as f:
        snippet = f.read()
    check_snippet = "listener 8080\n" in snippet and "http_dir /usr/share/chaird/web\n" in snippet
    if not check_snippet:
        print("FAIL: web/mosquitto-web.conf lacks 'listener 8080' or 'http_dir /usr/share/chaird/web'")
        return 1
    snippet = snippet.replace("listener 8080\n", "listener %d 127.0.0.1\n" % ws_port)
    snippet = snippet.replace("http_dir /usr/share/chaird/web\n", "http_dir %s\n" % www)
    extra = "allow_anonymous false\npassword_file %s\nacl_file %s\n%s" % (pw, acl, snippet)
    b = H.Broker(tmp, extra=extra).start()
    H.wait_port(ws_port)
    pwfile = os.path.join(tmp, "chaird-password")
    with open(pwfile, "w") as f:
        f.write(USERS["chaird"] + "\n")
    # The 12-minute session at 5x lasts 144 s: ample for every step below on a loaded machine.
    c = H.Chair(tmp, b, time_scale=5,
                mqtt_extra="  username: chaird\n  password_file: %s\n" % pwfile).start()
    logs = os.path.join(H.BUILD, "meson-logs")
    os.makedirs(logs, exist_ok=True)
    env = dict(os.environ, WEB_URL="http://127.0.0.1:%d/" % ws_port, MQTT_URL="mqtt://127.0.0.1:%d" % b.port,
               BASE=H.BASE, TESTER="tester:" + USERS["tester"], OWNER="owner:" + USERS["owner"],
               CHROMIUM=chromium, SHOT=os.path.join(logs, "web-remote.png"),
               NODE_PATH=os.path.join(WEB, "node_modules"))
    rc = 1
    try:
        H.wait_online(b, user=("tester", USERS["tester"]))
        r = subprocess.run([node, os.path.join(os.path.dirname(os.path.abspath(__file__)), "web-remote.js")],
                           env=env, timeout=540)
        rc = r.returncode
    except Exception as e:
        print("FAIL web remote: %s" % e)
    finally:
        c.stop()
        b.stop()
    shutil.rmtree(www, ignore_errors=True)
    if rc == 0:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print("logs in %s" % tmp)
        for f in sorted(os.listdir(tmp)):
            if f.endswith(".log"):
                with open(os.path.join(tmp, f)) as fh:
                    print("---- %s\n%s" % (f, fh.read()[-3000:]))
    return rc


if __name__ == "__main__":
    sys.exit(main())
