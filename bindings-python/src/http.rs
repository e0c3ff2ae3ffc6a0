//! `StatusClient` and `WaitResult` over `email365::http` (the status-API client). The
//! GIL is released during every request and every wait.

use crate::error::{invalid_argument, IntoPy};
use crate::repr;
use crate::status::PyNotification;
use email365::http::{StatusClient, WaitOutcome};
use email365::status::StatusQuery;
use pyo3::prelude::*;
use std::time::Duration;

/// What `StatusClient.wait_for` ended with (immutable).
#[pyclass(frozen, module = "email365", name = "WaitResult")]
pub(crate) struct PyWaitResult {
    notification: PyNotification,
    is_final: bool,
    attempts: u32,
}

impl From<WaitOutcome> for PyWaitResult {
    fn from(w: WaitOutcome) -> Self {
        PyWaitResult {
            notification: w.notification.into(),
            is_final: w.is_final,
            attempts: w.attempts,
        }
    }
}

#[pymethods]
impl PyWaitResult {
    /// The last notification read.
    #[getter]
    fn notification(&self) -> PyNotification {
        self.notification.clone()
    }

    /// Whether the state was final (false: the timeout passed first).
    #[getter]
    fn is_final(&self) -> bool {
        self.is_final
    }

    /// How many requests were made.
    #[getter]
    fn attempts(&self) -> u32 {
        self.attempts
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "WaitResult(is_final={}, attempts={}, notification={})",
            repr(py, self.is_final),
            self.attempts,
            self.notification.__repr__(py)
        )
    }
}

fn seconds(py: Python<'_>, name: &str, value: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| invalid_argument(py, format!("{name} must be a positive number of seconds")))
}

/// A client of the Email 365 status API for one account. Its `repr` never shows the
/// credentials.
#[pyclass(frozen, module = "email365", name = "StatusClient")]
pub(crate) struct PyStatusClient {
    client: StatusClient,
    account_id: String,
    username: String,
    password: String,
    region: Option<String>,
    base_url: Option<String>,
}

impl PyStatusClient {
    fn query<'a>(
        &'a self,
        notification_id: &'a str,
        recipient: Option<&'a str>,
    ) -> StatusQuery<'a> {
        StatusQuery {
            account_id: &self.account_id,
            notification_id,
            recipient,
            region: self.region.as_deref(),
            base_url: self.base_url.as_deref(),
            username: &self.username,
            password: &self.password,
        }
    }
}

#[pymethods]
impl PyStatusClient {
    #[new]
    #[pyo3(signature = (account_id, *, username, password, region = None, base_url = None, timeout = 30.0))]
    fn new(
        py: Python<'_>,
        account_id: String,
        username: String,
        password: String,
        region: Option<String>,
        base_url: Option<String>,
        timeout: f64,
    ) -> PyResult<Self> {
        let timeout = seconds(py, "timeout", timeout)?;
        let client = PyStatusClient {
            client: py.detach(|| StatusClient::new(timeout)),
            account_id,
            username,
            password,
            region,
            base_url,
        };
        // Refuses bad account ids, regions and base URLs now rather than at the first get.
        email365::status::status_request(&client.query("0", None)).py(py)?;
        Ok(client)
    }

    /// The status of a notification (of one recipient when given). `found` is false
    /// once the data expired (7 days) or for an unknown id.
    #[pyo3(signature = (notification_id, recipient = None))]
    fn get(
        &self,
        py: Python<'_>,
        notification_id: &str,
        recipient: Option<&str>,
    ) -> PyResult<PyNotification> {
        let query = self.query(notification_id, recipient);
        let n = py.detach(|| self.client.fetch(&query)).py(py)?;
        Ok(n.into())
    }

    /// Polls, following the core's polling plan and the server's Retry-After, until the
    /// state of `recipient` (of every recipient seen when `None`) is final or `timeout`
    /// seconds have passed.
    #[pyo3(signature = (notification_id, recipient = None, *, timeout = 60.0))]
    fn wait_for(
        &self,
        py: Python<'_>,
        notification_id: &str,
        recipient: Option<&str>,
        timeout: f64,
    ) -> PyResult<PyWaitResult> {
        let timeout = seconds(py, "timeout", timeout)?;
        let query = self.query(notification_id, recipient);
        let w = py
            .detach(|| self.client.wait_for(&query, recipient, timeout))
            .py(py)?;
        Ok(w.into())
    }

    /// The account id.
    #[getter]
    fn account_id(&self) -> &str {
        &self.account_id
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "StatusClient(account_id={}, region={}, base_url={})",
            repr(py, &self.account_id),
            repr(py, &self.region),
            repr(py, &self.base_url)
        )
    }
}
