//! The core's status wait loop (`email365::status::Poller`) for JavaScript: the
//! `StatusPoller` class that the package's `waitForStatus` drives over `fetch`, and
//! that any caller with their own HTTP client may drive. Conversions only.

use email365::status::{self, FetchFailure, HttpAnswer, Notification, PollPlan, PollStep, Poller};
use email365::Error;
use serde::Serialize;
use std::time::Duration;
use tsify_next::Tsify;
use wasm_bindgen::prelude::*;

/// What to do next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct PollStepData {
    /// `fetch`: make one request and report it; `sleep`: wait `ms`, then ask again;
    /// `done`: `notification` is final; `give_up`: throw `error`.
    #[tsify(type = "\"fetch\" | \"sleep\" | \"done\" | \"give_up\"")]
    pub action: &'static str,
    /// For `fetch`: the longest the request may take (the time left before the
    /// deadline, at least 1 s), or `null` without a deadline.
    #[tsify(type = "number | null")]
    pub time_limit_ms: Option<u64>,
    /// For `sleep`: how long.
    #[tsify(type = "number | null")]
    pub ms: Option<u64>,
    /// For `done`: the final notification.
    #[tsify(type = "NotificationData | null")]
    pub notification: Option<Notification>,
    /// For `give_up`: the error (a permanent failure as it came, or `timeout` with
    /// reason `deadline_exceeded`).
    #[tsify(type = "ErrorData | null")]
    pub error: Option<Error>,
}

fn millis(d: Duration) -> u64 {
    status::retry_after_millis(d)
}

/// A time in milliseconds as the core's `Duration` (to the microsecond, so that the
/// fractions of `performance.now()` survive); `invalid_argument` for a negative or
/// non-finite one.
pub fn duration_ms(what: &str, ms: f64) -> Result<Duration, email365::Error> {
    if ms.is_finite() && ms >= 0.0 {
        Ok(Duration::from_micros(
            (ms.min(9.0e15) * 1000.0).round() as u64
        ))
    } else {
        Err(crate::error::bad_argument(
            what,
            &format!("{ms} is not a time in milliseconds ≥ 0"),
        ))
    }
}

/// The step as plain data.
pub fn step_data(step: PollStep) -> PollStepData {
    let mut data = PollStepData {
        action: "fetch",
        time_limit_ms: None,
        ms: None,
        notification: None,
        error: None,
    };
    match step {
        PollStep::Fetch { time_limit } => data.time_limit_ms = time_limit.map(millis),
        PollStep::Sleep(d) => {
            data.action = "sleep";
            data.ms = Some(millis(d));
        }
        PollStep::Done(n) => {
            data.action = "done";
            data.notification = Some(n);
        }
        PollStep::GiveUp(e) => {
            data.action = "give_up";
            data.error = Some(e);
        }
    }
    data
}

/// The status wait loop of the core (docs/STATUS.md, "Waiting"): tell it the time and
/// what each request gave; it says fetch, sleep, done or give up.
#[wasm_bindgen]
pub struct StatusPoller {
    inner: Poller,
}

#[wasm_bindgen]
impl StatusPoller {
    /// A poller for `notificationId`, waiting for `recipient`'s final state (every
    /// recipient's when absent), giving up `deadlineMs` after the first `next` (never
    /// when absent). Throws `invalid_argument` for a negative deadline.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = notificationId)] notification_id: &str,
        recipient: Option<String>,
        #[wasm_bindgen(js_name = deadlineMs)] deadline_ms: Option<f64>,
    ) -> Result<StatusPoller, JsValue> {
        let deadline = deadline_ms
            .map(|ms| duration_ms("deadlineMs", ms))
            .transpose();
        Ok(StatusPoller {
            inner: Poller::new(
                PollPlan::DEFAULT,
                notification_id,
                recipient.as_deref(),
                crate::throw(deadline)?,
            ),
        })
    }

    /// What to do at `nowMs` (any clock that moves forward, e.g. `performance.now()`).
    #[wasm_bindgen(unchecked_return_type = "PollStepData")]
    pub fn next(
        &mut self,
        #[wasm_bindgen(js_name = nowMs)] now_ms: f64,
    ) -> Result<JsValue, JsValue> {
        let now = crate::throw(duration_ms("nowMs", now_ms))?;
        crate::to_js(&step_data(self.inner.next(now)))
    }

    /// Reports the HTTP answer to the request asked for (the arguments of
    /// `statusHttpError`); returns the parsed notification of a 2xx answer, else `null`.
    #[allow(clippy::too_many_arguments)]
    #[wasm_bindgen(js_name = recordAnswer, unchecked_return_type = "NotificationData | null")]
    pub fn record_answer(
        &mut self,
        status: u16,
        #[wasm_bindgen(js_name = retryAfter)] retry_after: Option<String>,
        #[wasm_bindgen(js_name = nowMs)] now_ms: f64,
        url: &str,
        body: &str,
        username: &str,
        password: &str,
    ) -> Result<JsValue, JsValue> {
        let wall = std::time::UNIX_EPOCH + crate::throw(duration_ms("nowMs", now_ms))?;
        let answer = HttpAnswer {
            status,
            retry_after: retry_after.as_deref(),
            url,
            body,
            username,
            password,
        };
        match self.inner.record_answer(&answer, wall) {
            Some(n) => crate::to_js(n),
            None => Ok(JsValue::NULL),
        }
    }

    /// Reports a request that got no answer to judge: `failure` is `network`,
    /// `timeout`, `redirect` or `body_too_large`; `detail` ends the message. Throws
    /// `invalid_argument` for another name.
    #[wasm_bindgen(js_name = recordFailure)]
    pub fn record_failure(
        &mut self,
        failure: &str,
        url: &str,
        detail: &str,
    ) -> Result<(), JsValue> {
        let failure = crate::throw(FetchFailure::from_name(failure))?;
        self.inner.record_failure(failure, url, detail);
        Ok(())
    }

    /// The notification of the last successful request, or `null`.
    #[wasm_bindgen(js_name = lastNotification, unchecked_return_type = "NotificationData | null")]
    pub fn last_notification(&self) -> Result<JsValue, JsValue> {
        match self.inner.last_notification() {
            Some(n) => crate::to_js(n),
            None => Ok(JsValue::NULL),
        }
    }
}

/// The limits of a status request that every client applies by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct StatusLimits {
    /// The time limit of one request, body included (30000).
    pub request_timeout_ms: u64,
    /// The largest response body accepted, in bytes (16 MiB).
    pub max_body_bytes: u64,
}

/// The core's default limits of a status request (the native client's too).
#[wasm_bindgen(js_name = statusLimits, unchecked_return_type = "StatusLimits")]
pub fn status_limits() -> Result<JsValue, JsValue> {
    crate::to_js(&StatusLimits {
        request_timeout_ms: millis(status::DEFAULT_REQUEST_TIMEOUT),
        max_body_bytes: status::DEFAULT_MAX_BODY,
    })
}

/// The error of a request that got no answer to judge (see `StatusPoller.recordFailure`),
/// for `getStatus`. Throws `invalid_argument` for an unknown `failure`.
#[wasm_bindgen(js_name = statusFetchFailure, unchecked_return_type = "ErrorData")]
pub fn status_fetch_failure(failure: &str, url: &str, detail: &str) -> Result<JsValue, JsValue> {
    let failure = crate::throw(FetchFailure::from_name(failure))?;
    crate::to_js(&failure.error(url, detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_carry_their_fields() {
        let mut p = Poller::new(PollPlan::DEFAULT, "1", None, Some(Duration::from_secs(5)));
        let s = step_data(p.next(Duration::ZERO));
        assert_eq!((s.action, s.time_limit_ms), ("fetch", Some(5000)));
        p.record(Ok(Default::default()), None);
        let s = step_data(p.next(Duration::ZERO));
        assert_eq!((s.action, s.ms), ("sleep", Some(1000)));
        p.record_failure(FetchFailure::BodyTooLarge, "u", "");
        let s = step_data(p.next(Duration::from_secs(1)));
        assert_eq!(s.action, "give_up");
        assert_eq!(s.error.unwrap().reason(), Some("body_too_large"));
    }

    #[test]
    fn times_are_read_to_the_microsecond_and_refused_when_negative() {
        assert_eq!(duration_ms("t", 2.25).unwrap(), Duration::from_micros(2250));
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            assert!(duration_ms("t", bad).is_err());
        }
    }
}
