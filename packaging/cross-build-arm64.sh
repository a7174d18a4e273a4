#!/bin/sh
# SPDX-License-Identifier: MIT
# Cross-build chaird for arm64 on a Debian 12 amd64 machine and run the unit
# tests under qemu-aarch64 (user-mode emulation; no binfmt_misc needed).
#
#   packaging/cross-build-arm64.sh [BUILD_DIR]     (default build-arm64; run as root
#                                                   the first time: it installs packages)
#
# Only the cmocka unit tests run (without the long simulation shards, see below): the script tests (chair-sim CLI, MQTT, daemon)
# start the built programs from a native python3/sh, which would need binfmt_misc
# registered in the kernel, which containers and CI runners seldom allow.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build-arm64}

# Host-architecture (:arm64) libraries the build links, and the build tools.
ARM64_DEV="libc6-dev libcyaml-dev libyaml-dev libjson-c-dev libgpiod-dev libsystemd-dev
libmosquitto-dev libcmocka-dev"
TOOLS="crossbuild-essential-arm64 pkg-config meson ninja-build qemu-user"

missing=
for p in $TOOLS; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
for p in $ARM64_DEV; do
        dpkg-query -W -f='${Status}' "$p:arm64" 2>/dev/null | grep -q "ok installed" || missing="$missing $p:arm64"
done
if [ -n "$missing" ]; then
        if [ "$(id -u)" != 0 ]; then
                echo "cross-build-arm64: missing packages:$missing (run as root to install them)" >&2
                exit 1
        fi
        echo "cross-build-arm64: installing$missing" >&2
        dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
        apt-get update -qq
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ ! -f "$build/build.ninja" ]; then
        meson setup "$build" "$top" --cross-file "$top/packaging/cross/aarch64-linux-gnu.ini" \
                -Dtests=enabled -Dgpiod=enabled ${MESON_ARGS:-}
fi
ninja -C "$build"

# Every binary must really be arm64.
for exe in daemon/chaird tools/chair-sim tools/chairctl; do
        [ -f "$build/$exe" ] || continue
        file_out=$(od -An -t x1 -j 18 -N 2 "$build/$exe" | tr -d ' ')
        # ELF e_machine 0xb7 = EM_AARCH64 (little endian: b7 00).
        if [ "$file_out" != "b700" ]; then
                echo "cross-build-arm64: $exe is not an aarch64 ELF (e_machine $file_out)" >&2
                exit 1
        fi
done

# The unit tests, run by meson through the cross file's exe_wrapper (qemu-aarch64),
# which is 5-10x slower than native: timeouts are stretched.  Left out: the
# deterministic-simulation shards (test-dst-*, minutes each natively; CI runs
# them natively) unless ARM64_ALL_TESTS=1, and test-tick-budget, which runs the
# build machine's valgrind on a bench binary and cannot work on arm64 binaries.
exclude="--exclude test-tick-budget"
# test-safe-state and test-loader-limits start the chaird binary themselves: the
# exe_wrapper runs the test under qemu, not the arm64 program the test execs
# (no binfmt_misc here), so they run natively only.
exclude="$exclude --exclude test-safe-state --exclude test-loader-limits"
[ "${ARM64_ALL_TESTS:-0}" = 1 ] || exclude="$exclude --exclude test-dst-*"
# ARM64_QUICK=1 (CI): also leave out the whole-session tests, which replay every
# shipped program tick by tick (minutes under emulation); every module's own
# unit test still runs on arm64.
[ "${ARM64_QUICK:-0}" = 1 ] && exclude="$exclude --exclude test-scenarios --exclude test-control-alloc --exclude test-persist"
# shellcheck disable=SC2086
exec "$top/packaging/unit-tests.sh" $exclude "$build" --no-rebuild --timeout-multiplier "${ARM64_TIMEOUT_MULTIPLIER:-4}"
