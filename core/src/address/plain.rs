//! The fast paths for the common addresses, which give the same answer as the full rules
//! wherever they answer: the allocation-free one for plain ASCII addresses (also used by
//! the message builder), and the one of `Address::parse`, which adds common letters and
//! A-labels to it.

use super::chars::{is_atext_byte, is_common_letter, BYTE_CLASS, LDH, UPPER};
use super::domain::{broken_limit, common_idn};
use super::{Address, Mode, MAX_DOMAIN_LEN, MAX_LABEL_LEN, MAX_LOCAL_LEN, MAX_PATH_LEN};

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
/// One pass over the bytes ([`scan`]), all of them printable ASCII.
pub(crate) fn parse_plain(input: &str, mode: Mode) -> Option<PlainAddress<'_>> {
    let scan = scan(input, mode, false)?;
    Some(PlainAddress {
        display_name: scan.display_name,
        local: &scan.spec[..scan.at],
        domain: &scan.spec[scan.at + 1..],
        spec: scan.spec,
        domain_has_upper: scan.domain_has_upper?,
    })
}

/// The fast path of [`parse`]: what [`parse_plain`] accepts, and the same forms with
/// common letters ([`is_common_letter`]) in the local part (already NFC: see `nfc`) or
/// a domain that [`common_idn`] converts, within every limit of the full rules. `None`
/// for anything else.
pub(super) fn parse_common(input: &str, mode: Mode) -> Option<Address> {
    let scan = scan(input, mode, true)?;
    let local = &scan.spec[..scan.at];
    let written = &scan.spec[scan.at + 1..];
    let smtputf8 = !local.is_ascii();
    if let Some(domain_has_upper) = scan.domain_has_upper {
        let plain = PlainAddress {
            display_name: scan.display_name,
            local,
            domain: written,
            spec: scan.spec,
            domain_has_upper,
        };
        return Some(Address {
            smtputf8,
            ..plain.to_address()
        });
    }
    let (domain, ascii_domain) = common_idn(written)?;
    if broken_limit(&ascii_domain).is_some()
        || written.len() > MAX_DOMAIN_LEN
        || local.len() + 1 + domain.len().max(ascii_domain.len()) > MAX_PATH_LEN
    {
        return None;
    }
    Some(Address {
        local: local.to_string(),
        domain,
        ascii_domain,
        display_name: scan.display_name.map(str::to_string),
        smtputf8,
    })
}

/// What [`scan`] finds.
struct Scan<'a> {
    /// The display name (trailing spaces removed); `None` when absent or empty.
    display_name: Option<&'a str>,
    /// `local@domain` as written.
    spec: &'a str,
    /// The offset of the `@` in `spec`.
    at: usize,
    /// Whether the domain holds an upper-case letter, when it passes [`plain_domain`];
    /// `None` for other domains (only with `common`).
    domain_has_upper: Option<bool>,
}

/// The one pass of the fast paths over the bytes, with a class table: each byte is
/// checked against the class its place allows (space or atext in the name, atext or `.`
/// in the local part, letters, digits, `-` or `.` in the domain). With `common`, the
/// local part may also hold common letters, and a domain that is not plain is left to
/// the caller.
fn scan(input: &str, mode: Mode, common: bool) -> Option<Scan<'_>> {
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
    let spec = &input[spec_start..spec_end];
    let spec_bytes = spec.as_bytes();
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
                0x80.. if common => {
                    let c = spec[at..].chars().next()?;
                    if !is_common_letter(c) {
                        return None;
                    }
                    at += c.len_utf8();
                    continue;
                }
                _ => return None,
            }
        }
        at += 1;
    }
    if at == 0
        || spec_bytes[at - 1] == b'.'
        || at > MAX_LOCAL_LEN
        || spec_bytes.len() > MAX_PATH_LEN
    {
        return None;
    }
    let domain_has_upper = plain_domain(&spec_bytes[at + 1..]);
    if domain_has_upper.is_none() && !common {
        return None;
    }
    Some(Scan {
        display_name,
        spec,
        at,
        domain_has_upper,
    })
}

/// The domain part of [`parse_plain`], also the fast path of the full rules' domain
/// check: `Some` (with whether it holds an upper-case letter) for 1 to 253 octets of
/// labels of 1 to 63 letters, digits and hyphens separated by single dots, no hyphen at a
/// label edge, no `--` anywhere and a last label that is not all digits. UTS 46 leaves
/// such a domain as it is, lower-cased, and every check of the full rules passes.
#[inline]
pub(super) fn plain_domain(domain: &[u8]) -> Option<bool> {
    if domain.is_empty() || domain.len() > MAX_DOMAIN_LEN {
        return None;
    }
    let mut label_start = 0;
    let mut classes = 0; // every class seen, for the upper-case flag
    for (i, &b) in domain.iter().enumerate() {
        let class = BYTE_CLASS[usize::from(b)];
        classes |= class;
        if class & LDH != 0 && b != b'-' {
            continue;
        }
        // At the start of a label or after a hyphen: an empty label, a hyphen at the
        // start or end of a label, or `--`.
        if i == label_start || domain[i - 1] == b'-' {
            return None;
        }
        match b {
            b'-' => {}
            b'.' if i - label_start <= MAX_LABEL_LEN => label_start = i + 1,
            _ => return None,
        }
    }
    // The last label: not empty, no hyphen at its end, not too long, not all digits.
    let last_label = &domain[label_start..];
    if last_label.is_empty()
        || last_label.len() > MAX_LABEL_LEN
        || domain[domain.len() - 1] == b'-'
        || last_label.iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    Some(classes & UPPER != 0)
}
