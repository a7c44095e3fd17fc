#!/bin/sh
# The exhibit part of `make demo` (after demo_intel.sh, on the same data
# directory): three exhibits, one seized from the highest-band subject and
# acquired as an image of the demo evidence folder; the image is checked
# and scanned with --exhibit, which ties what was found to the subject; the
# queue, the lab's forecast and the continuity chain are printed.
#   scripts/demo_exhibit.sh DATADIR WARD_BIN EVIDENCE_DIR
set -eu
DATA=$(realpath -m "${1:?usage: demo_exhibit.sh DATADIR WARD_BIN EVIDENCE_DIR}")
WARD=$(realpath "${2:?usage: demo_exhibit.sh DATADIR WARD_BIN EVIDENCE_DIR}")
EV=$(realpath "${3:?usage: demo_exhibit.sh DATADIR WARD_BIN EVIDENCE_DIR}")
NOW=2026-11-23T09:00:00Z
x() { "$WARD" exhibit --data "$DATA" --now "$NOW" "$@"; }
SUBJECT=$("$WARD" intel subjects --data "$DATA" --json |
          /usr/bin/python3 -c 'import json, sys
print(next(s["subject"] for s in json.load(sys.stdin) if s["band"] == "Very High"))')
IMAGE=$(mktemp "${TMPDIR:-/tmp}/ward-demo-image.XXXXXX.tar")
trap 'rm -f "$IMAGE"; rm -rf "$IMAGE.report"' EXIT
tar cf "$IMAGE" -C "$EV" .

echo "== ward exhibit: three seized exhibits for one lab of two examiners"
x lab "Demo DFU" --examiners 2
x register --ref DEMO-001 --description "laptop, silver" --kind computer \
    --force "South Wales Police" --lab "Demo DFU" --seized 2026-11-20T07:05:00+00:00 \
    --place "search of home address" --seal SW123456 --subject "$SUBJECT"
x register --ref DEMO-002 --description "USB stick" --kind storage \
    --force "South Wales Police" --lab "Demo DFU" --seized 2026-07-01T10:00:00+01:00 \
    --place "vehicle" --seal SW123457
x register --ref DEMO-003 --description "phone" --kind phone \
    --force "South Wales Police" --lab "Demo DFU" --seized 2026-11-22T22:40:00+00:00 \
    --place "arrest" --seal SW123458 --child-at-risk
echo "the queue (each position says why):"
x queue
echo
echo "== acquisition of DEMO-001 (digests recorded) and ward scan --exhibit DEMO-001"
x acquire DEMO-001 --image "$IMAGE"
"$WARD" scan --data "$DATA" --exhibit DEMO-001 -q -o "$IMAGE.report" "$IMAGE" || [ $? -eq 1 ]
"$WARD" intel --data "$DATA" --now "$NOW" score
echo
echo "== the lab's forecast and alerts"
x forecast || [ $? -eq 1 ]
echo
echo "== DEMO-001 and its continuity log"
x show DEMO-001
x verify
