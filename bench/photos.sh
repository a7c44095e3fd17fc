#!/bin/sh
# Prepare the photo sets the PDQ benchmark runs on.
#
#   bench/photos.sh DATA_DIR
#
# Makes two folders of benign JPEG photographs and prints their paths:
#   DATA_DIR/photos-shipped   the JPEGs exactly as Debian ships them
#   DATA_DIR/photos-baseline  the same images losslessly rewritten as
#                             baseline (sequential) JPEG with jpegtran, as
#                             cameras write them; pixels are identical
#
# Source: Debian's wallpaper packages below (35 files, ~60 MB, 1280x1024 to
# 6028x3391: mostly nature photographs, some digital art). THIS
# SCRIPT INSTALLS THEM with apt-get (as root, or via sudo) when they are not
# installed yet; nothing is downloaded otherwise. To use your own folder of
# JPEGs instead, set BENCH_PHOTOS=/path/to/folder (no install then).
set -eu

DATA=${1:?usage: bench/photos.sh DATA_DIR}
PKGS="lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 mate-backgrounds"
SHIPPED=$DATA/photos-shipped
BASELINE=$DATA/photos-baseline
mkdir -p "$DATA"

list_sources() {
    if [ -n "${BENCH_PHOTOS:-}" ]; then
        find "$BENCH_PHOTOS" -type f \( -iname '*.jpg' -o -iname '*.jpeg' \) | sort
        return
    fi
    # shellcheck disable=SC2086
    dpkg -L $PKGS 2>/dev/null | grep -iE '\.jpe?g$' | sort
}

if [ -z "${BENCH_PHOTOS:-}" ]; then
    missing=""
    for p in $PKGS; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
            missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        SUDO=""
        [ "$(id -u)" -ne 0 ] && SUDO="sudo"
        echo "bench/photos.sh: installing benign wallpaper photos for the PDQ benchmark:$missing" >&2
        export DEBIAN_FRONTEND=noninteractive
        $SUDO apt-get update -qq >/dev/null
        # shellcheck disable=SC2086
        $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
    fi
fi

# Rebuild the sets only when the list of source files changed.
want=$(list_sources | while read -r f; do printf '%s %s\n' "$(stat -c %s "$f")" "$f"; done)
if [ -z "$want" ]; then
    echo "bench/photos.sh: no JPEG files found" >&2
    exit 3
fi
if [ ! -f "$DATA/photos.list" ] || [ "$(cat "$DATA/photos.list")" != "$want" ] ||
   [ ! -d "$SHIPPED" ] || [ ! -d "$BASELINE" ]; then
    rm -rf "$SHIPPED" "$BASELINE"
    mkdir -p "$SHIPPED" "$BASELINE"
    n=0
    list_sources | while read -r f; do
        # Flat folders, names made unique by a counter prefix (two packages
        # may ship the same file name).
        name=$(printf '%03d-%s' "$n" "$(basename "$f")")
        n=$((n + 1))
        cp "$f" "$SHIPPED/$name"
        jpegtran -copy all "$f" > "$BASELINE/$name"
    done
    printf '%s\n' "$want" > "$DATA/photos.list"
fi
echo "$SHIPPED"
echo "$BASELINE"
