#!/usr/bin/env bash
# Real client libraries against the fakes started as their own process (`fakes`): Python's
# smtplib with STARTTLS and login, and with TLS from the first byte; the official `twilio` and
# `boto3` (SES v2) libraries, pinned in ci/interop/requirements.txt. Stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
log=target/interop
mkdir -p "$log"
venv=target/interop-venv
# The libraries in a virtual environment of their own, installed again only when the pins change.
if ! cmp -s ci/interop/requirements.txt "$venv/requirements.txt"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r ci/interop/requirements.txt
  cp ci/interop/requirements.txt "$venv/requirements.txt"
fi
cargo build --locked --quiet -p fakes --bin fakes
target/debug/fakes --smtp-port 12525 --smtps-port 12465 --sms-port 12580 --api-port 12526 \
  >"$log/fakes.log" 2>&1 &
fakes=$!
trap 'kill "$fakes" 2>/dev/null || true; wait "$fakes" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS http://127.0.0.1:12526/api/settings >/dev/null 2>&1 && break
  kill -0 "$fakes" 2>/dev/null || { cat "$log/fakes.log"; exit 1; }
  sleep 0.1 # start-up, not a rule: bounded, and it stops at the first answer
done
python3 ci/interop/smtp_client.py http://127.0.0.1:12526
"$venv/bin/python" ci/interop/provider_clients.py http://127.0.0.1:12526
