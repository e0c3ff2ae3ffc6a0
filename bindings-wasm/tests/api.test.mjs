// The public API in Node: the shared checks against the ES module and the CommonJS
// builds, and the package's entry points.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import * as esm from "../pkg/node/index.mjs";
import { checks } from "./shared/checks.mjs";

const require = createRequire(import.meta.url);
const cjs = require("../pkg/node/index.cjs");

for (const [name, check] of checks) {
  test(`esm: ${name}`, () => check(esm));
  test(`cjs: ${name}`, () => check(cjs));
}

test("ESM and CommonJS share one instance and one set of error classes", () => {
  assert.equal(esm.Email365Error, cjs.Email365Error);
  assert.equal(esm.validateAddress, cjs.validateAddress);
  try {
    esm.validateAddress("nope");
    assert.fail("no error");
  } catch (e) {
    assert.ok(e instanceof cjs.InvalidAddress);
  }
});

test("the ES module and CommonJS copies of the JS layer export the same names", async () => {
  const layerEsm = await import("../pkg/lib/api.mjs");
  const layerCjs = require("../pkg/lib/api.cjs");
  assert.deepEqual(Object.keys(layerEsm).sort(), Object.keys(layerCjs).sort());
  assert.ok(Object.keys(layerEsm).length > 15);
});

test("package.json exports every build with its declarations", () => {
  const pkg = JSON.parse(readFileSync(new URL("../pkg/package.json", import.meta.url), "utf8"));
  const workspace = readFileSync(new URL("../../Cargo.toml", import.meta.url), "utf8");
  assert.equal(pkg.version, /\nversion = "([^"]+)"/.exec(workspace)[1]);
  assert.equal(pkg.version, esm.version());
  const targets = [pkg.exports["."].node.import, pkg.exports["."].node.require, pkg.exports["."].default,
    pkg.exports["./web"].default, pkg.exports["./bundler"].default, pkg.exports["."].node.types,
    pkg.exports["./web"].types];
  for (const file of targets) {
    assert.ok(readFileSync(new URL(`../pkg/${file}`, import.meta.url)).length > 0, file);
  }
});

test("the package resolves by name through its exports map (import and require)", async () => {
  // pkg/ is reachable as `email365` through a symlink made by the build under tests/.
  const viaImport = await import("email365");
  const viaRequire = require("email365");
  assert.equal(viaImport.Email365Error, viaRequire.Email365Error);
  assert.equal(viaImport.validateAddress("a@example.com").local, "a");
});
