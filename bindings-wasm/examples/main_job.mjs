// The main job through the WebAssembly package (Node), as `make run` shows it.
//
// The Rust main job (tests/e2e) sends a message through the sandbox (or the real service)
// and runs this script with the target in EMAIL365_* variables, among them the
// notification id it got. The package has no SMTP transport (the wasm build never has
// sockets), so this demo does what a JavaScript application does with it: builds a
// message, classifies a refusal, and follows the notification's status with fetch.
//
//   node bindings-wasm/examples/main_job.mjs      (after `make wasm`, with EMAIL365_* set)
import * as email365 from "../pkg/node/index.mjs";

function env(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`main_job.mjs: ${name} is not set (run it through \`make run\`)`);
    process.exit(2);
  }
  return value;
}

const recipients = env("EMAIL365_TO").split(",").filter(Boolean);
const built = email365.buildMessage({
  from: env("EMAIL365_FROM"),
  to: recipients,
  subject: "Your invoice (built in WebAssembly)",
  text: "Hello,\n\nyour invoice is attached.\n",
  attachments: [
    { filename: "invoice-1042.csv", content: new TextEncoder().encode("item,qty\nwidget,3\n") },
  ],
});
console.log(`  built      ${built.size} bytes, Message-ID <${built.messageId}>`);
console.log(`  envelope   MAIL FROM ${built.envelope.mailFrom}, RCPT TO ${built.envelope.rcptTo.join(", ")}`);

const refusal = "550 5.1.1 <reject-bob@example.org>: Recipient address rejected: User unknown";
const c = email365.classifyReply(refusal, { command: "RCPT" });
console.log(`  classify   ${refusal}`);
console.log(`             ${c.severity}, ${c.category}, retry=${c.retry ? "yes" : "no"}: ${c.description}`);

const options = {
  accountId: env("EMAIL365_ACCOUNT_ID"),
  notificationId: env("EMAIL365_NOTIFICATION_ID"),
  username: process.env.EMAIL365_STATUS_USERNAME || env("EMAIL365_USERNAME"),
  password: process.env.EMAIL365_STATUS_PASSWORD || env("EMAIL365_PASSWORD"),
  timeoutMs: 60000,
};
if (process.env.EMAIL365_BASE_URL) options.baseUrl = process.env.EMAIL365_BASE_URL;
else options.region = env("EMAIL365_REGION");
const status = await email365.waitForStatus(options);
for (const r of status.recipients) {
  const codes = status.events.filter((e) => e.recipient === r.recipient).map((e) => e.code);
  console.log(`  status     ${r.recipient}: ${codes.join(" → ")}${r.isFinal ? " (final)" : ""}`);
}
process.exit(status.allFinal ? 0 : 1);
