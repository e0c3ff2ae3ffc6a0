//! Email addresses: parsing and validation in envelope form (RFC 5321 Mailbox) and
//! header form (RFC 5322 mailbox with an optional display name), with IDNA.
//!
//! CONTRACT STUB: the public types and signatures below are fixed; the body is a
//! placeholder to be replaced by the full validator.

use crate::error::{Error, ErrorKind, Result};

/// Which grammar an address is read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// RFC 5321 Mailbox: `local@domain`, no display name, no angle brackets.
    #[default]
    Envelope,
    /// RFC 5322 mailbox: `Name <local@domain>` or `local@domain`.
    Header,
}

/// Options of the validator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AddressOptions {
    /// The grammar.
    pub mode: Mode,
    /// Accept quoted local parts (`"john doe"@example.com`).
    pub allow_quoted_local: bool,
    /// Accept address literals (`user@[192.0.2.1]`).
    pub allow_domain_literal: bool,
}

/// A valid address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// The local part, case kept (quoted form kept as written when quoted).
    pub local: String,
    /// The domain in Unicode form (U-labels), or the literal with brackets.
    pub domain: String,
    /// The domain in ASCII form (A-labels), or the literal with brackets.
    pub ascii_domain: String,
    /// The display name; `None` when absent or empty.
    pub display_name: Option<String>,
    /// Whether sending to/from this address needs SMTPUTF8 (non-ASCII local part).
    pub smtputf8: bool,
}

impl Address {
    /// Parses and validates `input`. Errors have kind `invalid_address`, a diagnosis
    /// code as reason and the byte position of the fault.
    pub fn parse(input: &str, options: &AddressOptions) -> Result<Address> {
        let Some(at) = input.rfind('@') else {
            return Err(Error::new(ErrorKind::InvalidAddress, "the address has no @")
                .with_reason("no_at")
                .with_position(input.len()));
        };
        let domain = &input[at + 1..];
        let _ = options;
        Ok(Address {
            local: input[..at].to_string(),
            domain: domain.to_string(),
            ascii_domain: domain.to_string(),
            display_name: None,
            smtputf8: !input[..at].is_ascii(),
        })
    }

    /// `local@ascii_domain`: the form used in MAIL FROM / RCPT TO.
    pub fn envelope(&self) -> String {
        format!("{}@{}", self.local, self.ascii_domain)
    }
}
