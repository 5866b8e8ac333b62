#!/usr/bin/env bash
# Performance figures, all measured in one run on this machine, printed as one table. Not part
# of ci/test.sh's verdict: figures depend on the machine. Starts what it measures (release
# builds) and stops it, also on failure.
#
#  - the browser run: seconds per scenario (wall ÷ scenarios run), in-process target;
#  - the reference server's start-up: process start → first 200 from /healthz, on a fresh and
#    on an existing data directory (median of 5);
#  - signed-in JSON API requests, with wrk (Debian's `wrk`) and a Lua script that chains the
#    requests of one session: GET account; a code request then a wrong code (the fake SMS
#    provider receives every text over HTTP), under a bench policy with the limits raised;
#  - sign-in throughput against the argon2 bound (cores × the rate of one connection), and
#    against argon2 alone on every core at once (examples/argon2_rate): how far the cores
#    themselves fall short of the first bound;
#  - the fake SMTP server's ingest against aiosmtpd (kept messages parsed in memory, as the
#    fake does) with the same client, Postfix's smtp-source (Debian's `postfix`).
# Writes target/bench/bench.json and target/bench/bench.md.
#
#   bash ci/bench.sh          full figures (about 5 minutes)
#   bash ci/bench.sh --quick  short measurements and a browser subset: proves the script works
set -euo pipefail
cd "$(dirname "$0")/.."
quick=false
[ "${1:-}" = --quick ] && quick=true
if $quick; then seconds=3 messages=1000 browser_tags=@SU; else seconds=10 messages=4000 browser_tags=; fi
out=target/bench
mkdir -p "$out"
for tool in smtp-source:postfix wrk:wrk; do
  command -v "${tool%%:*}" >/dev/null || {
    echo "${tool%%:*} is missing: apt-get install -y --no-install-recommends ${tool##*:}" >&2
    exit 2
  }
done
venv=target/bench-venv
if ! cmp -s ci/bench/requirements.txt "$venv/requirements.txt"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r ci/bench/requirements.txt
  cp ci/bench/requirements.txt "$venv/requirements.txt"
fi
cargo build --locked --quiet --release --bin fakes --bin reference-server --bin conformance \
  --example argon2_rate
bin=target/release
cores=$(nproc)

source ci/lib/bench.sh
pids=()
data=$(mktemp -d)
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$data"
}
trap cleanup EXIT
py() { local code=$1; shift; python3 -c "import json,sys; $code" "$@"; }

# The fakes every measurement delivers to.
smtp_port=$(free_port) sms_port=$(free_port) inbox_port=$(free_port)
"$bin/fakes" --smtp-port "$smtp_port" --sms-port "$sms_port" --api-port "$inbox_port" >"$out/fakes.log" 2>&1 &
fakes_pid=$!
pids+=($fakes_pid)
wait_port "$inbox_port"
export REFERENCE_SERVER__SMTP__PORT=$smtp_port
export REFERENCE_SERVER__SMS__BASE_URL=http://127.0.0.1:$sms_port
export REFERENCE_SERVER__PROOFING__URL=http://127.0.0.1:$inbox_port

echo "start-up…"
startup=$(python3 ci/bench/startup.py "$bin/reference-server" 5)

echo "browser run…"
browser_dir=$out/browser
set +e
"$bin/conformance" --driver browser --property-cases 0 ${browser_tags:+--tags "$browser_tags"} \
  --report-dir "$browser_dir" >"$out/browser.log" 2>&1
set -e
browser=$(py "
s = json.load(open('$browser_dir/summary.json'))
ran = [x for x in s['scenarios'] if x['status'] in ('passed', 'failed')]
failed = [x['scenario'] for x in ran if x['status'] == 'failed']
if failed: sys.exit('the browser run failed: %s' % failed)
print(json.dumps({'scenarios': len(ran), 'wall_secs': round(s['wall_time_secs'], 1),
                  'secs_per_scenario': round(s['wall_time_secs'] / max(len(ran), 1), 2)}))")

echo "HTTP (wrk)…"
server_port=$(free_port)
env "${BENCH_POLICY[@]}" "$bin/reference-server" --listen "127.0.0.1:$server_port" --data-dir "$data" >"$out/server.log" 2>&1 &
server_pid=$!
pids+=($server_pid)
wait_port "$server_port"
base=http://127.0.0.1:$server_port
python3 ci/bench/seed.py "$base" "http://127.0.0.1:$inbox_port" 64 "$out/sessions"
measure() { # threads connections mode file
  local result before after
  before=$(cpu_sample "$server_pid" "$fakes_pid")
  result=$(wrk -t "$1" -c "$2" -d "${seconds}s" --latency -s ci/bench/http.lua "$base" -- "$3" "$4" "$1" | tail -1)
  after=$(cpu_sample "$server_pid" "$fakes_pid")
  py "r = json.loads(sys.argv[1]); r['cpu_percent'] = json.loads(sys.argv[2]); sys.exit('%s: unexpected answers (%d), e.g. %s' % ('$3', r['unexpected'], r['example'])) if r['unexpected'] else print(json.dumps(r))" \
    "$result" "$(cpu_shares "$before" "$after" server fakes)"
}
account=$(measure 2 32 account "$out/sessions/signed_in.txt")
codes=$(measure 2 32 codes "$out/sessions/awaiting.txt")
sign_in_one=$(measure 1 1 sign-in "$out/sessions/accounts.txt")
sign_in=$(measure 2 16 sign-in "$out/sessions/accounts.txt")
# argon2id at the server's cost with nothing else running: one thread, then every core.
argon2_one=$("$bin/examples/argon2_rate" 1 "$seconds")
argon2_all=$("$bin/examples/argon2_rate" "$cores" "$seconds")

echo "SMTP ingest…"
aio_port=$(free_port)
"$venv/bin/python" ci/bench/aiosmtpd_inbox.py 127.0.0.1 "$aio_port" >"$out/aiosmtpd.log" 2>&1 &
pids+=($!)
wait_port "$aio_port"
rate() { # port sessions → messages per second
  local start end
  start=$(date +%s.%N)
  smtp-source -d -s "$2" -m "$messages" -l 1024 -f bench@example.test -t inbox@example.test "127.0.0.1:$1"
  end=$(date +%s.%N)
  py "print(round($messages / ($end - $start)))"
}
smtp="["
for sessions in 1 16; do
  fake=$(rate "$smtp_port" "$sessions")
  aio=$(rate "$aio_port" "$sessions")
  smtp+="{\"sessions\": $sessions, \"fake\": $fake, \"aiosmtpd\": $aio, \"ratio\": $(py "print(round($fake / $aio, 1))")},"
done
smtp="${smtp%,}]"

measured_at=$(date -u +%Y-%m-%dT%H:%MZ)
py "
json.dump({'measured_at': '$measured_at', 'cores': $cores, 'quick': '$quick' == 'true', 'seconds': $seconds,
           'browser': $browser, 'startup': $startup, 'account': $account, 'codes': $codes,
           'sign_in_one_connection': $sign_in_one, 'sign_in': $sign_in,
           'argon2': {'one_thread': $argon2_one, 'all_cores': $argon2_all},
           'smtp': {'messages': $messages, 'results': $smtp}}, open('$out/bench.json', 'w'), indent=2)"
python3 - "$out/bench.json" >"$out/bench.md" <<'EOF'
import json, sys
b = json.load(open(sys.argv[1]))
s, br = b["startup"], b["browser"]
bound = b["cores"] * b["sign_in_one_connection"]["rps"]
rows = [
    ("browser run, seconds per scenario (wall ÷ scenarios run)",
     f"{br['secs_per_scenario']} ({br['wall_secs']} s / {br['scenarios']})", "≤ 1.0"),
    ("reference server: start → first /healthz 200, fresh data dir", f"{s['fresh_ms']} ms", "≤ 100 ms"),
    ("same, existing data dir", f"{s['existing_ms']} ms", "≤ 30 ms"),
]
for key, what in (("account", "GET /api/v1/account, 64 signed-in sessions"),
                  ("codes", "code request + wrong code, chained on each of 64 sessions")):
    r = b[key]
    # wrk does not time requests pipelined behind another (the code pairs): no p99 for them.
    p99 = f"p99 {r['p99_ms']:.1f} ms" if r["p99_ms"] > 0 else "p99 not timed (pipelined pairs)"
    c = r["cpu_percent"]
    cpu = (f"CPU: server {c['server']} %, fakes {c['fakes']} %, wrk and the rest {c['rest']} %, "
           f"idle {c['idle']} %")
    rows.append((f"{what} (req/s, p99; share of every core's time)",
                 f"{r['rps']:.0f} req/s, {p99}; {cpu}", "≥ 5,000 req/s, p99 ≤ 10 ms"))
rows.append(("sign-in throughput ÷ argon2 bound (cores × one connection's rate)",
             f"{b['sign_in']['rps'] / bound:.2f} ({b['sign_in']['rps']:.0f} ÷ {bound:.0f} req/s)", "≥ 0.95"))
a1, an = b["argon2"]["one_thread"]["per_sec"], b["argon2"]["all_cores"]["per_sec"]
rows.append(("argon2 alone: every core at once ÷ (cores × one thread)",
             f"{an / (b['cores'] * a1):.2f} ({an:.0f} ÷ {b['cores'] * a1:.0f} verifications/s)",
             "—"))
rows.append(("sign-in throughput ÷ argon2 alone on every core",
             f"{b['sign_in']['rps'] / an:.2f} ({b['sign_in']['rps']:.0f} ÷ {an:.0f} req/s)", "—"))
for r in b["smtp"]["results"]:
    rows.append((f"fake SMTP ingest ÷ aiosmtpd, {r['sessions']} session(s), smtp-source",
                 f"{r['ratio']}× ({r['fake']} vs {r['aiosmtpd']} msg/s)", "≥ 3×"))
quick = " (--quick: short measurements, browser subset)" if b["quick"] else ""
print(f"Measured {b['measured_at']} on {b['cores']} cores, wrk runs of {b['seconds']} s{quick}.\n")
print("| measure | measured | goal |\n|---|---|---|")
for row in rows:
    print("| " + " | ".join(row) + " |")
EOF
cat "$out/bench.md"
