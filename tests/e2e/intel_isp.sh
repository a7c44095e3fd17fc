#!/bin/bash
# ward intel isp (issue 17 item 7): ISP subscriber requests from subjects'
# usable IP events. The provider table from CSV (IPv4 and IPv6, longest
# range wins; a bad file refused by file:line:field and the table in force
# kept); batches per provider with address, port and time as received and
# the UTC time beside them, and the legal basis; quarantined times never
# sent; the same lookup asked once; export as CSV, JSON and HTML naming no
# subject; answers refused whole on a bad line; a found subscriber joins
# the subject (grade re-assessed, history written), a wrong-zone answer
# quarantines the time again until a person settles it; overdue batches
# are alerts; per-provider KPIs; disposal removes the requests. Synthetic
# people and documentation address ranges only (RFC 5737, RFC 3849).
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import json, os, re, sys
from wardtest import *

NOW = "2026-11-23T12:00:00Z"
def intel(*args, rc=None, now=NOW):
    return ward("intel", args[0], "--data", "d", "--now", now, *args[1:], check_rc=rc)
def out(p): return p.stdout.decode()
def err(p): return p.stderr.decode()

open("refs.csv", "w").write(
    "ref,email,ip,ip_port,ip_time,ip_zone\n"
    "R1,fake.one@example.invalid,192.0.2.10,51234,2026-11-01 09:15:00,+01:00\n"
    "R2,fake.two@example.invalid,198.51.100.7,,2026-11-02T10:00:00Z,\n"
    "R3,fake.three@example.invalid,2001:DB8::0:1,,2026-11-03 11:00:00,UTC\n"
    "R4,fake.four@example.invalid,192.0.2.20,,2026-11-04 12:00:00,\n"          # no zone
    "R5,fake.five@example.invalid,192.0.2.10,51234,2026-11-01 08:15:00,UTC\n"  # = R1's lookup
    "R6,fake.six@example.invalid,203.0.113.50,,2026-11-04 12:00:00,UTC\n"      # no provider
    "R7,fake.seven@example.invalid,198.51.100.200,,04/05/2026 10:00,UTC\n"     # D/M ambiguous
    "R8,fake.eight@example.invalid,198.51.100.77,443,2026-11-05 10:00:00,-05:00\n")
intel("ingest", "--source", "op-isp", "refs.csv", rc=0)
intel("update", rc=0)

# ---- the provider table --------------------------------------------------
good = ("provider,range,asn,asn_name\n"
        "Example Telecom,192.0.2.0/24,AS64496,EXAMPLE-TEL\n"
        "Example Telecom,2001:db8::/32,AS64496,EXAMPLE-TEL\n"
        "Sample Broadband,198.51.100.0/24,64497,SAMPLE-BB\n"
        "Sample Business,198.51.100.0/28,64498,SAMPLE-BIZ\n")
open("ranges.csv", "w").write(good)
intel("isp", "build", "--legal-basis", "X", rc=3)            # no table yet
p = intel("isp", "ranges", "ranges.csv", rc=0)
expect("4 ranges of 3 providers" in out(p), out(p))
open("bad.csv", "w").write(good.replace("Sample Broadband,198.51.100.0/24",
                                        "Sample Broadband,198.51.100.9/24"))
p = intel("isp", "ranges", "bad.csv", rc=3)
expect("bad.csv:4: field 'range': '198.51.100.9/24' has address bits set" in err(p), err(p))
open("bad.csv", "w").write(good + "Other,2001:db8::/32,,\n")
p = intel("isp", "ranges", "bad.csv", rc=3)
expect("bad.csv:6: field 'range'" in err(p) and "Example Telecom's" in err(p), err(p))
open("bad.csv", "w").write(good + "Other,192.0.2.0/33,,\n")
p = intel("isp", "ranges", "bad.csv", rc=3)
expect("bad.csv:6: field 'range'" in err(p) and "0 to 32" in err(p), err(p))
r = jsonl(intel("isp", "ranges", "--jsonl", rc=0).stdout)   # the table in force is kept
expect(len(r) == 4 and r[0]["file"] == "ranges.csv", r)

# ---- batches ---------------------------------------------------------------
intel("isp", "build", rc=2)                                  # no legal basis
intel("isp", "build", "--legal-basis", "X", "--provider", "Nobody", rc=3)
p = intel("isp", "build", "--legal-basis", "IPA-2016/AUTH/0001", rc=1)
o, e = out(p), err(p)
expect("3 batches, 4 requests (1 duplicates asked once)" in o, o)
expect("2 with a quarantined or ambiguous time" in o and "1 in no provider's range" in o, o)
expect("203.0.113.50 is in no provider's range" in e, e)
expect("192.0.2.20 at '2026-11-04 12:00:00' not sent: time quarantined" in e, e)
b = {x["provider"]: x for x in jsonl(intel("isp", "batches", "--jsonl", rc=0).stdout)}
expect(b["Example Telecom"]["requests"] == 2 and b["Sample Business"]["requests"] == 1, b)
tel, biz = b["Example Telecom"]["batch"], b["Sample Business"]["batch"]
csv = out(intel("isp", "export", str(tel), "--format", "csv", rc=0))
expect("2001:DB8::0:1,2001:db8::1,,2026-11-03 11:00:00 UTC,2026-11-03T11:00:00Z" in csv, csv)
expect("192.0.2.10,192.0.2.10,51234,2026-11-01 09:15:00 +01:00,2026-11-01T08:15:00Z" in csv,
       csv)
expect("IPA-2016/AUTH/0001" in csv and "S0000" not in csv and "fake" not in csv, csv)
j = json.loads(out(intel("isp", "export", str(biz), "--format", "json", rc=0)))
expect(j["requests"][0]["ip"] == "198.51.100.7" and j["requests"][0]["range"]
       == "198.51.100.0/28", j)                              # the longest range wins
html = out(intel("isp", "export", str(tel), "--format", "html", rc=0))
expect("<h1>Subscriber request batch" in html and "IPA-2016/AUTH/0001" in html, html[:300])
p = intel("isp", "build", "--legal-basis", "IPA-2016/AUTH/0001", rc=1)   # asked once
expect("0 batches, 0 requests" in out(p), out(p))
reqs = {}
for line in csv.splitlines()[1:]:
    f = line.split(",")
    reqs[f[3]] = f[0]

# ---- answers -----------------------------------------------------------------
head = "request,outcome,answered,provider_ref,name,address,postcode\n"
open("ans.csv", "w").write(
    head + f"{reqs['192.0.2.10']},found,2026-11-30,ET-1,Alex Fakename,"
    "\"1 Example Road, Testtown\",ZZ9 9ZZ\n"
    f"{reqs['2001:DB8::0:1']},no trace,2026-12-01,,,,\n"
    f"{j['requests'][0]['request']},wrong-zone,2026-12-02,,,,\n")
open("bad.csv", "w").write(open("ans.csv").read() + "99,maybe,2026-12-03,,,,\n")
p = intel("isp", "answers", "bad.csv", rc=3)
expect("bad.csv:5: field 'outcome': 'maybe'" in err(p), err(p))
open("bad.csv", "w").write(head + f"{reqs['2001:DB8::0:1']},no-trace,04/05/2026,,,,\n")
p = intel("isp", "answers", "bad.csv", rc=3)
expect("bad.csv:2: field 'answered'" in err(p), err(p))
b = jsonl(intel("isp", "batches", "--jsonl", rc=0).stdout)
expect(sum(x["answered"] for x in b) == 0, b)                # nothing stored
grade = {s["subject"]: s["grade"] for s in jsonl(intel("subjects", "--jsonl", rc=0).stdout)}
p = intel("isp", "answers", "ans.csv", rc=0, now="2026-12-10T09:00:00Z")
o = out(p)
m = re.search(r"(S\d+): ISP request \d+ to Example Telecom \(192.0.2.10 at 2026-11-01 09:15:00"
              r" \+01:00\): subscriber found \(Alex Fakename.*grade (\w) -> (\w)", o)
expect(m and m.group(2) == grade[m.group(1)] and m.group(3) < m.group(2), o)
found_subject = m.group(1)
expect("not joined (a subscriber is an account, not a person)" in o, o)   # R5, same lookup
s = out(intel("subject", found_subject, rc=0))
expect("isp-answer" in s and "from isp:Example Telecom" in s and "ALEX FAKENAME" in s, s)
intel("isp", "answers", "ans.csv", rc=3)                     # answered already
q = out(intel("quarantine", rc=0))
expect("suspected the wrong time zone" in q, q)
vid = re.search(r"(\d+)\s+refs.csv:3: ip_time .*wrong time zone", q).group(1)
intel("clarify", vid, "2026-11-02T09:00:00Z", "--reason", "server clock on UTC+1", rc=0,
      now="2026-12-11T09:00:00Z")
p = intel("isp", "build", "--legal-basis", "IPA-2016/AUTH/0002", rc=1,
          now="2026-12-11T10:00:00Z")
expect("1 batches, 1 requests" in out(p), out(p))             # settled: asked again

# ---- KPIs and alerts -----------------------------------------------------------
k = json.loads(out(intel("kpi", "--json", rc=0, now="2026-12-11T10:00:00Z")))
isp = {x["provider"]: x for x in k["isp"]}
expect(isp["Example Telecom"]["no_trace_rate"] == 0.5 and isp["Example Telecom"]["on_time"]
       == 2, isp)
expect(isp["Sample Business"]["wrong_zone"] == 1 and isp["Sample Business"]["outstanding"]
       == 1, isp)
p = intel("alerts", rc=1, now="2027-01-30T10:00:00Z")
expect("isp-overdue" in out(p) and "to Sample Business: 1 request unanswered" in out(p), out(p))

# ---- disposal takes the requests with it ----------------------------------------
intel("retain", found_subject, "--dispose", "--reason", "test: NFA", rc=0,
      now="2027-02-01T10:00:00Z")
p = intel("dispose", found_subject, "--confirm", "--by", "tester", "--reason", "test", rc=0,
          now="2027-02-01T10:00:01Z")
expect("1 ISP answers, 1 ISP requests" in out(p), out(p))
print("ok")
PY
