#!/bin/sh
# SPDX-License-Identifier: MIT
# chair-sim's command line: exit codes 0/1/2, the --json summary keys, the
# --trace columns, and one clear line for bad input.
#   test-chair-sim.sh PATH/TO/chair-sim
set -u
sim=$1
cfg="$CHAIRD_SOURCE_ROOT/config/chaird.yaml"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

check() {   # check NAME EXPECTED_EXIT -- command...
        name=$1 want=$2
        shift 3
        "$@" >"$tmp/out" 2>"$tmp/err"
        got=$?
        if [ "$got" != "$want" ]; then
                echo "FAIL $name: exit $got, expected $want"; cat "$tmp/out" "$tmp/err"
                fails=$((fails + 1))
        else
                echo "ok   $name"
        fi
}

check "completed session exits 0" 0 -- "$sim" --config "$cfg" --json posture
python3 - "$tmp/out" <<'PY' || fails=$((fails + 1))
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("program", "result", "simulated_s", "ticks", "rate_hz", "steps_run", "faults",
          "max_heater_c", "carriage_min_mm", "carriage_max_mm", "max_safe_reaction_ticks"):
    assert k in d, k
assert d["result"] == "completed", d
assert d["faults"] == [], d
assert d["ticks"] == round(d["simulated_s"] * d["rate_hz"]), d
PY

# PROGRAM by path (a copy outside the programs directory replaces the id, said once)
cp "$CHAIRD_SOURCE_ROOT/config/programs/posture.yaml" "$tmp/my-posture.yaml"
check "program by path" 0 -- "$sim" --config "$cfg" --json --seconds 5 "$tmp/my-posture.yaml"
grep -q '"program": *"posture"' "$tmp/out" || { echo "FAIL program by path: $(cat "$tmp/out")"; fails=$((fails + 1)); }
grep -q "my-posture.yaml:1:1: id: note: program 'posture' replaces the one in" "$tmp/err" ||
        { echo "FAIL program by path: no override note: $(cat "$tmp/err")"; fails=$((fails + 1)); }
check "shipped program by its own path" 0 -- "$sim" --config "$cfg" --seconds 5 "$CHAIRD_SOURCE_ROOT/config/programs/posture.yaml"
[ -s "$tmp/err" ] && { echo "FAIL own path: unexpected stderr: $(cat "$tmp/err")"; fails=$((fails + 1)); }
# an unknown id lists the known ones
check "unknown program exits 1" 1 -- "$sim" --config "$cfg" --seconds 5 no-such-program
grep -q "unknown program 'no-such-program'; known: circulation deep-tissue lumbar-relief" "$tmp/err" ||
        { echo "FAIL unknown program: $(cat "$tmp/err")"; fails=$((fails + 1)); }

# graceful fit: a chair without recline and airbags runs the programs that fit
# to the end, without a fault, and refuses the skipped ones by name
nra="$CHAIRD_SOURCE_ROOT/tests/data/config/no-recline-no-airbags.yaml"
check "fitting program on a chair without recline and airbags" 0 -- "$sim" --config "$nra" --json lumbar-relief
python3 - "$tmp/out" <<'PY' || fails=$((fails + 1))
import json, sys
d = json.load(open(sys.argv[1]))
assert d["result"] == "completed" and d["faults"] == [], d
PY
grep -q "note: program 'lumbar-relief' runs without backrest" "$tmp/err" ||
        { echo "FAIL graceful fit: no note: $(cat "$tmp/err")"; fails=$((fails + 1)); }
check "skipped program on a chair without recline and airbags" 1 -- "$sim" --config "$nra" --seconds 5 posture
grep -q "warning: program 'posture' skipped: it needs pump" "$tmp/err" &&
        grep -q "unknown program 'posture'; known: deep-tissue lumbar-relief stress-relief" "$tmp/err" ||
        { echo "FAIL graceful fit: $(cat "$tmp/err")"; fails=$((fails + 1)); }

check "e-stop exits 2" 2 -- "$sim" --config "$cfg" --json --inject 20:estop=1 posture
python3 - "$tmp/out" <<'PY' || fails=$((fails + 1))
import json, sys
d = json.load(open(sys.argv[1]))
assert d["result"] == "fault", d
assert [f["code"] for f in d["faults"]] == ["estop"], d
assert abs(d["faults"][0]["at_s"] - 20) < 0.01, d
assert d["max_safe_reaction_ticks"] <= 1, d
PY

# The simulator provokes the faults a technician needs to see (issue 17).
fault_of() {  # NAME EXPECTED-CODE INJECT... : exit 2 with that fault first
        name=$1 code=$2
        shift 2
        check "$name" 2 -- "$sim" --config "$cfg" --json --minutes 2 "$@" lumbar-relief
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["result"]=="fault" and d["faults"][0]["code"]==sys.argv[2], d' \
                "$tmp/out" "$code" || fails=$((fails + 1))
}
fault_of "injected overpressure" overpressure --inject 5:overpressure=seat
fault_of "injected encoder noise" encoder_fault --inject 5:encoder_noise=50
fault_of "injected broken home switch" roller_stall --inject 0:home_switch=0
fault_of "injected worn carriage drive" travel_timeout --inject 100:carriage_speed=0.05
check "injected overheated pad" 0 -- "$sim" --config "$cfg" --json --minutes 2 --inject 60:heater_c=55 lumbar-relief
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert "heater_overtemp" in [f["code"] for f in d["faults"]] and d["result"]=="completed", d' \
        "$tmp/out" || fails=$((fails + 1))

check "--seconds stops early, exit 0" 0 -- "$sim" --config "$cfg" --json --seconds 30 lumbar-relief
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["result"]=="stopped" and abs(d["simulated_s"]-30)<0.01, d' "$tmp/out" || fails=$((fails + 1))

check "injected stop command" 0 -- "$sim" --config "$cfg" --json --inject '25:command={"action":"stop"}' posture
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["result"]=="stopped", d' "$tmp/out" || fails=$((fails + 1))

check "trace" 0 -- "$sim" --config "$cfg" --seconds 2 --trace "$tmp/t.csv" --trace-every 10 posture
python3 - "$tmp/t.csv" <<'PY' || fails=$((fails + 1))
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
need = ["t_s", "state", "step", "technique", "carriage_mm", "heater_c", "all_safe"] + \
       ["out." + n for n in ("carriage", "knead", "tap", "depth", "heater", "pump", "valve-lumbar-left",
                             "valve-lumbar-right", "valve-seat", "valve-calves", "backrest", "legrest")]
for k in need:
    assert k in rows[0], k
assert len(rows) == 100, len(rows)   # 2 s at 500 Hz, one row per 10 ticks
PY

check "same seed, same run" 0 -- sh -c "'$sim' --config '$cfg' --json --seed 7 stress-relief > '$tmp/a' && '$sim' --config '$cfg' --json --seed 7 stress-relief > '$tmp/b' && cmp '$tmp/a' '$tmp/b'"

check "unknown program exits 1" 1 -- "$sim" --config "$cfg" no-such-program
grep -q "unknown program 'no-such-program'" "$tmp/err" || { echo "FAIL: message"; fails=$((fails + 1)); }
check "bad flag exits 1" 1 -- "$sim" --config "$cfg" --bogus posture
check "bad inject exits 1" 1 -- "$sim" --config "$cfg" --inject 10:nosuchkey=1 posture
check "bad seconds exits 1" 1 -- "$sim" --config "$cfg" --seconds -3 posture
check "missing program exits 1" 1 -- "$sim" --config "$cfg"
check "unreadable config exits 1" 1 -- "$sim" --config "$tmp/nope.yaml" posture
[ "$(wc -l < "$tmp/err")" -ge 1 ] || { echo "FAIL: no error line"; fails=$((fails + 1)); }

echo "$fails failure(s)"
[ "$fails" = 0 ]
