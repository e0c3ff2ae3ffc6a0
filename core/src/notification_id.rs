//! Notification ids: the id that the server's final reply to the message data carries
//! (Postfix `queued as <id>`, Exim `id=<id>`, …). Extraction is pattern-based and optional.
//!
//! CONTRACT STUB: the signature below is fixed; the body is a placeholder.

/// The notification id in a final reply (the whole reply text, code included), if any.
pub fn extract_notification_id(reply: &str) -> Option<String> {
    let _ = reply;
    None
}
