#!/bin/bash
# Issue 16 items 7-9: what the match API refuses or keeps exactly. A string
# with "\u0000" must not be cut (a hash with junk after a NUL matched; ids,
# as_sent and the context were altered): NUL is refused in hashes, ids and
# review fields (400 naming the member), the context is kept byte for byte,
# and /v1/events/1%00 is not event 1. Duplicate keys and a non-boolean
# record_event are 400. A review through the API is chained under the key
# that made it, the claimed reviewer beside it, and the chain still verifies.
. "$(dirname "$0")/wardtest.bash"
/usr/bin/python3 - <<'PY'
import http.client, json, os, sys
from wardtest import *

use_data(user="test-admin")
I = os.path.join(DATA, "pdq/images")
ward("hash", "--hashdeep", "-o", "wee.hd", os.path.join(I, "wee.jpg"), check_rc=0)
ward("db", "import", "--list", "vic", "--category", "1", "wee.hd", check_rc=0)
MD5 = [l.split(",")[1] for l in open("wee.hd") if l[0].isdigit()][0]
def key(name, scopes):
    return ward("apikey", "add", "--name", name, "--scopes", scopes, "--rate", "100000",
                check_rc=0).stdout.decode().strip()
KM, KR = key("platform", "match"), key("tns", "review")
KR_ID = KR.split("_")[1]
PORT = serve_start(os.path.abspath("d"))

def post(path, text, k=KM):
    st, data = api(PORT, path, k, text)
    return st, json.loads(data)

def refused(text, want, path="/v1/match", k=KM):
    st, e = post(path, text, k)
    expect(st == 400 and want in e["error"]["message"], f"{text!r}: {st} {e}")

# item 7: NUL in a hash or an id is refused, naming the member
refused('{"hashes": ["%s\\u0000junk"]}' % MD5, "/hashes/0")
refused('{"hashes": [{"hash": "%s", "id": "a\\u0000b"}]}' % MD5, "/hashes/0/id")
refused('{"hashes": [{"hash": "%s\\u0000", "id": 1}]}' % MD5, "/hashes/0/hash")
# item 9: duplicate keys (at the top, in an item, in the context) and record_event's type
refused('{"hashes": ["00"], "hashes": ["%s"]}' % MD5, 'duplicate key "hashes"')
refused('{"hashes": [{"hash": "00", "hash": "%s"}]}' % MD5, '/hashes/0: duplicate key "hash"')
refused('{"hashes": ["%s"], "context": {"a": 1, "a": 2}}' % MD5, '/context: duplicate key "a"')
refused('{"hashes": ["%s"], "record_event": "false"}' % MD5, "/record_event")
refused('{"hashes": ["%s"], "record_event": 0}' % MD5, "/record_event")

# the context keeps its NUL, in the event and in the report
ctx = {"content_id": "c1\u0000tail", "account": {"id": "acc\u0000x"},
       "upload": {"ip": "192.0.2.7", "time": "2026-01-02T03:04:05+01:00\u0000!"}}
st, r = post("/v1/match", json.dumps({"hashes": [{"hash": MD5, "id": "i\u00e91"}],
                                      "context": ctx}))
expect(st == 200 and r["alert"] and r["event_id"], f"match: {st} {r}")
ev = r["event_id"]
st, data = api(PORT, f"/v1/events/{ev}", KR)
e = json.loads(data)
expect(st == 200 and e["context"] == ctx, f"context kept byte for byte: {e.get('context')}")
expect(e["hashes"][0]["as_sent"] == MD5, e["hashes"])
# item 7: %00 in a path is not a terminator
st, data = api(PORT, f"/v1/events/{ev}%00", KR)
expect(st == 404, f"/v1/events/{ev}%00: {st} {data[:200]}")
st, data = api(PORT, f"/v1/events/{ev}%00junk", KR)
expect(st == 404, f"/v1/events/{ev}%00junk: {st}")

# reviews: NUL and duplicate keys refused too
review = '{"event_id": %d, "reviewer": "%s", "decision": "confirm", "viewed": true%s}'
refused(review % (ev, "Ann\\u0000Other", ""), "/reviewer", "/v1/reviews", KR)
refused(review % (ev, "Ann", ', "decision": "reject"'), 'duplicate key "decision"',
        "/v1/reviews", KR)
# item 8: the chain names the key; the reviewer is the client's claim
st, r = post("/v1/reviews", review % (ev, "Claimed Person", ', "notes": "looked"'), KR)
expect(st == 201 and r["report_id"], f"review: {st} {r}")
rows = store_query("d", "service", "SELECT actor, detail FROM audit WHERE action = ?",
                   ("review.confirm",))
expect(len(rows) == 1 and rows[0][0] == KR_ID, f"actor is the key id {KR_ID}: {rows}")
expect(json.loads(rows[0][1]) == {"claimed_reviewer": "Claimed Person", "notes": "looked"},
       rows)
rows = store_query("d", "service", "SELECT actor FROM audit WHERE action = ?",
                   ("report.create",))
expect(rows == [(KR_ID,)], rows)
st, data = api(PORT, f"/v1/reports/{r['report_id']}", KR)
rep = json.loads(data)
expect(rep["reported_person"] == ctx["account"] and
       rep["files"][0]["content_id"] == ctx["content_id"] and
       rep["incident"]["time"] == ctx["upload"]["time"], f"report keeps the context: {rep}")
out = ward("audit", "verify", check_rc=0).stdout.decode()
expect("intact" in out or "ok" in out.lower(), out)
print("ok")
PY
