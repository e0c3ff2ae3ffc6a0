//! Sending over a [`Session`]: making sure a connection is ready (idle expiry, the RSET
//! probe of a reused connection, the reconnect), one message with its one safe resend,
//! and batches with transactions in flight, their messages never written sent again on
//! a new connection (up to [`MAX_BATCH_ATTEMPTS`] connections).

use super::drive::Goal;
use super::{check_sender, closed_error, raw_needs, Outgoing, Session, SmtpIo};
use crate::error::{Error, ErrorKind, Result};
use crate::message::{BuiltMessage, Envelope};
use crate::smtp::engine::{Delivery, MessageNeeds};

/// How many times `send_many` opens a connection for messages that were never written
/// (a session ended before them).
pub const MAX_BATCH_ATTEMPTS: usize = 3;

impl<I: SmtpIo> Session<I> {
    /// Makes sure a session is ready: opens one, or checks a reused one with RSET and
    /// reconnects when the server closed it while idle (nothing of the message has been
    /// sent yet, so this is always safe).
    async fn ensure_ready(&mut self) -> Result<()> {
        if self.idle_expired() {
            // Idle for longer than the server may keep it: QUIT, and a new connection.
            self.quit_bounded().await;
        }
        let now = self.io.now();
        match &self.conn {
            None => return self.open().await,
            Some(c) if !c.used => return Ok(()),
            Some(c) if now.saturating_sub(c.last_used) <= self.options.probe_idle_after => {
                return Ok(())
            }
            Some(_) => {}
        }
        let probe = match self.conn.as_mut() {
            Some(c) => c.engine.probe(),
            None => Ok(()),
        };
        let r = match probe {
            Ok(()) => self.drive(Goal::Ready).await.map(|_| ()),
            Err(e) => Err(e),
        };
        match r {
            Ok(()) => Ok(()),
            Err(e)
                if e.kind() == ErrorKind::Connection || e.reason() == Some("service_closing") =>
            {
                self.drop_conn();
                self.open().await
            }
            Err(e) => Err(e),
        }
    }

    /// Sends a built message (its envelope and bytes).
    pub async fn send(&mut self, message: &BuiltMessage) -> Result<Delivery> {
        self.send_with(
            &message.envelope,
            &message.bytes,
            super::built_needs(message),
        )
        .await
    }

    /// Sends raw RFC 5322 bytes with the given envelope; SMTPUTF8 and 8BITMIME needs are
    /// detected from the envelope and the bytes.
    pub async fn send_raw(&mut self, envelope: &Envelope, bytes: &[u8]) -> Result<Delivery> {
        self.send_with(envelope, bytes, raw_needs(envelope, bytes))
            .await
    }

    /// Sends with explicit needs. The message is never sent twice: a reconnect happens
    /// only before MAIL FROM, or when the server closed a reused connection before
    /// processing anything of it. With a sender policy, the MAIL FROM is checked first,
    /// before any connection is opened or command written.
    pub async fn send_with(
        &mut self,
        envelope: &Envelope,
        bytes: &[u8],
        needs: MessageNeeds,
    ) -> Result<Delivery> {
        self.begin();
        let r = self.send_with_inner(envelope, bytes, needs).await;
        self.busy = false;
        self.trace.outcome(&r);
        r
    }

    async fn send_with_inner(
        &mut self,
        envelope: &Envelope,
        bytes: &[u8],
        needs: MessageNeeds,
    ) -> Result<Delivery> {
        if let Some(policy) = &self.options.sender_policy {
            check_sender(policy, envelope)?;
        }
        self.ensure_ready().await?;
        let reused = self.conn.as_ref().is_some_and(|c| c.used);
        match self.send_once(envelope, bytes, needs).await {
            // The server closed the reused connection before processing anything of
            // the message: once more on a new connection (no duplicate possible).
            Err((_, true)) if reused => {
                self.ensure_ready().await?;
                self.send_once(envelope, bytes, needs)
                    .await
                    .map_err(|(e, _)| e)
            }
            r => r.map_err(|(e, _)| e),
        }
    }

    /// One attempt; on error, also whether the message can be sent again safely.
    async fn send_once(
        &mut self,
        envelope: &Envelope,
        bytes: &[u8],
        needs: MessageNeeds,
    ) -> std::result::Result<Delivery, (Error, bool)> {
        let Some(conn) = self.conn.as_mut() else {
            return Err((closed_error(), false));
        };
        conn.engine
            .send_message(envelope, bytes, needs)
            .map_err(|e| (e, false))?;
        conn.used = true;
        let r = self.drive_keep(Goal::Delivered).await;
        let now = self.io.now();
        if let Some(c) = self.conn.as_mut() {
            c.last_used = now;
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

    /// Sends several built messages; see [`Session::send_many_outgoing`].
    pub async fn send_many(&mut self, messages: &[BuiltMessage]) -> Vec<Result<Delivery>> {
        let items: Vec<Outgoing<'_>> = messages.iter().map(Outgoing::from).collect();
        self.send_many_outgoing(&items).await
    }

    /// Sends several messages over this session and returns one result per message, in
    /// input order: with PIPELINING up to [`SmtpOptions::window`] whole transactions in
    /// flight, else one by one. Messages whose data was written without a final reply
    /// are `outcome_unknown` (never retried); those never written go again on a new
    /// connection (up to [`MAX_BATCH_ATTEMPTS`] in all), else `connection`, reason
    /// `not_sent`. See `docs/TRANSPORT.md`, "Batches".
    ///
    /// [`SmtpOptions::window`]: crate::smtp::SmtpOptions::window
    pub async fn send_many_outgoing(&mut self, items: &[Outgoing<'_>]) -> Vec<Result<Delivery>> {
        self.begin();
        let r = self.send_many_inner(items).await;
        self.busy = false;
        for outcome in &r {
            self.trace.outcome(outcome);
        }
        r
    }

    async fn send_many_inner(&mut self, items: &[Outgoing<'_>]) -> Vec<Result<Delivery>> {
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
            if let Err(e) = self.ensure_ready().await {
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
                    results[i] = Some(self.send_with_inner(it.envelope, it.bytes, it.needs).await);
                }
                break;
            }
            self.run_batch(items, &todo, &mut results).await;
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
    async fn run_batch(
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
            Ok(()) => self.drive(Goal::Batch).await,
            Err(e) => Err(e),
        };
        let now = self.io.now();
        if let Some(c) = self.conn.as_mut() {
            c.last_used = now;
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
}
