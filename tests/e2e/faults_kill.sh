#!/bin/bash
# kill -9 at random points, repeatedly, during `ward scan` and `ward db import`.
#   scan:   killed, resumed and killed again (two threads, checkpoints every
#           50 ms), then resumed to the end: every report is the same as an
#           uninterrupted scan's but for times, the scan's id and its command
#           line. Also the state a kill leaves before the first checkpoint.
#           (scan_resume.sh covers one kill after a checkpoint, Ctrl-C, and
#           a resume with other options.)
#   import: killed at random points, each leaves a store that passes
#           `ward db check` and holds what it held before; the import run
#           again gives the `ward db stats --json` of an uninterrupted one.
# The kill points come from a seed printed first (WARD_FAULT_SEED repeats a
# run). WARD_SANITIZED=1 (ASan build) shrinks the workloads.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import json, os, random, re, subprocess, sys, time
from wardtest import *

SMALL = os.environ.get("WARD_SANITIZED") == "1"
seed = int(os.environ.get("WARD_FAULT_SEED", random.randrange(1 << 32)))
print(f"seed {seed} (WARD_FAULT_SEED={seed} repeats these kill points)")
rng = random.Random(seed)

def run_killed(args, after):
    """Start ward, kill -9 it `after` seconds later; True if it was killed."""
    p = subprocess.Popen([WARD, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        p.wait(timeout=after)
        return False
    except subprocess.TimeoutExpired:
        p.kill(); p.wait()
        return True

# ================================ scan ================================
I = os.path.join(DATA, "pdq/images")
ward("hash", "--hashdeep", "-o", "l.hd", os.path.join(I, "wee.jpg"), check_rc=0)
ward("db", "import", "--data", "d", "--list", "alerts", "--category", "1", "l.hd", check_rc=0)
dirs, per_dir = (3, 12) if SMALL else (12, 40)
make_image_tree("ev", dirs, per_dir, zip_dir=1, zip_members=20, known_dir=0)

scan = ["scan", "--data", "d", "-j", "2", "--checkpoint", "0.05", "-q"]
t0 = time.time()
ward(*scan, "--out", "ref", "ev", check_rc=1)
t_ref = time.time() - t0

def normalised(out, name):
    """A report with what differs between two identical scans blanked:
    times, durations, the scan's random id, the command line."""
    text = open(os.path.join(out, name), encoding="utf-8").read()
    state = json.load(open(os.path.join(out, "scan-state.json")))
    text = text.replace(state["command"], "<command>")
    case = open(os.path.join(out, "case.jsonld"), encoding="utf-8").read()
    for sid in set(re.findall(r"urn:ward:scan:([0-9a-f]{32})", case)):
        guid = "{%s-%s-%s-%s-%s}" % (sid[:8], sid[8:12], sid[12:16], sid[16:20], sid[20:])
        text = text.replace(sid, "<id>").replace(guid.upper(), "<id>")
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "<time>", text)
    text = re.sub(r'"elapsed_s": ?[0-9.e+-]+', '"elapsed_s":0', text)
    return re.sub(r'"resumed": ?(true|false)', '"resumed":?', text)

REPORTS = sorted(n for n in os.listdir("ref")
                 if n not in ("checkpoint.json", "scan.fingerprint"))
expect("files.jsonl" in REPORTS and "summary.json" in REPORTS, f"reports: {REPORTS}")

def same_reports(out, how):
    for name in REPORTS:
        expect(os.path.exists(os.path.join(out, name)), f"{how}: {name} written")
        expect(normalised(out, name) == normalised("ref", name),
               f"{how}: {name} differs from the uninterrupted scan's")

def resumable(out):
    """Whether the killed scan got far enough to say what it was scanning
    (before that, --resume refuses and says to start it again)."""
    fp = os.path.join(out, "scan.fingerprint")
    return os.path.exists(fp) and os.path.getsize(fp) > 0

# Killed at a random point, resumed and killed again, three times.
def checkpoint_items(out):
    cp = os.path.join(out, "checkpoint.json")
    return json.load(open(cp))["items"] if os.path.exists(cp) else None

kills = 0
for round in range(3):
    after = rng.uniform(0.01, t_ref)
    extra = ["--resume"] if resumable("k") else []
    before = checkpoint_items("k") if extra else None
    kills += run_killed([*scan, "--out", "k", *extra, "ev"], after)
    # a resumed scan's checkpoint never counts fewer items than the one it
    # resumed from (it once wrote 0 before passing its resume point, and
    # the next --resume scanned everything again after the kept records)
    after_items = checkpoint_items("k")
    expect(before is None or (after_items is not None and after_items >= before),
           f"round {round}: checkpoint went from {before} to {after_items} items")
if not resumable("k"):
    p = ward(*scan, "--out", "k", "--resume", "ev", check_rc=3)
    expect(b"without --resume" in p.stderr, f"killed at once: resume says what to do {p.stderr!r}")
ward(*scan, "--out", "k", *(["--resume"] if resumable("k") else []), "ev", check_rc=1)
same_reports("k", f"{kills} kills then --resume")
scan_kills = kills
st = json.load(open("k/scan-state.json"))
expect(st["complete"] is True, "resumed scan complete")

# A kill before the first checkpoint leaves outputs but no checkpoint;
# --resume then starts afresh (it used to refuse with 'no checkpoint').
for _ in range(20):
    run_killed([*scan, "--out", "e", "ev"], rng.uniform(0.01, t_ref / 2))
    if resumable("e"):
        break
if os.path.exists("e/checkpoint.json"):
    os.unlink("e/checkpoint.json")
ward(*scan, "--out", "e", "--resume", "ev", check_rc=1)
same_reports("e", "killed before the first checkpoint, then --resume")

# --resume still refuses a folder that never held a scan.
os.makedirs("empty")
p = ward(*scan, "--out", "empty", "--resume", "ev", check_rc=3)
expect(b"no checkpoint" in p.stderr, f"resume of an empty folder refused: {p.stderr!r}")

# =============================== import ===============================
n = 15000 if SMALL else 120000
with open("big.md5", "w") as f:
    for i in range(n):
        f.write("%032x  file%06d.bin\n" % (rng.getrandbits(128), i))
hs = os.path.join(DATA, "hashsets")

def stats(data):
    s = json.loads(ward("db", "stats", "--data", data, "--json", check_rc=0).stdout)
    del s["store_id"]   # random per store
    return s

def prepare(data):
    for name in ["md5sum.txt", "hashdeep.txt"]:
        ward("db", "import", "--data", data, "--list", "first", "--category", "1",
             os.path.join(hs, name), check_rc=0)

imp = ["db", "import", "--list", "big", "--category", "2", "big.md5"]
prepare("ref-store")
t0 = time.time()
ward(*imp[:2], "--data", "ref-store", *imp[2:], check_rc=0)
t_imp = time.time() - t0
want = stats("ref-store")

ks = "k-store"
prepare(ks)
before = stats(ks)
kills = 0
for round in range(3):
    killed = run_killed([*imp[:2], "--data", ks, *imp[2:]], rng.uniform(0.01, t_imp))
    kills += killed
    p = ward("db", "check", "--data", ks)
    expect(p.returncode == 0, f"db check after kill {round}: {p.stdout!r} {p.stderr!r}")
    now = stats(ks)
    # All or nothing: a kill after the commit (while it printed) leaves all.
    expect(now == before or now == want, f"kill {round}: store {now} neither before nor after")
    if now == want:
        # Committed: the next round needs a store as before, so a new data
        # directory (on the PostgreSQL pass, removing the old one would not
        # drop its schemas, which are named after the directory's path).
        ks = f"k-store{round + 1}"
        prepare(ks)
ward(*imp[:2], "--data", ks, *imp[2:], check_rc=0)
expect(stats(ks) == want, f"after {kills} kills and a rerun: stats {stats(ks)} == {want}")
ward("db", "check", "--data", ks, check_rc=0)
print(f"ok: scan {t_ref:.2f} s, {scan_kills} kills; import {t_imp:.2f} s, {kills} kills")
PY
