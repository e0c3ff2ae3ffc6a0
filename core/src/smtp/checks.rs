//! The checks of a transport's options that hold whatever carries the bytes: the EHLO
//! name, plaintext only to loopback hosts (by name before connecting, by address once
//! connected), and no credentials without TLS. Every session's I/O maker runs
//! [`check_options`] (the blocking client, the Node module), and an I/O that connects in
//! the insecure plaintext mode checks the address it reached.

use super::engine::{check_ehlo_name, TlsMode};
use super::transport::SmtpOptions;
use crate::error::{Error, ErrorKind, Result};
use crate::loopback::is_loopback_host;
use std::net::IpAddr;

/// The error when plaintext would leave the machine.
fn plaintext_refused(what: String) -> Error {
    Error::new(
        ErrorKind::InvalidArgument,
        format!(
            "the insecure plaintext mode is allowed only for loopback hosts (127.0.0.0/8, ::1, localhost), and {what}: use STARTTLS or implicit TLS"
        ),
    )
    .with_reason("plaintext_not_loopback")
}

/// Refuses the insecure plaintext mode to a host that is not a loopback host.
pub fn check_plaintext_host(host: &str) -> Result<()> {
    if is_loopback_host(host) {
        Ok(())
    } else {
        Err(plaintext_refused(format!("{host:?} is not one")))
    }
}

/// Refuses resolved addresses outside loopback (a `localhost` that resolves elsewhere).
pub(crate) fn check_plaintext_addrs(host: &str, addrs: &[IpAddr]) -> Result<()> {
    match addrs.iter().find(|a| !a.to_canonical().is_loopback()) {
        Some(a) => Err(plaintext_refused(format!(
            "{host:?} resolves to {a} (not a loopback address)"
        ))),
        None => Ok(()),
    }
}

/// Refuses a plaintext connection whose peer is not a loopback address, or unknown.
pub fn check_plaintext_peer(host: &str, peer: Option<IpAddr>) -> Result<()> {
    match peer {
        Some(ip) => check_plaintext_addrs(host, &[ip]),
        None => Err(plaintext_refused(format!(
            "the address {host:?} connected to is unknown"
        ))),
    }
}

/// Checks the options of a session: the EHLO name, and in the insecure plaintext mode a
/// loopback host and no credentials (reason `auth_requires_tls`).
pub fn check_options(options: &SmtpOptions) -> Result<()> {
    if let Some(name) = &options.ehlo_name {
        check_ehlo_name(name)?;
    }
    if options.tls == TlsMode::InsecurePlaintext {
        check_plaintext_host(&options.host)?;
        if options.credentials.is_some() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "credentials are never sent without TLS: remove them or use TLS",
            )
            .with_reason("auth_requires_tls"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plaintext_to_a_remote_host_or_address_is_refused() {
        let e = check_plaintext_host("smtp.example.com").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert_eq!(e.reason(), Some("plaintext_not_loopback"));
        let e = check_plaintext_peer("localhost", Some("192.0.2.1".parse().unwrap())).unwrap_err();
        assert_eq!(e.reason(), Some("plaintext_not_loopback"));
        let e = check_plaintext_peer("localhost", None).unwrap_err();
        assert_eq!(e.reason(), Some("plaintext_not_loopback"));
        assert!(
            check_plaintext_peer("localhost", Some("::ffff:127.0.0.1".parse().unwrap())).is_ok()
        );
    }

    #[test]
    fn options_are_checked() {
        let plain = SmtpOptions::new("127.0.0.1").tls(TlsMode::InsecurePlaintext);
        assert!(check_options(&plain).is_ok());
        let e = check_options(&plain.clone().credentials("u", "p")).unwrap_err();
        assert_eq!(e.reason(), Some("auth_requires_tls"));
        let remote = SmtpOptions::new("smtp.example.com").tls(TlsMode::InsecurePlaintext);
        assert_eq!(
            check_options(&remote).unwrap_err().reason(),
            Some("plaintext_not_loopback")
        );
        let mut bad_name = SmtpOptions::new("smtp.example.com");
        bad_name.ehlo_name = Some("bad name".into());
        assert!(check_options(&bad_name).is_err());
        assert!(check_options(&SmtpOptions::new("smtp.example.com").credentials("u", "p")).is_ok());
    }
}
