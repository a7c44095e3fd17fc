#!/bin/bash
# A store whose write lock another process holds past the wait (issue 16
# item 15; `ward db --wait 4` here, 10 s by default): the import exits 6
# (not 4, an I/O error) saying the store is busy, for how long, and to
# retry, changes nothing, and leaves a failed row in 'ward db
# imports' saying why once the lock is free; 'ward db check' says when the
# index is behind the store.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import os, subprocess, sys, time
from wardtest import *

use_data()
def list_file(n):
    with open(f"l{n}.txt", "w") as f:
        f.write("%032x  file%d.jpg\n" % (0xbeef00 + n, n))
    return f"l{n}.txt"

ward("db", "import", "--list", "a", list_file(1), check_rc=0)
ward("db", "index", check_rc=0)
out = ward("db", "check", check_rc=0).stdout.decode()
expect("BEHIND" not in out, f"a fresh index is not behind: {out}")

# ---- lock timeout: its own exit status, and a row saying why ------------------
lock = store_write_lock("d", "store")
t0 = time.time()
p = subprocess.Popen([WARD, "db", "import", "--wait", "4", "--list", "b", list_file(2)],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
# The import waits 4 s for the lock (--wait 4; 10 s by default), fails, and
# waits up to 4 s more to write its failed row: release in the middle of the
# second wait, with 2 s either side for a slow start (sanitizers, a loaded
# machine).
time.sleep(6.0)
lock.release()
err = p.communicate(timeout=60)[1].decode()
expect(p.returncode == 6, f"lock timeout exits 6, not {p.returncode}: {err}")
expect("busy" in err and "retry" in err and "over 4 s" in err,
       f"the message says busy, for how long, retry: {err}")
imports = ward("db", "imports", check_rc=0).stdout.decode()
expect("l2.txt" in imports and "failed" in imports and "busy" in imports,
       f"a failed row in 'ward db imports' saying why: {imports}")
expect("list 'b'" in imports and " 0 added" in imports, f"nothing imported: {imports}")

# ---- the index behind the store ---------------------------------------------------
ward("db", "import", "--list", "b", "l2.txt", check_rc=0)
out = ward("db", "check", check_rc=0).stdout.decode()
expect("BEHIND" in out and "ward db index" in out, f"check says the index is behind: {out}")
ward("db", "index", check_rc=0)
out = ward("db", "check", check_rc=0).stdout.decode()
expect("BEHIND" not in out, f"rebuilt: {out}")
print(f"ok: db_busy (import refused after {time.time() - t0:.1f}s)")
PY
