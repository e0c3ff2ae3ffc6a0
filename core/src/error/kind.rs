//! The error kinds, declared once: the `error_kinds!` table below gives the
//! [`ErrorKind`] enum, its stable numbers and snake_case names, [`ErrorKind::ALL`], a
//! one-line description, a [`Family`] and the exception class each binding throws
//! ([`KindInfo`]). Every binding's list (the C `e365_result` enum, the TypeScript
//! `ErrorKind` union, the Python and JS class trees) is generated from this table or
//! checked against it by a test; `docs/ERRORS.md` renders it for readers.

use std::fmt;

/// The broad class of a kind: what went wrong, and so what a caller can do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "wasm",
    derive(tsify_next::Tsify),
    serde(rename_all = "snake_case")
)]
pub enum Family {
    /// The input (an address, a message, a reply, an argument) is invalid: fix the
    /// input; retrying the same call cannot succeed.
    Input,
    /// The network path failed: the connection, its TLS layer or a time limit. Often
    /// transient (see `Error::transient`).
    Connection,
    /// The SMTP server refused or broke the exchange; the error carries its reply.
    Smtp,
    /// The status API answered with an error or with a body that is not a status.
    Status,
    /// A bug in the SDK itself.
    Internal,
}

impl Family {
    /// Every family, in the order of the documentation.
    pub const ALL: [Family; 5] = [
        Family::Input,
        Family::Connection,
        Family::Smtp,
        Family::Status,
        Family::Internal,
    ];

    /// The stable snake_case name (`"input"`, `"connection"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Input => "input",
            Family::Connection => "connection",
            Family::Smtp => "smtp",
            Family::Status => "status",
            Family::Internal => "internal",
        }
    }
}

// Serialised as its name (the tsify derive declares the same strings).
#[cfg(feature = "wasm")]
impl serde::Serialize for ErrorKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything the SDK publishes about one kind: the row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindInfo {
    /// The kind.
    pub kind: ErrorKind,
    /// The stable number (1xxx input, 3xxx SMTP and network, 4xxx status API, 9xxx
    /// internal); the C binding's `e365_result` value.
    pub number: u32,
    /// The stable snake_case name shared by every binding and the conformance drivers.
    pub name: &'static str,
    /// The family.
    pub family: Family,
    /// One line saying what the kind means.
    pub doc: &'static str,
    /// The exception class thrown for the kind in JavaScript (the shared class name).
    pub class: &'static str,
    /// The direct parent of [`class`](KindInfo::class): `Email365Error`, `SmtpError`
    /// (a class of no kind of its own) or the class of another kind.
    pub parent: &'static str,
    /// The class name in Python, where a builtin of the same name forces another one
    /// (`ConnectionError`, `TimeoutError`); equal to `class` otherwise.
    pub python_class: &'static str,
    /// The Python builtin exceptions the Python class also derives from, after its
    /// parent (`ValueError` for input, `ConnectionError`, `TimeoutError`, `LookupError`).
    pub python_builtins: &'static [&'static str],
}

/// Declares the kinds: one row each, in number order.
macro_rules! error_kinds {
    ($(
        $variant:ident = $number:literal, $name:literal, $family:ident,
        $class:literal extends $parent:literal, python $py_class:literal [$($builtin:literal),*],
        $doc:literal;
    )*) => {
        /// The stable class of a failure. Its snake_case name (`as_str`) and number
        /// (`number`) never change once published; a retired number stays reserved.
        /// `docs/ERRORS.md` lists every kind with its family and classes.
        #[non_exhaustive]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "wasm", derive(tsify_next::Tsify), serde(rename_all = "snake_case"))]
        pub enum ErrorKind {
            $(#[doc = $doc] $variant,)*
        }

        /// The table of every kind, in number order.
        pub const KINDS: &[KindInfo] = &[$(KindInfo {
            kind: ErrorKind::$variant,
            number: $number,
            name: $name,
            family: Family::$family,
            doc: $doc,
            class: $class,
            parent: $parent,
            python_class: $py_class,
            python_builtins: &[$($builtin),*],
        },)*];

        // One lookup per field, so that a build links only the columns it uses (the
        // wasm module carries neither the docs nor the class names).
        impl ErrorKind {
            /// Every kind, in number order.
            pub const ALL: [ErrorKind; KINDS.len()] = [$(ErrorKind::$variant,)*];

            /// The stable snake_case name used by every binding and the conformance
            /// drivers.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorKind::$variant => $name,)* }
            }

            /// The stable number of the kind (1xxx input, 3xxx SMTP and network, 4xxx
            /// status API, 9xxx internal). The C binding's status enum uses these numbers.
            pub fn number(self) -> u32 {
                match self { $(ErrorKind::$variant => $number,)* }
            }

            /// The family of the kind.
            pub fn family(self) -> Family {
                match self { $(ErrorKind::$variant => Family::$family,)* }
            }

            /// The row of the kind in [`KINDS`].
            pub fn info(self) -> &'static KindInfo {
                match self {
                    $(ErrorKind::$variant => {
                        const INFO: KindInfo = KindInfo {
                            kind: ErrorKind::$variant,
                            number: $number,
                            name: $name,
                            family: Family::$family,
                            doc: $doc,
                            class: $class,
                            parent: $parent,
                            python_class: $py_class,
                            python_builtins: &[$($builtin),*],
                        };
                        &INFO
                    })*
                }
            }
        }
    };
}

error_kinds! {
    InvalidAddress = 1001, "invalid_address", Input,
        "InvalidAddress" extends "Email365Error", python "InvalidAddress" ["ValueError"],
        "An address failed to parse or validate (reason = diagnosis code, position = byte offset).";
    InvalidMessage = 1002, "invalid_message", Input,
        "InvalidMessage" extends "Email365Error", python "InvalidMessage" ["ValueError"],
        "A message could not be built (reason = diagnosis code).";
    InvalidReply = 1003, "invalid_reply", Input,
        "InvalidReply" extends "Email365Error", python "InvalidReply" ["ValueError"],
        "An SMTP reply could not be parsed.";
    InvalidStatusResponse = 1004, "invalid_status_response", Status,
        "InvalidStatusResponse" extends "StatusApiError", python "InvalidStatusResponse" ["ValueError"],
        "A status-API response could not be parsed.";
    InvalidArgument = 1005, "invalid_argument", Input,
        "InvalidArgument" extends "Email365Error", python "InvalidArgument" ["ValueError"],
        "An argument is missing or out of its allowed form (reason says which check failed).";
    SenderNotRegistered = 1006, "sender_not_registered", Input,
        "SenderNotRegistered" extends "InvalidMessage", python "SenderNotRegistered" [],
        "The sender is outside the account's registered domains and addresses.";
    Connection = 3001, "connection", Connection,
        "ConnectionError" extends "Email365Error", python "ConnectionFailedError" ["ConnectionError"],
        "The connection could not be made or was lost.";
    Timeout = 3002, "timeout", Connection,
        "TimeoutError" extends "Email365Error", python "TimeoutExpiredError" ["TimeoutError"],
        "A step did not finish within its time limit.";
    Tls = 3003, "tls", Connection,
        "TlsError" extends "ConnectionError", python "TlsError" [],
        "TLS could not be established (or was not offered when required).";
    Auth = 3004, "auth", Smtp,
        "AuthenticationError" extends "SmtpError", python "AuthenticationError" [],
        "Authentication was refused or impossible.";
    Protocol = 3005, "protocol", Smtp,
        "ProtocolError" extends "SmtpError", python "ProtocolError" [],
        "The peer broke the protocol.";
    MessageTooLarge = 3006, "message_too_large", Smtp,
        "MessageTooLargeError" extends "PermanentError", python "MessageTooLargeError" [],
        "The message is larger than the server accepts.";
    Smtputf8NotSupported = 3007, "smtputf8_not_supported", Smtp,
        "Smtputf8NotSupportedError" extends "PermanentError", python "Smtputf8NotSupportedError" [],
        "The message needs SMTPUTF8 and the server does not offer it.";
    RecipientsRejected = 3008, "recipients_rejected", Smtp,
        "RecipientsRejectedError" extends "SmtpError", python "RecipientsRejectedError" [],
        "Every recipient was refused (one reply per recipient).";
    SmtpTransient = 3009, "smtp_transient", Smtp,
        "TransientError" extends "SmtpError", python "TransientError" [],
        "The server refused with a transient (4xx) reply: retry later.";
    SmtpPermanent = 3010, "smtp_permanent", Smtp,
        "PermanentError" extends "SmtpError", python "PermanentError" [],
        "The server refused with a permanent (5xx) reply: do not retry.";
    OutcomeUnknown = 3011, "outcome_unknown", Smtp,
        "OutcomeUnknownError" extends "SmtpError", python "OutcomeUnknownError" [],
        "The message data was sent but its final reply never came: resend with the same Message-ID.";
    StatusHttp = 4001, "status_http", Status,
        "StatusApiError" extends "Email365Error", python "StatusApiError" [],
        "The status API answered with an HTTP error.";
    NotFound = 4002, "not_found", Status,
        "NotFoundError" extends "StatusApiError", python "NotFoundError" ["LookupError"],
        "The status API does not know the notification.";
    Internal = 9001, "internal", Internal,
        "InternalError" extends "Email365Error", python "InternalError" [],
        "A bug in the SDK itself (a caught panic included).";
}

impl ErrorKind {
    /// The kind with this snake_case name, if any.
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        KINDS.iter().find(|k| k.name == name).map(|k| k.kind)
    }

    /// The kind with this number, if any.
    pub fn from_number(number: u32) -> Option<ErrorKind> {
        KINDS.iter().find(|k| k.number == number).map(|k| k.kind)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The classes that belong to no kind: the base of every error and the base of the
/// SMTP server's refusals. Every other parent named in [`KINDS`] is a kind's class.
pub const BASE_CLASSES: [&str; 2] = ["Email365Error", "SmtpError"];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_numbers_and_classes_are_unique_and_round_trip() {
        let mut names = HashSet::new();
        let mut numbers = HashSet::new();
        let mut classes = HashSet::new();
        for (i, kind) in ErrorKind::ALL.into_iter().enumerate() {
            let info = kind.info();
            assert_eq!(&KINDS[i], info, "{kind}: ALL and KINDS disagree");
            assert_eq!((kind.as_str(), kind.number()), (info.name, info.number));
            assert!(names.insert(info.name), "duplicate name {kind}");
            assert!(numbers.insert(info.number), "duplicate number {kind}");
            assert!(classes.insert(info.class), "duplicate class {kind}");
            assert_eq!(ErrorKind::from_name(kind.as_str()), Some(kind));
            assert_eq!(ErrorKind::from_number(kind.number()), Some(kind));
            let snake = (info.name.bytes())
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            assert!(snake, "{kind}: name not snake_case");
        }
        assert!(KINDS.windows(2).all(|w| w[0].number < w[1].number));
        assert_eq!(ErrorKind::from_name("nope"), None);
        assert_eq!(ErrorKind::from_number(0), None);
    }

    #[test]
    fn every_parent_is_a_base_or_a_class_of_the_same_family() {
        for info in KINDS {
            if BASE_CLASSES.contains(&info.parent) {
                // SmtpError is the base of the SMTP family only.
                assert!(info.parent == "Email365Error" || info.family == Family::Smtp);
                continue;
            }
            let parent = KINDS.iter().find(|k| k.class == info.parent);
            let parent = parent.unwrap_or_else(|| panic!("{}: unknown parent", info.name));
            assert_eq!(
                parent.family, info.family,
                "{}: parent of another family",
                info.name
            );
            assert_ne!(parent.kind, info.kind);
        }
    }

    #[cfg(feature = "wasm")]
    #[test]
    fn serialised_names_are_the_wire_names() {
        for info in KINDS {
            let kind = serde_json::to_value(info.kind).unwrap();
            assert_eq!(kind, info.name);
        }
    }

    /// The rows of the kind table of `docs/ERRORS.md`.
    fn render_doc_table() -> String {
        let mut out = String::from(
            "| kind | number | family | Python class (bases) | JS class (extends) | C constant |\n\
             |---|---|---|---|---|---|\n",
        );
        let python_name = |class: &'static str| -> &'static str {
            KINDS
                .iter()
                .find(|k| k.class == class)
                .map_or(class, |k| k.python_class)
        };
        for k in KINDS {
            let mut bases = vec![python_name(k.parent)];
            bases.extend(k.python_builtins);
            out += &format!(
                "| `{}` | {} | {} | `{}({})` | `{} extends {}` | `E365_{}` |\n",
                k.name,
                k.number,
                k.family,
                k.python_class,
                bases.join(", "),
                k.class,
                k.parent,
                k.name.to_uppercase()
            );
        }
        out
    }

    #[test]
    fn the_documented_table_is_the_declared_one() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/ERRORS.md");
        let doc = std::fs::read_to_string(path).unwrap();
        let (start, end) = ("<!-- kinds:start -->\n", "<!-- kinds:end -->");
        let (head, rest) = doc
            .split_once(start)
            .expect("docs/ERRORS.md has the markers");
        let (table, tail) = rest
            .split_once(end)
            .expect("docs/ERRORS.md has the markers");
        let want = render_doc_table();
        if std::env::var_os("E365_BLESS").is_some() && table != want {
            std::fs::write(path, format!("{head}{start}{want}{end}{tail}")).unwrap();
            return;
        }
        assert!(
            table == want,
            "docs/ERRORS.md differs from the table: E365_BLESS=1 cargo test -p email365 --lib error"
        );
    }

    /// The table as JSON, for the tests of bindings that do not export it (JS).
    fn render_json() -> String {
        let rows: Vec<serde_json::Value> = KINDS
            .iter()
            .map(|k| {
                serde_json::json!({
                    "name": k.name, "number": k.number, "family": k.family.as_str(),
                    "class": k.class, "parent": k.parent, "python_class": k.python_class,
                    "python_builtins": k.python_builtins,
                })
            })
            .collect();
        serde_json::to_string_pretty(&rows).unwrap() + "\n"
    }

    #[test]
    fn the_table_file_is_the_declared_one() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/error_kinds.json");
        let want = render_json();
        if std::env::var_os("E365_BLESS").is_some() {
            std::fs::write(path, &want).unwrap();
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            have == want,
            "tests/error_kinds.json differs from the table: E365_BLESS=1 cargo test -p email365 --lib error"
        );
    }

    #[test]
    fn python_names_differ_only_where_a_builtin_forces_it() {
        for info in KINDS {
            if info.python_class != info.class {
                assert!(
                    ["ConnectionError", "TimeoutError"].contains(&info.class),
                    "{}: Python name differs without a builtin clash",
                    info.name
                );
            }
        }
    }

    #[test]
    fn every_input_kind_is_a_python_value_error() {
        for info in KINDS.iter().filter(|k| k.family == Family::Input) {
            let own = info.python_builtins.contains(&"ValueError");
            let inherited = KINDS
                .iter()
                .any(|p| p.class == info.parent && p.python_builtins.contains(&"ValueError"));
            assert!(own || inherited, "{}", info.name);
        }
    }
}
