// The main job through the npm package (Node), as `make run` shows it.
//
// The Rust main job (tests/e2e) starts the sandbox (or points at the real service) and runs
// this script with the target in EMAIL365_* variables: it sends a message with an
// attachment to every EMAIL365_TO recipient through the package's SMTP transport (the
// core's session over Node's sockets), prints each refusal with the core's
// classification, and follows the status of each accepted recipient until CH_SENT.
//
//   node bindings-wasm/examples/main_job.mjs      (after `make wasm`, with EMAIL365_* set)
import { readFileSync } from "node:fs";
import * as email365 from "../pkg/node/index.mjs";

function env(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`main_job.mjs: ${name} is not set (run it through \`make run\`)`);
    process.exit(2);
  }
  return value;
}

const recipients = env("EMAIL365_TO").split(",").map((r) => r.trim()).filter(Boolean);
const transport = email365.createTransport({
  host: env("EMAIL365_HOST"),
  port: Number(env("EMAIL365_PORT")),
  tls: process.env.EMAIL365_TLS === "implicit" ? "implicit" : "starttls",
  auth: { user: env("EMAIL365_USERNAME"), pass: env("EMAIL365_PASSWORD") },
  ...(process.env.EMAIL365_CA_FILE ? { ca: readFileSync(process.env.EMAIL365_CA_FILE) } : {}),
});
let result;
try {
  result = await transport.sendMail({
    from: env("EMAIL365_FROM"),
    to: recipients,
    subject: "Your invoice (sent from Node)",
    text: "Hello,\n\nyour invoice is attached.\n",
    html: "<p>Hello,</p><p>your invoice is <b>attached</b>.</p>",
    attachments: [{ filename: "invoice-1042.csv", content: "item,qty\nwidget,3\n" }],
  });
} finally {
  await transport.close();
}
console.log(`  sent       Message-ID <${result.messageId}>, notification id ${result.notificationId}`);
console.log(`  final      ${result.response}`);
for (const address of result.accepted) console.log(`  accepted   ${address}`);
for (const [address, reply] of Object.entries(result.rejected)) {
  const c = email365.classifyCode(reply.code, { enhanced: reply.enhanced ?? undefined, command: "RCPT" });
  console.log(`  rejected   ${address}: ${reply.code} ${reply.text}`);
  console.log(`             ${c.severity}, ${c.category}, retry=${c.retry ? "yes" : "no"}: ${c.description}`);
}
if (result.notificationId === null) {
  console.log("  no notification id in the final reply: status cannot be followed");
  process.exit(1);
}

const options = {
  accountId: env("EMAIL365_ACCOUNT_ID"),
  notificationId: result.notificationId,
  username: process.env.EMAIL365_STATUS_USERNAME || env("EMAIL365_USERNAME"),
  password: process.env.EMAIL365_STATUS_PASSWORD || env("EMAIL365_PASSWORD"),
  timeoutMs: 60000,
};
if (process.env.EMAIL365_BASE_URL) options.baseUrl = process.env.EMAIL365_BASE_URL;
else options.region = env("EMAIL365_REGION");
let ok = result.accepted.length > 0;
for (const address of result.accepted) {
  const status = await email365.waitForStatus({ ...options, recipient: address });
  const codes = status.events.filter((e) => e.recipient === address).map((e) => e.code);
  console.log(`  status     ${address}: ${codes.join(" → ")}`);
  ok = ok && codes.at(-1) === "CH_SENT";
}
process.exit(ok ? 0 : 1);
