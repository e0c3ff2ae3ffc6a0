// getStatus / waitForStatus: the JS layer over fetch, against a real HTTP server on
// 127.0.0.1. The raw module is replaced by a small double whose request builder and
// parser are trivial, so that these tests pin down what the JS layer itself does:
// which request it sends, how HTTP failures become errors, and how it drives the
// core's poller (the real one: its rule is pinned by the status_poll vectors). The
// core's own request building and parsing are covered by the shared vectors
// (status_request, parse_status) through the driver.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import * as layer from "../pkg/lib/api.mjs";
import * as real from "../pkg/node/index.mjs";
import raw from "../pkg/node/email365_wasm.js";

const seen = [];
let script = [];
const server = http.createServer((req, res) => {
  seen.push({ url: req.url, authorization: req.headers.authorization, accept: req.headers.accept });
  const step = script.length > 1 ? script.shift() : script[0];
  res.writeHead(step.status, step.headers || { "content-type": "application/json" });
  res.end(step.body ?? "");
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${server.address().port}`;
after(() => server.close());

const double = {
  // The poller, its failures and limits are the core's.
  StatusPoller: raw.StatusPoller,
  statusFetchFailure: raw.statusFetchFailure,
  statusLimits: raw.statusLimits,
  statusRequest: (q) => {
    if (!q.accountId) throw { kind: "invalid_argument", reason: null, message: "accountId is required", position: null, transient: false, replies: [] };
    return {
      method: "GET",
      url: `${q.baseUrl}/v1/${q.accountId}/notifications/id/${q.notificationId}`,
      headers: { authorization: `Basic ${Buffer.from(`${q.username}:${q.password}`).toString("base64")}`, accept: "application/json" },
    };
  },
  parseStatus: (body) => {
    const doc = JSON.parse(body);
    if (!doc.Notification) return { found: false, notificationId: null, events: [], recipients: [], allFinal: false };
    // The double says "all final" when the response says so, to see the loop obey it.
    return {
      found: true,
      notificationId: doc.Notification.notificationId,
      events: doc.Notification.status.map((s) => ({ code: s.statusCode, text: null, channel: "email", recipient: s.recipient, timestamp: null })),
      recipients: [],
      allFinal: doc.Notification.allFinal === true,
    };
  },
  isFinal: real.isFinal,
  // The core's verdict on HTTP answers: the JS layer must only execute it.
  statusHttpError: real.statusHttpError,
};
const api = layer.createApi(double);
const query = { baseUrl: base, accountId: "acc", notificationId: "n1", username: "user", password: "pw" };
const body = (...events) => JSON.stringify({
  Notification: {
    notificationId: "n1",
    status: events.map(([recipient, statusCode]) => ({ recipient, statusCode })),
    allFinal: events.length === 3,
  },
});

function reset(steps) {
  script = steps;
  seen.length = 0;
}

test("getStatus sends the core's request and returns the parsed body", async () => {
  reset([{ status: 200, body: body(["a@example.com", "CAAS_RECEIVED"]) }]);
  const n = await api.getStatus(query);
  assert.equal(n.found, true);
  assert.deepEqual(n.events.map((e) => e.code), ["CAAS_RECEIVED"]);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].url, "/v1/acc/notifications/id/n1");
  assert.equal(seen[0].authorization, `Basic ${Buffer.from("user:pw").toString("base64")}`);
  assert.equal(seen[0].accept, "application/json");
});

test("an invalid query is refused before anything is sent", async () => {
  reset([{ status: 200, body: "{}" }]);
  await assert.rejects(api.getStatus({ ...query, accountId: "" }), (e) => e instanceof layer.InvalidArgument);
  assert.equal(seen.length, 0);
});

test("HTTP 404 is NotFoundError, 401 is AuthenticationError, neither carries the credentials", async () => {
  reset([{ status: 404, body: "no" }]);
  await assert.rejects(api.getStatus(query), (e) =>
    e instanceof layer.NotFoundError && e.kind === "not_found" && e.status === 404 && !e.transient);
  reset([{ status: 401, body: "who?" }]);
  await assert.rejects(api.getStatus(query), (e) => {
    assert.ok(e instanceof layer.AuthenticationError && e.kind === "auth" && e.reason === "unauthorized" && e.status === 401);
    assert.ok(!JSON.stringify({ ...e, message: e.message }).includes("pw"));
    assert.ok(!e.message.includes(Buffer.from("user:pw").toString("base64")));
    return true;
  });
});

test("a 503 with Retry-After is transient and carries the delay", async () => {
  reset([{ status: 503, body: "busy", headers: { "retry-after": "7" } }]);
  await assert.rejects(api.getStatus(query), (e) =>
    e instanceof layer.StatusApiError && e.transient && e.reason === "server_error" && e.retryAfterMs === 7000);
  reset([{ status: 429, body: "slow down", headers: { "retry-after": new Date(Date.now() + 60000).toUTCString() } }]);
  await assert.rejects(api.getStatus(query), (e) =>
    e instanceof layer.StatusApiError && e.reason === "too_many_requests" &&
    e.retryAfterMs > 55000 && e.retryAfterMs <= 60000 && e.message.includes("slow down"));
});

test("a refused connection is ConnectionError", async () => {
  const closed = http.createServer();
  await new Promise((r) => closed.listen(0, "127.0.0.1", r));
  const port = closed.address().port;
  await new Promise((r) => closed.close(r));
  await assert.rejects(api.getStatus({ ...query, baseUrl: `http://127.0.0.1:${port}` }), (e) =>
    e instanceof layer.ConnectionError && e.kind === "connection" && e.cause !== undefined);
});

/** A clock whose sleeps only move its own time (and are recorded). */
function fakeClock() {
  const clock = { t: 0, slept: [], now: () => clock.t, sleep: async (ms) => { clock.slept.push(ms); clock.t += ms; } };
  return clock;
}
const core = (...events) => JSON.stringify({
  Notification: { notificationId: "n1", status: events.map(([r, statusCode]) => ({ recipient: `email:${r}`, statusCode })) },
});

test("waitForStatus drives the core's poller until the state is final", async () => {
  reset([
    { status: 200, body: "{}" },
    { status: 503, body: "busy", headers: { "retry-after": "0" } },
    { status: 200, body: core(["a@example.com", "CAAS_RECEIVED"], ["b@example.com", "CH_SENT"]) },
    { status: 200, body: core(["a@example.com", "CAAS_RECEIVED"], ["b@example.com", "CH_SENT"], ["a@example.com", "CH_SENT"]) },
  ]);
  const updates = [];
  const clock = fakeClock();
  const n = await api.waitForStatus({ ...query, clock, onUpdate: (u) => updates.push(u.events.length) });
  assert.equal(n.allFinal, true);
  assert.equal(seen.length, 4);
  assert.deepEqual(updates, [0, 2, 3]);
  // The plan: 1 s, then 2 s (Retry-After 0 is no shorter), then 4 s.
  assert.deepEqual(clock.slept, [1000, 2000, 4000]);
});

test("waitForStatus makes a last poll at the deadline, then gives up with deadline_exceeded", async () => {
  reset([{ status: 200, body: core(["a@example.com", "CAAS_SENT"]) }]);
  const clock = fakeClock();
  await assert.rejects(api.waitForStatus({ ...query, clock, timeoutMs: 10000 }), (e) =>
    e instanceof layer.TimeoutError && e.reason === "deadline_exceeded" && e.transient &&
    e.notification.events[0].code === "CAAS_SENT" && e.status === 200);
  assert.deepEqual(clock.slept, [1000, 2000, 4000, 3000]);
  assert.equal(seen.length, 5);
});

test("waitForStatus retries a single network failure instead of ending the wait", async () => {
  let first = true;
  const flaky = http.createServer((req, res) => {
    if (first) {
      first = false;
      req.socket.destroy();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(core(["a@example.com", "CH_SENT"]));
  });
  await new Promise((r) => flaky.listen(0, "127.0.0.1", r));
  try {
    const clock = fakeClock();
    const n = await api.waitForStatus({ ...query, baseUrl: `http://127.0.0.1:${flaky.address().port}`, clock });
    assert.equal(n.allFinal, true);
    assert.deepEqual(clock.slept, [1000]);
  } finally {
    flaky.close();
  }
});

test("waitForStatus waits for one recipient when given", async () => {
  reset([{ status: 200, body: core(["a@example.com", "CH_BOUNCED"], ["b@example.com", "CAAS_SENT"]) }]);
  const n = await api.waitForStatus({ ...query, recipient: "a@example.com", clock: fakeClock() });
  assert.equal(n.recipients[0].latest.code, "CH_BOUNCED");
  assert.equal(n.allFinal, false);
});

test("waitForStatus stops when its signal is aborted", async () => {
  reset([{ status: 200, body: "{}" }]);
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error("stop")), 30);
  await assert.rejects(api.waitForStatus({ ...query, signal: controller.signal }), /stop/);
  // Let a request that was in flight at the abort reach the server before the next test.
  await new Promise((r) => setTimeout(r, 100));
});

test("a permanent HTTP failure ends waitForStatus at once", async () => {
  reset([{ status: 403, body: "forbidden" }]);
  await assert.rejects(api.waitForStatus({ ...query, clock: fakeClock() }), (e) =>
    e instanceof layer.AuthenticationError && e.reason === "forbidden" && e.status === 403);
  assert.equal(seen.length, 1);
});

test("getStatus without any fetch is a TypeError", async () => {
  await assert.rejects(api.getStatus({ ...query, fetch: null }), TypeError);
});
