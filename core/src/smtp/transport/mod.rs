//! The blocking transport: a short loop around the sans-I/O engine over `std::net` and
//! rustls. It is the only code that touches sockets. One [`SmtpClient`] is one
//! connection (re-opened when needed); [`SmtpPool`] shares up to N clients between
//! threads. [`SmtpClient::send_many`] keeps several whole transactions in flight on one
//! connection (PIPELINING, ideally CHUNKING); [`SmtpPool::send_many`] spreads a list
//! over the pool's connections.
//!
//! - `options`: [`SmtpOptions`] and the time limit of each step ([`Timeouts`]);
//! - `connect`: resolution and TCP connect within one deadline, plaintext to loopback only;
//! - `socket`: the deadline of each step, enforced on every read and write;
//! - `client`: [`SmtpClient`], the loop that drives the engine;
//! - `pool`: [`SmtpPool`], with a guard that gives a slot back even on a panic.

mod client;
mod connect;
mod options;
mod pool;
mod socket;

pub use client::{Outgoing, SmtpClient};
pub use options::{SmtpOptions, Timeouts, TranscriptHook, DEFAULT_IDLE_EXPIRY, DEFAULT_PORT};
pub use pool::SmtpPool;
pub use socket::DeadlineSocket;
