#!/usr/bin/env bash
# Installs what the C library's build and tests need, idempotently (a second run only
# checks): Debian packages (jansson for the conformance driver, pkg-config, valgrind,
# a C compiler with the sanitizer runtimes) and a pinned cbindgen, built once into a
# cache folder outside the clone and keyed by its version. Called by `make c-test`.
#
# Prints the cbindgen path on its last line of stdout? No: `make` asks for it with
# `scripts/setup-c.sh --cbindgen-path` (quiet, no install).
set -euo pipefail

CBINDGEN_VERSION=0.29.4
cache="${XDG_CACHE_HOME:-$HOME/.cache}/email365/cbindgen-$CBINDGEN_VERSION"
cbindgen="$cache/bin/cbindgen"

if [ "${1:-}" = "--cbindgen-path" ]; then
  echo "$cbindgen"
  exit 0
fi

say() { printf '[setup-c] %s\n' "$*" >&2; }

# Debian packages: install only the ones that are missing.
need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for pkg in libjansson-dev pkg-config valgrind gcc g++ make libasan8 libubsan1; do
  have_pkg "$pkg" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "missing packages (${need[*]}) and no apt-get: install them by hand"
    exit 1
  fi
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "installing ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# cbindgen, pinned (Debian's 0.24 is too old): built once, cached by version.
if [ ! -x "$cbindgen" ] || ! "$cbindgen" --version 2>/dev/null | grep -q " $CBINDGEN_VERSION\$"; then
  say "building cbindgen $CBINDGEN_VERSION into $cache (once)"
  mkdir -p "$cache"
  cargo install --quiet --locked --root "$cache" --version "$CBINDGEN_VERSION" cbindgen
fi
