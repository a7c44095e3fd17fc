#!/bin/bash
# ward-test: no-store (not run again on PostgreSQL)
# One benign photo written in every format ward decodes (by PIL and heif-enc)
# must PDQ-hash close to the original; EXIF orientation is ignored by default
# (the rotated pixels hash like the rotation) and applied with --exif-orient.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import os, subprocess, sys
from wardtest import *
from PIL import Image

src = Image.open(os.path.join(DATA, "pdq/images/bridge-1-original.jpg")).convert("RGB")
src.save("ref.png")
ref = jsonl(ward("hash", "--jsonl", "ref.png", check_rc=0).stdout)[0]
expect(ref["pdq_quality"] == 100, "reference quality")

files = {  # name -> (writer, max bits from the PNG's hash)
    "a.png": (lambda n: src.save(n), 0),
    "a-grey.png": (lambda n: src.convert("L").save(n), 8),
    "a-palette.png": (lambda n: src.convert("P").save(n), 16),
    "a-rgba.png": (lambda n: src.convert("RGBA").save(n), 0),
    "a.bmp": (lambda n: src.save(n), 0),
    "a-8bit.bmp": (lambda n: src.convert("P").save(n), 16),
    "a.tiff": (lambda n: src.save(n, compression="tiff_lzw"), 0),
    "a.gif": (lambda n: src.save(n), 16),
    "a-anim.gif": (lambda n: src.save(n, save_all=True, append_images=[src.rotate(90)]), 16),
    "a-lossless.webp": (lambda n: src.save(n, lossless=True), 0),
    "a.webp": (lambda n: src.save(n, quality=90), 16),
    "a.ppm": (lambda n: src.save(n), 0),
    "a.pgm": (lambda n: src.convert("L").save(n), 8),
    "a.jpg": (lambda n: src.save(n, quality=92), 16),
    "a-progressive.jpg": (lambda n: src.save(n, quality=92, progressive=True), 16),
    "a-big.jpg": (lambda n: src.resize((3000, 2200)).save(n, quality=90), 16),
}
for name, (write, _) in files.items():
    write(name)
subprocess.run(["heif-enc", "-q", "90", "-o", "a.heic", "a.png"], check=True, capture_output=True)
files["a.heic"] = (None, 16)
for name, (_, limit) in sorted(files.items()):
    os.rename(name, "x-" + name.replace(".", "_"))  # hide the extension: sniffing only
    r = jsonl(ward("hash", "--jsonl", "x-" + name.replace(".", "_"), check_rc=0).stdout)[0]
    d = pdq_distance(r["pdq"], ref["pdq"])
    print(f"{name:20} {r['media']:5} {d:3} bits")
    expect(d <= limit, f"{name}: {d} bits from reference (limit {limit})")

# EXIF orientation 6 (rotate 90 CW to display): the stored pixels are the
# photo turned 90 CCW. Default: hash of the stored pixels; --exif-orient: upright.
exif = Image.Exif(); exif[0x0112] = 6
src.transpose(Image.Transpose.ROTATE_90).save("rot.jpg", quality=95, exif=exif)
plain = jsonl(ward("hash", "--jsonl", "--dihedral", "rot.jpg", check_rc=0).stdout)[0]
upright = jsonl(ward("hash", "--jsonl", "--exif-orient", "rot.jpg", check_rc=0).stdout)[0]
expect(plain["exif_orientation"] == 6, "orientation reported")
expect(pdq_distance(plain["pdq"], ref["pdq"]) > 64, "default ignores EXIF (hash of stored pixels)")
expect(pdq_distance(upright["pdq"], ref["pdq"]) <= 16, "--exif-orient hashes upright")
best = min(pdq_distance(h, ref["pdq"]) for h in plain["pdq_dihedral"].values())
expect(best <= 16, "a dihedral variant of the stored pixels matches the upright photo")

# a tiny image decodes but has no PDQ: not an error
Image.new("RGB", (3, 3), (200, 10, 10)).save("tiny.png")
r = jsonl(ward("hash", "--jsonl", "tiny.png", check_rc=0).stdout)[0]
expect("pdq" not in r and "smaller than" in r["pdq_note"], "tiny image: pdq_note")

# truncated files of each format: reported, digests kept, no crash
for name in ["x-a_png", "x-a_gif", "x-a_bmp", "x-a_tiff", "x-a_webp", "x-a_heic", "x-a_jpg"]:
    data = open(name, "rb").read()
    open("trunc", "wb").write(data[: len(data) // 3])
    p = ward("hash", "--jsonl", "trunc")
    r = jsonl(p.stdout)[0]
    expect(p.returncode in (0, 1) and "sha256" in r, f"truncated {name}: rc {p.returncode}")
print("ok: formats")
PY
