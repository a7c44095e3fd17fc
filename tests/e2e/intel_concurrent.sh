#!/bin/bash
# ward intel under concurrency (issue 11), on SQLite and on PostgreSQL: real
# `ward intel` processes started together against one data directory, in
# several rounds with random start offsets. Each round ingests two
# overlapping lists (one of them twice at once), re-resolves and re-scores
# while two hubs add factors and overrides to the same subject and three
# officers record competing outcomes on each of two packages, and a keep
# decision is taken while the subject's dates are refreshed. Then:
#   no lost update   every factor, override and outcome a process reported
#                    written is there, once; of competing outcomes exactly
#                    one lands, the others are refused; a keep decision's
#                    review date survives refreshes of the subject's dates;
#   no duplicates    each list is in once, with every row it holds (a list
#                    ingested twice at once lands once; rows two lists share
#                    are kept as each list's referrals and resolve into one
#                    subject);
#   audit complete   one audit row per committed ingest, resolve, score and
#                    route, in commit order;
#   stable ids       replaying the audited commits one by one in a fresh
#                    data directory gives the same records, subject ids,
#                    memberships and packages: the concurrent history is a
#                    serial one.
# WARD_RACE_SEED repeats a run's timing choices.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import csv, os, random, subprocess, sys, time
from wardtest import *

GEN = os.path.join(os.environ["WARD_SOURCE_DIR"], "scripts", "gen_referrals.py")
SANITIZED = os.environ.get("WARD_SANITIZED") == "1"
ROUNDS = 2 if SANITIZED else 3
N = 120 if SANITIZED else 240
seed = int(os.environ.get("WARD_RACE_SEED", random.randrange(1 << 30)))
print(f"seed {seed} (WARD_RACE_SEED repeats this run)")
rng = random.Random(seed)

OUTCOMES = ("arrest", "charge", "caution")

def now(r):
    return f"2026-11-23T{10 + r:02}:00:00Z"

def gen(name, n, seed, prefix):
    subprocess.run(["/usr/bin/python3", GEN, "--records", str(n), "--seed", str(seed),
                    "--prefix", prefix, "--out", name],
                   check=True, capture_output=True)
    with open(name, newline="") as f:
        return list(csv.reader(f))

def write(name, rows):
    with open(name, "w", newline="") as f:
        csv.writer(f).writerows(rows)

def q(sql, params=(), data="d"):
    return store_query(data, "intel", sql, params)

def intel(data, now_, *args, user="analyst", rc=None):
    return ward("intel", args[0], "--data", data, "--now", now_, *args[1:],
                env=dict(os.environ, WARD_USER=user), check_rc=rc)

def together(groups, r):
    """Start each group of jobs (name, user, args) after a random offset, the
    jobs of a group at once (rivals for one write); all results."""
    procs = []
    for group in sorted(groups, key=lambda g: rng.random()):
        time.sleep(rng.uniform(0, 0.15))
        for name, user, args in group:
            env = dict(os.environ, WARD_USER=user)
            cmd = [WARD, "intel", args[0], "--data", "d", "--now", now(r), *args[1:]]
            procs.append((name, args, subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                                       stderr=subprocess.PIPE, env=env)))
    out = {}
    for name, args, p in procs:
        so, se = p.communicate(timeout=300)
        out[name] = (p.returncode, so.decode(errors="replace"), se.decode(errors="replace"))
        # waiting for the other writer is normal; failing because of it is not
        expect(p.returncode in (0, 1, 2), f"{name}: ward intel {' '.join(args)}: exit"
               f" {p.returncode}: {se.decode(errors='replace')[-400:]}")
    return out

committed = {"ingest": [], "resolve": 0, "score": 0, "route": 0}
lists = {}
for r in range(ROUNDS):
    # two lists sharing a third of their rows, byte for byte
    a = gen(f"a{r}.csv", N, 100 + r, f"A{r}x")
    b = gen(f"b{r}.csv", N, 200 + r, f"B{r}x")
    shared = a[1 + 2 * N // 3:]
    write(f"b{r}.csv", [b[0]] + b[1:1 + 2 * N // 3] + shared)
    lists[f"a{r}.csv"] = N
    lists[f"b{r}.csv"] = 2 * N // 3 + len(shared)
    jobs = [[("ingest-a", "intake1", ["ingest", "--source", f"list-a{r}", f"a{r}.csv"]),
             ("ingest-a-again", "intake2", ["ingest", "--source", f"list-a{r}", f"a{r}.csv"])],
            [("ingest-b", "intake3", ["ingest", "--source", f"list-b{r}", f"b{r}.csv"])],
            [("resolve", "hub0", ["resolve"])],
            [("score", "hub0", ["score"])],
            [("route", "hub0", ["route"])]]
    if r:
        # the same subject for both hubs, a package for two officers
        subj = rng.choice([x["subject"] for x in json.loads(intel("d", now(r), "subjects", "--json",
                                                             rc=0).stdout)])
        pkgs = [x for x in json.loads(intel("d", now(r), "packages", "--json", rc=0).stdout)
                if x["state"] == "created"]
        chosen = [str(x["package"]) for x in rng.sample(pkgs, 2)]
        for hub, factor, band in (("hub1", "grooming", "high"),
                                  ("hub2", "prior_conviction", "very-high")):
            jobs += [[(f"factor-{hub}", hub, ["factor", subj, factor, "--source", f"{hub}-r{r}",
                                              "--status", "intelligence", "--value", hub])],
                     [(f"override-{hub}", hub, ["override", subj, "--band", band, "--reason",
                                                f"{hub} round {r}"])]]
        for pkg in chosen:
            jobs += [[(f"outcome-{pkg}-{o}", f"officer-{o}", ["outcome", pkg, o, "--reason", o])
                      for o in OUTCOMES]]
        # a keep decision while others refresh the same subject's dates
        jobs += [[("keep", "reviewer", ["retain", subj, "--keep", "--reason", f"keep r{r}"]),
                  ("dates-1", "hub1", ["retention", subj]),
                  ("dates-2", "hub2", ["retention", subj])]]
    res = together(jobs, r)

    # each list once, whole; the list ingested twice at once landed once
    ins = [res[k] for k in ("ingest-a", "ingest-a-again")]
    expect(sorted(x[0] in (0, 1) for x in ins) == [False, True],
           f"round {r}: one of two ingests of one file lands: {[x[0] for x in ins]}")
    expect(any("already ingested" in x[2] for x in ins), f"round {r}: {[x[2][-200:] for x in ins]}")
    committed["ingest"] += [f"a{r}.csv"]
    expect(res["ingest-b"][0] in (0, 1), res["ingest-b"])
    committed["ingest"] += [f"b{r}.csv"]
    for k in ("resolve", "score", "route"):
        expect(res[k][0] == 0, f"round {r}: {k}: {res[k]}")
        committed[k] += 1
    got = {p: (n, recs) for p, n, recs in
           q("SELECT path, records, (SELECT count(*) FROM records r WHERE r.batch = b.id)"
             " FROM batches b")}
    expect(len(got) == len(q("SELECT id FROM batches")), f"a file in twice: {got}")
    for path, n in lists.items():
        expect(got.get(path) == (n, n), f"round {r}: {path}: {got.get(path)} rows, want {n}")

    if r:
        # no lost update: both hubs' factor and override, on that subject
        sid = int(subj[1:])
        for hub in ("hub1", "hub2"):
            expect(res[f"factor-{hub}"][0] == 0 and res[f"override-{hub}"][0] == 0,
                   f"{hub}: {res[f'factor-{hub}']} {res[f'override-{hub}']}")
            expect(q("SELECT subject, added_by FROM factors WHERE source = ?", (f"{hub}-r{r}",))
                   == [(sid, f"{hub}-r{r}")], f"round {r}: {hub}'s factor")
            expect(q("SELECT subject, by FROM overrides WHERE reason = ?", (f"{hub} round {r}",))
                   == [(sid, hub)], f"round {r}: {hub}'s override")
        # the keep decision's review date survived the refreshes around it
        expect(all(res[k][0] == 0 for k in ("keep", "dates-1", "dates-2")),
               f"round {r}: {[res[k] for k in ('keep', 'dates-1', 'dates-2')]}")
        (review_by, kept_at), = q("SELECT review_by, retention_at FROM subjects WHERE id = ?",
                                  (sid,))
        expect(kept_at == now(r) and review_by >= now(r).replace("2026", "2027"),
               f"round {r}: keep at {kept_at}, review by {review_by}")
        # outcomes at once: one lands, the others are refused, nothing is lost
        for pkg in chosen:
            oc = {o: res[f"outcome-{pkg}-{o}"][0] for o in OUTCOMES}
            expect(sorted(oc.values()) == [0] + [2] * (len(OUTCOMES) - 1),
                   f"round {r}: competing outcomes on package {pkg}: {oc}")
            won = next(o for o in OUTCOMES if oc[o] == 0)
            expect(q("SELECT state, outcome FROM packages WHERE id = ?", (int(pkg),))
                   == [("outcome", won)], f"round {r}: package {pkg}")
            expect(q("SELECT state, by FROM package_events WHERE package = ? AND state IN"
                     " ('arrest', 'charge', 'caution')", (int(pkg),))
                   == [(won, f"officer-{won}")], f"round {r}: package {pkg} events")

    # everything resolved, scored and routed before the next round picks
    # its subject and package
    intel("d", now(r), "update", rc=0)
    for k in ("resolve", "score", "route"):
        committed[k] += 1

# audit: one row per commit, in commit order
audit = q("SELECT id, at, action, object, detail FROM audit ORDER BY id")
expect([a[1] for a in audit] == sorted(a[1] for a in audit), "audit rows out of order")
expect(sorted(a[4] for a in audit if a[2] == "ingest") == sorted(committed["ingest"]),
       f"ingest audit rows: {[a[4] for a in audit if a[2] == 'ingest']}")
for k in ("resolve", "score", "route"):
    n = sum(1 for a in audit if a[2] == k)
    expect(n == committed[k], f"{n} {k} audit rows for {committed[k]} commits")

# stable ids: the audited commits replayed one at a time
for _, at, action, obj, detail in audit:
    if action == "ingest":
        expect(intel("serial", at, "ingest", "--source", obj, detail).returncode in (0, 1),
               f"replay ingest {detail}")
    elif action in ("resolve", "score", "route"):
        intel("serial", at, action, rc=0)
for what, sql in (
        ("records", "SELECT r.id, b.path, r.ref, r.locator FROM records r JOIN batches b"
                    " ON b.id = r.batch ORDER BY r.id"),
        ("subjects", "SELECT id, active FROM subjects ORDER BY id"),
        ("memberships", "SELECT record, subject FROM subject_records ORDER BY record"),
        ("packages", "SELECT id, subject FROM packages ORDER BY id")):
    got, want = q(sql), q(sql, data="serial")
    expect(got == want and got, f"{what} differ from a serial run: "
           f"{[x for x in got if x not in want][:5]} / {[x for x in want if x not in got][:5]}")
print(f"ok: intel_concurrent ({ROUNDS} rounds, {len(audit)} audited commits)")
PY
