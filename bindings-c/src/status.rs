//! The Email 365 status API in C: building the request (`e365_status_request_build`),
//! parsing a response into events and per-recipient state (`e365_status_parse`), and
//! the polling plan (`e365_status_next_delay`), and what an HTTP answer of the status API
//! means (`e365_status_http_error`), over the core's `status` module.

use crate::ffi::{array_ptr, fallible, free_box, maker};
use crate::{
    e365_error, e365_result, e365_str, str_opt_text, str_text, text, try_out, try_ref, Owned,
    Strings,
};
use email365::http::StatusClient;
use email365::status::{self, Notification, StatusEvent, StatusQuery};
use std::ffi::c_char;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What a status request is made from. Every field is pointer + length; the optional
/// ones are absent when their `data` is NULL (an empty string with a non-NULL `data` is
/// present, and judged by the core).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e365_status_query {
    /// The account id (required; printable ASCII, no white space or `/ ? # %`).
    pub account_id: e365_str,
    /// The notification id (required; same rules).
    pub notification_id: e365_str,
    /// Only the events of this recipient (optional; with or without `email:`).
    pub recipient: e365_str,
    /// The region (optional, `eu` by default): `https://{region}.email.sdi.sinch.com`.
    pub region: e365_str,
    /// `scheme://host[:port]` instead of the region's host (optional; `http://` only
    /// for loopback hosts; not together with `region`).
    pub base_url: e365_str,
    /// Basic-auth user name (required; non-empty, without `:`).
    pub username: e365_str,
    /// Basic-auth password (required).
    pub password: e365_str,
}

/// A ready-to-send HTTP request. Read-only; the strings are owned by the object (valid
/// until `e365_status_request_free`, which also wipes the authorization value).
/// Immutable: may be read from several threads at once.
#[repr(C)]
#[derive(Debug)]
pub struct e365_status_request {
    /// Always `GET`.
    pub method: e365_str,
    /// The full URL.
    pub url: e365_str,
    /// The `Authorization` header value (`Basic …`): a credential, do not log it.
    pub authorization: e365_str,
    /// The `Accept` header value.
    pub accept: e365_str,
}

/// Owned strings that are zeroed before they are freed (the request holds a credential).
#[derive(Default)]
struct Secret(Strings);

impl Drop for Secret {
    fn drop(&mut self) {
        for s in &mut (self.0).0 {
            for b in s.iter_mut() {
                // Volatile so that the wipe is not optimised away.
                unsafe { std::ptr::write_volatile(b, 0) };
            }
        }
    }
}

type RequestBox = Owned<e365_status_request, Secret>;

/// The core query of a C query (strings borrowed for the call).
unsafe fn core_query<'a>(q: &e365_status_query) -> Result<StatusQuery<'a>, email365::Error> {
    unsafe {
        Ok(StatusQuery {
            account_id: str_text(q.account_id, "query->account_id")?,
            notification_id: str_text(q.notification_id, "query->notification_id")?,
            recipient: str_opt_text(q.recipient, "query->recipient")?,
            region: str_opt_text(q.region, "query->region")?,
            base_url: str_opt_text(q.base_url, "query->base_url")?,
            username: str_text(q.username, "query->username")?,
            password: str_text(q.password, "query->password")?,
        })
    }
}

maker! {
    /// Builds the status request
    /// `GET {origin}/v1/{accountId}/notifications/id/{notificationId}[?recipient=email:<addr>]`
    /// with `Authorization: Basic …` and `Accept: application/json`. The strings of `query`
    /// are copied: they need only live for the call. On success `*out` receives a new
    /// request that the caller frees with `e365_status_request_free`.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` with a reason: `invalid_region`, `invalid_base_url`,
    /// `conflicting_arguments`, `invalid_account_id`, `invalid_notification_id`,
    /// `invalid_recipient`, `invalid_username` (position = offset in that argument), or
    /// `null_argument` / `invalid_utf8` (`query` or `out` NULL, a required field's `data`
    /// NULL, text not UTF-8). No message repeats the user name or password.
    ///
    /// Thread-safe.
    ///
    /// # Safety
    /// `query` is NULL or valid, each field's `data` NULL or valid for reading its `len`
    /// bytes; `out` and `err_out` are NULL or valid for writing.
    fn e365_status_request_build(query: *const e365_status_query) -> new_raw e365_status_request {
        let q = try_ref!(query, "query");
        let query = unsafe { core_query(q)? };
        let request = status::status_request(&query)?;
        let mut s = Secret::default();
        let view = e365_status_request {
            method: s.0.keep(request.method),
            url: s.0.keep(&request.url),
            authorization: s.0.keep(&request.authorization),
            accept: s.0.keep(request.accept),
        };
        RequestBox::into_raw(view, s)
    }
}

/// Frees a status request (its authorization value is zeroed first); NULL is ignored.
///
/// # Safety
/// `request` is NULL or a request from this library that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn e365_status_request_free(request: *mut e365_status_request) {
    unsafe { RequestBox::free(request) }
}

/// One status event, in response order. The strings belong to the notification.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e365_status_event {
    /// The status code verbatim (`CAAS_RECEIVED`, `CH_SENT`, or any other).
    pub code: e365_str,
    /// The status text, or `{NULL, 0}`.
    pub text: e365_str,
    /// The channel (`email`), or `{NULL, 0}`.
    pub channel: e365_str,
    /// The recipient address without `email:`, or `{NULL, 0}`.
    pub recipient: e365_str,
    /// When it happened, as `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC), or `{NULL, 0}`.
    pub timestamp: e365_str,
    /// The same instant in milliseconds since the Unix epoch (0 when `timestamp` is
    /// absent).
    pub timestamp_ms: i64,
    /// Whether this event's code is a final state (`CH_SENT`, or any code other than
    /// `CAAS_RECEIVED`, `CAAS_SENT`, `CH_RECEIVED`).
    pub is_final: bool,
}

/// The latest state of one recipient.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e365_recipient_state {
    /// The recipient as first spelt in the response, or `{NULL, 0}` for the events that
    /// name none.
    pub recipient: e365_str,
    /// The recipient's last event in response order.
    pub latest: e365_status_event,
    /// Whether `latest` is a final state.
    pub is_final: bool,
}

/// A parsed status response. Read-only; the arrays and strings are owned by the object
/// (valid until `e365_notification_free`). Immutable: may be read from several threads
/// at once.
#[repr(C)]
#[derive(Debug)]
pub struct e365_notification {
    /// False for `{}`: expired after 7 days, or unknown.
    pub found: bool,
    /// The notification id, or `{NULL, 0}`.
    pub notification_id: e365_str,
    /// Every event, in response order (NULL when `events_len` is 0).
    pub events: *const e365_status_event,
    /// The number of events.
    pub events_len: usize,
    /// Every recipient's latest state, in order of first appearance (NULL when
    /// `recipients_len` is 0).
    pub recipients: *const e365_recipient_state,
    /// The number of recipients.
    pub recipients_len: usize,
    /// Whether the notification was found, has events, and every recipient's latest
    /// state is final: a wait for every recipient stops here (`found` false is polled
    /// on until the deadline: the notification may not be visible yet).
    pub all_final: bool,
}

type NotificationBox =
    Owned<e365_notification, (Vec<e365_status_event>, Vec<e365_recipient_state>, Strings)>;

fn event(s: &mut Strings, e: &StatusEvent) -> e365_status_event {
    e365_status_event {
        code: s.keep(&e.code),
        text: s.keep_opt(e.text.as_deref()),
        channel: s.keep_opt(e.channel.as_deref()),
        recipient: s.keep_opt(e.recipient.as_deref()),
        timestamp: s.keep_opt(e.timestamp.map(|t| t.to_rfc3339()).as_deref()),
        timestamp_ms: e.timestamp.map_or(0, |t| t.0),
        is_final: e.is_final(),
    }
}

pub(crate) fn notification_into_raw(n: &Notification) -> *mut e365_notification {
    let mut s = Strings::default();
    let events: Vec<e365_status_event> = n.events.iter().map(|e| event(&mut s, e)).collect();
    let recipients: Vec<e365_recipient_state> = n
        .recipients()
        .iter()
        .map(|r| e365_recipient_state {
            recipient: s.keep_opt(r.recipient.as_deref()),
            latest: event(&mut s, &r.latest),
            is_final: r.is_final,
        })
        .collect();
    let view = e365_notification {
        found: n.found,
        notification_id: s.keep_opt(n.notification_id.as_deref()),
        events: array_ptr(&events),
        events_len: events.len(),
        recipients: array_ptr(&recipients),
        recipients_len: recipients.len(),
        all_final: n.all_final(),
    };
    NotificationBox::into_raw(view, (events, recipients, s))
}

maker! {
    /// Parses a status-API response body (`body`, `len` bytes of JSON) into a notification:
    /// `{}` gives `found` false (expired after 7 days, or unknown); events keep the
    /// response's order and unknown codes verbatim. On success `*out` receives a new
    /// notification that the caller frees with `e365_notification_free`.
    ///
    /// Errors: `E365_INVALID_STATUS_RESPONSE` with a reason: `malformed_json` (message with
    /// line and column, position = byte offset), `wrong_type`, `missing_field`,
    /// `bad_timestamp`; `E365_INVALID_ARGUMENT` (`body` or `out` NULL, `body` not UTF-8).
    ///
    /// Thread-safe.
    ///
    /// # Safety
    /// `body` is valid for reading `len` bytes; `out` and `err_out` are NULL or valid for
    /// writing.
    fn e365_status_parse(body: *const c_char, len: usize) -> new_raw e365_notification {
        let notification = status::parse_status(unsafe { text(body, len, "body")? })?;
        notification_into_raw(&notification)
    }
}

/// Frees a notification; NULL is ignored.
///
/// # Safety
/// `notification` is NULL or a notification from this library that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn e365_notification_free(notification: *mut e365_notification) {
    unsafe { NotificationBox::free(notification) }
}

fallible! {
    /// The polling plan that every wait loop executes: writes into `*delay_ms_out` how long
    /// to wait (in milliseconds) before poll number `attempt` (0-based): 1 s, 2 s, 4 s,
    /// 8 s, 16 s, then 30 s; when the server sent a Retry-After (`retry_after_ms` not
    /// NULL), the longer of that (capped at 5 minutes) and the backoff.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`delay_ms_out` NULL).
    ///
    /// Thread-safe.
    ///
    /// # Safety
    /// `retry_after_ms` is NULL or valid for reading; `delay_ms_out` and `err_out` are NULL
    /// or valid for writing.
    fn e365_status_next_delay(attempt: u32, retry_after_ms: *const u64, delay_ms_out: *mut u64) {
        let delay_out = try_out!(delay_ms_out, "delay_ms_out");
        let retry_after = unsafe { retry_after_ms.as_ref() }.map(|ms| Duration::from_millis(*ms));
        let delay = status::next_delay(attempt, retry_after);
        *delay_out = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        Ok(())
    }
}

fallible! {
    /// Whether a recipient whose latest status code is `code` (`code_len` bytes) has reached
    /// a final state: writes the answer into `*final_out`.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`code` or `final_out` NULL, `code` not UTF-8).
    ///
    /// Thread-safe.
    ///
    /// # Safety
    /// `code` is valid for reading `code_len` bytes; `final_out` and `err_out` are NULL or
    /// valid for writing.
    fn e365_status_is_final(code: *const c_char, code_len: usize, final_out: *mut bool) {
        let final_out = try_out!(final_out, "final_out");
        *final_out = status::is_final(unsafe { text(code, code_len, "code")? });
        Ok(())
    }
}

/// An HTTP answer of the status API, as `e365_status_http_error` reads it. The strings
/// are pointer + length and optional (absent when `data` is NULL; an absent `url`,
/// `body`, `username` or `password` counts as empty).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e365_http_answer {
    /// The HTTP status code.
    pub status: u16,
    /// The `Retry-After` header value (optional): delay seconds or an HTTP date.
    pub retry_after: e365_str,
    /// The current time in milliseconds since the Unix epoch, for an HTTP-date
    /// `Retry-After` (NULL: the system clock).
    pub now_ms: *const u64,
    /// The request URL, named in the message.
    pub url: e365_str,
    /// The answer's body: the message may quote its start, unless it holds `username`,
    /// `password` or their Basic-auth token.
    pub body: e365_str,
    /// The Basic-auth user name of the request (only to keep it out of the message).
    pub username: e365_str,
    /// The Basic-auth password of the request (only to keep it out of the message).
    pub password: e365_str,
}

impl e365_http_answer {
    /// The core's answer (strings borrowed; an absent `url`, `body`, `username` or
    /// `password` is empty) and the time of `now_ms` (NULL: the system clock).
    ///
    /// # Safety
    /// Its strings are valid for reading their `len` bytes when `data` is not NULL and
    /// its `now_ms` is NULL or valid for reading, for the lifetime `'a`.
    pub(crate) unsafe fn core<'a>(
        &self,
    ) -> Result<(status::HttpAnswer<'a>, SystemTime), email365::Error> {
        let or_empty =
            |s: e365_str, name| unsafe { str_opt_text(s, name) }.map(Option::unwrap_or_default);
        let answer = status::HttpAnswer {
            status: self.status,
            retry_after: unsafe { str_opt_text(self.retry_after, "retry_after")? },
            url: or_empty(self.url, "url")?,
            body: or_empty(self.body, "body")?,
            username: or_empty(self.username, "username")?,
            password: or_empty(self.password, "password")?,
        };
        let now = match unsafe { self.now_ms.as_ref() } {
            Some(ms) => UNIX_EPOCH + Duration::from_millis(*ms),
            None => SystemTime::now(),
        };
        Ok((answer, now))
    }
}

/// What an HTTP answer of the status API means (written by `e365_status_http_error`).
#[repr(C)]
#[derive(Debug)]
pub struct e365_http_verdict {
    /// NULL for a 2xx answer (parse its body); else the error the answer stands for
    /// (`E365_NOT_FOUND`, `E365_AUTH` or `E365_STATUS_HTTP`; transient for 429 and
    /// 5xx), owned by the caller: free it with `e365_error_free`.
    pub error: *mut e365_error,
    /// Whether the answer carried a readable `Retry-After`.
    pub has_retry_after: bool,
    /// The `Retry-After` delay in milliseconds (0 when `has_retry_after` is false),
    /// saturated at 2^53 − 1.
    pub retry_after_ms: u64,
}

fallible! {
    /// What an HTTP answer of the status API means, by the one rule every client follows
    /// (docs/HTTP.md): writes into `*verdict_out` the error the answer stands for (NULL for
    /// 2xx) and its `Retry-After` delay. 401 and 403 give `E365_AUTH` (reasons
    /// `unauthorized`, `forbidden`), 404 `E365_NOT_FOUND`, 429 and 5xx a transient
    /// `E365_STATUS_HTTP` (`too_many_requests`, `server_error`), 3xx / other 4xx / anything
    /// else `E365_STATUS_HTTP` (`redirect`, `client_error`, `unexpected_status`).
    ///
    /// The call itself succeeds whatever the status: its errors are only
    /// `E365_INVALID_ARGUMENT` (`answer` or `verdict_out` NULL, a string not UTF-8).
    ///
    /// Thread-safe.
    ///
    /// # Safety
    /// `answer` is NULL or valid for reading, its strings valid for reading their `len`
    /// bytes when `data` is not NULL and its `now_ms` NULL or valid for reading;
    /// `verdict_out` and `err_out` are NULL or valid for writing.
    fn e365_status_http_error(
        answer: *const e365_http_answer,
        verdict_out: *mut e365_http_verdict,
    ) {
        let a = try_ref!(answer, "answer");
        let verdict_out = try_out!(verdict_out, "verdict_out");
        let (answer, now) = unsafe { a.core()? };
        let verdict = status::judge_answer(&answer, now);
        *verdict_out = e365_http_verdict {
            error: verdict
                .error
                .map_or(std::ptr::null_mut(), e365_error::into_raw),
            has_retry_after: verdict.retry_after.is_some(),
            retry_after_ms: verdict.retry_after.map_or(0, status::retry_after_millis),
        };
        Ok(())
    }
}

/// The settings of a status client. Zero-initialise it and set what you need: every
/// zero field means the default. The strings are copied by `e365_status_client_new`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e365_status_client_options {
    /// The account id (required).
    pub account_id: e365_str,
    /// Basic-auth user name (required). Kept in memory wiped when the client is freed.
    pub username: e365_str,
    /// Basic-auth password (required). Never appears in an error.
    pub password: e365_str,
    /// The region (`eu` by default), or `{NULL, 0}`.
    pub region: e365_str,
    /// `scheme://host[:port]` instead of the region's host (`http://` only for loopback
    /// hosts), or `{NULL, 0}`.
    pub base_url: e365_str,
    /// A PEM file of extra trusted CA certificates (a path), or `{NULL, 0}`.
    pub ca_file: e365_str,
    /// Do not trust the system's root certificates (only `ca_file`).
    pub no_system_roots: bool,
    /// Time limit for opening a connection in milliseconds (0 = 10 s).
    pub connect_timeout_ms: u32,
    /// Time limit for one whole request in milliseconds (0 = 30 s).
    pub request_timeout_ms: u32,
}

/// A blocking client of the status API (opaque): GET with Basic auth over rustls,
/// redirects never followed (the credentials never go to another host), connections
/// kept and reused. Made by `e365_status_client_new`, freed by `e365_status_client_free`.
///
/// Thread-safe: one client may serve several threads at once.
pub struct e365_status_client {
    inner: StatusClient,
}

maker! {
    /// Makes a status client. On success `*out` receives it; free it with
    /// `e365_status_client_free`.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`options` or `out` NULL; a required field NULL or
    /// not UTF-8; an invalid account id, user name, region or base URL, with the reason of
    /// `e365_status_request_build`; an unreadable `ca_file`), `E365_TLS` (no usable root).
    ///
    /// # Safety
    /// `options` is NULL or valid, its strings NULL or valid for reading their lengths;
    /// `out` and `err_out` are NULL or valid for writing.
    fn e365_status_client_new(
        options: *const e365_status_client_options,
    ) -> new_boxed e365_status_client {
        let o = try_ref!(options, "options");
        let (account, user, password) = unsafe {
            (
                str_text(o.account_id, "options->account_id")?,
                str_text(o.username, "options->username")?,
                str_text(o.password, "options->password")?,
            )
        };
        let mut builder = StatusClient::builder(account, user, password);
        if let Some(region) = unsafe { str_opt_text(o.region, "options->region")? } {
            builder = builder.region(region);
        }
        if let Some(url) = unsafe { str_opt_text(o.base_url, "options->base_url")? } {
            builder = builder.base_url(url);
        }
        if let Some(path) = unsafe { str_opt_text(o.ca_file, "options->ca_file")? } {
            builder = builder.extra_ca_file(path);
        }
        builder = builder.system_roots(!o.no_system_roots);
        if o.connect_timeout_ms != 0 {
            builder =
                builder.connect_timeout(Duration::from_millis(u64::from(o.connect_timeout_ms)));
        }
        if o.request_timeout_ms != 0 {
            builder =
                builder.request_timeout(Duration::from_millis(u64::from(o.request_timeout_ms)));
        }
        e365_status_client {
            inner: builder.build()?,
        }
    }
}

maker! {
    /// Gets the status of a notification once (`notification_id`, `id_len` bytes), only
    /// `recipient`'s events when `recipient` is not NULL (with or without `email:`). On
    /// success `*out` receives the notification (`found` false: unknown, not visible yet,
    /// or expired after 7 days); free it with `e365_notification_free`.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (a bad id or recipient; `client`, `notification_id`
    /// or `out` NULL; text not UTF-8), `E365_AUTH` (401/403), `E365_NOT_FOUND` (404),
    /// `E365_STATUS_HTTP` (transient for 429 and 5xx; reason `too_many_requests`,
    /// `server_error`, `client_error`, `redirect`, …), `E365_INVALID_STATUS_RESPONSE`,
    /// `E365_TIMEOUT`, `E365_TLS`, `E365_CONNECTION`, `E365_PROTOCOL`.
    ///
    /// Blocks for at most the request time limit. Thread-safe.
    ///
    /// # Safety
    /// `client` is NULL or a live client; `notification_id` and `recipient` are NULL or
    /// valid for reading their lengths; `out` and `err_out` are NULL or valid for writing.
    fn e365_status_client_get(
        client: *const e365_status_client,
        notification_id: *const c_char,
        id_len: usize,
        recipient: *const c_char,
        recipient_len: usize,
    ) -> new_raw e365_notification {
        let client = try_ref!(client, "client");
        let (id, recipient) =
            unsafe { id_and_recipient(notification_id, id_len, recipient, recipient_len)? };
        let notification = client.inner.get(id, recipient)?;
        notification_into_raw(&notification)
    }
}

maker! {
    /// Polls until the delivery state is final — `recipient`'s when it is not NULL, every
    /// recipient's otherwise — and gives the final notification in `*out` (free it with
    /// `e365_notification_free`); gives up after `deadline_ms` milliseconds. It drives the
    /// core's poller (as `e365_status_poller_new` gives it): waits follow the polling plan
    /// (1 s, 2 s, 4 s, … 30 s) and the server's Retry-After; transient failures (429, 5xx,
    /// timeouts, connection failures) are retried, any other error ends the wait at once;
    /// `found` false (unknown, not visible yet, or expired) is polled on until the
    /// deadline; when the next wait would pass the deadline, the last poll is made at the
    /// deadline itself (with at least 1 s to be answered).
    ///
    /// Errors: `E365_TIMEOUT` with reason `deadline_exceeded` when the state was not final
    /// in time (the message describes the last state or failure), also at once when a
    /// Retry-After forbids polling again before the deadline; the errors of
    /// `e365_status_client_get`.
    ///
    /// Blocks for up to `deadline_ms` plus one request (at most 1 s past it). Thread-safe.
    ///
    /// # Safety
    /// As for `e365_status_client_get`.
    #[allow(clippy::too_many_arguments)]
    fn e365_status_client_wait(
        client: *const e365_status_client,
        notification_id: *const c_char,
        id_len: usize,
        recipient: *const c_char,
        recipient_len: usize,
        deadline_ms: u64,
    ) -> new_raw e365_notification {
        let client = try_ref!(client, "client");
        let (id, recipient) =
            unsafe { id_and_recipient(notification_id, id_len, recipient, recipient_len)? };
        let notification =
            client
                .inner
                .wait_for(id, recipient, Duration::from_millis(deadline_ms))?;
        notification_into_raw(&notification)
    }
}

/// The notification id (required) and recipient (NULL: none) of
/// `e365_status_client_get`, `e365_status_client_wait` and `e365_status_poller_new`.
///
/// # Safety
/// Each pointer is NULL or valid for reading its length for the lifetime `'a`.
pub(crate) unsafe fn id_and_recipient<'a>(
    notification_id: *const c_char,
    id_len: usize,
    recipient: *const c_char,
    recipient_len: usize,
) -> Result<(&'a str, Option<&'a str>), email365::Error> {
    let id = unsafe { text(notification_id, id_len, "notification_id")? };
    let recipient = unsafe { crate::opt_text(recipient, recipient_len, "recipient")? };
    Ok((id, recipient))
}

/// Frees a status client; NULL is ignored.
///
/// # Safety
/// `client` is NULL or a client from this library that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn e365_status_client_free(client: *mut e365_status_client) {
    unsafe { free_box(client) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::*;
    use crate::testing::{input, refusal, view};
    use std::ptr::{null, null_mut};

    fn query() -> e365_status_query {
        e365_status_query {
            account_id: input("caas_email12345"),
            notification_id: input("10000000902077"),
            recipient: input("a@example.com"),
            region: e365_str::NONE,
            base_url: e365_str::NONE,
            username: input("user"),
            password: input("pass"),
        }
    }

    #[test]
    fn builds_a_request() {
        let mut out = null_mut();
        unsafe {
            assert_eq!(
                e365_status_request_build(&query(), &mut out, null_mut()),
                e365_result::E365_OK
            );
            let r = &*out;
            assert_eq!(view(r.method).unwrap(), "GET");
            assert_eq!(
                view(r.url).unwrap(),
                "https://eu.email.sdi.sinch.com/v1/caas_email12345/notifications/id/10000000902077?recipient=email:a@example.com"
            );
            assert_eq!(view(r.authorization).unwrap(), "Basic dXNlcjpwYXNz");
            assert_eq!(view(r.accept).unwrap(), "application/json");
            e365_status_request_free(out);
            e365_status_request_free(null_mut());
        }
    }

    #[test]
    fn request_refusals() {
        let mut out = null_mut();
        unsafe {
            let mut q = query();
            q.region = input("EU");
            assert_eq!(
                refusal(e365_result::E365_INVALID_ARGUMENT, |err| {
                    e365_status_request_build(&q, &mut out, err)
                }),
                "invalid_region"
            );
            let mut q = query();
            q.password = e365_str::NONE;
            assert_eq!(
                e365_status_request_build(&q, &mut out, null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert_eq!(
                e365_status_request_build(null(), &mut out, null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert_eq!(
                e365_status_request_build(&query(), null_mut(), null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert!(out.is_null());
        }
    }

    #[test]
    fn parses_events_and_recipient_state() {
        let body = r#"{"Notification":{"notificationId":"1","status":[
            {"statusCode":"CAAS_RECEIVED","recipient":"email:a@x.org","timestamp":"2015-03-08 14:58:30.252"},
            {"statusCode":"CH_SENT","recipient":"email:a@X.ORG"},
            {"statusCode":"CAAS_SENT","recipient":"email:b@x.org"}]}}"#;
        let mut out = null_mut();
        unsafe {
            assert_eq!(
                e365_status_parse(body.as_ptr().cast(), body.len(), &mut out, null_mut()),
                e365_result::E365_OK
            );
            let n = &*out;
            assert!(n.found);
            assert_eq!(view(n.notification_id).unwrap(), "1");
            let events = std::slice::from_raw_parts(n.events, n.events_len);
            assert_eq!(events.len(), 3);
            assert_eq!(
                view(events[0].timestamp).unwrap(),
                "2015-03-08T14:58:30.252Z"
            );
            assert_eq!(events[0].timestamp_ms, 1_425_826_710_252);
            assert_eq!(view(events[0].recipient).unwrap(), "a@x.org");
            assert!(view(events[1].timestamp).is_none());
            let recipients = std::slice::from_raw_parts(n.recipients, n.recipients_len);
            assert_eq!(recipients.len(), 2);
            assert!(recipients[0].is_final);
            assert_eq!(view(recipients[0].latest.code).unwrap(), "CH_SENT");
            assert!(!recipients[1].is_final);
            assert!(!n.all_final);
            e365_notification_free(out);
            let empty = "{}";
            assert_eq!(
                e365_status_parse(empty.as_ptr().cast(), 2, &mut out, null_mut()),
                e365_result::E365_OK
            );
            assert!(!(*out).found);
            assert!((*out).events.is_null());
            e365_notification_free(out);
            e365_notification_free(null_mut());
        }
    }

    #[test]
    fn parse_refusals() {
        let mut out = null_mut();
        let body = r#"{"Notification": {"status": "nope"}}"#;
        unsafe {
            assert_eq!(
                refusal(e365_result::E365_INVALID_STATUS_RESPONSE, |err| {
                    e365_status_parse(body.as_ptr().cast(), body.len(), &mut out, err)
                }),
                "wrong_type"
            );
            assert_eq!(
                e365_status_parse(null(), 0, &mut out, null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert_eq!(
                e365_status_parse(c"{}".as_ptr(), 2, null_mut(), null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert!(out.is_null());
        }
    }

    #[test]
    fn polling_plan_and_finality() {
        let mut d = 0u64;
        let mut f = false;
        unsafe {
            assert_eq!(
                e365_status_next_delay(0, null(), &mut d, null_mut()),
                e365_result::E365_OK
            );
            assert_eq!(d, 1000);
            assert_eq!(
                e365_status_next_delay(10, null(), &mut d, null_mut()),
                e365_result::E365_OK
            );
            assert_eq!(d, 30_000);
            let ra = 45_000u64;
            assert_eq!(
                e365_status_next_delay(0, &ra, &mut d, null_mut()),
                e365_result::E365_OK
            );
            assert_eq!(d, 45_000);
            assert_eq!(
                e365_status_next_delay(0, null(), null_mut(), null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert_eq!(
                e365_status_is_final(c"CH_SENT".as_ptr(), 7, &mut f, null_mut()),
                e365_result::E365_OK
            );
            assert!(f);
            assert_eq!(
                e365_status_is_final(c"CAAS_SENT".as_ptr(), 9, &mut f, null_mut()),
                e365_result::E365_OK
            );
            assert!(!f);
            assert_eq!(
                e365_status_is_final(null(), 0, &mut f, null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
        }
    }
}

#[cfg(test)]
mod client_tests {
    use super::*;
    use crate::error::*;
    use crate::testing::input;
    use std::ptr::{null, null_mut};

    fn options(base: &str) -> e365_status_client_options {
        e365_status_client_options {
            account_id: input("acc"),
            username: input("u"),
            password: input("p"),
            region: e365_str::NONE,
            base_url: input(base),
            ca_file: e365_str::NONE,
            no_system_roots: false,
            connect_timeout_ms: 2000,
            request_timeout_ms: 2000,
        }
    }

    #[test]
    fn client_arguments_and_a_refused_connection() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let o = options(&base);
        let mut c = null_mut();
        unsafe {
            assert_eq!(
                e365_status_client_new(&o, null_mut(), null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert_eq!(
                e365_status_client_new(null(), &mut c, null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            let mut bad = options(&base);
            bad.password = e365_str::NONE;
            assert_eq!(
                e365_status_client_new(&bad, &mut c, null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert!(c.is_null());
            assert_eq!(
                e365_status_client_new(&o, &mut c, null_mut()),
                e365_result::E365_OK
            );
            let mut n = null_mut();
            let mut err = null_mut();
            assert_eq!(
                e365_status_client_get(c, c"1".as_ptr(), 1, null(), 0, &mut n, &mut err),
                e365_result::E365_CONNECTION
            );
            assert!(e365_error_transient(err));
            e365_error_free(err);
            assert_eq!(
                e365_status_client_get(null(), c"1".as_ptr(), 1, null(), 0, &mut n, null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert_eq!(
                e365_status_client_get(c, null(), 0, null(), 0, &mut n, null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert_eq!(
                e365_status_client_get(c, c"1".as_ptr(), 1, null(), 0, null_mut(), null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert_eq!(
                e365_status_client_wait(c, c"1".as_ptr(), 1, null(), 0, 10, null_mut(), null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert!(n.is_null());
            e365_status_client_free(c);
            e365_status_client_free(null_mut());
        }
    }
}
