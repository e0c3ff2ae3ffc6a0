//! `envelope_from_message`: the SMTP envelope of a message built elsewhere. A small
//! header reader restricted to what the envelope needs: field boundaries with their
//! folded continuation lines, and RFC 5322 address lists (groups, display names,
//! quoted strings, comments, encoded words inside phrases, obsolete routes).
//! mail-parser would do more than this needs and is not wanted as a runtime
//! dependency of the wasm build (docs/MESSAGES.md).

use super::headers::invalid;
use super::{Envelope, ReadMessage};
use crate::address::{Address, AddressOptions, Mode};
use crate::error::Result;

/// One header field: its name and the byte range of the whole field (continuation
/// lines and the final line break included) and of its value.
struct Field<'a> {
    name: &'a [u8],
    start: usize,
    end: usize,
    value: &'a [u8],
}

/// Splits the header section into fields. Lines end with CRLF or a bare LF; the
/// section ends at the first empty line (or at the end of the bytes).
fn fields(bytes: &[u8]) -> Result<Vec<Field<'_>>> {
    let mut fields: Vec<Field<'_>> = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let line_end = bytes[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |p| at + p + 1);
        let line = &bytes[at..line_end];
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        if content.is_empty() {
            break; // the empty line ending the header section
        }
        if matches!(content[0], b' ' | b'\t') {
            match fields.last_mut() {
                Some(field) => field.end = line_end,
                None => {
                    return Err(invalid(
                        "invalid_header",
                        "the message starts with a continuation line",
                    )
                    .with_position(at));
                }
            }
        } else {
            let Some(colon) = content.iter().position(|&b| b == b':') else {
                return Err(invalid(
                    "invalid_header",
                    format!("the header line at byte {at} has no ':'"),
                )
                .with_position(at));
            };
            let name = &content[..colon];
            let name = name.strip_suffix(b" ").unwrap_or(name); // obsolete "Name :" form
            if name.is_empty() || !name.iter().all(|&b| (33..=126).contains(&b) && b != b':') {
                return Err(invalid(
                    "invalid_header_name",
                    format!("the header line at byte {at} has an invalid name"),
                )
                .with_position(at));
            }
            fields.push(Field {
                name,
                start: at,
                end: line_end,
                value: &[],
            });
        }
        at = line_end;
    }
    for field in &mut fields {
        let colon = bytes[field.start..]
            .iter()
            .position(|&b| b == b':')
            .map_or(field.end, |p| field.start + p + 1);
        field.value = &bytes[colon.min(field.end)..field.end];
    }
    Ok(fields)
}

/// The addr-specs of an address list, in order. Unfolds, skips comments, quoted
/// display names and group names; an empty group contributes nothing.
fn addr_specs(value: &[u8]) -> Result<Vec<String>> {
    let mut specs = Vec::new();
    let mut current: Vec<u8> = Vec::new(); // text of the current mailbox outside comments
    let mut angle: Option<Vec<u8>> = None; // the angle-addr, once seen
    let mut in_angle = false;
    let mut i = 0;
    let mut finish = |current: &mut Vec<u8>, angle: &mut Option<Vec<u8>>| -> Result<()> {
        let spec = match angle.take() {
            Some(inner) => {
                // An obsolete route "@a,@b:" before the address is dropped.
                match inner.iter().position(|&b| b == b':') {
                    Some(p) if inner.first() == Some(&b'@') => inner[p + 1..].to_vec(),
                    _ => inner,
                }
            }
            None => std::mem::take(current),
        };
        current.clear();
        let spec: Vec<u8> = spec
            .into_iter()
            .filter(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
            .collect();
        if !spec.is_empty() {
            let text = String::from_utf8(spec)
                .map_err(|_| invalid("invalid_utf8", "an address in the header is not UTF-8"))?;
            specs.push(text);
        }
        Ok(())
    };
    while i < value.len() {
        let b = value[i];
        match b {
            b'(' => {
                // Comment (nested, with quoted pairs): skipped.
                let mut depth = 0usize;
                while i < value.len() {
                    match value[i] {
                        b'\\' => i += 1,
                        b'(' => depth += 1,
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                if depth != 0 || i >= value.len() {
                    return Err(invalid(
                        "invalid_header",
                        "unterminated comment in an address header",
                    ));
                }
                current.push(b' ');
            }
            b'"' => {
                // Quoted string: part of a display name, or a quoted local part.
                let start = i;
                i += 1;
                while i < value.len() && value[i] != b'"' {
                    if value[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if i >= value.len() {
                    return Err(invalid(
                        "invalid_header",
                        "unterminated quoted string in an address header",
                    ));
                }
                let quoted = &value[start..=i];
                match angle.as_mut() {
                    Some(inner) if in_angle => inner.extend_from_slice(quoted),
                    _ => current.extend_from_slice(quoted),
                }
            }
            b'<' if !in_angle => {
                in_angle = true;
                angle = Some(Vec::new());
            }
            b'>' if in_angle => in_angle = false,
            _ if in_angle => {
                if let Some(inner) = angle.as_mut() {
                    inner.push(b);
                }
            }
            b':' => current.clear(), // a group name ends
            b',' | b';' => finish(&mut current, &mut angle)?,
            _ => current.push(b),
        }
        i += 1;
    }
    if in_angle {
        return Err(invalid(
            "invalid_header",
            "unterminated '<' in an address header",
        ));
    }
    finish(&mut current, &mut angle)?;
    Ok(specs)
}

fn envelope_address(field: &str, spec: &str) -> Result<Address> {
    let options = AddressOptions {
        mode: Mode::Envelope,
        allow_quoted_local: true,
        allow_domain_literal: false,
    };
    Address::parse(spec, &options).map_err(|e| {
        let mut error = invalid(
            e.reason().unwrap_or("invalid_address"),
            format!("{field}: {spec:?}: {}", e.message()),
        );
        if let Some(p) = e.position() {
            error = error.with_position(p);
        }
        error
    })
}

pub(crate) fn envelope_from_message(bytes: &[u8]) -> Result<(Envelope, Vec<u8>)> {
    let read = read_message(bytes, None, None)?;
    Ok((read.envelope, read.bytes))
}

pub(crate) fn read_message(
    bytes: &[u8],
    mail_from: Option<&str>,
    rcpt_to: Option<&[String]>,
) -> Result<ReadMessage> {
    let fields = fields(bytes)?;
    let mail_from = match mail_from {
        Some(given) => given.to_string(),
        None => header_sender(&fields)?,
    };
    let rcpt_to = match rcpt_to {
        Some(given) => given.to_vec(),
        None => header_recipients(&fields)?,
    };
    let message_id = fields
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(b"Message-ID"))
        .and_then(|f| msg_id(f.value));
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    for field in fields
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case(b"Bcc"))
    {
        out.extend_from_slice(&bytes[at..field.start]);
        at = field.end;
    }
    out.extend_from_slice(&bytes[at..]);
    Ok(ReadMessage {
        envelope: Envelope { mail_from, rcpt_to },
        bytes: out,
        message_id,
    })
}

/// MAIL FROM: the first address of the first non-empty `Sender`, else of `From`.
fn header_sender(fields: &[Field<'_>]) -> Result<String> {
    let first_of = |name: &str| -> Result<Option<String>> {
        for field in fields
            .iter()
            .filter(|f| f.name.eq_ignore_ascii_case(name.as_bytes()))
        {
            if let Some(spec) = addr_specs(field.value)?.into_iter().next() {
                return Ok(Some(envelope_address(name, &spec)?.envelope()));
            }
        }
        Ok(None)
    };
    match first_of("Sender")? {
        Some(sender) => Ok(sender),
        None => first_of("From")?
            .ok_or_else(|| invalid("no_from", "the message has no From or Sender address")),
    }
}

/// RCPT TO: every address of every `To`, `Cc` and `Bcc` field, de-duplicated.
fn header_recipients(fields: &[Field<'_>]) -> Result<Vec<String>> {
    let mut rcpt_to: Vec<String> = Vec::new();
    let mut keys: Vec<(String, String)> = Vec::new();
    for field in fields.iter().filter(|f| {
        [b"To".as_slice(), b"Cc", b"Bcc"]
            .iter()
            .any(|n| f.name.eq_ignore_ascii_case(n))
    }) {
        let name = String::from_utf8_lossy(field.name);
        for spec in addr_specs(field.value)? {
            let address = envelope_address(&name, &spec)?;
            let key = (
                address.local.clone(),
                address.ascii_domain.to_ascii_lowercase(),
            );
            if !keys.contains(&key) {
                keys.push(key);
                rcpt_to.push(address.envelope());
            }
        }
    }
    if rcpt_to.is_empty() {
        return Err(invalid(
            "no_recipients",
            "the message has no To, Cc or Bcc address",
        ));
    }
    Ok(rcpt_to)
}

/// The id of a `Message-ID` field value: what is between its angle brackets (folding
/// and comments around them ignored), or the bare value without them; `None` when
/// empty or not UTF-8.
fn msg_id(value: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(value).ok()?;
    let inner = match (text.find('<'), text.rfind('>')) {
        (Some(open), Some(close)) if open < close => &text[open + 1..close],
        _ => text,
    };
    let id: String = inner
        .chars()
        .filter(|c| !matches!(c, ' ' | '\t' | '\r' | '\n'))
        .collect();
    (!id.is_empty()).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs(s: &str) -> Vec<String> {
        addr_specs(s.as_bytes()).unwrap()
    }

    #[test]
    fn address_lists() {
        assert_eq!(specs(" a@b.c"), ["a@b.c"]);
        assert_eq!(
            specs(" \"Doe, John\" <j@d.e>, x@y.z (comment, with <x@q.q>)"),
            ["j@d.e", "x@y.z"]
        );
        assert_eq!(
            specs(" Team: a@b.c, Bob <b@c.d>;, e@f.g"),
            ["a@b.c", "b@c.d", "e@f.g"]
        );
        assert_eq!(specs(" undisclosed-recipients:;"), Vec::<String>::new());
        assert_eq!(specs(" =?utf-8?q?J=C3=B6rg?= <j@x.y>"), ["j@x.y"]);
        assert_eq!(specs(" <@relay.example:u@x.y>"), ["u@x.y"]);
        assert_eq!(specs(" Bob\r\n <b@c.d>,\r\n\tc@d.e"), ["b@c.d", "c@d.e"]);
        assert_eq!(specs(" a@b.c (nested (comment) here)"), ["a@b.c"]);
        for bad in [" <a@b", " (open", " \"open"] {
            assert!(addr_specs(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn bcc_is_removed_with_its_continuation_lines_only() {
        let message = b"From: a@b.c\r\nBcc: x@y.z,\r\n  w@v.u\r\nTo: t@u.v\r\nbcc:\r\nSubject: s\r\n\r\nBcc: body@stays.here\r\n";
        let (env, out) = envelope_from_message(message).unwrap();
        assert_eq!(env.mail_from, "a@b.c");
        assert_eq!(env.rcpt_to, ["x@y.z", "w@v.u", "t@u.v"]);
        assert_eq!(
            out,
            b"From: a@b.c\r\nTo: t@u.v\r\nSubject: s\r\n\r\nBcc: body@stays.here\r\n"
        );
    }

    #[test]
    fn sender_wins_over_from_and_duplicates_go() {
        let message =
            b"From: a@b.c, d@e.f\nSender: s@b.c\nTo: T@U.V, t@u.v, T@u.V\nCc: T@U.V\n\nbody\n";
        let (env, out) = envelope_from_message(message).unwrap();
        assert_eq!(env.mail_from, "s@b.c");
        assert_eq!(env.rcpt_to, ["T@u.v", "t@u.v"]);
        assert_eq!(out, message);
    }

    #[test]
    fn refusals() {
        let cases: [(&[u8], &str); 4] = [
            (b"To: a@b.c\r\n\r\n", "no_from"),
            (b"From: a@b.c\r\n\r\n", "no_recipients"),
            (b" folded\r\nFrom: a@b.c\r\n", "invalid_header"),
            (b"From a@b.c\r\n", "invalid_header"),
        ];
        for (message, reason) in cases {
            assert_eq!(
                envelope_from_message(message).unwrap_err().reason(),
                Some(reason)
            );
        }
    }

    #[test]
    fn read_message_takes_given_envelope_parts_and_the_message_id() {
        let message =
            b"From: a@b.c\r\nMessage-ID:\r\n <id-1@b.c> (comment)\r\nBcc: x@y.z\r\n\r\nbody\r\n";
        let rcpt = vec!["r@s.t".to_string(), "u@v.w".to_string()];
        let read = read_message(message, None, Some(&rcpt)).unwrap();
        assert_eq!(read.envelope.mail_from, "a@b.c");
        assert_eq!(read.envelope.rcpt_to, rcpt);
        assert_eq!(read.message_id.as_deref(), Some("id-1@b.c"));
        assert_eq!(
            read.bytes,
            b"From: a@b.c\r\nMessage-ID:\r\n <id-1@b.c> (comment)\r\n\r\nbody\r\n"
        );
        // A full envelope needs neither From nor To in the headers.
        let bare = b"Subject: s\r\n\r\nbody\r\n";
        let read = read_message(bare, Some(""), Some(&rcpt)).unwrap();
        assert_eq!(read.envelope.mail_from, "");
        assert_eq!(read.message_id, None);
        assert_eq!(read.bytes, bare);
        // A missing part is still read from the headers, with the same refusals.
        assert_eq!(
            read_message(bare, Some("a@b.c"), None)
                .unwrap_err()
                .reason(),
            Some("no_recipients")
        );
        assert_eq!(
            read_message(bare, None, Some(&rcpt)).unwrap_err().reason(),
            Some("no_from")
        );
    }

    #[test]
    fn message_ids() {
        assert_eq!(msg_id(b" <a@b>").as_deref(), Some("a@b"));
        assert_eq!(msg_id(b" bare@id ").as_deref(), Some("bare@id"));
        assert_eq!(msg_id(b" \r\n "), None);
    }
}
