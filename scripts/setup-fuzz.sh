#!/usr/bin/env bash
# Installs what the fuzz targets (fuzz/, cargo-fuzz + libFuzzer) need, idempotently (a
# second run only checks):
#   1. a toolchain that accepts cargo-fuzz's `-Z` flags: rustup's nightly when it is
#      installed (or can be), else the stable toolchain with RUSTC_BOOTSTRAP=1;
#      E365_FUZZ_TOOLCHAIN=nightly|bootstrap forces one;
#   2. cargo-fuzz, pinned, built once into a cache folder outside the clone, keyed by
#      its version.
# Prints two lines on stdout for fuzz/run.sh: `cargo_fuzz=<path>` and
# `toolchain=nightly` or `toolchain=bootstrap`.
set -euo pipefail

CARGO_FUZZ_VERSION=0.13.1
cache="${XDG_CACHE_HOME:-$HOME/.cache}/email365/cargo-fuzz-$CARGO_FUZZ_VERSION"
cargo_fuzz="$cache/bin/cargo-fuzz"

say() { printf '[setup-fuzz] %s\n' "$*" >&2; }

if ! command -v rustup >/dev/null 2>&1; then
  say "rustup not found: install rustup's stable toolchain first"
  exit 1
fi

# A C++ compiler builds libFuzzer (libfuzzer-sys compiles it from source).
if ! command -v c++ >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "installing g++ (libFuzzer is built from source)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends g++ >/dev/null
fi

have_nightly() { rustup toolchain list 2>/dev/null | grep -q '^nightly'; }
toolchain="${E365_FUZZ_TOOLCHAIN:-}"
case "$toolchain" in
  nightly)
    have_nightly || rustup toolchain install nightly --profile minimal >&2 ;;
  bootstrap) ;;
  "")
    if have_nightly; then
      toolchain=nightly
    elif timeout 300 rustup toolchain install nightly --profile minimal >&2; then
      toolchain=nightly
    else
      say "no nightly toolchain: using stable with RUSTC_BOOTSTRAP=1"
      toolchain=bootstrap
    fi ;;
  *)
    say "E365_FUZZ_TOOLCHAIN must be nightly or bootstrap, not $toolchain"
    exit 2 ;;
esac

if [ ! -x "$cargo_fuzz" ] || ! "$cargo_fuzz" --version 2>/dev/null | grep -q " $CARGO_FUZZ_VERSION\$"; then
  say "building cargo-fuzz $CARGO_FUZZ_VERSION into $cache (once)"
  mkdir -p "$cache"
  cargo install --quiet --locked --root "$cache" --version "$CARGO_FUZZ_VERSION" cargo-fuzz
fi

echo "cargo_fuzz=$cargo_fuzz"
echo "toolchain=$toolchain"
