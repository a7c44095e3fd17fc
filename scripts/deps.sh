#!/bin/sh
# Install the Debian packages that ward's build, tests and benchmarks need.
# Idempotent and quiet when everything is already present: it asks dpkg
# first and only calls apt-get for what is missing.
#
#   scripts/deps.sh          build + test + packaging dependencies
#   scripts/deps.sh --bench  also the yardsticks the benchmarks compare against
#   scripts/deps.sh --fuzz   also clang and libFuzzer
set -eu

BUILD="build-essential cmake pkg-config
 libssl-dev libjpeg62-turbo-dev libpng-dev libwebp-dev libgif-dev
 libheif-dev libtiff-dev libexif-dev libsqlite3-dev libyajl-dev libsodium-dev
 libarchive-dev libtsk-dev libewf-dev
 libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
 libmicrohttpd-dev libcurl4-openssl-dev libxml2-dev libpq-dev"
TEST="libcmocka-dev hashdeep coreutils python3 python3-pil libheif-examples sqlite3
 mtools dosfstools ewf-tools e2fsprogs zip p7zip-full ffmpeg chromium
 libjpeg-turbo-progs curl wrk postgresql qemu-utils sleuthkit libxml2-utils
 man-db bash-completion systemd prometheus"
# make deb (and make check, which builds the packages): Debian packaging.
DEB="debhelper dpkg-dev lintian fakeroot"
BENCH="libjpeg-turbo-progs python3-faiss python3-numpy hyperfine"
FUZZ="clang libclang-rt-14-dev"

want="$BUILD $TEST $DEB"
[ "${1:-}" = "--bench" ] && want="$want $BENCH"
[ "${1:-}" = "--fuzz" ] && want="$want $FUZZ"

missing=""
for p in $want; do
    # dpkg-query prints "install ok installed" for a fully installed package.
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
# The web application's test drives Chromium with playwright-core from npm.
# Debian's npm brings node; a node from elsewhere that bundles npm is fine.
command -v npm >/dev/null 2>&1 || missing="$missing npm"

if [ -n "$missing" ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "deps: installing:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >/dev/null
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# playwright-core into a cache the web test looks in (tests/e2e/web_app.sh);
# without network the test still runs, with a reduced browser part.
PW=${WARD_PLAYWRIGHT_DIR:-$HOME/.cache/ward-test}
if command -v npm >/dev/null 2>&1 && [ ! -d "$PW/node_modules/playwright-core" ]; then
    echo "deps: npm install playwright-core into $PW" >&2
    timeout 180 npm install --prefix "$PW" --no-audit --no-fund playwright-core@1 >/dev/null 2>&1 ||
        echo "deps: playwright-core not installed (no network?): the web test's browser part is reduced" >&2
fi
