#!/bin/bash
# The public report form in headless Chromium (issue 24, item 1): a child
# using only the keyboard reaches every question and the Send button and
# never the honeypot, a mistake comes back announced with the field marked
# and the answers kept, the corrected report gets its receipt; the form, the
# error and the receipt pass axe-core's WCAG 2.1 A/AA rules
# (tests/e2e/report_browser.js). axe-core and playwright-core are looked
# for in $WARD_PLAYWRIGHT_DIR, then ~/.cache/ward-test (npm install
# axe-core playwright-core there); without them the structural checks of
# report_form.sh are what there is, and this test says so. Skips (exit 0)
# when chromium is missing, and on PostgreSQL (the browser repeats nothing
# of the store). Screenshots to $WARD_SCREENSHOTS when set.
. "$(dirname "$0")/wardtest.bash"
require_chromium
/usr/bin/python3 - <<'PY'
import os, subprocess, sys, time
from wardtest import *

if skip_on_postgres("the browser part repeats nothing of the store"):
    sys.exit(0)
t0 = time.time()
# as web_app.sh does for playwright-core: a fresh machine with npm and a
# network gets both, so the accessibility rules run in CI too
pwd = find_playwright(install=("playwright-core@1", "axe-core@4")) or find_playwright()
if not pwd:
    print("NOTE: no playwright-core: structural accessibility checks only (report_form.sh)")
    sys.exit(0)
axe = os.path.join(pwd, "node_modules", "axe-core", "axe.min.js")
if not os.path.exists(axe):
    print("NOTE: axe-core not in node_modules: the keyboard run only")
    axe = ""
use_data()
ward("db", "import", "--list", "vic", "--category", "1",
     os.path.join(DATA, "hashsets/pdq.txt"), check_rc=0)   # ward serve wants a store
PORT = serve_start(os.environ["WARD_DATA"])
browser_run("report_browser.js", BASE=f"http://127.0.0.1:{PORT}", AXE=axe)
print(f"report_a11y: ok ({time.time() - t0:.1f} s)")
PY
