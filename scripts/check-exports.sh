#!/bin/sh
# check-exports.sh LIBWARD_SO INCLUDE_DIR [CC]
#
# libward.so must export exactly the public API: every function and object
# declared in include/ward/*.h, and nothing else (ctest api.exports).
# libward is compiled with -fvisibility=hidden and the public headers wrap
# their declarations in WARD_API_BEGIN/END, so the two sets drift apart only
# when a header lacks the block (a new header: add it) or a declared
# function is defined nowhere or under another name.
#
# The declared set comes from the compiler, not from a regular expression:
# gcc -aux-info writes one prototype per function declared, with the file it
# came from; objects (extern arrays) are few and found by grep.
set -eu
lib=$1 inc=$2 cc=${3:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for h in "$inc"/ward/*.h; do
    echo "#include <ward/$(basename "$h")>"
done > "$tmp/all.c"
"$cc" -I"$inc" -aux-info "$tmp/aux" -fsyntax-only "$tmp/all.c"
{
    grep "/ward/[a-z_0-9]*\.h:" "$tmp/aux" | grep -v ' static ' |
        sed -E 's|^/\*[^*]*\*/ ||; s/ \(.*//; s/.*[ *]//'
    cat "$inc"/ward/*.h | grep -E '^extern [^(]*;' |
        sed -E 's/.*[ *]([A-Za-z_][A-Za-z_0-9]*)[[:space:]]*(\[[^]]*\])?;.*/\1/'
} | sort -u > "$tmp/declared"
nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVWi]$/ {print $3}' | sed 's/@.*//' |
    grep -v -E '^(_init|_fini|_edata|_end|__bss_start)$|^__(asan|ubsan|odr_asan|sancov|lsan)' |
    sort -u > "$tmp/exported"
bad=0
extra=$(comm -13 "$tmp/declared" "$tmp/exported")
missing=$(comm -23 "$tmp/declared" "$tmp/exported")
if [ -n "$extra" ]; then
    echo "exported by $lib but declared in no public header (make it static, or"
    echo "declare it in include/ward/ inside WARD_API_BEGIN/END):"
    echo "$extra" | sed 's/^/  /'
    bad=1
fi
if [ -n "$missing" ]; then
    echo "declared in include/ward/ but not exported by $lib (a header without"
    echo "WARD_API_BEGIN/END, or a declaration defined nowhere):"
    echo "$missing" | sed 's/^/  /'
    bad=1
fi
[ $bad = 0 ] && echo "$(wc -l < "$tmp/exported") symbols exported, each declared in include/ward/"
exit $bad
