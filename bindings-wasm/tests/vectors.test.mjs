// Every shared vector (tests/vectors/*.json) through the Node driver in process, with
// the comparison rules of tests/conformance/run_vectors.py (`make wasm-test` also runs
// them through the driver process with that runner).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { handleRequest } from "../conformance.mjs";

const dir = new URL("../../tests/vectors/", import.meta.url);

function expand(value) {
  if (Array.isArray(value)) return value.map(expand);
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    if (keys.length === 2 && typeof value.$repeat === "string" && "times" in value) {
      return value.$repeat.repeat(Number(value.times));
    }
    return Object.fromEntries(keys.map((k) => [k, expand(value[k])]));
  }
  return value;
}

const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".json")).sort() : [];
let cases = 0;
for (const file of files) {
  const doc = JSON.parse(readFileSync(new URL(file, dir), "utf8"));
  for (const c of doc.cases) {
    cases++;
    test(`${file}#${c.id}`, async () => {
      const answer = await handleRequest({ op: doc.op, args: expand(c.args ?? {}) });
      if ("ok" in c.expect) {
        assert.deepEqual(answer, { ok: c.expect.ok });
      } else {
        assert.ok(answer.error, `expected an error, got ${JSON.stringify(answer)}`);
        for (const [key, value] of Object.entries(c.expect.error)) {
          assert.deepEqual(answer.error[key], value, `error.${key} of ${JSON.stringify(answer)}`);
        }
      }
    });
  }
}

test("$repeat strings expand like the other runners expand them", () => {
  assert.deepEqual(expand({ a: [{ $repeat: "ab", times: 3 }], b: { $repeat: "x", times: 0 } }), { a: ["ababab"], b: "" });
  assert.deepEqual(expand({ $repeat: "ab", times: 2, extra: 1 }), { $repeat: "ab", times: 2, extra: 1 });
});
