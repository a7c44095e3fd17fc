#!/bin/bash
# ward-test: no-store
# One version number: WARD_VERSION_STRING in include/ward/ward.h. CMake takes
# it from there; `ward --version` and debian/changelog must say the same.
set -euo pipefail
h=$(sed -n 's/^#define WARD_VERSION_STRING "\(.*\)"/\1/p' "$WARD_SOURCE_DIR/include/ward/ward.h")
[ -n "$h" ] || { echo "FAIL: no WARD_VERSION_STRING in include/ward/ward.h"; exit 1; }
cli=$("$WARD_BIN" --version)
[ "$cli" = "ward $h" ] || { echo "FAIL: ward --version says '$cli', ward.h says $h"; exit 1; }
deb=$(sed -n '1s/^ward (\([^)-]*\).*/\1/p' "$WARD_SOURCE_DIR/debian/changelog")
[ "$deb" = "$h" ] || { echo "FAIL: debian/changelog's top entry is $deb, ward.h says $h"; exit 1; }
echo "ok: version $h everywhere"
