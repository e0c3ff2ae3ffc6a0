//! Raw messages for the `send_many_raw` calls in C: an opaque `e365_outgoing` holding a
//! copy of an envelope and RFC 5322 bytes, handed to the core as `Outgoing::raw`.

use crate::ffi::{free_box, maker};
use crate::pool::e365_smtp_pool;
use crate::sending::{self, send_fn, ListEntry};
use crate::smtp::{e365_send_results, e365_smtp_client};
use crate::{e365_error, e365_result, e365_str};
use email365::message::Envelope;
use email365::smtp::Outgoing;

/// One message built elsewhere with its envelope (opaque): made by `e365_outgoing_new`,
/// sent by `e365_smtp_client_send_many_raw` / `e365_smtp_pool_send_many_raw` (any number
/// of times), freed by `e365_outgoing_free`. Immutable: may be used by several threads
/// at once.
pub struct e365_outgoing {
    envelope: Envelope,
    bytes: Vec<u8>,
}

maker! {
    /// Copies an envelope (`mail_from`, bare, empty for `<>`; `rcpt_to_len` bare recipients)
    /// and RFC 5322 bytes into a new outgoing message for the `send_many_raw` calls; free it
    /// with `e365_outgoing_free`. Nothing is checked here: the send checks it as
    /// `e365_smtp_client_send_raw` does.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`mail_from.data`, an entry's data, `bytes` or `out`
    /// NULL, `rcpt_to` NULL with a non-zero length, text not UTF-8).
    ///
    /// # Safety
    /// `mail_from`'s data, each `rcpt_to` entry and `bytes` are valid for reading their
    /// lengths; `out` and `err_out` are NULL or valid for writing.
    fn e365_outgoing_new(
        mail_from: e365_str,
        rcpt_to: *const e365_str,
        rcpt_to_len: usize,
        bytes: *const u8,
        len: usize,
    ) -> new_boxed e365_outgoing {
        let (envelope, bytes) =
            unsafe { sending::raw_message(mail_from, rcpt_to, rcpt_to_len, bytes, len)? };
        e365_outgoing {
            envelope,
            bytes: bytes.to_vec(),
        }
    }
}

/// Frees an outgoing message; NULL is ignored.
///
/// # Safety
/// `outgoing` is NULL or an outgoing message from this library that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn e365_outgoing_free(outgoing: *mut e365_outgoing) {
    unsafe { free_box(outgoing) }
}

impl ListEntry for e365_outgoing {
    const NAMES: (&'static str, &'static str) = ("items", "items[i]");

    unsafe fn outgoing<'a>(entry: *const Self) -> Option<Outgoing<'a>> {
        unsafe { entry.as_ref() }.map(|o| Outgoing::raw(&o.envelope, &o.bytes))
    }
}

send_fn! {
    /// `e365_smtp_client_send_many` for messages built elsewhere (`e365_outgoing_new`):
    /// one outcome per item, in the order given, every item submitted. SMTPUTF8 and
    /// 8BITMIME needs are detected as `e365_smtp_client_send_raw` does.
    ///
    /// Errors of the call itself: `E365_INVALID_ARGUMENT` (`client` or `out` NULL, `items`
    /// NULL with a non-zero length, a NULL entry).
    ///
    /// # Safety
    /// `client` is NULL or a live client; `items` is NULL (with length 0) or valid for
    /// reading `items_len` pointers, each NULL or a live outgoing message; `out` and
    /// `err_out` are NULL or valid for writing.
    send_many_raw fn e365_smtp_client_send_many_raw(client: *mut e365_smtp_client);
}

send_fn! {
    /// `e365_smtp_pool_send_many` for messages built elsewhere (`e365_outgoing_new`).
    ///
    /// Thread-safe.
    ///
    /// # Safety
    /// `pool` is NULL or a live pool; `items` is NULL (with length 0) or valid for reading
    /// `items_len` pointers, each NULL or a live outgoing message; `out` and `err_out` are
    /// NULL or valid for writing.
    send_many_raw fn e365_smtp_pool_send_many_raw(pool: *const e365_smtp_pool);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::input;
    use std::ptr::{null, null_mut};

    #[test]
    fn outgoing_arguments_are_checked() {
        let mut o = null_mut();
        let rcpt = [input("a@example.org")];
        let bytes = b"Subject: x\r\n\r\nHi\r\n";
        unsafe {
            assert_eq!(
                e365_outgoing_new(
                    e365_str::NONE,
                    rcpt.as_ptr(),
                    1,
                    bytes.as_ptr(),
                    bytes.len(),
                    &mut o,
                    null_mut()
                ),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert_eq!(
                e365_outgoing_new(
                    input("s@example.com"),
                    null(),
                    1,
                    bytes.as_ptr(),
                    bytes.len(),
                    &mut o,
                    null_mut()
                ),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert!(o.is_null());
            assert_eq!(
                e365_outgoing_new(
                    input("s@example.com"),
                    rcpt.as_ptr(),
                    1,
                    bytes.as_ptr(),
                    bytes.len(),
                    &mut o,
                    null_mut()
                ),
                e365_result::E365_OK
            );
            assert_eq!((*o).envelope.rcpt_to, vec!["a@example.org".to_string()]);
            let mut r = null_mut();
            let list = [o as *const e365_outgoing, null()];
            assert_eq!(
                e365_smtp_client_send_many_raw(null_mut(), list.as_ptr(), 1, &mut r, null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert_eq!(
                e365_smtp_pool_send_many_raw(null(), list.as_ptr(), 2, &mut r, null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert!(r.is_null());
            e365_outgoing_free(o);
            e365_outgoing_free(null_mut());
        }
    }
}
