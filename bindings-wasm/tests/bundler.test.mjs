// The bundler smoke test: webpack 5, driven through its Node API, bundles a small entry
// that imports the package by name (`email365`) through its exports map, resolved the way
// a browser bundler resolves it (no `node` condition), so that the `bundler` build is the
// one bundled: wasm-bindgen's `--target bundler` output, which imports its .wasm as an ES
// module (webpack's `experiments.asyncWebAssembly`, the setup wasm-bindgen documents).
// The bundle targets Node so that it can run here, in a child process in a temporary
// folder where `email365` cannot be resolved at run time; it runs the shared checks
// (tests/shared/checks.mjs) and reports a validated address and a built message back.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import webpack from "webpack";
import { checks } from "./shared/checks.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const pkg = join(root, "pkg");

const entry = `
import * as api from "email365";
import { buildMessage, validateAddress, InvalidAddress } from "email365";
import { runChecks } from ${JSON.stringify(join(root, "tests", "shared", "checks.mjs"))};

async function main() {
  const address = validateAddress("Ann <ann@bücher.example>", { mode: "header" });
  const m = buildMessage({
    from: "Ann <ann@example.com>", to: ["bob@example.org"], bcc: ["carol@example.org"],
    subject: "Hello from a bundle", text: "one\\ntwo", messageId: "<bundle@example.com>",
    date: "Sat, 28 Nov 2026 12:00:00 +0000",
  });
  let error = null;
  try {
    validateAddress("not an address");
  } catch (e) {
    error = { isInvalidAddress: e instanceof InvalidAddress, name: e.name, kind: e.kind, reason: e.reason };
  }
  const message = {
    isUint8Array: m.bytes instanceof Uint8Array, length: m.bytes.length, size: m.size,
    text: new TextDecoder().decode(m.bytes), envelope: m.envelope, messageId: m.messageId,
  };
  const results = await runChecks(api);
  process.stdout.write(JSON.stringify({ address, message, error, results }));
}
main().catch((e) => { console.error(e); process.exit(1); });
`;

let dir;
let stats;
let report;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "email365-webpack-"));
  writeFileSync(join(dir, "entry.mjs"), entry);
  const compiler = webpack({
    mode: "production",
    target: "node",
    context: dir,
    entry: "./entry.mjs",
    output: { path: join(dir, "dist"), filename: "bundle.cjs" },
    experiments: { asyncWebAssembly: true },
    resolve: {
      // `email365` is the build's symlink node_modules/email365 -> pkg/.
      modules: [join(root, "node_modules")],
      // A browser bundle's conditions: `node` would pick the package's Node build.
      conditionNames: ["webpack", "production", "browser", "module", "import", "default"],
    },
    performance: { hints: false },
  });
  stats = await promisify(compiler.run.bind(compiler))();
  await promisify(compiler.close.bind(compiler))();
  assert.ok(!stats.hasErrors(), stats.toString({ all: false, errors: true }));
  const { stdout } = await promisify(execFile)(process.execPath, [join(dir, "dist", "bundle.cjs")], { cwd: dir });
  report = JSON.parse(stdout);
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("webpack bundles the bundler build and its .wasm as an ES module", () => {
  const modules = stats.toJson({ all: false, modules: true, nestedModules: true }).modules
    .flatMap((m) => [m, ...(m.modules || [])]).map((m) => m.nameForCondition || m.name || "");
  assert.ok(modules.some((m) => m.endsWith(join("pkg", "bundler", "email365_wasm_bg.wasm"))), "the .wasm is a module of the graph");
  assert.ok(modules.some((m) => m.endsWith(join("pkg", "bundler", "index.js"))), "`email365` resolved to bundler/index.js");
  assert.deepEqual(modules.filter((m) => m.includes(join("pkg", "node"))), [], "nothing of the Node build");
  const wasmFiles = readdirSync(join(dir, "dist")).filter((f) => f.endsWith(".wasm"));
  assert.equal(wasmFiles.length, 1);
  assert.deepEqual(readFileSync(join(dir, "dist", wasmFiles[0])), readFileSync(join(pkg, "bundler", "email365_wasm_bg.wasm")));
});

test("bundle: validateAddress returns the address's fields", () => {
  assert.deepEqual(report.address, {
    local: "ann", domain: "bücher.example", asciiDomain: "xn--bcher-kva.example", displayName: "Ann", smtputf8: false,
  });
});

test("bundle: buildMessage returns the bytes and the envelope", () => {
  const m = report.message;
  assert.ok(m.isUint8Array);
  assert.equal(m.length, m.size);
  assert.ok(m.text.endsWith("\r\n"));
  assert.match(m.text, /^Subject: Hello from a bundle\r$/m);
  assert.match(m.text, /\r\n\r\none\r\ntwo\r\n$/);
  assert.ok(!m.text.includes("carol@example.org"), "Bcc is not in the bytes");
  assert.deepEqual(m.envelope, { mailFrom: "ann@example.com", rcptTo: ["bob@example.org", "carol@example.org"] });
  assert.equal(m.messageId, "bundle@example.com");
});

test("bundle: errors are the package's classes", () => {
  assert.equal(report.error.isInvalidAddress, true);
  assert.equal(report.error.name, "Email365Error");
  assert.equal(report.error.kind, "invalid_address");
  assert.equal(report.error.reason, "whitespace");
});

test("bundle: every shared check ran", () => {
  assert.deepEqual(report.results.map((r) => r.name), checks.map(([name]) => name));
});

for (const [index, [name]] of checks.entries()) {
  test(`bundle: ${name}`, () => {
    const r = report.results[index];
    assert.ok(r.ok, r.error);
  });
}
