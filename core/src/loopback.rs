//! Which hosts count as loopback: the one rule both the SMTP transport (plaintext only
//! to loopback) and the status client (plain `http://` only to loopback) apply.

use std::net::IpAddr;

/// Whether `host` is a loopback host: `localhost` (with or without a trailing dot, any
/// case), or an IP address (IPv6 possibly in brackets) in 127.0.0.0/8 or `::1`,
/// IPv4-mapped forms included.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    unbracketed(host)
        .parse::<IpAddr>()
        .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

/// `host` without the brackets of an IPv6 literal (`[::1]` is `::1`); other hosts as
/// they are.
pub(crate) fn unbracketed(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

#[cfg(test)]
mod tests {
    use super::is_loopback_host;

    #[test]
    fn loopback_hosts() {
        for h in [
            "localhost",
            "LOCALHOST",
            "localhost.",
            "127.0.0.1",
            "127.9.8.7",
            "127.3.4.5",
            "::1",
            "[::1]",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in [
            "smtp.example.com",
            "eu.email.sdi.sinch.com",
            "10.0.0.1",
            "128.0.0.1",
            "::2",
            "localhost.example.com",
            "[127.0.0.1",
            "",
        ] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }
}
