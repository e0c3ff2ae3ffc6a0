//! The SMTP pool in C: `e365_smtp_pool_*` over the core's `SmtpPool`, up to N
//! connections shared by every thread that sends through one pool handle.

use crate::ffi::{free_box_with, maker};
use crate::message::e365_message;
use crate::options::e365_smtp_options;
use crate::sending::send_fn;
use crate::smtp::{e365_delivery, e365_send_results};
use crate::{e365_error, e365_result, e365_str, try_ref};
use email365::smtp::SmtpPool;

/// Up to `max_connections` SMTP connections shared between threads (opaque): made by
/// `e365_smtp_pool_new`, freed by `e365_smtp_pool_free`.
///
/// Thread-safe: any number of threads may call `e365_smtp_pool_send`, `_send_raw`,
/// `_send_many` and `_send_many_raw` on one pool at once. Each send takes an idle connection,
/// or opens one while fewer than the maximum exist, or waits for one. Connections open
/// on first use.
pub struct e365_smtp_pool {
    inner: SmtpPool,
}

impl e365_smtp_pool {
    /// The core pool inside.
    pub(crate) fn core(&self) -> &SmtpPool {
        &self.inner
    }
}

maker! {
    /// Makes a pool with a copy of `options` (`e365_smtp_options_set_max_connections` gives
    /// its size, 1 by default); no connection is opened yet. On success `*out` receives the
    /// pool; free it with `e365_smtp_pool_free`.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`options` or `out` NULL; reason `auth_requires_tls`
    /// for credentials with `E365_TLS_INSECURE_PLAINTEXT`), `E365_TLS` (no usable trusted
    /// root).
    ///
    /// # Safety
    /// `options` is NULL or live options; `out` and `err_out` are NULL or valid for writing.
    fn e365_smtp_pool_new(options: *const e365_smtp_options) -> new_boxed e365_smtp_pool {
        let options = try_ref!(options, "options");
        let inner = SmtpPool::new(options.core().clone(), options.max_connections())?;
        e365_smtp_pool { inner }
    }
}

send_fn! {
    /// Sends a built message on a pooled connection: as `e365_smtp_client_send` (same
    /// results and errors; `pool` instead of `client`).
    ///
    /// Thread-safe.
    ///
    /// # Safety
    /// `pool` and `message` are NULL or live objects of this library; `out` and `err_out`
    /// are NULL or valid for writing.
    send fn e365_smtp_pool_send(pool: *const e365_smtp_pool);
}

send_fn! {
    /// Sends RFC 5322 bytes with an explicit envelope on a pooled connection: as
    /// `e365_smtp_client_send_raw`.
    ///
    /// Thread-safe.
    ///
    /// # Safety
    /// `pool` is NULL or a live pool; `mail_from`'s data, each `rcpt_to` entry and `bytes`
    /// are valid for reading their lengths; `out` and `err_out` are NULL or valid for
    /// writing.
    send_raw fn e365_smtp_pool_send_raw(pool: *const e365_smtp_pool);
}

send_fn! {
    /// Sends several built messages and writes one outcome per message, in the order
    /// given, into `*out`: as `e365_smtp_client_send_many`, the list cut into contiguous
    /// parts sent at once on up to `max_connections` connections (no part smaller than the
    /// window, so a short list stays on one connection). The transcript callback, if any, is
    /// then called from several threads.
    ///
    /// Thread-safe.
    ///
    /// # Safety
    /// `pool` is NULL or a live pool; `messages` is NULL (with length 0) or valid for
    /// reading `messages_len` pointers, each NULL or a live message; `out` and `err_out` are
    /// NULL or valid for writing.
    send_many fn e365_smtp_pool_send_many(pool: *const e365_smtp_pool);
}

/// Closes the pool's idle connections politely (QUIT); connections in use by other
/// threads stay open. The pool remains usable (it opens connections again as needed).
/// NULL is ignored.
///
/// Thread-safe.
///
/// # Safety
/// `pool` is NULL or a live pool.
#[no_mangle]
pub unsafe extern "C" fn e365_smtp_pool_close(pool: *const e365_smtp_pool) {
    if let Some(pool) = unsafe { pool.as_ref() } {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pool.inner.close()));
    }
}

/// Frees a pool, sending QUIT on each idle connection; NULL is ignored. No other thread
/// may be using the pool.
///
/// # Safety
/// `pool` is NULL or a pool from this library that was not freed yet and is not in use.
#[no_mangle]
pub unsafe extern "C" fn e365_smtp_pool_free(pool: *mut e365_smtp_pool) {
    unsafe { free_box_with(pool, |pool| pool.inner.close()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::*;
    use std::ptr::{null, null_mut};

    #[test]
    fn pool_arguments_are_checked() {
        let mut p = null_mut();
        let mut d = null_mut();
        let mut r = null_mut();
        unsafe {
            assert_eq!(
                e365_smtp_pool_new(null(), &mut p, null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            let mut o = null_mut();
            e365_smtp_options_new("127.0.0.1".as_ptr().cast(), 9, &mut o, null_mut());
            e365_smtp_options_set_max_connections(o, 3, null_mut());
            assert_eq!(
                e365_smtp_pool_new(o, &mut p, null_mut()),
                e365_result::E365_OK
            );
            e365_smtp_options_free(o);
            assert_eq!(
                e365_smtp_pool_send(p, null(), &mut d, null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert_eq!(
                e365_smtp_pool_send_many(p, null(), 2, &mut r, null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            // An empty list: every message (none) has its outcome.
            assert_eq!(
                e365_smtp_pool_send_many(p, null(), 0, &mut r, null_mut()),
                e365_result::E365_OK
            );
            assert_eq!(crate::smtp::e365_send_results_len(r), 0);
            crate::smtp::e365_send_results_free(r);
            e365_smtp_pool_close(p);
            e365_smtp_pool_close(null());
            e365_smtp_pool_free(p);
            e365_smtp_pool_free(null_mut());
        }
    }
}
