// Declarations of the JavaScript layer (js/api.mjs): the error classes and the
// fetch-based status helpers. The data types come from the Rust types (tsify), in the
// wasm-bindgen declarations beside each build.
import type {
  ErrorKind, ErrorReplyData, NotificationData, StatusRequestOptions,
} from "../node/email365_wasm.js";

/** What every email365 failure carries. */
export class Email365Error extends Error {
  /** Always "Email365Error"; the subclass and `kind` tell failures apart. */
  readonly name: "Email365Error";
  /** The stable snake_case kind. */
  readonly kind: ErrorKind;
  /** The finer diagnosis code, or null. */
  readonly reason: string | null;
  /** The UTF-8 byte offset of a parse error, or null. */
  readonly position: number | null;
  /** Whether retrying later may succeed. */
  readonly transient: boolean;
  /** The server replies attached to an SMTP failure (empty otherwise). */
  readonly replies: ErrorReplyData[];
}
// One class per kind, under the parent the core's table gives (docs/ERRORS.md).
/** invalid_address */
export class InvalidAddress extends Email365Error {}
/** invalid_message */
export class InvalidMessage extends Email365Error {}
/** sender_not_registered */
export class SenderNotRegistered extends InvalidMessage {}
/** invalid_reply */
export class InvalidReply extends Email365Error {}
/** invalid_argument */
export class InvalidArgument extends Email365Error {}
/** A failure reported by an SMTP server, with its reply (no kind of its own). */
export class SmtpError extends Email365Error {
  readonly reply: ErrorReplyData | null;
  readonly code: number | null;
  readonly enhancedCode: string | null;
}
/** smtp_transient */
export class TransientError extends SmtpError {}
/** smtp_permanent */
export class PermanentError extends SmtpError {}
/** message_too_large */
export class MessageTooLargeError extends PermanentError {}
/** smtputf8_not_supported */
export class Smtputf8NotSupportedError extends PermanentError {}
/** recipients_rejected: `replies` holds one reply per recipient. */
export class RecipientsRejectedError extends SmtpError {}
/** auth */
export class AuthenticationError extends SmtpError {}
/** protocol */
export class ProtocolError extends SmtpError {}
/** outcome_unknown: resend with the same Message-ID. */
export class OutcomeUnknownError extends SmtpError {}
/** connection (also: fetch failed, e.g. refused by CORS) */
export class ConnectionError extends Email365Error {}
/** tls */
export class TlsError extends ConnectionError {}
/** timeout (also: waitForStatus ran out of time; `notification` is the last one seen) */
export class TimeoutError extends Email365Error {
  notification?: NotificationData | null;
  /** From waitForStatus: the HTTP status of the last answer, or null. */
  status?: number | null;
}
/** status_http */
export class StatusApiError extends Email365Error {
  /** The HTTP status, or null. */
  readonly status: number | null;
  /** The server's Retry-After in milliseconds, or null. */
  readonly retryAfterMs: number | null;
}
/** not_found (HTTP 404) */
export class NotFoundError extends StatusApiError {}
/** invalid_status_response */
export class InvalidStatusResponse extends StatusApiError {}
/** internal */
export class InternalError extends Email365Error {}

/** The class an error of `kind` is thrown as. */
export function errorClassFor(kind: ErrorKind | string): typeof Email365Error;

/** Options of getStatus: the request's fields plus the fetch to use and an AbortSignal. */
export interface GetStatusOptions extends StatusRequestOptions {
  /** The fetch function (default: globalThis.fetch). Redirects are never followed. */
  fetch?: typeof fetch;
  /** Aborting rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Time limit of one request, body included (default 30000): then a `timeout` error. */
  requestTimeoutMs?: number;
  /** Largest response body accepted (default 16 MiB): then `body_too_large`. */
  maxBodyBytes?: number;
}

/** Options of waitForStatus. */
export interface WaitForStatusOptions extends GetStatusOptions {
  /** How long to poll before a TimeoutError (default 300000). */
  timeoutMs?: number;
  /** Called with each notification fetched. */
  onUpdate?: (notification: NotificationData) => void;
  /** The clock of the waits (default: performance.now() and timers). */
  clock?: { now(): number; sleep(ms: number, signal?: AbortSignal): Promise<void> };
}

/** Fetches the status of a notification once (the core builds the request and parses the body). */
export function getStatus(options: GetStatusOptions): Promise<NotificationData>;

/**
 * Polls until the state is final (the recipient's when given, else every recipient's) by
 * driving the core's poller: transient failures retried, a last poll at the deadline,
 * then a TimeoutError with reason `deadline_exceeded`.
 */
export function waitForStatus(options: WaitForStatusOptions): Promise<NotificationData>;
