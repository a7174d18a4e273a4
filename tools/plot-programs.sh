#!/bin/sh
# SPDX-License-Identifier: MIT
# Draw every shipped program into docs/programs/ID.png (tools/plot-program.py),
# as docs/programs.md shows them.  Needs a build (BUILD_DIR, default build) and
# Debian's python3-matplotlib.
#   tools/plot-programs.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
mkdir -p "$top/docs/programs"
for f in "$top"/config/programs/*.yaml; do
        id=$(basename "$f" .yaml)
        /usr/bin/python3 "$top/tools/plot-program.py" --chair-sim "$build/tools/chair-sim" \
                --config "$top/config/chaird.yaml" -o "$top/docs/programs/$id.png" "$id"
done
