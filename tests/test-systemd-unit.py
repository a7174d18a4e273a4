#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The systemd integration: `systemd-analyze verify` accepts chaird.service, its
`systemd-analyze security --offline=true` exposure is at most 2.5, the unit has
what issue 3 asks for, and systemd-sysusers accepts chaird.sysusers.

usage: test-systemd-unit.py SYSTEMD_SOURCE_DIR CHAIRD
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

from checks import check, verdict

SRC = os.path.abspath(sys.argv[1])
CHAIRD = os.path.abspath(sys.argv[2])
def need_systemd_analyze():
    if shutil.which("systemd-analyze"):
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("systemd-analyze missing: installing systemd")
        subprocess.run(["apt-get", "install", "-y", "-q", "systemd"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return shutil.which("systemd-analyze") is not None


def main():
    if not need_systemd_analyze():
        print("SKIP: systemd-analyze is not available and cannot be installed")
        return 77

    tmp = tempfile.mkdtemp(prefix="test-systemd-unit-")
    try:
        with open(os.path.join(SRC, "chaird.service.in")) as f:
            text = f.read()
        # point ExecStart= at the binary just built: verify checks it is executable
        unit = os.path.join(tmp, "chaird.service")
        with open(unit, "w") as f:
            f.write(text.replace("@sbindir@", os.path.dirname(CHAIRD)))

        r = subprocess.run(["systemd-analyze", "verify", unit], capture_output=True, text=True)
        complaints = [l for l in (r.stdout + r.stderr).splitlines() if l.strip()]
        for l in complaints:
            print("  verify: " + l)
        check(r.returncode == 0 and not complaints, "systemd-analyze verify: clean")

        r = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", unit],
                           capture_output=True, text=True)
        m = re.search(r"Overall exposure level for chaird\.service: ([0-9.]+)", r.stdout + r.stderr)
        check(m is not None, "systemd-analyze security --offline=true ran")
        if m:
            exposure = float(m.group(1))
            print("exposure: %.1f (goal <= 2.5)" % exposure)
            check(exposure <= 2.5, "exposure %.1f <= 2.5" % exposure)
            for l in r.stdout.splitlines():
                if l.startswith("✗"):
                    print("  " + re.sub(r"\s{2,}", "  ", l.strip()))

        settings = {}
        for line in text.splitlines():
            if "=" in line and not line.startswith("#"):
                k, _, v = line.partition("=")
                settings.setdefault(k.strip(), []).append(v.strip())
        want = {
            "Type": "notify", "Restart": "on-failure", "LimitMEMLOCK": "infinity",
            "StateDirectory": "chaird", "ConfigurationDirectory": "chaird", "User": "chaird",
            "SupplementaryGroups": "gpio", "ProtectSystem": "strict", "ProtectHome": "yes",
            "PrivateTmp": "yes", "NoNewPrivileges": "yes",
            "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
        }
        for k, v in want.items():
            check(v in settings.get(k, []), "%s=%s" % (k, v))
        for k in ("WatchdogSec", "LimitRTPRIO", "DeviceAllow", "LoadCredential", "SystemCallFilter"):
            check(k in settings, "%s= set" % k)
        check(any("--safe-state" in v for v in settings.get("ExecStopPost", [])),
              "ExecStopPost= runs chaird --safe-state")
        check("@system-service" in settings.get("SystemCallFilter", []), "SystemCallFilter=@system-service")
        check("RestrictRealtime" not in settings, "RestrictRealtime= not set (the loop needs SCHED_FIFO)")

        if shutil.which("systemd-sysusers"):
            root = os.path.join(tmp, "root")
            os.makedirs(os.path.join(root, "etc"))
            r = subprocess.run(["systemd-sysusers", "--dry-run", "--root=" + root,
                                os.path.join(SRC, "chaird.sysusers")], capture_output=True, text=True)
            out = r.stdout + r.stderr
            check(r.returncode == 0 and "user 'chaird'" in out and "group 'gpio'" in out,
                  "systemd-sysusers accepts chaird.sysusers")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    return verdict()


if __name__ == "__main__":
    sys.exit(main())
