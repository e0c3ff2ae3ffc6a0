//! Driver ops of the `status` module.

use crate::args;
use email365::status::{self, StatusEvent, StatusQuery};
use email365::{Error, ErrorKind};
use serde_json::{json, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `status_request` {account_id, notification_id, recipient?, region?, base_url?,
/// username, password} → {method, url, headers: {authorization, accept}}.
pub fn status_request(args: &Value) -> Result<Value, Error> {
    let query = StatusQuery {
        account_id: args::string(args, "account_id")?,
        notification_id: args::string(args, "notification_id")?,
        recipient: args::opt_string(args, "recipient")?,
        region: args::opt_string(args, "region")?,
        base_url: args::opt_string(args, "base_url")?,
        username: args::string(args, "username")?,
        password: args::string(args, "password")?,
    };
    let request = status::status_request(&query)?;
    Ok(json!({
        "method": request.method,
        "url": request.url,
        "headers": {
            "authorization": request.authorization,
            "accept": request.accept,
        },
    }))
}

/// `parse_status` {body} → {found, notification_id, events: [{code, text, channel,
/// recipient, timestamp}]}.
pub fn parse_status(args: &Value) -> Result<Value, Error> {
    let notification = status::parse_status(args::string(args, "body")?)?;
    let events: Vec<Value> = notification
        .events
        .iter()
        .map(StatusEvent::to_json)
        .collect();
    Ok(json!({
        "found": notification.found,
        "notification_id": notification.notification_id,
        "events": events,
    }))
}

/// `status_http_error` {status: int 0–65535, retry_after?: string | null, now_ms?: int}
/// → `null` for 2xx, else {kind, reason, transient, retry_after_ms}: what an answer of
/// the status API means (`status::http_error` with `status::parse_retry_after` read
/// against `now_ms`, the current time when absent).
pub fn status_http_error(args: &Value) -> Result<Value, Error> {
    let int = |name: &str| -> Result<Option<u64>, Error> {
        match args.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidArgument,
                    format!("argument {name:?} must be a whole number ≥ 0"),
                )
            }),
        }
    };
    let status = int("status")?
        .and_then(|s| u16::try_from(s).ok())
        .ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidArgument,
                "argument \"status\" must be a whole number from 0 to 65535",
            )
        })?;
    let now = match int("now_ms")? {
        Some(ms) => UNIX_EPOCH + Duration::from_millis(ms),
        None => SystemTime::now(),
    };
    let retry_after =
        args::opt_string(args, "retry_after")?.and_then(|v| status::parse_retry_after(v, now));
    let url = "https://eu.email.sdi.sinch.com/v1/a/notifications/id/1";
    Ok(match status::http_error(status, retry_after, url, "") {
        None => Value::Null,
        Some(e) => json!({
            "kind": e.kind().as_str(),
            "reason": e.reason(),
            "transient": e.transient(),
            "retry_after_ms": retry_after.map(status::retry_after_millis),
        }),
    })
}
