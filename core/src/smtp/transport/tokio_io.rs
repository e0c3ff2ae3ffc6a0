//! [`TokioIo`]: the session's I/O over tokio's sockets and tokio-rustls (feature
//! `tokio`): the same resolution rules, address loop, plaintext rule and rustls
//! configuration as the blocking I/O, each wait bounded with `tokio::time::timeout`.

use super::super::checks;
use super::super::session::{IoFailure, SmtpIo};
use super::super::tls;
use super::connect;
use crate::error::{Error, ErrorKind, Result};
use core::net::IpAddr;
use rustls::ClientConfig;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// The connection: in clear, under TLS, or none.
enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    Gone,
}

/// tokio sockets under a session.
pub struct TokioIo {
    tls_config: Option<Arc<ClientConfig>>,
    stream: Stream,
    origin: Instant,
}

impl TokioIo {
    /// I/O with `tls_config` (`None` for the insecure plaintext mode).
    pub(crate) fn new(tls_config: Option<Arc<ClientConfig>>) -> TokioIo {
        TokioIo {
            tls_config,
            stream: Stream::Gone,
            origin: Instant::now(),
        }
    }
}

/// The addresses of `host:port` within `left`: a literal as it is, a name through
/// tokio's resolver (the system resolver on tokio's blocking threads, waited for at most
/// `left`; one that hangs is left to finish there).
async fn resolve(host: &str, port: u16, left: Duration) -> Result<Vec<SocketAddr>> {
    if let Some(addr) = connect::literal_address(host, port) {
        return Ok(vec![addr]);
    }
    match timeout(left, tokio::net::lookup_host((host, port))).await {
        Ok(Ok(addrs)) => connect::some_address(host, addrs.collect()),
        Ok(Err(e)) => Err(connect::resolve_failed(host, &e)),
        Err(_) => Err(connect::resolve_timed_out(host, left)),
    }
}

/// A timed-out wait as an I/O error (so that `connect_any` counts it as a timeout).
fn elapsed() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "timed out")
}

impl SmtpIo for TokioIo {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    async fn connect(
        &mut self,
        host: &str,
        port: u16,
        loopback_only: bool,
        limit: Duration,
    ) -> Result<Option<IpAddr>> {
        self.close();
        let origin = Instant::now();
        let addrs = resolve(host, port, limit).await?;
        if loopback_only {
            let ips: Vec<IpAddr> = addrs.iter().map(SocketAddr::ip).collect();
            checks::check_plaintext_addrs(host, &ips)?;
        }
        let now = || origin.elapsed();
        let tcp = connect::connect_any(host, port, &addrs, limit, now, async |a, t| {
            timeout(t, TcpStream::connect(*a))
                .await
                .unwrap_or_else(|_| Err(elapsed()))
        })
        .await?;
        let _ = tcp.set_nodelay(true);
        let local = tcp.local_addr().ok().map(|a| a.ip());
        self.stream = Stream::Plain(tcp);
        Ok(local)
    }

    async fn start_tls(&mut self, server_name: &str, limit: Duration) -> Result<()> {
        let Stream::Plain(tcp) = std::mem::replace(&mut self.stream, Stream::Gone) else {
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
        let name = tls::server_name_of(server_name)?;
        let handshake = TlsConnector::from(config).connect(name, tcp);
        match timeout(limit, handshake).await {
            Ok(Ok(s)) => {
                self.stream = Stream::Tls(Box::new(s));
                Ok(())
            }
            Ok(Err(e)) => Err(tls::handshake_error(e)),
            Err(_) => Err(tls::handshake_timed_out()),
        }
    }

    async fn write_all(
        &mut self,
        bytes: &[u8],
        limit: Duration,
    ) -> std::result::Result<(), IoFailure> {
        let r = match &mut self.stream {
            Stream::Plain(s) => timeout(limit, async { s.write_all(bytes).await }).await,
            Stream::Tls(s) => {
                timeout(limit, async {
                    s.write_all(bytes).await?;
                    s.flush().await
                })
                .await
            }
            Stream::Gone => return Err(IoFailure::Lost("not connected".into())),
        };
        match r {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(IoFailure::Lost(e.to_string())),
            Err(_) => Err(IoFailure::TimedOut(format!(
                "the write took longer than {} s",
                limit.as_secs_f64()
            ))),
        }
    }

    async fn read(
        &mut self,
        buf: &mut [u8],
        limit: Duration,
    ) -> std::result::Result<usize, IoFailure> {
        let r = match &mut self.stream {
            Stream::Plain(s) => timeout(limit, s.read(buf)).await,
            Stream::Tls(s) => timeout(limit, s.read(buf)).await,
            Stream::Gone => return Err(IoFailure::Lost("not connected".into())),
        };
        match r {
            Ok(Ok(n)) => Ok(n),
            Ok(Err(e)) => Err(IoFailure::Lost(e.to_string())),
            Err(_) => Err(IoFailure::TimedOut("the step's deadline has passed".into())),
        }
    }

    /// Drops the connection: tokio cannot write TLS's close_notify without waiting, so
    /// the TCP connection just closes (the session has sent QUIT first when it could).
    fn close(&mut self) {
        self.stream = Stream::Gone;
    }
}
