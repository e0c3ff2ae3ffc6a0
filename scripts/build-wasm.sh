#!/usr/bin/env bash
# Builds the npm package of email365 into bindings-wasm/pkg/ (not committed):
#   cargo (profile wasm-release, wasm32-unknown-unknown; the Node module a second time
#   with the SMTP transport and the command)  ->  wasm-bindgen for the nodejs, web and bundler targets  ->  wasm-opt -Oz (npm binaryen)  ->  the JS layer,
#   entry points, declarations and package.json. Prints raw and gzip sizes.
# Runs scripts/setup-wasm.sh first (quick when everything is there). A second run with
# unchanged inputs only rebuilds what cargo finds changed and skips the rest.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
say() { printf '[build-wasm] %s\n' "$*" >&2; }

setup="$(bash scripts/setup-wasm.sh | tail -n 1)"
route="$(sed -n 's/.*toolchain=\([a-z]*\).*/\1/p' <<<"$setup")"
wasm_bindgen="$(sed -n 's/.*wasm_bindgen=\(.*\)$/\1/p' <<<"$setup")"

target_dir="target/wasm-$route"
wasm="$target_dir/wasm32-unknown-unknown/wasm-release/email365_wasm.wasm"
# The Node module is the same crate with its `command` feature (the `transport` feature,
# the core's SMTP session over Node's sockets, and the `send` / `status` command), built into its own target directory so that neither build undoes
# the other: the browser module stays without it (docs/WASM.md, "Two modules").
node_target_dir="target/wasm-$route-node"
wasm_node="$node_target_dir/wasm32-unknown-unknown/wasm-release/email365_wasm.wasm"
# The module is linked as a cdylib alone (`cargo rustc --crate-type cdylib`), not with the
# manifest's ["cdylib", "rlib"]: building both crate types at once leaves the linker
# ~43 KB more code (docs/PERFORMANCE.md, "WebAssembly").
# std is rebuilt from source with the module's size profile, `optimize_for_size`, and
# the immediate-abort panic strategy (a panic traps at once; no panic message machinery
# is linked): 209 KB -> 192 KB gzip (docs/PERFORMANCE.md). These are unstable options,
# hence RUSTC_BOOTSTRAP, scoped to this one command as in the Debian route below.
# `-Zmir-opt-level=1` leaves to LLVM the MIR optimisations of level 2, MIR inlining among
# them (which rustc applies only to the crates at opt-level 2 or 3: the message builder's
# encoders). Without the `reference-types` target feature wasm-bindgen keeps JS values
# in its JS-side heap instead of an externref table: no externref shim around each
# export and no table management in the module (same API; the JS glue is 81 B gzip
# larger). Each is about 1 KB gzip less (docs/PERFORMANCE.md, "Module size").
size_flags="-Zunstable-options -Cpanic=immediate-abort -Zmir-opt-level=1 -Ctarget-feature=-reference-types"
build_std=(-Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size)
build_module() { # target directory, extra cargo arguments
  local dir="$1"
  shift
  if [ "$route" = rustup ]; then
    RUSTC_BOOTSTRAP=1 RUSTFLAGS="$size_flags" \
      cargo rustc -q -p email365-wasm --lib --crate-type cdylib --target wasm32-unknown-unknown \
      --profile wasm-release --target-dir "$dir" "${build_std[@]}" "$@"
  else
    # Debian's Rust with its std built from source (docs/WASM.md). RUSTC_BOOTSTRAP is
    # scoped to this one command; ~/.cargo/bin comes first on PATH, hence /usr/bin/cargo.
    local linker
    linker="$(ls /usr/bin/wasm-ld-* | sort -V | tail -n 1)"
    RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 RUSTFLAGS="$size_flags" \
      CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$linker" \
      /usr/bin/cargo rustc -q -p email365-wasm --lib --crate-type cdylib \
      --target wasm32-unknown-unknown --profile wasm-release --target-dir "$dir" \
      "${build_std[@]}" "$@"
  fi
}
build_module "$target_dir"
build_module "$node_target_dir" --features command

pkg=bindings-wasm/pkg
js=bindings-wasm/js
stamp_want="$(cat "$wasm" "$wasm_node" "$js"/*.* "$js"/entries/* "$js"/bin/* bindings-wasm/README.md scripts/build-wasm.sh Cargo.toml | sha256sum | cut -d' ' -f1)"
# The tests import the package by name, through its exports map.
ln -sfn ../pkg bindings-wasm/node_modules/email365
if [ "$(cat "$pkg/.build-stamp" 2>/dev/null)" = "$stamp_want" ]; then
  say "pkg/ is up to date"
  exit 0
fi

rm -rf "$pkg"
mkdir -p "$pkg/lib"
wasm_opt=bindings-wasm/node_modules/.bin/wasm-opt
for target in node web bundler; do
  bindgen_target="$target"
  module_in="$wasm"
  if [ "$target" = node ]; then
    bindgen_target=nodejs
    module_in="$wasm_node"
  fi
  "$wasm_bindgen" --target "$bindgen_target" --out-dir "$pkg/$target" --out-name email365_wasm "$module_in"
  # An exported class (StatusPoller) is declared with `[Symbol.dispose]()`, which needs
  # TypeScript's esnext.disposable lib; the declarations must type-check under ES2022
  # without skipLibCheck (tests/types). `free()` stays declared, and the runtime still
  # sets Symbol.dispose where the platform has it.
  sed -i '/\[Symbol\.dispose\](): void;/d' "$pkg/$target/email365_wasm.d.ts"
  module="$pkg/$target/email365_wasm_bg.wasm"
  if [ "$target" = bundler ] && cmp -s "$module" "$pkg/web/email365_wasm_bg.wasm.raw"; then
    # wasm-bindgen wrote the same module as for the web: reuse the optimised one.
    cp "$pkg/web/email365_wasm_bg.wasm" "$module"
  else
    [ "$target" = web ] && cp "$module" "$module.raw"
    # A second -Oz after flattening and re-looping the control flow finds more to fold
    # (about 1 KB gzip), and merging functions that differ only in constants, twice, about
    # 1 KB more; the producers and target-features sections are for tools only.
    "$wasm_opt" -Oz --flatten --rereloop -Oz --merge-similar-functions -Oz \
      --merge-similar-functions -Oz --strip-producers --strip-target-features "$module" -o "$module"
  fi
  for entry in "$js/entries/$target".*; do
    cp "$entry" "$pkg/$target/index.${entry#"$js/entries/$target".}"
  done
done
rm -f "$pkg/web/email365_wasm_bg.wasm.raw"

# The JS layer is written once as an ES module whose last statement is its export
# list; the CommonJS copy swaps that statement for `module.exports` (checked by a test).
cp "$js/api.mjs" "$pkg/lib/api.mjs"
cp "$js/api.d.ts" "$pkg/lib/api.d.ts"
# The Node transport's JS layer (CommonJS, Node only): the socket adapter and createTransport.
cp "$js/node_io.cjs" "$js/transport.cjs" "$pkg/lib/"
cp "$js/transport.d.ts" "$pkg/lib/transport.d.ts"
# The package's `bin`: the `send` / `status` command over the Node module (docs/CLI.md).
mkdir -p "$pkg/bin"
cp "$js/bin/email365.mjs" "$pkg/bin/email365.mjs"
chmod +x "$pkg/bin/email365.mjs"
node -e '
  const fs = require("fs");
  const src = fs.readFileSync(process.argv[1], "utf8");
  const m = src.match(/\nexport \{([^}]*)\};\s*$/);
  if (!m) { console.error("api.mjs must end with one `export { … };`"); process.exit(1); }
  fs.writeFileSync(process.argv[2], "\"use strict\";\n" + src.slice(0, m.index) + "\nmodule.exports = {" + m[1] + "};\n");
' "$js/api.mjs" "$pkg/lib/api.cjs"

version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
sed "s/@VERSION@/$version/" "$js/package.json" >"$pkg/package.json"
cp bindings-wasm/README.md "$pkg/README.md"
# The package is ES modules; wasm-bindgen's nodejs output is CommonJS.
printf '{ "type": "commonjs" }\n' >"$pkg/node/package.json"

raw="$(stat -c %s "$pkg/web/email365_wasm_bg.wasm")"
gz="$(gzip -9 -c "$pkg/web/email365_wasm_bg.wasm" | wc -c)"
# zlib at level 9 (what `make bench` reports, and what web servers compress with) gives
# a different size than GNU gzip's own deflate: both are printed.
zl="$(python3 -c 'import gzip, sys; print(len(gzip.compress(open(sys.argv[1], "rb").read(), 9)))' "$pkg/web/email365_wasm_bg.wasm")"
say "module: $raw bytes raw, $gz bytes gzip -9, $zl bytes zlib level 9 (route $route)"
raw="$(stat -c %s "$pkg/node/email365_wasm_bg.wasm")"
gz="$(gzip -9 -c "$pkg/node/email365_wasm_bg.wasm" | wc -c)"
say "Node module (with the SMTP transport and the command): $raw bytes raw, $gz bytes gzip -9"
printf '%s\n' "$stamp_want" >"$pkg/.build-stamp"
