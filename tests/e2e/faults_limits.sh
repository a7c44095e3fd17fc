#!/bin/bash
# Every resource limit the CLI exposes, hit on purpose, with the outcome
# docs/security.md documents: the file or container is named with the limit
# in notices.jsonl (kind "limit") or as the file's error, its own digests
# are kept, everything else is scanned, and the scan exits 1 (partial).
#   --max-pixels, --max-depth, --max-ratio, --max-path, --max-video-duration
#   (needs ffmpeg), and the 1 MiB line limit of the hash-list readers.
# (max_member and max_image_bytes: tests/unit/test_limits.c; video size,
# wall time and frame count: tests/unit/test_video.c.)
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import io, json, os, shutil, subprocess, sys, zipfile
from wardtest import *

I = os.path.join(DATA, "pdq/images")
ward("hash", "--hashdeep", "-o", "l.hd", os.path.join(I, "wee.jpg"), check_rc=0)
ward("db", "import", "--data", "d", "--list", "alerts", "--category", "1", "l.hd", check_rc=0)

os.makedirs("ev")
shutil.copy(os.path.join(I, "bridge-1-original.jpg"), "ev/large.jpg")   # 1000+ px a side
shutil.copy(os.path.join(I, "wee.jpg"), "ev/known.jpg")                 # 34x42: under the limit
def zip_bytes(members):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return b.getvalue()
wee = open(os.path.join(I, "wee.jpg"), "rb").read()
# three levels: nested.zip > mid.zip > inner.zip > deep/wee.jpg
open("ev/nested.zip", "wb").write(
    zip_bytes([("mid.zip", zip_bytes([("inner.zip", zip_bytes([("deep/wee.jpg", wee)]))]))]))
open("ev/zeros.zip", "wb").write(zip_bytes([("zeros.bin", b"\0" * 2_000_000)]))   # ~500:1
open("ev/long.zip", "wb").write(zip_bytes([("a/" + "x" * 100 + ".txt", b"long name\n"),
                                           ("short.txt", b"short name\n")]))
have_ffmpeg = shutil.which("ffmpeg") is not None
if have_ffmpeg:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc2=size=160x120:rate=5:duration=4", "-pix_fmt", "yuv420p",
                    "ev/clip.mp4"], check=True)

args = ["scan", "--data", "d", "-j", "2", "-q", "--max-pixels", "100000", "--max-depth", "2",
        "--max-ratio", "50", "--max-path", "64"]
if have_ffmpeg:
    args += ["--max-video-duration", "2"]
ward(*args, "--out", "out", "ev", check_rc=1)
recs = {r["path"]: r for r in jsonl(open("out/files.jsonl", "rb").read())}
notes = jsonl(open("out/notices.jsonl", "rb").read())
limits = {n["path"]: n["reason"] for n in notes if n["kind"] == "limit"}

def limit(path, words):
    expect(path in limits and words in limits[path], f"limit on {path} ({words}): {limits}")

# pixels: the image's digests are kept, it is an error with the reason
r = recs["ev/large.jpg"]
expect(r["class"] == "error" and "over the limit of 100000 pixels" in r["error"] and
       len(r["sha256"]) == 64, f"--max-pixels: {r}")
expect(recs["ev/known.jpg"]["class"] == "known", "small image still decoded and matched")
# depth: the third level is named, not opened; the levels above are read
limit("ev/nested.zip!/mid.zip!/inner.zip", "nesting depth 2 reached")
expect("ev/nested.zip!/mid.zip!/inner.zip" in recs, "the unopened archive keeps its digests")
expect(not any(p.endswith("deep/wee.jpg") for p in recs), "nothing past the depth limit")
# ratio: the bomb is named, not expanded
limit("ev/zeros.zip", "expansion over 50x")
expect(not any(p.startswith("ev/zeros.zip!/") for p in recs), "bomb not expanded")
# path: the member is named by its container; its siblings are read
limit("ev/long.zip", "over the 64-byte limit")
expect("ev/long.zip!/short.txt" in recs, "member with a short path still read")
# video duration: digests kept, listed as an error with the reason
if have_ffmpeg:
    r = recs["ev/clip.mp4"]
    expect(r["class"] == "error" and "over the limit" in r.get("error", "") and
           len(r["sha256"]) == 64, f"--max-video-duration: {r}")
else:
    print("skip: --max-video-duration (no ffmpeg)")
s = json.load(open("out/summary.json"))
expect(s["not_examined"]["limits_hit"] == len(limits), f"limits counted: {s['not_examined']}")
expect(s["limits"]["max_pixels"] == 100000 and s["limits"]["max_depth"] == 2 and
       s["limits"]["max_ratio"] == 50 and s["limits"]["max_path"] == 64,
       f"the limits in force are recorded: {s['limits']}")

# hash lists: a line over 1 MiB is a bad record named by its line; the
# records around it are imported
with open("long.md5", "w") as f:
    f.write("5d41402abc4b2a76b9719d911017c592  hello.txt\n")
    f.write("x" * ((1 << 20) + 100) + "\n")
    f.write("d41d8cd98f00b204e9800998ecf8427e  empty\n")
p = ward("db", "import", "--data", "d", "--list", "long", "--category", "1", "--format", "sums",
         "long.md5", check_rc=1)
out = (p.stdout + p.stderr).decode()
expect("2 added" in out and "1 bad" in out and "long.md5:2: line longer than 1048576 bytes" in out,
       f"over-long line: {out}")
print("ok")
PY
