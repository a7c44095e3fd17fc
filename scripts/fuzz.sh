#!/bin/sh
# Run each libFuzzer target in BUILD_DIR for SECONDS, from a scratch copy of
# its checked-in corpus. A crash leaves crash-* files in BUILD_DIR/fuzz-out/;
# add the input to fuzz/corpus/<target>/ and fix the bug (the corpus is
# replayed by `make check`).
set -eu
BUILD=${1:-build-fuzz}
SECONDS_EACH=${2:-60}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
status=0
for bin in "$BUILD"/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    target=$(basename "$bin" | sed 's/^fuzz_//')
    work="$BUILD/fuzz-out/$target"
    mkdir -p "$work/corpus"
    cp -n "$ROOT/fuzz/corpus/$target"/* "$work/corpus/" 2>/dev/null || true
    echo "== fuzz $target for ${SECONDS_EACH}s"
    if ! (cd "$work" && "$OLDPWD/$bin" -max_total_time="$SECONDS_EACH" -max_len=262144 \
            -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 corpus 2>&1 | tail -12); then
        echo "!! $target: crash or failure; see $work"
        status=1
    fi
done
exit $status
