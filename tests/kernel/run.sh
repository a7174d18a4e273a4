#!/bin/sh
# SPDX-License-Identifier: MIT
# meson test `kernel-gpio`: boot a real Linux 6.1 under qemu (TCG) with the
# test binaries in its initramfs and read the verdict from its serial console.
#
#   run.sh KERNEL_GPIO_TEST CHAIRD
#
# 1. tools/kernel/build-kernel.sh: the cached bzImage (built once, ~5 min);
# 2. the Debian 13 build of the same binaries (libgpiod 2), when the Debian 13
#    root of tools/debian13-root.sh exists (tests/kernel/deb13-build.sh);
# 3. tools/kernel/make-initramfs.sh: busybox, tests/kernel/init, the binaries
#    of each release with their own loader and libraries;
# 4. qemu-system-x86_64 -accel tcg; every PASS/FAIL/SKIP line from the VM is
#    shown, and the test passes when the VM finished, at least one check
#    passed and none failed.
# Exits 77 with the reason when qemu, the kernel source or busybox-static is
# missing.  Environment: CHAIRD_CACHE (default /var/cache/chaird),
# KERNEL_TEST_DEB13=0 to leave the Debian 13 half out.
set -u
test_bin=$1 chaird=$2
src=${CHAIRD_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
work=${CHAIRD_BUILD_ROOT:-$(dirname "$test_bin")/..}/kernel-test
mkdir -p "$work"

skip() { echo "SKIP: $*"; exit 77; }
[ -f /.chaird-root-key ] &&
        skip "inside the Debian 13 root: the run on the host boots this release's binaries (tests/kernel/deb13-build.sh)"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 missing (apt-get install qemu-system-x86)"
"$src/tools/kernel/build-kernel.sh" --check 2>/dev/null ||
        [ -r "${KERNEL_SOURCE:-/usr/src/linux-source-6.1.tar.xz}" ] ||
        skip "no cached kernel and no /usr/src/linux-source-6.1.tar.xz (apt-get install linux-source-6.1; on a release without it set KERNEL_SOURCE to a 6.1 tarball)"
command -v busybox >/dev/null && ! readelf -d "$(command -v busybox)" | grep -q NEEDED ||
        skip "a static busybox is missing (apt-get install busybox-static)"
cache=${CHAIRD_CACHE:-/var/cache/chaird}
if ! "$src/tools/kernel/build-kernel.sh" --check 2>/dev/null; then
        { mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ]; } ||
                skip "no cached kernel and $cache is not writable (run as root, or set CHAIRD_CACHE)"
        for t in make gcc bc flex bison xz; do
                command -v $t >/dev/null ||
                        skip "no cached kernel and $t missing to build one (tools/dev.sh test installs the kernel build tools)"
        done
fi
# A sanitizer build (tools/asan-test.sh) runs it once already in the normal suite.
readelf -d "$test_bin" 2>/dev/null | grep -q 'NEEDED.*lib\(asan\|ubsan\)' &&
        skip "sanitizer build: the normal suite boots the kernel test (an ASan binary in a 256 MiB VM adds nothing)"
for t in cpio gzip readelf; do
        command -v $t >/dev/null || skip "$t missing"
done

t0=$(date +%s)
image=$("$src/tools/kernel/build-kernel.sh") || { echo "FAIL: the kernel build failed"; exit 1; }
t1=$(date +%s)
echo "kernel: $image ($(( t1 - t0 )) s here; built in $(cat "$(dirname "$image")/build-seconds" 2>/dev/null || echo '?') s)"

# The Debian 13 half: its own build of the same source (libgpiod 2).
deb13=
if [ "${KERNEL_TEST_DEB13:-1}" = 0 ]; then
        reason="left out (KERNEL_TEST_DEB13=0)"
else
        deb13=$(sh "$src/tests/kernel/deb13-build.sh" "$src" "$work/deb13" 2>"$work/deb13-build.log")
        case $? in
        0) ;;
        77) deb13= reason=$(tail -n1 "$work/deb13-build.log") ;;
        *) tail -n 30 "$work/deb13-build.log"; echo "FAIL: the Debian 13 build failed"; exit 1 ;;
        esac
fi
t2=$(date +%s)
[ -z "$deb13" ] || echo "deb13: built in $(( t2 - t1 )) s: $deb13"

pack() {
        "$src/tools/kernel/make-initramfs.sh" --out "$work/initramfs.cpio.gz" --src "$src" \
                --release deb12 / "$test_bin" "$chaird" "$@"
}
if [ -n "$deb13" ]; then
        # shellcheck disable=SC2086
        pack --release deb13 $deb13
else
        pack --skip deb13 "$reason"
fi || { echo "FAIL: cannot pack the initramfs"; exit 1; }
echo "initramfs: $work/initramfs.cpio.gz, $(du -k "$work/initramfs.cpio.gz" | cut -f1) KiB"

log=$work/console.log
t3=$(date +%s)
# The timeout only stops a hung VM; nothing is judged by the time taken.
timeout 1800 qemu-system-x86_64 -accel tcg -m 256M -smp 1 -nographic -no-reboot \
        -kernel "$image" -initrd "$work/initramfs.cpio.gz" \
        -append "console=ttyS0 quiet loglevel=3 panic=-1" </dev/null >"$log" 2>&1
qrc=$?
t4=$(date +%s)
# The console's carriage returns and terminal resets (ESC c, ESC [...) out.
tr -d '\r' <"$log" | sed -E 's/\x1b(\[[0-9;?]*[A-Za-z]|c)//g' >"$log.txt"
grep -E '^(PASS|FAIL|SKIP|NOTE|KERNEL-TEST:|DONE|    \| |  \| )' "$log.txt"
echo "qemu: exit $qrc after $(( t4 - t3 )) s (console: $log.txt)"

npass=$(grep -c '^PASS ' "$log.txt")
nfail=$(grep -c '^FAIL ' "$log.txt")
if ! grep -q '^KERNEL-TEST: DONE' "$log.txt"; then
        echo "FAIL: the VM did not finish; last lines of its console:"
        tail -n 40 "$log.txt"
        exit 1
fi
echo "kernel-gpio: $npass passed, $nfail failed"
[ "$nfail" = 0 ] && [ "$npass" -gt 0 ]
