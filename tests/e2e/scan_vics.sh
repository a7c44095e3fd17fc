#!/bin/bash
# vics.json as VICS consumers read it (issues 18.3, 16.6): integer MediaID,
# upper-case MD5 even when the scan was asked for SHA-256 only, PDQ in
# AlternativeHashes, a near match keeping its category, Deleted beside
# Unallocated; and ward db import refusing the case as an alert list unless
# the examiner names the verdicts to take.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import json, os, shutil, sys
from wardtest import *
from PIL import Image

I = os.path.join(DATA, "pdq/images")
ward("hash", "--pdq-text", "-o", "alert.pdq", os.path.join(I, "bridge-1-original.jpg"), check_rc=0)
ward("db", "import", "--data", "d", "--list", "alert", "--category", "1", "alert.pdq", check_rc=0)
os.makedirs("ev")
br = Image.open(os.path.join(I, "bridge-1-original.jpg"))
br.resize((br.width // 3, br.height // 3)).save("ev/resized.jpg", quality=40)   # near
shutil.copy(os.path.join(I, "q0746.jpg"), "ev/new.jpg")                          # new-image
open("ev/system.dll", "wb").write(b"MZ not really a program\n")                 # other
ward("scan", "--data", "d", "--out", "out", "-q", "-c", "sha256", "ev", check_rc=1)  # 1: a match
case = json.load(open("out/vics.json"))["value"][0]
expect(case["WardExport"] == "case", "the case says it is a scan's export")
media = {m["FileName"]: m for m in case["Media"]}
for name, m in media.items():
    expect(isinstance(m["MediaID"], int), f"{name}: integer MediaID: {m['MediaID']!r}")
    expect(len(m.get("MD5", "")) == 32 and m["MD5"] == m["MD5"].upper(),
           f"{name}: MD5 computed and upper-case with -c sha256: {m.get('MD5')}")
    f = m["MediaFiles"][0]
    expect(f["Deleted"] == "false" and f["Unallocated"] == "false", f"{name}: both flags: {f}")
near = media["resized.jpg"]
expect(near["WardClass"] == "near" and near["Category"] == 1 and near["IsPrecategorized"] == "true",
       f"near match keeps its category: {near}")
for name in ["resized.jpg", "new.jpg"]:
    alt = media[name].get("AlternativeHashes", [])
    expect(len(alt) == 1 and alt[0]["HashName"] == "PDQ" and len(alt[0]["HashValue"]) == 64,
           f"{name}: PDQ in AlternativeHashes: {alt}")

# As an alert list it would make system.dll "known": refused, nothing stored
p = ward("db", "import", "--data", "d", "--list", "case", "out/vics.json")
expect(p.returncode == 2 and b"case export" in p.stderr and b"--case-verdicts" in p.stderr,
       f"case export refused: {p.returncode} {p.stderr!r}")
ward("db", "import", "--data", "d", "--list", "case", "--case-verdicts", "new-image,bogus",
     "out/vics.json", check_rc=2)
p = ward("db", "import", "--data", "d", "--list", "case", "--case-verdicts", "new-image",
         "out/vics.json", check_rc=0)
expect(b"1 added" in p.stdout and b"2 Media of the case left out" in p.stdout, f"{p.stdout!r}")
recs = jsonl(ward("db", "lookup", "--data", "d", "--json", media["system.dll"]["SHA256"].lower()).stdout)
expect(recs and not recs[0].get("found", True), f"the system file did not become known: {recs}")
print("ok: vics.json for VICS consumers")
PY
