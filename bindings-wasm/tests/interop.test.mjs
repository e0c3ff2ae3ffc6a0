// The Node transport against servers this project did not write beyond their harness: a real
// Postfix (STARTTLS required, AUTH PLAIN over Cyrus SASL, `reject*` recipients refused), a
// real Exim (STARTTLS, AUTH PLAIN, PIPELINING and CHUNKING, `reject*` recipients refused)
// and the sandbox end to end (send, then follow the notification's status to CH_SENT).
// Postfix and Exim are set up by scripts/setup.sh; without them these tests fail, never skip.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as email365 from "email365";
import { startExim, startPostfix, startSandbox } from "./shared/servers.mjs";

/**
 * Sends a message through the harness `server` (its JSON start line in `info`) to one
 * recipient it accepts and one `reject-x` it refuses (550 5.1.1), checks that split, then
 * runs `check(result)`; closes the transport and stops the server in the end.
 */
async function sendAcceptedAndRefused(server, subject, check) {
  const { port, username, password, ca_file: caFile } = server.info;
  const transport = email365.createTransport({
    host: "localhost", port, auth: { user: username, pass: password }, ca: readFileSync(caFile), timeout: 20000,
  });
  try {
    const result = await transport.sendMail({
      from: "Shop <shop@example.com>", to: ["rcpt@example.net", "reject-x@example.net"],
      subject, text: ".a line with a dot\nThank you!\n",
    });
    assert.deepEqual(result.accepted, ["rcpt@example.net"]);
    assert.deepEqual(Object.keys(result.rejected), ["reject-x@example.net"]);
    const refused = result.rejected["reject-x@example.net"];
    assert.equal(refused.code, 550);
    assert.equal(refused.enhanced, "5.1.1");
    await check(result);
  } finally {
    await transport.close();
    await server.stop();
  }
}

test("Postfix: two recipients, one refused with its reply, the queue id as notification id", async () => {
  const postfix = await startPostfix();
  await sendAcceptedAndRefused(postfix, "Postfix from Node", async (result) => {
    assert.ok(result.notificationId, result.response);
    assert.ok(result.response.endsWith(`queued as ${result.notificationId}`), result.response);
    const stored = await postfix.deliveries(result.notificationId, 1);
    assert.deepEqual(stored.map((d) => d.recipient), ["rcpt@example.net"]);
    const message = Buffer.from(stored[0].message_b64, "base64").toString("utf8");
    assert.ok(message.includes(`Message-ID: <${result.messageId}>`), message);
    assert.ok(message.includes("\n..a line with a dot\n") === false && message.includes("\n.a line with a dot\n"), message);
  });
});

test("Exim: two recipients, one refused with its reply, Exim's id as notification id, the bytes in its spool", async () => {
  const exim = await startExim();
  await sendAcceptedAndRefused(exim, "Exim from Node", async (result) => {
    assert.match(result.notificationId ?? "", /^[0-9A-Za-z]+-[0-9A-Za-z]+-[0-9A-Za-z]+$/, result.response);
    // BDAT: Exim's final reply says the size of the chunk, then its id.
    assert.ok(result.response.endsWith(`250 OK id=${result.notificationId}`), result.response);
    const stored = await exim.stored(result.notificationId);
    assert.ok(stored.headers.includes(`Message-ID: <${result.messageId}>`), stored.headers);
    // The -H file lists the envelope: one recipient, the accepted one.
    assert.ok(stored.headers.includes("\n1\nrcpt@example.net\n"), stored.headers);
    assert.ok(stored.body.startsWith(".a line with a dot\nThank you!\n"), stored.body);
  });
});

test("sandbox: send with STARTTLS and AUTH, then follow the status to CH_SENT", async () => {
  const sandbox = await startSandbox();
  const info = sandbox.info;
  const transport = email365.createTransport({
    host: info.smtp_host, port: info.smtp_port, auth: { user: info.username, pass: info.password },
    ca: readFileSync(info.ca_file), timeout: 10000,
  });
  try {
    const result = await transport.sendMail({
      from: "Sender <sender@example.com>", to: ["alice@customer.example", "reject.bob@customer.example"],
      subject: "Sandbox from Node", text: "Hello.\n",
    });
    assert.deepEqual(result.accepted, ["alice@customer.example"]);
    assert.equal(result.rejected["reject.bob@customer.example"].code, 550);
    const status = await email365.waitForStatus({
      accountId: info.account_id, notificationId: result.notificationId, recipient: "alice@customer.example",
      baseUrl: info.http_url, username: info.username, password: info.password, timeoutMs: 30000,
    });
    const codes = status.events.filter((e) => e.recipient === "alice@customer.example").map((e) => e.code);
    assert.equal(codes.at(-1), "CH_SENT", codes.join(" "));
  } finally {
    await transport.close();
    await sandbox.stop();
  }
});
