// The Node SMTP transport (createTransport: the core's session over Node's sockets) against
// aiosmtpd with STARTTLS required and AUTH, and against small servers written here for the
// refusals a real server never makes (bytes injected after the 220 to STARTTLS).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { inspect } from "node:util";
import * as email365 from "email365";
import { useAiosmtpd } from "./shared/servers.mjs";

const USER = "node-user";
const PASSWORD = "node-secret-6e1f";
const aiosmtpd = useAiosmtpd(USER, PASSWORD);

const options = (extra = {}) => ({
  host: "127.0.0.1", port: aiosmtpd.server.port, auth: { user: USER, pass: PASSWORD },
  ca: readFileSync(aiosmtpd.tls.ca), ehloName: "client.example.com", timeout: 10000, ...extra,
});

test("STARTTLS + AUTH: two recipients, one refused with its reply, the queue id as notification id", async () => {
  const transport = email365.createTransport(options());
  try {
    const result = await transport.sendMail({
      from: "Shop <shop@example.com>", to: ["alice@example.org", "reject-me@example.org"],
      subject: "Node interop", text: "Hello from Node.\n",
      attachments: [{ filename: "a.csv", content: "x,y\n1,2\n" }],
    });
    assert.match(result.notificationId, /^1000000000\d{4}$/);
    assert.equal(result.response, `250 2.0.0 Ok: queued as ${result.notificationId}`);
    assert.deepEqual(result.accepted, ["alice@example.org"]);
    assert.deepEqual(Object.keys(result.rejected), ["reject-me@example.org"]);
    const refused = result.rejected["reject-me@example.org"];
    assert.equal(refused.code, 550);
    assert.equal(refused.enhanced, "5.1.1");
    const record = JSON.parse(await aiosmtpd.server.line());
    assert.equal(record.mail_from, "shop@example.com");
    assert.deepEqual(record.rcpt_tos, ["alice@example.org"]);
    const data = Buffer.from(record.data_b64, "base64").toString("utf8");
    assert.ok(data.includes(`Message-ID: <${result.messageId}>\r\n`), data);
    assert.ok(data.includes("Subject: Node interop\r\n"));
    await transport.close();
    // EHLO, STARTTLS, EHLO, AUTH, then the message: counted across close().
    assert.ok(transport.roundTrips() >= 5, `round trips: ${transport.roundTrips()}`);
  } finally {
    await transport.close();
  }
});

test("sendMany sends every message over one connection, an explicit envelope and raw bytes included", async () => {
  const transport = email365.createTransport(options());
  try {
    const results = await transport.sendMany([
      { from: "shop@example.com", to: "a0@example.org", subject: "m0", text: "0\n" },
      { from: "shop@example.com", to: "a1@example.org", subject: "m1", text: "1\n",
        envelope: { from: "bounces@example.com", to: ["b1@example.org"] } },
      { raw: "From: shop@example.com\r\nTo: c2@example.org\r\nSubject: m2\r\nMessage-ID: <m2@example.com>\r\n\r\n2\r\n" },
      { from: "shop@example.com", to: "reject-all@example.org", subject: "m3", text: "3\n" },
    ]);
    assert.equal(results.length, 4);
    for (const r of results.slice(0, 3)) assert.match(r.notificationId, /^1000000000\d{4}$/);
    assert.equal(results[2].messageId, "m2@example.com");
    assert.ok(results[3] instanceof email365.RecipientsRejectedError);
    assert.equal(results[3].kind, "recipients_rejected");
    assert.equal(results[3].replies[0].code, 550);
    assert.ok(transport.roundTrips() > 0);
    const records = [await aiosmtpd.server.line(), await aiosmtpd.server.line(), await aiosmtpd.server.line()].map((l) => JSON.parse(l));
    assert.deepEqual(records.map((r) => [r.mail_from, r.rcpt_tos]), [
      ["shop@example.com", ["a0@example.org"]],
      ["bounces@example.com", ["b1@example.org"]],
      ["shop@example.com", ["c2@example.org"]],
    ]);
  } finally {
    await transport.close();
  }
});

test("sendRaw takes bytes with an explicit envelope", async () => {
  const transport = email365.createTransport(options());
  try {
    const raw = new TextEncoder().encode("From: shop@example.com\r\nTo: x@example.org\r\nSubject: raw\r\n\r\nraw\r\n");
    const r = await transport.sendRaw(raw, { from: "shop@example.com", to: "y@example.org" });
    assert.deepEqual(r.accepted, ["y@example.org"]);
    assert.equal(r.messageId, null);
    const record = JSON.parse(await aiosmtpd.server.line());
    assert.deepEqual(record.rcpt_tos, ["y@example.org"]);
  } finally {
    await transport.close();
  }
});

test("a wrong password is an AuthenticationError that shows no credential", async () => {
  const transport = email365.createTransport(options({ auth: { user: USER, pass: "wrong-pass-9c2d" } }));
  try {
    await assert.rejects(transport.sendMail({ from: "shop@example.com", to: "a@example.org", subject: "s", text: "t" }),
      (e) => {
        assert.ok(e instanceof email365.AuthenticationError);
        assert.equal(e.kind, "auth");
        assert.equal(e.reason, "auth_refused");
        assert.ok(!inspect(e).includes("wrong-pass-9c2d") && !JSON.stringify(e).includes("wrong-pass-9c2d"));
        return true;
      });
  } finally {
    await transport.close();
  }
});

test("the certificate is verified: without the test CA the handshake fails, nothing falls back to plaintext", async () => {
  const transport = email365.createTransport(options({ ca: undefined }));
  try {
    await assert.rejects(transport.sendMail({ from: "shop@example.com", to: "a@example.org", subject: "s", text: "t" }),
      (e) => e instanceof email365.TlsError && e.kind === "tls" && e.reason === "certificate");
  } finally {
    await transport.close();
  }
});

test("the host name is verified: a certificate for 127.0.0.1/localhost does not pass for another name", async () => {
  const transport = email365.createTransport(options({ serverName: "mx.example.net" }));
  try {
    await assert.rejects(transport.sendMail({ from: "shop@example.com", to: "a@example.org", subject: "s", text: "t" }),
      (e) => e instanceof email365.TlsError && e.reason === "certificate");
  } finally {
    await transport.close();
  }
});

test("options are the core's: plaintext only to loopback, no AUTH without TLS, bad values refused", () => {
  const refused = (o, reason) => assert.throws(() => email365.createTransport(o),
    (e) => e instanceof email365.InvalidArgument && e.reason === reason);
  refused({ host: "smtp.example.com", tls: "insecure_plaintext" }, "plaintext_not_loopback");
  refused({ host: "127.0.0.1", tls: "insecure_plaintext", auth: { user: "u", pass: "p" } }, "auth_requires_tls");
  refused({ host: "smtp.example.com", tls: "ssl" }, "unknown_tls_mode");
  refused({ host: "smtp.example.com", port: 0 }, "invalid_port");
  refused({ host: "smtp.example.com", timeout: -1 }, "invalid_duration");
  refused({ host: "smtp.example.com", window: 0 }, "invalid_count");
  refused({ host: "smtp.example.com", pool: { maxConnections: 0 } }, "invalid_count");
});

test("util.inspect of a transport shows neither the password nor the user's options", async () => {
  const transport = email365.createTransport(options());
  const text = inspect(transport, { depth: 10, showHidden: true });
  assert.ok(!text.includes(PASSWORD), text);
  assert.match(text, /127\.0\.0\.1/);
  await transport.close();
  await assert.rejects(transport.sendMail({ from: "shop@example.com", to: "a@example.org", subject: "s", text: "t" }),
    (e) => e instanceof email365.ConnectionError && e.reason === "closed");
});

test("a pool sends concurrent sendMail calls over several connections", async () => {
  const transport = email365.createTransport(options({ pool: { maxConnections: 2 } }));
  try {
    const sends = [0, 1, 2, 3].map((i) => transport.sendMail({
      from: "shop@example.com", to: `p${i}@example.org`, subject: `p${i}`, text: `${i}\n` }));
    const results = await Promise.all(sends);
    assert.deepEqual(results.map((r) => r.accepted[0]), ["p0@example.org", "p1@example.org", "p2@example.org", "p3@example.org"]);
    const seen = [];
    for (let i = 0; i < 4; i++) seen.push(JSON.parse(await aiosmtpd.server.line()).rcpt_tos[0]);
    assert.deepEqual(seen.sort(), ["p0@example.org", "p1@example.org", "p2@example.org", "p3@example.org"]);
  } finally {
    await transport.close();
  }
});

/**
 * Sends one message through a transport to the loopback `server` (with `options`), expects
 * the send to fail as `check` accepts, then closes the transport and the server.
 */
async function sendRejects(server, options, check) {
  const transport = email365.createTransport({ host: "127.0.0.1", port: server.address().port, ...options });
  try {
    await assert.rejects(transport.sendMail({ from: "shop@example.com", to: "a@example.org", subject: "s", text: "t" }),
      check);
  } finally {
    await transport.close();
    server.close();
  }
}

/** A scripted server on loopback: `script(socket, line)` answers each command line. */
async function scripted(greeting, answer) {
  const s = createServer((socket) => {
    socket.write(greeting);
    let buffered = "";
    socket.on("data", (d) => {
      buffered += d.toString("latin1");
      let nl;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl).trimEnd();
        buffered = buffered.slice(nl + 1);
        answer(socket, line);
      }
    });
    socket.on("error", () => {});
  });
  await new Promise((resolve) => s.listen(0, "127.0.0.1", resolve));
  return s;
}

test("bytes after the 220 to STARTTLS are refused (possible command injection), never read as replies", async () => {
  const s = await scripted("220 mx.test ESMTP\r\n", (socket, line) => {
    if (line.startsWith("EHLO")) socket.write("250-mx.test\r\n250 STARTTLS\r\n");
    else if (line === "STARTTLS") socket.write("220 2.0.0 Ready\r\n250-mx.test\r\n250 AUTH PLAIN\r\n");
  });
  await sendRejects(s, { timeout: 5000, auth: { user: USER, pass: PASSWORD } },
    (e) => e instanceof email365.ProtocolError && e.reason === "data_after_starttls");
});

test("a server that never greets fails within the greeting limit (a timer destroys the socket)", async () => {
  const s = createServer(() => {});
  await new Promise((resolve) => s.listen(0, "127.0.0.1", resolve));
  await sendRejects(s, { timeouts: { greeting: 200 } },
    (e) => e instanceof email365.TimeoutError && e.reason === "greeting");
});

test("logger: the commands and replies reach logger.debug, the password and its base64 never", async () => {
  const lines = [];
  const logger = { debug: (meta, line) => lines.push([meta.tnx, line]) };
  const transport = email365.createTransport(options({ logger }));
  try {
    const result = await transport.sendMail({
      from: "shop@example.com", to: "alice@example.org", subject: "Logged", text: "Hi.\n",
    });
    await aiosmtpd.server.line();
    await transport.close();
    const text = lines.map(([tnx, line]) => `${tnx} ${line}`).join("\n");
    assert.ok(text.includes("client AUTH PLAIN <redacted>"), text);
    assert.ok(text.includes("client MAIL FROM:<shop@example.com>"), text);
    assert.ok(text.includes("server 235"), text);
    assert.ok(text.includes(`server 250 2.0.0 Ok: queued as ${result.notificationId}`), text);
    assert.ok(text.includes("client QUIT"), text);
    const plain = Buffer.from(`\0${USER}\0${PASSWORD}`).toString("base64");
    assert.ok(!text.includes(PASSWORD) && !text.includes(plain), text);
  } finally {
    await transport.close();
  }
});

test("logger must be true, false or an object with debug()", () => {
  assert.throws(() => email365.createTransport(options({ logger: "yes" })), TypeError);
  assert.throws(() => email365.createTransport(options({ logger: {} })), TypeError);
});
