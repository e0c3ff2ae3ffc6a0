//! The core's status wait loop in C (`email365::status::Poller`): an
//! `e365_status_poller` says what to do next — fetch, sleep, done, give up — for a
//! caller with its own HTTP client, who reports each request with
//! `e365_status_poller_record_answer` / `e365_status_poller_record_failure`.
//! `e365_status_client_wait` drives the same poller inside the library.

use crate::ffi::{fallible, free_box, maker};
use crate::status::{e365_http_answer, e365_notification, id_and_recipient, notification_into_raw};
use crate::{e365_error, e365_result, e365_str, str_opt_text, text, try_out};
use email365::status::{self, FetchFailure, PollPlan, PollStep, Poller};
use std::ffi::c_char;
use std::time::Duration;

/// What to do next.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum e365_poll_action {
    /// Make one status request now (within `time_limit_ms` when `has_time_limit`) and
    /// report it.
    E365_POLL_FETCH = 0,
    /// Wait `sleep_ms`, then ask again.
    E365_POLL_SLEEP = 1,
    /// The state is final: `notification` holds it.
    E365_POLL_DONE = 2,
    /// The wait is over without a final state: `error` says why (a permanent failure
    /// as it came, or `E365_TIMEOUT` with reason `deadline_exceeded`).
    E365_POLL_GIVE_UP = 3,
}

/// One step of a poller (written by `e365_status_poller_next`).
#[repr(C)]
#[derive(Debug)]
pub struct e365_poll_step {
    /// What to do.
    pub action: e365_poll_action,
    /// For `E365_POLL_FETCH`: whether the request has a time limit (the poller has a
    /// deadline).
    pub has_time_limit: bool,
    /// For `E365_POLL_FETCH`: the time left before the deadline, at least 1000 ms; use
    /// the smaller of this and your own request timeout.
    pub time_limit_ms: u64,
    /// For `E365_POLL_SLEEP`: how long to wait.
    pub sleep_ms: u64,
    /// For `E365_POLL_DONE`: the final notification (else NULL), owned by the caller:
    /// free it with `e365_notification_free`.
    pub notification: *mut e365_notification,
    /// For `E365_POLL_GIVE_UP`: the error (else NULL), owned by the caller: free it with
    /// `e365_error_free`.
    pub error: *mut e365_error,
}

/// A status wait loop (opaque): made by `e365_status_poller_new`, freed by
/// `e365_status_poller_free`. Not thread-safe: use it from one thread at a time.
pub struct e365_status_poller {
    inner: Poller,
}

fn millis(d: Duration) -> u64 {
    status::retry_after_millis(d)
}

maker! {
    /// Makes a poller for `notification_id` (`id_len` bytes; named in the give-up message)
    /// that waits for `recipient`'s final state (every recipient's when `recipient` is NULL)
    /// and gives up `*deadline_ms` after the first `e365_status_poller_next` (never when
    /// `deadline_ms` is NULL). Waits follow the core's plan (1 s, 2 s, 4 s, … 30 s) and the
    /// server's Retry-After; transient failures (HTTP 429 and 5xx, network failures,
    /// request time-outs) and `found` false (unknown, not visible yet, or expired) are
    /// polled on; the last poll is made at the deadline. On success `*out` receives the
    /// poller.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`notification_id` or `out` NULL, text not UTF-8).
    ///
    /// # Safety
    /// `notification_id` and `recipient` are NULL or valid for reading their lengths;
    /// `deadline_ms` is NULL or valid for reading; `out` and `err_out` are NULL or valid
    /// for writing.
    fn e365_status_poller_new(
        notification_id: *const c_char,
        id_len: usize,
        recipient: *const c_char,
        recipient_len: usize,
        deadline_ms: *const u64,
    ) -> new_boxed e365_status_poller {
        let (id, recipient) =
            unsafe { id_and_recipient(notification_id, id_len, recipient, recipient_len)? };
        let deadline = unsafe { deadline_ms.as_ref() }.map(|ms| Duration::from_millis(*ms));
        let inner = Poller::new(PollPlan::DEFAULT, id, recipient, deadline);
        e365_status_poller { inner }
    }
}

fallible! {
    /// Writes into `*step_out` what to do at `now_ms` (milliseconds on any clock that moves
    /// forward, e.g. `CLOCK_MONOTONIC`). A `notification` or `error` in the step belongs
    /// to the caller.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`poller` or `step_out` NULL).
    ///
    /// # Safety
    /// `poller` is NULL or a live poller used by no other thread; `step_out` and `err_out`
    /// are NULL or valid for writing.
    fn e365_status_poller_next(
        poller: *mut e365_status_poller,
        now_ms: u64,
        step_out: *mut e365_poll_step,
    ) {
        let poller = try_out!(poller, "poller");
        let step_out = try_out!(step_out, "step_out");
        let mut step = e365_poll_step {
            action: e365_poll_action::E365_POLL_FETCH,
            has_time_limit: false,
            time_limit_ms: 0,
            sleep_ms: 0,
            notification: std::ptr::null_mut(),
            error: std::ptr::null_mut(),
        };
        match poller.inner.next(Duration::from_millis(now_ms)) {
            PollStep::Fetch { time_limit } => {
                step.has_time_limit = time_limit.is_some();
                step.time_limit_ms = time_limit.map_or(0, millis);
            }
            PollStep::Sleep(d) => {
                step.action = e365_poll_action::E365_POLL_SLEEP;
                step.sleep_ms = millis(d);
            }
            PollStep::Done(n) => {
                step.action = e365_poll_action::E365_POLL_DONE;
                step.notification = notification_into_raw(&n);
            }
            PollStep::GiveUp(e) => {
                step.action = e365_poll_action::E365_POLL_GIVE_UP;
                step.error = e365_error::into_raw(e);
            }
        }
        *step_out = step;
        Ok(())
    }
}

fallible! {
    /// Reports the HTTP answer to the request asked for (as `e365_status_http_error` reads
    /// it; a 2xx body is parsed by the core). When `notification_out` is not NULL it
    /// receives the notification of a 2xx answer that parsed (free it with
    /// `e365_notification_free`), else NULL.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`poller` or `answer` NULL, a string not UTF-8).
    ///
    /// # Safety
    /// `poller` is NULL or a live poller used by no other thread; `answer` as for
    /// `e365_status_http_error`; `notification_out` and `err_out` are NULL or valid for
    /// writing.
    fn e365_status_poller_record_answer(
        poller: *mut e365_status_poller,
        answer: *const e365_http_answer,
        notification_out: *mut *mut e365_notification,
    ) {
        let poller = try_out!(poller, "poller");
        let a = crate::try_ref!(answer, "answer");
        let (answer, now) = unsafe { a.core()? };
        let fresh = poller.inner.record_answer(&answer, now);
        if let Some(out) = unsafe { notification_out.as_mut() } {
            *out = fresh.map_or(std::ptr::null_mut(), notification_into_raw);
        }
        Ok(())
    }
}

fallible! {
    /// Reports a request that got no HTTP answer to judge: `failure` (`failure_len` bytes)
    /// is `network`, `timeout`, `redirect` (a redirect the client may not read) or
    /// `body_too_large`; `url` and `detail` (optional) shape the error message.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`poller` or `failure` NULL, text not UTF-8, another
    /// name: reason `unknown_fetch_failure`).
    ///
    /// # Safety
    /// `poller` is NULL or a live poller used by no other thread; `failure` is NULL or
    /// valid for reading `failure_len` bytes; the strings of `url` and `detail` are NULL or
    /// valid for reading their lengths; `err_out` is NULL or valid for writing.
    fn e365_status_poller_record_failure(
        poller: *mut e365_status_poller,
        failure: *const c_char,
        failure_len: usize,
        url: e365_str,
        detail: e365_str,
    ) {
        let poller = try_out!(poller, "poller");
        let failure = FetchFailure::from_name(unsafe { text(failure, failure_len, "failure")? })?;
        let url = unsafe { str_opt_text(url, "url")? }.unwrap_or("");
        let detail = unsafe { str_opt_text(detail, "detail")? }.unwrap_or("");
        poller.inner.record_failure(failure, url, detail);
        Ok(())
    }
}

/// Frees a poller; NULL is ignored.
///
/// # Safety
/// `poller` is NULL or a poller from this library that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn e365_status_poller_free(poller: *mut e365_status_poller) {
    unsafe { free_box(poller) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::*;
    use crate::status::e365_notification_free;
    use crate::testing::refusal;
    use std::ptr::{null, null_mut};

    #[test]
    fn a_poller_fetches_sleeps_and_gives_up_at_its_deadline() {
        let deadline = 1500u64;
        let mut p = null_mut();
        let mut step = std::mem::MaybeUninit::<e365_poll_step>::uninit();
        unsafe {
            assert_eq!(
                e365_status_poller_new(c"1".as_ptr(), 1, null(), 0, &deadline, &mut p, null_mut()),
                e365_result::E365_OK
            );
            assert_eq!(
                e365_status_poller_next(p, 0, step.as_mut_ptr(), null_mut()),
                e365_result::E365_OK
            );
            let s = step.assume_init_read();
            assert_eq!(s.action, e365_poll_action::E365_POLL_FETCH);
            assert!(s.has_time_limit && s.time_limit_ms == 1500);
            let body = "{}";
            let answer = e365_http_answer {
                status: 200,
                retry_after: e365_str::NONE,
                now_ms: null(),
                url: e365_str::NONE,
                body: crate::testing::input(body),
                username: e365_str::NONE,
                password: e365_str::NONE,
            };
            let mut n = null_mut();
            assert_eq!(
                e365_status_poller_record_answer(p, &answer, &mut n, null_mut()),
                e365_result::E365_OK
            );
            assert!(!n.is_null() && !(*n).found);
            e365_notification_free(n);
            e365_status_poller_next(p, 0, step.as_mut_ptr(), null_mut());
            let s = step.assume_init_read();
            assert_eq!(
                (s.action, s.sleep_ms),
                (e365_poll_action::E365_POLL_SLEEP, 1000)
            );
            refusal(e365_result::E365_INVALID_ARGUMENT, |err| {
                e365_status_poller_record_failure(
                    p,
                    c"dns".as_ptr(),
                    3,
                    e365_str::NONE,
                    e365_str::NONE,
                    err,
                )
            });
            assert_eq!(
                e365_status_poller_record_failure(
                    p,
                    c"network".as_ptr(),
                    7,
                    e365_str::NONE,
                    e365_str::NONE,
                    null_mut()
                ),
                e365_result::E365_OK
            );
            e365_status_poller_next(p, 1600, step.as_mut_ptr(), null_mut());
            let s = step.assume_init_read();
            assert_eq!(s.action, e365_poll_action::E365_POLL_GIVE_UP);
            assert_eq!(crate::testing::reason(s.error), "deadline_exceeded");
            e365_error_free(s.error);
            assert_eq!(
                e365_status_poller_next(null_mut(), 0, step.as_mut_ptr(), null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            e365_status_poller_free(p);
            e365_status_poller_free(null_mut());
        }
    }
}
