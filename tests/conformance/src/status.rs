//! Driver ops of the `status` module.

use crate::args;
use email365::status::{self, StatusQuery};
use email365::Error;
use serde_json::{json, Value};

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
        .map(|e| {
            json!({
                "code": e.code,
                "text": e.text,
                "channel": e.channel,
                "recipient": e.recipient,
                "timestamp": e.timestamp.map(|t| t.to_rfc3339()),
            })
        })
        .collect();
    Ok(json!({
        "found": notification.found,
        "notification_id": notification.notification_id,
        "events": events,
    }))
}
