//! The `send` / `status` command of the Node module (feature `command`, Node only):
//! `runCommand(argv, host)` runs the core's commands (`email365::cli::run_host`) with
//! the JavaScript host of `js/bin/email365.mjs` — its files and environment, a socket
//! adapter (`NodeSocketIo`) under the core's SMTP session, one HTTP GET under the core's
//! status poller. The flags, the checks, the JSON lines and the exit codes are the
//! core's, as in every other binding; this file converts calls and values.

use crate::smtp::{JsIo, SocketIo};
use email365::cli::{file_error_text, AsyncCommandHost, CommandHost, HttpGet, HttpGot};
use email365::smtp::SmtpOptions;
use email365::status::FetchFailure;
use js_sys::{Promise, Uint8Array};
use std::time::Duration;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

#[wasm_bindgen]
extern "C" {
    /// The command's host (`js/bin/email365.mjs`).
    pub type CommandHostJs;
    /// The bytes of a file; throws Node's error (`code`, `errno`, `message`).
    #[wasm_bindgen(method, catch, js_name = readFile)]
    fn read_file(this: &CommandHostJs, path: &str) -> Result<Uint8Array, JsValue>;
    /// An environment variable, or `undefined`.
    #[wasm_bindgen(method)]
    fn env(this: &CommandHostJs, name: &str) -> Option<String>;
    /// A socket adapter trusting the extra CA certificates `ca` (PEM) beside Node's.
    #[wasm_bindgen(method, js_name = socketIo)]
    fn socket_io(this: &CommandHostJs, ca: Option<Uint8Array>) -> SocketIo;
    /// Monotonic milliseconds.
    #[wasm_bindgen(method)]
    fn now(this: &CommandHostJs) -> f64;
    /// Milliseconds since the Unix epoch.
    #[wasm_bindgen(method, js_name = wallNow)]
    fn wall_now(this: &CommandHostJs) -> f64;
    /// Resolves after `ms` milliseconds.
    #[wasm_bindgen(method)]
    fn sleep(this: &CommandHostJs, ms: f64) -> Promise;
    /// One GET: resolves with `{status, retryAfter, body}` or `{failure, detail}`.
    #[wasm_bindgen(method)]
    fn get(
        this: &CommandHostJs,
        url: &str,
        authorization: &str,
        accept: &str,
        timeout_ms: f64,
        max_body: f64,
        ca: Option<Uint8Array>,
    ) -> Promise;
}

/// A string property of a JS object.
fn text(value: &JsValue, key: &str) -> Option<String> {
    js_sys::Reflect::get(value, &JsValue::from_str(key))
        .ok()
        .and_then(|v| v.as_string())
}

/// What a rejected or thrown host call said.
fn said(value: &JsValue) -> String {
    value
        .as_string()
        .or_else(|| text(value, "message"))
        .unwrap_or_else(|| "the host call failed".to_string())
}

struct Host(CommandHostJs);

impl CommandHost for Host {
    fn read_file(&self, path: &str) -> Result<Vec<u8>, String> {
        self.0
            .read_file(path)
            .map(|bytes| bytes.to_vec())
            .map_err(|e| {
                let errno = js_sys::Reflect::get(&e, &JsValue::from_str("errno"))
                    .ok()
                    .and_then(|v| v.as_f64());
                text(&e, "code")
                    .zip(errno)
                    .and_then(|(code, errno)| file_error_text(&code, errno as i32))
                    .unwrap_or_else(|| said(&e))
            })
    }

    fn env_var(&self, name: &str) -> Option<String> {
        self.0.env(name)
    }
}

impl AsyncCommandHost for Host {
    type Io = JsIo;

    fn smtp_io(&self, options: &SmtpOptions) -> JsIo {
        let ca = options.trust.extra_ca_pem.as_deref().map(Uint8Array::from);
        JsIo::new(self.0.socket_io(ca))
    }

    fn now(&self) -> Duration {
        Duration::try_from_secs_f64(self.0.now() / 1000.0).unwrap_or_default()
    }

    fn since_epoch(&self) -> Duration {
        Duration::try_from_secs_f64(self.0.wall_now() / 1000.0).unwrap_or_default()
    }

    async fn sleep(&self, duration: Duration) {
        let _ = JsFuture::from(self.0.sleep(duration.as_secs_f64() * 1000.0)).await;
    }

    async fn get(&self, request: &HttpGet<'_>) -> Result<HttpGot, (FetchFailure, String)> {
        let promise = self.0.get(
            request.url,
            request.authorization,
            request.accept,
            request.timeout.as_secs_f64() * 1000.0,
            request.max_body as f64,
            request.extra_ca_pem.map(Uint8Array::from),
        );
        let got = JsFuture::from(promise)
            .await
            .map_err(|e| (FetchFailure::Network, said(&e)))?;
        if let Some(name) = text(&got, "failure") {
            let failure = FetchFailure::from_name(&name).unwrap_or(FetchFailure::Network);
            return Err((failure, text(&got, "detail").unwrap_or_default()));
        }
        let field = |key: &str| js_sys::Reflect::get(&got, &JsValue::from_str(key));
        let status = field("status")
            .ok()
            .and_then(|v| v.as_f64())
            .filter(|s| (100.0..=999.0).contains(s))
            .ok_or((
                FetchFailure::Network,
                "the host gave no HTTP status".to_string(),
            ))?;
        let body = field("body")
            .ok()
            .filter(|b| b.is_instance_of::<Uint8Array>())
            .map(|b| Uint8Array::from(b).to_vec())
            .unwrap_or_default();
        Ok(HttpGot {
            status: status as u16,
            retry_after: text(&got, "retryAfter"),
            body,
        })
    }
}

/// Runs `send …` or `status …` (`argv` without the program name) with `host`;
/// resolves with `{exitCode, output}`, `output` being the JSON lines (each ending in a
/// newline) as every binding's command prints them. Never rejects for a failure of the
/// command: that is its error line and exit code.
#[wasm_bindgen(js_name = runCommand, skip_typescript)]
pub fn run_command(argv: Vec<String>, host: CommandHostJs) -> Promise {
    future_to_promise(async move {
        let host = Host(host);
        let mut out = Vec::new();
        let code = email365::cli::run_host(&host, argv, &mut out).await;
        let result = js_sys::Object::new();
        js_sys::Reflect::set(
            &result,
            &JsValue::from_str("exitCode"),
            &JsValue::from(code),
        )?;
        js_sys::Reflect::set(
            &result,
            &JsValue::from_str("output"),
            &JsValue::from_str(&String::from_utf8_lossy(&out)),
        )?;
        Ok(result.into())
    })
}
