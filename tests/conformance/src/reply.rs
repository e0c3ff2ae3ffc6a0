//! Driver ops of the `reply` module.

use email365::{Error, ErrorKind};
use serde_json::Value;

/// `classify_reply` (not wired yet).
pub fn classify_reply(_args: &Value) -> Result<Value, Error> {
    Err(Error::new(ErrorKind::Internal, "op not implemented yet"))
}

/// `extract_notification_id` (not wired yet).
pub fn extract_notification_id(_args: &Value) -> Result<Value, Error> {
    Err(Error::new(ErrorKind::Internal, "op not implemented yet"))
}
