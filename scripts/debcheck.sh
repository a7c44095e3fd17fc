#!/bin/sh
# The .debs in DIR (from scripts/deb.sh) hold what an administrator needs,
# and work when unpacked into a throw-away root: the binary runs, the
# systemd unit names /usr/bin/ward, and examples/embed.c builds against the
# unpacked libward-dev with its pkg-config file.
#
#   scripts/debcheck.sh DIR
set -eu
DIR=$1
fail() { echo "debcheck: FAIL: $*" >&2; exit 1; }
WARD_DEB=$(ls "$DIR"/ward_*.deb)
DEV_DEB=$(ls "$DIR"/libward-dev_*.deb)
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
# the one version number (include/ward/ward.h) names the library file
VER=$(sed -n 's/^#define WARD_VERSION_STRING "\(.*\)"/\1/p' "$(dirname "$0")/../include/ward/ward.h")

has() { # DEB PATH...
    deb=$1; shift
    list=$(dpkg-deb -c "$deb" | awk '{print $6}')
    for p; do
        echo "$list" | grep -qx "\./$p" || fail "$(basename "$deb") lacks /$p"
    done
}
has "$WARD_DEB" usr/bin/ward "usr/lib/$MA/libward.so.$VER" "usr/lib/$MA/libward.so.0" \
    usr/share/man/man1/ward.1.gz usr/share/man/man1/ward-scan.1.gz \
    usr/share/man/man1/ward-doctor.1.gz lib/systemd/system/ward-serve.service \
    lib/systemd/system/ward-release-pull@.service lib/systemd/system/ward-release-pull@.timer \
    etc/default/ward usr/share/bash-completion/completions/ward \
    usr/share/ward/monitoring/ward-alerts.yml usr/share/ward/monitoring/ward-grafana.json \
    usr/share/doc/ward/examples/pull.conf usr/share/doc/ward/deploy.md.gz usr/share/doc/ward/copyright
has "$DEV_DEB" usr/include/ward/ward.h usr/include/ward/match.h "usr/lib/$MA/libward.a" \
    "usr/lib/$MA/libward.so" "usr/lib/$MA/pkgconfig/ward.pc"
dpkg-deb -f "$WARD_DEB" Depends | grep -q adduser || fail "ward does not depend on adduser"
dpkg-deb -f "$WARD_DEB" Depends | grep -q libavformat ||
    fail "ward does not depend on libavformat (loaded with dlopen: debian/rules names it)"
dpkg-deb -e "$WARD_DEB" "$DIR/control"
grep -q "adduser --system" "$DIR/control/postinst" || fail "postinst creates no ward user"
grep -qx /etc/default/ward "$DIR/control/conffiles" || fail "/etc/default/ward is no conffile"

R=$(mktemp -d); trap 'rm -rf "$R"' EXIT
dpkg -x "$WARD_DEB" "$R"
dpkg -x "$DEV_DEB" "$R"
"$R/usr/bin/ward" --version | grep -q "^ward " || fail "the packaged ward does not run"
grep -q "^ExecStart=/usr/bin/ward serve" "$R/lib/systemd/system/ward-serve.service" ||
    fail "ward-serve.service does not run /usr/bin/ward"
grep -qx "prefix=/usr" "$R/usr/lib/$MA/pkgconfig/ward.pc" || fail "ward.pc prefix is not /usr"
PKG_CONFIG_SYSROOT_DIR=$R PKG_CONFIG_LIBDIR=$R/usr/lib/$MA/pkgconfig \
    sh -c 'cc $(pkg-config --cflags ward) examples/embed.c $(pkg-config --libs ward) -o "$0/embed"' "$R" ||
    fail "examples/embed.c does not build against libward-dev"
rc=0; LD_LIBRARY_PATH=$R/usr/lib/$MA "$R/embed" "$R/nowhere" /dev/null 2>/dev/null || rc=$?
[ "$rc" = 3 ] || fail "embed against the packaged libward: exit $rc, expected 3 (no store)"
echo "debcheck: ok: $(basename "$WARD_DEB") $(basename "$DEV_DEB")"
