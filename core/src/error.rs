//! The one error model of the SDK: a stable kind, a finer reason, a human message,
//! an optional byte position and, for SMTP failures, the server's reply.

use std::fmt;

/// The stable class of a failure. Its snake_case name (`as_str`) and number (`number`)
/// never change once published; a retired number stays reserved.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// An address failed to parse or validate (reason = diagnosis code).
    InvalidAddress,
    /// A message could not be built (reason = diagnosis code).
    InvalidMessage,
    /// An SMTP reply could not be parsed.
    InvalidReply,
    /// A status-API response could not be parsed.
    InvalidStatusResponse,
    /// An argument is out of its allowed form (ids, URLs, options).
    InvalidArgument,
    /// The sender is outside the account's registered domains and addresses.
    SenderNotRegistered,
    /// The connection could not be made or was lost.
    Connection,
    /// A step did not finish within its time limit.
    Timeout,
    /// TLS could not be established (or was not offered when required).
    Tls,
    /// Authentication was refused or impossible.
    Auth,
    /// The peer broke the protocol.
    Protocol,
    /// The message is larger than the server accepts.
    MessageTooLarge,
    /// The message needs SMTPUTF8 and the server does not offer it.
    Smtputf8NotSupported,
    /// Every recipient was refused.
    RecipientsRejected,
    /// The server refused with a transient (4xx) reply: retry later.
    SmtpTransient,
    /// The server refused with a permanent (5xx) reply: do not retry.
    SmtpPermanent,
    /// The message data was sent but its final reply never came: it may or may not
    /// have been accepted. Resend with the same Message-ID.
    OutcomeUnknown,
    /// The status API answered with an HTTP error.
    StatusHttp,
    /// The status API does not know the notification.
    NotFound,
    /// A bug in the SDK itself.
    Internal,
}

impl ErrorKind {
    /// Every kind, in number order.
    pub const ALL: [ErrorKind; 20] = [
        ErrorKind::InvalidAddress,
        ErrorKind::InvalidMessage,
        ErrorKind::InvalidReply,
        ErrorKind::InvalidStatusResponse,
        ErrorKind::InvalidArgument,
        ErrorKind::SenderNotRegistered,
        ErrorKind::Connection,
        ErrorKind::Timeout,
        ErrorKind::Tls,
        ErrorKind::Auth,
        ErrorKind::Protocol,
        ErrorKind::MessageTooLarge,
        ErrorKind::Smtputf8NotSupported,
        ErrorKind::RecipientsRejected,
        ErrorKind::SmtpTransient,
        ErrorKind::SmtpPermanent,
        ErrorKind::OutcomeUnknown,
        ErrorKind::StatusHttp,
        ErrorKind::NotFound,
        ErrorKind::Internal,
    ];

    /// The stable snake_case name used by every binding and the conformance drivers.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidAddress => "invalid_address",
            ErrorKind::InvalidMessage => "invalid_message",
            ErrorKind::InvalidReply => "invalid_reply",
            ErrorKind::InvalidStatusResponse => "invalid_status_response",
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::SenderNotRegistered => "sender_not_registered",
            ErrorKind::Connection => "connection",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Tls => "tls",
            ErrorKind::Auth => "auth",
            ErrorKind::Protocol => "protocol",
            ErrorKind::MessageTooLarge => "message_too_large",
            ErrorKind::Smtputf8NotSupported => "smtputf8_not_supported",
            ErrorKind::RecipientsRejected => "recipients_rejected",
            ErrorKind::SmtpTransient => "smtp_transient",
            ErrorKind::SmtpPermanent => "smtp_permanent",
            ErrorKind::OutcomeUnknown => "outcome_unknown",
            ErrorKind::StatusHttp => "status_http",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Internal => "internal",
        }
    }

    /// The stable number of the kind, grouped by area: 1xxx input, 3xxx SMTP,
    /// 4xxx HTTP, 9xxx internal. The C binding's status enum uses these numbers.
    pub fn number(self) -> u32 {
        match self {
            ErrorKind::InvalidAddress => 1001,
            ErrorKind::InvalidMessage => 1002,
            ErrorKind::InvalidReply => 1003,
            ErrorKind::InvalidStatusResponse => 1004,
            ErrorKind::InvalidArgument => 1005,
            ErrorKind::SenderNotRegistered => 1006,
            ErrorKind::Connection => 3001,
            ErrorKind::Timeout => 3002,
            ErrorKind::Tls => 3003,
            ErrorKind::Auth => 3004,
            ErrorKind::Protocol => 3005,
            ErrorKind::MessageTooLarge => 3006,
            ErrorKind::Smtputf8NotSupported => 3007,
            ErrorKind::RecipientsRejected => 3008,
            ErrorKind::SmtpTransient => 3009,
            ErrorKind::SmtpPermanent => 3010,
            ErrorKind::OutcomeUnknown => 3011,
            ErrorKind::StatusHttp => 4001,
            ErrorKind::NotFound => 4002,
            ErrorKind::Internal => 9001,
        }
    }

    /// The kind with this snake_case name, if any.
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.iter().copied().find(|k| k.as_str() == name)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An SMTP reply as carried by an error: the facts, not the prose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorReply {
    /// The basic three-digit code.
    pub code: u16,
    /// The enhanced code (`class.subject.detail`), when the server sent one.
    pub enhanced: Option<String>,
    /// The reply text, lines joined with `\n`, codes removed.
    pub text: String,
    /// The recipient this reply concerns, for per-recipient refusals.
    pub recipient: Option<String>,
}

/// A failure of any part of the SDK.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    reason: Option<&'static str>,
    message: String,
    position: Option<usize>,
    transient: bool,
    replies: Vec<ErrorReply>,
}

impl Error {
    /// A new error of `kind` with a human message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            reason: None,
            message: message.into(),
            position: None,
            transient: matches!(
                kind,
                ErrorKind::SmtpTransient | ErrorKind::Connection | ErrorKind::Timeout
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
    fn names_and_numbers_are_unique_and_round_trip() {
        let mut names = std::collections::HashSet::new();
        let mut numbers = std::collections::HashSet::new();
        for kind in ErrorKind::ALL {
            assert!(names.insert(kind.as_str()), "duplicate name {kind}");
            assert!(numbers.insert(kind.number()), "duplicate number {kind}");
            assert_eq!(ErrorKind::from_name(kind.as_str()), Some(kind));
        }
        assert_eq!(ErrorKind::from_name("nope"), None);
    }

    #[test]
    fn transient_defaults_follow_the_kind() {
        assert!(Error::new(ErrorKind::SmtpTransient, "x").transient());
        assert!(!Error::new(ErrorKind::SmtpPermanent, "x").transient());
    }
}
