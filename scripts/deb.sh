#!/bin/sh
# make deb: the ward and libward-dev packages built from this tree with
# dpkg-buildpackage (on a copy, so the tree and its parent stay clean),
# lintian-checked (errors fail), then unpacked and checked (debcheck.sh).
#
#   scripts/deb.sh [OUTDIR [JOBS]]      the .debs land in OUTDIR (build-deb)
set -eu
OUT=${1:-build-deb}
JOBS=${2:-$(nproc)}
cd "$(dirname "$0")/.."
VERSION=$(dpkg-parsechangelog -S Version)
SRC=$OUT/ward-$VERSION
rm -rf "$OUT"
mkdir -p "$SRC"
tar -c --exclude='./build*' --exclude=./.git --exclude=./.gl --exclude=./.whl . | tar -x -C "$SRC"
start=$(date +%s)
if ! (cd "$SRC" && DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=$JOBS" \
      dpkg-buildpackage -b -us -uc) > "$OUT/build.log" 2>&1; then
    tail -40 "$OUT/build.log"
    echo "deb: dpkg-buildpackage failed (log: $OUT/build.log)" >&2
    exit 1
fi
echo "deb: built in $(($(date +%s) - start)) s: $(cd "$OUT" && ls ./*.deb | tr '\n' ' ')"
lintian --fail-on error --suppress-tags-from-file debian/lintian-known "$OUT"/ward_"$VERSION"_*.changes |
    tee "$OUT/lintian.log"
scripts/debcheck.sh "$OUT"
