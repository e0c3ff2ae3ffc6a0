//! What the blocking [`StatusClient`](super::StatusClient) and the tokio
//! `AsyncStatusClient` share apart from their HTTP stacks (sans-I/O): the account, the
//! credentials (wiped on drop, redacted in `Debug`), the limits and the poll plan; the
//! request of one attempt with its sensitive `Authorization` header; the Retry-After of
//! an answer; the excerpt of an error body; the scrubbing of errors.

use std::fmt;
use std::time::{Duration, SystemTime};

use ureq::http::HeaderValue;
use zeroize::Zeroizing;

use super::{scrub, StatusAttempt, StatusClientBuilder};
use crate::error::{Error, ErrorKind};
use crate::status::{
    error_excerpt, parse_retry_after, status_request, PollPlan, StatusQuery, ERROR_EXCERPT,
};

/// The account, credentials and limits a status client works with.
pub(super) struct StatusTarget {
    pub(super) account_id: String,
    pub(super) username: Zeroizing<String>,
    pub(super) password: Zeroizing<String>,
    pub(super) region: Option<String>,
    pub(super) base_url: Option<String>,
    pub(super) request_timeout: Duration,
    pub(super) max_body: u64,
    pub(super) plan: PollPlan,
}

/// One attempt's request: the URL, the `Authorization` header (marked sensitive) and the
/// `Accept` value.
pub(super) struct Prepared {
    pub(super) url: String,
    pub(super) auth: HeaderValue,
    pub(super) accept: &'static str,
}

impl StatusClientBuilder {
    /// The builder's account, credentials and limits, for a client.
    pub(super) fn into_target(self) -> StatusTarget {
        StatusTarget {
            account_id: self.account_id,
            username: self.username,
            password: self.password,
            region: self.region,
            base_url: self.base_url,
            request_timeout: self.request_timeout,
            max_body: self.max_body,
            plan: self.plan,
        }
    }
}

impl StatusTarget {
    /// The client's fields for its `Debug` output under `name`, credentials redacted.
    pub(super) fn debug(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(name)
            .field("account_id", &self.account_id)
            .field("username", &"<redacted>")
            .field("password", &"<redacted>")
            .field("region", &self.region)
            .field("base_url", &self.base_url)
            .field("request_timeout", &self.request_timeout)
            .field("max_body", &self.max_body)
            .field("plan", &self.plan)
            .finish()
    }

    /// The time limit of one request: the request timeout, or the poller's limit when
    /// smaller.
    pub(super) fn timeout(&self, time_limit: Option<Duration>) -> Duration {
        time_limit.map_or(self.request_timeout, |t| t.min(self.request_timeout))
    }

    /// The request for `notification_id` (and `recipient`), or the failed attempt when
    /// it cannot be formed; the plain authorization text is wiped at once.
    pub(super) fn prepare(
        &self,
        notification_id: &str,
        recipient: Option<&str>,
    ) -> std::result::Result<Prepared, StatusAttempt> {
        let mut req = status_request(&StatusQuery {
            account_id: &self.account_id,
            notification_id,
            recipient,
            region: self.region.as_deref(),
            base_url: self.base_url.as_deref(),
            username: &self.username,
            password: &self.password,
        })
        .map_err(failed)?;
        let auth = HeaderValue::from_str(&req.authorization).map(|mut v| {
            v.set_sensitive(true);
            v
        });
        zeroize::Zeroize::zeroize(&mut req.authorization);
        let Ok(auth) = auth else {
            return Err(failed(Error::new(
                ErrorKind::Internal,
                "the authorization header could not be formed",
            )));
        };
        Ok(Prepared {
            url: req.url,
            auth,
            accept: req.accept,
        })
    }

    /// The start of an error response's body (its first bytes, as read) for the
    /// message, unless it holds a credential (then nothing is quoted).
    pub(super) fn excerpt(&self, first_bytes: &[u8]) -> String {
        let text = Zeroizing::new(String::from_utf8_lossy(first_bytes).into_owned());
        error_excerpt(&text, self.username.as_str(), self.password.as_str())
    }

    /// `err` with the credentials taken out of its message.
    pub(super) fn scrub(&self, err: Error, url: &str) -> Error {
        scrub(err, url, &[self.username.as_str(), self.password.as_str()])
    }
}

/// How many bytes of an error body the excerpt is taken from.
pub(super) const EXCERPT_BYTES: usize = ERROR_EXCERPT * 4;

/// An attempt that failed before any answer.
pub(super) fn failed(e: Error) -> StatusAttempt {
    StatusAttempt {
        result: Err(e),
        http_status: None,
        retry_after: None,
    }
}

/// The answer's Retry-After header, parsed against the current time.
pub(super) fn retry_after(value: Option<&HeaderValue>) -> Option<Duration> {
    value
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()))
}
