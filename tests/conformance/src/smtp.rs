//! Driver ops of the `smtp` module: `smtp_send` and `smtp_send_many`, run against the
//! scripted server of `run_vectors.py` (the transport scenarios of
//! `tests/vectors/smtp/`). The answer has the shape of the `send` example's JSON.
//! With `--async` ([`use_async`]) the same ops go through `AsyncSmtpClient` on a tokio
//! runtime, so the scenarios check that both transports give the same results.

use crate::{args, message};
use email365::message::{BuiltMessage, Envelope};
use email365::reply::Reply;
use email365::smtp::{
    AsyncSmtpClient, Delivery, Outgoing, RecipientReply, SmtpClient, SmtpOptions, TlsMode,
};
use email365::{Error, ErrorKind};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Whether the transport ops go through the tokio client.
static ASYNC: AtomicBool = AtomicBool::new(false);

/// Sends the transport ops through `AsyncSmtpClient` from now on (`--async`).
pub fn use_async() {
    ASYNC.store(true, Ordering::Relaxed);
}

/// Runs `f` on a single-threaded tokio runtime.
fn on_tokio<T>(f: impl std::future::Future<Output = Result<T, Error>>) -> Result<T, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::new(ErrorKind::Internal, format!("no tokio runtime: {e}")))?
        .block_on(f)
}

/// One message of a call: built from `message` (`build_message`'s arguments) or given
/// as `raw` {mail_from, rcpt_to, data} (bytes with an explicit envelope).
enum Item {
    Built(BuiltMessage),
    Raw(Envelope, Vec<u8>),
}

impl Item {
    fn read(args: &Value) -> Result<Item, Error> {
        match (
            args::opt_object(args, "message")?,
            args::opt_object(args, "raw")?,
        ) {
            (Some(m), None) => Ok(Item::Built(message::build(m)?)),
            (None, Some(r)) => Ok(Item::Raw(
                Envelope {
                    mail_from: args::string(r, "mail_from")?.to_string(),
                    rcpt_to: args::string_list(r, "rcpt_to")?
                        .into_iter()
                        .map(str::to_string)
                        .collect(),
                },
                args::string(r, "data")?.as_bytes().to_vec(),
            )),
            _ => Err(Error::new(
                ErrorKind::InvalidArgument,
                "give exactly one of \"message\" and \"raw\"",
            )),
        }
    }

    fn outgoing(&self) -> Outgoing<'_> {
        match self {
            Item::Built(m) => Outgoing::from(m),
            Item::Raw(envelope, bytes) => Outgoing::raw(envelope, bytes),
        }
    }
}

/// The client options: {host, port, options?: {tls?, ca_file?, server_name?, username?,
/// password?, ehlo_name?, pipelining?, chunking?, window?, timeout_ms?}}. Absent
/// values keep the API's defaults; `timeout_ms` limits every step.
fn options(args: &Value) -> Result<SmtpOptions, Error> {
    let port = args::opt_uint(args, "port", u16::MAX.into())?
        .ok_or_else(|| Error::new(ErrorKind::InvalidArgument, "argument \"port\" is required"))?;
    let mut options = SmtpOptions::new(args::string(args, "host")?).port(port as u16);
    let empty = json!({});
    let o = args::opt_object(args, "options")?.unwrap_or(&empty);
    if let Some(tls) = args::opt_string(o, "tls")? {
        options.tls = match tls {
            "starttls" => TlsMode::StartTls,
            "implicit" => TlsMode::Implicit,
            "insecure_plaintext" => TlsMode::InsecurePlaintext,
            other => {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!("argument \"tls\" names no TLS mode: {other:?}"),
                ))
            }
        };
    }
    if let Some(path) = args::opt_string(o, "ca_file")? {
        options = options.ca_file(path)?;
    }
    options.server_name = args::opt_string(o, "server_name")?.map(str::to_string);
    options.ehlo_name = args::opt_string(o, "ehlo_name")?.map(str::to_string);
    if let Some(user) = args::opt_string(o, "username")? {
        options = options.credentials(user, args::string(o, "password")?);
    }
    if let Some(p) = args::opt_bool(o, "pipelining")? {
        options.pipelining = p;
    }
    if let Some(c) = args::opt_bool(o, "chunking")? {
        options.chunking = c;
    }
    if let Some(w) = args::opt_uint(o, "window", u32::MAX.into())? {
        options.window = w as usize;
    }
    if let Some(ms) = args::opt_uint(o, "timeout_ms", u32::MAX.into())? {
        let t = Duration::from_millis(ms);
        options.timeouts.connect = t;
        options.timeouts.greeting = t;
        options.timeouts.command = t;
        options.timeouts.data_write = t;
        options.timeouts.data_end = t;
    }
    Ok(options)
}

fn reply_json(r: &Reply) -> Value {
    json!({
        "code": r.code,
        "enhanced": r.enhanced.map(|e| e.to_string()),
        "text": r.text(),
    })
}

fn recipients_json(list: &[RecipientReply]) -> Value {
    list.iter()
        .map(|r| json!({"recipient": r.recipient, "reply": reply_json(&r.reply)}))
        .collect()
}

/// {notification_id, final_reply: {code, enhanced, text}, accepted: [{recipient,
/// reply}], rejected: [{recipient, reply}]}.
fn delivery_json(d: &Delivery) -> Value {
    json!({
        "notification_id": d.notification_id,
        "final_reply": reply_json(&d.final_reply),
        "accepted": recipients_json(&d.accepted),
        "rejected": recipients_json(&d.rejected),
    })
}

/// `smtp_send` {host, port, options?, message | raw} → the delivery (see
/// [`delivery_json`]), or the error; the client sends QUIT before answering.
pub fn smtp_send(args: &Value) -> Result<Value, Error> {
    let options = options(args)?;
    let item = Item::read(args)?;
    let result = if ASYNC.load(Ordering::Relaxed) {
        on_tokio(async {
            let mut client = AsyncSmtpClient::new(options)?;
            let result = match &item {
                Item::Built(m) => client.send(m).await,
                Item::Raw(envelope, bytes) => client.send_raw(envelope, bytes).await,
            };
            let _ = client.quit().await;
            result
        })
    } else {
        let mut client = SmtpClient::new(options)?;
        let result = match &item {
            Item::Built(m) => client.send(m),
            Item::Raw(envelope, bytes) => client.send_raw(envelope, bytes),
        };
        let _ = client.quit();
        result
    };
    result.map(|d| delivery_json(&d))
}

/// `smtp_send_many` {host, port, options?, messages: [{message | raw}]} →
/// {results: [{ok: delivery} | {error}]}, one per message in order.
pub fn smtp_send_many(args: &Value) -> Result<Value, Error> {
    let options = options(args)?;
    let items = match args.get("messages") {
        Some(Value::Array(list)) => list.iter().map(Item::read).collect::<Result<Vec<_>, _>>()?,
        _ => {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "argument \"messages\" must be a list of objects",
            ))
        }
    };
    let outgoing: Vec<Outgoing<'_>> = items.iter().map(Item::outgoing).collect();
    let results = if ASYNC.load(Ordering::Relaxed) {
        on_tokio(async {
            let mut client = AsyncSmtpClient::new(options)?;
            let results = client.send_many_outgoing(&outgoing).await;
            let _ = client.quit().await;
            Ok(results)
        })?
    } else {
        let mut client = SmtpClient::new(options)?;
        let results = client.send_many_outgoing(&outgoing);
        let _ = client.quit();
        results
    };
    let results: Vec<Value> = results
        .iter()
        .map(|r| match r {
            Ok(d) => json!({ "ok": delivery_json(d) }),
            Err(e) => json!({ "error": crate::error_json(e) }),
        })
        .collect();
    Ok(json!({ "results": results }))
}
