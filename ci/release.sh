#!/usr/bin/env bash
# Builds the release archive of the `conformance` command (features and catalogue built in, so
# the binary alone runs the suite) for this machine's target, with its SHA-256 beside it:
#   target/release-archive/conformance-<version>-<target>.tar.gz(.sha256)
# The release workflow (ci/examples/github-release.yml) runs this on each supported runner and
# attaches the files, with ci/install.sh, to the release.
#
#   bash ci/release.sh [OUT_DIR]
#   CONFORMANCE_PROFILE=debug bash ci/release.sh   the same archive from the debug build (tests)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/release-archive}
version=$(cargo metadata --no-deps --format-version 1 --locked |
  python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "conformance-cli"))')
triple=$(rustc -vV | sed -n 's/^host: //p')
profile=${CONFORMANCE_PROFILE:-release}
case "$profile" in
  release) cargo build --locked --release --bin conformance ;;
  debug) cargo build --locked --bin conformance ;;
  *) echo "CONFORMANCE_PROFILE is release or debug, not $profile" >&2; exit 2 ;;
esac
name=conformance-$version-$triple
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name" "$out"
cp "target/$profile/conformance" "$stage/$name/"
cp README.md "$stage/$name/"
# Reproducible archive: fixed order, owner and times.
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -czf "$out/$name.tar.gz" "$name"
(cd "$out" && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
echo "$out/$name.tar.gz"
