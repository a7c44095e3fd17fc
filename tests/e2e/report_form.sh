#!/bin/bash
# The public report form and the duty queue end to end (issue 24, items 1-3):
# a real `ward serve` with an encrypted intelligence store. The form needs
# no login and no cookie and is structurally accessible (a label for every
# field, a legend for every question, the page's language, one h1, no
# script); a report gets a receipt number, and the answers never show in
# intel.db's bytes (encrypted at rest). An urgent answer ("in danger now")
# puts it at the top of the duty queue at once, and an urgent referral
# ingested from a file is there within 60 seconds (on the next view); the
# duty officer's checklist steps are recorded with who and when, a step
# without its detail is refused, an entry nobody acknowledges is escalated
# after the configured time, and every step is in the audit log. Bad input
# (an address that is not one, invalid UTF-8, a script, an oversized
# answer, a flood of bytes) gets a clear answer naming the field and is
# shown escaped; the honeypot stores nothing; the per-address limit answers
# 429. The answer to a report naming a known person is the same as any
# other. A report becomes a referral of source "public" with its typology,
# urgent ones Very High after 'ward intel update'. The form in a browser,
# with the keyboard and axe-core, is report_a11y.sh.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import json, os, re, subprocess, sys, time
from html.parser import HTMLParser
from wardtest import *

use_data(user="test-admin")
PW = "correct horse battery staple"
t0 = time.time()
os.makedirs("d", exist_ok=True)
PG = on_postgres()   # there, encryption at rest is the server's (docs/postgresql.md)
if not PG:
    ward("intel", "key", "generate", "intel.key", check_rc=0)
    os.environ["WARD_INTEL_KEY_FILE"] = os.path.abspath("intel.key")
ward("db", "import", "--list", "vic", "--category", "1",
     os.path.join(DATA, "hashsets/pdq.txt"), check_rc=0)   # ward serve wants a store
# someone already known, to show the form never tells
open("known.csv", "w").write("ref,name,screen_name,postcode\n"
                             "K1,Knowny Testperson,chatapp:knownperson,CF10 1AA\n")
ward("intel", "ingest", "--source", "op-known", "--not-bulk", "known.csv", check_rc=0)
for name, role in (("nat", "national-analyst"), ("aud", "auditor"),
                   ("duty-inspector", "national-analyst")):
    ward("users", "add", "--role", role, "--unit", "national", name,
         stdin=(PW + "\n").encode(), check_rc=0)
# an urgent referral that landed 20 minutes ago and nobody has looked at:
# the server's own sync (no page viewed) escalates it and says so in its log
old = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 20 * 60))
open("old.csv", "w").write("ref,name,typology\nO1,Oldy Testcase,threats\n")
ward("intel", "ingest", "--source", "op-old", "--not-bulk", "old.csv", "--now", old,
     check_rc=0)
PORT = serve_start(os.environ["WARD_DATA"], "--report-per-hour", "6")
for _ in range(100):
    log = open(os.path.join(os.path.dirname(os.environ["WARD_DATA"]), "d.log")).read()
    if "escalated to duty-manager" in log:
        break
    time.sleep(0.05)
expect("1 urgent entry not acknowledged within 15 minutes, escalated to duty-manager" in log,
       f"the server escalates on its own: {log}")

# ---- the form: no login, no cookie, structurally accessible ----
class Form(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.ids, self.label_for, self.controls = [], set(), set(), []
        self.lang, self.h1, self.legends, self.fieldsets, self.in_label = None, 0, 0, 0, 0
        self.wrapped = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if "id" in a: self.ids.add(a["id"])
        if tag == "html": self.lang = a.get("lang")
        if tag == "h1": self.h1 += 1
        if tag == "legend": self.legends += 1
        if tag == "fieldset": self.fieldsets += 1
        if tag == "label":
            self.in_label += 1
            if "for" in a: self.label_for.add(a["for"])
        if tag in ("input", "textarea", "select") and a.get("type") != "hidden":
            self.controls.append(a)
            self.wrapped.append(self.in_label > 0)
    def handle_endtag(self, tag):
        if tag == "label": self.in_label -= 1

def check_structure(page, what, form=True):
    f = Form(); f.feed(page)
    expect(f.lang == "en", f"{what}: html lang")
    expect(f.h1 == 1, f"{what}: one h1")
    expect(f.fieldsets == f.legends and (f.fieldsets or not form),
           f"{what}: a legend for every fieldset")
    expect("script" not in f.tags, f"{what}: works without JavaScript")
    for c, wrapped in zip(f.controls, f.wrapped):
        expect(wrapped or c.get("id") in f.label_for, f"{what}: no label for {c}")
    for ref in re.findall(r'aria-describedby="([^"]*)"', page):
        for i in ref.split():
            expect(i in f.ids, f"{what}: aria-describedby names a missing id {i}")
    return f

st, page, r = http_req(PORT, "GET", "/report")
expect(st == 200 and r.getheader("Set-Cookie") is None, f"the form needs no session: {st}")
check_structure(page, "form")
expect("call 999" in page and "do not send pictures or videos" in page, "safety and why no uploads")
expect('type="file"' not in page, "no upload field")

def report(form, status=200):
    st, page, r = http_req(PORT, "POST", "/report", form)
    expect(st == status, f"report {form}: {st} {page[-1500:]}")
    return page, r

def receipt(page):
    m = re.search(r"R-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z*~$=]", page)
    expect(m, f"a receipt number: {page[-800:]}")
    return m.group(0)

# ---- bad input: a clear answer naming the field, shown escaped, nothing stored ----
page, _ = report({"urls": "not a link", "description": "<script>alert(1)</script>"}, 400)
expect('id="urls"' in page and re.search(r'id="urls"[^>]*aria-invalid="true"', page),
       "the address field is marked")
expect("should start with http" in page, "the reason in plain words")
expect("&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page,
       "what was typed comes back, escaped")
check_structure(page, "error page")
page, _ = report({"description": "x" * 6001}, 400)
expect("too long" in page and re.search(r'id="description"[^>]*aria-invalid', page), "size")
import http.client
def raw_post(body):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    c.request("POST", "/report", body=body,
              headers={"Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse(); data = r.read().decode(errors="replace"); c.close()
    return r.status, data
st, page = raw_post(b"description=caf%FF%FE&urls=")
expect(st == 400 and "cannot read" in page, f"invalid UTF-8: {st}")
st, page = raw_post(b"description=" + b"A" * (70 * 1024))
expect(st == 413, f"a flood of bytes is refused: {st}")
page, _ = report({"about": "me"}, 400)
expect("tell us what happened" in page, "an empty report")

# ---- the honeypot: the same answer, nothing stored ----
page, _ = report({"description": "buy cheap things", "website": "http://spam.example.invalid"})
fake = receipt(page)

# ---- reports: the answer never says whether anyone is known ----
page1, _ = report({"about": "someone", "danger": "no", "meeting": "no",
                   "w_sexual_chat": "yes", "who": "chatapp:knownperson",
                   "urls": "https://chat.example.invalid/u/knownperson",
                   "description": "They keep messaging my sister."})
page2, _ = report({"about": "someone", "danger": "no", "meeting": "no",
                   "w_sexual_chat": "yes", "who": "chatapp:nobodyyet",
                   "urls": "https://chat.example.invalid/u/nobodyyet",
                   "description": "They keep messaging my brother."})
r1, r2 = receipt(page1), receipt(page2)
expect(page1.replace(r1, "R") == page2.replace(r2, "R"), "the same answer, known or not")
check_structure(page1, "receipt page", form=False)

# ---- urgent: at the top of the duty queue at once ----
t_urgent = time.time()
page, _ = report({"about": "me", "danger": "yes", "w_asked_images": "yes",
                  "urls": "https://chat.example.invalid/u/scary\nhttps://pics.example.invalid/a",
                  "description": "He says he is coming to my school today. <b>help</b>",
                  "age": "13"})
urgent = receipt(page)
expect("straight to the officer on duty" in page, "the reporter is told it went to the duty officer")
nat = web_login(PORT, "nat", PW)
st, duty, _ = http_req(PORT, "GET", "/duty", None, nat)
expect(st == 200, f"duty page {st}")
first = re.search(r'<section class="duty[^"]*" id="duty-(\d+)"><h2>([^<]*)', duty)
expect(first and urgent in first.group(2), f"the urgent report is first: {duty[:2000]}")
expect(time.time() - t_urgent < 60, "within 60 seconds")
expect("Not acknowledged" in duty, "and not yet acknowledged")
urgent_id = first.group(1)
expect(r1 not in duty and r2 not in duty, "non-urgent reports are not on the duty queue")
expect("He says he is coming to my school today. &lt;b&gt;help&lt;/b&gt;" in duty
       and "https://chat.example.invalid/u/scary<br>https://pics.example.invalid/a" in duty
       and 'href="https://chat' not in duty, "the duty officer reads the report, escaped, "
                                              "addresses as text")

# an urgent referral from a file: on the queue, at the top, within 60 seconds
open("urgent.csv", "w").write("ref,name,typology,screen_name\n"
                              "U1,Urgenty Testcase,meeting_planned,chatapp:meetsoon\n")
t_ref = time.time()
ward("intel", "ingest", "--source", "op-urgent", "--not-bulk", "urgent.csv", check_rc=0)
st, duty, _ = http_req(PORT, "GET", "/duty", None, nat)
first = re.search(r'<section class="duty[^"]*" id="duty-(\d+)"><h2>([^<]*)', duty)
expect(first and "Referral U1" in first.group(2), f"the urgent referral on top: {duty[:1500]}")
print(f"urgent referral on the duty page {time.time() - t_ref:.2f} s after ingest")
expect(time.time() - t_ref < 60, "within 60 seconds")
ref_id = first.group(1)

# the checklist: each step with who and when; a step needs its detail; CSRF
csrf = re.search(r'name="csrf" value="(\w+)"', duty).group(1)
def step(entry, name, detail=None, status=303):
    form = {"csrf": csrf}
    if detail is not None:
        form["detail"] = detail
    st, page, _ = http_req(PORT, "POST", f"/duty/{entry}/{name}", form, nat)
    expect(st == status, f"step {name} on {entry}: {st} {page[-600:]}")
    return page
step(urgent_id, "acknowledged")
page = step(urgent_id, "control_room", "", 400)
expect("needs which force" in page, "a step without its detail is refused")
step(urgent_id, "control_room", "Testshire Police control room, ref CR-0001")
step(urgent_id, "told", "Duty inspector Testperson, by phone at 10:02")
step(urgent_id, "acknowledged", None, 400)       # once only
st, page, _ = http_req(PORT, "POST", f"/duty/{urgent_id}/acknowledged", {"csrf": "0" * 64}, nat)
expect(st == 403, "a step without the session's token is refused")
step(urgent_id, "closed", "Child safeguarded by Testshire Police")
step(urgent_id, "note", "late note", 400)        # closed

queue = jsonl(ward("report", "duty", "--closed", check_rc=0).stdout)
entry = [e for e in queue if str(e["id"]) == urgent_id][0]
expect([s["step"] for s in entry["steps"]] == ["acknowledged", "control_room", "told", "closed"]
       and all(s["by"] == "nat" and s["at"] for s in entry["steps"]), entry)
expect(entry["acknowledged_by"] == "nat" and entry["closed_at"], entry)
st, duty, _ = http_req(PORT, "GET", "/duty", None, nat)
sec = duty[duty.index(f'id="duty-{urgent_id}"'):]
sec = sec[:sec.index("</section>")]
expect("Done: Force control room contacted" in sec and "To do: Crime report sent" in sec
       and "min after arrival) by nat" in sec, f"the timed checklist: {sec}")

# escalation: the referral nobody acknowledged, after the configured time
later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 11 * 60))
p = ward("report", "duty", "--now", later, "--escalate-minutes", "20")
expect(p.returncode == 0, "not yet at 20 minutes")
p = ward("report", "duty", "--now", later, "--escalate-minutes", "10",
         "--escalate-to", "duty-inspector")
expect(p.returncode == 1 and b"escalated to duty-inspector" in p.stderr, p.stderr)
e = [x for x in jsonl(p.stdout) if str(x["id"]) == ref_id][0]
expect(e["escalated_to"] == "duty-inspector" and e["steps"][-1]["step"] == "escalated", e)
expect(ward("report", "duty", "--now", later, "--escalate-minutes", "10").returncode == 0,
       "escalated once")
p = ward("report", "step", ref_id, "control_room", check_rc=2)
ward("report", "step", ref_id, "control_room", "--detail", "Testshire Police, ref CR-0002",
     check_rc=0)

# ---- into triage, stored encrypted ----
ward("intel", "update", check_rc=0)
subs = json.loads(ward("intel", "subjects", "--json", check_rc=0).stdout)
urgent_subject = [s for s in subs if "imminent_risk" in s["factors"]]
expect(urgent_subject and urgent_subject[0]["band"] == "Very High", subs)
expect("incitement" in urgent_subject[0]["factors"], "typology from the answers")
shown = ward("intel", "subject", urgent_subject[0]["subject"], check_rc=0).stdout.decode()
expect(urgent in shown and "https://chat.example.invalid/u/scary" in shown, shown[:1500])
if not PG:
    raw = b"".join(open(os.path.join("d", f), "rb").read() for f in os.listdir("d")
                   if f.startswith("intel.db"))
    expect(b"coming to my school" not in raw and b"knownperson" not in raw,
           "the answers are encrypted at rest")

# ---- audited: each step in the service's chain, the escalation on the page ----
st, page, _ = http_req(PORT, "GET", "/duty", None, nat)
expect(st == 200 and "Escalated to duty-inspector" in page, "the escalation shows")
expect(f'href="/subject/{urgent_subject[0]["subject"]}"' in page, "resolved: its subject")
expect("escalated to you" not in page, "not nat's")
st, page, _ = http_req(PORT, "GET", "/duty", None, web_login(PORT, "duty-inspector", PW))
expect("1 urgent entry was escalated to you" in page, "the second person is told")
aud = web_login(PORT, "aud", PW)
st, page, _ = http_req(PORT, "GET", "/audit?q=web.duty.step", None, aud)
for s_ in ("acknowledged", "control_room", "told", "closed"):
    expect(s_ in page, f"audited: {s_}")
st, page, _ = http_req(PORT, "GET", "/audit?q=report.honeypot", None, aud)
expect("report.honeypot" in page, "the honeypot is audited")
ward("audit", "verify", check_rc=0)

# ---- feedback letters on the web (the CLI's in report_feedback.sh) ----
st, page, r = http_req(PORT, "GET", "/feedback/op-known", None, nat)
expect(st == 200 and "Feedback on your referrals" in page and "<script" not in page, page[:500])
check_structure(page, "letter", form=False)
st, page, r = http_req(PORT, "GET", "/feedback/op-known?format=json", None, nat)
expect(st == 200 and json.loads(page)["receipts"][0]["referrals"] == 1, page)
st, page, r = http_req(PORT, "GET", "/feedback/nobody", None, nat)
expect(st == 404, f"no such source: {st}")
st, page, r = http_req(PORT, "GET", "/feedback", None, nat)
row = re.search(r"<tr[^>]*><td>op-known</td><td>(\d+)</td><td>(\d+)</td>", page)
expect(st == 200 and row and row.group(2) == "0" and "Mark as sent" in page, page[-1500:])
st, page, r = http_req(PORT, "POST", "/feedback/op-known/sent", {"csrf": csrf}, nat)
expect(st == 303 and r.getheader("Location") == "/feedback", f"marked sent: {st}")
st, page, r = http_req(PORT, "GET", "/feedback", None, nat)
row2 = re.search(r"<tr[^>]*><td>op-known</td><td>(\d+)</td><td>(\d+)</td>", page)
expect(row2 and row2.group(2) == row.group(1), f"all sent: {page[-1500:]}")
st, page, r = http_req(PORT, "GET", "/feedback/op-known", None, aud)
expect(st == 403, f"an auditor is not the referrals desk: {st}")
print(f"http checks: {time.time() - t0:.1f} s")

# ---- the rate limit: 6 stored reports an hour from one address ----
# (the honeypot's answer counts; corrections never)
for n in range(8):
    st, page, r = http_req(PORT, "POST", "/report", {"description": f"one more {n}"})
    if st != 200:
        break
expect(st == 429 and r.getheader("Retry-After") and "several reports" in page
       and f"one more {n}" in page, f"refused with a reason, what was typed kept: {st}")
page, _ = report({"urls": "nope"}, 400)
letter = json.loads(ward("report", "letter", "public", check_rc=0).stdout)
expect(len(letter["receipts"]) == 5 and fake not in json.dumps(letter),
       f"6 taken, the honeypot's not stored: {letter}")
print(f"report_form: ok ({time.time() - t0:.1f} s)")
PY
