//! `SmtpClient` and `SendResult` over `email365::smtp` (the native transport). The GIL
//! is released during every network step, and one client is safe to share between
//! threads: a single connection is used by one send at a time, a pool
//! (`max_connections > 1`) by up to that many.

use crate::error::{invalid_argument, to_py_err, IntoPy};
use crate::message::{PyBuiltMessage, PyMessage};
use crate::policy::PySenderPolicy;
use crate::reply::PyReply;
use crate::repr;
use email365::message::{envelope_from_message, BuiltMessage, Envelope};
use email365::names::{self, WireName};
use email365::smtp::{AuthMechanism, Delivery, SmtpClient, SmtpOptions, SmtpPool, TlsMode};
use email365::{Error, ErrorKind};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// The result of submitting one message (immutable).
#[pyclass(frozen, module = "email365", name = "SendResult")]
pub(crate) struct PySendResult {
    notification_id: Option<String>,
    final_reply: PyReply,
    accepted: Vec<String>,
    rejected: Vec<(String, PyReply)>,
}

impl From<Delivery> for PySendResult {
    fn from(d: Delivery) -> Self {
        PySendResult {
            notification_id: d.notification_id,
            final_reply: d.final_reply.into(),
            accepted: d.accepted.into_iter().map(|r| r.recipient).collect(),
            rejected: d
                .rejected
                .into_iter()
                .map(|r| (r.recipient, r.reply.into()))
                .collect(),
        }
    }
}

#[pymethods]
impl PySendResult {
    /// The notification id from the server's final reply, or `None` when it gave none.
    #[getter]
    fn notification_id(&self) -> Option<&str> {
        self.notification_id.as_deref()
    }

    /// The server's final reply to the message data.
    #[getter]
    fn final_reply(&self) -> PyReply {
        self.final_reply.clone()
    }

    /// The recipients the server accepted.
    #[getter]
    fn accepted<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.accepted)
    }

    /// The recipients the server refused, each with the reply that refused it.
    #[getter]
    fn rejected<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (rcpt, reply) in &self.rejected {
            d.set_item(rcpt, reply.clone())?;
        }
        Ok(d)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "SendResult(notification_id={}, accepted={}, rejected={})",
            repr(py, &self.notification_id),
            repr(py, &self.accepted),
            repr(
                py,
                self.rejected
                    .iter()
                    .map(|(r, _)| r.as_str())
                    .collect::<Vec<_>>()
            )
        )
    }
}

/// One connection (opened on first use) or a pool of them.
enum Transport {
    Single(Mutex<Option<SmtpClient>>),
    Pool(SmtpPool),
}

/// What a send is made of, once converted from the Python argument.
enum Outgoing<'a> {
    Built(&'a BuiltMessage),
    Message(&'a PyMessage),
    Raw(Envelope, Vec<u8>),
}

/// `email.message.Message`, looked up once.
static STDLIB_MESSAGE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// An SMTP submission client (context manager).
#[pyclass(frozen, module = "email365", name = "SmtpClient")]
pub(crate) struct PySmtpClient {
    transport: Transport,
    closed: AtomicBool,
    host: String,
    port: u16,
    tls: &'static str,
}

fn tls_mode(py: Python<'_>, tls: &str) -> PyResult<(TlsMode, &'static str)> {
    let mode = TlsMode::from_wire(tls).py(py)?;
    Ok((mode, mode.wire_name()))
}

impl PySmtpClient {
    fn closed_error(py: Python<'_>) -> PyErr {
        to_py_err(
            py,
            &Error::new(ErrorKind::Connection, "the SmtpClient is closed"),
        )
    }

    /// Converts a Python message into what the core sends (GIL held).
    fn outgoing<'a>(py: Python<'_>, message: &'a Bound<'_, PyAny>) -> PyResult<Outgoing<'a>> {
        if let Ok(m) = message.cast::<PyBuiltMessage>() {
            return Ok(Outgoing::Built(&m.get().inner));
        }
        if let Ok(m) = message.cast::<PyMessage>() {
            return Ok(Outgoing::Message(m.get()));
        }
        let stdlib = STDLIB_MESSAGE.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            Ok(py.import("email.message")?.getattr("Message")?.unbind())
        })?;
        let data: Vec<u8> = if message.is_instance(stdlib.bind(py))? {
            // The stdlib writes line ends per its policy: ask for CRLF, as SMTP wants.
            let policy = message.getattr("policy")?;
            let kwargs = PyDict::new(py);
            kwargs.set_item("linesep", "\r\n")?;
            let crlf = policy.call_method("clone", (), Some(&kwargs))?;
            let kwargs = PyDict::new(py);
            kwargs.set_item("policy", crlf)?;
            message
                .call_method("as_bytes", (), Some(&kwargs))?
                .extract()?
        } else if let Ok(b) = message.cast::<PyBytes>() {
            b.as_bytes().to_vec()
        } else {
            return Err(PyTypeError::new_err(format!(
                "send() takes a Message, a BuiltMessage, an email.message.EmailMessage or bytes, not {}",
                message.get_type().name()?
            )));
        };
        let (envelope, bytes) = py.detach(|| envelope_from_message(&data)).py(py)?;
        Ok(Outgoing::Raw(envelope, bytes))
    }

    /// Sends (GIL released by the caller).
    fn send_outgoing(&self, out: &Outgoing<'_>) -> email365::Result<Delivery> {
        let built;
        let (envelope, data, message) = match out {
            Outgoing::Built(b) => (&b.envelope, &b.bytes[..], Some(*b)),
            Outgoing::Message(m) => {
                built = m.builder.build()?;
                (&built.envelope, &built.bytes[..], Some(&built))
            }
            Outgoing::Raw(e, d) => (e, &d[..], None),
        };
        if self.closed.load(Ordering::SeqCst) {
            return Err(Error::new(
                ErrorKind::Connection,
                "the SmtpClient is closed",
            ));
        }
        match (&self.transport, message) {
            (Transport::Single(m), Some(b)) => {
                let mut guard = m.lock().unwrap_or_else(|p| p.into_inner());
                match guard.as_mut() {
                    Some(c) => c.send(b),
                    None => Err(Error::new(
                        ErrorKind::Connection,
                        "the SmtpClient is closed",
                    )),
                }
            }
            (Transport::Single(m), None) => {
                let mut guard = m.lock().unwrap_or_else(|p| p.into_inner());
                match guard.as_mut() {
                    Some(c) => c.send_raw(envelope, data),
                    None => Err(Error::new(
                        ErrorKind::Connection,
                        "the SmtpClient is closed",
                    )),
                }
            }
            (Transport::Pool(p), Some(b)) => p.send(b),
            (Transport::Pool(p), None) => p.send_raw(envelope, data),
        }
    }
}

impl PySmtpClient {
    /// The core's `send_many` on the client or the pool; a message that cannot be built
    /// gets its error in place.
    fn send_many_outgoing(&self, outs: &[Outgoing<'_>]) -> Vec<email365::Result<Delivery>> {
        let mut built: Vec<Option<email365::Result<BuiltMessage>>> = outs
            .iter()
            .map(|o| match o {
                Outgoing::Message(m) => Some(m.builder.build()),
                _ => None,
            })
            .collect();
        let mut results: Vec<Option<email365::Result<Delivery>>> = vec![None; outs.len()];
        let mut index = Vec::new();
        let mut items = Vec::new();
        for (i, (o, b)) in outs.iter().zip(built.iter_mut()).enumerate() {
            let item = match (o, b) {
                (Outgoing::Built(b), _) => email365::smtp::Outgoing::from(*b),
                (Outgoing::Raw(e, d), _) => email365::smtp::Outgoing::raw(e, d),
                (Outgoing::Message(_), Some(Ok(b))) => email365::smtp::Outgoing::from(&*b),
                (Outgoing::Message(_), Some(Err(e))) => {
                    results[i] = Some(Err(e.clone()));
                    continue;
                }
                (Outgoing::Message(_), None) => {
                    results[i] = Some(Err(Error::new(ErrorKind::Internal, "message not built")));
                    continue;
                }
            };
            index.push(i);
            items.push(item);
        }
        let sent = if self.closed.load(Ordering::SeqCst) {
            items
                .iter()
                .map(|_| {
                    Err(Error::new(
                        ErrorKind::Connection,
                        "the SmtpClient is closed",
                    ))
                })
                .collect()
        } else {
            match &self.transport {
                Transport::Single(m) => {
                    let mut guard = m.lock().unwrap_or_else(|p| p.into_inner());
                    match guard.as_mut() {
                        Some(c) => c.send_many_outgoing(&items),
                        None => items
                            .iter()
                            .map(|_| {
                                Err(Error::new(
                                    ErrorKind::Connection,
                                    "the SmtpClient is closed",
                                ))
                            })
                            .collect(),
                    }
                }
                Transport::Pool(p) => p.send_many_outgoing(&items),
            }
        };
        for (i, r) in index.into_iter().zip(sent) {
            results[i] = Some(r);
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(Error::new(ErrorKind::Internal, "no result"))))
            .collect()
    }
}

#[pymethods]
impl PySmtpClient {
    #[new]
    #[pyo3(signature = (host, port = 25, *, username = None, password = None, tls = "starttls",
        ca_file = None, timeout = None, sender_policy = None, server_name = None, ehlo_name = None,
        auth = "plain", pipelining = true, max_connections = 1))]
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
        max_connections: usize,
    ) -> PyResult<Self> {
        let (mode, tls_name) = tls_mode(py, tls)?;
        let port = names::port("port", port).py(py)?;
        let mut options = SmtpOptions::new(host.clone(), port).tls(mode);
        match (username, password) {
            (Some(u), Some(p)) => options = options.credentials(u, p),
            (None, None) => {}
            _ => {
                return Err(invalid_argument(
                    py,
                    "incomplete_credentials",
                    "give both username and password, or neither",
                ))
            }
        }
        if let Some(path) = ca_file {
            options = py.detach(|| options.ca_file(path)).py(py)?;
        }
        if let Some(t) = timeout {
            let t = names::seconds("timeout", t, true).py(py)?;
            options.timeouts.connect = t;
            options.timeouts.greeting = t;
            options.timeouts.command = t;
            options.timeouts.data_write = t;
            options.timeouts.data_end = t;
        }
        options.server_name = server_name;
        options.ehlo_name = ehlo_name;
        options.auth_mechanism = AuthMechanism::from_wire(auth).py(py)?;
        options.pipelining = pipelining;
        // The core's transport enforces it before anything is sent.
        options.sender_policy = sender_policy.map(|p| p.get().inner.clone());
        if max_connections == 0 {
            return Err(invalid_argument(
                py,
                "invalid_count",
                "max_connections must be at least 1",
            ));
        }
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
            host,
            port,
            tls: tls_name,
        })
    }

    /// Sends one message and returns its `SendResult`. Accepts a `Message`, a
    /// `BuiltMessage`, a stdlib `email.message.EmailMessage` or RFC 5322 bytes (their
    /// envelope comes from the headers, Bcc removed).
    fn send(&self, py: Python<'_>, message: &Bound<'_, PyAny>) -> PyResult<PySendResult> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(Self::closed_error(py));
        }
        let out = Self::outgoing(py, message)?;
        let delivery = py.detach(|| self.send_outgoing(&out)).py(py)?;
        Ok(delivery.into())
    }

    /// Sends several messages over the same connection(s), keeping several whole
    /// transactions in flight (the core's `send_many`), and returns one result per
    /// message in input order. Every message is submitted; with
    /// `return_exceptions=True` a failure is returned in place of its result, otherwise
    /// the first failure (in input order) is raised once all were submitted.
    #[pyo3(signature = (messages, *, return_exceptions = false))]
    fn send_many<'py>(
        &self,
        py: Python<'py>,
        messages: &Bound<'py, PyAny>,
        return_exceptions: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(Self::closed_error(py));
        }
        let bound: Vec<Bound<'py, PyAny>> = messages.try_iter()?.collect::<PyResult<_>>()?;
        let outs: Vec<Outgoing<'_>> = bound
            .iter()
            .map(|m| Self::outgoing(py, m))
            .collect::<PyResult<_>>()?;
        let results = py.detach(|| self.send_many_outgoing(&outs));
        let list = PyList::empty(py);
        for r in results {
            match r {
                Ok(d) => list.append(Py::new(py, PySendResult::from(d))?)?,
                Err(e) => {
                    let err = to_py_err(py, &e);
                    if !return_exceptions {
                        return Err(err);
                    }
                    list.append(err.value(py))?;
                }
            }
        }
        Ok(list)
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
        format!(
            "SmtpClient(host={}, port={}, tls={}, closed={})",
            repr(py, &self.host),
            self.port,
            repr(py, self.tls),
            repr(py, self.closed())
        )
    }
}
