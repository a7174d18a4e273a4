#!/bin/sh
# SPDX-License-Identifier: MIT
# The live demo: a private mosquitto on a free loopback port, chaird on the
# simulated chair sped up TIME_SCALE times, `chairctl start PROGRAM` and
# `chairctl watch` (program, step, technique, progress, time left, heat, faults).
#   tools/demo.sh BUILD_DIR [PROGRAM]        (TIME_SCALE=20 by default)
# Everything it starts is stopped when the session ends or on Ctrl-C.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$1
program=${2:-lumbar-relief}
scale=${TIME_SCALE:-20}

tmp=$(mktemp -d /tmp/chaird-demo.XXXXXX)
chmod 755 "$tmp"     # mosquitto started as root drops to its own user
broker_pid= daemon_pid=
cleanup() {
        [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
        [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null
        [ -n "${DEMO_KEEP:-}" ] && echo "demo files kept in $tmp" >&2 || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
cat > "$tmp/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence false
CONF
# The web remote (docs/remote.md): a websockets listener serving a copy of web/
# (mosquitto drops to its own user, which may not read the checkout).
web_port=
if [ -f "$top/web/vendor/mqtt.min.js" ]; then
        web_port=$(free_port)
        mkdir "$tmp/web" && cp -r "$top/web/index.html" "$top/web/app.css" "$top/web/app.js" "$top/web/vendor" "$tmp/web/"
        chmod -R a+rX "$tmp/web"
        printf 'listener %s 127.0.0.1\nprotocol websockets\nhttp_dir %s\n' "$web_port" "$tmp/web" >> "$tmp/mosquitto.conf"
fi
mosquitto -c "$tmp/mosquitto.conf" >"$tmp/mosquitto.log" 2>&1 &
broker_pid=$!

# The shipped config, with the demo's broker, a faster clock and a private state dir.
sed -e "s|^programs: \[programs\]|programs: [$top/config/programs]|" \
    -e "s|^  backend: sim.*|  backend: sim\n  sim: { time_scale: $scale }|" \
    "$top/config/chaird.yaml" > "$tmp/chaird.yaml"
# A desktop or VM without a real-time kernel can stall a thread for tens of
# milliseconds; the demo tolerates 0.5 s of missed ticks instead of the shipped 10 ms.
cat >> "$tmp/chaird.yaml" <<CONF
control: { max_stall_ms: 500 }
mqtt: { host: 127.0.0.1, port: $port, discovery: false }
state_dir: $tmp
CONF

"$build/daemon/chaird" --config "$tmp/chaird.yaml" 2>"$tmp/chaird.log" &
daemon_pid=$!

ctl() { "$build/tools/chairctl" --broker "127.0.0.1:$port" "$@"; }
# Wait until the daemon answers (it publishes its programs once connected).
i=0
until ctl programs >/dev/null 2>&1; do
        i=$((i + 1))
        if [ "$i" -gt 50 ] || ! kill -0 "$daemon_pid" 2>/dev/null; then
                echo "demo: chaird did not come up; its log:" >&2
                cat "$tmp/chaird.log" >&2
                exit 1
        fi
        sleep 0.2
done

echo "chaird demo: $program on the simulated chair at ${scale}x real time (Ctrl-C to quit)"
echo "broker 127.0.0.1:$port — try: build/tools/chairctl --broker 127.0.0.1:$port status"
[ -n "$web_port" ] && echo "web remote: http://127.0.0.1:$web_port/ (open it in a browser on this machine)"
ctl start "$program"
ctl watch
