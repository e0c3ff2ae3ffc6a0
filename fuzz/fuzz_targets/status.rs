//! Fuzz target `status`: status-response parsing, timestamps and status-request
//! building on arbitrary input.
//!
//! Input: one mode byte, then
//! - mode 0: a response body for [`parse_status`];
//! - mode 1: a timestamp for [`Timestamp::parse`];
//! - mode 2: a presence byte (bit 0 recipient, bit 1 region, bit 2 base URL) and the
//!   fields of a [`StatusQuery`] separated by NUL: account id, notification id, user
//!   name, password, recipient, region, base URL; built with [`status_request`].
//!
//! (Other mode bytes are read modulo 3; invalid UTF-8 is read lossily.) Checks: no
//! panic; errors have the documented kind (`invalid_status_response`,
//! `invalid_argument`), a reason and a position inside their input; a parsed
//! timestamp formats to RFC 3339 and parses back to the same instant (years 0000-9999);
//! a request has an `http(s)://` URL without white space or controls, a `Basic`
//! authorization, and no user name, password or authorization value (when long
//! enough to be distinctive) in its `Debug` form or in any error message.
#![no_main]

use email365::status::{parse_status, status_request, StatusQuery, Timestamp};
use email365::ErrorKind;
use libfuzzer_sys::fuzz_target;

mod common;
use common::check_refusal;

fn check_timestamp(text: &str) {
    match Timestamp::parse(text) {
        Err(e) => {
            check_refusal(&e, ErrorKind::InvalidStatusResponse, text.len());
        }
        Ok(t) => {
            let shown = t.to_rfc3339();
            if !shown.starts_with(['+', '-']) {
                assert_eq!(
                    Timestamp::parse(&shown).ok(),
                    Some(t),
                    "{text:?} -> {shown}"
                );
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => {
            let body = String::from_utf8_lossy(rest);
            match parse_status(&body) {
                Err(e) => {
                    assert_eq!(e.kind(), ErrorKind::InvalidStatusResponse, "{e:?}");
                    assert!(e.reason().is_some(), "{e:?}");
                }
                Ok(n) => {
                    assert!(n.found || n.events.is_empty(), "{n:?}");
                    let states = n.recipients();
                    assert!(states.len() <= n.events.len());
                    for s in &states {
                        if let Some(r) = &s.recipient {
                            assert_eq!(n.latest_for(r), Some(&s.latest), "{r}");
                            assert_eq!(n.is_final_for(r), s.is_final);
                        }
                        assert_eq!(s.is_final, s.latest.is_final());
                    }
                    if n.all_final() {
                        assert!(states.iter().all(|s| s.is_final));
                    }
                    for event in &n.events {
                        if let Some(t) = event.timestamp {
                            let _ = t.to_rfc3339();
                        }
                    }
                }
            }
        }
        1 => check_timestamp(&String::from_utf8_lossy(rest)),
        _ => {
            let Some((&present, rest)) = rest.split_first() else {
                return;
            };
            let text = String::from_utf8_lossy(rest);
            let mut fields = text.split('\0');
            let mut next = || fields.next().unwrap_or("");
            let (account_id, notification_id, username, password) =
                (next(), next(), next(), next());
            let (recipient, region, base_url) = (next(), next(), next());
            let query = StatusQuery {
                account_id,
                notification_id,
                recipient: (present & 1 != 0).then_some(recipient),
                region: (present & 2 != 0).then_some(region),
                base_url: (present & 4 != 0).then_some(base_url),
                username,
                password,
            };
            // A credential is looked for only when it cannot occur in a message by
            // chance: ten bytes or more, with a character that messages do not use.
            let secret = |s: &str| {
                s.len() >= 10
                    && s.chars().any(|c| {
                        !(c.is_ascii_alphanumeric() || " _.,:;'\"`()[]{}<>/=-+".contains(c))
                    })
            };
            match status_request(&query) {
                Err(e) => {
                    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e:?}");
                    assert!(e.reason().is_some(), "{e:?}");
                    for s in [username, password] {
                        // A message may quote an id, the region or the base URL the caller gave;
                        // a credential that is part of them is not a leak.
                        let quoted = [account_id, notification_id, recipient, region, base_url]
                            .iter()
                            .any(|v| v.contains(s));
                        if secret(s) && !quoted {
                            assert!(!e.message().contains(s), "credential in {e:?}");
                        }
                    }
                }
                Ok(req) => {
                    assert_eq!(req.method, "GET");
                    assert!(
                        req.url.starts_with("https://") || req.url.starts_with("http://"),
                        "{}",
                        req.url
                    );
                    assert!(
                        !req.url.bytes().any(|b| b <= b' ' || b == 0x7f),
                        "white space or control in {:?}",
                        req.url
                    );
                    assert!(req.url.is_ascii(), "{:?}", req.url);
                    assert!(req.authorization.starts_with("Basic "));
                    // Debug hides the authorization (the URL is shown: it is built
                    // from the other fields and may contain any string by chance).
                    let shown = format!("{req:?}").replace(&req.url, "");
                    for s in [username, password, req.authorization.as_str()] {
                        if secret(s) {
                            assert!(!shown.contains(s), "credential in {shown}");
                        }
                    }
                }
            }
        }
    }
});
