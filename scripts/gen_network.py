#!/usr/bin/python3
"""A synthetic referral list with a planted network, for ward graph's tests
and bench (obviously fake people, reserved addresses and numbers).

Communities of --size people: each person shares a phone number with a few
others of the same community (two people, two names: the resolver keeps
them apart, the graph links them). One hub per --hub-every communities
shares screen names with four members of each of them. Traps: five people
under different names behind one office mailbox, two behind one CGNAT
address without a port, two on one public address ten days apart: none of
them may be linked. --truth writes "ref,community" (and "hub").

  gen_network.py --people N [--size 20] [--seed 1] --out FILE [--truth FILE]
"""
import argparse, random

p = argparse.ArgumentParser()
p.add_argument("--people", type=int, required=True)
p.add_argument("--size", type=int, default=20)
p.add_argument("--hub-every", type=int, default=4)
p.add_argument("--records-per-person", type=int, default=1)
p.add_argument("--seed", type=int, default=1)
p.add_argument("--out", required=True)
p.add_argument("--truth")
a = p.parse_args()
rng = random.Random(a.seed)
SYL = ["ba", "ko", "ri", "zu", "me", "ta", "lo", "vi", "ne", "sa", "pu", "de", "xo", "fi"]

def name(i):
    s, t = "", i
    for _ in range(4):
        s += SYL[t % len(SYL)]
        t //= len(SYL)
    return "Testy " + s.capitalize() + "son"

def dob(i):
    return "%04d-%02d-%02d" % (1950 + i % 50, 1 + i // 50 % 12, 1 + i // 600 % 28)

POST = ["CF10 1AA", "M1 1AA", "LS1 1AA", "B1 1AA"]
n = a.people
comm = [i // a.size for i in range(n)]
ncomm = (n + a.size - 1) // a.size
phones = [[] for _ in range(n)]
k = 0
for c in range(ncomm):
    members = list(range(c * a.size, min(n, (c + 1) * a.size)))
    for i in members:
        for j in rng.sample(members, min(3, len(members))):
            if j != i and len(phones[i]) < 7 and len(phones[j]) < 7:
                ph = "+44 7700 %06d" % k
                k += 1
                phones[i].append(ph)
                phones[j].append(ph)
screens = [[] for _ in range(n)]
hubs = []
for c in range(0, ncomm, a.hub_every):
    hubs.append((c, ["chatapp:hub%d_%d" % (c, m) for m in range(4 * a.hub_every)]))
    for off in range(a.hub_every):
        cc = c + off
        for m in range(4):
            who = cc * a.size + 2 + m
            if cc < ncomm and who < n:
                screens[who].append("chatapp:hub%d_%d" % (c, off * 4 + m))
rows = []
def row(ref, nm, d, email, ph, sc, post, ip="", port="", t=""):
    rows.append([ref, nm, d, email, ";".join(ph), ";".join(sc), ip, port, t, post])
truth = []
for i in range(n):
    for r in range(a.records_per_person):
        ref = "P%d-%d" % (i, r)
        row(ref, name(i), dob(i), "person%d@example.invalid" % i, phones[i], screens[i],
            POST[comm[i] // 2 % len(POST)])
        truth.append((ref, "c%d" % comm[i]))
for h, (c, sc) in enumerate(hubs):
    for r in range(0, len(sc), 8):
        ref = "HUB%d-%d" % (h, r)
        row(ref, "Hubby Testhub%d" % h, "1970-01-%02d" % (1 + h % 28),
            "hub%d@example.invalid" % h, [], sc[r:r + 8], POST[c // 2 % len(POST)])
        truth.append((ref, "hub%d" % h))
# traps
for t in range(5):
    row("TRAP-OFFICE-%d" % t, "Mocky Office%s" % "abcde"[t], "1960-02-%02d" % (t + 1),
        "office@example.invalid", [], [], "CF10 2AA")
    truth.append(("TRAP-OFFICE-%d" % t, "trap"))
for t in range(2):
    row("TRAP-CGNAT-%d" % t, "Fakey Cgnat%s" % "ab"[t], "1961-03-%02d" % (t + 1),
        "cgnat%d@example.invalid" % t, [], [], "CF10 2AA", "100.64.9.9", "",
        "2026-03-02T10:00:00Z")
    truth.append(("TRAP-CGNAT-%d" % t, "trap"))
for t in range(2):
    row("TRAP-IP-%d" % t, "Fakey Reused%s" % "ab"[t], "1962-04-%02d" % (t + 1),
        "reused%d@example.invalid" % t, [], [], "CF10 2AA", "192.0.2.99", "",
        "2026-03-%02dT10:00:00Z" % (1 + 10 * t))
    truth.append(("TRAP-IP-%d" % t, "trap"))
with open(a.out, "w") as f:
    f.write("ref,name,dob,email,phone,screen_name,ip,ip_port,ip_time,postcode\n")
    for r in rows:
        f.write(",".join('"%s"' % c if "," in c else c for c in r) + "\n")
if a.truth:
    with open(a.truth, "w") as f:
        for ref, c in truth:
            f.write("%s,%s\n" % (ref, c))
