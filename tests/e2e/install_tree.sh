#!/bin/bash
# `cmake --install` into a scratch prefix gives a usable installation: the
# binary, libward (shared and static), headers, ward.pc with which
# examples/embed.c builds (both ways) and runs, a man page per command that
# renders without warnings, bash completion that completes commands and
# options, systemd units that `systemd-analyze verify` accepts, and
# monitoring files Prometheus (promtool) and Grafana (JSON) accept.
. "$(dirname "$0")/wardtest.bash"
skip_on_postgres "installing touches no store"
if [ "${WARD_SANITIZED:-}" = 1 ]; then
    # A sanitized libward cannot be linked by a plain cc, nor is it shipped.
    echo "skipped in the sanitizer build: the release build's install is checked"; exit 0
fi
BUILD=$(dirname "$WARD_BIN")
P=$T/usr
fail() { echo "FAIL: $*"; exit 1; }

cmake --install "$BUILD" --prefix "$P" > "$T/install.log" || { cat "$T/install.log"; fail "cmake --install"; }
W=$P/bin/ward
LIB=$(dirname "$(find "$P" -name libward.so.0 | head -1)")
[ -x "$W" ] && "$W" --version | grep "^ward " >/dev/null || fail "no working $W"
for f in "$LIB/libward.so.0" "$LIB/libward.so" "$LIB/libward.a" "$LIB/pkgconfig/ward.pc" \
         "$P/include/ward/ward.h" "$P/include/ward/match.h" "$P/include/ward/ops.h" \
         "$P/share/bash-completion/completions/ward" \
         "$P/share/doc/ward/examples/default-ward" "$P/share/doc/ward/examples/pull.conf" \
         "$P/share/doc/ward/examples/nginx-ward.conf" "$P/share/doc/ward/deploy.md" \
         "$P/share/ward/monitoring/ward-alerts.yml" "$P/share/ward/monitoring/ward-grafana.json" \
         "$P/lib/systemd/system/ward-serve.service" "$P/lib/systemd/system/ward-release-pull@.service" \
         "$P/lib/systemd/system/ward-release-pull@.timer" "$P/lib/sysusers.d/ward.conf"; do
    [ -e "$f" ] || fail "not installed: ${f#$T/}"
done
[ -z "$(ls "$P/include/ward" | grep -vxFf <(ls "$WARD_SOURCE_DIR/include/ward"))" ] &&
[ "$(ls "$P/include/ward" | wc -l)" = "$(ls "$WARD_SOURCE_DIR/include/ward" | wc -l)" ] ||
    fail "installed headers differ from include/ward"

# ---- pkg-config: the embedding example, shared and static ----------------------
export PKG_CONFIG_PATH=$LIB/pkgconfig
[ "$(pkg-config --modversion ward)" = "$("$W" --version | sed 's/^ward //')" ] || fail "pc version"
cd "$T"
# shellcheck disable=SC2046
cc $(pkg-config --cflags ward) "$WARD_SOURCE_DIR/examples/embed.c" $(pkg-config --libs ward) \
   -o embed-shared || fail "embed.c does not build with pkg-config --cflags --libs ward"
# shellcheck disable=SC2046
cc $(pkg-config --cflags ward) "$WARD_SOURCE_DIR/examples/embed.c" "$LIB/libward.a" \
   $(pkg-config --static --libs ward | sed 's/-lward\b//') -o embed-static ||
   fail "embed.c does not link statically with pkg-config --static --libs ward"
"$W" db import --data d --list vic --category 1 "$WARD_TEST_DATA/hashsets/pdq.txt" >/dev/null
for e in embed-shared embed-static; do
    rc=0; LD_LIBRARY_PATH=$LIB "./$e" d "$WARD_TEST_DATA/pdq/images/bridge-1-original.jpg" \
        > "$e.out" || rc=$?
    [ "$rc" = 1 ] && grep -q "HOLD for review" "$e.out" || fail "$e: exit $rc: $(cat "$e.out")"
done
deps=$(LD_LIBRARY_PATH=$LIB ldd embed-shared)
grep -q "libward.so.0 => $LIB/libward.so.0" <<<"$deps" || fail "not linked to libward.so.0: $deps"

# ---- man pages: one per command, rendering cleanly ------------------------------
cmds=$("$W" --help | awk '/^Commands:/ {on=1; next} on && /^$/ {exit} on {print $1}' | grep -vx help)
for c in ward $(printf 'ward-%s ' $cmds); do
    m=$P/share/man/man1/$c.1
    [ -f "$m" ] || fail "no man page $c.1"
    warn=$(groff -man -Tutf8 -wmac -z "$m" 2>&1) || fail "groff $c.1"  # man --warnings, faster
    [ -z "$warn" ] || fail "$c.1 renders with warnings: $warn"
done
LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$P/share/man/man1/ward-scan.1" | grep -- "--resume" >/dev/null ||
    fail "ward-scan.1 lacks the options of 'ward help scan'"
lexgrog "$P/share/man/man1/ward-doctor.1" | grep '"ward-doctor - ' >/dev/null || fail "whatis entry"

# ---- bash completion ----------------------------------------------------------------
if [ -f /usr/share/bash-completion/bash_completion ]; then
    complete_words() { # words... -> what the completion offers for the last one
        PATH="$P/bin:$PATH" bash -c '
            source /usr/share/bash-completion/bash_completion
            source "$0"
            COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
            _ward; printf "%s\n" "${COMPREPLY[@]}"' \
            "$P/share/bash-completion/completions/ward" "$@"
    }
    complete_words ward doc | grep -x doctor >/dev/null || fail "completion: commands"
    complete_words ward serve --log | grep -x -- --log-format >/dev/null || fail "completion: options"
    complete_words ward release pu | grep -x pull >/dev/null || fail "completion: actions"
else
    echo "bash-completion not installed: completion not exercised"
fi

# ---- systemd units --------------------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
    mkdir units
    U=$P/lib/systemd/system
    cp "$U/ward-serve.service" units/
    cp "$U/ward-release-pull@.service" units/ward-release-pull@test.service
    cp "$U/ward-release-pull@.timer" units/ward-release-pull@test.timer
    grep -q "^ExecStart=$P/bin/ward serve" units/ward-serve.service || fail "unit names the binary"
    # verify warns (exit 0) about settings it ignores: any output is a failure.
    out=$(MANPATH=$P/share/man SYSTEMD_LOG_LEVEL=notice systemd-analyze verify units/* 2>&1) ||
        fail "systemd-analyze verify: $out"
    [ -z "$out" ] || fail "systemd-analyze verify: $out"
else
    echo "systemd-analyze not installed: units not verified"
fi

# ---- monitoring -------------------------------------------------------------------------
if command -v promtool >/dev/null; then
    promtool check rules "$P/share/ward/monitoring/ward-alerts.yml" >/dev/null ||
        fail "promtool check rules"
    cat > prom.yml <<EOF
$(cat "$P/share/ward/monitoring/prometheus-scrape.yml" | sed "s#/usr/share/ward#$P/share/ward#")
EOF
    promtool check config prom.yml >/dev/null || fail "promtool check config"
else
    echo "promtool not installed (Debian: prometheus): alerting rules not checked"
fi
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["panels"] and all(p["targets"] and all(t["expr"] for t in p["targets"]) for p in d["panels"])
' "$P/share/ward/monitoring/ward-grafana.json" || fail "grafana dashboard"
echo "ok: install_tree"
