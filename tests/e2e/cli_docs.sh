#!/bin/bash
# ward-test: no-store
# The option tables (src/cli/opt.h) are the one source of each converted
# command's options: docs/cli.md's tables must be what `ward help --markdown`
# prints (scripts/cli-doc.sh writes them), the manual's OPTIONS must list
# every row, and the parser must refuse bad values the same way everywhere.
. "$(dirname "$0")/wardtest.bash"
SRC=$WARD_SOURCE_DIR
cp "$SRC/docs/cli.md" "$T/cli.md"
sh "$SRC/scripts/cli-doc.sh" "$WARD_BIN" "$T/cli.md"
if ! diff -u "$SRC/docs/cli.md" "$T/cli.md"; then
    echo "FAIL: docs/cli.md's option tables differ from the commands' (run scripts/cli-doc.sh build/ward)"
    exit 1
fi
for cmd in $(grep -o '<!-- options: ward help --markdown [a-z]* -->' "$SRC/docs/cli.md" | awk '{print $6}'); do
    help=$("$WARD_BIN" "$cmd" --help)
    for opt in $("$WARD_BIN" help --markdown "$cmd" | grep -o '`--[a-z0-9-]*`' | tr -d '`'); do
        grep -q -- "$opt" <<<"$help" || { echo "FAIL: ward $cmd --help lacks $opt"; exit 1; }
    done
done
expect() {  # expect RC "stderr text" ward ARGS...
    local rc=$1 text=$2; shift 2
    set +e; err=$("$@" 2>&1 >/dev/null); got=$?; set -e
    [ "$got" = "$rc" ] && grep -qF -- "$text" <<<"$err" ||
        { echo "FAIL: $*: exit $got (want $rc), stderr: $err"; exit 1; }
}
expect 2 "bad --threads '0' (1..1024)" "$WARD_BIN" scan -j 0 --out o x
expect 2 "bad --threads 'x' (1..1024)" "$WARD_BIN" hash --threads=x x
expect 2 "bad --thumbnails 'foo' (one of blur|clear)" "$WARD_BIN" scan --thumbnails=foo --out o x
expect 2 "bad --max-ratio '1' (at least 2)" "$WARD_BIN" scan --max-ratio 1 --out o x
expect 2 "bad --format 'xml' (one of text|jsonl|csv|hashdeep|pdq-text|pdq|vpdq)" "$WARD_BIN" hash -f xml x
expect 2 "unknown option '--bogus'" "$WARD_BIN" hash --bogus x
expect 2 "-o needs an argument" "$WARD_BIN" scan -o
expect 2 "--video-interval needs an argument" "$WARD_BIN" hash --video-interval
expect 2 "no such command" "$WARD_BIN" help --markdown frobnicate
"$WARD_BIN" hash --help | grep -q '^    -h, --help' || { echo "FAIL: -h row"; exit 1; }
# a --resume that does not fit the report folder is input refused (3), not a usage error
mkdir "$T/ev" "$T/o"; echo x > "$T/ev/a"
echo "0123456789abcdef0123456789abcdef  a.jpg" > "$T/l.txt"
"$WARD_BIN" db import --data "$T/d" --list l "$T/l.txt" >/dev/null
expect 3 "no checkpoint to resume from" "$WARD_BIN" scan --data "$T/d" --out "$T/o" --resume "$T/ev"
echo "ok: cli_docs"
