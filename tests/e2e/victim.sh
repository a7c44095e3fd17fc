#!/bin/bash
# ward series (issue 23): three units on one store, benign images only.
# A series is created, renamed, merged and split; unit A scans and registers
# new images; unit B scans re-encoded copies and both are told "also seen
# elsewhere" (existence and contact, never the other's case or paths); an
# image near a series but not in it alerts the series' team at high priority
# and puts B's exhibit forward in the examination queue; the series is marked
# identified and unit C's later scan says so; a listed meme seen by three
# units is quarantined, its alerts pause, and a person releases it.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import json, os, shutil, sys
from wardtest import *
from PIL import Image

I = os.path.join(DATA, "pdq/images")
def img(n): return os.path.join(I, n)
def out(p): return p.stdout.decode()
def sha256(path):
    import hashlib
    return hashlib.sha256(open(path, "rb").read()).hexdigest()
NOW = "2026-12-01T10:00:00Z"
D = ("--data", "d", "--now", NOW)

# ---- the store: wee.jpg on a list as part of series 'Blue Room'; a meme
# (q0003.jpg) wrongly listed ----
open("list.csv", "w").write(
    "sha256,category,series\n%s,1,Blue Room\n%s,1,\n" % (sha256(img("wee.jpg")), sha256(img("q0003.jpg"))))
ward("db", "import", "--data", "d", "--list", "national", "--scheme", "projectvic", "list.csv",
     check_rc=0)

# ---- item 1: series ----
ward("series", "create", "Blue Rm", "--team", "VID Team 1", "--contact", "vid1@example.org", *D,
     check_rc=0)
ward("series", "rename", "Blue Rm", "Blue Room", *D, check_rc=0)
p = ward("series", "add", "Blue Room", "--from-store", *D, check_rc=0)
expect("1 entries added" in out(p), out(p))
# q2821.jpg is in the series by its SHA-256 and PDQ (as a VID team records it)
# (the refusals - a name taken, a hash in another series, a split of a hash
# not in it, a decision without a reason - are in tests/unit/test_victim.c)
P = [l.split(",") for l in out(ward("hash", "--pdq-text", img("q2821.jpg"), img("q0746.jpg"),
                                    check_rc=0)).splitlines()]
q = P[0][0]
ward("series", "create", "Kitchen", "--team", "VID Team 2", *D, check_rc=0)
ward("series", "add", "Kitchen", "sha256:" + sha256(img("q2821.jpg")), "pdq:" + q, *D,
     check_rc=0)
ward("series", "merge", "Blue Room", "Kitchen", *D, check_rc=0)
ward("series", "note", "Blue Room", "wallpaper: blue stripes", *D, check_rc=0)
s = json.loads(out(ward("series", "show", "Kitchen", "--json", *D, check_rc=0)))  # merged: resolves
expect(s["name"] == "Blue Room" and s["entries"] == 3 and s["team"] == "VID Team 1", s)
ward("series", "add", "Blue Room", "md5:" + "e" * 32, *D, check_rc=0)
ward("series", "split", "Blue Room", "Spare", "md5:" + "E" * 32, *D, check_rc=0)
lst = jsonl(ward("series", "list", "--json", *D, check_rc=0).stdout)
expect([(x["name"], x["entries"]) for x in lst] == [("Blue Room", 3), ("Spare", 1)], lst)
log = out(ward("series", "log", "Blue Room", *D, check_rc=0))
for w in ["created", "renamed", "merged", "note", "split"]:
    expect(w in log, "log lacks %s:\n%s" % (w, log))

# ---- item 2: unit A registers new images; unit B scans re-encoded copies ----
for d in ["a", "b", "c", "m1", "m2", "m3"]: os.makedirs("ev/" + d)
shutil.copy(img("q0746.jpg"), "ev/a/one.jpg")
shutil.copy(img("q1050.jpg"), "ev/a/two.jpg")
shutil.copy(img("q1050.jpg"), "ev/b/copy.jpg")                      # the same bytes
o = Image.open(img("q0746.jpg"))
o.resize((o.width // 2, o.height // 2)).save("ev/b/small.jpg", quality=60)  # re-encoded
shutil.copy(img("wee.jpg"), "ev/b/known.jpg")                       # in Blue Room (open)
o = Image.open(img("q2821.jpg"))
o.resize((o.width * 3 // 4, o.height * 3 // 4)).save("ev/b/kitchen2.jpg", quality=50)  # near
shutil.copy(img("wee.jpg"), "ev/c/known.jpg")
for d in ["m1", "m2", "m3"]: shutil.copy(img("q0003.jpg"), "ev/%s/meme.jpg" % d)

ward("scan", "--data", "d", "--out", "ra", "-q", "ev/a", check_rc=0)
ward("series", "check", "ra", "--unit", "Unit A", "--case", "A-17", "--contact",
     "a@example.org", *D, check_rc=0)                  # nothing to tell yet

# an exhibit for unit B's case, to be put forward in the examination queue
ward("exhibit", "register", "--data", "d", "--ref", "B-EX1", "--description", "laptop",
     "--kind", "computer", "--force", "Unit B", "--lab", "Lab B",
     "--seized", "2026-11-20T09:00:00+00:00", "--place", "home", "--now", NOW, check_rc=0)
ward("scan", "--data", "d", "--out", "rb", "-q", "ev/b", check_rc=1)
p = ward("series", "check", "rb", "--unit", "Unit B", "--case", "B-3", "--contact",
         "b@example.org", "--exhibit", "B-EX1", "--json", *D, check_rc=1)
F = jsonl(p.stdout.split(b"\nexhibit")[0])
print(out(p))
def kinds(path): return sorted(f["kind"] for f in F if f["path"].endswith(path))
expect(kinds("copy.jpg") == ["also-seen"], F)
expect(kinds("small.jpg") == ["also-seen"], F)
expect(kinds("known.jpg") == ["series-open"], F)
expect(kinds("kitchen2.jpg") == ["series-new-image"], F)
also = [f for f in F if f["kind"] == "also-seen"]
expect(all(f["unit"] == "Unit A" and "a@example.org" in f["message"] and "A-17" not in f["message"]
           for f in also), also)
expect("put forward in the examination queue" in out(p), out(p))
q = out(ward("exhibit", "queue", "--data", "d", "--now", NOW, check_rc=0))
expect("queued as Very High" in q and "new image of a known series" in q, q)

# both units are told; neither learns the other's case or paths
aa = jsonl(ward("series", "alerts", "--unit", "Unit A", "--json", *D, check_rc=1).stdout)
expect(len(aa) == 2 and all(a["kind"] == "also-seen" and "Unit B" in a["message"]
       and "b@example.org" in a["message"] and "B-3" not in a["message"]
       and "ev/b" not in a["message"] for a in aa), aa)
ab = jsonl(ward("series", "alerts", "--unit", "Unit B", "--json", *D, check_rc=1).stdout)
expect(len(ab) == 2 and all("Unit A" in a["message"] and "A-17" not in a["message"]
       and "ev/a" not in a["message"] for a in ab), ab)
# item 3: the team of the series, at high priority
at = jsonl(ward("series", "alerts", "--unit", "VID Team 1", "--json", *D, check_rc=1).stdout)
expect(len(at) == 1 and at[0]["priority"] == "high" and at[0]["kind"] == "series-new-image"
       and at[0]["series"] == "Blue Room", at)
ward("series", "done", str(at[0]["id"]), *D, check_rc=0)
seen = out(ward("series", "seen", "Blue Room", *D, check_rc=0))
expect("Unit B\tcase B-3\texhibit B-EX1\t1 file(s)" in seen, seen)

# ---- item 4: identified means told ----
ward("series", "status", "Blue Room", "identified", "--note", "child safeguarded", *D,
     check_rc=0)
p = ward("scan", "--data", "d", "--out", "rc", "-q", "--unit", "Unit C", "--case", "C-1",
         "--contact", "c@example.org", "ev/c", check_rc=1)   # the scan checks itself
expect("series-identified: " in out(p) and "'Blue Room' is identified" in out(p)
       and "do not re-open" in out(p), out(p))

# ---- item 7: the series in VICS 2.0, to a partner's store ----
p = ward("series", "export", "Blue Room", *D, check_rc=0)
open("series.json", "wb").write(p.stdout)
v = json.loads(p.stdout)["value"]
expect(len(v) == 3 and all(m["Series"] == "Blue Room" and m["VictimIdentified"] == "true"
                           for m in v), v)
ward("series", "create", "Blue Room", "--team", "Partner VID", "--data", "d2", check_rc=0)
p = ward("db", "import", "--data", "d2", "--list", "icse", "series.json", check_rc=1)
expect("3 new entries joined" in p.stderr.decode(), p.stderr.decode())
pa = jsonl(ward("series", "alerts", "--unit", "Partner VID", "--json", "--data", "d2",
                check_rc=1).stdout)
expect(len(pa) == 1 and pa[0]["priority"] == "high" and "identified" in pa[0]["message"], pa)

# ---- item 7: the series in a signed release, to a subscriber (d3) ----
# a national entry put in the series by hand (its store entry names none)
# travels with it too, as do status, team and contact
X = "ab" * 32
open("more.csv", "w").write("sha256,category\n%s,1\n" % X)
ward("db", "import", "--data", "d", "--list", "national", "more.csv", check_rc=0)
ward("series", "add", "Blue Room", "sha256:" + X, *D, check_rc=0)
ward("keys", "generate", "--data", "d", check_rc=0)
p = ward("release", "create", "--data", "d", "--list", "national", check_rc=0)
expect("1 series" in p.stderr.decode() and "2 of their entries" in p.stderr.decode(),
       p.stderr.decode())
man = open("d/releases/national/1/manifest").read()
expect('"format":"ward-release/1"' in man and '"series":{"sha256":' in man, man)
ward("series", "create", "Blue Room", "--team", "Partner VID 3", "--data", "d3", check_rc=0)
PULL = ("release", "pull", "d/releases/national", "--data", "d3")
p = ward(*PULL, "--trust", "d/keys/release.pub", check_rc=1)
expect("series-identified-elsewhere: release national v1" in out(p)
       and "is identified (team VID Team 1, contact vid1@example.org)" in out(p), out(p))
s3 = json.loads(out(ward("series", "show", "Blue Room", "--json", "--data", "d3", check_rc=0)))
expect(s3["status"] == "unidentified" and s3["entries"] == 2, s3)   # joined, status untouched
a3 = jsonl(ward("series", "alerts", "--unit", "Partner VID 3", "--json", "--data", "d3",
                check_rc=1).stdout)
expect(len(a3) == 1 and a3[0]["priority"] == "high"
       and a3[0]["kind"] == "series-identified-elsewhere", a3)
# a status change alone is a new version, reached by a delta; a series file
# that does not match the signed manifest is refused
ward("series", "status", "Blue Room", "safeguarded", *D, check_rc=0)
ward("release", "create", "--data", "d", "--list", "national", check_rc=0)
good = open("d/releases/national/2/series").read()
open("d/releases/national/2/series", "w").write(good.replace("VID Team 1", "VID Team 9"))
p = ward(*PULL, check_rc=3)
expect("tampered or corrupt" in p.stderr.decode(), p.stderr.decode())
open("d/releases/national/2/series", "w").write(good)
p = ward(*PULL, check_rc=0)   # the open alert is not repeated
expect("1 -> 2 by delta" in out(p) and "1 kept here" in p.stderr.decode(), p.stderr.decode())
expect("\tsafeguarded\t" in open("d3/subscriptions/national/series").read(), "series held")

# ---- item 5: a later import re-matches the earlier scans' sightings ----
q = P[1]
open("later.csv", "w").write("sha256,pdq,quality,category\n%s,,,1\n,%s,%s,2\n"
                             % (sha256(img("q1050.jpg")), q[0], q[1]))
p = ward("db", "import", "--data", "d", "--list", "partner", "--scheme", "projectvic",
         "later.csv", check_rc=1)
expect("2 new entries" in p.stderr.decode() and "4 hits" in p.stderr.decode(), p.stderr.decode())
ra = [a for a in jsonl(ward("series", "alerts", "--unit", "Unit A", "--json", *D).stdout)
      if a["kind"] == "retro-match"]
expect(len(ra) == 2 and all("your case A-17" in a["message"] and "list 'partner'" in a["message"]
                            for a in ra), ra)

# ---- item 6: a listed meme seen by three units within a day ----
for i, u in enumerate(["Unit A", "Unit B", "Unit C"]):
    ward("scan", "--data", "d", "--out", "rm%d" % i, "-q", "ev/m%d" % (i + 1), check_rc=1)
    p = ward("series", "check", "rm%d" % i, "--unit", u, "--case", "M-%d" % i, "--contact",
             "x@example.org", "--flood-units", "3", *D, check_rc=1 if i == 2 else 0)
expect("flood-quarantined: " in out(p) and "seen by 3 units" in out(p), out(p))
key = "sha256:" + sha256(img("q0003.jpg"))
ql = out(ward("series", "quarantine", *D, check_rc=0))
expect(key + "\tquarantined" in ql, ql)
p = ward("series", "check", "rm0", "--unit", "Unit D", "--case", "M-9", "--contact",
         "d@example.org", *D, check_rc=1)
expect("quarantined: " in out(p), out(p))
ward("series", "quarantine", "release", key, "--reason", "a meme, not abuse", *D, check_rc=0)
ql = out(ward("series", "quarantine", *D, check_rc=0))
expect(key + "\treleased" in ql and "a meme, not abuse" in ql, ql)
print("ok")
PY
