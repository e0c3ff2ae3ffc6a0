//! Sender policy in C: the registered sender domains and addresses of an account, over
//! the core's `SenderPolicy`.

use crate::address::e365_address;
use crate::address::AddressBox;
use crate::ffi::{fallible, free_box, maker};
use crate::{e365_error, e365_result, e365_str, str_list, try_ref};
use email365::policy::SenderPolicy;

/// The registered sender domains and addresses of an account (opaque). Made by
/// `e365_sender_policy_new`, freed by `e365_sender_policy_free`.
///
/// Immutable after creation: `e365_sender_policy_check` may be called from several
/// threads at once.
pub struct e365_sender_policy {
    inner: SenderPolicy,
}

impl e365_sender_policy {
    /// The core policy inside.
    pub(crate) fn core(&self) -> &SenderPolicy {
        &self.inner
    }
}

maker! {
    /// Makes a sender policy from `domains_len` registered domains (Unicode or ASCII form)
    /// and `addresses_len` registered addresses, each an `e365_str` (pointer + length). An
    /// array may be NULL when its length is 0. The strings are copied: they need only live
    /// for the call. On success `*out` receives a new policy that the caller frees with
    /// `e365_sender_policy_free`.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (an invalid entry; an array NULL with a non-zero
    /// length; an entry's `data` NULL or not UTF-8; `out` NULL).
    ///
    /// Thread-safe.
    ///
    /// # Safety
    /// Each array is NULL (with length 0) or valid for reading its length of entries, each
    /// entry valid for reading its bytes; `out` and `err_out` are NULL or valid for writing.
    fn e365_sender_policy_new(
        domains: *const e365_str,
        domains_len: usize,
        addresses: *const e365_str,
        addresses_len: usize,
    ) -> new_boxed e365_sender_policy {
        let domains = unsafe { str_list(domains, domains_len, "domains", "domains[i]")? };
        let addresses = unsafe { str_list(addresses, addresses_len, "addresses", "addresses[i]")? };
        let inner = SenderPolicy::new(&domains, &addresses)?;
        e365_sender_policy { inner }
    }
}

fallible! {
    /// Checks a sender address (from `e365_address_parse`) against the policy: `E365_OK`
    /// when it is registered.
    ///
    /// Errors: `E365_SENDER_NOT_REGISTERED`, `E365_INVALID_ARGUMENT` (`policy` or `sender`
    /// NULL).
    ///
    /// Thread-safe (the policy is not changed).
    ///
    /// # Safety
    /// `policy` and `sender` are NULL or live objects of this library; `err_out` is NULL or
    /// valid for writing.
    fn e365_sender_policy_check(policy: *const e365_sender_policy, sender: *const e365_address) {
        let policy = try_ref!(policy, "policy");
        let Some(sender) = (unsafe { AddressBox::core(sender) }) else {
            return Err(crate::null_argument("sender"));
        };
        policy.inner.check(sender)
    }
}

/// Frees a sender policy; NULL is ignored.
///
/// # Safety
/// `policy` is NULL or a policy from this library that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn e365_sender_policy_free(policy: *mut e365_sender_policy) {
    unsafe { free_box(policy) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::{e365_address_free, e365_address_parse};
    use crate::error::e365_error_free;
    use crate::testing::{input, refusal};
    use std::ptr::{null, null_mut};

    fn parse(s: &str) -> *mut e365_address {
        let mut addr = null_mut();
        let code = unsafe {
            e365_address_parse(s.as_ptr().cast(), s.len(), null(), &mut addr, null_mut())
        };
        assert_eq!(code, e365_result::E365_OK, "{s}");
        addr
    }

    #[test]
    fn makes_checks_and_frees_a_policy() {
        let domains = [input("Example.COM")];
        let addresses = [input("me@example.org")];
        let mut policy = null_mut();
        unsafe {
            assert_eq!(
                e365_sender_policy_new(
                    domains.as_ptr(),
                    1,
                    addresses.as_ptr(),
                    1,
                    &mut policy,
                    null_mut()
                ),
                e365_result::E365_OK
            );
            for (sender, want) in [
                ("anyone@example.com", e365_result::E365_OK),
                ("me@example.org", e365_result::E365_OK),
                ("you@example.org", e365_result::E365_SENDER_NOT_REGISTERED),
                ("me@example.net", e365_result::E365_SENDER_NOT_REGISTERED),
            ] {
                let addr = parse(sender);
                let mut err = null_mut();
                assert_eq!(
                    e365_sender_policy_check(policy, addr, &mut err),
                    want,
                    "{sender}"
                );
                assert_eq!(
                    crate::error::e365_error_kind(err),
                    if want == e365_result::E365_OK {
                        e365_result::E365_OK
                    } else {
                        want
                    }
                );
                e365_error_free(err);
                e365_address_free(addr);
            }
            e365_sender_policy_free(policy);
            e365_sender_policy_free(null_mut());
        }
    }

    #[test]
    fn invalid_entries_and_empty_policies_are_refused() {
        let mut policy = null_mut();
        let bad = [input("not a domain")];
        unsafe {
            refusal(e365_result::E365_INVALID_ARGUMENT, |err| {
                e365_sender_policy_new(bad.as_ptr(), 1, null(), 0, &mut policy, err)
            });
            assert_eq!(
                refusal(e365_result::E365_INVALID_ARGUMENT, |err| {
                    e365_sender_policy_new(null(), 0, null(), 0, &mut policy, err)
                }),
                "empty_policy"
            );
            assert!(policy.is_null());
        }
    }

    #[test]
    fn null_arguments_are_refused() {
        let mut policy = null_mut();
        unsafe {
            refusal(e365_result::E365_INVALID_ARGUMENT, |err| {
                e365_sender_policy_new(null(), 2, null(), 0, &mut policy, err)
            });
            assert_eq!(
                e365_sender_policy_new(null(), 0, null(), 0, null_mut(), null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            let bad = [e365_str {
                data: null(),
                len: 3,
            }];
            assert_eq!(
                e365_sender_policy_new(bad.as_ptr(), 1, null(), 0, &mut policy, null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert!(policy.is_null());
            assert_eq!(
                e365_sender_policy_check(null(), null(), null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
        }
    }
}
