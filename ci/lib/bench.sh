# Sourced, by the benches: free_port prints a free TCP port on loopback; wait_port PORT waits until something
# listens on it (start-up, not a rule: bounded, and it stops at the first answer).

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
