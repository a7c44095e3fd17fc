#!/bin/bash
# ward-test: no-store (not run again on PostgreSQL)
# The fast path cuts the chroma AC scans out of progressive JPEGs before
# libjpeg reads them. jpegtran converts baseline <-> progressive losslessly
# (same DCT coefficients), so the PDQ must be identical either way; damaged
# progressive files must fail or decode cleanly, never crash.
. "$(dirname "$0")/wardtest.bash"
W=$WARD_BIN
I=$WARD_TEST_DATA/pdq/images
for f in bridge-1-original.jpg mod-shrink-a-lot.jpg mode-CMYK.jpg q2821.jpg; do
    jpegtran -copy all -progressive "$I/$f" > "prog-$f"
    jpegtran -copy all -optimize "$I/$f" > "base-$f"
    a=$("$W" hash --pdq-text -c none "base-$f" | cut -d, -f1,2)
    b=$("$W" hash --pdq-text -c none "prog-$f" | cut -d, -f1,2)
    [ "$a" = "$b" ] || { echo "FAIL: $f: baseline $a, progressive $b"; exit 1; }
done
# Damaged progressive files: cut at many points, and with bytes flipped.
p=prog-bridge-1-original.jpg
size=$(stat -c %s "$p")
for cut in 200 700 2000 5000 20000 $((size / 2)) $((size - 100)); do
    head -c "$cut" "$p" > "cut-$cut.jpg"
done
/usr/bin/python3 - "$p" <<'PY'
import random, sys
data = bytearray(open(sys.argv[1], "rb").read())
rng = random.Random(7)
for k in range(20):
    d = bytearray(data)
    for _ in range(8):
        d[rng.randrange(100, len(d))] = rng.randrange(256)
    open(f"flip-{k}.jpg", "wb").write(d)
PY
set +e
"$W" hash --jsonl cut-*.jpg flip-*.jpg > out.jsonl 2> err.txt
rc=$?
set -e
[ $rc -le 1 ] || { echo "FAIL: ward hash exit $rc on damaged files"; cat err.txt; exit 1; }
[ "$(wc -l < out.jsonl)" -eq 27 ] || { echo "FAIL: a record per damaged file"; exit 1; }
echo ok
