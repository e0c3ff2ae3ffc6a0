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

use super::capabilities::Capabilities;
use super::credentials::Credentials;
use super::dot;
use crate::error::{Error, ErrorKind, Result};
use crate::message::Envelope;
use crate::notification_id::extract_notification_id;
use crate::reply::{Reply, ReplyReader};
use base64::Engine as _;
use std::collections::VecDeque;
use std::sync::Arc;

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The bytes for the wire.
    pub bytes: Vec<u8>,
    /// One transcript line per command, credentials replaced by `<redacted>` and message
    /// data summarised.
    pub log: Vec<String>,
    /// True when the bytes carry credentials: the driver wipes them after writing.
    pub sensitive: bool,
    /// True when the bytes end the message data (the final dot).
    pub ends_data: bool,
}

/// What the driver must do next.
#[derive(Debug, Clone, PartialEq)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// The RSET written in front of a batched transaction (its reply is not used).
    Reset,
    Mail,
    Rcpt(usize),
    Data,
    DataEnd,
    /// The reply to `BDAT <n> LAST` and its chunk: the final reply of the message.
    Bdat,
    LoneDot,
    Rset,
}

/// The most replies a batch keeps outstanding (MAIL, RCPT, BDAT/DATA, RSET of every
/// transaction in flight). The blocking driver writes a whole batch before reading:
/// replies must fit in the socket buffers (about 60 octets each: 256 replies is
/// ~15 KiB) so that the server never blocks on writing while the client writes.
pub const MAX_BATCH_REPLIES: usize = 256;

/// The default number of whole transactions a batch keeps in flight.
pub const DEFAULT_WINDOW: usize = 16;

/// Bytes to write, built up while one reply is handled.
#[derive(Default)]
struct WriteBuf {
    bytes: Vec<u8>,
    log: Vec<String>,
    ends_data: bool,
}

impl WriteBuf {
    fn line(&mut self, line: String) {
        self.bytes.extend_from_slice(line.as_bytes());
        self.bytes.extend_from_slice(b"\r\n");
        self.log.push(line);
    }
}

#[derive(Debug)]
struct Txn {
    data: Vec<u8>,
    mail_cmd: String,
    recipients: Vec<String>,
    pipelined: bool,
    pending: VecDeque<Expect>,
    mail_reply: Option<Reply>,
    mail_ok: bool,
    accepted: Vec<RecipientReply>,
    rejected: Vec<RecipientReply>,
    deferred: Vec<RecipientReply>,
    stop_rcpt: bool,
    delivery: Option<Delivery>,
    pending_error: Option<Error>,
    /// BDAT instead of DATA; `data` is then the normalised message, not dot-stuffed.
    chunking: bool,
    /// The message data has been handed to the driver for writing.
    data_sent: bool,
    /// Keep a copy of the data after writing it (a follow-up transaction may need it).
    keep_data: bool,
    /// The caller's index of the message (batches).
    tag: usize,
}

impl Txn {
    /// Whether the message may have been accepted: its data was written, its final
    /// reply has not been read, and no reply already says it cannot be delivered
    /// (MAIL refused, or every RCPT answered and none accepted).
    fn outcome_unknown(&self) -> bool {
        let final_pending = self
            .pending
            .iter()
            .any(|e| matches!(e, Expect::DataEnd | Expect::Bdat));
        if !final_pending || !self.data_sent {
            return false;
        }
        let mail_answered = !self.pending.contains(&Expect::Mail);
        if mail_answered && !self.mail_ok {
            return false;
        }
        let rcpts_pending = self.pending.iter().any(|e| matches!(e, Expect::Rcpt(_)));
        !(mail_answered && !rcpts_pending && self.accepted.is_empty())
    }

    /// Whether the replies already read say the message cannot be delivered.
    fn known_refused(&self) -> bool {
        let mail_answered = self.mail_reply.is_some() && !self.pending.contains(&Expect::Mail);
        if mail_answered && !self.mail_ok {
            return true;
        }
        let rcpts_pending = self.pending.iter().any(|e| matches!(e, Expect::Rcpt(_)));
        mail_answered && !rcpts_pending && self.accepted.is_empty()
    }

    /// Writes the commands of the transaction (and, with BDAT, the data) into `w`:
    /// `[RSET] MAIL RCPT… (DATA | BDAT <n> LAST <data>)`.
    fn write_pipelined(&mut self, reset: bool, w: &mut WriteBuf) {
        if reset {
            w.line("RSET".to_string());
            self.pending.push_back(Expect::Reset);
        }
        w.line(self.mail_cmd.clone());
        self.pending.push_back(Expect::Mail);
        for (i, r) in self.recipients.iter().enumerate() {
            w.line(format!("RCPT TO:<{r}>"));
            self.pending.push_back(Expect::Rcpt(i));
        }
        if self.chunking {
            self.write_bdat(w);
        } else {
            w.line("DATA".to_string());
            self.pending.push_back(Expect::Data);
        }
    }

    /// `BDAT <n> LAST` and the whole message as one chunk, into `w`.
    fn write_bdat(&mut self, w: &mut WriteBuf) {
        let data = if self.keep_data {
            self.data.clone()
        } else {
            std::mem::take(&mut self.data)
        };
        let line = format!("BDAT {} LAST", data.len());
        w.bytes.extend_from_slice(line.as_bytes());
        w.bytes.extend_from_slice(b"\r\n");
        w.bytes.extend_from_slice(&data);
        w.log.push(line);
        w.log.push(format!("<message data: {} octets>", data.len()));
        w.ends_data = true;
        self.data_sent = true;
        self.pending.push_back(Expect::Bdat);
    }

    /// Records the reply to the RCPT of recipient `i`.
    fn record_rcpt(&mut self, i: usize, reply: &Reply) {
        let recipient = self.recipients.get(i).cloned().unwrap_or_default();
        let rr = RecipientReply {
            recipient,
            reply: reply.clone(),
        };
        if !self.mail_ok {
            // Replies to RCPT after a refused MAIL (pipelined) say nothing.
        } else if is_success(reply) {
            self.accepted.push(rr);
        } else if self.stop_rcpt || is_too_many_recipients(reply) {
            self.stop_rcpt = true;
            self.deferred.push(rr);
        } else {
            self.rejected.push(rr);
        }
    }

    /// The delivery after a success reply to the data: this transaction joins the
    /// earlier ones of the same message, if any.
    fn delivered(&mut self, reply: &Reply, raw: String) -> Delivery {
        let notification_id = extract_notification_id(&raw);
        let transaction = Transaction {
            final_reply: reply.clone(),
            final_reply_raw: raw.clone(),
            notification_id: notification_id.clone(),
            recipients: self.accepted.iter().map(|r| r.recipient.clone()).collect(),
        };
        let mut delivery = self.delivery.take().unwrap_or(Delivery {
            notification_id,
            final_reply: reply.clone(),
            final_reply_raw: raw,
            accepted: Vec::new(),
            rejected: Vec::new(),
            transactions: Vec::new(),
        });
        delivery.accepted.append(&mut self.accepted);
        delivery.rejected.append(&mut self.rejected);
        delivery.transactions.push(transaction);
        delivery
    }

    /// The transaction for the recipients deferred by "too many recipients", if the
    /// last transaction accepted some (else the deferred ones join the refused).
    fn follow_up(&mut self, mut delivery: Delivery) -> FollowUp {
        let accepted_any = delivery
            .transactions
            .last()
            .is_some_and(|t| !t.recipients.is_empty());
        if self.deferred.is_empty() || !accepted_any {
            delivery.rejected.append(&mut self.deferred);
            return FollowUp::Done(delivery);
        }
        let recipients: Vec<String> = self.deferred.drain(..).map(|r| r.recipient).collect();
        FollowUp::Next(Box::new(Txn {
            data: std::mem::take(&mut self.data),
            mail_cmd: self.mail_cmd.clone(),
            keep_data: recipients.len() > 1,
            recipients,
            pipelined: self.pipelined,
            pending: VecDeque::new(),
            mail_reply: None,
            mail_ok: false,
            accepted: Vec::new(),
            rejected: Vec::new(),
            deferred: Vec::new(),
            stop_rcpt: false,
            delivery: Some(delivery),
            pending_error: None,
            chunking: self.chunking,
            data_sent: false,
            tag: self.tag,
        }))
    }
}

/// What follows a transaction that delivered.
enum FollowUp {
    /// A further transaction for the recipients deferred by "too many recipients".
    Next(Box<Txn>),
    /// Nothing: the message is done.
    Done(Delivery),
}

/// A reply carried by an error, back in reply form (for per-recipient results).
fn reply_of_error(err: &Error) -> Reply {
    match err.reply() {
        Some(rep) => Reply {
            code: rep.code,
            enhanced: rep
                .enhanced
                .as_deref()
                .and_then(|e| crate::reply::EnhancedCode::parse(e).ok()),
            lines: rep.text.split('\n').map(str::to_string).collect(),
        },
        // No reply from the server (the connection ended): a local transient reply.
        None => Reply {
            code: 451,
            enhanced: crate::reply::EnhancedCode::parse("4.4.2").ok(),
            lines: vec![format!("local: {}", err.message())],
        },
    }
}

/// A later transaction of a message that already delivered failed: its recipients
/// join the refused ones, with the reply (or local reason) that ended it.
fn merge_failure(mut delivery: Delivery, txn: &mut Txn, err: &Error) -> Delivery {
    for r in txn.rejected.drain(..).chain(txn.deferred.drain(..)) {
        delivery.rejected.push(r);
    }
    let reply = reply_of_error(err);
    for r in &txn.recipients {
        if !delivery.rejected.iter().any(|d| &d.recipient == r) {
            delivery.rejected.push(RecipientReply {
                recipient: r.clone(),
                reply: reply.clone(),
            });
        }
    }
    delivery
}

#[derive(Debug)]
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

/// The SMTP client state machine of one connection.
#[derive(Debug)]
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

fn protocol(reason: &'static str, message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Protocol, message).with_reason(reason)
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

fn is_too_many_recipients(reply: &Reply) -> bool {
    matches!(reply.code, 452 | 552)
        && reply
            .enhanced
            .is_some_and(|e| e.subject == 5 && e.detail == 3)
        || reply.enhanced.is_none()
            && matches!(reply.code, 452 | 552)
            && reply
                .lines
                .first()
                .is_some_and(|l| l.get(..5).is_some_and(|p| p.ends_with(".5.3")))
}

/// Refuses CR, LF, NUL and other controls (and `<`, `>`) in a command argument before a
/// byte is written: command injection.
fn check_arg(what: &str, value: &str, allow_angle: bool) -> Result<()> {
    if let Some(pos) = value
        .bytes()
        .position(|b| b < 0x20 || b == 0x7f || (!allow_angle && (b == b'<' || b == b'>')))
    {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("the {what} contains a control character or angle bracket at byte {pos}: refused before sending (command injection)"),
        )
        .with_reason("command_injection")
        .with_position(pos));
    }
    Ok(())
}

/// Refuses an EHLO name that is empty or has anything but printable ASCII without
/// spaces (command injection).
pub fn check_ehlo_name(name: &str) -> Result<()> {
    let bad = name.bytes().position(|b| !(0x21..0x7f).contains(&b));
    if name.is_empty() || bad.is_some() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "the EHLO name must be printable ASCII without spaces or controls (command injection)",
        )
        .with_reason("command_injection")
        .with_position(bad.unwrap_or(0)));
    }
    Ok(())
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

fn is_success(reply: &Reply) -> bool {
    reply.code / 100 == 2
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
            State::AwaitTls => {
                let err = protocol(
                    "data_after_starttls",
                    "the server sent data after its 220 reply to STARTTLS, before the TLS handshake (possible command injection): aborted",
                );
                return Err(self.fatal(err));
            }
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
                break Err(protocol(
                    "data_after_starttls",
                    "the server sent data after its 220 reply to STARTTLS, before the TLS handshake (possible command injection): aborted",
                ));
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

    fn reply(&mut self, reply: Reply) -> Result<()> {
        let raw = reply.to_string().trim_end().to_string();
        if matches!(self.state, State::Quit) {
            self.close();
            return Ok(());
        }
        if reply.code == 421 && matches!(self.state, State::Ready) {
            // The server closes an idle session: not an error of anything in progress.
            self.close();
            return Ok(());
        }
        if reply.code == 421 {
            let err = reply_error(&reply, "the session (421: service closing)", None)
                .with_reason("service_closing");
            if matches!(self.state, State::Batch) {
                self.end_batch(&err, true);
                self.state = State::Closed;
                self.actions.push_back(Action::Close);
                return Ok(());
            }
            let state = std::mem::replace(&mut self.state, State::Closed);
            self.actions.push_back(Action::Close);
            if let State::Txn(txn) = state {
                self.resendable = txn.delivery.is_none()
                    && txn.mail_reply.is_none()
                    && matches!(txn.pending.front(), Some(Expect::Mail | Expect::Reset));
                if let Some(mut delivery) = txn.delivery {
                    // An earlier transaction delivered: report the others as refused.
                    for r in txn.recipients {
                        delivery.rejected.push(RecipientReply {
                            recipient: r,
                            reply: reply.clone(),
                        });
                    }
                    self.actions.push_back(Action::Delivered(Ok(delivery)));
                    return Ok(());
                }
            }
            return Err(err);
        }
        let state = std::mem::replace(&mut self.state, State::Closed);
        match state {
            State::Greeting => {
                if reply.code != 220 {
                    return Err(reply_error(&reply, "the connection (greeting)", None)
                        .with_reason("greeting_refused"));
                }
                self.state = State::Ehlo;
                self.command(format!("EHLO {}", self.config.ehlo_name));
            }
            State::Ehlo => {
                if is_success(&reply) {
                    self.esmtp = true;
                    let texts: Vec<&str> = reply.lines.iter().map(String::as_str).collect();
                    self.caps = Capabilities::parse(&texts);
                    return self.after_hello();
                }
                if self.needs_starttls() {
                    return Err(Error::new(
                        ErrorKind::Tls,
                        format!(
                            "the server does not speak ESMTP (EHLO refused: {} {}), so STARTTLS is impossible",
                            reply.code,
                            reply.text()
                        ),
                    )
                    .with_reason("esmtp_not_supported")
                    .with_reply(reply.to_error_reply(None)));
                }
                self.state = State::Helo;
                self.command(format!("HELO {}", self.config.ehlo_name));
            }
            State::Helo => {
                if !is_success(&reply) {
                    return Err(reply_error(&reply, "HELO", None).with_reason("helo_refused"));
                }
                self.esmtp = false;
                self.caps = Capabilities::default();
                return self.after_hello();
            }
            State::StartTls => {
                if reply.code != 220 {
                    return Err(Error::new(
                        ErrorKind::Tls,
                        format!(
                            "the server refused STARTTLS: {} {}",
                            reply.code,
                            reply.text()
                        ),
                    )
                    .with_reason("starttls_refused")
                    .with_reply(reply.to_error_reply(None)));
                }
                self.state = State::AwaitTls;
                self.actions.push_back(Action::StartTls);
            }
            State::AuthPlain | State::AuthLogin(2) if reply.code == 235 => self.ready(),
            State::AuthLogin(step) if reply.code == 334 && step < 2 => {
                let creds = self.config.credentials.clone();
                let Some(creds) = creds else {
                    return Err(Error::new(ErrorKind::Internal, "AUTH without credentials"));
                };
                let value = if step == 0 {
                    creds.username()
                } else {
                    creds.password()
                };
                let mut bytes = base64::engine::general_purpose::STANDARD
                    .encode(value.as_bytes())
                    .into_bytes();
                bytes.extend_from_slice(b"\r\n");
                self.actions.push_back(Action::Write(Output {
                    bytes,
                    log: vec!["<redacted>".to_string()],
                    sensitive: true,
                    ends_data: false,
                }));
                self.state = State::AuthLogin(step + 1);
            }
            State::AuthPlain | State::AuthLogin(_) => {
                let transient = reply.code / 100 == 4;
                return Err(Error::new(
                    ErrorKind::Auth,
                    format!(
                        "the server refused authentication: {} {}",
                        reply.code,
                        reply.text()
                    ),
                )
                .with_reason("auth_refused")
                .with_transient(transient)
                .with_reply(reply.to_error_reply(None)));
            }
            State::Probe => {
                if !is_success(&reply) {
                    return Err(reply_error(&reply, "RSET", None).with_reason("rset_refused"));
                }
                self.ready();
            }
            State::Txn(txn) => return self.txn_reply(txn, reply, raw),
            State::Batch => {
                self.state = State::Batch;
                return self.batch_reply(reply, raw);
            }
            State::Ready | State::AwaitTls | State::Quit | State::Closed => {
                return Err(protocol(
                    "unexpected_reply",
                    format!(
                        "the server sent a reply nobody asked for: {} {}",
                        reply.code,
                        reply.text()
                    ),
                ));
            }
        }
        Ok(())
    }

    fn needs_starttls(&self) -> bool {
        self.config.tls == TlsMode::StartTls && !self.tls_active
    }

    fn after_hello(&mut self) -> Result<()> {
        if self.needs_starttls() {
            if !self.caps.starttls {
                return Err(Error::new(
                    ErrorKind::Tls,
                    "the server does not offer STARTTLS, which is required: not continuing in plaintext",
                )
                .with_reason("starttls_not_offered"));
            }
            self.state = State::StartTls;
            self.command("STARTTLS".to_string());
            return Ok(());
        }
        let Some(creds) = self.config.credentials.clone() else {
            self.ready();
            return Ok(());
        };
        if !self.tls_active {
            return Err(
                Error::new(ErrorKind::Auth, "credentials are never sent without TLS")
                    .with_reason("auth_requires_tls"),
            );
        }
        if !self.esmtp || self.caps.auth.is_empty() {
            return Err(
                Error::new(ErrorKind::Auth, "the server does not offer AUTH")
                    .with_reason("auth_not_offered"),
            );
        }
        let mech = match self.config.auth_mechanism {
            AuthMechanism::Plain if self.caps.offers_auth("PLAIN") => AuthMechanism::Plain,
            AuthMechanism::Login if self.caps.offers_auth("LOGIN") => AuthMechanism::Login,
            _ if self.caps.offers_auth("PLAIN") => AuthMechanism::Plain,
            _ if self.caps.offers_auth("LOGIN") => AuthMechanism::Login,
            _ => {
                return Err(Error::new(
                    ErrorKind::Auth,
                    format!(
                        "the server offers no supported AUTH mechanism (offered: {})",
                        self.caps.auth.join(" ")
                    ),
                )
                .with_reason("no_common_mechanism"))
            }
        };
        match mech {
            AuthMechanism::Plain => {
                let mut secret = zeroize::Zeroizing::new(Vec::with_capacity(
                    creds.username().len() + creds.password().len() + 2,
                ));
                secret.push(0);
                secret.extend_from_slice(creds.username().as_bytes());
                secret.push(0);
                secret.extend_from_slice(creds.password().as_bytes());
                let mut bytes = b"AUTH PLAIN ".to_vec();
                bytes.extend_from_slice(
                    base64::engine::general_purpose::STANDARD
                        .encode(&secret[..])
                        .as_bytes(),
                );
                bytes.extend_from_slice(b"\r\n");
                self.actions.push_back(Action::Write(Output {
                    bytes,
                    log: vec!["AUTH PLAIN <redacted>".to_string()],
                    sensitive: true,
                    ends_data: false,
                }));
                self.state = State::AuthPlain;
            }
            AuthMechanism::Login => {
                self.state = State::AuthLogin(0);
                self.command("AUTH LOGIN".to_string());
            }
        }
        Ok(())
    }

    fn ready(&mut self) {
        self.state = State::Ready;
        self.actions.push_back(Action::Ready);
    }

    /// Call once the TLS handshake that [`Action::StartTls`] asked for is complete: the
    /// capabilities are forgotten and EHLO is sent again.
    pub fn tls_established(&mut self) -> Result<()> {
        if !matches!(self.state, State::AwaitTls) {
            return Err(Error::new(
                ErrorKind::Internal,
                "tls_established called without a STARTTLS in progress",
            ));
        }
        self.tls_active = true;
        self.caps = Capabilities::default();
        self.esmtp = false;
        self.state = State::Ehlo;
        self.command(format!("EHLO {}", self.config.ehlo_name));
        Ok(())
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

    /// Starts submitting a message: `data` is the RFC 5322 message (any line ends: they
    /// are normalised), `envelope` its MAIL FROM and RCPT TO. Checks made before a byte
    /// is written: command injection, recipients present, SMTPUTF8 and SIZE.
    pub fn send_message(
        &mut self,
        envelope: &Envelope,
        data: &[u8],
        needs: MessageNeeds,
    ) -> Result<()> {
        if !self.is_ready() {
            return Err(Error::new(
                ErrorKind::Internal,
                "the session is not ready for a message",
            ));
        }
        let txn = self.prepare(envelope, data, needs, 0)?;
        self.resendable = false;
        self.begin(Box::new(txn));
        Ok(())
    }

    /// After a failed [`Engine::send_message`]: true when the session ended before the
    /// server processed any command of the message — its first reply was a 421, or the
    /// connection ended before any reply while the data was not written. Sending the
    /// message again on a new connection cannot duplicate it.
    pub fn message_resendable(&self) -> bool {
        self.resendable
    }

    /// Checks a message and makes its transaction (nothing is written).
    fn prepare(
        &self,
        envelope: &Envelope,
        data: &[u8],
        needs: MessageNeeds,
        tag: usize,
    ) -> Result<Txn> {
        check_arg("MAIL FROM address", &envelope.mail_from, false)?;
        if envelope.rcpt_to.is_empty() {
            return Err(
                Error::new(ErrorKind::InvalidArgument, "the envelope has no recipient")
                    .with_reason("no_recipients"),
            );
        }
        for r in &envelope.rcpt_to {
            check_arg("RCPT TO address", r, false)?;
            if r.is_empty() {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    "an envelope recipient is empty",
                )
                .with_reason("empty_recipient"));
            }
        }
        let smtputf8 = needs.smtputf8
            || !envelope.mail_from.is_ascii()
            || envelope.rcpt_to.iter().any(|r| !r.is_ascii());
        if smtputf8 && !self.caps.smtputf8 {
            return Err(Error::new(
                ErrorKind::Smtputf8NotSupported,
                "the message needs SMTPUTF8 (non-ASCII addresses or headers) and the server does not offer it",
            ));
        }
        let size = dot::normalised_len(data);
        if let Some(limit) = self.caps.size {
            if size as u64 > limit {
                return Err(Error::new(
                    ErrorKind::MessageTooLarge,
                    format!("the message is {size} octets; the server accepts at most {limit}"),
                )
                .with_reason("size_limit"));
            }
        }
        let eight_bit = needs.eight_bit || smtputf8 || !data.is_ascii();
        let mut mail_cmd = format!("MAIL FROM:<{}>", envelope.mail_from);
        if self.caps.size_advertised {
            mail_cmd.push_str(&format!(" SIZE={size}"));
        }
        if eight_bit && self.caps.eight_bit_mime {
            mail_cmd.push_str(" BODY=8BITMIME");
        }
        if smtputf8 {
            mail_cmd.push_str(" SMTPUTF8");
        }
        let chunking = self.uses_chunking();
        Ok(Txn {
            data: if chunking {
                dot::normalise(data)
            } else {
                dot::encode(data)
            },
            mail_cmd,
            recipients: envelope.rcpt_to.clone(),
            pipelined: self.uses_pipelining(),
            pending: VecDeque::new(),
            mail_reply: None,
            mail_ok: false,
            accepted: Vec::new(),
            rejected: Vec::new(),
            deferred: Vec::new(),
            stop_rcpt: false,
            delivery: None,
            pending_error: None,
            chunking,
            data_sent: false,
            keep_data: chunking && envelope.rcpt_to.len() > 1,
            tag,
        })
    }

    fn flush_buf(&mut self, w: WriteBuf) {
        if !w.bytes.is_empty() {
            self.actions.push_back(Action::Write(Output {
                bytes: w.bytes,
                log: w.log,
                sensitive: false,
                ends_data: w.ends_data,
            }));
        }
    }

    fn begin(&mut self, mut txn: Box<Txn>) {
        if txn.pipelined {
            let mut w = WriteBuf::default();
            txn.write_pipelined(false, &mut w);
            self.flush_buf(w);
        } else {
            txn.pending.push_back(Expect::Mail);
            self.command(txn.mail_cmd.clone());
        }
        self.state = State::Txn(txn);
    }

    fn rset_then(&mut self, mut txn: Box<Txn>, err: Option<Error>) {
        txn.pending.clear();
        txn.pending.push_back(Expect::Rset);
        txn.pending_error = err;
        self.command("RSET".to_string());
        self.state = State::Txn(txn);
    }

    /// The error for a transaction that delivered to nobody.
    fn nobody_error(txn: &Txn) -> Error {
        if !txn.mail_ok {
            if let Some(reply) = &txn.mail_reply {
                return reply_error(reply, "the sender (MAIL FROM)", None)
                    .with_reason("mail_refused");
            }
        }
        if txn.rejected.is_empty() && !txn.deferred.is_empty() {
            let mut err = Error::new(
                ErrorKind::SmtpTransient,
                "the server accepted no recipient (too many recipients)",
            )
            .with_reason("too_many_recipients");
            for r in &txn.deferred {
                err = err.with_reply(r.reply.to_error_reply(Some(&r.recipient)));
            }
            return err;
        }
        let mut err = Error::new(
            ErrorKind::RecipientsRejected,
            format!(
                "the server refused every recipient ({} refused)",
                txn.rejected.len() + txn.deferred.len()
            ),
        );
        let transient = txn
            .rejected
            .iter()
            .chain(&txn.deferred)
            .all(|r| r.reply.code / 100 == 4);
        err = err.with_transient(transient);
        for r in txn.rejected.iter().chain(&txn.deferred) {
            err = err.with_reply(r.reply.to_error_reply(Some(&r.recipient)));
        }
        err
    }

    /// Ends a transaction that delivered nothing: RSET, then report.
    fn abort_txn(&mut self, mut txn: Box<Txn>, err: Error) {
        if let Some(delivery) = txn.delivery.take() {
            // A later transaction failed: its recipients join the refused ones.
            txn.delivery = Some(merge_failure(delivery, &mut txn, &err));
            self.rset_then(txn, None);
        } else {
            self.rset_then(txn, Some(err));
        }
    }

    fn txn_reply(&mut self, mut txn: Box<Txn>, reply: Reply, raw: String) -> Result<()> {
        let Some(expect) = txn.pending.pop_front() else {
            return Err(protocol(
                "unexpected_reply",
                "the server sent a reply nobody asked for",
            ));
        };
        match expect {
            Expect::Mail => {
                txn.mail_ok = is_success(&reply);
                txn.mail_reply = Some(reply.clone());
                if txn.pipelined {
                    self.state = State::Txn(txn);
                } else if txn.mail_ok {
                    txn.pending.push_back(Expect::Rcpt(0));
                    let line = format!("RCPT TO:<{}>", txn.recipients[0]);
                    self.state = State::Txn(txn);
                    self.command(line);
                } else {
                    let err = Self::nobody_error(&txn);
                    self.abort_txn(txn, err);
                }
            }
            Expect::Rcpt(i) => {
                txn.record_rcpt(i, &reply);
                if txn.pipelined {
                    self.state = State::Txn(txn);
                } else if txn.stop_rcpt {
                    // Every remaining recipient goes to the next transaction.
                    for r in txn.recipients[i + 1..].iter().cloned() {
                        txn.deferred.push(RecipientReply {
                            recipient: r,
                            reply: reply.clone(),
                        });
                    }
                    self.after_rcpts(txn);
                } else if i + 1 < txn.recipients.len() {
                    txn.pending.push_back(Expect::Rcpt(i + 1));
                    let line = format!("RCPT TO:<{}>", txn.recipients[i + 1]);
                    self.state = State::Txn(txn);
                    self.command(line);
                } else {
                    self.after_rcpts(txn);
                }
            }
            Expect::Data => {
                let usable = txn.mail_ok && !txn.accepted.is_empty();
                if reply.code == 354 {
                    if usable {
                        let data = std::mem::take(&mut txn.data);
                        let log = vec![format!(
                            "<message data: {} octets, then .>",
                            data.len().saturating_sub(dot::TERMINATOR.len())
                        )];
                        txn.pending.push_back(Expect::DataEnd);
                        txn.data_sent = true;
                        // Keep the data only when a follow-up transaction needs it.
                        if !txn.deferred.is_empty() {
                            txn.data = data.clone();
                        }
                        self.actions.push_back(Action::Write(Output {
                            bytes: data,
                            log,
                            sensitive: false,
                            ends_data: true,
                        }));
                        self.state = State::Txn(txn);
                    } else {
                        // RFC 2920: DATA accepted though nothing can be delivered:
                        // an empty message, then RSET.
                        txn.pending.push_back(Expect::LoneDot);
                        self.state = State::Txn(txn);
                        self.command(".".to_string());
                    }
                } else if usable {
                    let err = reply_error(&reply, "the message data (DATA)", None)
                        .with_reason("data_refused");
                    self.abort_txn(txn, err);
                } else {
                    let err = Self::nobody_error(&txn);
                    self.abort_txn(txn, err);
                }
            }
            Expect::LoneDot => {
                let err = Self::nobody_error(&txn);
                self.abort_txn(txn, err);
            }
            Expect::Bdat => {
                let usable = txn.mail_ok && !txn.accepted.is_empty();
                if is_success(&reply) && usable {
                    let delivery = txn.delivered(&reply, raw);
                    self.follow_up_or_finish(txn, delivery);
                } else if usable {
                    // RFC 3030: the transaction failed; RSET clears it.
                    let err = reply_error(&reply, "the message data (BDAT)", None)
                        .with_reason("message_refused");
                    self.abort_txn(txn, err);
                } else {
                    let err = Self::nobody_error(&txn);
                    self.abort_txn(txn, err);
                }
            }
            Expect::Reset => self.state = State::Txn(txn),
            Expect::DataEnd => {
                if is_success(&reply) {
                    let delivery = txn.delivered(&reply, raw);
                    self.follow_up_or_finish(txn, delivery);
                } else {
                    let err =
                        reply_error(&reply, "the message", None).with_reason("message_refused");
                    if let Some(mut delivery) = txn.delivery.take() {
                        for r in txn.accepted.drain(..) {
                            delivery.rejected.push(RecipientReply {
                                recipient: r.recipient,
                                reply: reply.clone(),
                            });
                        }
                        delivery.rejected.append(&mut txn.rejected);
                        delivery.rejected.append(&mut txn.deferred);
                        self.state = State::Ready;
                        self.actions.push_back(Action::Delivered(Ok(delivery)));
                    } else {
                        self.state = State::Ready;
                        self.actions.push_back(Action::Delivered(Err(err)));
                    }
                }
            }
            Expect::Rset => {
                let ok = is_success(&reply);
                let outcome = match (txn.pending_error.take(), txn.delivery.take()) {
                    (_, Some(delivery)) => Ok(delivery),
                    (Some(err), None) => Err(err),
                    (None, None) => Err(Error::new(
                        ErrorKind::Internal,
                        "transaction without outcome",
                    )),
                };
                if ok {
                    self.state = State::Ready;
                    self.actions.push_back(Action::Delivered(outcome));
                } else {
                    self.actions.push_back(Action::Delivered(outcome));
                    self.close();
                }
            }
        }
        Ok(())
    }

    fn after_rcpts(&mut self, mut txn: Box<Txn>) {
        if txn.accepted.is_empty() {
            let err = Self::nobody_error(&txn);
            self.abort_txn(txn, err);
        } else if txn.chunking {
            let mut w = WriteBuf::default();
            txn.write_bdat(&mut w);
            self.flush_buf(w);
            self.state = State::Txn(txn);
        } else {
            txn.pending.push_back(Expect::Data);
            self.state = State::Txn(txn);
            self.command("DATA".to_string());
        }
    }

    fn follow_up_or_finish(&mut self, mut txn: Box<Txn>, delivery: Delivery) {
        match txn.follow_up(delivery) {
            FollowUp::Next(next) => self.begin(next),
            FollowUp::Done(delivery) => {
                self.state = State::Ready;
                self.actions.push_back(Action::Delivered(Ok(delivery)));
            }
        }
    }

    /// Adds a message to the next batch, with the caller's index `tag` (reported with
    /// its outcome by [`Engine::take_finished`]). The checks of
    /// [`Engine::send_message`] apply; a message they refuse is not added (the `Err`
    /// is its outcome) and nothing is written. Needs a ready session.
    pub fn batch_add(
        &mut self,
        tag: usize,
        envelope: &Envelope,
        data: &[u8],
        needs: MessageNeeds,
    ) -> Result<()> {
        if !self.is_ready() {
            return Err(Error::new(
                ErrorKind::Internal,
                "the session is not ready for a message",
            ));
        }
        let txn = self.prepare(envelope, data, needs, tag)?;
        self.queued.push_back(Box::new(txn));
        Ok(())
    }

    /// Starts the batch of the messages added with [`Engine::batch_add`], keeping up
    /// to `window` whole transactions in flight (at least 1; at most
    /// [`MAX_BATCH_REPLIES`] replies outstanding). Needs PIPELINING
    /// ([`Engine::uses_pipelining`]).
    ///
    /// With BDAT each transaction is `[RSET] MAIL RCPT… BDAT <n> LAST <data>`, written
    /// without waiting, so a window of transactions costs one round trip. With DATA,
    /// the data of a message (after its 354) goes in the same write as the commands of
    /// the next message (RFC 2920 allows it): one round trip per message. RSET goes
    /// in front of a transaction written behind another one still in flight (with
    /// BDAT), or after a transaction that may have left the server's transaction open,
    /// so that no failure can carry over to the next message.
    ///
    /// Each message ends with exactly one outcome in [`Engine::take_finished`]; the
    /// engine is ready again when the batch is done ([`Engine::batch_active`] false).
    pub fn batch_start(&mut self, window: usize) -> Result<()> {
        if !self.is_ready() {
            return Err(Error::new(
                ErrorKind::Internal,
                "the session is not ready for a batch",
            ));
        }
        if !self.uses_pipelining() {
            self.queued.clear();
            return Err(Error::new(
                ErrorKind::Internal,
                "a batch needs PIPELINING: send the messages one by one",
            ));
        }
        self.window = window.max(1);
        if self.queued.is_empty() {
            return Ok(());
        }
        self.state = State::Batch;
        let mut w = WriteBuf::default();
        self.pump(&mut w);
        self.flush_buf(w);
        Ok(())
    }

    /// Whether a batch is still running (written transactions wait for replies).
    pub fn batch_active(&self) -> bool {
        matches!(self.state, State::Batch)
    }

    /// The outcomes of batched messages that are done, by tag, in the order they
    /// ended.
    pub fn take_finished(&mut self) -> Vec<(usize, std::result::Result<Delivery, Error>)> {
        std::mem::take(&mut self.finished)
    }

    /// Writes as many queued transactions as the window allows.
    fn pump(&mut self, w: &mut WriteBuf) {
        while let Some(next) = self.queued.front() {
            let outstanding: usize = self.inflight.iter().map(|t| t.pending.len()).sum();
            let need = next.recipients.len() + 3;
            if !self.inflight.is_empty()
                && (self.inflight.len() >= self.window || outstanding + need > MAX_BATCH_REPLIES)
            {
                break;
            }
            if !next.chunking
                && !self.inflight.iter().all(|t| {
                    t.pending
                        .iter()
                        .all(|e| matches!(e, Expect::DataEnd | Expect::LoneDot))
                })
            {
                // With DATA, the next commands go only behind data already written:
                // written before a 354, they would be read as message data.
                break;
            }
            let Some(mut txn) = self.queued.pop_front() else {
                break;
            };
            let reset = self.maybe_open || (txn.chunking && !self.inflight.is_empty());
            self.maybe_open = false;
            txn.write_pipelined(reset, w);
            self.inflight.push_back(txn);
        }
    }

    fn batch_reply(&mut self, reply: Reply, raw: String) -> Result<()> {
        let Some(mut txn) = self.inflight.pop_front() else {
            return Err(protocol(
                "unexpected_reply",
                "the server sent a reply nobody asked for",
            ));
        };
        let Some(expect) = txn.pending.pop_front() else {
            return Err(protocol(
                "unexpected_reply",
                "the server sent a reply nobody asked for",
            ));
        };
        let mut w = WriteBuf::default();
        let usable = txn.mail_ok && !txn.accepted.is_empty();
        let outcome = match expect {
            Expect::Reset | Expect::Rset => None,
            Expect::Mail => {
                txn.mail_ok = is_success(&reply);
                txn.mail_reply = Some(reply);
                None
            }
            Expect::Rcpt(i) => {
                txn.record_rcpt(i, &reply);
                None
            }
            Expect::Data if reply.code == 354 && usable => {
                let data = if !txn.deferred.is_empty() {
                    txn.data.clone()
                } else {
                    std::mem::take(&mut txn.data)
                };
                w.log.push(format!(
                    "<message data: {} octets, then .>",
                    data.len().saturating_sub(dot::TERMINATOR.len())
                ));
                w.bytes.extend_from_slice(&data);
                w.ends_data = true;
                txn.data_sent = true;
                txn.pending.push_back(Expect::DataEnd);
                None
            }
            Expect::Data if reply.code == 354 => {
                // DATA accepted though nothing can be delivered: an empty message.
                w.line(".".to_string());
                txn.pending.push_back(Expect::LoneDot);
                None
            }
            Expect::Data => {
                self.maybe_open = true;
                Some(Err(if usable {
                    reply_error(&reply, "the message data (DATA)", None).with_reason("data_refused")
                } else {
                    Self::nobody_error(&txn)
                }))
            }
            Expect::DataEnd | Expect::Bdat if is_success(&reply) && usable => {
                Some(Ok(txn.delivered(&reply, raw)))
            }
            Expect::DataEnd | Expect::Bdat => {
                if expect == Expect::Bdat {
                    self.maybe_open = true;
                }
                Some(Err(if usable {
                    reply_error(&reply, "the message", None).with_reason("message_refused")
                } else {
                    Self::nobody_error(&txn)
                }))
            }
            Expect::LoneDot => Some(Err(Self::nobody_error(&txn))),
        };
        match outcome {
            None => self.inflight.push_front(txn),
            Some(outcome) => self.batch_finish(txn, outcome),
        }
        self.pump(&mut w);
        self.flush_buf(w);
        if self.inflight.is_empty() && self.queued.is_empty() {
            if self.maybe_open {
                self.maybe_open = false;
                self.state = State::Probe;
                self.command("RSET".to_string());
            } else {
                self.state = State::Ready;
            }
        }
        Ok(())
    }

    /// Records the outcome of a batched transaction, or queues its follow-up.
    fn batch_finish(&mut self, mut txn: Box<Txn>, outcome: std::result::Result<Delivery, Error>) {
        let tag = txn.tag;
        match outcome {
            Ok(delivery) => match txn.follow_up(delivery) {
                FollowUp::Next(next) => self.queued.push_front(next),
                FollowUp::Done(delivery) => self.finished.push((tag, Ok(delivery))),
            },
            Err(err) => match txn.delivery.take() {
                Some(delivery) => {
                    let delivery = merge_failure(delivery, &mut txn, &err);
                    self.finished.push((tag, Ok(delivery)));
                }
                None => self.finished.push((tag, Err(err))),
            },
        }
    }

    /// The session ended under a batch without a reply from the server (connection lost,
    /// timeout): every transaction gets its outcome from `cause` ([`Self::end_batch`]),
    /// the session is closed, and `cause` is returned.
    fn abandon_batch(&mut self, cause: Error) -> Error {
        self.state = State::Batch;
        self.end_batch(&cause, false);
        self.state = State::Closed;
        cause
    }

    /// The batch ends early (421, connection lost, timeout, protocol error): every
    /// transaction gets its outcome. `replied` is true when `cause` is the server's
    /// reply to the oldest transaction (a 421): that one failed with it. A
    /// transaction whose data was written and whose final reply was not read is
    /// `outcome_unknown` (reason `in_flight`); one known refused keeps its refusal;
    /// one whose data was never written is `connection` with reason `not_sent` (safe
    /// to send again).
    fn end_batch(&mut self, cause: &Error, replied: bool) {
        let inflight = std::mem::take(&mut self.inflight);
        let queued = std::mem::take(&mut self.queued);
        for (i, txn) in inflight.into_iter().enumerate() {
            let outcome = if i == 0 && replied {
                cause.clone()
            } else if txn.known_refused() {
                Self::nobody_error(&txn)
            } else if txn.outcome_unknown() {
                Error::new(
                    ErrorKind::OutcomeUnknown,
                    format!("the session ended ({}) after the message data was written and before its final reply: the message may or may not have been accepted; resend with the same Message-ID", cause.message()),
                )
                .with_reason("in_flight")
                .with_transient(true)
            } else {
                not_sent(cause)
            };
            self.batch_finish(txn, Err(outcome));
        }
        for txn in queued {
            self.batch_finish(txn, Err(not_sent(cause)));
        }
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
