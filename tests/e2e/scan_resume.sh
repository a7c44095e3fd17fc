#!/bin/bash
# ward scan interrupted (kill -9, then Ctrl-C) and resumed: the result is
# byte-identical to an uninterrupted scan, and what was done is not redone.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import json, os, signal, subprocess, sys, time
from wardtest import *

I = os.path.join(DATA, "pdq/images")
ward("hash", "--hashdeep", "-o", "l.hd", os.path.join(I, "wee.jpg"), check_rc=0)
ward("hash", "--pdq-text", "-o", "l.pdq", os.path.join(I, "bridge-1-original.jpg"), check_rc=0)
for f in ["l.hd", "l.pdq"]:
    ward("db", "import", "--data", "d", "--list", "alerts", "--category", "1", f, check_rc=0)

# Many distinct images, a zip, text files.
make_image_tree("ev", dirs=12, per_dir=40, zip_dir=5, zip_members=30, known_dir=7)

common = ["scan", "--data", "d", "-j", "1", "--checkpoint", "0.1", "-q", "ev"]
ward(*common[:-1], "--out", "ref", "ev", check_rc=1)
ref = open("ref/files.jsonl", "rb").read()
nref = ref.count(b"\n")
expect(nref > 500, f"enough files to interrupt: {nref}")

def start(out, *extra):
    return subprocess.Popen([WARD, *common[:-1], "--out", out, *extra, "ev"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

def wait_for_progress(out, p):
    """Until a checkpoint names some but not all files (or the scan ends)."""
    deadline = time.time() + 120
    while time.time() < deadline and p.poll() is None:
        try:
            cp = json.load(open(os.path.join(out, "checkpoint.json")))
            if 50 < cp["items"] < nref - 50:
                return cp["items"]
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    return None

# ---- kill -9 ----
p = start("k")
items = wait_for_progress("k", p)
expect(items is not None, "scan was still running after a checkpoint")
p.kill(); p.wait()
expect(not os.path.exists("k/summary.json"), "killed scan wrote no final report")
r = ward(*common[:-1], "--out", "k", "--resume", "--progress", "jsonl", "ev", check_rc=1)
expect(open("k/files.jsonl", "rb").read() == ref, "kill -9 + resume: files.jsonl identical")
first = json.loads(r.stderr.decode().splitlines()[0])
expect(first["files"] >= items - 1, f"resume started from the checkpoint ({first['files']} >= {items})")
state = json.load(open("k/scan-state.json"))
expect(state["resumed"] is True and state["complete"] is True, "state says resumed and complete")
for name in ["files.csv"]:
    expect(open(f"k/{name}", "rb").read() == open(f"ref/{name}", "rb").read(), f"{name} identical")
sk, sr = json.load(open("k/summary.json")), json.load(open("ref/summary.json"))
for key in ["classes", "categories", "totals", "not_examined", "notices", "file_errors",
            "store_revision", "index_sha256"]:
    expect(sk[key] == sr[key], f"summary.json {key} identical after resume")

# ---- Ctrl-C (SIGINT): a clean stop with a message ----
p = start("c")
items = wait_for_progress("c", p)
expect(items is not None, "scan still running for SIGINT")
p.send_signal(signal.SIGINT)
_, err = p.communicate(timeout=60)
expect(p.returncode == 1 and b"--resume" in err, f"SIGINT: exit 1 and how to resume ({p.returncode})")
ward(*common[:-1], "--out", "c", "--resume", "ev", check_rc=1)
expect(open("c/files.jsonl", "rb").read() == ref, "SIGINT + resume: files.jsonl identical")

# ---- resume refuses another job's folder ----
p = ward("scan", "--data", "d", "-j", "1", "--out", "c", "--resume", "--radius", "10", "ev",
         check_rc=3)
expect(b"same command line" in p.stderr, "resume with other options refused")
print("ok")
PY
