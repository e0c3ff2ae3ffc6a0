//! [`BlockingIo`]: the session's I/O over `std::net` and rustls, each step bounded by
//! a [`DeadlineSocket`]; and [`block_on`], which runs a session's future to its end on
//! the calling thread. Every future of `BlockingIo` is ready when first polled (the
//! blocking calls happen inside the poll), so one poll runs a whole operation.

use super::super::session::{IoFailure, SmtpIo};
use super::super::tls;
use super::connect;
use super::socket::{is_timeout, DeadlineSocket, Stream};
use crate::error::{Error, ErrorKind, Result};
use core::net::IpAddr;
use rustls::ClientConfig;
use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// Blocking sockets under a session: the TCP connection, in clear or under TLS.
pub struct BlockingIo {
    tls_config: Option<Arc<ClientConfig>>,
    stream: Stream,
    origin: Instant,
    /// The longest a TLS close_notify may take when the connection is closed.
    close_limit: Duration,
}

impl BlockingIo {
    /// I/O with `tls_config` (`None` for the insecure plaintext mode); closing a TLS
    /// connection waits at most `close_limit` for its close_notify to be written.
    pub(crate) fn new(tls_config: Option<Arc<ClientConfig>>, close_limit: Duration) -> BlockingIo {
        BlockingIo {
            tls_config,
            stream: Stream::Gone,
            origin: Instant::now(),
            close_limit,
        }
    }

    /// The TLS configuration.
    pub(crate) fn tls_config(&self) -> Option<&Arc<ClientConfig>> {
        self.tls_config.as_ref()
    }
}

/// The failure of a read or write.
fn failure(e: io::Error) -> IoFailure {
    if is_timeout(&e) {
        IoFailure::TimedOut(e.to_string())
    } else {
        IoFailure::Lost(e.to_string())
    }
}

impl SmtpIo for BlockingIo {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    async fn connect(
        &mut self,
        host: &str,
        port: u16,
        loopback_only: bool,
        timeout: Duration,
    ) -> Result<Option<IpAddr>> {
        self.close();
        let tcp = connect::tcp_connect(host, port, loopback_only, timeout).await?;
        let local = tcp.local_addr().ok().map(|a| a.ip());
        self.stream = Stream::Plain(DeadlineSocket::new(tcp, timeout));
        Ok(local)
    }

    async fn start_tls(&mut self, server_name: &str, timeout: Duration) -> Result<()> {
        let Stream::Plain(mut sock) = std::mem::replace(&mut self.stream, Stream::Gone) else {
            return Err(Error::new(
                ErrorKind::Internal,
                "TLS started twice or without a connection",
            ));
        };
        let Some(config) = self.tls_config.clone() else {
            return Err(Error::new(
                ErrorKind::Internal,
                "TLS started without a TLS configuration",
            ));
        };
        sock.start_step(timeout);
        self.stream = Stream::Tls(Box::new(tls::handshake(sock, config, server_name)?));
        Ok(())
    }

    async fn write_all(
        &mut self,
        bytes: &[u8],
        timeout: Duration,
    ) -> std::result::Result<(), IoFailure> {
        self.stream.start_step(timeout);
        self.stream.write_all(bytes).map_err(failure)
    }

    async fn read(
        &mut self,
        buf: &mut [u8],
        timeout: Duration,
    ) -> std::result::Result<usize, IoFailure> {
        self.stream.set_deadline(Instant::now() + timeout);
        self.stream.read(buf).map_err(failure)
    }

    fn close(&mut self) {
        self.stream.shutdown(self.close_limit);
    }
}

/// Runs `future` on this thread with a waker that does nothing. For futures that never
/// wait (those of [`BlockingIo`]); one that would wait is an `internal` error, never a
/// spin.
pub(crate) fn block_on<F: Future>(future: F) -> Result<F::Output> {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(v) => Ok(v),
        Poll::Pending => Err(Error::new(
            ErrorKind::Internal,
            "a blocking operation would have waited for an event",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_on_runs_a_ready_future_and_refuses_one_that_waits() {
        assert_eq!(block_on(async { 7 }).unwrap(), 7);
        let e = block_on(std::future::pending::<()>()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Internal);
    }
}
