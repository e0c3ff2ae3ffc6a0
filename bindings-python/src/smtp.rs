//! `SmtpClient` and `SendResult` over `email365::smtp` (the native transport). The GIL
//! is released during every network step, and one client is safe to share between
//! threads: a single connection is used by one send at a time, a pool
//! (`max_connections > 1`) by up to that many. An explicit envelope (`from_addr`,
//! `to_addrs`) goes to the core as given (bytes are read by the core's `read_message`),
//! and every result or error carries the Message-ID the message was sent with.

use crate::error::{invalid_argument, to_py_err, IntoPy};
use crate::message::{PyBuiltMessage, PyMessage};
use crate::policy::PySenderPolicy;
use crate::reply::PyReply;
use crate::repr;
use email365::message::{read_message, BuiltMessage, Envelope, ReadMessage};
use email365::names::{self, WireName};
use email365::smtp::{
    AuthMechanism, Delivery, Direction, MessageNeeds, SmtpClient, SmtpOptions, SmtpPool, TlsMode,
};
use email365::{Error, ErrorKind};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// The transcript hook of the core's transport over a Python callable `(direction,
/// line)`: `transcript=` when given, else the `email365.smtp` logger's when it is enabled
/// for DEBUG as the client is made (`email365._logging.transcript_hook`). Lines come
/// from the core with credentials already redacted; the callable runs with the GIL, and
/// an exception it raises is reported as unraisable, never into the send.
fn transcript_hook(
    py: Python<'_>,
    transcript: Option<Bound<'_, PyAny>>,
) -> PyResult<Option<email365::smtp::TranscriptHook>> {
    let callable = match transcript {
        Some(t) => t,
        None => {
            let hook = py
                .import("email365._logging")?
                .getattr("transcript_hook")?
                .call0()?;
            if hook.is_none() {
                return Ok(None);
            }
            hook
        }
    };
    if !callable.is_callable() {
        return Err(PyTypeError::new_err("transcript must be callable"));
    }
    let callable = callable.unbind();
    Ok(Some(Arc::new(move |direction: Direction, line: &str| {
        let direction = match direction {
            Direction::Sent => "sent",
            Direction::Received => "received",
        };
        Python::attach(|py| {
            if let Err(e) = callable.call1(py, (direction, line)) {
                e.write_unraisable(py, None);
            }
        });
    })))
}

/// The result of submitting one message (immutable).
#[pyclass(frozen, module = "email365", name = "SendResult")]
pub(crate) struct PySendResult {
    notification_id: Option<String>,
    message_id: Option<String>,
    final_reply: PyReply,
    accepted: Vec<(String, PyReply)>,
    rejected: Vec<(String, PyReply)>,
}

/// `{recipient: reply}` in RCPT order (recipients are unique: the core de-duplicates
/// the envelope).
fn replies_dict<'py>(py: Python<'py>, list: &[(String, PyReply)]) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (rcpt, reply) in list {
        d.set_item(rcpt, reply.clone())?;
    }
    Ok(d)
}

impl PySendResult {
    fn new(d: Delivery, message_id: Option<String>) -> Self {
        PySendResult {
            notification_id: d.notification_id,
            message_id,
            final_reply: d.final_reply.into(),
            accepted: d
                .accepted
                .into_iter()
                .map(|r| (r.recipient, r.reply.into()))
                .collect(),
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

    /// The Message-ID the message was sent with (without angle brackets), or `None` for
    /// bytes without one.
    #[getter]
    fn message_id(&self) -> Option<&str> {
        self.message_id.as_deref()
    }

    /// The server's final reply to the message data.
    #[getter]
    fn final_reply(&self) -> PyReply {
        self.final_reply.clone()
    }

    /// The recipients the server accepted, in RCPT order.
    #[getter]
    fn accepted<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.accepted.iter().map(|(r, _)| r.as_str()))
    }

    /// The recipients the server accepted, each with its reply to RCPT TO, in RCPT order
    /// (the same recipients as `accepted`).
    #[getter]
    fn accepted_replies<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        replies_dict(py, &self.accepted)
    }

    /// The recipients the server refused, each with the reply that refused it.
    #[getter]
    fn rejected<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        replies_dict(py, &self.rejected)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "SendResult(notification_id={}, message_id={}, accepted={}, rejected={})",
            repr(py, &self.notification_id),
            repr(py, &self.message_id),
            repr(
                py,
                self.accepted
                    .iter()
                    .map(|(r, _)| r.as_str())
                    .collect::<Vec<_>>()
            ),
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

/// An envelope given with a message (`from_addr`, `to_addrs`): each part given is
/// used as it is, in place of the message's own; the core's transport checks it.
#[derive(Default)]
struct EnvelopeParts {
    mail_from: Option<String>,
    rcpt_to: Option<Vec<String>>,
}

impl EnvelopeParts {
    /// `to_addrs` is one address (a `str`) or a sequence of them, as in smtplib.
    fn from_py(from_addr: Option<String>, to_addrs: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let rcpt_to = match to_addrs {
            Some(t) if !t.is_none() => Some(match t.cast::<PyString>() {
                Ok(one) => vec![one.extract::<String>()?],
                Err(_) => t.extract::<Vec<String>>()?,
            }),
            _ => None,
        };
        Ok(EnvelopeParts {
            mail_from: from_addr,
            rcpt_to,
        })
    }

    /// The message's own envelope with the given parts in place.
    fn over(&self, own: &Envelope) -> Envelope {
        Envelope {
            mail_from: self
                .mail_from
                .clone()
                .unwrap_or_else(|| own.mail_from.clone()),
            rcpt_to: self.rcpt_to.clone().unwrap_or_else(|| own.rcpt_to.clone()),
        }
    }
}

/// What a send is made of, once converted from the Python argument.
enum Outgoing<'a> {
    Built(&'a BuiltMessage, EnvelopeParts),
    Message(&'a PyMessage, EnvelopeParts),
    Raw(ReadMessage),
}

/// A message ready for the core's transport, with the Message-ID it carries.
struct Ready<'a> {
    envelope: Envelope,
    bytes: Cow<'a, [u8]>,
    needs: MessageNeeds,
    message_id: Option<String>,
}

impl<'a> Ready<'a> {
    fn built(message: Cow<'a, BuiltMessage>, parts: &EnvelopeParts) -> Ready<'a> {
        let needs = email365::smtp::Outgoing::from(&*message).needs;
        let envelope = parts.over(&message.envelope);
        let message_id = Some(message.message_id.clone());
        let bytes = match message {
            Cow::Borrowed(m) => Cow::Borrowed(&m.bytes[..]),
            Cow::Owned(m) => Cow::Owned(m.bytes),
        };
        Ready {
            envelope,
            bytes,
            needs,
            message_id,
        }
    }

    fn item(&self) -> email365::smtp::Outgoing<'_> {
        email365::smtp::Outgoing {
            envelope: &self.envelope,
            bytes: &self.bytes,
            needs: self.needs,
        }
    }
}

impl Outgoing<'_> {
    /// Builds a `Message` (GIL released by the caller) and puts the envelope together.
    fn ready(&self) -> email365::Result<Ready<'_>> {
        Ok(match self {
            Outgoing::Built(b, parts) => Ready::built(Cow::Borrowed(*b), parts),
            Outgoing::Message(m, parts) => Ready::built(Cow::Owned(m.builder.build()?), parts),
            Outgoing::Raw(r) => Ready {
                envelope: r.envelope.clone(),
                bytes: Cow::Borrowed(&r.bytes),
                needs: email365::smtp::Outgoing::raw(&r.envelope, &r.bytes).needs,
                message_id: r.message_id.clone(),
            },
        })
    }

    /// The Message-ID known before building (a `Message` without one gets it when built).
    fn known_message_id(&self) -> Option<String> {
        match self {
            Outgoing::Built(b, _) => Some(b.message_id.clone()),
            Outgoing::Message(..) => None,
            Outgoing::Raw(r) => r.message_id.clone(),
        }
    }
}

/// The exception of a failed send, with `message_id` set when the Message-ID is known.
fn send_error(py: Python<'_>, error: &Error, message_id: Option<&str>) -> PyErr {
    let err = to_py_err(py, error);
    if let Some(id) = message_id {
        // Only fails for a broken Python part, which `to_py_err` reports already.
        let _ = err.value(py).setattr("message_id", id);
    }
    err
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

    fn closed_core_error() -> Error {
        Error::new(ErrorKind::Connection, "the SmtpClient is closed")
    }

    /// Converts a Python message and its envelope parts into what the core sends (GIL
    /// held; bytes are read by the core with the GIL released).
    fn outgoing<'a>(
        py: Python<'_>,
        message: &'a Bound<'_, PyAny>,
        parts: EnvelopeParts,
    ) -> PyResult<Outgoing<'a>> {
        if let Ok(m) = message.cast::<PyBuiltMessage>() {
            return Ok(Outgoing::Built(&m.get().inner, parts));
        }
        if let Ok(m) = message.cast::<PyMessage>() {
            return Ok(Outgoing::Message(m.get(), parts));
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
        let read = py
            .detach(|| read_message(&data, parts.mail_from.as_deref(), parts.rcpt_to.as_deref()))
            .py(py)?;
        Ok(Outgoing::Raw(read))
    }

    /// A `send_many` item: a message, or a `(message, from_addr, to_addrs)` tuple.
    fn many_item<'py>(item: Bound<'py, PyAny>) -> PyResult<(Bound<'py, PyAny>, EnvelopeParts)> {
        let Ok(tuple) = item.cast::<PyTuple>() else {
            return Ok((item, EnvelopeParts::default()));
        };
        if tuple.len() != 3 {
            return Err(PyTypeError::new_err(format!(
                "a send_many item is a message or a (message, from_addr, to_addrs) tuple, not a tuple of {}",
                tuple.len()
            )));
        }
        let from_addr: Option<String> = tuple.get_item(1)?.extract()?;
        let parts = EnvelopeParts::from_py(from_addr, Some(&tuple.get_item(2)?))?;
        Ok((tuple.get_item(0)?, parts))
    }

    /// Sends (GIL released by the caller).
    fn send_ready(&self, r: &Ready<'_>) -> email365::Result<Delivery> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(Self::closed_core_error());
        }
        match &self.transport {
            Transport::Single(m) => {
                let mut guard = m.lock().unwrap_or_else(|p| p.into_inner());
                match guard.as_mut() {
                    Some(c) => c.send_with(&r.envelope, &r.bytes, r.needs),
                    None => Err(Self::closed_core_error()),
                }
            }
            Transport::Pool(p) => p.send_with(&r.envelope, &r.bytes, r.needs),
        }
    }

    /// The core's `send_many` on the client or the pool; a message that cannot be built
    /// gets its error in place. Each result comes with the message's Message-ID.
    fn send_many_outgoing(
        &self,
        outs: &[Outgoing<'_>],
    ) -> Vec<(email365::Result<Delivery>, Option<String>)> {
        let readies: Vec<email365::Result<Ready<'_>>> = outs.iter().map(|o| o.ready()).collect();
        let mut index = Vec::new();
        let mut items = Vec::new();
        for (i, r) in readies.iter().enumerate() {
            if let Ok(r) = r {
                index.push(i);
                items.push(r.item());
            }
        }
        let sent: Vec<email365::Result<Delivery>> = if self.closed.load(Ordering::SeqCst) {
            items
                .iter()
                .map(|_| Err(Self::closed_core_error()))
                .collect()
        } else {
            match &self.transport {
                Transport::Single(m) => {
                    let mut guard = m.lock().unwrap_or_else(|p| p.into_inner());
                    match guard.as_mut() {
                        Some(c) => c.send_many_outgoing(&items),
                        None => items
                            .iter()
                            .map(|_| Err(Self::closed_core_error()))
                            .collect(),
                    }
                }
                Transport::Pool(p) => p.send_many_outgoing(&items),
            }
        };
        let mut slots: Vec<Option<email365::Result<Delivery>>> = vec![None; outs.len()];
        for (i, r) in index.into_iter().zip(sent) {
            slots[i] = Some(r);
        }
        readies
            .iter()
            .zip(slots)
            .map(|(ready, slot)| match ready {
                Err(e) => (Err(e.clone()), None),
                Ok(ready) => (
                    slot.unwrap_or_else(|| Err(Error::new(ErrorKind::Internal, "no result"))),
                    ready.message_id.clone(),
                ),
            })
            .collect()
    }

    /// `SendManyError` for the first failure, carrying every result.
    fn send_many_error<'py>(
        py: Python<'py>,
        first: PyErr,
        results: &Bound<'py, PyList>,
    ) -> PyResult<PyErr> {
        let first_value = first.value(py);
        let kwargs = PyDict::new(py);
        for name in ["kind", "reason", "position", "transient", "replies"] {
            kwargs.set_item(name, first_value.getattr(name)?)?;
        }
        let exc = py
            .import("email365._errors")?
            .getattr("SendManyError")?
            .call((first_value.getattr("message")?,), Some(&kwargs))?;
        exc.setattr("message_id", first_value.getattr("message_id")?)?;
        exc.setattr("results", results)?;
        let err = PyErr::from_value(exc);
        err.set_cause(py, Some(first));
        Ok(err)
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
        let (mode, tls_name) = tls_mode(py, tls)?;
        let port = names::port("port", port).py(py)?;
        let mut options = SmtpOptions::new(host.clone()).port(port).tls(mode);
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
        options.chunking = chunking;
        if let Some(w) = window {
            if w == 0 {
                return Err(invalid_argument(
                    py,
                    "invalid_count",
                    "window must be at least 1",
                ));
            }
            options.window = w;
        }
        if let Some(p) = probe_idle_after {
            options.probe_idle_after = names::seconds("probe_idle_after", p, false).py(py)?;
        }
        options.transcript = transcript_hook(py, transcript)?;
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
        if self.closed.load(Ordering::SeqCst) {
            return Err(Self::closed_error(py));
        }
        let parts = EnvelopeParts::from_py(from_addr, to_addrs)?;
        let out = Self::outgoing(py, message, parts)?;
        let known_id = out.known_message_id();
        let sent = py.detach(|| {
            let ready = out.ready()?;
            let delivery = self.send_ready(&ready);
            Ok::<_, Error>((delivery, ready.message_id))
        });
        match sent {
            Err(e) => Err(send_error(py, &e, known_id.as_deref())),
            Ok((Err(e), id)) => Err(send_error(py, &e, id.as_deref())),
            Ok((Ok(delivery), id)) => Ok(PySendResult::new(delivery, id)),
        }
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
        if self.closed.load(Ordering::SeqCst) {
            return Err(Self::closed_error(py));
        }
        let items: Vec<(Bound<'py, PyAny>, EnvelopeParts)> = messages
            .try_iter()?
            .map(|item| Self::many_item(item?))
            .collect::<PyResult<_>>()?;
        let (bound, parts): (Vec<Bound<'py, PyAny>>, Vec<EnvelopeParts>) =
            items.into_iter().unzip();
        let outs: Vec<Outgoing<'_>> = bound
            .iter()
            .zip(parts)
            .map(|(m, p)| Self::outgoing(py, m, p))
            .collect::<PyResult<_>>()?;
        let results = py.detach(|| self.send_many_outgoing(&outs));
        let list = PyList::empty(py);
        let mut first: Option<PyErr> = None;
        for (r, id) in results {
            match r {
                Ok(d) => list.append(Py::new(py, PySendResult::new(d, id))?)?,
                Err(e) => {
                    let err = send_error(py, &e, id.as_deref());
                    list.append(err.value(py))?;
                    first.get_or_insert(err);
                }
            }
        }
        match first {
            Some(err) if !return_exceptions => Err(Self::send_many_error(py, err, &list)?),
            _ => Ok(list),
        }
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
