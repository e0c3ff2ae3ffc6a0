//! TLS for the transport: rustls with the `ring` provider, roots from the operating
//! system's store plus an optional extra CA file (PEM), hostname verification.

use super::transport::DeadlineSocket;
use crate::error::{Error, ErrorKind, Result};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use std::io;
use std::sync::Arc;

pub use super::trust::{read_ca_file, TrustSettings};

fn tls_error(reason: &'static str, message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Tls, message).with_reason(reason)
}

/// Builds the rustls client configuration (ring provider, TLS 1.2 and 1.3).
pub fn client_config(trust: &TrustSettings) -> Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    if trust.system_roots {
        let found = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(found.certs);
    }
    if let Some(pem) = &trust.extra_ca_pem {
        let mut n = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| {
                Error::new(
                    ErrorKind::InvalidArgument,
                    format!("bad PEM in the CA file: {e}"),
                )
                .with_reason("ca_file")
            })?;
            roots.add(cert).map_err(|e| {
                Error::new(
                    ErrorKind::InvalidArgument,
                    format!("bad certificate in the CA file: {e}"),
                )
                .with_reason("ca_file")
            })?;
            n += 1;
        }
        if n == 0 {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "the CA file holds no PEM certificate",
            )
            .with_reason("ca_file"));
        }
    }
    if roots.is_empty() {
        return Err(tls_error(
            "no_roots",
            "no trusted root certificate: the system store is empty and no CA file was given",
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error("config", format!("TLS configuration: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A TLS stream over TCP (each step bounded by the socket's deadline).
pub type TlsStream = StreamOwned<ClientConnection, DeadlineSocket>;

/// Maps an I/O error of the handshake (blocking or asynchronous).
pub(crate) fn handshake_error(e: io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => handshake_timed_out(),
        _ => {
            let detail = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                .map(|r| r.to_string())
                .unwrap_or_else(|| e.to_string());
            let reason = if detail.contains("certificate") || detail.contains("Certificate") {
                "certificate"
            } else {
                "handshake"
            };
            tls_error(reason, format!("TLS handshake failed: {detail}"))
        }
    }
}

/// The name the server's certificate is checked against.
pub(crate) fn server_name_of(server_name: &str) -> Result<ServerName<'static>> {
    ServerName::try_from(server_name.to_string()).map_err(|e| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("{server_name:?} is not a valid TLS server name: {e}"),
        )
        .with_reason("server_name")
    })
}

/// The error of a handshake that did not finish within its limit.
pub(crate) fn handshake_timed_out() -> Error {
    Error::new(
        ErrorKind::Timeout,
        "the TLS handshake did not finish in time",
    )
    .with_reason("tls_handshake")
}

/// Runs the TLS handshake on `sock` for `server_name`, within the deadline the caller
/// set on the socket (a stalled or dripping handshake fails with `timeout`, reason
/// `tls_handshake`).
pub fn handshake(
    mut sock: DeadlineSocket,
    config: Arc<ClientConfig>,
    server_name: &str,
) -> Result<TlsStream> {
    let name = server_name_of(server_name)?;
    let mut conn = ClientConnection::new(config, name)
        .map_err(|e| tls_error("handshake", format!("TLS setup: {e}")))?;
    while conn.is_handshaking() {
        conn.complete_io(&mut sock).map_err(handshake_error)?;
    }
    Ok(StreamOwned::new(conn, sock))
}
