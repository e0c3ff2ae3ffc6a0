//! GENERATED from the core's table of error kinds (`email365::error::KINDS`) by the
//! test `result_codes_are_generated_from_the_core` in `mod.rs`: do not edit. After
//! changing the table run `E365_BLESS=1 cargo test -p email365-c --lib error`.

/// The status every fallible function returns: `E365_OK` (0) or the stable number of the
/// error kind (grouped by area: 1xxx input, 3xxx SMTP and network, 4xxx status API, 9xxx
/// internal). The numbers never change once published; `e365_result_name` gives the
/// snake_case name shared by every binding (`"invalid_address"`) and
/// `e365_result_family` its family (docs/ERRORS.md).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum e365_result {
    /// Success.
    E365_OK = 0,
    /// An address failed to parse or validate (reason = diagnosis code, position = byte offset).
    E365_INVALID_ADDRESS = 1001,
    /// A message could not be built (reason = diagnosis code).
    E365_INVALID_MESSAGE = 1002,
    /// An SMTP reply could not be parsed.
    E365_INVALID_REPLY = 1003,
    /// A status-API response could not be parsed.
    E365_INVALID_STATUS_RESPONSE = 1004,
    /// An argument is missing or out of its allowed form (reason says which check failed).
    E365_INVALID_ARGUMENT = 1005,
    /// The sender is outside the account's registered domains and addresses.
    E365_SENDER_NOT_REGISTERED = 1006,
    /// The connection could not be made or was lost.
    E365_CONNECTION = 3001,
    /// A step did not finish within its time limit.
    E365_TIMEOUT = 3002,
    /// TLS could not be established (or was not offered when required).
    E365_TLS = 3003,
    /// Authentication was refused or impossible.
    E365_AUTH = 3004,
    /// The peer broke the protocol.
    E365_PROTOCOL = 3005,
    /// The message is larger than the server accepts.
    E365_MESSAGE_TOO_LARGE = 3006,
    /// The message needs SMTPUTF8 and the server does not offer it.
    E365_SMTPUTF8_NOT_SUPPORTED = 3007,
    /// Every recipient was refused (one reply per recipient).
    E365_RECIPIENTS_REJECTED = 3008,
    /// The server refused with a transient (4xx) reply: retry later.
    E365_SMTP_TRANSIENT = 3009,
    /// The server refused with a permanent (5xx) reply: do not retry.
    E365_SMTP_PERMANENT = 3010,
    /// The message data was sent but its final reply never came: resend with the same Message-ID.
    E365_OUTCOME_UNKNOWN = 3011,
    /// The status API answered with an HTTP error.
    E365_STATUS_HTTP = 4001,
    /// The status API does not know the notification.
    E365_NOT_FOUND = 4002,
    /// A bug in the SDK itself (a caught panic included).
    E365_INTERNAL = 9001,
}

/// Every error code, in number order (`E365_OK` excluded).
pub(crate) const CODES: [e365_result; 20] = [
    e365_result::E365_INVALID_ADDRESS,
    e365_result::E365_INVALID_MESSAGE,
    e365_result::E365_INVALID_REPLY,
    e365_result::E365_INVALID_STATUS_RESPONSE,
    e365_result::E365_INVALID_ARGUMENT,
    e365_result::E365_SENDER_NOT_REGISTERED,
    e365_result::E365_CONNECTION,
    e365_result::E365_TIMEOUT,
    e365_result::E365_TLS,
    e365_result::E365_AUTH,
    e365_result::E365_PROTOCOL,
    e365_result::E365_MESSAGE_TOO_LARGE,
    e365_result::E365_SMTPUTF8_NOT_SUPPORTED,
    e365_result::E365_RECIPIENTS_REJECTED,
    e365_result::E365_SMTP_TRANSIENT,
    e365_result::E365_SMTP_PERMANENT,
    e365_result::E365_OUTCOME_UNKNOWN,
    e365_result::E365_STATUS_HTTP,
    e365_result::E365_NOT_FOUND,
    e365_result::E365_INTERNAL,
];
