#!/usr/bin/env bash
# Refreshes the vendored axe-core (steps/vendor/axe-core/axe.min.js), the accessibility engine
# the browser driver runs on every page (AX-1). axe-core ships inside the wheel of
# axe-playwright-python on the Python package index; the wheel is pinned by version and
# SHA-256 here, so a refresh is a reviewed change of these two lines.
#
#   ci/refresh-axe.sh            # fetch, check, and write the file
set -euo pipefail
cd "$(dirname "$0")/.."

WHEEL_VERSION=0.1.8
WHEEL_SHA256=fdd263c998388f1a8e67cad02677e612d946248bd44d163be5e8650ea31f95f8

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps "axe-playwright-python==$WHEEL_VERSION" -d "$work"
wheel=$(ls "$work"/*.whl)
echo "$WHEEL_SHA256  $wheel" | sha256sum --check --quiet
python3 - "$wheel" steps/vendor/axe-core/axe.min.js <<'PY'
import re, sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
source = zipfile.ZipFile(wheel).read("axe_playwright_python/axe.min.js")
version = re.match(rb"/\*! axe v(\d+\.\d+\.\d+)", source)
if not version:
    sys.exit("the wheel's axe.min.js names no axe-core version")
major, minor, _ = (int(n) for n in version.group(1).split(b"."))
# WCAG 2.1 tags (wcag21a, wcag21aa) came with axe-core 3.5; the suite needs them.
if (major, minor) < (4, 0):
    sys.exit(f"axe-core {version.group(1).decode()} is too old: the suite needs 4.x or later")
open(out, "wb").write(source)
print(f"axe-core {version.group(1).decode()} written to {out} ({len(source)} bytes)")
PY
