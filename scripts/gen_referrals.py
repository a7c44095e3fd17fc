#!/usr/bin/python3
"""Synthetic referral lists for ward intel, with ground truth.

Every person is obviously fake ("Testy McTestface" style names, example.invalid
mail domains, documentation IP ranges 192.0.2.0/24, 198.51.100.0/24,
203.0.113.0/24 and 2001:db8::/32, Ofcom drama phone numbers). Nothing here
refers to real people or real material.

The list is realistic where resolution is hard:
  * one person appears in 1-5 records, each showing a different subset of
    their identifiers, written differently (case, "SURNAME, Forename",
    phone formats, email case);
  * common names are shared by different people (told apart by date of birth);
  * carrier-grade NAT addresses (100.64.0.0/10) are shared by dozens of people,
    told apart only by port; some events have no port;
  * documentation IPv4 addresses are re-assigned to other people weeks later;
  * office mailboxes are shared by 10-30 people;
  * some dates are day/month ambiguous, some times lack a zone or AM/PM:
    ward must quarantine them, never guess.

Usage: gen_referrals.py --records N [--seed S] [--format csv|json]
                        --out FILE [--truth FILE]
The truth file is "ref,entity" per record.
"""
import argparse
import json
import random

FORE = ["Testy", "Fakey", "Mocky", "Dummy", "Sample", "Placeholder", "Stubby", "Fixture",
        "Example", "Synthy", "Proxy", "Nully", "Widget", "Gadget", "Foo", "Barry", "Bazza",
        "Quxley", "Lorem", "Ipsum", "Dolor", "Amet", "Tester", "Demo", "Trial", "Pseudo",
        "Bogus", "Phony", "Sham", "Mimic", "Replica", "Decoy", "Spoofy", "Toyah", "Plastic",
        "Cardboard", "Paper", "Pixel", "Vector", "Bitsy"]
SUR_A = ["Mc", "Mac", "Von", "De", "O'", "Fitz", "Ap", "Van"]
SUR_B = ["Testface", "Fakerson", "Mockington", "Dummyworth", "Samplesby", "Stubbins",
         "Fixtureton", "Examplehurst", "Synthwick", "Placeholt", "Nullsworth", "Widgeley",
         "Gadgeter", "Foobarly", "Loremby", "Ipsumford", "Dolorham", "Testcase", "Bogusfield",
         "Phonington", "Shamwell", "Mimicroft", "Decoyne", "Spoofley", "Pixelby"]
AREAS = ["CF", "SA", "LL", "NP", "M", "L", "LS", "NE", "NR", "CB", "IP", "B", "BS", "GL",
         "BN", "SO", "CT"]
ACCESS_JOBS = ["primary school teacher", "youth football coach", "nursery nurse",
               "childminder", "scout leader", "paediatric nurse", "swimming tutor"]
OTHER_JOBS = ["accountant", "plumber", "software tester", "delivery driver", "chef",
              "warehouse operative", "estate agent", "electrician", "retired", "unemployed"]
PHONE_RANGES = (["07700 900%03d" % i for i in range(1000)] +
                ["01632 960%03d" % i for i in range(1000)] +
                ["020 7946 0%03d" % i for i in range(1000)] +
                ["0%s 496 0%03d" % (c, i) for c in
                 ("113", "114", "115", "116", "117", "118", "121", "131", "141", "151", "161")
                 for i in range(1000)])


class Person:
    pass


def make_people(rng, n):
    phones = PHONE_RANGES[:]
    rng.shuffle(phones)
    doc4 = ["192.0.2.%d" % i for i in range(1, 255)] + \
           ["198.51.100.%d" % i for i in range(1, 255)] + \
           ["203.0.113.%d" % i for i in range(1, 255)]
    offices = ["office@school-%d.example.invalid" % i for i in range(max(1, n // 400))]
    cgnat = ["100.64.%d.%d" % (rng.randrange(256), rng.randrange(1, 255))
             for _ in range(max(1, n // 300))]
    people = []
    base = 1767225600  # 2026-01-01T00:00:00Z
    for i in range(n):
        p = Person()
        p.id = "E%06d" % i
        p.fore = rng.choice(FORE)
        p.sur = rng.choice(SUR_A) + rng.choice(SUR_B)
        p.dob = (rng.randrange(1950, 2006), rng.randrange(1, 13), rng.randrange(1, 29))
        tag = "%s.%s%d" % (p.fore.lower(), p.sur.lower().replace("'", ""), i)
        p.emails = ["%s@example.invalid" % tag]
        if rng.random() < 0.3:
            p.emails.append("%s.alt@mail.example.invalid" % tag)
        p.office = rng.choice(offices) if rng.random() < 0.05 else None
        p.phone = phones.pop() if phones and rng.random() < 0.5 else None
        p.screen = "chatapp:%s_%d" % (p.fore.lower(), i) if rng.random() < 0.4 else None
        p.when = base + rng.randrange(0, 300) * 86400
        r = rng.random()
        if r < 0.15:      # behind a carrier-grade NAT: shared address, own port
            p.ip, p.port = rng.choice(cgnat), str(rng.randrange(1024, 65535))
        elif r < 0.35:    # documentation IPv4, re-used by others at other times
            p.ip, p.port = rng.choice(doc4), None
        else:
            p.ip, p.port = "2001:db8:%x:%x::%x" % (i >> 16, i & 0xffff, rng.randrange(1, 65535)), None
        p.postcode = "%s%d %d%s%s" % (rng.choice(AREAS), rng.randrange(1, 30), rng.randrange(1, 10),
                                      rng.choice("ABDEFGHJLNPQRSTUWXYZ"), rng.choice("ABDEFGHJLNPQRSTUWXYZ"))
        p.job = rng.choice(ACCESS_JOBS) if rng.random() < 0.08 else rng.choice(OTHER_JOBS)
        p.children = rng.random() < 0.12
        p.prior = rng.random() < 0.04
        p.registered = rng.random() < 0.01
        p.international = rng.random() < 0.03
        people.append(p)
    return people


def name_variant(rng, p):
    r = rng.random()
    if r < 0.6:
        return "%s %s" % (p.fore, p.sur)
    if r < 0.75:
        return "%s, %s" % (p.sur.upper(), p.fore)
    if r < 0.9:
        return "%s %s" % (p.fore.upper(), p.sur.upper())
    return "  %s   %s " % (p.fore.lower(), p.sur)


def dob_variant(rng, p):
    y, m, d = p.dob
    r = rng.random()
    if r < 0.7:
        return "%04d-%02d-%02d" % (y, m, d)
    return "%02d/%02d/%04d" % (d, m, y)   # ambiguous when d <= 12 and d != m


def phone_variant(rng, ph):
    r = rng.random()
    digits = ph.replace(" ", "")
    if r < 0.4:
        return ph
    if r < 0.7:
        return "+44 " + digits[1:]
    return digits


def time_variant(rng, t):
    import datetime
    dt = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    r = rng.random()
    if r < 0.03:
        return dt.strftime("%Y-%m-%d %H:%M:%S"), ""             # no zone: quarantined
    if r < 0.05:
        return "%s %d:%s" % (dt.strftime("%d/%m/%Y"), (dt.hour % 12) or 12, dt.strftime("%M:%S")), "UTC"
    if r < 0.5:
        return dt.strftime("%Y-%m-%dT%H:%M:%SZ"), ""
    if r < 0.8:
        off = datetime.timedelta(hours=1)
        return (dt + off).strftime("%Y-%m-%dT%H:%M:%S+01:00"), ""
    return dt.strftime("%Y-%m-%d %H:%M:%S"), "+00:00"


def record(rng, p, ref):
    rec = {"ref": ref, "entity": p.id}
    # every record carries a way to find the person again: most carry the
    # primary email; the rest carry the phone, screen name or IP event
    show = {k: rng.random() < pr for k, pr in
            (("name", 0.9), ("dob", 0.6), ("email", 0.7), ("phone", 0.5), ("screen", 0.5),
             ("ip", 0.5), ("postcode", 0.5), ("job", 0.3))}
    # duplicates that share nothing cannot be linked by anyone: like most
    # real re-reports, a record repeats the person's main email or phone
    if not (show["email"] or (show["phone"] and p.phone)):
        show["email"] = True
    rec["name"] = name_variant(rng, p) if show["name"] else ""
    rec["dob"] = dob_variant(rng, p) if show["dob"] else ""
    emails = []
    if show["email"]:
        e = p.emails[0] if rng.random() < 0.9 else rng.choice(p.emails)
        emails.append(e.upper() if rng.random() < 0.1 else e)
    if p.office and rng.random() < 0.7:
        emails.append(p.office)
    rec["email"] = ";".join(emails)
    rec["phone"] = phone_variant(rng, p.phone) if show["phone"] and p.phone else ""
    rec["screen_name"] = p.screen if show["screen"] and p.screen else ""
    if show["ip"]:
        t, z = time_variant(rng, p.when + rng.randrange(0, 36 * 3600))
        rec["ip"], rec["ip_time"], rec["ip_zone"] = p.ip, t, z
        rec["ip_port"] = p.port if p.port and rng.random() < 0.9 else ""
        rec["ip_event"] = rng.choice(["upload", "login", "share"])
    else:
        rec["ip"] = rec["ip_time"] = rec["ip_zone"] = rec["ip_port"] = rec["ip_event"] = ""
    rec["postcode"] = p.postcode if show["postcode"] else ""
    rec["occupation"] = p.job if show["job"] else ""
    typ = ["image_offences"]
    if rng.random() < 0.1:
        typ.append("grooming")
    if p.international:
        typ.append("international_abuser")
    if rng.random() < 0.01:
        typ.append(rng.choice(["meeting_planned", "imminent_risk", "threats"]))
    rec["typology"] = ";".join(typ)
    rec["children_in_household"] = "yes" if p.children and rng.random() < 0.5 else ""
    rec["prior_conviction"] = "yes" if p.prior and rng.random() < 0.7 else ""
    rec["registered_offender"] = "yes" if p.registered else ""
    return rec


CSV_COLS = ["ref", "name", "dob", "email", "phone", "screen_name", "ip", "ip_port", "ip_time",
            "ip_zone", "ip_event", "postcode", "occupation", "typology", "children_in_household",
            "prior_conviction", "registered_offender"]


def csv_cell(s):
    return '"%s"' % s.replace('"', '""') if any(c in s for c in ',"\n') else s


def to_json(rec):
    rep = {"report_id": rec["ref"],
           "reporter": {"name": "Example Platform Ltd", "type": "ESP", "country": "US"},
           "incident": {"type": "online exploitation", "typology": rec["typology"].split(";")},
           "person": {"name": rec["name"], "dob": rec["dob"],
                      "emails": [e for e in rec["email"].split(";") if e],
                      "phones": [rec["phone"]] if rec["phone"] else [],
                      "screen_names": [rec["screen_name"]] if rec["screen_name"] else [],
                      "postcode": rec["postcode"], "occupation": rec["occupation"]},
           "ip_events": [], "factors": []}
    if rec["ip"]:
        rep["ip_events"].append({"address": rec["ip"], "port": rec["ip_port"], "time": rec["ip_time"],
                                 "zone": rec["ip_zone"], "event": rec["ip_event"]})
    for f in ("children_in_household", "prior_conviction", "registered_offender"):
        if rec[f]:
            rep["factors"].append({"factor": f, "value": "yes", "source": "referring agency",
                                   "status": "intelligence"})
    return rep


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--format", choices=["csv", "json"], default="csv")
    ap.add_argument("--prefix", default="R", help="record reference prefix")
    ap.add_argument("--out", required=True)
    ap.add_argument("--truth")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    people = make_people(rng, max(1, int(a.records / 2.0)))
    recs = []
    while len(recs) < a.records:
        p = rng.choice(people)
        k = rng.choice([1, 1, 1, 1, 2, 2, 3, 4])
        for _ in range(min(k, a.records - len(recs))):
            recs.append(record(rng, p, "%s%07d" % (a.prefix, len(recs) + 1)))
    with open(a.out, "w") as f:
        if a.format == "csv":
            f.write(",".join(CSV_COLS) + "\n")
            for r in recs:
                f.write(",".join(csv_cell(r[c]) for c in CSV_COLS) + "\n")
        else:
            json.dump({"reports": [to_json(r) for r in recs]}, f, indent=1)
    if a.truth:
        with open(a.truth, "w") as f:
            for r in recs:
                f.write("%s,%s\n" % (r["ref"], r["entity"]))


if __name__ == "__main__":
    main()
