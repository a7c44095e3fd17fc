#!/bin/bash
# faults_intel.sh on an encrypted intel.db: kill -9 during an encrypted
# ingest and update, then the store (every page authenticated by 'ward intel
# check') is whole and re-running gives an uninterrupted run's answers. The
# WAL's frames are encrypted; recovery after the kill goes through them.
set -euo pipefail
if [ -n "${WARD_STORE:-}" ]; then
    echo "skipped on PostgreSQL: intel.db encryption is a property of the SQLite file"
    exit 0
fi
K=$(mktemp -d); trap 'rm -rf "$K"' EXIT
"$WARD_BIN" intel key generate "$K/intel.key" 2>/dev/null
export WARD_INTEL_KEY_FILE="$K/intel.key"
bash "$(dirname "$0")/faults_intel.sh"
