//! [`AsyncStatusClient`] (feature `tokio`): the status client over reqwest and tokio. It
//! executes the same core rules as the blocking [`StatusClient`](super::StatusClient):
//! the request from `status_request`, the answer mapping of `http_error` and
//! `parse_status`, the waits of the sans-I/O [`Poller`]; the builder, its checks, the
//! extra CA reading and the I/O error mapping are the blocking client's, the account,
//! request forming, excerpts and credential scrubbing the shared `target` module's.

use super::target::{failed, retry_after, StatusTarget, EXCERPT_BYTES};
use super::{
    body_text, io_error, read_extra_ca, tls_error, user_agent, StatusAttempt, StatusClientBuilder,
};
use crate::error::{Error, ErrorKind, Result};
use crate::status::{http_error, parse_status, Notification, PollStep, Poller};
use reqwest::header::{ACCEPT, AUTHORIZATION, RETRY_AFTER};
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};
use std::error::Error as _;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// An asynchronous client of the status API, with the blocking client's API as `async
/// fn`s (`get`, `get_detailed`, `wait_for`). Credentials are held in buffers wiped when
/// the client is dropped and never appear in `Debug` output or errors. Cheap to share
/// (`&self` methods); connections are kept and reused.
pub struct AsyncStatusClient {
    http: reqwest::Client,
    target: StatusTarget,
}

impl fmt::Debug for AsyncStatusClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.target.debug("AsyncStatusClient", f)
    }
}

impl StatusClientBuilder {
    /// Checks the settings as [`StatusClientBuilder::build`] does and makes an
    /// [`AsyncStatusClient`]: the same roots (extra CAs, the system store for an https
    /// origin), rustls with the ring provider, no redirects, proxies from the
    /// environment for non-loopback hosts when asked.
    pub fn build_async(self) -> Result<AsyncStatusClient> {
        let origin = self.check()?;
        let mut roots = RootCertStore::empty();
        for ca in &self.extra_ca {
            for cert in read_extra_ca(ca)? {
                let der = CertificateDer::from(cert.der().to_vec());
                roots.add(der).map_err(|e| {
                    Error::new(
                        ErrorKind::InvalidArgument,
                        format!("bad certificate in the extra CA: {e}"),
                    )
                    .with_reason("invalid_ca_file")
                })?;
            }
        }
        if origin.https && self.system_roots {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut tls = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| {
                Error::new(ErrorKind::Tls, format!("TLS configuration: {e}")).with_reason("config")
            })?
            .with_root_certificates(roots)
            .with_no_client_auth();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let mut http = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .http1_only()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout)
            .user_agent(user_agent());
        if !self.proxy_from_env || origin.loopback {
            http = http.no_proxy();
        }
        let http = http.build().map_err(|e| {
            Error::new(ErrorKind::Internal, format!("the HTTP client: {e}")).with_reason("config")
        })?;
        Ok(AsyncStatusClient {
            http,
            target: self.into_target(),
        })
    }
}

impl AsyncStatusClient {
    /// The status of a notification; see [`StatusClient::get`](super::StatusClient::get)
    /// for the results and error kinds, which are the same.
    pub async fn get(
        &self,
        notification_id: &str,
        recipient: Option<&str>,
    ) -> Result<Notification> {
        self.get_detailed(notification_id, recipient).await.result
    }

    /// [`AsyncStatusClient::get`] plus the HTTP status and the server's Retry-After.
    pub async fn get_detailed(
        &self,
        notification_id: &str,
        recipient: Option<&str>,
    ) -> StatusAttempt {
        self.request(notification_id, recipient, self.target.request_timeout)
            .await
    }

    /// Polls until the state is final, or gives up when `deadline` (from now) has
    /// passed; the rules of [`StatusClient::wait_for`](super::StatusClient::wait_for),
    /// decided by the core's [`Poller`], with tokio's clock and timers.
    pub async fn wait_for(
        &self,
        notification_id: &str,
        recipient: Option<&str>,
        deadline: Duration,
    ) -> Result<Notification> {
        let start = tokio::time::Instant::now();
        let mut poller = Poller::new(self.target.plan, notification_id, recipient, Some(deadline));
        loop {
            match poller.next(start.elapsed()) {
                PollStep::Fetch { time_limit } => {
                    let timeout = self.target.timeout(time_limit);
                    let attempt = self.request(notification_id, recipient, timeout).await;
                    poller.record(attempt.result, attempt.retry_after);
                }
                PollStep::Sleep(wait) => tokio::time::sleep(wait).await,
                PollStep::Done(n) => return Ok(n),
                PollStep::GiveUp(e) => return Err(e),
            }
        }
    }

    async fn request(
        &self,
        notification_id: &str,
        recipient: Option<&str>,
        timeout: Duration,
    ) -> StatusAttempt {
        let req = match self.target.prepare(notification_id, recipient) {
            Ok(r) => r,
            Err(attempt) => return attempt,
        };
        let sent = self
            .http
            .get(&req.url)
            .header(AUTHORIZATION, req.auth)
            .header(ACCEPT, req.accept)
            .timeout(timeout)
            .send()
            .await;
        let mut response = match sent {
            Ok(r) => r,
            Err(e) => return failed(self.map_reqwest(&e, &req.url)),
        };
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers().get(RETRY_AFTER));
        let result = match http_error(status, retry_after, &req.url, "") {
            None => match self.read_body(&mut response, &req.url).await {
                Ok(body) => parse_status(&body),
                Err(e) => Err(e),
            },
            // The same error again, now quoting the start of the body.
            Some(bare) => {
                let excerpt = self.excerpt(&mut response).await;
                Err(http_error(status, retry_after, &req.url, &excerpt).unwrap_or(bare))
            }
        };
        StatusAttempt {
            result,
            http_status: Some(status),
            retry_after,
        }
    }

    /// The body, at most `max_body` bytes (`body_too_large` beyond), as UTF-8 text.
    async fn read_body(&self, response: &mut reqwest::Response, url: &str) -> Result<String> {
        let mut bytes = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if (bytes.len() + chunk.len()) as u64 > self.target.max_body {
                        return Err(Error::new(
                            ErrorKind::InvalidStatusResponse,
                            format!(
                                "GET {url}: the response body is larger than {} bytes",
                                self.target.max_body
                            ),
                        )
                        .with_reason("body_too_large"));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => return body_text(bytes),
                Err(e) => return Err(self.map_reqwest(&e, url)),
            }
        }
    }

    /// The start of an error response's body, unless it holds a credential.
    async fn excerpt(&self, response: &mut reqwest::Response) -> String {
        let mut buf = Vec::new();
        while buf.len() < EXCERPT_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => buf.extend_from_slice(&chunk),
                _ => break,
            }
        }
        buf.truncate(EXCERPT_BYTES);
        self.target.excerpt(&buf)
    }

    fn map_reqwest(&self, e: &reqwest::Error, url: &str) -> Error {
        self.target.scrub(map_reqwest_error(e, url), url)
    }
}

/// Maps a reqwest failure to the blocking client's kinds and reasons: the causes in its
/// source chain (a TLS error, an I/O error, a name that does not resolve, a broken
/// response) first, then what reqwest says of it.
fn map_reqwest_error(e: &reqwest::Error, url: &str) -> Error {
    let conn = |reason: &'static str, what: String| {
        Error::new(ErrorKind::Connection, format!("GET {url}: {what}"))
            .with_reason(reason)
            .with_transient(true)
    };
    if e.is_timeout() {
        let reason = if e.is_connect() {
            "connect_timeout"
        } else {
            "request_timeout"
        };
        return Error::new(ErrorKind::Timeout, format!("GET {url}: timed out"))
            .with_reason(reason)
            .with_transient(true);
    }
    let mut source = e.source();
    while let Some(cause) = source {
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return tls_error(tls, url);
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return io_error(io, url);
        }
        if let Some(h) = cause.downcast_ref::<hyper::Error>() {
            if h.is_incomplete_message() {
                return conn("closed", "the server closed the connection".into());
            }
            if h.is_parse() || h.is_parse_status() {
                return Error::new(
                    ErrorKind::Protocol,
                    format!("GET {url}: the server broke HTTP/1.1 ({h})"),
                )
                .with_reason("http_syntax");
            }
        }
        if cause.to_string().contains("dns error") {
            return conn("host_not_found", "host not found".into());
        }
        source = cause.source();
    }
    if e.is_connect() {
        return conn("io", "connection failed".into());
    }
    conn("io", e.to_string())
}
