#!/bin/bash
# hashdeep itself audits what ward writes (issue 18.1): names as hashdeep
# writes them (absolute, "." and ".." resolved, raw bytes), whatever the
# arguments ("." "./x" "../x" "x//y") and whatever the names (spaces, a
# backslash, a comma, a tab, invalid UTF-8). The list also goes through
# 'ward db import' and back out of 'ward db export', and hashdeep audits that.
. "$(dirname "$0")/wardtest.bash"
command -v hashdeep >/dev/null || { echo "hashdeep not installed (scripts/deps.sh)"; exit 1; }
/usr/bin/python3 - <<'PY'
import os, subprocess, sys
from wardtest import *

root = os.getcwd().encode()
os.makedirs(b"t/sub dir")
names = [b"plain", b"sp ace", b"back\\slash", b"com,ma", b"tab\there", b"bad\xff\xfe-utf8",
         "ünï".encode(), b"sub dir/x,y\\z"]
for i, n in enumerate(names):
    open(b"t/" + n, "wb").write(b"content %d\n" % i)

def audit(lst, d, cwd="."):
    a = subprocess.run(["hashdeep", "-a", "-k", os.path.abspath(lst), "-r", d], cwd=cwd,
                       capture_output=True)
    return a.returncode == 0 and b"Audit passed" in a.stdout, a.stdout + a.stderr

def hd_names(data):
    lines = data.split(b"\n")
    cols = [l for l in lines if l.startswith(b"%%%% size")][0].count(b",")
    return sorted(l.split(b",", cols)[-1] for l in lines if l and not l.startswith((b"%", b"#")))

want = sorted(root + b"/t/" + n for n in names)
for cwd, arg in [("t", "."), (".", "./t"), ("t/sub dir", "../../t"), (".", "t//sub dir/../"),
                 (".", "t")]:
    p = subprocess.run([os.path.abspath(WARD), "hash", "--hashdeep", "-c", "md5,sha256", arg],
                       cwd=cwd, capture_output=True)
    expect(p.returncode == 0, f"ward hash --hashdeep {arg}: {p.returncode} {p.stderr}")
    open("l.hd", "wb").write(p.stdout)
    got = hd_names(p.stdout)
    expect(got == want, f"names for {arg} in {cwd}: {got}")
    ok, out = audit("l.hd", arg, cwd)
    expect(ok, f"hashdeep -a on ward's list of {arg} (from {cwd}): {out}")

# what hashdeep itself writes, ward reads; what ward writes back, hashdeep audits
own = subprocess.run(["hashdeep", "-c", "md5,sha256", "-r", "t"], capture_output=True).stdout
open("own.hd", "wb").write(own)
expect(hd_names(own) == want, f"hashdeep's own names: {hd_names(own)}")
# The store keeps a name that is not UTF-8 with ward's escapes (PostgreSQL's
# TEXT is UTF-8 only; SQLite does the same), every other name byte for byte.
bad = root + b"/t/bad\xff\xfe-utf8"
kept = sorted(root + b"/t/bad\\xff\\xfe-utf8" if n == bad else n for n in want)
os.rename(bad, b"bad.aside")
for src in ["l.hd", "own.hd"]:
    ward("db", "import", "--data", "d" + src, "--list", "l", "--category", "1", src, check_rc=0)
    ex = ward("db", "export", "--data", "d" + src, "--format", "hashdeep", check_rc=0).stdout
    expect(hd_names(ex) == kept, f"names after import of {src} and export: {hd_names(ex)}")
    open("ex.hd", "wb").write(b"\n".join(l for l in ex.split(b"\n") if b"\\xff" not in l))
    ok, out = audit("ex.hd", "t")
    expect(ok, f"hashdeep -a on the export of {src}: {out}")
os.rename(b"bad.aside", bad)

# a line break cannot be written raw: escaped, reported, exit 1
open(b"t/new\nline", "wb").write(b"x")
p = ward("hash", "--hashdeep", "t", check_rc=1)
expect(b"line break" in p.stderr and b"/t/new\\nline" in p.stdout, f"newline name: {p.stderr}")
print("ok: hashdeep audits ward's lists")
PY
