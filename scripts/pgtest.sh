#!/bin/sh
# A throw-away PostgreSQL server for ward's tests: Debian's postgresql
# binaries, a cluster in DIR, listening only on a Unix socket in DIR (no TCP
# port to collide with), trust authentication for the superuser "ward".
# No system service and no root needed; when run as root the server runs as
# the "postgres" account Debian's package creates (PostgreSQL refuses root).
#
#   scripts/pgtest.sh start DIR   initdb if needed, start, print the store URL
#   scripts/pgtest.sh stop DIR    stop the server (the files stay)
#   scripts/pgtest.sh clean DIR   stop the server and remove DIR
#   scripts/pgtest.sh url DIR     print the URL of a started server
set -eu

cmd=${1:?usage: pgtest.sh start|stop|clean|url DIR}
dir=${2:?usage: pgtest.sh start|stop|url DIR}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/initdb" ] || { echo "pgtest: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 2; }

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

url() { echo "postgresql:///postgres?host=$dir&user=ward"; }

case $cmd in
start)
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    chmod 700 "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_owner "$bindir/initdb" -D "$dir/data" -U ward --auth=trust -E UTF8 \
            --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
            { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    if ! as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        # fsync off: a test cluster is thrown away, durability buys nothing here.
        as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-c listen_addresses= -c unix_socket_directories=$dir -c fsync=off \
                -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    fi
    url
    ;;
stop)
    [ -f "$dir/data/PG_VERSION" ] && as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
clean)
    [ -f "$dir/data/PG_VERSION" ] && as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
url) url ;;
*) echo "pgtest: unknown command $cmd" >&2; exit 2 ;;
esac
