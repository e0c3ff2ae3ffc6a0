//! The SMTP transport for Node (feature `transport`, only in the Node module): the core's
//! generic [`Session`] over [`JsIo`], whose every method calls the JavaScript socket
//! adapter (`js/node_io.cjs`, Node's `net` and `tls`) and awaits its promise. The session
//! owns every rule (greeting, STARTTLS, AUTH, pipelining, batches, resends, the deadline of
//! each step, the sender policy); this file converts options, messages, results and
//! errors, and maps the adapter's failures onto the core's I/O outcomes.

use crate::message::{self, MessageInput, SenderPolicyInput};
use email365::error::ErrorReply;
use email365::message::{read_message, BuiltMessage, Envelope};
use email365::names::{self, WireName};
use email365::policy::SenderPolicy;
use email365::smtp::session::{IoFailure, Outgoing, Session, SmtpIo};
use email365::smtp::{AuthMechanism, Delivery, Direction, MessageNeeds, SmtpOptions, TlsMode};
use email365::{Error, ErrorKind};
use js_sys::{Promise, Uint8Array};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::net::IpAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use tsify_next::Tsify;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use zeroize::Zeroize;

#[wasm_bindgen]
extern "C" {
    /// The socket adapter (`NodeSocketIo` of `js/node_io.cjs`).
    pub type SocketIo;
    #[wasm_bindgen(method)]
    fn now(this: &SocketIo) -> f64;
    #[wasm_bindgen(method)]
    fn connect(this: &SocketIo, host: &str, port: u16, timeout_ms: f64) -> Promise;
    #[wasm_bindgen(method, js_name = startTls)]
    fn start_tls(this: &SocketIo, server_name: &str, timeout_ms: f64) -> Promise;
    #[wasm_bindgen(method)]
    fn write(this: &SocketIo, bytes: &[u8], timeout_ms: f64) -> Promise;
    #[wasm_bindgen(method)]
    fn read(this: &SocketIo, timeout_ms: f64) -> Promise;
    #[wasm_bindgen(method)]
    fn pending(this: &SocketIo) -> f64;
    #[wasm_bindgen(method)]
    fn close(this: &SocketIo);
}

/// Milliseconds for the adapter's timers.
fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// What the adapter rejected with: `(failure, message)`.
fn failure_of(value: &JsValue) -> (String, String) {
    let get = |key: &str| {
        js_sys::Reflect::get(value, &JsValue::from_str(key))
            .ok()
            .and_then(|v| v.as_string())
    };
    match get("failure") {
        Some(f) => (f, get("message").unwrap_or_default()),
        None => (
            "io".to_string(),
            value
                .as_string()
                .or_else(|| get("message"))
                .unwrap_or_else(|| "the socket adapter failed".to_string()),
        ),
    }
}

/// A read or write failure of the adapter as the session sees it.
fn io_failure(value: &JsValue) -> IoFailure {
    match failure_of(value) {
        (f, m) if f == "timeout" => IoFailure::TimedOut(m),
        (_, m) => IoFailure::Lost(m),
    }
}

/// The session's I/O over the JavaScript socket adapter. Bytes the adapter handed over
/// beyond the session's read buffer wait in `rest`.
pub struct JsIo {
    js: SocketIo,
    rest: Vec<u8>,
    at: usize,
}

impl JsIo {
    /// The I/O over the socket adapter `js`.
    pub fn new(js: SocketIo) -> JsIo {
        JsIo {
            js,
            rest: Vec::new(),
            at: 0,
        }
    }

    fn forget_rest(&mut self) {
        self.rest.clear();
        self.at = 0;
    }
}

impl SmtpIo for JsIo {
    fn now(&self) -> Duration {
        Duration::try_from_secs_f64(self.js.now() / 1000.0).unwrap_or_default()
    }

    async fn connect(
        &mut self,
        host: &str,
        port: u16,
        loopback_only: bool,
        timeout: Duration,
    ) -> email365::Result<Option<IpAddr>> {
        self.forget_rest();
        let addresses = JsFuture::from(self.js.connect(host, port, millis(timeout)))
            .await
            .map_err(|e| match failure_of(&e) {
                (f, m) if f == "timeout" => {
                    Error::new(ErrorKind::Timeout, m).with_reason("connect")
                }
                (f, m) if f == "resolve" => {
                    Error::new(ErrorKind::Connection, m).with_reason("resolve")
                }
                (_, m) => Error::new(ErrorKind::Connection, m).with_reason("connect"),
            })?;
        let address = |key: &str| {
            js_sys::Reflect::get(&addresses, &JsValue::from_str(key))
                .ok()
                .and_then(|v| v.as_string())
                .and_then(|s| s.parse::<IpAddr>().ok())
        };
        if loopback_only {
            let remote = address("remote");
            if let Err(e) = email365::smtp::check_plaintext_peer(host, remote) {
                self.close();
                return Err(e);
            }
        }
        Ok(address("local"))
    }

    async fn start_tls(&mut self, server_name: &str, timeout: Duration) -> email365::Result<()> {
        if self.at < self.rest.len() || self.js.pending() > 0.0 {
            // Bytes that came after the reply to STARTTLS, before the handshake.
            return Err(email365::smtp::engine::data_after_starttls());
        }
        JsFuture::from(self.js.start_tls(server_name, millis(timeout)))
            .await
            .map(|_| ())
            .map_err(|e| match failure_of(&e) {
                (f, m) if f == "timeout" => {
                    Error::new(ErrorKind::Timeout, m).with_reason("tls_handshake")
                }
                (f, m) if f == "certificate" => {
                    Error::new(ErrorKind::Tls, m).with_reason("certificate")
                }
                (f, m) if f == "tls" => Error::new(ErrorKind::Tls, m).with_reason("handshake"),
                (_, m) => Error::new(ErrorKind::Connection, m).with_reason("connection_lost"),
            })
    }

    async fn write_all(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), IoFailure> {
        JsFuture::from(self.js.write(bytes, millis(timeout)))
            .await
            .map(|_| ())
            .map_err(|e| io_failure(&e))
    }

    async fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, IoFailure> {
        if self.at < self.rest.len() {
            let n = buf.len().min(self.rest.len() - self.at);
            buf[..n].copy_from_slice(&self.rest[self.at..self.at + n]);
            self.at += n;
            if self.at == self.rest.len() {
                self.forget_rest();
            }
            return Ok(n);
        }
        let chunk = JsFuture::from(self.js.read(millis(timeout)))
            .await
            .map_err(|e| io_failure(&e))?;
        let chunk = Uint8Array::new(&chunk);
        let len = chunk.length() as usize;
        if len <= buf.len() {
            chunk.copy_to(&mut buf[..len]);
            return Ok(len);
        }
        self.rest = chunk.to_vec();
        let n = buf.len();
        buf.copy_from_slice(&self.rest[..n]);
        self.at = n;
        Ok(n)
    }

    fn close(&mut self) {
        self.forget_rest();
        self.js.close();
    }
}

/// AUTH credentials (sent only over TLS). The password is wiped once read.
#[derive(Deserialize, Tsify)]
pub struct AuthInput {
    /// The user name.
    pub user: String,
    /// The password.
    pub pass: String,
    /// `"plain"` (default) or `"login"`.
    #[tsify(optional)]
    #[serde(default)]
    pub method: Option<String>,
}

/// The time limit of each step, in milliseconds (absent: the core's defaults).
#[derive(Deserialize, Tsify, Default)]
#[serde(rename_all = "camelCase")]
pub struct TimeoutsInput {
    /// Resolution and TCP connect (default 30 s).
    #[tsify(optional)]
    #[serde(default)]
    pub connect: Option<f64>,
    /// The greeting, and each TLS handshake (default 60 s).
    #[tsify(optional)]
    #[serde(default)]
    pub greeting: Option<f64>,
    /// Writing each command and reading its reply (default 300 s).
    #[tsify(optional)]
    #[serde(default)]
    pub command: Option<f64>,
    /// Writing the message data (default 180 s).
    #[tsify(optional)]
    #[serde(default)]
    pub data_write: Option<f64>,
    /// The final reply to the data (default 600 s).
    #[tsify(optional)]
    #[serde(default)]
    pub data_end: Option<f64>,
}

/// The options of `createTransport` that the core reads (`ca` and `pool` are the JS
/// layer's: the roots go to Node's TLS, the pool is a number of sessions).
#[derive(Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct TransportOptions {
    /// Host name or IP address of the submission server.
    pub host: String,
    /// Port (default 25).
    #[tsify(optional)]
    #[serde(default)]
    pub port: Option<f64>,
    /// `true`: TLS from the first byte (port 465), as `tls: "implicit"`.
    #[tsify(optional)]
    #[serde(default)]
    pub secure: Option<bool>,
    /// `"starttls"` (default: STARTTLS required), `"implicit"` or `"insecure_plaintext"`
    /// (loopback hosts only, never with `auth`).
    #[tsify(optional)]
    #[serde(default)]
    pub tls: Option<String>,
    /// The name checked against the server's certificate (default: `host`).
    #[tsify(optional)]
    #[serde(default)]
    pub server_name: Option<String>,
    /// The EHLO name (default: the local address as an address literal).
    #[tsify(optional)]
    #[serde(default)]
    pub ehlo_name: Option<String>,
    /// Credentials for AUTH.
    #[tsify(optional)]
    #[serde(default)]
    pub auth: Option<AuthInput>,
    /// Every step's time limit in ms, or per step.
    #[tsify(optional)]
    #[serde(default)]
    pub timeout: Option<f64>,
    /// Per-step time limits in ms (over `timeout`).
    #[tsify(optional)]
    #[serde(default)]
    pub timeouts: Option<TimeoutsInput>,
    /// Whole transactions `sendMany` keeps in flight (default 16).
    #[tsify(optional)]
    #[serde(default)]
    pub window: Option<f64>,
    /// Use PIPELINING when offered (default true).
    #[tsify(optional)]
    #[serde(default)]
    pub pipelining: Option<bool>,
    /// Use BDAT when CHUNKING is offered (default true).
    #[tsify(optional)]
    #[serde(default)]
    pub chunking: Option<bool>,
    /// The account's registered senders: a MAIL FROM outside them is refused before
    /// anything is sent.
    #[tsify(optional)]
    #[serde(default)]
    pub sender_policy: Option<SenderPolicyInput>,
}

fn step(what: &str, ms: Option<f64>, into: &mut Duration) -> email365::Result<()> {
    if let Some(ms) = ms {
        *into = names::seconds(what, ms / 1000.0, true)?;
    }
    Ok(())
}

/// The core's options from the JS ones, checked as the native clients check theirs.
fn smtp_options(mut input: TransportOptions) -> email365::Result<SmtpOptions> {
    let mut tls = match &input.tls {
        Some(name) => TlsMode::from_wire(name)?,
        None => TlsMode::StartTls,
    };
    if input.secure == Some(true) {
        if input.tls.is_some() && tls != TlsMode::Implicit {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "secure: true means implicit TLS, but tls names another mode",
            )
            .with_reason("conflicting_tls"));
        }
        tls = TlsMode::Implicit;
    }
    let port = match input.port {
        Some(p) => names::port("port", names::count("port", p, 0)?)?,
        None => email365::smtp::DEFAULT_PORT,
    };
    let mut options = SmtpOptions::new(input.host.clone()).port(port).tls(tls);
    if let Some(mut auth) = input.auth.take() {
        options = options.credentials(&auth.user, &auth.pass);
        auth.pass.zeroize();
        if let Some(m) = &auth.method {
            options.auth_mechanism = AuthMechanism::from_wire(m)?;
        }
    }
    let t = &mut options.timeouts;
    if let Some(all) = input.timeout {
        let mut d = Duration::ZERO;
        step("timeout", Some(all), &mut d)?;
        (t.connect, t.greeting, t.command, t.data_write, t.data_end) = (d, d, d, d, d);
    }
    if let Some(per) = &input.timeouts {
        step("timeouts.connect", per.connect, &mut t.connect)?;
        step("timeouts.greeting", per.greeting, &mut t.greeting)?;
        step("timeouts.command", per.command, &mut t.command)?;
        step("timeouts.dataWrite", per.data_write, &mut t.data_write)?;
        step("timeouts.dataEnd", per.data_end, &mut t.data_end)?;
    }
    options.server_name = input.server_name.take();
    options.ehlo_name = input.ehlo_name.take();
    if let Some(w) = input.window {
        options.window = names::count("window", w, 1)? as usize;
    }
    if let Some(p) = input.pipelining {
        options.pipelining = p;
    }
    if let Some(c) = input.chunking {
        options.chunking = c;
    }
    if let Some(p) = &input.sender_policy {
        options.sender_policy = Some(SenderPolicy::new(&p.domains, &p.addresses)?);
    }
    email365::smtp::check_options(&options)?;
    Ok(options)
}

thread_local! {
    /// The transcript functions of the live sessions, by session number: the core's
    /// hook must be `Send + Sync`, a JavaScript function is neither, so the hook holds
    /// the number and finds the function here (the module runs on one thread).
    static TRANSCRIPTS: RefCell<HashMap<u64, js_sys::Function>> = RefCell::new(HashMap::new());
    static NEXT_TRANSCRIPT: Cell<u64> = const { Cell::new(0) };
}

/// Registers `f` and returns the core hook that calls it as `f(tnx, line)`, `tnx` being
/// `"client"` (sent) or `"server"` (received) as in nodemailer's logs; `line` is the
/// core's transcript line (AUTH payloads `<redacted>`). What `f` throws is ignored.
fn transcript_hook(f: js_sys::Function) -> (u64, email365::smtp::TranscriptHook) {
    let id = NEXT_TRANSCRIPT.with(|n| {
        n.set(n.get() + 1);
        n.get()
    });
    TRANSCRIPTS.with(|t| t.borrow_mut().insert(id, f));
    let hook = Arc::new(move |dir: Direction, line: &str| {
        let Some(f) = TRANSCRIPTS.with(|t| t.borrow().get(&id).cloned()) else {
            return;
        };
        let tnx = match dir {
            Direction::Sent => "client",
            Direction::Received => "server",
        };
        let _ = f.call2(
            &JsValue::NULL,
            &JsValue::from_str(tnx),
            &JsValue::from_str(line),
        );
    });
    (id, hook)
}

/// `{recipient: reply}` in RCPT order.
fn replies_map<S: Serializer>(list: &[(String, ErrorReply)], s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(list.len()))?;
    for (recipient, reply) in list {
        map.serialize_entry(recipient, reply)?;
    }
    map.end()
}

/// The result of one message accepted for at least one recipient.
#[derive(Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
#[tsify(type_suffix = "Data")]
pub struct SendResult {
    /// The notification id of the server's final reply (null when it gave none).
    #[tsify(type = "string | null")]
    pub notification_id: Option<String>,
    /// The Message-ID the message was sent with (no angle brackets; null for bytes
    /// without one).
    #[tsify(type = "string | null")]
    pub message_id: Option<String>,
    /// The recipients accepted, in RCPT order.
    pub accepted: Vec<String>,
    /// The recipients refused, each with the reply that refused it.
    #[tsify(type = "Record<string, ErrorReplyData>")]
    #[serde(serialize_with = "replies_map")]
    pub rejected: Vec<(String, ErrorReply)>,
    /// The final reply as it came on the wire (codes included, lines joined with CRLF).
    pub response: String,
    /// The final reply.
    pub final_reply: ErrorReply,
    /// Every accepted recipient with its reply to RCPT TO.
    #[tsify(type = "Record<string, ErrorReplyData>")]
    #[serde(serialize_with = "replies_map")]
    pub accepted_replies: Vec<(String, ErrorReply)>,
}

impl SendResult {
    fn new(d: Delivery, message_id: Option<String>) -> SendResult {
        let pairs = |list: Vec<email365::smtp::RecipientReply>| {
            list.into_iter()
                .map(|r| {
                    let reply = r.reply.to_error_reply(None);
                    (r.recipient, reply)
                })
                .collect::<Vec<_>>()
        };
        let accepted_replies = pairs(d.accepted);
        SendResult {
            notification_id: d.notification_id,
            message_id,
            accepted: accepted_replies.iter().map(|(r, _)| r.clone()).collect(),
            rejected: pairs(d.rejected),
            response: d.final_reply_raw,
            final_reply: d.final_reply.to_error_reply(None),
            accepted_replies,
        }
    }
}

/// An envelope given with a message: each part given replaces the message's own.
#[derive(Deserialize, Tsify, Default)]
pub struct EnvelopeInput {
    /// MAIL FROM (`""` for `<>`).
    #[tsify(optional)]
    #[serde(default)]
    pub from: Option<String>,
    /// RCPT TO: one address or several.
    #[tsify(optional, type = "OneOrMany")]
    #[serde(default)]
    pub to: Option<message::OneOrMany>,
}

/// One message for `send` / `sendMany`: built by the core from `message`, or raw bytes
/// read by the core (`read_message`: envelope from the headers unless given, Bcc removed).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ItemInput {
    #[serde(default)]
    message: Option<MessageInput>,
    #[serde(default, with = "serde_bytes")]
    raw: Option<Vec<u8>>,
    #[serde(default)]
    envelope: Option<EnvelopeInput>,
}

/// A message ready for the session, with the Message-ID it carries.
struct Ready {
    envelope: Envelope,
    bytes: Vec<u8>,
    needs: MessageNeeds,
    message_id: Option<String>,
}

impl Ready {
    fn read(item: ItemInput) -> email365::Result<Ready> {
        let env = item.envelope.unwrap_or_default();
        let rcpt_to = env.to.map(message::OneOrMany::into_vec);
        match (item.message, item.raw) {
            (Some(m), None) => {
                let built: BuiltMessage = message::build(&m)?;
                let needs = Outgoing::from(&built).needs;
                let envelope = Envelope {
                    mail_from: env.from.unwrap_or(built.envelope.mail_from),
                    rcpt_to: rcpt_to.unwrap_or(built.envelope.rcpt_to),
                };
                Ok(Ready {
                    envelope,
                    bytes: built.bytes,
                    needs,
                    message_id: Some(built.message_id),
                })
            }
            (None, Some(raw)) => {
                let read = read_message(&raw, env.from.as_deref(), rcpt_to.as_deref())?;
                let needs = Outgoing::raw(&read.envelope, &read.bytes).needs;
                Ok(Ready {
                    envelope: read.envelope,
                    bytes: read.bytes,
                    needs,
                    message_id: read.message_id,
                })
            }
            _ => Err(Error::new(
                ErrorKind::InvalidArgument,
                "give exactly one of \"message\" and \"raw\"",
            )
            .with_reason("invalid_shape")),
        }
    }

    fn outgoing(&self) -> Outgoing<'_> {
        Outgoing {
            envelope: &self.envelope,
            bytes: &self.bytes,
            needs: self.needs,
        }
    }
}

/// The thrown value of a failed send: the error object with the Message-ID it was sent
/// with (`messageId`, when known).
fn send_error(e: &Error, message_id: Option<&str>) -> JsValue {
    let data = crate::error::to_js(e);
    if let Some(id) = message_id {
        let _ = js_sys::Reflect::set(
            &data,
            &JsValue::from_str("messageId"),
            &JsValue::from_str(id),
        );
    }
    data
}

/// The session's state between calls; `None` while an operation runs.
type Shared = Rc<RefCell<Option<Session<JsIo>>>>;

fn busy() -> JsValue {
    crate::error::to_js(&Error::new(
        ErrorKind::Internal,
        "the SMTP session is already running an operation",
    ))
}

/// One SMTP session (one connection at a time, opened on first use) over a socket
/// adapter. The package's `createTransport` queues calls so that one runs at a time; it
/// is the public API (this class throws raw error objects), so it is not declared.
#[wasm_bindgen(skip_typescript)]
pub struct SmtpSession {
    shared: Shared,
    /// The number of its transcript function, if it has one.
    transcript: Option<u64>,
}

impl Drop for SmtpSession {
    fn drop(&mut self) {
        if let Some(id) = self.transcript {
            TRANSCRIPTS.with(|t| t.borrow_mut().remove(&id));
        }
    }
}

impl SmtpSession {
    /// Runs `op` on the session, taken out of its cell for the time it runs.
    fn run<F, Fut>(&self, op: F) -> Promise
    where
        F: FnOnce(Session<JsIo>) -> Fut + 'static,
        Fut: std::future::Future<Output = (Session<JsIo>, Result<JsValue, JsValue>)> + 'static,
    {
        let shared = self.shared.clone();
        let taken = shared.borrow_mut().take();
        future_to_promise(async move {
            let session = taken.ok_or_else(busy)?;
            let (session, result) = op(session).await;
            *shared.borrow_mut() = Some(session);
            result
        })
    }
}

#[wasm_bindgen]
impl SmtpSession {
    /// A session with `options` over `io`; checks the options (throws `invalid_argument`).
    /// `transcript(tnx, line)`, when given, gets every command and reply line.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "TransportOptions")] options: JsValue,
        io: SocketIo,
        transcript: Option<js_sys::Function>,
    ) -> Result<SmtpSession, JsValue> {
        let options: TransportOptions = crate::from_js(options, "createTransport options")?;
        let mut options = crate::throw(smtp_options(options))?;
        let mut id = None;
        if let Some(f) = transcript {
            let (n, hook) = transcript_hook(f);
            options.transcript = Some(hook);
            id = Some(n);
        }
        Ok(SmtpSession {
            shared: Rc::new(RefCell::new(Some(Session::new(options, JsIo::new(io))))),
            transcript: id,
        })
    }

    /// Sends one message (`{message}` or `{raw, envelope?}`); resolves with its result.
    #[wasm_bindgen(unchecked_return_type = "Promise<SendResultData>")]
    pub fn send(&self, #[wasm_bindgen(unchecked_param_type = "unknown")] item: JsValue) -> Promise {
        let ready = crate::from_js::<ItemInput>(item, "sendMail input")
            .and_then(|i| Ready::read(i).map_err(|e| crate::error::to_js(&e)));
        self.run(move |mut session| async move {
            let ready = match ready {
                Ok(r) => r,
                Err(e) => return (session, Err(e)),
            };
            let r = session
                .send_with(&ready.envelope, &ready.bytes, ready.needs)
                .await;
            let id = ready.message_id;
            let out = match r {
                Ok(d) => crate::to_js(&SendResult::new(d, id)),
                Err(e) => Err(send_error(&e, id.as_deref())),
            };
            (session, out)
        })
    }

    /// Sends several messages with whole transactions in flight (the core's
    /// `send_many`); resolves with one `{ok}` or `{error}` per message, in order.
    #[wasm_bindgen(js_name = sendMany, unchecked_return_type = "Promise<Array<{ ok: SendResultData } | { error: ErrorData }>>")]
    pub fn send_many(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown[]")] items: JsValue,
    ) -> Promise {
        let items = crate::from_js::<Vec<ItemInput>>(items, "sendMany input");
        self.run(move |mut session| async move {
            let items = match items {
                Ok(i) => i,
                Err(e) => return (session, Err(e)),
            };
            // A message that cannot be read or built has its error in its place.
            let readied: Vec<email365::Result<Ready>> =
                items.into_iter().map(Ready::read).collect();
            let ok: Vec<&Ready> = readied.iter().filter_map(|r| r.as_ref().ok()).collect();
            let outgoing: Vec<Outgoing<'_>> = ok.iter().map(|r| r.outgoing()).collect();
            let mut sent = session.send_many_outgoing(&outgoing).await.into_iter();
            let list = js_sys::Array::new();
            for r in &readied {
                let entry = js_sys::Object::new();
                let (key, value) = match r {
                    Err(e) => ("error", send_error(e, None)),
                    Ok(ready) => match sent.next() {
                        Some(Ok(d)) => {
                            match crate::to_js(&SendResult::new(d, ready.message_id.clone())) {
                                Ok(v) => ("ok", v),
                                Err(e) => ("error", e),
                            }
                        }
                        Some(Err(e)) => ("error", send_error(&e, ready.message_id.as_deref())),
                        None => (
                            "error",
                            crate::error::to_js(&Error::new(
                                ErrorKind::Internal,
                                "the session gave fewer outcomes than messages",
                            )),
                        ),
                    },
                };
                let _ = js_sys::Reflect::set(&entry, &JsValue::from_str(key), &value);
                list.push(&entry);
            }
            (session, Ok(list.into()))
        })
    }

    /// Ends the session: QUIT (each step bounded), then closes the connection.
    pub fn close(&self) -> Promise {
        self.run(|mut session| async move {
            session.close_bounded().await;
            (session, Ok(JsValue::UNDEFINED))
        })
    }

    /// How many times the session waited for the server after writing.
    #[wasm_bindgen(js_name = roundTrips)]
    pub fn round_trips(&self) -> f64 {
        self.shared
            .borrow()
            .as_ref()
            .map_or(0.0, |s| s.round_trips() as f64)
    }
}
