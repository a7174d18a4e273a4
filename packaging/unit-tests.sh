#!/bin/sh
# SPDX-License-Identifier: MIT
# Run only the cmocka unit tests of a configured meson build directory: the
# tests whose program is a test executable built in that directory (meson runs
# them through the cross file's exe_wrapper when cross-building).  The script
# tests, which start the built programs from a native python3 or sh, are left
# to the native test run.
#   packaging/unit-tests.sh [--exclude GLOB]... BUILD_DIR [meson test arguments]
# --exclude drops tests whose name matches the shell pattern GLOB (callers drop
# the long deterministic-simulation shards, test-dst-*, which CI runs natively).
set -eu
exclude=
while [ $# -gt 0 ]; do
        case "$1" in
        --exclude) exclude="$exclude $2"; shift 2 ;;
        *) break ;;
        esac
done
[ $# -ge 1 ] || { echo "usage: $0 [--exclude GLOB]... BUILD_DIR [meson test args]" >&2; exit 2; }
build=$1
shift

tests=
for t in $(meson introspect --tests "$build" | python3 -c '
import json, os, sys
build = os.path.realpath(sys.argv[1])
for t in json.load(sys.stdin):
    exe = os.path.realpath(t["cmd"][0]) if t["cmd"] else ""
    if exe.startswith(build + os.sep):
        print(t["name"])
' "$build"); do
        skip=
        for g in $exclude; do
                # shellcheck disable=SC2254
                case "$t" in $g) skip=1 ;; esac
        done
        [ -n "$skip" ] && echo "unit-tests: leaving out $t" >&2 || tests="$tests $t"
done
if [ -z "$tests" ]; then
        echo "$0: no unit tests in $build (configured with -Dtests=enabled?)" >&2
        exit 1
fi
# shellcheck disable=SC2086
exec meson test -C "$build" --print-errorlogs "$@" $tests
