//! Driver ops of the `address` module.

use email365::{Error, ErrorKind};
use serde_json::Value;

/// `validate_address` (not wired yet).
pub fn validate_address(_args: &Value) -> Result<Value, Error> {
    Err(Error::new(ErrorKind::Internal, "op not implemented yet"))
}
