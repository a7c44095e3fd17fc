#!/bin/bash
# ward intel as an analyst meets it: intake of CSV/JSON/XML with bad records
# named by line or JSON pointer, quarantine never used to identify, shared
# identifiers that do not merge, stable subject ids through merges and an
# analyst's keep-apart, risk bands with forbidden factors refused, override,
# routing with deconfliction and closed-subject alerts, lifecycle, KPIs,
# query, packages, and precision/recall against the generator's truth.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import json, os, re, subprocess, sys
from wardtest import *

D = os.path.join(DATA, "intel")
NOW = "2026-11-23T12:00:00Z"
_refs = {}
def intel(*args, rc=None, now=NOW):
    if args[0] in ("ingest", "update", "resolve", "apart", "join", "clarify"):
        _refs.clear()
    return ward("intel", args[0], "--data", "d", "--now", now, *args[1:], check_rc=rc)
def out(p): return p.stdout.decode()
def subjects():
    return {s["subject"]: s for s in json.loads(intel("subjects", "--json", rc=0).stdout)}
def subject_of(ref):
    if not _refs:   # one process, not one 'intel subject' per subject
        p = intel("members", "--format", "jsonl", rc=None)
        expect(p.returncode in (0, 1), f"members: {p.stderr!r}")
        for m in jsonl(p.stdout):
            if m.get("subject"):
                _refs[m["ref"]] = m["subject"]
    if ref not in _refs:
        sys.exit("FAIL: no subject holds " + ref)
    return _refs[ref]

ward("intel", "--help", check_rc=0)
ward("intel", check_rc=2)
intel("frobnicate", rc=2)
intel("ingest", os.path.join(D, "small.csv"), rc=2)          # no --source

# ---- intake: bad records named, forbidden column refused, quarantine ----
p = intel("ingest", "--source", "op-small", os.path.join(D, "small.csv"), rc=1)
err = p.stderr.decode()
expect("small.csv:11: 3 columns where the header has 18" in err, f"bad row named by line: {err}")
expect("small.csv:1: nationality: refused" in err, f"forbidden column refused: {err}")
expect("small.csv:4: dob: day and month could be either way round" in err, err)
expect("small.csv:4: ip_time: time without a zone" in err, err)
expect("small.csv:8: ip_time: 12-hour time without AM/PM" in err, err)
expect("10 records" in out(p) and "3 quarantined" in out(p) and "2 unusable" in out(p), out(p))
intel("ingest", "--source", "op-small", os.path.join(D, "small.csv"), rc=2)  # same file twice
p = intel("ingest", "--source", "platform", os.path.join(D, "reports.json"), rc=1)
err = p.stderr.decode()
expect("reports.json: /reports/1: a report must be an object" in err, err)
expect("reports.json: /reports/3: no identifying value" in err, err)
expect("/reports/0: ethnicity: refused" in err, err)
p = intel("ingest", "--source", "hotline", os.path.join(D, "reports.xml"), rc=1)
expect("/reports/report[2]: no identifying value" in p.stderr.decode(), p.stderr.decode())
open("broken.json", "w").write('{"reports": [ {"report_id": ')
p = intel("ingest", "--source", "x", "broken.json", rc=3)
expect(b"not JSON" in p.stderr, p.stderr)
q = out(intel("quarantine", rc=0))
expect("'03/04/1975'" in q and "'15/03/2026 1:15:00 UTC'" in q, f"quarantine list: {q}")
# values kept exactly as received beside the normalised form
s = out(intel("update", rc=0))
expect("13 records -> 11 subjects" in s, s)

# ---- identity: duplicates merge, shared and quarantined values do not ----
t1 = subject_of("R1")
expect(subject_of("R2") == t1 and subject_of("CT-0001") == t1, "R1, R2, CT-0001 are one subject")
expect(len({subject_of(r) for r in ("R3", "R4", "R5", "R6")}) == 4,
       "a shared office mailbox and a CGNAT address without port do not merge")
expect(subject_of("R9") != t1, "same name, other date of birth: another person")
expect(subject_of("R7") != subject_of("R8"), "an IP with a quarantined time identifies no one")
show = out(intel("subject", t1, rc=0))
expect("McTESTFACE, Testy" in show and "TESTY MCTESTFACE" in show, "raw and normalised kept")
expect("2001:DB8::0:1" in show and "2001:db8::1" in show, "IP kept as received")
S = subjects()
expect(S[t1]["grade"] == "A", f"grade A with reasons: {S[t1]}")
expect(S[subject_of("R3")]["grade"] in "DE" and "CGNAT" in S[subject_of("R3")]["grade_reasons"],
       f"CGNAT without port is low attribution: {S[subject_of('R3')]}")

# ---- risk: access-led bands, urgent flag, factors with source/date/status ----
expect(S[t1]["band"] == "Very High", f"teacher with children at home, registered: {S[t1]}")
expect(S[subject_of("R11")]["band"] == "Very High", "meeting planned is urgent")
expect(S[subject_of("R5")]["band"] == "Low", "no factors: Low")
expect("registered_offender" in show and "PNC check" in show and "fact" in show, show)
r5 = subject_of("R5")
intel("factor", r5, "nationality", "--source", "x", "--status", "fact", rc=2)
intel("factor", r5, "children_in_household", "--source", "x", "--status", "rumour", rc=2)
intel("factor", r5, "children_in_household", "--source", "council record", "--status", "fact",
      "--date", "2026-10-01", "--value", "two children", rc=0)
intel("override", r5, "--band", "high", rc=2)                       # no reason
intel("override", r5, "--band", "high", "--reason", "analyst: lives next to a school", rc=0)
s = out(intel("score", rc=0))
expect("1 re-assessed" in s, s)
show = out(intel("subject", r5, rc=0))
expect("+children_in_household (fact, council record)" in show, f"re-score says what changed: {show}")
expect("band High (model: Medium" in show and "lives next to a school" in show, show)

# ---- routing and packages ----
pk = {p["subject"]: p for p in json.loads(intel("packages", "--json", rc=0).stdout)}
expect(pk[t1]["holder"] == "South Wales Police", f"local referral to its force: {pk[t1]}")
expect(pk[subject_of("CT-0003")]["holder"] == "international", "international hub")
expect(pk[subject_of("R7")]["holder"] == "triage", "no area: for a person to route")
pid = pk[t1]["package"]
j = json.loads(intel("package", str(pid), rc=0).stdout)
expect(j["assessment"]["band"] == "Very High" and j["referrals"] and j["caveat"], j.keys())
intel("package", str(pid), "--format", "html", "-o", "p.html", rc=0)
h = open("p.html").read()
expect("<html>" in h and "McTESTFACE, Testy" in h, "HTML package")
intel("state", str(pid), "accepted", rc=0)
intel("state", str(pid), "disseminated", rc=2)                     # no going back
intel("outcome", str(pid), "nfa", rc=2)                            # nfa needs a reason
p9 = pk[subject_of("R11")]["package"]
intel("state", str(p9), "actioned", rc=0, now="2026-11-23T18:00:00Z")
intel("outcome", str(p9), "safeguarded", rc=0, now="2026-11-24T09:00:00Z")
intel("escalate", str(pk[subject_of("R9")]["package"]), "--reason", "needs hub resources", rc=0)
pk2 = {p["subject"]: p for p in json.loads(intel("packages", "--json", rc=0).stdout)}
expect(pk2[subject_of("R9")]["holder"] == "north", f"escalated to hub: {pk2[subject_of('R9')]}")

# ---- new referrals: deconfliction, closed subject, merge, keep-apart ----
r5_before, r8 = subject_of("R5"), subject_of("R8")
intel("ingest", "--source", "followup", os.path.join(D, "followup.csv"), rc=0)
s = out(intel("update", rc=0))
expect("1 merged" in s, f"F4 bridges R5 and R8: {s}")
expect(subject_of("F4") == r5_before == subject_of("R8"), "merged subject keeps the older id")
expect(subject_of("F1") == t1, "ids are stable")
a = out(intel("alerts", rc=1))
expect("deconfliction" in a and "South Wales Police; West Yorkshire Police" in a, a)
expect("closed-subject" in a and "not reopened" in a, a)
expect("merged" in a, a)
pk3 = {p["subject"]: p for p in json.loads(intel("packages", "--json", rc=0).stdout)}
expect(pk3[t1]["holder"] == "South Wales Police" and pk3[t1]["version"] == 2,
       f"not moved silently, new version: {pk3[t1]}")
recs = {m.group(2): m.group(1) for m in re.finditer(r"record (\d+)  (\S+) from",
                                                     out(intel("subject", r5_before, rc=0)))}
intel("apart", recs["R8"], recs["F4"], rc=2)                       # no reason
intel("apart", recs["R8"], recs["F4"], "--reason", "different subscriber per ISP", rc=0)
s = out(intel("update", rc=0))
expect("1 split" in s, s)
expect(subject_of("R8") != subject_of("F4") == r5_before, "keep-apart reverses the merge")
# a person settles the quarantined time: R7 then links to R8
qid = re.search(r"(\d+)  \S+small.csv:8: ip_time", out(intel("quarantine", rc=0))).group(1)
intel("clarify", qid, "15/03/2026 1:15:00", "--reason", "x", rc=2)   # still ambiguous
intel("clarify", qid, "2026-03-15T13:15:00Z", "--reason", "ISP confirmed 13:15 UTC", rc=0)
intel("update", rc=0)
expect(subject_of("R7") == subject_of("R8"), "clarified time now identifies")

# re-running with nothing new changes nothing
s = out(intel("update", rc=0))
expect("0 re-assessed" in s and "0 packages created, 0 new versions" in s, f"idempotent: {s}")

# ---- CSV column mapping; XML report routed by its postcode ----
open("mapped.csv", "w").write("Ref No,Full Name,E-mail Address,Post Code\n"
                              "M1,  Gizmo Testington ,gizmo@example.invalid,NE2 2AB\n"
                              "M2,<b>Bold</b> Testface,bold@example.invalid,NE2 2AB\n")
intel("ingest", "--source", "mapped", "--columns", "name=Nope", "mapped.csv", rc=3)
intel("ingest", "--source", "mapped", "--columns",
      "ref=Ref No,name=Full Name,email=E-mail Address,postcode=Post Code", "mapped.csv", rc=0)
intel("update", rc=0)
show = out(intel("subject", subject_of("M1"), rc=0))
expect("  Gizmo Testington " in show and "GIZMO TESTINGTON" in show, f"raw kept with its blanks: {show}")
pk4 = {p["subject"]: p for p in json.loads(intel("packages", "--json", rc=0).stdout)}
h = out(intel("package", str(pk4[subject_of("M2")]["package"]), "--format", "html", rc=0))
expect("&lt;b&gt;Bold&lt;/b&gt; Testface" in h and "<b>Bold" not in h, "HTML escapes values")
expect(pk4[subject_of("X-0001")]["holder"] == "Northumbria Police", "XML report routed")

# ---- a force or area column routes a referral that has no postcode ----
open("areas.csv", "w").write("ref,name,email,Force\n"
                             "AR1,Arty Areaface,ar1@example.invalid,SWP\n"
                             "AR2,Barty Areaface,ar2@example.invalid,avon & somerset police\n"
                             "AR3,Carty Areaface,ar3@example.invalid,Atlantis Constabulary\n")
open("areas.json", "w").write('{"reports": [{"report_id": "AJ1", "person": {"name": "Jay'
                              ' Areaface", "emails": ["aj1@example.invalid"], "force": "GMP"}}]}')
p = intel("ingest", "--source", "areas", "--columns", "auto", "areas.csv", rc=0)
expect("area=Force" in out(p), f"--columns auto proposes the area: {out(p)}")
intel("ingest", "--source", "areas", "--columns", "area=Force", "areas.csv", rc=0)
intel("ingest", "--source", "areas-json", "areas.json", rc=0)
intel("update", rc=0)
pk5 = {p["subject"]: p for p in json.loads(intel("packages", "--json", rc=0).stdout)}
expect(pk5[subject_of("AR1")]["holder"] == "South Wales Police", f"alias: {pk5[subject_of('AR1')]}")
expect(pk5[subject_of("AR2")]["holder"] == "Avon and Somerset Constabulary", "force name")
expect(pk5[subject_of("AJ1")]["holder"] == "Greater Manchester Police", "JSON force")
ar3 = pk5[subject_of("AR3")]
j = json.loads(intel("package", str(ar3["package"]), rc=0).stdout)
expect(ar3["holder"] == "triage" and "'Atlantis Constabulary' not known" in j["route_reason"],
       f"unknown area to triage: {j['route_reason']}")
a = out(intel("areas", "--unmapped", rc=1))
expect("Atlantis Constabulary" in a and "SWP" not in a and "1 not known" in a, a)
l = {x["area"]: x for x in json.loads(intel("areas", "--json", rc=0).stdout)}
expect(l["SWP"]["code"] == "CF" and l["SWP"]["matched_by"] == "alias" and
       l["Atlantis Constabulary"]["code"] is None and l["SWP"]["version"] == "2026.12", l)
cfg = ward("intel", "config", "routing", check_rc=0).stdout.decode()
open("d/intel-routing.conf", "w").write(cfg + "alias ZZ Atlantis\n")
p = intel("areas", rc=3)
expect(b"intel-routing.conf:" in p.stderr and b"'ZZ'" in p.stderr, p.stderr)
open("d/intel-routing.conf", "w").write(cfg.replace("version 2026.12", "") + "alias NE Atlantis\n")
p = intel("areas", rc=3)
expect(b"no 'version' line" in p.stderr, p.stderr)
open("d/intel-routing.conf", "w").write(cfg.replace("version 2026.12", "version 2026.12a") +
                                        "alias NE Atlantis\n")
s = out(intel("route", rc=0))
expect("1 routed from triage" in s, f"a person mapped the name: {s}")
j = json.loads(intel("package", str(ar3["package"]), rc=0).stdout)
expect(j["holder"] == "Northumbria Police" and "alias; routing 2026.12a" in j["route_reason"] and
       j["version"] == 2, f"routed from triage by the alias: {j['holder']} {j['route_reason']}")
intel("areas", "--unmapped", rc=0)
os.remove("d/intel-routing.conf")
expect("0 packages created, 0 new versions" in out(intel("route", rc=0)), "nothing moves back")

# ---- query, KPIs, feedback, report ----
q = json.loads(intel("query", "--list", "op-small", "--factor", "occupation_children",
                     "--by", "force", "--json", rc=0).stdout)
expect(q["subjects"] == 2 and q["by"] == {"South Wales Police": 1, "West Yorkshire Police": 1}, q)
intel("query", "--factor", "ethnicity", rc=2)
k = json.loads(intel("kpi", "--json", rc=0, now="2026-12-30T00:00:00Z").stdout)
expect(k["outcomes"] == {"safeguarded": 1} and k["backlog"] and k["time_to_action"], k)
a = out(intel("alerts", rc=1, now="2026-12-30T00:00:00Z"))
expect("overdue" in a, a)
f = out(intel("feedback", "--list", "op-small", rc=0))
expect("R11" in f and "safeguarded" in f, f)
r = out(intel("report", rc=0))
expect("Very High" in r and "Quarantined values" in r and "Routing" in r, r)

# ---- the demo sequence `make demo` runs ----
demo = os.path.join(os.environ["WARD_SOURCE_DIR"], "scripts/demo_intel.sh")
p = subprocess.run(["sh", demo, "demo-data", WARD], capture_output=True)
expect(p.returncode == 0 and b"WARD INTEL TRIAGE REPORT" in p.stdout and
       b"Quarantined values" in p.stdout, f"demo: {p.returncode} {p.stderr!r}")

# ---- resolution quality on a generated operation ----
gen = os.path.join(os.environ["WARD_SOURCE_DIR"], "scripts/gen_referrals.py")
subprocess.run(["/usr/bin/python3", gen, "--records", "3000", "--seed", "5", "--out", "g.csv",
                "--truth", "g.truth"], check=True)
ward("intel", "ingest", "--data", "g", "--source", "op-gen", "g.csv", check_rc=0)
ward("intel", "resolve", "--data", "g", check_rc=0)
m = re.search(r"precision ([\d.]+) recall ([\d.]+)",
              ward("intel", "evaluate", "--data", "g", "g.truth", check_rc=0).stdout.decode())
expect(float(m.group(1)) >= 0.98 and float(m.group(2)) >= 0.98, f"precision/recall: {m.group(0)}")
PY
