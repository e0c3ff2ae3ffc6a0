//! Email addresses: parsing and validation in envelope form (RFC 5321 Mailbox) and
//! header form (RFC 5322 mailbox with an optional display name), with IDNA.
//!
//! The validator is strict about what it accepts for sending: comments, folding white
//! space and obsolete syntax are refused, every control character is refused, quoted
//! local parts and address literals only pass when the options allow them. Domains go
//! through UTS 46 non-transitional processing with the strict checks (STD3 rules,
//! hyphens, bidi, joiners) to their A-label form. Every refusal carries a stable
//! snake_case diagnosis code ([`REASONS`] lists them) and the UTF-8 byte offset of the
//! fault. `docs/ADDRESSES.md` explains each rule and where it differs from python
//! `email-validator`.

mod chars;
mod display_name;
mod domain;
mod local;
mod nfc;
mod plain;
#[cfg(test)]
mod tests;

pub(crate) use chars::{first_non_printable, is_atext, is_atext_byte};
use plain::parse_common;
pub(crate) use plain::{parse_plain, PlainAddress};

use crate::error::{Error, ErrorKind, Result};
use chars::{find_unquoted, show};
use display_name::{format_phrase, parse_display_name};
use domain::{parse_domain, parse_literal};
use local::{parse_dot_atom_local, parse_quoted_local};
use std::borrow::Cow;
use std::fmt;

/// Longest local part, in octets (RFC 5321 4.5.3.1.1).
pub const MAX_LOCAL_LEN: usize = 64;
/// Longest domain label, in octets of the A-label form (RFC 1035 2.3.4).
pub const MAX_LABEL_LEN: usize = 63;
/// Longest domain, in octets of the ASCII form without a trailing dot (RFC 1035 2.3.4).
pub const MAX_DOMAIN_LEN: usize = 253;
/// Longest address `local@domain`, in octets (RFC 5321 4.5.3.1.3 with erratum 1690).
pub const MAX_PATH_LEN: usize = 254;

/// Every diagnosis code the validator can give, with its meaning. Codes never change
/// once published.
pub const REASONS: &[(&str, &str)] = &[
    ("empty", "the input (or the address between angle brackets) is empty"),
    ("no_at", "there is no @ between the local part and the domain"),
    ("empty_local", "nothing before the @"),
    ("empty_domain", "nothing after the @"),
    ("control_char", "a control character (including CR, LF, TAB, NUL, DEL, C1 controls) anywhere"),
    ("whitespace", "white space where none is allowed (around the address, around @ or dots, in a dot-atom, inside angle brackets, non-ASCII spaces outside quotes)"),
    ("comment_not_allowed", "a parenthesis: RFC 5322 comments are refused"),
    ("obsolete_syntax", "RFC 5322 obsolete syntax: dotted display names, mixed quoted/dotted local parts, source routes, quoted pairs in address literals"),
    ("invalid_char", "a character not allowed at that place"),
    ("unsafe_char", "a Unicode format, private-use, unassigned or surrogate character, a line/paragraph separator, or a combining mark at the start of a part"),
    ("dot_start", "the local part or the domain starts with a dot"),
    ("dot_end", "the local part or the domain ends with a dot (a trailing root dot included)"),
    ("consecutive_dots", "two dots in a row"),
    ("hyphen_start", "a domain label starts with a hyphen"),
    ("hyphen_end", "a domain label ends with a hyphen"),
    ("unclosed_quote", "a quoted string has no closing quote"),
    ("unclosed_angle", "an opening < has no closing >"),
    ("text_after_address", "something follows the closing >"),
    ("angle_brackets_not_allowed", "angle brackets or a display name in envelope form"),
    ("quoted_local_not_allowed", "a quoted local part while allow_quoted_local is off"),
    ("domain_literal_not_allowed", "an address literal ([...]) while allow_domain_literal is off"),
    ("unclosed_literal", "an address literal has no closing ]"),
    ("invalid_literal", "an address literal that is neither a dotted IPv4 address nor IPv6:<IPv6 address>"),
    ("invalid_idn", "the domain fails UTS 46 processing or its strict checks (bidi, joiners, hyphens in positions 3-4, bad Punycode, disallowed characters)"),
    ("numeric_tld", "the last label of the domain is all digits"),
    ("local_too_long", "the local part is longer than 64 octets"),
    ("label_too_long", "a domain label is longer than 63 octets in A-label form"),
    ("domain_too_long", "the domain is longer than 253 octets in ASCII form (or 253 characters as written)"),
    ("address_too_long", "local@domain is longer than 254 octets"),
];

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

/// A valid address. With the `wasm` feature it serialises as JavaScript's `AddressInfo`
/// (camelCase fields, `null` for no display name).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "wasm",
    derive(serde::Serialize, tsify_next::Tsify),
    serde(rename_all = "camelCase"),
    tsify(type_suffix = "Info", missing_as_null)
)]
pub struct Address {
    /// The local part, case kept, NFC-normalised, with the minimum quoting it needs
    /// (`"abc"` becomes `abc`; `"a b"` stays quoted, `"` and `\` escaped).
    pub local: String,
    /// The domain in Unicode form (U-labels), or the normalised literal with brackets.
    pub domain: String,
    /// The domain in ASCII form (A-labels, lower case), or the normalised literal with
    /// brackets.
    pub ascii_domain: String,
    /// The display name (unquoted, unescaped, NFC); `None` when absent or empty.
    pub display_name: Option<String>,
    /// Whether sending to/from this address needs SMTPUTF8 (non-ASCII local part).
    pub smtputf8: bool,
}

impl Address {
    /// Parses and validates `input`. Errors have kind `invalid_address`, a diagnosis
    /// code as reason and the byte position of the fault.
    pub fn parse(input: &str, options: &AddressOptions) -> Result<Address> {
        parse(input, options)
    }

    /// `local@ascii_domain`: the form used in MAIL FROM / RCPT TO.
    pub fn envelope(&self) -> String {
        format!("{}@{}", self.local, self.ascii_domain)
    }

    /// The header form (RFC 5322 / RFC 6532): `Name <local@ascii_domain>` with the
    /// display name quoted when it is not a plain phrase of atoms, or the bare
    /// `local@ascii_domain` without a display name. Non-ASCII display names are
    /// written as UTF-8; encoding them for non-SMTPUTF8 messages is the message
    /// builder's job.
    pub fn header(&self) -> String {
        match &self.display_name {
            None => self.envelope(),
            Some(name) => format!("{} <{}>", format_phrase(name), self.envelope()),
        }
    }
}

impl fmt::Display for Address {
    /// Writes [`Address::header`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.header())
    }
}

/// An `invalid_address` error; a fixed message is not copied.
#[inline]
fn fail(reason: &'static str, position: usize, message: impl Into<Cow<'static, str>>) -> Error {
    refusal(reason, position, message.into())
}

/// The error of [`fail`], built out of line: the many places that refuse an address
/// each make one call.
#[cold]
#[inline(never)]
fn refusal(reason: &'static str, position: usize, message: Cow<'static, str>) -> Error {
    Error::with_text(ErrorKind::InvalidAddress, message)
        .with_reason(reason)
        .with_position(position)
}

fn parse(input: &str, options: &AddressOptions) -> Result<Address> {
    if let Some(address) = parse_common(input, options.mode) {
        return Ok(address);
    }
    parse_full(input, options)
}

/// The full rules, without the fast path (which gives the same answer where it
/// answers: see the `fast_path_agrees_with_the_full_rules` test).
fn parse_full(input: &str, options: &AddressOptions) -> Result<Address> {
    let suspect = first_non_printable(input);
    let control = input.get(suspect..).and_then(|rest| {
        rest.char_indices()
            .find(|(_, c)| c.is_control())
            .map(|(i, c)| (suspect + i, c))
    });
    if let Some((i, c)) = control {
        return Err(fail(
            "control_char",
            i,
            format!(
                "the control character {} is not allowed in an address",
                show(c)
            ),
        ));
    }
    if input.is_empty() {
        return Err(fail("empty", 0, "the address is empty"));
    }
    if input.starts_with(' ') {
        return Err(fail("whitespace", 0, "the address starts with white space"));
    }
    if input.ends_with(' ') {
        return Err(fail(
            "whitespace",
            input.len() - 1,
            "the address ends with white space",
        ));
    }
    match options.mode {
        Mode::Envelope => {
            if let Some(i) = find_unquoted(input, b"<>") {
                return Err(fail(
                    "angle_brackets_not_allowed",
                    i,
                    "angle brackets and display names are only allowed in header form",
                ));
            }
            let spec = parse_addr_spec(input, 0, options)?;
            Ok(spec.into_address(None))
        }
        Mode::Header => {
            let Some(lt) = find_unquoted(input, b"<") else {
                let spec = parse_addr_spec(input, 0, options)?;
                return Ok(spec.into_address(None));
            };
            let display_name = parse_display_name(&input[..lt])?;
            let rest = &input[lt + 1..];
            let Some(gt) = find_unquoted(rest, b">") else {
                return Err(fail("unclosed_angle", lt, "the opening < has no closing >"));
            };
            let after = lt + 1 + gt + 1;
            if after < input.len() {
                return Err(fail(
                    "text_after_address",
                    after,
                    "nothing may follow the closing > of the address",
                ));
            }
            let spec = parse_addr_spec(&rest[..gt], lt + 1, options)?;
            Ok(spec.into_address(display_name))
        }
    }
}

/// The parts of a valid addr-spec.
struct Spec {
    local: String,
    domain: String,
    ascii_domain: String,
}

impl Spec {
    fn into_address(self, display_name: Option<String>) -> Address {
        let smtputf8 = !self.local.is_ascii();
        Address {
            local: self.local,
            domain: self.domain,
            ascii_domain: self.ascii_domain,
            display_name,
            smtputf8,
        }
    }
}

/// Parses `local@domain`; `s` starts at byte `base` of the input.
fn parse_addr_spec(s: &str, base: usize, options: &AddressOptions) -> Result<Spec> {
    if s.is_empty() {
        return Err(fail("empty", base, "the address is empty"));
    }
    if s.starts_with('@') && s.contains(':') {
        return Err(fail(
            "obsolete_syntax",
            base,
            "source routes (@host:) are obsolete syntax and not accepted",
        ));
    }
    // The local part is copied only once the whole address is valid.
    let (local, at) = if s.starts_with('"') {
        let (local, at) = parse_quoted_local(s, base, options)?;
        (Cow::Owned(local), at)
    } else {
        parse_dot_atom_local(s, base)?
    };
    let written_local = &s[..at];
    let domain_part = &s[at + 1..];
    let dbase = base + at + 1;
    let (domain, ascii_domain) = if domain_part.starts_with('[') {
        parse_literal(domain_part, dbase, options)?
    } else {
        parse_domain(domain_part, dbase)?
    };
    if local.len() > MAX_LOCAL_LEN || written_local.len() > MAX_LOCAL_LEN {
        return Err(fail(
            "local_too_long",
            base,
            format!(
                "the local part is {} octets long, more than the {MAX_LOCAL_LEN} allowed",
                local.len().max(written_local.len())
            ),
        ));
    }
    let longest = s
        .len()
        .max(local.len() + 1 + domain.len())
        .max(local.len() + 1 + ascii_domain.len());
    if longest > MAX_PATH_LEN {
        return Err(fail(
            "address_too_long",
            base,
            format!("the address is {longest} octets long, more than the {MAX_PATH_LEN} allowed"),
        ));
    }
    Ok(Spec {
        local: local.into_owned(),
        domain,
        ascii_domain,
    })
}
