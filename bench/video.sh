#!/bin/sh
# vPDQ video hashing throughput against ffmpeg, in one run.
#
#   bench/video.sh [BUILD_DIR] [OUT_DIR]      (defaults: build, BUILD_DIR/bench-video)
#
# Makes two 60 s 1280x720 30 fps H.264 clips of a slow zoom over the bundled
# bridge photo (benign, tests/data/pdq/images), kept in OUT_DIR for reruns:
#   gop250.mp4  x264 defaults (preset medium, key frame every 250 frames,
#               B-frames): what a transcoding site or an editor writes
#   gop30.mp4   a key frame every second, no B-frames: what phones write
# and times, interleaved (bench/timeit.py, BENCH_RUNS rounds, default 5):
#   ward                  bench_video --runs 1: library defaults, 1 thread
#   ward --full           no frame skipped, deblocked (fast=0; still seeks)
#   ward --no-seek        never jumps to a key frame (fast=1)
#   ffmpeg fps=1 -threads 1      the yardstick: decode + pick 1 frame/s
#   ffmpeg fps=1 (all threads)   what a plain ffmpeg call costs in wall time
# The summary gives seconds of video per second of wall time and per CPU
# second (user + system: "per core"), median over the rounds, and how far
# the shortcuts move the frame hashes (bench_video --compare).
# Target (docs/video.md): ward >= 30x real time per core on the 720p clips.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD=$(cd "${1:-build}" && pwd)
OUT=${2:-$BUILD/bench-video}
PY=/usr/bin/python3
BENCH=$BUILD/bench/bench_video
RUNS=${BENCH_RUNS:-5}
PHOTO=$ROOT/tests/data/pdq/images/bridge-1-original.jpg

[ -x "$BENCH" ] || { echo "video.sh: no $BENCH; build first" >&2; exit 2; }
command -v ffmpeg >/dev/null || { echo "video.sh: ffmpeg missing (scripts/deps.sh)" >&2; exit 2; }
mkdir -p "$OUT"

# 1800 frames zooming from 1x to 1.6x into a 2560-wide copy of the photo.
make_clip() { # name, extra x264 options
    [ -s "$OUT/$1" ] && return 0
    echo "== making $1" >&2
    ffmpeg -v error -y -i "$PHOTO" \
        -vf "scale=2560:-2,zoompan=z='1+0.6*on/1800':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d=1800:s=1280x720:fps=30,format=yuv420p" \
        -frames:v 1800 -c:v libx264 $2 "$OUT/$1.tmp.mp4"
    mv "$OUT/$1.tmp.mp4" "$OUT/$1"
}
make_clip gop250.mp4 "-preset medium -crf 23"
make_clip gop30.mp4 "-preset medium -crf 23 -g 30 -bf 0"

for clip in gop250 gop30; do
    c=$OUT/$clip.mp4
    spec=$OUT/$clip.spec
    {
        printf 'ward\t%s --runs 1\n' "$BENCH $c"
        printf 'ward --full\t%s --runs 1 --full\n' "$BENCH $c"
        printf 'ward --no-seek\t%s --runs 1 --no-seek\n' "$BENCH $c"
        printf 'ffmpeg fps=1 -threads 1\tffmpeg -v error -threads 1 -i %s -vf fps=1 -f null -\n' "$c"
        printf 'ffmpeg fps=1\tffmpeg -v error -i %s -vf fps=1 -f null -\n' "$c"
    } > "$spec"
    echo "== timing $clip ($RUNS rounds)" >&2
    "$PY" "$HERE/timeit.py" --runs "$RUNS" --out "$OUT/$clip.json" "$spec" >&2
    "$BENCH" "$c" --runs 1 --compare > "$OUT/$clip.compare.txt"
done

"$PY" - "$OUT" <<'EOF'
import json, statistics, sys
out = sys.argv[1]
VIDEO_S = 60.0
print("%-8s %-26s %9s %9s %11s %10s" % ("clip", "command", "wall s", "cpu s",
                                        "x wall", "x per core"))
ok = True
for clip in ("gop250", "gop30"):
    res = json.load(open("%s/%s.json" % (out, clip)))["results"]
    for r in res:
        wall = r["median"]
        cpu = statistics.median(u + s for u, s in zip(r["user"], r["system"]))
        print("%-8s %-26s %9.2f %9.2f %10.1fx %9.1fx" % (clip, r["command"], wall, cpu,
                                                          VIDEO_S / wall, VIDEO_S / cpu))
        if r["command"] == "ward" and VIDEO_S / cpu < 30:
            ok = False
    for line in open("%s/%s.compare.txt" % (out, clip)):
        if line.startswith("ward: compare"):
            print("%-8s %s" % (clip, line.strip()[len("ward: "):]))
print("target ward >= 30x real time per core: %s" % ("PASS" if ok else "FAIL"))
EOF
