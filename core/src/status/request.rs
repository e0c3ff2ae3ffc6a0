//! Building the status request: URL (region or base URL, ids, optional recipient
//! filter), Basic authorization and Accept headers, with every argument checked.

use super::{StatusQuery, StatusRequest};
use crate::error::{Error, ErrorKind, Result};
use std::net::{Ipv4Addr, Ipv6Addr};
use zeroize::Zeroizing;

/// Whether a byte of an id stays as it is in a path segment: printable ASCII allowed
/// verbatim in an RFC 3986 `pchar`. Everything else is percent-encoded; `/ ? # %` and white
/// space are refused before encoding, so they never reach it.
fn path_segment_char(b: u8) -> bool {
    b.is_ascii_graphic() && !b"\"<>\\^`{|}[]/?#%".contains(&b)
}

/// Whether a byte of the query value `email:<addr>` stays as it is: the RFC 3986
/// unreserved characters and `:` and `@` (legal in a query, never a form delimiter, and
/// written verbatim in the vendor's own sample). `+`, `&`, `=`, `%`, `/`, `?`, `#`, `;`,
/// non-ASCII bytes and all others are percent-encoded.
fn query_value_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~:@".contains(&b)
}

/// Appends `s` to `url`, each byte that `keep` refuses written as `%XX` (upper-case hex,
/// as RFC 3986 recommends). A few lines here instead of the `percent-encoding` crate,
/// whose table of all 256 `%XX` triplets was 0.4 KB of the compressed wasm module
/// (docs/PERFORMANCE.md, "Module size"); the tests compare it with that crate.
fn percent_encode(url: &mut String, s: &str, keep: fn(u8) -> bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        if keep(b) {
            url.push(char::from(b));
        } else {
            url.push('%');
            url.push(char::from(HEX[usize::from(b >> 4)]));
            url.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
}

/// The default region.
pub(super) const DEFAULT_REGION: &str = "eu";

fn invalid(reason: &'static str, message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidArgument, message).with_reason(reason)
}

fn invalid_at(reason: &'static str, message: impl Into<String>, position: usize) -> Error {
    invalid(reason, message).with_position(position)
}

pub(super) fn build(query: &StatusQuery<'_>) -> Result<StatusRequest> {
    let origin = match (query.base_url, query.region) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "conflicting_arguments",
                "give either a region or a base URL, not both",
            ))
        }
        (Some(base), None) => origin_of_base_url(base)?,
        (None, region) => {
            let region = region.unwrap_or(DEFAULT_REGION);
            check_region(region)?;
            format!("https://{region}.email.sdi.sinch.com")
        }
    };
    check_id(query.account_id, "account id", "invalid_account_id")?;
    check_id(
        query.notification_id,
        "notification id",
        "invalid_notification_id",
    )?;
    let recipient = query.recipient.map(check_recipient).transpose()?;
    check_username(query.username)?;

    let mut url = origin;
    url.push_str("/v1/");
    percent_encode(&mut url, query.account_id, path_segment_char);
    url.push_str("/notifications/id/");
    percent_encode(&mut url, query.notification_id, path_segment_char);
    if let Some(address) = recipient {
        url.push_str("?recipient=email:");
        percent_encode(&mut url, address, query_value_char);
    }

    Ok(StatusRequest {
        method: "GET",
        url,
        authorization: basic_authorization(query.username, query.password),
        accept: "application/json",
    })
}

/// `Basic base64(user:pass)`. `user:pass` is wiped when dropped, and the value is built
/// in a buffer allocated once at its final size, so that no intermediate copy of either
/// is left unwiped in freed memory; the value itself belongs to the caller (the native
/// client and the C binding wipe it once used).
fn basic_authorization(username: &str, password: &str) -> String {
    let mut credentials = Zeroizing::new(Vec::with_capacity(username.len() + password.len() + 1));
    credentials.extend_from_slice(username.as_bytes());
    credentials.push(b':');
    credentials.extend_from_slice(password.as_bytes());
    const PREFIX: &[u8] = b"Basic ";
    let mut value = Vec::with_capacity(PREFIX.len() + crate::b64::encoded_len(credentials.len()));
    value.extend_from_slice(PREFIX);
    crate::b64::encode(&credentials, |b| value.push(b));
    // Base64 is ASCII: never fails (and takes the buffer without copying it).
    String::from_utf8(value).unwrap_or_default()
}

/// A region is one lowercase DNS label: `[a-z0-9]`, inner `-`, 1 to 63 characters.
fn check_region(region: &str) -> Result<()> {
    if region.is_empty() {
        return Err(invalid("invalid_region", "the region is empty"));
    }
    if region.len() > 63 {
        return Err(invalid_at(
            "invalid_region",
            "the region is longer than 63 characters",
            63,
        ));
    }
    for (i, c) in region.char_indices() {
        if !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return Err(invalid_at(
                "invalid_region",
                format!("the region may hold only a-z, 0-9 and '-', found {c:?} at byte {i}"),
                i,
            ));
        }
    }
    if region.starts_with('-') || region.ends_with('-') {
        let at = if region.starts_with('-') {
            0
        } else {
            region.len() - 1
        };
        return Err(invalid_at(
            "invalid_region",
            "the region must not start or end with '-'",
            at,
        ));
    }
    Ok(())
}

/// Account and notification ids: non-empty printable ASCII without white space or
/// `/ ? # %`, and not the dot segments `.` / `..` (which a client would resolve
/// against the path, sending the request elsewhere).
fn check_id(id: &str, what: &str, reason: &'static str) -> Result<()> {
    if id.is_empty() {
        return Err(invalid(reason, format!("the {what} is empty")));
    }
    for (i, c) in id.char_indices() {
        let allowed = c.is_ascii_graphic() && !matches!(c, '/' | '?' | '#' | '%');
        if !allowed {
            let shown = if c.is_ascii_graphic() {
                format!("{c:?}")
            } else {
                format!("U+{:04X}", u32::from(c))
            };
            return Err(invalid_at(
                reason,
                format!(
                    "the {what} must be printable ASCII without white space or / ? # %, \
                     found {shown} at byte {i}"
                ),
                i,
            ));
        }
    }
    if id == "." || id == ".." {
        return Err(invalid_at(
            reason,
            format!("the {what} must not be a dot segment ({id:?})"),
            0,
        ));
    }
    Ok(())
}

/// The recipient filter, with or without its `email:` prefix: non-empty, without
/// white space or control characters. Returns the bare address.
fn check_recipient(recipient: &str) -> Result<&str> {
    let (address, shift) = match super::strip_email_prefix(recipient) {
        Some(rest) => (rest, recipient.len() - rest.len()),
        None => (recipient, 0),
    };
    if address.is_empty() {
        return Err(invalid(
            "invalid_recipient",
            "the recipient address is empty",
        ));
    }
    if let Some((i, c)) = address
        .char_indices()
        .find(|(_, c)| c.is_whitespace() || c.is_control())
    {
        return Err(invalid_at(
            "invalid_recipient",
            format!(
                "the recipient must not contain white space or control characters, found U+{:04X} at byte {}",
                u32::from(c),
                i + shift
            ),
            i + shift,
        ));
    }
    Ok(address)
}

/// Basic authentication (RFC 7617) cannot carry a `:` in the user name. The message
/// never repeats the value.
fn check_username(username: &str) -> Result<()> {
    if username.is_empty() {
        return Err(invalid("invalid_username", "the user name is empty"));
    }
    if username.contains(':') {
        return Err(invalid(
            "invalid_username",
            "the user name must not contain ':' (Basic authentication cannot carry it)",
        ));
    }
    Ok(())
}

/// `scheme://host[:port]` with an optional trailing `/`, normalised to lowercase
/// scheme and host without the slash. `https` anywhere, `http` only for loopback hosts.
fn origin_of_base_url(base: &str) -> Result<String> {
    let bad = |message: String, position: usize| invalid_at("invalid_base_url", message, position);
    if let Some((i, c)) = base.char_indices().find(|(_, c)| !c.is_ascii_graphic()) {
        return Err(bad(
            format!(
                "the base URL must be printable ASCII without white space, found U+{:04X} at byte {i}",
                u32::from(c)
            ),
            i,
        ));
    }
    let Some(sep) = base.find("://") else {
        return Err(bad(
            "the base URL must have the form scheme://host[:port]".into(),
            0,
        ));
    };
    let scheme = base[..sep].to_ascii_lowercase();
    let secure = match scheme.as_str() {
        "https" => true,
        "http" => false,
        _ => {
            return Err(bad(
                format!(
                    "the base URL's scheme must be https (or http for loopback hosts), not {:?}",
                    &base[..sep]
                ),
                0,
            ))
        }
    };
    let start = sep + 3;
    let rest = base[start..].strip_suffix('/').unwrap_or(&base[start..]);
    if let Some(i) = rest.find(['/', '?', '#', '@']) {
        let what = match rest.as_bytes()[i] {
            b'/' => "a path",
            b'?' => "a query",
            b'#' => "a fragment",
            _ => "user information",
        };
        return Err(bad(
            format!(
                "the base URL must be scheme://host[:port] without {what}; found at byte {}",
                start + i
            ),
            start + i,
        ));
    }
    // Split host and port.
    let (host, port, port_at) = if let Some(inner) = rest.strip_prefix('[') {
        let Some(close) = inner.find(']') else {
            return Err(bad(
                "the base URL's IPv6 host has no closing ']'".into(),
                start,
            ));
        };
        let after = &inner[close + 1..];
        let port_at = start + close + 2;
        match after.strip_prefix(':') {
            Some(port) => (&rest[..close + 2], Some(port), port_at + 1),
            None if after.is_empty() => (&rest[..close + 2], None, port_at),
            None => return Err(bad("unexpected text after the IPv6 host".into(), port_at)),
        }
    } else {
        match rest.find(':') {
            Some(c) => (&rest[..c], Some(&rest[c + 1..]), start + c + 1),
            None => (rest, None, start + rest.len()),
        }
    };
    if let Some(port) = port {
        let valid = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u32>().is_ok_and(|p| (1..=65535).contains(&p));
        if !valid {
            return Err(bad(
                "the base URL's port must be a number from 1 to 65535".into(),
                port_at,
            ));
        }
    }
    let loopback = check_host(host).map_err(|message| bad(message, start))?;
    if !secure && !loopback {
        return Err(bad(
            "http:// is allowed only for loopback hosts (127.0.0.0/8, ::1, localhost); use https://"
                .into(),
            0,
        ));
    }
    let mut origin = format!("{scheme}://{}", host.to_ascii_lowercase());
    if let Some(port) = port {
        origin.push(':');
        origin.push_str(port);
    }
    Ok(origin)
}

/// Checks a host (bracketed IPv6, dotted IPv4 or DNS name); returns whether it is a
/// loopback host.
fn check_host(host: &str) -> std::result::Result<bool, String> {
    if host.is_empty() {
        return Err("the base URL has no host".into());
    }
    if let Some(inner) = host.strip_prefix('[') {
        let inner = inner.strip_suffix(']').unwrap_or(inner);
        return match inner.parse::<Ipv6Addr>() {
            Ok(ip) => Ok(ip.is_loopback()),
            Err(_) => Err(format!("{host:?} is not an IPv6 address")),
        };
    }
    let last = host.rsplit('.').next().unwrap_or(host);
    if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) {
        // Numeric last label: only a full dotted quad is accepted (`127.1` and
        // friends mean different things to different URL parsers).
        return match host.parse::<Ipv4Addr>() {
            Ok(ip) => Ok(ip.octets()[0] == 127),
            Err(_) => Err(format!("{host:?} is not a dotted IPv4 address")),
        };
    }
    if host.len() > 253 {
        return Err("the base URL's host is longer than 253 characters".into());
    }
    for label in host.split('.') {
        let ok = (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(format!("{host:?} is not a valid host name"));
        }
    }
    Ok(host.eq_ignore_ascii_case("localhost"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The encode sets the status request used with the `percent-encoding` crate.
    mod reference {
        use percent_encoding::{AsciiSet, CONTROLS, NON_ALPHANUMERIC};

        pub const PATH_SEGMENT: &AsciiSet = &CONTROLS
            .add(b' ')
            .add(b'"')
            .add(b'<')
            .add(b'>')
            .add(b'\\')
            .add(b'^')
            .add(b'`')
            .add(b'{')
            .add(b'|')
            .add(b'}')
            .add(b'[')
            .add(b']')
            .add(b'/')
            .add(b'?')
            .add(b'#')
            .add(b'%');

        pub const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
            .remove(b'-')
            .remove(b'.')
            .remove(b'_')
            .remove(b'~')
            .remove(b':')
            .remove(b'@');
    }

    fn encoded(s: &str, keep: fn(u8) -> bool) -> String {
        let mut out = String::from("x");
        percent_encode(&mut out, s, keep);
        out.split_off(1)
    }

    fn check_against_the_crate(s: &str) {
        use percent_encoding::utf8_percent_encode;
        assert_eq!(
            encoded(s, path_segment_char),
            utf8_percent_encode(s, reference::PATH_SEGMENT).to_string(),
            "path segment {s:?}"
        );
        assert_eq!(
            encoded(s, query_value_char),
            utf8_percent_encode(s, reference::QUERY_VALUE).to_string(),
            "query value {s:?}"
        );
    }

    #[test]
    fn percent_encoding_agrees_with_the_crate_on_every_character() {
        for cp in (0..=0x800u32).chain([0xFFFD, 0x10FFFF]) {
            if let Some(c) = char::from_u32(cp) {
                check_against_the_crate(&format!("a{c}b{c}"));
            }
        }
        check_against_the_crate("");
        check_against_the_crate("Jörg+tag@example.com");
        assert_eq!(encoded("a b%/é", path_segment_char), "a%20b%25%2F%C3%A9");
        assert_eq!(encoded("u+1@x.y", query_value_char), "u%2B1@x.y");
    }

    proptest::proptest! {
        #[test]
        fn percent_encoding_agrees_with_the_crate(s in ".*") {
            check_against_the_crate(&s);
        }
    }

    #[test]
    fn basic_authorization_leaves_no_unwiped_copy_from_reallocation() {
        let value = basic_authorization("user", "pass");
        assert_eq!(value, "Basic dXNlcjpwYXNz");
        assert_eq!(
            value.capacity(),
            value.len(),
            "allocated once at its final size: no reallocation left a copy behind"
        );
        assert_eq!(basic_authorization("u", ""), "Basic dTo=");
    }
}
