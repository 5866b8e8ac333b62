# Sourced: postgres_start starts a real PostgreSQL server (Debian's packages) on a free port in
# a temporary directory and sets PG_URL (postgres://postgres@127.0.0.1:PORT, trust auth on
# loopback only); postgres_stop stops it and removes its files. The caller traps postgres_stop.

postgres_start() {
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "$PG_BIN" ]; then
    echo "PostgreSQL is not installed: apt-get install postgresql (Debian's packages)" >&2
    return 1
  fi
  PG_WORK=$(mktemp -d)
  [ "$(id -u)" = 0 ] && chown postgres "$PG_WORK"
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  _as_pg "$PG_BIN/initdb" -D "$PG_WORK/data" -U postgres -A trust --no-sync >"$PG_WORK/initdb.log"
  # Many test servers at once, each with a pool of its own: room for their connections.
  _as_pg "$PG_BIN/pg_ctl" -D "$PG_WORK/data" -l "$PG_WORK/server.log" -w \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $PG_WORK -c max_connections=600" start >/dev/null
  PG_URL="postgres://postgres@127.0.0.1:$port"
  echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on port $port"
}

postgres_stop() {
  [ -n "${PG_WORK:-}" ] || return 0
  _as_pg "$PG_BIN/pg_ctl" -D "$PG_WORK/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$PG_WORK"
  PG_WORK=
}

# PostgreSQL refuses to run as root: as root, its own system user runs it.
_as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
