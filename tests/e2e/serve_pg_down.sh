#!/bin/bash
# A match node whose PostgreSQL server goes away mid-load (issue 16 item
# 14): batches with a known hash still answer 200 from the memory-mapped
# index, alert, with "event_id": null and an event_error that names no
# store URL, socket path or libpq message (those go to the server's log);
# once the server is back, events are recorded again.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import hashlib, json, os, re, subprocess, sys, threading, time
from wardtest import *

URL = own_postgres("down")
PGDIR = re.search(r"host=([^&]+)", URL).group(1)
PGTEST = os.path.join(os.environ["WARD_SOURCE_DIR"], "scripts", "pgtest.sh")
os.environ["WARD_STORE"] = URL
use_data()
md5 = lambda i: hashlib.md5(b"down item %d" % i).hexdigest()
with open("l.txt", "w") as f:
    for i in range(50):
        f.write(f"{md5(i)}  item-{i}.jpg\n")
ward("db", "import", "--list", "vic", "--category", "1", "l.txt", check_rc=0)
key = ward("apikey", "add", "--name", "platform", "--scopes", "match", "--rate", "100000",
           "--burst", "100000", check_rc=0).stdout.decode().strip()
port = serve_start("d")
batch = json.dumps({"hashes": [md5(3), "md5:" + "0" * 32]})

answers, stop = [], threading.Event()
def load():
    while not stop.is_set():
        t0 = time.time()   # when the request was sent
        st, body = api(port, "/v1/match", key, batch)
        answers.append((t0, st, body))
threads = [threading.Thread(target=load) for _ in range(3)]
for t in threads: t.start()
time.sleep(1.0)
stopping = time.time()
subprocess.run(["sh", PGTEST, "stop", PGDIR], check=True, capture_output=True)
down_at = time.time()   # pg_ctl -w: stopped by now
time.sleep(2.0)
stop.set()
for t in threads: t.join()

before = [a for a in answers if a[0] < stopping]
after = [a for a in answers if a[0] > down_at]
expect(before and after, f"load before and after the stop ({len(before)}, {len(after)})")
for _, st, body in before:
    expect(st == 200 and json.loads(body)["event_id"], f"before: {st} {body[:300]}")
for _, st, body in after:
    expect(st == 200, f"a batch with a known hash answers 200 with the store down: {st} {body[:400]}")
    m = json.loads(body)
    expect(m["alert"] and m["matched"] == 1 and m["event_id"] is None and m.get("event_error"),
           f"alert, event_id null, event_error: {body[:400]}")
    expect(m["results"][0]["matches"] and m["results"][0]["matches"][0]["hash"] == md5(3),
           f"the hit from the index: {body[:400]}")
    for leak in (PGDIR, "postgresql:", "libpq", "socket", "connection to server"):
        expect(leak not in body.decode(), f"no internals ({leak!r}) in {body[:400]}")
log = open("d.log").read()
expect(PGDIR in log or "connection" in log.lower(), f"the reason is in the server's log: {log[-500:]}")

subprocess.run(["sh", PGTEST, "start", PGDIR], check=True, capture_output=True)
for _ in range(100):
    st, body = api(port, "/v1/match", key, batch)
    if st == 200 and json.loads(body)["event_id"]:
        break
    time.sleep(0.1)
expect(st == 200 and json.loads(body)["event_id"], f"events recorded again: {st} {body[:300]}")
print(f"ok: serve_pg_down ({len(before)} answers before the stop, {len(after)} after)")
PY
