#!/bin/sh
# make demo: the main job on bundled benign sample data.
# 1. build a hash list from bundled benign images (standing in for a
#    national list), 2. scan a sample evidence folder made from other
#    bundled images, 3. print the examiner's summary, 4. triage a synthetic
#    referral list into prioritised packages, print the triage report and
#    build ISP subscriber request batches from the referrals' IP events,
#    3b. group the scan's new images for grading (nobody looks yet),
#    3c. a victim-identification series marked identified, told to the scan,
#    4b. register exhibits, scan one with --exhibit, forecast the queue,
#    4c. link analysis over the triaged referrals,
# 5. run the match service: a platform's upload is matched, a reviewer
#    confirms it and the report is produced (and exported in CyberTipline
#    structure), 6. ward doctor.
set -eu
WARD=$(realpath "${1:-build/ward}")
cd "$(dirname "$0")/.."
IMG=$(pwd)/tests/data/pdq/images
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ward-demo.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export WARD_DATA="$WORK/data"

echo "== ward $($WARD --version | cut -d' ' -f2): demo on bundled benign images"
echo
echo "== 1. a hash list: three sample images stand in for known material"
$WARD hash --hashdeep "$IMG/wee.jpg" "$IMG/q0746.jpg" > "$WORK/national.hd"
$WARD hash --pdq-text "$IMG/bridge-1-original.jpg" > "$WORK/national.pdq"
$WARD db import --list national --scheme projectvic --category 1 \
    "$WORK/national.hd" "$WORK/national.pdq"
printf 'an operating-system file\n' > "$WORK/os-file.txt"
$WARD hash --hashdeep "$WORK/os-file.txt" > "$WORK/known-good.hd"
$WARD db import --list nsrl --known-good "$WORK/known-good.hd"
echo
echo "== 2. a sample evidence folder: exact copies, re-encoded variants"
echo "      (the bridge photo as PNG, CMYK JPEG, WebP), new images, a tar"
EV="$WORK/evidence"
mkdir -p "$EV/DCIM" "$EV/Documents" "$WORK/t"
cp "$IMG/wee.jpg" "$EV/DCIM/IMG_0001.jpg"
cp "$IMG/mode-P.png" "$EV/DCIM/IMG_0002.png"
cp "$IMG/mode-CMYK.jpg" "$EV/DCIM/IMG_0003.jpg"
cp "$IMG/q0291.jpg" "$IMG/q1050.jpg" "$IMG/small.jpg" "$EV/DCIM/"
cp "$WORK/os-file.txt" "$EV/Documents/"
printf 'shopping list\n' > "$EV/Documents/notes.txt"
cp "$IMG/q0746.jpg" "$IMG/mode-F.webp" "$WORK/t/"
tar cf "$EV/Documents/backup.tar" -C "$WORK/t" .
echo
echo "== 3. ward scan --out REPORT $EV"
echo
rc=0
$WARD scan --out "$WORK/report" -q "$EV" || rc=$?
cat "$WORK/report/summary.txt"
echo
echo "Reports written (then removed with the demo folder):"
ls "$WORK/report" | sed 's/^/    /'
echo "Exit status $rc (1: known or near material was found)."
echo
echo "== 3b. grade once: the new images grouped before anyone looks (ward grade list)"
$WARD grade list --scan "$WORK/report" | head -n 12
echo "(ward grade --scan REPORT serves the keyboard-first grading page on loopback)"
echo
echo "== 3c. victim identification: a series, its status told to every later scan"
$WARD series create "Demo series" --team "Demo VID team" --contact vid@example.org
$WARD series add "Demo series" "$($WARD hash "$IMG/wee.jpg" | /usr/bin/python3 -c \
    'import json,sys; print("sha256:" + json.loads(sys.stdin.readline())["sha256"])')"
$WARD series status "Demo series" identified --note "demo: child safeguarded"
$WARD series check "$WORK/report" --unit "Demo DFU" --case OP-DEMO \
    --contact dfu@example.org | head -n 8 || true
echo
echo "== 4. intelligence triage"
scripts/demo_intel.sh "$WORK/data" "$WARD"
echo
echo "== 4b. exhibits and the examination queue"
scripts/demo_exhibit.sh "$WORK/data" "$WARD" "$EV"
echo
echo "== 4c. link analysis: who is connected to whom, on what evidence"
$WARD graph summary
$WARD graph components --top 3
echo
echo "== 5. the match service: upload -> match -> human review -> report"
PLATFORM=$($WARD apikey add --name demo-platform --scopes match 2>/dev/null)
REVIEWER=$($WARD apikey add --name demo-reviewers --scopes review 2>/dev/null)
$WARD serve --listen 127.0.0.1:0 --port-file "$WORK/port" 2>/dev/null &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
i=0; while [ ! -s "$WORK/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
URL="http://127.0.0.1:$(cat "$WORK/port")"
echo "ward serve on $URL; a platform uploads the bridge photo re-encoded as WebP:"
curl -s -H "Authorization: Bearer $PLATFORM" --data-binary @"$IMG/mode-F.webp" \
     "$URL/v1/match?content_id=post-81&account_id=user-1234&upload_ip=203.0.113.9&upload_time=2026-11-23T08:15:00%2B00:00" \
     > "$WORK/match.json"
/usr/bin/python3 - "$WORK/match.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print(f"  alert: {m['alert']}, event {m['event_id']} queued for review")
for h in m["matches"]:
    print(f"  {h['kind']} distance {h['distance']}: list {h['list']}, category {h['category']} ({h['category_label']})")
PY
EVENT=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['event_id'])" "$WORK/match.json")
echo "a reviewer confirms event $EVENT without viewing the image:"
curl -s -H "Authorization: Bearer $REVIEWER" -H 'Content-Type: application/json' \
     -d "{\"event_id\": $EVENT, \"reviewer\": \"Demo Reviewer\", \"decision\": \"confirm\", \"viewed\": false}" \
     "$URL/v1/reviews" > "$WORK/review.json"
REPORT=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['report_id'])" "$WORK/review.json")
curl -s -H "Authorization: Bearer $REVIEWER" "$URL/v1/reports/$REPORT" > "$WORK/report.json"
/usr/bin/python3 - "$WORK/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
f = r["files"][0]
print(f"  report {r['report_id']}: {r['incident']['type']}, uploaded {r['incident']['time']}")
print(f"  uploader {r['reported_person']['id']}, IP {r['ip_capture_events'][0]['ip']}, "
      f"viewed by a person: {f['viewed_by_person']}")
PY
echo "the report in CyberTipline structure (XML, validated against ward's XSD):"
$WARD tipline export "$REPORT" --reporter-email reports@example.org | head -n 12
$WARD audit verify
echo
echo "== 6. ward doctor: is this data directory healthy?"
$WARD doctor || true
