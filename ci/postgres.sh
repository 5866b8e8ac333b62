#!/usr/bin/env bash
# The PostgreSQL store, on a real PostgreSQL server (ci/lib/postgres.sh: Debian's packages, a
# free port, a temporary directory, stopped and removed however this ends):
#   1. every reference-server test on it (each test's server gets a database of its own,
#      TEST_POSTGRES_URL);
#   2. the locks' teeth: without them, many decisions at once under one key get past a limit;
#      with them, every round admits exactly the limit;
#   3. two reference-server processes on one PostgreSQL database, every API scenario and the
#      property checks spread over both (ci/instances.sh with INSTANCES_DATABASE_URL).
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/lib/postgres.sh
trap postgres_stop EXIT
postgres_start

echo "every reference-server test on PostgreSQL"
TEST_POSTGRES_URL="$PG_URL" cargo test --locked -p reference-server

echo "the store's locks on PostgreSQL hold a limit against decisions at once, and without them it breaks"
TEST_POSTGRES_URL="$PG_URL" cargo test --locked -p conformance-cli --test breakages -- --ignored --nocapture postgres

echo "two reference-server processes on one PostgreSQL database"
INSTANCES_DATABASE_URL="$PG_URL/instances" INSTANCES_REPORT_DIR=target/conformance-instances-postgres \
  bash ci/instances.sh
