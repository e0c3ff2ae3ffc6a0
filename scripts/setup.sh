#!/usr/bin/env bash
# Installs what a fresh machine lacks for building and testing email365, idempotently:
# a second run only checks and skips. Called by `make test` and `make run`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

say() { printf '[setup] %s\n' "$*"; }

# Debian packages, installed only when missing (apt-get update runs at most once).
apt_updated=""
apt_need() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ -z "$apt_updated" ]; then
    say "apt-get update"
    $sudo apt-get update -qq
    apt_updated=1
  fi
  say "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# curl talks to the sandbox's status API in the interop tests.
apt_need curl ca-certificates
# openssl makes the test CA of the STARTTLS transport scenarios (tests/conformance/run_vectors.py).
apt_need openssl
# Exim: a real SMTP server with PIPELINING and CHUNKING (BDAT) for the transport's
# interop tests (core/tests/smtp_interop_exim.rs starts its own daemon on a free port).
apt_need exim4-daemon-light

# Rust: rustup's stable toolchain with rustfmt and clippy.
if ! command -v cargo >/dev/null 2>&1; then
  echo "[setup] cargo not found: install rustup's stable toolchain first" >&2
  exit 1
fi
for comp in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$comp"; then
    say "adding rustup component $comp"
    rustup component add "$comp"
  fi
done

# Python test tools in .venv/ (re-installed only when requirements-dev.txt changes).
py="${PYTHON:-python3}"
stamp=".venv/.requirements.sha256"
want="$(sha256sum requirements-dev.txt | cut -d' ' -f1)"
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$py" -m venv .venv
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing Python test tools"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  echo "$want" > "$stamp"
fi
