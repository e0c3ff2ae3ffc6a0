//! email365 core: everything the SDK does, in one crate.
//!
//! The bindings (WebAssembly, Python, C) only convert types and errors; every rule,
//! table, parser and policy lives here. Native I/O sits behind the `smtp` and `http`
//! cargo features so that the wasm build never compiles it; `session` (the SMTP engine
//! and its generic session, without I/O) is what the Node module adds.

pub mod address;
mod b64;
#[cfg(feature = "command")]
pub mod cli;
pub mod error;
#[cfg(feature = "http")]
pub mod http;
#[cfg(any(feature = "session", feature = "http"))]
mod loopback;
pub mod message;
pub mod names;
pub mod notification_id;
pub mod policy;
pub mod reply;
#[cfg(feature = "session")]
pub mod smtp;
pub mod status;
mod swar;

pub use error::{Error, ErrorKind, Result};

/// The version of the core, shared by every crate and package of the workspace.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
