#!/usr/bin/env bash
# Fast feedback while working (about 30 s on a warm 2-core build): formatting, lints, and every
# test binary but the two that run the whole suite dozens of times. What it runs includes the
# whole suite through the JSON API against the in-process server (tests/conformance.rs).
#
# ci/test.sh (what CI runs, and what decides) begins with this script, then runs the two long
# binaries (the breakage table, the browser fixtures), the browser run, and the black-box,
# container, several-instances, PostgreSQL, release, interop and security steps.
set -euo pipefail
cd "$(dirname "$0")/.."

source ci/lib/tests.sh

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy -p reference-server --locked -- -D warnings

# Every integration test target the manifests declare, so that a new one is run here too.
tests=$(cargo metadata --no-deps --format-version 1 --locked | LONG="$LONG_TESTS" python3 -c '
import json, os, sys
long = os.environ["LONG"].split()
for package in json.load(sys.stdin)["packages"]:
    for target in package["targets"]:
        if "test" in target["kind"] and target["name"] not in long:
            print("--test", target["name"])
')
[ -n "$tests" ] || { echo "no integration test targets found in the manifests"; exit 1; }
step "cargo test: unit tests, and every integration test but these: $LONG_TESTS"
# shellcheck disable=SC2086 # one word per argument
cargo test --workspace --locked --lib --bins $tests
echo "ci/quick.sh passed; ci/test.sh runs the rest"
