#!/bin/bash
# Files that cannot be read are reported one by one and the rest is done:
#   - an I/O error (reading /proc/self/mem at offset 0 fails with EIO,
#     reached through a symbolic link with -L),
#   - a FIFO (never opened: a scan must not block on it),
#   - a file and a folder without read permission (root reads anything, so
#     as root that part runs as nobody; skipped if nobody cannot run ward),
#   - a directory or an unreadable file where `ward db import` wants a file:
#     named, exit 2 or 4, nothing stored, the store intact.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import json, os, shutil, subprocess, sys
from wardtest import *

def scan_records(out):
    recs = {r["path"]: r for r in jsonl(open(f"{out}/files.jsonl", "rb").read())}
    notes = jsonl(open(f"{out}/notices.jsonl", "rb").read())
    return recs, notes, json.load(open(f"{out}/summary.json"))

I = os.path.join(DATA, "pdq/images")
ward("hash", "--hashdeep", "-o", "l.hd", os.path.join(I, "wee.jpg"), check_rc=0)
ward("db", "import", "--data", "d", "--list", "alerts", "--category", "1", "l.hd", check_rc=0)

os.makedirs("ev/sub")
shutil.copy(os.path.join(I, "wee.jpg"), "ev/known.jpg")
shutil.copy(os.path.join(I, "small.jpg"), "ev/sub/new.jpg")
open("ev/note.txt", "w").write("a note\n")
os.mkfifo("ev/pipe")
have_proc = os.path.exists("/proc/self/mem")
if have_proc:
    os.symlink("/proc/self/mem", "ev/eio")

# ---- scan: every readable file classified, each failure named ----
p = ward("scan", "--data", "d", "-j", "2", "-L", "-q", "--out", "out", "ev", check_rc=1)
recs, notes, summ = scan_records("out")
expect(recs["ev/known.jpg"]["class"] == "known", "known file still found")
expect(recs["ev/sub/new.jpg"]["class"] == "new-image", "new image still classified")
expect(recs["ev/note.txt"]["class"] == "other", "text file still hashed")
expect(any(n["path"] == "ev/pipe" and n["kind"] == "skipped" for n in notes),
       f"FIFO reported as skipped, not read: {notes}")
if have_proc:
    r = recs.get("ev/eio", {})
    expect(r.get("class") == "error" and "Input/output error" in r.get("error", ""),
           f"I/O error reported on the file: {r}")
    expect({"path": "ev/eio", "reason": r["error"]} in summ["file_errors"],
           f"summary lists the I/O error: {summ['file_errors']}")
ward("db", "check", "--data", "d", check_rc=0)

# ---- hash: the same, one line per file ----
p = ward("hash", "--jsonl", "-L", "ev", check_rc=1 if have_proc else 0)
hashed = {r["path"]: r for r in jsonl(p.stdout)}
expect("sha256" in hashed["ev/note.txt"] and "sha256" in hashed["ev/known.jpg"],
       "hash: readable files hashed")
if have_proc:
    expect("Input/output error" in hashed["ev/eio"]["error"], f"hash: I/O error {hashed['ev/eio']}")
    expect(b"ev/eio" in p.stderr, "hash: the I/O error named on stderr")

# ---- import: an I/O error (exit 4), a directory (exit 2, a wrong
# argument: the library's EINVAL), each named; nothing stored ----
before = ward("db", "stats", "--data", "d", "--json", check_rc=0).stdout
bad_inputs = [("ev", 2, "ev is a directory")]
if have_proc:
    bad_inputs.append(("/proc/self/mem", 4, "cannot read /proc/self/mem: Input/output error"))
for bad, rc, why in bad_inputs:
    p = ward("db", "import", "--data", "d", "--list", "x", bad)
    err = p.stderr.decode()
    expect(p.returncode == rc and why in err and "nothing from it was stored" in err,
           f"import {bad}: exit {p.returncode} (want {rc}): {err}")
ward("db", "check", "--data", "d", check_rc=0)
expect(ward("db", "stats", "--data", "d", "--json", check_rc=0).stdout == before,
       "failed imports stored nothing")

# ---- permissions: as an unprivileged user ----
def as_nobody():
    os.setgroups([]); os.setgid(65534); os.setuid(65534)

if os.geteuid() == 0:
    user = as_nobody
    os.chmod(".", 0o755)
    shutil.chown(".", 65534, 65534)
    for root, dirs, files in os.walk("."):
        for n in dirs + files:
            os.lchown(os.path.join(root, n), 65534, 65534)
    ok = subprocess.run([WARD, "--version"], capture_output=True, preexec_fn=user).returncode == 0
else:
    user, ok = None, True
if not ok:
    print("skip: permissions (nobody cannot run ward from here)")
elif user and skip_on_postgres("permissions as nobody, who cannot reach the test server's "
                               "private socket directory"):
    pass
else:
    os.makedirs("ev2/locked")
    shutil.copy(os.path.join(I, "wee.jpg"), "ev2/known.jpg")
    shutil.copy(os.path.join(I, "wee.jpg"), "ev2/locked/hidden.jpg")
    open("ev2/secret.txt", "w").write("no read permission\n")
    if os.geteuid() == 0:
        for n in ["ev2", "ev2/locked", "ev2/known.jpg", "ev2/locked/hidden.jpg", "ev2/secret.txt"]:
            os.chown(n, 65534, 65534)
    os.chmod("ev2/secret.txt", 0o000)
    os.chmod("ev2/locked", 0o000)
    p = subprocess.run([WARD, "scan", "--data", "d", "-j", "2", "-q", "--out", "out2", "ev2"],
                       capture_output=True, preexec_fn=user)
    expect(p.returncode == 1, f"scan with unreadable files: exit {p.returncode}: {p.stderr!r}")
    recs, notes, summ = scan_records("out2")
    expect(recs["ev2/known.jpg"]["class"] == "known", "readable file still matched")
    r = recs.get("ev2/secret.txt", {})
    unread = [n for n in notes if n["path"] == "ev2/secret.txt"]
    expect((r.get("class") == "error" and "Permission denied" in r.get("error", "")) or
           any("Permission denied" in n.get("reason", "") for n in unread),
           f"unreadable file named with its reason: {r} {unread}")
    locked = [n for n in notes if n["path"].startswith("ev2/locked")]
    expect(locked and "Permission denied" in json.dumps(locked),
           f"unreadable folder named with its reason: {notes}")
    p = subprocess.run([WARD, "db", "import", "--data", "d2", "ev2/secret.txt"],
                       capture_output=True, preexec_fn=user)
    expect(p.returncode == 4 and b"ev2/secret.txt" in p.stderr and b"Permission denied" in p.stderr,
           f"import of an unreadable file: exit {p.returncode}: {p.stderr!r}")
print("ok")
PY
