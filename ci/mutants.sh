#!/usr/bin/env bash
# Mutation testing of the reference server's rules and use cases, scored by the conformance
# suite alone: cargo-mutants changes one thing at a time in reference-server/src/rules and
# reference-server/src/service (a comparison flipped, a constant changed, a body replaced),
# and only the `conformance` test of steps/cli (every feature file through the API against
# the in-process server) may catch it. A mutant that survives changes something the suite
# does not check: either a gap in the suite (kill it with a check) or a change nothing
# outside can observe (list it in features/MUTANTS.md with why).
#
# Not part of ci/test.sh: each mutant is a rebuild and a full API run (about a minute on two
# cores), and there are hundreds. Spread it over runs with --shard and --file:
#   bash ci/mutants.sh                                   every file of rules/ and service/
#   bash ci/mutants.sh --file reference-server/src/rules/otp.rs
#   bash ci/mutants.sh --shard 1/8                       one eighth of them
#   bash ci/mutants.sh --list                            what would be tried, without running
# The results are in target/mutants/mutants.out/ (caught.txt, missed.txt, timeout.txt,
# unviable.txt, outcomes.json).
set -euo pipefail
cd "$(dirname "$0")/.."
version=27.0.0
if ! cargo mutants --version 2>/dev/null | grep -q "$version"; then
  cargo install --locked "cargo-mutants@$version"
fi
files=()
if ! printf '%s\n' "$@" | grep -qx -- --file; then
  files=(--file 'reference-server/src/rules/**' --file 'reference-server/src/service/**')
fi
# The baseline: the unmutated tree must pass the conformance test. (cargo-mutants' own baseline
# would run the mutated package's tests with the arguments meant for conformance-cli.)
if ! printf '%s\n' "$@" | grep -qx -- --list; then
  cargo test --locked -p conformance-cli --test conformance >target/mutants-baseline.log 2>&1 || {
    echo "the unmutated tree fails the conformance test (target/mutants-baseline.log): no mutant can be judged"; exit 1; }
fi
# The fixtures (test-only broken variants) are not the server's behaviour. Each mutant is
# judged by the full run's verdict alone (the test's later runs check the suite's reporting).
export CONFORMANCE_VERDICT_ONLY=1
exec cargo mutants --baseline skip --package reference-server "${files[@]}" \
  --exclude 'reference-server/src/fixture.rs' --exclude-re 'broken!' \
  --test-package conformance-cli --cargo-test-arg=--test --cargo-test-arg=conformance \
  --timeout 300 --output target/mutants "$@"
