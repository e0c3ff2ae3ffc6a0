//! The SMTP transport: a sans-I/O protocol engine ([`engine::Engine`]), the session that
//! drives it over any I/O ([`session::Session`]), the options and their checks (feature
//! `session`); and (feature `smtp`) a blocking driver over `std::net` and rustls
//! ([`transport::SmtpClient`], [`transport::SmtpPool`]).
//!
//! See `docs/TRANSPORT.md` for the defaults and decisions and `docs/SECURITY.md` for the
//! attacks it resists and the tests that prove it.

pub mod capabilities;
pub mod credentials;
pub mod dot;
pub mod engine;
pub mod session;

pub use capabilities::Capabilities;
pub use credentials::Credentials;
pub use engine::{
    Action, AuthMechanism, Delivery, Direction, Engine, EngineConfig, MessageNeeds, Output,
    RecipientReply, TlsMode, Transaction, Wait, DEFAULT_WINDOW, MAX_BATCH_REPLIES,
};
pub use session::{IoFailure, Session, SmtpIo};
pub mod checks;
#[cfg(feature = "smtp")]
pub mod tls;
pub mod transport;
pub mod trust;

pub use checks::{check_options, check_plaintext_host, check_plaintext_peer};
#[cfg(feature = "tokio")]
pub use transport::{AsyncSmtpClient, AsyncSmtpPool};
pub use transport::{
    Outgoing, SmtpOptions, Timeouts, TranscriptHook, DEFAULT_IDLE_EXPIRY, DEFAULT_PORT,
};
#[cfg(feature = "smtp")]
pub use transport::{SmtpClient, SmtpPool};
pub use trust::TrustSettings;
