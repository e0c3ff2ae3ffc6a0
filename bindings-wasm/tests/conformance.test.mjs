// The driver as a process: the line protocol of docs/ARCHITECTURE.md, whatever the ops answer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const driver = fileURLToPath(new URL("../conformance.mjs", import.meta.url));

function run(lines) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [driver], { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d) => { out += d; });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, answers: out.split("\n").filter(Boolean).map((l) => JSON.parse(l)) }));
    child.stdin.end(lines.join("\n") + "\n");
  });
}

test("one answer per request; bad lines get an error line and the driver goes on", async () => {
  const { code, answers } = await run([
    '{"op": "validate_address", "args": {"address": "a@example.com", "mode": "envelope"}}',
    "this is not json",
    '{"op": "no_such_op", "args": {}}',
    '{"op": "validate_address", "args": []}',
    '{"args": {}}',
    "",
    '{"op": "validate_address", "args": {"address": "nope"}}',
    '{"op": "validate_address", "args": {"address": 5}}',
    '{"op": "extract_notification_id", "args": {"reply": "250 2.0.0 Ok"}}',
  ]);
  assert.equal(code, 0);
  assert.equal(answers.length, 8, "the blank line gets no answer");
  assert.deepEqual(answers[0], { ok: { local: "a", domain: "example.com", ascii_domain: "example.com", display_name: null, smtputf8: false } });
  assert.equal(answers[1].error.kind, "invalid_argument");
  assert.deepEqual([answers[2].error.kind, answers[2].error.reason], ["invalid_argument", "unknown_op"]);
  assert.equal(answers[3].error.kind, "invalid_argument");
  assert.equal(answers[4].error.kind, "invalid_argument");
  assert.deepEqual(Object.keys(answers[5].error), ["kind", "reason", "message", "position", "transient", "reply", "replies"]);
  assert.deepEqual([answers[5].error.kind, answers[5].error.reason], ["invalid_address", "no_at"]);
  assert.equal(answers[6].error.kind, "invalid_argument");
  assert.deepEqual(answers[7], { ok: { notification_id: null } });
});

test("a 7 MB request line is read whole", async () => {
  const big = "x".repeat(7 * 1024 * 1024);
  const { answers } = await run([JSON.stringify({ op: "extract_notification_id", args: { reply: `250 ${big}` } })]);
  assert.equal(answers.length, 1);
  assert.ok("ok" in answers[0] || "error" in answers[0]);
  assert.ok(!("error" in answers[0]) || answers[0].error.kind !== "invalid_argument", JSON.stringify(answers[0]).slice(0, 200));
});

test("snake_case arguments reach the API (a wrong type is named by its snake_case name)", async () => {
  const { answers } = await run([
    '{"op": "validate_address", "args": {"address": "a@example.com", "allow_quoted_local": "yes"}}',
    '{"op": "status_request", "args": {"account_id": "a", "notification_id": 7, "username": "u", "password": "p"}}',
    '{"op": "build_message", "args": {"from": "a@example.com", "to": ["b@example.com"], "subject": "s", "attachments": [{"filename": "x", "content_base64": "@@@"}]}}',
  ]);
  assert.match(answers[0].error.message, /"allow_quoted_local"/);
  assert.match(answers[1].error.message, /"notification_id"/);
  assert.match(answers[2].error.message, /"content_base64"/);
});
