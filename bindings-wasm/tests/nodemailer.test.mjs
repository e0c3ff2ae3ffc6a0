// The nodemailer adapter (email365Transport): nodemailer's own createTransport and sendMail
// over the email365 transport, against aiosmtpd with STARTTLS required and AUTH.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import nodemailer from "nodemailer";
import * as email365 from "email365";
import { useAiosmtpd } from "./shared/servers.mjs";

const USER = "mailer-user";
const PASSWORD = "mailer-secret-41d7";
const aiosmtpd = useAiosmtpd(USER, PASSWORD);

const mailer = () => nodemailer.createTransport(email365.email365Transport({
  host: "127.0.0.1", port: aiosmtpd.server.port, auth: { user: USER, pass: PASSWORD },
  ca: readFileSync(aiosmtpd.tls.ca), timeout: 10000,
}));

test("nodemailer's sendMail: one recipient refused, Bcc in the envelope only, the queue id as notificationId", async () => {
  const transporter = mailer();
  try {
    assert.equal(transporter.transporter.name, "email365");
    assert.equal(transporter.transporter.version, email365.version());
    const info = await transporter.sendMail({
      from: "Shop <shop@example.com>", to: ["alice@example.org", "reject-me@example.org"],
      cc: "carol@example.org", bcc: "hidden@example.org",
      subject: "nodemailer over email365", text: "Hello from nodemailer.\n", html: "<p>Hello</p>",
      attachments: [{ filename: "a.csv", content: "x,y\n1,2\n" }],
    });
    assert.deepEqual(info.envelope, {
      from: "shop@example.com",
      to: ["alice@example.org", "reject-me@example.org", "carol@example.org", "hidden@example.org"],
    });
    assert.deepEqual(info.accepted, ["alice@example.org", "carol@example.org", "hidden@example.org"]);
    assert.deepEqual(info.rejected, ["reject-me@example.org"]);
    assert.equal(info.rejectedReplies["reject-me@example.org"].code, 550);
    assert.equal(info.rejectedReplies["reject-me@example.org"].enhanced, "5.1.1");
    assert.match(info.notificationId, /^1000000000\d{4}$/);
    assert.equal(info.response, `250 2.0.0 Ok: queued as ${info.notificationId}`);
    assert.match(info.messageId, /^<.+@.+>$/);

    const record = JSON.parse(await aiosmtpd.server.line());
    assert.equal(record.mail_from, "shop@example.com");
    assert.deepEqual(record.rcpt_tos, ["alice@example.org", "carol@example.org", "hidden@example.org"]);
    const data = Buffer.from(record.data_b64, "base64").toString("utf8");
    assert.ok(data.includes(`Message-ID: ${info.messageId}\r\n`), data);
    assert.ok(data.includes("Subject: nodemailer over email365\r\n"), data);
    assert.ok(data.includes("Cc: carol@example.org\r\n"), data);
    assert.ok(!/^bcc:/im.test(data) && !data.includes("hidden@example.org"), data);
  } finally {
    await transporter.close();
  }
});

test("nodemailer's envelope option replaces the headers' one", async () => {
  const transporter = mailer();
  try {
    const info = await transporter.sendMail({
      from: "shop@example.com", to: "shown@example.org", subject: "env", text: "e\n",
      envelope: { from: "bounces@example.com", to: ["real@example.org"] },
    });
    assert.deepEqual(info.envelope, { from: "bounces@example.com", to: ["real@example.org"] });
    assert.deepEqual(info.accepted, ["real@example.org"]);
    const record = JSON.parse(await aiosmtpd.server.line());
    assert.deepEqual([record.mail_from, record.rcpt_tos], ["bounces@example.com", ["real@example.org"]]);
  } finally {
    await transporter.close();
  }
});

test("every recipient refused: sendMail rejects with the email365 error class and its replies", async () => {
  const transporter = mailer();
  try {
    await assert.rejects(transporter.sendMail({ from: "shop@example.com", to: "reject-all@example.org", subject: "s", text: "t" }),
      (e) => {
        assert.ok(e instanceof email365.RecipientsRejectedError, String(e));
        assert.equal(e.kind, "recipients_rejected");
        assert.equal(e.replies[0].code, 550);
        return true;
      });
  } finally {
    await transporter.close();
  }
});
