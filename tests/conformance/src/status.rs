//! Driver ops of the `status` module.

use email365::{Error, ErrorKind};
use serde_json::Value;

/// `status_request` (not wired yet).
pub fn status_request(_args: &Value) -> Result<Value, Error> {
    Err(Error::new(ErrorKind::Internal, "op not implemented yet"))
}

/// `parse_status` (not wired yet).
pub fn parse_status(_args: &Value) -> Result<Value, Error> {
    Err(Error::new(ErrorKind::Internal, "op not implemented yet"))
}
