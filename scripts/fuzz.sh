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
# FUZZ_SEED fixes libFuzzer's seed (make check-fuzz: 1), so that a CI run
# tries what a local run of the same tree tried, not new random inputs:
# exploring is `make fuzz`'s job, and a finding there is reproducible.
seed_arg=${FUZZ_SEED:+-seed=$FUZZ_SEED}
# Leaks inside Debian libraries (each explained there) are not ward's.
export LSAN_OPTIONS="suppressions=$ROOT/tests/lsan.supp"
for bin in "$BUILD"/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    target=$(basename "$bin" | sed 's/^fuzz_//')
    work="$BUILD/fuzz-out/$target"
    rm -rf "$work" # a scratch copy each time: a local run then starts where CI starts
    mkdir -p "$work/corpus"
    cp -n "$ROOT/fuzz/corpus/$target"/* "$work/corpus/" 2>/dev/null || true
    echo "== fuzz $target for ${SECONDS_EACH}s"
    # container reaches libtsk, whose frames only a slow unwind can name
    # (and so suppress); the others keep the fast one
    unwind=1
    [ "$target" = container ] && unwind=0
    export ASAN_OPTIONS="fast_unwind_on_malloc=$unwind"
    # The fuzzer's own exit status decides (a pipe into tail would hide it).
    if (cd "$work" && "$OLDPWD/$bin" -max_total_time="$SECONDS_EACH" -max_len=262144 $seed_arg \
            -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 corpus >fuzz.log 2>&1); then
        grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$work/fuzz.log" | tr '\n' ' '
        echo
    else
        tail -30 "$work/fuzz.log"
        echo "!! $target: crash or failure; see $work"
        status=1
    fi
done
exit $status
