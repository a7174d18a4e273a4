#!/bin/sh
# SPDX-License-Identifier: MIT
# Make the installed /etc/chaird/chaird.yaml from the shipped config/chaird.yaml:
# the same file, with its relative "programs: [programs]" (right for a checkout)
# replaced by the installed directories: the shipped programs, then the local
# override directory.  Everything else, comments included, stays as it is.
#   installed-config.sh IN OUT SHIPPED_PROGRAMS_DIR LOCAL_PROGRAMS_DIR
set -eu
[ $# -eq 4 ] || { echo "usage: $0 IN OUT SHIPPED_DIR LOCAL_DIR" >&2; exit 2; }
in=$1 out=$2 shipped=$3 local=$4

n=$(grep -c '^programs: \[programs\]' "$in" || true)
if [ "$n" != 1 ]; then
        echo "$0: $in: expected one 'programs: [programs]' line, found $n" >&2
        exit 1
fi
sed -e "s|^programs: \[programs\] *#.*\$|programs: [$shipped, $local]  # shipped programs; a file in the second with the same id overrides|" \
    -e "s|^programs: \[programs\]\$|programs: [$shipped, $local]|" "$in" > "$out.tmp"
grep -q "^programs: \[$shipped, $local\]" "$out.tmp" || { echo "$0: substitution failed" >&2; rm -f "$out.tmp"; exit 1; }
mv "$out.tmp" "$out"
