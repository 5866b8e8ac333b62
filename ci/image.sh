#!/usr/bin/env bash
# Builds the reference server as a container image on the local Docker engine, with no base
# image to pull (no image registry is reachable here, nor in many CI sandboxes): a root file
# system holding only the server's binary (the release build unless IMAGE_PROFILE says
# otherwise), the shared libraries `ldd` says it loads, and an empty /data owned by the
# unprivileged user it runs as, imported with `docker import`, which needs no builder
# (BuildKit is not installed here either). No musl target is installed, so
# the glibc the binary was linked against goes in with it.
#
#   bash ci/image.sh [TAG]                      (default reference-server:local)
#   IMAGE_PROFILE=debug bash ci/image.sh [TAG]  the same image from the debug build (tests)
#
# Run it like: docker run --network host reference-server:local --listen 127.0.0.1:8080
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-reference-server:local}

profile=${IMAGE_PROFILE:-release}
case "$profile" in
  release) cargo build --locked --quiet --release -p reference-server --bin reference-server ;;
  debug) cargo build --locked --quiet -p reference-server --bin reference-server ;;
  *) echo "IMAGE_PROFILE is release or debug, not $profile" >&2; exit 2 ;;
esac
binary=target/$profile/reference-server
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 0755 "$root"   # mktemp makes it private: the image's / must be readable by its user

install -D -m 0755 "$binary" "$root/usr/local/bin/reference-server"
# Every library the binary loads, at the path the loader looks for it, and the loader itself.
ldd "$binary" | grep -o '/[^ ]*' | sort -u | while read -r lib; do
  install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"   # the loader must be executable
done
mkdir -p "$root/tmp" "$root/etc"
chmod 1777 "$root/tmp"
echo 'nobody:x:65534:65534:nobody:/data:/nonexistent' >"$root/etc/passwd"
echo 'nogroup:x:65534:' >"$root/etc/group"

archive=$root.tar
tar -C "$root" --owner=0 --group=0 -cf "$archive" .
mkdir "$root/data"
tar -C "$root" --owner=65534 --group=65534 --no-recursion -rf "$archive" ./data
docker import \
  --change 'USER 65534:65534' \
  --change 'WORKDIR /data' \
  --change 'ENTRYPOINT ["/usr/local/bin/reference-server"]' \
  --change 'CMD ["--listen", "127.0.0.1:8080", "--data-dir", "/data"]' \
  --message "reference server $(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  "$archive" "$tag" >/dev/null
rm -f "$archive"
docker image inspect "$tag" --format "$tag: {{.Size}} bytes, {{.Id}}"
