#!/bin/bash
# faults_intel.sh on an encrypted intel.db: kill -9 during an encrypted
# ingest and update, then the store (every page authenticated by 'ward intel
# check') is whole and re-running gives an uninterrupted run's answers. The
# WAL's frames are encrypted; recovery after the kill goes through them.
. "$(dirname "$0")/wardtest.bash"
skip_on_postgres "intel.db encryption is a property of the SQLite file"
"$WARD_BIN" intel key generate "$T/intel.key" 2>/dev/null
export WARD_INTEL_KEY_FILE="$T/intel.key"
bash "$WARD_E2E_DIR/faults_intel.sh"
