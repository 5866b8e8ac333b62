#!/usr/bin/env bash
# The release path end to end, on loopback: ci/release.sh packs the archive (from the debug
# build here; the release workflow packs the release build the same way), a local web server
# serves it as a release folder, ci/install.sh installs it into a fresh folder, and the
# installed binary, run outside this checkout, uses its built-in features for an API run.
# A tampered archive is refused and nothing is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

version=$(cargo metadata --no-deps --format-version 1 --locked |
  python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "conformance-cli"))')
CONFORMANCE_PROFILE=debug bash ci/release.sh "$work/site/v$version" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$work/site" "$port" >"$work/http.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do # start-up, not a rule: bounded, stops at the first answer
  curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break
  sleep 0.1
done

release=http://127.0.0.1:$port/v$version
CONFORMANCE_RELEASE_URL=$release CONFORMANCE_INSTALL_DIR=$work/bin sh ci/install.sh
"$work/bin/conformance" --version | grep -qx "conformance $version" || { echo "the installed binary is not $version"; exit 1; }
# Outside the checkout: the binary finds features/ where it was built, so that folder is
# hidden from it (a private mount namespace with an empty folder over the checkout; needs
# root): it must then run on its built-in features, as on a machine that never had the source.
mkdir -p "$work/elsewhere"
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
  unshare --mount --propagation private sh -c \
    'mount -t tmpfs tmpfs "$1" && cd "$2" && exec "$3" run --tags @SU-1 --property-cases 0' \
    hide "$repo" "$work/elsewhere" "$work/bin/conformance" >"$work/run.log" 2>&1 || true
  where="with the checkout hidden"
else
  echo "not root: the checkout stays visible, so the binary may read its features/ (the image test shows the built-in ones)"
  (cd "$work/elsewhere" && "$work/bin/conformance" run --tags @SU-1 --property-cases 0 \
    --report-dir conformance-report >"$work/run.log" 2>&1) || true
  where="beside the checkout"
fi
summary=$work/elsewhere/conformance-report/summary.json
[ -f "$summary" ] || { echo "the installed binary wrote no report in the folder it ran in:"; cat "$work/run.log"; exit 1; }
python3 - "$summary" "$where" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
ran = [x for x in s["scenarios"] if x["status"] == "passed"]
failed = [x["scenario"] for x in s["scenarios"] if x["status"] == "failed"]
if not ran or failed:
    sys.exit(f"installed binary: {len(ran)} scenarios passed, failed: {failed}")
print(f"the installed binary, run {sys.argv[2]}, passed {len(ran)} scenarios on its built-in features")
PY

# Tampered: one byte changed after the checksum was published.
archive=$(ls "$work/site/v$version"/*.tar.gz)
printf 'x' | dd of="$archive" bs=1 seek=100 conv=notrunc status=none
if CONFORMANCE_RELEASE_URL=$release CONFORMANCE_INSTALL_DIR=$work/tampered sh ci/install.sh 2>"$work/tampered.log"; then
  echo "a tampered archive was installed"; exit 1
fi
grep -q "does not match its published SHA-256" "$work/tampered.log" && [ ! -e "$work/tampered/conformance" ] || {
  echo "the tampered archive was not refused as it should be:"; cat "$work/tampered.log"; exit 1; }
echo "a tampered archive is refused, and nothing is installed"
