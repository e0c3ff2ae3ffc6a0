//! The loop that drives the engine over the session's I/O until a goal: it writes what
//! the engine asks (each write within its step's limit), runs the TLS handshake,
//! reports transcript lines, and reads each reply within its own deadline, which starts
//! at the first read for that reply.

use super::{closed_error, IoFailure, Session, SmtpIo};
use crate::error::{Error, ErrorKind, Result};
use crate::smtp::engine::{Action, Delivery, Direction, Wait};
use std::time::Duration;
use zeroize::Zeroize;

/// Where [`Session::drive`] stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Goal {
    /// The session is ready for a message.
    Ready,
    /// The message submitted has an outcome.
    Delivered,
    /// The batch started has ended.
    Batch,
    /// The session is closed (after QUIT).
    Closed,
}

/// Whether a received line is the last line of its reply: no `-` after the code (RFC
/// 5321 §4.2.1; the engine has already checked the line's form).
fn ends_reply(line: &str) -> bool {
    line.as_bytes().get(3) != Some(&b'-')
}

/// The size of the read buffer.
const READ_BUFFER: usize = 16 * 1024;

impl<I: SmtpIo> Session<I> {
    /// Runs the engine until `goal`. On error the connection is dropped.
    pub(super) async fn drive(&mut self, goal: Goal) -> Result<Option<Result<Delivery>>> {
        let r = self.drive_keep(goal).await;
        if r.is_err() {
            self.drop_conn();
        }
        r
    }

    /// Like [`Session::drive`], but leaves the connection (and its engine) in place on
    /// error, for the caller to inspect before dropping it.
    pub(super) async fn drive_keep(&mut self, goal: Goal) -> Result<Option<Result<Delivery>>> {
        let mut buf = vec![0u8; READ_BUFFER];
        let mut delivered: Option<Result<Delivery>> = None;
        let timeouts = self.options.timeouts;
        loop {
            let Some(conn) = self.conn.as_mut() else {
                return Err(closed_error());
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
                            timeouts.data_write
                        } else {
                            timeouts.command
                        };
                        let r = self.io.write_all(&out.bytes, t).await;
                        if out.sensitive {
                            out.bytes.zeroize();
                        }
                        if let Err(failure) = r {
                            step = Err(match failure {
                                IoFailure::TimedOut(e) => {
                                    conn.engine.timed_out(&format!("write: {e}"));
                                    Error::new(
                                        ErrorKind::Timeout,
                                        format!("writing to the server timed out: {e}"),
                                    )
                                    .with_reason("write")
                                }
                                IoFailure::Lost(e) => conn
                                    .engine
                                    .connection_lost(out.ends_data, &format!("write: {e}")),
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
                        let name = self
                            .options
                            .server_name
                            .as_deref()
                            .unwrap_or(&self.options.host);
                        if let Err(e) = self.io.start_tls(name, timeouts.greeting).await {
                            step = Err(e);
                            break;
                        }
                        if let Err(e) = conn.engine.tls_established() {
                            step = Err(e);
                            break;
                        }
                        self.trace.tls_established(name);
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
            self.read_some(
                &mut buf,
                timeouts.greeting,
                timeouts.command,
                timeouts.data_end,
            )
            .await?;
        }
    }

    /// Reads what the server sent, within the deadline of the reply being read, and
    /// feeds it to the engine.
    async fn read_some(
        &mut self,
        buf: &mut [u8],
        greeting: Duration,
        command: Duration,
        data_end: Duration,
    ) -> Result<()> {
        let Some(conn) = self.conn.as_mut() else {
            return Err(Error::new(
                ErrorKind::Connection,
                "the connection is closed",
            ));
        };
        let t = match conn.engine.waiting() {
            Wait::Greeting => greeting,
            Wait::DataEnd => data_end,
            Wait::Command => command,
            Wait::Idle => {
                return Err(Error::new(
                    ErrorKind::Internal,
                    "the engine waits for nothing before reaching its goal",
                ))
            }
        };
        let now = self.io.now();
        let deadline = *conn.reply_deadline.get_or_insert(now + t);
        let left = deadline.saturating_sub(now);
        let r = if left.is_zero() {
            Err(IoFailure::TimedOut("the step's deadline has passed".into()))
        } else {
            self.io.read(buf, left).await
        };
        let n = match r {
            Ok(0) => {
                return Err(conn
                    .engine
                    .connection_lost(false, "the server closed the connection"))
            }
            Ok(n) => n,
            Err(IoFailure::TimedOut(_)) => {
                return Err(conn.engine.timed_out(&format!("{} s", t.as_secs_f64())))
            }
            Err(IoFailure::Lost(e)) => return Err(conn.engine.connection_lost(false, &e)),
        };
        if let Err(e) = conn.engine.feed(&buf[..n]) {
            let mut lines = Vec::new();
            while let Some(a) = conn.engine.poll() {
                if let Action::Received(l) = a {
                    lines.push(l);
                }
            }
            for l in &lines {
                self.hook(Direction::Received, l);
            }
            return Err(e);
        }
        Ok(())
    }
}
