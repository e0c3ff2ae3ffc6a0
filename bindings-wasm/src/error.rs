//! Errors across the boundary: the core's `Error` serialised as the plain object
//! `{kind, reason, message, position, transient, replies}` (its TypeScript shape
//! `ErrorData` and the `ErrorKind` union come from the core's `wasm` feature) that the
//! JS layer turns into an `Email365Error` subclass, plus the list of every kind
//! (`errorKinds()`). The JS class tree is checked against the core's table in
//! `tests/error_kinds.json` (written and checked by a core test): exporting the table
//! would cost the module about 340 bytes gzip.

use email365::{Error, ErrorKind};
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// An `invalid_argument` error for an argument object of the wrong shape (what serde
/// could not read), with the reason `invalid_shape`.
pub fn bad_argument(what: &str, detail: &str) -> Error {
    Error::new(ErrorKind::InvalidArgument, format!("{what}: {detail}")).with_reason("invalid_shape")
}

/// The thrown value of a core error: a plain object (falls back to the message string).
pub fn to_js(error: &Error) -> JsValue {
    error
        .serialize(&crate::RESULTS)
        .unwrap_or_else(|_| JsValue::from_str(error.message()))
}

/// The name of every error kind, in number order (to check that each one is mapped).
#[wasm_bindgen(js_name = errorKinds, unchecked_return_type = "ErrorKind[]")]
pub fn error_kinds() -> Vec<String> {
    ErrorKind::ALL
        .iter()
        .map(|k| k.as_str().to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_shape_keeps_every_field() {
        let error = Error::new(ErrorKind::SmtpPermanent, "refused")
            .with_reason("mailbox_unavailable")
            .with_position(7)
            .with_reply(email365::error::ErrorReply {
                code: 550,
                enhanced: Some("5.1.1".into()),
                text: "no such user".into(),
                recipient: Some("a@example.com".into()),
            });
        let data = serde_json::to_value(&error).unwrap();
        assert_eq!(
            data,
            serde_json::json!({
                "kind": "smtp_permanent",
                "reason": "mailbox_unavailable",
                "message": "refused",
                "position": 7,
                "transient": false,
                "replies": [{
                    "code": 550, "enhanced": "5.1.1", "text": "no such user",
                    "recipient": "a@example.com",
                }],
            })
        );
        let bare = serde_json::to_value(Error::new(ErrorKind::Timeout, "late")).unwrap();
        assert_eq!(bare["reason"], serde_json::Value::Null);
        assert_eq!(bare["position"], serde_json::Value::Null);
        assert_eq!(bare["transient"], true);
    }

    #[test]
    fn error_kinds_lists_every_kind_in_order() {
        let names = error_kinds();
        assert_eq!(names.len(), ErrorKind::ALL.len());
        assert_eq!(names[0], "invalid_address");
        assert_eq!(names.last().map(String::as_str), Some("internal"));
    }

    #[test]
    fn bad_arguments_are_invalid_argument() {
        let e = bad_argument("options", "invalid type: string, expected struct");
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert_eq!(e.reason(), Some("invalid_shape"));
        assert!(e.message().starts_with("options: "));
    }
}
