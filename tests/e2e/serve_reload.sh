#!/bin/bash
# A serving node keeps seeing the store while other ward commands use the
# same data directory (issue 16 item 13): on SQLite, a reload that opened
# and closed ward.db outside SQLite dropped the node's POSIX locks, the next
# command to close its connection deleted the WAL, and the node answered
# from the old revision for good. Each import below must reach the node.
# The node also sees the series' status and the flood quarantine (issue
# 23): a hit in an identified series says so, and a hash hit by --flood-keys
# API keys is quarantined (recorded, alert paused) until a person releases it.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import json, os, sys, time
from wardtest import *

use_data()
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
port = serve_start("d", "--flood-keys", "2", "--flood-hours", "1")
rev = revision(port)
for n, other in ((2, ["db", "stats"]), (3, ["db", "stats"]), (4, ["db", "imports"]),
                 (5, ["db", "check"]), (6, ["db", "stats"])):
    import_list(n)
    rev += 1
    reaches(port, rev, f"import l{n}")
    ward(*other, check_rc=None)   # another process opens and closes the store

# --- series status and flood control of platform hits (issue 23) ---------------
X, Y = "%032x" % 0x5e1e5, "%032x" % 0xf100d
with open("vic.txt", "w") as f:
    f.write(f"{X}  series-image.jpg\n{Y}  meme.jpg\n")
ward("db", "import", "--list", "vic", "--category", "1", "--format", "sums", "vic.txt",
     check_rc=0)
rev += 1
reaches(port, rev, "import vic")
K1, K2 = (ward("apikey", "add", "--name", n, "--scopes", "match", "--rate", "1000",
               check_rc=0).stdout.decode().strip() for n in ("platform-1", "platform-2"))
ward("series", "create", "S-Test-1", "--team", "VID-Team", "--contact", "vid@example.org",
     check_rc=0)
ward("series", "add", "S-Test-1", f"md5:{X}", check_rc=0)
ward("series", "status", "S-Test-1", "identified", check_rc=0)

def match(key, h):
    st, body = api(port, "/v1/match", key, json.dumps({"hashes": [h]}))
    expect(st == 200, f"match {st} {body[:200]}")
    return json.loads(body)

for _ in range(200):   # the series are re-read at the reload tick
    m = match(K1, X)
    if m["results"][0]["matches"][0].get("series_info", {}).get("status") == "identified":
        break
    time.sleep(0.05)
hit = m["results"][0]["matches"][0]
expect(hit.get("series_info") == {"name": "S-Test-1", "status": "identified",
                                  "team": "VID-Team", "contact": "vid@example.org"},
       f"the answer says the series is identified: {hit}")
expect(m["alert"] is True and "quarantined" not in m, f"one key: no flood {m}")

m = match(K1, Y)
expect(m["alert"] is True and m["event_id"], f"first platform: alert {m}")
m = match(K2, Y)   # the second key reaches --flood-keys 2
expect(m["alert"] is False and m["quarantined"] == 1 and m["event_id"]
       and m["results"][0]["quarantined"] is True
       and m["results"][0]["matches"][0]["quarantined"] is True,
       f"flood: quarantined, recorded, alert paused {m}")
q = ward("series", "quarantine", "list", check_rc=0).stdout.decode()
expect(f"md5:{Y}" in q, f"quarantine list names it: {q}")
m = match(K1, Y)
expect(m["alert"] is False and m["event_id"], f"still paused, still recorded {m}")
m = match(K1, X)   # another hash (one key so far) is not held up
expect(m["alert"] is True, f"the series hash still alerts {m}")
ward("series", "quarantine", "release", f"md5:{Y}", "--reason", "reviewed: real listing",
     check_rc=0)
for _ in range(200):
    m = match(K1, Y)
    if m["alert"]:
        break
    time.sleep(0.05)
expect(m["alert"] is True and "quarantined" not in m, f"released: alerts again {m}")

# --- retroactive matching of recorded platform events (issue 23 item 5) ---------
# A partner list that arrives later holds the meme's MD5 too: the import
# re-matches the events the platforms sent earlier against its entries only.
with open("partner.txt", "w") as f:
    f.write(f"{Y.upper()}  partner-copy.jpg\n{'%032x' % 0xabcdef}  other.jpg\n")
p = ward("db", "import", "--list", "partner", "--category", "1", "--format", "sums",
         "partner.txt", check_rc=1)
err = p.stderr.decode()
expect("platform match events re-matched" in err, f"the import says so: {err}")
al = ward("series", "alerts", "--all", check_rc=None).stdout.decode()
retro = [l for l in al.splitlines() if "retro-match-platform" in l]
k1, k2 = K1.split("_")[1], K2.split("_")[1]
expect(any(f"key:{k1}" in l for l in retro) and any(f"key:{k2}" in l for l in retro)
       and all(f"md5:{Y}" in l and "'partner'" in l for l in retro)
       and not any(X in l for l in retro), f"alerts to both platforms' keys: {al}")
n = len(retro)
ward("series", "rematch", check_rc=0)   # nothing new since: no second alert
al = ward("series", "alerts", "--all", check_rc=None).stdout.decode()
expect(len([l for l in al.splitlines() if "retro-match-platform" in l]) == n,
       f"a rematch with nothing new alerts nobody again: {al}")
print("ok: serve_reload")
PY
