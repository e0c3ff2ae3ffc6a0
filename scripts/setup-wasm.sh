#!/usr/bin/env bash
# Installs what the WebAssembly package needs, idempotently (a second run only checks):
#   1. a wasm32 standard library: rustup's wasm32-unknown-unknown target and rust-src
#      (the module's std is rebuilt from source for size) where they can be added, else Debian's rustc-web/cargo-web/rust-web-src with lld (std built from
#      source, see docs/WASM.md); E365_WASM_TOOLCHAIN=rustup|debian forces one route;
#   2. wasm-bindgen-cli at exactly the version of wasm-bindgen in Cargo.lock, built once
#      into a cache folder outside the clone, keyed by version;
#   3. the npm packages of bindings-wasm/ (wasm-opt from `binaryen`, playwright-core,
#      nodemailer for the benchmark) with `npm ci` from the committed lockfile;
#   4. Debian's chromium for the browser test.
# Prints the chosen route on its last line: `toolchain=rustup` or `toolchain=debian`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

say() { printf '[setup-wasm] %s\n' "$*" >&2; }
cache="${XDG_CACHE_HOME:-$HOME/.cache}/email365"
mkdir -p "$cache"

apt_updated=0
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "[setup-wasm] need root to install Debian packages: $*" >&2
    exit 1
  fi
  if [ "$apt_updated" = 0 ]; then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
    apt_updated=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null
}

# --- 1. wasm32 standard library -------------------------------------------------------
debian_ready() {
  local rv sv
  rv="$(dpkg-query -W -f='${Version}' rustc-web 2>/dev/null || true)"
  sv="$(dpkg-query -W -f='${Version}' rust-web-src 2>/dev/null || true)"
  [ -n "$rv" ] && [ "$rv" = "$sv" ] && [ -x /usr/bin/cargo ] && ls /usr/bin/wasm-ld-* >/dev/null 2>&1
}
rustup_ready() {
  command -v rustup >/dev/null 2>&1 &&
    rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown &&
    rustup component list --installed 2>/dev/null | grep -q '^rust-src'
}
rustup_add() {
  rustup target add wasm32-unknown-unknown >&2 && rustup component add rust-src >&2
}

route="${E365_WASM_TOOLCHAIN:-}"
case "$route" in
  rustup)
    rustup_ready || rustup_add ;;
  debian)
    debian_ready || apt_install rustc-web cargo-web rust-web-src lld-22 ;;
  "")
    if rustup_ready; then
      route=rustup
    elif command -v rustup >/dev/null 2>&1 &&
      timeout 240 bash -c "$(declare -f rustup_add); rustup_add" 2>/dev/null; then
      route=rustup
    else
      route=debian
      if ! debian_ready; then
        say "rustup has no wasm32 target here: installing Debian's Rust for the web"
        # One command, so that the compiler and its std sources come from the same build.
        apt_install rustc-web cargo-web rust-web-src lld-22
      fi
    fi ;;
  *)
    echo "[setup-wasm] E365_WASM_TOOLCHAIN must be rustup or debian, not $route" >&2
    exit 2 ;;
esac
if [ "$route" = debian ] && ! debian_ready; then
  echo "[setup-wasm] Debian's rustc-web and rust-web-src differ in version or are missing" >&2
  exit 1
fi

# --- 2. wasm-bindgen-cli at the exact version of Cargo.lock ---------------------------
bindgen_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
if [ -z "$bindgen_version" ]; then
  echo "[setup-wasm] no wasm-bindgen in Cargo.lock" >&2
  exit 1
fi
bindgen_root="$cache/wasm-bindgen-$bindgen_version"
if ! "$bindgen_root/bin/wasm-bindgen" --version 2>/dev/null | grep -q " $bindgen_version\$"; then
  say "building wasm-bindgen-cli $bindgen_version into $bindgen_root (once; a few minutes)"
  # rustup's cargo; no --locked (its locked dependencies can be newer than the registry).
  cargo install -q wasm-bindgen-cli --version "=$bindgen_version" --root "$bindgen_root" --force >&2
fi

# --- 3. npm packages ------------------------------------------------------------------
if ! command -v npm >/dev/null 2>&1; then
  apt_install nodejs npm
fi
stamp="bindings-wasm/node_modules/.email365-lock.sha256"
want="$(sha256sum bindings-wasm/package-lock.json | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "npm ci in bindings-wasm/"
  (cd bindings-wasm && npm ci --no-audit --no-fund --loglevel=error >&2)
  echo "$want" >"$stamp"
fi

# --- 4. a real browser ----------------------------------------------------------------
if [ ! -x /usr/bin/chromium ]; then
  apt_install chromium
fi

echo "toolchain=$route wasm_bindgen=$bindgen_root/bin/wasm-bindgen"
