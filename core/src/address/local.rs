//! Local parts: dot-atoms (with SMTPUTF8 characters, NFC-normalised) and quoted
//! strings (minimally re-quoted).

use super::chars::{
    check_quoted_unicode, check_unquoted_unicode, is_atext, is_atoms_joined_by, quote, show,
};
use super::nfc::nfc;
use super::{fail, AddressOptions};
use crate::error::Result;
use std::borrow::Cow;

/// Whether `s` is a dot-atom-text (RFC 6531) that needs no quoting.
pub(super) fn is_dot_atom(s: &str) -> bool {
    is_atoms_joined_by(s, '.')
}

/// A quoted local part: returns the minimally quoted, NFC value and the offset of the @.
pub(super) fn parse_quoted_local(
    s: &str,
    base: usize,
    options: &AddressOptions,
) -> Result<(String, usize)> {
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
        quote(&value)
    };
    Ok((local, at))
}

/// A dot-atom local part: returns the NFC value (borrowed when NFC leaves it as it is)
/// and the offset of the @.
pub(super) fn parse_dot_atom_local(s: &str, base: usize) -> Result<(Cow<'_, str>, usize)> {
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
    Ok((value, at))
}
