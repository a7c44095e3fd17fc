#!/bin/bash
# Two ward nodes on loopback: a publisher serving signed releases through
# `ward serve`, a subscriber pulling them with an API key and answering
# platforms from its own `ward serve`, which swaps in the new index after
# each pull without a restart or a failed request.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import atexit, hashlib, http.client, json, os, subprocess, sys, threading, time
from wardtest import *

md5 = lambda i: hashlib.md5(b"release item %d" % i).hexdigest()
def add(data, lst, items):
    with open("add.txt", "w") as f:
        for i in items: f.write(f"{md5(i)}  item-{i}.jpg\n")
    ward("db", "import", "--data", data, "--list", lst, "--category", "1", "add.txt", check_rc=0)

# Publisher: a list, a key, release 1, served.
add("pub", "national", range(0, 50))
ward("keys", "generate", "--data", "pub", check_rc=0)
pubkey = ward("keys", "export", "--data", "pub", check_rc=0).stdout.decode().strip()
ward("release", "create", "--data", "pub", "--list", "national", check_rc=0)
sub_key = ward("apikey", "add", "--data", "pub", "--name", "partner-sub", "--scopes", "match",
               check_rc=0).stdout.decode().strip()
PUB = serve_start("pub")
URL = f"http://127.0.0.1:{PUB}/v1/releases/national"

st, idx = api(PUB, "/v1/releases/national/index.json")
expect(st == 401, "releases need a key")
st, idx = api(PUB, "/v1/releases/national/index.json", sub_key)
expect(st == 200 and b"1" in idx, f"index {st} {idx[:80]}")
for bad in ["/v1/releases/../../etc/passwd", "/v1/releases/national/1/../../x",
            "/v1/releases/national/%2e%2e/full", "/v1/releases/national/1/secret"]:
    st, _ = api(PUB, bad, sub_key)
    expect(st in (400, 404), f"{bad}: {st}")

# Subscriber: a wrong key is refused and nothing lands; then the real pull.
p = ward("release", "pull", "--data", "sub", URL, "--trust", pubkey, "--api-key", "wk_x_y")
expect(p.returncode != 0 and b"401" in p.stderr, p.stderr)
ward("release", "pull", "--data", "sub", URL, "--trust", pubkey, "--api-key", sub_key, check_rc=0)
# The subscriber's own node answers a platform.
plat = ward("apikey", "add", "--data", "sub", "--name", "platform", "--scopes", "match",
            "--rate", "100000", check_rc=0).stdout.decode().strip()
SUB = serve_start("sub")
def known(i):
    st, b = api(SUB, "/v1/match", plat, json.dumps({"hashes": ["md5:" + md5(i)]}))
    expect(st == 200, f"match {st}")
    m = json.loads(b)
    return m["matched"] == 1 and m["results"][0]["matches"][0]["list"] == "national"
expect(known(3) and not known(60), "release 1 in service")

# Release 2 at the publisher while a platform hammers the subscriber.
stop, fails, done = threading.Event(), [], [0]
def hammer():
    while not stop.is_set():
        st, _ = api(SUB, "/v1/match", plat, json.dumps({"hashes": ["md5:" + md5(1)]}))
        if st != 200: fails.append(st)
        done[0] += 1
th = threading.Thread(target=hammer); th.start()
add("pub", "national", range(50, 80))
ward("db", "remove", "--data", "pub", "--reason", "false positive: a test card", "md5:" + md5(7),
     check_rc=0)
ward("release", "create", "--data", "pub", "--list", "national", check_rc=0)
out = ward("release", "pull", "--data", "sub", URL, "--api-key", sub_key, check_rc=0).stdout.decode()
expect("-> 2" in out, out)
ok = False
for _ in range(100):
    if known(60): ok = True; break
    time.sleep(0.05)
stop.set(); th.join()
expect(ok, "release 2 in service after the pull, no restart")
expect(not known(7), "removal applied")
expect(not fails and done[0] > 5, f"requests during the swap: {done[0]}, failures {fails[:3]}")
st, delta = api(PUB, "/v1/releases/national/1..2/delta", sub_key)
diff = ward("release", "diff", "--data", "pub", "--name", "national", "1", "2", check_rc=0).stdout
expect(st == 200 and delta == diff, "served delta is ward release diff")
print("ok: serve_release")
PY
