#!/usr/bin/env bash
# Performance figures measured in one run on this machine. Not part of ci/test.sh's verdict:
# figures depend on the machine. Starts what it measures and stops it, also on failure.
#
# Today it measures the fake SMTP server's ingest against aiosmtpd (kept messages parsed in
# memory, as the fake does), with the same kept client for both: Postfix's smtp-source
# (Debian's `postfix` package), 1 and 16 sessions, connections reused (-d).
# Writes target/bench/bench.json and target/bench/bench.md.
#
#   bash ci/bench.sh [MESSAGES]   (default 4000 per measurement)
set -euo pipefail
cd "$(dirname "$0")/.."
messages=${1:-4000}
out=target/bench
mkdir -p "$out"
command -v smtp-source >/dev/null || {
  echo "smtp-source is missing: apt-get install -y --no-install-recommends postfix" >&2
  exit 2
}
venv=target/bench-venv
if ! cmp -s ci/bench/requirements.txt "$venv/requirements.txt"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r ci/bench/requirements.txt
  cp ci/bench/requirements.txt "$venv/requirements.txt"
fi
cargo build --locked --quiet --release -p fakes --bin fakes

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done' EXIT
wait_port() {
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1 # start-up, not a rule: bounded, and it stops at the first answer
  done
  echo "nothing listens on $1" >&2
  return 1
}

fake_port=$(free_port)
target/release/fakes --smtp-port "$fake_port" --sms-port 0 --api-port 0 >"$out/fakes.log" 2>&1 &
pids+=($!)
aio_port=$(free_port)
"$venv/bin/python" ci/bench/aiosmtpd_inbox.py 127.0.0.1 "$aio_port" >"$out/aiosmtpd.log" 2>&1 &
pids+=($!)
wait_port "$fake_port"
wait_port "$aio_port"

# Messages per second for one server and a number of parallel sessions.
rate() {
  local port=$1 sessions=$2 start end
  start=$(date +%s.%N)
  smtp-source -d -s "$sessions" -m "$messages" -l 1024 -f bench@example.test -t inbox@example.test \
    "127.0.0.1:$port"
  end=$(date +%s.%N)
  python3 -c "print(round($messages / ($end - $start)))"
}

rows=()
json="{\"messages\": $messages, \"smtp\": ["
for sessions in 1 16; do
  fake=$(rate "$fake_port" "$sessions")
  aio=$(rate "$aio_port" "$sessions")
  ratio=$(python3 -c "print(round($fake / $aio, 1))")
  rows+=("| SMTP ingest, $sessions session(s) (msg/s) | $fake | $aio | ${ratio}× |")
  json+="{\"sessions\": $sessions, \"fake\": $fake, \"aiosmtpd\": $aio, \"ratio\": $ratio},"
done
json="${json%,}]}"
echo "$json" >"$out/bench.json"
{
  echo "Measured $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $messages messages of 1 KiB each, smtp-source -d."
  echo
  echo "| measure | fake | aiosmtpd | fake ÷ aiosmtpd |"
  echo "|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} >"$out/bench.md"
cat "$out/bench.md"
