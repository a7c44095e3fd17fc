#!/bin/bash
# ward-test: no-store (not run again on PostgreSQL)
# ward hash as a user meets it: help, exit codes, errors named per file,
# standard input, deterministic order, symlinks, sniffing, limits, formats.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import os, subprocess, sys, csv, io
from wardtest import *
img = os.path.join(DATA, "pdq/images")

# --version, help, usage errors
expect(ward("--version", check_rc=0).stdout.startswith(b"ward "), "--version")
expect(b"SYNOPSIS" in ward("hash", "--help", check_rc=0).stdout, "hash --help")
expect(b"SYNOPSIS" in ward("help", "hash", check_rc=0).stdout, "help hash")
expect(b"Exit status" in ward("--help", check_rc=0).stdout, "--help lists exit codes")
ward(check_rc=2); ward("nosuch", check_rc=2); ward("hash", check_rc=2)
ward("hash", "--bogus", "x", check_rc=2); ward("hash", "-c", "crc32", "x", check_rc=2)
ward("hash", "-j", "0", "x", check_rc=2); ward("hash", "--format", "xml", "x", check_rc=2)

# a tree: images, a non-image named .jpg, an image named .txt, corrupt JPEG
os.makedirs("t/sub")
for n in ["q0122.jpg", "wee.jpg", "mode-P.png", "mode-F.webp"]:
    open("t/" + n, "wb").write(open(os.path.join(img, n), "rb").read())
open("t/sub/renamed.txt", "wb").write(open(os.path.join(img, "q0291.jpg"), "rb").read())
open("t/sub/not-an-image.jpg", "w").write("just text\n")
open("t/sub/corrupt.jpg", "wb").write(b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + os.urandom(200))
os.symlink("q0122.jpg", "t/link.jpg")
os.mkfifo("t/fifo")

p = ward("hash", "--jsonl", "t", check_rc=1)
recs = {r["path"]: r for r in jsonl(p.stdout)}
err = p.stderr.decode()
expect(set(recs) == {"t/q0122.jpg", "t/wee.jpg", "t/mode-P.png", "t/mode-F.webp",
                     "t/sub/renamed.txt", "t/sub/not-an-image.jpg", "t/sub/corrupt.jpg"},
       f"records: {sorted(recs)}")
expect(recs["t/sub/renamed.txt"]["media"] == "jpeg" and "pdq" in recs["t/sub/renamed.txt"],
       "image sniffed from content despite .txt")
expect(recs["t/sub/not-an-image.jpg"]["media"] == "unknown" and "pdq" not in recs["t/sub/not-an-image.jpg"],
       "text named .jpg is not an image")
c = recs["t/sub/corrupt.jpg"]
expect("md5" in c and "image_error" in c, "corrupt image keeps digests, has image_error")
expect(err.count("\n") == 1 and "t/sub/corrupt.jpg: JPEG:" in err, f"one stderr line for corrupt: {err!r}")

# deterministic: same bytes with 1 and 3 threads
a = ward("hash", "--jsonl", "-j", "1", "t").stdout
b = ward("hash", "--jsonl", "-j", "3", "t").stdout
expect(a == b, "output independent of thread count")

# symlinks: skipped by default (-v says so), followed with --follow
expect("link.jpg: symbolic link, skipped" in ward("hash", "-v", "--jsonl", "t").stderr.decode(), "-v reports symlink")
expect("t/link.jpg" in {r["path"] for r in jsonl(ward("hash", "-L", "--jsonl", "t").stdout)}, "--follow")
os.symlink("..", "t/sub/loop")
expect("directory cycle" in ward("hash", "-L", "--jsonl", "t").stderr.decode(), "cycle detected")
os.remove("t/sub/loop")

# a path that does not exist, and a file that opens but cannot be read
p = ward("hash", "--jsonl", "nope", "t/q0122.jpg", check_rc=1)
expect(b"nope: cannot stat" in p.stderr and len(jsonl(p.stdout)) == 1, "missing path reported, run goes on")
p = ward("hash", "--jsonl", "/proc/self/mem", check_rc=1)
expect(b"/proc/self/mem: read failed" in p.stderr, f"read error named: {p.stderr!r}")

# standard input equals the file
f = ward("hash", "--jsonl", "t/q0122.jpg", check_rc=0).stdout
s = ward("hash", "--jsonl", "-", stdin=open("t/q0122.jpg", "rb").read(), check_rc=0).stdout
fr, sr = jsonl(f)[0], jsonl(s)[0]
expect(sr["path"] == "-" and all(fr[k] == sr[k] for k in ["md5", "sha1", "sha256", "pdq", "pdq_quality"]),
       "stdin hashes like the file")

# pixel limit: refused with a clear reason, digests kept
p = ward("hash", "--jsonl", "--max-pixels", "1000", "t/q0122.jpg", check_rc=1)
r = jsonl(p.stdout)[0]
expect("over the limit" in r["image_error"] and "sha256" in r, "max-pixels")

# digest selection and formats
r = jsonl(ward("hash", "--jsonl", "-c", "sha256", "--no-pdq", "t/q0122.jpg").stdout)[0]
expect("sha256" in r and "md5" not in r and "pdq" not in r, "-c sha256 --no-pdq")
rows = list(csv.DictReader(io.StringIO(ward("hash", "--csv", "t").stdout.decode())))
expect(len(rows) == 7 and rows[0]["path"] == "t/mode-F.webp" and rows[0]["pdq"], "csv")
lines = ward("hash", "--pdq-text", "t").stdout.decode().splitlines()
expect(len(lines) == 5 and all(len(l.split(",")[0]) == 64 for l in lines), f"pdq-text: {lines}")
d = ward("hash", "--pdq-text", "--dihedral", "t/q0122.jpg").stdout.decode().strip().split(",")
expect(len(d) == 10 and d[8] == "100", "pdq-text dihedral: 8 hashes, quality, path")
r = jsonl(ward("hash", "--jsonl", "--dihedral", "t/q0122.jpg").stdout)[0]
expect(len(r["pdq_dihedral"]) == 8 and r["pdq_dihedral"]["orig"] == r["pdq"], "jsonl dihedral")
t = ward("hash", "--text", "t/q0122.jpg").stdout.decode()
expect("pdq " in t and "sha256 " in t, "text format")

# hashdeep: audit passes with hashdeep itself. hashdeep follows symlinks in
# -r and would read the fifo, so both go first (ward --follow matches it).
os.remove("t/fifo")
os.remove("t/link.jpg")
open("list.hd", "wb").write(ward("hash", "--hashdeep", "t").stdout)
a = subprocess.run(["hashdeep", "-a", "-k", "list.hd", "-r", "t"], capture_output=True)
expect(a.returncode == 0 and b"Audit passed" in a.stdout, f"hashdeep audit: {a.stdout} {a.stderr}")

# output file that cannot be written
ward("hash", "-o", "/nonexistent/dir/out", "t", check_rc=4)
print("ok: hash CLI")
PY
