#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the test suite (Debian's `postgresql` package; issue #28).
#   bash scripts/pg-cluster.sh start DIR [PORT]   -> prints its URL (postgresql://postgres:PW@127.0.0.1:PORT/postgres)
#   bash scripts/pg-cluster.sh stop DIR
# Listens on 127.0.0.1 only, password (scram) auth over TCP. The server refuses to run as root, so as
# root it runs as PCNB_PG_USER (default: pcnbpg if that user exists, else nobody), in a directory of
# its own under /tmp that DIR/cluster points to (DIR's parents may be closed to other users).
# The binaries come from /usr/lib/postgresql/<newest version>/bin (or PCNB_PG_BIN).
set -euo pipefail
cmd=${1:?start|stop} dir=${2:?data directory}
bin=${PCNB_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
if [ -z "$bin" ] || [ ! -x "$bin/pg_ctl" ]; then echo "no PostgreSQL server binaries (apt-get install postgresql)" >&2; exit 3; fi
as=()
if [ "$(id -u)" = 0 ]; then
  user=${PCNB_PG_USER:-$(id -u pcnbpg >/dev/null 2>&1 && echo pcnbpg || echo nobody)}
  as=(runuser -u "$user" --)
fi
case "$cmd" in
start)
  port=${3:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
  mkdir -p "$dir"
  if [ ${#as[@]} -eq 0 ]; then ln -sfn "$dir" "$dir/cluster"; else
    own=$(mktemp -d /tmp/pcnb-pg.XXXXXX); chown "$user" "$own"; ln -sfn "$own" "$dir/cluster"; fi
  dir=$(readlink -f "$dir/cluster")
  chmod 700 "$dir"
  pw=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
  printf '%s\n' "$pw" >"$dir/pw"
  [ ${#as[@]} -eq 0 ] || chown "$user" "$dir/pw"
  (cd "$dir" && "${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pw" -E UTF8 \
     --auth-host=scram-sha-256 --auth-local=trust >"$dir/initdb.log" 2>&1) \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  rm -f "$dir/pw"
  # fsync off: a throwaway cluster (clients are killed in the tests, never the machine)
  (cd "$dir" && "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
     -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
     start >/dev/null) || { cat "$dir/server.log" >&2; exit 1; }
  echo "postgresql://postgres:$pw@127.0.0.1:$port/postgres"
  ;;
stop)
  [ -e "$dir/cluster" ] || exit 0
  link=$dir/cluster dir=$(readlink -f "$dir/cluster")
  [ -d "$dir/data" ] && (cd "$dir" && "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1) || true
  [ "$dir" = "$(dirname "$link")" ] || rm -rf "$dir"
  rm -f "$link"
  ;;
*) echo "usage: $0 start DIR [PORT] | stop DIR" >&2; exit 2 ;;
esac
