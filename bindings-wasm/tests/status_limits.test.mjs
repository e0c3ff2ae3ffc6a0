// The JS status client's limits against hostile servers on 127.0.0.1, with the real
// package: redirects are not followed (the credentials stay with the status API), a
// server that never answers or drips its body is cut off by the per-request time limit,
// and a body past the size cap is refused without reading it all.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import * as email365 from "../pkg/node/index.mjs";

const servers = [];
async function serve(handler) {
  const server = http.createServer(handler);
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  servers.push(server);
  return `http://127.0.0.1:${server.address().port}`;
}
after(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

const query = (baseUrl) => ({ baseUrl, accountId: "acc", notificationId: "n1", username: "user", password: "s3cret-pw" });
const token = Buffer.from("user:s3cret-pw").toString("base64");
const fakeClock = () => {
  const clock = { t: 0, slept: [], now: () => clock.t, sleep: async (ms) => { clock.slept.push(ms); clock.t += ms; } };
  return clock;
};

test("a redirect to another host is not followed, so the credentials never reach it", async () => {
  const thief = [];
  const elsewhere = await serve((req, res) => {
    thief.push(req.headers.authorization ?? null);
    res.end("{}");
  });
  for (const status of [301, 302, 307, 308]) {
    const base = await serve((req, res) => {
      res.writeHead(status, { location: `${elsewhere}/steal` });
      res.end();
    });
    await assert.rejects(email365.getStatus(query(base)), (e) =>
      e instanceof email365.StatusApiError && e.reason === "redirect" && !e.transient && e.status === status);
    // The wait ends at once: a redirect is permanent, as in the native client.
    await assert.rejects(email365.waitForStatus({ ...query(base), clock: fakeClock() }), (e) =>
      e.reason === "redirect" && !JSON.stringify({ ...e, message: e.message }).includes(token));
  }
  assert.deepEqual(thief, []);
});

test("a server that never answers is cut off by the per-request time limit", async () => {
  const base = await serve(() => {}); // reads the request, never answers
  const started = Date.now();
  await assert.rejects(email365.getStatus({ ...query(base), requestTimeoutMs: 300 }), (e) =>
    e instanceof email365.TimeoutError && e.reason === "request_timeout" && e.transient);
  assert.ok(Date.now() - started < 300 + 1000, `${Date.now() - started} ms`);
});

test("a body dripped a byte at a time is cut off by the per-request time limit", async () => {
  const base = await serve((req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write("{");
    const drip = setInterval(() => res.write(" "), 50);
    res.on("close", () => clearInterval(drip));
  });
  const started = Date.now();
  await assert.rejects(email365.getStatus({ ...query(base), requestTimeoutMs: 400 }), (e) =>
    e instanceof email365.TimeoutError && e.reason === "request_timeout");
  assert.ok(Date.now() - started < 400 + 1000, `${Date.now() - started} ms`);
});

test("waitForStatus retries a request that timed out, then gives up at the deadline", async () => {
  let requests = 0;
  const base = await serve(() => {
    requests += 1;
  });
  const clock = fakeClock();
  await assert.rejects(email365.waitForStatus({ ...query(base), requestTimeoutMs: 100, timeoutMs: 2000, clock }), (e) =>
    e instanceof email365.TimeoutError && e.reason === "deadline_exceeded");
  // Fake time moves only by sleeps: 1 s, then 1 s to the deadline, then a last poll.
  assert.deepEqual(clock.slept, [1000, 1000]);
  assert.equal(requests, 3);
});

test("an endless body is refused past the size cap without reading it all", async () => {
  let sent = 0;
  const endless = await serve((req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const pump = () => {
      while (!res.destroyed && sent < 1024 * 1024 * 1024) {
        sent += chunk.length;
        if (!res.write(chunk)) return res.once("drain", pump);
      }
    };
    pump();
  });
  await assert.rejects(email365.getStatus({ ...query(endless), maxBodyBytes: 100000 }), (e) =>
    e instanceof email365.InvalidStatusResponse && e.reason === "body_too_large" && !e.transient);
  assert.ok(sent < 64 * 1024 * 1024, `${sent} bytes were sent`);
});

test("a declared length over the size cap is refused before the body is read", async () => {
  const big = await serve((req, res) => {
    res.writeHead(200, { "content-type": "application/json", "content-length": String(20 * 1024 * 1024) });
    res.write("{");
  });
  await assert.rejects(email365.getStatus(query(big)), (e) => e.reason === "body_too_large");
  const fits = await serve((req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
  assert.equal((await email365.getStatus({ ...query(fits), maxBodyBytes: 2 })).found, false);
});

test("limits must be positive numbers", async () => {
  for (const bad of [0, -1, "5", Number.NaN]) {
    await assert.rejects(email365.getStatus({ ...query("http://127.0.0.1:1"), requestTimeoutMs: bad }), TypeError);
    await assert.rejects(email365.getStatus({ ...query("http://127.0.0.1:1"), maxBodyBytes: bad }), TypeError);
  }
});
