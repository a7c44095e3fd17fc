#!/bin/bash
# ward scan on a small evidence set built here from benign images: exact,
# re-encoded, resized, mirrored and rotated copies of "alert" images, a zip
# inside a tar, a zip bomb, corrupt and truncated images, a FAT image and an
# E01 of an ext4 file system, each with a deleted file. Every verdict and the
# summary fields are asserted.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import csv, io, json, os, re, shutil, subprocess, sys, tarfile, zipfile
from wardtest import *
from PIL import Image

I = os.path.join(DATA, "pdq/images")
def img(n): return os.path.join(I, n)
def sh(cmd): subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL)

# ---- the hash sets: a national alert list, a partner list, known-good ----
ward("hash", "--hashdeep", "-o", "national.hd", img("wee.jpg"), img("q0746.jpg"), check_rc=0)
ward("hash", "--pdq-text", "-o", "national.pdq", img("bridge-1-original.jpg"), check_rc=0)
for f in ["national.hd", "national.pdq"]:
    ward("db", "import", "--data", "d", "--list", "national", "--scheme", "projectvic",
         "--category", "1", f, check_rc=0)
ward("hash", "--hashdeep", "-o", "partner.hd", img("q1050.jpg"), check_rc=0)
ward("db", "import", "--data", "d", "--list", "partner", "--scheme", "uk-sentencing",
     "--category", "B", "partner.hd", check_rc=0)
os.makedirs("kg"); open("kg/readme.txt", "w").write("an operating system file\n")
ward("hash", "--hashdeep", "-o", "kg.hd", "kg/readme.txt", check_rc=0)
ward("db", "import", "--data", "d", "--list", "nsrl", "--known-good", "kg.hd", check_rc=0)

# ---- the evidence ----
os.makedirs("ev/photos"); os.makedirs("ev/docs"); os.makedirs("ev/videos")
shutil.copy(img("wee.jpg"), "ev/photos/IMG_0001.jpg")          # known, exact
shutil.copy(img("wee.jpg"), "ev/photos/IMG_0001 (copy).jpg")   # known, duplicate
shutil.copy(img("q1050.jpg"), "ev/photos/partner.jpg")         # known, partner list
br = Image.open(img("bridge-1-original.jpg"))
br.resize((br.width // 3, br.height // 3)).save("ev/photos/resized.jpg", quality=40)  # near
br.transpose(Image.FLIP_LEFT_RIGHT).save("ev/photos/mirror.png")                      # near
br.rotate(90, expand=True).save("ev/photos/rotated.webp")                             # near
shutil.copy(img("q0291.jpg"), "ev/photos/new.jpg")             # new image
shutil.copy(img("small.jpg"), "ev/photos/small.jpg")          # new image
shutil.copy("kg/readme.txt", "ev/docs/readme.txt")             # ignorable
open("ev/docs/notes.txt", "w").write("meeting notes\n")        # other
open("ev/photos/corrupt.jpg", "wb").write(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x5a" * 300)
data = open(img("q2821.jpg"), "rb").read()
open("ev/photos/truncated.jpg", "wb").write(data[: len(data) // 2])
# videos: one made from the alert photo (a frame is near it), one from a
# new photo, and a truncated one
def video(src, out, extra=""):
    sh(f"ffmpeg -loglevel error -loop 1 -t 3 -i {src} -vf scale=640:-2,format=yuv420p -r 10 {extra} {out}")
video(img("bridge-1-original.jpg"), "ev/videos/holiday.mp4")
video(img("q0291.jpg"), "ev/videos/cat.webm")
data = open("ev/videos/holiday.mp4", "rb").read()
open("ev/videos/broken.mp4", "wb").write(data[:200])
# a zip inside a tar
with zipfile.ZipFile("inner.zip", "w") as z:
    z.write(img("wee.jpg"), "holiday/wee.jpg")
    z.write("ev/photos/resized.jpg", "holiday/bridge-small.jpg")
    z.writestr("holiday/list.txt", "a list\n")
with tarfile.open("ev/backup.tar", "w") as t:
    t.add("inner.zip", "backup/inner.zip")
# a zip bomb: 60 MB of zeros compresses over 1000:1
with zipfile.ZipFile("ev/bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("zeros.bin", b"\0" * 60_000_000)
# a FAT image with a deleted file
sh(f"mkfs.vfat -C ev/usb.img 4096 && mcopy -i ev/usb.img {img('q0746.jpg')} ::/DCIM.jpg && "
   f"mcopy -i ev/usb.img {img('small.jpg')} ::/GONE.jpg && mdel -i ev/usb.img ::/GONE.jpg")
# an E01 of an ext4 file system with a deleted file
os.makedirs("e4")
shutil.copy(img("q1050.jpg"), "e4/kept.jpg")
shutil.copy(img("q0291.jpg"), "e4/del.jpg")
sh("mkfs.ext4 -q -F -d e4 ext4.img 8M && debugfs -w -R 'rm /del.jpg' ext4.img")
sh("ewfacquirestream -q -t ev/laptop -f encase6 -c none -C case -D disk -e examiner "
   "-E 1 -N notes < ext4.img")
expect(os.path.exists("ev/laptop.E01"), "ewfacquirestream made ev/laptop.E01")

# ---- the scan ----
p = ward("scan", "--data", "d", "--out", "out", "-j", "2", "ev", check_rc=1)
summary_txt = p.stdout.decode()
recs = [json.loads(l) for l in open("out/files.jsonl")]
by = {r["path"]: r for r in recs}
cls = {r["path"]: r["class"] for r in recs}
def check(path, want):
    expect(cls.get(path) == want, f"{path}: class {cls.get(path)}, expected {want}\n{sorted(cls.items())}")

check("ev/photos/IMG_0001.jpg", "known")
check("ev/photos/IMG_0001 (copy).jpg", "known")
# byte order of names: ev/backup.tar (holding wee.jpg in a zip) comes first
first = "ev/backup.tar!/backup/inner.zip!/holiday/wee.jpg"
expect(by["ev/photos/IMG_0001.jpg"].get("duplicate_of") == first
       and by["ev/photos/IMG_0001 (copy).jpg"].get("duplicate_of") == first
       and "duplicate_of" not in by[first], "duplicates inside the evidence are grouped")
m = by["ev/photos/IMG_0001.jpg"]["matches"][0]
expect(m["list"] == "national" and m["category"] == "1" and m["by"] in ("sha256", "sha1", "md5"),
       f"known match fields {m}")
expect("pdq" not in by["ev/photos/IMG_0001.jpg"], "an exact match is not decoded")
check("ev/photos/partner.jpg", "known")
expect(by["ev/photos/partner.jpg"]["matches"][0]["category"] == "B", "partner category kept")
for n, tr in [("resized.jpg", {"orig"}), ("mirror.png", {"flipx", "flipy"}),
              ("rotated.webp", {"rot90", "rot270"})]:
    r = by["ev/photos/" + n]
    check("ev/photos/" + n, "near")
    mm = r["matches"][0]
    expect(mm["by"] == "pdq" and 0 <= mm["distance"] <= 31 and mm["list"] == "national",
           f"{n}: near match {mm}")
    expect(mm["transform"] in tr, f"{n}: transform {mm['transform']} not in {tr}")
check("ev/photos/new.jpg", "new-image")
check("ev/photos/small.jpg", "new-image")
check("ev/docs/readme.txt", "ignorable")
expect(by["ev/docs/readme.txt"]["matches"][0]["list_kind"] == "known-good", "known-good match")
check("ev/docs/notes.txt", "other")
check("ev/photos/corrupt.jpg", "error")
expect("JPEG" in by["ev/photos/corrupt.jpg"]["error"], "corrupt image: reason kept")
expect("md5" in by["ev/photos/corrupt.jpg"], "a corrupt image still has its digests")
expect("image_warning" in by["ev/photos/truncated.jpg"], "truncated image flagged")
# videos: frames against the image index
check("ev/videos/holiday.mp4", "near")
m = by["ev/videos/holiday.mp4"]["matches"][0]
expect(m["by"] == "pdq" and "frame" in m and "timestamp" in m and m["list"] == "national",
       f"video frame match: {m}")
expect(by["ev/videos/holiday.mp4"]["media"] == "mp4" and by["ev/videos/holiday.mp4"]["vpdq"],
       "video frames stored with the record")
check("ev/videos/cat.webm", "new-video")
expect(by["ev/videos/cat.webm"]["video"]["codec"] in ("vp9", "vp8", "av1"), "webm codec recorded")
check("ev/videos/broken.mp4", "error")
expect("error" in by["ev/videos/broken.mp4"] and "sha256" in by["ev/videos/broken.mp4"],
       "a broken video: reason and digests")
# the zip inside the tar
check("ev/backup.tar!/backup/inner.zip!/holiday/wee.jpg", "known")
check("ev/backup.tar!/backup/inner.zip!/holiday/bridge-small.jpg", "near")
check("ev/backup.tar!/backup/inner.zip!/holiday/list.txt", "other")
expect(by["ev/backup.tar!/backup/inner.zip!/holiday/wee.jpg"].get("in_container") is True,
       "members are marked in_container")
# containers are evidence too: their own digests are recorded
for c in ["ev/backup.tar", "ev/bomb.zip", "ev/usb.img", "ev/laptop.E01"]:
    expect(c in by and "sha256" in by[c], f"container {c} has its own record with digests")
# FAT: kept and deleted
fat = {p: r for p, r in by.items() if p.startswith("ev/usb.img!")}
expect(any(p.endswith("DCIM.jpg") and r["class"] == "known" for p, r in fat.items()),
       f"FAT file found and known: {sorted(fat)}")
dele = [r for p, r in fat.items() if r.get("deleted")]
expect(dele and all(r["class"] in ("new-image", "error") for r in dele),
       f"FAT deleted file found and marked: {sorted(fat)}")
# E01/ext4: kept and deleted
e01 = {p: r for p, r in by.items() if p.startswith("ev/laptop.E01!")}
expect(any(p.endswith("kept.jpg") and r["class"] == "known" for p, r in e01.items()),
       f"E01 file found and known: {sorted(e01)}")
expect(any(p.endswith("del.jpg") and r.get("deleted") for p, r in e01.items()),
       f"E01 deleted file found and marked: {sorted(e01)}")

# the zip bomb is reported, not expanded, and the scan went on
notices = [json.loads(l) for l in open("out/notices.jsonl")]
expect(any(n["kind"] == "limit" and n["path"].startswith("ev/bomb.zip") for n in notices),
       f"zip bomb reported as a limit: {notices}")

# ---- summary.json ----
s = json.load(open("out/summary.json"))
counts = {}
for r in recs: counts[r["class"]] = counts.get(r["class"], 0) + 1
expect(s["classes"] == {k: counts.get(k, 0) for k in
       ["known", "near", "ignorable", "new-image", "new-video", "other", "error"]},
       f"summary classes {s['classes']} vs files {counts}")
expect(s["totals"]["files"] == len(recs), "summary files")
expect(s["totals"]["duplicates"] >= 1 and s["totals"]["deleted_files"] >= 2, "dups, deleted")
expect(s["totals"]["in_containers"] >= 5, "members counted")
expect(s["totals"]["damaged_images"] >= 1, "damaged images counted")
expect(s["not_examined"]["limits_hit"] >= 1, "limits counted")
expect(s["complete"] is True and s["store_revision"] >= 4 and s["index_entries"] >= 5,
       "store/index versions recorded")
expect(len(s["index_sha256"]) == 64 and s["radius"] == 31, "index digest and radius")
cats = {(c["class"], c["list"], c["category"]): c["files"] for c in s["categories"]}
expect(cats.get(("known", "national", "1"), 0) >= 4, f"national category counted: {cats}")
expect(cats.get(("known", "partner", "B"), 0) >= 2, f"partner category counted: {cats}")
expect(cats.get(("near", "national", "1"), 0) == 5, f"near counted: {cats}")
expect(any(e["path"] == "ev/photos/corrupt.jpg" for e in s["file_errors"]), "file errors listed")
expect(any(e["path"] == "ev/videos/broken.mp4" and e["reason"] for e in s["file_errors"]),
       "broken video listed with its reason")
expect("known" in summary_txt and "Not examined" in summary_txt, "human summary printed")
expect("Child" not in json.dumps([r.get("path") for r in recs]), "sanity")
# files.csv has one row per file
rows = list(csv.DictReader(open("out/files.csv", newline="")))
expect(len(rows) == len(recs) and rows[0]["path"] == recs[0]["path"], "files.csv rows")

# ---- same result whatever the thread count ----
ward("scan", "--data", "d", "--out", "out1", "-j", "1", "-q", "ev", check_rc=1)
# The Sleuth Kit and libewf open disk-image files themselves, without
# O_NOATIME, so on a writable mount the first scan moves their atime (which
# is why evidence is mounted read-only); compare everything else.
def no_atime(path):
    return [re.sub(r',"atime":"[^"]*"', "", l) for l in open(path)]
expect(no_atime("out1/files.jsonl") == no_atime("out/files.jsonl"),
       "files.jsonl is identical with -j1 and -j2")

# ---- digests only ----
ward("scan", "--data", "d", "--out", "outd", "--no-pdq", "-q", "ev", check_rc=1)
dd = {json.loads(l)["path"]: json.loads(l) for l in open("outd/files.jsonl")}
expect(dd["ev/photos/IMG_0001.jpg"]["class"] == "known", "--no-pdq still finds exact matches")
expect(dd["ev/photos/mirror.png"]["class"] == "new-image" and "pdq" not in dd["ev/photos/mirror.png"],
       "--no-pdq decodes nothing")

# ---- thumbnails: new images only ----
ward("scan", "--data", "d", "--out", "outt", "--thumbnails", "-q", "ev", check_rc=1)
tt = [json.loads(l) for l in open("outt/files.jsonl")]
with_thumb = [r for r in tt if "thumbnail" in r]
expect(with_thumb and all(r["class"] == "new-image" for r in with_thumb),
       "thumbnails only for new images")
for r in with_thumb:
    t = Image.open(os.path.join("outt", r["thumbnail"]))
    expect(t.mode == "L" and max(t.size) <= 128, f"thumbnail small and grey: {t.mode} {t.size}")

# ---- report.html as a browser renders it (headless Chromium) ----
html = open("outt/report.html").read()
dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                      "file://" + os.path.abspath("outt/report.html")],
                     capture_output=True, timeout=120).stdout.decode()
expect("New images and videos for review" in dom and "ev/photos/small.jpg" in dom, "report.html renders")
unique_thumbs = {r["sha256"] for r in with_thumb}   # each picture is listed once
expect(dom.count("data:image/jpeg;base64,") == len(unique_thumbs), "thumbnails embedded, new only")
for r in tt:
    if r["class"] in ("known", "near"):
        name = r["path"].rsplit("/", 1)[-1]
        expect(name not in html, f"report.html never names known/near material: {name}")
for name in ["dfxml.xml", "vics.json", "case.jsonld"]:
    expect(os.path.getsize(os.path.join("outt", name)) > 0, f"{name} written")
json.load(open("outt/vics.json")); json.load(open("outt/case.jsonld"))
import xml.dom.minidom; xml.dom.minidom.parse("outt/dfxml.xml")

# ---- errors ----
p = ward("scan", "--data", "nostore", "--out", "o2", "ev", check_rc=3)
expect(b"ward db import" in p.stderr, "no store: says what to do")
ward("scan", "--data", "d", "ev", check_rc=2)                      # no --out
ward("scan", "--data", "d", "--out", "o3", check_rc=2)              # no source
ward("scan", "--data", "d", "--out", "o4", "--radius", "65", "ev", check_rc=2)
p = ward("scan", "--data", "d", "--out", "out", "--resume", "ev/docs", check_rc=3)
expect(b"same command line" in p.stderr or b"no checkpoint" in p.stderr, "resume mismatch refused")
print("ok")
PY
