//! The blocking client of the Email 365 status API (cargo feature `http`): it executes
//! what [`crate::status`] decides — the request from [`status_request`], the body read
//! by [`parse_status`], the waits of a [`PollPlan`] — over ureq and rustls (`ring`).
//!
//! Defaults, the mapping of HTTP answers and I/O failures to error kinds, and the
//! polling rules are written down in `docs/HTTP.md`.

use std::fmt;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig, TlsProvider};
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};
use crate::loopback::is_loopback_host;
/// Moved to [`crate::status::parse_retry_after`] (the wasm package needs it too);
/// re-exported here so that existing callers keep working.
pub use crate::status::parse_retry_after;
use crate::status::{
    http_error, parse_status, status_request, Notification, PollPlan, PollStep, Poller, StatusQuery,
};

mod target;
#[cfg(feature = "tokio")]
mod tokio_client;

use target::{failed, retry_after, StatusTarget, EXCERPT_BYTES};
#[cfg(feature = "tokio")]
pub use tokio_client::AsyncStatusClient;

/// Default time limit for opening the connection (DNS, TCP and TLS): 10 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time limit for one whole request (connect, send, headers and body) and the
/// default largest response body: the limits every status client applies (30 s,
/// 16 MiB), re-exported from [`crate::status`].
pub use crate::status::{DEFAULT_MAX_BODY, DEFAULT_REQUEST_TIMEOUT};

/// The user agent sent with every request: `email365/<version>`.
pub fn user_agent() -> String {
    format!("email365/{}", crate::VERSION)
}

/// What one status request gave: the parsed notification or the error, plus the HTTP
/// facts a caller's own retry loop needs ([`StatusClient::get_detailed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusAttempt {
    /// The notification, or the failure (kinds as for [`StatusClient::get`]).
    pub result: Result<Notification>,
    /// The HTTP status code, when a response arrived.
    pub http_status: Option<u16>,
    /// The server's `Retry-After` (seconds, or an HTTP date converted to the time left
    /// from now; a date in the past is zero), when it sent one that parses.
    pub retry_after: Option<Duration>,
}

/// Time for [`StatusClient::wait_for_with`]: the real clock is [`SystemClock`]; tests
/// inject a clock whose `sleep` only moves its own time forward.
pub trait PollClock {
    /// The current instant.
    fn now(&mut self) -> Instant;
    /// Waits `duration`.
    fn sleep(&mut self, duration: Duration);
}

/// The real clock: [`Instant::now`] and [`std::thread::sleep`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl PollClock for SystemClock {
    fn now(&mut self) -> Instant {
        Instant::now()
    }
    fn sleep(&mut self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// The least time a status request of [`StatusClient::wait_for`] gets: the poller's
/// ([`crate::status::LAST_POLL_TIME`]), re-exported here where it was first defined.
pub use crate::status::LAST_POLL_TIME;

/// Sets up a [`StatusClient`]; [`StatusClient::builder`] makes one.
pub struct StatusClientBuilder {
    account_id: String,
    username: Zeroizing<String>,
    password: Zeroizing<String>,
    region: Option<String>,
    base_url: Option<String>,
    extra_ca: Vec<ExtraCa>,
    system_roots: bool,
    connect_timeout: Duration,
    request_timeout: Duration,
    max_body: u64,
    plan: PollPlan,
    proxy_from_env: bool,
}

enum ExtraCa {
    File(PathBuf),
    Pem(Vec<u8>),
}

impl fmt::Debug for StatusClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatusClientBuilder")
            .field("account_id", &self.account_id)
            .field("username", &"<redacted>")
            .field("password", &"<redacted>")
            .field("region", &self.region)
            .field("base_url", &self.base_url)
            .field("extra_ca", &self.extra_ca.len())
            .field("system_roots", &self.system_roots)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("max_body", &self.max_body)
            .field("plan", &self.plan)
            .field("proxy_from_env", &self.proxy_from_env)
            .finish()
    }
}

impl StatusClientBuilder {
    /// The region (`eu` by default): `https://{region}.email.sdi.sinch.com`.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// `scheme://host[:port]` instead of the region's host (`http://` only for loopback
    /// hosts, e.g. the sandbox). Giving both a region and a base URL is refused.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// Also trusts the CA certificates of this PEM file (read when the client is built).
    pub fn extra_ca_file(mut self, path: impl AsRef<Path>) -> Self {
        self.extra_ca
            .push(ExtraCa::File(path.as_ref().to_path_buf()));
        self
    }

    /// Also trusts the CA certificates of this PEM text.
    pub fn extra_ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_ca.push(ExtraCa::Pem(pem.into()));
        self
    }

    /// Whether the system's root certificates are trusted (default true). With false,
    /// only the extra CA certificates are.
    pub fn system_roots(mut self, yes: bool) -> Self {
        self.system_roots = yes;
        self
    }

    /// Time limit for opening a connection, TLS included (default 10 s; not zero).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time limit for one whole request, connection and body included (default 30 s;
    /// not zero).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Largest response body accepted, in bytes (default 16 MiB; not zero).
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.max_body = bytes;
        self
    }

    /// The polling plan of [`StatusClient::wait_for`] (default [`PollPlan::DEFAULT`]).
    pub fn poll_plan(mut self, plan: PollPlan) -> Self {
        self.plan = plan;
        self
    }

    /// Whether `HTTPS_PROXY`/`ALL_PROXY` (and `NO_PROXY`) of the environment are followed
    /// for non-loopback hosts (default true). Loopback hosts are never proxied.
    pub fn proxy_from_env(mut self, yes: bool) -> Self {
        self.proxy_from_env = yes;
        self
    }

    /// Checks the settings, reads the certificates and makes the client.
    ///
    /// Errors: `invalid_argument` with the reasons of [`status_request`] (account id,
    /// region, base URL, user name), `invalid_timeout` (a zero timeout), `invalid_max_body`
    /// (zero) or `invalid_ca_file` (an extra CA file that cannot be read or holds no
    /// certificate).
    pub fn build(self) -> Result<StatusClient> {
        let origin = self.check()?;
        let https = origin.https;
        let loopback = origin.loopback;

        let mut roots: Vec<Certificate<'static>> = Vec::new();
        for ca in &self.extra_ca {
            roots.extend(read_extra_ca(ca)?);
        }
        // The system store is read only when it can be needed (an https origin).
        if https && self.system_roots {
            let found = rustls_native_certs::load_native_certs();
            roots.extend(
                found
                    .certs
                    .iter()
                    .map(|c| Certificate::from_der(c.as_ref()).to_owned()),
            );
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .root_certs(RootCerts::Specific(Arc::new(roots)))
            .unversioned_rustls_crypto_provider(provider)
            .build();
        let proxy = if self.proxy_from_env && !loopback {
            ureq::Proxy::try_from_env()
        } else {
            None
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_connect(Some(self.connect_timeout))
            .timeout_global(Some(self.request_timeout))
            .user_agent(user_agent())
            .proxy(proxy)
            .tls_config(tls)
            .build()
            .new_agent();
        Ok(StatusClient {
            agent,
            target: self.into_target(),
        })
    }

    /// The checks of every status client, blocking or not: the account, origin and user
    /// name (with a placeholder id), the timeouts and the body limit; what the origin is.
    fn check(&self) -> Result<Origin> {
        // Check the account, origin and user name once, with a placeholder id.
        let probe = status_request(&StatusQuery {
            account_id: &self.account_id,
            notification_id: "0",
            recipient: None,
            region: self.region.as_deref(),
            base_url: self.base_url.as_deref(),
            username: &self.username,
            password: &self.password,
        })?;
        if self.connect_timeout.is_zero() || self.request_timeout.is_zero() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "timeouts must be longer than zero",
            )
            .with_reason("invalid_timeout"));
        }
        if self.max_body == 0 {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "the largest response body must be at least one byte",
            )
            .with_reason("invalid_max_body"));
        }
        let host = origin_host(&probe.url);
        Ok(Origin {
            https: probe.url.starts_with("https://"),
            loopback: is_loopback_host(host),
        })
    }
}

/// What a status client needs to know of its origin.
struct Origin {
    https: bool,
    loopback: bool,
}

fn read_extra_ca(ca: &ExtraCa) -> Result<Vec<Certificate<'static>>> {
    let bad =
        |msg: String| Error::new(ErrorKind::InvalidArgument, msg).with_reason("invalid_ca_file");
    let (pem, name) = match ca {
        ExtraCa::File(path) => (
            std::fs::read(path)
                .map_err(|e| bad(format!("cannot read the CA file {}: {e}", path.display())))?,
            path.display().to_string(),
        ),
        ExtraCa::Pem(pem) => (pem.clone(), "the extra CA PEM".to_string()),
    };
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(c)) => certs.push(c.to_owned()),
            Ok(_) => {}
            Err(e) => return Err(bad(format!("{name} is not valid PEM: {e}"))),
        }
    }
    if certs.is_empty() {
        return Err(bad(format!("{name} holds no PEM certificate")));
    }
    Ok(certs)
}

/// The host of `scheme://host[:port]/…` (IPv6 literals keep their brackets).
fn origin_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    if let Some(end) = authority.find(']') {
        &authority[..=end]
    } else {
        authority.split(':').next().unwrap_or(authority)
    }
}

/// A blocking client of the status API. Credentials are held in buffers wiped when the
/// client is dropped and never appear in `Debug` output or errors. One client may be
/// shared between threads (`&self` methods); connections are kept and reused.
pub struct StatusClient {
    agent: ureq::Agent,
    target: StatusTarget,
}

impl fmt::Debug for StatusClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.target.debug("StatusClient", f)
    }
}

impl StatusClient {
    /// A builder with the defaults: region `eu`, system roots, connect timeout 10 s,
    /// request timeout 30 s, bodies up to 16 MiB, [`PollPlan::DEFAULT`], proxies from
    /// the environment for non-loopback hosts.
    pub fn builder(
        account_id: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> StatusClientBuilder {
        StatusClientBuilder {
            account_id: account_id.into(),
            username: Zeroizing::new(username.into()),
            password: Zeroizing::new(password.into()),
            region: None,
            base_url: None,
            extra_ca: Vec::new(),
            system_roots: true,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_body: DEFAULT_MAX_BODY,
            plan: PollPlan::DEFAULT,
            proxy_from_env: true,
        }
    }

    /// The status of a notification (only `recipient`'s events when given, with or
    /// without `email:`).
    ///
    /// `Ok` with `found: false` means the API answered `{}`: unknown id, not visible yet,
    /// or expired (7 days). Errors:
    /// - `invalid_argument`: a bad notification id or recipient ([`status_request`]);
    /// - `auth` (401 `unauthorized`, 403 `forbidden`); `not_found` (404);
    /// - `status_http`: 429 (`too_many_requests`) and 5xx (`server_error`) are transient,
    ///   with the Retry-After in the message ([`StatusClient::get_detailed`] gives it as a
    ///   value); other statuses (`client_error`, `redirect`, `unexpected_status`) are
    ///   permanent; redirects are never followed (they would carry the credentials);
    /// - `invalid_status_response`: the body of a 2xx answer (`malformed_json`,
    ///   `wrong_type`, … with a position, `not_utf8`, `body_too_large`);
    /// - `timeout` (`connect_timeout`, `request_timeout`), `tls` (`certificate`,
    ///   `handshake`), `connection` (`refused`, `reset`, `closed`, `host_not_found`,
    ///   `proxy`, `io`), `protocol` (`http_syntax`, `headers_too_large`).
    pub fn get(&self, notification_id: &str, recipient: Option<&str>) -> Result<Notification> {
        self.get_detailed(notification_id, recipient).result
    }

    /// [`StatusClient::get`] plus the HTTP status and the server's Retry-After, for a
    /// caller's own retry loop.
    pub fn get_detailed(&self, notification_id: &str, recipient: Option<&str>) -> StatusAttempt {
        self.request(notification_id, recipient, self.target.request_timeout)
    }

    /// Polls until the state is final — `recipient`'s ([`Notification::is_final_for`]),
    /// or every recipient's ([`Notification::all_final`]) when `None` — and returns the
    /// final notification, or gives up when `deadline` (from now) has passed.
    ///
    /// Waits follow the client's [`PollPlan`] and honour Retry-After. Transient failures
    /// (429, 5xx, timeouts, connection failures) are retried; any other error ends the
    /// wait at once. `found: false` is polled on until the deadline (a fresh message may
    /// not be visible yet). No wait ends after the deadline; a request gets the smaller
    /// of the request timeout and the time left, but at least [`LAST_POLL_TIME`] (or the
    /// request timeout when smaller), so that the last poll, made at the deadline, can
    /// still be answered; when a Retry-After forbids polling again before the deadline,
    /// the wait ends at once. Giving up is an error of kind `timeout` (reason
    /// `deadline_exceeded`) whose message describes the last state or failure.
    pub fn wait_for(
        &self,
        notification_id: &str,
        recipient: Option<&str>,
        deadline: Duration,
    ) -> Result<Notification> {
        self.wait_for_with(notification_id, recipient, deadline, &mut SystemClock)
    }

    /// [`StatusClient::wait_for`] with an injected clock.
    pub fn wait_for_with(
        &self,
        notification_id: &str,
        recipient: Option<&str>,
        deadline: Duration,
        clock: &mut dyn PollClock,
    ) -> Result<Notification> {
        wait_loop(
            &self.target.plan,
            notification_id,
            recipient,
            deadline,
            clock,
            |time_limit| self.request(notification_id, recipient, self.target.timeout(time_limit)),
        )
    }

    fn request(
        &self,
        notification_id: &str,
        recipient: Option<&str>,
        timeout: Duration,
    ) -> StatusAttempt {
        let req = match self.target.prepare(notification_id, recipient) {
            Ok(r) => r,
            Err(attempt) => return attempt,
        };
        let response = self
            .agent
            .get(&req.url)
            .header("Authorization", req.auth)
            .header("Accept", req.accept)
            .config()
            .timeout_global(Some(timeout))
            .build()
            .call();
        let mut response = match response {
            Ok(r) => r,
            Err(e) => return failed(self.map_ureq(e, &req.url)),
        };
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers().get("retry-after"));
        let result = match http_error(status, retry_after, &req.url, "") {
            None => self
                .read_body(&mut response, &req.url)
                .and_then(|body| parse_status(&body)),
            // The same error again, now quoting the start of the body.
            Some(bare) => {
                let excerpt = self.excerpt(&mut response);
                Err(http_error(status, retry_after, &req.url, &excerpt).unwrap_or(bare))
            }
        };
        StatusAttempt {
            result,
            http_status: Some(status),
            retry_after,
        }
    }

    fn read_body(
        &self,
        response: &mut ureq::http::Response<ureq::Body>,
        url: &str,
    ) -> Result<String> {
        let bytes = response
            .body_mut()
            .with_config()
            .limit(self.target.max_body)
            .read_to_vec()
            .map_err(|e| self.map_ureq(e, url))?;
        body_text(bytes)
    }

    /// The start of an error response's body for the message, unless it holds a
    /// credential (then nothing is quoted): [`crate::status::error_excerpt`] over the
    /// first bytes of the body.
    fn excerpt(&self, response: &mut ureq::http::Response<ureq::Body>) -> String {
        let mut buf = Vec::new();
        let reader = response.body_mut().as_reader();
        let _ = reader.take(EXCERPT_BYTES as u64).read_to_end(&mut buf);
        self.target.excerpt(&buf)
    }

    fn map_ureq(&self, e: ureq::Error, url: &str) -> Error {
        self.target
            .scrub(map_ureq_error(e, url, self.target.max_body), url)
    }
}

use crate::status::body_text;

/// Belt and braces: an error whose (library) message echoes a credential is replaced by
/// one that says only what failed.
fn scrub(err: Error, url: &str, secrets: &[&str]) -> Error {
    if secrets
        .iter()
        .any(|s| !s.is_empty() && err.message().contains(s))
    {
        let reason = err.reason();
        let mut clean =
            Error::new(err.kind(), format!("GET {url} failed")).with_transient(err.transient());
        if let Some(r) = reason {
            clean = clean.with_reason(r);
        }
        return clean;
    }
    err
}

fn map_ureq_error(e: ureq::Error, url: &str, max_body: u64) -> Error {
    use ureq::Error as U;
    let conn = |reason: &'static str, what: String| {
        Error::new(ErrorKind::Connection, format!("GET {url}: {what}"))
            .with_reason(reason)
            .with_transient(true)
    };
    match e {
        U::Timeout(t) => {
            let reason = match t {
                ureq::Timeout::Connect | ureq::Timeout::Resolve => "connect_timeout",
                _ => "request_timeout",
            };
            Error::new(ErrorKind::Timeout, format!("GET {url}: timed out ({t})"))
                .with_reason(reason)
                .with_transient(true)
        }
        U::HostNotFound => conn("host_not_found", "host not found".into()),
        U::ConnectionFailed => conn("io", "connection failed".into()),
        U::Io(io) => io_error(&io, url),
        U::Rustls(tls) => tls_error(&tls, url),
        U::Tls(what) => {
            Error::new(ErrorKind::Tls, format!("GET {url}: TLS: {what}")).with_reason("handshake")
        }
        U::TlsRequired => {
            Error::new(ErrorKind::Tls, format!("GET {url}: TLS required")).with_reason("handshake")
        }
        U::BodyExceedsLimit(_) => Error::new(
            ErrorKind::InvalidStatusResponse,
            format!("GET {url}: the response body is larger than {max_body} bytes"),
        )
        .with_reason("body_too_large"),
        U::Protocol(p) => Error::new(
            ErrorKind::Protocol,
            format!("GET {url}: the server broke HTTP/1.1 ({p})"),
        )
        .with_reason("http_syntax"),
        U::LargeResponseHeader(got, max) => Error::new(
            ErrorKind::Protocol,
            format!("GET {url}: response headers too large ({got} > {max} bytes)"),
        )
        .with_reason("headers_too_large"),
        U::ConnectProxyFailed(what) => conn("proxy", format!("proxy refused: {what}")),
        U::InvalidProxyUrl => conn("proxy", "invalid proxy URL in the environment".into()),
        U::TooManyRedirects | U::RedirectFailed => Error::new(
            ErrorKind::StatusHttp,
            format!("GET {url}: redirect (not followed)"),
        )
        .with_reason("redirect"),
        other => conn("io", other.to_string()),
    }
}

/// An I/O failure of a request: a TLS error inside it, a refused, reset or closed
/// connection, a timeout, or another I/O error (kind `connection`, reason `io`).
fn io_error(io: &std::io::Error, url: &str) -> Error {
    if let Some(tls) = io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return tls_error(tls, url);
    }
    let conn = |reason: &'static str, what: String| {
        Error::new(ErrorKind::Connection, format!("GET {url}: {what}"))
            .with_reason(reason)
            .with_transient(true)
    };
    use std::io::ErrorKind as K;
    match io.kind() {
        K::ConnectionRefused => conn("refused", "connection refused".into()),
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => {
            conn("reset", format!("connection reset ({io})"))
        }
        K::UnexpectedEof => conn("closed", "the server closed the connection".into()),
        K::TimedOut | K::WouldBlock => {
            Error::new(ErrorKind::Timeout, format!("GET {url}: timed out ({io})"))
                .with_reason("request_timeout")
                .with_transient(true)
        }
        _ => conn("io", format!("I/O error ({io})")),
    }
}

fn tls_error(e: &rustls::Error, url: &str) -> Error {
    let reason = match e {
        rustls::Error::InvalidCertificate(_) => "certificate",
        _ => "handshake",
    };
    Error::new(ErrorKind::Tls, format!("GET {url}: TLS failed: {e}")).with_reason(reason)
}

/// Drives a [`Poller`] with `clock` and `fetch(time_limit)`, one request that must end
/// within `time_limit` (`None`: no limit from the deadline).
fn wait_loop(
    plan: &PollPlan,
    notification_id: &str,
    recipient: Option<&str>,
    deadline: Duration,
    clock: &mut dyn PollClock,
    mut fetch: impl FnMut(Option<Duration>) -> StatusAttempt,
) -> Result<Notification> {
    let start = clock.now();
    let mut poller = Poller::new(*plan, notification_id, recipient, Some(deadline));
    loop {
        match poller.next(clock.now().saturating_duration_since(start)) {
            PollStep::Fetch { time_limit } => {
                let attempt = fetch(time_limit);
                poller.record(attempt.result, attempt.retry_after);
            }
            PollStep::Sleep(wait) => clock.sleep(wait),
            PollStep::Done(n) => return Ok(n),
            PollStep::GiveUp(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests;
