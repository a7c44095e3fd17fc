#!/bin/sh
# Build Meta's reference PDQ hasher (pdq-photo-hasher) from a checkout of
# facebook/ThreatExchange, for `PDQ_REFERENCE_BIN=... make bench`. Its code is
# never copied into this repository; this only compiles it where it lies.
#
#   bench/build-pdq-reference.sh THREATEXCHANGE_DIR OUTPUT_BINARY [magick]
#
# Compiles pdq/cpp/bin/pdq-photo-hasher.cpp with the library sources listed
# in pdq/cpp/Makefile, with that Makefile's flags (g++ -std=c++11 -O3 -g,
# -I../.. -I.), with one deliberate change: -Dcimg_use_jpeg -Dcimg_use_png
# and -ljpeg -lpng, so CImg decodes in-process with libjpeg-turbo/libpng.
# The Makefile as shipped defines neither, so CImg hands every file to
# ImageMagick's `convert` (a process per image, a PNM through /tmp); that
# build is several times slower, and is what you get with the third
# argument `magick` (it needs the imagemagick package at run time).
# CImg.h: the checkout's own pdq/cpp/CImg.h if present, else Debian's
# cimg-dev (/usr/include/CImg.h). Needs g++, libjpeg-dev, libpng-dev.
set -eu

SRC=${1:?usage: bench/build-pdq-reference.sh THREATEXCHANGE_DIR OUTPUT_BINARY [magick]}
OUTBIN=${2:?}
MODE=${3:-libjpeg}
OUTBIN=$(cd "$(dirname "$OUTBIN")" && pwd)/$(basename "$OUTBIN")
CPP=$SRC/pdq/cpp
[ -f "$CPP/bin/pdq-photo-hasher.cpp" ] || {
    echo "build-pdq-reference.sh: no $CPP/bin/pdq-photo-hasher.cpp" >&2
    exit 2
}
[ -f "$CPP/CImg.h" ] || [ -f /usr/include/CImg.h ] || {
    echo "build-pdq-reference.sh: no CImg.h (apt-get install cimg-dev)" >&2
    exit 2
}

cd "$CPP"
srcs=""
for f in common/pdqhashtypes.cpp io/hashio.cpp common/pdqhamming.cpp \
         hashing/pdqhashing.cpp downscaling/downscaling.cpp io/pdqio.cpp \
         hashing/torben.cpp common/pdqutils.cpp; do
    [ -f "$f" ] && srcs="$srcs $f"
done
if [ "$MODE" = "magick" ]; then
    defs="-Dcimg_display=0"
    libs="-lm -lpthread"
else
    defs="-Dcimg_display=0 -Dcimg_use_jpeg -Dcimg_use_png"
    libs="-ljpeg -lpng -lz -lm -lpthread"
fi
# shellcheck disable=SC2086
g++ -g -std=c++11 -I../.. -I. -O3 $defs bin/pdq-photo-hasher.cpp $srcs -o "$OUTBIN" $libs
echo "$OUTBIN"
