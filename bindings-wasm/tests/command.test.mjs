// The package's `email365` command (pkg/bin/email365.mjs over the Node module's
// runCommand): usage errors and unreadable files as the other bindings print them, `send`
// through aiosmtpd with STARTTLS, AUTH and --ca, and `status` against a scripted status
// API (one read; a wait through a 503). tests/python/test_commands.py compares its JSON
// with the other bindings' against the sandbox.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { join } from "node:path";
import { ROOT, testCa, useAiosmtpd } from "./shared/servers.mjs";

const BIN = join(ROOT, "bindings-wasm/pkg/bin/email365.mjs");
const USER = "command-user";
const PASSWORD = "command-secret-3b7d";
const aiosmtpd = useAiosmtpd(USER, PASSWORD);

/** Runs the command: {code, lines, output}. */
function run(args, env = {}) {
  return new Promise((resolve) => {
    execFile("node", [BIN, ...args], { env: { ...process.env, ...env }, timeout: 60000 }, (error, stdout, stderr) => {
      const code = error ? error.code : 0;
      const lines = stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
      resolve({ code, lines, output: stdout + stderr });
    });
  });
}

test("--help prints the usage and exits 0", async () => {
  const { code, output } = await run(["--help"]);
  assert.equal(code, 0);
  assert.match(output, /^usage: email365 send --host H/);
});

test("bad arguments exit 2 with the core's usage error", async () => {
  for (const args of [[], ["frobnicate"], ["send", "--bogus", "x"], ["send", "--host", "h", "--port", "70000"],
    ["status", "--account", "a"]]) {
    const { code, lines } = await run(args);
    assert.equal(code, 2, JSON.stringify(args));
    assert.equal(lines.length, 1);
    assert.equal(lines[0].error.kind, "invalid_argument");
    assert.equal(lines[0].error.reason, "usage");
  }
  const { lines } = await run(["send", "--host", "h", "--from", "a@example.com", "--to", "b@example.com",
    "--subject", "s", "--text", "t", "--username", "u", "--password-env", "E365_UNSET_VARIABLE"]);
  assert.equal(lines[0].error.message, "the environment variable E365_UNSET_VARIABLE is not set");
});

test("an unreadable file is reported as the native commands report it", async () => {
  const { code, lines } = await run(["send", "--host", "h", "--from", "a@example.com", "--to", "b@example.com",
    "--eml", "/nonexistent/message.eml"]);
  assert.equal(code, 1);
  assert.deepEqual(lines[0].error, {
    kind: "invalid_argument", reason: "unreadable_file", transient: false, reply: null, replies: [],
    message: "cannot read /nonexistent/message.eml: No such file or directory (os error 2)",
  });
});

test("send: STARTTLS + AUTH + --ca, two recipients, one refused, the password never printed", async () => {
  const { code, lines, output } = await run([
    "send", "--host", "127.0.0.1", "--port", String(aiosmtpd.server.port), "--ca", aiosmtpd.tls.ca,
    "--username", USER, "--password-env", "E365_COMMAND_PASSWORD", "--timeout", "10",
    "--from", "shop@example.com", "--to", "alice@example.org", "--to", "reject-me@example.org",
    "--subject", "Command", "--text", "Hello from the command.\n", "--repeat", "2",
  ], { E365_COMMAND_PASSWORD: PASSWORD });
  assert.equal(code, 0, output);
  assert.equal(lines.length, 2);
  for (const { ok } of lines) {
    assert.match(ok.notification_id, /^\d+$/);
    assert.deepEqual(ok.accepted.map((r) => r.recipient), ["alice@example.org"]);
    assert.deepEqual(ok.rejected.map((r) => [r.recipient, r.reply.code]), [["reject-me@example.org", 550]]);
  }
  assert.notEqual(lines[0].ok.message_id, lines[1].ok.message_id);
  assert.ok(!output.includes(PASSWORD));
});

test("send: a refused connection is one error line and exit 1", async () => {
  const { code, lines } = await run(["send", "--host", "127.0.0.1", "--port", "1", "--timeout", "5",
    "--from", "a@example.com", "--to", "b@example.com", "--subject", "s", "--text", "t"]);
  assert.equal(code, 1);
  assert.equal(lines.length, 1);
  assert.equal(lines[0].error.kind, "connection");
});

// A status API that answers from a script, recording each request.
let script = [];
const seen = [];
const api = http.createServer((req, res) => {
  seen.push({ url: req.url, authorization: req.headers.authorization, accept: req.headers.accept });
  const step = script.shift() ?? { status: 500, body: "script exhausted" };
  res.writeHead(step.status, { "content-type": "application/json", ...(step.headers ?? {}) });
  res.end(step.body);
});
await new Promise((resolve) => api.listen(0, "127.0.0.1", resolve));
after(() => api.close());
const STATUS = ["status", "--account", "acc", "--username", "user", "--password-env", "E365_COMMAND_PASSWORD",
  "--base-url", `http://127.0.0.1:${api.address().port}`, "--id", "n1"];
const notification = (...events) => JSON.stringify({
  Notification: { notificationId: "n1", status: events.map(([r, statusCode]) => ({ recipient: `email:${r}`, statusCode })) },
});

test("status: one read, the core's request and JSON line", async () => {
  script = [{ status: 200, body: notification(["a@example.com", "CAAS_RECEIVED"]) }];
  seen.length = 0;
  const { code, lines, output } = await run(STATUS, { E365_COMMAND_PASSWORD: "pw-9c1e" });
  assert.equal(code, 0, output);
  assert.deepEqual(lines[0].ok.recipients, [{ recipient: "a@example.com", code: "CAAS_RECEIVED", final: false }]);
  assert.equal(lines[0].ok.all_final, false);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].url, "/v1/acc/notifications/id/n1");
  assert.equal(seen[0].authorization, `Basic ${Buffer.from("user:pw-9c1e").toString("base64")}`);
  assert.ok(!output.includes("pw-9c1e"));
});

test("status: an HTTP 404 is the error line and exit 1", async () => {
  script = [{ status: 404, body: "no such notification" }];
  const { code, lines } = await run(STATUS, { E365_COMMAND_PASSWORD: "pw" });
  assert.equal(code, 1);
  assert.equal(lines[0].error.kind, "not_found");
});

test("status --wait: through a 503 to the final state under the core's poller", async () => {
  script = [
    { status: 503, body: "busy", headers: { "retry-after": "0" } },
    { status: 200, body: notification(["a@example.com", "CAAS_RECEIVED"], ["a@example.com", "CH_SENT"]) },
  ];
  seen.length = 0;
  const { code, lines, output } = await run([...STATUS, "--wait", "30"], { E365_COMMAND_PASSWORD: "pw" });
  assert.equal(code, 0, output);
  assert.equal(lines[0].ok.all_final, true);
  assert.equal(seen.length, 2);
});

test("status over https: --ca is added to Node's roots; without it the certificate is refused", async () => {
  const ca = testCa();
  const server = https.createServer({ cert: readFileSync(ca.cert), key: readFileSync(ca.key) }, (req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(notification(["a@example.com", "CH_SENT"]));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const args = ["status", "--account", "acc", "--username", "user", "--password-env", "E365_COMMAND_PASSWORD",
      "--base-url", `https://localhost:${server.address().port}`, "--id", "n1", "--timeout", "10"];
    const trusted = await run([...args, "--ca", ca.ca], { E365_COMMAND_PASSWORD: "pw" });
    assert.equal(trusted.code, 0, trusted.output);
    assert.equal(trusted.lines[0].ok.all_final, true);
    const untrusted = await run(args, { E365_COMMAND_PASSWORD: "pw" });
    assert.equal(untrusted.code, 1, untrusted.output);
    assert.equal(untrusted.lines[0].error.kind, "connection");
    const bad = await run([...args, "--ca", ca.key], { E365_COMMAND_PASSWORD: "pw" });
    assert.equal(bad.code, 1);
    assert.equal(bad.lines[0].error.reason, "invalid_ca_file");
  } finally {
    server.close();
    ca.remove();
  }
});
