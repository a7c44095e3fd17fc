#!/bin/sh
# PDQ throughput and accuracy of `ward hash` on folders of photographs.
#
#   bench/pdq.sh BUILD_DIR OUT_DIR DATA_DIR
#
# For each photo set (bench/photos.sh; BENCH_SETS="baseline shipped"):
#   - times, interleaved (bench/timeit.py, BENCH_RUNS rounds, default 5):
#       ward hash --pdq-text -j 1 -c none          the headline: PDQ only
#       ward hash --pdq-text -j 1 -c all           with MD5/SHA-1/SHA-256 too
#       ward hash --pdq-text -j 1 --full-decode    full-size RGB JPEG decode
#       ward hash --pdq-text -j 2 -c none          thread scaling
#       two `-j 1` processes at once               this machine's 2-core ceiling
#       djpeg -scale 1/8, one process per file     yardstick (target <= 1.5x)
#       $PDQ_REFERENCE_BIN over the folder         Meta's reference hasher, when
#                                                  set (target: ward >= 5x faster);
#                                                  otherwise the --full-decode row
#                                                  stands in as a PROXY
#   - PDQ bit differences: default path vs --full-decode (and vs the
#     reference when given)
#   - an in-process breakdown by stage (BUILD_DIR/bench/bench_pdq_stages)
# Leaves JSON and text in OUT_DIR for bench/report.py.
set -eu

BUILD=${1:?usage: bench/pdq.sh BUILD_DIR OUT_DIR DATA_DIR}
OUT=${2:?}
DATA=${3:?}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
WARD=$(cd "$BUILD" && pwd)/ward
STAGES=$(cd "$BUILD" && pwd)/bench/bench_pdq_stages
RUNS=${BENCH_RUNS:-5}
SETS=${BENCH_SETS:-baseline shipped}
mkdir -p "$OUT"

if [ -n "${PDQ_REFERENCE_BIN:-}" ] && [ ! -x "$PDQ_REFERENCE_BIN" ]; then
    echo "bench/pdq.sh: PDQ_REFERENCE_BIN=$PDQ_REFERENCE_BIN is not executable" >&2
    exit 2
fi

dirs=$(sh "$HERE/photos.sh" "$DATA")
for s in $SETS; do
    dir=$(printf '%s\n' "$dirs" | grep "/photos-$s\$" || true)
    [ -n "$dir" ] || { echo "bench/pdq.sh: no photo set '$s'" >&2; exit 2; }
    echo "== PDQ, set '$s' ($dir)" >&2
    "$PY" "$HERE/report.py" setinfo "$dir" > "$OUT/set-$s.json"
    # Warm the page cache: every command reads the same files.
    cat "$dir"/* > /dev/null

    q() { "$PY" -c 'import shlex,sys; print(shlex.join(sys.argv[1:]))' "$@"; }
    spec=$OUT/pdq-$s.spec
    {
        printf 'ward -j1 -c none\t%s\n' "$(q "$WARD" hash --pdq-text -q -j 1 -c none "$dir")"
        printf 'ward -j1 -c all (digests on)\t%s\n' "$(q "$WARD" hash --pdq-text -q -j 1 -c all "$dir")"
        printf 'ward -j1 --full-decode\t%s\n' "$(q "$WARD" hash --pdq-text -q -j 1 -c none --full-decode "$dir")"
        printf 'ward -j2 -c none\t%s\n' "$(q "$WARD" hash --pdq-text -q -j 2 -c none "$dir")"
        printf '2 x ward -j1 in parallel\t%s\n' "$(q sh "$HERE/parallel2.sh" "$WARD" hash --pdq-text -q -j 1 -c none "$dir")"
        printf 'djpeg -scale 1/8 (loop)\t%s\n' "$(q sh "$HERE/djpeg-loop.sh" "$dir" -scale 1/8)"
        if [ -n "${PDQ_REFERENCE_BIN:-}" ]; then
            printf 'reference (pdq-photo-hasher)\t%s\n' "$(q sh "$HERE/ref-loop.sh" "$dir")"
        fi
    } > "$spec"
    "$PY" "$HERE/timeit.py" --runs "$RUNS" --warmup 1 --out "$OUT/pdq-$s.json" "$spec"

    # Accuracy: the same images through each path.
    "$WARD" hash --pdq-text -q -c none "$dir" > "$OUT/pdq-$s-fast.txt"
    "$WARD" hash --pdq-text -q -c none --full-decode "$dir" > "$OUT/pdq-$s-full.txt"
    "$PY" "$HERE/report.py" pdqdiff "$OUT/pdq-$s-fast.txt" "$OUT/pdq-$s-full.txt" \
        > "$OUT/acc-$s-fast-full.json"
    rm -f "$OUT/acc-$s-fast-ref.json" "$OUT/acc-$s-full-ref.json"
    if [ -n "${PDQ_REFERENCE_BIN:-}" ]; then
        "$PDQ_REFERENCE_BIN" "$dir"/* > "$OUT/pdq-$s-ref.txt" 2>/dev/null || true
        "$PY" "$HERE/report.py" pdqdiff "$OUT/pdq-$s-fast.txt" "$OUT/pdq-$s-ref.txt" \
            > "$OUT/acc-$s-fast-ref.json"
        "$PY" "$HERE/report.py" pdqdiff "$OUT/pdq-$s-full.txt" "$OUT/pdq-$s-ref.txt" \
            > "$OUT/acc-$s-full-ref.json"
    fi

    # Where the time goes, in one process.
    if [ -x "$STAGES" ]; then
        "$STAGES" -r "${BENCH_STAGE_RUNS:-2}" "$dir"/* > "$OUT/stages-$s.txt"
    else
        echo "bench/pdq.sh: $STAGES not built; no stage breakdown" >&2
        rm -f "$OUT/stages-$s.txt"
    fi
done
