// The JavaScript layer of the email365 package, shared by every build (Node ESM and
// CommonJS, browser, bundler). It only:
//   - turns the error objects thrown by the WebAssembly module into Email365Error
//     subclasses,
//   - checks that string arguments are strings (a TypeError otherwise), and
//   - runs the core's status request builder, HTTP answer verdict, parser and poller
//     over fetch (getStatus, waitForStatus), with the native client's limits (no
//     redirects followed, a time limit per request, a body size cap).
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

/** Thrown by readBody past the limit. */
class BodyTooLarge extends Error {}

/** The body of `response` as text, refused past `max` bytes (streamed when it can be). */
async function readBody(response, max) {
  const declared = Number(response.headers && response.headers.get ? response.headers.get("content-length") : NaN);
  if (declared > max) {
    if (response.body && typeof response.body.cancel === "function") await response.body.cancel().catch(() => {});
    throw new BodyTooLarge();
  }
  if (response.body && typeof response.body.getReader === "function") {
    const reader = response.body.getReader();
    const chunks = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        await reader.cancel().catch(() => {});
        throw new BodyTooLarge();
      }
      chunks.push(value);
    }
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, at);
      at += chunk.byteLength;
    }
    return new TextDecoder().decode(bytes);
  }
  // A fetch without body streams (a custom options.fetch): read, then measure.
  const text = await response.text();
  if (new TextEncoder().encode(text).byteLength > max) throw new BodyTooLarge();
  return text;
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

/** The real clock of waitForStatus: monotonic milliseconds and timers. */
const SYSTEM_CLOCK = {
  now: typeof performance !== "undefined" ? () => performance.now() : () => Date.now(),
  sleep,
};

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

  // Read on first use: the web build's module is loaded by init(), after createApi.
  let limits = null;
  const defaultLimits = () => (limits ??= guard(wasm.statusLimits)());

  /**
   * One status request over `fetch`, bounded as the native client bounds it: redirects
   * are not followed (`redirect: "manual"`; a 3xx reaches the core's verdict, a
   * browser's opaque redirect is the core's `redirect` failure), the request and its
   * body get `timeLimitMs` (an AbortSignal; the caller's `signal` still wins), and the
   * body is streamed and refused past `maxBodyBytes`. Resolves to the answer's facts
   * `{status, retryAfter, body}` or to `{failure, detail, cause}` with the core's name
   * of a failure without an answer (`network`, `timeout`, `redirect`, `body_too_large`).
   */
  async function fetchOnce(fetchImpl, request, signal, timeLimitMs, maxBodyBytes) {
    if (signal && signal.aborted) throw signal.reason;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeLimitMs);
    const onAbort = () => controller.abort(signal.reason);
    if (signal) signal.addEventListener("abort", onAbort, { once: true });
    const failed = (e) => {
      if (signal && signal.aborted) throw signal.reason;
      if (timedOut) return { failure: "timeout", detail: `no answer within ${timeLimitMs} ms`, cause: e };
      if (e instanceof BodyTooLarge) return { failure: "body_too_large", detail: `more than ${maxBodyBytes} bytes` };
      return { failure: "network", detail: e && e.message ? e.message : String(e), cause: e };
    };
    try {
      let response;
      try {
        response = await fetchImpl(request.url, {
          method: request.method,
          headers: request.headers,
          signal: controller.signal,
          credentials: "omit",
          cache: "no-store",
          redirect: "manual",
        });
      } catch (e) {
        return failed(e);
      }
      if (response.type === "opaqueredirect") return { failure: "redirect", detail: "" };
      let body;
      try {
        body = await readBody(response, maxBodyBytes);
      } catch (e) {
        return failed(e);
      }
      const retryAfter = response.headers && response.headers.get ? response.headers.get("retry-after") ?? undefined : undefined;
      return { status: response.status, retryAfter, body };
    } finally {
      clearTimeout(timer);
      if (signal) signal.removeEventListener("abort", onAbort);
    }
  }

  /** The options every status helper shares, with the core's default limits. */
  function requestOptions(fn, options) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(`${fn}: options must be an object`);
    }
    const {
      fetch: fetchImpl = globalThis.fetch, signal, requestTimeoutMs = defaultLimits().requestTimeoutMs,
      maxBodyBytes = defaultLimits().maxBodyBytes, ...query
    } = options;
    if (typeof fetchImpl !== "function") {
      throw new TypeError(`${fn}: no fetch function (Node 18+ and browsers have one; else pass options.fetch)`);
    }
    for (const [name, value] of [["requestTimeoutMs", requestTimeoutMs], ["maxBodyBytes", maxBodyBytes]]) {
      if (typeof value !== "number" || !(value > 0)) throw new TypeError(`${fn}: ${name} must be a number > 0`);
    }
    const credentials = [
      typeof query.username === "string" ? query.username : "",
      typeof query.password === "string" ? query.password : "",
    ];
    return { fetchImpl, signal, requestTimeoutMs, maxBodyBytes, query, credentials };
  }

  /**
   * Fetches the status of a notification once: the core builds the request, judges the
   * answer and parses the body. Options: the statusRequest fields, plus `fetch`
   * (default: globalThis.fetch), `signal` (an AbortSignal; aborting rejects with its
   * reason), `requestTimeoutMs` (default 30000) and `maxBodyBytes` (default 16 MiB).
   */
  async function getStatus(options) {
    const o = requestOptions("getStatus", options);
    const request = statusRequest(o.query);
    const got = await fetchOnce(o.fetchImpl, request, o.signal, o.requestTimeoutMs, o.maxBodyBytes);
    if (got.failure) {
      const data = guard(wasm.statusFetchFailure)(got.failure, request.url, got.detail);
      throw makeError(data, got.cause === undefined ? undefined : { cause: got.cause });
    }
    // The core decides what the answer means (status::judge_answer): null for 2xx, else
    // the error (kind, reason, transient, status, retryAfterMs) to throw.
    const failure = guard(wasm.statusHttpError)(
      got.status, got.retryAfter, Date.now(), request.url, got.body, ...o.credentials,
    );
    if (failure !== null) {
      const error = makeError(failure);
      // Every class thrown here (StatusApiError, NotFoundError, AuthenticationError)
      // carries the HTTP facts.
      error.status = failure.status;
      error.retryAfterMs = failure.retryAfterMs;
      throw error;
    }
    return parseStatus(got.body);
  }

  /**
   * Polls until the state is final — `recipient`'s when given, else every recipient's —
   * by driving the core's poller (StatusPoller): the same plan, Retry-After, retries
   * of transient failures (429, 5xx, network failures, request time-outs), last poll
   * at the deadline and `deadline_exceeded` as the native clients. Options: those of
   * getStatus, plus `timeoutMs` (default 300000), `onUpdate` (called with each
   * notification fetched) and `clock` (`{now(): ms, sleep(ms, signal): Promise}`; the
   * default is `performance.now()` and timers, tests pass their own). A give-up error carries `notification` (the last one seen)
   * and `status` (the HTTP status of the last answer, or null).
   */
  async function waitForStatus(options) {
    if (options === null || typeof options !== "object") {
      throw new TypeError("waitForStatus: options must be an object");
    }
    const { timeoutMs = 300000, onUpdate, clock = SYSTEM_CLOCK, ...rest } = options;
    const o = requestOptions("waitForStatus", rest);
    const request = statusRequest(o.query);
    const poller = new StatusPoller(o.query.notificationId, o.query.recipient, timeoutMs);
    let lastStatus = null;
    try {
      for (;;) {
        const step = poller.next(clock.now());
        if (step.action === "done") return step.notification;
        if (step.action === "give_up") {
          step.error.notification = poller.lastNotification();
          step.error.status = lastStatus;
          throw step.error;
        }
        if (step.action === "sleep") {
          await clock.sleep(step.ms, o.signal);
          continue;
        }
        const limit = Math.min(step.timeLimitMs ?? Infinity, o.requestTimeoutMs);
        const got = await fetchOnce(o.fetchImpl, request, o.signal, limit, o.maxBodyBytes);
        if (got.failure) {
          lastStatus = null;
          poller.recordFailure(got.failure, request.url, got.detail);
        } else {
          lastStatus = got.status;
          const n = poller.recordAnswer(got.status, got.retryAfter, Date.now(), request.url, got.body, ...o.credentials);
          if (n !== null && onUpdate) onUpdate(n);
        }
      }
    } finally {
      poller.free();
    }
  }

  /**
   * The core's status wait loop for any HTTP client (docs/STATUS.md, "Waiting"): call
   * `next(nowMs)` and do what it says — `fetch` (within `timeLimitMs`), then report with
   * `recordAnswer(status, retryAfter, wallNowMs, url, body, username, password)` (returns
   * the notification of a 2xx answer, else null) or `recordFailure(name, url, detail)`;
   * `sleep` `ms`; `done` (`notification`); `give_up` (`error`, an Email365Error).
   * Call `free()` when done with it.
   */
  class StatusPoller {
    #inner;
    constructor(notificationId, recipient, deadlineMs) {
      requireString("StatusPoller", "notificationId", notificationId);
      this.#inner = guard(() => new wasm.StatusPoller(notificationId, recipient ?? undefined, deadlineMs ?? undefined))();
    }
    next(nowMs) {
      const step = guard(() => this.#inner.next(nowMs))();
      if (step.error !== null) step.error = makeError(step.error);
      return step;
    }
    recordAnswer(status, retryAfter, wallNowMs, url, body, username, password) {
      return guard(() => this.#inner.recordAnswer(status, retryAfter ?? undefined, wallNowMs, url, body, username, password))();
    }
    recordFailure(failure, url, detail) {
      guard(() => this.#inner.recordFailure(failure, url, detail ?? ""))();
    }
    lastNotification() {
      return guard(() => this.#inner.lastNotification())();
    }
    free() {
      this.#inner.free();
    }
  }

  return {
    validateAddress, classifyReply, classifyCode, extractNotificationId, statusRequest,
    parseStatus, isFinal, nextDelay, statusHttpError, buildMessage, envelopeFromMessage, errorKinds, version,
    getStatus, waitForStatus, StatusPoller,
  };
}

export {
  createApi, convertError, errorClassFor, Email365Error, InvalidAddress, InvalidMessage, SenderNotRegistered,
  InvalidReply, InvalidArgument, SmtpError, TransientError, PermanentError, MessageTooLargeError,
  Smtputf8NotSupportedError, RecipientsRejectedError, AuthenticationError, ProtocolError,
  OutcomeUnknownError, ConnectionError, TlsError, TimeoutError, StatusApiError, NotFoundError,
  InvalidStatusResponse, InternalError,
};
