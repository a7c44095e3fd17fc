#!/bin/bash
# Referral JSON is streamed (src/intel/intake_json.c): the same reports are
# read whatever the file's shape (bare array, object with other keys before
# "reports", one bare report), elements that are not objects are named by
# their JSON pointer and skipped, and a syntax error anywhere (even after
# good reports) fails the whole file with its line and byte, storing nothing.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import json, os, re, sys
from wardtest import *

NOW = "2026-11-23T12:00:00Z"
def intel(data, *args, rc=None):
    return ward("intel", args[0], "--data", data, "--now", NOW, *args[1:], check_rc=rc)
def records(data):
    """Records stored so far: what `intel resolve` turns into subjects."""
    o = intel(data, "resolve", rc=0).stdout.decode()
    m = re.search(r"resolve: (\d+) records", o)
    expect(m, o)
    return int(m.group(1))
def rep(i):
    return {"report_id": "CT-%04d" % i, "reporter": {"name": "Example Platform Ltd"},
            "incident": {"type": "test", "typology": ["image_offences"],
                         "extra": [[1, 2, {"deep": [True, None, 1.5e3]}]]},
            "person": {"name": "Fake Person %d" % i,
                       "emails": ["fake%d@example.invalid" % i]}}

# Bare array with a nested array and a number among the reports.
open("arr.json", "w").write(json.dumps([rep(1), [rep(99), [3]], rep(2), 7, rep(3)]))
p = intel("a", "ingest", "--source", "platform", "arr.json", rc=1)
err = p.stderr.decode()
expect("arr.json: /1: a report must be an object" in err, err)
expect("arr.json: /3: a report must be an object" in err, err)
expect(records("a") == 3, "3 records")

# Object with other keys before and after "reports"; the same three people.
doc = '{"source": {"name": "x", "list": [1, {"a": 2}]}, "reports": %s, "after": [1]}' % \
      json.dumps([rep(1), rep(2), rep(3)], indent=1)
open("obj.json", "w").write(doc)
intel("b", "ingest", "--source", "platform", "obj.json", rc=0)
expect(records("b") == 3, "3 records")

# One bare report.
open("one.json", "w").write(json.dumps(rep(5)))
intel("c", "ingest", "--source", "platform", "one.json", rc=0)
expect(records("c") == 1, "1 record")

# A syntax error on line 6, after two good reports: nothing stored, the line
# and byte named.
good = json.dumps({"reports": [rep(1), rep(2)]})[:-2]   # without "]}"
bad = good + ',\n\n\n\n\n{"report_id": "CT-9", "person": {"name": oops}}]}'
open("late.json", "w").write(bad)
p = intel("d", "ingest", "--source", "platform", "late.json", rc=3)
err = p.stderr.decode()
expect("late.json:6: not JSON (byte " in err, err)
expect(records("d") == 0, "nothing stored")

# Truncated, and "reports" that is not an array.
open("cut.json", "w").write('{"reports": [\n' + json.dumps(rep(1)) + ',\n{"report_id": ')
p = intel("e", "ingest", "--source", "x", "cut.json", rc=3)
expect(b"cut.json:3: not JSON: it ends early" in p.stderr, p.stderr)
expect(records("e") == 0, "nothing stored")
open("notarr.json", "w").write('{"reports": {"report_id": "CT-1"}}')
p = intel("g", "ingest", "--source", "x", "notarr.json", rc=3)
expect(b"notarr.json: /reports: expected an array of reports" in p.stderr, p.stderr)
print("ok")
PY
