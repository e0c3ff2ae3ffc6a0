//! The socket under a session: [`DeadlineSocket`] bounds each step by a deadline (the
//! socket timeout is set to what is left before every read and write), and `Stream` is
//! that socket in clear or under TLS.

use super::super::tls::TlsStream;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A TCP stream whose reads and writes fail with [`io::ErrorKind::TimedOut`] once the
/// deadline of the current step has passed. Before each read or write the socket timeout
/// is set to what is left, so a peer sending or taking one byte at a time cannot keep a
/// step going past its deadline. The TLS layer runs over it, so the handshake and every
/// TLS record are bounded the same way.
#[derive(Debug)]
pub struct DeadlineSocket {
    tcp: TcpStream,
    deadline: Instant,
}

/// The error of a read or write attempted after the deadline.
fn deadline_passed() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "the step's deadline has passed")
}

impl DeadlineSocket {
    /// `tcp`, with a deadline `limit` from now.
    pub(crate) fn new(tcp: TcpStream, limit: Duration) -> DeadlineSocket {
        DeadlineSocket {
            tcp,
            deadline: Instant::now() + limit,
        }
    }

    /// The TCP stream.
    pub fn get_ref(&self) -> &TcpStream {
        &self.tcp
    }

    /// Starts a step: reads and writes fail once `limit` from now has passed.
    pub(crate) fn start_step(&mut self, limit: Duration) {
        self.deadline = Instant::now() + limit;
    }

    /// Sets the deadline of the current step.
    pub(crate) fn set_deadline(&mut self, deadline: Instant) {
        self.deadline = deadline;
    }

    /// What is left of the step, or the error when nothing is.
    fn left(&self) -> io::Result<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(deadline_passed())
        } else {
            Ok(left)
        }
    }
}

impl Read for DeadlineSocket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.tcp.set_read_timeout(Some(self.left()?))?;
        self.tcp.read(buf)
    }
}

impl Write for DeadlineSocket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tcp.set_write_timeout(Some(self.left()?))?;
        self.tcp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}

/// Whether an I/O error is a timeout (a socket timeout or a passed deadline).
pub(crate) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// The session's byte stream: in clear, under TLS, or closed.
pub(crate) enum Stream {
    Plain(DeadlineSocket),
    Tls(Box<TlsStream>),
    Gone,
}

impl Stream {
    fn socket(&mut self) -> Option<&mut DeadlineSocket> {
        match self {
            Stream::Plain(s) => Some(s),
            Stream::Tls(s) => Some(&mut s.sock),
            Stream::Gone => None,
        }
    }

    /// Starts a step of at most `limit` (see [`DeadlineSocket::start_step`]).
    pub(crate) fn start_step(&mut self, limit: Duration) {
        if let Some(s) = self.socket() {
            s.start_step(limit);
        }
    }

    /// Sets the deadline of the current step.
    pub(crate) fn set_deadline(&mut self, deadline: Instant) {
        if let Some(s) = self.socket() {
            s.set_deadline(deadline);
        }
    }

    pub(crate) fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
            Stream::Gone => Err(io::Error::new(io::ErrorKind::NotConnected, "closed")),
        }
    }

    pub(crate) fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.write_all(buf).and_then(|_| s.flush()),
            Stream::Tls(s) => s.write_all(buf).and_then(|_| s.flush()),
            Stream::Gone => Err(io::Error::new(io::ErrorKind::NotConnected, "closed")),
        }
    }

    /// Closes the stream (TLS close_notify within `limit`, then TCP shutdown).
    pub(crate) fn shutdown(&mut self, limit: Duration) {
        if let Stream::Tls(s) = self {
            s.sock.start_step(limit);
            s.conn.send_close_notify();
            let _ = s.flush();
        }
        if let Some(t) = self.socket() {
            let _ = t.get_ref().shutdown(std::net::Shutdown::Both);
        }
        *self = Stream::Gone;
    }
}
