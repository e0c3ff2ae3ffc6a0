//! Measuring tools of email365, kept out of the product: a fast SMTP sink with fault
//! injection ([`sink`]), a loopback proxy that delays each direction and counts round
//! trips ([`proxy`]), the message used by every sending benchmark ([`workload`]) and a
//! small seeded random source ([`rng`]), the servers a run sends to ([`server`]: the sink, or
//! a real Postfix or Exim through the interop harnesses). The binaries `sink`, `delay-proxy`,
//! `send-bench` and `soak` are thin wrappers around them.

mod acceptor;
pub mod args;
pub mod proxy;
pub mod rng;
pub mod server;
pub mod sink;
pub mod soak;
pub mod workload;
