#!/bin/sh
# Load test of `ward serve` with wrk on loopback (issue 7: >= 20,000
# hashes/s on 2 cores with p99 < 20 ms for batch matching; issue 20: 300,000
# at 1M entries, and batches kept under 20 ms p99 while uploads decode).
#
#   bench/serve.sh BUILD_DIR [BASE_BUILD_DIR]
#
# With BASE_BUILD_DIR (e.g. a build of main), every row is run for the base
# binary first and then for BUILD_DIR's, on the same store in the same
# invocation, so before/after share the machine's load.
#
# Environment:
#   SERVE_ENTRIES   entries in the store (random MD5 + SHA-256 + PDQ; 1000000)
#   SERVE_SECONDS   seconds per wrk run (10)
#   SERVE_CONNS     connections for the latency runs (4); a saturation run
#                   uses 64 and a many-clients run 1000
#   SERVE_THREADS   wrk threads (1: wrk shares the 2 cores with the server)
#   SERVE_DIR       keep the generated store here and reuse it on the next
#                   run with the same SERVE_ENTRIES (default: a temporary one)
#   SERVE_ONLY      run only the rows whose name matches this grep -E pattern
#
# Yardstick, run in the same invocation: GET /v1/health (HTTP, routing and
# JSON only, no matching), so the figures separate ward's matching cost from
# what libmicrohttpd and the loopback cost anyway.
set -eu
BUILD=$(cd "${1:?usage: bench/serve.sh BUILD_DIR [BASE_BUILD_DIR]}" && pwd)
BASE=${2:+$(cd "$2" && pwd)}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
N=${SERVE_ENTRIES:-1000000}
SECS=${SERVE_SECONDS:-10}
CONNS=${SERVE_CONNS:-4}
WT=${SERVE_THREADS:-1}
command -v wrk >/dev/null || { echo "bench/serve.sh: wrk missing (apt-get install wrk)" >&2; exit 2; }
W="$BUILD/ward"
SRV=
if [ -n "${SERVE_DIR:-}" ]; then
    T=$SERVE_DIR; mkdir -p "$T"
    trap 'kill $SRV 2>/dev/null || true' EXIT
else
    T=$(mktemp -d)
    trap 'kill $SRV 2>/dev/null || true; rm -rf "$T"' EXIT
fi
export WARD_DATA="$T/d"

echo "serve bench: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$(cat "$T/entries" 2>/dev/null)" != "$N" ]; then
rm -rf "$T/d"
$PY - "$T" "$N" <<'PY'
import json, os, random, sys
t, n = sys.argv[1], int(sys.argv[2])
r = random.Random(7)
h = lambda bits: "%0*x" % (bits // 4, r.getrandbits(bits))
with open(f"{t}/list.csv", "w") as f:
    f.write("md5,sha256,pdq,quality,category\n")
    rows = [(h(128), h(256), h(256)) for _ in range(n)]
    for m, s, p in rows:
        f.write(f"{m},{s},{p},100,1\n")
# Batches mix known MD5s, PDQs 8 bits from a known one (near matches) and
# unknown SHA-256s and PDQs (each unknown PDQ is a full radius-31 search).
# "typical": 1% known + 1% near, as on a platform where most uploads are
# benign; "wave": 10% + 10%, a wave of known material (every request then
# records a match event for review).
def flip(p, k):
    v = int(p, 16)
    for b in r.sample(range(256), k): v ^= 1 << b
    return "%064x" % v
def batch(size, every):
    out = []
    for i in range(size):
        k = i % every if every <= size else 2 + i % 2
        if k == 0: out.append("md5:" + rows[r.randrange(n)][0])
        elif k == 1: out.append("pdq:" + flip(rows[r.randrange(n)][2], 8))
        elif k % 2: out.append("sha256:" + h(256))
        else: out.append("pdq:" + h(256))
    return out
for name, size, every in (("one-known", 1, 1), ("one-unknown", 1, 10**9),
                          ("typical100", 100, 100), ("wave100", 100, 10),
                          ("typical1000", 1000, 100)):
    with open(f"{t}/{name}.lua", "w") as f:
        body = json.dumps({"hashes": batch(size, every)})
        f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n')
        f.write('wrk.headers["Authorization"] = "Bearer " .. os.getenv("KEY")\n')
        f.write("wrk.body = [[" + body + "]]\n")
PY
start=$(date +%s.%N)
"$W" db import --list bench --category 1 "$T/list.csv" >/dev/null
"$W" db index >/dev/null
echo "store: $N entries imported and indexed in $(echo "$(date +%s.%N) - $start" | bc) s"
"$W" apikey add --name bench --scopes match --rate 1000000000 --burst 1000000000 \
    2>/dev/null >"$T/key"
echo "$N" >"$T/entries"
else
echo "store: $N entries, kept in $T"
fi
KEY=$(cat "$T/key")
export KEY

# Uploads: a 1600x1004 JPEG (361 KB), hashed and PDQ-matched per request.
IMG="$HERE/../tests/data/pdq/images/bridge-1-original.jpg"
$PY - "$IMG" "$T/upload.lua" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
with open(sys.argv[2], "w") as f:
    f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "image/jpeg"\n')
    f.write('wrk.headers["Authorization"] = "Bearer " .. os.getenv("KEY")\n')
    f.write('local fh = io.open("%s", "rb")\nwrk.body = fh:read("*a")\nfh:close()\n' % sys.argv[1])
PY

serve_start() { # binary
    t0=$(date +%s.%N)
    rm -f "$T/port"
    "$1" serve --listen 127.0.0.1:0 --port-file "$T/port" 2>/dev/null &
    SRV=$!
    i=0; while [ ! -s "$T/port" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done
    URL="http://127.0.0.1:$(cat "$T/port")"
    START_S=$(echo "$(date +%s.%N) - $t0" | bc)
}
serve_stop() { kill "$SRV" 2>/dev/null || true; wait "$SRV" 2>/dev/null || true; SRV=; }

# wrk --latency prints "99%  12.34ms"; turn the p99 into milliseconds.
p99_ms() { awk '$1=="99%" { v=$2; if (v ~ /us$/) { sub("us","",v); v/=1000 } else if (v ~ /ms$/) sub("ms","",v); else if (v ~ /s$/) { sub("s","",v); v*=1000 }; printf "%.2f", v }'; }
rps() { awk '/^Requests\/sec/ { printf "%.0f", $2 }'; }
errs() { awk '/Non-2xx|Socket errors/ { printf " %s", $0 }' ; }
wanted() { [ -z "${SERVE_ONLY:-}" ] || echo "$1" | grep -Eq "$SERVE_ONLY"; }
# The server's CPU seconds so far (user + system): per request, the one
# figure that other processes on a shared machine barely move.
cpu_s() { awk -v t="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / t }' "/proc/$SRV/stat"; }
# Clock ticks to seconds: this shell's children's CPU (fields 16-17 of its
# stat: cutime, cstime) counts every wrk that has finished.
tk_s() { echo "$1" | awk -v t="$(getconf CLK_TCK)" '{ printf "%.3f", $1 / t }'; }
per_req_us() { # cpu-before cpu-after wrk-output
    n=$(echo "$3" | awk '/requests in/ { print $1 }')
    echo "$1 $2 ${n:-0}" | awk '{ if ($3 > 0) printf "%.0f", ($2 - $1) * 1e6 / $3; else print "-" }'
}

run() { # name conns script-or-empty path batch
    name=$1 c=$2 script=$3 path=$4 b=$5
    wanted "$name" || return 0
    c0=$(cpu_s)
    # wrk's own CPU (user + sys, from the shell's times) per request: the
    # client shares the 2 cores, so server + client CPU per request is
    # what the machine spends, and 2 cores / that is the ceiling.
    if [ -n "$script" ]; then set -- -s "$script"; else set --; fi
    w0=$(awk '{ print $16 + $17 }' /proc/$$/stat 2>/dev/null || echo 0)
    out=$(wrk -t"$WT" -c"$c" -d"${SECS}s" --latency "$@" "$URL$path")
    w1=$(awk '{ print $16 + $17 }' /proc/$$/stat 2>/dev/null || echo 0)
    c1=$(cpu_s)
    r=$(echo "$out" | rps); p=$(echo "$out" | p99_ms); e=$(echo "$out" | errs)
    # Cores the server kept busy: its CPU seconds over the run's seconds
    # (2.0 would be both cores; with 4 clients, below 1 means it matched
    # on one thread while the other core idled or ran something else).
    cores=$(echo "$c0 $c1 $SECS" | awk '{ printf "%.2f", ($2 - $1) / $3 }')
    printf "%-5s %-38s %5s conns %9s req/s %11s hashes/s  p99 %8s ms  cpu %6s us/req  wrk %5s us/req  cores %s%s\n" \
        "$TAG" "$name" "$c" "$r" "$(( r * b ))" "$p" "$(per_req_us "$c0" "$c1" "$out")" \
        "$(per_req_us "$(tk_s "$w0")" "$(tk_s "$w1")" "$out")" "$cores" "$e"
}

# Batches while 4 clients upload: the batch p99 says whether decoding holds
# up the event loops; the uploads' rate and 503s what the workers give.
run_mix() { # name conns batch-script batch
    name=$1 c=$2 script=$3 b=$4
    wanted "$name" || return 0
    c0=$(cpu_s)
    wrk -t1 -c4 -d"${SECS}s" --latency -s "$T/upload.lua" "$URL/v1/match" >"$T/mix-up" &
    up=$!
    out=$(wrk -t"$WT" -c"$c" -d"${SECS}s" --latency -s "$script" "$URL/v1/match")
    wait $up
    c1=$(cpu_s)
    r=$(echo "$out" | rps); p=$(echo "$out" | p99_ms); e=$(echo "$out" | errs)
    printf "%-5s %-38s %5s conns %9s req/s %11s hashes/s  p99 %8s ms  cpu %6s s in all%s\n" \
        "$TAG" "$name" "$c" "$r" "$(( r * b ))" "$p" "$(echo "$c1 - $c0" | bc)" "$e"
    printf "%-5s %-38s %5s conns %9s images/s  p99 %8s ms%s\n" "$TAG" "  ... its 4 uploaders" 4 \
        "$(rps <"$T/mix-up")" "$(p99_ms <"$T/mix-up")" "$(errs <"$T/mix-up")"
}

run_all() { # binary tag
    TAG=$2
    serve_start "$1"
    echo "$TAG  $1: started (in-memory index built, if any) in $START_S s;" \
        "$(awk '/^VmRSS/ { printf "resident %d MiB", $2 / 1024 }' "/proc/$SRV/status");" \
        "load $(cut -d' ' -f1 /proc/loadavg)"
    run "yardstick: GET /v1/health" "$CONNS" "" /v1/health 0
    run "1 unknown hash per request" "$CONNS" "$T/one-unknown.lua" /v1/match 1
    run "1 known hash per request (event)" "$CONNS" "$T/one-known.lua" /v1/match 1
    run "batch of 100, typical" "$CONNS" "$T/typical100.lua" /v1/match 100
    run "batch of 100, wave" "$CONNS" "$T/wave100.lua" /v1/match 100
    run "batch of 1000, typical" "$CONNS" "$T/typical1000.lua" /v1/match 1000
    run "batch of 100, typical, saturated" 64 "$T/typical100.lua" /v1/match 100
    run "batch of 100, typical, 1000 clients" 1000 "$T/typical100.lua" /v1/match 100
    run "upload 1.6 Mpx JPEG" 4 "$T/upload.lua" /v1/match 0
    run_mix "batch of 100, typical, 4 uploading" "$CONNS" "$T/typical100.lua" 100
    curl -s "$URL/v1/metrics" | grep -E '^ward_(hashes_checked|index_entries|rate_limited|upload_busy)' |
        sed "s/^/$TAG   /"
    serve_stop
}

echo
[ -z "$BASE" ] || run_all "$BASE/ward" base
run_all "$W" new

# Yardstick for uploads: the same image hashed by `ward hash -j 2` in one
# process (decode + digests + PDQ, no HTTP, no matching).
mkdir -p "$T/imgs"
for k in $(seq 1 200); do ln -sf "$IMG" "$T/imgs/$k.jpg"; done
start=$(date +%s.%N)
"$W" hash -L -j 2 -f pdq-text "$T/imgs" >/dev/null
echo "yardstick: ward hash -j 2, same image x200: $(echo "scale=1; 200 / ($(date +%s.%N) - $start)" | bc) images/s"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
