#!/bin/bash
# Two `ward serve` nodes sharing one service store, hammered at once: the
# audit hash chain must stay one sequence (no fork, no lost or duplicated
# record), every match event must be recorded once, and what one node
# allow-lists the other honours after its reload tick; an event that cannot
# be committed is answered as such.
#
# On PostgreSQL the second node has its own data directory and reaches the
# first one's schemas through ward_prefix, as a node on another machine
# would; on SQLite it is a second process on the same data directory.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import hashlib, http.client, json, os, shutil, signal, subprocess, sys, threading, time
from wardtest import *

SAN = os.environ.get("WARD_SANITIZED") == "1"
THREADS, ROUNDS = (2, 8) if SAN else (4, 25)
I = os.path.join(DATA, "pdq/images")
use_data(user="test-admin")

wee = open(os.path.join(I, "wee.jpg"), "rb").read()
wee_md5 = hashlib.md5(wee).hexdigest()
other_md5 = hashlib.md5(open(os.path.join(I, "bridge-1-original.jpg"), "rb").read()).hexdigest()
ward("hash", "--hashdeep", "-o", "wee.hd", os.path.join(I, "wee.jpg"),
     os.path.join(I, "bridge-1-original.jpg"), check_rc=0)
ward("db", "import", "--list", "vic", "--category", "1", "wee.hd", check_rc=0)

def key(name, scopes):
    return ward("apikey", "add", "--name", name, "--scopes", scopes, "--rate", "100000",
                "--burst", "100000", check_rc=0).stdout.decode().strip()

K_MATCH = key("platform-a", "match,lookup")
K_REVIEW = key("tns-team", "review")

env_b = dict(os.environ)
if on_postgres():
    shutil.copytree("d", "d2")  # the hash store; service state is on the server
    url = os.environ["WARD_STORE"]
    prefix = store_schema("d", "service").rsplit("_", 1)[0]
    env_b.update(WARD_DATA=os.path.abspath("d2"),
                 WARD_STORE=url + ("&" if "?" in url else "?") + "ward_prefix=" + prefix)
    env_b.pop("WARD_STORE_PER_DATADIR", None)

def start(port_file, env):
    return serve_proc("--reload-interval", "0.2", port_file=port_file, log=port_file + ".err",
                      env=env)

node_a, port_a = start("port-a", os.environ)
node_b, port_b = start("port-b", env_b)

def req(port, method, path, body=None, key=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    h = {"Authorization": "Bearer " + key} if key else {}
    if body is not None:
        h["Content-Type"] = "application/json"
        body = json.dumps(body)
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, json.loads(data) if data else None

# ---- both nodes at once: events, event reads, lookups (each audited) ----------
lock = threading.Lock()
done = {"event.create": [], "event.read": 0, "match.lookup": 0}
failures = []
served = {port_a: 0, port_b: 0}

def worker(port):
    for _ in range(ROUNDS):
        st, m = req(port, "POST", "/v1/match", {"hashes": [wee_md5]}, K_MATCH)
        if st != 200 or not m.get("event_id"):
            failures.append(f"match on {port}: {st} {m}"); return
        st, ev = req(port, "GET", f"/v1/events/{m['event_id']}", key=K_REVIEW)
        if st != 200 or ev.get("id") != m["event_id"]:
            failures.append(f"event read on {port}: {st} {ev}"); return
        st, l = req(port, "POST", "/v1/match", {"hashes": [wee_md5], "record_event": False}, K_MATCH)
        if st != 200 or l.get("event_id") is not None:
            failures.append(f"lookup on {port}: {st} {l}"); return
        with lock:
            done["event.create"].append(m["event_id"])
            done["event.read"] += 1
            done["match.lookup"] += 1
            served[port] += 3

threads = [threading.Thread(target=worker, args=(p,)) for p in (port_a, port_b) for _ in range(THREADS)]
t0 = time.time()
for t in threads: t.start()
for t in threads: t.join()
took = time.time() - t0
expect(not failures, f"every request answered: {failures[:3]}")
n = 2 * THREADS * ROUNDS
expect(len(done["event.create"]) == n and len(set(done["event.create"])) == n,
       f"{n} distinct events, got {len(set(done['event.create']))}")
expect(served[port_a] == served[port_b] == 3 * THREADS * ROUNDS, f"both nodes served {served}")
print(f"{3 * n} audited requests on two nodes in {took:.2f}s")

# ---- an allow-listing on node B reaches node A's in-memory copy --------------
victim = done["event.create"][0]
st, rv = req(port_b, "POST", "/v1/reviews", {"event_id": victim, "reviewer": "R. Viewer",
             "decision": "reject", "viewed": True, "allowlist": True, "notes": "benign"}, K_REVIEW)
expect(st == 201 and rv["allowlisted"], f"reject + allow-list on node B {st} {rv}")
st, again = req(port_a, "POST", "/v1/reviews", {"event_id": victim, "reviewer": "X",
                "decision": "confirm", "viewed": True}, K_REVIEW)
expect(st == 409, f"the review is shared: reviewed on B, refused on A ({st})")
lookups_after = 0
for _ in range(100):
    st, l = req(port_a, "POST", "/v1/match", {"hashes": [wee_md5], "record_event": False}, K_MATCH)
    lookups_after += 1
    if st == 200 and l["results"][0].get("allowlisted"):
        break
    time.sleep(0.05)
expect(l["results"][0].get("allowlisted"), f"node A honours node B's allow-list {l}")

# ---- a batch that cannot be committed is reported, not lost silently -----------
store_query("d", "service", "ALTER TABLE events RENAME TO events_away")
for port in (port_a, port_b):
    st, m = req(port, "POST", "/v1/match", {"hashes": [other_md5]}, K_MATCH)
    expect(st == 200 and m["alert"] and m["event_id"] is None and m.get("event_error"),
           f"an unrecorded event says so on {port}: {m}")
store_query("d", "service", "ALTER TABLE events_away RENAME TO events")

for p in (node_a, node_b):
    p.send_signal(signal.SIGTERM)
    expect(p.wait(timeout=30) == 0, "clean stop")

# ---- one chain, nothing lost, nothing twice -----------------------------------
out = ward("audit", "verify", check_rc=0).stdout.decode()
expect("intact" in out, out)
rows = store_query("d", "service", "SELECT seq, action, object, prev FROM audit ORDER BY seq")
acts = [r[1] for r in rows]
expect(len({r[0] for r in rows}) == len(rows), "no duplicate seq")
expect(len({r[3] for r in rows}) == len(rows), "no two records chained onto one head (a fork)")
expect(f"{len(rows)} records" in out or str(len(rows)) in out, f"verify counted {len(rows)}: {out}")
expect(acts.count("event.create") == n, f"event.create {acts.count('event.create')} != {n}")
expect(sorted(int(r[2].split("/")[1]) for r in rows if r[1] == "event.create") ==
       sorted(done["event.create"]), "each event audited once, under its own id")
expect(acts.count("event.read") == n, f"event.read {acts.count('event.read')} != {n}")
expect(acts.count("match.lookup") == n + lookups_after,
       f"match.lookup {acts.count('match.lookup')} != {n + lookups_after}")
expect(acts.count("apikey.create") == 2 and acts.count("review.reject") == 1 and
       acts.count("allowlist.add") == 1, "keys, review, allow-list audited once each")
events = store_query("d", "service", "SELECT id FROM events ORDER BY id")
expect([e[0] for e in events] == sorted(done["event.create"]), "every event stored, once")
print("ok: serve_nodes")
PY
