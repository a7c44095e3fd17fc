#!/bin/sh
# djpeg over every file of a folder, one process per file, output discarded:
#   bench/djpeg-loop.sh DIR [djpeg options...]
# The yardstick for ward's PDQ decode: `djpeg -scale 1/8` still entropy-decodes
# the whole image but inverse-transforms only each block's DC term.
set -eu
dir=$1
shift
for f in "$dir"/*; do
    djpeg "$@" "$f" >/dev/null
done
