# SPDX-License-Identifier: MIT
"""The check-and-report helpers of the script tests that run many checks and
report them all (test-chaird.py, test-systemd-unit.py, test-journal.py)."""

FAILURES = []


def check(cond, what):
    """Print ok/FAIL for one check, remember a failure, and go on."""
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        FAILURES.append(what)
    return cond


def verdict():
    """The closing line and the exit code: 1 when any check failed."""
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        return 1
    print("all checks passed")
    return 0
