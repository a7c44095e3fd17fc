#!/bin/bash
# Formula injection (issue 16 item 5, OWASP "CSV Injection"): a cell that
# starts with = + - @ tab or CR is written with a single quote in front (and
# quoted) in every CSV ward writes -- scan files.csv, `ward hash --csv`,
# `ward db export --format csv` -- and ward's own CSV reader takes the guard
# off again, so an export re-imports byte for byte.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import csv, os, shutil, sys
from wardtest import *

I = os.path.join(DATA, "pdq/images")
evil = ['=HYPERLINK("http://example.invalid/","x")', "+1+1", "-5", "@SUM(A1)", "\tx", "'=2"]
# a hash list whose series, tags and names would be formulas, in a list
# whose name would be one
import hashlib
wee = open(os.path.join(I, "wee.jpg"), "rb").read()
with open("l.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["md5", "sha256", "category", "series", "tags", "name"])
    w.writerow([hashlib.md5(wee).hexdigest(), hashlib.sha256(wee).hexdigest(), "1",
                evil[0], evil[1], evil[2]])
    w.writerow([hashlib.md5(b"q").hexdigest(), "", "1", evil[5], evil[3], evil[4]])
ward("db", "import", "--data", "d", "--list", "@alerts", "l.csv", check_rc=0)
os.makedirs("ev"); shutil.copy(os.path.join(I, "wee.jpg"), "ev/-w.jpg")

def guarded(cell, value):
    return cell == "'" + value

# ---- scan files.csv ----
os.chdir("ev")
ward("scan", "--data", "../d", "-q", "--out", "../o", "--", "-w.jpg", check_rc=1)
os.chdir("..")
rows = list(csv.DictReader(open("o/files.csv", newline="")))
r = [x for x in rows if x["path"] == "'-w.jpg"]
expect(r, f"files.csv path guarded: {rows}")
r = r[0]
cells = [c for x in rows for c in x.values()]
expect(guarded(r["match_series"], evil[0]), f"files.csv series guarded: {r}")
expect(guarded(r["match_list"], "@alerts"), f"files.csv list guarded: {r}")
expect(not any(c and c[0] in "=+-@\t\r" for c in cells), f"no cell starts a formula: {cells}")

# ---- ward hash --csv: file names ----
os.makedirs("names")
for i, n in enumerate(evil[1:5]):
    open(os.path.join("names", n.replace("\t", "TAB") if "\t" in n else n), "w").write(str(i))
os.chdir("names")
args = sorted(os.listdir("."))
out = ward("hash", "--csv", "--", *args, check_rc=0).stdout.decode()
os.chdir("..")
rows = list(csv.reader(out.splitlines()))
names = [r[0] for r in rows[1:]]
expect(sorted(names) == sorted("'" + a if a[0] in "=+-@" else a for a in args),
       f"hash --csv names guarded: {names} for {args}")

# ---- db export --format csv: guarded, and read back byte for byte ----
ward("db", "export", "--data", "d", "--list", "@alerts", "--format", "csv", "-o", "x.csv", check_rc=0)
rows = sorted(csv.DictReader(open("x.csv", newline="")), key=lambda r: r["md5"])
byser = {r["md5"]: r for r in rows}
r = byser[hashlib.md5(wee).hexdigest()]
expect(guarded(r["series"], evil[0]) and guarded(r["tags"], evil[1]) and guarded(r["name"], evil[2])
       and guarded(r["list"], "@alerts"), f"export guarded: {r}")
q = byser[hashlib.md5(b"q").hexdigest()]
expect(q["series"] == "''=2" and guarded(q["tags"], evil[3]) and guarded(q["name"], evil[4]),
       f"'=2 guarded as ''=2, a tab-led name guarded: {q}")
ward("db", "import", "--data", "d2", "--list", "copy", "x.csv", check_rc=0)
ward("db", "export", "--data", "d2", "--list", "copy", "--format", "csv", "-o", "y.csv", check_rc=0)
rows2 = sorted(csv.DictReader(open("y.csv", newline="")), key=lambda r: r["md5"])
for a, b in zip(rows, rows2):
    a = dict(a); b = dict(b); a.pop("list"); b.pop("list")
    expect(a == b, f"round trip keeps every field: {a} vs {b}")
expect(len(rows2) == 2, "both records")
print("ok")
PY
