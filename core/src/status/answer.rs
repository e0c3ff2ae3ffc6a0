//! What a non-2xx answer of the status API means: its error kind, reason and whether a
//! retry may help ([`http_error`]), the `Retry-After` header ([`parse_retry_after`]),
//! and the body excerpt an error message may quote ([`error_excerpt`]).
//!
//! One rule for every client: the native client (`crate::http`) and the JavaScript
//! package's `fetch` layer both execute these functions; docs/HTTP.md gives the table.

use crate::error::{Error, ErrorKind};
use std::time::{Duration, SystemTime};

/// Most characters of an error response's body quoted in an error message.
pub const ERROR_EXCERPT: usize = 200;

/// The error for an answer with HTTP status `status`, or `None` for a 2xx answer (whose
/// body [`super::parse_status`] reads).
///
/// | status | kind | reason | transient |
/// |---|---|---|---|
/// | 401 | `auth` | `unauthorized` | no |
/// | 403 | `auth` | `forbidden` | no |
/// | 404 | `not_found` | `not_found` | no |
/// | 429 | `status_http` | `too_many_requests` | yes |
/// | 5xx | `status_http` | `server_error` | yes |
/// | 3xx | `status_http` | `redirect` | no |
/// | other 4xx | `status_http` | `client_error` | no |
/// | anything else | `status_http` | `unexpected_status` | no |
///
/// The message names the URL, the status and, when given, the `Retry-After` delay and
/// `excerpt` (see [`error_excerpt`]); answers of kind `auth` never quote the body.
pub fn http_error(
    status: u16,
    retry_after: Option<Duration>,
    url: &str,
    excerpt: &str,
) -> Option<Error> {
    let (kind, reason, transient, what) = match status {
        200..=299 => return None,
        401 => (
            ErrorKind::Auth,
            "unauthorized",
            false,
            "credentials refused",
        ),
        403 => (ErrorKind::Auth, "forbidden", false, "access forbidden"),
        404 => (
            ErrorKind::NotFound,
            "not_found",
            false,
            "not found (wrong account id or URL?)",
        ),
        429 => (
            ErrorKind::StatusHttp,
            "too_many_requests",
            true,
            "too many requests",
        ),
        500..=599 => (ErrorKind::StatusHttp, "server_error", true, "server error"),
        300..=399 => (
            ErrorKind::StatusHttp,
            "redirect",
            false,
            "redirect (not followed)",
        ),
        400..=499 => (
            ErrorKind::StatusHttp,
            "client_error",
            false,
            "request refused",
        ),
        _ => (
            ErrorKind::StatusHttp,
            "unexpected_status",
            false,
            "unexpected status",
        ),
    };
    let after = retry_after
        .map(|d| format!(" (retry after {} s)", d.as_secs()))
        .unwrap_or_default();
    // Auth answers quote no body: nothing about credentials is repeated.
    let quoted = if excerpt.is_empty() || kind == ErrorKind::Auth {
        String::new()
    } else {
        format!(": {excerpt}")
    };
    Some(
        Error::new(
            kind,
            format!("GET {url}: HTTP {status} {what}{after}{quoted}"),
        )
        .with_reason(reason)
        .with_transient(transient),
    )
}

/// A response body as text, or `invalid_status_response` (`not_utf8`, with the position).
pub fn body_text(bytes: Vec<u8>) -> crate::error::Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        Error::new(
            ErrorKind::InvalidStatusResponse,
            format!("the response body is not UTF-8 (at byte {at})"),
        )
        .with_reason("not_utf8")
        .with_position(at)
    })
}

/// An answer of the status API, as a client that made the request saw it.
#[derive(Debug, Clone, Copy)]
pub struct HttpAnswer<'a> {
    /// The HTTP status.
    pub status: u16,
    /// The `Retry-After` header, if any.
    pub retry_after: Option<&'a str>,
    /// The URL of the request (named in the error message).
    pub url: &'a str,
    /// The body of the answer (quoted through [`error_excerpt`]).
    pub body: &'a str,
    /// The user name of the request (never quoted).
    pub username: &'a str,
    /// The password of the request (never quoted).
    pub password: &'a str,
}

/// What an answer means: the error it stands for and its `Retry-After` delay.
#[derive(Debug, Clone)]
pub struct HttpVerdict {
    /// `None` for a 2xx answer, else the error ([`http_error`]).
    pub error: Option<Error>,
    /// The `Retry-After` delay read against `now` ([`parse_retry_after`]), if any.
    pub retry_after: Option<Duration>,
}

/// What `answer` means, read at `now` — [`parse_retry_after`], [`error_excerpt`] and
/// [`http_error`] in one call, as every binding's HTTP layer makes it.
pub fn judge_answer(answer: &HttpAnswer<'_>, now: SystemTime) -> HttpVerdict {
    let retry_after = answer.retry_after.and_then(|v| parse_retry_after(v, now));
    let excerpt = error_excerpt(answer.body, answer.username, answer.password);
    let error = http_error(answer.status, retry_after, answer.url, &excerpt);
    HttpVerdict { error, retry_after }
}

/// A `Retry-After` value: delay seconds, or an HTTP date (IMF-fixdate, RFC 850 or
/// asctime) turned into the time left after `now` (zero for a date in the past).
/// `None` for anything else.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if v.bytes().all(|b| b.is_ascii_digit()) {
        // A number too large for u64 is "very long": the plan caps it anyway.
        return Some(Duration::from_secs(v.parse::<u64>().unwrap_or(u64::MAX)));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The largest whole number every binding represents exactly (JavaScript's
/// `Number.MAX_SAFE_INTEGER`, 2^53 − 1).
pub const MAX_SAFE_MILLIS: u64 = (1 << 53) - 1;

/// A `Retry-After` delay in whole milliseconds, as the bindings report it: saturated at
/// [`MAX_SAFE_MILLIS`] (about 285,000 years; the polling plan caps waits far lower).
pub fn retry_after_millis(delay: Duration) -> u64 {
    u64::try_from(delay.as_millis()).map_or(MAX_SAFE_MILLIS, |ms| ms.min(MAX_SAFE_MILLIS))
}

/// The start of an error answer's body as an error message may quote it: control
/// characters replaced by spaces, at most [`ERROR_EXCERPT`] characters, trimmed — and
/// nothing at all when the body holds the user name, the password or their Basic-auth
/// token (a server echoing the request must not put a credential into an error).
pub fn error_excerpt(body: &str, username: &str, password: &str) -> String {
    let mut token = String::new();
    crate::b64::encode_to_string(format!("{username}:{password}").as_bytes(), &mut token);
    if [username, password, token.as_str()]
        .iter()
        .any(|s| !s.is_empty() && body.contains(s))
    {
        return String::new();
    }
    let cleaned: String = body
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(ERROR_EXCERPT)
        .collect();
    cleaned.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn success_is_no_error() {
        for status in [200, 201, 204, 299] {
            assert!(http_error(status, None, "u", "").is_none(), "{status}");
        }
    }

    #[test]
    fn statuses_map_to_kinds_reasons_and_retry_advice() {
        let cases = [
            (401, ErrorKind::Auth, "unauthorized", false),
            (403, ErrorKind::Auth, "forbidden", false),
            (404, ErrorKind::NotFound, "not_found", false),
            (429, ErrorKind::StatusHttp, "too_many_requests", true),
            (500, ErrorKind::StatusHttp, "server_error", true),
            (503, ErrorKind::StatusHttp, "server_error", true),
            (599, ErrorKind::StatusHttp, "server_error", true),
            (301, ErrorKind::StatusHttp, "redirect", false),
            (304, ErrorKind::StatusHttp, "redirect", false),
            (400, ErrorKind::StatusHttp, "client_error", false),
            (418, ErrorKind::StatusHttp, "client_error", false),
            (100, ErrorKind::StatusHttp, "unexpected_status", false),
            (600, ErrorKind::StatusHttp, "unexpected_status", false),
            (0, ErrorKind::StatusHttp, "unexpected_status", false),
        ];
        for (status, kind, reason, transient) in cases {
            let e = http_error(status, None, "https://h/v1/a", "").unwrap();
            assert_eq!(
                (e.kind(), e.reason(), e.transient()),
                (kind, Some(reason), transient),
                "{status}"
            );
            assert!(
                e.message()
                    .starts_with(&format!("GET https://h/v1/a: HTTP {status} ")),
                "{e}"
            );
        }
    }

    #[test]
    fn messages_quote_the_delay_and_the_excerpt_but_never_for_auth() {
        let e = http_error(429, Some(secs(3)), "u", "slow down").unwrap();
        assert_eq!(
            e.message(),
            "GET u: HTTP 429 too many requests (retry after 3 s): slow down"
        );
        let e = http_error(401, None, "u", "who are you").unwrap();
        assert!(!e.message().contains("who are you"), "{e}");
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = UNIX_EPOCH + secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_retry_after("120", now), Some(secs(120)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(secs(0)));
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now),
            Some(secs(30))
        );
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:49:47 GMT", now),
            Some(secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun Nov  6 08:49:57 1994", now),
            Some(secs(20))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(secs(0))
        );
        for bad in ["", "  ", "-1", "1.5", "soon", "+3", "Sun, 06 Nov 1994"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
    }

    #[test]
    fn delays_in_milliseconds_saturate_at_the_safe_integer_limit() {
        assert_eq!(retry_after_millis(secs(7)), 7000);
        assert_eq!(retry_after_millis(Duration::from_micros(1500)), 1);
        assert_eq!(
            retry_after_millis(Duration::from_secs(u64::MAX)),
            MAX_SAFE_MILLIS
        );
        assert_eq!(
            retry_after_millis(Duration::from_millis(MAX_SAFE_MILLIS + 1)),
            MAX_SAFE_MILLIS
        );
    }

    #[test]
    fn excerpts_are_cleaned_cut_and_never_hold_a_credential() {
        assert_eq!(error_excerpt("  a\r\nb\tc  ", "u", "p"), "a  b c");
        let long = "x".repeat(1000);
        assert_eq!(error_excerpt(&long, "user", "pw").len(), ERROR_EXCERPT);
        assert_eq!(error_excerpt("ééé", "user", "pw"), "ééé");
        assert_eq!(error_excerpt("echo: s3cret", "user", "s3cret"), "");
        assert_eq!(error_excerpt("hello alice", "alice", "pw"), "");
        // The Basic token of "user:pw".
        assert_eq!(error_excerpt("got dXNlcjpwdw==", "user", "pw"), "");
        assert_eq!(error_excerpt("plain", "", ""), "plain");
    }

    #[test]
    fn judge_answer_reads_retry_after_and_quotes_no_credential() {
        let answer = HttpAnswer {
            status: 429,
            retry_after: Some("7"),
            url: "https://example.test/v1",
            body: "slow down, alice",
            username: "alice",
            password: "pw",
        };
        let verdict = judge_answer(&answer, UNIX_EPOCH);
        assert_eq!(verdict.retry_after, Some(secs(7)));
        let error = verdict.error.expect("429 is an error");
        assert_eq!(error.reason(), Some("too_many_requests"));
        assert!(error.transient());
        assert!(!error.message().contains("alice"), "{error}");

        let ok = judge_answer(
            &HttpAnswer {
                status: 200,
                ..answer
            },
            UNIX_EPOCH,
        );
        assert!(ok.error.is_none());
        assert_eq!(ok.retry_after, Some(secs(7)));
    }
}
