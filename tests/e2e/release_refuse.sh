#!/bin/bash
# ward release pull refuses what it must and survives kill -9: tampered,
# truncated, wrongly signed, replayed (older) and misplaced releases are
# refused with a clear message and the local list stays as it was; a secret
# key others may read is refused; a pull killed mid-download resumes with an
# HTTP Range request and ends byte-identical.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import hashlib, os, shutil, signal, socket, subprocess, sys, time, urllib.request
from wardtest import *

def md5(i): return hashlib.md5(f"synthetic entry {i}".encode()).hexdigest()
def rel(*args, data="pub", rc=0): return ward("release", *args[:1], "--data", data, *args[1:], check_rc=rc)
def add(data, lo, hi, list="national"):
    with open("add.txt", "w") as f:
        f.writelines(f"{md5(i)}  file-{i}.jpg\n" for i in range(lo, hi))
    ward("db", "import", "--data", data, "--list", list, "add.txt", check_rc=0)
def listing(data):
    p = ward("db", "export", "--data", data, "--format", "csv", "--list", "national", check_rc=None)
    return p.stdout if p.returncode == 0 else b"(no list)"

# A publisher with versions 1..3, served from a copy we can damage.
ward("keys", "generate", "--data", "pub", check_rc=0)
key = ward("keys", "export", "--data", "pub", check_rc=0).stdout.decode().strip()
for v in range(1, 4):
    add("pub", 0, 50 * v)
    if v == 3: ward("db", "remove", "--data", "pub", "--reason", "false positive", "md5:" + md5(3), check_rc=0)
    rel("create", "--list", "national")
def fresh_www():
    shutil.rmtree("www", ignore_errors=True)
    shutil.copytree("pub/releases", "www/national-root")
    return os.path.abspath("www/national-root/national")
tree = fresh_www()
R = lambda v, f: os.path.join(tree, str(v), f)

# subscriber at version 2 (file:// and plain directory both work)
shutil.copytree("pub/releases/national", "v2only/national", ignore=shutil.ignore_patterns("3", "2..3"))
open("v2only/national/index.json", "w").write('{"list":"national","latest":2,"versions":[1,2]}\n')
p = rel("pull", "file://" + os.path.abspath("v2only/national"), "--trust", key, data="sub")
expect(b"-> 2" in p.stdout, f"subscriber at v2: {p.stdout!r}")
held = listing("sub")

def refused(url, what, data="sub", trust=None):
    before = listing(data)
    p = rel("pull", url, *(["--trust", trust] if trust else []), data=data, rc=3)
    expect(what.encode() in p.stderr, f"refusal says '{what}': {p.stderr!r}")
    expect(b"unchanged" in p.stderr, f"refusal says the list is unchanged: {p.stderr!r}")
    expect(listing(data) == before, f"{what}: local list unchanged")

# ---- tampered delta and full ----
d = open(os.path.join(tree, "2..3/delta"), "rb").read()
open(os.path.join(tree, "2..3/delta"), "wb").write(d.replace(md5(120).encode(), md5(999).encode()))
refused(tree, "tampered")
tree = fresh_www()
f = bytearray(open(R(3, "full"), "rb").read()); f[200] ^= 1; open(R(3, "full"), "wb").write(f)
refused(tree, "tampered", data="fresh", trust=key)
expect(b"national" not in ward("db", "lists", "--data", "fresh", check_rc=None).stdout, "no list made")

# ---- truncated full ----
tree = fresh_www()
open(R(3, "full"), "wb").write(open(R(3, "full"), "rb").read()[:1000])
refused(tree, "truncated", data="fresh", trust=key)

# ---- wrongly signed: altered manifest; another publisher's key ----
tree = fresh_www()
m = open(R(3, "manifest")).read().replace('"entries":', '"entries":1')
open(R(3, "manifest"), "w").write(m)
refused(tree, "does not verify")
ward("keys", "generate", "--data", "rogue", check_rc=0)
shutil.copytree("pub/releases", "rogue/releases")
add("rogue", 0, 150)  # the publisher's list, by the same imports
ward("db", "remove", "--data", "rogue", "--reason", "false positive", "md5:" + md5(3), check_rc=0)
shutil.rmtree("rogue/releases/national/3"); shutil.rmtree("rogue/releases/national/2..3")
rel("create", "--list", "national", data="rogue")
refused(os.path.abspath("rogue/releases/national"), "not by the trusted key")

# ---- replayed: an older release, or an old manifest in a new place ----
tree = fresh_www()
p = rel("pull", tree, data="sub")
expect(b"-> 3" in p.stdout, f"subscriber at v3: {p.stdout!r}")
refused(os.path.abspath("v2only/national"), "replayed")
tree = fresh_www()
os.makedirs(os.path.join(tree, "4"))
shutil.copy(R(2, "manifest"), R(4, "manifest")); shutil.copy(R(2, "full"), R(4, "full"))
open(os.path.join(tree, "index.json"), "w").write('{"list":"national","latest":4,"versions":[1,2,3,4]}\n')
refused(tree, "manifest is for version 2")
expect(b"false positive" in ward("db", "removed", "--data", "sub", check_rc=0).stdout, "removal pulled with reason")

# ---- a secret key others may read is refused ----
os.chmod("pub/keys/release.key", 0o644)
p = rel("create", "--list", "national", rc=2)
expect(b"readable by others" in p.stderr, f"world-readable key refused: {p.stderr!r}")
os.chmod("pub/keys/release.key", 0o600)

# ---- kill -9 mid-download, then resume with Range ----
add("pub", 0, 40000)
rel("create", "--list", "national")
SERVER = r'''
import http.server, os, sys, time
class H(http.server.SimpleHTTPRequestHandler):
    def send_head(self):
        rng = self.headers.get("Range")
        path = self.translate_path(self.path)
        if not os.path.isfile(path): return super().send_head()
        sys.stderr.write(f"GET {self.path} range={rng}\n"); sys.stderr.flush()
        data = open(path, "rb").read(); start = 0
        if rng and rng.startswith("bytes="):
            start = int(rng[6:].split("-")[0]); self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data)-1}/{len(data)}")
        else: self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start)); self.end_headers()
        self.body = data[start:]
        return None
    def do_GET(self):
        self.body = None
        self.send_head()
        slow = os.environ.get("SLOW") == "1" and self.path.endswith("/full")
        for i in range(0, len(self.body or b""), 65536):
            self.wfile.write(self.body[i:i + 65536]); self.wfile.flush()
            if slow: time.sleep(0.2)
    def log_message(self, *a): pass
''' + http_helper_source("H")
open("rangeserver.py", "w").write(SERVER)
def serve(slow):
    pf = os.path.abspath("range.port")
    if os.path.exists(pf): os.remove(pf)
    log = open("range.log", "a")
    srv = subprocess.Popen(["/usr/bin/python3", os.path.abspath("rangeserver.py"), pf], cwd="pub/releases",
                           stdout=log, stderr=log, env=dict(os.environ, SLOW="1" if slow else "0"))
    open("range.pid", "w").write(str(srv.pid))
    port = port_from_file(pf, srv, "the Range server", "range.log")
    return srv, f"http://127.0.0.1:{port}/national"
srv, url = serve(slow=True)
pull = subprocess.Popen([WARD, "release", "pull", "--data", "late", url, "--trust", key],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
part = "late/subscriptions/national/dl/full-4.part"
for _ in range(200):
    if os.path.exists(part) and os.path.getsize(part) > 65536: break
    time.sleep(0.05)
pull.send_signal(signal.SIGKILL); pull.wait()
got = os.path.getsize(part)
size = os.path.getsize("pub/releases/national/4/full")
expect(0 < got < size, f"killed mid-download: {got} of {size} bytes")
expect(b"national" not in ward("db", "lists", "--data", "late", check_rc=None).stdout, "store untouched by a killed download")
srv.kill(); srv.wait()
srv, url = serve(slow=False)
p = rel("pull", url, "--trust", key, data="late")
expect(b"-> 4" in p.stdout, f"resumed pull finished: {p.stdout!r} {p.stderr!r}")
expect(f"range=bytes={got}-".encode() in open("range.log", "rb").read(), "second pull asked for the rest (Range)")
expect(open("late/subscriptions/national/full", "rb").read() == open("pub/releases/national/4/full", "rb").read(),
       "resumed download is byte-identical")
srv.kill(); srv.wait()

# ---- kill -9 at moments through pulls (download, check, store apply) ----
# A subscriber at v3 is killed repeatedly while pulling v4, then pulls once
# more: it ends with exactly release 4 and nothing applied twice or lost.
copy_datadir("sub", "crash")
src = os.path.abspath("pub/releases/national")
for delay in (0.02, 0.05, 0.08, 0.11, 0.14, 0.17, 0.2, 0.23, 0.26):
    k = subprocess.Popen([WARD, "release", "pull", "--data", "crash", src],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay); k.send_signal(signal.SIGKILL); k.wait()
p = rel("pull", src, data="crash")
expect(b"version 4" in p.stdout or b"-> 4" in p.stdout, f"pull after kills: {p.stdout!r} {p.stderr!r}")
full4 = open("pub/releases/national/4/full", "rb").read()
expect(open("crash/subscriptions/national/full", "rb").read() == full4, "after kills: full v4 byte-identical")
want = {l.split(b",")[0] for l in full4.splitlines()[1:]}
expect({l.split(b",")[0] for l in listing("crash").splitlines()[1:]} == want, "after kills: list is release 4")
expect(b"national  version 4" in rel("status", data="crash").stdout, "after kills: state says v4")

# ---- kill -9 after the checks, while the store apply waits for a lock ----
# The journal is written once everything is verified: a pull killed then is
# finished by the next, with nothing applied twice.
add("pub", 40000, 40100)
ward("db", "remove", "--data", "pub", "--reason", "false positive, second look", "md5:" + md5(7), check_rc=0)
rel("create", "--list", "national")
lock = store_write_lock("crash", "store")
k = subprocess.Popen([WARD, "release", "pull", "--data", "crash", src],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
# (up to 60 s, and said if never: it took 0.1 s in a Release build, but
# this waited only 4 s and then killed anyway, and a kill before the checks
# end tests no interrupted apply and fails below for another reason)
for _ in range(3000):
    if os.path.exists("crash/subscriptions/national/pending") or k.poll() is not None: break
    time.sleep(0.02)
expect(os.path.exists("crash/subscriptions/national/pending"),
       f"the pull verified v5 and waits for the store (exit {k.poll()})")
time.sleep(0.3); k.send_signal(signal.SIGKILL); k.wait(); lock.release()
expect(b"apply interrupted" in rel("status", data="crash").stdout, "status shows the interrupted apply")
expect({l.split(b",")[0] for l in listing("crash").splitlines()[1:]} == want, "killed before the store changed")
p = rel("pull", src, data="crash")
expect(b"finished applying" in p.stdout and b"4 -> 5" in p.stdout, f"next pull finishes it: {p.stdout!r}")
full5 = open("pub/releases/national/5/full", "rb").read()
expect(open("crash/subscriptions/national/full", "rb").read() == full5, "after the resumed apply: full v5")
want5 = {l.split(b",")[0] for l in full5.splitlines()[1:]}
expect({l.split(b",")[0] for l in listing("crash").splitlines()[1:]} == want5, "after the resumed apply: list is v5")
expect(b"second look" in ward("db", "removed", "--data", "crash", check_rc=0).stdout, "removal reason applied once")
print("ok")
PY
