//! [`SmtpClient`]: one SMTP connection, opened on first use, and the loop that drives
//! the engine over it. Every step runs under a deadline (see `socket`): the greeting,
//! each TLS handshake, each reply, each write, the final reply.

use super::super::engine::{
    Action, Delivery, Direction, Engine, EngineConfig, MessageNeeds, TlsMode, Wait,
};
use super::super::tls;
use super::super::Capabilities;
use super::connect;
use super::options::SmtpOptions;
use super::socket::{is_timeout, DeadlineSocket, Stream};
use crate::address::{Address, AddressOptions, Mode};
use crate::error::{Error, ErrorKind, Result};
use crate::message::{BuiltMessage, Envelope};
use crate::policy::SenderPolicy;
use rustls::ClientConfig;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zeroize::Zeroize;

/// The longest wait for the server's answer to the QUIT sent when a client is dropped
/// or a connection expires (each step is bounded by it or by the command limit, if
/// shorter).
const QUIT_ON_DROP_LIMIT: Duration = Duration::from_secs(5);

struct Connection {
    stream: Stream,
    engine: Engine,
    /// A message was submitted on it (a reuse may then start with an RSET probe).
    used: bool,
    /// When its last exchange ended.
    last_used: Instant,
    /// The deadline of the reply being read, set when the first read for it starts and
    /// cleared when its last line arrives.
    reply_deadline: Option<Instant>,
}

enum Goal {
    Ready,
    Delivered,
    Batch,
    Closed,
}

/// One message for [`SmtpClient::send_many`]: envelope, bytes and needs, borrowed.
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
    /// Raw bytes with an envelope; the needs are detected as [`SmtpClient::send_raw`]
    /// does.
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
            needs: MessageNeeds {
                smtputf8: message.smtputf8,
                eight_bit: message.eight_bit,
            },
        }
    }
}

fn raw_needs(envelope: &Envelope, bytes: &[u8]) -> MessageNeeds {
    MessageNeeds {
        smtputf8: !envelope.mail_from.is_ascii() || envelope.rcpt_to.iter().any(|r| !r.is_ascii()),
        eight_bit: !bytes.is_ascii(),
    }
}

/// How many times [`SmtpClient::send_many`] opens a connection for messages that were
/// never written (a session ended before them).
const MAX_BATCH_ATTEMPTS: usize = 3;

/// One SMTP connection, opened on first use and re-opened when the server closed it
/// while idle. Sends QUIT when dropped.
pub struct SmtpClient {
    options: SmtpOptions,
    pub(crate) tls_config: Option<Arc<ClientConfig>>,
    conn: Option<Box<Connection>>,
    /// Round trips of the connections already closed.
    closed_round_trips: u64,
    /// Batch outcomes taken from engines (kept across a dropped connection).
    finished: Vec<(usize, Result<Delivery>)>,
}

impl fmt::Debug for SmtpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpClient")
            .field("options", &self.options)
            .field("connected", &self.conn.is_some())
            .finish()
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

/// Whether a received line is the last line of its reply: no `-` after the code (RFC
/// 5321 §4.2.1; the engine has already checked the line's form).
fn ends_reply(line: &str) -> bool {
    line.as_bytes().get(3) != Some(&b'-')
}

impl SmtpClient {
    /// A client that connects on first use. Checks the options (TLS roots, CA file).
    pub fn new(options: SmtpOptions) -> Result<SmtpClient> {
        if let Some(name) = &options.ehlo_name {
            super::super::engine::check_ehlo_name(name)?;
        }
        let tls_config = match options.tls {
            TlsMode::InsecurePlaintext => {
                connect::check_plaintext_host(&options.host)?;
                if options.credentials.is_some() {
                    return Err(Error::new(
                        ErrorKind::InvalidArgument,
                        "credentials are never sent without TLS: remove them or use TLS",
                    )
                    .with_reason("auth_requires_tls"));
                }
                None
            }
            _ => Some(tls::client_config(&options.trust)?),
        };
        Ok(SmtpClient::with_config(options, tls_config))
    }

    pub(crate) fn with_config(
        options: SmtpOptions,
        tls_config: Option<Arc<ClientConfig>>,
    ) -> SmtpClient {
        SmtpClient {
            options,
            tls_config,
            conn: None,
            closed_round_trips: 0,
            finished: Vec::new(),
        }
    }

    /// How many times this client waited for the server after writing, over every
    /// connection it opened (greeting excluded; EHLO, STARTTLS, AUTH and RSET probes
    /// included; the TLS handshake itself not counted). With PIPELINING a message costs
    /// 2 (DATA) or 1 (BDAT); [`SmtpClient::send_many`] costs less than 1 per message.
    pub fn round_trips(&self) -> u64 {
        self.closed_round_trips + self.conn.as_ref().map_or(0, |c| c.engine.round_trips())
    }

    /// A client connected now (greeting, EHLO, STARTTLS, AUTH done).
    pub fn connect(options: SmtpOptions) -> Result<SmtpClient> {
        let mut client = SmtpClient::new(options)?;
        client.open()?;
        Ok(client)
    }

    /// The capabilities of the open session, if any.
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.conn.as_ref().map(|c| c.engine.capabilities())
    }

    /// Whether a session is open.
    pub fn is_connected(&self) -> bool {
        self.conn.is_some()
    }

    fn hook(&self, dir: Direction, line: &str) {
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

    fn open(&mut self) -> Result<()> {
        self.conn = None;
        let plaintext = self.options.tls == TlsMode::InsecurePlaintext;
        let tcp = connect::tcp_connect(
            &self.options.host,
            self.options.port,
            plaintext,
            self.options.timeouts.connect,
        )?;
        let ehlo_name = match &self.options.ehlo_name {
            Some(n) => n.clone(),
            None => match tcp.local_addr() {
                Ok(SocketAddr::V4(a)) => format!("[{}]", a.ip()),
                Ok(SocketAddr::V6(a)) => format!("[IPv6:{}]", a.ip()),
                Err(_) => "localhost".to_string(),
            },
        };
        let engine = Engine::new(EngineConfig {
            ehlo_name,
            tls: self.options.tls,
            credentials: self.options.credentials.clone(),
            auth_mechanism: self.options.auth_mechanism,
            pipelining: self.options.pipelining,
            chunking: self.options.chunking,
        })?;
        let stream = if self.options.tls == TlsMode::Implicit {
            let config = self.tls_config.clone().ok_or_else(|| {
                Error::new(
                    ErrorKind::Internal,
                    "implicit TLS without a TLS configuration",
                )
            })?;
            let sock = DeadlineSocket::new(tcp, self.options.timeouts.greeting);
            Stream::Tls(Box::new(tls::handshake(sock, config, self.server_name())?))
        } else {
            Stream::Plain(DeadlineSocket::new(tcp, self.options.timeouts.greeting))
        };
        self.conn = Some(Box::new(Connection {
            stream,
            engine,
            used: false,
            last_used: Instant::now(),
            reply_deadline: None,
        }));
        self.drive(Goal::Ready).map(|_| ())
    }

    fn drop_conn(&mut self) {
        if let Some(mut c) = self.conn.take() {
            self.finished.extend(c.engine.take_finished());
            self.closed_round_trips += c.engine.round_trips();
            c.stream
                .shutdown(self.options.timeouts.command.min(QUIT_ON_DROP_LIMIT));
        }
    }

    /// Runs the engine until `goal`. On error the connection is dropped.
    fn drive(&mut self, goal: Goal) -> Result<Option<Result<Delivery>>> {
        let r = self.drive_inner(goal);
        if r.is_err() {
            self.drop_conn();
        }
        r
    }

    fn drive_inner(&mut self, goal: Goal) -> Result<Option<Result<Delivery>>> {
        let mut buf = vec![0u8; 16 * 1024];
        let mut delivered: Option<Result<Delivery>> = None;
        loop {
            let Some(conn) = self.conn.as_mut() else {
                return Err(
                    Error::new(ErrorKind::Connection, "the connection is closed")
                        .with_reason("closed"),
                );
            };
            let mut closed = false;
            let mut ready = false;
            let mut hooks: Vec<(Direction, String)> = Vec::new();
            let mut step: Result<()> = Ok(());
            while let Some(action) = conn.engine.poll() {
                match action {
                    Action::Write(mut out) => {
                        for l in out.log.drain(..) {
                            hooks.push((Direction::Sent, l));
                        }
                        let t = if out.ends_data {
                            self.options.timeouts.data_write
                        } else {
                            self.options.timeouts.command
                        };
                        conn.stream.start_step(t);
                        let r = conn.stream.write_all(&out.bytes);
                        if out.sensitive {
                            out.bytes.zeroize();
                        }
                        if let Err(e) = r {
                            step = Err(if is_timeout(&e) {
                                conn.engine.timed_out(&format!("write: {e}"));
                                Error::new(
                                    ErrorKind::Timeout,
                                    format!("writing to the server timed out: {e}"),
                                )
                                .with_reason("write")
                            } else {
                                conn.engine
                                    .connection_lost(out.ends_data, &format!("write: {e}"))
                            });
                            break;
                        }
                    }
                    Action::Received(line) => {
                        if ends_reply(&line) {
                            conn.reply_deadline = None;
                        }
                        hooks.push((Direction::Received, line));
                    }
                    Action::StartTls => {
                        let Stream::Plain(tcp) = std::mem::replace(&mut conn.stream, Stream::Gone)
                        else {
                            step = Err(Error::new(ErrorKind::Internal, "STARTTLS twice"));
                            break;
                        };
                        let config = match self.tls_config.clone() {
                            Some(c) => c,
                            None => {
                                step = Err(Error::new(
                                    ErrorKind::Internal,
                                    "STARTTLS without a TLS configuration",
                                ));
                                break;
                            }
                        };
                        let name = self
                            .options
                            .server_name
                            .as_deref()
                            .unwrap_or(&self.options.host);
                        let mut tcp = tcp;
                        tcp.start_step(self.options.timeouts.greeting);
                        match tls::handshake(tcp, config, name) {
                            Ok(s) => {
                                conn.stream = Stream::Tls(Box::new(s));
                                if let Err(e) = conn.engine.tls_established() {
                                    step = Err(e);
                                    break;
                                }
                            }
                            Err(e) => {
                                step = Err(e);
                                break;
                            }
                        }
                    }
                    Action::Ready => ready = true,
                    Action::Delivered(r) => delivered = Some(r),
                    Action::Close => closed = true,
                }
            }
            for (d, l) in &hooks {
                self.hook(*d, l);
            }
            step?;
            if closed {
                self.drop_conn();
            }
            match goal {
                Goal::Ready if ready => return Ok(None),
                Goal::Delivered => {
                    if let Some(r) = delivered.take() {
                        return Ok(Some(r));
                    }
                }
                Goal::Batch if closed => return Ok(None),
                Goal::Batch => {
                    if let Some(c) = self.conn.as_mut() {
                        self.finished.extend(c.engine.take_finished());
                        if !c.engine.batch_active() && c.engine.is_ready() {
                            return Ok(None);
                        }
                    }
                }
                Goal::Closed if closed => return Ok(None),
                _ => {}
            }
            if closed {
                return Err(
                    Error::new(ErrorKind::Connection, "the server closed the session")
                        .with_reason("closed"),
                );
            }
            let Some(conn) = self.conn.as_mut() else {
                return Err(Error::new(
                    ErrorKind::Connection,
                    "the connection is closed",
                ));
            };
            let t = match conn.engine.waiting() {
                Wait::Greeting => self.options.timeouts.greeting,
                Wait::DataEnd => self.options.timeouts.data_end,
                Wait::Command => self.options.timeouts.command,
                Wait::Idle => {
                    return Err(Error::new(
                        ErrorKind::Internal,
                        "the engine waits for nothing before reaching its goal",
                    ))
                }
            };
            let deadline = *conn
                .reply_deadline
                .get_or_insert_with(|| Instant::now() + t);
            conn.stream.set_deadline(deadline);
            let n = match conn.stream.read(&mut buf) {
                Ok(0) => {
                    return Err(conn
                        .engine
                        .connection_lost(false, "the server closed the connection"))
                }
                Ok(n) => n,
                Err(e) if is_timeout(&e) => {
                    return Err(conn.engine.timed_out(&format!("{} s", t.as_secs_f64())))
                }
                Err(e) => return Err(conn.engine.connection_lost(false, &e.to_string())),
            };
            if let Err(e) = conn.engine.feed(&buf[..n]) {
                while let Some(a) = conn.engine.poll() {
                    if let Action::Received(l) = a {
                        hooks.push((Direction::Received, l));
                    }
                }
                let lines: Vec<(Direction, String)> = hooks
                    .drain(..)
                    .filter(|(d, _)| *d == Direction::Received)
                    .collect();
                for (d, l) in &lines {
                    self.hook(*d, l);
                }
                return Err(e);
            }
        }
    }

    /// Makes sure a session is ready: opens one, or checks a reused one with RSET and
    /// reconnects when the server closed it while idle (nothing of the message has been
    /// sent yet, so this is always safe).
    fn ensure_ready(&mut self) -> Result<()> {
        if self.idle_expired() {
            // Idle for longer than the server may keep it: QUIT, and a new connection.
            self.close_bounded();
        }
        match &self.conn {
            None => return self.open(),
            Some(c) if !c.used => return Ok(()),
            Some(c) if c.last_used.elapsed() <= self.options.probe_idle_after => return Ok(()),
            Some(_) => {}
        }
        let probe = match self.conn.as_mut() {
            Some(c) => c.engine.probe(),
            None => Ok(()),
        };
        let r = probe.and_then(|_| self.drive(Goal::Ready).map(|_| ()));
        match r {
            Ok(()) => Ok(()),
            Err(e)
                if e.kind() == ErrorKind::Connection || e.reason() == Some("service_closing") =>
            {
                self.drop_conn();
                self.open()
            }
            Err(e) => Err(e),
        }
    }

    /// Sends a built message (its envelope and bytes).
    pub fn send(&mut self, message: &BuiltMessage) -> Result<Delivery> {
        self.send_with(
            &message.envelope,
            &message.bytes,
            MessageNeeds {
                smtputf8: message.smtputf8,
                eight_bit: message.eight_bit,
            },
        )
    }

    /// Sends raw RFC 5322 bytes (built elsewhere) with the given envelope. SMTPUTF8 and
    /// 8BITMIME needs are detected from the envelope and the bytes.
    pub fn send_raw(&mut self, envelope: &Envelope, bytes: &[u8]) -> Result<Delivery> {
        self.send_with(envelope, bytes, raw_needs(envelope, bytes))
    }

    /// Sends with explicit needs. The message is never sent twice: a reconnect happens
    /// only before MAIL FROM. With a sender policy, the MAIL FROM is checked first,
    /// before any connection is opened or command written.
    pub fn send_with(
        &mut self,
        envelope: &Envelope,
        bytes: &[u8],
        needs: MessageNeeds,
    ) -> Result<Delivery> {
        if let Some(policy) = &self.options.sender_policy {
            check_sender(policy, envelope)?;
        }
        self.ensure_ready()?;
        let reused = self.conn.as_ref().is_some_and(|c| c.used);
        match self.send_once(envelope, bytes, needs) {
            // The server closed the reused connection before processing anything of
            // the message: once more on a new connection (no duplicate possible).
            Err((e, true)) if reused => {
                let _ = e;
                self.ensure_ready()?;
                self.send_once(envelope, bytes, needs).map_err(|(e, _)| e)
            }
            r => r.map_err(|(e, _)| e),
        }
    }

    /// One attempt; on error, also whether the message can be sent again safely.
    fn send_once(
        &mut self,
        envelope: &Envelope,
        bytes: &[u8],
        needs: MessageNeeds,
    ) -> std::result::Result<Delivery, (Error, bool)> {
        let Some(conn) = self.conn.as_mut() else {
            return Err((
                Error::new(ErrorKind::Connection, "the connection is closed"),
                false,
            ));
        };
        conn.engine
            .send_message(envelope, bytes, needs)
            .map_err(|e| (e, false))?;
        conn.used = true;
        let r = self.drive_keep(Goal::Delivered);
        if let Some(c) = self.conn.as_mut() {
            c.last_used = Instant::now();
        }
        let resendable = self
            .conn
            .as_ref()
            .is_some_and(|c| c.engine.message_resendable());
        match r {
            Ok(Some(outcome)) => {
                if self.conn.as_ref().is_some_and(|c| c.engine.is_closed()) {
                    self.drop_conn();
                }
                outcome.map_err(|e| (e, resendable))
            }
            Ok(None) => Err((
                Error::new(ErrorKind::Internal, "no delivery outcome"),
                false,
            )),
            Err(e) => {
                self.drop_conn();
                Err((e, resendable))
            }
        }
    }

    /// Like [`SmtpClient::drive`], but leaves the connection (and its engine) in place on
    /// error, for the caller to inspect before dropping it.
    fn drive_keep(&mut self, goal: Goal) -> Result<Option<Result<Delivery>>> {
        self.drive_inner(goal)
    }

    /// Sends several messages over this connection and returns one result per message,
    /// in input order.
    ///
    /// With PIPELINING, up to [`SmtpOptions::window`] whole transactions are in flight
    /// at once (see [`Engine::batch_start`]): with CHUNKING a window of messages costs
    /// one round trip; with DATA, one per message. Every reply is matched to its
    /// message and recipient. Without PIPELINING the messages go one by one.
    ///
    /// When the session ends mid-way (421, connection lost, timeout): messages whose
    /// final reply was read keep their outcome; those whose data was written without a
    /// final reply are `outcome_unknown` (reason `in_flight`, never retried here: a
    /// resend could duplicate them); those never written are sent again on a new
    /// connection (up to 3 connections in all), else reported as `connection` with
    /// reason `not_sent`.
    pub fn send_many(&mut self, messages: &[BuiltMessage]) -> Vec<Result<Delivery>> {
        let items: Vec<Outgoing<'_>> = messages.iter().map(Outgoing::from).collect();
        self.send_many_outgoing(&items)
    }

    /// [`SmtpClient::send_many`] for envelopes and bytes built elsewhere.
    pub fn send_many_outgoing(&mut self, items: &[Outgoing<'_>]) -> Vec<Result<Delivery>> {
        let mut results: Vec<Option<Result<Delivery>>> = vec![None; items.len()];
        if let Some(policy) = &self.options.sender_policy {
            for (i, it) in items.iter().enumerate() {
                if let Err(e) = check_sender(policy, it.envelope) {
                    results[i] = Some(Err(e));
                }
            }
        }
        for _attempt in 0..MAX_BATCH_ATTEMPTS {
            let todo: Vec<usize> = (0..items.len()).filter(|&i| results[i].is_none()).collect();
            if todo.is_empty() {
                break;
            }
            if let Err(e) = self.ensure_ready() {
                for i in todo {
                    results[i] = Some(Err(e.clone()));
                }
                break;
            }
            let pipelined = self
                .conn
                .as_ref()
                .is_some_and(|c| c.engine.uses_pipelining());
            if !pipelined {
                for i in todo {
                    let it = items[i];
                    results[i] = Some(self.send_with(it.envelope, it.bytes, it.needs));
                }
                break;
            }
            self.run_batch(items, &todo, &mut results);
            // Messages never written go again on a new connection.
            let mut again = false;
            for r in results.iter_mut() {
                if matches!(r, Some(Err(e)) if e.reason() == Some("not_sent")) {
                    *r = None;
                    again = true;
                }
            }
            if !again {
                break;
            }
        }
        results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| {
                    Err(Error::new(
                        ErrorKind::Connection,
                        "the message was not sent: the sessions ended first",
                    )
                    .with_reason("not_sent"))
                })
            })
            .collect()
    }

    /// One batch on the current (ready, pipelining) connection.
    fn run_batch(
        &mut self,
        items: &[Outgoing<'_>],
        todo: &[usize],
        results: &mut [Option<Result<Delivery>>],
    ) {
        let window = self.options.window.max(1);
        let Some(conn) = self.conn.as_mut() else {
            return;
        };
        for &i in todo {
            let it = items[i];
            if let Err(e) = conn.engine.batch_add(i, it.envelope, it.bytes, it.needs) {
                results[i] = Some(Err(e));
            }
        }
        conn.used = true;
        let r = match conn.engine.batch_start(window) {
            Ok(()) => self.drive(Goal::Batch),
            Err(e) => Err(e),
        };
        if let Some(c) = self.conn.as_mut() {
            c.last_used = Instant::now();
            self.finished.extend(c.engine.take_finished());
        }
        for (tag, outcome) in self.finished.drain(..) {
            if let Some(slot) = results.get_mut(tag) {
                *slot = Some(outcome);
            }
        }
        if let Err(e) = r {
            // Every batched message has an outcome from the engine; this covers a
            // failure to start the batch at all.
            for &i in todo {
                if results[i].is_none() {
                    results[i] = Some(Err(e.clone()));
                }
            }
        }
    }

    /// Whether the open connection has been idle for longer than
    /// [`SmtpOptions::idle_expiry`].
    pub(crate) fn idle_expired(&self) -> bool {
        self.conn
            .as_ref()
            .is_some_and(|c| c.last_used.elapsed() > self.options.idle_expiry)
    }

    /// QUIT with each step bounded by [`QUIT_ON_DROP_LIMIT`] (or the command limit if
    /// shorter), then closes the connection, whatever the answer.
    fn close_bounded(&mut self) {
        if self.conn.as_ref().is_some_and(|c| c.engine.is_ready()) {
            let command = self.options.timeouts.command;
            self.options.timeouts.command = command.min(QUIT_ON_DROP_LIMIT);
            let _ = self.quit();
            self.options.timeouts.command = command;
        }
        self.drop_conn();
    }

    /// Closes the connection without a word (its state is unknown, e.g. after a panic
    /// in the middle of a send).
    pub(crate) fn discard(&mut self) {
        self.drop_conn();
    }

    /// Ends the session politely (QUIT) and closes the connection.
    pub fn quit(&mut self) -> Result<()> {
        let Some(conn) = self.conn.as_mut() else {
            return Ok(());
        };
        conn.engine.quit();
        let r = self.drive(Goal::Closed).map(|_| ());
        self.drop_conn();
        r
    }
}

impl Drop for SmtpClient {
    fn drop(&mut self) {
        self.close_bounded();
    }
}
