// Compiled (never run) by types.test.mjs with Node's types (nodemailer's declarations need
// them): nodemailer's own createTransport accepts email365Transport as a custom transport
// and types what sendMail resolves to as the adapter's info.
import nodemailer from "nodemailer";
import { email365Transport } from "email365";
import type { Email365SentMessageInfo } from "email365";

const options = { host: "smtp.example.com", auth: { user: "u", pass: "p" } };

async function viaNodemailer(): Promise<void> {
  const mailer = nodemailer.createTransport(email365Transport(options));
  const info: Email365SentMessageInfo = await mailer.sendMail({ from: "a@example.com", to: "b@example.org", text: "t" });
  const id: string | null = info.notificationId;
  const rejected: string[] = info.rejected;
  const code: number = info.rejectedReplies["b@example.org"].code;
  // @ts-expect-error rejected lists addresses, not replies
  const wrong: Record<string, unknown> = info.rejected;
  mailer.close();
  return void [id, rejected, code, wrong];
}

// @ts-expect-error the adapter takes the transport's options
email365Transport({ port: 25 });

export { viaNodemailer };
