#!/bin/sh
# SPDX-License-Identifier: MIT
# chaird --check-config: "configuration OK" and exit 0 for good files; for bad
# ones exit 1 and every error as FILE:LINE:COL: PATH: MESSAGE.
# Usage: check-config.sh PATH-TO-CHAIRD   (CHAIRD_SOURCE_ROOT set by meson)
set -u
chaird=$1
# meson passes the binary relative to the build directory; we change directory below
case $chaird in /*) ;; *) chaird=$PWD/$chaird ;; esac
src=${CHAIRD_SOURCE_ROOT:?run through meson test}
data=$src/tests/data/config
fail=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# expect_ok CONFIG: exit 0, "configuration OK" last, nothing before it but warnings,
# notes and the list of skipped programs
expect_ok() {
        "$chaird" --check-config --config "$1" >"$out" 2>&1
        rc=$?
        if [ $rc -ne 0 ] || [ "$(tail -n 1 "$out")" != "configuration OK" ] ||
           sed '$d' "$out" | grep -v -e ': warning: ' -e ': note: ' -e '^[0-9]* program(s) skipped' | grep -q .; then
                echo "FAIL: $1: rc=$rc, output:"; cat "$out"; fail=1
        fi
}

# expect_error CONFIG LINE-PREFIX...: exit 1 and each prefix starts some line
expect_error() {
        cfg=$1; shift
        "$chaird" --check-config --config "$cfg" >"$out" 2>&1
        rc=$?
        if [ $rc -ne 1 ]; then
                echo "FAIL: $cfg: exit $rc, expected 1"; cat "$out"; fail=1
        fi
        for want in "$@"; do
                if ! grep -qF -- "$want" "$out"; then
                        echo "FAIL: $cfg: no line with '$want' in:"; cat "$out"; fail=1
                fi
        done
        if grep -q "configuration OK" "$out"; then
                echo "FAIL: $cfg: said OK despite errors"; fail=1
        fi
}

expect_ok "$src/config/chaird.yaml"
# the shipped config says nothing but OK: no warning, no note
[ "$("$chaird" --check-config --config "$src/config/chaird.yaml")" = "configuration OK" ] ||
        { echo "FAIL: the shipped config is not warning-free"; fail=1; }
expect_ok "$data/valid.yaml"
# relative to the working directory; the config's own relative paths still work
(cd "$data/programs" && "$chaird" --check-config --config ../valid.yaml | grep -qx "configuration OK") ||
        { echo "FAIL: relative --config path"; fail=1; }

expect_error "$data/bad-unknown-key.yaml" "$data/bad-unknown-key.yaml:3:3: safety.heater_max: unknown key"
expect_error "$data/bad-safety-range.yaml" "$data/bad-safety-range.yaml:3:3: safety.heater_max_c: out of range: 70"
expect_error "$data/bad-dup-line.yaml" \
        "$data/bad-dup-line.yaml:6:36: hardware.outputs.knead.dir.line: GPIO line gpiochip0:17 already used"
expect_error "$data/bad-syntax.yaml" "$data/bad-syntax.yaml:3:7: control: syntax error"
expect_error "$data/no-such-file.yaml" "$data/no-such-file.yaml:0:0: (document): cannot read"
# every error of the config and of every program, not only the first
expect_error "$data/multi.yaml" \
        "$data/multi.yaml:2:3: safety.heater_max_c: out of range" \
        "$data/multi.yaml:4:3: control.foo: unknown key" \
        "$data/bad-programs/intensity.yaml:8:5: steps[1].intensity: out of range: 6" \
        "$data/bad-programs/bad-zone.yaml:5:5: steps[0].zone: unknown landmark" \
        "$data/bad-programs/zone-reversed.yaml:5:5: steps[0].zone:" \
        "$data/bad-programs/too-many-steps.yaml:3:1: steps: needs 1 to 64 steps" \
        "$data/bad-programs/missing-id.yaml:1:1: id: missing required key"
expect_error "$data/dup-programs.yaml" "$data/dup-programs/b.yaml:2:1: id: duplicate program id 'same'"

# graceful fit: a chair without recline motors and airbags starts with the shipped
# programs that fit; the rest are skipped, each with one located warning naming the part
nra=$data/no-recline-no-airbags.yaml
progs=$data/../../../config/programs
expect_ok "$nra"
for want in \
        "$progs/circulation.yaml:24:5: steps[1].airbags: warning: program 'circulation' skipped: it needs pump" \
        "$progs/sleep-wind-down.yaml:32:5: steps[3].technique: warning: program 'sleep-wind-down' skipped: it needs backrest" \
        "$progs/lumbar-relief.yaml:18:5: steps[0].recline: note: program 'lumbar-relief' runs without backrest" \
        "4 program(s) skipped, they need parts this chair lacks: circulation mobility posture sleep-wind-down"; do
        grep -qF -- "$want" "$out" || { echo "FAIL: $nra: no line with '$want' in:"; cat "$out"; fail=1; }
done
# strict numbers in the config: every one in one pass, with the real range
bad=$(mktemp)
printf 'control:\n  rate_hz: 500abc\nsafety:\n  max_session_min: 30.5\n  heater_max_c: 1e308\n' >"$bad"
expect_error "$bad" \
        "$bad:2:3: control.rate_hz: invalid value '500abc': expected an integer in 50..5000" \
        "$bad:4:3: safety.max_session_min: invalid value '30.5': expected an integer in 1..30" \
        "$bad:5:3: safety.heater_max_c: out of range: 1e308 (allowed 30..50)"
rm -f "$bad"

# each error line has the documented shape
"$chaird" --check-config --config "$data/multi.yaml" >"$out" 2>&1
if grep -vqE '^[^:]+:[0-9]+:[0-9]+: [^ ]+: .+$' "$out"; then
        echo "FAIL: malformed error line:"; grep -vE '^[^:]+:[0-9]+:[0-9]+: [^ ]+: .+$' "$out"; fail=1
fi

[ $fail -eq 0 ] && echo "check-config: all passed"
exit $fail
