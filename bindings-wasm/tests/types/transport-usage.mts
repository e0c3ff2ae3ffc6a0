// Compiled (never run) by types.test.mjs: the Node transport's declarations (createTransport,
// sendMail, sendMany, sendRaw, close) accept nodemailer-style usage and reject misuse.
import { createTransport, OutcomeUnknownError, Email365Error } from "email365";
import type { CreateTransportOptions, MailOptions, SendResult, Transport, TransportLogger } from "email365";

const options: CreateTransportOptions = {
  host: "smtp.example.com", port: 587, auth: { user: "u", pass: "p" }, ca: "-----BEGIN CERTIFICATE-----",
  timeouts: { connect: 10000, dataEnd: 600000 }, window: 32, pool: { maxConnections: 4 },
  senderPolicy: { domains: ["example.com"] }, tls: "starttls",
};
const transport: Transport = createTransport(options);
const implicit: Transport = createTransport({ host: "smtp.example.com", port: 465, secure: true });
const mail: MailOptions = {
  from: { name: "Shop", address: "shop@example.com" }, to: ["a@example.org", { address: "b@example.org" }],
  cc: "c@example.org", bcc: ["d@example.org"], replyTo: "help@example.com", subject: "s", text: "t", html: "<p>t</p>",
  attachments: [{ filename: "a.csv", content: "x,y\n" }, { filename: "b.bin", content: new Uint8Array([1]) }],
  headers: { "X-Campaign": "1" }, envelope: { from: "bounces@example.com", to: ["a@example.org"] },
};

async function use(): Promise<void> {
  const r: SendResult = await transport.sendMail(mail);
  const id: string | null = r.notificationId;
  const messageId: string | null = r.messageId;
  const accepted: string[] = r.accepted;
  const refused: number = r.rejected["x@example.org"].code;
  const response: string = r.response;
  const raw: SendResult = await transport.sendRaw("From: a@example.com\r\n\r\nhi\r\n", { from: "a@example.com", to: "b@example.org" });
  const many = await transport.sendMany([mail, { raw: new Uint8Array([65]) }]);
  for (const m of many) {
    if (m instanceof Email365Error) {
      const unknown: boolean = m instanceof OutcomeUnknownError;
      const sentWith: string | undefined = m.messageId;
    } else {
      const ok: string[] = m.accepted;
    }
  }
  const trips: number = transport.roundTrips();
  await transport.close();
  await implicit.close();
  return void [id, messageId, accepted, refused, response, raw, trips];
}

const logger: TransportLogger = { debug: (meta, line) => console.log(meta.tnx, line) };
createTransport({ host: "h", logger });
createTransport({ host: "h", logger: true });
// @ts-expect-error a logger needs debug(meta, message)
createTransport({ host: "h", logger: { info: () => undefined } });

// @ts-expect-error the host is required
createTransport({ port: 25 });
// @ts-expect-error auth needs user and pass
createTransport({ host: "h", auth: { user: "u" } });
// @ts-expect-error sendMail needs a message
transport.sendMail({ subject: "no from" });

export { use };
