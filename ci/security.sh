#!/usr/bin/env bash
# Fuzzes the reference server's JSON API from its committed OpenAPI document with Schemathesis
# (the established tool for this; a Rust equivalent would mean writing the generator): every
# operation gets generated valid and invalid requests, and the run fails on any 5xx, any answer
# whose status, content type or body the document does not describe. Run by ci/test.sh.
#
#   bash ci/security.sh [EXAMPLES_PER_OPERATION]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."

examples=${1:-60}
venv=target/security-venv
venv_bin=$PWD/$venv/bin
logs=target/security
mkdir -p "$logs"

# Schemathesis in a virtual environment of its own, pinned (ci/security-requirements.txt).
if ! "$venv_bin/st" --version 2>/dev/null | grep -q "$(sed -n 's/^schemathesis==//p' ci/security-requirements.txt)"; then
  python3 -m venv "$venv"
  "$venv_bin/pip" install --quiet --disable-pip-version-check -r ci/security-requirements.txt
fi

cargo build --locked --quiet --bin reference-server
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# --demo: the fakes in-process and a fresh database in a temporary folder.
target/debug/reference-server --demo --listen "127.0.0.1:$port" >"$logs/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
  sleep 0.1 # start-up, not a rule: bounded, and it stops at the first answer
done

# The committed document, not the served one: what clients are promised is what is checked.
# Run from the log folder: Schemathesis keeps a cache in its working directory.
document=$PWD/reference-server/openapi.json
logs=$PWD/$logs
cd "$logs"
"$venv_bin/st" run "$document" --url "http://127.0.0.1:$port" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "$examples" --seed 20261202 --workers 2 \
  --report junit --report-junit-path "$logs/junit.xml" \
  >"$logs/schemathesis.txt" 2>&1 || {
  cat "$logs/schemathesis.txt"
  echo "the JSON API answered outside its OpenAPI document (above; also $logs/)"
  exit 1
}
grep -E "generated|passed|failure" "$logs/schemathesis.txt" | tail -3
echo "fuzzed the JSON API: no 5xx, every answer as the OpenAPI document says ($logs/schemathesis.txt)"
