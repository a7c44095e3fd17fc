# The shared preamble of the end-to-end tests, sourced first by each
# tests/e2e/*.sh that works in a scratch directory:
#     . "$(dirname "$0")/wardtest.bash"
# (not named *.sh: tests/CMakeLists.txt takes every e2e/*.sh for a test).
#
# It sets bash's strict mode, makes the scratch directory $T and moves into
# it, and puts this folder on PYTHONPATH so that the script's Python part
# can `from wardtest import *` (wardtest.py: the ward binary, test data,
# running ward and checking its exit status, `ward serve` on a free port,
# looking into a store on SQLite or PostgreSQL).
#
# At exit, whatever way the script ends, it stops what the test left
# running (the script's own child processes, and any process whose pid a
# step wrote to $T/NAME.pid), calls the script's on_exit function when it
# defines one (an unmount, say), makes $T writable again (a test may take
# permissions away) and removes it.
set -euo pipefail
WARD_E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PYTHONPATH="$WARD_E2E_DIR${PYTHONPATH:+:$PYTHONPATH}"
T=$(mktemp -d)
wardtest_exit() {
    kill $(cat "$T"/*.pid 2>/dev/null) 2>/dev/null || true
    pkill -P $$ 2>/dev/null || true
    if declare -F on_exit >/dev/null; then on_exit || true; fi
    chmod -R u+rwx "$T" 2>/dev/null || true
    rm -rf "$T"
}
trap wardtest_exit EXIT
cd "$T"

# skip_on_postgres WHY: on the PostgreSQL pass, says "skipped on PostgreSQL:
# WHY" and ends the test there (it passes); wardtest.py has the same for a
# step of the Python part.
skip_on_postgres() {
    if [ -n "${WARD_STORE:-}" ]; then
        echo "skipped on PostgreSQL: $1"
        exit 0
    fi
}

# require_chromium: $CHROMIUM (exported) is Debian's chromium; on a machine
# without one the test says "SKIP: no chromium on this machine" and ends
# there (it passes). Only for a test that is nothing without the browser:
# one whose HTTP checks stand alone lets wardtest.browser_run skip the
# browser part instead.
require_chromium() {
    CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
    if [ -z "$CHROMIUM" ]; then
        echo "SKIP: no chromium on this machine"
        exit 0
    fi
    export CHROMIUM
}
