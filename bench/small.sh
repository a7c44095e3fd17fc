#!/bin/sh
# PDQ of small JPEGs (messaging and web sizes, up to 2 Mpx) against the
# cheapest complete read libjpeg offers.
#
#   bench/small.sh BUILD_DIR OUT_DIR DATA_DIR
#
# The set (DATA_DIR/photos-small): every photo of bench/photos.sh, reduced
# with `djpeg -scale M/8 | cjpeg -quality 90` at the largest M/8 that keeps it
# at or under 2 Mpx (photos already that small are copied as shipped).
# Times, interleaved (bench/timeit.py, BENCH_RUNS rounds, default 7):
#   ward hash --pdq-text -q -j 1 -c none SET     the PDQ of every file
#   the same on an empty folder                   ward's process start
#   BUILD_DIR/bench/jpeg_floor SET/*              every file decoded at 1/8 in
#                                                 one process (the yardstick)
#   jpeg_floor with no file                       its process start
# and prints (ward - ward start) / (floor - floor start), from medians and
# from minima, wall and CPU time (target: at most 1.5). On a busy machine the
# CPU-time line (user + system of each process) is the steadier figure.
# BENCH_WARD_BEFORE=/path/to/older/ward adds that binary's two rows to the same
# interleaved rounds, for a before/after from one invocation.
set -eu

BUILD=${1:?usage: bench/small.sh BUILD_DIR OUT_DIR DATA_DIR}
OUT=${2:?}
DATA=${3:?}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
WARD=$(cd "$BUILD" && pwd)/ward
FLOOR=$(cd "$BUILD" && pwd)/bench/jpeg_floor
RUNS=${BENCH_RUNS:-7}
mkdir -p "$OUT"

SHIPPED=$(sh "$HERE/photos.sh" "$DATA" | grep '/photos-shipped$')
SMALL=$DATA/photos-small
if [ ! -d "$SMALL" ] || [ "$SHIPPED/../photos.list" -nt "$SMALL" ]; then
    rm -rf "$SMALL"
    mkdir -p "$SMALL.tmp"
    for f in "$SHIPPED"/*; do
        set -- $("$PY" "$HERE/report.py" jpegsize "$f")
        w=$1 h=$2 m=8
        while [ $((w * m / 8 * (h * m / 8))) -gt 2000000 ]; do m=$((m - 1)); done
        if [ "$m" -eq 8 ]; then
            cp "$f" "$SMALL.tmp/"
        else
            djpeg -scale "$m/8" "$f" | cjpeg -quality 90 > "$SMALL.tmp/$(basename "$f")"
        fi
    done
    mv "$SMALL.tmp" "$SMALL"
fi
EMPTY=$OUT/empty
mkdir -p "$EMPTY"
cat "$SMALL"/* > /dev/null

q() { "$PY" -c 'import shlex,sys; print(shlex.join(sys.argv[1:]))' "$@"; }
spec=$OUT/small.spec
{
    printf 'ward -j1 -c none\t%s\n' "$(q "$WARD" hash --pdq-text -q -j 1 -c none "$SMALL")"
    printf 'ward start (empty dir)\t%s\n' "$(q "$WARD" hash --pdq-text -q -j 1 -c none "$EMPTY")"
    printf 'jpeg_floor 1/8\t%s\n' "$(q "$FLOOR" "$SMALL"/*)"
    printf 'jpeg_floor start\t%s\n' "$(q "$FLOOR")"
    if [ -n "${BENCH_WARD_BEFORE:-}" ]; then
        printf 'before: ward -j1 -c none\t%s\n' "$(q "$BENCH_WARD_BEFORE" hash --pdq-text -q -j 1 -c none "$SMALL")"
        printf 'before: ward start (empty dir)\t%s\n' "$(q "$BENCH_WARD_BEFORE" hash --pdq-text -q -j 1 -c none "$EMPTY")"
    fi
} > "$spec"
"$PY" "$HERE/timeit.py" --runs "$RUNS" --warmup 1 --out "$OUT/small.json" "$spec"
"$PY" "$HERE/report.py" smallratio "$OUT/small.json" "$SMALL" | tee "$OUT/small.txt"
