//! `StatusClient` over `email365::http` (the status-API client). The GIL is released
//! during every request and every wait; all validation (account id, region, base URL,
//! user name, ids) is the core's.

use crate::error::IntoPy;
use crate::repr;
use crate::status::PyNotification;
use email365::http::StatusClient;
use pyo3::prelude::*;
use std::path::PathBuf;
use std::time::Duration;

fn seconds(py: Python<'_>, name: &str, value: f64) -> PyResult<Duration> {
    email365::names::seconds(name, value, true).py(py)
}

/// A client of the Email 365 status API for one account. Its `repr` never shows the
/// credentials.
#[pyclass(frozen, module = "email365", name = "StatusClient")]
pub(crate) struct PyStatusClient {
    client: StatusClient,
    account_id: String,
    region: Option<String>,
    base_url: Option<String>,
}

#[pymethods]
impl PyStatusClient {
    #[new]
    #[pyo3(signature = (account_id, *, username, password, region = None, base_url = None,
        ca_file = None, timeout = 30.0))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        account_id: String,
        username: String,
        password: String,
        region: Option<String>,
        base_url: Option<String>,
        ca_file: Option<PathBuf>,
        timeout: f64,
    ) -> PyResult<Self> {
        let timeout = seconds(py, "timeout", timeout)?;
        let mut builder = StatusClient::builder(account_id.clone(), username, password)
            .request_timeout(timeout)
            .connect_timeout(timeout);
        if let Some(r) = &region {
            builder = builder.region(r.clone());
        }
        if let Some(b) = &base_url {
            builder = builder.base_url(b.clone());
        }
        if let Some(path) = ca_file {
            builder = builder.extra_ca_file(path);
        }
        // build() refuses bad account ids, regions, base URLs and user names, and
        // reads the CA file and the system roots: no GIL needed.
        let client = py.detach(|| builder.build()).py(py)?;
        Ok(PyStatusClient {
            client,
            account_id,
            region,
            base_url,
        })
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
        let n = py
            .detach(|| self.client.get(notification_id, recipient))
            .py(py)?;
        Ok(n.into())
    }

    /// Polls, following the core's polling plan and the server's Retry-After, until the
    /// state of `recipient` (of every recipient seen when `None`) is final, and returns
    /// that notification; raises `TimeoutExpiredError` (reason `deadline_exceeded`)
    /// when `timeout` seconds pass first.
    #[pyo3(signature = (notification_id, recipient = None, *, timeout = 60.0))]
    fn wait_for(
        &self,
        py: Python<'_>,
        notification_id: &str,
        recipient: Option<&str>,
        timeout: f64,
    ) -> PyResult<PyNotification> {
        let timeout = seconds(py, "timeout", timeout)?;
        let n = py
            .detach(|| self.client.wait_for(notification_id, recipient, timeout))
            .py(py)?;
        Ok(n.into())
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
