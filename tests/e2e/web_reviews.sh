#!/bin/bash
# The reviewer's workspace (issue 24 item 6): a real `ward serve` with match
# events from two platforms -- an upload of a rotated benign test image
# (a PDQ match through a transform), three uploads of one synthetic file
# (identical hashes), a partner list's entry with a series, an event 30
# hours old (past the deadline), a content id holding "\u0000" and a context
# member the page does not know. Python checks the page and its refusals
# over HTTP: fields, not JSON; each match as list, category, series,
# distance and transform; age against the deadline; filters and sorting; a
# decision without the viewed answer refused; a bulk form whose events'
# hashes differ refused. Then headless Chromium works the page with the
# keyboard (j, y, c; n, r on a group), checks it is never wider than the
# window, and takes docs/screenshots/reviews*.png (when $WARD_SCREENSHOTS
# says where). Without chromium or playwright-core the browser part is
# skipped and says so (wardtest.browser_run); the HTTP checks always run.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import hashlib, json, os, re, sqlite3, subprocess, sys, time, urllib.parse
from wardtest import *

D = use_data(user="test-admin")
PW = "correct horse battery staple"
t0 = time.time()

# ---- lists: a PDQ entry (a benign public test image), two synthetic files ----
IMG = os.path.join(os.environ.get("WARD_SHARED", ""), "pdq/images")
ROT = os.path.join(IMG, "bridge-2-rotate-90.jpg")
if not os.path.exists(ROT):  # without the shared set: the original, transform "orig"
    IMG, ROT = os.path.join(DATA, "pdq/images"), os.path.join(DATA, "pdq/images/bridge-1-original.jpg")
pdq = ward("hash", "-f", "pdq", os.path.join(IMG, "bridge-1-original.jpg"),
           check_rc=0).stdout.decode().split(",")[0]
F1, F2, F3 = (b"review test: benign synthetic file %d\n" % i for i in range(3))
M1, M2, M3 = (hashlib.md5(f).hexdigest() for f in (F1, F2, F3))
open("national.csv", "w").write(f"pdq,md5,category,series,name\n{pdq},,1,S-Bridge,bridge.jpg\n"
                                f",{M1},1,,one.bin\n")
open("partner.csv", "w").write(f"md5,category,series,name\n{M2},2,S-77,two.bin\n"
                               f"{M3},2,S-77,three.bin\n")
ward("db", "import", "--list", "national", "national.csv", check_rc=0)
ward("db", "import", "--list", "partner", "partner.csv", check_rc=0)
def key(name, scopes):
    return ward("apikey", "add", "--name", name, "--scopes", scopes, "--rate", "1000",
                check_rc=0).stdout.decode().strip()
KA, KB, KR = key("platform-a", "match"), key("platform-b", "match"), key("tns", "review")
ward("users", "add", "--role", "reviewer", "--unit", "national", "rev",
     stdin=(PW + "\n").encode(), check_rc=0)
PORT = serve_start(D, "--review-deadline", "24")

def batch(k, md5, content, account, when, extra=None):
    ctx = {"content_id": content, "account": {"id": account, "screen_name": "test_" + account},
           "upload": {"ip": "198.51.100.7", "port": "50100", "time": when}}
    ctx.update(extra or {})
    st, r = api(PORT, "/v1/match", k, json.dumps({"hashes": ["md5:" + md5], "context": ctx}))
    r = json.loads(r)
    expect(st == 200 and r["event_id"], f"{st} {r}")
    return r["event_id"]
import http.client
q = urllib.parse.urlencode({"content_id": "img-77", "account_id": "u-photo",
                            "upload_ip": "2001:db8::42", "upload_port": "443",
                            "upload_time": "2026-12-06 21:05:00 +0000"})
c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
c.request("POST", "/v1/match?" + q, body=open(ROT, "rb").read(),
          headers={"Authorization": "Bearer " + KA, "Content-Type": "image/jpeg"})
r = json.loads(c.getresponse().read())
expect(r.get("event_id"), f"image upload matched: {r}")
ev_img = r["event_id"]
ev_old = batch(KB, M2, "c-old", "u-old", "2026-12-05T09:00:00+01:00")
group = [batch(KA, M1, f"c-dup-{i}", f"u-dup-{i}", f"2026-12-07 0{i}:00:00 -0500")
         for i in range(3)]
ev_nul = batch(KB, M3, "c-1\u0000tail", "<u-x>", "2026-12-07T06:00:00Z",
               {"thread_id": "t-991"})
# event ev_old arrived 30 hours ago (written straight into the store)
old = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 30 * 3600))
if on_postgres():
    store_query(D, "service", "UPDATE events SET created = ? WHERE id = ? RETURNING id",
                (old, ev_old))
else:
    db = sqlite3.connect(os.path.join(D, "service.db"))
    db.execute("UPDATE events SET created = ? WHERE id = ?", (old, ev_old))
    db.commit(); db.close()

# ---- the page over HTTP ----
s = web_login(PORT, "rev", PW)
def get(path):
    st, page, _ = http_req(PORT, "GET", path, None, s)
    expect(st == 200, f"{path}: {st}")
    return page
page = get("/reviews")
main = page.split("<main>")[1]
expect('{"' not in main and "&quot;id&quot;" not in main, "no JSON on the page")
for want in ["<dt>Content id</dt><dd>img-77</dd>", "<dt>Account id</dt><dd>u-photo</dd>",
             "<dt>Uploaded</dt><dd>2026-12-06 21:05:00 +0000</dd>",
             "<dt>Upload IP</dt><dd>2001:db8::42 port 443</dd>",
             "<dt>Platform</dt><dd>platform-a", "<td>S-Bridge</td>", "<td>S-77</td>",
             "c-1\\u0000tail", "&lt;u-x&gt;", "<dt>thread_id</dt><dd>t-991</dd>",
             "overdue by 6 h", "3 events</strong>", "identical hashes"]:
    expect(want in page, f"page holds {want!r}")
expect(re.search(r"<td>pdq \d+</td><td>(rot90|rot270|orig)</td>", page), "distance, transform")
expect(page.count('name="viewed" value="1" required') == 7, "the viewed question, unanswered")
ids = [int(x) for x in re.findall(r'<article class="ev[^"]*" id="ev-(\d+)"', page)]
expect(ids == sorted(ids) and ids[0] == ev_img, f"oldest first: {ids}")
page = get("/reviews?list=partner&sort=newest")
ids = [int(x) for x in re.findall(r'id="ev-(\d+)"', page)]
expect(ids == [ev_nul, ev_old], f"partner list, newest first: {ids}")
page = get("/reviews?age=overdue")
expect(re.findall(r'id="ev-(\d+)"', page) == [str(ev_old)], "overdue only")
page = get("/reviews?platform=platform-b&sort=distance")
expect(set(map(int, re.findall(r'id="ev-(\d+)"', page))) == {ev_old, ev_nul}, "by platform")
# ---- the browser ----
if browser_run("web_reviews.js", BASE=f"http://127.0.0.1:{PORT}", PASSWORD=PW,
               IMG_EVENT=ev_img, GROUP=",".join(map(str, group))) is not None:
    st, rep = api(PORT, "/v1/events?status=all", KR)
    evs = {e["id"]: e["status"] for e in json.loads(rep)["events"]}
    expect(evs[ev_img] == "confirmed" and all(evs[g] == "rejected" for g in group),
           f"the keyboard's decisions recorded: {evs}")
    rid = store_query(D, "service", "SELECT id FROM reports WHERE event_id = ?", (ev_img,))
    viewed = [json.loads(api(PORT, f"/v1/reports/{r[0]}", KR)[1])["files"][0]["viewed_by_person"]
              for r in rid]
    expect(viewed == [True], f"the reviewer's answer is the report's: {viewed}")

# ---- decisions over HTTP: refusals, and the way back to the filters ----
csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', page).group(1)
def post(path, form):
    st, body, r = http_req(PORT, "POST", path, dict(form, csrf=csrf), s)
    return st, body, r
st, body, _ = post(f"/reviews/{ev_old}", {"decision": "confirm"})
expect(st == 400 and "never assumed" in body, f"no viewed answer: refused {st}")
st, body, _ = post("/reviews/bulk", {"ids": f"{group[0]},{ev_nul}", "decision": "reject",
                                     "viewed": "0"})
expect(st == 400 and "differ" in body, f"bulk across different hashes refused: {st}")
st, body, r = post(f"/reviews/{ev_old}", {"decision": "confirm", "viewed": "0",
                                          "back": "list=partner&sort=newest"})
expect(st == 303 and r.getheader("Location") == "/reviews?list=partner&sort=newest",
       f"back to the filters: {st} {r.getheader('Location')}")
st, rep = api(PORT, "/v1/events?status=confirmed", KR)
expect(any(e["id"] == ev_old for e in json.loads(rep)["events"]), "confirmed")
st, body, r = post(f"/reviews/{ev_old}", {"decision": "reject", "viewed": "0",
                                          "back": "x=<script>"})
expect(st == 400 and "already reviewed" in body, "reviewed once")

audit = ward("audit", "verify", check_rc=0).stdout.decode()
err = open(D + ".log").read()
expect("Sanitizer" not in err and "runtime error" not in err, err[-2000:])
print(f"web_reviews: all checks passed ({time.time() - t0:.1f} s)")
PY
