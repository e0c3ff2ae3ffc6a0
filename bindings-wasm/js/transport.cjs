// createTransport: the Node SMTP transport of the package, in nodemailer's shape. Each
// connection is one core session (`SmtpSession`, the core's generic session compiled into
// the Node module) over one NodeSocketIo (node_io.cjs). This file only converts: option
// names, messages into the core's input, results, errors into Email365Error classes. It
// also hands calls to free sessions one at a time (`pool.maxConnections` of them) — the
// protocol, the retries, the resends, every time limit and the sender policy are the core's.
"use strict";
const { inspect } = require("node:util");
const { NodeSocketIo } = require("./node_io.cjs");

/** The bytes of a string (UTF-8) or a Uint8Array. */
function bytesOf(value, what) {
  if (typeof value === "string") return new TextEncoder().encode(value);
  if (value instanceof Uint8Array) return value;
  throw new TypeError(`${what} must be a string or a Uint8Array`);
}

/**
 * The session's transcript function from the `logger` option, as nodemailer reads it: a
 * bunyan-like object whose `debug(meta, line)` gets each command (`{tnx: "client"}`) and
 * reply line (`{tnx: "server"}`), `true` for the console, `false`/absent for none.
 */
function transcriptOf(logger) {
  if (logger === undefined || logger === null || logger === false) return undefined;
  if (logger === true) {
    return (tnx, line) => console.log(`[email365] ${tnx === "client" ? "C" : "S"}: ${line}`);
  }
  if (typeof logger === "object" && typeof logger.debug === "function") {
    return (tnx, line) => logger.debug({ tnx }, line);
  }
  throw new TypeError("logger must be true, false or an object with a debug(meta, message) method");
}

/** A nodemailer address value (string, {name, address}, or a list) as header strings. */
function addressList(value) {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.flatMap((a) => {
    if (typeof a === "string") return [a];
    if (a !== null && typeof a === "object" && typeof a.address === "string") {
      return [a.name ? `${JSON.stringify(String(a.name))} <${a.address}>` : a.address];
    }
    throw new TypeError("an address must be a string or {name, address}");
  });
}

/** The attachments of sendMail as the core's input (content as bytes). */
function attachmentList(list) {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new TypeError("attachments must be a list");
  return list.map((a) => {
    if (a === null || typeof a !== "object") throw new TypeError("an attachment must be an object");
    const out = { filename: a.filename, content: bytesOf(a.content, "attachment content") };
    if (a.contentType !== undefined) out.contentType = a.contentType;
    const cid = a.inlineId ?? a.cid;
    if (cid !== undefined) out.inlineId = cid;
    return out;
  });
}

/** One sendMail argument as the session's item: `{message}` or `{raw, envelope}`. */
function itemOf(mail) {
  if (mail === null || typeof mail !== "object") throw new TypeError("sendMail takes a message object");
  let envelope;
  if (mail.envelope !== undefined && mail.envelope !== null) {
    const e = mail.envelope;
    envelope = {};
    if (e.from !== undefined) envelope.from = addressList(e.from)[0] ?? "";
    if (e.to !== undefined) envelope.to = addressList(e.to);
  }
  if (mail.raw !== undefined) {
    return { raw: bytesOf(mail.raw, "raw"), ...(envelope ? { envelope } : {}) };
  }
  const message = {
    from: addressList(mail.from)[0],
    to: addressList(mail.to),
    cc: addressList(mail.cc),
    bcc: addressList(mail.bcc),
    subject: mail.subject ?? "",
    attachments: attachmentList(mail.attachments),
  };
  if (mail.replyTo !== undefined) message.replyTo = addressList(mail.replyTo);
  for (const key of ["text", "html", "headers", "messageId", "date", "sender", "senderPolicy"]) {
    if (mail[key] !== undefined && mail[key] !== null) message[key] = mail[key];
  }
  return { message, ...(envelope ? { envelope } : {}) };
}

function createTransportApi(wasm, convertError) {
  /** An Email365Error from what the module rejected with, `messageId` kept. */
  function sendError(data) {
    const e = convertError(data);
    if (e !== null && typeof e === "object" && data && typeof data.messageId === "string") {
      e.messageId = data.messageId;
    }
    return e;
  }

  class Transport {
    #sessions;
    #free;
    #waiting = [];
    #closed = false;
    #closedTrips = 0;
    #where;

    constructor(options) {
      if (options === null || typeof options !== "object") {
        throw new TypeError("createTransport takes an options object");
      }
      const pool = options.pool;
      const count = pool === undefined || pool === null || pool === false ? 1
        : pool === true ? 5 : pool.maxConnections ?? 5;
      if (!Number.isInteger(count) || count < 1) {
        throw convertError({ kind: "invalid_argument", reason: "invalid_count",
          message: `pool.maxConnections must be a whole number ≥ 1, not ${count}` });
      }
      const { ca, pool: _pool, logger, ...coreOptions } = options;
      const transcript = transcriptOf(logger);
      const caList = ca === undefined || ca === null ? null : [].concat(ca).map((c) => bytesOf(c, "ca"));
      try {
        this.#sessions = Array.from({ length: count },
          () => new wasm.SmtpSession(coreOptions, new NodeSocketIo(caList), transcript));
      } catch (e) {
        throw convertError(e);
      }
      this.#free = [...this.#sessions];
      this.#where = `${options.host}:${options.port ?? 25}`;
    }

    // Runs `op` on a free session, waiting for one in call order.
    async #with(op) {
      if (this.#closed) {
        throw convertError({ kind: "connection", reason: "closed", message: "the transport is closed" });
      }
      const session = this.#free.pop() ?? await new Promise((resolve) => this.#waiting.push(resolve));
      try {
        return await op(session);
      } finally {
        const next = this.#waiting.shift();
        if (next) next(session);
        else this.#free.push(session);
      }
    }

    /** Sends one message; resolves with its result, rejects with an Email365Error. */
    async sendMail(mail) {
      const item = itemOf(mail);
      return this.#with(async (s) => {
        try {
          return await s.send(item);
        } catch (e) {
          throw sendError(e);
        }
      });
    }

    /** Sends RFC 5322 bytes as they are; the envelope is read from the headers unless given. */
    async sendRaw(raw, envelope) {
      return this.sendMail({ raw, envelope });
    }

    /**
     * Sends several messages over one connection with whole transactions in flight;
     * resolves with one result or Email365Error per message, in order.
     */
    async sendMany(mails) {
      if (!Array.isArray(mails)) throw new TypeError("sendMany takes a list of messages");
      const items = mails.map(itemOf);
      const results = await this.#with(async (s) => {
        try {
          return await s.sendMany(items);
        } catch (e) {
          throw convertError(e);
        }
      });
      return results.map((r) => ("ok" in r ? r.ok : sendError(r.error)));
    }

    /** Ends every session (QUIT) once its current call is done. Idempotent. */
    async close() {
      if (this.#closed) return;
      this.#closed = true;
      await Promise.all(this.#sessions.map(async () => {
        const session = this.#free.pop() ?? await new Promise((resolve) => this.#waiting.push(resolve));
        await session.close().catch(() => {});
        this.#closedTrips += session.roundTrips();
        session.free();
      }));
    }

    /** How many times the sessions waited for the server after writing. */
    roundTrips() {
      if (this.#closed) return this.#closedTrips;
      return this.#sessions.reduce((n, s) => n + s.roundTrips(), 0);
    }

    [inspect.custom]() {
      return `Transport { server: ${JSON.stringify(this.#where)}, connections: ${this.#sessions.length}, closed: ${this.#closed} }`;
    }
  }

  /** A transport to `options.host` (see the README, "Sending from Node"). */
  function createTransport(options) {
    return new Transport(options);
  }

  /**
   * A nodemailer transport (`nodemailer.createTransport(email365Transport(options))`):
   * nodemailer compiles the message and its envelope, the email365 transport sends the
   * bytes. Conversions only: nodemailer's envelope to the core's, the result to the info
   * nodemailer's own SMTP transport gives.
   */
  function email365Transport(options) {
    const transport = new Transport(options);
    return {
      name: "email365",
      version: wasm.version(),
      send(mail, callback) {
        const envelope = mail.message.getEnvelope();
        const messageId = mail.message.messageId();
        const core = { from: envelope.from || "", to: envelope.to };
        mail.message.build((err, raw) => {
          if (err) return callback(err);
          transport.sendRaw(raw, core).then((r) => callback(null, {
            envelope: { from: envelope.from, to: envelope.to },
            messageId,
            accepted: r.accepted,
            rejected: Object.keys(r.rejected),
            rejectedReplies: r.rejected,
            response: r.response,
            notificationId: r.notificationId,
          }), (e) => callback(e));
        });
      },
      /** QUIT on every connection (nodemailer's `transporter.close()`). */
      close() {
        return transport.close();
      },
    };
  }

  return { createTransport, email365Transport };
}

module.exports = { createTransportApi, NodeSocketIo };
