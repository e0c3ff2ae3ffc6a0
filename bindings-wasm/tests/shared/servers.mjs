// Servers the transport tests send through, each a process started on a free loopback
// port: aiosmtpd (tests/interop/aiosmtpd_server.py), Postfix (tests/interop/postfix_server.py),
// Exim (tests/interop/exim_server.py) and the sandbox (tests/sandbox). Python is the project's `.venv/bin/python`, as in the
// Makefile; the test CA comes from the scenario server's `make_test_ca` (openssl).
import { execFileSync, spawn } from "node:child_process";
import { after, before } from "node:test";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const PY = join(ROOT, ".venv/bin/python");

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A test CA and a certificate for 127.0.0.1 / localhost: {dir, ca, cert, key} (paths). */
export function testCa() {
  const dir = mkdtempSync(join(tmpdir(), "email365-node-"));
  const out = execFileSync(PY, ["-c",
    "import sys; sys.path.insert(0, sys.argv[1]); from smtp_server import make_test_ca; print('\\n'.join(make_test_ca(sys.argv[2])))",
    join(ROOT, "tests/conformance"), dir], { encoding: "utf8" });
  const [ca, cert, key] = out.trim().split("\n");
  return { dir, ca, cert, key, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A child process whose stdout is read a line at a time. */
class LineProcess {
  constructor(command, args) {
    this.proc = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
    this.lines = createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }

  async line() {
    const { value, done } = await this.lines.next();
    if (done) throw new Error("the server ended before printing its line");
    return value;
  }

  async stop() {
    this.proc.stdin.end();
    await new Promise((resolve) => {
      if (this.proc.exitCode !== null) resolve();
      else this.proc.once("exit", resolve);
    });
  }
}

/** aiosmtpd with STARTTLS required and AUTH for `user`/`password`; prints one JSON line a message. */
export async function startAiosmtpd(tls, user, password) {
  const port = await freePort();
  const server = new LineProcess(PY, [join(ROOT, "tests/interop/aiosmtpd_server.py"), "--port", String(port),
    "--cert", tls.cert, "--key", tls.key, "--user", user, "--password", password]);
  const ready = await server.line();
  if (!ready.startsWith("READY")) throw new Error(`aiosmtpd: ${ready}`);
  server.port = port;
  return server;
}

/**
 * aiosmtpd (startAiosmtpd) with a fresh test CA for the tests of the calling file: started
 * before them, stopped after them. The returned object's `server` and `tls` are set once
 * they run.
 */
export function useAiosmtpd(user, password) {
  const fixture = { server: undefined, tls: undefined };
  before(async () => {
    fixture.tls = testCa();
    fixture.server = await startAiosmtpd(fixture.tls, user, password);
  });
  after(async () => {
    await fixture.server?.stop();
    fixture.tls?.remove();
  });
  return fixture;
}

/**
 * The harness tests/interop/`name`_server.py, once its `--check` passes: `info` is its JSON
 * start line ({port, username, password, ca_file, …}); `ask(command)` sends one command
 * line and gives the JSON answer.
 */
async function startHarness(name) {
  const harness = join(ROOT, `tests/interop/${name}_server.py`);
  execFileSync(PY, [harness, "--check"], { stdio: ["ignore", "ignore", "pipe"] });
  const server = new LineProcess(PY, [harness]);
  server.info = JSON.parse(await server.line());
  server.ask = async (command) => {
    server.proc.stdin.write(`${command}\n`);
    return JSON.parse(await server.line());
  };
  return server;
}

/** Postfix with STARTTLS and AUTH (see startHarness). */
export async function startPostfix() {
  const server = await startHarness("postfix");
  /** The copies Postfix delivered of `queueId`. */
  server.deliveries = async (queueId, count) => (await server.ask(`deliveries ${queueId} ${count}`)).deliveries;
  return server;
}

/** Exim with STARTTLS and AUTH (see startHarness). */
export async function startExim() {
  const server = await startHarness("exim");
  /** What Exim's spool holds for `id`: {headers, body} (strings), or throws. */
  server.stored = async (id) => {
    const answer = await server.ask(`stored ${id}`);
    if (answer.error) throw new Error(answer.error);
    const text = (b64) => Buffer.from(b64, "base64").toString("utf8");
    return { headers: text(answer.headers_b64), body: text(answer.body_b64) };
  };
  return server;
}

/** The sandbox (release build, built by cargo first): `info` is its JSON start line. */
export async function startSandbox() {
  execFileSync("cargo", ["build", "-q", "--release", "-p", "email365-sandbox"], { cwd: ROOT, stdio: "inherit" });
  const server = new LineProcess(join(ROOT, "target/release/email365-sandbox"), ["--smtp-port", "0",
    "--http-port", "0", "--step-ms", "0", "--sender-domain", "example.com", "--exit-on-stdin-eof"]);
  server.info = JSON.parse(await server.line());
  return server;
}
