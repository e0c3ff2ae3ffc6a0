//! Notification ids: the id that the server's final reply to the message data carries
//! (Postfix `queued as <id>`, Exim `id=<id>`, …). Extraction is pattern-based and optional.
//!
//! The reply must parse as a reply ([`Reply::parse`]) with a 2yz code; each line's
//! text, after its leading enhanced code, is matched against the patterns below in
//! order, line by line; the first match wins. Every pattern is a single forward scan,
//! so extraction is linear in the length of the reply and never panics.
//! `docs/REPLIES.md` has the table of servers, patterns and ids.

use crate::reply::{EnhancedCode, Reply};

/// Characters an id token may hold.
fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '@' | '+' | '=' | '/' | ':')
}

/// The length of the run of id characters at the start of `s`.
fn id_run(s: &str) -> usize {
    s.find(|c: char| !is_id_char(c)).unwrap_or(s.len())
}

/// The id token at the start of `s` (trailing `.`, `,`, `;`, `:` removed), if it is
/// at least `min` characters long. A token in angle brackets is taken without them.
fn token(s: &str, min: usize) -> Option<&str> {
    if let Some(inner) = s.strip_prefix('<') {
        let end = id_run(inner);
        let t = &inner[..end];
        return (inner[end..].starts_with('>') && t.len() >= min).then_some(t);
    }
    let t = s[..id_run(s)].trim_end_matches(['.', ',', ';', ':']);
    (t.len() >= min).then_some(t)
}

/// Byte offsets of every occurrence of `needle` (lower case) in `hay_lower` that
/// starts a word (at the start or after a character that is not alphanumeric).
fn find_word(hay_lower: &str, needle: &str) -> Vec<usize> {
    let bytes = hay_lower.as_bytes();
    hay_lower
        .match_indices(needle)
        .map(|(i, _)| i)
        .filter(|&i| i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
        .collect()
}

fn is_digits(s: &str, min: usize) -> bool {
    s.len() >= min && s.bytes().all(|b| b.is_ascii_digit())
}

/// The id in one line's text (enhanced code already removed).
fn from_line(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    // Postfix, ZoneMTA, Mailjet, SendGrid: "queued as <id>".
    for i in find_word(&lower, "queued as ") {
        if let Some(t) = token(text[i + 10..].trim_start(), 4) {
            return Some(t.to_string());
        }
    }
    // Exim: "id=<id>" (a word of its own: not "InternalId=").
    for i in find_word(&lower, "id=") {
        let rest = &text[i + 3..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(rest.len());
        if end >= 4 {
            return Some(rest[..end].to_string());
        }
    }
    // Haraka: "Message Queued (<id>)".
    for i in find_word(&lower, "queued (") {
        let rest = &text[i + 8..];
        let end = id_run(rest);
        if end >= 4 && rest[end..].starts_with(')') {
            return Some(rest[..end].to_string());
        }
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    // Microsoft: "<message-id> [InternalId=…] Queued mail for delivery": the
    // Message-ID, without its angle brackets.
    if let Some(first) = words.first() {
        if first.starts_with('<')
            && first.ends_with('>')
            && first.contains('@')
            && lower.contains("queued mail")
        {
            return token(first, 3).map(str::to_string);
        }
    }
    // Gmail: "OK <unix time> <id> - gsmtp". A reply in Gmail's form has no other id.
    if words.last().is_some_and(|w| w.ends_with("gsmtp")) {
        let pos = words.iter().position(|w| w.eq_ignore_ascii_case("ok"))?;
        let (ts, id) = (words.get(pos + 1)?, words.get(pos + 2)?);
        if is_digits(ts, 9) && *id != "-" && *id != "gsmtp" {
            return token(id, 4).map(str::to_string);
        }
        return None;
    }
    // Sendmail: "<id> Message accepted for delivery".
    if let Some(i) = lower.find(" message accepted for delivery") {
        if let Some(id) = text[..i].split_whitespace().last() {
            if let Some(t) = token(id, 6) {
                if t.len() == id.len() {
                    return Some(t.to_string());
                }
            }
        }
    }
    // Amazon SES: "Ok <id>" with a long id of hex digits and hyphens.
    if let (Some(ok), Some(id)) = (words.first(), words.get(1)) {
        if ok.eq_ignore_ascii_case("ok")
            && id.len() >= 20
            && id.contains('-')
            && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
        {
            return Some(id.to_string());
        }
    }
    // A bare long numeric id (ten digits or more).
    words
        .iter()
        .map(|w| {
            w.trim_end_matches(['.', ',', ';', ':', ')'])
                .trim_start_matches('(')
        })
        .find(|w| is_digits(w, 10))
        .map(str::to_string)
}

/// The notification id in a final reply (the whole reply text, code included), if any.
pub fn extract_notification_id(reply: &str) -> Option<String> {
    let reply = Reply::parse(reply).ok()?;
    if reply.code / 100 != 2 {
        return None;
    }
    reply.lines().find_map(|line| {
        let text = match EnhancedCode::find_in(line) {
            Some(_) => line.split_once(' ').map_or("", |(_, rest)| rest),
            None => line,
        };
        from_line(text)
    })
}

#[cfg(test)]
mod tests {
    use super::extract_notification_id as id;

    #[test]
    fn known_servers() {
        let cases = [
            ("250 2.0.0 Ok: queued as 4Bf3xZ1Yz3z9t", Some("4Bf3xZ1Yz3z9t")),
            ("250 2.0.0 Ok: queued as 10000000902077", Some("10000000902077")),
            ("250 OK id=1rAbCd-0001Xy-Ab", Some("1rAbCd-0001Xy-Ab")),
            (
                "250 Ok 0102018c1f2e3d4c-5b6a7988-1234-4abc-9def-0123456789ab-000000",
                Some("0102018c1f2e3d4c-5b6a7988-1234-4abc-9def-0123456789ab-000000"),
            ),
            (
                "250 2.0.0 OK  1700000000 a1-20020a05600c1d0100b0040b2d4a1e2esi1234567wmq.12 - gsmtp",
                Some("a1-20020a05600c1d0100b0040b2d4a1e2esi1234567wmq.12"),
            ),
            (
                "250 2.6.0 <abc.def@mail.example.com> [InternalId=123456789, Hostname=AM0PR01MB1234.eurprd01.prod.exchangelabs.com] Queued mail for delivery",
                Some("abc.def@mail.example.com"),
            ),
            ("250 Message Queued (4E6F7C8A-1B2C-4D3E-9F00-AABBCCDDEEFF.1)", Some("4E6F7C8A-1B2C-4D3E-9F00-AABBCCDDEEFF.1")),
            ("250 Message queued as 18c2c7a6b1d000abcd", Some("18c2c7a6b1d000abcd")),
            ("250 2.0.0 4AS9lmPn012345 Message accepted for delivery", Some("4AS9lmPn012345")),
            ("250 2.0.0 Ok 10000000902077", Some("10000000902077")),
            ("250 Great success", None),
            ("250 OK", None),
            ("250 2.0.0 Ok", None),
            ("550 5.7.1 queued as nothing", None),
            ("not a reply queued as ABCDEF", None),
        ];
        for (reply, want) in cases {
            assert_eq!(id(reply).as_deref(), want, "{reply}");
        }
    }
}
