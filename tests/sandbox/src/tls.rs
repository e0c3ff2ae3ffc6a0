//! The certificate made at start (a self-signed CA and a leaf for `localhost`,
//! `127.0.0.1` and `::1`, both from rcgen) and the rustls server configuration (ring
//! provider) used by STARTTLS and the optional implicit-TLS port.

use std::io;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;

/// The certificate material of one sandbox run.
pub struct Certificates {
    /// The CA certificate in PEM form: what clients trust.
    pub ca_pem: String,
    /// The server's TLS configuration (leaf + CA chain).
    pub server_config: Arc<ServerConfig>,
}

fn other<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> io::Error + '_ {
    move |e| io::Error::other(format!("{what}: {e}"))
}

/// Makes a fresh CA and a leaf certificate for `hostname` (plus `localhost`,
/// `127.0.0.1` and `::1`), and the rustls configuration serving them.
pub fn make(hostname: &str) -> io::Result<Certificates> {
    let mut ca_params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "Email 365 sandbox CA");
    dn.push(DnType::OrganizationName, "email365 sandbox");
    ca_params.distinguished_name = dn;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate().map_err(other("CA key"))?;
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).map_err(other("CA certificate"))?;

    let mut names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    if !names.iter().any(|n| n.eq_ignore_ascii_case(hostname)) {
        names.push(hostname.to_string());
    }
    let mut leaf_params = CertificateParams::new(names).map_err(other("server names"))?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, hostname);
    leaf_params.distinguished_name = dn;
    leaf_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_key = KeyPair::generate().map_err(other("server key"))?;
    let leaf = leaf_params
        .signed_by(&leaf_key, &ca)
        .map_err(other("server certificate"))?;

    let chain: Vec<CertificateDer<'static>> = vec![leaf.der().clone(), ca.der().clone()];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server_config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(other("TLS versions"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(other("TLS configuration"))?;
    Ok(Certificates {
        ca_pem: ca.pem(),
        server_config: Arc::new(server_config),
    })
}
