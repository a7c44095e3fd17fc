#!/bin/sh
# MD5 + SHA-1 + SHA-256 of a mixed tree: ward against hashdeep.
#
#   bench/digest.sh BUILD_DIR OUT_DIR DATA_DIR
#
# Generates DATA_DIR/digest-tree (bench/gentree.py: ~600 MB of random
# content in 2000 small, 40 medium and 2 large files; BENCH_TREE_SCALE
# scales it), reads it once so the page cache is warm, then times
# interleaved (bench/timeit.py, BENCH_RUNS rounds):
#   ward hash --no-pdq -c md5,sha1,sha256 --jsonl DIR      default threads
#   hashdeep -c md5,sha1,sha256 -r DIR                      default threads
#   the same two with one hashing thread: ward -j 1, hashdeep -j1
#   hashdeep -j0 (no threads at all) for reference
# and asks `openssl speed` what one core can do for the three digests.
# Target: ward at least 1.5x faster than hashdeep, both ways.
set -eu

BUILD=${1:?usage: bench/digest.sh BUILD_DIR OUT_DIR DATA_DIR}
OUT=${2:?}
DATA=${3:?}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
WARD=$(cd "$BUILD" && pwd)/ward
RUNS=${BENCH_RUNS:-5}
TREE=$DATA/digest-tree
mkdir -p "$OUT" "$DATA"

echo "== digests ($TREE)" >&2
bytes=$("$PY" "$HERE/gentree.py" "$TREE" "${BENCH_TREE_SCALE:-1}")
files=$(find "$TREE" -type f | wc -l)
printf '{"dir": "%s", "files": %d, "bytes": %d}\n' "$TREE" "$files" "$bytes" > "$OUT/digest-set.json"
find "$TREE" -type f -exec cat {} + > /dev/null   # warm the page cache

q() { "$PY" -c 'import shlex,sys; print(shlex.join(sys.argv[1:]))' "$@"; }
spec=$OUT/digest.spec
{
    printf 'ward (default threads)\t%s\n' "$(q "$WARD" hash --no-pdq -c md5,sha1,sha256 --jsonl -q "$TREE")"
    printf 'hashdeep (default threads)\t%s\n' "$(q hashdeep -c md5,sha1,sha256 -r "$TREE")"
    printf 'ward -j1\t%s\n' "$(q "$WARD" hash --no-pdq -c md5,sha1,sha256 --jsonl -q -j 1 "$TREE")"
    printf 'hashdeep -j1\t%s\n' "$(q hashdeep -c md5,sha1,sha256 -r -j1 "$TREE")"
    printf 'hashdeep -j0 (unthreaded)\t%s\n' "$(q hashdeep -c md5,sha1,sha256 -r -j0 "$TREE")"
} > "$spec"
"$PY" "$HERE/timeit.py" --runs "$RUNS" --warmup 1 --out "$OUT/digest.json" "$spec"
"$PY" "$HERE/report.py" openssl > "$OUT/openssl.json"
