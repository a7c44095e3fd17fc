#!/bin/bash
# kill -9 during `ward intel ingest` and `ward intel update`: the intelligence
# store stays whole (SQLite integrity; on both stores the invariants below),
# an interrupted ingest lands nothing, and re-running gives exactly what an
# uninterrupted run gives. With WARD_INTEL_KEY_FILE set
# (faults_intel_crypt.sh) the same, encrypted.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import os, random, signal, sqlite3, subprocess, sys, time
from wardtest import *

N = 1500 if os.environ.get("WARD_SANITIZED") == "1" else 6000
seed = int(os.environ.get("WARD_FAULT_SEED", random.randrange(1 << 30)))
print(f"seed {seed} (WARD_FAULT_SEED repeats this run)")
rng = random.Random(seed)
subprocess.run(["/usr/bin/python3", f"{SRC}/scripts/gen_referrals.py", "--records", str(N),
                "--seed", "5", "--out", "list.csv"], check=True, capture_output=True)
NOW = "2026-11-23T09:00:00Z"

def intel(data, *args, check=None):
    return ward("intel", "--data", data, "--now", NOW, *args, check_rc=check)

def picture(data):
    """What an analyst sees: subjects with bands and routing, and the report."""
    subj = intel(data, "subjects").stdout
    rep = intel(data, "report").stdout
    return subj, rep

# What a half-written transaction would leave behind; none may be there.
BROKEN = {
    "a batch whose record count is not its records":
        "SELECT count(*) FROM batches b WHERE records <> (SELECT count(*) FROM records r"
        " WHERE r.batch = b.id)",
    "a batch without its ingest audit row":
        "SELECT (SELECT count(*) FROM batches) - (SELECT count(*) FROM audit"
        " WHERE action = 'ingest')",
    "values of no record": "SELECT count(*) FROM vals v WHERE NOT EXISTS"
                           " (SELECT 1 FROM records r WHERE r.id = v.record)",
    "factors of no record": "SELECT count(*) FROM factors f WHERE f.record IS NOT NULL AND"
                            " NOT EXISTS (SELECT 1 FROM records r WHERE r.id = f.record)",
    "records in no subject after a resolve":
        "SELECT count(*) FROM records r WHERE EXISTS (SELECT 1 FROM audit"
        " WHERE action = 'resolve') AND NOT EXISTS (SELECT 1 FROM subject_records s"
        " WHERE s.record = r.id)",
    "members of no subject": "SELECT count(*) FROM subject_records s WHERE NOT EXISTS"
                             " (SELECT 1 FROM subjects j WHERE j.id = s.subject)",
    "packages without their first version":
        "SELECT count(*) FROM packages p WHERE NOT EXISTS (SELECT 1 FROM package_versions v"
        " WHERE v.package = p.id AND v.version = 1)",
}

def integrity(data):
    if os.environ.get("WARD_INTEL_KEY_FILE"):   # encrypted (faults_intel_crypt.sh)
        if not os.path.exists(f"{data}/intel.db"):
            return  # killed before it was created
        expect(open(f"{data}/intel.db", "rb").read(8) in (b"WARDAEAD", b""), "intel.db is encrypted")
        p = intel(data, "check")
        expect(p.returncode == 0, f"intel.db integrity after kill: {p.stderr[:300]!r}")
        return
    if not skip_on_postgres("PRAGMA integrity_check reads the SQLite file"):
        if not os.path.exists(f"{data}/intel.db"):
            return  # killed before it was created
        db = sqlite3.connect(f"{data}/intel.db")
        ok = db.execute("PRAGMA integrity_check").fetchone()[0]
        db.close()
        expect(ok == "ok", f"intel.db integrity after kill: {ok}")
    try:
        for what, sql in BROKEN.items():
            n = store_query(data, "intel", sql)[0][0]
            expect(n == 0, f"after a kill: {n} x {what}")
    except (RuntimeError, sqlite3.OperationalError) as e:
        # killed before the schema was made: nothing to check yet
        expect("does not exist" in str(e) or "no such table" in str(e), str(e))

# The reference: an uninterrupted run, timed to aim the kills inside it.
t0 = time.time()
p = intel("ref", "ingest", "--source", "op-fault", "--bulk", "list.csv")
t_ingest = time.time() - t0
expect(p.returncode in (0, 1), p.stderr)
t0 = time.time()
intel("ref", "update", check=0)
t_update = time.time() - t0
want = picture("ref")

def killed(data, args, lo, hi):
    """Start ward intel ARGS, kill -9 it after a random delay; True if killed."""
    cmd = [WARD, "intel", "--data", data, "--now", NOW, *args]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(rng.uniform(lo, hi))
    if p.poll() is None:
        p.send_signal(signal.SIGKILL)
        p.wait()
        return True
    return False

# Ingest killed at random points, three times; then update killed too.
kills = 0
for i in range(3):
    k = killed("run", ["ingest", "--source", "op-fault", "--bulk", "list.csv"],
               0.05 * t_ingest, 0.9 * t_ingest)
    kills += k
    integrity("run")
    if not k:
        break  # it finished: the file is in, a further ingest is refused
p = intel("run", "ingest", "--source", "op-fault", "--bulk", "list.csv")
if p.returncode not in (0, 1):
    # an ingest that finished before a kill: the file is already in
    expect(b"already" in p.stderr, f"re-ingest after kills: {p.returncode} {p.stderr[:300]!r}")
for i in range(3):
    kills += killed("run", ["update"], 0.05 * t_update, 0.9 * t_update)
    integrity("run")
intel("run", "update", check=0)
got = picture("run")
expect(got[0] == want[0], "subjects identical to an uninterrupted run")
expect(got[1] == want[1], "report identical to an uninterrupted run")
expect(kills >= 2, f"only {kills} kills landed inside a run")
print(f"ok: faults_intel ({kills} kills)")
PY
