#!/bin/sh
# SPDX-License-Identifier: MIT
# Build the Debian packages from this source tree:
#   packaging/build-deb.sh [OUTDIR]          (default: build-deb/ at the top)
# Environment: DEB_BUILD_OPTIONS (e.g. nocheck), LINTIAN=0 to skip lintian.
#
# dpkg-buildpackage wants debian/ at the top of the tree, and the packaging
# lives in packaging/debian so upstream's tree stays distribution-neutral: the
# script copies the source (the files git knows, tracked or not ignored; the
# whole tree minus build directories without git) to a temporary directory,
# puts packaging/debian at its top and builds there with
# `dpkg-buildpackage -us -uc -b`.  Missing build dependencies are installed
# when run as root.  The .deb, .changes and .buildinfo files land in OUTDIR.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build-deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)

version=$(dpkg-parsechangelog -l "$top/packaging/debian/changelog" -S Version)
upstream=${version%-*}

work=$(mktemp -d "${TMPDIR:-/tmp}/chaird-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
src=$work/chaird-$upstream
mkdir "$src"

if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        # Tracked files deleted in the work tree are skipped (--ignore-failed-read).
        (cd "$top" && git ls-files -z --cached --others --exclude-standard) |
                tar -C "$top" --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -C "$src" -xf -
else
        tar -C "$top" --exclude='./build*' --exclude='./debian' -cf - . | tar -C "$src" -xf -
fi
rm -rf "$src/debian"
cp -a "$top/packaging/debian" "$src/debian"

cd "$src"
if ! dpkg-checkbuilddeps >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ]; then
                echo "build-deb: installing build dependencies" >&2
                DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -qq --no-install-recommends "$src" >/dev/null
        fi
fi
dpkg-buildpackage -us -uc -b

changes=$work/chaird_${version}_$(dpkg-architecture -qDEB_HOST_ARCH).changes
for f in "$work"/*.deb "$work"/*.buildinfo "$changes"; do
        cp "$f" "$out/"
done

if [ "${LINTIAN:-1}" != 0 ] && command -v lintian >/dev/null; then
        # Errors and warnings fail; each override is explained in debian/*.lintian-overrides.
        lintian --fail-on error,warning --info "$out/$(basename "$changes")"
fi
echo "build-deb: packages in $out" >&2
ls -1 "$out"/*.deb >&2
