//! Driver ops of the `reply` module: `classify_reply` and `extract_notification_id`.

use crate::args;
use email365::names::WireName;
use email365::notification_id::extract_notification_id as extract;
use email365::reply::{check_code, Classification, Command, EnhancedCode, Reply};
use email365::{Error, ErrorKind};
use serde_json::{json, Value};

fn classification_json(c: &Classification) -> Value {
    json!({
        "code": c.code,
        "enhanced": c.enhanced.map(|e| e.to_string()),
        "severity": c.severity.as_str(),
        "category": c.category.map(|k| k.as_str()),
        "retry": c.retry,
        "description": c.description,
    })
}

/// `classify_reply` {reply, command?} or {code, enhanced?, command?}
/// → {code, enhanced, severity, category, retry, description}.
pub fn classify_reply(args: &Value) -> Result<Value, Error> {
    let command = match args::opt_string(args, "command")? {
        None => None,
        Some(name) => Some(Command::from_wire(name)?),
    };
    let has = |name: &str| args.get(name).is_some_and(|v| !v.is_null());
    if has("reply") {
        if has("code") || has("enhanced") {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "give either \"reply\" or \"code\" (with \"enhanced\"), not both",
            ));
        }
        let reply = Reply::parse(args::string(args, "reply")?)?;
        return Ok(classification_json(&reply.classify(command)));
    }
    let code = match args.get("code") {
        Some(Value::Number(n)) => match n.as_u64() {
            Some(n) => check_code(n)?,
            None => {
                return Err(Error::new(
                    ErrorKind::InvalidReply,
                    format!("{n} is not an SMTP reply code"),
                )
                .with_reason("bad_code"))
            }
        },
        None | Some(Value::Null) => {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "argument \"reply\" or \"code\" is required",
            ))
        }
        Some(_) => {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "argument \"code\" must be an integer",
            ))
        }
    };
    let enhanced = args::opt_string(args, "enhanced")?
        .map(EnhancedCode::parse)
        .transpose()?;
    Ok(classification_json(&email365::reply::classify_code(
        code, enhanced, command,
    )))
}

/// `extract_notification_id` {reply} → {notification_id: string | null}.
pub fn extract_notification_id(args: &Value) -> Result<Value, Error> {
    let reply = args::string(args, "reply")?;
    Ok(json!({ "notification_id": extract(reply) }))
}
