//! `statusRequest`, `parseStatus`, `isFinal` and `nextDelay`: the core's `status` module
//! for JavaScript; the core derives the JavaScript shapes of its request and notification
//! (feature `wasm`). The package's `getStatus`/`waitForStatus` only execute these over
//! `fetch`.

use email365::names;
use email365::status::{self, StatusQuery};
use email365::Error;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tsify_next::Tsify;
use wasm_bindgen::prelude::*;

/// What a status request is made from.
#[derive(Clone, PartialEq, Eq, Default, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct StatusRequestOptions {
    /// The account id.
    pub account_id: String,
    /// The notification id (from the final reply to the message data).
    pub notification_id: String,
    /// Only the events of this recipient.
    #[tsify(optional)]
    #[serde(default)]
    pub recipient: Option<String>,
    /// Region, `eu` by default.
    #[tsify(optional)]
    #[serde(default)]
    pub region: Option<String>,
    /// `scheme://host[:port]` instead of the region's host (`http://` only for loopback).
    #[tsify(optional)]
    #[serde(default)]
    pub base_url: Option<String>,
    /// Basic-auth user name.
    pub username: String,
    /// Basic-auth password.
    pub password: String,
}

/// Shown as the core's query, whose `Debug` redacts the credentials.
impl std::fmt::Debug for StatusRequestOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.query().fmt(f)
    }
}

impl StatusRequestOptions {
    /// The core's query, borrowing from the options.
    pub fn query(&self) -> StatusQuery<'_> {
        StatusQuery {
            account_id: &self.account_id,
            notification_id: &self.notification_id,
            recipient: self.recipient.as_deref(),
            region: self.region.as_deref(),
            base_url: self.base_url.as_deref(),
            username: &self.username,
            password: &self.password,
        }
    }
}

/// Builds the status request. Throws `invalid_argument`.
#[wasm_bindgen(js_name = statusRequest, unchecked_return_type = "StatusRequestData")]
pub fn status_request(
    #[wasm_bindgen(unchecked_param_type = "StatusRequestOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let options: StatusRequestOptions = crate::from_js(options, "statusRequest options")?;
    let request = crate::throw(status::status_request(&options.query()))?;
    crate::to_js(&request)
}

/// Parses a status-API response body. Throws `invalid_status_response` (with the byte
/// offset as `position` for malformed JSON).
#[wasm_bindgen(js_name = parseStatus, unchecked_return_type = "NotificationData")]
pub fn parse_status(body: &str) -> Result<JsValue, JsValue> {
    let notification = crate::throw(status::parse_status(body))?;
    crate::to_js(&notification)
}

/// What a non-2xx answer of the status API means: the core's `status::http_error`,
/// with the HTTP status and the `Retry-After` delay that the JS layer's wait loop needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct HttpErrorData {
    /// The stable kind (`not_found`, `auth` or `status_http`).
    #[tsify(type = "ErrorKind")]
    pub kind: &'static str,
    /// The finer diagnosis code.
    #[tsify(type = "string | null")]
    pub reason: Option<&'static str>,
    /// The human message.
    pub message: String,
    /// Whether retrying later may succeed (429 and 5xx).
    pub transient: bool,
    /// The HTTP status.
    pub status: u16,
    /// The `Retry-After` delay in milliseconds, or `null` (absent or unreadable).
    #[tsify(type = "number | null")]
    pub retry_after_ms: Option<u64>,
}

/// The answer to a status request, as the JS layer's `fetch` saw it.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpAnswer<'a> {
    /// The HTTP status.
    pub status: u16,
    /// The `Retry-After` header, if any.
    pub retry_after: Option<&'a str>,
    /// The current time in milliseconds since the epoch (`Date.now()`), against which an
    /// HTTP-date `Retry-After` is read.
    pub now_ms: u64,
    /// The URL requested (named in the message).
    pub url: &'a str,
    /// The response body (its start may be quoted, never a credential).
    pub body: &'a str,
    /// The user name of the request (an excerpt holding it is not quoted).
    pub username: &'a str,
    /// The password of the request (same).
    pub password: &'a str,
}

/// The core's verdict on an answer: `None` for 2xx, else the error with its status and
/// `Retry-After` delay.
pub fn http_error_data(answer: &HttpAnswer<'_>) -> Option<HttpErrorData> {
    let now = std::time::UNIX_EPOCH + Duration::from_millis(answer.now_ms);
    let status::HttpVerdict { error, retry_after } = status::judge_answer(
        &status::HttpAnswer {
            status: answer.status,
            retry_after: answer.retry_after,
            url: answer.url,
            body: answer.body,
            username: answer.username,
            password: answer.password,
        },
        now,
    );
    let error = error?;
    Some(HttpErrorData {
        kind: error.kind().as_str(),
        reason: error.reason(),
        message: error.message().to_string(),
        transient: error.transient(),
        status: answer.status,
        retry_after_ms: retry_after.map(status::retry_after_millis),
    })
}

/// What an answer of the status API means: `null` for 2xx (parse the body), else the
/// error to throw (`not_found`, `auth`, `status_http`; transient for 429 and 5xx) with
/// `status` and `retryAfterMs`. `nowMs` is `Date.now()` (for an HTTP-date Retry-After);
/// `body`, `username` and `password` decide what of the body the message may quote.
/// Throws `invalid_argument` for a status outside 0–65535 or a negative `nowMs`.
#[allow(clippy::too_many_arguments)]
#[wasm_bindgen(js_name = statusHttpError, unchecked_return_type = "HttpErrorData | null")]
pub fn status_http_error(
    status: f64,
    #[wasm_bindgen(js_name = retryAfter)] retry_after: Option<String>,
    #[wasm_bindgen(js_name = nowMs)] now_ms: f64,
    url: &str,
    body: &str,
    username: &str,
    password: &str,
) -> Result<JsValue, JsValue> {
    let whole = |v: f64, max: f64| v.fract() == 0.0 && (0.0..=max).contains(&v);
    if !whole(status, 65535.0) || !whole(now_ms.trunc(), 9.0e15) {
        return Err(crate::error::to_js(&crate::error::bad_argument(
            "statusHttpError",
            "status must be a whole number from 0 to 65535 and nowMs a time ≥ 0",
        )));
    }
    let answer = HttpAnswer {
        status: status as u16,
        retry_after: retry_after.as_deref(),
        now_ms: now_ms as u64,
        url,
        body,
        username,
        password,
    };
    match http_error_data(&answer) {
        None => Ok(JsValue::NULL),
        Some(data) => crate::to_js(&data),
    }
}

/// Whether a recipient whose latest status code is `code` has reached a final state.
#[wasm_bindgen(js_name = isFinal)]
pub fn is_final(code: &str) -> bool {
    status::is_final(code)
}

/// Milliseconds to wait before poll number `attempt` (0-based), honouring a server's
/// Retry-After (in milliseconds) when given.
pub fn next_delay_ms(attempt: f64, retry_after_ms: Option<f64>) -> Result<f64, Error> {
    let attempt = names::count("attempt", attempt, 0)?;
    let retry_after = retry_after_ms
        // A finite delay beyond 1e12 ms (31 years) is read as 1e12 ms.
        .map(|ms| {
            let ms = if ms.is_finite() { ms.min(1e12) } else { ms };
            names::seconds("retryAfterMs", ms / 1000.0, false)
        })
        .transpose()?;
    Ok(status::next_delay(attempt, retry_after).as_secs_f64() * 1000.0)
}

/// How long to wait (milliseconds) before poll number `attempt` (0-based): the core's
/// polling plan. Throws `invalid_argument` for a negative or fractional attempt.
#[wasm_bindgen(js_name = nextDelay)]
pub fn next_delay(
    attempt: f64,
    #[wasm_bindgen(js_name = retryAfterMs)] retry_after_ms: Option<f64>,
) -> Result<f64, JsValue> {
    crate::throw(next_delay_ms(attempt, retry_after_ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use email365::ErrorKind;

    fn answer(status: u16, retry_after: Option<&str>) -> HttpAnswer<'_> {
        HttpAnswer {
            status,
            retry_after,
            now_ms: 784_111_777_000, // Sun, 06 Nov 1994 08:49:37 GMT
            url: "https://eu.example/v1/a",
            body: "busy",
            username: "user",
            password: "pw",
        }
    }

    #[test]
    fn http_answers_follow_the_core() {
        assert_eq!(http_error_data(&answer(200, None)), None);
        let e = http_error_data(&answer(429, Some("Sun, 06 Nov 1994 08:50:07 GMT"))).unwrap();
        assert_eq!(
            (e.kind, e.reason, e.transient),
            ("status_http", Some("too_many_requests"), true)
        );
        assert_eq!((e.status, e.retry_after_ms), (429, Some(30_000)));
        assert!(e.message.ends_with(": busy"), "{}", e.message);
        let e = http_error_data(&answer(404, Some("soon"))).unwrap();
        assert_eq!((e.kind, e.retry_after_ms), ("not_found", None));
        let mut echo = answer(500, Some("2"));
        echo.body = "you sent pw";
        let e = http_error_data(&echo).unwrap();
        assert_eq!(e.retry_after_ms, Some(2000));
        assert!(!e.message.contains("pw"), "{}", e.message);
    }

    #[test]
    fn the_password_never_shows_in_debug_output() {
        let o = StatusRequestOptions {
            password: "s3cret-pw".into(),
            ..Default::default()
        };
        let shown = format!("{o:?}");
        assert!(!shown.contains("s3cret-pw"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }

    #[test]
    fn the_query_borrows_every_field() {
        let o = StatusRequestOptions {
            account_id: "acc".into(),
            notification_id: "n1".into(),
            recipient: Some("a@example.com".into()),
            region: Some("us".into()),
            base_url: None,
            username: "u".into(),
            password: "p".into(),
        };
        let q = o.query();
        assert_eq!(
            (q.account_id, q.notification_id, q.recipient, q.region),
            ("acc", "n1", Some("a@example.com"), Some("us"))
        );
        assert_eq!((q.username, q.password, q.base_url), ("u", "p", None));
    }

    #[test]
    fn delays_follow_the_core_and_refuse_nonsense() {
        let core = status::next_delay(2, None).as_secs_f64() * 1000.0;
        assert_eq!(next_delay_ms(2.0, None).unwrap(), core);
        assert_eq!(
            next_delay_ms(0.0, Some(1500.0)).unwrap(),
            status::next_delay(0, Some(Duration::from_millis(1500))).as_secs_f64() * 1000.0
        );
        for bad in [-1.0, 0.5, f64::NAN] {
            let e = next_delay_ms(bad, None).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            assert_eq!(e.reason(), Some("invalid_count"));
        }
        for bad in [-5.0, f64::NAN, f64::INFINITY] {
            let e = next_delay_ms(0.0, Some(bad)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            assert_eq!(e.reason(), Some("invalid_duration"));
        }
    }
}
