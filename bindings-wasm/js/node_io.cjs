// The socket adapter of the Node transport: Node's `net` and `tls` sockets behind the
// small interface the module's `JsIo` calls (bindings-wasm/src/smtp.rs): `connect`,
// `startTls`, `write`, `read`, `pending`, `close`, `now`. It moves bytes and nothing
// else: the SMTP session (what to write, when to upgrade, which time limit applies, what a
// failure means) is the core's, compiled into the module.
//
// - Every call is one step bounded by the time limit it is given: when the timer fires
//   the socket is destroyed and the promise rejects with `{failure: "timeout"}`.
// - `read` hands over everything received so far in one chunk, so that bytes sent right
//   after the 220 reply to STARTTLS reach the core (which refuses them) in the same feed;
//   `pending()` tells the module whether bytes arrived since, before it starts TLS.
// - TLS is Node's: `tls.connect({socket, servername, ca, rejectUnauthorized: true})` over
//   the connected socket (STARTTLS, or at once for implicit TLS). Certificate chain and
//   host name are always verified; the roots are Node's CA store (`tls.rootCertificates`
//   plus NODE_EXTRA_CA_CERTS) with the transport's extra `ca` added (docs/TRANSPORT.md,
//   "Node").
// - Failures reject with `{failure, message}`, `failure` one of "timeout", "resolve",
//   "connect", "certificate", "tls", "closed", "io"; the module turns them into the core's
//   errors.
"use strict";
const net = require("node:net");
const tls = require("node:tls");

function failure(kind, message) {
  return { failure: kind, message: String(message) };
}

// Name resolution failures (getaddrinfo) as opposed to refused or unreachable peers.
const RESOLVE_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_FAIL", "EAI_NONAME", "EAI_NODATA"]);

class NodeSocketIo {
  #socket = null;
  #chunks = [];
  #buffered = 0;
  #eof = false;
  #error = null;
  #waiter = null;
  #ca;
  #onData = (chunk) => {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    this.#wake();
  };
  #onEnd = () => {
    this.#eof = true;
    this.#wake();
  };
  #onError = (e) => {
    this.#error = this.#error ?? failure("io", e && e.message ? e.message : e);
    this.#wake();
  };
  #onClose = () => {
    this.#eof = true;
    this.#wake();
  };

  /** `ca`: extra trusted CA certificates (PEM string or Buffer, or a list), or null. */
  constructor(ca) {
    this.#ca = ca === undefined || ca === null ? null : [].concat(ca);
  }

  /** Monotonic milliseconds (the session's clock). */
  now() {
    return performance.now();
  }

  /** Opens the TCP connection within `timeoutMs` (resolution included). */
  connect(host, port, timeoutMs) {
    this.close();
    return this.#step(timeoutMs, "connecting", (resolve, reject) => {
      const unbracketed = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
      const socket = net.connect({ host: unbracketed, port });
      this.#socket = socket;
      socket.setNoDelay(true);
      const onError = (e) => {
        socket.off("connect", onConnect);
        reject(failure(RESOLVE_CODES.has(e && e.code) ? "resolve" : "connect",
          `cannot connect to ${host}:${port}: ${e && e.message ? e.message : e}`));
      };
      const onConnect = () => {
        socket.off("error", onError);
        this.#attach(socket);
        resolve({ local: socket.localAddress ?? null, remote: socket.remoteAddress ?? null });
      };
      socket.once("error", onError);
      socket.once("connect", onConnect);
    });
  }

  /**
   * The TLS handshake over the connected socket, verifying the certificate chain and
   * `serverName` (an IP address is checked against the certificate's IP entries and not
   * sent as SNI). Refused when bytes arrived that nobody read: they came before TLS.
   */
  startTls(serverName, timeoutMs) {
    const plain = this.#socket;
    if (plain === null || this.#error !== null || this.#eof) {
      return Promise.reject(this.#error ?? failure("closed", "the connection is closed"));
    }
    if (this.#buffered > 0) {
      return Promise.reject(failure("data_before_tls",
        `${this.#buffered} octets arrived after the reply to STARTTLS and before the TLS handshake`));
    }
    return this.#step(timeoutMs, "the TLS handshake", (resolve, reject) => {
      this.#detach(plain);
      const isIp = net.isIP(serverName) !== 0;
      const options = {
        socket: plain,
        host: serverName,
        rejectUnauthorized: true,
        minVersion: "TLSv1.2",
        ...(isIp ? {} : { servername: serverName }),
        ...(this.#ca === null ? {} : { ca: [...tls.rootCertificates, ...this.#ca] }),
      };
      let secure;
      try {
        secure = tls.connect(options);
      } catch (e) {
        reject(failure("tls", `TLS setup failed: ${e && e.message ? e.message : e}`));
        return;
      }
      this.#socket = secure;
      const onError = (e) => {
        secure.off("secureConnect", onSecure);
        const code = String((e && e.code) || "");
        const kind = /CERT|SIGNATURE|ISSUER|ALTNAME|VERIFY/.test(code) ? "certificate" : "tls";
        reject(failure(kind, `TLS handshake failed with ${serverName}: ${e && e.message ? e.message : e}`));
      };
      const onSecure = () => {
        secure.off("error", onError);
        this.#attach(secure);
        resolve();
      };
      secure.once("error", onError);
      secure.once("secureConnect", onSecure);
    });
  }

  /**
   * Writes `bytes` (copied: the view may point into the module's memory). Done when the
   * socket took them without exceeding its buffer, as a blocking write is done once the
   * kernel took them; past the buffer, when it drained, within `timeoutMs`.
   */
  write(bytes, timeoutMs) {
    const socket = this.#socket;
    if (socket === null || this.#error !== null) {
      return Promise.reject(this.#error ?? failure("closed", "the connection is closed"));
    }
    if (socket.write(Buffer.from(bytes))) return Promise.resolve();
    return this.#step(timeoutMs, "writing", (resolve, reject) => {
      const done = () => {
        socket.off("drain", done);
        socket.off("close", done);
        if (this.#error === null && !socket.destroyed) resolve();
        else reject(this.#error ?? failure("closed", "the connection closed while writing"));
      };
      socket.on("drain", done);
      socket.on("close", done);
    });
  }

  /** Resolves with every octet received so far (an empty array at end of stream). */
  read(timeoutMs) {
    if (this.#buffered > 0) return Promise.resolve(this.#take());
    if (this.#error !== null) return Promise.reject(this.#error);
    if (this.#eof || this.#socket === null) return Promise.resolve(new Uint8Array(0));
    return this.#step(timeoutMs, "reading", (resolve, reject) => {
      this.#waiter = () => {
        this.#waiter = null;
        if (this.#buffered > 0) resolve(this.#take());
        else if (this.#error !== null) reject(this.#error);
        else resolve(new Uint8Array(0));
      };
    });
  }

  /** How many received octets nobody has read yet. */
  pending() {
    return this.#buffered;
  }

  /** Closes the connection (after QUIT: a FIN, the socket destroyed once it is sent). */
  close() {
    const socket = this.#socket;
    this.#socket = null;
    this.#chunks = [];
    this.#buffered = 0;
    this.#eof = false;
    this.#error = null;
    this.#waiter = null;
    if (socket !== null) {
      this.#detach(socket);
      socket.on("error", () => {});
      if (socket.destroyed) return;
      socket.end(() => socket.destroy());
      setTimeout(() => socket.destroy(), 1000).unref();
    }
  }

  // Runs one step under a timer that destroys the socket and rejects when it fires.
  #step(timeoutMs, what, body) {
    return new Promise((resolve, reject) => {
      let done = false;
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        this.#waiter = null;
        const socket = this.#socket;
        if (socket !== null) socket.destroy();
        this.#error = failure("timeout", `${what} took longer than ${timeoutMs} ms`);
        reject(this.#error);
      }, Math.max(0, Math.min(timeoutMs, 2 ** 31 - 1)));
      body(
        (v) => { if (!done) { done = true; clearTimeout(timer); resolve(v); } },
        (e) => { if (!done) { done = true; clearTimeout(timer); reject(e); } },
      );
    });
  }

  #take() {
    const chunk = this.#chunks.length === 1 ? this.#chunks[0] : Buffer.concat(this.#chunks, this.#buffered);
    this.#chunks = [];
    this.#buffered = 0;
    return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }

  #wake() {
    if (this.#waiter !== null) this.#waiter();
  }

  #attach(socket) {
    socket.on("data", this.#onData);
    socket.on("end", this.#onEnd);
    socket.on("error", this.#onError);
    socket.on("close", this.#onClose);
  }

  #detach(socket) {
    socket.off("data", this.#onData);
    socket.off("end", this.#onEnd);
    socket.off("error", this.#onError);
    socket.off("close", this.#onClose);
  }
}

module.exports = { NodeSocketIo };
