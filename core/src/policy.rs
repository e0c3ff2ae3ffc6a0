//! Sender policy: the domains and addresses registered for the account. A sender
//! outside them is refused with `sender_not_registered` before anything is sent.
//!
//! Domains match on the ASCII (A-label) form, case-insensitively, and exactly: a
//! registered `example.com` does not cover `mail.example.com`. Addresses match on the
//! exact local part (as normalised by [`Address::parse`]) and the case-insensitive ASCII
//! domain. A policy built with [`SenderPolicy::new`] needs at least one entry; the
//! [`Default`] policy has none and refuses every sender (fail closed).

use crate::address::{Address, AddressOptions, Mode};
use crate::error::{Error, ErrorKind, Result};

/// The registered sender domains and addresses of an account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SenderPolicy {
    /// Registered domains, ASCII form, lower case.
    domains: Vec<String>,
    /// Registered addresses as `(local, ascii_domain)`, the domain in lower case.
    addresses: Vec<(String, String)>,
}

fn invalid(what: &str, index: usize, cause: &Error) -> Error {
    let mut error = Error::new(
        ErrorKind::InvalidArgument,
        format!(
            "registered sender {what} #{index} is invalid: {}",
            cause.message()
        ),
    );
    if let Some(reason) = cause.reason() {
        error = error.with_reason(reason);
    }
    error
}

impl SenderPolicy {
    /// A policy from registered domains (Unicode or ASCII) and addresses. Invalid
    /// entries are refused with `invalid_argument` (reason = the address diagnosis);
    /// so is a policy without any entry, which would refuse every sender.
    pub fn new<D: AsRef<str>, A: AsRef<str>>(
        domains: &[D],
        addresses: &[A],
    ) -> Result<SenderPolicy> {
        if domains.is_empty() && addresses.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "a sender policy needs at least one registered domain or address",
            )
            .with_reason("empty_policy"));
        }
        let options = AddressOptions {
            mode: Mode::Envelope,
            allow_quoted_local: true,
            allow_domain_literal: true,
        };
        let mut policy = SenderPolicy::default();
        for (index, domain) in domains.iter().enumerate() {
            // Validate the domain with a placeholder local part so that every domain
            // rule (IDNA, lengths, numeric TLD) applies.
            let probe = format!("postmaster@{}", domain.as_ref());
            let address =
                Address::parse(&probe, &options).map_err(|e| invalid("domain", index, &e))?;
            let ascii = address.ascii_domain.to_ascii_lowercase();
            if !policy.domains.contains(&ascii) {
                policy.domains.push(ascii);
            }
        }
        for (index, address) in addresses.iter().enumerate() {
            let address = Address::parse(address.as_ref(), &options)
                .map_err(|e| invalid("address", index, &e))?;
            let entry = (address.local, address.ascii_domain.to_ascii_lowercase());
            if !policy.addresses.contains(&entry) {
                policy.addresses.push(entry);
            }
        }
        Ok(policy)
    }

    /// Ok when `sender` is registered, else `sender_not_registered`.
    pub fn check(&self, sender: &Address) -> Result<()> {
        let domain = sender.ascii_domain.to_ascii_lowercase();
        if self.domains.contains(&domain)
            || self
                .addresses
                .iter()
                .any(|(l, d)| *l == sender.local && *d == domain)
        {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::SenderNotRegistered,
            format!(
                "the sender {} is not registered for this account (domain {} is not a registered sender domain)",
                sender.envelope(),
                sender.domain
            ),
        ))
    }

    /// The registered domains (ASCII form, lower case).
    pub fn domains(&self) -> impl Iterator<Item = &str> {
        self.domains.iter().map(String::as_str)
    }

    /// The registered addresses (`local@ascii_domain`).
    pub fn addresses(&self) -> impl Iterator<Item = String> + '_ {
        self.addresses.iter().map(|(l, d)| format!("{l}@{d}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> Address {
        Address::parse(s, &AddressOptions::default()).expect("valid test address")
    }

    #[test]
    fn domains_match_case_insensitively_on_the_ascii_form() {
        let policy = SenderPolicy::new(&["Bücher.DE", "example.com"], &[] as &[&str]).unwrap();
        assert!(policy.check(&addr("anyone@xn--bcher-kva.de")).is_ok());
        assert!(policy.check(&addr("x@BÜCHER.de")).is_ok());
        assert!(policy.check(&addr("x@EXAMPLE.com")).is_ok());
        let err = policy.check(&addr("x@mail.example.com")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::SenderNotRegistered);
        assert!(
            err.message().contains("mail.example.com"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn addresses_match_the_exact_local_part() {
        let policy = SenderPolicy::new(&[] as &[&str], &["News@Example.org"]).unwrap();
        assert!(policy.check(&addr("News@example.ORG")).is_ok());
        assert_eq!(
            policy.check(&addr("news@example.org")).unwrap_err().kind(),
            ErrorKind::SenderNotRegistered
        );
        assert_eq!(
            policy.check(&addr("other@example.org")).unwrap_err().kind(),
            ErrorKind::SenderNotRegistered
        );
    }

    #[test]
    fn invalid_or_empty_configuration_is_refused() {
        let err = SenderPolicy::new(&["exa mple.com"], &[] as &[&str]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert_eq!(err.reason(), Some("whitespace"));
        let err = SenderPolicy::new(&[] as &[&str], &["no-at-sign"]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert_eq!(err.reason(), Some("no_at"));
        let err = SenderPolicy::new(&[] as &[&str], &[] as &[&str]).unwrap_err();
        assert_eq!(err.reason(), Some("empty_policy"));
        assert!(SenderPolicy::default()
            .check(&addr("a@example.com"))
            .is_err());
    }
}
