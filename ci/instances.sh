#!/usr/bin/env bash
# Rules held across instances: two reference-server processes started at the same moment on
# one fresh data directory (one SQLite store, one manual clock), the fakes from `conformance
# fakes`, and every API scenario plus the property checks spread over both by the target's
# `base_urls` (ci/instances-target.toml). Reports: target/conformance-instances/ (or
# $INSTANCES_REPORT_DIR). With $INSTANCES_DATABASE_URL (postgres://…) both keep their data in
# that PostgreSQL database instead, sharing only the key files of the data directory.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --locked --quiet --bin conformance --bin reference-server
bin=target/debug
data=$(mktemp -d)
logs=${INSTANCES_REPORT_DIR:-target/conformance-instances}
mkdir -p "$logs"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT

"$bin/conformance" fakes --smtp-port 12625 --sms-port 18125 --api-port 18126 >"$logs/fakes.log" 2>&1 &
pids+=($!)
for port in 18180 18181; do
  env ${INSTANCES_DATABASE_URL:+REFERENCE_SERVER__DATABASE_URL=$INSTANCES_DATABASE_URL} \
  REFERENCE_SERVER__SMTP__PORT=12625 \
  REFERENCE_SERVER__SMS__BASE_URL=http://127.0.0.1:18125 \
  REFERENCE_SERVER__PROOFING__URL=http://127.0.0.1:18126 \
  REFERENCE_SERVER__AGENCIES_FILE=ci/agencies/agencies.toml \
  REFERENCE_SERVER__PUBLIC_URL=http://127.0.0.1:18180 \
    "$bin/reference-server" --conformance-hooks --conformance-hook-token instances-hook-token \
      --listen "127.0.0.1:$port" --data-dir "$data" >"$logs/server-$port.log" 2>&1 &
  pids+=($!)
done

# Wait until all listen (start-up, not a rule: bounded, and it stops at the first answer).
for url in http://127.0.0.1:18126/api/settings http://127.0.0.1:18180/healthz http://127.0.0.1:18181/healthz; do
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && break
    sleep 0.1
  done
done

"$bin/conformance" run --target ci/instances-target.toml --report-dir "$logs" --property-cases 8 \
  --waivers ci/unchecked.toml

# The run's summary says how many requests each instance was sent; both must have had some.
python3 - "$logs/summary.json" <<'PY'
import json, sys
shares = json.load(open(sys.argv[1])).get("instances", [])
print("requests per instance:", ", ".join(f"{s['base_url']} {s['requests']}" for s in shares))
if len(shares) != 2 or any(s["requests"] == 0 for s in shares):
    sys.exit("the requests were not spread over both instances")
PY
# One service: both instances publish the one key set.
jwks_a=$(curl -fsS http://127.0.0.1:18180/api/openid_connect/certs)
jwks_b=$(curl -fsS http://127.0.0.1:18181/api/openid_connect/certs)
if [ "$jwks_a" != "$jwks_b" ]; then
  echo "the two instances publish different signing keys"; exit 1
fi
echo "both instances publish the same key set"
