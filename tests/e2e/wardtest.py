"""Helpers for the end-to-end tests (run with /usr/bin/python3).

A test's bash part sources wardtest.bash first (strict mode, a scratch
directory as the working directory, this folder on PYTHONPATH); its Python
part then starts with `from wardtest import *`."""
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile

WARD = os.environ.get("WARD_BIN", "build/ward")
DATA = os.environ.get("WARD_TEST_DATA", "tests/data")
SRC = os.environ.get("WARD_SOURCE_DIR", ".")


def use_data(path="d", user=None):
    """Makes path (absolute) the data directory of every ward command
    ($WARD_DATA) and, given user, the acting user ($WARD_USER); returns the
    absolute path."""
    os.environ["WARD_DATA"] = os.path.abspath(path)
    if user is not None:
        os.environ["WARD_USER"] = user
    return os.environ["WARD_DATA"]


def unescape(s):
    """Reverse ward's name escaping (\\\\, \\n, \\r, \\t, \\xNN) to raw bytes."""
    out = bytearray()
    raw = s.encode("utf-8")
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == 0x5C and i + 1 < len(raw):
            n = raw[i + 1]
            if n == 0x5C: out.append(0x5C); i += 2; continue
            if n == ord("n"): out.append(10); i += 2; continue
            if n == ord("r"): out.append(13); i += 2; continue
            if n == ord("t"): out.append(9); i += 2; continue
            if n == ord("x"):
                out.append(int(raw[i + 2:i + 4], 16)); i += 4; continue
        out.append(c)
        i += 1
    return bytes(out)


def ward(*args, stdin=None, check_rc=None, env=None):
    """Runs ward with args (and env for the environment, when given),
    output captured; with check_rc, any other exit status fails the test."""
    t0 = time.monotonic()
    p = subprocess.run([WARD, *args], input=stdin, capture_output=True, env=env)
    if os.environ.get("WARD_TEST_TIMES"):  # where a slow test spends its time
        print(f"time {time.monotonic() - t0:7.3f}s ward {' '.join(map(str, args))[:120]}",
              file=sys.stderr)
    if check_rc is not None and p.returncode != check_rc:
        sys.exit(f"FAIL: ward {' '.join(map(str, args))}: exit {p.returncode}, expected {check_rc}\n"
                 f"stderr: {p.stderr.decode(errors='replace')}")
    return p


def http_req(port, method, path, form=None, cookies=None, headers=None):
    """One HTTP request to 127.0.0.1:port; form is urlencoded. Returns
    (status, body text, response)."""
    import http.client
    import urllib.parse
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = dict(headers or {})
    if cookies:
        h["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        h["Content-Type"] = "application/x-www-form-urlencoded"
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read().decode()
    c.close()
    return r.status, data, r


def web_login(port, name, password):
    """Log in to the web application as name; returns the session cookie as
    a dict for http_req. The form's token is bound to the nonce cookie the
    login page sets, so both are sent back as a browser would."""
    import re
    st, page, r = http_req(port, "GET", "/login")
    tok = re.search(r'name="login_token" value="(\w+)"', page).group(1)
    nonce = re.match(r"ward_login=([^;]*)", r.getheader("Set-Cookie")).group(1)
    st, page, r = http_req(port, "POST", "/login",
                           {"login_token": tok, "user": name, "password": password},
                           {"ward_login": nonce})
    expect(st == 303, f"login {name}: {st}")
    return {"ward_session": re.match(r"ward_session=([^;]*)",
                                     r.getheader("Set-Cookie")).group(1)}


_servers = []


def serve_proc(*args, port_file="port", log=None, env=None):
    """`ward serve --listen 127.0.0.1:0 --port-file PORT_FILE ARGS` (a free
    loopback port), killed when the test exits; returns (process, port).
    Its stderr goes to the file log, else nowhere; env as for ward(). Fails
    the test when no port is written within 20 s."""
    import atexit
    if not _servers:
        atexit.register(lambda: [p.kill() for p in _servers])
    if os.path.exists(port_file):
        os.remove(port_file)
    p = subprocess.Popen([WARD, "serve", "--listen", "127.0.0.1:0", "--port-file", port_file,
                          *args], env=env, stdout=subprocess.DEVNULL,
                         stderr=open(log, "w") if log else subprocess.DEVNULL)
    _servers.append(p)
    return p, port_from_file(port_file, p, f"ward serve {' '.join(map(str, args))}", log)


def port_from_file(port_file, proc, what, log=None):
    """The port a server process (proc) writes to port_file once it listens;
    fails the test, saying `what` did not start (and the end of the file
    log), when none is written within 20 s or the process ends. A server
    that binds port 0 and says which port it got cannot lose its port to
    another process, as one handed a port found free a moment before can.
    The file must be written whole (ward serve, http_helper_source)."""
    for _ in range(400):
        if os.path.exists(port_file) and open(port_file).read().strip():
            return int(open(port_file).read())
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    sys.exit(f"FAIL: {what} did not start" + (f": {open(log).read()[-2000:]}" if log else ""))


def http_helper_source(handler):
    """The end of a helper HTTP server's Python program (its handler class
    named `handler` defined before it): a threading server on 127.0.0.1,
    port 0, writing the port it got to the file sys.argv[1] whole (by
    rename), for port_from_file."""
    return f"""
import http.server as _hs, os as _os, sys as _sys
_srv = _hs.ThreadingHTTPServer(("127.0.0.1", 0), {handler})
open(_sys.argv[1] + ".tmp", "w").write(str(_srv.server_address[1]))
_os.rename(_sys.argv[1] + ".tmp", _sys.argv[1])
_srv.serve_forever()
"""


def serve_start(data, *extra):
    """`ward serve` on a free loopback port with data (index reload every
    0.2 s), killed when the test exits; returns its port. Its stderr goes to
    DATA.log."""
    os.makedirs(data, exist_ok=True)
    return serve_proc("--data", data, "--reload-interval", "0.2", *extra,
                      port_file=f"{data}.port", log=f"{data}.log")[1]


def find_playwright(install=(), timeout=120):
    """The directory whose node_modules holds playwright-core
    ($WARD_PLAYWRIGHT_DIR, then ~/.cache/ward-test), or None. With install
    (npm package specs, e.g. ("playwright-core@1",)), a machine with npm and
    a network gets them in ~/.cache/ward-test first, so that the browser
    parts run in CI too."""
    def have(d):
        return d and os.path.isdir(os.path.join(d, "node_modules", "playwright-core")) and \
            all(os.path.isdir(os.path.join(d, "node_modules", spec.rsplit("@", 1)[0]))
                for spec in install)
    for d in (os.environ.get("WARD_PLAYWRIGHT_DIR"), os.path.expanduser("~/.cache/ward-test")):
        if have(d):
            return d
    if not install:
        return None
    d = os.path.expanduser("~/.cache/ward-test")
    try:
        os.makedirs(d, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", d, "--no-audit", "--no-fund", *install],
                       capture_output=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return d if have(d) else None


def browser_run(script, timeout=120, **env):
    """Runs tests/e2e/SCRIPT in node with playwright-core and Debian's
    chromium, env (strings) added to the environment, SHOTS set to
    $WARD_SCREENSHOTS or ./shots; fails the test if it fails. Returns its
    output, or None (and says why) when the browser part does not run: no
    chromium, node or playwright-core, or the PostgreSQL pass. There the
    pages' scripts would drive the same server code again, and what the
    pages read from the store the test's HTTP checks already read on
    PostgreSQL: one run, on SQLite, is what CI's time allows."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    pw = find_playwright()
    if on_postgres():
        print(f"skipped on PostgreSQL: the browser part ({script}) ran on SQLite")
        return None
    if not chromium or not pw or not shutil.which("node"):
        print(f"NOTE: no chromium, node or playwright-core here: {script} skipped")
        return None
    shots = os.environ.get("WARD_SCREENSHOTS") or os.path.abspath("shots")
    os.makedirs(shots, exist_ok=True)
    full = dict(os.environ, NODE_PATH=os.path.join(pw, "node_modules"), CHROMIUM=chromium,
                SHOTS=shots, **{k: str(v) for k, v in env.items()})
    t0 = time.time()
    p = subprocess.run(["node", os.path.join(os.environ["WARD_SOURCE_DIR"], "tests/e2e", script)],
                       env=full, capture_output=True, timeout=timeout)
    sys.stdout.write(p.stdout.decode() + f"({script}: {time.time() - t0:.1f} s)\n")
    expect(p.returncode == 0, f"browser run {script} failed: {p.stdout.decode()[-2000:]}"
                              f"{p.stderr.decode()[-2000:]}")
    return p.stdout.decode()


def api(port, path, key=None, body=None):
    """GET path, or POST the JSON text body, with an API key; (status, bytes)."""
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = {"Authorization": "Bearer " + key} if key else {}
    if body is not None:
        h["Content-Type"] = "application/json"
    c.request("POST" if body is not None else "GET", path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def jsonl(data):
    return [json.loads(l) for l in data.decode().splitlines() if l.strip()]


def pdq_distance(a, b):
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def expect(cond, msg):
    if not cond:
        sys.exit("FAIL: " + (msg if isinstance(msg, str) else repr(msg)))


def make_image_tree(root, dirs, per_dir, zip_dir, zip_members, known_dir):
    """Evidence for scans that must run a while: dirs folders of per_dir
    distinct images each (bytes appended after the JPEG end keep them
    decodable and give each its own digests) and a note; a zip of
    zip_members images in folder zip_dir; wee.jpg (on the alert lists of
    the tests) as known.jpg in folder known_dir."""
    I = os.path.join(DATA, "pdq/images")
    imgs = [open(os.path.join(I, n), "rb").read() for n in sorted(os.listdir(I))
            if n.endswith(".jpg")]
    for d in range(dirs):
        os.makedirs(f"{root}/d{d:02}")
        for k in range(per_dir):
            open(f"{root}/d{d:02}/f{k:03}.jpg", "wb").write(imgs[(d + k) % len(imgs)] + b"%d-%d" % (d, k))
        open(f"{root}/d{d:02}/note.txt", "w").write(f"note {d}\n")
    with zipfile.ZipFile(f"{root}/d{zip_dir:02}/album.zip", "w") as z:
        for k in range(zip_members):
            z.writestr(f"a/{k}.jpg", imgs[k % len(imgs)] + b"z%d" % k)
    shutil.copy(os.path.join(I, "wee.jpg"), f"{root}/d{known_dir:02}/known.jpg")


# ---- looking into a store, on SQLite or PostgreSQL --------------------------
#
# The pg.* pass runs every test with $WARD_STORE naming a PostgreSQL server
# and WARD_STORE_PER_DATADIR=1: each data directory's stores are then the
# schemas d<fnv1a64(realpath)>_<name> (src/store/sql.c). These helpers let a
# test read a store the same way in both passes.

def on_postgres():
    return bool(os.environ.get("WARD_STORE"))


def skip_on_postgres(why):
    """True (and says so) when a step examines SQLite files themselves."""
    if on_postgres():
        print(f"skipped on PostgreSQL: {why}")
        return True
    return False


def _fnv1a64(text):
    h = 1469598103934665603
    for b in text.encode():
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def own_postgres(prefix):
    """A PostgreSQL server of the test's own (scripts/pgtest.sh), removed at
    exit; returns its URL with ?ward_prefix=prefix. Tests that need one run
    in the SQLite pass only and say so in the PostgreSQL pass."""
    import atexit, tempfile
    if on_postgres():
        print("skipped on PostgreSQL pass: this test starts its own PostgreSQL in the SQLite pass")
        sys.exit(0)
    d = tempfile.mkdtemp(prefix="ward-pg-", dir="/tmp")
    script = os.path.join(os.environ["WARD_SOURCE_DIR"], "scripts", "pgtest.sh")
    atexit.register(lambda: subprocess.run(["sh", script, "clean", d], capture_output=True))
    r = subprocess.run(["sh", script, "start", d], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("FAIL: pgtest.sh start: " + r.stderr)
    return r.stdout.strip() + "&ward_prefix=" + prefix


def store_schema(datadir, name):
    return f"d{_fnv1a64(os.path.realpath(datadir)):016x}_{name}"


def _sql_literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, (int, float)):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


def store_query(datadir, name, sql, params=()):
    """Rows (tuples of text/int/None) of one SELECT against the named store
    ("intel", "store", "service") of datadir. ? placeholders, bound by
    quoting (test data only)."""
    if not on_postgres():
        import sqlite3
        file = {"store": "ward.db"}.get(name, f"{name}.db")
        db = sqlite3.connect(os.path.join(datadir, file))
        try:
            return [tuple(r) for r in db.execute(sql, params).fetchall()]
        finally:
            db.close()
    parts = sql.split("?")
    if len(parts) - 1 != len(params):
        raise ValueError("store_query: placeholder count")
    text = parts[0] + "".join(_sql_literal(p) + s for p, s in zip(params, parts[1:]))
    url = os.environ["WARD_STORE"]
    r = subprocess.run(["psql", url, "-X", "-q", "-A", "-t", "-F", "\x1f", "-v", "ON_ERROR_STOP=1",
                        "-c", f"SET search_path = {store_schema(datadir, name)}", "-c", text],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"psql: {r.stderr.strip()}")
    rows = []
    for line in r.stdout.splitlines():
        if line == "":
            continue
        row = []
        for f in line.split("\x1f"):
            if f == "":
                row.append(None)  # psql -A prints NULL as empty
            elif f.lstrip("-").isdigit():
                row.append(int(f))
            else:
                row.append(f)
        rows.append(tuple(row))
    return rows


def copy_datadir(src, dst, names=("store",)):
    """shutil.copytree(src, dst), the named stores included: on PostgreSQL
    they are schemas, cloned with pg_dump under dst's schema names."""
    shutil.copytree(src, dst)
    if not on_postgres():
        return
    url = os.environ["WARD_STORE"]
    for name in names:
        a, b = store_schema(src, name), store_schema(dst, name)
        dump = subprocess.run(["pg_dump", "--no-owner", "-n", a, url], check=True,
                              capture_output=True, text=True).stdout
        subprocess.run(["psql", url, "-X", "-q", "-v", "ON_ERROR_STOP=1"], check=True,
                       input=f"DROP SCHEMA IF EXISTS {b} CASCADE;\n" + dump.replace(a, b),
                       capture_output=True, text=True)


class store_write_lock:
    """Holds the write lock of datadir's named store, as a writer in ward
    would (SQLite: BEGIN IMMEDIATE; PostgreSQL: the advisory lock keyed by
    the store's schema that BEGIN IMMEDIATE takes, src/store/sql_pg.c),
    until release()."""

    def __init__(self, datadir, name):
        if not on_postgres():
            import sqlite3
            file = {"store": "ward.db"}.get(name, f"{name}.db")
            self.db = sqlite3.connect(os.path.join(datadir, file), isolation_level=None)
            self.db.execute("BEGIN IMMEDIATE")
            return
        key = _fnv1a64(store_schema(datadir, name)) >> 1
        self.psql = subprocess.Popen(["psql", os.environ["WARD_STORE"], "-X", "-q", "-A", "-t"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.psql.stdin.write(f"BEGIN; SELECT pg_advisory_xact_lock({key}); SELECT 'locked';\n")
        self.psql.stdin.flush()
        while self.psql.stdout.readline().strip() != "locked":
            pass

    def release(self):
        if not on_postgres():
            self.db.rollback()
            self.db.close()
            return
        self.psql.stdin.write("ROLLBACK;\n")
        self.psql.stdin.close()
        self.psql.wait()
