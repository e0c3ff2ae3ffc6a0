//! The Email 365 status API: building the request, parsing the response into typed
//! events and per-recipient state, the polling plan, and the wait loop without I/O
//! ([`Poller`]) that every client drives.
//!
//! The rules and the decisions taken where the vendor's spec is silent are written
//! down in `docs/STATUS.md`.

mod answer;
mod poll;
mod request;
mod response;
mod timestamp;
#[cfg(feature = "wasm")]
mod wasm;

use crate::error::Result;
use std::collections::HashMap;
use std::time::Duration;

pub use answer::{
    body_text, error_excerpt, http_error, judge_answer, parse_retry_after, retry_after_millis,
    HttpAnswer, HttpVerdict, ERROR_EXCERPT, MAX_SAFE_MILLIS,
};
pub use poll::{
    FetchFailure, PollStep, Poller, DEFAULT_MAX_BODY, DEFAULT_REQUEST_TIMEOUT, LAST_POLL_TIME,
};
pub use timestamp::Timestamp;

/// What a status request is made from.
#[derive(Clone, Default)]
pub struct StatusQuery<'a> {
    /// The account id (printable ASCII, no white space or `/ ? # %`).
    pub account_id: &'a str,
    /// The notification id (same rules).
    pub notification_id: &'a str,
    /// Only the events of this recipient (`email:<addr>` is sent, percent-encoded).
    /// Given with or without the `email:` prefix.
    pub recipient: Option<&'a str>,
    /// Region, `eu` by default: `https://{region}.email.sdi.sinch.com`.
    /// Refused together with `base_url`.
    pub region: Option<&'a str>,
    /// `scheme://host[:port]` instead of the region's host (`http://` only for loopback).
    pub base_url: Option<&'a str>,
    /// Basic-auth user name (non-empty, without `:`).
    pub username: &'a str,
    /// Basic-auth password.
    pub password: &'a str,
}

impl std::fmt::Debug for StatusQuery<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusQuery")
            .field("account_id", &self.account_id)
            .field("notification_id", &self.notification_id)
            .field("recipient", &self.recipient)
            .field("region", &self.region)
            .field("base_url", &self.base_url)
            .field("username", &"<redacted>")
            .field("password", &"<redacted>")
            .finish()
    }
}

/// A ready-to-send HTTP request. `Debug` never shows the authorization value. With the
/// `wasm` feature it serialises as JavaScript's `StatusRequestData`
/// (`{method, url, headers: {authorization, accept}}`, what `fetch` takes).
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

/// Builds the request:
/// `GET {origin}/v1/{accountId}/notifications/id/{notificationId}[?recipient=email:<addr>]`
/// with `Authorization: Basic base64(user:pass)` and `Accept: application/json`.
///
/// `origin` is `https://{region}.email.sdi.sinch.com` (region `eu` by default; one
/// lowercase DNS label) or the normalised `base_url`. Errors have kind
/// `invalid_argument` and a reason: `invalid_region`, `invalid_base_url`,
/// `conflicting_arguments` (both region and base URL), `invalid_account_id`,
/// `invalid_notification_id`, `invalid_recipient`, `invalid_username`; the position is
/// the byte offset of the offending character within that argument, where one exists.
/// No message ever repeats the user name or password.
pub fn status_request(query: &StatusQuery<'_>) -> Result<StatusRequest> {
    request::build(query)
}

/// One status event, in response order. With the `wasm` feature it serialises as
/// JavaScript's `StatusEventData` (camelCase fields, the timestamp as
/// [`Timestamp::to_rfc3339`], `null` when absent).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "wasm",
    derive(serde::Serialize, tsify_next::Tsify),
    serde(rename_all = "camelCase"),
    tsify(type_suffix = "Data", missing_as_null)
)]
pub struct StatusEvent {
    /// The status code verbatim (`CAAS_RECEIVED`, `CH_SENT`, or any other).
    pub code: String,
    /// The status text.
    pub text: Option<String>,
    /// The channel (`email`).
    pub channel: Option<String>,
    /// The recipient address, without the `email:` prefix.
    pub recipient: Option<String>,
    /// When it happened (UTC): `YYYY-MM-DDTHH:MM:SS.mmmZ` in JavaScript.
    #[cfg_attr(feature = "wasm", tsify(type = "string | null"))]
    pub timestamp: Option<Timestamp>,
}

impl StatusEvent {
    /// Whether this event's code is a final state (see [`is_final`]).
    pub fn is_final(&self) -> bool {
        is_final(&self.code)
    }

    /// The event as JSON, the shape the commands and the conformance drivers print:
    /// `{code, text, channel, recipient, timestamp}`, the timestamp as
    /// [`Timestamp::to_rfc3339`], absent fields `null`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "code": self.code,
            "text": self.text,
            "channel": self.channel,
            "recipient": self.recipient,
            "timestamp": self.timestamp.map(|t| t.to_rfc3339()),
        })
    }
}

/// A parsed status response. With the `wasm` feature it serialises as JavaScript's
/// `NotificationData`: its fields plus [`Notification::recipients`] and
/// [`Notification::all_final`] (`allFinal`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Notification {
    /// False for `{}` (expired after 7 days, or unknown).
    pub found: bool,
    /// The notification id, when present.
    pub notification_id: Option<String>,
    /// Every event, in response order.
    pub events: Vec<StatusEvent>,
}

/// The latest state of one recipient of a notification. With the `wasm` feature it
/// serialises as JavaScript's `RecipientStateData` (camelCase fields).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "wasm",
    derive(serde::Serialize, tsify_next::Tsify),
    serde(rename_all = "camelCase"),
    tsify(type_suffix = "Data", missing_as_null)
)]
pub struct RecipientState {
    /// The recipient as first spelt in the response (without `email:`); `None` gathers
    /// the events that name no recipient.
    pub recipient: Option<String>,
    /// The recipient's last event in response order.
    #[cfg_attr(feature = "wasm", tsify(type = "StatusEventData"))]
    pub latest: StatusEvent,
    /// Whether `latest` is a final state.
    pub is_final: bool,
}

impl Notification {
    /// A found notification (id `1`) with one bare event per `(recipient, code)`: the
    /// answer the unit tests of the poller and the status client feed in.
    #[cfg(test)]
    pub(crate) fn of_codes(codes: &[(&str, &str)]) -> Self {
        Notification {
            found: true,
            notification_id: Some("1".into()),
            events: codes
                .iter()
                .map(|(r, c)| StatusEvent {
                    code: c.to_string(),
                    text: None,
                    channel: None,
                    recipient: Some(r.to_string()),
                    timestamp: None,
                })
                .collect(),
        }
    }

    /// Every recipient's latest state, in order of first appearance. The latest event
    /// is the last one in response order (not the one with the latest timestamp:
    /// timestamps are optional and may tie). Addresses are matched on the exact local
    /// part and the ASCII-case-insensitive domain.
    pub fn recipients(&self) -> Vec<RecipientState> {
        let mut index = RecipientMap::default();
        let mut states: Vec<RecipientState> = Vec::new();
        for event in &self.events {
            let key = event.recipient.as_deref().map(RecipientKey::new);
            // Insert-or-find in one call (the map's only operation, so the wasm module
            // carries no separate lookup); a repeated key gets its first index back.
            match index.insert(key, states.len()) {
                Some(i) => {
                    index.insert(key, i);
                    states[i].latest = event.clone();
                    states[i].is_final = event.is_final();
                }
                None => {
                    states.push(RecipientState {
                        recipient: event.recipient.clone(),
                        latest: event.clone(),
                        is_final: event.is_final(),
                    });
                }
            }
        }
        states
    }

    /// The latest event of `recipient` (given with or without `email:`), if any. The
    /// recipient as given is looked for first, then without its `email:`: a recipient
    /// that still starts with `email:` once read (the API sent the prefix twice) is
    /// found as [`Notification::recipients`] gives it, even when the same address also
    /// came without the prefix.
    pub fn latest_for(&self, recipient: &str) -> Option<&StatusEvent> {
        let latest = |wanted: RecipientKey<'_>| {
            self.events
                .iter()
                .rev()
                .find(|e| e.recipient.as_deref().map(RecipientKey::new) == Some(wanted))
        };
        latest(RecipientKey::new(recipient))
            .or_else(|| strip_email_prefix(recipient).and_then(|r| latest(RecipientKey::new(r))))
    }

    /// Whether `recipient` (given with or without `email:`) has reached a final state;
    /// false when the response has no event for it.
    pub fn is_final_for(&self, recipient: &str) -> bool {
        self.latest_for(recipient)
            .is_some_and(StatusEvent::is_final)
    }

    /// Whether the notification was found, has events, and every recipient's latest
    /// state is final: a wait for every recipient ([`Poller`]) stops here.
    pub fn all_final(&self) -> bool {
        self.found && !self.events.is_empty() && self.recipients().iter().all(|r| r.is_final)
    }
}

/// Recipients to their index: the map of [`Notification::recipients`] and of the message
/// builder's de-duplication (one copy of the hash table's code in the wasm module).
pub(crate) type RecipientMap<'a> = HashMap<Option<RecipientKey<'a>>, usize, RecipientHasher>;

/// std's `RandomState` (SipHash with random keys), except on wasm32-unknown-unknown:
/// std has no random source there and takes the keys from a stack and a heap address,
/// the same on every run of a module, so SipHash resists no crafted collisions there
/// either; 64-bit FNV-1a (the `fnv` crate) then does the same work in far less code.
#[cfg(not(all(target_family = "wasm", target_os = "unknown")))]
pub(crate) type RecipientHasher = std::hash::RandomState;
/// See the native definition.
#[cfg(all(target_family = "wasm", target_os = "unknown"))]
pub(crate) type RecipientHasher = fnv::FnvBuildHasher;

/// A recipient address for matching: exact local part, case-insensitive domain (also the
/// key of the message builder's recipient de-duplication).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RecipientKey<'a> {
    local: &'a str,
    domain: &'a str,
}

impl<'a> RecipientKey<'a> {
    /// The key of `address`, split at its last `@` (a domain never holds one).
    pub(crate) fn new(address: &'a str) -> Self {
        match address.rfind('@') {
            Some(at) => RecipientKey {
                local: &address[..at],
                domain: &address[at..],
            },
            None => RecipientKey {
                local: address,
                domain: "",
            },
        }
    }
}

impl PartialEq for RecipientKey<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.local == other.local && self.domain.eq_ignore_ascii_case(other.domain)
    }
}

impl Eq for RecipientKey<'_> {}

impl std::hash::Hash for RecipientKey<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.local.hash(state);
        for b in self.domain.bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
    }
}

/// The address after an `email:` prefix (ASCII-case-insensitive), if there is one.
pub(crate) fn strip_email_prefix(s: &str) -> Option<&str> {
    match s.get(..6) {
        Some(prefix) if prefix.eq_ignore_ascii_case("email:") => Some(&s[6..]),
        _ => None,
    }
}

/// Parses a response body.
///
/// - `{}` (and any object without a `Notification` member, or with `"Notification":
///   null`) → `found: false`: expired after 7 days, or unknown.
/// - `{"Notification": {"notificationId": …, "status": [ {statusCode, statusText,
///   channel, recipient, timestamp} … ]}}` → `found: true`, events in response order,
///   unknown codes kept verbatim, `email:` removed from recipients, timestamps read as
///   UTC ([`Timestamp::parse`]).
/// - Missing or `null` optional members are absent; unknown members are ignored; with
///   a repeated member the last one counts.
///
/// Errors have kind `invalid_status_response` and a reason: `malformed_json` (not
/// JSON; message with line and column, position = byte offset of the error, the end of
/// the body for truncated input), `wrong_type` (a member present with the wrong type, e.g. `"status": "nope"`, or a
/// body that is not an object), `missing_field` (an event without `statusCode`),
/// `bad_timestamp`. For these three the message names the member and the position is
/// the offending value's last byte (for `missing_field`, the event object's `}`).
/// A body that is not well-formed JSON is always reported as `malformed_json`.
pub fn parse_status(body: &str) -> Result<Notification> {
    response::parse(body)
}

/// Whether a recipient whose latest status code is `code` has reached a final state:
/// true at `CH_SENT` and at every code other than `CAAS_RECEIVED`, `CAAS_SENT` and
/// `CH_RECEIVED` (bounces and failures included).
pub fn is_final(code: &str) -> bool {
    !matches!(code, "CAAS_RECEIVED" | "CAAS_SENT" | "CH_RECEIVED")
}

/// A polling plan: exponential backoff without randomness (so every binding waits
/// exactly the same and tests are exact), honouring a server's Retry-After.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollPlan {
    /// The first wait; each following wait doubles it.
    pub initial: Duration,
    /// The longest computed wait.
    pub max_delay: Duration,
    /// The longest wait a server's Retry-After can impose.
    pub max_retry_after: Duration,
}

impl PollPlan {
    /// 1 s, 2 s, 4 s, 8 s, 16 s, then 30 s; Retry-After honoured up to 5 minutes.
    pub const DEFAULT: PollPlan = PollPlan {
        initial: Duration::from_secs(1),
        max_delay: Duration::from_secs(30),
        max_retry_after: Duration::from_secs(300),
    };

    /// The wait before the next poll after `attempt` earlier waits (0 for the first):
    /// `min(initial × 2^attempt, max_delay)`, or, when the server sent a Retry-After,
    /// the longer of that and `min(retry_after, max_retry_after)` (Retry-After means
    /// "not before", and a server's `0` must not turn the loop into a busy loop).
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let factor = 1u32.checked_shl(attempt).unwrap_or(u32::MAX);
        let backoff = self.initial.saturating_mul(factor).min(self.max_delay);
        match retry_after {
            Some(ra) => backoff.max(ra.min(self.max_retry_after)),
            None => backoff,
        }
    }
}

impl Default for PollPlan {
    fn default() -> Self {
        PollPlan::DEFAULT
    }
}

/// How long to wait before poll number `attempt` (0-based), honouring a server's
/// Retry-After when it gives one: [`PollPlan::DEFAULT`]'s [`PollPlan::delay`].
pub fn next_delay(attempt: u32, retry_after: Option<Duration>) -> Duration {
    PollPlan::DEFAULT.delay(attempt, retry_after)
}
