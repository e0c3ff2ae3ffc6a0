#!/usr/bin/env bash
# The main job through the C library, as `make run` shows it: the Rust main job
# (tests/e2e) exports the target as EMAIL365_* variables and runs this script, which
# hands them to the `send` example (examples/send.c) under its E365_* names.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
IFS=',' read -r -a recipients <<< "${EMAIL365_TO:?EMAIL365_TO is not set}"
export E365_SMTP_HOST="${EMAIL365_HOST:?}" E365_SMTP_PORT="${EMAIL365_PORT:?}"
export E365_USERNAME="${EMAIL365_USERNAME:?}" E365_PASSWORD="${EMAIL365_PASSWORD:?}"
export E365_CA_FILE="${EMAIL365_CA_FILE:-}" E365_ACCOUNT_ID="${EMAIL365_ACCOUNT_ID:?}"
export E365_STATUS_BASE_URL="${EMAIL365_BASE_URL:-}"
export E365_SUBJECT="Your invoice (sent from C)"
[ "${EMAIL365_TLS:-starttls}" = implicit ] && export E365_IMPLICIT_TLS=1
exec "$here/build/send" "${EMAIL365_FROM:?}" "${recipients[@]}"
