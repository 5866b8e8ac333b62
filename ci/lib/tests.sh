# Sourced by ci/test.sh and ci/quick.sh: how a step announces itself (with when it started, so
# a slow step shows in the log), and the test binaries ci/quick.sh leaves to ci/test.sh, each of
# which runs the whole suite against many variants of the server.

step() { printf '\n==> [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

LONG_TESTS="breakages fixtures"
