//! Where and how to connect: [`SmtpOptions`], and the time limit of each step
//! ([`Timeouts`]).

use super::super::credentials::Credentials;
use super::super::engine::{AuthMechanism, Direction, TlsMode, DEFAULT_WINDOW};
use super::super::trust::{self, TrustSettings};
use crate::error::Result;
use crate::policy::SenderPolicy;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Time limits of each step. The defaults follow RFC 5321 §4.5.3.2, with connect and
/// greeting capped at 60 s or less.
///
/// Each limit is a deadline for the whole step, not for each read or write: before every
/// read and write the socket timeout is set to what is left, so a server dripping one
/// byte at a time cannot stretch a step (see `docs/TRANSPORT.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Opening the connection: name resolution and the TCP connect to every resolved
    /// address, tried in turn, each with an equal share of what is left (default 30 s).
    pub connect: Duration,
    /// The server's greeting; also each TLS handshake (default 60 s).
    pub greeting: Duration,
    /// The reply to each command, and writing each command (default 300 s, RFC 5321's
    /// MAIL/RCPT value).
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

/// How long a connection may stay idle before it is closed rather than reused: a fifth
/// of the 300 s after which Postfix (`smtpd_timeout`) and Exim (`smtp_receive_timeout`)
/// drop an idle client, so the client closes first and never races the server's close.
pub const DEFAULT_IDLE_EXPIRY: Duration = Duration::from_secs(60);

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
    /// connection (default 48; at least 1).
    pub window: usize,
    /// A reused connection idle for longer than this is checked with RSET (one round
    /// trip) before the next message (default 1 s). Within it the message goes at once;
    /// a server that closed the connection meanwhile answers 421 or nothing, and the
    /// message is sent again on a new connection when that cannot duplicate it (see
    /// `docs/TRANSPORT.md`).
    pub probe_idle_after: Duration,
    /// A connection idle for longer than this is closed (QUIT) instead of reused, and a
    /// new one is opened for the next message (default [`DEFAULT_IDLE_EXPIRY`], 60 s:
    /// below the idle limits of common servers, see `docs/TRANSPORT.md`). A pool also
    /// closes its expired idle connections whenever a connection is taken from it.
    pub idle_expiry: Duration,
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
            .field("idle_expiry", &self.idle_expiry)
            .field("transcript", &self.transcript.as_ref().map(|_| "<hook>"))
            .field("sender_policy", &self.sender_policy)
            .finish()
    }
}

impl SmtpOptions {
    /// STARTTLS to `host` on port 25 (the service's, [`DEFAULT_PORT`]; change it with
    /// [`SmtpOptions::port`]), system roots, no credentials.
    pub fn new(host: impl Into<String>) -> SmtpOptions {
        SmtpOptions {
            host: host.into(),
            port: DEFAULT_PORT,
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
            idle_expiry: DEFAULT_IDLE_EXPIRY,
            transcript: None,
            sender_policy: None,
        }
    }

    /// Sets the port (587 with STARTTLS and 465 with implicit TLS work too).
    pub fn port(mut self, port: u16) -> SmtpOptions {
        self.port = port;
        self
    }

    /// Sets the credentials.
    pub fn credentials(mut self, username: &str, password: &str) -> SmtpOptions {
        self.credentials = Some(Arc::new(Credentials::new(username, password)));
        self
    }

    /// Adds the CA certificates of a PEM file to the trusted roots.
    pub fn ca_file(mut self, path: impl AsRef<Path>) -> Result<SmtpOptions> {
        self.trust.extra_ca_pem = Some(trust::read_ca_file(path.as_ref())?);
        Ok(self)
    }

    /// Sets the TLS mode.
    pub fn tls(mut self, mode: TlsMode) -> SmtpOptions {
        self.tls = mode;
        self
    }
}
