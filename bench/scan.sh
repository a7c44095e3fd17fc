#!/bin/sh
# `ward scan` end to end, on one generated tree, in one invocation.
#
#   bench/scan.sh BUILD_DIR OUT_DIR DATA_DIR
#
# The tree (bench/scantree.py, under DATA_DIR/scan-tree): camera-style JPEGs
# of 1 to 12 Mpx made from the benign photos of bench/photos.sh, plus
# non-image files (random binaries of 1 KiB to 96 MiB, text). The store
# (DATA_DIR/scan-store): one alert list holding the MD5/SHA-1/SHA-256 of one
# photo and one other file of the tree (made with `ward hash --hashdeep`),
# and a PDQ list holding the PDQ of another photo plus BENCH_SCAN_PDQS
# (default 10000) random PDQs, so that a scan finds 'known' and 'near' files
# and near-matching searches a non-trivial index.
#
# Page cache warmed first (every file read once); then, interleaved
# (bench/timeit.py, BENCH_RUNS rounds after 1 warm-up round; each run starts
# from an empty report folder, removed untimed):
#   (a) digest-only, the whole tree:
#         ward scan --no-pdq -j N --progress none -q --data D --out O TREE
#         hashdeep -c md5,sha1,sha256 -r TREE
#       with N = nproc against hashdeep's default threads, and -j 1 against
#       hashdeep -j1. Target: ward at least 1.5x faster.
#   (b) full mode (digests, decode, PDQ with its 8 rotations/mirrors, near
#       lookup, reports) on TREE/photos: ward scan -j 1 and -j 2.
#       Target: at least 150 photos per second per core.
#   (c) full mode -j 1 on each photo size alone (photos/s against size).
# After the runs, the reports of the last run of each command are checked
# (file counts, known/near/new-image/other verdicts, no errors) and kept in
# OUT_DIR/scan-check.json. bench/report.py summary prints the tables.
set -eu

BUILD=${1:?usage: bench/scan.sh BUILD_DIR OUT_DIR DATA_DIR}
OUT=${2:?}
DATA=${3:?}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
WARD=$(cd "$BUILD" && pwd)/ward
RUNS=${BENCH_RUNS:-5}
NPROC=$(nproc)
TREE=$DATA/scan-tree
STORE=$DATA/scan-store
REP=$DATA/scan-reports
mkdir -p "$OUT" "$DATA"

command -v hashdeep >/dev/null 2>&1 || {
    echo "bench/scan.sh: hashdeep missing; run scripts/deps.sh --bench" >&2
    exit 2
}

echo "== scan ($TREE)" >&2
shipped=$(sh "$HERE/photos.sh" "$DATA" | grep '/photos-shipped$')
"$PY" "$HERE/scantree.py" "$TREE" "$shipped"/*.jpg > "$OUT/scan-tree.json"

# The store: a small alert list (exact) and a PDQ list (near).
rm -rf "$STORE" "$REP"
mkdir -p "$STORE" "$REP"
k_photo=$(find "$TREE/photos/3mpx" -type f | sort | head -n 1)
k_other=$(find "$TREE/other/bin/small" -type f | sort | head -n 1)
# The near photo comes from another source photo than the known one: every
# size made from its source is then 'near' (PDQ survives resizing).
ksrc=$(basename "$k_photo" | cut -c5-7)
n_photo=$(find "$TREE/photos/5mpx" -type f | sort | grep -v "/IMG_${ksrc}[0-9]\.jpg\$" | head -n 1)
"$WARD" hash --hashdeep "$k_photo" "$k_other" > "$STORE/alerts.hd"
"$WARD" db import --data "$STORE/d" --list alerts --category 1 --scheme projectvic \
    "$STORE/alerts.hd" >/dev/null
{
    "$WARD" hash --pdq-text -q -c none "$n_photo"
    "$PY" -c '
import random, sys
rng = random.Random(4242)
for i in range(int(sys.argv[1])):
    print("%064x,%d,random-%d" % (rng.getrandbits(256), rng.randint(50, 100), i))
' "${BENCH_SCAN_PDQS:-10000}"
} > "$STORE/alerts.pdq"
"$WARD" db import --data "$STORE/d" --list alerts-pdq --category 1 --scheme projectvic \
    --format pdq "$STORE/alerts.pdq" >/dev/null
"$WARD" db index --data "$STORE/d" >/dev/null
printf '{"known_photo": "%s", "known_other": "%s", "near_photo": "%s", "random_pdqs": %d}\n' \
    "$k_photo" "$k_other" "$n_photo" "${BENCH_SCAN_PDQS:-10000}" > "$OUT/scan-store.json"

# Warm the page cache: every command reads the same files.
find "$TREE" -type f -exec cat {} + > /dev/null

q() { "$PY" -c 'import shlex,sys; print(shlex.join(sys.argv[1:]))' "$@"; }
# name, then the ward scan arguments before the source; one report folder each.
scan_line() {
    name=$1 rep=$REP/$2; shift 2
    printf '%s\t%s\t%s\n' "$name" \
        "$(q "$WARD" scan --progress none -q --data "$STORE/d" --out "$rep" "$@")" \
        "$(q rm -rf "$rep")"
}

spec=$OUT/scan-digest.spec
{
    scan_line "ward scan --no-pdq -j $NPROC" nopdq-jN --no-pdq -j "$NPROC" "$TREE"
    printf 'hashdeep (default threads)\t%s\n' "$(q hashdeep -c md5,sha1,sha256 -r "$TREE")"
    scan_line "ward scan --no-pdq -j 1" nopdq-j1 --no-pdq -j 1 "$TREE"
    printf 'hashdeep -j1\t%s\n' "$(q hashdeep -c md5,sha1,sha256 -r -j1 "$TREE")"
} > "$spec"
"$PY" "$HERE/timeit.py" --runs "$RUNS" --warmup 1 --ok-exit 0,1 \
    --out "$OUT/scan-digest.json" "$spec"

spec=$OUT/scan-full.spec
{
    scan_line "ward scan -j 1 (photos)" full-j1 -j 1 "$TREE/photos"
    scan_line "ward scan -j 2 (photos)" full-j2 -j 2 "$TREE/photos"
} > "$spec"
"$PY" "$HERE/timeit.py" --runs "$RUNS" --warmup 1 --ok-exit 0,1 \
    --out "$OUT/scan-full.json" "$spec"

spec=$OUT/scan-sizes.spec
for d in $(cd "$TREE/photos" && printf '%s\n' * | sort -n); do
    scan_line "ward scan -j 1 photos/$d" "size-$d" -j 1 "$TREE/photos/$d"
done > "$spec"
"$PY" "$HERE/timeit.py" --runs "${BENCH_SIZE_RUNS:-3}" --warmup 1 --ok-exit 0,1 \
    --out "$OUT/scan-sizes.json" "$spec"

"$PY" "$HERE/report.py" scancheck "$OUT/scan-tree.json" "$OUT/scan-store.json" "$REP" \
    > "$OUT/scan-check.json"
