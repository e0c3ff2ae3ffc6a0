//! Sender policy: the domains and addresses registered for the account. A sender
//! outside them is refused with `sender_not_registered` before anything is sent.
//!
//! CONTRACT STUB: the public types and signatures below are fixed; the body is a
//! placeholder to be replaced.

use crate::address::Address;
use crate::error::Result;

/// The registered sender domains and addresses of an account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SenderPolicy {
    domains: Vec<String>,
    addresses: Vec<String>,
}

impl SenderPolicy {
    /// A policy from registered domains (Unicode or ASCII) and addresses. Invalid
    /// entries are refused with `invalid_argument`.
    pub fn new<D: AsRef<str>, A: AsRef<str>>(domains: &[D], addresses: &[A]) -> Result<SenderPolicy> {
        Ok(SenderPolicy {
            domains: domains.iter().map(|d| d.as_ref().to_string()).collect(),
            addresses: addresses.iter().map(|a| a.as_ref().to_string()).collect(),
        })
    }

    /// Ok when `sender` is registered, else `sender_not_registered`.
    pub fn check(&self, sender: &Address) -> Result<()> {
        let _ = sender;
        Ok(())
    }
}
