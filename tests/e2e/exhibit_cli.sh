#!/bin/bash
# ward exhibit end to end: register (bad input refused, nothing written),
# acquire, 'ward scan --exhibit' (a changed image refused with exit 3 and
# nothing attached; a good one attached, known material an examined factor
# on the subject, new material "needs grading"), queue order by child at
# risk, band and age with overrides, forecast and alerts, the continuity
# log's chain (tampering found), the subject's history and the audit chain.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import json, os, re, shutil, sqlite3, subprocess, sys, zipfile
from wardtest import *

I = os.path.join(DATA, "pdq/images")
NOW = "2026-12-01T12:00:00Z"
def ex(*args, rc=None, now=NOW):
    return ward("exhibit", args[0], "--data", "d", "--now", now, *args[1:], check_rc=rc)
def out(p): return p.stdout.decode()
def err(p): return p.stderr.decode()

ward("exhibit", "--help", check_rc=0)
ward("exhibit", check_rc=2)
ex("frobnicate", rc=2)

# subjects to link to: the intel test data, scored
ward("intel", "ingest", "--data", "d", "--now", NOW, "--source", "op-small",
     os.path.join(DATA, "intel/small.csv"))
ward("intel", "update", "--data", "d", "--now", NOW, check_rc=0)
S = json.loads(ward("intel", "subjects", "--data", "d", "--json", check_rc=0).stdout)
vh = next(s["subject"] for s in S if s["band"] == "Very High")
low = next(s["subject"] for s in S if s["band"] == "Low")

def register(ref, seized, *extra, rc=0):
    return ex("register", "--ref", ref, "--description", "test item " + ref, "--kind", "phone",
              "--force", "Testshire", "--lab", "DFU", "--seized", seized, "--place", "1 Test St",
              "--seal", "SEAL-" + ref, *extra, rc=rc)

# ---- register; bad input refused, nothing written ----
register("E-LOW", "2026-10-01T09:00:00+01:00", "--subject", low)
register("E-VH", "2026-11-20T09:00:00-05:00", "--subject", vh)
register("E-NONE", "2026-09-01T09:00:00Z")
register("E-CHILD", "2026-11-30T20:00:00Z", "--child-at-risk")
p = register("E-LOW", "2026-10-01T09:00:00Z", rc=2)
expect("already registered" in err(p), err(p))
p = register("E-BAD", "2026-02-30T10:00:00Z", rc=2)
expect("no such date" in err(p), err(p))
p = register("E-BAD", "2026-11-02T10:00:00", rc=2)
expect("without a zone" in err(p), err(p))
p = register("E-BAD", "2027-01-01T10:00:00Z", rc=2)
expect("in the future" in err(p), err(p))
p = register("E-BAD", "2026-11-02T10:00:00Z", "--subject", "S999999", rc=3)
expect("no subject S999999" in err(p), err(p))
refs = [e["ref"] for e in jsonl(ex("list", "--json", rc=0).stdout)]
expect(refs == ["E-CHILD", "E-LOW", "E-NONE", "E-VH"], refs)
e = json.loads(out(ex("show", "E-VH", "--json", rc=0)))
expect(e["seized"] == "2026-11-20T09:00:00-05:00" and e["seized_utc"] == "2026-11-20T14:00:00Z",
       f"seizure time kept as given beside UTC: {e}")

# ---- queue order: child at risk, band, deadline, age; override with reason ----
ex("lab", "DFU", "--examiners", "2", rc=0)
def queue():
    return [q["ref"] for q in jsonl(ex("queue", "--json", rc=0).stdout)]
expect(queue() == ["E-CHILD", "E-VH", "E-LOW", "E-NONE"], queue())
q = jsonl(ex("queue", "--json", rc=0).stdout)
expect("child at risk" in q[0]["why"] and f"subject {vh} Very High" in q[1]["why"] and
       "no subject linked" in q[3]["why"], q)
ex("prioritise", "E-NONE", "--band", "high", rc=2)                      # no reason
ex("prioritise", "E-NONE", "--band", "high", "--reason", "officer's request: suspect coaches U11s", rc=0)
expect(queue() == ["E-CHILD", "E-VH", "E-NONE", "E-LOW"], queue())
q = jsonl(ex("queue", "--json", rc=0).stdout)
expect("coaches U11s" in q[2]["why"], q[2])

# ---- forecast and alerts ----
f = jsonl(ex("forecast", "--json", rc=1).stdout)    # E-NONE has waited past 90 days
lab = f[0]
expect(lab["lab"] == "DFU" and lab["examiners"] == 2 and lab["queued"] == 4 and
       abs(lab["backlog_weeks"] - 2.0) < 1e-6, lab)
starts = {x["ref"]: x["start"] for x in f[1:]}
expect(starts == {"E-CHILD": "2026-12-01", "E-VH": "2026-12-01", "E-NONE": "2026-12-08",
                  "E-LOW": "2026-12-08"}, starts)
a = jsonl(ex("alerts", "--json", rc=1).stdout)
expect([x["ref"] for x in a] == ["E-NONE"] and a[0]["alert"] & 1, a)
a = jsonl(ex("alerts", "--json", rc=1, now="2026-12-02T21:00:00Z").stdout)
expect({x["ref"] for x in a} == {"E-CHILD", "E-NONE"} and
       any(x["alert"] & 4 for x in a if x["ref"] == "E-CHILD"), a)

# ---- acquisition and 'ward scan --exhibit' ----
ward("hash", "--hashdeep", "-o", "alert.hd", os.path.join(I, "wee.jpg"), check_rc=0)
ward("db", "import", "--data", "d", "--list", "national", "--scheme", "projectvic",
     "--category", "1", "alert.hd", check_rc=0)
with zipfile.ZipFile("E-VH.zip", "w") as z:
    z.write(os.path.join(I, "wee.jpg"), "DCIM/IMG_0001.jpg")
    z.write(os.path.join(I, "q0291.jpg"), "DCIM/IMG_0002.jpg")
ex("acquire", "E-VH", "--image", "E-VH.zip", rc=0)
ex("acquire", "E-VH", "--image", "E-VH.zip", rc=2)              # recorded once
shutil.copy("E-VH.zip", "changed.zip")
with open("changed.zip", "ab") as fh:
    fh.write(b"\0")
p = ward("scan", "--data", "d", "--exhibit", "E-VH", "-q", "-o", "r0", "changed.zip", check_rc=3)
expect("does not match exhibit E-VH as acquired" in err(p) and not os.path.exists("r0"), err(p))
expect(out(ex("scans", "E-VH", rc=0)) == "", "nothing attached from a refused scan")
p = ward("scan", "--data", "d", "--exhibit", "E-NONE", "-q", "-o", "r0", "E-VH.zip", check_rc=2)
expect("no acquisition recorded" in err(p), err(p))
p = ward("scan", "--data", "d", "--exhibit", "E-VH", "-q", "-o", "r1", "E-VH.zip", check_rc=1)
expect("attached to exhibit E-VH" in err(p) and "needs grading" in err(p), err(p))
sc = jsonl(ex("scans", "E-VH", rc=0).stdout)
expect(len(sc) == 1 and sc[0]["summary"]["classes"]["known"] == 1 and
       sc[0]["summary"]["classes"]["new-image"] == 1 and
       sc[0]["summary"]["categories"][0]["list"] == "national" and
       len(sc[0]["summary"]["index_sha256"]) == 64 and "store_revision" in sc[0]["summary"], sc)
e = json.loads(out(ex("show", "E-VH", "--json", rc=0)))
expect(e["status"] == "triaged" and e["needs_grading"], e)
s = out(ward("intel", "score", "--data", "d", "--now", NOW, check_rc=0))
expect("1 re-assessed" in s, s)
subj = out(ward("intel", "subject", vh, "--data", "d", check_rc=0))
expect(re.search(r"\+image_known_alert \(examined, exhibit E-VH scan\)", subj) and
       re.search(r"image_known_alert +image +\+\d+\.\d +examined", subj), subj)
expect("exhibit scanned: E-VH" in subj, "the subject's history has the exhibit")
ward("intel", "route", "--data", "d", "--now", NOW, check_rc=0)
pkg = next(p for p in json.loads(ward("intel", "packages", "--data", "d", "--json", check_rc=0).stdout)
           if p["subject"] == vh)
pj = json.loads(out(ward("intel", "package", str(pkg["package"]), "--data", "d", check_rc=0)))
expect([(x["ref"], x["status"], x["needs_grading"]) for x in pj["exhibits"]] ==
       [("E-VH", "triaged", "yes")], f"the package shows the exhibit: {pj.get('exhibits')}")
ph = out(ward("intel", "package", str(pkg["package"]), "--format", "html", "--data", "d",
              check_rc=0))
expect(re.search(r"<h2>Exhibits</h2>.*<td>E-VH</td>.*<td>triaged</td><td>yes</td>", ph, re.S),
       "the printable package lists the exhibit")

# ---- status, movement, continuity chain ----
ex("status", "E-VH", "acquired", rc=2)                          # never backwards
ex("status", "E-VH", "reported", "--note", "report to OIC", rc=0)
ex("move", "E-LOW", "--to", "DC Test", "--place", "DFU store room 2", rc=0)
ex("child-at-risk", "E-LOW", "--on", rc=2)                      # no reason
expect("intact" in out(ex("verify", rc=0)), "continuity chain intact")
log = jsonl(ex("log", "E-VH", "--json", rc=0).stdout)
acts = [x["action"] for x in log]
expect(acts == ["registered", "acquired", "status", "scanned", "status", "status"], acts)
expect("audit log intact" in out(ward("audit", "verify", "--data", "d", check_rc=0)), "audit chain")
k = out(ex("kpi", rc=0))
expect("1 of 1 started within 24 h" not in k and "child at risk: 0 of 1" in k, k)
if not on_postgres():
    db = sqlite3.connect("d/intel.db")
    db.execute("UPDATE exhibit_log SET holder = 'someone else' WHERE action = 'moved'")
    db.commit(); db.close()
    p = ex("verify", rc=3)
    expect("does not follow" in err(p) and "E-LOW" in err(p), err(p))
print("ok")
PY
