//! `status`: the state of a notification, read once or waited for until final (or the
//! `--wait` deadline), as one JSON line. The blocking `StatusClient` makes the requests
//! of the native commands ([`main`]); a host's GET under the core's [`Poller`] those of
//! a binding without it ([`main_host`]), with the same flags, checks and lines.

use super::args::{Flag, Flags};
use super::host::{AsyncCommandHost, CommandHost, HttpGet};
use super::{json, usage, EXIT_OK};
use crate::error::ErrorKind;
use crate::status::{
    body_text, judge_answer, parse_status, status_request, HttpAnswer, Notification, PollPlan,
    PollStep, Poller, StatusQuery, DEFAULT_MAX_BODY, DEFAULT_REQUEST_TIMEOUT,
};
use crate::Error;
use std::ffi::OsString;
use std::io::Write;
use std::time::{Duration, SystemTime};
use zeroize::{Zeroize, Zeroizing};

const FLAGS: &[Flag] = &[
    Flag::once("account"),
    Flag::once("username"),
    Flag::once("password-env"),
    Flag::once("region"),
    Flag::once("base-url"),
    Flag::once("ca"),
    Flag::once("id"),
    Flag::once("recipient"),
    Flag::once("wait"),
    Flag::once("timeout"),
];

#[cfg(feature = "cli")]
pub(super) fn main(args: Vec<OsString>, out: &mut dyn Write) -> u8 {
    let result = Flags::parse(args, FLAGS).and_then(|flags| {
        let notification = run(&flags)?;
        let _ = writeln!(out, "{}", json::notification(&notification));
        Ok(EXIT_OK)
    });
    super::finish(out, result)
}

#[cfg(feature = "cli")]
fn run(flags: &Flags) -> Result<Notification, Error> {
    use crate::http::StatusClient;
    let account = flags.required("account")?;
    let username = flags.required("username")?;
    let password = flags
        .password(&super::host::StdHost)?
        .ok_or_else(|| usage("--password-env is required"))?;
    let id = flags.required("id")?;
    let recipient = flags.get("recipient");
    let mut builder = StatusClient::builder(account, username, password);
    if let Some(region) = flags.get("region") {
        builder = builder.region(region);
    }
    if let Some(url) = flags.get("base-url") {
        builder = builder.base_url(url);
    }
    if let Some(ca) = flags.get("ca") {
        builder = builder.extra_ca_file(ca);
    }
    if let Some(limit) = flags.seconds("timeout")? {
        builder = builder.connect_timeout(limit).request_timeout(limit);
    }
    let wait = flags.seconds("wait")?;
    let client = builder.build()?;
    match wait {
        Some(deadline) => client.wait_for(id, recipient, deadline),
        None => client.get(id, recipient),
    }
}

/// `status` over a host's GET: the same flags, checks, JSON line and exit codes as
/// [`main`].
pub(super) async fn main_host<H: AsyncCommandHost>(
    host: &H,
    args: Vec<OsString>,
    out: &mut dyn Write,
) -> u8 {
    let read = Flags::parse(args, FLAGS).and_then(|flags| Target::read(&flags, host));
    let result = match read {
        Ok(target) => target.run(host).await.map(|notification| {
            let _ = writeln!(out, "{}", json::notification(&notification));
            EXIT_OK
        }),
        Err(e) => Err(e),
    };
    super::finish(out, result)
}

/// The request the flags describe, checked as the blocking client checks its own.
struct Target {
    account: String,
    username: Zeroizing<String>,
    password: Zeroizing<String>,
    region: Option<String>,
    base_url: Option<String>,
    id: String,
    recipient: Option<String>,
    extra_ca_pem: Option<Vec<u8>>,
    request_timeout: Duration,
    wait: Option<Duration>,
}

impl Target {
    /// The flags in the blocking command's order, then the client's own checks: the
    /// account, origin and user name; the extra CA file (readable, with a certificate).
    fn read(flags: &Flags, host: &dyn CommandHost) -> Result<Target, Error> {
        let account = flags.required("account")?;
        let username = Zeroizing::new(flags.required("username")?.to_string());
        let password = Zeroizing::new(
            flags
                .password(host)?
                .ok_or_else(|| usage("--password-env is required"))?,
        );
        let id = flags.required("id")?;
        let request_timeout = flags.seconds("timeout")?;
        let wait = flags.seconds("wait")?;
        let target = Target {
            account: account.to_string(),
            username,
            password,
            region: flags.get("region").map(str::to_string),
            base_url: flags.get("base-url").map(str::to_string),
            id: id.to_string(),
            recipient: flags.get("recipient").map(str::to_string),
            extra_ca_pem: None,
            request_timeout: request_timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT),
            wait,
        };
        // The account, origin and user name, with a placeholder id (as the client's
        // builder checks them).
        status_request(&target.query("0"))?;
        let extra_ca_pem = match flags.get("ca") {
            Some(path) => Some(read_ca(host, path)?),
            None => None,
        };
        Ok(Target {
            extra_ca_pem,
            ..target
        })
    }

    fn query<'a>(&'a self, id: &'a str) -> StatusQuery<'a> {
        StatusQuery {
            account_id: &self.account,
            notification_id: id,
            recipient: self.recipient.as_deref(),
            region: self.region.as_deref(),
            base_url: self.base_url.as_deref(),
            username: &self.username,
            password: &self.password,
        }
    }

    /// One read, or the wait until final under the core's poller.
    async fn run<H: AsyncCommandHost>(&self, host: &H) -> Result<Notification, Error> {
        let Some(deadline) = self.wait else {
            return self.attempt(host, None).await.0;
        };
        let start = host.now();
        let recipient = self.recipient.as_deref();
        let mut poller = Poller::new(PollPlan::DEFAULT, &self.id, recipient, Some(deadline));
        loop {
            match poller.next(host.now().saturating_sub(start)) {
                PollStep::Fetch { time_limit } => {
                    let (result, retry_after) = self.attempt(host, time_limit).await;
                    poller.record(result, retry_after);
                }
                PollStep::Sleep(wait) => host.sleep(wait).await,
                PollStep::Done(n) => return Ok(n),
                PollStep::GiveUp(e) => return Err(e),
            }
        }
    }

    /// One request within `time_limit` (and the request timeout): the notification or
    /// the error, and the server's Retry-After.
    async fn attempt<H: AsyncCommandHost>(
        &self,
        host: &H,
        time_limit: Option<Duration>,
    ) -> (Result<Notification, Error>, Option<Duration>) {
        let mut request = match status_request(&self.query(&self.id)) {
            Ok(r) => r,
            Err(e) => return (Err(e), None),
        };
        let timeout = time_limit.map_or(self.request_timeout, |t| t.min(self.request_timeout));
        let got = host
            .get(&HttpGet {
                url: &request.url,
                authorization: &request.authorization,
                accept: request.accept,
                timeout,
                max_body: DEFAULT_MAX_BODY,
                extra_ca_pem: self.extra_ca_pem.as_deref(),
            })
            .await;
        request.authorization.zeroize();
        let got = match got {
            Ok(got) => got,
            Err((failure, detail)) => {
                let e = failure.error(&request.url, &detail);
                return (Err(self.scrub(e, &request.url)), None);
            }
        };
        let text = Zeroizing::new(String::from_utf8_lossy(&got.body).into_owned());
        let verdict = judge_answer(
            &HttpAnswer {
                status: got.status,
                retry_after: got.retry_after.as_deref(),
                url: &request.url,
                body: &text,
                username: &self.username,
                password: &self.password,
            },
            SystemTime::UNIX_EPOCH + host.since_epoch(),
        );
        let result = match verdict.error {
            Some(e) => Err(e),
            None => body_text(got.body).and_then(|body| parse_status(&body)),
        };
        (result, verdict.retry_after)
    }

    /// `err` without a credential in its message (what the host said is quoted).
    fn scrub(&self, err: Error, url: &str) -> Error {
        let secrets = [self.username.as_str(), self.password.as_str()];
        if !secrets
            .iter()
            .any(|s| !s.is_empty() && err.message().contains(s))
        {
            return err;
        }
        let mut clean =
            Error::new(err.kind(), format!("GET {url} failed")).with_transient(err.transient());
        if let Some(r) = err.reason() {
            clean = clean.with_reason(r);
        }
        clean
    }
}

/// The extra CA file of `--ca`: readable, and holding a PEM certificate (errors as the
/// blocking client's, reason `invalid_ca_file`).
fn read_ca(host: &dyn CommandHost, path: &str) -> Result<Vec<u8>, Error> {
    let bad =
        |msg: String| Error::new(ErrorKind::InvalidArgument, msg).with_reason("invalid_ca_file");
    let pem = host
        .read_file(path)
        .map_err(|e| bad(format!("cannot read the CA file {path}: {e}")))?;
    let marker: &[u8] = b"-----BEGIN CERTIFICATE-----";
    if !pem.windows(marker.len()).any(|w| w == marker) {
        return Err(bad(format!("{path} holds no PEM certificate")));
    }
    Ok(pem)
}
