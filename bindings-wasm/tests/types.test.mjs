// The TypeScript declarations: `tsc --strict --noEmit` over code that uses every export
// of the package (tests/types/*.mts), including lines that must not compile; the nodemailer
// adapter's usage under a second project with Node's types, which nodemailer's need.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

test("the declarations type-check strict usage and reject misuse", () => {
  const tsc = fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url));
  for (const name of ["tsconfig.json", "tsconfig.nodemailer.json"]) {
    const project = fileURLToPath(new URL(`./types/${name}`, import.meta.url));
    let output = "";
    try {
      output = execFileSync(process.execPath, [tsc, "-p", project], { encoding: "utf8" });
    } catch (e) {
      assert.fail(`tsc -p ${name} failed:\n${e.stdout}${e.stderr}`);
    }
    assert.equal(output.trim(), "");
  }
});
