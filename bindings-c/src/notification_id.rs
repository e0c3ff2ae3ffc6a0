//! Notification ids in C: `e365_notification_id_extract` over the core's pattern-based
//! extraction from the final reply to the message data.

use crate::ffi::fallible;
use crate::{c_string, e365_error, e365_result, text, try_out};
use email365::notification_id::extract_notification_id;
use std::ffi::c_char;

fallible! {
    /// Extracts the notification id from the server's final reply to the message data
    /// (`reply`, `reply_len` bytes, code included: `250 2.0.0 Ok: queued as 10000000902077`).
    /// Servers word it differently (Postfix, Exim, SES, Haraka, …); some give none.
    ///
    /// On success `*id_out` receives a new NUL-terminated id that the caller frees with
    /// `e365_string_free`, or NULL when the reply carries no id (not an error: a reply
    /// that does not parse, or is no 2yz success, has no id either).
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`reply` or `id_out` NULL, `reply` not UTF-8).
    ///
    /// Thread-safe.
    ///
    /// # Safety
    /// `reply` is valid for reading `reply_len` bytes; `id_out` and `err_out` are NULL or
    /// valid for writing.
    fn e365_notification_id_extract(
        reply: *const c_char,
        reply_len: usize,
        id_out: *mut *mut c_char,
    ) {
        let id_out = try_out!(id_out, "id_out");
        let reply = unsafe { text(reply, reply_len, "reply")? };
        *id_out = match extract_notification_id(reply) {
            Some(id) => c_string(&id)?,
            None => std::ptr::null_mut(),
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::e365_string_free;
    use std::ffi::CStr;
    use std::ptr::{null, null_mut};

    /// Extracts from `reply` into `id_out`.
    fn extract(reply: &str, id_out: *mut *mut c_char) -> e365_result {
        unsafe {
            e365_notification_id_extract(reply.as_ptr().cast(), reply.len(), id_out, null_mut())
        }
    }

    #[test]
    fn extracts_or_gives_null() {
        let mut id = null_mut();
        assert_eq!(
            extract("250 2.0.0 Ok: queued as 10000000902077", &mut id),
            e365_result::E365_OK
        );
        unsafe {
            assert_eq!(CStr::from_ptr(id).to_str().unwrap(), "10000000902077");
            e365_string_free(id);
        }
        assert_eq!(extract("250 OK", &mut id), e365_result::E365_OK);
        assert!(id.is_null());
        assert_eq!(
            unsafe { e365_notification_id_extract(null(), 0, &mut id, null_mut()) },
            e365_result::E365_INVALID_ARGUMENT
        );
        assert_eq!(
            extract("250 OK", null_mut()),
            e365_result::E365_INVALID_ARGUMENT
        );
    }
}
