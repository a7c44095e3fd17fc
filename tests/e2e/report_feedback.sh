#!/bin/bash
# Feedback to referrers (issue 24, item 4) through `ward report`: a list
# from a foreign unit is acknowledged (receipt), its packages' progress and
# outcome appear in the letter as they happen, naming no person (JSON and a
# printable HTML letter); marking the feedback sent makes later events the
# only unsent ones; the KPI counts items owed, sent and overdue; a package
# nobody touches for the silent days raises one reminder to its holder (an
# alert, audited), not one per run. Usage errors and an unknown source get
# the documented exit statuses.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import json, os, sys, time
from wardtest import *

use_data(user="test-officer")
t0 = time.time()
def at(days):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0 + days * 86400))

open("vgt.csv", "w").write("ref,name,dob,email,postcode\n"
                           "VGT-1,Testy Feedbackson,1980-01-01,fb1@example.invalid,CF10 1AA\n"
                           "VGT-2,Mocky Replyperson,1975-05-05,fb2@example.invalid,LS1 1AA\n")
ward("intel", "ingest", "--source", "vgt", "--not-bulk", "vgt.csv", "--now", at(0), check_rc=0)
letter = json.loads(ward("report", "letter", "vgt", "--now", at(0), check_rc=0).stdout)
expect(len(letter["receipts"]) == 1 and letter["receipts"][0]["referrals"] == 2
       and letter["packages"] == [] and letter["unsent"] == 1, letter)   # the receipt

ward("intel", "update", "--now", at(1), check_rc=0)
pk = [p["package"] for p in json.loads(ward("intel", "packages", "--json", check_rc=0).stdout)]
expect(len(pk) == 2, pk)
ward("intel", "state", str(pk[0]), "disseminated", "--now", at(2), check_rc=0)
ward("intel", "outcome", str(pk[0]), "safeguarded", "--now", at(3), check_rc=0)
letter = json.loads(ward("report", "letter", "vgt", "--now", at(3), check_rc=0).stdout)
p0 = [p for p in letter["packages"] if p["package"] == pk[0]][0]
expect([e["state"] for e in p0["progress"]] == ["created", "disseminated", "safeguarded"]
       and p0["outcome"] == "safeguarded" and p0["your_references"] in ("VGT-1", "VGT-2"), p0)
text = json.dumps(letter)
expect("Feedbackson" not in text and "fb1@example" not in text, "no person named")
html = ward("report", "letter", "vgt", "--format", "html", "--now", at(3), check_rc=0).stdout
expect(b'<html lang="en">' in html and b"safeguarded" in html and b"Feedbackson" not in html,
       html[:300])

# KPIs: 1 receipt + 2 created + disseminated + outcome = 5 owed, none sent;
# overdue after 1 day: the receipt and the two created
k = jsonl(ward("report", "kpi", "--json", "--overdue-days", "1", "--now", at(3)).stdout)
vgt = [x for x in k if x.get("source") == "vgt"][0]
expect(vgt["items"] == 5 and vgt["sent"] == 0 and vgt["overdue"] == 3, vgt)
ward("report", "sent", "vgt", "--now", at(3), check_rc=0)
k = jsonl(ward("report", "kpi", "--json", "--now", at(3), check_rc=0).stdout)
expect([x for x in k if x.get("source") == "vgt"][0]["sent"] == 5, k)
ward("intel", "state", str(pk[1]), "disseminated", "--now", at(4), check_rc=0)
letter = json.loads(ward("report", "letter", "vgt", "--now", at(4), check_rc=0).stdout)
expect(letter["unsent"] == 1 and letter["last_sent"] == at(3), letter)

# reminders: the open package is silent 28 days after its last event
p = ward("report", "reminders", "--now", at(20))
expect(p.returncode == 0 and p.stdout == b"", "not silent yet")
p = ward("report", "reminders", "--now", at(40), check_rc=1)
expect(f"package {pk[1]} held by".encode() in p.stdout and len(p.stdout.splitlines()) == 1,
       p.stdout)
alerts = ward("intel", "alerts", "--json", "--now", at(40)).stdout.decode()
expect(alerts.count('"silent"') == 1, alerts)
ward("report", "reminders", "--now", at(41), check_rc=1)
alerts = ward("intel", "alerts", "--json", "--now", at(41)).stdout.decode()
expect(alerts.count('"silent"') == 1, "raised once per silence")
k = jsonl(ward("report", "kpi", "--json", "--now", at(41)).stdout)
expect(k[-1]["silent_packages"] == 1, k)

# usage and unknowns
ward("report", "letter", "nobody", check_rc=3)
ward("report", "letter", "vgt", "--format", "pdf", check_rc=2)
ward("report", "frobnicate", check_rc=2)
ward("report", "step", "99", "acknowledged", check_rc=3)
print(f"report_feedback: ok ({time.time() - t0:.1f} s)")
PY
