#!/bin/bash
# ward intel at operation scale: a generated 30,000-record bulk list is
# ingested, resolved, scored and routed; prints the wall time of the chain
# (target: under 60 s on 2 cores) and the resolution's pairwise precision
# and recall against the generator's ground truth (target: both >= 0.98).
# --encrypted: the same with intel.db encrypted at rest (--key-file).
#   bench/intel.sh [--encrypted] [WARD_BIN] [RECORDS] [SEED]
set -euo pipefail
ENC=""
if [ "${1:-}" = "--encrypted" ]; then ENC=1; shift; fi
WARD=$(realpath "${1:-build/ward}")
N=${2:-30000}
SEED=${3:-1}
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/ward-intel-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
KEY=()
if [ -n "$ENC" ]; then
    mkdir -m 700 "$W/keys"
    "$WARD" intel key generate "$W/keys/intel.key" 2>/dev/null
    KEY=(--key-file "$W/keys/intel.key")
fi
/usr/bin/python3 "$SRC/scripts/gen_referrals.py" --records "$N" --seed "$SEED" \
    --out "$W/op.csv" --truth "$W/truth.csv"
# Two cores, as the target says (taskset where the machine has it).
PIN=""
command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ] && PIN="taskset -c 0,1"
t0=$(date +%s.%N)
$PIN "$WARD" intel --data "$W/d" "${KEY[@]}" ingest --source op-bench --bulk "$W/op.csv" 2>/dev/null \
    || [ $? -eq 1 ]
$PIN "$WARD" intel --data "$W/d" "${KEY[@]}" update
t1=$(date +%s.%N)
"$WARD" intel --data "$W/d" "${KEY[@]}" evaluate "$W/truth.csv"
printf 'ingest+resolve+score+route of %d records%s: %.2f s (target < 60 s on 2 cores)\n' \
    "$N" "${ENC:+ (encrypted)}" "$(echo "$t1 - $t0" | bc)"
