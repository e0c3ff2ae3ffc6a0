//! The SMTP client protocol engine, without I/O (sans-I/O).
//!
//! Server bytes go in through [`Engine::feed`]; what the client must do comes out of
//! [`Engine::poll`] as [`Action`]s: bytes to write, "start TLS now", "ready for a
//! message", "this message is done". Every protocol rule lives here — greeting, EHLO
//! and its HELO fallback, STARTTLS (required by default, never a plaintext fallback),
//! AUTH PLAIN / LOGIN, MAIL / RCPT / DATA with PIPELINING, per-recipient results,
//! "too many recipients" follow-up transactions, RSET, QUIT — so that it is tested
//! without sockets and any driver (blocking, async) only moves bytes.

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
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            ehlo_name: "localhost".to_string(),
            tls: TlsMode::StartTls,
            credentials: None,
            auth_mechanism: AuthMechanism::Plain,
            pipelining: true,
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
    Mail,
    Rcpt(usize),
    Data,
    DataEnd,
    LoneDot,
    Rset,
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
            State::Txn(t) if t.pending.front() == Some(&Expect::DataEnd) => Wait::DataEnd,
            _ => Wait::Command,
        }
    }

    /// The next thing to do, if any.
    pub fn poll(&mut self) -> Option<Action> {
        self.actions.pop_front()
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
                if !matches!(self.state, State::Closed) {
                    self.close();
                }
                Err(e)
            }
        }
    }

    fn line(&mut self, line: &[u8]) -> Result<()> {
        self.actions
            .push_back(Action::Received(String::from_utf8_lossy(line).into_owned()));
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
            let state = std::mem::replace(&mut self.state, State::Closed);
            self.actions.push_back(Action::Close);
            if let State::Txn(txn) = state {
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

    /// Sends QUIT (the session then closes).
    pub fn quit(&mut self) {
        if matches!(self.state, State::Closed) {
            return;
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
        let txn = Txn {
            data: dot::encode(data),
            mail_cmd,
            recipients: envelope.rcpt_to.clone(),
            pipelined: self.config.pipelining && self.caps.pipelining,
            pending: VecDeque::new(),
            mail_reply: None,
            mail_ok: false,
            accepted: Vec::new(),
            rejected: Vec::new(),
            deferred: Vec::new(),
            stop_rcpt: false,
            delivery: None,
            pending_error: None,
        };
        self.begin(Box::new(txn));
        Ok(())
    }

    fn begin(&mut self, mut txn: Box<Txn>) {
        if txn.pipelined {
            let mut bytes = Vec::new();
            let mut log = Vec::new();
            let mut lines = vec![txn.mail_cmd.clone()];
            txn.pending.push_back(Expect::Mail);
            for (i, r) in txn.recipients.iter().enumerate() {
                lines.push(format!("RCPT TO:<{r}>"));
                txn.pending.push_back(Expect::Rcpt(i));
            }
            lines.push("DATA".to_string());
            txn.pending.push_back(Expect::Data);
            for l in lines {
                bytes.extend_from_slice(l.as_bytes());
                bytes.extend_from_slice(b"\r\n");
                log.push(l);
            }
            self.write(bytes, log);
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
        if let Some(mut delivery) = txn.delivery.take() {
            // A later transaction failed: its recipients join the refused ones.
            let reply = err.reply().cloned();
            for r in txn.rejected.drain(..).chain(txn.deferred.drain(..)) {
                delivery.rejected.push(r);
            }
            let done: Vec<String> = delivery
                .rejected
                .iter()
                .map(|r| r.recipient.clone())
                .collect();
            for r in &txn.recipients {
                if !done.contains(r) {
                    if let Some(rep) = &reply {
                        delivery.rejected.push(RecipientReply {
                            recipient: r.clone(),
                            reply: Reply {
                                code: rep.code,
                                enhanced: rep
                                    .enhanced
                                    .as_deref()
                                    .and_then(|e| crate::reply::EnhancedCode::parse(e).ok()),
                                lines: rep.text.split('\n').map(str::to_string).collect(),
                            },
                        });
                    }
                }
            }
            txn.delivery = Some(delivery);
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
                let recipient = txn.recipients.get(i).cloned().unwrap_or_default();
                let rr = RecipientReply {
                    recipient,
                    reply: reply.clone(),
                };
                if !txn.mail_ok {
                    // Replies to RCPT after a refused MAIL (pipelined) say nothing.
                } else if is_success(&reply) {
                    txn.accepted.push(rr);
                } else if txn.stop_rcpt || is_too_many_recipients(&reply) {
                    txn.stop_rcpt = true;
                    txn.deferred.push(rr);
                } else {
                    txn.rejected.push(rr);
                }
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
            Expect::DataEnd => {
                if is_success(&reply) {
                    let notification_id = extract_notification_id(&raw);
                    let transaction = Transaction {
                        final_reply: reply.clone(),
                        final_reply_raw: raw.clone(),
                        notification_id: notification_id.clone(),
                        recipients: txn.accepted.iter().map(|r| r.recipient.clone()).collect(),
                    };
                    let mut delivery = txn.delivery.take().unwrap_or(Delivery {
                        notification_id,
                        final_reply: reply.clone(),
                        final_reply_raw: raw,
                        accepted: Vec::new(),
                        rejected: Vec::new(),
                        transactions: Vec::new(),
                    });
                    delivery.accepted.append(&mut txn.accepted);
                    delivery.rejected.append(&mut txn.rejected);
                    delivery.transactions.push(transaction);
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
        } else {
            txn.pending.push_back(Expect::Data);
            self.state = State::Txn(txn);
            self.command("DATA".to_string());
        }
    }

    fn follow_up_or_finish(&mut self, mut txn: Box<Txn>, mut delivery: Delivery) {
        if txn.deferred.is_empty() {
            self.state = State::Ready;
            self.actions.push_back(Action::Delivered(Ok(delivery)));
            return;
        }
        let accepted_any = delivery
            .transactions
            .last()
            .is_some_and(|t| !t.recipients.is_empty());
        if !accepted_any {
            delivery.rejected.append(&mut txn.deferred);
            self.state = State::Ready;
            self.actions.push_back(Action::Delivered(Ok(delivery)));
            return;
        }
        let recipients: Vec<String> = txn.deferred.drain(..).map(|r| r.recipient).collect();
        let next = Txn {
            data: std::mem::take(&mut txn.data),
            mail_cmd: txn.mail_cmd.clone(),
            recipients,
            pipelined: txn.pipelined,
            pending: VecDeque::new(),
            mail_reply: None,
            mail_ok: false,
            accepted: Vec::new(),
            rejected: Vec::new(),
            deferred: Vec::new(),
            stop_rcpt: false,
            delivery: Some(delivery),
            pending_error: None,
        };
        self.begin(Box::new(next));
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
            State::Txn(txn)
                if txn.pending.front() == Some(&Expect::DataEnd) && !while_writing_data =>
            {
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
            State::Txn(txn) if txn.pending.front() == Some(&Expect::DataEnd) => Error::new(
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
