#!/bin/sh
# `make bench`: every benchmark in one run, then a summary with PASS/FAIL
# against the targets (docs/bench.md).
#
#   bench/run.sh BUILD_DIR
#
# Environment:
#   PDQ_REFERENCE_BIN  Meta's pdq-photo-hasher, to time and compare against
#                      (without it, ward --full-decode stands in as a proxy)
#   BENCH_OUT          where results go (default BUILD_DIR/bench-results)
#   BENCH_DATA         where test data goes (default BUILD_DIR/bench-data)
#   BENCH_RUNS         timed rounds per command (default 5)
#   BENCH_SETS         photo sets (default "baseline shipped")
#   BENCH_PHOTOS       use this folder of JPEGs instead of the Debian
#                      wallpaper packages (which are otherwise installed)
#   BENCH_ONLY         which benchmarks, of "pdq small digest scan" (default: all)
#   BENCH_STRICT=1     exit 1 when a target is missed (default: report only)
#   BENCH_SCAN_PDQS    random PDQs in the scan benchmark's store (default 10000)
#   BENCH_SIZE_RUNS    timed rounds per photo size in the scan benchmark (default 3)
# Needs djpeg, jpegtran, hashdeep, openssl, python3-pil (scripts/deps.sh --bench).
set -eu

BUILD=${1:?usage: bench/run.sh BUILD_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
BUILD=$(cd "$BUILD" && pwd)
OUT=${BENCH_OUT:-$BUILD/bench-results}
DATA=${BENCH_DATA:-$BUILD/bench-data}
mkdir -p "$OUT" "$DATA"

for tool in djpeg jpegtran hashdeep openssl; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "bench/run.sh: $tool missing; run scripts/deps.sh --bench" >&2
        exit 2
    }
done
[ -x "$BUILD/ward" ] || { echo "bench/run.sh: no $BUILD/ward; build first" >&2; exit 2; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
case $load_before in
    0.[0-4]*) ;;
    *) echo "bench/run.sh: warning: load average $load_before before starting;" \
            "timings may be disturbed (see the 'other s' column)" >&2 ;;
esac
start=$(date +%s)

want() { case " ${BENCH_ONLY:-pdq small digest scan} " in *" $1 "*) return 0 ;; esac; return 1; }
# Results of a benchmark not run this time would be stale: drop them.
want pdq || rm -f "$OUT"/pdq-*.json "$OUT"/set-*.json "$OUT"/stages-*.txt "$OUT"/acc-*.json
want digest || rm -f "$OUT"/digest.json "$OUT"/digest-set.json "$OUT"/openssl.json
want scan || rm -f "$OUT"/scan-*.json
want small || rm -f "$OUT"/small.json "$OUT"/small.txt
want pdq && sh "$HERE/pdq.sh" "$BUILD" "$OUT" "$DATA"
want small && sh "$HERE/small.sh" "$BUILD" "$OUT" "$DATA" > /dev/null
want digest && sh "$HERE/digest.sh" "$BUILD" "$OUT" "$DATA"
want scan && sh "$HERE/scan.sh" "$BUILD" "$OUT" "$DATA"

field() { grep -m1 "^$1[[:space:]]*:" /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'; }
flags=""
for f in sha_ni avx2 avx512f; do
    field flags | tr ' ' '\n' | grep -qx "$f" && flags="$flags $f"
done
cpu="$(field 'model name') (family $(field 'cpu family'), model $(field model);$flags)"
libjpeg=$(dpkg-query -W -f='${Package} ${Version}' libjpeg62-turbo 2>/dev/null || echo unknown)
hashdeep_v=$(hashdeep -V 2>/dev/null || echo unknown)
M_CPU=$cpu M_NPROC=$(nproc) M_KERNEL=$(uname -r) M_OPENSSL=$(openssl version) \
M_LIBJPEG=$libjpeg M_HASHDEEP=$hashdeep_v \
M_WARD=$("$BUILD/ward" --version 2>&1 | head -n1) \
M_REFERENCE=${PDQ_REFERENCE_BIN:-none (proxy: ward --full-decode)} \
M_LOAD_BEFORE=$load_before M_LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg) \
M_SECONDS=$(( $(date +%s) - start )) \
"$PY" -c '
import json, os, sys
keys = ["cpu", "nproc", "kernel", "openssl", "libjpeg", "hashdeep", "ward", "reference",
        "load_before", "load_after", "seconds"]
json.dump({k: os.environ["M_" + k.upper()] for k in keys}, open(sys.argv[1], "w"), indent=1)
' "$OUT/machine.json"

rc=0
"$PY" "$HERE/report.py" summary "$OUT" || rc=$?
if [ -f "$OUT/small.txt" ]; then
    echo "PDQ of JPEGs up to 2 Mpx against libjpeg's 1/8 decode (bench/small.sh):"
    cat "$OUT/small.txt"
    grep -q '^FAIL' "$OUT/small.txt" && rc=1
fi
echo "(results in $OUT; took $(( $(date +%s) - start )) s)"
[ "${BENCH_STRICT:-0}" = "1" ] && exit "$rc"
exit 0
