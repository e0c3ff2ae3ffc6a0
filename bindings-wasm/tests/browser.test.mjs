// The real-browser test: Debian's chromium, headless, driven by playwright-core, loads a
// page served from 127.0.0.1 that imports the `web` build and runs the shared checks
// (tests/shared/checks.mjs); the results come back to this test, one subtest each.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, normalize, extname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { checks } from "./shared/checks.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const types = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };

let server;
let browser;
let userDataDir;
let results;
const requests = [];

before(async () => {
  server = http.createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    requests.push(path);
    if (path.startsWith("/v1/")) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
      return;
    }
    const file = normalize(join(root, path));
    const allowed = [join(root, "pkg"), join(root, "tests")];
    if (!allowed.some((dir) => file.startsWith(dir + "/")) || !existsSync(file)) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { "content-type": types[extname(file)] || "application/octet-stream" });
    res.end(readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  userDataDir = mkdtempSync(join(tmpdir(), "email365-chromium-"));
  // A fresh, empty profile (playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  const page = await browser.newPage();
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  await page.goto(`http://127.0.0.1:${server.address().port}/tests/browser/index.html`);
  results = await page.evaluate(() => window.__email365Results);
  results.pageErrors = pageErrors;
  results.userAgent = await page.evaluate(() => navigator.userAgent);
  results.shown = await page.textContent("#out");
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

test("the page ran in Chromium, loaded the web build's .wasm and reported every check", () => {
  assert.match(results.userAgent, /Chrome\//);
  assert.ok(requests.includes("/pkg/web/email365_wasm_bg.wasm"), "the module was fetched");
  assert.deepEqual(results.pageErrors, []);
  assert.deepEqual(results.slice(0, checks.length).map((r) => r.name), checks.map(([name]) => name));
  assert.equal(results.length, checks.length + 1);
  assert.ok(results.shown.split("\n").length === results.length, "the page shows the results");
});

for (const [index, [name]] of checks.entries()) {
  test(`browser: ${name}`, () => {
    const r = results[index];
    assert.ok(r.ok, r.error);
  });
}

test("browser: getStatus over the browser's fetch", () => {
  const r = results[checks.length];
  assert.ok(r.ok, r.error);
});
