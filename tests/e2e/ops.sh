#!/bin/bash
# Operating a node: ward doctor names what is wrong and how to fix it
# (modes, secret keys, a stale index); ward backup copies a data directory
# while ward serve runs, ward restore puts it back only when the MANIFEST
# and every store check out, and never over a data directory; an encrypted
# intel.db stays encrypted in the backup. ward serve --log-format json
# writes one JSON object per line (never a query string), logs the reload
# a SIGHUP causes, and exports every metric the shipped alerting rules and
# dashboard use.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import json, os, re, signal, stat, subprocess, sys, time
from wardtest import *

I = os.path.join(DATA, "pdq/images")
HS = os.path.join(DATA, "hashsets/pdq.txt")
ward("db", "import", "--data", "d", "--list", "vic", "--category", "1", HS, check_rc=0)
KEY = ward("apikey", "add", "--data", "d", "--name", "p", "--scopes", "match",
           check_rc=0).stdout.decode().strip()

def doctor(data, *extra, rc=None):
    p = ward("doctor", "--data", data, *extra)
    out = p.stdout.decode()
    if rc is not None:
        expect(p.returncode == rc, f"doctor {data}: exit {p.returncode}, expected {rc}\n{out}")
    return p.returncode, out

def problems(out):
    """The WARN/FAIL lines, less a disk-space warning the test machine may earn."""
    return [l for l in out.splitlines() if re.match(r"(WARN|FAIL) ", l) and " disk " not in l]

# ---- doctor -----------------------------------------------------------------
rc, out = doctor("d")
expect(any("index" in l and "no index yet" in l for l in problems(out)), f"no index: {out}")
expect("fix: ward db index" in out, "says how to build it")
ward("db", "index", "--data", "d", check_rc=0)
rc, out = doctor("d")
expect(problems(out) == [], f"healthy node has no problems: {out}")
expect(re.search(r"^ok +store ", out, re.M) and re.search(r"^ok +index .*current", out, re.M),
       f"store and index ok: {out}")

os.makedirs("d/keys", exist_ok=True)
with open("d/keys/test.key", "w") as f:
    f.write("not a real key\n")
os.chmod("d/keys/test.key", 0o644)
os.chmod("d", 0o755)
rc, out = doctor("d", "--quiet", rc=1)
expect(re.search(r"^FAIL +keys +.*d/keys/test.key: mode 0644", out, re.M), f"loose key: {out}")
expect("fix: chmod 600 " in out and "fix: chmod 700 " in out, f"fixes named: {out}")
expect(not re.search(r"^ok ", out, re.M), "--quiet prints problems only")
os.chmod("d/keys/test.key", 0o600)
os.chmod("d", 0o700)

# A change the index has not seen yet: behind.
with open("more.txt", "w") as f:
    f.write("f8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b00\n")
ward("db", "import", "--data", "d", "--list", "extra", "--format", "pdq", "more.txt", check_rc=0)
rc, out = doctor("d", rc=1)
expect(re.search(r"^WARN +index .*behind the store: built from revision \d+, the store is at \d+",
                 out, re.M), f"stale index: {out}")
p = ward("doctor", "--data", "nowhere")
expect(p.returncode == 3 and b"nowhere does not exist" in p.stderr, f"missing dir: {p.returncode}")

# ---- serve: JSON log, SIGHUP, metrics -----------------------------------------
port = serve_start("d", "--log-format", "json", "--access-log", "--reload-interval", "3600")
st, _ = api(port, "/v1/health")
expect(st == 200, "health")
st, body = api(port, "/v1/match?content_id=secret-content-17&account_id=acct-9", KEY,
               body=json.dumps({"hashes": ["md5:" + "0" * 32]}))
expect(st == 200, f"match: {st} {body}")
ward("db", "import", "--data", "d", "--list", "later", "--format", "pdq", "more.txt", check_rc=0)
rev = int(re.search(rb"ward_store_revision (\d+)", api(port, "/v1/metrics")[1]).group(1))
server = [p for p in __import__("wardtest")._servers][-1]
server.send_signal(signal.SIGHUP)
metrics = b""
for _ in range(100):
    metrics = api(port, "/v1/metrics")[1]
    if int(re.search(rb"ward_store_revision (\d+)", metrics).group(1)) != rev:
        break
    time.sleep(0.05)
expect(int(re.search(rb"ward_store_revision (\d+)", metrics).group(1)) != rev,
       "SIGHUP swapped in the new store revision")
used = set()
for name in ("ward-alerts.yml", "ward-grafana.json"):
    used |= set(re.findall(r"\bward_[a-z_]+", open(os.path.join(SRC, "dist/monitoring", name)).read()))
exported = set(re.findall(r"^(ward_[a-z_]+)", metrics.decode(), re.M))
base = {re.sub(r"_(bucket|sum|count)$", "", m) for m in exported}
missing = sorted(m for m in used if m not in exported and m not in base)
expect(not missing, f"metrics the rules and dashboard use but ward does not export: {missing}")
server.send_signal(signal.SIGTERM)
server.wait(timeout=30)
lines = open("d.log").read().splitlines()
events = []
for l in lines:
    try:
        events.append(json.loads(l))
    except ValueError:
        sys.exit(f"FAIL: log line is not JSON: {l!r}")
# warnings (e.g. "no signed audit checkpoints" without a release key) may
# come before the start line: they are JSON too, with a message
expect(all(e.get("message") for e in events if e["event"] == "warning"), f"warnings: {events}")
kinds = [e["event"] for e in events if e["event"] != "warning"]
expect(kinds[0] == "start" and kinds[-1] == "stop", f"start .. stop: {kinds}")
expect(all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", e["ts"]) for e in events), "ts")
reqs = [e for e in events if e["event"] == "request"]
expect(any(e["path"] == "/v1/match" and e["status"] == 200 and e.get("key") for e in reqs),
       f"match request logged with its key id: {reqs}")
expect(not any("secret-content-17" in l or "acct-9" in l for l in lines),
       "the query string (platform ids) is never logged")
expect(any(e["event"] == "reload" and e["revision"] > rev - 1 for e in events),
       f"the SIGHUP reload is logged: {kinds}")
p = ward("serve", "--log-format", "xml")
expect(p.returncode == 2, "bad --log-format is a usage error")

# ---- backup and restore ---------------------------------------------------------
port = serve_start("d")  # backups are taken while the service runs
p = ward("backup", "--data", "d", "bk")
if on_postgres():
    expect(p.returncode == 1 and b"pg_dump" in p.stderr, f"PostgreSQL stores named: {p.stderr}")
else:
    expect(p.returncode == 0, f"backup: {p.returncode} {p.stderr}")
    expect(not os.path.exists("bk/index.wdx"), "the index is derived, not copied")
    expect(stat.S_IMODE(os.stat("bk").st_mode) == 0o700, "backup directory is private")
manifest = open("bk/MANIFEST").read().splitlines()
expect(manifest[0] == "ward-backup 1" and any(l.endswith("  keys/test.key") for l in manifest),
       f"manifest: {manifest}")
p = ward("backup", "--data", "d", "bk")
expect(p.returncode == 2 and b"exists" in p.stderr, "a backup never overwrites")
p = ward("backup", "--data", "d", "d/inside")
expect(p.returncode == 2 and not os.path.exists("d/inside"), "no backup inside the data dir")

ward("restore", "--data", "r", "bk", check_rc=0)
expect(stat.S_IMODE(os.stat("r/keys/test.key").st_mode) == 0o600, "key stays private")
if not skip_on_postgres("the restored SQLite stores answer as the original"):
    for what in (["db", "lookup", "md5:" + "0" * 32], ["db", "lists"], ["apikey", "list"]):
        a = ward(*what[:2], "--data", "d", *what[2:]).stdout
        b = ward(*what[:2], "--data", "r", *what[2:]).stdout
        expect(a == b, f"{what}: restored copy answers as the original")
    rc, out = doctor("r")
    expect([l for l in problems(out) if "no index yet" not in l] == [], f"restored is healthy: {out}")
p = ward("restore", "--data", "r", "bk")
expect(p.returncode == 2 and b"not empty" in p.stderr, "restore never overwrites")
with open("bk/keys/test.key", "a") as f:
    f.write("x")
p = ward("restore", "--data", "r2", "bk")
expect(p.returncode == 3 and b"keys/test.key: SHA-256 differs" in p.stderr, f"damage: {p.stderr}")
expect(not os.path.exists("r2") and not any(n.startswith("r2.") for n in os.listdir(".")),
       "nothing written from a damaged backup")

# ---- an encrypted intel.db --------------------------------------------------------
if not skip_on_postgres("intel.db encryption is SQLite's"):
    NOW = "2026-11-23T12:00:00Z"
    os.makedirs("keys", mode=0o700)
    ward("intel", "key", "generate", "keys/intel.key", "--data", "e", check_rc=0)
    ward("intel", "ingest", "--data", "e", "--key-file", "keys/intel.key", "--source", "op",
         os.path.join(DATA, "intel/small.csv"))
    ward("intel", "update", "--data", "e", "--key-file", "keys/intel.key", "--now", NOW, check_rc=0)
    p = ward("backup", "--data", "e", "ebk0")
    expect(p.returncode == 1 and b"intel.db: encrypted" in p.stderr, "no key: left out, said")
    ward("backup", "--data", "e", "--key-file", "keys/intel.key", "ebk", check_rc=0)
    expect(open("ebk/intel.db", "rb").read(15) != b"SQLite format 3", "copy stays encrypted")
    ward("restore", "--data", "e2", "--key-file", "keys/intel.key", "ebk", check_rc=0)
    a, b = (ward("intel", "subjects", "--data", x, "--key-file", "keys/intel.key", "--now", NOW,
                 "--json").stdout for x in ("e", "e2"))
    expect(a == b and len(a) > 10, "restored intel.db answers as the original")
    rc, out = doctor("e2", "--key-file", "keys/intel.key")
    expect(re.search(r"^ok +intel .*key fits", out, re.M), f"doctor reads it with the key: {out}")
print("ok: ops")
PY
