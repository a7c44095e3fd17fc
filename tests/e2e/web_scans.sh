#!/bin/bash
# Scan reports in the web application (ward serve --scans DIR): each unit
# sees its own scans, a national analyst all; names from the folder never
# become paths; the report page keeps its no-script policy; views audited.
# Victim-identification series pages (/series): seen by two forces, each
# sees its own case and the other only as "held elsewhere, contact X"; a
# status change and a note through the forms land in the series log and
# the audit log; a form without the CSRF token changes nothing; the pages
# in headless Chromium (screenshots series.png, series-page.png).
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import atexit, http.client, os, re, shutil, subprocess, sys, time, urllib.parse
from wardtest import *

use_data()
I = os.path.join(DATA, "pdq/images")
PW = "correct horse battery staple"
ward("hash", "--hashdeep", "-o", "known.hd", os.path.join(I, "wee.jpg"), check_rc=0)
ward("db", "import", "--list", "vic", "--category", "1", "known.hd", check_rc=0)
for name, role, unit in [("swp", "force-officer", "South Wales Police"),
                         ("wyp", "force-officer", "West Yorkshire Police"),
                         ("nat", "national-analyst", "national")]:
    ward("users", "add", "--role", role, "--unit", unit, name, stdin=(PW + "\n").encode(), check_rc=0)

# Two scans, one per force.
os.makedirs("ev1"); os.makedirs("ev2")
os.makedirs("scans/South Wales Police"); os.makedirs("scans/West Yorkshire Police")
shutil.copy(os.path.join(I, "wee.jpg"), "ev1/a.jpg"); shutil.copy(os.path.join(I, "small.jpg"), "ev1/b.jpg")
shutil.copy(os.path.join(I, "q0291.jpg"), "ev2/c.jpg")
ward("scan", "-q", "--out", "scans/South Wales Police/case-1", "ev1", check_rc=1)
ward("scan", "-q", "--out", "scans/West Yorkshire Police/case-2", "ev2", check_rc=0)

# A series holding wee.jpg, seen by both forces (the register keeps unit,
# case and contact; the pages must not show one force the other's case).
def sha256(path):
    import hashlib
    return hashlib.sha256(open(path, "rb").read()).hexdigest()
ward("series", "create", "Blue Room", "--team", "VID Team", "--contact", "vid@example.org",
     check_rc=0)
ward("series", "add", "Blue Room", "sha256:" + sha256(os.path.join(I, "wee.jpg")), check_rc=0)
for unit, case, contact in [("South Wales Police", "SWP-CASE-9", "swp-vid@example.org"),
                            ("West Yorkshire Police", "WYP-CASE-7", "wyp-vid@example.org")]:
    ward("series", "check", "scans/South Wales Police/case-1", "--unit", unit, "--case", case,
         "--contact", contact)

srv, PORT = serve_proc("--scans", "scans")

def req(method, path, form=None, cookie=None):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    h = {"Cookie": cookie} if cookie else {}
    body = urllib.parse.urlencode(form) if form is not None else None
    if body is not None: h["Content-Type"] = "application/x-www-form-urlencoded"
    c.request(method, path, body=body, headers=h)
    r = c.getresponse(); data = r.read().decode(); c.close()
    return r.status, data, r

def session(name):
    st, page, r = req("GET", "/login")
    tok = re.search(r'name="login_token" value="(\w+)"', page).group(1)
    nonce = re.match(r"ward_login=([^;]*)", r.getheader("Set-Cookie")).group(1)
    st, page, r = req("POST", "/login", {"login_token": tok, "user": name, "password": PW},
                      f"ward_login={nonce}")
    expect(st == 303, f"login {name}: {st}")
    return "ward_session=" + re.match(r"ward_session=([^;]*)", r.getheader("Set-Cookie")).group(1)

SW, WY = "/scans/South%20Wales%20Police/case-1", "/scans/West%20Yorkshire%20Police/case-2"
swp = session("swp")
st, page, _ = req("GET", "/scans", cookie=swp)
expect(st == 200 and "case-1" in page and "case-2" not in page, "a force sees its own scans only")
st, page, _ = req("GET", SW, cookie=swp)
expect(st == 200 and "known" in page and "case-1" in page, f"summary {st}")
st, page, r = req("GET", SW + "/report.html", cookie=swp)
csp = r.getheader("Content-Security-Policy")
expect(st == 200 and "<html" in page and "script-src" not in csp and "default-src 'none'" in csp, csp)
expect("a.jpg" not in page and "b.jpg" in page, "the known file is not named, the new one is")
st, page, _ = req("GET", WY, cookie=swp)
expect(st == 403, f"another force's scan refused: {st}")
for bad in ["/scans/..%2F..%2Fetc/passwd", "/scans/South%20Wales%20Police/..",
            "/scans/South%20Wales%20Police/case-1/summary.txt", "/scans/x%00y/z",
            "/scans/South%20Wales%20Police/case-1/../../../d"]:
    st, page, _ = req("GET", bad, cookie=swp)
    expect(st in (403, 404), f"{bad}: {st}")
# The server decodes a URL once (libmicrohttpd): %2520 is a literal "%20"
# in the name, not a space, so no such unit.
st, page, _ = req("GET", "/scans/South%2520Wales%2520Police/case-1", cookie=swp)
expect(st in (403, 404), f"decoded once only: {st}")
# ---- series pages ----
st, page, _ = req("GET", "/series", cookie=swp)
expect(st == 200 and "Blue Room" in page and "unidentified" in page and "VID Team" in page
       and "West Yorkshire Police: held elsewhere, contact wyp-vid@example.org" in page
       and "WYP-CASE-7" not in page and "<img" not in page, page)
sid = re.search(r'href="/series/(\d+)"', page).group(1)
st, page, _ = req("GET", f"/series/{sid}", cookie=swp)
expect(st == 200 and "SWP-CASE-9" in page and "WYP-CASE-7" not in page
       and "held elsewhere, contact wyp-vid@example.org" in page
       and sha256(os.path.join(I, "wee.jpg")) in page and "<img" not in page, page)
csrf = re.search(r'name="csrf" value="(\w+)"', page).group(1)
st, _, _ = req("POST", f"/series/{sid}/status", {"status": "identified"}, swp)
expect(st == 403, f"no CSRF token, no change: {st}")
st, _, _ = req("POST", f"/series/{sid}/status",
               {"status": "identified", "note": "confirmed by VID Team", "csrf": csrf}, swp)
expect(st == 303, f"status change: {st}")
st, _, _ = req("POST", f"/series/{sid}/note", {"text": "wallpaper: blue", "csrf": csrf}, swp)
expect(st == 303, f"note: {st}")
st, page, _ = req("GET", f"/series/{sid}", cookie=swp)
expect("do not re-open" in page and "wallpaper: blue" in page, "status and note on the page")
log = ward("series", "log", "Blue Room", check_rc=0).stdout.decode()
expect("swp" in log and "identified" in log and "wallpaper: blue" in log, log)
st, page, _ = req("GET", "/series/999", cookie=swp)
expect(st == 404, f"no such series: {st}")
browser_run("web_series.js", BASE=f"http://127.0.0.1:{PORT}", PASSWORD=PW, SERIES=sid)

nat = session("nat")
st, page, _ = req("GET", "/scans", cookie=nat)
expect(st == 200 and "case-1" in page and "case-2" in page, "national sees all")
st, page, r = req("GET", "/scans")
expect(st == 303, "no session, no scans")
srv.terminate()
expect(srv.wait(timeout=30) == 0, "clean stop (no sanitizer report)")
acts = [a for (a,) in store_query("d", "service", "SELECT action FROM audit")]
for a in ["web.scans.list", "web.scan.read", "web.scan.report", "web.denied", "web.series.list",
          "web.series.view", "web.series.status", "web.series.note", "web.csrf.reject"]:
    expect(a in acts, f"audited: {a}")
ward("audit", "verify", check_rc=0)
print("ok: web_scans")
PY
