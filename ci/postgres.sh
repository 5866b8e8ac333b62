#!/usr/bin/env bash
# The PostgreSQL store: a real PostgreSQL server (Debian's packages) started on a free port in
# a temporary data directory, then
#   1. every reference-server test on it (each test's server gets a database of its own,
#      TEST_POSTGRES_URL), and
#   2. two reference-server processes on one PostgreSQL database, every API scenario and the
#      property checks spread over both (ci/instances.sh with INSTANCES_DATABASE_URL).
# The server is stopped and its files removed however this ends.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$pg_bin" ]; then
  echo "PostgreSQL is not installed: apt-get install postgresql (Debian's packages)"; exit 1
fi
work=$(mktemp -d)
# PostgreSQL refuses to run as root: as root, its own system user runs it.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$work"
stop() {
  as_pg "$pg_bin/pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap stop EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg "$pg_bin/initdb" -D "$work/data" -U postgres -A trust --no-sync >"$work/initdb.log"
# Many test servers at once, each with a pool of its own: room for their connections.
as_pg "$pg_bin/pg_ctl" -D "$work/data" -l "$work/server.log" -w \
  -o "-p $port -c listen_addresses=127.0.0.1 -k $work -c max_connections=600" start >/dev/null
url="postgres://postgres@127.0.0.1:$port"
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on port $port"

echo "every reference-server test on PostgreSQL"
TEST_POSTGRES_URL="$url" cargo test --locked -p reference-server

echo "two reference-server processes on one PostgreSQL database"
INSTANCES_DATABASE_URL="$url/instances" INSTANCES_REPORT_DIR=target/conformance-instances-postgres \
  bash ci/instances.sh
