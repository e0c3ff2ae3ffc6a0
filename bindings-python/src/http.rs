//! `StatusClient` over `email365::http` (the status-API client), and `AsyncStatusClient`
//! over the core's tokio client on the module's runtime (`aio`). The GIL is released
//! during every request and every wait; all validation (account id, region, base URL,
//! user name, ids) is the core's, and both clients are made by one builder.

use crate::error::{to_py_err, IntoPy};
use crate::repr;
use crate::status::PyNotification;
use email365::http::{AsyncStatusClient, StatusClient, StatusClientBuilder};
use email365::status::Notification;
use pyo3::prelude::*;
use pyo3_async_runtimes::tokio::future_into_py;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

fn seconds(py: Python<'_>, name: &str, value: f64) -> PyResult<Duration> {
    email365::names::seconds(name, value, true).py(py)
}

/// A client of the Email 365 status API for one account. Its `repr` never shows the
/// credentials.
#[pyclass(frozen, module = "email365", name = "StatusClient")]
pub(crate) struct PyStatusClient {
    client: StatusClient,
    args: StatusArgs,
}

/// What both status clients keep of their arguments (for `account_id` and `repr`; never
/// the credentials).
struct StatusArgs {
    account_id: String,
    region: Option<String>,
    base_url: Option<String>,
}

impl StatusArgs {
    /// The core's builder for these arguments.
    fn builder(
        &self,
        py: Python<'_>,
        username: String,
        password: String,
        ca_file: Option<PathBuf>,
        timeout: f64,
    ) -> PyResult<StatusClientBuilder> {
        let timeout = seconds(py, "timeout", timeout)?;
        let mut builder = StatusClient::builder(self.account_id.clone(), username, password)
            .request_timeout(timeout)
            .connect_timeout(timeout);
        if let Some(r) = &self.region {
            builder = builder.region(r.clone());
        }
        if let Some(b) = &self.base_url {
            builder = builder.base_url(b.clone());
        }
        if let Some(path) = ca_file {
            builder = builder.extra_ca_file(path);
        }
        Ok(builder)
    }

    /// `NAME(account_id=…, region=…, base_url=…)`.
    fn repr(&self, py: Python<'_>, name: &str) -> String {
        format!(
            "{name}(account_id={}, region={}, base_url={})",
            repr(py, &self.account_id),
            repr(py, &self.region),
            repr(py, &self.base_url)
        )
    }
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
        let args = StatusArgs {
            account_id,
            region,
            base_url,
        };
        let builder = args.builder(py, username, password, ca_file, timeout)?;
        // build() refuses bad account ids, regions, base URLs and user names, and
        // reads the CA file and the system roots: no GIL needed.
        let client = py.detach(|| builder.build()).py(py)?;
        Ok(PyStatusClient { client, args })
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
        &self.args.account_id
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        self.args.repr(py, "StatusClient")
    }
}

/// A notification read by the async client, converted when the asyncio future completes
/// (GIL held): the `Notification`, or the exception of the failure.
struct StatusOutcome(email365::Result<Notification>);

impl<'py> IntoPyObject<'py> for StatusOutcome {
    type Target = PyNotification;
    type Output = Bound<'py, PyNotification>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        match self.0 {
            Ok(n) => Bound::new(py, PyNotification::from(n)),
            Err(e) => Err(to_py_err(py, &e)),
        }
    }
}

/// A client of the status API whose methods return asyncio awaitables, run by the
/// core's `AsyncStatusClient` on the module's tokio runtime (no thread per call).
/// `email365.aio.StatusClient` wraps it.
#[pyclass(frozen, module = "email365._native", name = "AsyncStatusClient")]
pub(crate) struct PyAsyncStatusClient {
    client: Arc<AsyncStatusClient>,
    args: StatusArgs,
}

#[pymethods]
impl PyAsyncStatusClient {
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
        let args = StatusArgs {
            account_id,
            region,
            base_url,
        };
        let builder = args.builder(py, username, password, ca_file, timeout)?;
        let client = py.detach(|| builder.build_async()).py(py)?;
        crate::aio::mark_used();
        Ok(PyAsyncStatusClient {
            client: Arc::new(client),
            args,
        })
    }

    /// An awaitable of the status of a notification (see `StatusClient.get`).
    #[pyo3(signature = (notification_id, recipient = None))]
    fn get<'py>(
        &self,
        py: Python<'py>,
        notification_id: String,
        recipient: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let client = self.client.clone();
        future_into_py(py, async move {
            Ok(StatusOutcome(
                client.get(&notification_id, recipient.as_deref()).await,
            ))
        })
    }

    /// An awaitable of `wait_for` (see `StatusClient.wait_for`): the core's polling plan,
    /// its waits on the runtime's timers.
    #[pyo3(signature = (notification_id, recipient = None, *, timeout = 60.0))]
    fn wait_for<'py>(
        &self,
        py: Python<'py>,
        notification_id: String,
        recipient: Option<String>,
        timeout: f64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let timeout = seconds(py, "timeout", timeout)?;
        let client = self.client.clone();
        future_into_py(py, async move {
            Ok(StatusOutcome(
                client
                    .wait_for(&notification_id, recipient.as_deref(), timeout)
                    .await,
            ))
        })
    }

    /// The account id.
    #[getter]
    fn account_id(&self) -> &str {
        &self.args.account_id
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        self.args.repr(py, "AsyncStatusClient")
    }
}
