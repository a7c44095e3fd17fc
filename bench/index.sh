#!/bin/sh
# PDQ index benchmark: ward against FAISS on the same data, in one run.
#
#   bench/index.sh [BUILD_DIR] [N] [Q]      (defaults: build 10000000 1000)
#
# bench_index generates N synthetic hashes and Q queries, builds and times
# the ward index and dumps data, queries and brute-force truth; faiss_index.py
# runs FAISS's multi-index hash on the same dump. Both run single-threaded
# at radius 31 and check their answers against the same brute force. The
# last line compares median latencies. Peak memory at 10M: ~2 GB for ward,
# ~3 GB for FAISS (they run one after the other); /tmp needs ~1.5 GB.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
n=${2:-10000000}
q=${3:-1000}
radius=31

[ -x "$build/bench/bench_index" ] || { echo "index.sh: build $build first" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/ward-index-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

"$build/bench/bench_index" --n "$n" --q "$q" --radius "$radius" --dir "$work" \
    --dump "$work/data" | tee "$work/ward.out"
/usr/bin/python3 "$here/faiss_index.py" "$work/data" --radius "$radius" | tee "$work/faiss.out"

# value of key $2 on the first line of file $1 that starts with prefix $3
field() { grep -m1 "^$3" "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
wp50=$(field "$work/ward.out" p50_us "ward: query calls")
fp50=$(field "$work/faiss.out" p50_us "faiss: query calls")
wbuild=$(field "$work/ward.out" build_s "ward: n=")
fbuild=$(field "$work/faiss.out" build_s "faiss: n=")
frecall=$(field "$work/faiss.out" recall "faiss: recall")
wexact=$(field "$work/ward.out" verified "ward: verified")
awk -v w="$wp50" -v f="$fp50" -v n="$n" -v wb="$wbuild" -v fb="$fbuild" \
    -v fr="$frecall" -v we="$wexact" 'BEGIN {
    printf "compare: n=%d radius 31 p50: ward %.1f us, faiss %.1f us, ward %.1fx faster; " \
           "build: ward %.1f s, faiss %.1f s; exact: ward %s sampled, faiss recall %s\n",
           n, w, f, f / w, wb, fb, we, fr }'
