#!/bin/bash
# A serving node keeps seeing the store while other ward commands use the
# same data directory (issue 16 item 13): on SQLite, a reload that opened
# and closed ward.db outside SQLite dropped the node's POSIX locks, the next
# command to close its connection deleted the WAL, and the node answered
# from the old revision for good. Each import below must reach the node.
set -euo pipefail
T=$(mktemp -d); trap 'pkill -P $$ 2>/dev/null || true; rm -rf "$T"' EXIT
cd "$T"
/usr/bin/python3 - <<'PY'
import json, os, sys, time
sys.path.insert(0, os.path.join(os.environ["WARD_SOURCE_DIR"], "tests/e2e"))
from wardtest import *

os.environ["WARD_DATA"] = os.path.abspath("d")
def import_list(n):
    with open(f"l{n}.txt", "w") as f:
        f.write("%032x  file%d.jpg\n" % (0xabc000 + n, n))
    ward("db", "import", "--list", f"l{n}", "--format", "sums", f"l{n}.txt", check_rc=0)

def revision(port):
    st, body = api(port, "/v1/health")
    expect(st == 200, f"health {st}")
    return json.loads(body)["index"]["store_revision"]

def reaches(port, rev, what):
    for _ in range(200):
        if revision(port) >= rev:
            return
        time.sleep(0.05)
    expect(False, f"the node reaches revision {rev} after {what}: "
                  f"stays at {revision(port)}")

import_list(1)
port = serve_start("d")
rev = revision(port)
for n, other in ((2, ["db", "stats"]), (3, ["db", "stats"]), (4, ["db", "imports"]),
                 (5, ["db", "check"]), (6, ["db", "stats"])):
    import_list(n)
    rev += 1
    reaches(port, rev, f"import l{n}")
    ward(*other, check_rc=None)   # another process opens and closes the store
print("ok: serve_reload")
PY
