#!/usr/bin/env bash
# The worked example from the README, black-box: the reference server as a separate process
# on fixed ports, the fakes from `conformance fakes`, and `conformance run --target` against
# them, writing its reports to target/conformance-blackbox/.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --locked --quiet --bin conformance --bin reference-server
bin=target/debug
data=$(mktemp -d)
logs=target/conformance-blackbox
mkdir -p "$logs"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT

"$bin/conformance" fakes --smtp-port 12525 --sms-port 18025 --api-port 18026 >"$logs/fakes.log" 2>&1 &
pids+=($!)
REFERENCE_SERVER__SMTP__PORT=12525 \
REFERENCE_SERVER__SMS__BASE_URL=http://127.0.0.1:18025 \
REFERENCE_SERVER__PROOFING__URL=http://127.0.0.1:18026 \
REFERENCE_SERVER__AGENCIES_FILE=ci/agencies/agencies.toml \
  "$bin/reference-server" --conformance-hooks --conformance-hook-token example-hook-token --listen 127.0.0.1:18080 --data-dir "$data" >"$logs/server.log" 2>&1 &
pids+=($!)

# Wait until both listen (start-up, not a rule: bounded, and it stops at the first answer).
for url in http://127.0.0.1:18026/api/settings http://127.0.0.1:18080/healthz; do
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && break
    sleep 0.1
  done
done

# The clock hook answers only with the server's token.
hook_status=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:18080/__conformance/clock)
if [ "$hook_status" != 401 ]; then
  echo "the clock hook answered $hook_status without its token, expected 401"; exit 1
fi

"$bin/conformance" run --target ci/example-target.toml --report-dir "$logs" --property-cases 8 \
  --waivers ci/unchecked.toml

# A broken target file must be explained and exit with 2.
broken=$(mktemp)
printf 'base_url = "localhost:1"\n[inbox]\nurl = "http://127.0.0.1:1"\n' >"$broken"
set +e
"$bin/conformance" check-target "$broken" >"$logs/broken-target.txt" 2>&1
status=$?
set -e
rm -f "$broken"
if [ "$status" -ne 2 ]; then
  echo "a broken target file exited with $status, expected 2"; cat "$logs/broken-target.txt"; exit 1
fi
echo "broken target file: exit 2, explained as: $(tail -1 "$logs/broken-target.txt")"
