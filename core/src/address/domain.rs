//! Domains: address literals, and domain names to their ASCII and Unicode forms (a fast
//! path for the usual ones, UTS 46 (IDNA) for the others), with the label and length
//! limits.

use super::chars::{class, is_common_letter, show, CharClass};
use super::plain::plain_domain;
use super::{fail, AddressOptions, MAX_DOMAIN_LEN, MAX_LABEL_LEN};
use crate::error::Result;
use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

/// An address literal `[...]`: returns (domain, ascii_domain), both normalised.
pub(super) fn parse_literal(
    d: &str,
    dbase: usize,
    options: &AddressOptions,
) -> Result<(String, String)> {
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
pub(super) fn label_starts(d: &str, dbase: usize) -> Vec<usize> {
    std::iter::once(dbase)
        .chain(
            d.char_indices()
                .filter(|(_, c)| is_label_separator(*c))
                .map(|(i, c)| dbase + i + c.len_utf8()),
        )
        .collect()
}

pub(super) fn is_label_separator(c: char) -> bool {
    matches!(c, '.' | '\u{3002}' | '\u{FF0E}' | '\u{FF61}')
}

/// A domain name: returns (Unicode form, ASCII form).
pub(super) fn parse_domain(d: &str, dbase: usize) -> Result<(String, String)> {
    if plain_domain(d.as_bytes()).is_some() {
        let ascii = d.to_ascii_lowercase();
        return Ok((ascii.clone(), ascii));
    }
    parse_domain_full(d, dbase)
}

/// [`parse_domain`] without its fast path for plain ASCII domains (which gives the same
/// answer where it answers: see the `plain_domain_agrees_with_the_full_rules` test).
pub(super) fn parse_domain_full(d: &str, dbase: usize) -> Result<(String, String)> {
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
    // Both forms from the fast path, or the ASCII form from UTS 46 (the Unicode form
    // follows once the limits are checked).
    let (unicode, ascii) = match common_idn(d) {
        Some((unicode, ascii)) => (Some(unicode), ascii),
        None => match to_ascii(d) {
            Some(ascii) => (None, ascii),
            None => {
                let label_starts = label_starts(d, dbase);
                let position = d
                    .split(is_label_separator)
                    .zip(&label_starts)
                    .find(|(label, _)| to_ascii(label).is_none())
                    .map_or(dbase, |(_, start)| *start);
                return Err(fail(
                    "invalid_idn",
                    position,
                    "the domain is not a valid internationalised domain name (UTS 46 strict processing refused it)",
                ));
            }
        },
    };
    // The input offset of the n-th label (error paths only).
    let start_of = |n: usize| {
        let starts = label_starts(d, dbase);
        if starts.len() == ascii.split('.').count() {
            starts.get(n).copied().unwrap_or(dbase)
        } else {
            dbase
        }
    };
    match broken_limit(&ascii) {
        None => match unicode.or_else(|| to_unicode(&ascii)) {
            Some(unicode) => Ok((unicode, ascii)),
            None => Err(fail(
                "invalid_idn",
                dbase,
                "the domain is not a valid internationalised domain name (its A-labels do not decode)",
            )),
        },
        // A label of characters UTS 46 ignores (variation selectors, soft hyphens) maps
        // to nothing: `s@\u{fe05}.a` would become `s@.a`.
        Some(Limit::EmptyLabel(n)) => Err(fail(
            "invalid_idn",
            start_of(n),
            "a domain label maps to nothing under UTS 46 (it holds only characters that processing ignores)",
        )),
        Some(Limit::LabelLength(n, label_len)) => Err(fail(
            "label_too_long",
            start_of(n),
            format!(
                "a domain label is {label_len} octets long in ASCII form, more than the {MAX_LABEL_LEN} allowed"
            ),
        )),
        Some(Limit::DomainLength) => Err(fail(
            "domain_too_long",
            dbase,
            format!(
                "the domain is {} octets long in ASCII form, more than the {MAX_DOMAIN_LEN} allowed",
                ascii.len()
            ),
        )),
        Some(Limit::NumericTld(n)) => Err(fail(
            "numeric_tld",
            start_of(n),
            "the last label of the domain is all digits (an IP address needs brackets)",
        )),
    }
}

/// A limit that the ASCII form of a domain breaks after UTS 46 (`n` counts labels from
/// 0).
pub(super) enum Limit {
    /// Label `n` is empty.
    EmptyLabel(usize),
    /// Label `n` is longer than 63 octets (the length).
    LabelLength(usize, usize),
    /// The domain is longer than 253 octets.
    DomainLength,
    /// The last label, `n`, is all digits.
    NumericTld(usize),
}

/// The first limit that the ASCII form of a domain breaks, in the order the full rules
/// report them: the labels from the first, then the domain's length, then its last label.
/// One pass over the bytes, without `str::split` (this runs for every address).
pub(super) fn broken_limit(ascii: &str) -> Option<Limit> {
    let mut n = 0;
    let mut label_len = 0;
    // Whether the label so far, and the last label, are all digits.
    let (mut digits, mut last_digits) = (true, true);
    for &b in ascii.as_bytes().iter().chain(std::iter::once(&b'.')) {
        if b != b'.' {
            label_len += 1;
            digits &= b.is_ascii_digit();
            continue;
        }
        if label_len == 0 {
            return Some(Limit::EmptyLabel(n));
        }
        if label_len > MAX_LABEL_LEN {
            return Some(Limit::LabelLength(n, label_len));
        }
        n += 1;
        label_len = 0;
        last_digits = digits;
        digits = true;
    }
    if ascii.len() > MAX_DOMAIN_LEN {
        return Some(Limit::DomainLength);
    }
    last_digits.then_some(Limit::NumericTld(n - 1))
}

/// The fast path of UTS 46 ([`to_ascii`], [`to_unicode`]) for the usual internationalised
/// domains: `None` unless every label is
///
/// - ASCII letters, digits and hyphens (upper case lower-cased), or
/// - a U-label of ASCII letters, digits, hyphens (upper case lower-cased) and at least
///   one common letter ([`is_common_letter`]), or
/// - an A-label in lower case (`xn--` and Punycode) that decodes to such a U-label,
///
/// with no hyphen at the start or end of a label (as written and decoded) and none in
/// positions 3 and 4 but that of `xn--`. UTS 46 leaves such labels as they are (common
/// letters are valid, NFC together with ASCII and left-to-right, so that the domain is no
/// bidi domain), lower-cased, and encodes each U-label to `xn--` and its Punycode (here
/// by `idna::punycode`): the same two forms as UTS 46 gives (the
/// `common_idn_agrees_with_idna` tests).
pub(super) fn common_idn(d: &str) -> Option<(String, String)> {
    let mut unicode = String::new();
    let mut ascii = String::new();
    for label in d.split('.') {
        let bytes = label.as_bytes();
        let a_label = label.is_ascii() && bytes.len() >= 4 && bytes[2] == b'-' && bytes[3] == b'-';
        // Labels as written are checked before anything is copied.
        let common = a_label || common_label(label)?;
        if unicode.capacity() == 0 {
            unicode = String::with_capacity(d.len());
            ascii = String::with_capacity(d.len() + 16);
        }
        let start = unicode.len();
        if a_label {
            // `xn--` and Punycode in lower case, decoded to a U-label of the fast path.
            let punycode = &label[4..];
            if bytes[..2] != *b"xn"
                || bytes.iter().any(|b| b.is_ascii_uppercase())
                || bytes.last() == Some(&b'-')
            {
                return None;
            }
            unicode.push_str(&idna::punycode::decode_to_string(punycode)?);
            if common_label(&unicode[start..]) != Some(true) {
                return None;
            }
            ascii.push_str(label);
        } else {
            unicode.push_str(label);
            unicode[start..].make_ascii_lowercase();
            if common {
                ascii.push_str("xn--");
                let encoded = idna::punycode::encode_str(&unicode[start..])?;
                ascii.push_str(&encoded);
            } else {
                ascii.push_str(&unicode[start..]);
            }
        }
        unicode.push('.');
        ascii.push('.');
    }
    // Without the dot after the last label.
    unicode.truncate(unicode.len() - 1);
    ascii.truncate(ascii.len() - 1);
    Some((unicode, ascii))
}

/// A label of the fast path: ASCII letters, digits, hyphens and common letters, not
/// empty, no hyphen at its start or end or in positions 3 and 4; `Some(true)` when it
/// holds a common letter (a U-label), `Some(false)` when not (an ASCII label).
fn common_label(label: &str) -> Option<bool> {
    let mut common = false;
    let mut hyphens_in_3_and_4 = 0;
    for (n, c) in label.chars().enumerate() {
        if is_common_letter(c) {
            common = true;
        } else if c == '-' {
            hyphens_in_3_and_4 += usize::from(n == 2 || n == 3);
        } else if !c.is_ascii_alphanumeric() {
            return None;
        }
    }
    let edges = label.bytes().next().zip(label.bytes().last());
    match edges {
        Some((first, last)) if first != b'-' && last != b'-' && hyphens_in_3_and_4 < 2 => {
            Some(common)
        }
        _ => None,
    }
}

/// `idna::domain_to_ascii_strict` without its length check (done by the caller with
/// precise diagnoses): UTS 46 non-transitional, STD3 rules, hyphen checks, bidi, joiners.
/// `None` when processing refuses the domain.
pub(super) fn to_ascii(domain: &str) -> Option<String> {
    use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
    Uts46::new()
        .to_ascii(
            domain.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::Check,
            DnsLength::Ignore,
        )
        .ok()
        .map(Cow::into_owned)
}

/// The Unicode form of a domain from its ASCII form, as [`to_ascii`] gives it and within
/// the label limits: its A-labels decoded, what `idna::domain_to_unicode` gives for it.
/// `None` when an A-label does not decode.
pub(super) fn to_unicode(ascii: &str) -> Option<String> {
    let mut unicode = String::with_capacity(ascii.len());
    for label in ascii.split('.') {
        match label.strip_prefix("xn--") {
            Some(punycode) => unicode.push_str(&idna::punycode::decode_to_string(punycode)?),
            None => unicode.push_str(label),
        }
        unicode.push('.');
    }
    unicode.truncate(unicode.len() - 1);
    Some(unicode)
}
