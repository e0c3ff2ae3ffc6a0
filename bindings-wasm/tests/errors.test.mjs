// The JS class tree against the core's table of error kinds (tests/error_kinds.json,
// written and checked by the core test `the_table_file_is_the_declared_one`): the same
// kinds in the same order, one class per kind named as the table says, under the parent
// it names, and no exported error class outside the table.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import * as esm from "../pkg/node/index.mjs";

const require = createRequire(import.meta.url);
const cjs = require("../pkg/node/index.cjs");
const table = JSON.parse(readFileSync(new URL("../../tests/error_kinds.json", import.meta.url), "utf8"));

for (const [build, api] of [["esm", esm], ["cjs", cjs]]) {
  test(`${build}: the module knows exactly the table's kinds, in order`, () => {
    assert.deepEqual(api.errorKinds(), table.map((row) => row.name));
  });

  test(`${build}: each kind is thrown as the table's class under the table's parent`, () => {
    const bases = { Email365Error: api.Email365Error, SmtpError: api.SmtpError };
    for (const row of table) {
      const Class = api.errorClassFor(row.name);
      assert.equal(Class.name, row.class, `class of ${row.name}`);
      assert.equal(api[row.class], Class, `${row.class} is exported`);
      const parent = bases[row.parent] ?? api[row.parent];
      assert.ok(parent, `${row.name}: parent ${row.parent} is exported`);
      assert.equal(Object.getPrototypeOf(Class), parent, `${row.class} extends ${row.parent}`);
    }
    assert.equal(Object.getPrototypeOf(api.SmtpError), api.Email365Error);
  });

  test(`${build}: no exported error class is outside the table`, () => {
    const known = new Set([...table.map((row) => row.class), "Email365Error", "SmtpError"]);
    for (const [name, value] of Object.entries(api)) {
      if (typeof value === "function" && (value === api.Email365Error || value.prototype instanceof api.Email365Error)) {
        assert.ok(known.has(name), `${name} is exported but is no class of the table`);
      }
    }
  });
}
