#!/bin/sh
# SPDX-License-Identifier: MIT
# Debian package test: build the .debs with packaging/build-deb.sh (lintian
# must be clean), install them, check the installed files, the conffile, the
# system user, the unit (systemd-analyze verify) and the installed config
# (chaird --check-config, chair-sim on a shipped program), then purge and check
# nothing is left but what Debian policy keeps (the chaird user, the gpio group).
# It installs and purges packages on this machine: it needs root, and it leaves
# an already installed chaird alone (skip).  Takes a few minutes.
set -u

src=${CHAIRD_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}

skip() { echo "SKIP: $*"; exit 77; }
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

[ "${CHAIRD_PACKAGING_SKIP:-0}" = 1 ] && skip "CHAIRD_PACKAGING_SKIP=1 (the sanitizer pass: the normal suite builds and installs the package)"
command -v dpkg >/dev/null || skip "not a Debian system (no dpkg)"
[ "$(id -u)" = 0 ] || skip "installing a .deb needs root"
for p in chaird chaird-tools; do
        if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "installed"; then
                skip "$p is already installed on this machine; not touching it"
        fi
done
for t in dpkg-buildpackage dh lintian scdoc systemd-analyze; do
        command -v "$t" >/dev/null || { echo "FAIL: $t missing (tools/dev.sh deps installs it)"; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/test-packaging.XXXXXX")
cleanup() {
        # Never leave the test's packages on the machine, whatever happened.
        if dpkg-query -W -f='${Status}' chaird 2>/dev/null | grep -q installed ||
           dpkg-query -W -f='${Status}' chaird-tools 2>/dev/null | grep -q installed; then
                DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 purge -y -qq chaird chaird-tools >/dev/null 2>&1
        fi
        rm -rf "$work"
}
trap cleanup EXIT INT TERM

# The version in debian/changelog must be the meson project version.
meson_version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$src/meson.build" | head -n1)
deb_version=$(dpkg-parsechangelog -l "$src/packaging/debian/changelog" -S Version)
[ "${deb_version%-*}" = "$meson_version" ] && ok "changelog version $deb_version matches meson $meson_version" ||
        fail "debian/changelog upstream version ${deb_version%-*} != meson project version $meson_version"

# Build (the unit tests ran in this same test suite already: nocheck).
if ! DEB_BUILD_OPTIONS=nocheck "$src/packaging/build-deb.sh" "$work/out" > "$work/build.log" 2>&1; then
        tail -n 60 "$work/build.log"
        echo "FAIL: packaging/build-deb.sh failed (lintian errors and warnings fail it too)"
        exit 1
fi
ok "packages built, lintian clean"
arch=$(dpkg --print-architecture)
deb=$work/out/chaird_${deb_version}_$arch.deb
tools_deb=$work/out/chaird-tools_${deb_version}_$arch.deb
[ -f "$deb" ] && [ -f "$tools_deb" ] || { ls "$work/out"; echo "FAIL: .deb files missing"; exit 1; }

# Files each package must hold.
expect_chaird="/usr/sbin/chaird /usr/bin/chair-sim /etc/chaird/chaird.yaml /etc/chaird/programs.d
/lib/systemd/system/chaird.service /usr/lib/sysusers.d/chaird.conf /lib/udev/rules.d/60-chaird-pwm.rules
/usr/share/man/man8/chaird.8.gz /usr/share/man/man1/chair-sim.1.gz /usr/share/man/man5/chaird.yaml.5.gz
/usr/share/doc/chaird/copyright
/usr/share/chaird/web/index.html /usr/share/chaird/web/app.js /usr/share/chaird/web/app.css
/usr/share/chaird/web/vendor/mqtt.min.js /usr/share/chaird/mosquitto/chaird-web.conf
/usr/sbin/chaird-broker-setup /usr/share/chaird/mosquitto/chaird.conf /usr/share/chaird/mosquitto/chaird.acl
/usr/share/man/man8/chaird-broker-setup.8.gz"
for f in "$src"/config/programs/*.yaml; do
        expect_chaird="$expect_chaird /usr/share/chaird/programs/$(basename "$f")"
done
expect_tools="/usr/bin/chairctl /usr/share/man/man1/chairctl.1.gz"
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\.||; s|/$||' > "$work/chaird.list"
dpkg-deb -c "$tools_deb" | awk '{print $6}' | sed 's|^\.||; s|/$||' > "$work/tools.list"
for f in $expect_chaird; do grep -qx "$f" "$work/chaird.list" || fail "chaird.deb lacks $f"; done
for f in $expect_tools; do grep -qx "$f" "$work/tools.list" || fail "chaird-tools.deb lacks $f"; done
# Nothing under odd roots (a mis-expanded install dir shows up as one).
if grep -v -E '^(|/etc|/lib|/usr)(/|$)' "$work/chaird.list" "$work/tools.list"; then
        fail "files outside /etc, /lib, /usr"
fi
grep -qx /usr/bin/chairctl "$work/chaird.list" && fail "chairctl is in chaird, expected only in chaird-tools"

# Install (apt resolves the runtime libraries).
if ! DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$deb" "$tools_deb" > "$work/install.log" 2>&1; then
        cat "$work/install.log"
        echo "FAIL: apt-get install"
        exit 1
fi
ok "installed"
for f in $expect_chaird $expect_tools; do [ -e "$f" ] || fail "$f not on disk after install"; done
dpkg-query -W -f='${Conffiles}\n' chaird | grep -q '^ /etc/chaird/chaird.yaml ' &&
        ok "/etc/chaird/chaird.yaml is a conffile" || fail "/etc/chaird/chaird.yaml is not a conffile"
grep -qx 'programs: \[/usr/share/chaird/programs, /etc/chaird/programs.d\].*' /etc/chaird/chaird.yaml 2>/dev/null ||
        grep -q '^programs: \[/usr/share/chaird/programs, /etc/chaird/programs.d\]' /etc/chaird/chaird.yaml ||
        fail "installed config does not list /usr/share/chaird/programs then /etc/chaird/programs.d"
getent passwd chaird >/dev/null && ok "user chaird created" || fail "user chaird missing after install"
getent group gpio >/dev/null && ok "group gpio exists" || fail "group gpio missing after install"
id -nG chaird 2>/dev/null | tr ' ' '\n' | grep -qx gpio || fail "chaird is not in group gpio"
[ -L /etc/systemd/system/multi-user.target.wants/chaird.service ] &&
        ok "unit enabled" || fail "chaird.service not enabled (multi-user.target.wants link missing)"

# The unit as installed.
if systemd-analyze verify /lib/systemd/system/chaird.service > "$work/verify.log" 2>&1; then
        ok "systemd-analyze verify"
else
        cat "$work/verify.log"
        fail "systemd-analyze verify /lib/systemd/system/chaird.service"
fi
grep -q '^ExecStart=/usr/sbin/chaird$' /lib/systemd/system/chaird.service || fail "unit ExecStart is not /usr/sbin/chaird"

# The installed config, read as the service user would read it.
out=$(runuser -u chaird -- /usr/sbin/chaird --check-config 2>&1)
rc=$?
if [ $rc = 0 ] && [ "$out" = "configuration OK" ]; then ok "chaird --check-config (as chaird)"
else echo "$out"; fail "chaird --check-config on the installed config: exit $rc"; fi
# chair-sim with its default config finds the shipped programs.
if /usr/bin/chair-sim --seconds 5 --json lumbar-relief > "$work/sim.json" 2>&1; then ok "chair-sim lumbar-relief"
else cat "$work/sim.json"; fail "chair-sim on the installed config"; fi
# A local program in programs.d is loaded (and overrides a shipped one by id).
sed 's/^name: .*/name: Local lumbar relief/' /usr/share/chaird/programs/lumbar-relief.yaml > /etc/chaird/programs.d/lumbar-relief.yaml
out=$(/usr/sbin/chaird --check-config 2>&1) || fail "check-config with a program in programs.d: $out"
rm -f /etc/chaird/programs.d/lumbar-relief.yaml
/usr/bin/chairctl --help >/dev/null 2>&1 && ok "chairctl runs" || fail "chairctl --help"
command -v man >/dev/null && { man -w chaird >/dev/null 2>&1 || fail "man -w chaird"; }

# State the daemon would have written (StateDirectory=) goes with a purge.
mkdir -p /var/lib/chaird && echo x > /var/lib/chaird/history.json

# Purge, then: no package file left, no /etc/chaird, no state, no enable link;
# the system user and group stay (Debian policy: never remove system accounts).
if ! DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 purge -y -qq chaird chaird-tools > "$work/purge.log" 2>&1; then
        cat "$work/purge.log"
        fail "apt-get purge"
fi
dpkg-query -W -f='${Status}' chaird 2>/dev/null | grep -q installed && fail "chaird still installed"
for f in $(cat "$work/chaird.list" "$work/tools.list"); do
        [ -n "$f" ] || continue
        # A directory another installed package still owns (/usr/bin, ...) stays.
        # (/lib is a symlink on merged-/usr systems.)
        if [ -d "$f" ] && { [ -L "$f" ] || dpkg-query -S "$f" >/dev/null 2>&1; }; then
                continue
        fi
        { [ -e "$f" ] || [ -L "$f" ]; } && fail "left behind after purge: $f"
done
[ -e /etc/chaird ] && fail "left behind after purge: /etc/chaird"
[ -e /var/lib/chaird ] && fail "left behind after purge: /var/lib/chaird"
[ -e /etc/systemd/system/multi-user.target.wants/chaird.service ] && fail "enable link left after purge"
[ -e /var/lib/systemd/deb-systemd-helper-enabled/chaird.service.dsh-also ] && fail "deb-systemd-helper state left after purge"
getent passwd chaird >/dev/null && ok "user chaird kept after purge (policy)" || fail "user chaird removed by purge"
ok "purged"

if [ $failures -ne 0 ]; then
        echo "$failures failure(s)"
        exit 1
fi
echo "all packaging checks passed"
