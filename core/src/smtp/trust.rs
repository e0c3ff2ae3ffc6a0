//! Where the transport's trusted roots come from ([`TrustSettings`]) and the reading of an
//! extra CA file: plain data, without the TLS library, so that the options compile in
//! every build (`tls` turns them into a rustls configuration).

use crate::error::{Error, ErrorKind, Result};
use std::path::Path;

/// Where trusted roots come from.
#[derive(Debug, Clone, Default)]
pub struct TrustSettings {
    /// Trust the operating system's roots (default true through [`TrustSettings::system`]).
    pub system_roots: bool,
    /// Extra CA certificates (PEM), e.g. a private CA.
    pub extra_ca_pem: Option<Vec<u8>>,
}

impl TrustSettings {
    /// The system roots only.
    pub fn system() -> TrustSettings {
        TrustSettings {
            system_roots: true,
            extra_ca_pem: None,
        }
    }
}

/// Reads an extra CA file (PEM). Errors have kind `invalid_argument`.
pub fn read_ca_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("cannot read the CA file {}: {e}", path.display()),
        )
        .with_reason("ca_file")
    })
}
