#!/bin/bash
# The analysts' web application end to end: a real `ward serve` with intel
# data and users of every role. Python (http.client) drives the protocol
# checks: login with its CSRF token, sessions, compartments (a force officer
# denied another force's subject, a hub officer its region only),
# cross-compartment deconfliction redacted, override with reason, package
# lifecycle, retention decisions and an admin's disposal, CSRF rejected, lockout, TOTP, escaping, review queue, audit
# search, logout and disable. Then headless Chromium (playwright-core with
# Debian's chromium) logs in and works the pages as an officer would,
# taking the screenshots of docs/screenshots/. Finally the audit chain of
# everything done is verified with `ward audit verify`.
#
# Without chromium the browser part is skipped and says so; the HTTP checks
# and the audit chain are tested anyway. playwright-core is looked for in
# $WARD_PLAYWRIGHT_DIR, then ~/.cache/ward-test; when npm cannot install it
# there, the browser part falls back to chromium --headless --screenshot of
# the login page and says so.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import base64, hashlib, hmac, http.client, json, os, re, shutil, struct, subprocess, sys, time
import urllib.parse
from wardtest import *

use_data(user="test-admin")
D = os.path.join(DATA, "intel")
PW = "correct horse battery staple"
t0 = time.time()

# ---- data: intel referrals (the first lot 20 days ago, so some are overdue) ----
past = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 20 * 86400))
def intel(*a, rc=None, now=None):
    extra = ["--now", now] if now else []
    return ward("intel", a[0], *extra, *a[1:], check_rc=rc)
intel("ingest", "--source", "op-small", os.path.join(D, "small.csv"), rc=1, now=past)
open("xss.csv", "w").write("ref,name,email,postcode\n"
                           "X1,<script>alert(1)</script> Testface,xss@example.invalid,CF10 9ZZ\n")
intel("ingest", "--source", "xss", "xss.csv", rc=0, now=past)
intel("update", rc=0, now=past)
intel("ingest", "--source", "followup", os.path.join(D, "followup.csv"), rc=0)
intel("update", rc=0)
pk = json.loads(intel("packages", "--json", rc=0).stdout)
swp = [p for p in pk if p["holder"] == "South Wales Police"]
wyp = [p for p in pk if p["holder"] == "West Yorkshire Police"]
expect(swp and wyp, f"packages for both forces: {pk}")
alerts = intel("alerts", rc=1).stdout.decode()
expect("South Wales Police; West Yorkshire Police" in alerts, alerts)
xss_subject = [p["subject"] for p in swp
               if "script" in intel("subject", p["subject"], rc=0).stdout.decode()][0]

# a store, so that ward serve starts, and a match event for the reviewer
ward("db", "import", "--list", "vic", "--category", "1",
     os.path.join(DATA, "hashsets/pdq.txt"), check_rc=0)
K = ward("apikey", "add", "--name", "platform-a", "--scopes", "match",
         check_rc=0).stdout.decode().strip()

# ---- users ----
def user(name, role, unit, pw=PW, rc=0):
    return ward("users", "add", "--role", role, "--unit", unit, name, stdin=(pw + "\n").encode(),
                check_rc=rc)
user("swp", "force-officer", "South Wales Police")
user("wyp", "force-officer", "West Yorkshire Police")
user("hubn", "hub-officer", "north")
user("nat", "national-analyst", "national")
user("rev", "reviewer", "national")
user("aud", "auditor", "national")
user("adm", "admin", "national")
user("locky", "force-officer", "South Wales Police")
user("totpy", "national-analyst", "national")
user("lockb", "force-officer", "South Wales Police")
user("weak", "auditor", "national", pw="short", rc=3)
user("swp", "auditor", "national", rc=3)                         # name taken
user("bad name!", "auditor", "national", rc=3)
ward("users", "add", "--role", "chief", "--unit", "x", "y", stdin=b"x" * 20, check_rc=2)
ward("users", "add", "--role", "auditor", "--unit", "x", "--password", PW, "y", check_rc=2)
secret = ward("users", "totp", "totpy", check_rc=0).stdout.decode().strip()
expect(re.fullmatch(r"[A-Z2-7]{32}", secret), f"base32 secret: {secret}")
ward("users", "disable", "nobody", check_rc=3)
listed = ward("users", "list", check_rc=0).stdout.decode()
expect("swp" in listed and "force-officer" in listed and "totp" in listed and PW not in listed,
       listed)
if on_postgres():  # the tables, not a file: every stored text of users and the audit log
    db = "\n".join(str(v) for t in ("users", "audit", "login_failures")
                   for r in store_query("d", "service", f"SELECT * FROM {t}") for v in r).encode()
else:
    db = open("d/service.db", "rb").read()
expect(b"$argon2id$" in db and PW.encode() not in db, "Argon2id hashes only")

# ---- the server ----
srv, PORT = serve_proc(log="serve.err")
BASE = f"http://127.0.0.1:{PORT}"

def req(method, path, form=None, cookies=None, headers=None):
    return http_req(PORT, method, path, form, cookies, headers)

def cookie_of(r, name):
    m = re.match(name + r"=([^;]*)", r.getheader("Set-Cookie") or "")
    return m.group(1) if m else None

def login(name, pw=PW, totp=""):
    st, page, r = req("GET", "/login")
    tok = re.search(r'name="login_token" value="(\w+)"', page).group(1)
    st, page, r = req("POST", "/login", {"login_token": tok, "user": name, "password": pw,
                                         "totp": totp}, {"ward_login": cookie_of(r, "ward_login")})
    return st, page, r

class Session:
    def __init__(self, name, **kw):
        st, page, r = login(name, **kw)
        expect(st == 303 and r.getheader("Location") == "/", f"login {name}: {st} {page[:300]}")
        sc = r.getheader("Set-Cookie")
        expect("HttpOnly" in sc and "SameSite=Strict" in sc and "Max-Age" not in sc, sc)
        self.cookie = {"ward_session": cookie_of(r, "ward_session")}
        expect(re.fullmatch(r"[0-9a-f]{64}", self.cookie["ward_session"]), "256-bit session id")
        st, self.page, r = self.get("/")
        expect(st == 303, "home: to the page of the user's role")
        self.home = r.getheader("Location")
        st, self.page, _ = self.get(self.home)
        expect(st == 200, f"{name} at home in {self.home}")
        m = re.search(r'name="csrf" value="(\w+)"', self.page)
        self.csrf = m.group(1) if m else ""
    def get(self, path):
        return req("GET", path, cookies=self.cookie)
    def post(self, path, form, csrf=True):
        f = dict(form)
        if csrf:
            f["csrf"] = self.csrf
        return req("POST", path, f, cookies=self.cookie)

# ---- login, headers, CSRF on the login form ----
st, page, r = req("GET", "/queue")
expect(st == 303 and r.getheader("Location") == "/login", "no session: to the login page")
st, page, r = req("GET", "/login")
expect(st == 200 and "<form" in page and "default-src 'none'" in r.getheader("Content-Security-Policy"),
       "login page with CSP")
expect(r.getheader("X-Frame-Options") == "DENY", "not framed")
st, page, _ = req("POST", "/login", {"user": "swp", "password": PW, "login_token": "x" * 32},
                  {"ward_login": "y" * 32})
expect(st == 403, f"login without its token refused: {st}")
# issue 16 item 11: the token must be one the server issued for this browser's
# nonce, not any value equal to a cookie the sender set
st, page, r = req("GET", "/login")
tok = re.search(r'name="login_token" value="(\w+)"', page).group(1)
nonce = cookie_of(r, "ward_login")
expect(tok != nonce and re.fullmatch(r"[0-9a-f]+_[0-9a-f]{64}", tok), f"issued token {tok}")
for t, n in ((nonce, nonce), ("a" * 32, "a" * 32), (tok, "b" * 32),
             (format(int(tok.split("_")[0], 16) - 2, "x") + "_" + tok.split("_")[1], nonce),
             (tok[:-1] + ("0" if tok[-1] != "0" else "1"), nonce)):
    st, page, _ = req("POST", "/login", {"user": "swp", "password": PW, "login_token": t},
                      {"ward_login": n})
    expect(st == 403, f"login token {t} with nonce {n}: {st}")
st, page, _ = req("POST", "/login", {"user": "swp", "password": PW, "login_token": tok},
                  {"ward_login": nonce})
expect(st == 303, f"the issued token with its nonce: {st} {page[:200]}")
# errors of a page's URL are pages, not the API's JSON
st, page, r = req("POST", "/login", {"user": "x" * (70 * 1024)})
expect(st == 413 and r.getheader("Content-Type").startswith("text/html") and "<h1>" in page,
       f"413 of a page as HTML: {st} {r.getheader('Content-Type')} {page[:200]}")
expect(r.getheader("Strict-Transport-Security") is None, "no HSTS over plain HTTP")
st, page, _ = login("swp", pw="wrong password here")
expect(st == 401 and "Wrong user name" in page, f"bad password: {st}")
st, page, _ = login("nosuchuser")
expect(st == 401 and "Wrong user name" in page, "unknown user: same answer")
st, page, _ = req("POST", "/login", {"user": "x" * 100000})
expect(st == 413, f"pages take small forms only: {st}")
st, css, r = req("GET", "/assets/ward.css")
expect(st == 200 and r.getheader("Content-Type").startswith("text/css") and "body{" in css, "css")

# ---- a force officer: queue, subject, override, lifecycle ----
s = Session("swp")
expect("My queue" in s.page and "South Wales Police" in s.page, "queue")
expect("West Yorkshire Police" not in s.page.split("</header>")[1], "only my force's packages")
expect('class="overdue"' in s.page, "overdue highlighted")
bands = re.findall(r'<span class="band b(\d)">', s.page)
expect(bands == sorted(bands), f"sorted by band: {bands}")
sid = swp[0]["subject"]
st, page, _ = s.get(f"/subject/{sid}")
expect(st == 200 and "As received" in page and "Attribution grade" in page, f"subject {st}")
expect("<h2>Retention</h2>" in page and "Review by" in page, "retention dates shown")
expect("source" in page.lower() and "<th>Status</th>" in page and "History" in page, "factors, history")
hist = page.split("<h2>History</h2>")[1].split("</table>")[0]
expect(re.search(r"<tr><td>\d{4}-\d\d-\d\dT[^<]*Z</td><td>assessment ", hist) and
       "package " in hist, f"history rows from the typed view: {hist[:300]}")
st, page, _ = s.get(f"/subject/{xss_subject}")
expect("&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page, "escaped")
st, page, _ = s.post(f"/subject/{sid}/override", {"band": "high", "reason": "lives next to a school"},
                     csrf=False)
expect(st == 403 and "Form refused" in page, f"CSRF: no token refused: {st}")
st, page, _ = s.post(f"/subject/{sid}/override", {"band": "high", "reason": "x", "csrf": "0" * 64},
                     csrf=False)
expect(st == 403, "CSRF: wrong token refused")
st, page, _ = s.post(f"/subject/{sid}/override", {"band": "high", "reason": ""})
expect(st == 400 and "reason" in page, f"override needs a reason: {st} {page[-400:]}")
st, page, r = s.post(f"/subject/{sid}/override", {"band": "high", "reason": "lives next to a school"})
expect(st == 303 and r.getheader("Location") == f"/subject/{sid}", f"override: {st}")
st, page, _ = s.get(f"/subject/{sid}")
expect("lives next to a school" in page and "override High" in page, "override shown with reason")
pid = swp[0]["package"]
for state in ("accepted", "actioned"):
    st, page, _ = s.post(f"/package/{pid}/state", {"state": state})
    expect(st == 303, f"{state}: {st} {page[-300:]}")
st, page, _ = s.post(f"/package/{pid}/state", {"state": "disseminated"})
expect(st == 400 and "cannot move" in page, "no going back")
st, page, _ = s.post(f"/package/{pid}/outcome", {"outcome": "nfa", "reason": ""})
expect(st == 400, "nfa needs a reason")
st, page, _ = s.post(f"/package/{pid}/outcome", {"outcome": "safeguarded", "reason": "visit"})
expect(st == 303, "outcome")
st, page, _ = s.get(f"/package/{pid}")
expect(st == 200 and "safeguarded" in page and "actioned" in page and "swp" in page, "lifecycle")
pk = {p["package"]: p for p in json.loads(intel("packages", "--json", rc=0).stdout)}
expect(pk[pid]["state"] == "outcome" and pk[pid]["outcome"] == "safeguarded", "stored in intel.db")

# ---- compartments ----
w = Session("wyp")
st, page, _ = w.get(f"/subject/{sid}")
expect(st == 403 and "Not yours" in page and "lives next to a school" not in page, f"denied: {st}")
st, page, _ = w.get(f"/package/{pid}")
expect(st == 403, "package denied")
st, page, _ = w.post(f"/package/{pid}/state", {"state": "accepted"})
expect(st == 403, "no action on another force's package")
st, page, _ = w.get(f"/subject/{wyp[0]['subject']}")
expect(st == 200, "own subject")
st, page, _ = w.get("/alerts")
expect("Another unit holds a match" in page and "contact South Wales Police" in page, page[-1500:])
expect("agree who leads" not in page, "the other unit's alert text is not shown")
n = Session("nat")
st, page, _ = n.get("/alerts")
expect("agree who leads" in page, "a national analyst sees the whole alert")
h = Session("hubn")
expect("West Yorkshire Police" in h.page and "South Wales Police" not in h.page.split("</header>")[1],
       "a hub sees its region's forces only")
st, page, _ = h.get(f"/subject/{sid}")
expect(st == 403, "hub outside its region denied")
esc = [p for p in wyp if p["band"] != "Very High"][0]["package"]
st, page, _ = w.post(f"/package/{esc}/escalate", {"reason": ""})
expect(st == 400 and "reason" in page, "an escalation needs a reason")
st, page, _ = w.post(f"/package/{esc}/escalate", {"reason": "needs hub resources"})
expect(st == 303, f"escalated: {st} {page[-300:]}")
st, page, _ = h.get(f"/package/{esc}")
expect(st == 200 and "<dd>north</dd>" in page and "Escalate to the regional hub" not in page,
       "now held by the hub, which cannot escalate further")
st, page, _ = w.get(f"/package/{esc}")
expect(st == 403, "and out of the force's compartment")
st, page, _ = w.get("/audit")
expect(st == 403, "officers cannot read the audit log")
st, page, _ = w.get("/reviews")
expect(st == 403, "nor the review queue")
st, page, _ = n.get("/kpi")
expect(st == 200 and page.count("<svg") == 3 and "<rect" in page, "KPI charts")
expect("Risk model validation" in page and "Wilson" in page and "AUC of the score" in page,
       "KPI page shows the model's validation")
expect("ISP subscriber requests by provider" in page and "No request made yet" in page,
       "KPI page has the ISP requests section (empty: none made)")
st, page, _ = s.get("/kpi")
expect("West Yorkshire Police" not in page.split("List completion")[0], "KPIs in my compartment")

# ---- retention decisions (analysts, in compartment) and disposal (admin) ----
gmp = [p["subject"] for p in json.loads(intel("packages", "--json", rc=0).stdout)
       if p["holder"] == "Greater Manchester Police"]
gone = gmp[0]
st, page, _ = s.get(f"/subject/{sid}")
expect(f'action="/subject/{sid}/retain"' in page, "decision form on the subject page")
st, page, _ = s.post(f"/subject/{sid}/retain", {"decision": "keep", "reason": "live case"})
expect(st == 303, f"a force officer keeps its own subject: {st} {page[-300:]}")
st, page, _ = s.get(f"/subject/{sid}")
expect("keep by swp" in page and "live case" in page, "decision shown")
st, page, _ = s.post(f"/subject/{gone}/retain", {"decision": "dispose", "reason": "x"})
expect(st == 403, f"not another force's subject: {st}")
st, page, _ = n.post(f"/subject/{gone}/retain", {"decision": "dispose", "reason": "x"}, csrf=False)
expect(st == 403 and "Form refused" in page, "decision without CSRF token refused")
st, page, _ = n.post(f"/subject/{gone}/retain", {"decision": "dispose", "reason": ""})
expect(st == 400 and "reason" in page, "a decision needs a reason")
st, page, _ = n.post(f"/subject/{gone}/retain", {"decision": "dispose",
                                                  "reason": "retention period over"})
expect(st == 303, f"marked for disposal: {st} {page[-300:]}")
st, page, _ = n.get(f"/subject/{gone}")
expect("marked for disposal" in page and "As received" in page, "marked; nothing deleted yet")
st, page, _ = n.post(f"/subject/{gone}/dispose", {"confirm": gone, "reason": "x"})
expect(st == 403, f"an analyst does not carry out a disposal: {st}")
ad = Session("adm")
st, page, _ = ad.get(f"/subject/{gone}")
expect(st == 200 and "Dispose now" in page and "referral records" in page and
       "As received" not in page and "Attribution grade" not in page,
       f"the admin sees the retention and what would go, not the data: {page[-1500:]}")
st, page, _ = ad.get(f"/subject/{sid}")
expect(st == 200 and "No disposal now" in page and "Dispose now" not in page, "kept: no form")
st, page, _ = ad.post(f"/subject/{gone}/retain", {"decision": "keep", "reason": "x"})
expect(st == 403, "an admin does not decide")
st, page, _ = ad.post(f"/subject/{gone}/override", {"band": "low", "reason": "x"})
expect(st == 403, "nor override")
st, page, _ = ad.post(f"/subject/{gone}/dispose", {"confirm": "", "reason": "period over"})
expect(st == 400 and "confirmation" in page, "disposal needs the typed confirmation")
st, page, _ = ad.post(f"/subject/{gone}/dispose", {"confirm": gone, "reason": "period over"},
                      csrf=False)
expect(st == 403 and "Form refused" in page, "disposal without CSRF token refused")
expect("record" in intel("subject", gone, rc=0).stdout.decode(),
       "refusals deleted nothing")
st, page, r = ad.post(f"/subject/{gone}/dispose", {"confirm": gone, "reason": "period over"})
expect(st == 303 and r.getheader("Location") == f"/subject/{gone}", f"disposed: {st} {page[-300:]}")
st, page, _ = n.get(f"/subject/{gone}")
expect(st == 200 and "disposed of" in page and "period over" in page and "adm" in page and
       "As received" not in page, "the subject page is its tombstone")
st, page, _ = ad.post(f"/subject/{gone}/dispose", {"confirm": gone, "reason": "again"})
expect(st == 409, "nothing left to dispose of")
st, page, _ = n.get("/queue")
expect(f">{gone}<" not in page, "no ghost in the queue")
for path in ("/alerts", "/kpi"):
    st, page, _ = n.get(path)
    expect(st == 200, f"{path} copes with a disposed subject")
expect(b"disposed of" in intel("subject", gone, rc=0).stdout, "CLI shows the tombstone")

# ---- reviewer: a platform's match event, confirmed on the page ----
c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
c.request("POST", "/v1/match", json.dumps({"hashes": [
    "f8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22"],
    "context": {"content_id": "c-1\u0000tail", "account": {"id": "<u-1>"}}}),
    {"Authorization": "Bearer " + K, "Content-Type": "application/json"})
ev = json.loads(c.getresponse().read())["event_id"]
rv = Session("rev")
st, page, _ = rv.get("/reviews")
expect(st == 200 and f'action="/reviews/{ev}"' in page and "&lt;u-1&gt;" in page, "review queue")
expect("c-1\\u0000tail" in page, "the context as sent, NUL and all")
st, page, _ = rv.post(f"/reviews/{ev}", {"decision": "confirm", "viewed": "1", "notes": "ok"})
expect(st == 303, f"confirmed: {st} {page[-300:]}")
st, page, _ = rv.post(f"/reviews/{ev}", {"decision": "reject", "viewed": "0"})
expect(st == 400 and "already reviewed" in page, "reviewed once")

# ---- lockout, TOTP ----
for i in range(5):
    expect(login("locky", pw=f"wrong-{i}-xxxxxxxx")[0] == 401, "failure")
st, page, _ = login("locky")
expect(st == 429 and "locked" in page, f"locked even with the right password: {st}")
st, page, _ = login("totpy")
expect(st == 401 and "authenticator" in page, "TOTP asked for")
def totp(secret, t):
    key = base64.b32decode(secret)
    mac = hmac.new(key, struct.pack(">Q", int(t) // 30), hashlib.sha1).digest()
    o = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7fffffff) % 1000000)
# a code of none of the three steps the server accepts (the one before, now
# and the one after): the secret is random, so "000000" was the code of a
# neighbouring step about once in 500,000 runs
near = {totp(secret, time.time() + d) for d in (-60, -30, 0, 30, 60)}
st, page, _ = login("totpy", totp=next(c for c in ("000000", "111111", "222222", "333333",
                                                    "444444", "555555") if c not in near))
expect(st == 401, "wrong code")
Session("totpy", totp=totp(secret, time.time()))

# ---- auditor ----
a = Session("aud")
expect(a.home == "/audit" and rv.home == "/reviews" and s.home == "/queue", "homes by role")
st, page, _ = a.get("/audit?q=web.denied")
expect(st == 200 and "Hash chain verified" in page and "web.denied" in page and sid in page,
       f"audit search finds the refusal: {page[-800:]}")
st, page, _ = a.get("/audit?actor=swp&q=override")
expect("web.subject.override" in page and "lives next to a school" in page, "override audited")
st, page, _ = a.get("/audit?q=web.subject.view")
expect(f">{sid}<" in page, "subject views audited")
st, page, _ = a.get("/audit?q=web.queue.view&actor=hubn")
expect(">north<" in page, "queue views audited")
st, page, _ = a.get("/audit?q=web.subject.dispose")
expect(f">{gone}<" in page and "referral records" in page, "the disposal is audited")
st, page, _ = a.get("/audit?q=web.subject.retain")
expect("retention period over" in page, "decisions audited")
st, page, _ = a.get("/audit?q=web.csrf.reject")
expect("web.csrf.reject" in page, "CSRF refusals audited")

# ---- logout, disable ----
st, page, r = s.post("/logout", {})
expect(st == 303 and cookie_of(r, "ward_session") == "", "logged out")
st, page, r = s.get("/queue")
expect(st == 303 and r.getheader("Location") == "/login", "old session gone")
ward("users", "disable", "wyp", check_rc=0)
st, page, r = w.get("/queue")
expect(st == 303, "a disabled user's session ends")
expect(login("wyp")[0] == 401, "and they cannot log in")
print(f"http checks: {time.time() - t0:.1f} s")

# ---- the browser ----
chromium = shutil.which("chromium") or shutil.which("chromium-browser")
if not chromium and not on_postgres():
    print("SKIP: the browser part: no chromium on this machine (the HTTP checks ran)")
elif find_playwright(install=("playwright-core@1",), timeout=90) or on_postgres():
    browser_run("web_browser.js", BASE=BASE, PASSWORD=PW,
                SUBJECT=max(wyp, key=lambda p: p["band"] == "Very High")["subject"],
                OTHER=wyp[0]["subject"], DISPOSE=gmp[1])
else:
    print("NOTE: playwright-core not available (no npm or no network): the browser part is "
          "chromium --headless --screenshot of the login page only")
    shots = os.environ.get("WARD_SCREENSHOTS") or os.path.abspath("shots")
    os.makedirs(shots, exist_ok=True)
    p = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                        "--screenshot=" + os.path.join(shots, "login.png"),
                        "--window-size=1200,700", BASE + "/login"], capture_output=True, timeout=60)
    expect(os.path.exists(os.path.join(shots, "login.png")), "chromium screenshot")

def stop(p, errfile):
    p.terminate()
    rc = p.wait()
    err = open(errfile).read()
    expect(rc == 0 and "Sanitizer" not in err and "runtime error" not in err,
           f"the server stopped cleanly: {rc} {err[-3000:]}")
stop(srv, "serve.err")

# ---- over TLS the session cookie is also Secure ----
import ssl
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days", "1", "-subj",
                "/CN=localhost"], check=True, capture_output=True)
tls, tport = serve_proc("--tls-cert", "cert.pem", "--tls-key", "key.pem", log="tls.err")
sc = ssl.create_default_context(cafile="cert.pem")
sc.check_hostname = False
def treq(method, path, form=None, cookies=None):
    c = http.client.HTTPSConnection("127.0.0.1", tport, context=sc, timeout=30)
    h = {"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())}
    body = urllib.parse.urlencode(form) if form else None
    if body:
        h["Content-Type"] = "application/x-www-form-urlencoded"
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    return r.status, r.read().decode(), r
st, page, r = treq("GET", "/login")
tok = re.search(r'name="login_token" value="(\w+)"', page).group(1)
expect("; Secure" in r.getheader("Set-Cookie"), "login token cookie Secure over TLS")
expect(r.getheader("Strict-Transport-Security") == "max-age=31536000", "HSTS over TLS")
st, page, r = treq("POST", "/login", {"login_token": tok, "user": "nat", "password": PW},
                   {"ward_login": cookie_of(r, "ward_login")})
expect(st == 303 and "; Secure" in r.getheader("Set-Cookie") and
       "HttpOnly" in r.getheader("Set-Cookie"), f"session cookie over TLS: {r.getheader('Set-Cookie')}")
stop(tls, "tls.err")

# ---- the audit chain of the whole session ----
p = ward("audit", "verify", check_rc=0)
print(p.stdout.decode().strip() or p.stderr.decode().strip())
print(f"web_app: all checks passed in {time.time() - t0:.1f} s")
PY
