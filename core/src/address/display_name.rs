//! Display names of the header form: parsing an RFC 5322 phrase into its value and
//! writing a value back as a bare or quoted phrase.

use super::chars::{
    check_quoted_unicode, check_unquoted_unicode, is_atext, is_atoms_joined_by, quote, show,
};
use super::fail;
use super::nfc::nfc;
use crate::error::Result;
use std::borrow::Cow;

/// Parses an RFC 5322 phrase (atoms and quoted strings separated by spaces; UTF-8
/// allowed per RFC 6532) into its value. `text` starts at offset 0 of the input.
pub(super) fn parse_display_name(text: &str) -> Result<Option<String>> {
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

/// Whether `s` is a phrase of atoms separated by single spaces that needs no quoting.
pub(super) fn is_plain_phrase(s: &str) -> bool {
    is_atoms_joined_by(s, ' ')
}

/// Writes a display name as a phrase: bare when it is atoms separated by single
/// spaces, else as a quoted string.
pub(super) fn format_phrase(name: &str) -> String {
    if is_plain_phrase(name) {
        return name.to_string();
    }
    quote(name)
}
