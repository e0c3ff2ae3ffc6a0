//! `AsyncSmtpClient`: the core's tokio transport (`email365::smtp::AsyncSmtpPool`)
//! awaited from asyncio, for `email365.aio`. Every call converts its arguments with the
//! blocking client's code (`smtp::shared`) while the GIL is held, then hands a Rust
//! future to `pyo3-async-runtimes`, which runs it on the module's one tokio runtime and
//! returns an asyncio future; the result is converted back, again by the shared code,
//! when that future completes. No thread is taken per call: the runtime has a fixed
//! number of threads ([`init_runtime`]). Cancelling the asyncio future drops the Rust
//! future, and the core then discards the connection it was using.

use crate::error::{to_py_err, IntoPy};
use crate::policy::PySenderPolicy;
use crate::smtp::shared::{
    closed_error, many_args, many_results, send_args, send_result, ClientArgs, ClientOptions,
    Prepared, PySendResult, Sent, Shown,
};
use email365::smtp::AsyncSmtpPool;
use pyo3::prelude::*;
use pyo3::types::PyList;
use pyo3_async_runtimes::tokio::{future_into_py, get_runtime};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The runtime's worker threads: they run every send of every client (sockets, TLS,
/// the engine); two keep a TLS handshake from holding up the other connections on a
/// multi-core machine.
const WORKER_THREADS: usize = 2;

/// The runtime's blocking threads: they hand each result to the event loop (taking the
/// GIL, as `pyo3-async-runtimes` does it) and run host-name lookups; two, so that a
/// slow lookup never holds up the results.
const BLOCKING_THREADS: usize = 2;

/// Sets how the module's runtime is built (once, on the first call that needs it): a
/// multi-threaded tokio runtime of [`WORKER_THREADS`] workers and at most
/// [`BLOCKING_THREADS`] blocking threads, so at most four threads however many sends
/// are in flight.
pub(crate) fn init_runtime() {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder
        .worker_threads(WORKER_THREADS)
        .max_blocking_threads(BLOCKING_THREADS)
        .thread_name("email365-aio")
        .enable_all();
    pyo3_async_runtimes::tokio::init(builder);
}

/// Whether a client was made (then the runtime may have threads taking the GIL).
static USED: AtomicBool = AtomicBool::new(false);

/// Notes that a client was made (see [`aio_quiesce`]).
pub(crate) fn mark_used() {
    USED.store(true, Ordering::SeqCst);
}

/// How long [`quiesce`] waits at exit for the blocking threads at most.
const QUIESCE_LIMIT: Duration = Duration::from_secs(2);

/// Run by `atexit` (registered by `email365.aio`): waits, with the GIL released, until
/// no runtime thread is handing a result to Python. A blocking thread that is still
/// inside the interpreter when it finalizes is killed while holding a thread state,
/// which aborts the process; so every blocking thread is made to run an empty task
/// (all at once, so none is still busy with a result) before Python goes on. Bounded by
/// [`QUIESCE_LIMIT`] (a host-name lookup may hold a blocking thread).
#[pyfunction]
pub(crate) fn aio_quiesce(py: Python<'_>) {
    if !USED.load(Ordering::SeqCst) {
        return;
    }
    py.detach(|| {
        let deadline = Instant::now() + QUIESCE_LIMIT;
        let arrived = Arc::new((Mutex::new(0usize), Condvar::new()));
        for _ in 0..BLOCKING_THREADS {
            let arrived = arrived.clone();
            get_runtime().spawn_blocking(move || {
                let (count, all) = &*arrived;
                let mut n = count.lock().unwrap_or_else(|p| p.into_inner());
                *n += 1;
                all.notify_all();
                let left = deadline.saturating_duration_since(Instant::now());
                let _ = all.wait_timeout_while(n, left, |n| *n < BLOCKING_THREADS);
            });
        }
        let (count, all) = &*arrived;
        let n = count.lock().unwrap_or_else(|p| p.into_inner());
        let left = deadline.saturating_duration_since(Instant::now());
        let _ = all.wait_timeout_while(n, left, |n| *n < BLOCKING_THREADS);
    });
}

/// The outcome of one send, converted when the asyncio future completes (GIL held):
/// the `SendResult`, or its exception raised from the awaitable.
struct SendOutcome(Sent);

impl<'py> IntoPyObject<'py> for SendOutcome {
    type Target = PySendResult;
    type Output = Bound<'py, PySendResult>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        Bound::new(py, send_result(py, self.0)?)
    }
}

/// The outcomes of `send_many`, converted as [`SendOutcome`] is.
struct ManyOutcome {
    results: Vec<Sent>,
    return_exceptions: bool,
}

impl<'py> IntoPyObject<'py> for ManyOutcome {
    type Target = PyList;
    type Output = Bound<'py, PyList>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        many_results(py, self.results, self.return_exceptions)
    }
}

/// An SMTP submission client whose methods return asyncio awaitables; up to
/// `max_connections` connections shared by every send in flight (the core's
/// `AsyncSmtpPool`). `email365.aio.SmtpClient` wraps it.
#[pyclass(frozen, module = "email365._native", name = "AsyncSmtpClient")]
pub(crate) struct PyAsyncSmtpClient {
    pool: AsyncSmtpPool,
    closed: AtomicBool,
    /// Whether a call reached the runtime (then idle connections may exist).
    started: AtomicBool,
    shown: Shown,
}

impl PyAsyncSmtpClient {
    fn check_open(&self, py: Python<'_>) -> PyResult<()> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(to_py_err(py, &closed_error()));
        }
        self.started.store(true, Ordering::SeqCst);
        Ok(())
    }
}

/// An unclosed client's idle connections are closed politely (QUIT, each step bounded
/// by the core) by a task on the runtime; sends still in flight keep the pool alive
/// until they end.
impl Drop for PyAsyncSmtpClient {
    fn drop(&mut self) {
        if self.started.load(Ordering::SeqCst) && !self.closed.load(Ordering::SeqCst) {
            let pool = self.pool.clone();
            get_runtime().spawn(async move { pool.close().await });
        }
    }
}

#[pymethods]
impl PyAsyncSmtpClient {
    #[new]
    #[pyo3(signature = (host, port = 25, *, username = None, password = None, tls = "starttls",
        ca_file = None, timeout = None, sender_policy = None, server_name = None, ehlo_name = None,
        auth = "plain", pipelining = true, chunking = true, window = None, probe_idle_after = None,
        max_connections = 1, transcript = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        host: String,
        port: u16,
        username: Option<&str>,
        password: Option<&str>,
        tls: &str,
        ca_file: Option<PathBuf>,
        timeout: Option<f64>,
        sender_policy: Option<Bound<'_, PySenderPolicy>>,
        server_name: Option<String>,
        ehlo_name: Option<String>,
        auth: &str,
        pipelining: bool,
        chunking: bool,
        window: Option<usize>,
        probe_idle_after: Option<f64>,
        max_connections: usize,
        transcript: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let ClientOptions {
            options,
            max_connections,
            shown,
        } = ClientArgs {
            host,
            port,
            username,
            password,
            tls,
            ca_file,
            timeout,
            sender_policy,
            server_name,
            ehlo_name,
            auth,
            pipelining,
            chunking,
            window,
            probe_idle_after,
            max_connections,
            transcript,
        }
        .options(py)?;
        let pool = py
            .detach(|| AsyncSmtpPool::new(options, max_connections))
            .py(py)?;
        USED.store(true, Ordering::SeqCst);
        Ok(PyAsyncSmtpClient {
            pool,
            closed: AtomicBool::new(false),
            started: AtomicBool::new(false),
            shown,
        })
    }

    /// An awaitable of one send (see `SmtpClient.send`): its `SendResult`, or the
    /// exception of its failure.
    #[pyo3(signature = (message, *, from_addr = None, to_addrs = None))]
    fn send<'py>(
        &self,
        py: Python<'py>,
        message: &Bound<'py, PyAny>,
        from_addr: Option<String>,
        to_addrs: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.check_open(py)?;
        let out = send_args(py, message, from_addr, to_addrs)?;
        let pool = self.pool.clone();
        future_into_py(py, async move {
            let sent = match out.prepare() {
                Err(failed) => *failed,
                Ok(ready) => {
                    let delivery = pool
                        .send_with(&ready.envelope, &ready.bytes, ready.needs)
                        .await;
                    ready.sent(delivery)
                }
            };
            Ok(SendOutcome(sent))
        })
    }

    /// An awaitable of `send_many` (see `SmtpClient.send_many`): the messages are cut
    /// into parts over the pool's connections, each with transactions in flight.
    #[pyo3(signature = (messages, *, return_exceptions = false))]
    fn send_many<'py>(
        &self,
        py: Python<'py>,
        messages: &Bound<'py, PyAny>,
        return_exceptions: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.check_open(py)?;
        let outs = many_args(py, messages)?;
        let pool = self.pool.clone();
        future_into_py(py, async move {
            let prepared = Prepared::new(&outs);
            let sent = pool.send_many_outgoing(&prepared.items()).await;
            Ok(ManyOutcome {
                results: prepared.results(sent),
                return_exceptions,
            })
        })
    }

    /// An awaitable that ends the idle sessions (QUIT) and closes their connections;
    /// later sends are refused. Idempotent.
    fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.closed.store(true, Ordering::SeqCst);
        let pool = self.pool.clone();
        future_into_py(py, async move {
            pool.close().await;
            Ok(())
        })
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        self.shown.repr(py, "SmtpClient", self.closed())
    }
}
