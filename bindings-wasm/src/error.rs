//! Errors across the boundary: the core's `Error` as a plain object
//! `{kind, reason, message, position, transient, replies}` that the JS layer turns into
//! an `Email365Error` subclass, plus the list of every kind (`errorKinds()`) and the
//! `ErrorKind` string union of the TypeScript declarations.

use email365::{Error, ErrorKind};
use serde::Serialize;
use tsify_next::Tsify;
use wasm_bindgen::prelude::*;

/// The TypeScript union of every kind name. A native test checks it against
/// `ErrorKind::ALL`, so it cannot drift from the core.
// Read by the custom section below (which the dead-code lint does not see) and a test.
#[allow(dead_code)]
const ERROR_KIND_TS: &str = r#"
/** The stable snake_case kind of every email365 failure (DESIGN.md, "Errors are data"). */
export type ErrorKind =
  | "invalid_address" | "invalid_message" | "invalid_reply" | "invalid_status_response"
  | "invalid_argument" | "sender_not_registered" | "connection" | "timeout" | "tls" | "auth"
  | "protocol" | "message_too_large" | "smtputf8_not_supported" | "recipients_rejected"
  | "smtp_transient" | "smtp_permanent" | "outcome_unknown" | "status_http" | "not_found"
  | "internal";
"#;

#[wasm_bindgen(typescript_custom_section)]
const TS_ERROR_KIND: &'static str = ERROR_KIND_TS;

/// An SMTP reply carried by an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct ErrorReplyData {
    /// The basic three-digit code.
    pub code: u16,
    /// The enhanced code `class.subject.detail`, or `null`.
    #[tsify(type = "string | null")]
    pub enhanced: Option<String>,
    /// The reply text, lines joined with `\n`.
    pub text: String,
    /// The recipient the reply concerns, or `null`.
    #[tsify(type = "string | null")]
    pub recipient: Option<String>,
}

/// The data of a failure as thrown by the raw module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct ErrorData {
    /// The stable kind.
    #[tsify(type = "ErrorKind")]
    pub kind: &'static str,
    /// The finer diagnosis code, or `null`.
    #[tsify(type = "string | null")]
    pub reason: Option<&'static str>,
    /// The human message.
    pub message: String,
    /// The UTF-8 byte offset of a parse error, or `null`.
    #[tsify(type = "number | null")]
    pub position: Option<usize>,
    /// Whether retrying later may succeed.
    pub transient: bool,
    /// The server replies attached to an SMTP failure.
    pub replies: Vec<ErrorReplyData>,
}

impl ErrorData {
    /// The data of a core error.
    pub fn from_error(error: &Error) -> ErrorData {
        ErrorData {
            kind: error.kind().as_str(),
            reason: error.reason(),
            message: error.message().to_string(),
            position: error.position(),
            transient: error.transient(),
            replies: error
                .replies()
                .iter()
                .map(|r| ErrorReplyData {
                    code: r.code,
                    enhanced: r.enhanced.clone(),
                    text: r.text.clone(),
                    recipient: r.recipient.clone(),
                })
                .collect(),
        }
    }
}

/// An `invalid_argument` error for an argument of the wrong shape.
pub fn bad_argument(what: &str, detail: &str) -> Error {
    Error::new(ErrorKind::InvalidArgument, format!("{what}: {detail}")).with_reason("bad_argument")
}

/// The thrown value of a core error: a plain object (falls back to the message string).
pub fn to_js(error: &Error) -> JsValue {
    let data = ErrorData::from_error(error);
    data.serialize(&crate::RESULTS)
        .unwrap_or_else(|_| JsValue::from_str(&data.message))
}

/// The name of every error kind, in number order (to check that each one is mapped).
#[wasm_bindgen(js_name = errorKinds, unchecked_return_type = "ErrorKind[]")]
pub fn error_kinds() -> Vec<String> {
    kind_names()
}

/// Every kind name, in number order.
pub fn kind_names() -> Vec<String> {
    ErrorKind::ALL
        .iter()
        .map(|k| k.as_str().to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_typescript_union_lists_exactly_the_core_kinds() {
        let union = ERROR_KIND_TS.split_once('=').map(|(_, u)| u).unwrap_or("");
        let listed: Vec<&str> = union.split('"').skip(1).step_by(2).collect();
        assert_eq!(
            listed,
            kind_names(),
            "TS_ERROR_KIND differs from ErrorKind::ALL"
        );
    }

    #[test]
    fn error_data_keeps_every_field() {
        let error = Error::new(ErrorKind::SmtpPermanent, "refused")
            .with_reason("mailbox_unavailable")
            .with_position(7)
            .with_reply(email365::error::ErrorReply {
                code: 550,
                enhanced: Some("5.1.1".into()),
                text: "no such user".into(),
                recipient: Some("a@example.com".into()),
            });
        let data = ErrorData::from_error(&error);
        assert_eq!(data.kind, "smtp_permanent");
        assert_eq!(data.reason, Some("mailbox_unavailable"));
        assert_eq!(data.position, Some(7));
        assert!(!data.transient);
        assert_eq!(data.replies.len(), 1);
        assert_eq!(data.replies[0].code, 550);
        assert_eq!(data.replies[0].recipient.as_deref(), Some("a@example.com"));
    }

    #[test]
    fn bad_arguments_are_invalid_argument() {
        let e = bad_argument("options", "invalid type: string, expected struct");
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().starts_with("options: "));
    }
}
