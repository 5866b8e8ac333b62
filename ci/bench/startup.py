"""Start-up time of the reference server: from starting the process to the first 200 from
/healthz, on a fresh data directory and on an existing one. Median of RUNS starts each.

    python3 startup.py SERVER_BINARY RUNS   (prints JSON: {"fresh_ms": …, "existing_ms": …})

The server's environment (REFERENCE_SERVER__*) comes from the caller. Connection attempts
repeat every millisecond: the figure is the server's, not the poll's.
"""
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def start_ms(binary, data_dir):
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        [binary, "--listen", f"127.0.0.1:{port}", "--data-dir", data_dir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = started + 20
        while not healthy(port):
            if server.poll() is not None or time.perf_counter() > deadline:
                raise SystemExit(f"the server did not answer /healthz (exit {server.poll()})")
            time.sleep(0.001)
        return (time.perf_counter() - started) * 1000
    finally:
        server.terminate()
        server.wait()


def main():
    binary, runs = sys.argv[1], int(sys.argv[2])
    fresh, existing = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as data_dir:
            fresh.append(start_ms(binary, data_dir))
            # The key made in the background is written by now, or the next start makes it.
            existing.append(start_ms(binary, data_dir))
    print(json.dumps({
        "runs": runs,
        "fresh_ms": round(statistics.median(fresh), 1),
        "existing_ms": round(statistics.median(existing), 1),
        "fresh_all_ms": [round(x, 1) for x in fresh],
        "existing_all_ms": [round(x, 1) for x in existing],
    }))


if __name__ == "__main__":
    main()
