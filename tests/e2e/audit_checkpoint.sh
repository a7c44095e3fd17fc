#!/bin/bash
# Signed audit checkpoints (issue 16 item 16): 'ward audit checkpoint', a
# node's periodic ones (every N records) and GET /v1/audit/checkpoint are
# signed with the node's key; 'ward audit verify --checkpoint FILE' passes
# on the log as written, and detects what the chain alone cannot: records
# cut from the end, the whole chain rewritten (every hash recomputed), a
# rollback to an older copy (with and without records written after it),
# and a checkpoint line altered.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import hashlib, json, os, signal, sqlite3, subprocess, sys, time
from wardtest import *

D = use_data()
md5 = hashlib.md5(b"checkpoint item").hexdigest()
with open("l.txt", "w") as f:
    f.write(f"{md5}  item.jpg\n")
ward("db", "import", "--list", "vic", "--category", "1", "l.txt", check_rc=0)
p = ward("audit", "checkpoint", check_rc=4)          # no signing key yet
expect(b"keys generate" in p.stderr or b"release.key" in p.stderr, p.stderr)
ward("keys", "generate", check_rc=0)
km = ward("apikey", "add", "--name", "p", "--scopes", "match", "--rate", "100000",
          "--burst", "100000", check_rc=0).stdout.decode().strip()
ka = ward("apikey", "add", "--name", "ops", "--scopes", "admin", check_rc=0).stdout.decode().strip()

def modify(sql, params=()):
    if on_postgres():
        return store_query("d", "service", sql, params)
    db = sqlite3.connect(os.path.join(D, "service.db"), isolation_level=None)
    try:
        db.execute(sql, params)
    finally:
        db.close()

def rows():
    return store_query("d", "service", "SELECT seq, at, actor, action, object, detail, prev, hash"
                                       " FROM audit ORDER BY seq")

def save(name):   # inside the store: a text round trip would lose NULL vs ''
    modify(f"CREATE TABLE {name} AS SELECT * FROM audit")

def put_back(name):
    modify("DELETE FROM audit")
    modify(f"INSERT INTO audit SELECT * FROM {name}")

def verify(cp, rc):
    p = subprocess.run([WARD, "audit", "verify", "--checkpoint", cp], capture_output=True)
    expect(p.returncode == rc, f"verify --checkpoint {cp}: exit {p.returncode}, expected {rc}: "
                               f"{p.stdout} {p.stderr}")
    return (p.stdout + p.stderr).decode()

# ---- on demand, from the command line ------------------------------------------
line = ward("audit", "checkpoint", "--out", "ops.cp", check_rc=0).stdout.decode().strip()
expect(line.startswith("ward-audit-checkpoint/1 ") and " sig=" in line, line)
old = rows()
save("audit_old")                                     # the copy a rollback restores
expect("1 checkpoint" in verify("ops.cp", 0), "one checkpoint checked")

# ---- a node: every 3 records, and on demand -------------------------------------
port = serve_start("d", "--checkpoint-records", "3", "--checkpoint-file", os.path.abspath("node.cp"))
def written():
    return len(open("node.cp").read().splitlines()) if os.path.exists("node.cp") else 0
expect(written() == 1, "a checkpoint at start")
for round in range(2):   # looked at each reload tick: one round at a time
    for i in range(4):
        st, body = api(port, "/v1/match", km, json.dumps({"hashes": [md5]}))
        expect(st == 200 and json.loads(body)["event_id"], f"match {st} {body}")
    for _ in range(100):
        if written() >= round + 2:
            break
        time.sleep(0.1)
    expect(written() == round + 2, f"a checkpoint after 3 records or more: {written()}")
st, body = api(port, "/v1/audit/checkpoint", km)
expect(st == 403, f"a match key cannot take checkpoints: {st}")
st, body = api(port, "/v1/audit/checkpoint", ka)
expect(st == 200, f"on demand: {st} {body}")
got = json.loads(body)
expect(got["checkpoint"] in open("node.cp").read(), "the node's file has the on-demand one")
lines = open("node.cp").read().splitlines()
expect(len(lines) >= 4, f"at start, every 3 records and on demand: {len(lines)} checkpoints")
for i in range(1):
    api(port, "/v1/match", km, json.dumps({"hashes": [md5]}))
import wardtest
for srv in wardtest._servers:
    srv.terminate()
    srv.wait(timeout=30)
with open("all.cp", "w") as f:                        # as shipped: the CLI's and the node's
    f.write(open("ops.cp").read() + "".join("Dec  7 04:00:00 host ward: " + l + "\n" for l in lines))
out = verify("all.cp", 0)
expect("intact" in out, out)
full = rows()
n = len(full)
save("audit_full")

# ---- truncation: the last records cut off (the chain alone stays intact) --------
modify("DELETE FROM audit WHERE seq > ?", (full[-8][0],))
expect("intact" in ward("audit", "verify", check_rc=0).stdout.decode(), "the chain alone misses it")
out = verify("all.cp", 3)
expect("removed from the end" in out, f"truncation: {out}")
put_back("audit_full")
verify("all.cp", 0)

# ---- the whole chain rewritten, every hash recomputed ---------------------------
# (SQLite only: psql's text output cannot tell NULL from '', which the hash can)
def h(prev, *fields):
    d = hashlib.sha256()
    for f in (prev, *fields):
        if f is None:
            d.update(b"N;")
        else:
            b = str(f).encode()
            d.update(b"%d:" % len(b) + b)
    return d.hexdigest()
prev = "0" * 64
forged = []
for r in full:
    seq, at, actor, action, obj, detail = r[:6]
    if action == "event.create" and not any(x[3] == "event.create" and x[5] == "forged" for x in forged):
        detail = "forged"
    hh = h(prev, at, actor, action, obj, detail)
    forged.append((seq, at, actor, action, obj, detail, prev, hh))
    prev = hh
if not skip_on_postgres("the rewrite recomputes hashes from the rows as read"):
    modify("DELETE FROM audit")
    for r in forged:
        modify("INSERT INTO audit(seq, at, actor, action, object, detail, prev, hash)"
               " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", r)
    expect("intact" in ward("audit", "verify", check_rc=0).stdout.decode(), "a consistent forged chain")
    out = verify("all.cp", 3)
    expect("rewritten" in out, f"rewrite: {out}")
    put_back("audit_full")

# ---- rollback to the older copy, then written on ---------------------------------
put_back("audit_old")
out = verify("all.cp", 3)
expect("rolled back" in out, f"rollback: {out}")
for i in range(n - len(old) + 1):                     # more records than before
    ward("apikey", "add", "--name", f"x{i}", "--scopes", "match", check_rc=0)
expect("intact" in ward("audit", "verify", check_rc=0).stdout.decode(), "the chain alone misses it")
out = verify("all.cp", 3)
expect("rolled back" in out or "rewritten" in out, f"rollback written on: {out}")
put_back("audit_full")
verify("all.cp", 0)

# ---- a checkpoint altered --------------------------------------------------------
bad = line.replace(" records=", " records=1")
open("bad.cp", "w").write(bad + "\n")
out = verify("bad.cp", 3)
expect("bad signature" in out, f"altered checkpoint: {out}")
print(f"ok: audit_checkpoint ({n} records, {len(lines) + 1} checkpoints)")
PY
