#!/bin/bash
# Retention and review dates on intel subjects, at fixed --now times: open
# subjects come due a review interval after their last change, a closed one
# when its outcome's period runs out; 'retain --keep' pushes the date on,
# '--dispose' marks and deletes nothing, a reason is required, and every
# decision lands in the subject's history and the audit table.
set -euo pipefail
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cd "$T"
/usr/bin/python3 - <<'PY'
import json, os, sys
sys.path.insert(0, os.path.join(os.environ["WARD_SOURCE_DIR"], "tests/e2e"))
from wardtest import *
_expect = expect
def expect(cond, msg): _expect(cond, str(msg))   # messages here are often rows

D = os.path.join(DATA, "intel")
def intel(*args, rc=None, now="2026-01-01T00:00:00Z"):
    return ward("intel", args[0], "--data", "d", "--now", now, *args[1:], check_rc=rc)
def retention(now, *extra, rc=None):
    return {r["subject"]: r for r in jsonl(intel("retention", "--json", *extra, now=now,
                                                 rc=rc).stdout)}

expect(b"retain nfa 730" in intel("config", "retention", rc=0).stdout, "default policy")
intel("ingest", "--source", "t", os.path.join(D, "small.csv"), rc=1)   # bad rows named
intel("update", rc=0)
r = retention("2026-06-01T00:00:00Z", rc=0)
expect(r and all(x["review_by"] == "2027-01-01T00:00:00Z" and not x["due"] and
                 not x["closed"] for x in r.values()), r)
expect(retention("2026-06-01T00:00:00Z", "--due", rc=0) == {}, "nothing due yet")
due = retention("2027-01-02T00:00:00Z", "--due", rc=1)
expect(set(due) == set(r), due)

# a later change moves the review on: an override half a year in
intel("override", "S000002", "--band", "high", "--reason", "coaches U11s", rc=0,
      now="2026-07-01T00:00:00Z")
expect(retention("2027-01-02T00:00:00Z")["S000002"]["review_by"] == "2027-07-01T00:00:00Z",
       "override is a change")

# closing: every package of S000001 has an outcome (NFA: two years)
pk = [p for p in jsonl(intel("packages", "--json", rc=0).stdout) if p["subject"] == "S000001"]
for p in pk:
    intel("outcome", str(p["package"]), "nfa", "--reason", "no trace", rc=0,
          now="2026-02-01T00:00:00Z")
s1 = retention("2027-01-02T00:00:00Z")["S000001"]
expect(s1["closed"] and s1["retain_until"] == "2028-02-01T00:00:00Z" and not s1["due"], s1)
expect(retention("2028-02-01T00:00:00Z")["S000001"]["due"], "due when retention runs out")

# decisions: a reason is required; keep pushes the date; dispose marks only
intel("retain", "S000003", "--keep", rc=2, now="2027-01-02T00:00:00Z")
intel("retain", "S000003", rc=2, now="2027-01-02T00:00:00Z")
intel("retain", "S000003", "--keep", "--dispose", "--reason", "x", rc=2)
p = intel("retain", "S000003", "--keep", "--reason", "linked to a live case", rc=0,
      now="2027-01-02T00:00:00Z")
expect(b"next review by 2028-01-02T00:00:00Z" in p.stdout, p.stdout)
s3 = retention("2027-01-02T00:00:00Z")["S000003"]
expect(s3["review_by"] == "2028-01-02T00:00:00Z" and not s3["due"] and
       s3["decision"] == "keep" and s3["reason"] == "linked to a live case", s3)
p = intel("retain", "S000004", "--dispose", "--reason", "no longer needed", rc=0,
          now="2027-01-02T00:00:00Z")
expect(b"nothing has been deleted" in p.stdout and b"1 referral records" in p.stdout,
       p.stdout)
s4 = retention("2027-01-02T00:00:00Z")["S000004"]
expect(s4["marked_for_disposal"] and not s4["due"] and s4["decision"] == "dispose", s4)
expect(b"record" in intel("subject", "S000004", rc=0).stdout, "nothing deleted")
due = retention("2027-01-02T00:00:00Z", "--due", rc=1)
expect("S000003" not in due and "S000004" not in due and "S000005" in due, due)
intel("retain", "S999999", "--keep", "--reason", "x", rc=3)

audit = store_query("d", "intel", "SELECT action, object, detail FROM audit WHERE action LIKE"
                                 " 'intel.retain.%' ORDER BY id")
expect(audit == [("intel.retain.keep", "S000003", "linked to a live case"),
                 ("intel.retain.dispose", "S000004", "no longer needed")], audit)
hist = store_query("d", "intel", "SELECT action, by, at FROM subject_history WHERE action LIKE"
                                " 'retention%' ORDER BY id")
expect([h[0] for h in hist] == ["retention keep", "retention dispose"] and
       all(h[1] and h[2] == "2027-01-02T00:00:00Z" for h in hist), hist)
print("ok")
PY
