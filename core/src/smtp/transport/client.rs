//! [`SmtpClient`]: one SMTP connection, opened on first use: the shared [`Session`] over
//! blocking sockets ([`BlockingIo`]), each operation run to its end on the calling
//! thread. Every step runs under a deadline (see `socket`): the greeting, each TLS
//! handshake, each reply, each write, the final reply.

use super::super::checks::check_options;
use super::super::engine::{Delivery, MessageNeeds, TlsMode};
use super::super::session::{Outgoing, Session, QUIT_ON_DROP_LIMIT};
use super::super::tls;
use super::super::Capabilities;
use super::blocking_io::{block_on, BlockingIo};
use super::options::SmtpOptions;
use crate::error::Result;
use crate::message::{BuiltMessage, Envelope};
use rustls::ClientConfig;
use std::fmt;
use std::sync::Arc;

/// Checks the options of a client or pool (the EHLO name, the plaintext rule, no
/// credentials without TLS) and builds the TLS configuration (`None` in the insecure
/// plaintext mode).
pub(crate) fn prepare(options: &SmtpOptions) -> Result<Option<Arc<ClientConfig>>> {
    check_options(options)?;
    match options.tls {
        TlsMode::InsecurePlaintext => Ok(None),
        _ => Ok(Some(tls::client_config(&options.trust)?)),
    }
}

/// One SMTP connection, opened on first use and re-opened when the server closed it
/// while idle. Sends QUIT when dropped.
pub struct SmtpClient {
    session: Session<BlockingIo>,
}

impl fmt::Debug for SmtpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpClient")
            .field("options", self.session.options())
            .field("connected", &self.session.is_connected())
            .finish()
    }
}

impl SmtpClient {
    /// A client that connects on first use. Checks the options (TLS roots, CA file).
    pub fn new(options: SmtpOptions) -> Result<SmtpClient> {
        let tls_config = prepare(&options)?;
        Ok(SmtpClient::with_config(options, tls_config))
    }

    pub(crate) fn with_config(
        options: SmtpOptions,
        tls_config: Option<Arc<ClientConfig>>,
    ) -> SmtpClient {
        let close_limit = options.timeouts.command.min(QUIT_ON_DROP_LIMIT);
        SmtpClient {
            session: Session::new(options, BlockingIo::new(tls_config, close_limit)),
        }
    }

    /// The TLS configuration (shared with the pool's other clients).
    pub(crate) fn tls_config(&self) -> Option<Arc<ClientConfig>> {
        self.session.io().tls_config().cloned()
    }

    /// How many times this client waited for the server after writing, over every
    /// connection it opened (greeting excluded; EHLO, STARTTLS, AUTH and RSET probes
    /// included; the TLS handshake itself not counted). With PIPELINING a message costs
    /// 2 (DATA) or 1 (BDAT); [`SmtpClient::send_many`] costs less than 1 per message.
    pub fn round_trips(&self) -> u64 {
        self.session.round_trips()
    }

    /// A client connected now (greeting, EHLO, STARTTLS, AUTH done).
    pub fn connect(options: SmtpOptions) -> Result<SmtpClient> {
        let mut client = SmtpClient::new(options)?;
        block_on(client.session.connect())??;
        Ok(client)
    }

    /// The capabilities of the open session, if any.
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.session.capabilities()
    }

    /// Whether a session is open.
    pub fn is_connected(&self) -> bool {
        self.session.is_connected()
    }

    /// Sends a built message (its envelope and bytes).
    pub fn send(&mut self, message: &BuiltMessage) -> Result<Delivery> {
        block_on(self.session.send(message))?
    }

    /// Sends raw RFC 5322 bytes (built elsewhere) with the given envelope. SMTPUTF8 and
    /// 8BITMIME needs are detected from the envelope and the bytes.
    pub fn send_raw(&mut self, envelope: &Envelope, bytes: &[u8]) -> Result<Delivery> {
        block_on(self.session.send_raw(envelope, bytes))?
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
        block_on(self.session.send_with(envelope, bytes, needs))?
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
    ///
    /// [`Engine::batch_start`]: crate::smtp::Engine::batch_start
    pub fn send_many(&mut self, messages: &[BuiltMessage]) -> Vec<Result<Delivery>> {
        let items: Vec<Outgoing<'_>> = messages.iter().map(Outgoing::from).collect();
        self.send_many_outgoing(&items)
    }

    /// [`SmtpClient::send_many`] for envelopes and bytes built elsewhere.
    pub fn send_many_outgoing(&mut self, items: &[Outgoing<'_>]) -> Vec<Result<Delivery>> {
        match block_on(self.session.send_many_outgoing(items)) {
            Ok(results) => results,
            Err(e) => items.iter().map(|_| Err(e.clone())).collect(),
        }
    }

    /// Whether the open connection has been idle for longer than
    /// [`SmtpOptions::idle_expiry`].
    pub(crate) fn idle_expired(&self) -> bool {
        self.session.idle_expired()
    }

    /// Closes the connection without a word (its state is unknown, e.g. after a panic
    /// in the middle of a send).
    pub(crate) fn discard(&mut self) {
        self.session.discard();
    }

    /// Ends the session politely (QUIT) and closes the connection.
    pub fn quit(&mut self) -> Result<()> {
        block_on(self.session.quit())?
    }
}

impl Drop for SmtpClient {
    fn drop(&mut self) {
        let _ = block_on(self.session.close_bounded());
    }
}
