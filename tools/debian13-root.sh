#!/bin/sh
# SPDX-License-Identifier: MIT
# A Debian 13 (trixie) root for building and testing chaird against trixie's
# compilers and libraries (libgpiod 2, mosquitto 2.0.21, gcc 14, clang 19).
#
#   tools/debian13-root.sh ensure        make or refresh the root (debootstrap + packages)
#   tools/debian13-root.sh run CMD...    run CMD in the root, in this source tree
#   tools/debian13-root.sh path          print where the root lives
#
# The root is cached at /var/cache/chaird/debian13-root (CHAIRD_DEBIAN13_ROOT)
# and keyed by a hash of the suite, the mirror and the package list of
# `tools/dev.sh packages`: it is rebuilt when missing, half-made or stale, else
# reused as it is.  The mirror is the Debian mirror this machine's apt already
# uses (/etc/apt/sources.list or sources.list.d), or DEBIAN_MIRROR.
#
# `run` works in a private mount namespace (unshare -m): /proc, /sys, /dev
# (with /dev/pts and /dev/shm) and a fresh /tmp are mounted in the root, and
# the source tree is bind-mounted at its own path, so build directories made
# inside (e.g. build-deb13/) are readable from outside, paths and all.  The
# mounts vanish with the namespace; nothing is left mounted on the host.  The
# network is the host's (tests use loopback brokers).  The environment is
# clean but for a few variables (CI, BUILD_DIR, MESON_ARGS, TIME_SCALE; no .pyc files are
# written into the tree).  Needs root.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
root=${CHAIRD_DEBIAN13_ROOT:-/var/cache/chaird/debian13-root}
suite=trixie

die() { echo "debian13-root: $*" >&2; exit 1; }

# The first Debian archive URI in apt's sources (deb822 or one-line), not the
# security archive.
mirror() {
        if [ -n "${DEBIAN_MIRROR:-}" ]; then
                echo "$DEBIAN_MIRROR"
                return
        fi
        for f in /etc/apt/sources.list.d/*.sources; do
                [ -f "$f" ] || continue
                sed -n 's/^URIs:[[:space:]]*//p' "$f" | tr ' ' '\n'
        done | grep -E '/debian/?$' | grep -v security | head -n 1 | grep . && return
        cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
                awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /=/) { print $i; break } }' |
                grep -E '/debian/?$' | grep -v security | head -n 1 | grep . && return
        echo http://deb.debian.org/debian
}

key() {
        { echo "$suite"; mirror; sh "$top/tools/dev.sh" packages | sort; } | sha256sum | cut -c1-16
}

# Mount what a build and the tests need, then chroot.  Runs inside unshare -m.
enter() {
        r=$1
        shift
        mount --make-rprivate /
        mount -t proc proc "$r/proc"
        mount --rbind /sys "$r/sys"
        mount --rbind /dev "$r/dev"
        mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
        mkdir -p "$r$top"
        mount --bind "$top" "$r$top"
        cp /etc/resolv.conf "$r/etc/resolv.conf" 2>/dev/null || true
        cd /
        exec chroot "$r" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
                HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" DEBIAN_FRONTEND=noninteractive \
                PYTHONDONTWRITEBYTECODE=1 \
                CI="${CI:-}" BUILD_DIR="${BUILD_DIR:-}" MESON_ARGS="${MESON_ARGS:-}" TIME_SCALE="${TIME_SCALE:-}" \
                /bin/sh -c 'cd "$0" && exec "$@"' "$top" "$@"
}

in_root() {
        r=$1
        shift
        unshare -m sh "$top/tools/debian13-root.sh" __enter "$r" "$@" 9>&-
}

build_root() {
        k=$(key)
        m=$(mirror)
        new=$root.new
        echo "debian13-root: making $root ($suite from $m, key $k)" >&2
        command -v debootstrap >/dev/null || {
                apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends debootstrap >/dev/null
        }
        rm -rf "$new"
        mkdir -p "$(dirname "$root")"
        debootstrap --variant=minbase --include=ca-certificates "$suite" "$new" "$m" >"$new.log" 2>&1 ||
                { tail -n 20 "$new.log" >&2; die "debootstrap failed (log: $new.log)"; }
        # No service starts inside the root (mosquitto's postinst would try).
        printf '#!/bin/sh\nexit 101\n' >"$new/usr/sbin/policy-rc.d"
        chmod 755 "$new/usr/sbin/policy-rc.d"
        printf 'deb %s %s main\ndeb %s %s-updates main\n' "$m" "$suite" "$m" "$suite" >"$new/etc/apt/sources.list"
        pkgs=$(sh "$top/tools/dev.sh" packages | tr '\n' ' ')
        # shellcheck disable=SC2086
        in_root "$new" sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends git $pkgs" \
                >>"$new.log" 2>&1 || { tail -n 20 "$new.log" >&2; die "package install failed (log: $new.log)"; }
        in_root "$new" apt-get clean >/dev/null 2>&1 || true
        echo "$k" >"$new/.chaird-root-key"
        rm -rf "$root"
        mv "$new" "$root"
        mv "$new.log" "$root.log"
}

ensure() {
        [ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mounts)"
        mkdir -p "$(dirname "$root")"
        # One maker at a time, and never while a `run` is inside: makers hold the
        # lock exclusively, runs shared (kept until this script exits).
        exec 9>"$root.lock"
        flock -s 9
        if ! fresh; then
                flock 9
                fresh || build_root
                flock -s 9
        fi
        echo "debian13-root: using $root" >&2
}

fresh() {
        [ -f "$root/.chaird-root-key" ] && [ "$(cat "$root/.chaird-root-key")" = "$(key)" ]
}

case "${1:-}" in
ensure)
        ensure ;;
run)
        shift
        [ $# -gt 0 ] || die "usage: tools/debian13-root.sh run CMD..."
        ensure
        in_root "$root" "$@" ;;
path)
        echo "$root" ;;
__enter)
        shift
        enter "$@" ;;
*)
        echo "usage: tools/debian13-root.sh ensure | run CMD... | path" >&2
        exit 1 ;;
esac
