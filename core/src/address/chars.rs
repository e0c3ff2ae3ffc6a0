//! Character classes of the validator: the ASCII byte table of the fast paths (atext,
//! letters-digits-hyphens, upper case), the Unicode classes that matter (marks, spaces,
//! unsafe characters) with their checks, and the scans shared by the parsers.

use super::fail;
use crate::error::Result;
use crate::swar;
use icu_properties::props::GeneralCategory;
use icu_properties::CodePointMapData;

/// A character for a message: printable ones quoted, others as U+XXXX.
pub(super) fn show(c: char) -> String {
    if c.is_control() || c.is_whitespace() || matches!(class(c), CharClass::Unsafe) {
        format!("U+{:04X}", c as u32)
    } else {
        format!("{c:?}")
    }
}

/// Byte classes for the ASCII fast paths (one table look-up per byte instead of a
/// chain of comparisons): RFC 5322 atext, letters-digits-hyphens, digits, upper case.
pub(super) const ATEXT: u8 = 1;
pub(super) const LDH: u8 = 2;
pub(super) const UPPER: u8 = 4;
pub(super) static BYTE_CLASS: [u8; 256] = {
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
/// anything else than printable ASCII. Eight bytes at a time ([`crate::swar`]).
pub(crate) fn first_non_printable(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut at = 0;
    for chunk in bytes.chunks_exact(8) {
        let w = swar::load(chunk);
        let found = swar::below(w, b' ') | swar::at_least(w, 0x7f);
        if found != 0 {
            return at + swar::first(found);
        }
        at += 8;
    }
    bytes[at..]
        .iter()
        .position(|&b| !(b' '..=b'~').contains(&b))
        .map_or(bytes.len(), |p| at + p)
}

/// Letters of common scripts that Unicode processing leaves as they are: the lower-case
/// Latin-1 letters (not U+00F7 DIVISION SIGN), the basic lower-case Cyrillic ones,
/// hiragana, katakana, the CJK ideographs of the main block and of extension A, and the
/// Hangul syllables. Each is NFC with combining class 0 and never the second character
/// of a canonical composition, so that any text of them and of characters below U+0300
/// is NFC; each is a letter that no character check refuses ([`CharClass::Plain`]),
/// valid under UTS 46 and strongly left-to-right (the `common_letters_are_left_as_they_are`
/// tests).
#[inline]
pub(super) fn is_common_letter(c: char) -> bool {
    matches!(
        c,
        '\u{DF}'..='\u{F6}'
            | '\u{F8}'..='\u{FF}'
            | '\u{430}'..='\u{45F}'
            | '\u{3041}'..='\u{3096}'
            | '\u{30A1}'..='\u{30FA}'
            | '\u{3400}'..='\u{4DBF}'
            | '\u{4E00}'..='\u{9FFF}'
            | '\u{AC00}'..='\u{D7A3}'
    )
}

/// The classes of non-ASCII characters that matter to the validator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CharClass {
    /// Letters, numbers, punctuation, symbols.
    Plain,
    /// Combining marks: refused at the start of a part.
    Mark,
    /// Space separators (allowed in quoted strings only).
    Space,
    /// Format, private use, unassigned, surrogate, line/paragraph separators.
    Unsafe,
}

pub(super) fn class(c: char) -> CharClass {
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
pub(super) fn check_unquoted_unicode(c: char, position: usize, first: bool) -> Result<()> {
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
pub(super) fn check_quoted_unicode(c: char, position: usize, first: bool) -> Result<()> {
    match class(c) {
        CharClass::Space => Ok(()),
        _ => check_unquoted_unicode(c, position, first),
    }
}

/// The byte offset of the first `target` (ASCII bytes) outside quoted strings, if any.
/// Bytes, not characters: every character involved is ASCII, and the bytes of a
/// multi-byte character are never ASCII (a backslash escapes the first byte of one, and
/// the others are not quotes or backslashes).
#[inline]
pub(super) fn find_unquoted(s: &str, targets: &[u8]) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    loop {
        // Outside quotes: the next target or opening quote.
        i += bytes[i..]
            .iter()
            .position(|&b| b == b'"' || targets.contains(&b))?;
        if bytes[i] != b'"' {
            return Some(i);
        }
        // Inside quotes: up to the closing quote, over escaped bytes.
        i += 1;
        loop {
            match bytes.get(i)? {
                b'"' => break,
                b'\\' => i += 2,
                _ => i += 1,
            }
        }
        i += 1;
    }
}

/// Whether `s` is atoms joined by single `separator`s, atoms of ASCII atext or non-ASCII
/// characters that are not spaces or unsafe (RFC 6531), with no combining mark first:
/// text that needs no quoting (a dot-atom with `.`, a phrase with a space).
pub(super) fn is_atoms_joined_by(s: &str, separator: char) -> bool {
    let atom_char = |c: char| {
        is_atext(c) || (!c.is_ascii() && matches!(class(c), CharClass::Plain | CharClass::Mark))
    };
    !s.is_empty()
        && s.split(separator)
            .all(|atom| !atom.is_empty() && atom.chars().all(atom_char))
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii() || class(c) != CharClass::Mark)
}

/// `s` as a quoted string: in double quotes, with `"` and `\` escaped.
pub(super) fn quote(s: &str) -> String {
    let mut quoted = String::with_capacity(s.len() + 2);
    quoted.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}
