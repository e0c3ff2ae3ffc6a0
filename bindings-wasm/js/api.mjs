// The JavaScript layer of the email365 package, shared by every build (Node ESM and
// CommonJS, browser, bundler). It only:
//   - turns the error objects thrown by the WebAssembly module into Email365Error
//     subclasses,
//   - checks that string arguments are strings (a TypeError otherwise), and
//   - runs the core's status request builder, HTTP answer verdict, parser and polling
//     plan over fetch (getStatus, waitForStatus).
// Every rule lives in the Rust core. This file is an ES module; the build writes a
// CommonJS copy by replacing the final `export { … };` statement.

/** Base class of every failure; `kind` is one of the stable snake_case kinds. */
class Email365Error extends Error {
  constructor(data, options) {
    super(String(data.message), options);
    // Every instance answers to the same name; the subclass and `kind` tell them apart.
    this.name = "Email365Error";
    this.kind = data.kind;
    this.reason = data.reason ?? null;
    this.position = data.position ?? null;
    this.transient = Boolean(data.transient);
    this.replies = Array.isArray(data.replies) ? data.replies : [];
  }
}

// The class tree is the core's table of kinds (tests/error_kinds.json, docs/ERRORS.md):
// one class per kind under its parent; tests/errors.test.mjs fails on any difference.

/** invalid_address: an address failed to parse or validate (`reason`, `position`). */
class InvalidAddress extends Email365Error {}
/** invalid_message: a message could not be built. */
class InvalidMessage extends Email365Error {}
/** sender_not_registered: the sender is outside the account's registered domains. */
class SenderNotRegistered extends InvalidMessage {}
/** invalid_reply: an SMTP reply could not be parsed. */
class InvalidReply extends Email365Error {}
/** invalid_argument: an argument is missing or out of its allowed form. */
class InvalidArgument extends Email365Error {}
/** A failure reported by (or while talking to) an SMTP server; carries the reply. */
class SmtpError extends Email365Error {
  constructor(data, options) {
    super(data, options);
    const reply = this.replies[0] ?? null;
    this.reply = reply;
    this.code = reply ? reply.code : null;
    this.enhancedCode = reply ? reply.enhanced : null;
  }
}
/** smtp_transient: a transient (4xx) refusal: retry later. */
class TransientError extends SmtpError {}
/** smtp_permanent: a permanent (5xx) refusal: do not retry. */
class PermanentError extends SmtpError {}
/** message_too_large: the message is larger than the server accepts. */
class MessageTooLargeError extends PermanentError {}
/** smtputf8_not_supported: the message needs SMTPUTF8 and the server does not offer it. */
class Smtputf8NotSupportedError extends PermanentError {}
/** recipients_rejected: every recipient was refused (one reply per recipient). */
class RecipientsRejectedError extends SmtpError {}
/** auth: authentication was refused or impossible. */
class AuthenticationError extends SmtpError {}
/** protocol: the peer broke the protocol. */
class ProtocolError extends SmtpError {}
/** outcome_unknown: the data was sent but its final reply never came: resend with the same Message-ID. */
class OutcomeUnknownError extends SmtpError {}
/** connection: the connection could not be made or was lost (also: fetch failed, e.g. CORS). */
class ConnectionError extends Email365Error {}
/** tls: TLS could not be established. */
class TlsError extends ConnectionError {}
/** timeout: a step did not finish in time (also: waitForStatus ran out of time). */
class TimeoutError extends Email365Error {}
/** status_http: the status API answered with an HTTP error. */
class StatusApiError extends Email365Error {
  constructor(data, options) {
    super(data, options);
    this.status = data.status ?? null;
    this.retryAfterMs = data.retryAfterMs ?? null;
  }
}
/** not_found: the status API does not know the notification (HTTP 404). */
class NotFoundError extends StatusApiError {}
/** invalid_status_response: the status API's body is not a valid status response. */
class InvalidStatusResponse extends StatusApiError {}
/** internal: a bug in the SDK itself. */
class InternalError extends Email365Error {}

const CLASS_OF_KIND = {
  invalid_address: InvalidAddress,
  invalid_message: InvalidMessage,
  invalid_reply: InvalidReply,
  invalid_status_response: InvalidStatusResponse,
  invalid_argument: InvalidArgument,
  sender_not_registered: SenderNotRegistered,
  connection: ConnectionError,
  timeout: TimeoutError,
  tls: TlsError,
  auth: AuthenticationError,
  protocol: ProtocolError,
  message_too_large: MessageTooLargeError,
  smtputf8_not_supported: Smtputf8NotSupportedError,
  recipients_rejected: RecipientsRejectedError,
  smtp_transient: TransientError,
  smtp_permanent: PermanentError,
  outcome_unknown: OutcomeUnknownError,
  status_http: StatusApiError,
  not_found: NotFoundError,
  internal: InternalError,
};

/** The class an error of `kind` is thrown as (Email365Error for an unknown kind). */
function errorClassFor(kind) {
  return Object.prototype.hasOwnProperty.call(CLASS_OF_KIND, kind) ? CLASS_OF_KIND[kind] : Email365Error;
}

/** An Email365Error of the class matching `data.kind`. */
function makeError(data, options) {
  const Class = errorClassFor(data.kind);
  return new Class(data, options);
}

function isErrorData(e) {
  return e !== null && typeof e === "object" && !(e instanceof Error) &&
    typeof e.kind === "string" && typeof e.message === "string";
}

/** Whatever the module threw, as an Email365Error where it came from the core. */
function convertError(e) {
  if (e instanceof Email365Error) return e;
  if (isErrorData(e)) return makeError(e);
  if (typeof WebAssembly !== "undefined" && e instanceof WebAssembly.RuntimeError) {
    return makeError({ kind: "internal", message: `the WebAssembly module failed: ${e.message}` }, { cause: e });
  }
  return e;
}

function requireString(fn, name, value) {
  if (typeof value !== "string") {
    throw new TypeError(`${fn}: ${name} must be a string, not ${value === null ? "null" : typeof value}`);
  }
}

function requireBytes(fn, name, value) {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${fn}: ${name} must be a Uint8Array`);
  }
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal && signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      if (signal) signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(timer);
      reject(signal.reason);
    }
    if (signal) signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * The public API over a raw wasm-bindgen module (`wasm`): the same functions with
 * their errors converted, plus the fetch-based status helpers.
 */
function createApi(wasm) {
  const guard = (fn) => (...args) => {
    try {
      return fn(...args);
    } catch (e) {
      throw convertError(e);
    }
  };

  const validateAddress = (address, options) => {
    requireString("validateAddress", "address", address);
    return guard(wasm.validateAddress)(address, options);
  };
  const classifyReply = (reply, options) => {
    requireString("classifyReply", "reply", reply);
    return guard(wasm.classifyReply)(reply, options);
  };
  const classifyCode = (code, options) => {
    if (typeof code !== "number") throw new TypeError("classifyCode: code must be a number");
    return guard(wasm.classifyCode)(code, options);
  };
  const extractNotificationId = (reply) => {
    requireString("extractNotificationId", "reply", reply);
    return guard(wasm.extractNotificationId)(reply);
  };
  const statusRequest = guard(wasm.statusRequest);
  const parseStatus = (body) => {
    requireString("parseStatus", "body", body);
    return guard(wasm.parseStatus)(body);
  };
  const isFinal = (code) => {
    requireString("isFinal", "code", code);
    return guard(wasm.isFinal)(code);
  };
  const nextDelay = (attempt, retryAfter) => {
    if (typeof attempt !== "number") throw new TypeError("nextDelay: attempt must be a number");
    return guard(wasm.nextDelay)(attempt, retryAfter ?? undefined);
  };
  const buildMessage = guard(wasm.buildMessage);
  const envelopeFromMessage = (bytes) => {
    requireBytes("envelopeFromMessage", "bytes", bytes);
    return guard(wasm.envelopeFromMessage)(bytes);
  };
  const statusHttpError = guard(wasm.statusHttpError);
  const errorKinds = guard(wasm.errorKinds);
  const version = guard(wasm.version);

  /**
   * Fetches the status of a notification once: the core builds the request and parses
   * the body. Options: the statusRequest fields, plus `fetch` (default: globalThis.fetch)
   * and `signal` (an AbortSignal; aborting rejects with its reason).
   */
  async function getStatus(options) {
    if (options === null || typeof options !== "object") {
      throw new TypeError("getStatus: options must be an object");
    }
    const { fetch: fetchImpl = globalThis.fetch, signal, ...query } = options;
    if (typeof fetchImpl !== "function") {
      throw new TypeError("getStatus: no fetch function (Node 18+ and browsers have one; else pass options.fetch)");
    }
    const request = statusRequest(query);
    let response;
    try {
      response = await fetchImpl(request.url, {
        method: request.method,
        headers: request.headers,
        signal,
        credentials: "omit",
        cache: "no-store",
      });
    } catch (e) {
      if (signal && signal.aborted) throw e;
      // fetch rejects with a bare TypeError for network failures and CORS refusals.
      throw makeError({
        kind: "connection",
        message: `the status request to ${new URL(request.url).origin} failed: ${e && e.message ? e.message : e}`,
        transient: true,
      }, { cause: e });
    }
    const body = await response.text();
    // The core decides what the answer means (status::http_error): null for 2xx, else
    // the error (kind, reason, transient, status, retryAfterMs) to throw.
    const failure = guard(wasm.statusHttpError)(
      response.status,
      response.headers && response.headers.get ? response.headers.get("retry-after") ?? undefined : undefined,
      Date.now(),
      request.url,
      body,
      typeof query.username === "string" ? query.username : "",
      typeof query.password === "string" ? query.password : "",
    );
    if (failure !== null) {
      const error = makeError(failure);
      // Every class thrown here (StatusApiError, NotFoundError, AuthenticationError)
      // carries the HTTP facts.
      error.status = failure.status;
      error.retryAfterMs = failure.retryAfterMs;
      throw error;
    }
    return parseStatus(body);
  }

  /**
   * Polls the status until every recipient has reached a final state (the core's
   * `allFinal`), following the core's polling plan (`nextDelay`, which honours Retry-After on HTTP 429/5xx).
   * Options: those of getStatus, plus `timeoutMs` (default 300000), `onUpdate`
   * (called with each notification fetched). Rejects with TimeoutError (carrying
   * `.notification`, the last one seen) when time runs out.
   */
  async function waitForStatus(options) {
    if (options === null || typeof options !== "object") {
      throw new TypeError("waitForStatus: options must be an object");
    }
    const { timeoutMs = 300000, onUpdate, ...rest } = options;
    const deadline = Date.now() + timeoutMs;
    let last = null;
    for (let attempt = 0; ; attempt++) {
      let retryAfter = null;
      try {
        last = await getStatus(rest);
        if (onUpdate) onUpdate(last);
        if (last.allFinal) return last;
      } catch (e) {
        if (!(e instanceof StatusApiError) || !e.transient) throw e;
        retryAfter = e.retryAfterMs;
      }
      const delay = nextDelay(attempt, retryAfter);
      if (Date.now() + delay > deadline) {
        const error = makeError({
          kind: "timeout",
          reason: "status_not_final",
          message: `the notification did not reach a final state within ${timeoutMs} ms`,
          transient: true,
        });
        error.notification = last;
        throw error;
      }
      await sleep(delay, rest.signal);
    }
  }

  return {
    validateAddress, classifyReply, classifyCode, extractNotificationId, statusRequest,
    parseStatus, isFinal, nextDelay, statusHttpError, buildMessage, envelopeFromMessage, errorKinds,
    version, getStatus, waitForStatus,
  };
}

export {
  createApi, errorClassFor, Email365Error, InvalidAddress, InvalidMessage, SenderNotRegistered,
  InvalidReply, InvalidArgument, SmtpError, TransientError, PermanentError, MessageTooLargeError,
  Smtputf8NotSupportedError, RecipientsRejectedError, AuthenticationError, ProtocolError,
  OutcomeUnknownError, ConnectionError, TlsError, TimeoutError, StatusApiError, NotFoundError,
  InvalidStatusResponse, InternalError,
};
