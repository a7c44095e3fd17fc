#!/bin/sh
# Run one command twice at the same time and wait for both:
#   bench/parallel2.sh COMMAND [ARGS...]
# Two independent single-threaded processes show how much two cores of this
# machine really give (shared caches, memory bandwidth, turbo, neighbours),
# the ceiling against which ward's -j 2 scaling is judged.
"$@" >/dev/null 2>&1 &
pid=$!
"$@" >/dev/null 2>&1
rc=$?
wait "$pid" || rc=$?
exit "$rc"
