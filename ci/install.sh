#!/bin/sh
# Installs a released `conformance` command: downloads the archive for this machine, checks its
# SHA-256 against the published one, and puts the binary in $CONFORMANCE_INSTALL_DIR
# (default ~/.local/bin). Nothing is run from the download before its checksum matches.
#
#   curl -fsSL https://github.com/OWNER/REPO/releases/download/vVERSION/install.sh | \
#     CONFORMANCE_RELEASE_URL=https://github.com/OWNER/REPO/releases/download/vVERSION sh
#
# CONFORMANCE_RELEASE_URL  where the release's files are (required: the folder of the archives)
# CONFORMANCE_VERSION      the version in the archive names (default: read from the URL's vX.Y.Z)
# CONFORMANCE_INSTALL_DIR  where the binary goes (default ~/.local/bin)
set -eu

base=${CONFORMANCE_RELEASE_URL:?set CONFORMANCE_RELEASE_URL to the folder of the release files}
base=${base%/}
version=${CONFORMANCE_VERSION:-$(printf '%s' "$base" | sed -n 's#.*/v\([0-9][^/]*\)$#\1#p')}
[ -n "$version" ] || { echo "install.sh: set CONFORMANCE_VERSION (no vX.Y.Z at the end of the URL)" >&2; exit 2; }
dest=${CONFORMANCE_INSTALL_DIR:-$HOME/.local/bin}

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) triple=x86_64-unknown-linux-gnu ;;
  Linux-aarch64 | Linux-arm64) triple=aarch64-unknown-linux-gnu ;;
  Darwin-arm64) triple=aarch64-apple-darwin ;;
  Darwin-x86_64) triple=x86_64-apple-darwin ;;
  *) echo "install.sh: no release for $(uname -s) $(uname -m); build from source: cargo build --release --bin conformance" >&2; exit 2 ;;
esac

name=conformance-$version-$triple
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fetch() {
  if command -v curl >/dev/null 2>&1; then curl -fsSL -o "$2" "$1"; else wget -q -O "$2" "$1"; fi
}
fetch "$base/$name.tar.gz" "$work/$name.tar.gz"
fetch "$base/$name.tar.gz.sha256" "$work/$name.tar.gz.sha256"
want=$(cut -d' ' -f1 <"$work/$name.tar.gz.sha256")
if command -v sha256sum >/dev/null 2>&1; then got=$(sha256sum "$work/$name.tar.gz" | cut -d' ' -f1)
else got=$(shasum -a 256 "$work/$name.tar.gz" | cut -d' ' -f1); fi
if [ "$want" != "$got" ]; then
  echo "install.sh: $name.tar.gz does not match its published SHA-256 (got $got, want $want); nothing installed" >&2
  exit 1
fi
tar -xzf "$work/$name.tar.gz" -C "$work"
mkdir -p "$dest"
install -m 0755 "$work/$name/conformance" "$dest/conformance"
echo "installed $("$dest/conformance" --version) in $dest"
