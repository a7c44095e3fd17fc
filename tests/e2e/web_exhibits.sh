#!/bin/bash
# The exhibit pages of the web application: a real `ward serve` over
# exhibits of two forces, one acquired and scanned with --exhibit. HTTP
# checks (compartments: another force's exhibit refused, shown in a lab's
# queue only as "held elsewhere"; a form without the CSRF token refused),
# then headless Chromium works the pages as an analyst would: the exhibit
# list with the backlog chart, an exhibit with its continuity and scans,
# a queue override with a reason through the form, and the lab's forecast,
# taking screenshots (exhibits.png, exhibit.png, lab.png). Finally the
# audit chain is verified.
#
# Without chromium or playwright-core the browser part is skipped and says
# so (wardtest.browser_run); the HTTP checks always run.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import os, re, subprocess, sys, time, zipfile
from wardtest import *

use_data(user="test-officer")
PW = "correct horse battery staple"
I = os.path.join(DATA, "pdq/images")
t0 = time.time()
now = time.time()
def ago(days, zone="Z"):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now - days * 86400)) + zone

ward("intel", "ingest", "--source", "op-small", os.path.join(DATA, "intel/small.csv"))
ward("intel", "update", check_rc=0)
S = json.loads(ward("intel", "subjects", "--json", check_rc=0).stdout)
vh = next(s["subject"] for s in S if s["band"] == "Very High")
ward("hash", "--hashdeep", "-o", "alert.hd", os.path.join(I, "wee.jpg"), check_rc=0)
ward("db", "import", "--list", "national", "--category", "1", "alert.hd", check_rc=0)

def register(ref, force, days, *extra):
    ward("exhibit", "register", "--ref", ref, "--description", "test item " + ref, "--kind",
         "computer", "--force", force, "--lab", "Test DFU", "--seized", ago(days, "+00:00"),
         "--place", "1 Test Street", "--seal", "SEAL-" + ref, *extra, check_rc=0)
register("SWP-1", "South Wales Police", 120, "--subject", vh)
register("SWP-2", "South Wales Police", 30)
register("SWP-3", "South Wales Police", 2, "--child-at-risk")
register("WYP-1", "West Yorkshire Police", 200)
register("WYP-2", "West Yorkshire Police", 10)
ward("exhibit", "lab", "Test DFU", "--examiners", "2", check_rc=0)
with zipfile.ZipFile("SWP-1.zip", "w") as z:
    z.write(os.path.join(I, "wee.jpg"), "Users/test/Pictures/a.jpg")
    z.write(os.path.join(I, "q0291.jpg"), "Users/test/Pictures/b.jpg")
ward("exhibit", "acquire", "SWP-1", "--image", "SWP-1.zip", check_rc=0)
ward("exhibit", "move", "SWP-1", "--to", "DC Test", "--place", "DFU bench 3", check_rc=0)
ward("scan", "--exhibit", "SWP-1", "-q", "-o", "r1", "SWP-1.zip", check_rc=1)

def user(name, role, unit):
    ward("users", "add", "--role", role, "--unit", unit, name, stdin=(PW + "\n").encode(),
         check_rc=0)
user("swp", "force-officer", "South Wales Police")
user("nat", "national-analyst", "national")

port = serve_start("d")

def req(method, path, form=None, cookies=None):
    return http_req(port, method, path, form, cookies)

def session(name):
    return web_login(port, name, PW)

swp = session("swp")
st, page, _ = req("GET", "/exhibits", cookies=swp)
expect(st == 200 and "SWP-1" in page and "WYP-1" not in page and "<svg" in page,
       f"a force officer's list has the force's exhibits only: {st}")
st, page, _ = req("GET", "/exhibit/WYP-1", cookies=swp)
expect(st == 403, f"another force's exhibit refused: {st}")
st, page, _ = req("GET", "/lab/Test%20DFU", cookies=swp)
expect(st == 200 and "held elsewhere (West Yorkshire Police)" in page and "WYP-1" not in page,
       "the lab's queue shows another force's exhibit as held elsewhere")
pos = re.findall(r'href="/exhibit/([^"]+)"', page)
expect(pos == ["SWP-3", "SWP-2"], f"queue order on the lab page (SWP-1 is started): {pos}")
st, page, _ = req("GET", "/exhibit/SWP-1", cookies=swp)
expect(st == 200 and "DFU bench 3" in page and "hash chain is intact" in page and
       "national" in page and "needs grading" in page.lower(), "exhibit page")
st, page, _ = req("POST", "/exhibit/SWP-2/prioritise", {"band": "very-high", "reason": "x"},
                  cookies=swp)
expect(st == 403, f"a form without the CSRF token is refused: {st}")
print(f"http checks: {time.time() - t0:.1f} s")

if browser_run("web_exhibits.js", BASE=f"http://127.0.0.1:{port}", PASSWORD=PW) is not None:
    log = ward("exhibit", "log", "SWP-2", "--json", check_rc=0).stdout.decode()
    expect("browser: suspect coaches a junior team" in log, "the override is in the continuity log")
log = open("d.log").read()
expect("Sanitizer" not in log and "runtime error" not in log, f"the server ran clean: {log[-3000:]}")
print(ward("audit", "verify", check_rc=0).stdout.decode().strip())
print(f"web_exhibits: all checks passed in {time.time() - t0:.1f} s")
PY
