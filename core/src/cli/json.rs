//! The JSON lines the commands print: a delivery, an error, a notification. The shapes are
//! the commands' contract (`docs/CLI.md`): every key present, `null` where a value is
//! absent.

use crate::error::ErrorReply;
use crate::reply::Reply;
use crate::smtp::{Delivery, RecipientReply};
use crate::status::{Notification, StatusEvent};
use crate::Error;
use serde_json::{json, Value};

fn reply(r: &Reply) -> Value {
    json!({
        "code": r.code,
        "enhanced": r.enhanced.map(|e| e.to_string()),
        "text": r.text(),
    })
}

fn error_reply(r: &ErrorReply) -> Value {
    json!({
        "code": r.code,
        "enhanced": r.enhanced,
        "text": r.text,
        "recipient": r.recipient,
    })
}

fn recipients(list: &[RecipientReply]) -> Vec<Value> {
    list.iter()
        .map(|r| json!({"recipient": r.recipient, "reply": reply(&r.reply)}))
        .collect()
}

/// `{"ok": {notification_id, message_id, final_reply, accepted, rejected}}`.
pub(super) fn delivery(d: &Delivery, message_id: Option<&str>) -> Value {
    json!({"ok": {
        "notification_id": d.notification_id,
        "message_id": message_id,
        "final_reply": reply(&d.final_reply),
        "accepted": recipients(&d.accepted),
        "rejected": recipients(&d.rejected),
    }})
}

/// `{"error": {kind, reason, message, transient, reply, replies}}`.
pub(super) fn error(e: &Error) -> Value {
    json!({"error": {
        "kind": e.kind().as_str(),
        "reason": e.reason(),
        "message": e.message(),
        "transient": e.transient(),
        "reply": e.reply().map(error_reply),
        "replies": e.replies().iter().map(error_reply).collect::<Vec<_>>(),
    }})
}

/// `{"ok": {found, notification_id, all_final, recipients, events}}`.
pub(super) fn notification(n: &Notification) -> Value {
    let recipients: Vec<Value> = n
        .recipients()
        .iter()
        .map(|r| {
            json!({
                "recipient": r.recipient,
                "code": r.latest.code,
                "final": r.is_final,
            })
        })
        .collect();
    json!({"ok": {
        "found": n.found,
        "notification_id": n.notification_id,
        "all_final": n.all_final(),
        "recipients": recipients,
        "events": n.events.iter().map(StatusEvent::to_json).collect::<Vec<_>>(),
    }})
}
