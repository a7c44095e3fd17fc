#!/bin/bash
# Retention and review dates on intel subjects, at fixed --now times: open
# subjects come due a review interval after their last change, a closed one
# when its outcome's period runs out; 'retain --keep' pushes the date on,
# '--dispose' marks and deletes nothing, a reason is required, and every
# decision lands in the subject's history and the audit table. 'dispose'
# carries out only a standing dispose decision, deletes the subject's data
# (checked in the raw file), leaves a tombstone, and a later referral about
# the same person becomes a new subject.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import json, os, sqlite3, sys
from wardtest import *
_expect = expect
def expect(cond, msg): _expect(cond, str(msg))   # messages here are often rows

D = os.path.join(DATA, "intel")
def intel(*args, rc=None, now="2026-01-01T00:00:00Z"):
    return ward("intel", args[0], "--data", "d", "--now", now, *args[1:], check_rc=rc)
def retention(now, *extra, rc=None):
    return {r["subject"]: r for r in json.loads(intel("retention", "--json", *extra, now=now,
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
pk = [p for p in json.loads(intel("packages", "--json", rc=0).stdout) if p["subject"] == "S000001"]
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

# ---- disposal: only a standing dispose decision is carried out ----------
T3 = "2027-01-03T00:00:00Z"
p = intel("dispose", "S000005", "--dry-run", rc=2, now=T3)          # never marked
expect(b"not marked for disposal" in p.stderr, p.stderr)
intel("retain", "S000003", "--dispose", "--reason", "x", rc=0, now=T3)
intel("retain", "S000003", "--keep", "--reason", "still needed", rc=0, now=T3)
expect(b"not marked" in intel("dispose", "S000003", "--dry-run", rc=2, now=T3).stderr,
       "a later keep replaces a dispose decision")
intel("retain", "S000002", "--dispose", "--reason", "spent", rc=0, now=T3)
intel("override", "S000002", "--band", "low", "--reason", "new intel", rc=0,
      now="2027-01-04T00:00:00Z")
p = intel("dispose", "S000002", "--confirm", "--by", "a.admin", "--reason", "x", rc=2,
          now="2027-01-05T00:00:00Z")
expect(b"changed at 2027-01-04T00:00:00Z" in p.stderr, p.stderr)
intel("dispose", "S000004", rc=2, now=T3)                               # neither flag
intel("dispose", "S000004", "--dry-run", "--confirm", rc=2, now=T3)
intel("dispose", "S000004", "--confirm", "--reason", "x", rc=2, now=T3)  # no --by
intel("dispose", "S000004", "--confirm", "--by", "a.admin", rc=2, now=T3)  # no reason
intel("dispose", "S999999", "--dry-run", rc=3, now=T3)

# what S000004 alone holds, to look for in the raw file afterwards
def q(sql):
    return store_query("d", "intel", sql)
ON_FILE = not skip_on_postgres("the raw intel.db bytes after disposal are SQLite's file")
def raw_bytes():
    c = sqlite3.connect("d/intel.db")
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()
    data = open("d/intel.db", "rb").read()
    if os.path.exists("d/intel.db-wal"):
        data += open("d/intel.db-wal", "rb").read()
    return data
mine = {r[0] for r in q(
    "SELECT raw FROM vals WHERE record IN (SELECT record FROM subject_records"
    " WHERE subject = 4) UNION SELECT norm FROM vals WHERE norm IS NOT NULL AND record IN"
    " (SELECT record FROM subject_records WHERE subject = 4)")}
others = {r[0] for r in q(
    "SELECT raw FROM vals WHERE record NOT IN (SELECT record FROM subject_records"
    " WHERE subject = 4) UNION SELECT norm FROM vals WHERE norm IS NOT NULL AND record NOT IN"
    " (SELECT record FROM subject_records WHERE subject = 4)")}
counts = {t: q(f"SELECT count(*) FROM {t}")[0][0]
          for t in ("records", "vals", "packages", "assessments")}
batches = q("SELECT id, records FROM batches ORDER BY id")
fakes = sorted(v.encode() for v in mine - others if v and len(v) >= 6)
expect(fakes and (not ON_FILE or all(f in raw_bytes() for f in fakes)), fakes)

p = intel("dispose", "S000004", "--dry-run", rc=0, now=T3)
expect(b"1 referral records" in p.stdout and b"nothing has been deleted" in p.stdout, p.stdout)
expect(b"record" in intel("subject", "S000004", rc=0).stdout, "a dry run deletes nothing")
p = intel("dispose", "S000004", "--confirm", "--by", "a.admin", "--reason",
          "retention period over", rc=0, now=T3)
expect(b"S000004 disposed of at 2027-01-03T00:00:00Z by a.admin" in p.stdout, p.stdout)
if ON_FILE:
    raw = raw_bytes()
    left = [f for f in fakes if f in raw]
    expect(not left, f"still in intel.db: {left}")
intel("dispose", "S000004", "--confirm", "--by", "a.admin", "--reason", "x", rc=3, now=T3)

# the tombstone: the id, when, who, why and what went; no data
t = json.loads(intel("subject", "S000004", "--json", rc=0).stdout)
expect(t["disposed"] == T3 and t["by"] == "a.admin" and
       t["reason"] == "retention period over" and "1 referral records" in t["removed"], t)
row = q("SELECT active, disposed, grade FROM subjects WHERE id = 4")[0]
expect(row == (0, T3, None), row)
for tbl, cond in (("subject_records", "subject = 4"), ("assessments", "subject = 4"),
               ("packages", "subject = 4"), ("alerts", "subject = 4"),
               ("factors", "subject = 4")):
    n = store_query("d", "intel", f"SELECT count(*) FROM {tbl} WHERE {cond}")[0][0]
    expect(n == 0, (tbl, n))
after = {t: q(f"SELECT count(*) FROM {t}")[0][0] for t in counts}
expect(after["records"] == counts["records"] - 1 and after["packages"] == counts["packages"] - 1,
       (counts, after))
expect(q("SELECT id, records FROM batches ORDER BY id") == batches,
       "batches keep their counts")
expect(q("SELECT action, by FROM subject_history WHERE subject = 4 ORDER BY id"
         )[-1] == ("disposal", "a.admin"), "history row")
a = q("SELECT who, object, detail FROM audit WHERE action = 'intel.dispose'")
expect(len(a) == 1 and a[0][:2] == ("a.admin", "S000004") and
       not any(f.decode() in a[0][2] for f in fakes), a)

# everything else copes: no crash, no ghost rows
for args in (("subjects", "--json"), ("packages", "--json"), ("query", "--by", "force"),
             ("kpi", "--json"), ("report",), ("retention", "--json"), ("feedback", "--list", "t")):
    out = intel(*args, rc=0, now=T3).stdout
    expect(b"S000004" not in out, (args, out[:300]))
p = intel("alerts", "--json", now=T3)
expect(p.returncode in (0, 1) and b"S000004" not in p.stdout, p.stdout)
expect(b"S000004" in intel("subject", "S000004", rc=0).stdout, "tombstone shown")

# the same person referred again is a new subject, not the old one revived
src = os.path.join(D, "small.csv")
lines = open(src, encoding="utf-8").read().splitlines()
rec = q("SELECT ref FROM records r JOIN batches b ON b.id = r.batch WHERE r.ref IS NOT NULL"
        " ORDER BY r.id")
gone = [l for l in lines[1:] if l.split(",")[0] not in {r[0] for r in rec}]
again = [l for l in gone if any(f.decode() in l for f in fakes)]
expect(len(again) == 1, gone)
open("again.csv", "w").write(lines[0] + "\n" + again[0].replace(again[0].split(",")[0], "AGAIN1", 1)
                             + "\n")
intel("ingest", "--source", "again", "again.csv", now="2027-02-01T00:00:00Z")   # may refuse a factor
intel("update", rc=0, now="2027-02-01T00:00:00Z")
new = q("SELECT sr.subject FROM subject_records sr JOIN records r ON r.id = sr.record"
        " WHERE r.ref = 'AGAIN1'")[0][0]
expect(new > 9, new)
expect(q("SELECT active, disposed FROM subjects WHERE id = 4")[0] == (0, T3),
       "the tombstone stays a tombstone")
print("ok")
PY
