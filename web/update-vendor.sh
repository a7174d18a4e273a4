#!/bin/sh
# SPDX-License-Identifier: MIT
# Refresh vendor/ from the pinned lock file: `npm ci` installs exactly what
# package-lock.json names, then the browser bundle mqtt.js ships
# (node_modules/mqtt/dist/mqtt.min.js, one file with its dependencies) and its
# license are copied next to the app.  The board serves vendor/ as it is: no
# internet, no Node.js.  To move to a newer mqtt 5.x: edit package.json, run
# `npm install` (rewrites the lock file), then this script, and commit all four.
set -eu
cd "$(dirname "$0")"
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
version=$(node -p 'require("./node_modules/mqtt/package.json").version')
case "$version" in
5.*) ;;
*) echo "update-vendor.sh: mqtt $version is not 5.x" >&2; exit 1 ;;
esac
mkdir -p vendor
cp node_modules/mqtt/dist/mqtt.min.js vendor/mqtt.min.js
cp node_modules/mqtt/LICENSE.md vendor/mqtt.LICENSE.md
echo "$version" > vendor/mqtt.VERSION
echo "vendor/: mqtt $version"
