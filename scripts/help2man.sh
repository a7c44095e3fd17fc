#!/bin/sh
# Man pages from ward's built-in manuals, so that `man ward-scan` and
# `ward help scan` can never disagree: run at build time by CMake.
#
#   scripts/help2man.sh WARD_BINARY OUTDIR
#
# Writes OUTDIR/ward.1 (from `ward --help`) and OUTDIR/ward-CMD.1 for every
# command `ward --help` lists (from `ward help CMD`). The manuals are already
# laid out like man pages (NAME, SYNOPSIS, DESCRIPTION, ... at column 0,
# text indented by 4), so each heading becomes .SH and the text under it is
# kept as it is laid out (.nf), with roff's special characters escaped.
set -eu
WARD=$1
OUT=$2
mkdir -p "$OUT"
VERSION=$("$WARD" --version | sed 's/^ward //')
# A fixed date keeps the build reproducible: the source's, else none.
DATE=${SOURCE_DATE_EPOCH:+$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)}

# roff text: backslashes doubled, - kept literal. A line that would start
# with . or ' (a roff request) is neutralised where it is laid out (body).
escape() {
    sed -e 's/\\/\\e/g' -e 's/-/\\-/g'
}

# stdin (a manual) -> roff body: headings to .SH, sections preformatted.
body() {
    awk '
    /^[A-Z][A-Z ]*$/ {
        if (open) print ".fi"
        print ".SH " $0
        name = $0 == "NAME"; open = !name
        if (open) print ".nf"
        next
    }
    name { sub(/^ +/, ""); sub(/^ward /, "ward\\-"); print; next }
    { sub(/^    /, ""); if (/^[.\047]/) $0 = "\\&" $0; print }
    END { if (open) print ".fi" }'
}

page() { # NAME TITLE-LINE
    printf '.TH %s 1 "%s" "ward %s" "ward manual"\n' "$(echo "$1" | tr a-z A-Z)" "$DATE" "$VERSION"
}

commands=$("$WARD" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }' |
           grep -v '^help$')

{
    page ward
    printf '.SH NAME\nward \\- child-protection triage: hashing, matching, releases, intelligence\n'
    printf '.SH SYNOPSIS\n.nf\n'
    "$WARD" --help | sed -n 's/^usage: //p' | escape
    printf '.fi\n.SH DESCRIPTION\n.nf\n'
    "$WARD" --help | sed '1,/^$/d' | escape | awk '{ if (/^[.\047]/) $0 = "\\&" $0; print }'
    printf '.fi\n.SH SEE ALSO\n'
    for c in $commands; do printf '.BR ward\\-%s (1),\n' "$c"; done | sed '$ s/,$//'
} > "$OUT/ward.1"

for c in $commands; do
    {
        page "ward-$c"
        "$WARD" help "$c" | escape | body
        printf '.SH SEE ALSO\n.BR ward (1)\n'
    } > "$OUT/ward-$c.1"
done
