// A sending-benchmark client driven by `send-bench` (tests/bench/src/bin/send_bench.rs).
//
//   node send_node.mjs CLIENT HOST PORT MESSAGE_FILE RCPTS MAX_MESSAGES MAX_SECONDS
//
// CLIENT is `email365` (the npm package's createTransport, plaintext test mode, `sendRaw`
// one message at a time with the explicit envelope), `email365-many` (`sendMany` with
// batches of 100, the default window or EMAIL365_BENCH_WINDOW if set) or `nodemailer`
// (its SMTP transport pooled to one connection, `sendMail` one message at a time with the
// same raw bytes and envelope).
// One connection: one warm-up message, `ready`, a line on stdin, the loop until
// MAX_MESSAGES or MAX_SECONDS (`email365-many`: whole batches, at least one), `done <count>
// <seconds>`, a line on stdin, then the transport is closed (the protocol of
// clients/send_python.py). The package is bindings-wasm/pkg (`make wasm`); nodemailer comes
// from bindings-wasm/node_modules.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";

const [client, host, portText, file, rcptsText, maxText, secondsText] = process.argv.slice(2);
const port = Number(portText);
const data = readFileSync(file);
const envelope = { from: "bench@sender.example", to: Array.from({ length: Number(rcptsText) }, (_, i) => `rcpt${i + 1}@example.org`) };
const maxMessages = Number(maxText);
const maxSeconds = Number(secondsText);
const BATCH = 100;
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const require = createRequire(new URL("../../../bindings-wasm/package.json", import.meta.url));

async function handshake(loop) {
  console.log("ready");
  await lines.next();
  const start = performance.now();
  const count = await loop();
  console.log(`done ${count} ${((performance.now() - start) / 1000).toFixed(6)}`);
  await lines.next();
}

function bounded(send) {
  return async () => {
    const start = performance.now();
    let n = 0;
    while (n < maxMessages && performance.now() - start < maxSeconds * 1000) {
      await send();
      n++;
    }
    return n;
  };
}

async function runEmail365(many) {
  const email365 = await import("../../../bindings-wasm/pkg/node/index.mjs");
  const options = { host, port, tls: "insecure_plaintext", timeout: 60000 };
  // send-bench's --window (the default window otherwise).
  const window = process.env.EMAIL365_BENCH_WINDOW;
  if (many && window) options.window = Number(window);
  const transport = email365.createTransport(options);
  const send = () => transport.sendRaw(data, envelope);
  await send();
  if (!many) {
    await handshake(bounded(send));
  } else {
    const batch = Array.from({ length: BATCH }, () => ({ raw: data, envelope }));
    await handshake(async () => {
      const start = performance.now();
      let count = 0;
      while (count < maxMessages && (count === 0 || performance.now() - start < maxSeconds * 1000)) {
        const results = await transport.sendMany(batch);
        const failed = results.find((r) => r instanceof Error);
        if (failed) throw failed;
        count += results.length;
      }
      return count;
    });
  }
  await transport.close();
}

async function runNodemailer() {
  const nodemailer = require("nodemailer");
  const transport = nodemailer.createTransport({
    host, port, secure: false, ignoreTLS: true, pool: true, maxConnections: 1, maxMessages: Infinity,
    connectionTimeout: 60000, socketTimeout: 60000,
  });
  const send = () => transport.sendMail({ envelope, raw: data });
  await send();
  await handshake(bounded(send));
  transport.close();
}

if (client === "email365") await runEmail365(false);
else if (client === "email365-many") await runEmail365(true);
else if (client === "nodemailer") await runNodemailer();
else {
  console.error(`send_node.mjs: unknown client ${client}`);
  process.exit(2);
}
