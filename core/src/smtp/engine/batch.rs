//! Batches of whole transactions in flight on one connection (PIPELINING): adding
//! messages, writing as many transactions as the window allows, giving each reply to
//! the oldest transaction in flight (through the one handler, [`Txn::on_reply`]), and
//! giving every message exactly one outcome, also when the session ends early.

use super::txn::{Expect, FollowUp, Left, Step, Txn, WriteBuf};
use super::{not_sent, unexpected_reply, Delivery, Engine, MessageNeeds, State, MAX_BATCH_REPLIES};
use crate::error::{Error, ErrorKind, Result};
use crate::message::Envelope;
use crate::reply::Reply;

impl Engine {
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

    /// A reply during a batch: it belongs to the oldest transaction in flight.
    pub(super) fn batch_reply(&mut self, reply: Reply, raw: String) -> Result<()> {
        let Some(mut txn) = self.inflight.pop_front() else {
            return Err(unexpected_reply());
        };
        let mut w = WriteBuf::default();
        let step = match txn.on_reply(&reply, raw, &mut w) {
            Ok(step) => step,
            Err(e) => {
                // Keep it in flight: the end of the batch gives it its outcome.
                self.inflight.push_front(txn);
                return Err(e);
            }
        };
        match step {
            Step::Pending => self.inflight.push_front(txn),
            Step::Delivered(delivery) => self.batch_finish(txn, Ok(delivery)),
            Step::Failed(err, left) => {
                if left == Left::Open {
                    self.maybe_open = true;
                }
                self.batch_finish(txn, Err(err));
            }
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
        let outcome = match outcome {
            Ok(delivery) => match txn.follow_up(delivery) {
                FollowUp::Next(next) => {
                    self.queued.push_front(next);
                    return;
                }
                FollowUp::Done(delivery) => Ok(delivery),
            },
            Err(err) => txn.fail(err),
        };
        self.finished.push((tag, outcome));
    }

    /// The session ended under a batch without a reply from the server (connection lost,
    /// timeout): every transaction gets its outcome from `cause` ([`Self::end_batch`]),
    /// the session is closed, and `cause` is returned.
    pub(super) fn abandon_batch(&mut self, cause: Error) -> Error {
        self.state = State::Batch;
        self.end_batch(&cause, false);
        self.state = State::Closed;
        cause
    }

    /// The batch ends early (421, connection lost, timeout, protocol error): every
    /// transaction gets its outcome. `replied` is true when `cause` is the server's
    /// reply to the oldest transaction (a 421): that one failed with it, its RCPT
    /// refusals kept ([`Txn::with_refusals`]). A transaction whose data was written and whose
    /// final reply was not read is `outcome_unknown` (reason `in_flight`); one known
    /// refused keeps its refusal; one whose data was never written is `connection` with
    /// reason `not_sent` (safe to send again).
    pub(super) fn end_batch(&mut self, cause: &Error, replied: bool) {
        let inflight = std::mem::take(&mut self.inflight);
        let queued = std::mem::take(&mut self.queued);
        for (i, txn) in inflight.into_iter().enumerate() {
            let err = if i == 0 && replied {
                txn.with_refusals(cause.clone())
            } else if txn.known_refused() {
                txn.nobody_error()
            } else if txn.outcome_unknown() {
                Error::new(
                    ErrorKind::OutcomeUnknown,
                    format!("the session ended ({}) after the message data was written and before its final reply: the message may or may not have been accepted; resend with the same Message-ID", cause.message()),
                )
                .with_reason("in_flight")
            } else {
                not_sent(cause)
            };
            self.batch_finish(txn, Err(err));
        }
        for txn in queued {
            self.batch_finish(txn, Err(not_sent(cause)));
        }
    }
}
