#!/usr/bin/env bash
# The suite as an image without any base image (no registry is reachable here): the release
# `conformance` binary, with the features built in, and the shared libraries `ldd` lists for
# it, imported with `docker import`. It drives the JSON API only: Chromium is not in it (the
# repository's Dockerfile adds it where Debian's base image can be pulled). It is checked by a
# whole API run from inside it: the binary starts the reference server and the fakes itself.
#
#   bash ci/suite-image.sh [TAG]     (default conformance:api)
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-conformance:api}

cargo build --locked --quiet --release --bin conformance
binary=target/release/conformance
root=$(mktemp -d)
trap 'rm -rf "$root" "$root.tar"' EXIT
chmod 0755 "$root"
install -D -m 0755 "$binary" "$root/usr/local/bin/conformance"
ldd "$binary" | grep -o '/[^ ]*' | sort -u | while read -r lib; do
  install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"   # the loader must be executable
done
mkdir -p "$root/tmp" "$root/work" "$root/etc"
chmod 1777 "$root/tmp" "$root/work"
echo 'nobody:x:65534:65534:nobody:/work:/nonexistent' >"$root/etc/passwd"
echo 'nogroup:x:65534:' >"$root/etc/group"
tar -C "$root" --owner=0 --group=0 -cf "$root.tar" .
docker import \
  --change 'USER 65534:65534' \
  --change 'WORKDIR /work' \
  --change 'ENV HOME=/work' \
  --change 'ENTRYPOINT ["/usr/local/bin/conformance"]' \
  --change 'CMD ["--help"]' \
  --message "conformance suite (API driver) $(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  "$root.tar" "$tag" >/dev/null
docker image inspect "$tag" --format "$tag: {{.Size}} bytes"
# Every API scenario and the properties from inside the image, with the features built in.
docker run --rm -v "$PWD/ci:/ci:ro" "$tag" run --waivers /ci/unchecked.toml --property-cases 8 | tail -n 3
