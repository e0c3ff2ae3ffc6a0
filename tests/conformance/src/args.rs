//! Reading typed arguments out of a request's `args` object, with `invalid_argument`
//! errors that name the argument.

use email365::{Error, ErrorKind};
use serde_json::Value;

fn bad(name: &str, what: &str) -> Error {
    Error::new(
        ErrorKind::InvalidArgument,
        format!("argument {name:?} {what}"),
    )
}

/// A required string argument.
pub fn string<'a>(args: &'a Value, name: &str) -> Result<&'a str, Error> {
    match args.get(name) {
        Some(Value::String(s)) => Ok(s),
        None | Some(Value::Null) => Err(bad(name, "is required")),
        Some(_) => Err(bad(name, "must be a string")),
    }
}

/// An optional string argument (`null` or absent = `None`).
pub fn opt_string<'a>(args: &'a Value, name: &str) -> Result<Option<&'a str>, Error> {
    match args.get(name) {
        Some(Value::String(s)) => Ok(Some(s)),
        None | Some(Value::Null) => Ok(None),
        Some(_) => Err(bad(name, "must be a string")),
    }
}

/// An optional boolean argument, `false` when absent.
pub fn flag(args: &Value, name: &str) -> Result<bool, Error> {
    match args.get(name) {
        Some(Value::Bool(b)) => Ok(*b),
        None | Some(Value::Null) => Ok(false),
        Some(_) => Err(bad(name, "must be a boolean")),
    }
}

/// An optional list of strings (absent = empty).
pub fn string_list<'a>(args: &'a Value, name: &str) -> Result<Vec<&'a str>, Error> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .ok_or_else(|| bad(name, "must hold only strings"))
            })
            .collect(),
        Some(_) => Err(bad(name, "must be a list of strings")),
    }
}

/// An optional boolean argument, `None` when absent (the API's default applies).
pub fn opt_bool(args: &Value, name: &str) -> Result<Option<bool>, Error> {
    match args.get(name) {
        Some(Value::Bool(b)) => Ok(Some(*b)),
        None | Some(Value::Null) => Ok(None),
        Some(_) => Err(bad(name, "must be a boolean")),
    }
}

/// An optional whole number from 0 to `max`, `None` when absent.
pub fn opt_uint(args: &Value, name: &str, max: u64) -> Result<Option<u64>, Error> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_u64() {
            Some(n) if n <= max => Ok(Some(n)),
            _ => Err(bad(
                name,
                &format!("must be a whole number from 0 to {max}"),
            )),
        },
    }
}

/// An optional object argument, `None` when absent.
pub fn opt_object<'a>(args: &'a Value, name: &str) -> Result<Option<&'a Value>, Error> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) if v.is_object() => Ok(Some(v)),
        Some(_) => Err(bad(name, "must be an object")),
    }
}
