//! The status API over `email365::status`: `status_request`, `parse_status` with
//! `Notification` / `StatusEvent`, the polling plan (`is_final`, `next_delay`), and what
//! an HTTP answer of the status API means (`status_http_error`).

use crate::error::{invalid_argument, to_py_err, IntoPy};
use crate::repr;
use email365::status::{self, StatusEvent, StatusQuery, StatusRequest};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `(datetime(1970, 1, 1, tzinfo=timezone.utc), timedelta)`, looked up once.
static EPOCH: PyOnceLock<(Py<PyAny>, Py<PyAny>)> = PyOnceLock::new();

/// A timezone-aware UTC `datetime` from milliseconds since the Unix epoch.
fn utc_datetime<'py>(py: Python<'py>, millis: i64) -> PyResult<Bound<'py, PyAny>> {
    let (epoch, timedelta) = EPOCH.get_or_try_init(py, || -> PyResult<_> {
        let dt = py.import("datetime")?;
        let utc = dt.getattr("timezone")?.getattr("utc")?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("tzinfo", utc)?;
        let epoch = dt.getattr("datetime")?.call((1970, 1, 1), Some(&kwargs))?;
        Ok((epoch.unbind(), dt.getattr("timedelta")?.unbind()))
    })?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("milliseconds", millis)?;
    let delta = timedelta.bind(py).call((), Some(&kwargs))?;
    epoch.bind(py).add(delta)
}

/// A ready-to-send status request (immutable). Its `repr` never shows the credentials.
#[pyclass(frozen, module = "email365", name = "StatusRequest")]
pub(crate) struct PyStatusRequest {
    inner: StatusRequest,
}

#[pymethods]
impl PyStatusRequest {
    /// Always `"GET"`.
    #[getter]
    fn method(&self) -> &'static str {
        self.inner.method
    }

    /// The full URL.
    #[getter]
    fn url(&self) -> &str {
        &self.inner.url
    }

    /// The `Authorization` header value (`Basic …`).
    #[getter]
    fn authorization(&self) -> &str {
        &self.inner.authorization
    }

    /// The `Accept` header value.
    #[getter]
    fn accept(&self) -> &'static str {
        self.inner.accept
    }

    /// The headers to send: `{"Authorization": …, "Accept": …}`.
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let headers = PyDict::new(py);
        headers.set_item("Authorization", &self.inner.authorization)?;
        headers.set_item("Accept", self.inner.accept)?;
        Ok(headers)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "StatusRequest(method={}, url={}, authorization=<redacted>, accept={})",
            repr(py, self.inner.method),
            repr(py, &self.inner.url),
            repr(py, self.inner.accept)
        )
    }
}

/// Builds the status request of a notification.
#[pyfunction]
#[pyo3(signature = (account_id, notification_id, *, username, password, recipient = None, region = None, base_url = None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn status_request(
    py: Python<'_>,
    account_id: &str,
    notification_id: &str,
    username: &str,
    password: &str,
    recipient: Option<&str>,
    region: Option<&str>,
    base_url: Option<&str>,
) -> PyResult<PyStatusRequest> {
    let query = StatusQuery {
        account_id,
        notification_id,
        recipient,
        region,
        base_url,
        username,
        password,
    };
    let inner = status::status_request(&query).py(py)?;
    Ok(PyStatusRequest { inner })
}

/// One status event (immutable).
#[pyclass(frozen, eq, hash, module = "email365", name = "StatusEvent")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyStatusEvent {
    /// The status code verbatim (`CAAS_RECEIVED`, `CH_SENT`, or any other).
    #[pyo3(get)]
    code: String,
    /// The status text.
    #[pyo3(get)]
    text: Option<String>,
    /// The channel (`email`).
    #[pyo3(get)]
    channel: Option<String>,
    /// The recipient address, without the `email:` prefix.
    #[pyo3(get)]
    recipient: Option<String>,
    /// Milliseconds since the Unix epoch (UTC).
    #[pyo3(get)]
    timestamp_ms: Option<i64>,
}

impl From<StatusEvent> for PyStatusEvent {
    fn from(e: StatusEvent) -> Self {
        PyStatusEvent {
            code: e.code,
            text: e.text,
            channel: e.channel,
            recipient: e.recipient,
            timestamp_ms: e.timestamp.map(|t| t.0),
        }
    }
}

#[pymethods]
impl PyStatusEvent {
    /// When it happened, as a timezone-aware UTC `datetime`.
    #[getter]
    fn timestamp<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.timestamp_ms.map(|ms| utc_datetime(py, ms)).transpose()
    }

    /// Whether this code ends the recipient's life cycle.
    #[getter]
    fn is_final(&self) -> bool {
        status::is_final(&self.code)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "StatusEvent(code={}, text={}, channel={}, recipient={}, timestamp={})",
            repr(py, &self.code),
            repr(py, &self.text),
            repr(py, &self.channel),
            repr(py, &self.recipient),
            match self.timestamp(py) {
                Ok(t) => repr(py, t),
                Err(_) => repr(py, self.timestamp_ms),
            }
        )
    }
}

/// A parsed status response (immutable).
#[pyclass(frozen, eq, hash, module = "email365", name = "Notification")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyNotification {
    /// False for `{}`: expired (after 7 days) or unknown.
    #[pyo3(get)]
    found: bool,
    /// The notification id, when present.
    #[pyo3(get)]
    notification_id: Option<String>,
    events: Vec<PyStatusEvent>,
}

#[pymethods]
impl PyNotification {
    /// Every event, in response order.
    #[getter]
    fn events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.events.iter().cloned())
    }

    /// Every recipient's latest state, in order of first appearance (the core's rule:
    /// the last event in response order; local part exact, domain case-insensitive).
    #[getter]
    fn recipients<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(
            py,
            self.to_core()
                .recipients()
                .into_iter()
                .map(PyRecipientState::from),
        )
    }

    /// Whether the notification was found, has events, and every recipient's latest
    /// state is final.
    #[getter]
    fn all_final(&self) -> bool {
        self.to_core().all_final()
    }

    /// The latest event of `recipient` (with or without `email:`), or `None`.
    fn latest_for(&self, recipient: &str) -> Option<PyStatusEvent> {
        self.to_core()
            .latest_for(recipient)
            .cloned()
            .map(PyStatusEvent::from)
    }

    /// Whether `recipient` (with or without `email:`) has reached a final state; false
    /// when the response has no event for it.
    fn is_final_for(&self, recipient: &str) -> bool {
        self.to_core().is_final_for(recipient)
    }

    pub(crate) fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Notification(found={}, notification_id={}, events=[{} events])",
            repr(py, self.found),
            repr(py, &self.notification_id),
            self.events.len()
        )
    }
}

impl PyNotification {
    /// The core's notification, for its per-recipient rules.
    fn to_core(&self) -> email365::status::Notification {
        email365::status::Notification {
            found: self.found,
            notification_id: self.notification_id.clone(),
            events: self.events.iter().map(PyStatusEvent::to_core).collect(),
        }
    }
}

impl PyStatusEvent {
    fn to_core(&self) -> StatusEvent {
        StatusEvent {
            code: self.code.clone(),
            text: self.text.clone(),
            channel: self.channel.clone(),
            recipient: self.recipient.clone(),
            timestamp: self.timestamp_ms.map(status::Timestamp),
        }
    }
}

/// The latest state of one recipient of a notification (immutable).
#[pyclass(frozen, eq, hash, module = "email365", name = "RecipientState")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyRecipientState {
    /// The recipient as first spelt in the response (without `email:`); `None` gathers
    /// the events that name no recipient.
    #[pyo3(get)]
    recipient: Option<String>,
    /// The recipient's last event in response order.
    #[pyo3(get)]
    latest: PyStatusEvent,
    /// Whether `latest` is a final state.
    #[pyo3(get)]
    is_final: bool,
}

impl From<status::RecipientState> for PyRecipientState {
    fn from(r: status::RecipientState) -> Self {
        PyRecipientState {
            recipient: r.recipient,
            latest: r.latest.into(),
            is_final: r.is_final,
        }
    }
}

#[pymethods]
impl PyRecipientState {
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "RecipientState(recipient={}, latest={}, is_final={})",
            repr(py, &self.recipient),
            repr(py, &self.latest.code),
            repr(py, self.is_final)
        )
    }
}

impl From<email365::status::Notification> for PyNotification {
    fn from(n: email365::status::Notification) -> Self {
        PyNotification {
            found: n.found,
            notification_id: n.notification_id,
            events: n.events.into_iter().map(PyStatusEvent::from).collect(),
        }
    }
}

/// Parses a status-API response body.
#[pyfunction]
pub(crate) fn parse_status(py: Python<'_>, body: &str) -> PyResult<PyNotification> {
    Ok(status::parse_status(body).py(py)?.into())
}

/// Whether a recipient whose latest status code is `code` has reached a final state.
#[pyfunction]
pub(crate) fn is_final(code: &str) -> bool {
    status::is_final(code)
}

/// Seconds to wait before poll number `attempt` (0-based), honouring a server's
/// Retry-After (seconds) when given.
#[pyfunction]
#[pyo3(signature = (attempt, retry_after = None))]
pub(crate) fn next_delay(py: Python<'_>, attempt: f64, retry_after: Option<f64>) -> PyResult<f64> {
    let attempt = email365::names::count("attempt", attempt, 0).py(py)?;
    let retry_after = match retry_after {
        None => None,
        Some(s) => Some(email365::names::seconds("retry_after", s, false).py(py)?),
    };
    Ok(status::next_delay(attempt, retry_after).as_secs_f64())
}

/// The wall-clock time of a `datetime` (the current time for `None`), for an HTTP-date
/// Retry-After.
pub(crate) fn wall_time(py: Python<'_>, now: Option<&Bound<'_, PyAny>>) -> PyResult<SystemTime> {
    let Some(dt) = now else {
        return Ok(SystemTime::now());
    };
    // datetime.timestamp(): seconds since the epoch (naive = local time), read to the
    // microsecond a datetime holds.
    let secs: f64 = dt.call_method0("timestamp")?.extract()?;
    let micros = (secs * 1e6).round();
    if !(micros.is_finite() && micros >= 0.0) {
        return Err(invalid_argument(
            py,
            "invalid_date",
            "now must be a datetime from 1970 on",
        ));
    }
    Ok(UNIX_EPOCH + Duration::from_micros(micros as u64))
}

/// What an answer of the status API with HTTP status `status` means: `None` for 2xx,
/// else the exception to raise (`NotFoundError`, `AuthenticationError`,
/// `StatusApiError`; transient for 429 and 5xx) with `status` and `retry_after`
/// (seconds, from the `Retry-After` header read against `now`) set. `body`, `username`
/// and `password` decide what of the body the message may quote.
#[pyfunction]
#[pyo3(signature = (status, retry_after = None, *, now = None, url = "", body = "", username = "", password = ""))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn status_http_error(
    py: Python<'_>,
    status: u16,
    retry_after: Option<&str>,
    now: Option<&Bound<'_, PyAny>>,
    url: &str,
    body: &str,
    username: &str,
    password: &str,
) -> PyResult<Option<Py<PyAny>>> {
    let now = wall_time(py, now)?;
    let answer = status::HttpAnswer {
        status,
        retry_after,
        url,
        body,
        username,
        password,
    };
    let verdict = status::judge_answer(&answer, now);
    let (Some(error), delay) = (verdict.error, verdict.retry_after) else {
        return Ok(None);
    };
    let exc = to_py_err(py, &error).into_value(py);
    let exc = exc.bind(py);
    exc.setattr("status", status)?;
    let seconds = delay.map(|d| status::retry_after_millis(d) as f64 / 1000.0);
    exc.setattr("retry_after", seconds)?;
    Ok(Some(exc.clone().into_any().unbind()))
}
