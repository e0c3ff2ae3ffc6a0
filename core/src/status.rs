//! The Email 365 status API: building the request, parsing the response into typed
//! events and per-recipient state, and the polling plan that every wait loop executes.
//!
//! CONTRACT STUB: the public types and signatures below are fixed; the bodies are
//! placeholders to be replaced.

use crate::error::{Error, ErrorKind, Result};
use std::time::Duration;

/// What a status request is made from.
#[derive(Clone, Default)]
pub struct StatusQuery<'a> {
    /// The account id (printable ASCII, no white space or `/ ? # %`).
    pub account_id: &'a str,
    /// The notification id (same rules).
    pub notification_id: &'a str,
    /// Only the events of this recipient (`email:<addr>` is sent, percent-encoded).
    pub recipient: Option<&'a str>,
    /// Region, `eu` by default: `https://{region}.email.sdi.sinch.com`.
    pub region: Option<&'a str>,
    /// `scheme://host[:port]` instead of the region's host (`http://` only for loopback).
    pub base_url: Option<&'a str>,
    /// Basic-auth user name.
    pub username: &'a str,
    /// Basic-auth password.
    pub password: &'a str,
}

/// A ready-to-send HTTP request. `Debug` never shows the authorization value.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusRequest {
    /// Always `GET`.
    pub method: &'static str,
    /// The full URL.
    pub url: String,
    /// The `Authorization` header value (`Basic …`).
    pub authorization: String,
    /// The `Accept` header value.
    pub accept: &'static str,
}

impl std::fmt::Debug for StatusRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("authorization", &"<redacted>")
            .field("accept", &self.accept)
            .finish()
    }
}

/// Builds the request. Errors have kind `invalid_argument`.
pub fn status_request(query: &StatusQuery<'_>) -> Result<StatusRequest> {
    let _ = query;
    Err(Error::new(ErrorKind::Internal, "not implemented"))
}

/// A point in time in UTC, in milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    pub fn to_rfc3339(&self) -> String {
        String::new()
    }
}

/// One status event, in response order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEvent {
    /// The status code verbatim (`CAAS_RECEIVED`, `CH_SENT`, or any other).
    pub code: String,
    /// The status text.
    pub text: Option<String>,
    /// The channel (`email`).
    pub channel: Option<String>,
    /// The recipient address, without the `email:` prefix.
    pub recipient: Option<String>,
    /// When it happened (UTC).
    pub timestamp: Option<Timestamp>,
}

/// A parsed status response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Notification {
    /// False for `{}` (expired after 7 days, or unknown).
    pub found: bool,
    /// The notification id, when present.
    pub notification_id: Option<String>,
    /// Every event, in response order.
    pub events: Vec<StatusEvent>,
}

/// Parses a response body. Errors have kind `invalid_status_response`, with line and
/// column in the message and the byte offset as position for malformed JSON.
pub fn parse_status(body: &str) -> Result<Notification> {
    let _ = body;
    Err(Error::new(ErrorKind::Internal, "not implemented"))
}

/// Whether a recipient whose latest status code is `code` has reached a final state.
pub fn is_final(code: &str) -> bool {
    !matches!(code, "CAAS_RECEIVED" | "CAAS_SENT" | "CH_RECEIVED")
}

/// How long to wait before poll number `attempt` (0-based), honouring a server's
/// Retry-After when it gives one.
pub fn next_delay(attempt: u32, retry_after: Option<Duration>) -> Duration {
    retry_after.unwrap_or(Duration::from_millis(500 * u64::from(attempt + 1)))
}
