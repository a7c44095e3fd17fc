#!/bin/bash
# ward graph at scale: a generated referral list with a planted network
# (scripts/gen_network.py; default 300,000 records) is ingested and
# resolved (not timed), then bench_graph times the graph build (target
# under 30 s), the store stamp a cached web view reads instead of a build,
# and neighbourhood queries (target under 50 ms), with a path, Louvain
# communities and key players for scale, and the peak memory. The yardstick in the same
# run is `ward intel subjects` over the same store (a full read of it).
#   bench/graph.sh [BUILD_DIR] [PEOPLE] [RECORDS_PER_PERSON]
set -euo pipefail
B=$(realpath "${1:-build}")
PEOPLE=${2:-150000}
RPP=${3:-2}
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/ward-graph-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
/usr/bin/python3 "$SRC/scripts/gen_network.py" --people "$PEOPLE" \
    --records-per-person "$RPP" --out "$W/net.csv"
"$B/ward" intel --data "$W/d" ingest --source net --bulk "$W/net.csv" >/dev/null
"$B/ward" intel --data "$W/d" resolve >/dev/null
t0=$(date +%s.%N)
"$B/ward" intel --data "$W/d" subjects >/dev/null
t1=$(date +%s.%N)
printf 'yardstick: ward intel subjects over the same store: %.2f s\n' "$(echo "$t1 - $t0" | bc)"
if [ -x /usr/bin/time ]; then
    /usr/bin/time -f 'peak memory of bench_graph (the graph and its queries): %M KB' \
        "$B/bench/bench_graph" "$W/d" 1000
else
    "$B/bench/bench_graph" "$W/d" 1000
fi
