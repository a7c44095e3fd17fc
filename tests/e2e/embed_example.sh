#!/bin/bash
# examples/embed.c, built against libward.so, gives the answers the CLI does.
. "$(dirname "$0")/wardtest.bash"
I="$WARD_TEST_DATA/pdq/images"
# On the PostgreSQL pass the example opens the same schemas the CLI used
# (the CLI adds ?ward_per_datadir=1 for WARD_STORE_PER_DATADIR=1).
if [ -n "${WARD_STORE:-}" ]; then
    export EMBED_STORE="$WARD_STORE"
    if [ "${WARD_STORE_PER_DATADIR:-}" = 1 ]; then
        case "$WARD_STORE" in *\?*) sep='&' ;; *) sep='?' ;; esac
        EMBED_STORE="$WARD_STORE${sep}ward_per_datadir=1"
    fi
fi
"$WARD_BIN" db import --data d --list vic --category 1 "$WARD_TEST_DATA/hashsets/pdq.txt" >/dev/null
printf 'benign text\n' > plain.txt
rc=0; "$WARD_EMBED_BIN" d "$I/bridge-1-original.jpg" plain.txt > out.txt || rc=$?
cat out.txt
[ "$rc" = 1 ] || { echo "FAIL: exit $rc, expected 1 (a match)"; exit 1; }
grep -q "bridge-1-original.jpg: HOLD for review" out.txt || { echo "FAIL: no hold"; exit 1; }
grep -q "pdq f8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22 distance 1: list vic, category 1 (alert)" out.txt \
  || { echo "FAIL: hit line"; exit 1; }
grep -q "plain.txt: no match" out.txt || { echo "FAIL: plain"; exit 1; }
rc=0; "$WARD_EMBED_BIN" nowhere plain.txt 2>err.txt || rc=$?
[ "$rc" = 3 ] && grep -q "no hash-set store" err.txt || { echo "FAIL: missing store: $rc"; exit 1; }
echo "ok: embed_example"
