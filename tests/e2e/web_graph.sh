#!/bin/bash
# The link analysis page of the web application: a real `ward serve` with
# subjects of two forces linked through a screen name. A force officer sees
# their subject's network with the other force's subject as "held
# elsewhere, contact <force>" and nothing of it beyond the link (not its
# other identifiers, not whom it links to further), a shared mailbox as a
# refused value; the other force's subject itself is refused (403) and the
# refusal audited; a national analyst sees the whole chain; exports
# download; the graph is built once for all views and rebuilt when the
# store changes. Then headless Chromium checks the drawn SVG and takes
# docs/screenshots/graph.png (when $WARD_SCREENSHOTS says where).
# Without chromium or playwright-core the browser part is skipped and says
# so (wardtest.browser_run); the HTTP checks always run.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import os, re, subprocess, sys, time
import xml.etree.ElementTree as ET
from wardtest import *

use_data(user="test-admin")
PW = "correct horse battery staple"
SECRET = "c-private-line@example.invalid"

# A and B (South Wales) share a phone; B and C (West Yorkshire) a screen
# name; C and D (West Yorkshire) a phone; A and three others an office
# mailbox (four names: refused).
open("net.csv", "w").write(
    "ref,name,dob,email,phone,screen_name,postcode\n"
    "A1,Testy Alphason,1980-01-01,alpha@example.invalid,07700 900101,,CF10 1AA\n"
    "A2,Testy Alphason,1980-01-01,office@example.invalid,,,CF10 1AA\n"
    "B1,Mocky Betason,1981-02-02,beta@example.invalid,07700 900101,chatapp:linker,CF10 1AB\n"
    f"C1,Fakey Gammason,1982-03-03,{SECRET},07700 900303,chatapp:linker,LS1 1AA\n"
    "D1,Dummy Deltason,1983-04-04,delta@example.invalid,07700 900303,,LS1 1AB\n"
    "O1,Officey One,1970-01-01,office@example.invalid,,,CF10 1AC\n"
    "O2,Officey Two,1970-01-02,office@example.invalid,,,CF10 1AD\n"
    "O3,Officey Three,1970-01-03,office@example.invalid,,,CF10 1AE\n")
ward("intel", "ingest", "--source", "op-graph", "--not-bulk", "net.csv", check_rc=0)
ward("intel", "update", check_rc=0)
links = [x for x in jsonl(ward("graph", "export", "--format", "json", check_rc=0).stdout)
         if x["type"] == "link"]
sid = {l["value"].split("@")[0]: l["subject"] for l in links if l["kind"] == "email"}
A, B, C, D = sid["alpha"], sid["beta"], sid[SECRET.split("@")[0]], sid["delta"]
expect(len({A, B, C, D}) == 4, sid)
ward("db", "import", "--list", "vic", "--category", "1",
     os.path.join(DATA, "hashsets/pdq.txt"), check_rc=0)   # ward serve wants a store
for name, role, unit in (("swp", "force-officer", "South Wales Police"),
                         ("nat", "national-analyst", "national")):
    ward("users", "add", "--role", role, "--unit", unit, name, stdin=(PW + "\n").encode(),
         check_rc=0)

PORT = serve_start(os.environ["WARD_DATA"])
BASE = f"http://127.0.0.1:{PORT}"
def login(name):
    return web_login(PORT, name, PW)
def get(cookies, path):
    st, page, r = http_req(PORT, "GET", path, None, cookies)
    return st, page, r

swp = login("swp")
st, page, _ = get(swp, f"/graph/{A}?depth=3")
expect(st == 200 and "Suspicion is not guilt" in page, f"{st} {page[:500]}")
expect(f"{C}: held elsewhere, contact West Yorkshire Police" in page, page)
expect(SECRET not in page and "07700 900303" not in page and "+447700900303" not in page
       and D not in page, "nothing of C beyond the link, and no walk through C")
expect(B in page and "chatapp:linker" in page, "the linking screen name")
expect("office@example.invalid" in page and "not a link" in page, "the refused mailbox")
st, page, _ = get(swp, f"/graph/{C}")
expect(st == 403, f"another force's subject refused: {st}")
st, page, _ = get(swp, "/graph/nonsense!")
expect(st == 404, st)
st, page, r = get(swp, f"/graph/{A}?depth=2&format=gexf")
expect(st == 200 and "xml" in r.getheader("Content-Type"), st)
gx = ET.fromstring(page)
expect(SECRET not in page and "held elsewhere" in page, "the export keeps the compartment")
st, page, r = get(swp, f"/graph/{A}?format=i2")
expect(st == 200 and page.startswith("type,entity_id"), page[:200])
st, page, _ = get(swp, f"/graph/{A}?format=frob")
expect(st == 400, st)
nat = login("nat")
st, page, _ = get(nat, f"/graph/{A}?depth=3")
expect(st == 200 and D in page and "held elsewhere" not in page, "the national view: all")

# ---- the graph is built once and kept until the store changes ----
def builds():
    return open(os.environ["WARD_DATA"] + ".log").read().count("link-analysis graph built")
expect(builds() == 1, f"one build for all the views so far: {builds()}")
open("more.csv", "w").write("ref,name,dob,email,phone,postcode\n"
                            "E1,Testy Epsilonson,1984-05-05,epsilon@example.invalid,"
                            "07700 900101,CF10 1AF\n")
ward("intel", "ingest", "--source", "op-graph-2", "--not-bulk", "more.csv", check_rc=0)
ward("intel", "update", check_rc=0)
E = next(x["subject"] for x in jsonl(ward("graph", "export", "--format", "json",
                                          check_rc=0).stdout)
         if x["type"] == "link" and x["value"] == "epsilon@example.invalid")
st, page, _ = get(nat, f"/graph/{A}")
expect(st == 200 and E in page and builds() == 2, f"rebuilt after the change: {builds()}")
st, page, _ = get(swp, f"/graph/{A}")
expect(st == 200 and builds() == 2, f"and kept again: {builds()}")

# ---- the browser ----
browser_run("web_graph.js", BASE=BASE, PASSWORD=PW, SUBJECT=A, OTHER=C, SECRET=SECRET)
err = open(os.environ["WARD_DATA"] + ".log").read()
expect("Sanitizer" not in err and "runtime error" not in err, err[-2000:])
print("web_graph: all checks passed")
PY
