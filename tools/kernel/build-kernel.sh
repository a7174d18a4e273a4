#!/bin/sh
# SPDX-License-Identifier: MIT
# Build the small x86_64 kernel the real-kernel test boots under qemu
# (tests/kernel-gpio.sh): Debian's linux-source-6.1, `make tinyconfig` plus
# tools/kernel/kernel.config.  The bzImage is cached under
#     $CHAIRD_CACHE/kernel/<hash>/bzImage      (CHAIRD_CACHE default /var/cache/chaird)
# where <hash> covers the config fragment, this script and the source package's
# version, so it is built once per change of either and reused otherwise.
#
#   build-kernel.sh            build when missing; print the bzImage's path
#   build-kernel.sh --path     print where the bzImage is (or would be); build nothing
#   build-kernel.sh --check    exit 0 when it is cached, 1 when not
#
# Needs: linux-source-6.1 (or KERNEL_SOURCE=path/to/linux-*.tar.xz), gcc, make,
# bc, flex, bison, libelf-dev, xz-utils.  About 5 minutes on 2 idle cores.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache=${CHAIRD_CACHE:-/var/cache/chaird}/kernel
src_tar=${KERNEL_SOURCE:-/usr/src/linux-source-6.1.tar.xz}
fragment=$here/kernel.config

if [ ! -r "$src_tar" ]; then
        echo "build-kernel: $src_tar missing (apt-get install linux-source-6.1)" >&2
        exit 2
fi
# The package's version names the source; a tarball from elsewhere is hashed.
src_id=$(dpkg-query -W -f='${Package} ${Version}' linux-source-6.1 2>/dev/null || true)
case "$src_tar" in
/usr/src/linux-source-6.1.tar.xz) [ -n "$src_id" ] || src_id=$(sha256sum <"$src_tar") ;;
*) src_id=$(sha256sum <"$src_tar") ;;
esac
hash=$( { echo "$src_id"; cat "$fragment" "$0"; } | sha256sum | cut -c1-16)
out=$cache/$hash
image=$out/bzImage

case "${1:-}" in
--path) echo "$image"; exit 0 ;;
--check) [ -s "$image" ]; exit $? ;;
"") ;;
*) echo "usage: build-kernel.sh [--path|--check]" >&2; exit 1 ;;
esac

mkdir -p "$cache"
# One build at a time (two test runs, or CI and a developer); the second waits
# and then finds the image.
exec 9>"$cache/.lock"
flock 9
if [ -s "$image" ]; then
        echo "$image"
        exit 0
fi

work=$cache/build-$hash
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
echo "build-kernel: unpacking $src_tar" >&2
tar -xJf "$src_tar" -C "$work" --strip-components=1
cd "$work"
make ARCH=x86_64 tinyconfig >/dev/null
scripts/kconfig/merge_config.sh -m .config "$fragment" >/dev/null
make ARCH=x86_64 olddefconfig >/dev/null
# Every option asked for must be in the result, else a dependency is missing.
bad=0
grep '^CONFIG_' "$fragment" | while IFS= read -r want; do
        grep -qx "$want" .config || { echo "build-kernel: $want did not survive olddefconfig" >&2; echo x; }
done | grep -q x && bad=1
[ "$bad" = 0 ] || exit 1
echo "build-kernel: compiling (make -j$(nproc) bzImage)" >&2
make ARCH=x86_64 -j"$(nproc)" bzImage >"$work/make.log" 2>&1 || { tail -40 "$work/make.log" >&2; exit 1; }
mkdir -p "$out"
cp arch/x86/boot/bzImage "$out/bzImage.tmp"
cp .config "$out/config"
echo "$src_id" >"$out/source"
echo "$(( $(date +%s) - start ))" >"$out/build-seconds"
mv "$out/bzImage.tmp" "$image"
echo "build-kernel: built in $(cat "$out/build-seconds") s: $image" >&2
echo "$image"
