#!/bin/bash
# ward db as an examiner meets it: imports of every format with summaries,
# idempotent re-imports, bad records named by line, --strict, conflicts kept,
# lookups (exact and PDQ near), removal with a reason kept in history,
# exports that re-import, and kill -9 in the middle of a large import.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import json, os, re, signal, subprocess, sys, time
from wardtest import *

H = os.path.join(DATA, "hashsets")
def db(*args, rc=None): return ward("db", *args[:1], "--data", "d", *args[1:], check_rc=rc)
def stats(): return json.loads(db("stats", "--json", rc=0).stdout)
def summary(p):
    m = re.search(rb"(\d+) records, (\d+) added, (\d+) updated, (\d+) duplicate, (\d+) kept removed, (\d+) bad", p.stdout + p.stderr)
    expect(m, f"import summary line: {p.stdout!r} {p.stderr!r}")
    return dict(zip(["records", "added", "updated", "duplicate", "kept_removed", "bad"], map(int, m.groups())))

ward("db", "--help", check_rc=0)
ward("db", check_rc=2)
ward("db", "frobnicate", check_rc=2)

# ---- every format, detected from content ----
fixtures = {"vics2-media.json": 3, "vics1-cases.json": 2, "hashdeep.txt": 2, "md5sum.txt": 3,
            "list.csv": 2, "pdq.txt": 2}
for f, n in fixtures.items():
    s = summary(db("import", os.path.join(H, f), rc=0))
    expect(s["records"] == n and s["added"] == n and s["bad"] == 0, f"{f}: {s}")
st = stats()
expect(st["entries"] == 14 and st["imports"] == 6, f"stats after imports: {st}")
# re-importing changes nothing
for f, n in fixtures.items():
    s = summary(db("import", os.path.join(H, f), rc=0))
    expect(s["added"] == 0 and s["duplicate"] == n, f"re-import of {f} is idempotent: {s}")
expect(stats()["entries"] == 14, "no entries added by re-imports")

# ---- bad records: named by file and line; --strict rolls back ----
good = "d41d8cd98f00b204e9800998ecf8427e"
open("sums.txt", "w").write(f"{good}  empty\n0123456789abcdef0123456789abcdef  a\nnot a hash line\n"
                            "fedcba9876543210fedcba9876543210  b\n")
before = stats()
p = db("import", "--strict", "--list", "strict", "sums.txt", rc=3)
expect(b"sums.txt:3" in p.stderr, f"strict abort names the line: {p.stderr!r}")
expect(stats()["entries"] == before["entries"], "strict abort left the store as it was")
p = db("import", "--list", "lenient", "sums.txt", rc=1)
s = summary(p)
expect(s["added"] == 3 and s["bad"] == 1 and b"sums.txt:3" in p.stderr, f"bad record counted: {s} {p.stderr!r}")

# ---- conflicts are kept and reported, never overwritten ----
p = db("conflicts", rc=1)   # 1: findings
expect(b"aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d" in p.stdout, f"conflict listed: {p.stdout!r}")
recs = jsonl(db("lookup", "--json", "sha1:aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d", rc=1).stdout)
expect({r["category"] for r in recs if "category" in r} >= {"1", "2"}, f"both categories kept: {recs}")

# ---- lookup: exact, not found, PDQ near ----
recs = jsonl(db("lookup", "--json", "5d41402abc4b2a76b9719d911017c592", rc=1).stdout)
expect(len(recs) >= 3 and all(r["match"] == "exact" for r in recs), f"exact lookup: {recs}")
expect(all("import_path" in r for r in recs), "provenance in lookups")
r = jsonl(db("lookup", "--json", "00000000000000000000000000000000", rc=0).stdout)
expect(r == [{"query": "00000000000000000000000000000000", "found": False}], f"not found: {r}")
near = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b23"   # 1 bit off
recs = jsonl(db("lookup", "--json", "--near", "8", near, rc=1).stdout)
expect(any(r["match"] == "pdq" and r["distance"] == 1 for r in recs), f"near lookup: {recs}")
db("lookup", "xyz", rc=2)                                       # not a hash: usage

# ---- removal as a false positive, with reason, kept in history ----
db("remove", "md5:fedcba9876543210fedcba9876543210", rc=2)          # no reason
db("remove", "--reason", "holiday photo, reviewed by examiner 42",
   "md5:fedcba9876543210fedcba9876543210", rc=0)
recs = jsonl(db("lookup", "--json", "fedcba9876543210fedcba9876543210", rc=1).stdout)
expect(recs and all(r.get("removed") for r in recs), f"removed entry still visible as removed: {recs}")
expect(b"examiner 42" in db("removed", rc=0).stdout, "removal history")
s = summary(db("import", "--list", "lenient", "sums.txt", rc=1))
expect(s["kept_removed"] == 1 and s["added"] == 0, f"re-import does not bring it back: {s}")

# ---- exports re-import ----
for fmt in ["vics2", "hashdeep", "csv", "pdq"]:
    db("export", "--format", fmt, "-o", f"out.{fmt}", rc=0)
    expect(os.path.getsize(f"out.{fmt}") > 0, f"export {fmt} written")
p = ward("db", "import", "--data", "d2", "--list", "copy", "out.vics2", check_rc=0)
s = summary(p)
expect(s["added"] > 0 and s["bad"] == 0, f"vics2 export re-imports: {s}")
pdq_lines = [l for l in open("out.pdq") if l.strip() and not l.startswith("#")]
expect(len(pdq_lines) == stats()["with_pdq"], f"pdq export: {pdq_lines}")
db("export", "--format", "csv", "--list", "list", "--category", "1", "-o", "one.csv", rc=0)
expect(sum(1 for _ in open("one.csv")) == 2, "export filtered by list and category")
db("export", "--format", "xml", rc=2)

# ---- kill -9 during a large import leaves the store as it was ----
# Large enough that the import is still running when killed at 0.5 s:
# PostgreSQL imports about 6,000 records/s here (a round trip per row),
# SQLite over 100,000.
N = 60_000 if on_postgres() else 300_000
with open("big.json", "w") as f:
    f.write('{"odata.metadata":"http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml/CUSTOM/$metadata#Cases",'
            '"value":[{"CaseID":1,"Media":[')
    for i in range(N):
        f.write(('' if i == 0 else ',') +
                '{"MediaID":%d,"Category":1,"MD5":"%032x","SHA1":"%040x"}' % (i, i * 7919 + 1, i * 104729 + 3))
    f.write(']}]}')
before = stats()
p = subprocess.Popen([WARD, "db", "import", "--data", "d", "--list", "big", "big.json"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(0.5)
p.kill(); p.wait()
after = stats()
expect(after["entries"] == before["entries"] and after["imports"] == before["imports"],
       f"kill -9 mid-import: store as before ({before} vs {after})")
s = summary(db("import", "--list", "big", "big.json", rc=0))
expect(s["added"] == N, f"the import then completes: {s}")
s = summary(db("import", "--list", "big", "big.json", rc=0))
expect(s["added"] == 0 and s["duplicate"] == N, f"and is idempotent: {s}")
expect(b"big" in db("lists", rc=0).stdout and b"big.json" in db("imports", rc=0).stdout,
       "lists and imports show it")
# ---- ward db check: the store file and the index ----
db("index", rc=0)
p = db("check", rc=0)
expect(b"store: ok" in p.stdout and b"index: ok" in p.stdout, f"check: {p.stdout!r}")
with open("d/index.wdx", "r+b") as f:
    f.seek(100); f.write(b"\xff" * 8)
p = db("check", rc=3)
expect(b"index: DAMAGED" in p.stdout, f"damaged index reported: {p.stdout!r}")
db("index", rc=0); db("check", rc=0)
if on_postgres():
    # No pages to damage from here: break what ward checks there instead, a
    # live entry pointing at another entry's removal.
    store_query("d", "store", "UPDATE entries SET removed_id = (SELECT max(id) FROM history)"
                " WHERE id = (SELECT min(id) FROM entries WHERE removed_id IS NULL)")
    p = ward("db", "check", "--data", "d", check_rc=3)
    expect(b"problem: entry" in p.stdout and b"DAMAGED" in p.stdout,
           f"damaged store: {p.stdout!r} {p.stderr!r}")
else:
    import shutil; shutil.copytree("d", "dbad")
    ps = int(subprocess.run(["sqlite3", "dbad/ward.db", "PRAGMA page_size"], capture_output=True).stdout)
    pg = int(subprocess.run(["sqlite3", "dbad/ward.db",
                             "SELECT pageno FROM dbstat WHERE name='entries' LIMIT 1"],
                            capture_output=True).stdout)
    with open("dbad/ward.db", "r+b") as f:
        f.seek(ps * (pg - 1) + 200); f.write(b"\xde\xad" * 50)
    p = ward("db", "check", "--data", "dbad", check_rc=3)
    expect(b"malformed" in p.stderr + p.stdout or b"problem" in p.stdout, f"damaged store: {p.stdout!r} {p.stderr!r}")
# ---- ward db init ----
p = ward("db", "init", "--data", "fresh", check_rc=0)
expect(b"store at" in p.stdout and b"schema version" in p.stdout, f"init: {p.stdout!r}")
ward("db", "init", "--data", "fresh", "--store", "mysql://x/y", check_rc=2)
if on_postgres():
    url = os.environ["WARD_STORE"] + "&ward_prefix=dbcli"
    os.makedirs("node"); p = ward("db", "init", "--data", "node", "--store", url, check_rc=0)
    expect(open("node/store.url").read().strip() == url, "store.url written")
    expect(os.stat("node/store.url").st_mode & 0o777 == 0o600, "store.url private")
    ward("db", "init", "--data", "node", "--store", url + "x", check_rc=2)  # names another
    # node/store.url outranks $WARD_STORE: the store is the schema dbcli_store
    r = subprocess.run(["psql", os.environ["WARD_STORE"], "-XAtq", "-c",
                        "SELECT count(*) FROM dbcli_store.lists"], capture_output=True, text=True)
    expect(r.stdout.strip() == "0", f"store made: {r.stdout!r} {r.stderr!r}")
    ward("db", "stats", "--data", "node", check_rc=0)
else:
    ward("db", "init", "--data", "d", "--store", "postgresql:///x", check_rc=2)  # has ward.db
print("ok")
PY
