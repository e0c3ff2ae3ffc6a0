//! Submitting a message: the checks made before a byte of it is written (the one entry
//! of every send path, single or batched: command injection, recipients, NUL in the
//! data, SMTPUTF8, SIZE), and the driver of a single send — its transaction's replies go
//! to [`Txn::on_reply`]; after a failure the transaction is cleared with RSET (unless
//! the server's final reply ended it) and the outcome reported with the RSET reply.

use super::txn::{Expect, FollowUp, Left, Step, Txn, WriteBuf};
use super::{is_success, Action, Engine, MessageNeeds, Output, State};
use crate::error::{Error, ErrorKind, Result};
use crate::message::Envelope;
use crate::reply::Reply;
use crate::smtp::dot;

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

/// Refuses a NUL anywhere in the message data before a byte of the message is written:
/// no server here offers BINARYMIME, and a relay that strips NUL would read
/// `\r\n\0.\r\n` as the end of the data (the rest then runs as commands). Kind
/// `invalid_message`, reason `control_char` (the builder's reason for NUL in a body),
/// position the offset of the first NUL.
fn check_no_nul(data: &[u8]) -> Result<()> {
    match memchr::memchr(0, data) {
        Some(pos) => Err(Error::new(
            ErrorKind::InvalidMessage,
            format!("the message data contains a NUL byte at offset {pos}: refused before sending (SMTP data cannot carry NUL)"),
        )
        .with_reason("control_char")
        .with_position(pos)),
        None => Ok(()),
    }
}

impl Engine {
    /// Starts submitting a message: `data` is the RFC 5322 message (any line ends: they
    /// are normalised), `envelope` its MAIL FROM and RCPT TO. Checks made before a byte
    /// is written: command injection, recipients present, no NUL in the data
    /// (`invalid_message`, reason `control_char`), SMTPUTF8 and SIZE.
    pub fn send_message(
        &mut self,
        envelope: &Envelope,
        data: &[u8],
        needs: MessageNeeds,
    ) -> Result<()> {
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

    /// Checks that the session is ready and the message sound, and makes its
    /// transaction (nothing is written).
    pub(super) fn prepare(
        &self,
        envelope: &Envelope,
        data: &[u8],
        needs: MessageNeeds,
        tag: usize,
    ) -> Result<Txn> {
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
        check_no_nul(data)?;
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
        let data = if chunking {
            dot::normalise(data)
        } else {
            dot::encode(data)
        };
        Ok(Txn::new(
            data,
            mail_cmd,
            envelope.rcpt_to.clone(),
            self.uses_pipelining(),
            chunking,
            tag,
        ))
    }

    pub(super) fn flush_buf(&mut self, w: WriteBuf) {
        if !w.bytes.is_empty() {
            self.actions.push_back(Action::Write(Output {
                bytes: w.bytes,
                log: w.log,
                sensitive: false,
                ends_data: w.ends_data,
            }));
        }
    }

    /// Writes the first commands of a single send's transaction: all of them with
    /// PIPELINING, else MAIL FROM.
    fn begin(&mut self, mut txn: Box<Txn>) {
        let mut w = WriteBuf::default();
        if txn.pipelined {
            txn.write_pipelined(false, &mut w);
        } else {
            txn.write_mail(&mut w);
        }
        self.flush_buf(w);
        self.state = State::Txn(txn);
    }

    /// A reply to a single send's transaction.
    pub(super) fn txn_reply(&mut self, mut txn: Box<Txn>, reply: Reply, raw: String) -> Result<()> {
        if txn.pending.front() == Some(&Expect::Rset) {
            // The RSET after a failure: now the outcome.
            let outcome = txn.outcome.take().unwrap_or_else(|| {
                Err(Error::new(
                    ErrorKind::Internal,
                    "transaction without outcome",
                ))
            });
            self.actions.push_back(Action::Delivered(outcome));
            if is_success(&reply) {
                self.state = State::Ready;
            } else {
                self.close();
            }
            return Ok(());
        }
        let mut w = WriteBuf::default();
        let step = txn.on_reply(&reply, raw, &mut w)?;
        self.flush_buf(w);
        match step {
            Step::Pending => self.state = State::Txn(txn),
            Step::Delivered(delivery) => match txn.follow_up(delivery) {
                FollowUp::Next(next) => self.begin(next),
                FollowUp::Done(delivery) => {
                    self.state = State::Ready;
                    self.actions.push_back(Action::Delivered(Ok(delivery)));
                }
            },
            Step::Failed(err, Left::Refused) => {
                self.state = State::Ready;
                self.actions.push_back(Action::Delivered(txn.fail(err)));
            }
            Step::Failed(err, Left::Open | Left::Ended) => {
                // Clear the server's side with RSET, then report.
                txn.outcome = Some(txn.fail(err));
                txn.pending.clear();
                txn.pending.push_back(Expect::Rset);
                self.command("RSET".to_string());
                self.state = State::Txn(txn);
            }
        }
        Ok(())
    }
}
