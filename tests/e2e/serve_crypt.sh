#!/bin/bash
# service.db encrypted at rest with intel.db's key (issue 16 item 12): with
# --key-file (or WARD_INTEL_KEY_FILE) no review note, event context or API
# key name reaches service.db or its -wal in clear, while the service works;
# no key and a wrong key are refused naming the file, as for intel.db; a
# plaintext service.db is refused with a key until 'ward intel encrypt'
# converts it, keeping its keys.
. "$(dirname "$0")/wardtest.bash"
if [ -n "${WARD_STORE:-}" ]; then
    mkdir -m 700 k && "$WARD_BIN" intel key generate k/k.key 2>/dev/null
    if WARD_INTEL_KEY_FILE=k/k.key "$WARD_BIN" apikey list --data d 2>err; then
        echo "FAIL: a key file accepted for a PostgreSQL service store"; exit 1
    fi
    grep -q "encryption at rest is the server's" err || { cat err; exit 1; }
    echo "skipped on PostgreSQL: service.db encryption is a property of the SQLite file (refusal checked)"
    exit 0
fi
/usr/bin/python3 - <<'PY'
import hashlib, json, os, signal, subprocess, sys
from wardtest import *

MARK = b"Zyxwvut-Override"
os.makedirs("keys", mode=0o700)
ward("intel", "key", "generate", "keys/k.key", check_rc=0)
ward("intel", "key", "generate", "keys/other.key", check_rc=0)
D = use_data()
img = os.path.join(DATA, "pdq/images/wee.jpg")
md5 = hashlib.md5(open(img, "rb").read()).hexdigest()
ward("hash", "--hashdeep", "-o", "wee.hd", img, check_rc=0)
ward("db", "import", "--list", "vic", "--category", "1", "wee.hd", check_rc=0)

def leaks():
    found = []
    for suffix in ("", "-wal", "-journal"):
        p = f"{D}/service.db{suffix}"
        if os.path.exists(p) and MARK in open(p, "rb").read():
            found.append(p)
    return found

def run(*args, key=None):
    env = dict(os.environ)
    env.pop("WARD_INTEL_KEY_FILE", None)
    if key:
        env["WARD_INTEL_KEY_FILE"] = key
    return ward(*args, env=env)

# ---- a plaintext service.db is refused with a key, until converted ----------
p = run("apikey", "add", "--name", "plain-" + MARK.decode(), "--scopes", "match")
expect(p.returncode == 0, p.stderr)
expect(leaks(), "the test's marker shows in a plaintext service.db")
p = run("apikey", "list", key="keys/k.key")
expect(p.returncode != 0 and b"not encrypted" in p.stderr, f"plaintext + key: {p.stderr}")
p = run("intel", "encrypt", "--key-file", "keys/k.key")
expect(p.returncode == 0, f"ward intel encrypt: {p.stderr}")
expect(not leaks(), f"converted: no marker left {leaks()}")
p = run("apikey", "list", key="keys/k.key")
expect(p.returncode == 0 and b"plain-" + MARK in p.stdout, f"keys kept: {p.stdout} {p.stderr}")

# ---- no key, wrong key ---------------------------------------------------------
p = run("apikey", "list")
expect(p.returncode not in (0, 5) and b"service.db is encrypted" in p.stderr, f"no key: {p.stderr}")
p = run("apikey", "list", key="keys/other.key")
expect(p.returncode not in (0, 5) and b"wrong key" in p.stderr, f"wrong key: {p.stderr}")
p = run("audit", "verify")
expect(p.returncode not in (0, 5) and b"service.db is encrypted" in p.stderr, f"audit, no key: {p.stderr}")
p = subprocess.run([WARD, "serve", "--listen", "127.0.0.1:0"], capture_output=True, timeout=30,
                   env={k: v for k, v in os.environ.items() if k != "WARD_INTEL_KEY_FILE"})
expect(p.returncode not in (0, 5) and b"service.db is encrypted" in p.stderr, f"serve, no key: {p.stderr}")

# ---- the service works encrypted; nothing in clear, during or after -------------
os.environ["WARD_INTEL_KEY_FILE"] = os.path.abspath("keys/k.key")
km = ward("apikey", "add", "--name", "p-" + MARK.decode(), "--scopes", "match", check_rc=0).stdout.decode().strip()
kr = ward("apikey", "add", "--name", "r", "--scopes", "review", check_rc=0).stdout.decode().strip()
del os.environ["WARD_INTEL_KEY_FILE"]
port = serve_start("d", "--key-file", os.path.abspath("keys/k.key"))
st, body = api(port, "/v1/match", km, json.dumps({"hashes": [md5], "context": {"note": MARK.decode()}}))
expect(st == 200, f"match {st} {body}")
ev = json.loads(body)["event_id"]
expect(ev, f"event recorded {body}")
st, body = api(port, "/v1/reviews", kr, json.dumps({"event_id": ev, "reviewer": "R", "decision": "reject",
               "viewed": True, "notes": "override " + MARK.decode()}))
expect(st == 201, f"review {st} {body}")
st, body = api(port, f"/v1/events/{ev}", kr)
expect(st == 200 and MARK in body, f"the event reads back {st}")
expect(not leaks(), f"no marker in clear while serving: {leaks()}")
os.environ["WARD_INTEL_KEY_FILE"] = os.path.abspath("keys/k.key")
out = ward("audit", "verify", check_rc=0).stdout.decode()
expect("intact" in out, out)
expect(not leaks(), f"no marker in clear: {leaks()}")
print("ok: serve_crypt")
PY
