#!/bin/sh
# SPDX-License-Identifier: MIT
# Developer entry point: install what is missing, build, run the demo or the tests.
#   tools/dev.sh demo    install, build, run the chair on the simulated backend with a live view
#   tools/dev.sh test    install, build, run the whole test suite (prints "N passed, N failed")
#   tools/dev.sh deps | build | packages | summary BUILD_DIR...
# Environment: BUILD_DIR (default build), MESON_ARGS (extra `meson setup` arguments).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}

# Debian 12 and 13 packages the build and the demo need (no name pinned to a
# compiler or library version: the same list must resolve on both releases) ...
PACKAGES="meson ninja-build pkg-config gcc libc6-dev libcyaml-dev libyaml-dev libjson-c-dev
libgpiod-dev libsystemd-dev libmosquitto-dev mosquitto mosquitto-clients python3 scdoc"
# ... and what the test suite needs on top: cmocka, systemd-analyze, openssl for
# the TLS tests, valgrind, the Debian packaging tools, clang with libFuzzer
# (libclang-rt-dev: the runtime of the release's default clang, 14 on Debian 12,
# 19 on Debian 13), matplotlib for the program pictures, Chromium and Node.js
# for the web remote's browser test (npm: see test below).
TEST_PACKAGES="libcmocka-dev systemd openssl valgrind procps util-linux
dpkg-dev debhelper lintian clang libclang-rt-dev python3-matplotlib chromium nodejs"

deps() {
        missing=
        for p in $PACKAGES ${1:-}; do
                dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
        done
        [ -z "$missing" ] && return 0
        if [ "$(id -u)" != 0 ]; then
                echo "dev.sh: missing packages:$missing (run as root to install them)" >&2
                exit 1
        fi
        echo "dev.sh: installing$missing" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# The real-kernel test (tests/kernel/, docs/hardware.md) on this machine only
# (not in a release root): qemu, the kernel's build tools, a static busybox,
# and Debian's linux-source-6.1 where the release has it (Debian 12); where it
# has not, that test skips and says why.
KERNEL_TEST_PACKAGES="qemu-system-x86 busybox-static make bc flex bison libelf-dev cpio xz-utils"
kernel_test_deps() {
        # Inside the Debian 13 root of tools/debian13-root.sh (it marks its top
        # with .chaird-root-key) the test skips: the host's run boots that
        # release's binaries itself.
        [ -f /.chaird-root-key ] && return 0
        deps "$KERNEL_TEST_PACKAGES"
        if apt-cache show linux-source-6.1 >/dev/null 2>&1; then
                deps linux-source-6.1
        fi
}

build() {
        if [ ! -f "$build/build.ninja" ]; then
                # shellcheck disable=SC2086
                meson setup "$build" "$top" ${MESON_ARGS:-} >/dev/null
        fi
        ninja -C "$build" >/dev/null
}

# "N passed, N failed, N skipped" over the meson test logs of the given build dirs.
summary() {
        python3 - "$@" <<'PY'
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
failed = []
for build in sys.argv[1:]:
    try:
        lines = open(build + "/meson-logs/testlog.json").read().splitlines()
    except OSError:
        counts["failed"] += 1          # a suite that did not run at all is a failure
        failed.append("%s: no test log (the suite did not run)" % build)
        continue
    for line in lines:
        t = json.loads(line)
        r = t.get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            counts["passed"] += 1
        elif r == "SKIP":
            counts["skipped"] += 1
        else:
            counts["failed"] += 1
            failed.append("%s: %s (%s)" % (build, t.get("name"), r))
# The failures by name just above the closing line: CI keeps only the last lines.
for f in failed:
    print("FAILED " + f)
print("%(passed)d passed, %(failed)d failed, %(skipped)d skipped" % counts)
PY
}

cmd=${1:-}
case "$cmd" in
deps)
        deps "$TEST_PACKAGES" ;;
packages)
        # The whole list, one per line (tools/debian13-root.sh keys its cache on it).
        printf '%s\n' $PACKAGES $TEST_PACKAGES ;;
build)
        deps; build ;;
test)
        deps "$TEST_PACKAGES"
        # npm: Debian's package, unless the installed Node.js brings its own
        # (nodesource's nodejs does, and conflicts with Debian's npm).
        command -v npm >/dev/null || deps npm
        # The browser test's modules, from web/package-lock.json (it skips without them).
        [ -d "$top/web/node_modules" ] ||
                (cd "$top/web" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) ||
                echo "dev.sh: npm ci in web/ failed; the web-remote test will skip" >&2
        kernel_test_deps
        # A build dir first set up by `demo` (before cmocka was installed) has the
        # tests switched off by the auto feature: switch them on for good.
        [ -f "$build/build.ninja" ] && meson configure "$build" -Dtests=enabled >/dev/null
        MESON_ARGS="${MESON_ARGS:-} -Dtests=enabled" build
        rc=0
        rm -f "$build/meson-logs/testlog.json"
        meson test -C "$build" --print-errorlogs --num-processes 2 || rc=$?
        summary "$build"
        exit $rc ;;
summary)
        shift
        summary "$@" ;;
demo)
        deps; build
        exec "$top/tools/demo.sh" "$build" ;;
*)
        echo "usage: tools/dev.sh demo|test|deps|build" >&2
        exit 1 ;;
esac
