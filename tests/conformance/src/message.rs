//! Driver ops of the `message` module.

use email365::{Error, ErrorKind};
use serde_json::Value;

/// `build_message` (not wired yet).
pub fn build_message(_args: &Value) -> Result<Value, Error> {
    Err(Error::new(ErrorKind::Internal, "op not implemented yet"))
}
