//! Driver ops of the `message` module: `build_message` and `envelope_from_message`.

use crate::args;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use email365::message::{
    envelope_from_message as core_envelope, Attachment, BuiltMessage, MessageBuilder,
};
use email365::{Error, ErrorKind};
use serde_json::{json, Value};

fn bad(name: &str, what: &str) -> Error {
    Error::new(
        ErrorKind::InvalidArgument,
        format!("argument {name:?} {what}"),
    )
}

fn decode(name: &str, text: &str) -> Result<Vec<u8>, Error> {
    STANDARD
        .decode(text)
        .map_err(|e| bad(name, &format!("is not base64: {e}")))
}

/// `reply_to`: a string or a list of strings.
fn string_or_list<'a>(args: &'a Value, name: &str) -> Result<Vec<&'a str>, Error> {
    match args.get(name) {
        Some(Value::String(s)) => Ok(vec![s.as_str()]),
        _ => args::string_list(args, name),
    }
}

/// `build_message` {from, to, cc?, bcc?, reply_to?, subject, text?, html?,
/// attachments?: [{filename, content_type?, content_base64, inline_id?}],
/// headers?: {name: value}, message_id?, date?}
/// → {mail_from, rcpt_to, message_id, size, smtputf8, message_base64}.
/// Custom headers are written in the object's key order.
pub fn build_message(args: &Value) -> Result<Value, Error> {
    let built = build(args)?;
    Ok(json!({
        "mail_from": built.envelope.mail_from,
        "rcpt_to": built.envelope.rcpt_to,
        "message_id": built.message_id,
        "size": built.size(),
        "smtputf8": built.smtputf8,
        "message_base64": STANDARD.encode(&built.bytes),
    }))
}

/// The message described by `build_message`'s arguments (also the `message` form of
/// the `smtp_send` ops).
pub fn build(args: &Value) -> Result<BuiltMessage, Error> {
    let mut builder = MessageBuilder::new()
        .from(args::string(args, "from")?)
        .subject(args::string(args, "subject")?);
    for a in args::string_list(args, "to")? {
        builder = builder.to(a);
    }
    for a in args::string_list(args, "cc")? {
        builder = builder.cc(a);
    }
    for a in args::string_list(args, "bcc")? {
        builder = builder.bcc(a);
    }
    for a in string_or_list(args, "reply_to")? {
        builder = builder.reply_to(a);
    }
    if let Some(text) = args::opt_string(args, "text")? {
        builder = builder.text(text);
    }
    if let Some(html) = args::opt_string(args, "html")? {
        builder = builder.html(html);
    }
    match args.get("attachments") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                if !item.is_object() {
                    return Err(bad(&format!("attachments[{i}]"), "must be an object"));
                }
                let content = decode(
                    &format!("attachments[{i}].content_base64"),
                    args::string(item, "content_base64")?,
                )?;
                let mut attachment = Attachment::new(args::string(item, "filename")?, content);
                if let Some(ct) = args::opt_string(item, "content_type")? {
                    attachment = attachment.content_type(ct);
                }
                if let Some(cid) = args::opt_string(item, "inline_id")? {
                    attachment = attachment.inline(cid);
                }
                builder = builder.attachment(attachment);
            }
        }
        Some(_) => return Err(bad("attachments", "must be a list of objects")),
    }
    match args.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (name, value) in map {
                let value = value
                    .as_str()
                    .ok_or_else(|| bad(&format!("headers.{name}"), "must be a string"))?;
                builder = builder.header(name.as_str(), value);
            }
        }
        Some(_) => return Err(bad("headers", "must be an object of strings")),
    }
    if let Some(id) = args::opt_string(args, "message_id")? {
        builder = builder.message_id(id);
    }
    if let Some(date) = args::opt_string(args, "date")? {
        builder = builder.date(date);
    }
    builder.build()
}

/// `envelope_from_message` {message_base64} → {mail_from, rcpt_to, message_base64}
/// (the message without its Bcc header).
pub fn envelope_from_message(args: &Value) -> Result<Value, Error> {
    let bytes = decode("message_base64", args::string(args, "message_base64")?)?;
    let (envelope, stripped) = core_envelope(&bytes)?;
    Ok(json!({
        "mail_from": envelope.mail_from,
        "rcpt_to": envelope.rcpt_to,
        "message_base64": STANDARD.encode(&stripped),
    }))
}
