//! The status-API HTTP client (feature `http`): GET with Basic auth through ureq and
//! rustls (`ring` provider), the response parsed by the core ([`crate::status`]), and a
//! polling helper that follows the core's polling plan ([`crate::status::next_delay`])
//! until a recipient's state is final ([`crate::status::is_final`]) or a deadline passes.
//!
//! HTTP errors: 401/403 → `auth`, 404 → `not_found`, 429 and 5xx → `status_http` with
//! `transient` true (Retry-After honoured by [`StatusClient::wait_for`]), other statuses
//! → `status_http` (not transient). Redirects are not followed, so the credentials never
//! go to another host.

use crate::error::{Error, ErrorKind, Result};
use crate::status::{
    is_final, next_delay, parse_status, status_request, Notification, StatusQuery, StatusRequest,
};
use std::time::{Duration, Instant};

/// The largest response body read (the API answers with small JSON documents).
pub const MAX_BODY: u64 = 10 * 1024 * 1024;

/// A blocking client of the status API.
#[derive(Debug, Clone)]
pub struct StatusClient {
    agent: ureq::Agent,
}

/// What a poll ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitOutcome {
    /// The last notification read.
    pub notification: Notification,
    /// Whether the recipient's state was final (false: the deadline passed first).
    pub is_final: bool,
    /// How many requests were made.
    pub attempts: u32,
}

/// One failed request, with the server's Retry-After when it gave one.
struct Failure {
    error: Error,
    retry_after: Option<Duration>,
}

fn transport_error(e: ureq::Error) -> Error {
    match e {
        ureq::Error::Timeout(t) => Error::new(
            ErrorKind::Timeout,
            format!("the status API did not answer in time ({t})"),
        )
        .with_reason("http_timeout"),
        ureq::Error::HostNotFound => {
            Error::new(ErrorKind::Connection, "the status API host was not found")
                .with_reason("resolve")
        }
        ureq::Error::ConnectionFailed => {
            Error::new(ErrorKind::Connection, "cannot connect to the status API")
                .with_reason("connect")
        }
        ureq::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => Error::new(
                ErrorKind::Timeout,
                format!("the status API did not answer in time ({io})"),
            )
            .with_reason("http_timeout"),
            _ => Error::new(
                ErrorKind::Connection,
                format!("the connection to the status API failed: {io}"),
            )
            .with_reason("io"),
        },
        ureq::Error::Tls(msg) => Error::new(
            ErrorKind::Tls,
            format!("TLS with the status API failed: {msg}"),
        ),
        ureq::Error::Rustls(r) => Error::new(
            ErrorKind::Tls,
            format!("TLS with the status API failed: {r}"),
        ),
        ureq::Error::BodyExceedsLimit(n) => Error::new(
            ErrorKind::InvalidStatusResponse,
            format!("the status response is larger than {n} octets"),
        )
        .with_reason("too_large"),
        other => Error::new(
            ErrorKind::StatusHttp,
            format!("status API request failed: {other}"),
        ),
    }
}

/// Parses a Retry-After value: delay-seconds only (HTTP dates are rare for APIs and are
/// ignored, falling back to the polling plan).
fn retry_after(value: Option<&str>) -> Option<Duration> {
    value
        .map(str::trim)
        .and_then(|v| v.parse::<u64>().ok())
        .map(|s| Duration::from_secs(s.min(3600)))
}

/// The error for an HTTP status other than 200.
fn status_error(status: u16, retry: Option<Duration>) -> Error {
    match status {
        401 | 403 => Error::new(
            ErrorKind::Auth,
            format!("the status API refused the credentials (HTTP {status})"),
        )
        .with_reason(if status == 401 {
            "unauthorized"
        } else {
            "forbidden"
        }),
        404 => Error::new(
            ErrorKind::NotFound,
            "the status API does not know this notification (HTTP 404)",
        ),
        429 | 500..=599 => {
            let after = retry
                .map(|d| format!(", retry after {} s", d.as_secs()))
                .unwrap_or_default();
            Error::new(
                ErrorKind::StatusHttp,
                format!("the status API is unavailable (HTTP {status}{after})"),
            )
            .with_reason(if status == 429 {
                "too_many_requests"
            } else {
                "server_error"
            })
            .with_transient(true)
        }
        _ => Error::new(
            ErrorKind::StatusHttp,
            format!("the status API answered HTTP {status}"),
        )
        .with_reason("http_status"),
    }
}

impl Default for StatusClient {
    fn default() -> Self {
        StatusClient::new(Duration::from_secs(30))
    }
}

impl StatusClient {
    /// A client whose every request must finish within `timeout` (connect 10 s at most).
    pub fn new(timeout: Duration) -> StatusClient {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .timeout_connect(Some(timeout.min(Duration::from_secs(10))))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(format!("email365/{}", crate::VERSION))
            .build();
        StatusClient {
            agent: config.into(),
        }
    }

    fn request(&self, req: &StatusRequest) -> std::result::Result<Notification, Failure> {
        let fail = |error| Failure {
            error,
            retry_after: None,
        };
        let mut resp = self
            .agent
            .get(&req.url)
            .header("Authorization", &req.authorization)
            .header("Accept", req.accept)
            .call()
            .map_err(|e| fail(transport_error(e)))?;
        let status = resp.status().as_u16();
        if status != 200 {
            let retry = retry_after(
                resp.headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok()),
            );
            return Err(Failure {
                error: status_error(status, retry),
                retry_after: retry,
            });
        }
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_string()
            .map_err(|e| fail(transport_error(e)))?;
        parse_status(&body).map_err(fail)
    }

    /// Sends a prepared request and parses the response.
    pub fn fetch_request(&self, req: &StatusRequest) -> Result<Notification> {
        self.request(req).map_err(|f| f.error)
    }

    /// Builds the request for `query` (the core's [`status_request`]), sends it and
    /// parses the response.
    pub fn fetch(&self, query: &StatusQuery<'_>) -> Result<Notification> {
        self.fetch_request(&status_request(query)?)
    }

    /// Polls until `recipient`'s state is final (any recipient of the notification when
    /// `None`: then every recipient seen must be final) or `timeout` has passed. Waits
    /// follow [`next_delay`] and the server's Retry-After; 429/5xx/timeouts are retried,
    /// other errors end the wait. At the deadline the last notification read is returned
    /// with `is_final` false; if no request ever succeeded, the last error.
    pub fn wait_for(
        &self,
        query: &StatusQuery<'_>,
        recipient: Option<&str>,
        timeout: Duration,
    ) -> Result<WaitOutcome> {
        let req = status_request(query)?;
        self.wait_for_request(&req, recipient, timeout)
    }

    /// [`StatusClient::wait_for`] with a prepared request.
    pub fn wait_for_request(
        &self,
        req: &StatusRequest,
        recipient: Option<&str>,
        timeout: Duration,
    ) -> Result<WaitOutcome> {
        let deadline = Instant::now() + timeout;
        let mut attempt: u32 = 0;
        let mut last: Option<Notification> = None;
        loop {
            let retry = match self.request(req) {
                Ok(n) => {
                    let done = state_is_final(&n, recipient);
                    last = Some(n);
                    if done {
                        return Ok(WaitOutcome {
                            notification: last.unwrap_or_default(),
                            is_final: true,
                            attempts: attempt + 1,
                        });
                    }
                    None
                }
                Err(f) if f.error.transient() => {
                    if Instant::now() >= deadline {
                        return match last {
                            Some(n) => Ok(WaitOutcome {
                                notification: n,
                                is_final: false,
                                attempts: attempt + 1,
                            }),
                            None => Err(f.error),
                        };
                    }
                    f.retry_after
                }
                Err(f) => return Err(f.error),
            };
            let delay = next_delay(attempt, retry);
            attempt = attempt.saturating_add(1);
            let now = Instant::now();
            if now + delay > deadline {
                return match last {
                    Some(n) => Ok(WaitOutcome {
                        notification: n,
                        is_final: false,
                        attempts: attempt,
                    }),
                    None => Err(Error::new(
                        ErrorKind::Timeout,
                        "the status API gave no answer before the deadline",
                    )
                    .with_reason("deadline")),
                };
            }
            std::thread::sleep(delay);
        }
    }
}

/// Whether the recipient's latest event (by timestamp, then response order) is final;
/// without a recipient, whether every recipient seen has a final latest event.
fn state_is_final(n: &Notification, recipient: Option<&str>) -> bool {
    if !n.found {
        return false;
    }
    let latest = |who: &str| {
        n.events
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                e.recipient
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case(who))
            })
            .max_by_key(|(i, e)| (e.timestamp, *i))
            .map(|(_, e)| e.code.as_str())
    };
    match recipient {
        Some(r) => latest(r).is_some_and(is_final),
        None => {
            let mut seen: Vec<&str> = n
                .events
                .iter()
                .filter_map(|e| e.recipient.as_deref())
                .collect();
            seen.sort_unstable();
            seen.dedup();
            !seen.is_empty() && seen.iter().all(|r| latest(r).is_some_and(is_final))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{StatusEvent, Timestamp};

    fn ev(code: &str, rcpt: &str, ts: i64) -> StatusEvent {
        StatusEvent {
            code: code.into(),
            text: None,
            channel: Some("email".into()),
            recipient: Some(rcpt.into()),
            timestamp: Some(Timestamp(ts)),
        }
    }

    #[test]
    fn final_state_uses_the_latest_event_of_the_recipient() {
        let n = Notification {
            found: true,
            notification_id: Some("1".into()),
            events: vec![
                ev("CH_SENT", "a@x.test", 3),
                ev("CAAS_RECEIVED", "a@x.test", 1),
                ev("CH_RECEIVED", "b@x.test", 2),
            ],
        };
        assert!(state_is_final(&n, Some("a@x.test")));
        assert!(state_is_final(&n, Some("A@x.test")));
        assert!(!state_is_final(&n, Some("b@x.test")));
        assert!(!state_is_final(&n, Some("c@x.test")));
        assert!(!state_is_final(&n, None));
        assert!(!state_is_final(&Notification::default(), None));
    }

    #[test]
    fn status_codes_map_to_kinds() {
        assert_eq!(status_error(401, None).kind(), ErrorKind::Auth);
        assert_eq!(status_error(403, None).kind(), ErrorKind::Auth);
        assert_eq!(status_error(404, None).kind(), ErrorKind::NotFound);
        let e = status_error(429, Some(Duration::from_secs(7)));
        assert_eq!(e.kind(), ErrorKind::StatusHttp);
        assert!(e.transient() && e.message().contains("7 s"));
        assert!(status_error(503, None).transient());
        assert!(!status_error(400, None).transient());
        assert_eq!(retry_after(Some(" 12 ")), Some(Duration::from_secs(12)));
        assert_eq!(retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")), None);
    }
}
