#!/bin/bash
# The examination queue's pages over HTTP at force scale (issue 21's
# targets: the queue page < 200 ms, the forecast < 1 s at 100,000 exhibits).
# bench_casework fills a store with N exhibits and times the library calls;
# then a real `ward serve` on that store serves a national analyst the
# pages, each fetched R times: wall milliseconds (median, 90th percentile)
# and the server's CPU milliseconds per request (from /proc, so a loaded
# machine shows in the wall figures, not the CPU ones). The yardstick in the
# same run is the login page: HTTP and the server's fixed cost per request.
#   bench/casework.sh [BUILD_DIR] [EXHIBITS] [REPEATS]
set -euo pipefail
B=$(realpath "${1:-build}")
N=${2:-100000}
R=${3:-20}
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/ward-casework-bench.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
cat /proc/loadavg | awk '{print "load average: " $1 " " $2 " " $3}'
"$B/bench/bench_casework" "$N" "$W/d"
WARD_BIN="$B/ward" WARD_SOURCE_DIR="$SRC" WARD_TEST_DATA="$SRC/tests/data" \
    /usr/bin/python3 - "$W" "$R" <<'PY'
import os, statistics, sys, time
sys.path.insert(0, os.path.join(os.environ["WARD_SOURCE_DIR"], "tests/e2e"))
from wardtest import *
W, R = sys.argv[1], int(sys.argv[2])
os.chdir(W)
os.environ["WARD_DATA"] = os.path.abspath("d")
PW = "correct horse battery staple"
ward("users", "add", "--role", "national-analyst", "--unit", "national", "bench",
     stdin=(PW + "\n").encode(), check_rc=0)
ward("db", "init", "--data", "d", check_rc=0)  # serve needs a hash-set store
port = serve_start("d")
import wardtest
pid = wardtest._servers[-1].pid
cookies = web_login(port, "bench", PW)
def cpu_ms():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) * 1000 / os.sysconf("SC_CLK_TCK")
def bench(label, path, auth=True):
    st, page, _ = http_req(port, "GET", path, cookies=cookies if auth else None)
    expect(st == 200, f"{path}: {st}")
    walls = []
    c0 = cpu_ms()
    for _ in range(R):
        t = time.monotonic()
        http_req(port, "GET", path, cookies=cookies if auth else None)
        walls.append((time.monotonic() - t) * 1000)
    cpu = (cpu_ms() - c0) / R
    walls.sort()
    print(f"{label:34} wall median {statistics.median(walls):7.1f} ms  p90 "
          f"{walls[int(len(walls) * 0.9) - 1]:7.1f} ms  server CPU {cpu:7.1f} ms/request  "
          f"({len(page) // 1024} KiB)")
bench("yardstick: /login", "/login", auth=False)
bench("queue page /lab/North DFU", "/lab/North%20DFU")
bench("exhibit list /exhibits", "/exhibits")
PY
