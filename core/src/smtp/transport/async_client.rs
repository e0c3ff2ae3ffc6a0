//! [`AsyncSmtpClient`] and [`AsyncSmtpPool`] (feature `tokio`): the shared session over
//! tokio ([`TokioIo`]), with the blocking clients' API as `async fn`s and the same
//! rules, deadlines, errors and outcomes (one implementation: `smtp::session`).
//!
//! Cancellation: dropping a send's future part-way leaves the session marked
//! (`Session::interrupted`); the connection is then closed without a word — by the
//! client before its next operation, by the pool when the connection comes back — so a
//! half transaction is never mixed with a later one.

use super::super::engine::{Delivery, MessageNeeds};
use super::super::session::{Outgoing, Session};
use super::super::Capabilities;
use super::client::prepare;
use super::options::SmtpOptions;
use super::pool::part_size;
use super::tokio_io::TokioIo;
use crate::error::{Error, ErrorKind, Result};
use crate::message::{BuiltMessage, Envelope};
use rustls::ClientConfig;
use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// One SMTP connection over tokio, opened on first use and re-opened when the server
/// closed it while idle. When dropped inside a tokio runtime with its connection idle,
/// a task sends QUIT (bounded as the blocking client's); otherwise the connection just
/// closes.
pub struct AsyncSmtpClient {
    session: Session<TokioIo>,
}

impl fmt::Debug for AsyncSmtpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncSmtpClient")
            .field("options", self.session.options())
            .field("connected", &self.session.is_connected())
            .finish()
    }
}

impl AsyncSmtpClient {
    /// A client that connects on first use. Checks the options (TLS roots, CA file,
    /// the plaintext rule) as [`SmtpClient::new`](super::SmtpClient::new) does.
    pub fn new(options: SmtpOptions) -> Result<AsyncSmtpClient> {
        let tls_config = prepare(&options)?;
        Ok(AsyncSmtpClient::with_config(options, tls_config))
    }

    fn with_config(options: SmtpOptions, tls_config: Option<Arc<ClientConfig>>) -> Self {
        AsyncSmtpClient {
            session: Session::new(options, TokioIo::new(tls_config)),
        }
    }

    /// A client connected now (greeting, EHLO, STARTTLS, AUTH done).
    pub async fn connect(options: SmtpOptions) -> Result<AsyncSmtpClient> {
        let mut client = AsyncSmtpClient::new(options)?;
        client.session.connect().await?;
        Ok(client)
    }

    /// Round trips over every connection this client opened (see
    /// [`SmtpClient::round_trips`](super::SmtpClient::round_trips)).
    pub fn round_trips(&self) -> u64 {
        self.session.round_trips()
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
    pub async fn send(&mut self, message: &BuiltMessage) -> Result<Delivery> {
        self.session.send(message).await
    }

    /// Sends raw RFC 5322 bytes with the given envelope (needs detected from both).
    pub async fn send_raw(&mut self, envelope: &Envelope, bytes: &[u8]) -> Result<Delivery> {
        self.session.send_raw(envelope, bytes).await
    }

    /// Sends with explicit needs (see [`SmtpClient::send_with`](super::SmtpClient::send_with)).
    pub async fn send_with(
        &mut self,
        envelope: &Envelope,
        bytes: &[u8],
        needs: MessageNeeds,
    ) -> Result<Delivery> {
        self.session.send_with(envelope, bytes, needs).await
    }

    /// Several messages with transactions in flight, one result per message in input
    /// order (see [`SmtpClient::send_many`](super::SmtpClient::send_many)).
    pub async fn send_many(&mut self, messages: &[BuiltMessage]) -> Vec<Result<Delivery>> {
        self.session.send_many(messages).await
    }

    /// [`AsyncSmtpClient::send_many`] for envelopes and bytes built elsewhere.
    pub async fn send_many_outgoing(&mut self, items: &[Outgoing<'_>]) -> Vec<Result<Delivery>> {
        self.session.send_many_outgoing(items).await
    }

    /// Ends the session politely (QUIT) and closes the connection.
    pub async fn quit(&mut self) -> Result<()> {
        self.session.quit().await
    }
}

/// Closes a session that is no longer wanted: in a task that sends QUIT (bounded) when
/// it is idle and a runtime is there, else at once without a word.
fn retire(mut session: Session<TokioIo>) {
    if !session.is_connected() {
        return;
    }
    if session.interrupted() {
        session.discard();
        return;
    }
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => {
            handle.spawn(async move { session.close_bounded().await });
        }
        Err(_) => session.discard(),
    }
}

impl Drop for AsyncSmtpClient {
    fn drop(&mut self) {
        let options = self.session.options().clone();
        let session =
            std::mem::replace(&mut self.session, Session::new(options, TokioIo::new(None)));
        retire(session);
    }
}

/// Up to `max` connections over tokio shared by tasks: each send takes an idle
/// connection (the most recently used), or opens a new one while fewer than `max` are
/// lent out, else waits for one. Idle connections past
/// [`SmtpOptions::idle_expiry`] are closed whenever one is taken. Cheap to clone (the
/// clones share the connections).
#[derive(Clone)]
pub struct AsyncSmtpPool {
    shared: Arc<Shared>,
}

struct Shared {
    options: SmtpOptions,
    tls_config: Option<Arc<ClientConfig>>,
    max: usize,
    permits: Arc<Semaphore>,
    idle: Mutex<Vec<Session<TokioIo>>>,
}

impl fmt::Debug for AsyncSmtpPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncSmtpPool")
            .field("options", &self.shared.options)
            .field("max", &self.shared.max)
            .finish()
    }
}

/// A session lent out by the pool with its permit. Dropped, it goes back to the pool —
/// unless its operation was abandoned (a dropped future, a panic): then its connection,
/// in an unknown state, is closed without a word. The permit is freed either way.
struct Slot<'a> {
    shared: &'a Shared,
    session: Option<Session<TokioIo>>,
    _permit: OwnedSemaphorePermit,
}

impl Slot<'_> {
    fn session(&mut self) -> &mut Session<TokioIo> {
        self.session
            .get_or_insert_with(|| Session::new(self.shared.options.clone(), TokioIo::new(None)))
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let Some(mut session) = self.session.take() else {
            return;
        };
        if session.interrupted() {
            session.discard();
            return;
        }
        let mut idle = self.shared.idle.lock().unwrap_or_else(|p| p.into_inner());
        idle.push(session);
    }
}

impl AsyncSmtpPool {
    /// A pool of at most `max` connections (at least 1). Checks the options as
    /// [`SmtpPool::new`](super::SmtpPool::new) does.
    pub fn new(options: SmtpOptions, max: usize) -> Result<AsyncSmtpPool> {
        let tls_config = prepare(&options)?;
        let max = max.max(1);
        Ok(AsyncSmtpPool {
            shared: Arc::new(Shared {
                options,
                tls_config,
                max,
                permits: Arc::new(Semaphore::new(max)),
                idle: Mutex::new(Vec::new()),
            }),
        })
    }

    /// Lends a session: waits for a permit, then takes the most recently used idle
    /// session or a new one. Idle sessions past their expiry are closed first.
    async fn take(&self) -> Result<Slot<'_>> {
        // The semaphore is never closed; the error is for completeness.
        let permit = self
            .shared
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::new(ErrorKind::Internal, "the pool's semaphore is closed"))?;
        let (session, expired) = {
            let mut idle = self.shared.idle.lock().unwrap_or_else(|p| p.into_inner());
            let (old, fresh): (Vec<_>, Vec<_>) = std::mem::take(&mut *idle)
                .into_iter()
                .partition(Session::idle_expired);
            *idle = fresh;
            (idle.pop(), old)
        };
        for s in expired {
            retire(s);
        }
        let session = session.unwrap_or_else(|| {
            Session::new(
                self.shared.options.clone(),
                TokioIo::new(self.shared.tls_config.clone()),
            )
        });
        Ok(Slot {
            shared: &self.shared,
            session: Some(session),
            _permit: permit,
        })
    }

    /// Sends a built message on a pooled connection.
    pub async fn send(&self, message: &BuiltMessage) -> Result<Delivery> {
        self.take().await?.session().send(message).await
    }

    /// Sends raw bytes with an envelope on a pooled connection.
    pub async fn send_raw(&self, envelope: &Envelope, bytes: &[u8]) -> Result<Delivery> {
        self.take().await?.session().send_raw(envelope, bytes).await
    }

    /// Sends with explicit needs on a pooled connection.
    pub async fn send_with(
        &self,
        envelope: &Envelope,
        bytes: &[u8],
        needs: MessageNeeds,
    ) -> Result<Delivery> {
        self.take()
            .await?
            .session()
            .send_with(envelope, bytes, needs)
            .await
    }

    /// Sends several messages, one result per message in input order: the list is cut
    /// into contiguous parts as [`SmtpPool::send_many`](super::SmtpPool::send_many)
    /// cuts it, each part sent with transactions in flight on its own connection, all
    /// parts at once.
    pub async fn send_many(&self, messages: &[BuiltMessage]) -> Vec<Result<Delivery>> {
        let items: Vec<Outgoing<'_>> = messages.iter().map(Outgoing::from).collect();
        self.send_many_outgoing(&items).await
    }

    /// [`AsyncSmtpPool::send_many`] for envelopes and bytes built elsewhere.
    pub async fn send_many_outgoing(&self, items: &[Outgoing<'_>]) -> Vec<Result<Delivery>> {
        if items.is_empty() {
            return Vec::new();
        }
        let size = part_size(items.len(), self.shared.options.window, self.shared.max);
        let parts = items.chunks(size).map(|chunk| async move {
            match self.take().await {
                Ok(mut slot) => slot.session().send_many_outgoing(chunk).await,
                Err(e) => chunk.iter().map(|_| Err(e.clone())).collect(),
            }
        });
        join_all(parts.collect())
            .await
            .into_iter()
            .flatten()
            .collect()
    }

    /// Closes every idle connection (QUIT, each step bounded).
    pub async fn close(&self) {
        let idle = std::mem::take(&mut *self.shared.idle.lock().unwrap_or_else(|p| p.into_inner()));
        let quits = idle.into_iter().map(|mut s| async move {
            let _ = s.quit().await;
        });
        join_all(quits.collect()).await;
    }
}

/// Runs `futures` at once on the calling task; their outputs in order.
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut pending = false;
        for (f, out) in futures.iter_mut().zip(outputs.iter_mut()) {
            if out.is_none() {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => *out = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}
