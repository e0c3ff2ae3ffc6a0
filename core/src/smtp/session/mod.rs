//! The SMTP client session, written once for every kind of I/O: [`Session`] drives the
//! sans-I/O engine over an [`SmtpIo`] (one connection's bytes, clock and TLS) and holds
//! all the logic around it — opening a connection (greeting, EHLO, STARTTLS, AUTH),
//! idle expiry, the RSET probe of a reused connection and the reconnect when the server
//! closed it, the one safe resend of a message, batches with transactions in flight and
//! their further attempts, the sender policy, the deadline of each step and the bounded
//! QUIT. The blocking client runs it over `std::net` (`transport::blocking_io`), the
//! tokio client over tokio (`transport::tokio_io`); a JavaScript host can run it over its
//! own sockets. The trait uses no socket, runtime or `Instant` type.
//!
//! - `drive`: the loop that moves the engine to a goal (ready, a message delivered, a
//!   batch finished, closed), step deadlines included;
//! - `send`: single sends, batches and their attempts;
//! - `trace`: the `tracing` span of each connection and its events (feature `tracing`).

mod drive;
mod send;
mod trace;

use super::engine::{Delivery, Direction, Engine, EngineConfig, MessageNeeds, TlsMode};
use super::transport::SmtpOptions;
use super::Capabilities;
use crate::address::{Address, AddressOptions, Mode};
use crate::error::{Error, ErrorKind, Result};
use crate::message::{BuiltMessage, Envelope};
use crate::policy::SenderPolicy;
use core::net::IpAddr;
use std::fmt;
use std::time::Duration;

pub use send::MAX_BATCH_ATTEMPTS;

/// Why a read or write failed: its deadline passed, or the connection is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IoFailure {
    /// The time given to the read or write passed.
    TimedOut(String),
    /// The connection was lost (reset, closed, TLS error…), with the cause.
    Lost(String),
}

/// The I/O under one SMTP connection at a time, as a [`Session`] uses it. An
/// implementation owns the socket, the TLS layer (its configuration, roots and
/// verification) and a monotonic clock; the session owns every rule. Every method that
/// waits is given the time it may take as a whole and fails when it passes.
///
/// Blocking implementations return futures that are ready when first polled (the
/// blocking client polls each once); asynchronous ones may wait. A future dropped before
/// it finishes leaves the connection in an unknown state: the session then closes it
/// (see [`Session::interrupted`]).
#[allow(async_fn_in_trait)]
pub trait SmtpIo {
    /// A monotonic clock since an arbitrary origin.
    fn now(&self) -> Duration;

    /// Resolves `host` and opens a connection to `port`, all within `timeout` (errors:
    /// `timeout` or `connection`, reasons `resolve` / `connect`). With `loopback_only`
    /// (the insecure plaintext mode), an address outside loopback is refused
    /// (`invalid_argument`, reason `plaintext_not_loopback`). Returns the local address
    /// when known (the default EHLO name is made from it).
    async fn connect(
        &mut self,
        host: &str,
        port: u16,
        loopback_only: bool,
        timeout: Duration,
    ) -> Result<Option<IpAddr>>;

    /// Runs the TLS handshake on the open connection (STARTTLS, or implicit TLS right
    /// after connecting), verifying `server_name`, within `timeout` (`timeout`, reason
    /// `tls_handshake`; `tls` errors otherwise). Reads and writes then go through TLS.
    async fn start_tls(&mut self, server_name: &str, timeout: Duration) -> Result<()>;

    /// Writes all of `bytes` (flushed) within `timeout`.
    async fn write_all(
        &mut self,
        bytes: &[u8],
        timeout: Duration,
    ) -> std::result::Result<(), IoFailure>;

    /// Reads what is available into `buf` (at least one byte), waiting at most
    /// `timeout`; `Ok(0)` when the server closed the connection.
    async fn read(
        &mut self,
        buf: &mut [u8],
        timeout: Duration,
    ) -> std::result::Result<usize, IoFailure>;

    /// Closes the connection at once (an implementation may send TLS close_notify if it
    /// can without waiting long). Calling it with no connection open does nothing.
    fn close(&mut self);
}

/// The longest wait for the server's answer to the QUIT sent when a client is dropped
/// or a connection expires (each step is bounded by it or by the command limit, if
/// shorter).
pub const QUIT_ON_DROP_LIMIT: Duration = Duration::from_secs(5);

/// The engine of the open connection and what the session knows of it.
struct Conn {
    engine: Engine,
    /// A message was submitted on it (a reuse may then start with an RSET probe).
    used: bool,
    /// When its last exchange ended ([`SmtpIo::now`]).
    last_used: Duration,
    /// The deadline of the reply being read, set when the first read for it starts and
    /// cleared when its last line arrives.
    reply_deadline: Option<Duration>,
}

/// One message for `send_many`: envelope, bytes and needs, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// MAIL FROM and RCPT TO.
    pub envelope: &'a Envelope,
    /// The RFC 5322 message.
    pub bytes: &'a [u8],
    /// SMTPUTF8 / 8BITMIME needs.
    pub needs: MessageNeeds,
}

impl<'a> Outgoing<'a> {
    /// Raw bytes with an envelope; the needs are detected as `send_raw` does.
    pub fn raw(envelope: &'a Envelope, bytes: &'a [u8]) -> Outgoing<'a> {
        Outgoing {
            envelope,
            bytes,
            needs: raw_needs(envelope, bytes),
        }
    }
}

impl<'a> From<&'a BuiltMessage> for Outgoing<'a> {
    fn from(message: &'a BuiltMessage) -> Outgoing<'a> {
        Outgoing {
            envelope: &message.envelope,
            bytes: &message.bytes,
            needs: built_needs(message),
        }
    }
}

/// The needs of a built message.
pub(crate) fn built_needs(message: &BuiltMessage) -> MessageNeeds {
    MessageNeeds {
        smtputf8: message.smtputf8,
        eight_bit: message.eight_bit,
    }
}

/// The needs of raw bytes: SMTPUTF8 for a non-ASCII address, 8BITMIME for 8-bit data.
pub(crate) fn raw_needs(envelope: &Envelope, bytes: &[u8]) -> MessageNeeds {
    MessageNeeds {
        smtputf8: !envelope.mail_from.is_ascii() || envelope.rcpt_to.iter().any(|r| !r.is_ascii()),
        eight_bit: !bytes.is_ascii(),
    }
}

/// Refuses an envelope whose MAIL FROM is outside `policy`: the empty reverse path
/// with `sender_not_registered` (reason `null_reverse_path`), an unparsable one with
/// the address error, an unregistered one with `sender_not_registered`.
fn check_sender(policy: &SenderPolicy, envelope: &Envelope) -> Result<()> {
    let from = envelope.mail_from.trim();
    let from = from
        .strip_prefix('<')
        .and_then(|f| f.strip_suffix('>'))
        .unwrap_or(from);
    if from.is_empty() {
        return Err(Error::new(
            ErrorKind::SenderNotRegistered,
            "the empty reverse path <> is not a registered sender (a sender policy is set)",
        )
        .with_reason("null_reverse_path"));
    }
    let options = AddressOptions {
        mode: Mode::Envelope,
        allow_quoted_local: true,
        allow_domain_literal: true,
    };
    policy.check(&Address::parse(from, &options)?)
}

/// The error of an operation on a closed connection.
fn closed_error() -> Error {
    Error::new(ErrorKind::Connection, "the connection is closed").with_reason("closed")
}

/// An SMTP session over `I`: one connection at a time, opened on first use and
/// re-opened when the server closed it while idle. The options must have been checked
/// (EHLO name, plaintext rule, TLS configuration) by whoever made `I`.
pub struct Session<I: SmtpIo> {
    options: SmtpOptions,
    io: I,
    conn: Option<Box<Conn>>,
    /// Round trips of the connections already closed.
    closed_round_trips: u64,
    /// Batch outcomes taken from engines (kept across a dropped connection).
    finished: Vec<(usize, Result<Delivery>)>,
    /// An operation started and has not finished: if it is still set when the next one
    /// starts, the previous one was abandoned (its future dropped, or a panic) and the
    /// connection is in an unknown state.
    busy: bool,
    /// The `tracing` span of the current connection (empty without the feature).
    trace: trace::ConnSpan,
}

impl<I: SmtpIo> fmt::Debug for Session<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("options", &self.options)
            .field("connected", &self.conn.is_some())
            .finish()
    }
}

impl<I: SmtpIo> Session<I> {
    /// A session that connects on first use.
    pub fn new(options: SmtpOptions, io: I) -> Session<I> {
        Session {
            options,
            io,
            conn: None,
            closed_round_trips: 0,
            finished: Vec::new(),
            busy: false,
            trace: trace::ConnSpan::default(),
        }
    }

    /// The options.
    pub fn options(&self) -> &SmtpOptions {
        &self.options
    }

    /// The I/O.
    pub fn io(&self) -> &I {
        &self.io
    }

    /// How many times the session waited for the server after writing, over every
    /// connection it opened (see `SmtpClient::round_trips`).
    pub fn round_trips(&self) -> u64 {
        self.closed_round_trips + self.conn.as_ref().map_or(0, |c| c.engine.round_trips())
    }

    /// The capabilities of the open connection, if any.
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.conn.as_ref().map(|c| c.engine.capabilities())
    }

    /// Whether a connection is open.
    pub fn is_connected(&self) -> bool {
        self.conn.is_some()
    }

    /// Whether the last operation was abandoned before it finished (its future dropped
    /// or a panic): the connection's state is unknown and the next operation closes it
    /// first. A pool discards such a connection when it is given back.
    pub fn interrupted(&self) -> bool {
        self.busy
    }

    /// Starts an operation: closes the connection left by an abandoned one.
    fn begin(&mut self) {
        if self.busy {
            self.discard();
        }
        self.busy = true;
    }

    fn hook(&self, dir: Direction, line: &str) {
        self.trace.line(dir, line);
        if let Some(h) = &self.options.transcript {
            h(dir, line);
        }
    }

    fn server_name(&self) -> &str {
        self.options
            .server_name
            .as_deref()
            .unwrap_or(&self.options.host)
    }

    /// Connects now (greeting, EHLO, STARTTLS, AUTH done), closing any open connection.
    pub async fn connect(&mut self) -> Result<()> {
        self.begin();
        let r = self.open().await;
        self.busy = false;
        r
    }

    async fn open(&mut self) -> Result<()> {
        if self.conn.is_some() {
            self.drop_conn();
        }
        let plaintext = self.options.tls == TlsMode::InsecurePlaintext;
        let local = self
            .io
            .connect(
                &self.options.host,
                self.options.port,
                plaintext,
                self.options.timeouts.connect,
            )
            .await?;
        self.trace = trace::ConnSpan::connected(&self.options.host, self.options.port);
        let r = self.start(local).await;
        if r.is_err() {
            self.io.close();
        }
        r?;
        self.drive(drive::Goal::Ready).await.map(|_| ())
    }

    /// The engine of a new connection, after implicit TLS when asked.
    async fn start(&mut self, local: Option<IpAddr>) -> Result<()> {
        let ehlo_name = match (&self.options.ehlo_name, local) {
            (Some(n), _) => n.clone(),
            (None, Some(IpAddr::V4(a))) => format!("[{a}]"),
            (None, Some(IpAddr::V6(a))) => format!("[IPv6:{a}]"),
            (None, None) => "localhost".to_string(),
        };
        let engine = Engine::new(EngineConfig {
            ehlo_name,
            tls: self.options.tls,
            credentials: self.options.credentials.clone(),
            auth_mechanism: self.options.auth_mechanism,
            pipelining: self.options.pipelining,
            chunking: self.options.chunking,
        })?;
        if self.options.tls == TlsMode::Implicit {
            let name = self.server_name().to_string();
            self.io
                .start_tls(&name, self.options.timeouts.greeting)
                .await?;
            self.trace.tls_established(&name);
        }
        self.conn = Some(Box::new(Conn {
            engine,
            used: false,
            last_used: self.io.now(),
            reply_deadline: None,
        }));
        Ok(())
    }

    /// Closes the connection (no QUIT), keeping its batch outcomes and round trips.
    fn drop_conn(&mut self) {
        if let Some(mut c) = self.conn.take() {
            self.finished.extend(c.engine.take_finished());
            self.closed_round_trips += c.engine.round_trips();
            self.io.close();
            self.trace.closed();
        }
    }

    /// Whether the open connection has been idle for longer than
    /// [`SmtpOptions::idle_expiry`].
    pub fn idle_expired(&self) -> bool {
        let now = self.io.now();
        self.conn
            .as_ref()
            .is_some_and(|c| now.saturating_sub(c.last_used) > self.options.idle_expiry)
    }

    /// QUIT with each step bounded by [`QUIT_ON_DROP_LIMIT`] (or the command limit if
    /// shorter), then closes the connection, whatever the answer. A connection left by
    /// an abandoned operation is closed without a word.
    pub async fn close_bounded(&mut self) {
        if self.busy {
            self.discard();
        }
        self.quit_bounded().await;
    }

    /// QUIT within [`QUIT_ON_DROP_LIMIT`] per step, then closes the connection.
    async fn quit_bounded(&mut self) {
        if self.conn.as_ref().is_some_and(|c| c.engine.is_ready()) {
            let command = self.options.timeouts.command;
            self.options.timeouts.command = command.min(QUIT_ON_DROP_LIMIT);
            let _ = self.quit_inner().await;
            self.options.timeouts.command = command;
        }
        self.drop_conn();
    }

    /// Closes the connection without a word (its state is unknown, e.g. after a panic
    /// or a dropped future in the middle of a send).
    pub fn discard(&mut self) {
        self.drop_conn();
        self.finished.clear();
        self.busy = false;
    }

    /// Ends the session politely (QUIT) and closes the connection.
    pub async fn quit(&mut self) -> Result<()> {
        self.begin();
        let r = self.quit_inner().await;
        self.busy = false;
        r
    }

    async fn quit_inner(&mut self) -> Result<()> {
        let Some(conn) = self.conn.as_mut() else {
            return Ok(());
        };
        conn.engine.quit();
        let r = self.drive(drive::Goal::Closed).await.map(|_| ());
        self.drop_conn();
        r
    }
}
