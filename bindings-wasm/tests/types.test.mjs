// The TypeScript declarations: `tsc --strict --noEmit` over code that uses every export
// of the package (tests/types/*.mts), including lines that must not compile.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

test("the declarations type-check strict usage and reject misuse", () => {
  const tsc = fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url));
  const project = fileURLToPath(new URL("./types/tsconfig.json", import.meta.url));
  let output = "";
  try {
    output = execFileSync(process.execPath, [tsc, "-p", project], { encoding: "utf8" });
  } catch (e) {
    assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`);
  }
  assert.equal(output.trim(), "");
});
