#!/bin/sh
# SPDX-License-Identifier: MIT
# Pack the initramfs the real-kernel test boots (tests/kernel/run.sh):
# busybox (Debian's busybox-static), tests/kernel/init as /init, the test's
# config and programs, and per Debian release the test binaries with their own
# dynamic loader and shared libraries, so that each release's build runs with
# its own libgpiod:
#
#   make-initramfs.sh --out FILE.cpio.gz --src SOURCE_DIR
#                     --release NAME SYSROOT BINARY... [--release NAME SYSROOT BINARY...]
#                     [--skip NAME REASON]
#
# SYSROOT is / for this machine's binaries, or a release's root directory
# (e.g. the Debian 13 root of tools/debian13-root.sh); BINARY paths are as seen
# from here.  Libraries are found by the ELF NEEDED entries, looked up and
# their symlinks followed inside SYSROOT.  In the image, release NAME lives in
# /NAME: /NAME/lib (loader and libraries) and /NAME/bin/BINARY, a wrapper that
# runs /NAME/bin/BINARY.real through /NAME/lib's loader and libraries only.
# --skip NAME REASON leaves /NAME.skip for the init to report.
set -eu

out= src=
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

die() { echo "make-initramfs: $*" >&2; exit 1; }

# Path of $2 inside sysroot $1 with every symlink followed inside the sysroot.
resolve() {
        p=$2 n=0
        while [ -L "$1$p" ]; do
                t=$(readlink "$1$p")
                case "$t" in
                /*) p=$t ;;
                *) p=$(dirname "$p")/$t ;;
                esac
                n=$((n + 1))
                [ $n -lt 40 ] || die "symlink loop at $1$2"
        done
        [ -e "$1$p" ] || return 1
        echo "$1$p"
}

find_lib() {
        for d in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64 /usr/lib64 /lib /usr/lib /usr/local/lib; do
                f=$(resolve "$1" "$d/$2") && { echo "$f"; return 0; }
        done
        return 1
}

needed() {
        readelf -d "$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
}

# add_libs SYSROOT DEST FILE: FILE's libraries (and theirs) into DEST.
add_libs() {
        for lib in $(needed "$3"); do
                [ -e "$2/$lib" ] && continue
                f=$(find_lib "$1" "$lib") || die "$lib (needed by $3) not found under $1"
                cp "$f" "$2/$lib"
                add_libs "$1" "$2" "$f"
        done
}

add_release() {
        name=$1 sysroot=${2%/}
        shift 2
        dest=$stage/$name
        mkdir -p "$dest/lib" "$dest/bin"
        loader=$(resolve "$sysroot" /lib64/ld-linux-x86-64.so.2) || die "no dynamic loader in $sysroot"
        cp "$loader" "$dest/lib/ld-linux-x86-64.so.2"
        for b in "$@"; do
                [ -x "$b" ] || die "$b missing"
                base=$(basename "$b")
                cp "$b" "$dest/bin/$base.real"
                add_libs "$sysroot" "$dest/lib" "$b"
                cat >"$dest/bin/$base" <<WRAP
#!/bin/sh
exec /$name/lib/ld-linux-x86-64.so.2 --library-path /$name/lib /$name/bin/$base.real "\$@"
WRAP
                chmod 755 "$dest/bin/$base"
        done
        echo "$sysroot" >"$dest/sysroot"
}

# Arguments are taken in two passes: --out/--src first, then the releases.
args_file=$stage/.args
: >"$args_file"
while [ $# -gt 0 ]; do
        case "$1" in
        --out) out=$2; shift 2 ;;
        --src) src=$2; shift 2 ;;
        --release)
                shift
                rel=
                while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do rel="$rel $1"; shift; done
                echo "$rel" >>"$args_file" ;;
        --skip)
                mkdir -p "$stage"
                printf '%s\n' "$3" >"$stage/$2.skip"
                shift 3 ;;
        *) die "unknown argument $1" ;;
        esac
done
[ -n "$out" ] && [ -n "$src" ] || die "usage: make-initramfs.sh --out FILE --src DIR --release NAME SYSROOT BIN..."
while read -r line; do
        # shellcheck disable=SC2086
        [ -n "$line" ] && add_release $line
done <"$args_file"
rm -f "$args_file"

busybox=$(command -v busybox || true)
[ -n "$busybox" ] || die "busybox missing (apt-get install busybox-static)"
readelf -d "$busybox" 2>/dev/null | grep -q NEEDED && die "$busybox is not static (apt-get install busybox-static)"
mkdir -p "$stage/bin" "$stage/chaird/tests/kernel" "$stage/chaird/config/examples" "$stage/chaird/config/programs"
cp "$busybox" "$stage/bin/busybox"
cp "$src/tests/kernel/init" "$stage/init"
chmod 755 "$stage/init"
cp "$src/tests/kernel/rpi-kernel.yaml" "$stage/chaird/tests/kernel/"
cp "$src/config/examples/rpi-lumbar.yaml" "$stage/chaird/config/examples/"
cp "$src"/config/programs/*.yaml "$stage/chaird/config/programs/"

(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
