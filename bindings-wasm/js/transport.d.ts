// Declarations of the Node transport's JS layer (js/transport.cjs). The option and
// result shapes the core reads and writes come from the Rust types (tsify), in the Node
// module's declarations.
import type {
  AttachmentInput, EnvelopeInput, ErrorReplyData, OneOrMany, SendResultData, SenderPolicyInput, TransportOptions,
} from "../node/email365_wasm.js";
import type { Email365Error } from "./api.js";

/** An address as nodemailer takes it: a string or `{name, address}`. */
export type MailAddress = string | { name?: string; address: string };

/** The options of `createTransport`. */
export interface CreateTransportOptions extends TransportOptions {
  /** Extra trusted CA certificates (PEM), added to Node's CA store. */
  ca?: string | Uint8Array | Array<string | Uint8Array>;
  /** Connections kept (one session each): `true` for 5. Default: one connection. */
  pool?: boolean | { maxConnections?: number };
  /**
   * The protocol transcript, off by default: a bunyan-like logger (nodemailer's `logger`
   * option) whose `debug({tnx: "client" | "server"}, line)` gets each command sent and
   * reply line received (AUTH payloads `<redacted>`, message data summarised), or `true`
   * for the console.
   */
  logger?: boolean | TransportLogger;
}

/** What the `logger` option needs of a logger (bunyan, pino and nodemailer's own fit). */
export interface TransportLogger {
  debug(meta: { tnx: "client" | "server" }, message: string): void;
}

/** An attachment of `sendMail` (`content` as text or bytes; `cid` makes it inline). */
export interface MailAttachment extends Omit<AttachmentInput, "content"> {
  content: string | Uint8Array;
  cid?: string;
}

/** A message for `sendMail`: built by the core's message builder. */
export interface MailOptions {
  from: MailAddress;
  to?: MailAddress | MailAddress[];
  cc?: MailAddress | MailAddress[];
  bcc?: MailAddress | MailAddress[];
  replyTo?: MailAddress | MailAddress[];
  subject?: string;
  text?: string;
  html?: string;
  attachments?: MailAttachment[];
  /** Extra headers, written in the object's key order. */
  headers?: Record<string, string>;
  messageId?: string;
  /** RFC 5322 date-time; now when absent. */
  date?: string;
  sender?: string;
  senderPolicy?: SenderPolicyInput;
  /** The SMTP envelope, in place of the one the headers give. */
  envelope?: MailEnvelope;
}

/** An SMTP envelope given with a message: each part given replaces the message's own. */
export interface MailEnvelope {
  from?: MailAddress;
  to?: MailAddress | MailAddress[];
}

/** RFC 5322 bytes sent as they are (Bcc removed), with an optional envelope. */
export interface RawMailOptions {
  raw: string | Uint8Array;
  envelope?: MailEnvelope;
}

/** What a send resolves to. */
export type SendResult = SendResultData;

/** A rejected send carries the Message-ID it was sent with, when known. */
export type SendError = Email365Error & { messageId?: string };

/** SMTP submission through the core's session over Node's sockets. */
export interface Transport {
  /** Sends one message; rejects with an Email365Error (e.g. OutcomeUnknownError). */
  sendMail(mail: MailOptions | RawMailOptions): Promise<SendResult>;
  /** Sends RFC 5322 bytes as they are, with an explicit envelope or the headers' one. */
  sendRaw(raw: string | Uint8Array, envelope?: MailEnvelope): Promise<SendResult>;
  /** Several messages over one connection, whole transactions in flight: one result or error per message. */
  sendMany(mails: Array<MailOptions | RawMailOptions>): Promise<Array<SendResult | SendError>>;
  /** QUIT on every connection; further sends reject. */
  close(): Promise<void>;
  /** How many times the transport waited for the server after writing. */
  roundTrips(): number;
}

/** A transport to `options.host` (port 25, STARTTLS required, by default). */
export function createTransport(options: CreateTransportOptions): Transport;

/** What a nodemailer `sendMail` through `email365Transport` resolves to. */
export interface Email365SentMessageInfo {
  /** The envelope nodemailer computed (MAIL FROM, false for `<>`; RCPT TO). */
  envelope: { from: string | false; to: string[] };
  /** The Message-ID header nodemailer wrote, with its angle brackets. */
  messageId: string;
  accepted: string[];
  /** The refused recipients, as nodemailer lists them. */
  rejected: string[];
  /** The reply each refused recipient got. */
  rejectedReplies: Record<string, ErrorReplyData>;
  /** The server's final reply to the data. */
  response: string;
  /** The id in the final reply (what the status API is asked about), or null. */
  notificationId: string | null;
}

/**
 * A nodemailer transport object (`nodemailer.createTransport(email365Transport(options))`):
 * nodemailer compiles the message; the email365 transport sends it.
 */
export interface Email365NodemailerTransport {
  name: "email365";
  version: string;
  /** nodemailer's transport contract: `mail.message` is nodemailer's compiled message. */
  send(
    mail: {
      message: {
        getEnvelope(): { from: string | false; to: string[] };
        messageId(): string;
        build(callback: (err: Error | null, raw: Uint8Array) => void): void;
      };
    },
    callback: (err: Error | null, info?: Email365SentMessageInfo) => void,
  ): void;
  /** QUIT on every connection. */
  close(): Promise<void>;
}

/** A nodemailer transport over the email365 transport (same options as `createTransport`). */
export function email365Transport(options: CreateTransportOptions): Email365NodemailerTransport;

export type { EnvelopeInput, OneOrMany };
