# Sourced, by the benches: free_port prints a free TCP port on loopback; wait_port PORT waits until something
# listens on it (start-up, not a rule: bounded, and it stops at the first answer); cpu_sample
# reads the CPU time spent so far, for cpu_shares to split a measurement's wall time by.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_port() {
  for _ in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "nothing listens on $1" >&2
  return 1
}

# The bench policy: limits raised so that load is measured, not refused.
BENCH_POLICY=(
  REFERENCE_SERVER__POLICY__CODE_REQUEST_LIMIT=1000000000
  REFERENCE_SERVER__POLICY__CODE_ATTEMPT_LIMIT=1000000000
  REFERENCE_SERVER__LIMITS__PER_CLIENT_EMAILS=0
  REFERENCE_SERVER__LIMITS__PER_CLIENT_WRONG_PASSWORDS=0
)

# cpu_sample PID…: every core's time, the idle part of it, then each PID's time (user and
# system, all its threads), in clock ticks.
cpu_sample() {
  local fields total=0 t
  read -r -a fields </proc/stat # cpu user nice system idle iowait irq softirq steal
  for t in "${fields[@]:1:8}"; do total=$((total + t)); done
  printf '%s %s' "$total" $((fields[4] + fields[5]))
  for t; do awk '{printf " %d", $14 + $15}' "/proc/$t/stat"; done
  echo
}

# cpu_shares BEFORE AFTER NAME…: JSON of each named process's share of every core's time
# between two cpu_sample lines taken with the same PIDs, the idle share, and the rest (the load
# generator, everything else). Idle time under a closed-loop load means a wait, not the cores,
# bound the rate.
cpu_shares() {
  python3 - "$@" <<'PY'
import json, sys
before, after, names = sys.argv[1].split(), sys.argv[2].split(), sys.argv[3:]
d = [int(a) - int(b) for b, a in zip(before, after)]
if d[0] <= 0 or len(d) != len(names) + 2:
    sys.exit(f"cpu_shares: samples {sys.argv[1]!r} and {sys.argv[2]!r} do not match {names}")
share = lambda ticks: round(100 * ticks / d[0], 1)
shares = {name: share(t) for name, t in zip(names, d[2:])}
shares["rest"] = share(d[0] - d[1] - sum(d[2:]))
shares["idle"] = share(d[1])
print(json.dumps(shares))
PY
}
