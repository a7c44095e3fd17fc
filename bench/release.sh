#!/bin/sh
# Release delta benchmark: a subscriber holding an N-entry release applies a
# delta of C changes (C/2 entries added, C/2 removed as false positives).
#
#   bench/release.sh [BUILD_DIR] [N] [C]      (defaults: build 10000000 100000)
#
# Target (issue 6): at N=10M, C=100k the delta pull applies in under 30 s.
# Setup is slow and not timed against the target: N synthetic MD5s are
# imported on the publisher, released as version 1 and pulled in full by the
# subscriber; then C changes are released as version 2. The figures printed
# are the publisher's release times, the subscriber's delta pull of version 2
# (download, checks, store apply: the target) and an update check (one
# request). Disk: ~N x 200 bytes in TMPDIR (about 2 GB at 10M).
set -eu

build=${1:-build}
n=${2:-10000000}
c=${3:-100000}
ward="$build/ward"
[ -x "$ward" ] || { echo "release.sh: build $build first" >&2; exit 1; }
ward=$(cd "$(dirname "$ward")" && pwd)/ward
work=$(mktemp -d "${TMPDIR:-/tmp}/ward-release-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
cd "$work"

now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# Synthetic digests: MD5 of "synthetic entry I" -- no real material.
gen() {
    /usr/bin/python3 -c '
import hashlib, sys
lo, hi, out = int(sys.argv[1]), int(sys.argv[2]), sys.stdout
for i in range(lo, hi):
    out.write("%s  synthetic-%d.jpg\n" % (hashlib.md5(b"synthetic entry %d" % i).hexdigest(), i))
' "$1" "$2"
}

t=$(now); gen 0 "$n" > base.txt
echo "setup: generated $n entries in $(took "$t") s"
"$ward" keys generate --data pub > /dev/null
t=$(now); "$ward" db import --data pub --list bench base.txt > /dev/null
echo "setup: publisher import of $n entries in $(took "$t") s"
t=$(now); "$ward" release create --data pub --list bench > /dev/null
echo "publisher: release v1 ($n entries) in $(took "$t") s"
t=$(now); "$ward" release pull --data sub --trust "$("$ward" keys export --data pub)" \
    pub/releases/bench > /dev/null 2>&1
echo "setup: subscriber full pull of v1 in $(took "$t") s"

half=$((c / 2))
gen "$n" $((n + half)) > add.txt
"$ward" db import --data pub --list bench add.txt > /dev/null
# Removals: every (n / half)-th entry, in batches that fit a command line.
/usr/bin/python3 -c '
import sys
step = max(1, int(sys.argv[1]) // int(sys.argv[2]))
for k, line in enumerate(open("base.txt")):
    if k % step == 0 and k // step < int(sys.argv[2]): print("md5:" + line.split()[0])
' "$n" "$half" > remove.txt
t=$(now)
xargs -n 5000 "$ward" db remove --data pub --reason "benchmark false positive" < remove.txt > /dev/null
echo "setup: $half removals on the publisher in $(took "$t") s"
t=$(now); "$ward" release create --data pub --list bench
echo "publisher: release v2 with its delta in $(took "$t") s"
ls -l pub/releases/bench/1..2/delta pub/releases/bench/2/full | awk '{ print "  " $5 " bytes  " $9 }'

t=$(now); "$ward" release pull --data sub pub/releases/bench
apply=$(took "$t")
t=$(now); "$ward" release pull --data sub pub/releases/bench > /dev/null
check=$(took "$t")
cmp -s sub/subscriptions/bench/full pub/releases/bench/2/full && same=yes || same=NO
echo "result: n=$n changes=$c delta pull (fetch, verify, apply) ${apply} s (target < 30 s);" \
     "update check ${check} s; subscriber full == publisher v2: $same"
