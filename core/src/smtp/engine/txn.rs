//! One transaction of a message: what it wrote, which replies it waits for, what they
//! said — and [`Txn::on_reply`], the one handler of a transaction's replies (MAIL, RCPT,
//! DATA and its 354, the lone dot, the end of the data, BDAT) used by single sends and
//! batches alike. A failure of a later transaction of a message that already delivered
//! is merged in one place ([`Txn::fail`]).

use super::{is_success, reply_error, unexpected_reply, Delivery, RecipientReply, Transaction};
use crate::error::{Error, ErrorKind, Result};
use crate::notification_id::extract_notification_id;
use crate::reply::Reply;
use crate::smtp::dot;
use std::collections::VecDeque;

/// A reply a transaction waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Expect {
    /// The RSET written in front of a batched transaction (its reply is not used).
    Reset,
    Mail,
    Rcpt(usize),
    Data,
    DataEnd,
    /// The reply to `BDAT <n> LAST` and its chunk: the final reply of the message.
    Bdat,
    LoneDot,
    /// The RSET after a failed single send; the outcome is reported with its reply.
    Rset,
}

/// Bytes to write, built up while one reply is handled.
#[derive(Default)]
pub(super) struct WriteBuf {
    pub(super) bytes: Vec<u8>,
    pub(super) log: Vec<String>,
    pub(super) ends_data: bool,
}

impl WriteBuf {
    pub(super) fn line(&mut self, line: String) {
        self.bytes.extend_from_slice(line.as_bytes());
        self.bytes.extend_from_slice(b"\r\n");
        self.log.push(line);
    }

    /// Message data (already encoded for the wire), with its transcript summary.
    fn data(&mut self, data: Vec<u8>, log: String) {
        if self.bytes.is_empty() {
            self.bytes = data;
        } else {
            self.bytes.extend_from_slice(&data);
        }
        self.log.push(log);
        self.ends_data = true;
    }
}

/// What a reply did to a transaction.
pub(super) enum Step {
    /// More replies are due; anything to write is in the buffer.
    Pending,
    /// This transaction delivered the message.
    Delivered(Delivery),
    /// This transaction failed; how the server's side was left.
    Failed(Error, Left),
}

/// How a failed transaction left the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Left {
    /// The server may still hold the transaction (MAIL accepted, then DATA or BDAT
    /// refused): RSET before the next MAIL.
    Open,
    /// It ended before any data: MAIL refused, no recipient accepted, or the reply to
    /// the lone dot of an empty message.
    Ended,
    /// The final reply to the message data refused it: the transaction is over.
    Refused,
}

pub(super) struct Txn {
    pub(super) data: Vec<u8>,
    pub(super) mail_cmd: String,
    pub(super) recipients: Vec<String>,
    pub(super) pipelined: bool,
    pub(super) pending: VecDeque<Expect>,
    pub(super) mail_reply: Option<Reply>,
    pub(super) mail_ok: bool,
    pub(super) accepted: Vec<RecipientReply>,
    pub(super) rejected: Vec<RecipientReply>,
    pub(super) deferred: Vec<RecipientReply>,
    pub(super) stop_rcpt: bool,
    /// The delivery of the earlier transactions of the same message, if any.
    pub(super) delivery: Option<Delivery>,
    /// A single send's outcome, reported with the reply to its RSET.
    pub(super) outcome: Option<std::result::Result<Delivery, Error>>,
    /// BDAT instead of DATA; `data` is then the normalised message, not dot-stuffed.
    pub(super) chunking: bool,
    /// The message data has been handed to the driver for writing.
    pub(super) data_sent: bool,
    /// Keep a copy of the data after writing it (a follow-up transaction may need it).
    pub(super) keep_data: bool,
    /// The caller's index of the message (batches).
    pub(super) tag: usize,
}

/// What follows a transaction that delivered.
pub(super) enum FollowUp {
    /// A further transaction for the recipients deferred by "too many recipients".
    Next(Box<Txn>),
    /// Nothing: the message is done.
    Done(Delivery),
}

fn is_too_many_recipients(reply: &Reply) -> bool {
    matches!(reply.code, 452 | 552)
        && reply
            .enhanced
            .is_some_and(|e| e.subject == 5 && e.detail == 3)
        || reply.enhanced.is_none()
            && matches!(reply.code, 452 | 552)
            && reply
                .lines()
                .next()
                .is_some_and(|l| l.get(..5).is_some_and(|p| p.ends_with(".5.3")))
}

/// A reply carried by an error, back in reply form (for per-recipient results).
fn reply_of_error(err: &Error) -> Reply {
    match err.reply() {
        Some(rep) => Reply::new(
            rep.code,
            rep.enhanced
                .as_deref()
                .and_then(|e| crate::reply::EnhancedCode::parse(e).ok()),
            rep.text.as_str(),
        ),
        // No reply from the server (the connection ended): a local transient reply.
        None => Reply::new(
            451,
            crate::reply::EnhancedCode::parse("4.4.2").ok(),
            format!("local: {}", err.message()),
        ),
    }
}

impl Txn {
    /// A new transaction (nothing written yet).
    pub(super) fn new(
        data: Vec<u8>,
        mail_cmd: String,
        recipients: Vec<String>,
        pipelined: bool,
        chunking: bool,
        tag: usize,
    ) -> Txn {
        Txn {
            data,
            mail_cmd,
            keep_data: chunking && recipients.len() > 1,
            recipients,
            pipelined,
            pending: VecDeque::new(),
            mail_reply: None,
            mail_ok: false,
            accepted: Vec::new(),
            rejected: Vec::new(),
            deferred: Vec::new(),
            stop_rcpt: false,
            delivery: None,
            outcome: None,
            chunking,
            data_sent: false,
            tag,
        }
    }

    /// Whether the message may have been accepted: its data was written, its final
    /// reply has not been read, and no reply already says it cannot be delivered
    /// (MAIL refused, or every RCPT answered and none accepted).
    pub(super) fn outcome_unknown(&self) -> bool {
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
    pub(super) fn known_refused(&self) -> bool {
        let mail_answered = self.mail_reply.is_some() && !self.pending.contains(&Expect::Mail);
        if mail_answered && !self.mail_ok {
            return true;
        }
        let rcpts_pending = self.pending.iter().any(|e| matches!(e, Expect::Rcpt(_)));
        mail_answered && !rcpts_pending && self.accepted.is_empty()
    }

    /// Writes the commands of the transaction (and, with BDAT, the data) into `w`:
    /// `[RSET] MAIL RCPT… (DATA | BDAT <n> LAST <data>)`.
    pub(super) fn write_pipelined(&mut self, reset: bool, w: &mut WriteBuf) {
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

    /// MAIL FROM alone (without PIPELINING: the RCPTs follow its reply).
    pub(super) fn write_mail(&mut self, w: &mut WriteBuf) {
        w.line(self.mail_cmd.clone());
        self.pending.push_back(Expect::Mail);
    }

    fn write_rcpt(&mut self, i: usize, w: &mut WriteBuf) {
        w.line(format!("RCPT TO:<{}>", self.recipients[i]));
        self.pending.push_back(Expect::Rcpt(i));
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

    /// The one handler of a transaction's replies, for single sends and batches: the
    /// next expected reply is `reply`. Commands and data to write go into `w` (without
    /// PIPELINING, the next RCPT or the DATA / BDAT after the last RCPT).
    ///
    /// - A 354 to DATA: the data when a recipient was accepted, else a lone dot (RFC
    ///   2920: an empty message, which the server refuses).
    /// - DATA refused, or BDAT answered with anything but success: the server may hold
    ///   the transaction ([`Left::Open`]).
    /// - The reply to the end of the data: delivered on success, else refused.
    pub(super) fn on_reply(
        &mut self,
        reply: &Reply,
        raw: String,
        w: &mut WriteBuf,
    ) -> Result<Step> {
        let Some(expect) = self.pending.pop_front() else {
            return Err(unexpected_reply());
        };
        let usable = self.mail_ok && !self.accepted.is_empty();
        Ok(match expect {
            Expect::Reset | Expect::Rset => Step::Pending,
            Expect::Mail => {
                self.mail_ok = is_success(reply);
                self.mail_reply = Some(reply.clone());
                if self.pipelined {
                    Step::Pending
                } else if self.mail_ok {
                    self.write_rcpt(0, w);
                    Step::Pending
                } else {
                    Step::Failed(self.nobody_error(), Left::Ended)
                }
            }
            Expect::Rcpt(i) => {
                self.record_rcpt(i, reply);
                if self.pipelined {
                    Step::Pending
                } else if self.stop_rcpt {
                    // Every remaining recipient goes to the next transaction.
                    for r in self.recipients[i + 1..].iter().cloned() {
                        self.deferred.push(RecipientReply {
                            recipient: r,
                            reply: reply.clone(),
                        });
                    }
                    self.after_rcpts(w)
                } else if i + 1 < self.recipients.len() {
                    self.write_rcpt(i + 1, w);
                    Step::Pending
                } else {
                    self.after_rcpts(w)
                }
            }
            Expect::Data if reply.code == 354 && usable => {
                // Keep the data only when a follow-up transaction needs it.
                let data = if self.deferred.is_empty() {
                    std::mem::take(&mut self.data)
                } else {
                    self.data.clone()
                };
                let log = format!(
                    "<message data: {} octets, then .>",
                    data.len().saturating_sub(dot::TERMINATOR.len())
                );
                w.data(data, log);
                self.data_sent = true;
                self.pending.push_back(Expect::DataEnd);
                Step::Pending
            }
            Expect::Data if reply.code == 354 => {
                // RFC 2920: DATA accepted though nothing can be delivered: an empty
                // message.
                w.line(".".to_string());
                self.pending.push_back(Expect::LoneDot);
                Step::Pending
            }
            Expect::Data => {
                let err = if usable {
                    reply_error(reply, "the message data (DATA)", None).with_reason("data_refused")
                } else {
                    self.nobody_error()
                };
                Step::Failed(err, Left::Open)
            }
            Expect::LoneDot => Step::Failed(self.nobody_error(), Left::Ended),
            Expect::DataEnd | Expect::Bdat if is_success(reply) && usable => {
                Step::Delivered(self.delivered(reply, raw))
            }
            Expect::DataEnd | Expect::Bdat => {
                // RFC 3030: a refused BDAT leaves the transaction to RSET.
                let (what, left) = if expect == Expect::Bdat {
                    ("the message data (BDAT)", Left::Open)
                } else {
                    ("the message", Left::Refused)
                };
                let err = if usable {
                    reply_error(reply, what, None).with_reason("message_refused")
                } else {
                    self.nobody_error()
                };
                Step::Failed(err, left)
            }
        })
    }

    /// Without PIPELINING, after the last RCPT reply: DATA or BDAT when a recipient was
    /// accepted.
    fn after_rcpts(&mut self, w: &mut WriteBuf) -> Step {
        if self.accepted.is_empty() {
            return Step::Failed(self.nobody_error(), Left::Ended);
        }
        if self.chunking {
            self.write_bdat(w);
        } else {
            self.pending.push_back(Expect::Data);
            w.line("DATA".to_string());
        }
        Step::Pending
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
    pub(super) fn follow_up(&mut self, mut delivery: Delivery) -> FollowUp {
        let accepted_any = delivery
            .transactions
            .last()
            .is_some_and(|t| !t.recipients.is_empty());
        if self.deferred.is_empty() || !accepted_any {
            delivery.rejected.append(&mut self.deferred);
            return FollowUp::Done(delivery);
        }
        let recipients: Vec<String> = self.deferred.drain(..).map(|r| r.recipient).collect();
        let mut next = Txn::new(
            std::mem::take(&mut self.data),
            self.mail_cmd.clone(),
            recipients,
            self.pipelined,
            self.chunking,
            self.tag,
        );
        // The data is kept for a further follow-up whenever more than one recipient
        // remains (DATA or BDAT).
        next.keep_data = next.recipients.len() > 1;
        next.delivery = Some(delivery);
        FollowUp::Next(Box::new(next))
    }

    /// The outcome of this transaction failing with `err` — the one way a failure is
    /// merged. Without an earlier transaction of the message, `err` itself. After one
    /// that delivered, that delivery, with this transaction's recipients among the
    /// refused: a recipient whose RCPT was refused (or deferred) keeps that reply; the
    /// others get the reply, or local reason, that ended the transaction.
    pub(super) fn fail(&mut self, err: Error) -> std::result::Result<Delivery, Error> {
        let Some(mut delivery) = self.delivery.take() else {
            return Err(err);
        };
        delivery
            .rejected
            .extend(self.rejected.drain(..).chain(self.deferred.drain(..)));
        let reply = reply_of_error(&err);
        for r in &self.recipients {
            if !delivery.rejected.iter().any(|d| &d.recipient == r) {
                delivery.rejected.push(RecipientReply {
                    recipient: r.clone(),
                    reply: reply.clone(),
                });
            }
        }
        Ok(delivery)
    }

    /// `err`, the server's reply that ended the session under this transaction (421),
    /// with the RCPT refusals already read appended as per-recipient replies: they
    /// survive the end of the session (after an earlier delivery, [`Txn::fail`] lists
    /// them among the refused with their own replies).
    pub(super) fn with_refusals(&self, mut err: Error) -> Error {
        for r in self.rejected.iter().chain(&self.deferred) {
            err = err.with_reply(r.reply.to_error_reply(Some(&r.recipient)));
        }
        err
    }

    /// The error for a transaction that delivered to nobody.
    pub(super) fn nobody_error(&self) -> Error {
        if !self.mail_ok {
            if let Some(reply) = &self.mail_reply {
                return reply_error(reply, "the sender (MAIL FROM)", None)
                    .with_reason("mail_refused");
            }
        }
        if self.rejected.is_empty() && !self.deferred.is_empty() {
            let mut err = Error::new(
                ErrorKind::SmtpTransient,
                "the server accepted no recipient (too many recipients)",
            )
            .with_reason("too_many_recipients");
            for r in &self.deferred {
                err = err.with_reply(r.reply.to_error_reply(Some(&r.recipient)));
            }
            return err;
        }
        let mut err = Error::new(
            ErrorKind::RecipientsRejected,
            format!(
                "the server refused every recipient ({} refused)",
                self.rejected.len() + self.deferred.len()
            ),
        );
        let transient = self
            .rejected
            .iter()
            .chain(&self.deferred)
            .all(|r| r.reply.code / 100 == 4);
        err = err.with_transient(transient);
        for r in self.rejected.iter().chain(&self.deferred) {
            err = err.with_reply(r.reply.to_error_reply(Some(&r.recipient)));
        }
        err
    }
}
