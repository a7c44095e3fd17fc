#!/bin/bash
# Nothing passes silently (issue 16, items 1-4; issue 18, items 4-5): every
# container ward recognises is either read or named in notices.jsonl, with
# "not examined" counted and exit status 1.
#   - a gzip/bzip2/xz stream whose content starts with 512 zero bytes is one
#     member, not an empty tar;
#   - disk images inside archives (ext4.raw.gz, fat.raw in a zip, an E01 in
#     a tar) are walked through a spool, within --max-spool;
#   - VMDK and VHD are walked (TSK), QCOW2 through qemu-img convert;
#     encrypted, damaged and over-limit containers are notices;
#   - a FAT volume label is not a file;
#   - an E01's acquired media digests are reported and checked against the
#     stored MD5/SHA-1 (as ewfverify does);
#   - partitions are named p<N>@<start sector> as mmls shows them;
#   - a pixel-limit refusal is a limit in notices.jsonl.
# Images are a few MB at most, made here.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import bz2, gzip, json, lzma, os, shutil, struct, subprocess, sys, tarfile, zipfile
from wardtest import *

I = os.path.join(DATA, "pdq/images")
def img(n): return os.path.join(I, n)
def sh(cmd): subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL)
wee = open(img("wee.jpg"), "rb").read()
ward("hash", "--hashdeep", "-o", "l.hd", img("wee.jpg"), check_rc=0)
ward("db", "import", "--data", "d", "--list", "alerts", "--category", "1", "l.hd", check_rc=0)
os.makedirs("tmp")
os.environ["TMPDIR"] = os.path.abspath("tmp")   # the spool: checked empty at the end

def scan(out, *src, rc=1, extra=()):
    ward("scan", "--data", "d", "-q", "-j", "2", *extra, "--out", out, *src, check_rc=rc)
    recs = {r["path"]: r for r in jsonl(open(out + "/files.jsonl", "rb").read())}
    notes = jsonl(open(out + "/notices.jsonl", "rb").read())
    return recs, notes, json.load(open(out + "/summary.json"))

def noticed(notes, path, kind, words):
    return any(n["path"] == path and n["kind"] == kind and words in n["reason"] for n in notes)

# ---- 1. compressed streams that start with zeros --------------------------
os.makedirs("ev1")
payload = b"\0" * 512 + wee
open("ev1/x.gz", "wb").write(gzip.compress(payload))
open("ev1/x.bz2", "wb").write(bz2.compress(payload))
open("ev1/x.xz", "wb").write(lzma.compress(payload))
recs, notes, s = scan("o1", "ev1", rc=0)
for name in ["x.gz", "x.bz2", "x.xz"]:
    m = recs.get(f"ev1/{name}!/x")
    expect(m and m["size"] == len(payload), f"{name}: read as one member of {len(payload)} bytes: {sorted(recs)}")

# ---- 2. disk images inside archives ---------------------------------------
os.makedirs("e4"); shutil.copy(img("wee.jpg"), "e4/kept.jpg")
sh("mkfs.ext4 -q -F -d e4 ext4.raw 2M")
expect(open("ext4.raw", "rb").read(1024) == b"\0" * 1024, "an ext4 image starts with 1024 zero bytes")
sh("mkfs.vfat -n EVIDENCE -C fat.raw 1024 && mcopy -i fat.raw " + img("wee.jpg") + " ::/DCIM.jpg")
sh("ewfacquirestream -q -t disk -d sha1 -f encase6 -c none -C c -D d -e e -E 1 -N n < ext4.raw")
os.makedirs("ev2")
open("ev2/ext4.raw.gz", "wb").write(gzip.compress(open("ext4.raw", "rb").read()))
with zipfile.ZipFile("ev2/usb.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.write("fat.raw", "fat.raw")
with tarfile.open("ev2/case.tar", "w") as t:
    t.add("disk.E01", "disk.E01")
recs, notes, s = scan("o2", "ev2")
for p in ["ev2/ext4.raw.gz!/ext4.raw!/kept.jpg", "ev2/usb.zip!/fat.raw!/DCIM.jpg",
          "ev2/case.tar!/disk.E01!/kept.jpg"]:
    expect(recs.get(p, {}).get("class") == "known", f"{p} walked and known: {sorted(recs)}")
expect(not notes and s["complete"] is True, f"nothing left out: {notes}")
a = recs["ev2/case.tar!/disk.E01"].get("acquired", {})
expect(a.get("verified") is True and a.get("size") == 2 << 20, f"E01 in a tar: media checked {a}")
expect(os.listdir("tmp") == [], f"spool files removed: {os.listdir('tmp')}")
# the spool limit: the images are named, not walked, and the scan says so
recs, notes, s = scan("o2b", "ev2", extra=("--max-spool", "1M"))
for p in ["ev2/ext4.raw.gz!/ext4.raw", "ev2/usb.zip!/fat.raw", "ev2/case.tar!/disk.E01"]:
    expect(noticed(notes, p, "limit", "spool limit"), f"--max-spool: {p} named {notes}")
    expect(p in recs and "sha256" in recs[p], f"{p} still hashed")
expect(s["not_examined"]["limits_hit"] >= 3 and s["limits"]["max_spool"] == 1000000,
       f"limits counted: {s['not_examined']} {s['limits']}")
expect(os.listdir("tmp") == [], "spool files removed after a limit")

# ---- 3. the rule: recognised but not fully read is a notice ----------------
def one(name, kind, words, rc=1):
    """Scan ev3/<name> alone: a notice of `kind` naming it, counted, exit 1."""
    out = "o3-" + name.replace("/", "_")
    recs, notes, s = scan(out, "ev3/" + name, rc=rc)
    expect(any(n["path"].startswith("ev3/" + name) and n["kind"] == kind and words in n["reason"]
               for n in notes), f"{name}: {kind} notice with '{words}': {notes}")
    ne = s["not_examined"]
    expect(ne["unreadable"] + ne["limits_hit"] + ne["skipped"] >= 1, f"{name}: counted {ne}")
    return recs, notes
os.makedirs("ev3")
sh("cd ev3 && cp " + img("wee.jpg") + " w.jpg && zip -q -P secret locked.zip w.jpg && rm w.jpg")
one("locked.zip", "error", "encrypted")
zb = open("ev2/usb.zip", "rb").read()
open("ev3/cut.zip", "wb").write(zb[: len(zb) // 2])
one("cut.zip", "error", "")
e01 = open("disk.E01", "rb").read()
open("ev3/cut.E01", "wb").write(e01[: len(e01) // 2])
one("cut.E01", "error", "")
fat = bytearray(open("fat.raw", "rb").read())
fat[11:64] = b"\xff" * 53                         # boot sector kept, geometry garbage
open("ev3/broken.img", "wb").write(fat)
one("broken.img", "error", "no partition or file system")
open("ev3/z.gz", "wb").write(gzip.compress(b"\0" * 4096)[:-12])   # truncated stream
one("z.gz", "error", "")
if shutil.which("qemu-img"):
    sh("qemu-img convert -f raw -O vmdk ext4.raw ev3/disk.vmdk")
    sh("qemu-img convert -f raw -O vpc -o subformat=dynamic ext4.raw ev3/disk.vhd")
    sh("qemu-img convert -f raw -O qcow2 ext4.raw ev3/disk.qcow2")
    recs, notes, s = scan("o3v", "ev3/disk.vmdk", "ev3/disk.vhd", "ev3/disk.qcow2", rc=1)
    for f in ["disk.vmdk", "disk.vhd", "disk.qcow2"]:
        expect(recs.get(f"ev3/{f}!/kept.jpg", {}).get("class") == "known",
               f"{f} walked: {sorted(recs)} {notes}")
    expect(not notes, f"virtual disks read in full: {notes}")
    # a QCOW2 over the spool limit is named
    recs, notes, s = scan("o3q", "ev3/disk.qcow2", extra=("--max-spool", "1M"))
    expect(noticed(notes, "ev3/disk.qcow2", "limit", "spool limit"), f"qcow2 over the limit: {notes}")
    q = bytearray(open("ev3/disk.qcow2", "rb").read())
    open("ev3/cut.qcow2", "wb").write(q[:200] + b"\0" * (len(q) - 200))
    one("cut.qcow2", "error", "not examined")
    # a QCOW2 whose backing file is one of the examiner's own files is not converted
    sh("qemu-img create -q -f qcow2 -b " + os.path.abspath("ext4.raw") + " -F raw ev3/child.qcow2")
    recs, _ = one("child.qcow2", "error", "refers to another file")
    expect(not any(p.startswith("ev3/child.qcow2!/") for p in recs), "nothing read through the backing file")
else:
    print("skip: VMDK/VHD/QCOW2 (no qemu-img; Debian: qemu-utils)")

# ---- 4. a FAT volume label is not a file ----------------------------------
recs, notes, s = scan("o4", "fat.raw")
names = [p for p in recs if p.startswith("fat.raw!/")]
expect(names == ["fat.raw!/DCIM.jpg"], f"only the file, not the label: {names}")
expect(s["totals"]["files"] == 2, f"files counted: {s['totals']}")

# ---- 18.4: E01 media digests, checked ------------------------------------
recs, notes, s = scan("o5", "disk.E01")
a = recs["disk.E01"]["acquired"]
raw = open("ext4.raw", "rb").read()
import hashlib
expect(a["md5"] == hashlib.md5(raw).hexdigest() and a["sha1"] == hashlib.sha1(raw).hexdigest()
       and a["sha256"] == hashlib.sha256(raw).hexdigest() and a["size"] == len(raw),
       f"media digests are the raw disk's: {a}")
expect(a["stored_md5"] == a["md5"] and a["stored_sha1"] == a["sha1"] and a["verified"] is True,
       f"stored digests reported and verified: {a}")
expect(recs["disk.E01"]["md5"] == hashlib.md5(e01).hexdigest(), "the container's own digest kept")
expect(not notes, f"a good E01: no notice {notes}")
bad = bytearray(e01)
i = bad.find(wee[200:260]); expect(i > 0, "wee.jpg's bytes in the E01")
bad[i + 10] ^= 0xff
open("bad.E01", "wb").write(bad)
recs, notes, s = scan("o6", "bad.E01")
a = recs["bad.E01"]["acquired"]
expect(a["verified"] is False and a["md5"] != a["stored_md5"], f"mismatch reported: {a}")
expect(noticed(notes, "bad.E01", "error", "differs from the MD5 stored"), f"mismatch notice: {notes}")
expect(noticed(notes, "bad.E01", "error", "differs from the SHA-1 stored"), f"SHA-1 notice: {notes}")

# a split E01 is walked once, from its first segment, and checked whole
os.makedirs("seg")
sh("ewfacquirestream -q -t seg/s -S 1048576 -d sha1 -f encase6 -c none -C c -D d -e e -E 1 -N n < ext4.raw")
expect(os.path.exists("seg/s.E02"), "ewfacquirestream split the image")
recs, notes, s = scan("o6s", "seg")
inside = [p for p in recs if "!/" in p]
expect(inside == ["seg/s.E01!/kept.jpg"], f"files listed once: {inside}")
expect(recs["seg/s.E01"]["acquired"]["md5"] == hashlib.md5(raw).hexdigest() and
       recs["seg/s.E01"]["acquired"]["verified"] is True, "the whole media, across segments")
expect(not notes, f"no notice for later segments: {notes}")
os.makedirs("seg2"); shutil.copy("seg/s.E02", "seg2/s.E02")
recs, notes, s = scan("o6t", "seg2")
expect(noticed(notes, "seg2/s.E02", "error", "first segment is not beside it"), f"lone segment: {notes}")

# ---- 18.5: partitions by number and start, as mmls shows them -------------
sh("mkfs.vfat -C p1.raw 1024 && mcopy -i p1.raw " + img("wee.jpg") + " ::/ONE.jpg")
sh("mkfs.vfat -C p2.raw 1024 && mcopy -i p2.raw " + img("q0291.jpg") + " ::/TWO.jpg")
p1, p2 = open("p1.raw", "rb").read(), open("p2.raw", "rb").read()
mbr = bytearray(512)
for k, (start, data) in enumerate([(2048, p1), (6144, p2)]):
    mbr[446 + 16 * k: 462 + 16 * k] = struct.pack("<B3sB3sII", 0, b"\0\0\0", 0x06, b"\0\0\0",
                                                  start, len(data) // 512)
mbr[510:512] = b"\x55\xaa"
disk = bytearray(8192 * 512)
disk[:512] = mbr; disk[2048 * 512: 2048 * 512 + len(p1)] = p1; disk[6144 * 512: 6144 * 512 + len(p2)] = p2
open("mbr.raw", "wb").write(disk)
recs, notes, s = scan("o7", "mbr.raw")
expect("mbr.raw!/p1@2048/ONE.jpg" in recs and "mbr.raw!/p2@6144/TWO.jpg" in recs,
       f"partitions named p<N>@<start>: {sorted(recs)}")
if shutil.which("mmls"):
    mm = subprocess.run(["mmls", "mbr.raw"], capture_output=True, text=True).stdout
    starts = [int(l.split()[2]) for l in mm.splitlines() if l[:3].isdigit() and ":" in l.split()[1]
              and l.split()[1] != "Meta"]
    expect(starts == [2048, 6144], f"mmls agrees on the starts: {mm}")

# ---- 18.5: a pixel-limit refusal is a limit --------------------------------
os.makedirs("ev8"); shutil.copy(img("bridge-1-original.jpg"), "ev8/large.jpg")
recs, notes, s = scan("o8", "ev8", extra=("--max-pixels", "100000"))
expect(recs["ev8/large.jpg"]["class"] == "error", "still an error record")
expect(noticed(notes, "ev8/large.jpg", "limit", "over the limit of 100000 pixels"),
       f"pixel limit listed as a limit: {notes}")
expect(s["not_examined"]["limits_hit"] == 1, f"counted: {s['not_examined']}")
expect(os.listdir("tmp") == [], f"no spool file left: {os.listdir('tmp')}")
print("ok")
PY
