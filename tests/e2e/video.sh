#!/bin/bash
# Videos end to end: ward hash writes a vPDQ list, ward db imports it as a
# video list, ward scan finds a re-encoded, resized copy (vPDQ similarity),
# a video made from a known image, and leaves an unrelated video for review.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import json, os, shutil, subprocess, sys
from wardtest import *

I = os.path.join(DATA, "pdq/images")
def img(n): return os.path.join(I, n)
def ff(*args): subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True)

# A "known" slideshow of three benign photos, 2 s each.
ins = []
for n in ["bridge-1-original.jpg", "q2821.jpg", "q0746.jpg"]:
    ins += ["-loop", "1", "-t", "2", "-i", img(n)]
ff(*ins, "-filter_complex",
   "[0]scale=640:400,setsar=1[a];[1]scale=640:400,setsar=1[b];[2]scale=640:400,setsar=1[c];"
   "[a][b][c]concat=n=3:v=1,format=yuv420p", "-r", "10", "known.mp4")

# ward hash: the frames in vPDQ's text form, and in JSON
p = ward("hash", "-f", "vpdq", "known.mp4", check_rc=0)
lines = [l for l in p.stdout.decode().splitlines() if l and not l.startswith("#")]
expect(len(lines) >= 3 and all(len(l.split(",")) == 4 for l in lines), f"vpdq lines: {lines}")
open("known.vpdq", "wb").write(p.stdout)
# Exactly the reference form (issue 18.2): vpdq/cpp/io/vpdqio.cpp writes
# frameNumber,quality,hash,timestamp (std::fixed, 3 decimals) and
# loadHashesFromFileOrDie refuses any line that is not 4 comma fields, so a
# '# path' line made vpdq-hash-video's matchers refuse ward's files.
import re
REF = re.compile(r"^(0|[1-9][0-9]*),(100|[1-9]?[0-9]),[0-9a-f]{64},[0-9]+\.[0-9]{3}$")
text = p.stdout.decode()
expect(text.endswith("\n") and all(REF.match(l) for l in text[:-1].split("\n")),
       f"every line as vpdq-hash-video writes it: {text[:200]!r}")
named = ward("hash", "-f", "vpdq", "--vpdq-names", "known.mp4", check_rc=0).stdout.decode()
expect(named.splitlines()[0] == "# known.mp4" and named.splitlines()[1:] == lines,
       f"--vpdq-names: a '# path' line, then the same frames: {named[:100]!r}")
ff("-f", "lavfi", "-i", "mandelbrot=size=160x120:rate=5", "-t", "2", "-pix_fmt", "yuv420p",
   "other.mp4")
p2 = ward("hash", "-f", "vpdq", "known.mp4", "other.mp4", check_rc=1)
expect(b"second video" in p2.stderr, f"two videos in one reference file reported: {p2.stderr!r}")
ward("hash", "-f", "vpdq", "--vpdq-names", "-o", "both.vpdq", "known.mp4", "other.mp4", check_rc=0)
other = [l for l in open("both.vpdq").read().split("# other.mp4\n")[1].splitlines()]
ward("db", "import", "--data", "dn", "--list", "named", "both.vpdq", check_rc=0)
for h, video in [(lines[0].split(",")[2], "known"), (other[0].split(",")[2], "other")]:
    recs = jsonl(ward("db", "lookup", "--data", "dn", "--json", h, check_rc=1).stdout)
    expect([r["media_id"] for r in recs] == [video], f"named form read back: {video}: {recs}")
rec = jsonl(ward("hash", "--jsonl", "known.mp4", check_rc=0).stdout)[0]
expect(rec["media"] == "mp4" and rec["video"]["codec"] == "h264" and len(rec["vpdq"]) == len(lines),
       f"jsonl video fields: {rec.get('video')}")

# limits and sampling rate from the command line
p = ward("hash", "--max-video-duration", "2", "known.mp4", check_rc=1)
expect(b"over the limit" in p.stderr, f"video duration limit: {p.stderr!r}")
ward("hash", "--video-interval", "0", "known.mp4", check_rc=2)
dense = ward("hash", "-f", "vpdq", "--video-interval", "0.25", "known.mp4", check_rc=0).stdout
expect(dense.count(b"\n") >= len(lines), "a shorter interval samples at least as many frames")

# ward db: the frame list imported as a video list
p = ward("db", "import", "--data", "d", "--list", "videos", "--category", "1", "known.vpdq",
         check_rc=0)
expect(b"vpdq into list 'videos'" in p.stdout, f"detected as vpdq: {p.stdout!r}")
open("bad.vpdq", "w").write("0,100,zz,0.0\n")
p = ward("db", "import", "--data", "d", "--list", "x", "--format", "vpdq", "bad.vpdq", check_rc=1)
expect(b"bad.vpdq:1" in p.stderr, f"bad vpdq line named: {p.stderr!r}")
# export of the video list in vPDQ form, and back: the same frames
ward("db", "export", "--data", "d", "--format", "vpdq", "--list", "videos", "-o", "out.vpdq",
     check_rc=0)
exported = open("out.vpdq").read().splitlines()
expect(exported[0] == "# known" and exported[1:] == lines, f"vpdq export: {exported} vs {lines}")
ward("db", "import", "--data", "d2", "--list", "copy", "out.vpdq", check_rc=0)
recs = jsonl(ward("db", "lookup", "--data", "d2", "--json", lines[0].split(",")[2], check_rc=1).stdout)
expect(recs[0]["media_id"] == "known" and recs[0]["name"].startswith("known frame 0 at"),
       f"re-imported frame keeps its video: {recs[0]}")
ward("hash", "--pdq-text", "-o", "still.pdq", img("q0291.jpg"), check_rc=0)
ward("db", "import", "--data", "d", "--list", "stills", "--category", "1", "still.pdq", check_rc=0)

# the evidence
os.makedirs("ev")
ff("-i", "known.mp4", "-vf", "scale=320:-2", "-c:v", "libx264", "-crf", "35", "ev/copy-small.mp4")
ff("-i", "known.mp4", "-c:v", "libvpx-vp9", "-b:v", "200k", "ev/copy.webm")
ff("-loop", "1", "-t", "3", "-i", img("q0291.jpg"), "-vf", "scale=480:-2,format=yuv420p",
   "-r", "10", "ev/from-still.mp4")
ff("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10:duration=3", "-pix_fmt", "yuv420p",
   "ev/unrelated.mp4")
ff("-i", "known.mp4", "-vf", "fps=2,scale=320:-1", "ev/clip.gif")                   # animated GIF
open("ev/broken.mkv", "wb").write(open("ev/copy.webm", "rb").read()[:300])

ward("scan", "--data", "d", "--out", "out", "-q", "ev", check_rc=1)
by = {r["path"]: r for r in map(json.loads, open("out/files.jsonl"))}
for n in ["ev/copy-small.mp4", "ev/copy.webm"]:
    r = by[n]
    expect(r["class"] == "near", f"{n}: {r['class']}")
    vm = r.get("video_matches", [])
    expect(vm and vm[0]["video"] == "known" and vm[0]["query_match_percent"] >= 80
           and vm[0]["compared_match_percent"] >= 80 and vm[0]["target_frames"] == len(lines),
           f"{n}: vPDQ similarity to the known video, both ways: {vm}")
r = by["ev/clip.gif"]
expect(r["media"] == "gif" and len(r.get("vpdq", [])) >= 3 and r["class"] == "near",
       f"animated GIF sampled as a video: {r.get('class')} {len(r.get('vpdq', []))} frames")
r = by["ev/from-still.mp4"]
expect(r["class"] == "near" and r["matches"][0]["list"] == "stills" and "frame" in r["matches"][0],
       f"video made from a known still: {r.get('matches')}")
expect(by["ev/unrelated.mp4"]["class"] == "new-video", "unrelated video goes to a person")
expect(by["ev/broken.mkv"]["class"] == "error" and by["ev/broken.mkv"]["error"],
       "broken video: error with its reason")
s = json.load(open("out/summary.json"))
expect(s["classes"]["new-video"] == 1 and s["classes"]["near"] == 4, f"summary: {s['classes']}")
print("ok")
PY
