#!/bin/sh
# make demo: the main job on bundled benign sample data.
# Today: hash the bundled sample images (digests + PDQ) in the formats
# examiners exchange. As ward grows this builds a hash list, scans a sample
# evidence folder and triages a synthetic referral list.
set -eu
WARD=$(realpath "${1:-build/ward}")
cd "$(dirname "$0")/.."
DATA=tests/data/pdq/images
echo "== ward $($WARD --version | cut -d' ' -f2): hashing the bundled sample images"
echo
$WARD hash --text "$DATA/q0122.jpg" "$DATA/mode-P.png"
echo
echo "== the same folder as a ThreatExchange-style PDQ list (hash,quality,path)"
$WARD hash --pdq-text --relative "$DATA" | head -5
echo "   ..."
echo
echo "== and as a hashdeep list (audit it with: hashdeep -a -k LIST -r DIR)"
$WARD hash --hashdeep -c md5,sha256 --relative "$DATA" | head -7
echo "   ..."
