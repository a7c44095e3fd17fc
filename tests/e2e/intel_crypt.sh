#!/bin/bash
# intel.db encrypted at rest: key files refused inside the data directory or
# readable by others; the intel flow (ingest, update, report) gives exactly
# the plaintext run's answers; no fake name in intel.db or its -wal, during
# or after; no key, wrong key and a tampered page refused with the file (and
# page) named; a plaintext intel.db converted by 'ward intel encrypt' keeps
# every answer; WARD_INTEL_KEY_FILE works like --key-file; ward serve's
# intelligence pages work with --key-file; without it (service.db shares the
# key) the server does not start.
. "$(dirname "$0")/wardtest.bash"
if [ -n "${WARD_STORE:-}" ]; then
    # PostgreSQL: encryption at rest is the server's; a key file is refused,
    # never silently ignored.
    mkdir -m 700 k && "$WARD_BIN" intel key generate k/intel.key 2>/dev/null
    if "$WARD_BIN" intel --data d --key-file k/intel.key subjects 2>err; then
        echo "FAIL: --key-file accepted for a PostgreSQL store"; exit 1
    fi
    grep -q "encryption at rest is the server's" err || { cat err; exit 1; }
    echo "skipped on PostgreSQL: intel.db encryption is a property of the SQLite file (refusal checked)"
    exit 0
fi
/usr/bin/python3 - <<'PY'
import os, shutil, subprocess, sys
from wardtest import *

D = os.path.join(DATA, "intel")
NOW = "2026-11-23T12:00:00Z"
NAMES = [b"McTestface", b"MCTESTFACE", b"testy@example.invalid"]
os.makedirs("keys", mode=0o700)
KEY, OTHER = "keys/intel.key", "keys/other.key"

def intel(data, *args, key=None, rc=None, env=None):
    k = ["--key-file", key] if key else []
    return ward("intel", args[0], "--data", data, "--now", NOW, *k, *args[1:], env=env,
                check_rc=rc)

def flow(data, key=None):
    intel(data, "ingest", "--source", "op-test", os.path.join(D, "small.csv"), key=key)
    intel(data, "update", key=key, rc=0)
    return (intel(data, "report", key=key, rc=0).stdout,
            intel(data, "subjects", "--json", key=key, rc=0).stdout)

def leaks(data):
    found = []
    for suffix in ("", "-wal", "-journal"):
        p = f"{data}/intel.db{suffix}"
        if os.path.exists(p):
            raw = open(p, "rb").read()
            found += [f"{p}: {n!r}" for n in NAMES if n in raw]
    return found

# ---- key files ------------------------------------------------------------
os.makedirs("enc", mode=0o700)
p = ward("intel", "key", "generate", "enc/k.key", "--data", "enc", check_rc=2)
expect(b"inside the data directory" in p.stderr, p.stderr.decode())
ward("intel", "key", "generate", KEY, "--data", "enc", check_rc=0)
ward("intel", "key", "generate", OTHER, "--data", "enc", check_rc=0)
expect(os.stat(KEY).st_mode & 0o777 == 0o600, "key file mode 0600")
ward("intel", "key", "generate", KEY, "--data", "enc", check_rc=4)   # exists: not replaced
shutil.copy(KEY, "keys/loose.key"); os.chmod("keys/loose.key", 0o644)
p = intel("enc", "subjects", key="keys/loose.key", rc=2)
expect(b"group or others" in p.stderr, p.stderr.decode())
shutil.copy(KEY, "enc/inside.key"); os.chmod("enc/inside.key", 0o600)
p = intel("enc", "subjects", key="enc/inside.key", rc=2)
expect(b"inside the data directory" in p.stderr, p.stderr.decode())

# ---- the same answers, nothing in clear -------------------------------------
want = flow("plain")
expect(leaks("plain"), "the plaintext store holds the names (the test would prove nothing)")
got = flow("enc", KEY)
expect(got == want, "encrypted intel flow gives the plaintext run's report and subjects")
expect(not leaks("enc"), f"names in clear: {leaks('enc')}")
intel("enc", "check", key=KEY, rc=0)
# a reader holding the store open (WAL not yet folded in): still nothing in clear
holder = subprocess.Popen([WARD, "intel", "ingest", "--data", "enc", "--now", NOW, "--key-file",
                           KEY, "--source", "op-json", os.path.join(D, "reports.json")])
holder.wait()
expect(not leaks("enc"), f"names in clear after a second ingest: {leaks('enc')}")

# ---- refusals ------------------------------------------------------------------
p = intel("enc", "subjects", rc=2)
expect(b"enc/intel.db is encrypted" in p.stderr and b"--key-file" in p.stderr, p.stderr.decode())
p = intel("enc", "subjects", key=OTHER, rc=3)
expect(b"wrong key" in p.stderr and b"enc/intel.db" in p.stderr, p.stderr.decode())
env = dict(os.environ, WARD_INTEL_KEY_FILE=KEY)
expect(intel("enc", "report", env=env, rc=0).stdout.startswith(want[0][:40]),
       "WARD_INTEL_KEY_FILE opens the store")
p = intel("plain", "subjects", key=KEY, rc=2)
expect(b"not encrypted" in p.stderr and b"ward intel encrypt" in p.stderr, p.stderr.decode())

shutil.copytree("enc", "tampered")
size = os.path.getsize("tampered/intel.db")
expect(size >= 4 * 4096, f"store has a few pages ({size} bytes)")
with open("tampered/intel.db", "r+b") as f:
    f.seek(2 * 4096 + 77); b = f.read(1); f.seek(2 * 4096 + 77); f.write(bytes([b[0] ^ 0x20]))
p = intel("tampered", "check", key=KEY, rc=3)
expect(b"tampered/intel.db" in p.stderr and b"page 3 " in p.stderr, p.stderr.decode())

# ---- converting a plaintext store -------------------------------------------------
shutil.copytree("plain", "conv")
p = intel("conv", "encrypt", rc=2)                          # no key
intel("conv", "encrypt", key=KEY, rc=0)
expect(not leaks("conv"), f"names in clear after encrypt: {leaks('conv')}")
expect(not os.path.exists("conv/intel.db-wal"), "no plaintext WAL left")
got = (intel("conv", "report", key=KEY, rc=0).stdout,
       intel("conv", "subjects", "--json", key=KEY, rc=0).stdout)
expect(got == want, "a converted store gives the same report and subjects")
intel("conv", "subjects", rc=2)
p = intel("conv", "encrypt", key=KEY, rc=2)
expect(b"already encrypted" in p.stderr, p.stderr.decode())
# ---- ward serve's intelligence pages, with and without the key ------------------
import re, time
use_data("enc")
ward("db", "import", "--list", "vic", "--category", "1",
     os.path.join(DATA, "hashsets/pdq.txt"), check_rc=0)
PW = "correct horse battery staple"
os.environ["WARD_INTEL_KEY_FILE"] = os.path.abspath(KEY)   # service.db shares the key
ward("users", "add", "--role", "national-analyst", "--unit", "national", "nat",
     stdin=(PW + "\n").encode(), check_rc=0)
del os.environ["WARD_INTEL_KEY_FILE"]

def intel_page(*extra):
    """Log in as the national analyst and open the queue."""
    srv, port = serve_proc(*extra)
    try:
        st, page, r = http_req(port, "GET", "/login")
        tok = re.search(r'name="login_token" value="(\w+)"', page).group(1)
        form = {"login_token": tok, "user": "nat", "password": PW, "totp": ""}
        nonce = re.match(r"ward_login=([^;]*)", r.getheader("Set-Cookie")).group(1)
        st, page, r = http_req(port, "POST", "/login", form, {"ward_login": nonce})
        expect(st == 303, f"login: {st} {page[:200]}")
        sid = re.match(r"ward_session=([^;]*)", r.getheader("Set-Cookie")).group(1)
        return http_req(port, "GET", "/queue", cookies={"ward_session": sid})[:2]
    finally:
        srv.terminate()
        srv.wait()

st, page = intel_page("--key-file", KEY)
expect(st == 200 and "S0000" in page, f"queue with the key: {st} {page[:300]}")
# without the key the service store (users, sessions) cannot be read either:
# the server does not start, saying why
p = ward("serve", "--listen", "127.0.0.1:0", check_rc=None)
expect(p.returncode not in (0, 5) and b"service.db is encrypted" in p.stderr, p.stderr.decode())
p = ward("serve", "--listen", "127.0.0.1:0", "--key-file", "keys/loose.key", check_rc=2)
expect(b"group or others" in p.stderr, p.stderr.decode())   # refused before it starts
print("ok: intel_crypt")
PY
