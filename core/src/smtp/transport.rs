//! The blocking transport: a short loop around [`Engine`] over `std::net` and rustls.
//! It is the only code that touches sockets. One [`SmtpClient`] is one connection
//! (re-opened when needed); [`SmtpPool`] shares up to N clients between threads.
//! [`SmtpClient::send_many`] keeps several whole transactions in flight on one
//! connection (PIPELINING, ideally CHUNKING); [`SmtpPool::send_many`] spreads a list
//! over the pool's connections.

use super::credentials::Credentials;
use super::engine::{
    Action, AuthMechanism, Delivery, Direction, Engine, EngineConfig, MessageNeeds, TlsMode, Wait,
    DEFAULT_WINDOW,
};
use super::tls::{self, TlsStream, TrustSettings};
use super::Capabilities;
use crate::address::{Address, AddressOptions, Mode};
use crate::error::{Error, ErrorKind, Result};
use crate::message::{BuiltMessage, Envelope};
use crate::policy::SenderPolicy;
use rustls::ClientConfig;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use zeroize::Zeroize;

/// Time limits of each step. The defaults follow RFC 5321 §4.5.3.2, with connect and
/// greeting capped at 60 s or less.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP connect, per resolved address (default 30 s).
    pub connect: Duration,
    /// The server's greeting, and the TLS handshake (default 60 s).
    pub greeting: Duration,
    /// The reply to each command (default 300 s, RFC 5321's MAIL/RCPT value).
    pub command: Duration,
    /// Writing the message data (default 180 s, RFC 5321's data block value).
    pub data_write: Duration,
    /// The final reply after the data (default 600 s, RFC 5321's value), so that
    /// `outcome_unknown` is not raised spuriously.
    pub data_end: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(30),
            greeting: Duration::from_secs(60),
            command: Duration::from_secs(300),
            data_write: Duration::from_secs(180),
            data_end: Duration::from_secs(600),
        }
    }
}

/// The port of the service's SMTP submission: 25, with STARTTLS required. The bindings
/// use it when the caller gives no port.
pub const DEFAULT_PORT: u16 = 25;

/// Receives each protocol line sent or received, credentials redacted.
pub type TranscriptHook = Arc<dyn Fn(Direction, &str) + Send + Sync>;

/// Where and how to connect.
#[derive(Clone)]
pub struct SmtpOptions {
    /// Host name or IP address.
    pub host: String,
    /// Port (25 or 587 with STARTTLS, 465 with implicit TLS).
    pub port: u16,
    /// How the connection is protected (STARTTLS required by default).
    pub tls: TlsMode,
    /// The name checked against the server's certificate (default: `host`).
    pub server_name: Option<String>,
    /// Trusted roots: system roots plus an optional extra CA.
    pub trust: TrustSettings,
    /// Credentials for AUTH (sent only over TLS).
    pub credentials: Option<Arc<Credentials>>,
    /// The AUTH mechanism (PLAIN by default).
    pub auth_mechanism: AuthMechanism,
    /// The EHLO name (default: the local address as an address literal).
    pub ehlo_name: Option<String>,
    /// Time limits.
    pub timeouts: Timeouts,
    /// Use PIPELINING when offered (default true).
    pub pipelining: bool,
    /// Use BDAT (RFC 3030) instead of DATA when the server offers CHUNKING (default
    /// true).
    pub chunking: bool,
    /// How many whole transactions [`SmtpClient::send_many`] keeps in flight on one
    /// connection (default 16; at least 1).
    pub window: usize,
    /// A reused connection idle for longer than this is checked with RSET (one round
    /// trip) before the next message (default 1 s). Within it the message goes at once;
    /// a server that closed the connection meanwhile answers 421 or nothing, and the
    /// message is sent again on a new connection when that cannot duplicate it (see
    /// `docs/TRANSPORT.md`).
    pub probe_idle_after: Duration,
    /// A protocol transcript hook.
    pub transcript: Option<TranscriptHook>,
    /// The registered senders: when set, a MAIL FROM outside it (or the empty reverse
    /// path `<>`) is refused with `sender_not_registered` before anything is sent.
    pub sender_policy: Option<SenderPolicy>,
}

impl fmt::Debug for SmtpOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpOptions")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("server_name", &self.server_name)
            .field("credentials", &self.credentials)
            .field("auth_mechanism", &self.auth_mechanism)
            .field("ehlo_name", &self.ehlo_name)
            .field("timeouts", &self.timeouts)
            .field("pipelining", &self.pipelining)
            .field("chunking", &self.chunking)
            .field("window", &self.window)
            .field("probe_idle_after", &self.probe_idle_after)
            .field("transcript", &self.transcript.as_ref().map(|_| "<hook>"))
            .field("sender_policy", &self.sender_policy)
            .finish()
    }
}

impl SmtpOptions {
    /// STARTTLS to `host:port`, system roots, no credentials.
    pub fn new(host: impl Into<String>, port: u16) -> SmtpOptions {
        SmtpOptions {
            host: host.into(),
            port,
            tls: TlsMode::StartTls,
            server_name: None,
            trust: TrustSettings::system(),
            credentials: None,
            auth_mechanism: AuthMechanism::Plain,
            ehlo_name: None,
            timeouts: Timeouts::default(),
            pipelining: true,
            chunking: true,
            window: DEFAULT_WINDOW,
            probe_idle_after: Duration::from_secs(1),
            transcript: None,
            sender_policy: None,
        }
    }

    /// Sets the credentials.
    pub fn credentials(mut self, username: &str, password: &str) -> SmtpOptions {
        self.credentials = Some(Arc::new(Credentials::new(username, password)));
        self
    }

    /// Adds the CA certificates of a PEM file to the trusted roots.
    pub fn ca_file(mut self, path: impl AsRef<Path>) -> Result<SmtpOptions> {
        self.trust.extra_ca_pem = Some(tls::read_ca_file(path.as_ref())?);
        Ok(self)
    }

    /// Sets the TLS mode.
    pub fn tls(mut self, mode: TlsMode) -> SmtpOptions {
        self.tls = mode;
        self
    }
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream>),
    Gone,
}

impl Stream {
    fn tcp(&self) -> Option<&TcpStream> {
        match self {
            Stream::Plain(s) => Some(s),
            Stream::Tls(s) => Some(s.get_ref()),
            Stream::Gone => None,
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
            Stream::Gone => Err(io::Error::new(io::ErrorKind::NotConnected, "closed")),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.write_all(buf).and_then(|_| s.flush()),
            Stream::Tls(s) => s.write_all(buf).and_then(|_| s.flush()),
            Stream::Gone => Err(io::Error::new(io::ErrorKind::NotConnected, "closed")),
        }
    }

    fn shutdown(&mut self) {
        if let Stream::Tls(s) = self {
            s.conn.send_close_notify();
            let _ = s.flush();
        }
        if let Some(t) = self.tcp() {
            let _ = t.shutdown(std::net::Shutdown::Both);
        }
        *self = Stream::Gone;
    }
}

struct Connection {
    stream: Stream,
    engine: Engine,
    /// A message was submitted on it (a reuse may then start with an RSET probe).
    used: bool,
    /// When its last exchange ended.
    last_used: Instant,
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
    tls_config: Option<Arc<ClientConfig>>,
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

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

impl SmtpClient {
    /// A client that connects on first use. Checks the options (TLS roots, CA file).
    pub fn new(options: SmtpOptions) -> Result<SmtpClient> {
        if let Some(name) = &options.ehlo_name {
            super::engine::check_ehlo_name(name)?;
        }
        let tls_config = match options.tls {
            TlsMode::InsecurePlaintext => {
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

    fn with_config(options: SmtpOptions, tls_config: Option<Arc<ClientConfig>>) -> SmtpClient {
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

    fn tcp_connect(&self) -> Result<TcpStream> {
        let addrs: Vec<SocketAddr> = (self.options.host.as_str(), self.options.port)
            .to_socket_addrs()
            .map_err(|e| {
                Error::new(
                    ErrorKind::Connection,
                    format!("cannot resolve {}: {e}", self.options.host),
                )
                .with_reason("resolve")
            })?
            .collect();
        if addrs.is_empty() {
            return Err(Error::new(
                ErrorKind::Connection,
                format!("{} resolves to no address", self.options.host),
            )
            .with_reason("resolve"));
        }
        let mut failures = Vec::new();
        let mut all_timed_out = true;
        for addr in &addrs {
            match TcpStream::connect_timeout(addr, self.options.timeouts.connect) {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    return Ok(s);
                }
                Err(e) => {
                    all_timed_out &= is_timeout(&e);
                    failures.push(format!("{addr}: {e}"));
                }
            }
        }
        let message = format!(
            "cannot connect to {}:{} ({})",
            self.options.host,
            self.options.port,
            failures.join("; ")
        );
        if all_timed_out {
            Err(Error::new(ErrorKind::Timeout, message).with_reason("connect"))
        } else {
            Err(Error::new(ErrorKind::Connection, message).with_reason("connect"))
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
        let tcp = self.tcp_connect()?;
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
            Stream::Tls(Box::new(tls::handshake(
                tcp,
                config,
                self.server_name(),
                self.options.timeouts.greeting,
            )?))
        } else {
            Stream::Plain(tcp)
        };
        self.conn = Some(Box::new(Connection {
            stream,
            engine,
            used: false,
            last_used: Instant::now(),
        }));
        self.drive(Goal::Ready).map(|_| ())
    }

    fn drop_conn(&mut self) {
        if let Some(mut c) = self.conn.take() {
            self.finished.extend(c.engine.take_finished());
            self.closed_round_trips += c.engine.round_trips();
            c.stream.shutdown();
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
                        if let Some(tcp) = conn.stream.tcp() {
                            let _ = tcp.set_write_timeout(Some(t));
                        }
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
                    Action::Received(line) => hooks.push((Direction::Received, line)),
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
                        match tls::handshake(tcp, config, name, self.options.timeouts.greeting) {
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
            if let Some(tcp) = conn.stream.tcp() {
                let _ = tcp.set_read_timeout(Some(t));
            }
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
        if let Some(c) = self.conn.as_mut() {
            if c.engine.is_ready() {
                self.options.timeouts.command =
                    self.options.timeouts.command.min(Duration::from_secs(5));
                let _ = self.quit();
            }
        }
        self.drop_conn();
    }
}

struct PoolState {
    idle: Vec<SmtpClient>,
    open: usize,
}

/// Up to `max` clients shared between threads: each send takes an idle client (or
/// opens a new one while fewer than `max` exist, else waits for one).
pub struct SmtpPool {
    options: SmtpOptions,
    tls_config: Option<Arc<ClientConfig>>,
    max: usize,
    state: Mutex<PoolState>,
    freed: Condvar,
}

impl fmt::Debug for SmtpPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpPool")
            .field("options", &self.options)
            .field("max", &self.max)
            .finish()
    }
}

impl SmtpPool {
    /// A pool of at most `max` connections (at least 1).
    pub fn new(options: SmtpOptions, max: usize) -> Result<SmtpPool> {
        let probe = SmtpClient::new(options.clone())?;
        let tls_config = probe.tls_config.clone();
        Ok(SmtpPool {
            options,
            tls_config,
            max: max.max(1),
            state: Mutex::new(PoolState {
                idle: Vec::new(),
                open: 0,
            }),
            freed: Condvar::new(),
        })
    }

    fn take(&self) -> SmtpClient {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(c) = st.idle.pop() {
                return c;
            }
            if st.open < self.max {
                st.open += 1;
                return SmtpClient::with_config(self.options.clone(), self.tls_config.clone());
            }
            st = self.freed.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn give_back(&self, client: SmtpClient) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.idle.push(client);
        self.freed.notify_one();
    }

    /// Sends a built message on a pooled connection.
    pub fn send(&self, message: &BuiltMessage) -> Result<Delivery> {
        let mut c = self.take();
        let r = c.send(message);
        self.give_back(c);
        r
    }

    /// Sends raw bytes with an envelope on a pooled connection.
    pub fn send_raw(&self, envelope: &Envelope, bytes: &[u8]) -> Result<Delivery> {
        let mut c = self.take();
        let r = c.send_raw(envelope, bytes);
        self.give_back(c);
        r
    }

    /// Sends with explicit needs on a pooled connection (see [`SmtpClient::send_with`]):
    /// a built message's bytes and needs with another envelope, say.
    pub fn send_with(
        &self,
        envelope: &Envelope,
        bytes: &[u8],
        needs: MessageNeeds,
    ) -> Result<Delivery> {
        let mut c = self.take();
        let r = c.send_with(envelope, bytes, needs);
        self.give_back(c);
        r
    }

    /// Sends several messages and returns one result per message, in input order. The
    /// list is cut into contiguous parts, one per connection (at most the pool size,
    /// and no part smaller than [`SmtpOptions::window`], so a short list stays on one
    /// connection), each sent with [`SmtpClient::send_many`] on its own thread.
    pub fn send_many(&self, messages: &[BuiltMessage]) -> Vec<Result<Delivery>> {
        let items: Vec<Outgoing<'_>> = messages.iter().map(Outgoing::from).collect();
        self.send_many_outgoing(&items)
    }

    /// [`SmtpPool::send_many`] for envelopes and bytes built elsewhere.
    pub fn send_many_outgoing(&self, items: &[Outgoing<'_>]) -> Vec<Result<Delivery>> {
        if items.is_empty() {
            return Vec::new();
        }
        let window = self.options.window.max(1);
        let parts = items.len().div_ceil(window).clamp(1, self.max);
        let size = items.len().div_ceil(parts);
        if parts == 1 {
            let mut c = self.take();
            let r = c.send_many_outgoing(items);
            self.give_back(c);
            return r;
        }
        std::thread::scope(|scope| {
            let handles: Vec<_> = items
                .chunks(size)
                .map(|chunk| {
                    scope.spawn(move || {
                        let mut c = self.take();
                        let r = c.send_many_outgoing(chunk);
                        self.give_back(c);
                        r
                    })
                })
                .collect();
            let mut out = Vec::with_capacity(items.len());
            for (h, chunk) in handles.into_iter().zip(items.chunks(size)) {
                match h.join() {
                    Ok(r) => out.extend(r),
                    Err(_) => out.extend(chunk.iter().map(|_| {
                        Err(Error::new(ErrorKind::Internal, "a sending thread panicked"))
                    })),
                }
            }
            out
        })
    }

    /// Closes every idle connection (QUIT).
    pub fn close(&self) {
        let idle = {
            let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
            st.open -= st.idle.len().min(st.open);
            std::mem::take(&mut st.idle)
        };
        for mut c in idle {
            let _ = c.quit();
        }
    }
}
