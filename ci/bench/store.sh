#!/usr/bin/env bash
# The store under load: the signed-in JSON API (ci/bench/http.lua, wrk) against the reference
# server on SQLite (one instance), and on PostgreSQL with one and with two instances sharing
# one database. Two instances are measured with one wrk per instance at once, each on its own
# half of the sessions, and their rates added. Release builds, a bench policy with the limits
# raised, the fakes receiving every text over HTTP. Not part of ci/test.sh's verdict: figures
# depend on the machine. Writes target/bench/store.json and target/bench/store.md.
#
#   bash ci/bench/store.sh [SECONDS]   (default 10 s per measurement)
#   STORE_SETUPS="sqlite:1" REFERENCE_SERVER_BIN=path bash ci/bench/store.sh   one setup, another
#                                       server build (to compare two builds on one machine)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-10}
out=target/bench
mkdir -p "$out"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }
cargo build --locked --quiet --release --bin fakes --bin reference-server
bin=target/release
source ci/lib/postgres.sh

source ci/lib/bench.sh
pids=()
data=$(mktemp -d)
stop_servers() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; pids=(); }
cleanup() { stop_servers; kill "${fakes_pid:-}" 2>/dev/null || true; postgres_stop; rm -rf "$data"; }
trap cleanup EXIT

smtp_port=$(free_port) sms_port=$(free_port) inbox_port=$(free_port)
"$bin/fakes" --smtp-port "$smtp_port" --sms-port "$sms_port" --api-port "$inbox_port" >"$out/store-fakes.log" 2>&1 &
fakes_pid=$!
wait_port "$inbox_port"
postgres_start

# setup: backend and instances; every setup starts on a fresh store.
results="["
server=${REFERENCE_SERVER_BIN:-$bin/reference-server}
for setup in ${STORE_SETUPS:-sqlite:1 postgres:1 postgres:2}; do
  backend=${setup%%:*} instances=${setup##*:}
  rm -rf "$data" && mkdir -p "$data"
  database_url=
  [ "$backend" = postgres ] && database_url="$PG_URL/bench_$RANDOM$RANDOM"
  bases=()
  for _ in $(seq 1 "$instances"); do
    port=$(free_port)
    env ${database_url:+REFERENCE_SERVER__DATABASE_URL=$database_url} \
      REFERENCE_SERVER__SMTP__PORT="$smtp_port" \
      REFERENCE_SERVER__SMS__BASE_URL="http://127.0.0.1:$sms_port" "${BENCH_POLICY[@]}" \
      "$server" --listen "127.0.0.1:$port" --data-dir "$data" >"$out/store-$backend-$instances-$port.log" 2>&1 &
    pids+=($!)
    wait_port "$port"
    bases+=("http://127.0.0.1:$port")
  done
  sessions="$out/store-sessions-$backend-$instances"
  rm -rf "$sessions"
  python3 ci/bench/seed.py "${bases[0]}" "http://127.0.0.1:$inbox_port" 64 "$sessions"
  figures="{\"backend\": \"$backend\", \"instances\": $instances"
  for mode in account:signed_in codes:awaiting sign-in:accounts; do
    name=${mode%%:*} file=${mode##*:}
    # Each instance's wrk gets every instances-th session: no session is used by two at once.
    threads=$((2 / instances)) connections=$((32 / instances))
    [ "$name" = sign-in ] && connections=$((16 / instances))
    runs=()
    for i in $(seq 0 $((instances - 1))); do
      awk -v n="$instances" -v i="$i" 'NR % n == i' "$sessions/$file.txt" >"$sessions/$file.$i.txt"
      wrk -t "$threads" -c "$connections" -d "${seconds}s" --latency -s ci/bench/http.lua "${bases[$i]}" \
        -- "$name" "$sessions/$file.$i.txt" "$threads" >"$sessions/$name.$i.out" &
      runs+=($!)
    done
    for run in "${runs[@]}"; do wait "$run"; done
    figures+=", \"$name\": $(python3 - "$name" "$sessions"/"$name".*.out <<'PY'
import json, sys
parts = [json.loads(open(p).read().strip().splitlines()[-1]) for p in sys.argv[2:]]
bad = [p for p in parts if p["unexpected"] or p["socket_errors"]]
if bad:
    sys.exit("%s: unexpected answers or socket errors: %s" % (sys.argv[1], bad))
print(json.dumps({"rps": sum(p["rps"] for p in parts), "p99_ms": max(p["p99_ms"] for p in parts)}))
PY
)"
  done
  results+="$figures},"
  stop_servers
done
results="${results%,}]"

python3 - "$out" "$seconds" "$(nproc)" "$results" <<'PY'
import json, sys, datetime
out, seconds, cores, results = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
measured = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%MZ")
json.dump({"measured_at": measured, "cores": cores, "seconds": seconds, "results": results},
          open(f"{out}/store.json", "w"), indent=2)
p99 = lambda r: f", p99 {r['p99_ms']:.1f} ms" if r["p99_ms"] > 0 else ""
lines = [f"Measured {measured} on {cores} cores, wrk runs of {seconds} s; one wrk per instance.\n",
         "| store | instances | GET account (req/s) | code request + wrong code (req/s) | sign-in (req/s) |",
         "|---|---|---|---|---|"]
for r in results:
    lines.append(f"| {r['backend']} | {r['instances']} | {r['account']['rps']:.0f}{p99(r['account'])} | "
                 f"{r['codes']['rps']:.0f} | {r['sign-in']['rps']:.0f}{p99(r['sign-in'])} |")
open(f"{out}/store.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
