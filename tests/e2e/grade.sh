#!/bin/bash
# ward grade on a scan of benign images: grouping (a copy, a mirrored PNG and
# a resized re-encode join their original; a re-encoded video its original by
# vPDQ), ordering with reasons (near an
# alert entry, beside known material, the rest), grading, undo, resume, a
# changed item never shown, a zip member re-read, a deleted disk-image file
# re-read by inode beside a live one of its name, the loopback page (token,
# reveal, exposure log) and the VICS contribution read back by db import.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import json, os, re, shutil, signal, subprocess, sys, time, zipfile
from wardtest import *
from PIL import Image

I = os.path.join(DATA, "pdq/images")
def img(n): return os.path.join(I, n)
def fail(msg): sys.exit("FAIL: " + msg)

# ---- the store: wee.jpg is on an alert list; a PDQ 40 bits from q0291's ----
ward("hash", "--hashdeep", "-o", "alert.hd", img("wee.jpg"), check_rc=0)
ward("db", "import", "--data", "d", "--list", "national", "--scheme", "projectvic",
     "--category", "1", "alert.hd", check_rc=0)
p = ward("hash", "--pdq-text", img("q0291.jpg"), check_rc=0)
h, q, _ = p.stdout.decode().strip().split(",", 2)
bits = bin(int(h, 16))[2:].zfill(256)
bits = "".join(("1" if b == "0" else "0") if i < 40 else b for i, b in enumerate(bits))
open("near.pdq", "w").write("%064x,%s,near-entry\n" % (int(bits, 2), q))
ward("db", "import", "--data", "d", "--list", "national", "--scheme", "projectvic",
     "--category", "1", "near.pdq", check_rc=0)

# ---- the evidence ----
for d in ["ev/a", "ev/b", "ev/c"]: os.makedirs(d)
shutil.copy(img("wee.jpg"), "ev/a/known.jpg")          # known: its folder is suspect
shutil.copy(img("q0746.jpg"), "ev/a/beside.jpg")       # new, beside known
shutil.copy(img("q0291.jpg"), "ev/b/near.jpg")         # new, 40 bits from an alert entry
shutil.copy(img("q2821.jpg"), "ev/c/orig.jpg")         # new: four files, one group
shutil.copy(img("q2821.jpg"), "ev/c/copy.jpg")
o = Image.open(img("q2821.jpg"))                       # (the mirror is 26-28 bits away)
o.transpose(Image.FLIP_LEFT_RIGHT).save("ev/c/mirror.png")
o.resize((o.width // 2, o.height // 2)).save("ev/c/small.jpg", quality=50)
shutil.copy(img("q1050.jpg"), "ev/c/other.jpg")        # new, alone
shutil.copy(img("bridge-1-original.jpg"), "ev/c/changed.jpg")  # changed after the scan
with zipfile.ZipFile("ev/c/x.zip", "w") as z:
    z.write(img("q0003.jpg"), "in/member.jpg")         # new, a member of a zip

ward("scan", "--data", "d", "--out", "r", "-q", "ev", check_rc=1)
shutil.copy(img("q0004.jpg"), "ev/c/changed.jpg")
shutil.copytree("r", "rb")  # for the browser, ungraded

# ---- grouping and order ----
out = ward("grade", "list", "--scan", "r", "--data", "d", check_rc=0).stdout.decode()
groups = []
for line in out.splitlines():
    if line.startswith("  "):
        groups[-1]["paths"].append(line.split("\t")[1])
    else:
        gid, n, grade, why = line.split("\t")
        groups.append({"id": int(gid), "n": int(n), "grade": grade, "why": why, "paths": []})
print(out)
if len(groups) != 6: fail("expected 6 groups, got %d" % len(groups))
if groups[0]["paths"] != ["ev/b/near.jpg"] and not groups[0]["paths"][0].endswith("ev/b/near.jpg"):
    fail("near-alert image not first: %r" % groups[0])
if not re.match(r"PDQ (3[2-9]|[45]\d|60) bits from an alert-list entry", groups[0]["why"]):
    fail("reason of the first: " + groups[0]["why"])
if not groups[1]["paths"][0].endswith("ev/a/beside.jpg") or "same folder as known" not in groups[1]["why"]:
    fail("beside-known image not second: %r" % groups[1])
four = [g for g in groups if g["n"] == 4]
if len(four) != 1 or sorted(os.path.basename(p) for p in four[0]["paths"]) != \
        ["copy.jpg", "mirror.png", "orig.jpg", "small.jpg"]:
    fail("copy, mirror and resized re-encode not one group: %r" % groups)
G = {os.path.basename(p): g["id"] for g in groups for p in g["paths"]}

# ---- grade, undo, resume ----
def grade(*a, rc=0): return ward("grade", "set", "--scan", "r", "--grader", "alice", *a, check_rc=rc)
grade("--group", str(G["near.jpg"]), "--category", "A", "--series", "Fake Series", "--identifiable")
grade("--group", str(G["orig.jpg"]), "--category", "B")
grade("--group", str(G["other.jpg"]), "--category", "C")
grade("--group", str(G["beside.jpg"]), "--category", "4", rc=2)   # not a uk grade
ward("grade", "undo", "--scan", "r", "--grader", "alice", check_rc=0)  # undoes other.jpg's C
grade("--group", str(G["beside.jpg"]), "--category", "not-relevant")
ward("grade", "list", "--scan", "r", "--scheme", "projectvic", check_rc=2)  # scheme is fixed
out = ward("grade", "list", "--scan", "r", check_rc=0).stdout.decode()
got = {l.split("\t")[0]: l.split("\t")[2] for l in out.splitlines() if not l.startswith(" ")}
want = {str(G["near.jpg"]): "A", str(G["orig.jpg"]): "B", str(G["other.jpg"]): "-",
        str(G["beside.jpg"]): "not-relevant"}
for k, v in want.items():
    if got[k] != v: fail("after resume group %s is %s, not %s" % (k, got[k], v))
# a crash mid-write leaves half a line: it is dropped, the rest kept
open("r/grade/grades.jsonl", "a").write('{"op":"grade","gro')
out = ward("grade", "list", "--scan", "r", check_rc=0).stdout.decode()
if "\tB\t" not in out: fail("grades lost after a torn last line")

# ---- evidence re-read: a changed file is never shown; a zip member is ----
items = {}
for line in ward("grade", "list", "--scan", "r", check_rc=0).stdout.decode().splitlines():
    if line.startswith("  "):
        s, p = line.strip().split("\t"); items[os.path.basename(p)] = s
p = ward("grade", "thumb", "--scan", "r", "--item", items["changed.jpg"], "--output", "t1.jpg", check_rc=3)
if b"digest mismatch" not in p.stderr or os.path.exists("t1.jpg"):
    fail("changed item: %r" % p.stderr)
ward("grade", "thumb", "--scan", "r", "--item", items["member.jpg"], "--output", "t2.jpg", check_rc=0)
t = Image.open("t2.jpg")
if t.mode != "L" or max(t.size) > 256: fail("thumbnail not grey or too large: %s %s" % (t.mode, t.size))
# a disk image's files are re-read by inode, not by name: partition 2 of an
# MBR disk holds a deleted _IC.JPG and a live file of the same name
import struct
def sh(cmd): subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL)
sh(f"mkfs.vfat -C fat.raw 1024 && mcopy -i fat.raw {img('q0746.jpg')} ::/PIC.JPG && "
   f"mcopy -i fat.raw {img('q0003.jpg')} ::/QIC.JPG && mdel -i fat.raw ::/PIC.JPG")
fat = bytearray(open("fat.raw", "rb").read())
k = fat.find(b"QIC     JPG"); fat[k:k + 1] = b"_"  # deleted PIC.JPG shows as _IC.JPG too
mbr = bytearray(512)
mbr[446:462] = struct.pack("<B3sB3sII", 0, b"\0\0\0", 0x06, b"\0\0\0", 2048, len(fat) // 512)
mbr[510:512] = b"\x55\xaa"
disk = bytearray(4096 * 512); disk[:512] = mbr; disk[2048 * 512:2048 * 512 + len(fat)] = fat
os.makedirs("ev4"); open("ev4/mbr.raw", "wb").write(disk)
ward("scan", "--data", "d", "--out", "r4", "-q", "ev4", check_rc=0)
recs = [json.loads(l) for l in open("r4/files.jsonl")]
same = [r for r in recs if r["path"] == "ev4/mbr.raw!/p1@2048/_IC.JPG"]
if len(same) != 2 or not all("inode" in r for r in same) or same[0]["inode"] == same[1]["inode"]:
    fail("two files of one name with their inodes: %r" % recs)
for r in same:
    ward("grade", "thumb", "--scan", "r4", "--item", str(r["seq"]), "--output", "d%d.jpg" % r["seq"],
         check_rc=0)
if open("d%d.jpg" % same[0]["seq"], "rb").read() == open("d%d.jpg" % same[1]["seq"], "rb").read():
    fail("the deleted file and the live one of its name gave one picture")
# a video is shown as a strip of frames sampled across it, greyscale
if shutil.which("ffmpeg"):
    # One ffmpeg run makes every clip of the test, from pictures scaled here
    # first (decoding the full-size JPEG for each frame was most of the
    # time): clip.mp4 (q0122, 6 s at 2 frames a second: the strip samples one
    # frame a second, 6 of them); bridge.mp4 and two re-encodes of it,
    # smaller and at a lower quality: bridge-small.mp4 groups with it by vPDQ
    # (the clip does not), ev3/bridge-other.mp4 is the copy a later scan
    # matches once the bridge videos are verified (below).
    os.makedirs("ev2"); os.makedirs("ev3")
    for name, out in [("q0122.jpg", "clip.png"), ("bridge-1-original.jpg", "bridge.png")]:
        im = Image.open(img(name)).convert("RGB")
        im.resize((320, round(im.height * 320 / im.width / 2) * 2)).save(out)
    subprocess.run("ffmpeg -loglevel error -loop 1 -t 6 -i clip.png -loop 1 -t 3 -i bridge.png "
                   "-filter_complex '[0:v]format=yuv420p[c];[1:v]format=yuv420p,split=3[b][s][o];"
                   "[s]scale=240:-2[s2];[o]scale=280:-2[o2]' "
                   "-map '[c]' -r 2 ev2/clip.mp4 -map '[b]' -r 5 ev2/bridge.mp4 "
                   "-map '[s2]' -r 5 -crf 28 ev2/bridge-small.mp4 "
                   "-map '[o2]' -r 5 -crf 30 ev3/bridge-other.mp4", shell=True, check=True)
    ward("scan", "--data", "d", "--out", "r3", "-q", "ev2", check_rc=0)
    out = r3list = ward("grade", "list", "--scan", "r3", check_rc=0).stdout.decode()
    vg = [sorted(os.path.basename(l.split("\t")[1]) for l in blk.splitlines()[1:])
          for blk in re.split(r"\n(?=\d)", out.strip())]
    if sorted(vg) != [["bridge-small.mp4", "bridge.mp4"], ["clip.mp4"]]:
        fail("videos not grouped by vPDQ: %r" % vg)
    vseq = [l for l in out.splitlines() if l.endswith("/clip.mp4")][0].split("\t")[0].strip()
    ward("grade", "thumb", "--scan", "r3", "--item", vseq, "--output", "v.jpg", check_rc=0)
    v = Image.open("v.jpg")
    if v.mode != "L" or v.width < 5 * v.height: fail("video strip: %s %s" % (v.mode, v.size))
else:
    print("NOTE: no ffmpeg: the video strip is not tested")
os.remove("ev/c/other.jpg")
p = ward("grade", "thumb", "--scan", "r", "--item", items["other.jpg"], "--output", "t3.jpg", check_rc=3)
if b"missing" not in p.stderr: fail("missing item: %r" % p.stderr)

# ---- the loopback page ----
srv = subprocess.Popen([WARD, "grade", "--scan", "r", "--grader", "bob", "--break", "1"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
try:
    url = srv.stdout.readline().decode()
    m = re.search(r"http://127\.0\.0\.1:(\d+)/\?t=([0-9a-f]{32})", url)
    if not m: fail("no URL: %r" % url)
    port, tok = int(m.group(1)), m.group(2)
    st, body, _ = http_req(port, "GET", "/?t=" + tok)
    if st != 200 or "grade.js?t=" + tok not in body: fail("page: %d" % st)
    if http_req(port, "GET", "/")[0] != 403: fail("no token accepted")
    if http_req(port, "GET", "/?t=" + "0" * 32)[0] != 403: fail("wrong token accepted")
    if http_req(port, "GET", "/?t=" + tok, headers={"Host": "evil.example:%d" % port})[0] != 421:
        fail("foreign Host accepted")
    st, body, r = http_req(port, "GET", "/thumb?t=%s&seq=%s" % (tok, items["changed.jpg"]))
    if st != 410 or "digest mismatch" not in body: fail("changed item served: %d %s" % (st, body))
    import http.client, io
    hc = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    hc.request("GET", "/thumb?t=%s&seq=%s" % (tok, items["near.jpg"]))
    r = hc.getresponse(); jpeg = r.read(); hc.close()
    if r.status != 200 or r.getheader("Content-Type") != "image/jpeg": fail("thumb: %d" % r.status)
    if Image.open(io.BytesIO(jpeg)).mode != "L": fail("thumb not greyscale")
    st, body, _ = http_req(port, "POST", "/api/reveal?t=%s&seq=%s" % (tok, items["near.jpg"]))
    if st != 200: fail("reveal: %d" % st)
    st, body, _ = http_req(port, "POST", "/api/grade?t=%s&group=%d&category=C" % (tok, G["other.jpg"]))
    if st != 200: fail("grade: %d %s" % (st, body))
    q = json.loads(http_req(port, "GET", "/api/queue?t=" + tok)[1])
    if q["revealed"] != 1 or q["break_minutes"] != 1 or len(q["groups"]) != 6:
        fail("queue: %r" % q)
finally:
    srv.send_signal(signal.SIGINT)
    rc = srv.wait(timeout=20)
if rc != 0: fail("serve exit %d: %s" % (rc, srv.stderr.read()))
out = ward("grade", "exposure", "--scan", "r", "--grader", "bob", check_rc=0).stdout.decode()
if not out.startswith("bob: 1 revealed"): fail("exposure: " + out)

# ---- contribution, read back by the national node ----
out = ward("grade", "export", "--scan", "r", "--unit", "Test Unit 7", "--output", "c.json",
           check_rc=0).stdout.decode()
c = json.load(open("c.json"))
media = c["value"][0]["Media"]
# near.jpg (A), the q2821 group: 3 different contents (B), other.jpg (C) = 5
if len(media) != 5: fail("contribution has %d media: %s" % (len(media), out))
for m in media:
    if m["ward:Unit"] != "Test Unit 7" or not m["SHA256"] or not m["PDQ"]: fail("media %r" % m)
if "path" in json.dumps(c).lower() and "FilePath" in json.dumps(c): fail("paths leaked")
# the store's VICS reader reads it as it is (to a throw-away store)
ward("db", "import", "--data", "plain", "--format", "vics", "--list", "x", "c.json", check_rc=0)

# ---- two-person rule: a second grader (carol) grades a copy of the scan ----
shutil.copytree("r", "r2")
for grp, cat in [("near.jpg", "A"), ("orig.jpg", "C"), ("other.jpg", "C")]:
    ward("grade", "set", "--scan", "r2", "--grader", "carol", "--group", str(G[grp]),
         "--category", cat, *(["--series", "Fake Series"] if grp == "near.jpg" else []), check_rc=0)
ward("grade", "export", "--scan", "r2", "--unit", "Unit 9", "--output", "c2.json", check_rc=0)
sha = {}
for l in open("r/files.jsonl"):
    j = json.loads(l); sha[os.path.basename(j["path"])] = j.get("sha256")
# The grades wait in the store (migration 5), so nodes sharing one store
# compare them: on the PostgreSQL pass the second contribution is taken in on
# another node, nat2, whose store.url names nat's store.
nat2 = "nat"
if on_postgres():
    nat2 = "nat2"
    os.makedirs(nat2)
    url = os.environ["WARD_STORE"]
    prefix = store_schema("nat", "store")[:-len("_store")]
    open(os.path.join(nat2, "store.url"), "w").write(
        url + ("&" if "?" in url else "?") + "ward_prefix=" + prefix + "\n")
# one grader: nothing becomes an alert entry (db import routes a contribution to intake)
out = ward("db", "import", "--data", "nat", "--list", "graded", "c.json", check_rc=0).stdout.decode()
if "0 pictures verified" not in out or "5 waiting" not in out: fail("first intake: " + out)
if ward("db", "lookup", "--data", "nat", sha["near.jpg"]).returncode != 0:
    fail("a grade of one grader became an entry")
# ... but another examiner grading the same pictures sees it, as a prompt
out = ward("grade", "list", "--scan", "rb", "--data", "nat", check_rc=0).stdout.decode()
line = [l for l in out.splitlines() if l.startswith("%d\t" % G["near.jpg"])][0]
if "graded elsewhere: uk-sentencing A by alice (Test Unit 7), awaiting a second grader" not in line:
    fail("not pre-filled: " + line)
if line.split("\t")[2] != "-": fail("a prompt became a decision: " + line)
# the second: two pictures agree (near A, other C), three differ (B vs C)
out = ward("grade", "intake", "--data", nat2, "--list", "graded", "c2.json", check_rc=1).stdout.decode()
if "2 pictures verified" not in out or "3 in conflict" not in out: fail("second intake: " + out)
p = ward("db", "lookup", "--data", "nat", sha["near.jpg"], check_rc=1)
if b"graded" not in p.stdout: fail("verified grade not in the list: %r" % p.stdout)
ward("db", "lookup", "--data", "nat", sha["orig.jpg"], check_rc=0)  # conflict: not an entry
p = ward("db", "conflicts", "--data", "nat", check_rc=1)
lines = [l for l in p.stdout.decode().splitlines() if l.startswith("graded-differently")]
if len(lines) != 6 or not any("carol" in l and "\tC\t" in l for l in lines):
    fail("conflicts: %r" % lines)
imps = ward("db", "imports", "--data", "nat", check_rc=0).stdout.decode()
if "grade-verified-" not in imps: fail("no provenance of the verified import")
# each contribution is an import of its own (path, SHA-256, grades held) ...
contrib = re.findall(r"import (\d+) .*ward-grade-contribution .*/(c2?\.json)  sha256 [0-9a-f]{64}", imps)
if [c[1] for c in contrib] != ["c.json", "c2.json"] or imps.count("grades held") != 2:
    fail("contributions not recorded as imports: " + imps)
# ... that the verified entry and each conflicting grade name
ent = ward("db", "lookup", "--data", "nat", "--json", sha["near.jpg"], check_rc=1).stdout.decode()
if "graded by alice" not in ent or "import %s)" % contrib[0][0] not in ent:
    fail("verified entry does not say whose grades, from which import: " + ent)
if not all(l.endswith("\timport " + contrib[0 if "alice" in l else 1][0]) for l in lines):
    fail("conflicting grades do not name their import: %r" % lines)
out = ward("grade", "intake", "--data", "nat", "--list", "graded", "c2.json", check_rc=1).stdout.decode()
if "0 pictures verified" not in out: fail("promoted twice: " + out)
if store_query("nat", "store", "SELECT count(*) FROM grade_votes")[0][0] != 10:
    fail("the grades are not in the store's grade_votes")
if os.path.exists("nat/grade-intake.jsonl"): fail("a per-node intake file was written")

# ---- a verified video: its vPDQ frames become entries, and a later scan
# matches another encoding of it frame by frame ----
if shutil.which("ffmpeg"):
    for l in r3list.splitlines():  # the bridge group, listed above
        if not l.startswith(" "): cur = l.split("\t")[0]
        elif l.endswith("/bridge.mp4"): bgid = cur
    shutil.copytree("r3", "r3b")
    for scan, who in [("r3", "alice"), ("r3b", "carol")]:
        ward("grade", "set", "--scan", scan, "--grader", who, "--group", bgid, "--category", "B",
             check_rc=0)
        ward("grade", "export", "--scan", scan, "--unit", "Unit 9", "--output", who + "-v.json",
             check_rc=0)
    if "ward:vPDQ" not in open("alice-v.json").read(): fail("no ward:vPDQ in the contribution")
    out = ward("grade", "intake", "--data", nat2, "--list", "graded", "alice-v.json", "carol-v.json",
               check_rc=1).stdout.decode()
    if "2 pictures verified" not in out: fail("video intake: " + out)
    vsha = {}
    for l in open("r3/files.jsonl"):
        j = json.loads(l); vsha[os.path.basename(j.get("path", ""))] = j.get("sha256")
    ward("scan", "--data", "nat", "--out", "r5", "-q", "ev3", check_rc=1)
    rec = [json.loads(l) for l in open("r5/files.jsonl") if "bridge-other" in l][0]
    vm = rec.get("video_matches") or []
    if rec.get("class") != "near" or not any(
            m["video"] in (vsha["bridge.mp4"], vsha["bridge-small.mp4"])
            and m["query_match_percent"] >= 80 for m in vm):
        fail("a verified video's frames do not match another encoding: %r" % rec)

# ---- the page in headless Chromium, by keyboard (when chromium and
# playwright-core are on this machine; web_app.sh installs the latter) ----
if on_postgres():
    print("skipped on PostgreSQL: the browser part ran on SQLite")
elif find_playwright():
    srv = subprocess.Popen([WARD, "grade", "--scan", "rb", "--data", "d", "--grader", "dave"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = srv.stdout.readline().decode().split()[-1]
        ran = browser_run("grade_browser.js", URL_=url) is not None
    finally:
        srv.send_signal(signal.SIGINT)
        srv.wait(timeout=20)
    if ran:
        log = [json.loads(l) for l in open("rb/grade/grades.jsonl")]
        ops = [l["op"] for l in log if l.get("grader") == "dave"]
        if ops[:3] != ["reveal", "grade", "undo"] or ops[-1] != "session":
            fail("browser actions not logged: %r" % ops)
        if not any(l.get("op") == "grade" and l.get("group") == G["orig.jpg"] and
                   l.get("category") == "C" for l in log):
            fail("the group of 4 not graded from the page: %r" % log)
else:
    print("NOTE: no playwright-core here: the browser part is skipped")
print("ok")
PY
