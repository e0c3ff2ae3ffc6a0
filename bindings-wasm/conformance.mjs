#!/usr/bin/env node
// The Node conformance driver (docs/ARCHITECTURE.md, "The conformance protocol"): one JSON request a
// line on stdin, `{"op", "args"}`, one JSON answer a line on stdout, `{"ok": …}` or
// `{"error": {kind, reason, message, position}}`. Arguments and results use docs/ARCHITECTURE.md's
// snake_case names; this file only renames them to and from the package's camelCase API
// (built into pkg/ by scripts/build-wasm.sh) and never decides a result itself.
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import * as email365 from "./pkg/node/index.mjs";

class DriverError extends Error {
  constructor(message, reason = null) {
    super(message);
    this.kind = "invalid_argument";
    this.reason = reason;
    this.position = null;
  }
}

const bad = (name, what) => new DriverError(`argument ${JSON.stringify(name)} ${what}`);
const has = (args, name) => args[name] !== undefined && args[name] !== null;

// The same reading rules as tests/conformance/src/args.rs.
function string(args, name) {
  if (!has(args, name)) throw bad(name, "is required");
  if (typeof args[name] !== "string") throw bad(name, "must be a string");
  return args[name];
}
function optString(args, name) {
  if (!has(args, name)) return undefined;
  if (typeof args[name] !== "string") throw bad(name, "must be a string");
  return args[name];
}
function flag(args, name) {
  if (!has(args, name)) return false;
  if (typeof args[name] !== "boolean") throw bad(name, "must be a boolean");
  return args[name];
}
function stringList(args, name) {
  if (!has(args, name)) return [];
  if (!Array.isArray(args[name])) throw bad(name, "must be a list of strings");
  if (!args[name].every((s) => typeof s === "string")) throw bad(name, "must hold only strings");
  return args[name];
}
function base64(value, name) {
  if (typeof value !== "string") throw bad(name, "must be a string");
  if (value.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw bad(name, "is not base64");
  return new Uint8Array(Buffer.from(value, "base64"));
}

const classification = (c) => ({
  code: c.code, enhanced: c.enhanced, severity: c.severity, category: c.category,
  retry: c.retry, description: c.description,
});

function messageInput(args) {
  let replyTo;
  if (has(args, "reply_to")) replyTo = typeof args.reply_to === "string" ? args.reply_to : stringList(args, "reply_to");
  let attachments = [];
  if (has(args, "attachments")) {
    if (!Array.isArray(args.attachments)) throw bad("attachments", "must be a list of objects");
    attachments = args.attachments.map((a) => {
      if (a === null || typeof a !== "object" || Array.isArray(a)) throw bad("attachments", "must be a list of objects");
      const contentType = optString(a, "content_type");
      const inlineId = optString(a, "inline_id");
      return {
        filename: string(a, "filename"),
        content: base64(a.content_base64, "content_base64"),
        ...(contentType === undefined ? {} : { contentType }),
        ...(inlineId === undefined ? {} : { inlineId }),
      };
    });
  }
  let headers;
  if (has(args, "headers")) {
    if (typeof args.headers !== "object" || Array.isArray(args.headers)) throw bad("headers", "must be an object");
    headers = args.headers;
  }
  const input = {
    from: string(args, "from"),
    to: stringList(args, "to"),
    cc: stringList(args, "cc"),
    bcc: stringList(args, "bcc"),
    subject: string(args, "subject"),
    attachments,
  };
  for (const [key, value] of [["replyTo", replyTo], ["text", optString(args, "text")],
    ["html", optString(args, "html")], ["headers", headers],
    ["messageId", optString(args, "message_id")], ["date", optString(args, "date")]]) {
    if (value !== undefined) input[key] = value;
  }
  return input;
}

// The transport scenarios (tests/vectors/README.md, "Transport scenarios"): the options of
// the Rust driver's `smtp_send` read into createTransport's, one transport per call,
// closed (QUIT) before the answer.
function transportOptions(args) {
  if (!has(args, "port") || !Number.isInteger(args.port)) throw bad("port", "is required (a whole number)");
  const o = has(args, "options") ? args.options : {};
  if (typeof o !== "object" || Array.isArray(o)) throw bad("options", "must be an object");
  const options = { host: string(args, "host"), port: args.port };
  const tls = optString(o, "tls");
  if (tls !== undefined) options.tls = tls;
  const caFile = optString(o, "ca_file");
  if (caFile !== undefined) options.ca = readFileSync(caFile);
  for (const [from, to] of [["server_name", "serverName"], ["ehlo_name", "ehloName"]]) {
    const v = optString(o, from);
    if (v !== undefined) options[to] = v;
  }
  const user = optString(o, "username");
  if (user !== undefined) options.auth = { user, pass: string(o, "password") };
  for (const name of ["pipelining", "chunking"]) {
    if (has(o, name)) options[name] = flag(o, name);
  }
  if (has(o, "window")) options.window = o.window;
  if (has(o, "timeout_ms")) options.timeout = o.timeout_ms;
  return options;
}

function mailOf(item) {
  if (has(item, "message") === has(item, "raw")) throw new DriverError('give exactly one of "message" and "raw"');
  if (has(item, "message")) return messageInput(item.message);
  const r = item.raw;
  return { raw: string(r, "data"), envelope: { from: string(r, "mail_from"), to: stringList(r, "rcpt_to") } };
}

const replyJson = (r) => ({ code: r.code, enhanced: r.enhanced, text: r.text });
const recipientsJson = (map) => Object.entries(map).map(([recipient, reply]) => ({ recipient, reply: replyJson(reply) }));
const deliveryJson = (d) => ({
  notification_id: d.notificationId,
  final_reply: replyJson(d.finalReply),
  accepted: recipientsJson(d.acceptedReplies),
  rejected: recipientsJson(d.rejected),
});

const smtpOps = {
  async smtp_send(args) {
    const transport = email365.createTransport(transportOptions(args));
    try {
      return deliveryJson(await transport.sendMail(mailOf(args)));
    } finally {
      await transport.close();
    }
  },
  async smtp_send_many(args) {
    if (!Array.isArray(args.messages)) throw bad("messages", "must be a list of objects");
    const mails = args.messages.map(mailOf);
    const transport = email365.createTransport(transportOptions(args));
    try {
      const results = await transport.sendMany(mails);
      return { results: results.map((r) => (r instanceof Error ? { error: errorJson(r) } : { ok: deliveryJson(r) })) };
    } finally {
      await transport.close();
    }
  },
};

const ops = {
  validate_address(args) {
    const mode = optString(args, "mode");
    const a = email365.validateAddress(string(args, "address"), {
      ...(mode === undefined ? {} : { mode }),
      allowQuotedLocal: flag(args, "allow_quoted_local"),
      allowDomainLiteral: flag(args, "allow_domain_literal"),
    });
    return { local: a.local, domain: a.domain, ascii_domain: a.asciiDomain, display_name: a.displayName, smtputf8: a.smtputf8 };
  },
  classify_reply(args) {
    const command = optString(args, "command");
    if (has(args, "reply")) {
      if (has(args, "code") || has(args, "enhanced")) {
        throw new DriverError('give either "reply" or "code" (with "enhanced"), not both');
      }
      return classification(email365.classifyReply(string(args, "reply"), command === undefined ? {} : { command }));
    }
    if (!has(args, "code")) throw new DriverError('argument "reply" or "code" is required');
    if (typeof args.code !== "number") throw bad("code", "must be an integer");
    const enhanced = optString(args, "enhanced");
    return classification(email365.classifyCode(args.code, {
      ...(enhanced === undefined ? {} : { enhanced }),
      ...(command === undefined ? {} : { command }),
    }));
  },
  extract_notification_id(args) {
    return { notification_id: email365.extractNotificationId(string(args, "reply")) };
  },
  status_request(args) {
    const r = email365.statusRequest({
      accountId: string(args, "account_id"),
      notificationId: string(args, "notification_id"),
      recipient: optString(args, "recipient"),
      region: optString(args, "region"),
      baseUrl: optString(args, "base_url"),
      username: string(args, "username"),
      password: string(args, "password"),
    });
    return { method: r.method, url: r.url, headers: { authorization: r.headers.authorization, accept: r.headers.accept } };
  },
  parse_status(args) {
    const n = email365.parseStatus(string(args, "body"));
    return {
      found: n.found,
      notification_id: n.notificationId,
      events: n.events.map((e) => ({ code: e.code, text: e.text, channel: e.channel, recipient: e.recipient, timestamp: e.timestamp })),
    };
  },
  status_http_error(args) {
    const nowMs = has(args, "now_ms") ? args.now_ms : Date.now();
    const status = args.status;
    if (!Number.isInteger(status) || status < 0 || status > 65535) {
      throw bad("status", "must be a whole number from 0 to 65535");
    }
    const e = email365.statusHttpError(status, optString(args, "retry_after"), nowMs,
      "https://eu.email.sdi.sinch.com/v1/a/notifications/id/1", "", "", "");
    return e === null ? null
      : { kind: e.kind, reason: e.reason, transient: e.transient, retry_after_ms: e.retryAfterMs };
  },
  status_poll(args) {
    if (!Array.isArray(args.steps)) throw bad("steps", "must be a list of objects");
    const deadline = has(args, "deadline_ms") ? args.deadline_ms : undefined;
    const poller = new email365.StatusPoller(string(args, "notification_id"), optString(args, "recipient"), deadline);
    const url = "https://eu.email.sdi.sinch.com/v1/a/notifications/id/1";
    try {
      return args.steps.map((item) => {
        if (has(item, "answer")) {
          const a = item.answer;
          const wall = has(a, "now_ms") ? a.now_ms : Date.now();
          poller.recordAnswer(a.status, optString(a, "retry_after"), wall, url, optString(a, "body") ?? "", "user", "password");
        } else if (has(item, "failure")) {
          poller.recordFailure(string(item, "failure"), url, "");
        }
        const step = poller.next(item.at_ms);
        switch (step.action) {
          case "fetch": return { action: "fetch", time_limit_ms: step.timeLimitMs };
          case "sleep": return { action: "sleep", ms: step.ms };
          case "done": return { action: "done" };
          default: return { action: "give_up", kind: step.error.kind, reason: step.error.reason, transient: step.error.transient };
        }
      });
    } finally {
      poller.free();
    }
  },
  build_message(args) {
    const input = messageInput(args);
    const m = email365.buildMessage(input);
    return {
      mail_from: m.envelope.mailFrom,
      rcpt_to: m.envelope.rcptTo,
      message_id: m.messageId,
      size: m.size,
      smtputf8: m.smtputf8,
      message_base64: Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength).toString("base64"),
    };
  },
  envelope_from_message(args) {
    const r = email365.envelopeFromMessage(base64(string(args, "message_base64"), "message_base64"));
    return {
      mail_from: r.envelope.mailFrom,
      rcpt_to: r.envelope.rcptTo,
      message_base64: Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength).toString("base64"),
    };
  },
};

const errorReply = (r) => ({ code: r.code, enhanced: r.enhanced ?? null, text: r.text, recipient: r.recipient ?? null });

function errorJson(e) {
  const noReply = { transient: false, reply: null, replies: [] };
  if (e instanceof email365.Email365Error || e instanceof DriverError) {
    const replies = (e.replies ?? []).map(errorReply);
    return {
      kind: e.kind, reason: e.reason ?? null, message: e.message, position: e.position ?? null,
      transient: e.transient ?? false, reply: replies[0] ?? null, replies,
    };
  }
  if (e instanceof TypeError) {
    return { kind: "invalid_argument", reason: null, message: e.message, position: null, ...noReply };
  }
  return { kind: "internal", reason: null, message: String(e && e.message ? e.message : e), position: null, ...noReply };
}

/** Answers one parsed request: `{ok}` or `{error}` (a promise: the SMTP ops wait). */
export async function handleRequest(request) {
  try {
    if (request === null || typeof request !== "object" || typeof request.op !== "string") {
      throw new DriverError('request has no string "op"');
    }
    const args = request.args === undefined ? {} : request.args;
    if (args === null || typeof args !== "object" || Array.isArray(args)) {
      throw new DriverError('"args" must be an object');
    }
    if (Object.prototype.hasOwnProperty.call(smtpOps, request.op)) {
      return { ok: await smtpOps[request.op](args) };
    }
    if (!Object.prototype.hasOwnProperty.call(ops, request.op)) {
      throw new DriverError(`unknown op ${JSON.stringify(request.op)}`, "unknown_op");
    }
    return { ok: ops[request.op](args) };
  } catch (e) {
    return { error: errorJson(e) };
  }
}

/** Answers one request line with one JSON line (never rejects). */
export async function handleLine(line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch (e) {
    return JSON.stringify({ error: errorJson(new DriverError(`request is not JSON: ${e.message}`)) });
  }
  return JSON.stringify(await handleRequest(request));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === "") continue;
    if (!process.stdout.write((await handleLine(line)) + "\n")) {
      await new Promise((resolve) => process.stdout.once("drain", resolve));
    }
  }
}
