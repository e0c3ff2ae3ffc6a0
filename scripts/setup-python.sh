#!/usr/bin/env bash
# Builds the Python package (bindings-python) into the repo's .venv/ in development
# mode (`maturin develop --release`: the Python sources stay editable in place, the
# native module is written next to them), idempotently. The native build runs again
# only when something it is made from changed (Rust sources, Cargo or pyproject files),
# or when `import email365` fails. Run after scripts/setup.sh (which makes .venv/ with
# maturin and the test tools); `make python` runs both.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

say() { printf '[setup-python] %s\n' "$*"; }

if [ ! -x .venv/bin/maturin ]; then
  echo "[setup-python] .venv/bin/maturin missing: run scripts/setup.sh first" >&2
  exit 1
fi

stamp=".venv/.email365-native.sha256"
want="$( { find core bindings-python/src -type f -name '*.rs' -print0 | sort -z | xargs -0 sha256sum;
           sha256sum Cargo.toml Cargo.lock core/Cargo.toml bindings-python/Cargo.toml bindings-python/pyproject.toml; } \
         | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && .venv/bin/python -c "import email365" 2>/dev/null; then
  exit 0
fi
say "building email365 (maturin develop --release)"
start=$(date +%s)
VIRTUAL_ENV="$root/.venv" PATH="$root/.venv/bin:$PATH" \
  .venv/bin/maturin develop --release --quiet -m bindings-python/Cargo.toml
.venv/bin/python -c "import email365, sys; print('[setup-python] email365', email365.__version__, 'for Python', sys.version.split()[0])"
echo "$want" > "$stamp"
say "built in $(( $(date +%s) - start ))s"
