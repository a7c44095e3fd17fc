#!/bin/sh
# The intel part of `make demo`: triage a bundled synthetic referral list
# (200 obviously fake people, tests/data/intel/demo.csv) plus a few
# platform reports, and print the triage report.
#   scripts/demo_intel.sh DATADIR WARD_BIN
set -eu
DATA=$(realpath -m "${1:?usage: demo_intel.sh DATADIR WARD_BIN}")
WARD=$(realpath "${2:?usage: demo_intel.sh DATADIR WARD_BIN}")
cd "$(dirname "$0")/.."
D=tests/data/intel
# One fixed "now" so that deadlines in the report read the same every run.
NOW=2026-11-23T09:00:00Z
w() { "$WARD" intel --data "$DATA" --now "$NOW" "$@"; }

echo "== ward intel: a bulk list of 200 synthetic referrals and three platform reports"
# Exit 1 means some records were skipped or values quarantined: shown, not fatal.
w ingest --source op-demo --bulk "$D/demo.csv" 2>/dev/null || [ $? -eq 1 ]
w ingest --source platform "$D/reports.json" 2>/dev/null || [ $? -eq 1 ]
echo
echo "== identity, risk and routing"
w update
echo
w report
echo
echo "== how many subjects on op-demo work with children, by force?"
w query --list op-demo --factor occupation_children --by force
echo
echo "== ISP subscriber requests: a batch per provider, each time as received and in UTC"
# Quarantined or ambiguous times are never sent: build names them and exits 1.
w isp ranges "$D/isp-providers.csv"
w isp build --legal-basis "DEMO-AUTH-1 (synthetic)" 2>/dev/null || [ $? -eq 1 ]
w isp batches
