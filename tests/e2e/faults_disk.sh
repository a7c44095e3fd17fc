#!/bin/bash
# A full disk during `ward db import`, `ward scan` and `ward db export`:
# exit 4 with a message naming the file that could not be written, nothing
# stored is lost (`ward db check`, same stats), no cut-off export is left,
# and once there is room again the work completes as if nothing happened.
# The disk is filled without privileges by a file-size limit (ulimit -f,
# SIGXFSZ ignored, so writes fail with EFBIG); as root a 2 MiB tmpfs adds a
# real ENOSPC (skipped when it cannot be mounted).
. "$(dirname "$0")/wardtest.bash"
on_exit() { mountpoint -q "$T/small" 2>/dev/null && umount "$T/small"; }
/usr/bin/python3 - <<'PY'
import json, os, random, resource, shutil, signal, subprocess, sys
from wardtest import *

SMALL = os.environ.get("WARD_SANITIZED") == "1"

def limited(nbytes, *args):
    """ward with files capped at nbytes: writes past it fail with EFBIG."""
    def cap():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))
    return subprocess.run([WARD, *args], capture_output=True, preexec_fn=cap)

def stats(data):
    s = json.loads(ward("db", "stats", "--data", data, "--json", check_rc=0).stdout)
    del s["store_id"]
    return s

def content(st):   # a failed import's row moves the revision, nothing else
    return {k: v for k, v in st.items() if k != "revision"}

def store_ok(data, how):
    p = ward("db", "check", "--data", data)
    expect(p.returncode == 0, f"{how}: db check: {p.stdout!r} {p.stderr!r}")

hs = os.path.join(DATA, "hashsets")
rng = random.Random(7)
with open("big.md5", "w") as f:
    for i in range(20000 if SMALL else 60000):
        f.write("%032x  file%06d.bin\n" % (rng.getrandbits(128), i))

def first_lists(data):
    for name in ["md5sum.txt", "hashdeep.txt", "vics2-media.json"]:
        ward("db", "import", "--data", data, "--list", "first", "--category", "1",
             os.path.join(hs, name), check_rc=0)

# ---- import ----
first_lists("d")
before = stats("d")
if not skip_on_postgres("a full disk under ward.db (the store is on the server)"):
    size = os.path.getsize("d/ward.db")
    p = limited(size + 64 * 1024, "db", "import", "--data", "d", "--list", "big", "big.md5")
    err = p.stderr.decode()
    expect(p.returncode == 4, f"import on a full disk: exit {p.returncode} (want 4): {err}")
    expect("ward.db" in err and "nothing from it was stored" in err, f"import names the store: {err}")
    store_ok("d", "full disk during import")
    # the failed import's row (below) moves the revision, as every failed
    # import's does; the content is what it was
    expect(content(stats("d")) == content(before),
           f"full disk during import: the store holds what it held {stats('d')} {before}")
    imports = ward("db", "imports", "--data", "d", check_rc=0).stdout.decode()
    expect("big.md5" in imports and "failed" in imports and
           ("File too large" in imports or "disk" in imports or "full" in imports),
           f"the failed import has a row saying why: {imports[-600:]}")
ward("db", "import", "--data", "d", "--list", "big", "big.md5", check_rc=0)
first_lists("ref"); ward("db", "import", "--data", "ref", "--list", "big", "big.md5", check_rc=0)
expect(content(stats("d")) == content(stats("ref")), "with room again, the import gives the same store")

# ---- export ----
p = limited(100 * 1024, "db", "export", "--data", "d", "--format", "csv", "-o", "x.csv")
err = p.stderr.decode()
expect(p.returncode == 4 and "x.csv" in err, f"export to a full disk: exit {p.returncode}: {err}")
expect(not os.path.exists("x.csv"), "no cut-off export left behind")
with open("stdout.csv", "wb") as out:
    def cap():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100 * 1024, 100 * 1024))
    p = subprocess.run([WARD, "db", "export", "--data", "d", "--format", "hashdeep"],
                       stdout=out, stderr=subprocess.PIPE, preexec_fn=cap)
expect(p.returncode == 4 and b"standard output" in p.stderr,
       f"export to a full stdout: exit {p.returncode}: {p.stderr!r}")
store_ok("d", "after the failed exports")

# ---- scan ----
os.makedirs("ev")
for i in range(300 if SMALL else 1500):
    open(f"ev/note{i:04}.txt", "w").write(f"note {i}\n")
shutil.copy(os.path.join(DATA, "pdq/images/wee.jpg"), "ev/photo.jpg")
ward("scan", "--data", "d", "-j", "2", "-q", "--out", "ref-out", "ev", check_rc=0)
files_size = os.path.getsize("ref-out/files.jsonl")
before = stats("d")
p = limited(files_size // 3, "scan", "--data", "d", "-j", "2", "-q", "--checkpoint", "0.05",
            "--out", "out", "ev")
err = p.stderr.decode()
expect(p.returncode == 4 and "out/files.jsonl" in err,
       f"scan to a full disk: exit {p.returncode}, names the file: {err}")
expect(not os.path.exists("out/summary.json"), "no summary for a scan that could not write")
store_ok("d", "full disk during scan")
expect(stats("d") == before, "scan on a full disk changed nothing in the store")
# Room again: --resume continues from the last checkpoint written before the
# disk filled, and the result is the uninterrupted scan's.
ward("scan", "--data", "d", "-j", "2", "-q", "--checkpoint", "0.05", "--out", "out",
     "--resume", "ev", check_rc=0)
expect(open("out/files.jsonl", "rb").read() == open("ref-out/files.jsonl", "rb").read(),
       "disk full, then --resume: files.jsonl identical")

# ---- a real ENOSPC on a small tmpfs (root only) ----
os.makedirs("small")
if skip_on_postgres("ENOSPC under ward.db (the store is on the server)"):
    pass
elif os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", "small"],
                                       capture_output=True).returncode != 0:
    print("skip: no tmpfs (not root, or mount refused)")
else:
    first_lists("small/d")                     # a store, then too little room
    before = stats("small/d")
    with open("small/filler", "wb") as f:      # leave ~64 KiB
        free = os.statvfs("small").f_bavail * os.statvfs("small").f_frsize
        f.write(b"\0" * max(0, free - 64 * 1024))
    open("again.md5", "w").write("".join("%032x  again%d\n" % (rng.getrandbits(128), i)
                                         for i in range(20000)))
    p = ward("db", "import", "--data", "small/d", "--list", "again", "again.md5")
    err = p.stderr.decode()
    expect(p.returncode == 4 and "ward.db" in err, f"ENOSPC import: exit {p.returncode}: {err}")
    os.unlink("small/filler")
    store_ok("small/d", "ENOSPC during import")
    expect(stats("small/d") == before, "ENOSPC during import: the store holds what it held")
print("ok")
PY
