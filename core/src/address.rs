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

use crate::error::{Error, ErrorKind, Result};
use icu_normalizer::ComposingNormalizerBorrowed;
use icu_properties::props::GeneralCategory;
use icu_properties::CodePointMapData;
use std::borrow::Cow;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

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

fn fail(reason: &'static str, position: usize, message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidAddress, message)
        .with_reason(reason)
        .with_position(position)
}

/// A character for a message: printable ones quoted, others as U+XXXX.
fn show(c: char) -> String {
    if c.is_control() || c.is_whitespace() || matches!(class(c), CharClass::Unsafe) {
        format!("U+{:04X}", c as u32)
    } else {
        format!("{c:?}")
    }
}

/// Byte classes for the ASCII fast paths (one table look-up per byte instead of a
/// chain of comparisons): RFC 5322 atext, letters-digits-hyphens, digits, upper case.
const ATEXT: u8 = 1;
const LDH: u8 = 2;
const UPPER: u8 = 4;
static BYTE_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        let mut class = 0;
        if c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'/'
                    | b'='
                    | b'?'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'{'
                    | b'|'
                    | b'}'
                    | b'~'
            )
        {
            class |= ATEXT;
        }
        if c.is_ascii_alphanumeric() || c == b'-' {
            class |= LDH;
        }
        if c.is_ascii_uppercase() {
            class |= UPPER;
        }
        table[b] = class;
        b += 1;
    }
    table
};

/// Whether the byte `b` is RFC 5322 atext (ASCII only).
#[inline]
pub(crate) fn is_atext_byte(b: u8) -> bool {
    BYTE_CLASS[usize::from(b)] & ATEXT != 0
}

/// RFC 5322 atext (shared with the message module's header checks).
#[inline]
pub(crate) fn is_atext(c: char) -> bool {
    c.is_ascii() && is_atext_byte(c as u8)
}

/// The offset of the first byte of `s` that is not printable ASCII (space to `~`),
/// `s.len()` when there is none: no character before it is a control character or
/// anything else than printable ASCII. Eight bytes at a time.
pub(crate) fn first_non_printable(s: &str) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let bytes = s.as_bytes();
    let mut at = 0;
    for chunk in bytes.chunks_exact(8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        // Per byte, with the high bits masked out first so that no lane borrows or
        // carries into its neighbour: below 0x20, exactly 0x7f, or at least 0x80.
        let low7 = w & !HIGH;
        let below_space = ((low7 | HIGH).wrapping_sub(ONES * 0x20) & HIGH) ^ HIGH;
        let del = low7.wrapping_add(ONES) & HIGH;
        if (w | below_space | del) & HIGH != 0 {
            break;
        }
        at += 8;
    }
    bytes[at..]
        .iter()
        .position(|&b| !(b' '..=b'~').contains(&b))
        .map_or(bytes.len(), |p| at + p)
}

/// The classes of non-ASCII characters that matter to the validator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CharClass {
    /// Letters, numbers, punctuation, symbols.
    Plain,
    /// Combining marks: refused at the start of a part.
    Mark,
    /// Space separators (allowed in quoted strings only).
    Space,
    /// Format, private use, unassigned, surrogate, line/paragraph separators.
    Unsafe,
}

fn class(c: char) -> CharClass {
    if c.is_ascii() {
        return if c == ' ' {
            CharClass::Space
        } else {
            CharClass::Plain
        };
    }
    match CodePointMapData::<GeneralCategory>::new().get(c) {
        GeneralCategory::NonspacingMark
        | GeneralCategory::SpacingMark
        | GeneralCategory::EnclosingMark => CharClass::Mark,
        GeneralCategory::SpaceSeparator => CharClass::Space,
        GeneralCategory::LineSeparator
        | GeneralCategory::ParagraphSeparator
        | GeneralCategory::Control
        | GeneralCategory::Format
        | GeneralCategory::PrivateUse
        | GeneralCategory::Surrogate
        | GeneralCategory::Unassigned => CharClass::Unsafe,
        _ => CharClass::Plain,
    }
}

/// Checks a non-ASCII character outside quotes; `first` when it starts its part.
fn check_unquoted_unicode(c: char, position: usize, first: bool) -> Result<()> {
    match class(c) {
        CharClass::Plain => Ok(()),
        CharClass::Mark if !first => Ok(()),
        CharClass::Mark => Err(fail(
            "unsafe_char",
            position,
            format!(
                "the combining mark {} cannot start a part of the address",
                show(c)
            ),
        )),
        CharClass::Space => Err(fail(
            "whitespace",
            position,
            format!(
                "the space character {} is not allowed outside quotes",
                show(c)
            ),
        )),
        CharClass::Unsafe => Err(fail(
            "unsafe_char",
            position,
            format!(
                "the invisible or unassigned character {} is not allowed",
                show(c)
            ),
        )),
    }
}

/// Checks a non-ASCII character inside a quoted string; `first` when it starts the value.
fn check_quoted_unicode(c: char, position: usize, first: bool) -> Result<()> {
    match class(c) {
        CharClass::Space => Ok(()),
        _ => check_unquoted_unicode(c, position, first),
    }
}

/// `s` in NFC: borrowed when every character is below U+0300 (each of those is
/// `NFC_Quick_Check=Yes` with combining class 0, so such text is already NFC), else the
/// composing normaliser's output collected from its iterator (one normaliser path, not
/// the string API's separate one), fed by `Utf8Chars` as idna feeds it: the wasm module
/// then carries one copy of the decomposition loop for both.
fn nfc(s: &str) -> Cow<'_, str> {
    if s.chars().all(|c| c < '\u{300}') {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        ComposingNormalizerBorrowed::new_nfc()
            .normalize_iter(utf8_iter::Utf8Chars::new(s.as_bytes()))
            .collect(),
    )
}

/// The byte offset of the first `target` outside quoted strings, if any.
fn find_unquoted(s: &str, targets: &[char]) -> Option<usize> {
    let mut in_quote = false;
    let mut escaped = false;
    // Bytes, not characters: every character involved is ASCII, and the bytes of a
    // multi-byte character are never ASCII (an escaped one clears `escaped` on its
    // first byte, as the character would).
    for (i, &b) in s.as_bytes().iter().enumerate() {
        if in_quote {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_quote = false;
            }
        } else if b == b'"' {
            in_quote = true;
        } else if b.is_ascii() && targets.contains(&char::from(b)) {
            return Some(i);
        }
    }
    None
}

/// An address in the common plain form, borrowed from the input: printable ASCII,
/// an optional display name of atoms and spaces, a dot-atom local part and a
/// letters-digits-hyphens domain without `--`. What [`parse_plain`] accepts,
/// [`parse`] accepts too, with exactly these parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PlainAddress<'a> {
    /// The display name (trailing spaces removed); `None` when absent or empty.
    pub(crate) display_name: Option<&'a str>,
    /// The local part as written (already NFC and minimally quoted: plain ASCII).
    pub(crate) local: &'a str,
    /// The domain as written (its lower-case form is the ASCII and Unicode form).
    pub(crate) domain: &'a str,
    /// `local@domain` as written.
    pub(crate) spec: &'a str,
    /// Whether the domain holds an upper-case letter (its lower-case form differs).
    pub(crate) domain_has_upper: bool,
}

impl PlainAddress<'_> {
    /// The [`Address`] that [`parse`] gives for the same input.
    pub(crate) fn to_address(self) -> Address {
        let ascii_domain = self.domain.to_ascii_lowercase();
        Address {
            local: self.local.to_string(),
            domain: ascii_domain.clone(),
            ascii_domain,
            display_name: self.display_name.map(str::to_string),
            smtputf8: false,
        }
    }
}

/// The fast path of [`parse`] for the common case, without allocating; `None` for
/// anything else (which [`parse`] then reads with the full rules, errors included).
/// Accepts only inputs that the full rules accept whatever the options:
///
/// - printable ASCII only (no control character, no non-ASCII, so NFC and UTS 46
///   change nothing but the case of the domain);
/// - header form only: `atoms-and-spaces <addr-spec>` (not starting with a space; the
///   name is the text before `<` without its trailing spaces, `None` when empty);
/// - a local part of atext and single inner dots, 1 to 64 octets (no quotes);
/// - a domain of labels of 1 to 63 letters, digits and hyphens, no hyphen at a label
///   edge, no `--` anywhere (so no A-label and no hyphens in positions 3-4: UTS 46
///   leaves it as it is, lower-cased), at most 253 octets, a last label that is not
///   all digits (no address literal);
/// - `local@domain` at most 254 octets.
///
/// One pass over the bytes with a class table: each byte is checked against the
/// class its place allows (space or atext in the name, atext or `.` in the local
/// part, letters, digits, `-` or `.` in the domain), all of them printable ASCII.
pub(crate) fn parse_plain(input: &str, mode: Mode) -> Option<PlainAddress<'_>> {
    let bytes = input.as_bytes();
    let (display_name, spec_start, spec_end) = if *bytes.last()? == b'>' {
        if mode != Mode::Header {
            return None;
        }
        if bytes[0] == b' ' {
            return None;
        }
        // The name up to the first '<': atoms and spaces, without its trailing spaces.
        let mut name_end = 0;
        let mut lt = 0;
        loop {
            let b = *bytes.get(lt)?;
            if is_atext_byte(b) {
                name_end = lt + 1;
            } else if b == b'<' {
                break;
            } else if b != b' ' {
                return None;
            }
            lt += 1;
        }
        let name = (name_end > 0).then(|| &input[..name_end]);
        (name, lt + 1, bytes.len() - 1)
    } else {
        (None, 0, bytes.len())
    };
    let spec_bytes = &bytes[spec_start..spec_end];
    // The local part: atoms of atext separated by single dots, up to the first '@'.
    // (The checks that look back only run at the rare bytes that are not atext.)
    let mut at = 0;
    loop {
        let b = *spec_bytes.get(at)?;
        if !is_atext_byte(b) {
            match b {
                b'@' => break,
                // A dot at the start or after a dot.
                b'.' if at > 0 && spec_bytes[at - 1] != b'.' => {}
                _ => return None,
            }
        }
        at += 1;
    }
    let domain_len = spec_bytes.len() - at - 1;
    if at == 0
        || spec_bytes[at - 1] == b'.'
        || at > MAX_LOCAL_LEN
        || spec_bytes.len() > MAX_PATH_LEN
        || domain_len == 0
        || domain_len > MAX_DOMAIN_LEN
    {
        return None;
    }
    // The domain: labels of letters, digits and hyphens separated by single dots.
    let domain_bytes = &spec_bytes[at + 1..];
    let mut label_start = 0;
    let mut classes = 0; // every class seen, for the upper-case flag
    for (i, &b) in domain_bytes.iter().enumerate() {
        let class = BYTE_CLASS[usize::from(b)];
        classes |= class;
        if class & LDH != 0 && b != b'-' {
            continue;
        }
        // At the start of a label or after a hyphen: an empty label, a hyphen at the
        // start or end of a label, or `--`.
        if i == label_start || domain_bytes[i - 1] == b'-' {
            return None;
        }
        match b {
            b'-' => {}
            b'.' if i - label_start <= MAX_LABEL_LEN => label_start = i + 1,
            _ => return None,
        }
    }
    // The last label: not empty, no hyphen at its end, not too long, not all digits.
    let last_label = &domain_bytes[label_start..];
    if last_label.is_empty()
        || last_label.len() > MAX_LABEL_LEN
        || domain_bytes[domain_len - 1] == b'-'
        || last_label.iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    let spec = &input[spec_start..spec_end];
    Some(PlainAddress {
        display_name,
        local: &spec[..at],
        domain: &spec[at + 1..],
        spec,
        domain_has_upper: classes & UPPER != 0,
    })
}

fn parse(input: &str, options: &AddressOptions) -> Result<Address> {
    if let Some(plain) = parse_plain(input, options.mode) {
        return Ok(plain.to_address());
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
            if let Some(i) = find_unquoted(input, &['<', '>']) {
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
            let Some(lt) = find_unquoted(input, &['<']) else {
                let spec = parse_addr_spec(input, 0, options)?;
                return Ok(spec.into_address(None));
            };
            let display_name = parse_display_name(&input[..lt])?;
            let rest = &input[lt + 1..];
            let Some(gt) = find_unquoted(rest, &['>']) else {
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

/// Parses an RFC 5322 phrase (atoms and quoted strings separated by spaces; UTF-8
/// allowed per RFC 6532) into its value. `text` starts at offset 0 of the input.
fn parse_display_name(text: &str) -> Result<Option<String>> {
    let text = text.trim_end_matches(' ');
    let mut value = String::with_capacity(text.len());
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            ' ' => value.push(' '),
            '"' => loop {
                let Some((j, q)) = chars.next() else {
                    return Err(fail(
                        "unclosed_quote",
                        i,
                        "the quoted display name has no closing quote",
                    ));
                };
                match q {
                    '"' => break,
                    '\\' => {
                        let Some((k, e)) = chars.next() else {
                            return Err(fail(
                                "unclosed_quote",
                                i,
                                "the quoted display name has no closing quote",
                            ));
                        };
                        check_quoted_unicode(e, k, value.is_empty())?;
                        value.push(e);
                    }
                    _ => {
                        check_quoted_unicode(q, j, value.is_empty())?;
                        value.push(q);
                    }
                }
            },
            '(' | ')' => {
                return Err(fail(
                    "comment_not_allowed",
                    i,
                    "comments are not allowed in a display name",
                ))
            }
            '.' => {
                return Err(fail(
                    "obsolete_syntax",
                    i,
                    "a dot in an unquoted display name is obsolete syntax: quote the name",
                ))
            }
            _ if is_atext(c) => value.push(c),
            _ if !c.is_ascii() => {
                check_unquoted_unicode(c, i, value.is_empty())?;
                value.push(c);
            }
            _ => {
                return Err(fail(
                    "invalid_char",
                    i,
                    format!(
                        "the character {} is not allowed in an unquoted display name",
                        show(c)
                    ),
                ))
            }
        }
    }
    if value.is_empty() {
        return Ok(None);
    }
    if let Cow::Owned(normalized) = nfc(&value) {
        return Ok(Some(normalized));
    }
    Ok(Some(value))
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

/// Whether `s` is a dot-atom-text (RFC 6531: ASCII atext or non-ASCII characters that
/// are not spaces or unsafe, no combining mark first) that needs no quoting.
fn is_dot_atom(s: &str) -> bool {
    let atom_char = |c: char| {
        is_atext(c) || (!c.is_ascii() && matches!(class(c), CharClass::Plain | CharClass::Mark))
    };
    !s.is_empty()
        && s.split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(atom_char))
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii() || class(c) != CharClass::Mark)
}

/// Whether `s` is a phrase of atoms separated by single spaces that needs no quoting.
fn is_plain_phrase(s: &str) -> bool {
    let atom_char = |c: char| {
        is_atext(c) || (!c.is_ascii() && matches!(class(c), CharClass::Plain | CharClass::Mark))
    };
    !s.is_empty()
        && s.split(' ')
            .all(|word| !word.is_empty() && word.chars().all(atom_char))
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii() || class(c) != CharClass::Mark)
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
    let (local, at) = if s.starts_with('"') {
        parse_quoted_local(s, base, options)?
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
        local,
        domain,
        ascii_domain,
    })
}

/// A quoted local part: returns the minimally quoted, NFC value and the offset of the @.
fn parse_quoted_local(s: &str, base: usize, options: &AddressOptions) -> Result<(String, usize)> {
    let mut value = String::new();
    let mut chars = s.char_indices().skip(1);
    let close = loop {
        let Some((j, c)) = chars.next() else {
            return Err(fail(
                "unclosed_quote",
                base,
                "the quoted local part has no closing quote",
            ));
        };
        match c {
            '"' => break j,
            '\\' => {
                let Some((k, e)) = chars.next() else {
                    return Err(fail(
                        "unclosed_quote",
                        base,
                        "the quoted local part has no closing quote",
                    ));
                };
                if !e.is_ascii() {
                    check_quoted_unicode(e, base + k, value.is_empty())?;
                }
                value.push(e);
            }
            _ => {
                if !c.is_ascii() {
                    check_quoted_unicode(c, base + j, value.is_empty())?;
                }
                value.push(c);
            }
        }
    };
    let at = close + 1;
    match s[at..].chars().next() {
        Some('@') => {}
        None => {
            return Err(fail(
                "no_at",
                base + at,
                "the address has no @ after the quoted local part",
            ))
        }
        Some('.') => {
            return Err(fail(
                "obsolete_syntax",
                base + at,
                "a quoted string followed by a dot is obsolete syntax: quote the whole local part",
            ))
        }
        Some(' ') => {
            return Err(fail(
                "whitespace",
                base + at,
                "white space is not allowed before the @",
            ))
        }
        Some('(') | Some(')') => {
            return Err(fail(
                "comment_not_allowed",
                base + at,
                "comments are not allowed in an address",
            ))
        }
        Some(c) => {
            return Err(fail(
                "invalid_char",
                base + at,
                format!(
                    "the character {} is not allowed after the quoted local part",
                    show(c)
                ),
            ))
        }
    }
    if value.is_empty() {
        return Err(fail("empty_local", base, "the quoted local part is empty"));
    }
    if !options.allow_quoted_local {
        return Err(fail(
            "quoted_local_not_allowed",
            base,
            "quoted local parts are not allowed here (allow_quoted_local is off)",
        ));
    }
    let value = nfc(&value);
    let local = if is_dot_atom(&value) {
        value.into_owned()
    } else {
        let mut quoted = String::with_capacity(value.len() + 2);
        quoted.push('"');
        for c in value.chars() {
            if c == '"' || c == '\\' {
                quoted.push('\\');
            }
            quoted.push(c);
        }
        quoted.push('"');
        quoted
    };
    Ok((local, at))
}

/// A dot-atom local part: returns the NFC value and the offset of the @.
fn parse_dot_atom_local(s: &str, base: usize) -> Result<(String, usize)> {
    let mut prev: Option<char> = None;
    let mut at = None;
    for (i, c) in s.char_indices() {
        let pos = base + i;
        match c {
            '@' => {
                if i == 0 {
                    return Err(fail("empty_local", pos, "there is nothing before the @"));
                }
                if prev == Some('.') {
                    return Err(fail("dot_end", pos - 1, "the local part cannot end with a dot"));
                }
                at = Some(i);
                break;
            }
            '.' => {
                if i == 0 {
                    return Err(fail("dot_start", pos, "the local part cannot start with a dot"));
                }
                if prev == Some('.') {
                    return Err(fail("consecutive_dots", pos, "the local part cannot have two dots in a row"));
                }
            }
            ' ' => return Err(fail("whitespace", pos, "white space is not allowed in an unquoted local part")),
            '(' | ')' => return Err(fail("comment_not_allowed", pos, "comments are not allowed in an address")),
            '"' if prev == Some('.') => {
                return Err(fail(
                    "obsolete_syntax",
                    pos,
                    "mixing quoted strings and dots in a local part is obsolete syntax: quote the whole local part",
                ))
            }
            _ if is_atext(c) => {}
            _ if !c.is_ascii() => check_unquoted_unicode(c, pos, i == 0)?,
            _ => {
                return Err(fail(
                    "invalid_char",
                    pos,
                    format!("the character {} is not allowed in an unquoted local part", show(c)),
                ))
            }
        }
        prev = Some(c);
    }
    let Some(at) = at else {
        return Err(fail("no_at", base + s.len(), "the address has no @"));
    };
    let written = &s[..at];
    let value = nfc(written);
    if value != written && !is_dot_atom(&value) {
        // NFC turned a character into one that is not allowed (U+037E becomes ';').
        let position = written
            .char_indices()
            .find(|(_, c)| !c.is_ascii() && !is_dot_atom(&nfc(c.encode_utf8(&mut [0; 4]))))
            .map_or(base, |(i, _)| base + i);
        return Err(fail(
            "invalid_char",
            position,
            "after Unicode normalisation (NFC) the local part holds a character that is not allowed",
        ));
    }
    Ok((value.into_owned(), at))
}

/// An address literal `[...]`: returns (domain, ascii_domain), both normalised.
fn parse_literal(d: &str, dbase: usize, options: &AddressOptions) -> Result<(String, String)> {
    if !options.allow_domain_literal {
        return Err(fail(
            "domain_literal_not_allowed",
            dbase,
            "address literals are not allowed here (allow_domain_literal is off)",
        ));
    }
    let mut close = None;
    for (i, c) in d.char_indices().skip(1) {
        match c {
            ']' => {
                close = Some(i);
                break;
            }
            '\\' => {
                return Err(fail(
                    "obsolete_syntax",
                    dbase + i,
                    "quoted pairs in address literals are obsolete syntax",
                ))
            }
            ' ' => {
                return Err(fail(
                    "whitespace",
                    dbase + i,
                    "white space is not allowed in an address literal",
                ))
            }
            '[' => {
                return Err(fail(
                    "invalid_char",
                    dbase + i,
                    "the character '[' is not allowed in an address literal",
                ))
            }
            _ if !c.is_ascii() => {
                return Err(fail(
                    "invalid_char",
                    dbase + i,
                    format!(
                        "the character {} is not allowed in an address literal",
                        show(c)
                    ),
                ))
            }
            _ => {}
        }
    }
    let Some(close) = close else {
        return Err(fail(
            "unclosed_literal",
            dbase,
            "the address literal has no closing ]",
        ));
    };
    if let Some(c) = d[close + 1..].chars().next() {
        let pos = dbase + close + 1;
        return Err(match c {
            ' ' => fail(
                "whitespace",
                pos,
                "white space is not allowed after the address literal",
            ),
            '(' | ')' => fail(
                "comment_not_allowed",
                pos,
                "comments are not allowed in an address",
            ),
            _ => fail(
                "invalid_char",
                pos,
                format!(
                    "the character {} is not allowed after the address literal",
                    show(c)
                ),
            ),
        });
    }
    let content = &d[1..close];
    let bad = || {
        fail(
            "invalid_literal",
            dbase + 1,
            "the address literal is neither an IPv4 address nor IPv6:<IPv6 address>",
        )
    };
    if !content.is_empty() && content.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let ip: Ipv4Addr = content.parse().map_err(|_| bad())?;
        let text = format!("[{ip}]");
        return Ok((text.clone(), text));
    }
    match content.get(..5) {
        Some(tag) if tag.eq_ignore_ascii_case("IPv6:") => {
            let ip: Ipv6Addr = content[5..].parse().map_err(|_| bad())?;
            let text = format!("[IPv6:{ip}]");
            Ok((text.clone(), text))
        }
        _ => Err(bad()),
    }
}

/// The input offsets of the labels of the domain `d` that starts at `dbase`.
fn label_starts(d: &str, dbase: usize) -> Vec<usize> {
    std::iter::once(dbase)
        .chain(
            d.char_indices()
                .filter(|(_, c)| is_label_separator(*c))
                .map(|(i, c)| dbase + i + c.len_utf8()),
        )
        .collect()
}

fn is_label_separator(c: char) -> bool {
    matches!(c, '.' | '\u{3002}' | '\u{FF0E}' | '\u{FF61}')
}

/// A domain name: returns (Unicode form, ASCII form).
fn parse_domain(d: &str, dbase: usize) -> Result<(String, String)> {
    if d.is_empty() {
        return Err(fail("empty_domain", dbase, "there is nothing after the @"));
    }
    if d.len() > MAX_DOMAIN_LEN && d.chars().count() > MAX_DOMAIN_LEN {
        return Err(fail(
            "domain_too_long",
            dbase,
            format!("the domain is longer than {MAX_DOMAIN_LEN} characters"),
        ));
    }
    // Label starts (byte offsets into the input), for positions of label errors.
    let mut prev: Option<(usize, char)> = None;
    let mut label_start = true;
    for (i, c) in d.char_indices() {
        let pos = dbase + i;
        if is_label_separator(c) {
            if i == 0 {
                return Err(fail("dot_start", pos, "the domain cannot start with a dot"));
            }
            if label_start {
                return Err(fail(
                    "consecutive_dots",
                    pos,
                    "the domain cannot have two dots in a row",
                ));
            }
            if let Some((p, '-')) = prev {
                return Err(fail(
                    "hyphen_end",
                    p,
                    "a domain label cannot end with a hyphen",
                ));
            }
            label_start = true;
        } else {
            match c {
                '-' if label_start => {
                    return Err(fail(
                        "hyphen_start",
                        pos,
                        "a domain label cannot start with a hyphen",
                    ))
                }
                '-' => {}
                _ if c.is_ascii_alphanumeric() => {}
                ' ' => {
                    return Err(fail(
                        "whitespace",
                        pos,
                        "white space is not allowed in the domain",
                    ))
                }
                '(' | ')' => {
                    return Err(fail(
                        "comment_not_allowed",
                        pos,
                        "comments are not allowed in an address",
                    ))
                }
                _ if c.is_ascii() => {
                    return Err(fail(
                        "invalid_char",
                        pos,
                        format!("the character {} is not allowed in a domain", show(c)),
                    ))
                }
                _ => match class(c) {
                    CharClass::Space => {
                        return Err(fail(
                            "whitespace",
                            pos,
                            format!("the space character {} is not allowed in a domain", show(c)),
                        ))
                    }
                    CharClass::Unsafe => {
                        return Err(fail(
                            "unsafe_char",
                            pos,
                            format!(
                                "the invisible or unassigned character {} is not allowed",
                                show(c)
                            ),
                        ))
                    }
                    CharClass::Plain | CharClass::Mark => {}
                },
            }
            label_start = false;
        }
        prev = Some((pos, c));
    }
    if let Some((p, c)) = prev {
        if is_label_separator(c) {
            return Err(fail("dot_end", p, "the domain cannot end with a dot"));
        }
        if c == '-' {
            return Err(fail(
                "hyphen_end",
                p,
                "a domain label cannot end with a hyphen",
            ));
        }
    }
    let ascii = if let Some(ascii) = plain_ascii_domain(d) {
        Ok(ascii)
    } else {
        to_ascii(d)
    };
    let ascii = ascii.map_err(|_| {
        let label_starts = label_starts(d, dbase);
        let position = d
            .split(is_label_separator)
            .zip(&label_starts)
            .find(|(label, _)| to_ascii(label).is_err())
            .map_or(dbase, |(_, start)| *start);
        fail(
            "invalid_idn",
            position,
            "the domain is not a valid internationalised domain name (UTS 46 strict processing refused it)",
        )
    })?;
    // The input offset of the n-th label (error paths only).
    let start_of = |n: usize| {
        let starts = label_starts(d, dbase);
        if starts.len() == ascii.split('.').count() {
            starts.get(n).copied().unwrap_or(dbase)
        } else {
            dbase
        }
    };
    // The labels of `ascii` split at '.', without `str::split` (this runs for every
    // address).
    let mut n = 0;
    let mut label_len = 0;
    for &b in ascii.as_bytes().iter().chain(std::iter::once(&b'.')) {
        if b != b'.' {
            label_len += 1;
            continue;
        }
        if label_len == 0 {
            // A label of characters UTS 46 ignores (variation selectors, soft hyphens)
            // maps to nothing: `s@\u{fe05}.a` would become `s@.a`.
            return Err(fail(
                "invalid_idn",
                start_of(n),
                "a domain label maps to nothing under UTS 46 (it holds only characters that processing ignores)",
            ));
        }
        if label_len > MAX_LABEL_LEN {
            return Err(fail(
                "label_too_long",
                start_of(n),
                format!(
                    "a domain label is {label_len} octets long in ASCII form, more than the {MAX_LABEL_LEN} allowed"
                ),
            ));
        }
        n += 1;
        label_len = 0;
    }
    if ascii.len() > MAX_DOMAIN_LEN {
        return Err(fail(
            "domain_too_long",
            dbase,
            format!(
                "the domain is {} octets long in ASCII form, more than the {MAX_DOMAIN_LEN} allowed",
                ascii.len()
            ),
        ));
    }
    let tld = ascii
        .rfind('.')
        .map_or(ascii.as_str(), |dot| &ascii[dot + 1..]);
    {
        if tld.bytes().all(|b| b.is_ascii_digit()) {
            return Err(fail(
                "numeric_tld",
                start_of(ascii.split('.').count() - 1),
                "the last label of the domain is all digits (an IP address needs brackets)",
            ));
        }
    }
    let unicode = if ascii.as_bytes().windows(4).any(|w| w == b"xn--") {
        let (unicode, result) = idna::domain_to_unicode(&ascii);
        if result.is_err() {
            return Err(fail(
                "invalid_idn",
                dbase,
                "the domain is not a valid internationalised domain name (its A-labels do not decode)",
            ));
        }
        unicode
    } else {
        ascii.clone()
    };
    Ok((unicode, ascii))
}

/// The fast path for the common case: an ASCII domain of letters, digits and hyphens
/// (already checked by the caller: LDH characters, no empty label, no hyphen at a label
/// edge) with no `xn--` label. UTS 46 processing of such a domain is lower-casing, and
/// its only remaining strict check is "no `--` in positions 3 and 4"; `None` sends
/// anything else through the full UTS 46 code.
fn plain_ascii_domain(d: &str) -> Option<String> {
    if !d
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return None;
    }
    let lower = d.to_ascii_lowercase();
    if lower
        .as_bytes()
        .split(|&b| b == b'.')
        .any(|label| label.get(2..4) == Some(b"--"))
    {
        return None;
    }
    Some(lower)
}

/// `idna::domain_to_ascii_strict` without its length check (done here with precise
/// diagnoses): UTS 46 non-transitional, STD3 rules, hyphen checks, bidi, joiners.
fn to_ascii(domain: &str) -> std::result::Result<String, idna::Errors> {
    idna::uts46::Uts46::new()
        .to_ascii(
            domain.as_bytes(),
            idna::uts46::AsciiDenyList::STD3,
            idna::uts46::Hyphens::Check,
            idna::uts46::DnsLength::Ignore,
        )
        .map(Cow::into_owned)
}

/// Writes a display name as a phrase: bare when it is atoms separated by single
/// spaces, else as a quoted string.
fn format_phrase(name: &str) -> String {
    if is_plain_phrase(name) {
        return name.to_string();
    }
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(s: &str) -> Result<Address> {
        Address::parse(s, &AddressOptions::default())
    }

    fn header(s: &str) -> Result<Address> {
        Address::parse(
            s,
            &AddressOptions {
                mode: Mode::Header,
                ..Default::default()
            },
        )
    }

    fn reason(r: Result<Address>) -> (Option<&'static str>, Option<usize>) {
        match r {
            Ok(a) => panic!("expected an error, got {a:?}"),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::InvalidAddress);
                (e.reason(), e.position())
            }
        }
    }

    #[test]
    fn plain_address() {
        let a = env("John.Doe@Example.COM").unwrap();
        assert_eq!(a.local, "John.Doe");
        assert_eq!(a.ascii_domain, "example.com");
        assert_eq!(a.domain, "example.com");
        assert_eq!(a.display_name, None);
        assert!(!a.smtputf8);
        assert_eq!(a.envelope(), "John.Doe@example.com");
    }

    #[test]
    fn idn_and_smtputf8() {
        let a = env("jörg@bücher.de").unwrap();
        assert_eq!(a.ascii_domain, "xn--bcher-kva.de");
        assert_eq!(a.domain, "bücher.de");
        assert!(a.smtputf8);
        let b = env("x@xn--bcher-kva.de").unwrap();
        assert_eq!(b.domain, "bücher.de");
    }

    #[test]
    fn diagnoses_with_positions() {
        assert_eq!(reason(env("abc")), (Some("no_at"), Some(3)));
        assert_eq!(reason(env(".a@b.c")), (Some("dot_start"), Some(0)));
        assert_eq!(reason(env("a.@b.c")), (Some("dot_end"), Some(1)));
        assert_eq!(reason(env("a..b@c.d")), (Some("consecutive_dots"), Some(2)));
        assert_eq!(reason(env("a@b\r\n.c")), (Some("control_char"), Some(3)));
        assert_eq!(
            reason(env("a@[1.2.3.4]")),
            (Some("domain_literal_not_allowed"), Some(2))
        );
        assert_eq!(reason(env("a@b.123")), (Some("numeric_tld"), Some(4)));
        assert_eq!(
            reason(env("a(b)@c.d")),
            (Some("comment_not_allowed"), Some(1))
        );
        assert_eq!(
            reason(env("\"a b\"@c.d")),
            (Some("quoted_local_not_allowed"), Some(0))
        );
        assert_eq!(reason(env("\"a b@c.d")), (Some("unclosed_quote"), Some(0)));
        assert_eq!(reason(env("a@-b.c")), (Some("hyphen_start"), Some(2)));
        assert_eq!(
            reason(env("<a@b.c>")),
            (Some("angle_brackets_not_allowed"), Some(0))
        );
    }

    #[test]
    fn header_forms() {
        let a = header("\"Doe, John\" <john@example.com>").unwrap();
        assert_eq!(a.display_name.as_deref(), Some("Doe, John"));
        assert_eq!(a.header(), "\"Doe, John\" <john@example.com>");
        let b = header("Jörg Müller <j@example.com>").unwrap();
        assert_eq!(b.display_name.as_deref(), Some("Jörg Müller"));
        assert_eq!(b.header(), "Jörg Müller <j@example.com>");
        assert_eq!(header("\"\" <j@example.com>").unwrap().display_name, None);
        assert_eq!(header("<j@example.com>").unwrap().display_name, None);
        assert_eq!(
            reason(header("John Q. Public <j@example.com>")),
            (Some("obsolete_syntax"), Some(6))
        );
        assert_eq!(
            reason(header("John <j@example.com")),
            (Some("unclosed_angle"), Some(5))
        );
        assert_eq!(
            reason(header("J\r\n <j@example.com>")),
            (Some("control_char"), Some(1))
        );
    }

    #[test]
    fn quoted_local_is_minimally_quoted() {
        let opts = AddressOptions {
            allow_quoted_local: true,
            ..Default::default()
        };
        assert_eq!(Address::parse("\"abc\"@x.org", &opts).unwrap().local, "abc");
        assert_eq!(Address::parse("\"a\\b\"@x.org", &opts).unwrap().local, "ab");
        assert_eq!(
            Address::parse("\"a b\"@x.org", &opts).unwrap().local,
            "\"a b\""
        );
        assert_eq!(
            Address::parse("\"a\\\"b\"@x.org", &opts).unwrap().local,
            "\"a\\\"b\""
        );
    }

    #[test]
    fn ascii_fast_path_matches_idna_strict() {
        for d in [
            "example.com",
            "EXAMPLE.Com",
            "a-b.c-d.e",
            "g--a.com",
            "ab--cd.com",
            "xn--bcher-kva.de",
            "XN--BCHER-KVA.DE",
            "a.b",
            "123.com",
            "x1-2.io",
        ] {
            if let Some(fast) = plain_ascii_domain(d) {
                assert_eq!(
                    Ok(fast),
                    idna::domain_to_ascii_strict(d).map_err(|_| ()),
                    "{d}"
                );
            }
        }
        assert_eq!(plain_ascii_domain("ab--cd.com"), None);
        assert_eq!(plain_ascii_domain("xn--bcher-kva.de"), None);
        assert_eq!(plain_ascii_domain("bücher.de"), None);
    }

    /// Every input the fast path accepts is accepted by the full rules with the same
    /// result, in both modes and with every option.
    fn assert_fast_path_agrees(input: &str) {
        for mode in [Mode::Envelope, Mode::Header] {
            let Some(plain) = parse_plain(input, mode) else {
                continue;
            };
            assert_eq!(
                plain.domain_has_upper,
                plain.domain.bytes().any(|b| b.is_ascii_uppercase()),
                "{input:?}"
            );
            for (allow_quoted_local, allow_domain_literal) in
                [(false, false), (true, false), (false, true), (true, true)]
            {
                let options = AddressOptions {
                    mode,
                    allow_quoted_local,
                    allow_domain_literal,
                };
                assert_eq!(
                    Ok(plain.to_address()),
                    parse_full(input, &options).map_err(|e| e.to_string()),
                    "{input:?} {options:?}"
                );
            }
        }
    }

    #[test]
    fn fast_path_agrees_with_the_full_rules_on_edge_cases() {
        let long_label = "a".repeat(63);
        let too_long_label = "a".repeat(64);
        let long_local = "l".repeat(64);
        let cases = [
            "a@b.c".to_string(),
            "Shop <shop@example.com>".into(),
            "Shop  Team   <shop@Example.COM>".into(),
            "<a@b.c>".into(),
            " <a@b.c>".into(),
            "a.b.c@d-e.f".into(),
            "a..b@c.d".into(),
            ".a@b.c".into(),
            "a.@b.c".into(),
            "a@b..c".into(),
            "a@.b.c".into(),
            "a@b.c.".into(),
            "a@-b.c".into(),
            "a@b-.c".into(),
            "a@b--c.d".into(),
            "a@xn--bcher-kva.de".into(),
            "a@123.45".into(),
            "a@1-2.3".into(),
            "a@b.123a".into(),
            "a@b".into(),
            "a@".into(),
            "@b.c".into(),
            "a@b@c.d".into(),
            "a<b>@c.d".into(),
            "Na.me <a@b.c>".into(),
            "Name <a@b.c> ".into(),
            "Name <a@b.c>>".into(),
            "Name <<a@b.c>".into(),
            "N\"ame <a@b.c>".into(),
            "!#$%&'*+-/=?^_`{|}~@x.y".into(),
            format!("a@{long_label}.com"),
            format!("a@{too_long_label}.com"),
            format!("a@b.{long_label}"),
            format!("a@b.{too_long_label}"),
            format!("{long_local}@b.c"),
            format!("{long_local}l@b.c"),
            format!("a@{}.com", ["x"; 124].join(".")),
            format!("a@{}.com", ["x"; 125].join(".")),
            format!("{long_local}@{}.com", ["x"; 93].join(".")),
            format!("{long_local}@{}.com", ["x"; 94].join(".")),
        ];
        for input in &cases {
            assert_fast_path_agrees(input);
        }
        assert!(parse_plain("Shop <shop@example.com>", Mode::Header).is_some());
        assert!(parse_plain("Shop <shop@example.com>", Mode::Envelope).is_none());
        assert!(parse_plain("a@b--c.d", Mode::Envelope).is_none());
    }

    #[test]
    fn text_below_u0300_is_already_nfc() {
        // The quick check of `nfc`: every character and every pair below U+0300 is left
        // as it is by the full normaliser (nothing there decomposes without recomposing,
        // has a combining class or composes with a following character).
        let normaliser = ComposingNormalizerBorrowed::new_nfc();
        let below = || (0..0x300).filter_map(char::from_u32);
        for a in below() {
            for b in below() {
                let pair: String = [a, b].into_iter().collect();
                assert_eq!(normaliser.normalize(&pair), pair.as_str());
            }
        }
        assert!(matches!(nfc("Jos\u{e9} \u{2ff}"), Cow::Borrowed(_)));
        assert_eq!(nfc("Jose\u{301}"), "Jos\u{e9}");
        assert_eq!(nfc("\u{37e}"), ";");
    }

    proptest::proptest! {
        #[test]
        fn nfc_agrees_with_the_normaliser(
            input in "[a-z\u{a0}-\u{2ff}\u{300}-\u{36f}\u{37e}\u{1e00}-\u{1eff}\u{ac00}-\u{ac20}\u{1100}-\u{1112}\u{1161}-\u{1175}\u{f900}-\u{f910}\u{1d15e}]{0,12}",
        ) {
            let full = ComposingNormalizerBorrowed::new_nfc().normalize(&input);
            proptest::prop_assert_eq!(nfc(&input), full);
        }

        #[test]
        fn fast_path_agrees_with_the_full_rules(
            input in "[ a-zA-Z0-9.@<>\\-_!~\"(),;:\\[\\]]{0,40}",
        ) {
            assert_fast_path_agrees(&input);
        }

        #[test]
        fn fast_path_agrees_on_address_shapes(
            name in "([A-Za-z0-9!#~ ]{0,6} ?<)?",
            local in "[a-z0-9.+_-]{0,6}",
            domain in "[a-zA-Z0-9.-]{0,12}",
        ) {
            let close = if name.is_empty() { "" } else { ">" };
            assert_fast_path_agrees(&format!("{name}{local}@{domain}{close}"));
        }
    }

    #[test]
    fn every_reason_is_documented_once() {
        let mut seen = std::collections::HashSet::new();
        for (code, meaning) in REASONS {
            assert!(seen.insert(*code), "duplicate {code}");
            assert!(!meaning.is_empty());
            assert!(code.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
        }
    }
}
