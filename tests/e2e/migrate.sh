#!/bin/bash
# ward migrate: a node's three stores (hash sets, intelligence, service
# state) move from SQLite to a PostgreSQL server started by the test, every
# table verified; the node then answers exactly as before - with its SQLite
# files moved out of the way to prove they are not read - and the way back
# (PostgreSQL -> SQLite) verifies too. A second migration into a store that
# holds data is refused. Runs once, in the SQLite pass (its own server).
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import os, shutil, sys
from wardtest import *

URL = own_postgres("mig")
H = os.path.join(DATA, "hashsets")
I = os.path.join(DATA, "intel")
NOW = "2026-03-01T00:00:00Z"

# A node with something in every store.
ward("db", "import", "--data", "node", "--list", "national", os.path.join(H, "list.csv"),
     check_rc=0)
ward("db", "import", "--data", "node", "--list", "pdq", os.path.join(H, "pdq.txt"), check_rc=0)
ward("intel", "ingest", "--data", "node", "--now", NOW, "--source", "ceop",
     os.path.join(I, "demo.csv"), check_rc=None)
ward("intel", "update", "--data", "node", "--now", NOW, check_rc=0)
ward("intel", "override", "--data", "node", "--now", NOW, "S000003", "--band", "high",
     "--reason", "works with children (synthetic)", check_rc=0)
ward("apikey", "add", "--data", "node", "--name", "platform", "--scopes", "match", check_rc=0)

def views(data):
    """What a person sees of the node: every store's contents, as text."""
    return {
        "stats": ward("db", "stats", "--data", data, check_rc=0).stdout,
        "export": ward("db", "export", "--data", data, "--format", "csv", check_rc=0).stdout,
        "subjects": ward("intel", "subjects", "--data", data, "--now", NOW, check_rc=None).stdout,
        "subject": ward("intel", "subject", "--data", data, "--now", NOW, "S000003",
                        check_rc=0).stdout,
        "keys": ward("apikey", "list", "--data", data, check_rc=0).stdout,
    }
before = views("node")
expect(b"works with children" in before["subject"], before["subject"][:300])

# a password in the URL (trust auth ignores it) must never be printed
p = ward("migrate", "--data", "node", "--to", URL + "&password=hunter2", check_rc=0)
out = p.stdout.decode()
print(out)
expect(b"hunter2" not in p.stdout + p.stderr, "no password in messages")
open("node/store.url", "w").write(URL + "\n")  # as if written without it
lines = [l for l in out.splitlines() if l.split()[:1] and l.split()[0] in ("store", "intel", "service")]
expect(lines and all(l.rstrip().endswith("verified") for l in lines), out)
expect(all(any(l.split()[0] == s for l in lines) for s in ("store", "intel", "service")), out)
expect(open("node/store.url").read().strip() == URL, "the node now points at the server")
expect(not [f for f in os.listdir("node") if f.startswith(".migrate-")], "scratch removed")
expect(oct(os.stat("node/store.url").st_mode & 0o777) == "0o600", "store.url is private")

# The SQLite files out of the way: everything must now come from PostgreSQL.
os.makedirs("aside")
for f in os.listdir("node"):
    if ".db" in f: shutil.move(os.path.join("node", f), "aside")
after = views("node")
for k in before:
    expect(before[k] == after[k], f"{k} differs after migration:\n{before[k][:400]}\n--\n{after[k][:400]}")
ward("audit", "verify", "--data", "node", check_rc=0)

# Never into a store that holds data.
r = ward("migrate", "--data", "node", "--from", "sqlite:" + os.path.abspath("aside"),
         "--to", URL)
expect(r.returncode == 3 and b"already holds" in r.stderr, r.stderr)

# Data written on the server after the move comes along by default (the
# source is where store.url says, not the SQLite files left behind).
with open("late.txt", "w") as f:
    f.write("0123456789abcdef0123456789abcdef  late.jpg\n")
ward("db", "import", "--data", "node", "--list", "late", "late.txt", check_rc=0)
ward("migrate", "--data", "node", "--to", "sqlite:" + os.path.abspath("now"), "--copy-only",
     check_rc=0)
expect(ward("db", "stats", "--data", "now", check_rc=0).stdout ==
       ward("db", "stats", "--data", "node", check_rc=0).stdout, "the late list came along")

# An empty store made by `ward db init --store` is a fine destination.
os.makedirs("fresh")
ward("db", "init", "--data", "fresh", "--store", URL.replace("ward_prefix=mig", "ward_prefix=init"),
     check_rc=0)
ward("db", "import", "--data", "small", "--list", "x", "late.txt", check_rc=0)
ward("migrate", "--data", "small", "--to", URL.replace("ward_prefix=mig", "ward_prefix=init"),
     check_rc=0)
expect(b"late.jpg" in ward("db", "export", "--data", "small", "--format", "csv",
                           check_rc=0).stdout, "small moved into the initialised store")

# And back to SQLite, copy only: the node keeps using the server.
ward("migrate", "--data", "node", "--from", URL, "--to", "sqlite:" + os.path.abspath("back"),
     "--copy-only", check_rc=0)
expect(open("node/store.url").read().strip() == URL, "--copy-only leaves the node as it was")
back = views("back")
for k in ("subjects", "subject", "keys"):   # the hash sets have the late list since
    expect(before[k] == back[k], f"{k} differs after the way back")
print("ok: migrate")
PY
