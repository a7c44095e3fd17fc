#!/bin/bash
# CyberTipline reports end to end (issue 24 item 5): match events from a
# real `ward serve` confirmed by a reviewer, exported as <report> and
# <fileDetails> XML that xmllint validates against `ward tipline schema`,
# and submitted to a mock of the reporting API (tests/e2e/tipline_mock.py)
# that checks every call and fails on purpose: save failures and a refused
# report answered with their codes, a dropped upload, a gateway error with
# no answer, a finish whose answer comes too late, wrong credentials, no
# server at all. At the end "NCMEC" holds each report once, each file once,
# every report finished or held/failed as the test expects, and the audit
# chain is intact. The only file sent is a benign synthetic one (a few
# bytes of text) that the test makes a list entry of: never an image.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import hashlib, json, os, re, subprocess, sys, time
from wardtest import *
import tipline_mock

use_data(user="test-admin")
t0 = time.time()

# ---- a list entry for a benign synthetic file, and four confirmed events ----
FILE = b"ward test file: benign synthetic bytes, not an image\n"
open("synthetic.bin", "wb").write(FILE)
ward("hash", "--hashdeep", "-o", "syn.hd", "synthetic.bin", check_rc=0)
ward("db", "import", "--list", "test-list", "--category", "1", "syn.hd", check_rc=0)
def key(name, scopes):
    return ward("apikey", "add", "--name", name, "--scopes", scopes, "--rate", "1000",
                check_rc=0).stdout.decode().strip()
K_MATCH, K_REVIEW, K_SUBMIT = key("pa", "match"), key("rv", "review"), key("ev", "submit")
PORT = serve_start("d", "--reporter", "Example Platform Ltd")
MD5 = hashlib.md5(FILE).hexdigest()

def event(content, account, time_, ip="198.51.100.23", port="40022"):
    body = {"hashes": [{"hash": "md5:" + MD5.upper(), "id": "ref-" + account}],
            "context": {"content_id": content,
                        "account": {"id": account, "screen_name": "test_user_" + account,
                                    "email": account + "@example.invalid"},
                        "upload": {"ip": ip, "port": port, "time": time_, "event": "upload"},
                        "ip_events": [{"ip": ip, "port": port, "time": time_, "event": "upload"},
                                      {"ip": "2001:db8::7", "time": "2026-11-20 08:00:00 +0100",
                                       "event": "login"}]}}
    st, r = api(PORT, "/v1/match", K_MATCH, json.dumps(body))
    r = json.loads(r)
    expect(st == 200 and r["event_id"], f"event {st} {r}")
    return r["event_id"]

def review(ev, viewed):
    st, r = api(PORT, "/v1/reviews", K_REVIEW, json.dumps(
        {"event_id": ev, "reviewer": "R. Viewer", "decision": "confirm", "viewed": viewed}))
    r = json.loads(r)
    expect(st == 201 and r["report_id"], f"review {st} {r}")
    return r["report_id"]

ev_a = event("c-A", "u-A", "2026-11-23 09:14:05 -0500")       # with the file, viewed
ev_b = event("c-B", "u-B", "23/11/2026 09:14")                 # no zone, no file
ev_c = event("c-C", "u-C", "2026-11-23T14:14:05Z")             # will be refused
ev_d = event("c-D", "u-D", "2026-11-24T10:00:00+01:00", port="not-a-port")
def evidence(ev):  # the platform hands over the (synthetic) file of an event
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    c.request("POST", f"/v1/events/{ev}/evidence", body=FILE,
              headers={"Authorization": "Bearer " + K_SUBMIT,
                       "Content-Type": "application/octet-stream"})
    r = c.getresponse(); r.read(); c.close()
    expect(r.status == 201, f"evidence filed {r.status}")
evidence(ev_a)
rep_a, rep_b, rep_c, rep_d = review(ev_a, True), review(ev_b, False), review(ev_c, False), \
    review(ev_d, False)

# ---- export: XML that validates against the schema ward prints ----
open("ct.xsd", "wb").write(ward("tipline", "schema", check_rc=0).stdout)
REP = ["--reporter-email", "reports@example.invalid", "--reporter-first", "Test",
       "--reporter-last", "Reporter"]
def xmllint(path):
    p = subprocess.run(["xmllint", "--noout", "--schema", "ct.xsd", path], capture_output=True)
    expect(p.returncode == 0, f"{path} validates: {p.stderr.decode()}")
ward("tipline", "export", str(rep_a), *REP, "--out", "a.xml", check_rc=0)
xmllint("a.xml")
a = open("a.xml").read()
for want in ["<incidentDateTime>2026-11-23T09:14:05-05:00</incidentDateTime>",
             "as the platform logged it: 2026-11-23 09:14:05 -0500",
             "<espIdentifier>u-A</espIdentifier>", "<ipAddress>2001:db8::7</ipAddress>",
             "<eventName>Login</eventName>", "<dateTime>2026-11-20T08:00:00+01:00</dateTime>",
             "<email>reports@example.invalid</email>", "list test-list, category 1",
             "that person viewed the file", "1 file uploaded with this report",
             "md5:" + MD5.upper()]:
    expect(want in a, f"export A holds {want!r}:\n{a}")
expect("fileViewedByEsp" not in a, "fileViewedByEsp belongs to fileDetails")
p = ward("tipline", "export", str(rep_b), *REP, "--out", "b.xml", check_rc=1)
xmllint("b.xml")
b = open("b.xml").read()
expect("no zone or is not a time" in p.stderr.decode() and "<incidentDateTime>" not in b
       and "23/11/2026 09:14" in b and "No file uploaded" in b and "did not view" in b,
       f"export B: time kept as written, not guessed: {p.stderr.decode()}\n{b}")
p = ward("tipline", "export", str(rep_d), *REP, check_rc=1)
expect("port 'not-a-port'" in p.stderr.decode() and b"port not-a-port" in p.stdout,
       "a port that is not a number is kept in additionalInfo and named")
ward("tipline", "export", "999", *REP, check_rc=3)
ward("tipline", "export", str(rep_a), check_rc=2)              # no reporter email
p = ward("tipline", "submit", str(rep_a), "--password", "x", check_rc=2)  # never on argv
expect("--password-file" in p.stderr.decode(), p.stderr.decode())
p = ward("tipline", "export", str(rep_a), *REP, "--file", hashlib.sha256(FILE).hexdigest(),
         check_rc=3)
expect("no NCMEC ids yet" in p.stderr.decode(), "fileDetails only after the upload")

# ---- submit against the mock ----
USER, PW = "ward-test", "s3cret-test-password"
open("pw", "w").write(PW + "\n")
script = {"/submit": [("code", 1100), "ok",     # A: save failed -> retried
                      "502",                    # B: gateway error, no answer -> held
                      ("code", 4100)],          # C: validation failed -> failed
          "/upload": ["drop"],                  # A: dropped -> held (it did not arrive)
          "/fileinfo": [("code", 1000)],        # A: server error -> retried
          "/finish": [("slow", 1.5)]}           # A: answer too late -> finish again: 5102
srv, MPORT, L = tipline_mock.start(os.path.abspath("ct.xsd"), USER, PW, script)
URL = f"http://127.0.0.1:{MPORT}/ispws"
SUB = ["--endpoint", URL, "--user", USER, "--password-file", "pw", *REP,
       "--retry-delay", "0.05", "--timeout", "1"]

# wrong credentials: refused, nothing recorded
open("badpw", "w").write("wrong\n")
p = ward("tipline", "submit", str(rep_c), "--endpoint", URL, "--user", USER, "--password-file",
         "badpw", *REP, check_rc=3)
expect("refused the credentials" in p.stderr.decode(), p.stderr.decode())
st = ward("tipline", "status", check_rc=0).stdout.decode()
expect(st.count("\tnew\t") == 4, f"nothing recorded after refused credentials:\n{st}")

# no server: certainly not sent, retried, the claim dropped (pending)
p = ward("tipline", "submit", str(rep_c), "--endpoint", "http://127.0.0.1:9/ispws",
         "--user", USER, "--password-file", "pw", *REP, "--retries", "1",
         "--retry-delay", "0.01", check_rc=1)
expect("pending" in p.stdout.decode() and "nothing saved" in p.stdout.decode(), p.stdout.decode())

p = ward("tipline", "submit", "--all", *SUB, check_rc=1)
out = p.stdout.decode()
expect(re.search(rf"report {rep_a}: held ncmec 9\d+: upload went out and no answer came", out),
       f"A submitted after a 1100, upload dropped -> held:\n{out}\n{p.stderr.decode()}")
expect(re.search(rf"report {rep_b}: held: submit went out and no answer came", out),
       f"B held after a 502:\n{out}")
expect(re.search(rf"report {rep_c}: failed: NCMEC refused the submit: code 4100", out),
       f"C refused:\n{out}")
expect(re.search(rf"report {rep_d}: finished ncmec 9\d+", out), f"D finished:\n{out}")

# a second run sends nothing held, failed or finished again
ncalls = len(L.calls)
p = ward("tipline", "submit", "--all", *SUB, check_rc=1)
expect(len(L.calls) == ncalls, f"no call made for held/failed/finished: {L.calls[ncalls:]}")
st = ward("tipline", "status", check_rc=1).stdout.decode()
expect(re.search(rf"report {rep_a}\theld", st) and re.search(rf"report {rep_b}\theld", st)
       and re.search(rf"report {rep_c}\tfailed", st) and re.search(rf"report {rep_d}\tfinished", st),
       f"status:\n{st}")

# a person checks: the upload and B's submit did not arrive (the ledger says
# so), and resends; A's finish answer comes too late, so finish is sent again
# and answered 5102 "already finished", which is done.
expect(all(not r["files"] for r in L.reports.values()), "the dropped upload saved nothing")
expect(len(L.reports) == 2, f"A and D at NCMEC, B not: {len(L.reports)}")
ward("tipline", "submit", "--all", *SUB, "--resend", check_rc=2)  # a person checks each
p = ward("tipline", "submit", str(rep_a), str(rep_b), *SUB, "--resend", check_rc=0)
out = p.stdout.decode()
expect(re.search(rf"report {rep_a}: finished ncmec", out) and
       re.search(rf"report {rep_b}: finished ncmec", out), f"resent:\n{out}\n{p.stderr.decode()}")
expect(("/finish", "5102") in L.calls, f"finish answered late, then 5102: {L.calls}")
ward("tipline", "submit", str(rep_a), *SUB, check_rc=0)           # finished: nothing sent
expect(len([c for c in L.calls if c[0] == "/submit" and c[1] == "0"]) == 3, "3 reports made")

# ---- what "NCMEC" holds: each report once, the file once, nothing else ----
expect(not L.errors, f"the mock saw no protocol error: {L.errors}")
by_ward = {}
for rid, r in L.reports.items():
    m = re.search(r"Report (\d+) of the ward match service", r["xml"])
    by_ward.setdefault(int(m.group(1)), []).append(rid)
    expect(r["finished"], f"NCMEC report {rid} finished")
expect(sorted(by_ward) == sorted([rep_a, rep_b, rep_d]) and
       all(len(v) == 1 for v in by_ward.values()), f"each report once: {by_ward}")
ra = L.reports[by_ward[rep_a][0]]
expect(len(ra["files"]) == 1, f"the file once: {list(ra['files'])}")
f = list(ra["files"].values())[0]
expect(f["bytes"] == FILE, "the bytes sent are the synthetic evidence file, nothing else")
expect("<fileViewedByEsp>true</fileViewedByEsp>" in f["details"] and
       f"<originalFileHash hashType=\"MD5\">{MD5}</originalFileHash>" in f["details"],
       f"fileDetails: {f['details']}")
expect(all(not L.reports[by_ward[r][0]]["files"] for r in (rep_b, rep_d)),
       "reports without evidence sent no file")
sha = hashlib.sha256(FILE).hexdigest()
ward("tipline", "export", str(rep_a), "--file", sha, "--out", "fa.xml", check_rc=0)
xmllint("fa.xml")
expect(f"<reportId>{by_ward[rep_a][0]}</reportId>" in open("fa.xml").read(), "export --file ids")

# a context value holding U+0000 is carried whole (escaped, with a notice),
# not cut where a C string would end; other Unicode passes as it is
ev_e = event("c-E\u0000tail", "uE\u00eb", "2026-11-25T08:00:00Z")
rep_e = review(ev_e, False)
p = ward("tipline", "export", str(rep_e), *REP, "--out", "e.xml", check_rc=1)
xmllint("e.xml")
e = open("e.xml", encoding="utf-8").read()
expect("c-E\\x00tail" in e and "<espIdentifier>uE\u00eb</espIdentifier>" in e and
       "XML cannot carry" in p.stderr.decode(), f"NUL kept, escaped: {p.stderr.decode()}\n{e}")

# a held submit and a held upload that DID arrive (a gateway lost the
# answers): a person finds them at NCMEC and gives ward their ids; ward
# carries on, and NCMEC still holds the report and the file once
ev_f = event("c-F", "u-F", "2026-11-26T08:00:00Z")
evidence(ev_f)
rep_f = review(ev_f, False)
script["/submit"].append("502saved")
script["/upload"].append("502saved")
p = ward("tipline", "submit", str(rep_f), *SUB, check_rc=1)
expect(f"report {rep_f}: held" in p.stdout.decode(), p.stdout.decode())
ward("tipline", "submit", str(rep_a), *SUB, "--ncmec-id", "1", check_rc=3)  # nothing held
nid = [rid for rid, r in L.reports.items() if f"Report {rep_f} of the ward" in r["xml"]]
expect(len(nid) == 1, f"the lost answer's report is at NCMEC once: {nid}")
p = ward("tipline", "submit", str(rep_f), *SUB, "--ncmec-id", nid[0], check_rc=1)
expect(f"report {rep_f}: held ncmec {nid[0]}: upload went out" in p.stdout.decode() and
       "--file-id ID (it did)" in p.stdout.decode(), p.stdout.decode())
fid = list(L.reports[nid[0]]["files"])
expect(len(fid) == 1, f"the file at NCMEC once: {fid}")
p = ward("tipline", "submit", str(rep_f), *SUB, "--file-id", fid[0], check_rc=0)
expect(f"report {rep_f}: finished ncmec {nid[0]}" in p.stdout.decode(), p.stdout.decode())
rf = L.reports[nid[0]]
expect(rf["finished"] and len(rf["files"]) == 1 and
       "<fileViewedByEsp>false</fileViewedByEsp>" in rf["files"][fid[0]]["details"] and
       sum(f"Report {rep_f} of the ward" in r["xml"] for r in L.reports.values()) == 1,
       "F finished at NCMEC with its one file, nothing sent twice")
expect(not L.errors, f"the mock saw no protocol error: {L.errors}")

audit = ward("audit", "verify", check_rc=0).stdout.decode()
expect("intact" in audit, audit)
srv.shutdown()
print(f"tipline: ok ({time.time() - t0:.1f} s)")
PY
