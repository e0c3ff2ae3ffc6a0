// Assertions over the public API, shared by the Node tests (api.test.mjs) and the
// real-browser test (browser.test.mjs, which runs them in Chromium against the `web`
// build). Each check takes the package's module namespace; no Node-only API is used.

class CheckFailed extends Error {}

function ok(value, what) {
  if (!value) throw new CheckFailed(what);
}

function equal(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e || (actual === undefined) !== (expected === undefined)) {
    throw new CheckFailed(`${what}: expected ${e}, got ${a}`);
  }
}

function throws(fn, Class, props, what) {
  try {
    fn();
  } catch (e) {
    ok(e instanceof Class, `${what}: expected a ${Class.name}, got ${e && e.constructor && e.constructor.name}: ${e && e.message}`);
    for (const [key, value] of Object.entries(props || {})) equal(e[key], value, `${what}: error.${key}`);
    return e;
  }
  throw new CheckFailed(`${what}: did not throw`);
}

/** Every check: `[name, (api) => void]`. */
export const checks = [
  ["validateAddress returns a plain object with null for absent values", (api) => {
    const r = api.validateAddress("user@example.com");
    equal(Object.keys(r), ["local", "domain", "asciiDomain", "displayName", "smtputf8"], "keys");
    ok(Object.getPrototypeOf(r) === Object.prototype, "a plain object");
    equal(r.local, "user", "local");
    equal(r.asciiDomain, "example.com", "asciiDomain");
    ok(r.displayName === null, "displayName is null, not undefined");
    equal(r.smtputf8, false, "smtputf8");
    equal(JSON.parse(JSON.stringify(r)), r, "JSON round trip");
  }],
  ["validateAddress accepts an options object or nothing", (api) => {
    const r = api.validateAddress("user@example.com", { mode: "envelope", allowQuotedLocal: false });
    equal(r.local, "user", "with options");
    equal(api.validateAddress("user@example.com", null).local, "user", "null options");
  }],
  ["an invalid address throws InvalidAddress with kind, reason and position", (api) => {
    const e = throws(() => api.validateAddress("user.example.com"), api.InvalidAddress,
      { name: "Email365Error", kind: "invalid_address", reason: "no_at" }, "no @");
    ok(e instanceof api.Email365Error && e instanceof Error, "an Email365Error and an Error");
    ok(typeof e.position === "number" && e.position >= 0 && e.position <= 16, `position ${e.position}`);
    ok(typeof e.message === "string" && e.message.length > 0, "a message");
    ok(typeof e.stack === "string", "a stack");
  }],
  ["bad option objects throw InvalidArgument", (api) => {
    throws(() => api.validateAddress("a@example.com", { mode: "loose" }), api.InvalidArgument,
      { kind: "invalid_argument" }, "unknown mode");
    throws(() => api.validateAddress("a@example.com", { allowQuotedLocal: "yes" }), api.InvalidArgument,
      { kind: "invalid_argument" }, "option of the wrong type");
    throws(() => api.classifyReply("250 ok", { command: "FETCH" }), api.InvalidArgument,
      { kind: "invalid_argument" }, "unknown command");
  }],
  ["non-string arguments throw TypeError", (api) => {
    throws(() => api.validateAddress(42), TypeError, {}, "number address");
    throws(() => api.classifyReply(null), TypeError, {}, "null reply");
    throws(() => api.parseStatus({}), TypeError, {}, "object body");
  }],
  ["classifyReply: severity and retry come from the basic code", (api) => {
    const t = api.classifyReply("451 4.3.0 try again later");
    equal(Object.keys(t), ["code", "enhanced", "severity", "category", "retry", "description", "inconsistent"], "keys");
    equal([t.code, t.severity, t.retry], [451, "transient", true], "451");
    ok(t.enhanced === null || t.enhanced === "4.3.0", `enhanced ${t.enhanced}`);
    const p = api.classifyReply("550 5.1.1 no such user", { command: "RCPT" });
    equal([p.code, p.severity, p.retry], [550, "permanent", false], "550");
    const s = api.classifyReply("250 OK\r\n");
    equal([s.severity, s.retry], ["success", false], "250");
  }],
  ["a reply that is not one throws InvalidReply", (api) => {
    throws(() => api.classifyReply("hello"), api.InvalidReply, { kind: "invalid_reply" }, "text");
  }],
  ["classifyCode checks the basic and enhanced codes", (api) => {
    const c = api.classifyCode(421, { enhanced: "4.4.2" });
    equal([c.code, c.severity, c.retry], [421, "transient", true], "421");
    throws(() => api.classifyCode(1000), api.InvalidReply, { kind: "invalid_reply" }, "four digits");
    throws(() => api.classifyCode(25.5), api.InvalidReply, { kind: "invalid_reply" }, "fraction");
    throws(() => api.classifyCode(550, { enhanced: "5.x.1" }), api.InvalidReply, { kind: "invalid_reply" }, "bad enhanced");
  }],
  ["extractNotificationId returns a string or null", (api) => {
    ok(api.extractNotificationId("250 2.0.0 Ok") === null, "no id");
    const id = api.extractNotificationId("250 2.0.0 Ok: queued as 10000000902077");
    ok(id === null || id === "10000000902077", `id ${id}`);
  }],
  ["isFinal: CH_SENT and unknown codes are final, the in-flight ones are not", (api) => {
    equal(["CH_SENT", "CAAS_RECEIVED", "CAAS_SENT", "CH_RECEIVED", "BOUNCED"].map(api.isFinal),
      [true, false, false, false, true], "codes");
  }],
  ["nextDelay is the core's plan and refuses nonsense", (api) => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const d = api.nextDelay(attempt);
      ok(typeof d === "number" && Number.isFinite(d) && d >= 0, `delay ${d} for attempt ${attempt}`);
    }
    throws(() => api.nextDelay(-1), api.InvalidArgument, { kind: "invalid_argument" }, "negative attempt");
    throws(() => api.nextDelay(1.5), api.InvalidArgument, { kind: "invalid_argument" }, "fractional attempt");
    throws(() => api.nextDelay(0, -5), api.InvalidArgument, { kind: "invalid_argument" }, "negative Retry-After");
  }],
  ["every error kind of the core maps to its own class", (api) => {
    // The tree itself (each class's parent) is checked against the core's table in
    // errors.test.mjs; here: every kind the module knows has a class of its own.
    const kinds = api.errorKinds();
    ok(kinds.length >= 20, "number of kinds");
    const classes = new Set();
    for (const kind of kinds) {
      const Class = api.errorClassFor(kind);
      ok(Class !== api.Email365Error && !classes.has(Class), `${kind} has a class of its own`);
      classes.add(Class);
      const e = new Class({ kind, message: "m", replies: [{ code: 550, enhanced: "5.1.1", text: "t", recipient: null }] });
      ok(e instanceof api.Email365Error && e.kind === kind && e.name === "Email365Error", kind);
    }
    ok(api.errorClassFor("no_such_kind") === api.Email365Error, "an unknown kind is an Email365Error");
    const smtp = new api.PermanentError({ kind: "smtp_permanent", message: "m", replies: [{ code: 550, enhanced: "5.1.1", text: "t", recipient: null }] });
    equal([smtp.code, smtp.enhancedCode], [550, "5.1.1"], "SMTP facts as fields");
  }],
  ["statusRequest checks its options", (api) => {
    throws(() => api.statusRequest({ accountId: "acc" }), api.InvalidArgument,
      { kind: "invalid_argument" }, "missing fields");
    const e = throws(() => api.statusRequest({ accountId: 1, notificationId: "n", username: "u", password: "hunter2-secret" }),
      api.InvalidArgument, { kind: "invalid_argument" }, "number account id");
    ok(!e.message.includes("hunter2-secret"), "the password is not in the message");
  }],
  ["buildMessage checks the shape of its input", (api) => {
    throws(() => api.buildMessage({ from: "a@example.com", subject: "s" }), api.InvalidMessage,
      { kind: "invalid_message", reason: "no_recipients" }, "no recipient");
    throws(() => api.buildMessage({ subject: "s", to: ["b@example.com"] }), api.InvalidArgument,
      { kind: "invalid_argument" }, "no from");
    throws(() => api.buildMessage({ from: "a@example.com", to: "b@example.com", subject: "s" }),
      api.InvalidArgument, { kind: "invalid_argument" }, "to not a list");
    throws(() => api.buildMessage({ from: "a@example.com", to: ["b@example.com"], subject: "s", attachments: [{ filename: "a.txt" }] }),
      api.InvalidArgument, { kind: "invalid_argument" }, "attachment without content");
    throws(() => api.buildMessage({ from: "a@example.com", to: ["b@example.com"], subject: "s", headers: { "X-A": 1 } }),
      api.InvalidArgument, { kind: "invalid_argument" }, "header value not a string");
  }],
  ["envelopeFromMessage refuses a 1 MB To: header of 80,000 addresses by the recipient cap", (api) => {
    const parts = [];
    for (let i = 0; i < 80000; i++) {
      parts.push(`${i === 0 ? "" : i % 60 === 0 ? ",\r\n " : ", "}u${i}@x.io`);
    }
    const message = new TextEncoder().encode(
      `From: a@example.com\r\nTo: ${parts.join("")}\r\nSubject: s\r\n\r\nbody\r\n`);
    ok(message.length > 1000000, "about 1 MB");
    const started = performance.now();
    throws(() => api.envelopeFromMessage(message), api.InvalidMessage,
      { kind: "invalid_message", reason: "too_many_recipients" }, "80,000 recipients");
    // On stderr: the bundle test reads the checks' report from stdout.
    console.error(`    80,000 addresses (${message.length} bytes): refused in ${(performance.now() - started).toFixed(1)} ms`);
  }],
  ["buildMessage returns the bytes as a Uint8Array with the envelope, id and size", (api) => {
    const m = api.buildMessage({
      from: "Ann <ann@example.com>", to: ["bob@example.org"], bcc: ["carol@example.org"],
      subject: "Hello", text: "one\ntwo", messageId: "<m1@example.com>",
      date: "Sat, 28 Nov 2026 12:00:00 +0000", headers: { "X-First": "1", "X-Second": "2" },
      attachments: [{ filename: "a.bin", content: new Uint8Array([0, 1, 2, 255]) }],
    });
    equal(Object.keys(m), ["bytes", "envelope", "messageId", "size", "smtputf8", "eightBit"], "keys");
    ok(m.bytes instanceof Uint8Array, "bytes is a Uint8Array");
    equal(m.size, m.bytes.length, "size");
    equal(m.envelope, { mailFrom: "ann@example.com", rcptTo: ["bob@example.org", "carol@example.org"] }, "envelope");
    equal(m.messageId, "m1@example.com", "messageId");
    const text = new TextDecoder().decode(m.bytes);
    ok(text.endsWith("\r\n"), "ends with CRLF");
    ok(!text.includes("carol@example.org"), "Bcc is not in the bytes");
    ok(text.indexOf("X-First: 1") < text.indexOf("X-Second: 2") && text.includes("X-First: 1"), "headers in object order");
  }],
  ["buildMessage writes an attachment base64 in lines of 76 characters, at every length", (api) => {
    // Long attachments are encoded by the module's SIMD kernel and their last line(s) by
    // its scalar loop: compared with the platform's own base64 (btoa) around every seam.
    const sizes = [];
    for (let n = 0; n <= 400; n++) sizes.push(n);
    for (const lines of [20, 57]) for (let d = -8; d <= 8; d++) sizes.push(57 * lines + d);
    sizes.push(100 * 1024, 1024 * 1024 + 1);
    const marker = "Content-Transfer-Encoding: base64\r\n\r\n";
    for (const n of sizes) {
      const content = new Uint8Array(n);
      for (let i = 0; i < n; i++) content[i] = Math.imul(i + 1, 2654435761) >>> 24;
      const { bytes } = api.buildMessage({
        from: "a@example.com", to: ["b@example.org"], subject: "s", text: "t",
        messageId: "<m@example.com>", date: "Sat, 28 Nov 2026 12:00:00 +0000",
        attachments: [{ filename: "f.bin", content }],
      });
      let binary = "";
      for (let i = 0; i < n; i += 8192) binary += String.fromCharCode(...content.subarray(i, i + 8192));
      const lines = btoa(binary).match(/.{1,76}/g) || [];
      const want = lines.map((line) => `${line}\r\n`).join("");
      const text = new TextDecoder().decode(bytes);
      const body = text.indexOf(marker, text.indexOf("f.bin")) + marker.length;
      ok(body >= marker.length, `${n} bytes: the attachment is base64`);
      const got = text.slice(body, body + want.length);
      ok(got === want, `${n} bytes: the base64 lines differ from btoa's`);
      ok(text.startsWith(n ? "\r\n--" : "\r\n", body + want.length), `${n} bytes: the part ends after the last line`);
    }
  }],
  ["buildMessage refuses header injection and unregistered senders", (api) => {
    throws(() => api.buildMessage({ from: "a@example.com", to: ["b@example.com"], subject: "Hi\r\nBcc: x@evil.example" }),
      api.InvalidMessage, { kind: "invalid_message" }, "CRLF in the subject");
    throws(() => api.buildMessage({ from: "a@example.com", to: ["b@example.com"], subject: "s", senderPolicy: { domains: ["example.net"] } }),
      api.InvalidMessage, { kind: "sender_not_registered" }, "sender policy");
    const e = throws(() => api.buildMessage({ from: "a@@example.com", to: ["b@example.com"], subject: "s" }),
      api.InvalidMessage, { kind: "invalid_message" }, "bad from");
    ok(typeof e.reason === "string", "the address diagnosis is the reason");
  }],
  ["version is the workspace version", (api) => {
    ok(/^\d+\.\d+\.\d+/.test(api.version()), `version ${api.version()}`);
  }],
];

/** Runs every check; never throws. Returns `[{name, ok, error}]`. */
export async function runChecks(api) {
  const results = [];
  for (const [name, check] of checks) {
    try {
      await check(api);
      results.push({ name, ok: true, error: null });
    } catch (e) {
      results.push({ name, ok: false, error: String(e && e.stack ? e.stack : e) });
    }
  }
  return results;
}
