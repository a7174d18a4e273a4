#!/bin/sh
# SPDX-License-Identifier: MIT
# tools/plot-program.py draws a program from a real chair-sim run: a PNG and an
# SVG come out, the SVG names the landmarks and techniques the run went
# through, and a broken program is an error, not an empty picture.
#   test-plot-program.sh PATH/TO/chair-sim
set -u
sim=$1
top=${CHAIRD_SOURCE_ROOT:?}
if ! /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
        echo "SKIP: /usr/bin/python3 has no matplotlib (apt install python3-matplotlib)"
        exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
plot() { /usr/bin/python3 "$top/tools/plot-program.py" --chair-sim "$sim" --config "$top/config/chaird.yaml" "$@"; }

if plot -o "$tmp/p.png" posture >/dev/null && [ "$(head -c 8 "$tmp/p.png" | od -An -c | tr -d ' ')" = "211PNG\r\n032\n" ] &&
   [ "$(wc -c < "$tmp/p.png")" -gt 20000 ]; then
        echo "ok   PNG of posture"
else
        echo "FAIL PNG of posture"; fails=$((fails + 1))
fi
# SVG keeps its text: the landmarks of the scanned body and the techniques played
if plot -o "$tmp/p.svg" --height 160 posture >/dev/null; then
        missing=
        for w in C7 T12 L4 S1 rolling kneading stretch completed; do
                grep -q "$w" "$tmp/p.svg" || missing="$missing $w"
        done
        if [ -z "$missing" ]; then echo "ok   SVG names landmarks and techniques"
        else echo "FAIL SVG lacks:$missing"; fails=$((fails + 1)); fi
else
        echo "FAIL SVG of posture"; fails=$((fails + 1))
fi
if plot -o "$tmp/x.png" no-such-program >/dev/null 2>"$tmp/err"; then
        echo "FAIL unknown program drew a picture"; fails=$((fails + 1))
elif [ -e "$tmp/x.png" ]; then
        echo "FAIL unknown program left a file"; fails=$((fails + 1))
else
        echo "ok   unknown program is an error ($(head -c 120 "$tmp/err"))"
fi
echo "$fails failure(s)"
[ "$fails" = 0 ]
