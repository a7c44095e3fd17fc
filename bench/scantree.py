#!/usr/bin/python3
"""Generate the tree the scan benchmark (bench/scan.sh) scans.

    /usr/bin/python3 bench/scantree.py TREE SRC_JPEG...

TREE/photos/NNmpx/   camera-style JPEGs made from the benign source photos
                     (bench/photos.sh: Debian wallpapers): each source, in
                     its own aspect ratio, downscaled (never upscaled; Lanczos)
                     to 1, 2, 3, 5, 8 and 12 megapixels where it is large
                     enough, written as cameras and phones write them:
                     baseline, 4:2:0, quality 95, standard Huffman tables.
TREE/other/          non-image files: bench/gentree.py's random binaries at
                     scale 0.5 (1000 files of 1-64 KiB, 20 of 1-10 MiB, 64
                     and 96 MiB) plus 200 text files of 1-40 KiB.

Deterministic; does nothing when TREE already holds this tree (a stamp sits
beside TREE). Prints a JSON description: file counts and bytes per part and
per photo size.
"""
import json
import os
import random
import shutil
import subprocess
import sys

from PIL import Image

SIZES_MPX = (1, 2, 3, 5, 8, 12)
QUALITY = 95
OTHER_SCALE = 0.5
TEXT_FILES = 200
HERE = os.path.dirname(os.path.abspath(__file__))
VERSION = "scantree v1"

WORDS = ("the of and to in is was for on that with as by at from this be have it "
         "report case file device image folder phone backup export message account "
         "invoice meeting travel photo holiday family garden weather schedule notes "
         "draft final copy list budget order delivery address contact").split()


def describe(root):
    out = {"tree": root, "photos": {}, "other": {"files": 0, "bytes": 0}}
    pdir = os.path.join(root, "photos")
    for cls in sorted(os.listdir(pdir), key=lambda c: int(c.rstrip("mpx"))):
        files = [os.path.join(pdir, cls, f) for f in sorted(os.listdir(os.path.join(pdir, cls)))]
        px = 0
        dims = []
        for f in files:
            with Image.open(f) as im:
                w, h = im.size
            px += w * h
            dims.append((w, h))
        out["photos"][cls] = {"files": len(files), "bytes": sum(os.path.getsize(f) for f in files),
                              "pixels": px,
                              "smallest": min(dims, key=lambda d: d[0] * d[1]),
                              "largest": max(dims, key=lambda d: d[0] * d[1])}
    for dirpath, _, names in os.walk(os.path.join(root, "other")):
        for n in names:
            out["other"]["files"] += 1
            out["other"]["bytes"] += os.path.getsize(os.path.join(dirpath, n))
    ph = out["photos"].values()
    out["photo_files"] = sum(c["files"] for c in ph)
    out["photo_bytes"] = sum(c["bytes"] for c in ph)
    out["photo_pixels"] = sum(c["pixels"] for c in ph)
    out["files"] = out["photo_files"] + out["other"]["files"]
    out["bytes"] = out["photo_bytes"] + out["other"]["bytes"]
    return out


def make_photos(root, sources):
    for n, src in enumerate(sources):
        with Image.open(src) as im:
            im = im.convert("RGB")
            w, h = im.size
            for mpx in SIZES_MPX:
                s = (mpx * 1e6 / (w * h)) ** 0.5
                if s > 1.0:
                    continue
                # Even sides, as camera sensors produce.
                tw, th = max(2, int(round(w * s / 2)) * 2), max(2, int(round(h * s / 2)) * 2)
                small = im if (tw, th) == (w, h) else im.resize((tw, th), Image.LANCZOS)
                d = os.path.join(root, "photos", "%dmpx" % mpx)
                os.makedirs(d, exist_ok=True)
                small.save(os.path.join(d, "IMG_%04d.jpg" % (n * 10 + SIZES_MPX.index(mpx))),
                           "JPEG", quality=QUALITY, subsampling=2, optimize=False,
                           progressive=False)


def make_text(root):
    rng = random.Random(99)
    d = os.path.join(root, "other", "text")
    os.makedirs(d, exist_ok=True)
    for i in range(TEXT_FILES):
        target = rng.randint(1024, 40 * 1024)
        lines, size = [], 0
        while size < target:
            line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 14))) + "\n"
            lines.append(line)
            size += len(line)
        with open(os.path.join(d, "note%03d.txt" % i), "w") as f:
            f.write("".join(lines))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    root = sys.argv[1].rstrip("/")
    sources = sorted(sys.argv[2:])
    stamp_path = root + ".stamp"
    stamp = "%s sizes=%s q=%d other=%s text=%d sources=%s\n" % (
        VERSION, SIZES_MPX, QUALITY, OTHER_SCALE, TEXT_FILES,
        ";".join("%s:%d" % (os.path.basename(s), os.path.getsize(s)) for s in sources))
    if not (os.path.isdir(root) and os.path.exists(stamp_path)
            and open(stamp_path).read() == stamp):
        shutil.rmtree(root, ignore_errors=True)
        if os.path.exists(stamp_path):
            os.remove(stamp_path)
        make_photos(root, sources)
        subprocess.run([sys.executable, os.path.join(HERE, "gentree.py"),
                        os.path.join(root, "other", "bin"), str(OTHER_SCALE)],
                       check=True, stdout=subprocess.DEVNULL)
        # gentree.py leaves its own stamp beside its folder; keep the tree pure.
        try:
            os.remove(os.path.join(root, "other", "bin.stamp"))
        except OSError:
            pass
        make_text(root)
        with open(stamp_path, "w") as f:
            f.write(stamp)
    print(json.dumps(describe(root)))


if __name__ == "__main__":
    main()
