#!/usr/bin/env bash
# `make dist-test`: installs each artifact of dist/ (scripts/dist.sh) outside the
# repository and uses it as a user would:
#   wheel  a new venv: import, the `email365` console command, `email365 sandbox` (from
#          the wheel) with a send through it by the `email365 send` command and the API;
#   sdist  a new venv with maturin only: `pip wheel` builds it from source, then it is
#          installed and imported;
#   npm    a new npm project: ESM import, CJS require, `tsc --noEmit` against the
#          shipped declarations, a webpack bundle of an entry importing the package
#          (webpack from bindings-wasm/node_modules, a tool like tsc; the package from the
#          project's node_modules), and a `createTransport` send through the sandbox
#          (tests/sandbox's release binary) with its notification id checked; the
#          package's `bin` (`node_modules/.bin/email365`: --help, exit 2 on a bad flag);
#   c      the archive unpacked in a temporary folder: the examples compiled with
#          `pkg-config --define-prefix` (shared and static) and run, the SONAME checked.
# Nothing of the clone is on any path: every step runs in a fresh folder under $TMPDIR
# (the current directory too) with `env -i` and only HOME, PATH (the system's folders
# and cargo's bin), LANG and TMPDIR set, so PYTHONPATH, NODE_PATH, PKG_CONFIG_PATH,
# VIRTUAL_ENV and the like are unset; the checks run by each step assert that the
# package was loaded from the temporary folder and that no path holds the clone.
# Exception, a cache: the sdist's cargo build uses the clone's target/ folder as
# CARGO_TARGET_DIR, so the dependencies compiled by `make python` are reused.
# Steps can be chosen: `scripts/dist-test.sh wheel sdist npm c` (all by default).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dist="$root/dist"
say() { printf '[dist-test] %s\n' "$*" >&2; }
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)"
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(wheel sdist npm c)

work="$(mktemp -d "${TMPDIR:-/tmp}/email365-dist-test.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# The checks run inside the clean environment, copied out of the clone first.
cp "$root/scripts/dist_test_checks.py" "$work/checks.py"

# Runs "$@" in $work/$1 (made fresh) with nothing but a minimal environment.
clean() {
  local dir="$work/$1"
  shift
  mkdir -p "$dir"
  (cd "$dir" && env -i HOME="$HOME" PATH="$HOME/.cargo/bin:/usr/local/bin:/usr/bin:/bin" LANG=C.UTF-8 \
    TMPDIR="$work" E365_CLONE="$root" "$@")
}

timed() {
  local name="$1" start
  shift
  start=$(date +%s)
  "$@"
  say "$name: passed in $(( $(date +%s) - start ))s"
}

python_venv() {  # python_venv NAME: a new venv in $work/NAME, from the system's python3
  clean . python3 -m venv "$work/$1"
}

test_wheel() {
  local whl
  whl="$(ls "$dist"/email365-"$version"-cp39-abi3-manylinux*.whl)"
  python_venv wheel-venv
  clean wheel "$work/wheel-venv/bin/pip" install --quiet --no-index --disable-pip-version-check "$whl"
  clean wheel "$work/wheel-venv/bin/python" "$work/checks.py" wheel "$work/wheel-venv"
}

test_sdist() {
  python_venv sdist-venv
  clean sdist "$work/sdist-venv/bin/pip" install --quiet --disable-pip-version-check "maturin>=1.9.4,<2"
  # Unpacked as pip would, with every file's time set to now (-m): cargo then compiles
  # the sdist's own crates (core, sandbox, binding) from its sources, while the
  # dependencies come from the clone's target/ (CARGO_TARGET_DIR, a cache only).
  tar -C "$work/sdist" -xzmf "$dist/email365-$version.tar.gz"
  # As in an activated venv: the build backend runs the venv's `maturin`.
  clean sdist env PATH="$work/sdist-venv/bin:$HOME/.cargo/bin:/usr/local/bin:/usr/bin:/bin" \
    CARGO_TARGET_DIR="$root/target" "$work/sdist-venv/bin/pip" wheel --quiet --no-deps \
    --no-build-isolation --disable-pip-version-check -w "$work/sdist/wheels" "$work/sdist/email365-$version"
  clean sdist "$work/sdist-venv/bin/pip" install --quiet --no-index --disable-pip-version-check \
    "$work"/sdist/wheels/email365-"$version"-*.whl
  clean sdist "$work/sdist-venv/bin/python" "$work/checks.py" import "$work/sdist-venv"
}

test_npm() {
  local tsc_version
  tsc_version="$(node -p 'require(process.argv[1]).devDependencies.typescript' "$root/bindings-wasm/package.json")"
  clean npm npm init -y >/dev/null
  clean npm npm install --silent --no-audit --no-fund "$dist/email365-$version.tgz" "typescript@$tsc_version"
  cat >"$work/npm/esm.mjs" <<'EOF'
import { validateAddress, classifyReply } from "email365";
const where = new URL(import.meta.resolve("email365")).pathname;
if (!where.startsWith(process.cwd() + "/node_modules/email365/")) throw new Error(`loaded from ${where}`);
if (process.env.E365_CLONE && where.startsWith(process.env.E365_CLONE)) throw new Error("loaded from the clone");
const a = validateAddress("José <jose@bücher.example>", { mode: "header" });
if (a.asciiDomain !== "xn--bcher-kva.example" || a.displayName !== "José") throw new Error(JSON.stringify(a));
if (classifyReply("550 5.1.1 no such user").severity !== "permanent") throw new Error("classify");
console.log("esm ok", where);
EOF
  cat >"$work/npm/cjs.cjs" <<'EOF'
const e365 = require("email365");
const a = e365.validateAddress("jane@example.com");
if (a.domain !== "example.com") throw new Error(JSON.stringify(a));
if (e365.extractNotificationId("250 2.0.0 Ok: queued as 10000000902077") !== "10000000902077") throw new Error("id");
console.log("cjs ok", require.resolve("email365"));
EOF
  cat >"$work/npm/app.ts" <<'EOF'
import { validateAddress, classifyReply, buildMessage, Email365Error } from "email365";
const address = validateAddress("jane@example.com");
const domain: string = address.domain;
const severity: "success" | "intermediate" | "transient" | "permanent" = classifyReply("250 ok").severity;
const built = buildMessage({ from: "a@example.com", to: ["b@example.org"], subject: "s", text: "t" });
const bytes: Uint8Array = built.bytes;
const rcpt: string[] = built.envelope.rcptTo;
function kind(e: unknown): string | undefined { return e instanceof Email365Error ? e.kind : undefined; }
console.log(domain, severity, bytes.length, rcpt, kind(null));
EOF
  cat >"$work/npm/tsconfig.json" <<'EOF'
{ "compilerOptions": { "strict": true, "noEmit": true, "target": "ES2022", "module": "NodeNext",
    "moduleResolution": "NodeNext", "types": [] }, "files": ["app.ts"] }
EOF
  # A browser-style bundle (webpack's `bundler` conditions and asyncWebAssembly) of the
  # installed package, run by Node where nothing else can resolve `email365`.
  cat >"$work/npm/entry.mjs" <<'EOF'
import { validateAddress, buildMessage } from "email365";
const a = validateAddress("jane@bücher.example");
const m = buildMessage({ from: "a@example.com", to: ["b@example.org"], subject: "s", text: "t" });
if (a.asciiDomain !== "xn--bcher-kva.example" || !(m.bytes instanceof Uint8Array)) throw new Error("bundle");
console.log("bundle ok:", m.bytes.length, "octets built by the bundled module");
EOF
  cat >"$work/npm/bundle.cjs" <<'EOF'
const path = require("node:path");
const webpack = require(process.argv[2]);
const here = process.cwd();
const compiler = webpack({
  mode: "production", target: "node", context: here, entry: "./entry.mjs",
  output: { path: path.join(here, "dist"), filename: "bundle.cjs" },
  experiments: { asyncWebAssembly: true },
  resolve: { modules: [path.join(here, "node_modules")],
    conditionNames: ["webpack", "production", "browser", "module", "import", "default"] },
  performance: { hints: false },
});
compiler.run((err, stats) => {
  if (err || stats.hasErrors()) {
    console.error(err ?? stats.toString({ all: false, errors: true }));
    process.exit(1);
  }
  const files = [...stats.compilation.fileDependencies];
  const own = path.join(here, "node_modules", "email365") + "/";
  const pkg = files.filter((f) => f.includes("/email365/"));
  if (!pkg.length || pkg.some((f) => !f.startsWith(own))) {
    console.error("the package must be bundled from", own, pkg);
    process.exit(1);
  }
  console.log("webpack ok:", pkg.length, "files of the package bundled from", own);
  compiler.close(() => {});
});
EOF
  # A send through the sandbox with the installed package's createTransport.
  cat >"$work/npm/send.mjs" <<'EOF'
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { createTransport } from "email365";
const where = new URL(import.meta.resolve("email365")).pathname;
if (!where.startsWith(process.cwd() + "/node_modules/email365/")) throw new Error(`loaded from ${where}`);
const sandbox = spawn(process.argv[2], ["--smtp-port", "0", "--http-port", "0", "--step-ms", "0",
  "--sender-domain", "example.com", "--exit-on-stdin-eof"], { stdio: ["pipe", "pipe", "inherit"] });
const lines = createInterface({ input: sandbox.stdout })[Symbol.asyncIterator]();
const info = JSON.parse((await lines.next()).value);
const transport = createTransport({ host: info.smtp_host, port: info.smtp_port,
  auth: { user: info.username, pass: info.password }, ca: readFileSync(info.ca_file), timeout: 10000 });
try {
  const r = await transport.sendMail({ from: "shop@example.com", to: "a@example.org",
    subject: "From the npm package", text: "Hello\n" });
  if (!/^\d+$/.test(r.notificationId ?? "")) throw new Error(`no notification id: ${JSON.stringify(r)}`);
  const stored = await (await fetch(`${info.http_url}/_sandbox/messages`)).json();
  const ids = stored.map((m) => m.notification_id);
  if (ids.length !== 1 || ids[0] !== r.notificationId) throw new Error(`sandbox has ${JSON.stringify(ids)}`);
  console.log("send ok: notification id", r.notificationId, "stored by the sandbox");
} finally {
  await transport.close();
  sandbox.stdin.end();
}
EOF
  clean npm node esm.mjs
  clean npm node cjs.cjs
  clean npm ./node_modules/.bin/tsc --noEmit -p tsconfig.json
  clean npm node bundle.cjs "$root/bindings-wasm/node_modules/webpack"
  clean npm node dist/bundle.cjs
  (cd "$root" && cargo build -q --release -p email365-sandbox)
  clean npm node send.mjs "$root/target/release/email365-sandbox"
  # The package's `bin`: the send / status command, installed as node_modules/.bin/email365.
  clean npm ./node_modules/.bin/email365 --help | grep -q '^usage: email365 send'
  clean npm sh -c './node_modules/.bin/email365 send --bogus x >/dev/null; test $? -eq 2'
}

test_c() {
  local name prefix pc
  name="email365-$version-$(uname -m)-linux-gnu"
  mkdir -p "$work/c"
  tar -C "$work/c" -xzf "$dist/$name.tar.gz"
  prefix="$work/c/$name"
  pc=(env PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --define-prefix)
  [ "$(clean c "${pc[@]}" --variable=libdir email365)" = "$prefix/lib" ]
  [ "$(clean c "${pc[@]}" --modversion email365)" = "$version" ]
  readelf -d "$prefix/lib/libemail365.so.$version" | grep -q "SONAME.*\[libemail365.so.${version%%.*}\]"
  for ex in validate status send; do
    clean c sh -c "cc -std=c99 -Wall -Wextra -Werror '$prefix/share/doc/email365/examples/$ex.c' -o $ex \$(${pc[*]} --cflags --libs email365)"
  done
  clean c sh -c "cc -std=c99 -Wall -Wextra -Werror '$prefix/share/doc/email365/examples/validate.c' -o validate-static \
    \$(${pc[*]} --static --cflags email365) '$prefix/lib/libemail365.a' \
    \$(${pc[*]} --static --libs-only-other --libs-only-l email365 | sed s/-lemail365//)"
  clean c env LD_LIBRARY_PATH="$prefix/lib" ./validate 'Jane Doe <jane@example.com>' >/dev/null
  clean c ./validate-static 'jane@example.com' >/dev/null
  if clean c ./validate-static 'no-at-sign' >/dev/null 2>&1; then
    say "validate accepted an address without @"
    exit 1
  fi
  # The shared example really loads the unpacked library.
  clean c env LD_LIBRARY_PATH="$prefix/lib" ldd ./validate | grep -q "$prefix/lib/libemail365.so.${version%%.*}"
}

for step in "${steps[@]}"; do
  case "$step" in
    wheel) timed wheel test_wheel ;;
    sdist) timed sdist test_sdist ;;
    npm) timed npm test_npm ;;
    c) timed c test_c ;;
    *) say "unknown step $step (wheel, sdist, npm, c)"; exit 2 ;;
  esac
done
echo "dist-test: ${#steps[@]} passed, 0 failed"
