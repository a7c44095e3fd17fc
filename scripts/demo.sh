#!/bin/sh
# make demo: the main job on bundled benign sample data.
# 1. build a hash list from bundled benign images (standing in for a
#    national list), 2. scan a sample evidence folder made from other
#    bundled images, 3. print the examiner's summary.
# (Later: triage a synthetic referral list.)
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
