//! The SMTP client protocol engine, without I/O (sans-I/O).
//!
//! Server bytes go in through [`Engine::feed`]; what the client must do comes out of
//! [`Engine::poll`] as [`Action`]s: bytes to write, "start TLS now", "ready for a
//! message", "this message is done". Every protocol rule lives here — greeting, EHLO
//! and its HELO fallback, STARTTLS (required by default, never a plaintext fallback),
//! AUTH PLAIN / LOGIN, MAIL / RCPT / DATA with PIPELINING, BDAT (RFC 3030 CHUNKING)
//! when offered, per-recipient results, "too many recipients" follow-up transactions,
//! RSET, QUIT, and batches of whole transactions kept in flight on one connection
//! ([`Engine::batch_add`], [`Engine::batch_start`]) — so that it is tested without
//! sockets and any driver (blocking, async) only moves bytes.
//!
//! The engine also counts round trips ([`Engine::round_trips`]): the number of times
//! the driver fed server bytes after having taken bytes to write since the previous
//! feed, i.e. the number of times the client waited for the server after writing.
//!
//! One file per phase: this one holds the public types, the reading of replies and the
//! end of a session (421, lost connection, timeout, QUIT); `handshake.rs` the greeting,
//! EHLO/HELO, STARTTLS and AUTH; `txn.rs` the bookkeeping of one transaction and the one
//! handler of its replies; `send.rs` the checks made before a message and the single-send
//! driver; `batch.rs` batches of transactions in flight.
//!
//! Credentials: an [`Output`] that carries them (`sensitive`) is wiped when dropped,
//! polled or not, is not `Clone`, and its `Debug` never shows its bytes; neither does
//! the `Debug` of [`Action`] or [`Engine`].

mod batch;
mod handshake;
mod send;
mod txn;

pub use handshake::check_ehlo_name;

use super::capabilities::Capabilities;
use super::credentials::Credentials;
use crate::error::{Error, ErrorKind, Result};
use crate::reply::{Reply, ReplyReader};
use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use txn::{Expect, Txn};
use zeroize::Zeroize;

/// The longest reply line accepted, CRLF excluded: the core's reply bound
/// ([`crate::reply::MAX_LINE_LEN`]). A longer line is a `protocol` error.
pub const MAX_LINE: usize = crate::reply::MAX_LINE_LEN;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsMode {
    /// Plain connect, then STARTTLS, which must succeed (the default).
    #[default]
    StartTls,
    /// TLS from the first byte (port 465).
    Implicit,
    /// No TLS at all. Only for tests against a local server: AUTH is never sent.
    InsecurePlaintext,
}

/// Which AUTH mechanism to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMechanism {
    /// AUTH PLAIN with an initial response (RFC 4616), the default.
    #[default]
    Plain,
    /// AUTH LOGIN (username and password in two challenges).
    Login,
}

/// The settings of one session.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The name sent with EHLO/HELO: a domain or an address literal (`[192.0.2.1]`).
    pub ehlo_name: String,
    /// How the connection is protected.
    pub tls: TlsMode,
    /// Credentials; AUTH is sent only over TLS.
    pub credentials: Option<Arc<Credentials>>,
    /// The AUTH mechanism (falls back to the other one when only that is offered).
    pub auth_mechanism: AuthMechanism,
    /// Use PIPELINING when the server offers it.
    pub pipelining: bool,
    /// Use BDAT (RFC 3030) instead of DATA when the server offers CHUNKING (default
    /// true): the message goes as one `BDAT <size> LAST` chunk, not dot-stuffed.
    pub chunking: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            ehlo_name: "localhost".to_string(),
            tls: TlsMode::StartTls,
            credentials: None,
            auth_mechanism: AuthMechanism::Plain,
            pipelining: true,
            chunking: true,
        }
    }
}

/// Which way a transcript line went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Client to server.
    Sent,
    /// Server to client.
    Received,
}

/// Bytes to write, with the transcript form of what they are.
///
/// When `sensitive` (AUTH), the bytes are wiped when the `Output` is dropped — after
/// the driver wrote them, or unpolled with the engine — and `Debug` shows only their
/// length. Not `Clone`, so that no copy escapes the wipe.
#[derive(PartialEq, Eq)]
pub struct Output {
    /// The bytes for the wire.
    pub bytes: Vec<u8>,
    /// One transcript line per command, credentials replaced by `<redacted>` and message
    /// data summarised.
    pub log: Vec<String>,
    /// True when the bytes carry credentials: they are wiped on drop (a driver may
    /// wipe them earlier, right after writing).
    pub sensitive: bool,
    /// True when the bytes end the message data (the final dot).
    pub ends_data: bool,
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The log is the transcript form (credentials already `<redacted>`); the bytes
        // are never printed, sensitive or not (message data can be large).
        f.debug_struct("Output")
            .field("bytes", &format_args!("<{} octets>", self.bytes.len()))
            .field("log", &self.log)
            .field("sensitive", &self.sensitive)
            .field("ends_data", &self.ends_data)
            .finish()
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if self.sensitive {
            self.bytes.zeroize();
        }
    }
}

/// What the driver must do next.
#[derive(Debug, PartialEq)]
pub enum Action {
    /// Write these bytes (in one write, then flush).
    Write(Output),
    /// A line was received (for the transcript hook).
    Received(String),
    /// Do the TLS handshake now, then call [`Engine::tls_established`].
    StartTls,
    /// The session became ready for [`Engine::send_message`] (after the greeting, EHLO,
    /// TLS and AUTH, or after a probe). After a message the engine is ready again
    /// without this action.
    Ready,
    /// The message submitted last is done, one way or the other; the engine is ready
    /// again unless it is closed.
    Delivered(std::result::Result<Delivery, Error>),
    /// The session is over: close the connection.
    Close,
}

/// A recipient and the server's reply to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientReply {
    /// The recipient (as given in RCPT TO).
    pub recipient: String,
    /// The server's reply (to RCPT, or to the data of its transaction).
    pub reply: Reply,
}

/// The outcome of one transaction that ended with an accepted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// The reply to the end of the data.
    pub final_reply: Reply,
    /// The reply as it came on the wire (codes included, lines joined with CRLF).
    pub final_reply_raw: String,
    /// The notification id taken from the final reply, if the server gave one.
    pub notification_id: Option<String>,
    /// The recipients of this transaction.
    pub recipients: Vec<String>,
}

/// The result of submitting one message: accepted for at least one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The notification id of the first transaction, if any.
    pub notification_id: Option<String>,
    /// The final reply of the first transaction.
    pub final_reply: Reply,
    /// The final reply of the first transaction as it came on the wire.
    pub final_reply_raw: String,
    /// Recipients accepted, with their RCPT replies.
    pub accepted: Vec<RecipientReply>,
    /// Recipients refused, with the reply that refused them.
    pub rejected: Vec<RecipientReply>,
    /// Every transaction that delivered the message (more than one when the server
    /// limited recipients per transaction with 452/552 x.5.3).
    pub transactions: Vec<Transaction>,
}

/// What the engine waits for, so the driver knows which timeout applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// The greeting.
    Greeting,
    /// The reply to a command.
    Command,
    /// The reply to the end of the message data.
    DataEnd,
    /// Nothing (ready, or closed).
    Idle,
}

/// What a message needs from the server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MessageNeeds {
    /// SMTPUTF8 (non-ASCII addresses or headers).
    pub smtputf8: bool,
    /// BODY=8BITMIME (8-bit bytes in the data).
    pub eight_bit: bool,
}

/// The most replies a batch keeps outstanding (MAIL, RCPT, BDAT/DATA, RSET of every
/// transaction in flight). The blocking driver writes a whole batch before reading:
/// replies must fit in the socket buffers (about 60 octets each: 256 replies is
/// ~15 KiB) so that the server never blocks on writing while the client writes.
pub const MAX_BATCH_REPLIES: usize = 256;

/// The default number of whole transactions a batch keeps in flight: the smallest window
/// measured to carry 1,000 messages/s with margin over one connection at 20 ms RTT in every
/// binding, and within [`MAX_BATCH_REPLIES`] for up to two recipients a message (with BDAT,
/// `[RSET] MAIL RCPT… BDAT` is 3 + recipients replies: 48 × 5 = 240). docs/TRANSPORT.md
/// gives the measurements against the sink, Postfix and Exim.
pub const DEFAULT_WINDOW: usize = 48;

enum State {
    Greeting,
    Ehlo,
    Helo,
    StartTls,
    AwaitTls,
    AuthPlain,
    AuthLogin(u8),
    Ready,
    Probe,
    Txn(Box<Txn>),
    /// A batch of transactions ([`Engine::batch_start`]).
    Batch,
    Quit,
    Closed,
}

impl State {
    /// The name shown by `Debug` (a transaction's data and replies are not shown).
    fn name(&self) -> &'static str {
        match self {
            State::Greeting => "Greeting",
            State::Ehlo => "Ehlo",
            State::Helo => "Helo",
            State::StartTls => "StartTls",
            State::AwaitTls => "AwaitTls",
            State::AuthPlain => "AuthPlain",
            State::AuthLogin(_) => "AuthLogin",
            State::Ready => "Ready",
            State::Probe => "Probe",
            State::Txn(_) => "Txn",
            State::Batch => "Batch",
            State::Quit => "Quit",
            State::Closed => "Closed",
        }
    }
}

/// The SMTP client state machine of one connection. `Debug` shows the state and the
/// counts, never bytes to write or message data.
pub struct Engine {
    config: EngineConfig,
    state: State,
    tls_active: bool,
    caps: Capabilities,
    esmtp: bool,
    inbuf: Vec<u8>,
    reader: ReplyReader,
    actions: VecDeque<Action>,
    round_trips: u64,
    wrote: bool,
    /// Batch: transactions written, oldest first (replies belong to the front one).
    inflight: VecDeque<Box<Txn>>,
    /// Batch: transactions not written yet.
    queued: VecDeque<Box<Txn>>,
    window: usize,
    /// A transaction may be left open on the server (MAIL accepted, then the data
    /// refused): RSET before the next MAIL.
    maybe_open: bool,
    finished: Vec<(usize, std::result::Result<Delivery, Error>)>,
    resendable: bool,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.config)
            .field("state", &self.state.name())
            .field("tls_active", &self.tls_active)
            .field("esmtp", &self.esmtp)
            .field("capabilities", &self.caps)
            .field("pending_actions", &self.actions.len())
            .field("round_trips", &self.round_trips)
            .field("inflight", &self.inflight.len())
            .field("queued", &self.queued.len())
            .field("finished", &self.finished.len())
            .finish_non_exhaustive()
    }
}

fn protocol(reason: &'static str, message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Protocol, message).with_reason(reason)
}

/// The error of bytes received after the 220 reply to STARTTLS and before the TLS
/// handshake (`protocol`, reason `data_after_starttls`): the engine's when they come with
/// or after the reply it read, an I/O's when it holds such bytes at the handshake.
pub fn data_after_starttls() -> Error {
    protocol(
        "data_after_starttls",
        "the server sent data after its 220 reply to STARTTLS, before the TLS handshake (possible command injection): aborted",
    )
}

fn unexpected_reply() -> Error {
    protocol(
        "unexpected_reply",
        "the server sent a reply nobody asked for",
    )
}

/// Maps a refusal to `smtp_transient` (4xx) or `smtp_permanent` (5xx, anything else).
fn reply_error(reply: &Reply, what: &str, recipient: Option<&str>) -> Error {
    let transient = reply.code / 100 == 4;
    let kind = if transient {
        ErrorKind::SmtpTransient
    } else {
        ErrorKind::SmtpPermanent
    };
    Error::new(
        kind,
        format!("the server refused {what}: {} {}", reply.code, reply.text()),
    )
    .with_transient(transient)
    .with_reply(reply.to_error_reply(recipient))
}

fn is_success(reply: &Reply) -> bool {
    reply.code / 100 == 2
}

/// The outcome of a message whose data never reached the server.
fn not_sent(cause: &Error) -> Error {
    Error::new(
        ErrorKind::Connection,
        format!(
            "the message was not sent: the session ended first ({})",
            cause.message()
        ),
    )
    .with_reason("not_sent")
}

impl Engine {
    /// A new session, waiting for the server's greeting. With [`TlsMode::Implicit`], the
    /// driver has already completed the TLS handshake.
    pub fn new(config: EngineConfig) -> Result<Engine> {
        check_ehlo_name(&config.ehlo_name)?;
        let tls_active = config.tls == TlsMode::Implicit;
        Ok(Engine {
            config,
            state: State::Greeting,
            tls_active,
            caps: Capabilities::default(),
            esmtp: false,
            inbuf: Vec::new(),
            reader: ReplyReader::new(),
            actions: VecDeque::new(),
            round_trips: 0,
            wrote: false,
            inflight: VecDeque::new(),
            queued: VecDeque::new(),
            window: DEFAULT_WINDOW,
            maybe_open: false,
            finished: Vec::new(),
            resendable: false,
        })
    }

    /// The capabilities of the current EHLO (after TLS: only those offered over TLS).
    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    /// Whether TLS protects the session.
    pub fn tls_active(&self) -> bool {
        self.tls_active
    }

    /// Whether the session is ready for a message.
    pub fn is_ready(&self) -> bool {
        matches!(self.state, State::Ready)
    }

    /// Whether the session is over.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// What the engine waits for (the driver picks its read timeout from it).
    pub fn waiting(&self) -> Wait {
        match &self.state {
            State::Greeting => Wait::Greeting,
            State::Ready | State::Closed | State::AwaitTls => Wait::Idle,
            State::Txn(t) if matches!(t.pending.front(), Some(Expect::DataEnd | Expect::Bdat)) => {
                Wait::DataEnd
            }
            State::Batch => match self.inflight.front().and_then(|t| t.pending.front()) {
                Some(Expect::DataEnd | Expect::Bdat) => Wait::DataEnd,
                Some(_) => Wait::Command,
                None => Wait::Idle,
            },
            _ => Wait::Command,
        }
    }

    /// The next thing to do, if any.
    pub fn poll(&mut self) -> Option<Action> {
        let action = self.actions.pop_front();
        if matches!(action, Some(Action::Write(_))) {
            self.wrote = true;
        }
        action
    }

    /// How many times the client waited for the server after writing: each
    /// [`Engine::feed`] that follows a [`Action::Write`] taken with [`Engine::poll`]
    /// counts one. The TLS handshake is not counted.
    pub fn round_trips(&self) -> u64 {
        self.round_trips
    }

    /// Whether the session uses BDAT for messages (CHUNKING offered and enabled).
    pub fn uses_chunking(&self) -> bool {
        self.config.chunking && self.caps.chunking
    }

    /// Whether the session pipelines commands (PIPELINING offered and enabled): the
    /// condition for [`Engine::batch_start`].
    pub fn uses_pipelining(&self) -> bool {
        self.config.pipelining && self.caps.pipelining
    }

    fn write(&mut self, bytes: Vec<u8>, log: Vec<String>) {
        self.actions.push_back(Action::Write(Output {
            bytes,
            log,
            sensitive: false,
            ends_data: false,
        }));
    }

    fn command(&mut self, line: String) {
        let mut bytes = line.clone().into_bytes();
        bytes.extend_from_slice(b"\r\n");
        self.write(bytes, vec![line]);
    }

    fn close(&mut self) {
        self.state = State::Closed;
        self.actions.push_back(Action::Close);
    }

    fn fatal(&mut self, err: Error) -> Error {
        self.close();
        err
    }

    /// Feeds bytes read from the server. An `Err` is fatal: the session is closed.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<()> {
        match self.state {
            State::Closed => {
                return Err(protocol(
                    "unexpected_data",
                    "the session is closed but the server sent more data",
                ))
            }
            State::AwaitTls => return Err(self.fatal(data_after_starttls())),
            _ => {}
        }
        if self.wrote && !bytes.is_empty() {
            self.round_trips += 1;
            self.wrote = false;
        }
        self.inbuf.extend_from_slice(bytes);
        let mut start = 0;
        let result = loop {
            let Some(nl) = self.inbuf[start..].iter().position(|&b| b == b'\n') else {
                if self.inbuf.len() - start > MAX_LINE {
                    break Err(protocol(
                        "line_too_long",
                        format!("a reply line is longer than {MAX_LINE} octets"),
                    ));
                }
                break Ok(());
            };
            let mut end = start + nl;
            let next = end + 1;
            if end > start && self.inbuf[end - 1] == b'\r' {
                end -= 1;
            }
            if end - start > MAX_LINE {
                break Err(protocol(
                    "line_too_long",
                    format!("a reply line is longer than {MAX_LINE} octets"),
                ));
            }
            let line = self.inbuf[start..end].to_vec();
            start = next;
            if let Err(e) = self.line(&line) {
                break Err(e);
            }
            if matches!(self.state, State::AwaitTls) && start < self.inbuf.len() {
                break Err(data_after_starttls());
            }
            if matches!(self.state, State::Closed) {
                break Ok(());
            }
        };
        self.inbuf.drain(..start.min(self.inbuf.len()));
        match result {
            Ok(()) => Ok(()),
            Err(e) => {
                if matches!(self.state, State::Batch) {
                    self.end_batch(&e, false);
                }
                if !matches!(self.state, State::Closed) {
                    self.close();
                }
                Err(e)
            }
        }
    }

    fn line(&mut self, line: &[u8]) -> Result<()> {
        self.actions.push_back(Action::Received(
            crate::reply::escape_controls(&String::from_utf8_lossy(line)).into_owned(),
        ));
        // The core's reply reader checks codes, continuation marks and size bounds.
        let reply = self.reader.push_line(line).map_err(|e| {
            protocol(
                e.reason().unwrap_or("bad_reply"),
                format!("the server sent a malformed reply: {}", e.message()),
            )
        })?;
        match reply {
            Some(reply) => self.reply(reply),
            None => Ok(()),
        }
    }

    /// One whole reply: QUIT and 421 end the session wherever it is; any other reply
    /// goes to the handler of the current phase.
    fn reply(&mut self, reply: Reply) -> Result<()> {
        if matches!(self.state, State::Quit) {
            self.close();
            return Ok(());
        }
        if reply.code == 421 {
            return self.service_closing(&reply);
        }
        let state = std::mem::replace(&mut self.state, State::Closed);
        match state {
            State::Txn(txn) => {
                let raw = reply.to_string().trim_end().to_string();
                self.txn_reply(txn, reply, raw)
            }
            State::Batch => {
                self.state = State::Batch;
                let raw = reply.to_string().trim_end().to_string();
                self.batch_reply(reply, raw)
            }
            State::Ready | State::AwaitTls | State::Quit | State::Closed => Err(protocol(
                "unexpected_reply",
                format!(
                    "the server sent a reply nobody asked for: {} {}",
                    reply.code,
                    reply.text()
                ),
            )),
            handshake => self.handshake_reply(handshake, reply),
        }
    }

    /// A 421 reply (service closing): the session ends. Idle, it is not an error of
    /// anything in progress. In a transaction, RCPT refusals already read keep their
    /// own replies and the rest of the message fails with the 421 ([`Txn::with_refusals`],
    /// [`Txn::fail`]);
    /// in a batch, the oldest transaction is the one answered.
    fn service_closing(&mut self, reply: &Reply) -> Result<()> {
        if matches!(self.state, State::Ready) {
            self.close();
            return Ok(());
        }
        let err = reply_error(reply, "the session (421: service closing)", None)
            .with_reason("service_closing");
        if matches!(self.state, State::Batch) {
            self.end_batch(&err, true);
            self.close();
            return Ok(());
        }
        let state = std::mem::replace(&mut self.state, State::Closed);
        self.actions.push_back(Action::Close);
        let State::Txn(mut txn) = state else {
            return Err(err);
        };
        self.resendable = txn.delivery.is_none()
            && txn.mail_reply.is_none()
            && matches!(txn.pending.front(), Some(Expect::Mail | Expect::Reset));
        let err = txn.with_refusals(err);
        match txn.fail(err) {
            Ok(delivery) => {
                // An earlier transaction of the message delivered: that is its outcome.
                self.actions.push_back(Action::Delivered(Ok(delivery)));
                Ok(())
            }
            Err(err) => Err(err),
        }
    }

    /// Sends RSET to check that a reused connection is still alive; [`Action::Ready`]
    /// follows.
    pub fn probe(&mut self) -> Result<()> {
        if !self.is_ready() {
            return Err(Error::new(ErrorKind::Internal, "the session is not ready"));
        }
        self.state = State::Probe;
        self.command("RSET".to_string());
        Ok(())
    }

    /// Sends QUIT (the session then closes). During a batch, every message without an
    /// outcome gets one in [`Engine::take_finished`]: `outcome_unknown` (reason
    /// `in_flight`) when its data was written, else `connection` (reason `not_sent`).
    pub fn quit(&mut self) {
        if matches!(self.state, State::Closed) {
            return;
        }
        if matches!(self.state, State::Batch) {
            // Every batched message still gets its one outcome: data written without
            // a final reply is `outcome_unknown`, the rest `not_sent`.
            let cause = Error::new(ErrorKind::Connection, "the session was ended (QUIT)")
                .with_reason("quit");
            self.end_batch(&cause, false);
        }
        self.state = State::Quit;
        self.command("QUIT".to_string());
    }

    /// The connection ended (EOF or a read/write error). `while_writing_data` is true
    /// when the write of the message data itself failed (the final dot cannot have
    /// been received). Returns the error to report.
    pub fn connection_lost(&mut self, while_writing_data: bool, detail: &str) -> Error {
        let state = std::mem::replace(&mut self.state, State::Closed);
        match state {
            State::Quit | State::Closed => {
                Error::new(ErrorKind::Connection, format!("the connection is closed: {detail}"))
                    .with_reason("closed")
            }
            State::Batch => self.abandon_batch(
                Error::new(
                    ErrorKind::Connection,
                    format!("the connection was lost: {detail}"),
                )
                .with_reason("connection_lost"),
            ),
            State::Txn(txn)
                if txn.delivery.is_none() && txn.mail_reply.is_none() && !txn.data_sent =>
            {
                self.resendable = true;
                Error::new(
                    ErrorKind::Connection,
                    format!("the connection was lost before the server answered: {detail}"),
                )
                .with_reason("connection_lost")
            }
            State::Txn(txn) if txn.outcome_unknown() && !while_writing_data => {
                Error::new(
                    ErrorKind::OutcomeUnknown,
                    format!("the connection was lost after the message data and before the final reply ({detail}): the message may or may not have been accepted; resend with the same Message-ID"),
                )
                .with_reason("connection_lost")
            }
            _ => Error::new(
                ErrorKind::Connection,
                format!("the connection was lost: {detail}"),
            )
            .with_reason("connection_lost"),
        }
    }

    /// A read timed out. Returns the error to report; the session is closed.
    pub fn timed_out(&mut self, detail: &str) -> Error {
        let state = std::mem::replace(&mut self.state, State::Closed);
        match state {
            State::Batch => self.abandon_batch(
                Error::new(
                    ErrorKind::Timeout,
                    format!("no reply from the server in time ({detail})"),
                )
                .with_reason("reply"),
            ),
            State::Txn(txn) if txn.outcome_unknown() => Error::new(
                ErrorKind::OutcomeUnknown,
                format!("no final reply to the message data in time ({detail}): the message may or may not have been accepted; resend with the same Message-ID"),
            )
            .with_reason("timeout"),
            State::Greeting => Error::new(
                ErrorKind::Timeout,
                format!("no greeting from the server in time ({detail})"),
            )
            .with_reason("greeting"),
            _ => Error::new(
                ErrorKind::Timeout,
                format!("no reply from the server in time ({detail})"),
            )
            .with_reason("reply"),
        }
    }
}
