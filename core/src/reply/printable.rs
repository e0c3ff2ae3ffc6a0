//! The one rule for server text that reaches a log line, an error message or a C
//! string: control characters are escaped, never passed raw (an ANSI escape sequence
//! in a 550 text must not recolour or rewrite a terminal), and NUL is refused where a
//! reply is parsed ([`super::Reply::parse`], [`super::ReplyReader`]: reason `nul_byte`),
//! since a C string would end there. `docs/REPLIES.md` ("Server text") states it.

use std::borrow::Cow;

use crate::swar;

/// Whether `c` is escaped by [`escape_controls`]: every C0 control but TAB, DEL, and the
/// C1 controls (U+0080 to U+009F; U+009B is a one-character escape sequence).
fn escaped(c: char) -> bool {
    c.is_control() && c != '\t'
}

/// `text` with each control character other than TAB written as `\xNN` (C0 and DEL) or
/// `\u{NN}` (C1); borrowed when there is none. The reply's own line structure is not
/// part of `text`: callers escape line by line, or join lines after escaping.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !escaped(c) {
            out.push(c);
            continue;
        }
        // Every escaped character is below U+00A0: two hex digits, written by hand
        // (no formatting machinery in the wasm module).
        let n = c as u32 as u8;
        out.push_str(if n < 0x80 { "\\x" } else { "\\u{" });
        out.push(hex_digit(n >> 4));
        out.push(hex_digit(n & 0xf));
        if n >= 0x80 {
            out.push('}');
        }
    }
    Cow::Owned(out)
}

/// Whether `b` may be something [`escape_controls`] changes, a reply refuses or a line
/// break: a C0 control (TAB, CR, LF and NUL included), DEL, or the lead byte 0xC2 of a
/// C1 control.
fn suspect(b: u8) -> bool {
    b < 0x20 || b == 0x7f || b == 0xc2
}

/// The index of the first byte of `bytes` that may need the full rules ([`suspect`]):
/// a line break, or a character that is refused or escaped. `None` means the text is
/// printable as it is; a hit only sends the caller to the full rules (a TAB or a `©` is
/// found and then found harmless there). Eight bytes at a time ([`crate::swar`]), so
/// that a reply is scanned in one pass for its line ends and for everything the rules
/// look at.
pub(crate) fn find_suspect(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    for chunk in bytes.chunks_exact(8) {
        let w = swar::load(chunk);
        let found = swar::below(w, 0x20) | swar::equal(w, 0x7f) | swar::equal(w, 0xc2);
        if found != 0 {
            return Some(at + swar::first(found));
        }
        at += 8;
    }
    bytes[at..].iter().position(|&b| suspect(b)).map(|i| at + i)
}

/// The lower-case hex digit of `n` (0 to 15).
fn hex_digit(n: u8) -> char {
    char::from(b"0123456789abcdef"[usize::from(n & 0xf)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_escape_sequences_are_written_out() {
        assert_eq!(
            escape_controls("550 \x1b[2J\x1b[31mno\x07"),
            "550 \\x1b[2J\\x1b[31mno\\x07"
        );
        assert_eq!(escape_controls("a\u{9b}31m\u{7f}"), "a\\u{9b}31m\\x7f");
        assert_eq!(escape_controls("cr\rlf\n"), "cr\\x0dlf\\x0a");
        assert_eq!(escape_controls("nul\0"), "nul\\x00");
    }

    #[test]
    fn the_word_scan_flags_exactly_the_suspect_bytes() {
        // Every byte value at every position of a 1- to 19-byte line of harmless bytes
        // (ASCII, and high bytes whose borrows could mislead a word trick), against
        // the byte-by-byte rule.
        for fill in [b'a', b' ', 0x21, 0x7e, 0x80, 0xa0, 0xc1, 0xc3, 0xff] {
            for len in 1..20 {
                for at in 0..len {
                    for b in 0..=255u8 {
                        let mut line = vec![fill; len];
                        line[at] = b;
                        let want = (b < 0x20 || b == 0x7f || b == 0xc2).then_some(at);
                        assert_eq!(find_suspect(&line), want, "byte {b:#x} at {at} of {len}");
                    }
                }
            }
        }
        assert_eq!(find_suspect(b""), None);
        // The first of several.
        assert_eq!(find_suspect(b"abcdefgh\x01\x7fabcdefgh\r\n"), Some(8));
        assert_eq!(find_suspect(b"abcdefghabcdefgh\r\n"), Some(16));
    }

    #[test]
    fn plain_text_and_tabs_are_borrowed_unchanged() {
        assert!(matches!(
            escape_controls("250 ok\tfine é"),
            Cow::Borrowed(_)
        ));
    }
}
