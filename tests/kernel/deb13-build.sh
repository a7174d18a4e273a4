#!/bin/sh
# SPDX-License-Identifier: MIT
# The Debian 13 half of the real-kernel test: build kernel-gpio-test and chaird
# from SOURCE_DIR inside the Debian 13 root of tools/debian13-root.sh (trixie's
# gcc and libgpiod 2), in SOURCE_DIR/build-deb13-kernel, and print
# "SYSROOT BINARY BINARY" for tools/kernel/make-initramfs.sh --release deb13.
# Exits 77 with the reason on its last stderr line when that cannot be done
# here (no root tool, a root that cannot be made offline, or a tree whose
# linux backend does not build against libgpiod 2).
#
#   deb13-build.sh SOURCE_DIR
set -u
src=$(cd "$1" && pwd)
tool=$src/tools/debian13-root.sh
bdir=$src/build-deb13-kernel
skip() { echo "$*" >&2; exit 77; }

[ -f "$tool" ] || skip "no tools/debian13-root.sh in this tree: the Debian 13 half needs it"
command -v unshare >/dev/null && command -v chroot >/dev/null || skip "unshare/chroot missing"
[ "$(id -u)" = 0 ] || skip "the Debian 13 root needs root (chroot)"
# Made once (debootstrap, about 2 minutes) and cached; refused offline.
sh "$tool" ensure >&2 || skip "the Debian 13 root could not be made (tools/debian13-root.sh ensure failed)"
root=$(sh "$tool" path)

# shellcheck disable=SC2016
sh "$tool" run sh -c '
        set -e
        [ -f "$0/build.ninja" ] || meson setup "$0" -Dtests=enabled >/dev/null
        grep -q "^build tests/kernel-gpio-test:" "$0/build.ninja" || exit 3
        ninja -C "$0" tests/kernel-gpio-test daemon/chaird >/dev/null' "$bdir" >&2
case $? in
0) ;;
3) skip "this tree builds no linux backend against Debian 13's libgpiod 2 (meson: libgpiod (linux backend): false)" ;;
*) echo "deb13-build: the build in the Debian 13 root failed" >&2; exit 1 ;;
esac
echo "$root $bdir/tests/kernel-gpio-test $bdir/daemon/chaird"
