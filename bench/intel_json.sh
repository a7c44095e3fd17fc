#!/bin/bash
# Peak memory of referral JSON intake (src/intel/intake_json.c streams the
# file): generates a JSON referral file of SIZE_MB megabytes (synthetic,
# obviously fake people, one ~600-byte report after another inside
# {"reports": [...]}), ingests it with `ward intel ingest` into a fresh
# data folder and prints wall time and peak resident memory (GNU time's %M).
# Target (issue 20): a 1 GB file ingests with peak memory under 200 MB.
#   bench/intel_json.sh [WARD_BIN] [SIZE_MB]      (default build/ward 1000)
set -euo pipefail
WARD=$(realpath "${1:-build/ward}")
MB=${2:-1000}
W=$(mktemp -d "${TMPDIR:-/tmp}/ward-intel-json.XXXXXX")
trap 'rm -rf "$W"' EXIT
/usr/bin/python3 - "$MB" "$W/referrals.json" <<'PY'
import json, sys
mb, out = float(sys.argv[1]), open(sys.argv[2], "w")
out.write('{"source": "bench", "reports": [\n')
i = size = 0
while size < mb * 1e6:
    r = {"report_id": "CT-%08d" % i,
         "reporter": {"name": "Example Platform Ltd", "type": "ESP", "country": "US"},
         "incident": {"type": "test", "time": "2026-03-03T09:30:00-05:00",
                      "typology": ["image_offences"]},
         "person": {"name": "Fake Person %d" % i, "emails": ["fake%d@example.invalid" % i],
                    "screen_names": ["chatapp:fake_%d" % i], "phones": []},
         "ip_events": [{"address": "192.0.2.%d" % (i % 250 + 1), "port": 51234,
                        "time": "2026-03-03T14:29:00Z", "event": "upload"}],
         "files": [{"name": "upload%d.jpg" % i, "md5": "%032x" % i, "viewed": True}],
         "notes": "x" * 200}
    s = (",\n" if i else "") + json.dumps(r)
    out.write(s)
    size += len(s)
    i += 1
out.write("\n]}\n")
print("%d reports, %.0f MB" % (i, size / 1e6), file=sys.stderr)
PY
/usr/bin/time -f "ingest: %e s wall, peak RSS %M KB" "$WARD" intel ingest --data "$W/d" \
    --now 2026-11-23T12:00:00Z --source bench "$W/referrals.json"
