//! `StatusPoller` and `PollStep` over `email365::status::Poller`: the core's status wait
//! loop for callers with their own HTTP client (and for the conformance driver). Times
//! are seconds as floats, read to the microsecond.

use crate::error::{to_py_err, IntoPy};
use crate::status::{wall_time, PyNotification};
use email365::names;
use email365::status::{FetchFailure, HttpAnswer, PollPlan, PollStep, Poller};
use pyo3::prelude::*;
use std::time::Duration;

/// Seconds as the core's `Duration` (`names::seconds`: `invalid_argument`,
/// `invalid_duration` for a negative or non-finite number).
fn seconds(py: Python<'_>, name: &str, value: f64) -> PyResult<Duration> {
    names::seconds(name, value, false).py(py)
}

/// What to do next (immutable): ``action`` is ``"fetch"`` (make one request within
/// ``time_limit`` seconds, ``None`` without a deadline, and report it), ``"sleep"``
/// (wait ``delay`` seconds, then ask again), ``"done"`` (``notification`` is final) or
/// ``"give_up"`` (raise ``error``).
#[pyclass(frozen, module = "email365", name = "PollStep")]
pub(crate) struct PyPollStep {
    #[pyo3(get)]
    action: &'static str,
    #[pyo3(get)]
    time_limit: Option<f64>,
    #[pyo3(get)]
    delay: Option<f64>,
    #[pyo3(get)]
    notification: Option<Py<PyNotification>>,
    #[pyo3(get)]
    error: Option<Py<PyAny>>,
}

#[pymethods]
impl PyPollStep {
    fn __repr__(&self) -> String {
        match self.action {
            "fetch" => format!("PollStep(action='fetch', time_limit={:?})", self.time_limit),
            "sleep" => format!("PollStep(action='sleep', delay={:?})", self.delay),
            other => format!("PollStep(action='{other}')"),
        }
    }
}

/// The core's status wait loop: ``next(now)`` says what to do, ``record_answer`` /
/// ``record_failure`` report each request (docs/STATUS.md, "Waiting").
#[pyclass(module = "email365", name = "StatusPoller")]
pub(crate) struct PyStatusPoller {
    inner: Poller,
}

#[pymethods]
impl PyStatusPoller {
    #[new]
    #[pyo3(signature = (notification_id, recipient = None, *, deadline = None))]
    fn new(
        py: Python<'_>,
        notification_id: &str,
        recipient: Option<&str>,
        deadline: Option<f64>,
    ) -> PyResult<Self> {
        let deadline = deadline.map(|d| seconds(py, "deadline", d)).transpose()?;
        Ok(PyStatusPoller {
            inner: Poller::new(PollPlan::DEFAULT, notification_id, recipient, deadline),
        })
    }

    /// What to do at ``now`` (seconds on any clock that moves forward, e.g.
    /// ``time.monotonic()``).
    fn next(&mut self, py: Python<'_>, now: f64) -> PyResult<PyPollStep> {
        let now = seconds(py, "now", now)?;
        let mut step = PyPollStep {
            action: "fetch",
            time_limit: None,
            delay: None,
            notification: None,
            error: None,
        };
        match self.inner.next(now) {
            PollStep::Fetch { time_limit } => step.time_limit = time_limit.map(|d| d.as_secs_f64()),
            PollStep::Sleep(d) => {
                step.action = "sleep";
                step.delay = Some(d.as_secs_f64());
            }
            PollStep::Done(n) => {
                step.action = "done";
                step.notification = Some(Py::new(py, PyNotification::from(n))?);
            }
            PollStep::GiveUp(e) => {
                step.action = "give_up";
                step.error = Some(to_py_err(py, &e).into_value(py).into_any());
            }
        }
        Ok(step)
    }

    /// Reports the HTTP answer to the request (the arguments of ``status_http_error``);
    /// returns the notification of a 2xx answer that parsed, else ``None``.
    #[pyo3(signature = (status, retry_after = None, *, body = "", now = None, url = "", username = "", password = ""))]
    #[allow(clippy::too_many_arguments)]
    fn record_answer(
        &mut self,
        py: Python<'_>,
        status: u16,
        retry_after: Option<&str>,
        body: &str,
        now: Option<&Bound<'_, PyAny>>,
        url: &str,
        username: &str,
        password: &str,
    ) -> PyResult<Option<PyNotification>> {
        let answer = HttpAnswer {
            status,
            retry_after,
            url,
            body,
            username,
            password,
        };
        let wall = wall_time(py, now)?;
        Ok(self
            .inner
            .record_answer(&answer, wall)
            .map(|n| PyNotification::from(n.clone())))
    }

    /// Reports a request that got no answer to judge: ``failure`` is ``"network"``,
    /// ``"timeout"``, ``"redirect"`` or ``"body_too_large"``.
    #[pyo3(signature = (failure, *, url = "", detail = ""))]
    fn record_failure(
        &mut self,
        py: Python<'_>,
        failure: &str,
        url: &str,
        detail: &str,
    ) -> PyResult<()> {
        let failure = FetchFailure::from_name(failure).py(py)?;
        self.inner.record_failure(failure, url, detail);
        Ok(())
    }

    /// The notification of the last successful request, if any.
    #[getter]
    fn last_notification(&self) -> Option<PyNotification> {
        self.inner
            .last_notification()
            .map(|n| PyNotification::from(n.clone()))
    }

    fn __repr__(&self) -> String {
        format!("StatusPoller(polls={})", self.inner.polls())
    }
}
