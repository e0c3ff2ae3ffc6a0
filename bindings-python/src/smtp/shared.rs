//! What the blocking `SmtpClient` and the asyncio `AsyncSmtpClient` share: the reading
//! of the constructor's options into the core's `SmtpOptions`, the conversion of a
//! Python message and its envelope into what the core sends, and the conversion of the
//! core's deliveries and errors into `SendResult`s and exceptions. Each rule is the
//! core's; this file only converts, once for both clients.

use crate::error::{invalid_argument, to_py_err, IntoPy};
use crate::message::{PyBuiltMessage, PyMessage};
use crate::policy::PySenderPolicy;
use crate::reply::PyReply;
use crate::repr;
use email365::message::{read_message, BuiltMessage, Envelope, ReadMessage};
use email365::names::{self, WireName};
use email365::smtp::{AuthMechanism, Delivery, Direction, MessageNeeds, SmtpOptions, TlsMode};
use email365::{Error, ErrorKind};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

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
    pub(crate) fn new(d: Delivery, message_id: Option<String>) -> Self {
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
        Python::attach(|py| {
            if let Err(e) = callable.call1(py, (direction.wire_name(), line)) {
                e.write_unraisable(py, None);
            }
        });
    })))
}

/// The constructor arguments of both clients, as Python gave them.
pub(crate) struct ClientArgs<'a, 'py> {
    pub host: String,
    pub port: u16,
    pub username: Option<&'a str>,
    pub password: Option<&'a str>,
    pub tls: &'a str,
    pub ca_file: Option<PathBuf>,
    pub timeout: Option<f64>,
    pub sender_policy: Option<Bound<'py, PySenderPolicy>>,
    pub server_name: Option<String>,
    pub ehlo_name: Option<String>,
    pub auth: &'a str,
    pub pipelining: bool,
    pub chunking: bool,
    pub window: Option<usize>,
    pub probe_idle_after: Option<f64>,
    pub max_connections: usize,
    pub transcript: Option<Bound<'py, PyAny>>,
}

/// The options read from [`ClientArgs`], with what a client's `repr` shows.
pub(crate) struct ClientOptions {
    pub options: SmtpOptions,
    pub max_connections: usize,
    pub shown: Shown,
}

/// What a client's `repr` shows (never a credential).
pub(crate) struct Shown {
    host: String,
    port: u16,
    tls: &'static str,
}

impl Shown {
    /// `NAME(host=…, port=…, tls=…, closed=…)`.
    pub(crate) fn repr(&self, py: Python<'_>, name: &str, closed: bool) -> String {
        format!(
            "{name}(host={}, port={}, tls={}, closed={})",
            repr(py, &self.host),
            self.port,
            repr(py, self.tls),
            repr(py, closed)
        )
    }
}

impl ClientArgs<'_, '_> {
    /// The core's options; every check (names, durations, ports, the CA file) is the
    /// core's, refused values raise its `InvalidArgument`.
    pub(crate) fn options(self, py: Python<'_>) -> PyResult<ClientOptions> {
        let mode = TlsMode::from_wire(self.tls).py(py)?;
        let port = names::port("port", self.port).py(py)?;
        let mut options = SmtpOptions::new(self.host.clone()).port(port).tls(mode);
        match (self.username, self.password) {
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
        if let Some(path) = self.ca_file {
            options = py.detach(|| options.ca_file(path)).py(py)?;
        }
        if let Some(t) = self.timeout {
            let t = names::seconds("timeout", t, true).py(py)?;
            options.timeouts.connect = t;
            options.timeouts.greeting = t;
            options.timeouts.command = t;
            options.timeouts.data_write = t;
            options.timeouts.data_end = t;
        }
        options.server_name = self.server_name;
        options.ehlo_name = self.ehlo_name;
        options.auth_mechanism = AuthMechanism::from_wire(self.auth).py(py)?;
        options.pipelining = self.pipelining;
        options.chunking = self.chunking;
        if let Some(w) = self.window {
            if w == 0 {
                return Err(invalid_argument(
                    py,
                    "invalid_count",
                    "window must be at least 1",
                ));
            }
            options.window = w;
        }
        if let Some(p) = self.probe_idle_after {
            options.probe_idle_after = names::seconds("probe_idle_after", p, false).py(py)?;
        }
        options.transcript = transcript_hook(py, self.transcript)?;
        // The core's transport enforces it before anything is sent.
        options.sender_policy = self.sender_policy.map(|p| p.get().inner.clone());
        if self.max_connections == 0 {
            return Err(invalid_argument(
                py,
                "invalid_count",
                "max_connections must be at least 1",
            ));
        }
        Ok(ClientOptions {
            options,
            max_connections: self.max_connections,
            shown: Shown {
                host: self.host,
                port,
                tls: mode.wire_name(),
            },
        })
    }
}

/// The error of an operation on a closed client.
pub(crate) fn closed_error() -> Error {
    Error::new(ErrorKind::Connection, "the SmtpClient is closed")
}

/// An envelope given with a message (`from_addr`, `to_addrs`): each part given is
/// used as it is, in place of the message's own; the core's transport checks it.
#[derive(Default)]
pub(crate) struct EnvelopeParts {
    mail_from: Option<String>,
    rcpt_to: Option<Vec<String>>,
}

impl EnvelopeParts {
    /// `to_addrs` is one address (a `str`) or a sequence of them, as in smtplib.
    pub(crate) fn from_py(
        from_addr: Option<String>,
        to_addrs: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
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

/// What a send is made of, once converted from the Python argument. It holds the
/// (immutable) Python message, so that it can be built and sent without the GIL, on
/// this thread or on the runtime's.
pub(crate) enum Outgoing {
    Built(Py<PyBuiltMessage>, EnvelopeParts),
    Message(Py<PyMessage>, EnvelopeParts),
    Raw(ReadMessage),
}

/// A message ready for the core's transport, with the Message-ID it carries.
pub(crate) struct Ready<'a> {
    pub envelope: Envelope,
    pub bytes: Cow<'a, [u8]>,
    pub needs: MessageNeeds,
    pub message_id: Option<String>,
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

impl Outgoing {
    /// Builds a `Message` (without the GIL: the classes are frozen) and puts the
    /// envelope together.
    pub(crate) fn ready(&self) -> email365::Result<Ready<'_>> {
        Ok(match self {
            Outgoing::Built(b, parts) => Ready::built(Cow::Borrowed(&b.get().inner), parts),
            Outgoing::Message(m, parts) => Ready::built(Cow::Owned(m.get().build_core()?), parts),
            Outgoing::Raw(r) => Ready {
                envelope: r.envelope.clone(),
                bytes: Cow::Borrowed(&r.bytes),
                needs: email365::smtp::Outgoing::raw(&r.envelope, &r.bytes).needs,
                message_id: r.message_id.clone(),
            },
        })
    }

    /// The Message-ID known before building (a `Message` without one gets it when built).
    pub(crate) fn known_message_id(&self) -> Option<String> {
        match self {
            Outgoing::Built(b, _) => Some(b.get().inner.message_id.clone()),
            Outgoing::Message(..) => None,
            Outgoing::Raw(r) => r.message_id.clone(),
        }
    }

    /// The message ready to send, or the outcome of a message that cannot be built.
    pub(crate) fn prepare(&self) -> Result<Ready<'_>, Box<Sent>> {
        self.ready()
            .map_err(|e| Box::new((Err(e), self.known_message_id())))
    }
}

impl Ready<'_> {
    /// The outcome of sending this message: the delivery with its Message-ID.
    pub(crate) fn sent(&self, delivery: email365::Result<Delivery>) -> Sent {
        (delivery, self.message_id.clone())
    }
}

/// The messages of a `send_many`, built: those that could be built go to the core's
/// `send_many` together ([`Prepared::items`]); a message that cannot be built gets its
/// error in its place ([`Prepared::results`]).
pub(crate) struct Prepared<'a> {
    readies: Vec<email365::Result<Ready<'a>>>,
}

impl<'a> Prepared<'a> {
    /// Builds every message (no GIL needed).
    pub(crate) fn new(outs: &'a [Outgoing]) -> Self {
        Prepared {
            readies: outs.iter().map(Outgoing::ready).collect(),
        }
    }

    /// What the core sends, one item per message that could be built, in order.
    pub(crate) fn items(&self) -> Vec<email365::smtp::Outgoing<'_>> {
        self.readies.iter().flatten().map(Ready::item).collect()
    }

    /// One outcome per message in input order, from the core's results of
    /// [`Prepared::items`].
    pub(crate) fn results(&self, sent: Vec<email365::Result<Delivery>>) -> Vec<Sent> {
        let mut sent = sent.into_iter();
        self.readies
            .iter()
            .map(|ready| match ready {
                Err(e) => (Err(e.clone()), None),
                Ok(ready) => ready.sent(
                    sent.next()
                        .unwrap_or_else(|| Err(Error::new(ErrorKind::Internal, "no result"))),
                ),
            })
            .collect()
    }
}

/// One message's outcome with the Message-ID it was sent with.
pub(crate) type Sent = (email365::Result<Delivery>, Option<String>);

/// `email.message.Message`, looked up once.
static STDLIB_MESSAGE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Converts a Python message and its envelope parts into what the core sends (GIL
/// held; bytes are read by the core with the GIL released).
pub(crate) fn outgoing(
    py: Python<'_>,
    message: &Bound<'_, PyAny>,
    parts: EnvelopeParts,
) -> PyResult<Outgoing> {
    if let Ok(m) = message.cast::<PyBuiltMessage>() {
        return Ok(Outgoing::Built(m.clone().unbind(), parts));
    }
    if let Ok(m) = message.cast::<PyMessage>() {
        return Ok(Outgoing::Message(m.clone().unbind(), parts));
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

/// The arguments of `send`: the message, `from_addr` and `to_addrs`.
pub(crate) fn send_args(
    py: Python<'_>,
    message: &Bound<'_, PyAny>,
    from_addr: Option<String>,
    to_addrs: Option<&Bound<'_, PyAny>>,
) -> PyResult<Outgoing> {
    let parts = EnvelopeParts::from_py(from_addr, to_addrs)?;
    outgoing(py, message, parts)
}

/// The messages of `send_many`: each a message or a `(message, from_addr, to_addrs)`
/// tuple.
pub(crate) fn many_args(py: Python<'_>, messages: &Bound<'_, PyAny>) -> PyResult<Vec<Outgoing>> {
    messages
        .try_iter()?
        .map(|item| {
            let item = item?;
            let Ok(tuple) = item.cast::<PyTuple>() else {
                return outgoing(py, &item, EnvelopeParts::default());
            };
            if tuple.len() != 3 {
                return Err(PyTypeError::new_err(format!(
                    "a send_many item is a message or a (message, from_addr, to_addrs) tuple, not a tuple of {}",
                    tuple.len()
                )));
            }
            let from_addr: Option<String> = tuple.get_item(1)?.extract()?;
            let parts = EnvelopeParts::from_py(from_addr, Some(&tuple.get_item(2)?))?;
            outgoing(py, &tuple.get_item(0)?, parts)
        })
        .collect()
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

/// The `SendResult` of one send, or its exception.
pub(crate) fn send_result(py: Python<'_>, sent: Sent) -> PyResult<PySendResult> {
    match sent {
        (Ok(delivery), id) => Ok(PySendResult::new(delivery, id)),
        (Err(e), id) => Err(send_error(py, &e, id.as_deref())),
    }
}

/// The list `send_many` returns: one `SendResult` or exception per message; unless
/// `return_exceptions`, `SendManyError` (the first failure's kind, carrying every
/// result) is raised when one failed.
pub(crate) fn many_results<'py>(
    py: Python<'py>,
    results: Vec<Sent>,
    return_exceptions: bool,
) -> PyResult<Bound<'py, PyList>> {
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
        Some(err) if !return_exceptions => Err(send_many_error(py, err, &list)?),
        _ => Ok(list),
    }
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
