#!/usr/bin/env bash
# Fast feedback while working (about 30 s on a warm 2-core build): formatting, lints, and every
# test binary but the two that run the whole suite dozens of times. What it runs includes the
# whole suite through the JSON API against the in-process server (tests/conformance.rs).
#
# Not what decides: ci/test.sh (what CI runs) adds the two long binaries (the breakage table,
# the browser fixtures), the browser run, and the black-box, container, several-instances,
# PostgreSQL, release, interop and security steps.
set -euo pipefail
cd "$(dirname "$0")/.."

# Left to ci/test.sh: each runs the suite against many variants of the server.
long="breakages fixtures"

step() { printf '\n==> [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy -p reference-server --locked -- -D warnings

# Every integration test target the manifests declare, so that a new one is run here too.
tests=$(cargo metadata --no-deps --format-version 1 --locked | LONG="$long" python3 -c '
import json, os, sys
long = os.environ["LONG"].split()
for package in json.load(sys.stdin)["packages"]:
    for target in package["targets"]:
        if "test" in target["kind"] and target["name"] not in long:
            print("--test", target["name"])
')
[ -n "$tests" ] || { echo "no integration test targets found in the manifests"; exit 1; }
step "cargo test: unit tests, and every integration test but these: $long"
# shellcheck disable=SC2086 # one word per argument
cargo test --workspace --locked --lib --bins $tests
step "done: ci/test.sh runs the rest"
