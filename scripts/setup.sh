#!/usr/bin/env bash
# Installs what a fresh machine lacks for building and testing email365, idempotently:
# a second run only checks and skips. Called by `make test` and `make run`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

say() { printf '[setup] %s\n' "$*"; }

# Debian packages, installed only when missing (apt-get update runs at most once).
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
apt_updated=""
apt_update_once() {
  [ -n "$apt_updated" ] && return 0
  say "apt-get update"
  $sudo apt-get update -qq
  apt_updated=1
}
apt_need() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  apt_update_once
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

# Postfix, for the interop tests of every binding (tests/interop/postfix_server.py starts a
# private instance). Debian's postfix and exim4 packages conflict (both are the system's
# mail-transport-agent), so postfix is not installed: its package is unpacked into a cache
# folder outside the clone, keyed by nothing but its presence, which also means no system
# Postfix is started on port 25. Cyrus SASL (its PLAIN/LOGIN and sasldb plugins,
# saslpasswd2) comes from Debian as usual; the postfix user and postdrop group are made as
# the package would make them.
apt_need libsasl2-modules libsasl2-modules-db sasl2-bin libdb5.3 libicu72 libnsl2 libssl3
postfix_root="${XDG_CACHE_HOME:-$HOME/.cache}/email365/postfix"
if [ ! -x "$postfix_root/usr/sbin/postfix" ]; then
  apt_update_once
  say "unpacking Debian's postfix into $postfix_root"
  tmp="$(mktemp -d)"
  (cd "$tmp" && apt-get -o DPkg::Lock::Timeout=600 download postfix 2>/dev/null >/dev/null)
  mkdir -p "$(dirname "$postfix_root")"
  rm -rf "$postfix_root.tmp"
  dpkg-deb -x "$tmp"/postfix_*.deb "$postfix_root.tmp"
  dpkg-deb -f "$tmp"/postfix_*.deb Version > "$postfix_root.tmp/VERSION"
  rm -rf "$tmp" "$postfix_root"
  mv "$postfix_root.tmp" "$postfix_root"
fi
if [ "$(id -u)" -eq 0 ]; then
  getent group postdrop >/dev/null || groupadd --system postdrop
  getent passwd postfix >/dev/null \
    || useradd --system --user-group --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin postfix
  # As the package sets them (postfix-script checks them at every start).
  chgrp postdrop "$postfix_root/usr/sbin/postqueue" "$postfix_root/usr/sbin/postdrop"
  chmod 2755 "$postfix_root/usr/sbin/postqueue" "$postfix_root/usr/sbin/postdrop"
fi

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
