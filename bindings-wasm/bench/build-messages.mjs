// Benchmark: building the three standard messages (text + HTML without attachment, with a
// 100 KiB attachment, with a 1 MiB attachment; the same content as core/benches) with
// email365's buildMessage (WebAssembly, Node) and with nodemailer's MailComposer, side by
// side in one run. Usage: node bench/build-messages.mjs [--seconds 2]
import { performance } from "node:perf_hooks";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import * as email365 from "../pkg/node/index.mjs";

const seconds = Number(process.argv[process.argv.indexOf("--seconds") + 1]) || 2;

function bytes(n) {
  const out = new Uint8Array(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const text = "Hello,\n\nthis is the plain-text part of a standard message.\n".repeat(20);
const html = `<html><body>${"<p>This is the <b>HTML</b> part of a standard message.</p>\n".repeat(20)}</body></html>`;
const base = {
  from: "Sender <sender@example.com>",
  to: ["Ann <ann@example.org>", "bob@example.net"],
  subject: "A standard message",
  text,
  html,
  messageId: "<bench-1@example.com>",
  date: "Sat, 28 Nov 2026 12:00:00 +0000",
};
const cases = [
  ["text+html", []],
  ["100 KiB attachment", [{ filename: "report.pdf", contentType: "application/pdf", content: bytes(100 * 1024) }]],
  ["1 MiB attachment", [{ filename: "archive.zip", contentType: "application/zip", content: bytes(1024 * 1024) }]],
];

function timeSync(fn) {
  fn();
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  while (performance.now() < end) {
    fn();
    n++;
  }
  return (performance.now() - start) / n;
}

async function timeAsync(fn) {
  await fn();
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  while (performance.now() < end) {
    await fn();
    n++;
  }
  return (performance.now() - start) / n;
}

function nodemailerBuild(attachments) {
  const mail = new MailComposer({
    from: base.from, to: base.to, subject: base.subject, text: base.text, html: base.html,
    messageId: base.messageId, date: new Date("2026-11-28T12:00:00Z"),
    attachments: attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: Buffer.from(a.content) })),
  });
  return new Promise((resolve, reject) => mail.compile().build((err, message) => (err ? reject(err) : resolve(message))));
}

console.log(`node ${process.version}, ${seconds} s per measurement, mean time per message`);
console.log("| message | email365 (wasm) | nodemailer MailComposer | nodemailer / email365 |");
console.log("|---|---|---|---|");
for (const [name, attachments] of cases) {
  const nm = await timeAsync(() => nodemailerBuild(attachments));
  const e3 = timeSync(() => email365.buildMessage({ ...base, attachments }));
  const fmt = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`);
  console.log(`| ${name} | ${fmt(e3)} | ${fmt(nm)} | ${(nm / e3).toFixed(1)}× |`);
}
