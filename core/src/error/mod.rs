//! The one error model of the SDK: a stable kind, a finer reason, a human message,
//! an optional byte position and, for SMTP failures, the server's reply.

mod kind;

pub use kind::{ErrorKind, Family, KindInfo, BASE_CLASSES, KINDS};

use std::borrow::Cow;
use std::fmt;

/// An SMTP reply as carried by an error: the facts, not the prose.
#[derive(Debug, Clone, PartialEq, Eq)]
// TypeScript names `ErrorReplyData` and `ErrorData` (a bare `Error` would shadow the
// JavaScript builtin in the declarations).
#[cfg_attr(
    feature = "wasm",
    derive(serde::Serialize, tsify_next::Tsify),
    tsify(type_suffix = "Data")
)]
pub struct ErrorReply {
    /// The basic three-digit code.
    pub code: u16,
    /// The enhanced code (`class.subject.detail`), when the server sent one.
    #[cfg_attr(feature = "wasm", tsify(type = "string | null"))]
    pub enhanced: Option<String>,
    /// The reply text, lines joined with `\n`, codes removed.
    pub text: String,
    /// The recipient this reply concerns, for per-recipient refusals.
    #[cfg_attr(feature = "wasm", tsify(type = "string | null"))]
    pub recipient: Option<String>,
}

/// A failure of any part of the SDK. With the `wasm` feature it serialises as the plain
/// object `{kind, reason, message, position, transient, replies}` (TypeScript
/// `ErrorData`) that the wasm binding throws.
#[derive(Clone, PartialEq, Eq)]
// TypeScript names `ErrorReplyData` and `ErrorData` (a bare `Error` would shadow the
// JavaScript builtin in the declarations).
#[cfg_attr(
    feature = "wasm",
    derive(serde::Serialize, tsify_next::Tsify),
    tsify(type_suffix = "Data")
)]
pub struct Error {
    /// The stable kind.
    #[cfg_attr(feature = "wasm", tsify(type = "ErrorKind"))]
    kind: ErrorKind,
    /// The finer diagnosis code, or `null`.
    #[cfg_attr(feature = "wasm", tsify(type = "string | null"))]
    reason: Option<&'static str>,
    /// The human message (a fixed text is not copied).
    #[cfg_attr(feature = "wasm", tsify(type = "string"))]
    message: Cow<'static, str>,
    /// The UTF-8 byte offset of a parse error, or `null`.
    #[cfg_attr(feature = "wasm", tsify(type = "number | null"))]
    position: Option<usize>,
    /// Whether retrying later may succeed.
    transient: bool,
    /// The server replies attached to an SMTP failure.
    #[cfg_attr(feature = "wasm", tsify(type = "ErrorReplyData[]"))]
    replies: Vec<ErrorReply>,
}

impl Error {
    /// A new error of `kind` with a human message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error::with_text(kind, Cow::Owned(message.into()))
    }

    /// A new error of `kind` whose message may be a fixed text (not copied).
    pub(crate) fn with_text(kind: ErrorKind, message: Cow<'static, str>) -> Error {
        Error {
            kind,
            reason: None,
            message,
            position: None,
            // An unknown outcome is transient too: sending again (with the same
            // Message-ID) is what the caller should do, as after a 4xx.
            transient: matches!(
                kind,
                ErrorKind::SmtpTransient
                    | ErrorKind::Connection
                    | ErrorKind::Timeout
                    | ErrorKind::OutcomeUnknown
            ),
            replies: Vec::new(),
        }
    }

    /// Sets the finer diagnosis code (a stable snake_case string).
    pub fn with_reason(mut self, reason: &'static str) -> Error {
        self.reason = Some(reason);
        self
    }

    /// Sets the UTF-8 byte offset of a parse error.
    pub fn with_position(mut self, position: usize) -> Error {
        self.position = Some(position);
        self
    }

    /// Sets whether retrying later may succeed.
    pub fn with_transient(mut self, transient: bool) -> Error {
        self.transient = transient;
        self
    }

    /// Attaches a server reply (several for `recipients_rejected`).
    pub fn with_reply(mut self, reply: ErrorReply) -> Error {
        self.replies.push(reply);
        self
    }

    /// The stable kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The finer diagnosis code, where one exists.
    pub fn reason(&self) -> Option<&'static str> {
        self.reason
    }

    /// The human message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The UTF-8 byte offset of a parse error.
    pub fn position(&self) -> Option<usize> {
        self.position
    }

    /// Whether retrying later may succeed.
    pub fn transient(&self) -> bool {
        self.transient
    }

    /// The first (or only) server reply attached to the error.
    pub fn reply(&self) -> Option<&ErrorReply> {
        self.replies.first()
    }

    /// Every server reply attached to the error.
    pub fn replies(&self) -> &[ErrorReply] {
        &self.replies
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind.as_str())
            .field("reason", &self.reason)
            .field("message", &self.message)
            .field("position", &self.position)
            .field("transient", &self.transient)
            .field("replies", &self.replies)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.message)
    }
}

impl std::error::Error for Error {}

/// The result type of the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_defaults_follow_the_kind() {
        assert!(Error::new(ErrorKind::SmtpTransient, "x").transient());
        assert!(!Error::new(ErrorKind::SmtpPermanent, "x").transient());
        assert!(Error::new(ErrorKind::OutcomeUnknown, "x").transient());
    }
}
