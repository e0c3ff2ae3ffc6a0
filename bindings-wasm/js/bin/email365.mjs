#!/usr/bin/env node
// The package's `email365` command: `send` and `status` as in every binding (docs/CLI.md),
// run by the core compiled into the Node module (`runCommand`). This file is the host the
// core asks for what it cannot do in wasm: read a file or an environment variable, open a
// socket (NodeSocketIo, Node's net and tls), make one HTTP GET (node:http / node:https,
// `--ca` added to Node's roots), tell the time and wait. Flags, checks, JSON lines and
// exit codes are the core's.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import tls from "node:tls";

const require = createRequire(import.meta.url);
const wasm = require("../node/email365_wasm.js");
const { NodeSocketIo } = require("../lib/node_io.cjs");

/** One GET within `timeoutMs`: `{status, retryAfter, body}` or `{failure, detail}`. */
function get(url, authorization, accept, timeoutMs, maxBody, ca) {
  return new Promise((resolve) => {
    let done = false;
    let timer;
    const finish = (value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(value);
    };
    let target;
    try {
      target = new URL(url);
    } catch (e) {
      finish({ failure: "network", detail: String(e && e.message ? e.message : e) });
      return;
    }
    const secure = target.protocol === "https:";
    const options = {
      method: "GET",
      agent: false,
      headers: { Authorization: authorization, Accept: accept, "User-Agent": `email365/${wasm.version()}` },
      ...(secure ? { minVersion: "TLSv1.2", rejectUnauthorized: true } : {}),
      ...(secure && ca ? { ca: [...tls.rootCertificates, Buffer.from(ca).toString("latin1")] } : {}),
    };
    const failed = (e) => finish({ failure: "network", detail: String(e && e.message ? e.message : e) });
    let request;
    const onResponse = (response) => {
      const chunks = [];
      let size = 0;
      response.on("data", (chunk) => {
        size += chunk.length;
        if (size > maxBody) {
          request.destroy();
          finish({ failure: "body_too_large", detail: `more than ${maxBody} bytes` });
          return;
        }
        chunks.push(chunk);
      });
      response.on("end", () => {
        const retryAfter = response.headers["retry-after"];
        finish({
          status: response.statusCode,
          retryAfter: typeof retryAfter === "string" ? retryAfter : null,
          body: new Uint8Array(Buffer.concat(chunks)),
        });
      });
      response.on("error", failed);
    };
    try {
      request = (secure ? https : http).request(target, options, onResponse);
    } catch (e) {
      failed(e);
      return;
    }
    timer = setTimeout(() => {
      request.destroy();
      finish({ failure: "timeout", detail: `no answer within ${Math.round(timeoutMs)} ms` });
    }, Math.max(1, Math.ceil(timeoutMs)));
    request.on("error", failed);
    request.end();
  });
}

const host = {
  readFile(path) {
    // A failure throws Node's error as it is: the core words it (file_error_text).
    return new Uint8Array(readFileSync(path));
  },
  env(name) {
    const value = process.env[name];
    return typeof value === "string" ? value : undefined;
  },
  socketIo(ca) {
    return new NodeSocketIo(ca ? [Buffer.from(ca)] : null);
  },
  now: () => performance.now(),
  wallNow: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  get,
};

try {
  const { exitCode, output } = await wasm.runCommand(process.argv.slice(2), host);
  process.stdout.write(output);
  process.exitCode = exitCode;
} catch (e) {
  // Not a failure of the command (those are its error line): the module itself failed.
  const message = `the command failed inside the module: ${e && e.message ? e.message : e}`;
  process.stdout.write(JSON.stringify({ error: {
    kind: "internal", reason: null, message, transient: false, reply: null, replies: [],
  } }) + "\n");
  process.exitCode = 1;
}
