#!/usr/bin/env bash
# The reference server as a team would hand it over: an image. Builds it (ci/image.sh), runs
# every API scenario and the property checks against it through the container target
# (ci/container-target.toml), and shows that check-target explains an image that is not there.
# Without a Docker engine this says so and skips: nothing here can be checked without one.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v docker >/dev/null || ! docker info >/dev/null 2>&1; then
  echo "SKIPPED: no Docker engine answers here, so the container target was not checked"
  exit 0
fi
# From the debug build the tests made, as ci/install-test.sh packs the archive: the image is
# made the same way, and a release build would be the only one in ci/test.sh (the slowest
# build of a fresh clone's CI). `bash ci/image.sh` alone makes the release image.
IMAGE_PROFILE=debug bash ci/image.sh reference-server:local
cargo build --locked --quiet --bin conformance
logs=target/conformance-container
"target/debug/conformance" run --target ci/container-target.toml --report-dir "$logs" --property-cases 8 \
  --waivers ci/unchecked.toml
test -s "$logs/container.log" || { echo "the container's output was not kept in $logs/container.log"; exit 1; }
echo "the container's output: $logs/container.log ($(wc -l <"$logs/container.log") lines)"
if docker ps -a --filter ancestor=reference-server:local --format '{{.ID}}' | grep -q .; then
  echo "a container of reference-server:local was left behind"; exit 1
fi

# An image that is not there is explained, with exit 2.
missing=target/container-missing-image
rm -rf "$missing" && mkdir -p "$missing" && cp -r ci/agencies "$missing/"
sed 's/^image = .*/image = "no-such-image:never"/' ci/container-target.toml >"$missing/target.toml"
set +e
"target/debug/conformance" check-target "$missing/target.toml" >"$missing/check-target.txt" 2>&1
status=$?
set -e
if [ "$status" -ne 2 ] || ! grep -q "not on this Docker engine" "$missing/check-target.txt"; then
  echo "a missing image exited with $status, expected 2 and an explanation:"; cat "$missing/check-target.txt"; exit 1
fi
echo "missing image: exit 2, explained as: $(grep -m1 'not on this Docker engine' "$missing/check-target.txt")"
