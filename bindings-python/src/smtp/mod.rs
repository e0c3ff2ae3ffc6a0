//! `SmtpClient` over `email365::smtp` (the native blocking transport). The GIL is
//! released during every network step, and one client is safe to share between
//! threads: a single connection is used by one send at a time, a pool
//! (`max_connections > 1`) by up to that many. An explicit envelope (`from_addr`,
//! `to_addrs`) goes to the core as given (bytes are read by the core's `read_message`),
//! and every result or error carries the Message-ID the message was sent with. What
//! this client shares with the asyncio one (`crate::aio`) is in [`shared`].

pub(crate) mod shared;

use crate::error::{to_py_err, IntoPy};
use crate::policy::PySenderPolicy;
use email365::smtp::{Delivery, SmtpClient, SmtpPool};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};
use shared::{
    closed_error, many_args, many_results, send_args, send_result, ClientArgs, ClientOptions,
    Prepared, Ready, Shown,
};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

pub(crate) use shared::PySendResult;

/// One connection (opened on first use) or a pool of them.
enum Transport {
    Single(Mutex<Option<SmtpClient>>),
    Pool(SmtpPool),
}

/// An SMTP submission client (context manager).
#[pyclass(frozen, module = "email365", name = "SmtpClient")]
pub(crate) struct PySmtpClient {
    transport: Transport,
    closed: AtomicBool,
    shown: Shown,
}

impl PySmtpClient {
    /// Sends (GIL released by the caller).
    fn send_ready(&self, r: &Ready<'_>) -> email365::Result<Delivery> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(closed_error());
        }
        match &self.transport {
            Transport::Single(m) => {
                let mut guard = m.lock().unwrap_or_else(|p| p.into_inner());
                match guard.as_mut() {
                    Some(c) => c.send_with(&r.envelope, &r.bytes, r.needs),
                    None => Err(closed_error()),
                }
            }
            Transport::Pool(p) => p.send_with(&r.envelope, &r.bytes, r.needs),
        }
    }

    /// The core's `send_many` on the client or the pool (GIL released by the caller).
    fn send_items(
        &self,
        items: &[email365::smtp::Outgoing<'_>],
    ) -> Vec<email365::Result<Delivery>> {
        let closed = || items.iter().map(|_| Err(closed_error())).collect();
        if self.closed.load(Ordering::SeqCst) {
            return closed();
        }
        match &self.transport {
            Transport::Single(m) => {
                let mut guard = m.lock().unwrap_or_else(|p| p.into_inner());
                match guard.as_mut() {
                    Some(c) => c.send_many_outgoing(items),
                    None => closed(),
                }
            }
            Transport::Pool(p) => p.send_many_outgoing(items),
        }
    }

    fn check_open(&self, py: Python<'_>) -> PyResult<()> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(to_py_err(py, &closed_error()));
        }
        Ok(())
    }
}

/// An unclosed client is closed when Python frees it (often inside garbage collection,
/// on whatever thread triggered it): the QUIT exchange (each step bounded by the core to
/// at most 5 s) runs with the GIL released, so other Python threads keep running.
impl Drop for PySmtpClient {
    fn drop(&mut self) {
        let single = match &mut self.transport {
            Transport::Single(m) => m.get_mut().unwrap_or_else(|p| p.into_inner()).take(),
            Transport::Pool(_) => None,
        };
        let pool = match &self.transport {
            Transport::Pool(p) => Some(p),
            Transport::Single(_) => None,
        };
        if single.is_none() && pool.is_none() {
            return;
        }
        Python::attach(|py| {
            py.detach(|| {
                drop(single);
                if let Some(p) = pool {
                    p.close();
                }
            })
        });
    }
}

#[pymethods]
impl PySmtpClient {
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
        let options = ClientArgs {
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
        let ClientOptions {
            options,
            max_connections,
            shown,
        } = options;
        let transport = if max_connections == 1 {
            Transport::Single(Mutex::new(Some(
                py.detach(|| SmtpClient::new(options)).py(py)?,
            )))
        } else {
            Transport::Pool(
                py.detach(|| SmtpPool::new(options, max_connections))
                    .py(py)?,
            )
        };
        Ok(PySmtpClient {
            transport,
            closed: AtomicBool::new(false),
            shown,
        })
    }

    /// Sends one message and returns its `SendResult`. Accepts a `Message`, a
    /// `BuiltMessage`, a stdlib `email.message.EmailMessage` or RFC 5322 bytes. The
    /// envelope is the message's own (from the builder, or read from the headers by the
    /// core, Bcc removed) unless `from_addr` (`""` for `<>`) or `to_addrs` (one address or
    /// a sequence) give it, as in smtplib's `send_message`; the core's transport checks
    /// it before sending (command injection, recipients, the sender policy).
    #[pyo3(signature = (message, *, from_addr = None, to_addrs = None))]
    fn send(
        &self,
        py: Python<'_>,
        message: &Bound<'_, PyAny>,
        from_addr: Option<String>,
        to_addrs: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PySendResult> {
        self.check_open(py)?;
        let out = send_args(py, message, from_addr, to_addrs)?;
        let sent = py.detach(|| match out.prepare() {
            Err(failed) => *failed,
            Ok(ready) => ready.sent(self.send_ready(&ready)),
        });
        send_result(py, sent)
    }

    /// Sends several messages over the same connection(s), keeping several whole
    /// transactions in flight (the core's `send_many`), and returns one result per
    /// message in input order. An item is a message or a `(message, from_addr,
    /// to_addrs)` tuple. Every message is submitted; with `return_exceptions=True` a
    /// failure is returned in place of its result, otherwise `SendManyError` (the first
    /// failure's kind, with every result in `results`) is raised once all were submitted.
    #[pyo3(signature = (messages, *, return_exceptions = false))]
    fn send_many<'py>(
        &self,
        py: Python<'py>,
        messages: &Bound<'py, PyAny>,
        return_exceptions: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        self.check_open(py)?;
        let outs = many_args(py, messages)?;
        let results = py.detach(|| {
            let prepared = Prepared::new(&outs);
            prepared.results(self.send_items(&prepared.items()))
        });
        many_results(py, results, return_exceptions)
    }

    /// Ends the session (QUIT) and closes the connection(s). Idempotent.
    fn close(&self, py: Python<'_>) {
        self.closed.store(true, Ordering::SeqCst);
        py.detach(|| match &self.transport {
            Transport::Single(m) => {
                let client = m.lock().unwrap_or_else(|p| p.into_inner()).take();
                if let Some(mut c) = client {
                    let _ = c.quit();
                }
            }
            Transport::Pool(p) => p.close(),
        });
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) -> bool {
        self.close(py);
        false
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        self.shown.repr(py, "SmtpClient", self.closed())
    }
}
