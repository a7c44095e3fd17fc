#!/bin/sh
# Writes each command's option table into docs/cli.md from the command's own
# table (src/cli/opt.h), between the lines
#   <!-- options: ward help --markdown CMD -->   and   <!-- end options -->
# so that the documentation cannot drift from what the command parses.
# tests/e2e/cli_docs.sh runs it on a copy and fails on any difference.
#
#   scripts/cli-doc.sh WARD [DOC]      DOC defaults to docs/cli.md
set -eu
WARD=$1
DOC=${2:-$(dirname "$0")/../docs/cli.md}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
skip=0
while IFS= read -r line; do
    case $line in
    '<!-- options: ward help --markdown '*' -->')
        printf '%s\n' "$line"
        cmd=${line#'<!-- options: ward help --markdown '}
        cmd=${cmd%' -->'}
        "$WARD" help --markdown "$cmd"
        skip=1
        ;;
    '<!-- end options -->')
        printf '%s\n' "$line"
        skip=0
        ;;
    *)
        [ $skip = 1 ] || printf '%s\n' "$line"
        ;;
    esac
done < "$DOC" > "$tmp"
cat "$tmp" > "$DOC"
