//! The native transports: the shared session (`smtp::session`) over blocking
//! `std::net` sockets and rustls. It is the only code that touches sockets. One [`SmtpClient`] is one
//! connection (re-opened when needed); [`SmtpPool`] shares up to N clients between
//! threads. [`SmtpClient::send_many`] keeps several whole transactions in flight on one
//! connection (PIPELINING, ideally CHUNKING); [`SmtpPool::send_many`] spreads a list
//! over the pool's connections.
//!
//! - `options`: [`SmtpOptions`] and the time limit of each step ([`Timeouts`]);
//! - `connect`: resolution and TCP connect within one deadline, plaintext to loopback only;
//! - `socket`: the deadline of each step, enforced on every read and write;
//! - `blocking_io`: [`BlockingIo`], the session's I/O over those sockets, and the
//!   one-poll executor that runs a session's operation on the calling thread;
//! - `client`: [`SmtpClient`], the session over [`BlockingIo`];
//! - `pool`: [`SmtpPool`], with a guard that gives a slot back even on a panic;
//! - `tokio_io` (feature `tokio`): `TokioIo`, the session's I/O over tokio and
//!   tokio-rustls;
//! - `async_client` (feature `tokio`): `AsyncSmtpClient` and `AsyncSmtpPool`, the
//!   session over `TokioIo`, cancellation-safe.

// Without the `smtp` feature (the `session` feature alone) only the options are compiled.
#[cfg(feature = "tokio")]
mod async_client;
#[cfg(feature = "smtp")]
mod blocking_io;
#[cfg(feature = "smtp")]
mod client;
#[cfg(feature = "smtp")]
mod connect;
mod options;
#[cfg(feature = "smtp")]
mod pool;
#[cfg(feature = "smtp")]
mod socket;
#[cfg(feature = "tokio")]
mod tokio_io;

pub use super::session::Outgoing;
#[cfg(feature = "tokio")]
pub use async_client::{AsyncSmtpClient, AsyncSmtpPool};
#[cfg(feature = "smtp")]
pub use blocking_io::BlockingIo;
#[cfg(feature = "smtp")]
pub use client::SmtpClient;
pub use options::{SmtpOptions, Timeouts, TranscriptHook, DEFAULT_IDLE_EXPIRY, DEFAULT_PORT};
#[cfg(feature = "smtp")]
pub use pool::SmtpPool;
#[cfg(feature = "smtp")]
pub use socket::DeadlineSocket;
#[cfg(feature = "tokio")]
pub use tokio_io::TokioIo;
