//! Checks of everything that ends up in a header: values, names, content types,
//! message ids and content ids. mail-builder writes what it is given (and silently
//! drops CR/LF from some fields), so every refusal happens here, before it is called.

use crate::address::{is_atext, is_atext_byte};
use crate::error::{Error, ErrorKind, Result};

/// Longest accepted header field name (a name must leave room for its value on a line).
pub(crate) const MAX_HEADER_NAME: usize = 76;
/// Longest accepted Message-ID / Content-ID (without angle brackets).
pub(crate) const MAX_ID: usize = 250;
/// RFC 5322 line limit, CRLF excluded.
pub(crate) const MAX_LINE: usize = 998;

/// Header fields the builder writes itself; custom headers may not set them.
pub(crate) const RESERVED: [&str; 12] = [
    "From",
    "To",
    "Cc",
    "Bcc",
    "Subject",
    "Date",
    "Message-ID",
    "Content-Type",
    "MIME-Version",
    "Content-Transfer-Encoding",
    "Sender",
    "Reply-To",
];

/// An `invalid_message` error with a reason.
pub(crate) fn invalid(reason: &'static str, message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidMessage, message).with_reason(reason)
}

/// Characters that end a line for some reader: CR, LF, NEL, LINE SEPARATOR,
/// PARAGRAPH SEPARATOR.
fn is_line_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// C0 controls (other than the line breaks), DEL and C1 controls.
fn is_control(c: char) -> bool {
    c.is_control()
}

/// Refuses line breaks (`header_injection`) and control characters (`control_char`)
/// in `value`; a horizontal tab is accepted only when `allow_tab`.
pub(crate) fn check_text(field: &str, value: &str, allow_tab: bool) -> Result<()> {
    let start = first_suspect(value);
    let Some(rest) = value.get(start..) else {
        return Ok(());
    };
    for (at, c) in rest.char_indices() {
        let at = start + at;
        if is_line_break(c) {
            return Err(invalid(
                "header_injection",
                format!(
                    "{field} contains a line break (U+{:04X}) at byte {at}",
                    c as u32
                ),
            )
            .with_position(at));
        }
        if is_control(c) && !(allow_tab && c == '\t') {
            return Err(invalid(
                "control_char",
                format!(
                    "{field} contains the control character U+{:04X} at byte {at}",
                    c as u32
                ),
            )
            .with_position(at));
        }
    }
    Ok(())
}

/// The offset of the first byte that is not printable ASCII (space to `~`): every
/// byte before it is neither a line break nor a control character, so the checks
/// start there (`value.len()` when there is none).
fn first_suspect(value: &str) -> usize {
    crate::address::first_non_printable(value)
}

/// Whether `value` holds a line break or a control character (what
/// [`check_text`] refuses with `allow_tab` off).
pub(crate) fn has_break_or_control(value: &str) -> bool {
    let start = first_suspect(value);
    value
        .get(start..)
        .is_some_and(|rest| rest.chars().any(|c| is_line_break(c) || is_control(c)))
}

/// RFC 5322 field name: one or more printable ASCII characters except `:`.
pub(crate) fn check_header_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(invalid("invalid_header_name", "a header name is empty"));
    }
    if name.len() > MAX_HEADER_NAME {
        return Err(invalid(
            "invalid_header_name",
            format!("a header name is longer than {MAX_HEADER_NAME} characters"),
        ));
    }
    for (at, c) in name.char_indices() {
        if is_line_break(c) {
            return Err(invalid(
                "header_injection",
                format!("the header name {name:?} contains a line break at byte {at}"),
            )
            .with_position(at));
        }
        if !matches!(c, '!'..='9' | ';'..='~') {
            return Err(invalid(
                "invalid_header_name",
                format!("the header name {name:?} contains {c:?} at byte {at} (only printable ASCII except ':')"),
            )
            .with_position(at));
        }
    }
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name)) {
        return Err(invalid(
            "reserved_header",
            format!("the header {name:?} is written by the builder and cannot be set as a custom header"),
        ));
    }
    Ok(())
}

/// RFC 2045 token character.
fn is_token_char(c: char) -> bool {
    c.is_ascii_graphic()
        && !matches!(
            c,
            '(' | ')'
                | '<'
                | '>'
                | '@'
                | ','
                | ';'
                | ':'
                | '\\'
                | '"'
                | '/'
                | '['
                | ']'
                | '?'
                | '='
        )
}

/// A parsed content type: `type/subtype` in lower case and its parameters (names in
/// lower case, values unquoted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContentTypeValue {
    pub(crate) mime: String,
    pub(crate) params: Vec<(String, String)>,
}

fn bad_type(input: &str, at: usize, what: &str) -> Error {
    invalid(
        "invalid_content_type",
        format!("the content type {input:?} is invalid at byte {at}: {what}"),
    )
    .with_position(at)
}

/// Parses `type/subtype *(";" attribute "=" (token / quoted-string))`. Refuses
/// controls and line breaks first (`header_injection` / `control_char`), then any
/// other departure from the grammar (`invalid_content_type`), multipart and message
/// types (an attachment is a leaf), and RFC 2231 `*` parameters (the builder writes
/// those itself).
pub(crate) fn parse_content_type(input: &str) -> Result<ContentTypeValue> {
    check_text("the content type", input, false)?;
    let bytes = input.as_bytes();
    let mut at = 0;
    let skip_ws = |at: &mut usize| {
        while *at < bytes.len() && (bytes[*at] == b' ' || bytes[*at] == b'\t') {
            *at += 1;
        }
    };
    let token = |at: &mut usize| -> usize {
        let start = *at;
        while *at < bytes.len() && is_token_char(bytes[*at] as char) {
            *at += 1;
        }
        *at - start
    };
    skip_ws(&mut at);
    let start = at;
    if token(&mut at) == 0 {
        return Err(bad_type(input, at, "expected a type"));
    }
    if bytes.get(at) != Some(&b'/') {
        return Err(bad_type(input, at, "expected '/' after the type"));
    }
    at += 1;
    if token(&mut at) == 0 {
        return Err(bad_type(input, at, "expected a subtype"));
    }
    let mime = input[start..at].to_ascii_lowercase();
    if mime.starts_with("multipart/") || mime.starts_with("message/") {
        return Err(bad_type(
            input,
            start,
            "multipart and message types cannot be attached as leaves",
        ));
    }
    let mut params: Vec<(String, String)> = Vec::new();
    loop {
        skip_ws(&mut at);
        if at == bytes.len() {
            break;
        }
        if bytes[at] != b';' {
            return Err(bad_type(input, at, "expected ';'"));
        }
        at += 1;
        skip_ws(&mut at);
        if at == bytes.len() {
            break; // a trailing ';' is tolerated
        }
        let name_start = at;
        if token(&mut at) == 0 {
            return Err(bad_type(input, at, "expected a parameter name"));
        }
        let name = input[name_start..at].to_ascii_lowercase();
        if name.contains('*') {
            return Err(bad_type(
                input,
                name_start,
                "RFC 2231 parameters are written by the builder, give the plain value",
            ));
        }
        if bytes.get(at) != Some(&b'=') {
            return Err(bad_type(input, at, "expected '=' after the parameter name"));
        }
        at += 1;
        let value = if bytes.get(at) == Some(&b'"') {
            at += 1;
            let mut value = String::new();
            loop {
                match input[at..].chars().next() {
                    None => return Err(bad_type(input, at, "unterminated quoted string")),
                    Some('"') => {
                        at += 1;
                        break;
                    }
                    Some('\\') => {
                        at += 1;
                        match input[at..].chars().next() {
                            Some(c) if c.is_ascii() => {
                                value.push(c);
                                at += 1;
                            }
                            _ => return Err(bad_type(input, at, "bad quoted pair")),
                        }
                    }
                    Some(c) if c.is_ascii() => {
                        value.push(c);
                        at += 1;
                    }
                    Some(_) => return Err(bad_type(input, at, "non-ASCII character")),
                }
            }
            value
        } else {
            let value_start = at;
            if token(&mut at) == 0 {
                return Err(bad_type(input, at, "expected a parameter value"));
            }
            input[value_start..at].to_string()
        };
        if params.iter().any(|(n, _)| *n == name) {
            return Err(bad_type(input, name_start, "duplicate parameter"));
        }
        params.push((name, value));
    }
    Ok(ContentTypeValue { mime, params })
}

/// Non-empty atoms of atext separated by single dots (bytes: atext is ASCII).
fn is_dot_atom_text(s: &str) -> bool {
    let mut after_dot = true; // at the start, as after a dot: an atom must follow
    for &b in s.as_bytes() {
        if b == b'.' {
            if after_dot {
                return false;
            }
            after_dot = true;
        } else if is_atext_byte(b) {
            after_dot = false;
        } else {
            return false;
        }
    }
    !after_dot
}

/// Reads a Message-ID given as `<left@right>` or `left@right` (dot-atom-text on both
/// sides, or a `[literal]` on the right) and returns it without angle brackets.
pub(crate) fn parse_message_id(input: &str) -> Result<String> {
    match plain_message_id(input) {
        Some(bare) => Ok(bare.to_string()),
        None => parse_message_id_full(input),
    }
}

/// The common form of [`parse_message_id`] in one pass over the bytes: dot-atom-text
/// on both sides of a single `@`, optionally in angle brackets, at most [`MAX_ID`]
/// octets. `None` for anything else (read by the full rules, errors included); what
/// it accepts, the full rules accept with the same result.
fn plain_message_id(input: &str) -> Option<&str> {
    let bare = match input.strip_prefix('<') {
        Some(rest) => rest.strip_suffix('>')?,
        None => input,
    };
    let bytes = bare.as_bytes();
    if bytes.len() > MAX_ID {
        return None;
    }
    let mut at = None;
    for (i, &b) in bytes.iter().enumerate() {
        if is_atext_byte(b) {
            continue;
        }
        // A dot or the '@' needs an atom before it: not first, not after a dot or
        // the '@'.
        if i == 0 || matches!(bytes[i - 1], b'.' | b'@') {
            return None;
        }
        match b {
            b'.' => {}
            b'@' if at.is_none() => at = Some(i),
            _ => return None,
        }
    }
    // An atom after the '@' and at the end.
    match (at, bytes.last()) {
        (Some(at), Some(&last)) if at + 1 < bytes.len() && is_atext_byte(last) => Some(bare),
        _ => None,
    }
}

fn parse_message_id_full(input: &str) -> Result<String> {
    check_text("the message id", input, false)?;
    let bare = match input.strip_prefix('<') {
        Some(rest) => rest.strip_suffix('>').ok_or_else(|| {
            invalid(
                "invalid_message_id",
                format!("the message id {input:?} has '<' without '>'"),
            )
        })?,
        None => input,
    };
    let fail = || {
        invalid(
            "invalid_message_id",
            format!("the message id {input:?} is not of the form id-left@id-right"),
        )
    };
    if bare.len() > MAX_ID {
        return Err(invalid(
            "invalid_message_id",
            format!("the message id is longer than {MAX_ID} characters"),
        ));
    }
    let (left, right) = bare.split_once('@').ok_or_else(fail)?;
    let right_ok = is_dot_atom_text(right)
        || (right.len() >= 2
            && right.starts_with('[')
            && right.ends_with(']')
            && right[1..right.len() - 1]
                .chars()
                .all(|c| matches!(c, '!'..='Z' | '^'..='~')));
    if !is_dot_atom_text(left) || !right_ok {
        return Err(fail());
    }
    Ok(bare.to_string())
}

/// Reads a Content-ID for `cid:` references, with or without angle brackets:
/// atext, `.` and `@` only. Returns it without brackets.
pub(crate) fn parse_content_id(input: &str) -> Result<String> {
    check_text("the content id", input, false)?;
    let bare = input
        .strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .unwrap_or(input);
    if bare.is_empty()
        || bare.len() > MAX_ID
        || !bare.chars().all(|c| is_atext(c) || c == '.' || c == '@')
    {
        return Err(invalid(
            "invalid_content_id",
            format!(
                "the content id {input:?} must be 1 to {MAX_ID} characters of atext, '.' and '@'"
            ),
        ));
    }
    Ok(bare.to_string())
}

/// Whether an unstructured ASCII value can be folded at white space into lines of at
/// most 998 octets after a `name: ` prefix.
pub(crate) fn foldable(name_len: usize, value: &str) -> bool {
    let mut first = true;
    for word in value.split([' ', '\t']) {
        let room = if first {
            MAX_LINE - name_len - 2
        } else {
            MAX_LINE - 1
        };
        if word.len() > room {
            return false;
        }
        first = false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_and_controls_are_told_apart() {
        for (value, reason, at) in [
            ("a\rb", "header_injection", 1),
            ("a\nb", "header_injection", 1),
            ("ab\u{2028}", "header_injection", 2),
            ("x\u{85}", "header_injection", 1),
            ("a\0b", "control_char", 1),
            ("a\u{7f}", "control_char", 1),
            ("é\u{9b}", "control_char", 2),
            ("a\tb", "control_char", 1),
        ] {
            let e = check_text("v", value, false).unwrap_err();
            assert_eq!(
                (e.reason(), e.position()),
                (Some(reason), Some(at)),
                "{value:?}"
            );
        }
        assert!(check_text("v", "a\tb", true).is_ok());
        assert!(check_text("v", "héllo wörld", false).is_ok());
    }

    #[test]
    fn header_names_are_ftext_and_not_reserved() {
        assert!(check_header_name("X-Campaign").is_ok());
        assert!(check_header_name("List-Unsubscribe").is_ok());
        for (name, reason) in [
            ("", "invalid_header_name"),
            ("X Y", "invalid_header_name"),
            ("X:Y", "invalid_header_name"),
            ("X-é", "invalid_header_name"),
            ("X\r\nBcc", "header_injection"),
            ("bcc", "reserved_header"),
            ("CONTENT-TYPE", "reserved_header"),
            ("message-id", "reserved_header"),
        ] {
            assert_eq!(
                check_header_name(name).unwrap_err().reason(),
                Some(reason),
                "{name:?}"
            );
        }
        assert!(check_header_name(&"X".repeat(77)).is_err());
    }

    #[test]
    fn content_types_parse_strictly() {
        let ct = parse_content_type("Text/Plain; Charset=\"utf-8\"; format=flowed").unwrap();
        assert_eq!(ct.mime, "text/plain");
        assert_eq!(
            ct.params,
            vec![
                ("charset".into(), "utf-8".into()),
                ("format".into(), "flowed".into())
            ]
        );
        for bad in [
            "text",
            "text/",
            "/plain",
            "text/plain; charset",
            "text/plain; charset=\"x",
            "text/plain x",
            "text/plain; a=1; a=2",
            "text/plain; name*=UTF-8''x",
            "multipart/mixed; boundary=x",
            "message/rfc822",
            "text/plain; charset=é",
        ] {
            assert_eq!(
                parse_content_type(bad).unwrap_err().reason(),
                Some("invalid_content_type"),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_content_type("text/html\r\nBcc: x@y")
                .unwrap_err()
                .reason(),
            Some("header_injection")
        );
    }

    #[test]
    fn message_ids_with_or_without_brackets() {
        assert_eq!(parse_message_id("<a.b@c.d>").unwrap(), "a.b@c.d");
        assert_eq!(
            parse_message_id("a.b@[127.0.0.1]").unwrap(),
            "a.b@[127.0.0.1]"
        );
        for bad in [
            "",
            "<a@b",
            "a",
            "a@",
            "@b",
            "a..b@c",
            "a b@c",
            "<a@b>>",
            "a@b\r\nX: y",
            "é@b",
        ] {
            assert!(parse_message_id(bad).is_err(), "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn message_id_fast_path_agrees_with_the_full_rules(
            input in "<?[a-z.@<>\\[\\] é-]{0,12}>?",
        ) {
            if let Some(bare) = plain_message_id(&input) {
                proptest::prop_assert_eq!(
                    parse_message_id_full(&input).map_err(|e| e.to_string()),
                    Ok(bare.to_string())
                );
            }
            proptest::prop_assert_eq!(
                parse_message_id(&input).map_err(|e| e.to_string()),
                parse_message_id_full(&input).map_err(|e| e.to_string())
            );
        }
    }

    #[test]
    fn message_id_fast_path_edges() {
        for (input, fast) in [
            ("a@b", Some("a@b")),
            ("<a.b@c.d>", Some("a.b@c.d")),
            ("<a@b", None),
            ("a@b>", None),
            ("a@", None),
            ("@b", None),
            ("a.@b", None),
            ("a@.b", None),
            ("a@b.", None),
            (".a@b", None),
            ("a@b@c", None),
            ("a..b@c", None),
            ("a@[1.2.3.4]", None),
            ("a b@c", None),
        ] {
            assert_eq!(plain_message_id(input), fast, "{input:?}");
        }
        let longest = format!("{}@b", "a".repeat(MAX_ID - 2));
        assert_eq!(plain_message_id(&longest), Some(longest.as_str()));
        let too_long = format!("{}@b", "a".repeat(MAX_ID - 1));
        assert_eq!(plain_message_id(&too_long), None);
        assert!(parse_message_id(&too_long).is_err());
    }

    #[test]
    fn folding_room_is_measured_per_word() {
        assert!(foldable(7, &"a ".repeat(2000)));
        assert!(!foldable(7, &"a".repeat(990)));
        assert!(foldable(7, &"a".repeat(989)));
    }
}
