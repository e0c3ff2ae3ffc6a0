//! The conformance protocol over the core: a request `{"op", "args"}` in, `{"ok": …}` or
//! `{"error": {kind, reason, message, position, transient, reply, replies}}` out. Each op's argument reading and
//! result writing lives in the module named for the core module it drives.

mod address;
mod args;
mod message;
mod poll;
mod reply;
mod smtp;
mod status;
pub mod vectors;

pub use smtp::use_async;

use email365::error::ErrorReply;
use email365::{Error, ErrorKind};
use serde_json::{json, Value};

/// Answers one request line with one JSON line (never panics on any input).
pub fn handle_line(line: &str) -> String {
    let answer = match serde_json::from_str::<Value>(line) {
        Ok(request) => handle_request(&request),
        Err(e) => Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("request is not JSON: {e}"),
        )),
    };
    match answer {
        Ok(result) => json!({ "ok": result }).to_string(),
        Err(error) => json!({ "error": error_json(&error) }).to_string(),
    }
}

/// Answers one parsed request.
pub fn handle_request(request: &Value) -> Result<Value, Error> {
    let op = request
        .get("op")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::new(ErrorKind::InvalidArgument, "request has no string \"op\""))?;
    let empty = Value::Object(Default::default());
    let args = request.get("args").unwrap_or(&empty);
    if !args.is_object() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "\"args\" must be an object",
        ));
    }
    match op {
        "validate_address" => address::validate_address(args),
        "classify_reply" => reply::classify_reply(args),
        "extract_notification_id" => reply::extract_notification_id(args),
        "status_request" => status::status_request(args),
        "parse_status" => status::parse_status(args),
        "status_http_error" => status::status_http_error(args),
        "status_poll" => poll::status_poll(args),
        "build_message" => message::build_message(args),
        "envelope_from_message" => message::envelope_from_message(args),
        "smtp_send" => smtp::smtp_send(args),
        "smtp_send_many" => smtp::smtp_send_many(args),
        other => Err(
            Error::new(ErrorKind::InvalidArgument, format!("unknown op {other:?}"))
                .with_reason("unknown_op"),
        ),
    }
}

/// The error object of the protocol: every key present, `null` where not applicable
/// (`reply` is the first of `replies`, the server replies the error carries).
pub fn error_json(error: &Error) -> Value {
    json!({
        "kind": error.kind().as_str(),
        "reason": error.reason(),
        "message": error.message(),
        "position": error.position(),
        "transient": error.transient(),
        "reply": error.reply().map(error_reply_json),
        "replies": error.replies().iter().map(error_reply_json).collect::<Vec<_>>(),
    })
}

/// An SMTP reply carried by an error: {code, enhanced, text, recipient}.
fn error_reply_json(r: &ErrorReply) -> Value {
    json!({
        "code": r.code,
        "enhanced": r.enhanced,
        "text": r.text,
        "recipient": r.recipient,
    })
}
