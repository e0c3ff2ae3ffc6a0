//! Messages over `email365::message`: `Message` (the core's `MessageBuilder` with
//! keyword arguments), `Attachment`, `BuiltMessage`, `Envelope` and
//! `envelope_from_message`.

use crate::error::IntoPy;
use crate::policy::PySenderPolicy;
use crate::repr;
use email365::message::{
    envelope_from_message as core_envelope_from_message, Attachment, BuiltMessage, Envelope,
    MessageBuilder,
};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};
use std::path::PathBuf;

/// The SMTP envelope: MAIL FROM and RCPT TO, bare addresses in A-label form (immutable).
#[pyclass(
    frozen,
    eq,
    hash,
    from_py_object,
    module = "email365",
    name = "Envelope"
)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyEnvelope {
    /// The reverse path, without angle brackets; empty for `<>`.
    #[pyo3(get)]
    mail_from: String,
    rcpt_to: Vec<String>,
}

impl From<Envelope> for PyEnvelope {
    fn from(e: Envelope) -> Self {
        PyEnvelope {
            mail_from: e.mail_from,
            rcpt_to: e.rcpt_to,
        }
    }
}

impl PyEnvelope {
    #[allow(dead_code)] // used by the transport once it is wired
    pub(crate) fn to_core(&self) -> Envelope {
        Envelope {
            mail_from: self.mail_from.clone(),
            rcpt_to: self.rcpt_to.clone(),
        }
    }
}

#[pymethods]
impl PyEnvelope {
    /// The forward paths, de-duplicated, in order of first appearance.
    #[getter]
    fn rcpt_to<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.rcpt_to)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Envelope(mail_from={}, rcpt_to={})",
            repr(py, &self.mail_from),
            repr(py, &self.rcpt_to)
        )
    }
}

/// A built message, ready to submit (immutable).
#[pyclass(frozen, module = "email365", name = "BuiltMessage")]
pub(crate) struct PyBuiltMessage {
    pub(crate) inner: BuiltMessage,
    /// `data`, made on first access and then handed out again: reading it twice does
    /// not copy the message twice.
    data: PyOnceLock<Py<PyBytes>>,
}

impl PyBuiltMessage {
    pub(crate) fn new(inner: BuiltMessage) -> Self {
        PyBuiltMessage {
            inner,
            data: PyOnceLock::new(),
        }
    }
}

#[pymethods]
impl PyBuiltMessage {
    /// The RFC 5322 bytes: CRLF line ends, ending with CRLF, no Bcc header.
    #[getter]
    fn data<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        self.data
            .get_or_init(py, || PyBytes::new(py, &self.inner.bytes).unbind())
            .bind(py)
            .clone()
    }

    /// The envelope.
    #[getter]
    fn envelope(&self) -> PyEnvelope {
        self.inner.envelope.clone().into()
    }

    /// The Message-ID, without angle brackets.
    #[getter]
    fn message_id(&self) -> &str {
        &self.inner.message_id
    }

    /// The length of `data` in bytes.
    #[getter]
    fn size(&self) -> usize {
        self.inner.size()
    }

    /// Whether the envelope or headers need SMTPUTF8.
    #[getter]
    fn smtputf8(&self) -> bool {
        self.inner.smtputf8
    }

    /// Whether the bytes contain 8-bit data (BODY=8BITMIME).
    #[getter]
    fn eight_bit(&self) -> bool {
        self.inner.eight_bit
    }

    fn __bytes__<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        self.data(py)
    }

    fn __len__(&self) -> usize {
        self.inner.size()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "BuiltMessage(message_id={}, size={}, envelope={})",
            repr(py, &self.inner.message_id),
            self.inner.size(),
            self.envelope().__repr__(py)
        )
    }
}

/// The envelope of an existing RFC 5322 message and its bytes with the Bcc header removed.
#[pyfunction]
pub(crate) fn envelope_from_message<'py>(
    py: Python<'py>,
    data: &[u8],
) -> PyResult<(PyEnvelope, Bound<'py, PyBytes>)> {
    let (envelope, bytes) = core_envelope_from_message(data).py(py)?;
    Ok((envelope.into(), PyBytes::new(py, &bytes)))
}

/// A file attached to a message, or an inline part (immutable).
#[pyclass(frozen, module = "email365", name = "Attachment")]
pub(crate) struct PyAttachment {
    filename: String,
    content: Vec<u8>,
    content_type: Option<String>,
    inline_id: Option<String>,
}

#[pymethods]
impl PyAttachment {
    #[new]
    #[pyo3(signature = (filename, content, *, content_type = None, inline_id = None))]
    fn new(
        filename: String,
        content: &[u8],
        content_type: Option<String>,
        inline_id: Option<String>,
    ) -> Self {
        PyAttachment {
            filename,
            content: content.to_vec(),
            content_type,
            inline_id,
        }
    }

    /// An attachment read from a file; `filename` defaults to the file's name.
    #[staticmethod]
    #[pyo3(signature = (path, *, filename = None, content_type = None, inline_id = None))]
    fn from_path(
        py: Python<'_>,
        path: PathBuf,
        filename: Option<String>,
        content_type: Option<String>,
        inline_id: Option<String>,
    ) -> PyResult<Self> {
        let content = py.detach(|| std::fs::read(&path))?;
        let filename = filename.unwrap_or_else(|| {
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        Ok(PyAttachment {
            filename,
            content,
            content_type,
            inline_id,
        })
    }

    /// The file name shown to the reader.
    #[getter]
    fn filename(&self) -> &str {
        &self.filename
    }

    /// The bytes.
    #[getter]
    fn content<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.content)
    }

    /// `type/subtype`, or `None` to have it guessed from the filename.
    #[getter]
    fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The Content-ID that makes this an inline part (for `cid:` in the HTML body).
    #[getter]
    fn inline_id(&self) -> Option<&str> {
        self.inline_id.as_deref()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Attachment(filename={}, size={}, content_type={}, inline_id={})",
            repr(py, &self.filename),
            self.content.len(),
            repr(py, &self.content_type),
            repr(py, &self.inline_id)
        )
    }
}

impl PyAttachment {
    /// The core's attachment, its bytes borrowed from this object (not copied).
    fn to_core(&self) -> Attachment<'_> {
        let mut a = Attachment::new(self.filename.clone(), self.content.as_slice());
        if let Some(t) = &self.content_type {
            a = a.content_type(t.clone());
        }
        if let Some(id) = &self.inline_id {
            a = a.inline(id.clone());
        }
        a
    }
}

/// One address or several.
#[derive(FromPyObject)]
enum Addresses {
    One(String),
    Many(Vec<String>),
}

impl Addresses {
    fn into_vec(self) -> Vec<String> {
        match self {
            Addresses::One(a) => vec![a],
            Addresses::Many(v) => v,
        }
    }
}

/// An attachment given as an `Attachment` or as a path to read.
#[derive(FromPyObject)]
enum AttachmentInput<'py> {
    Attachment(Bound<'py, PyAttachment>),
    Path(PathBuf),
}

/// Custom headers: a mapping or a sequence of `(name, value)` pairs.
#[derive(FromPyObject)]
enum Headers {
    Map(HashMapOrdered),
    Pairs(Vec<(String, String)>),
}

/// A dict's items in insertion order.
struct HashMapOrdered(Vec<(String, String)>);

impl<'a, 'py> FromPyObject<'a, 'py> for HashMapOrdered {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let dict = obj.cast::<PyDict>()?;
        let mut pairs = Vec::with_capacity(dict.len());
        for (k, v) in dict.iter() {
            pairs.push((k.extract::<String>()?, v.extract::<String>()?));
        }
        Ok(HashMapOrdered(pairs))
    }
}

/// The Date: RFC 5322 text, or a timezone-aware `datetime`.
enum DateInput {
    Text(String),
    Unix(i64),
}

fn date_input(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<DateInput> {
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(DateInput::Text(s.to_cow()?.into_owned()));
    }
    let datetime = py.import("datetime")?.getattr("datetime")?;
    if !value.is_instance(&datetime)? {
        return Err(PyTypeError::new_err(
            "date must be a str (RFC 5322) or a datetime",
        ));
    }
    if value.call_method0("utcoffset")?.is_none() {
        return Err(crate::error::invalid_argument(
            py,
            "invalid_date",
            "date must be timezone-aware (e.g. datetime.now(timezone.utc))",
        ));
    }
    let secs: f64 = value.call_method0("timestamp")?.extract()?;
    Ok(DateInput::Unix(secs.floor() as i64))
}

/// A message to build: every input of the core's message builder as a keyword
/// argument (immutable; `build()` can be called more than once).
#[pyclass(frozen, module = "email365", name = "Message")]
pub(crate) struct PyMessage {
    /// Everything but the attachments.
    builder: MessageBuilder<'static>,
    /// The attachments, added at each build with their bytes borrowed: a message with a
    /// 1 MiB attachment does not copy it when it is made or built.
    attachments: Vec<Py<PyAttachment>>,
    subject: Option<String>,
}

impl PyMessage {
    /// The core's build of this message (callable without the GIL).
    pub(crate) fn build_core(&self) -> email365::Result<BuiltMessage> {
        let mut b = self.builder.clone();
        for a in &self.attachments {
            b = b.attachment(a.get().to_core());
        }
        b.build()
    }
}

#[pymethods]
impl PyMessage {
    #[new]
    #[pyo3(signature = (*, from_addr, to = None, cc = None, bcc = None, reply_to = None, subject = None,
        text = None, html = None, attachments = Vec::new(), headers = None, message_id = None,
        date = None, sender = None, envelope_from = None, sender_policy = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        from_addr: String,
        to: Option<Addresses>,
        cc: Option<Addresses>,
        bcc: Option<Addresses>,
        reply_to: Option<Addresses>,
        subject: Option<String>,
        text: Option<String>,
        html: Option<String>,
        attachments: Vec<AttachmentInput<'_>>,
        headers: Option<Headers>,
        message_id: Option<String>,
        date: Option<Bound<'_, PyAny>>,
        sender: Option<String>,
        envelope_from: Option<String>,
        sender_policy: Option<Bound<'_, PySenderPolicy>>,
    ) -> PyResult<Self> {
        let mut b = MessageBuilder::new().from(from_addr);
        for a in to.map(Addresses::into_vec).unwrap_or_default() {
            b = b.to(a);
        }
        for a in cc.map(Addresses::into_vec).unwrap_or_default() {
            b = b.cc(a);
        }
        for a in bcc.map(Addresses::into_vec).unwrap_or_default() {
            b = b.bcc(a);
        }
        for a in reply_to.map(Addresses::into_vec).unwrap_or_default() {
            b = b.reply_to(a);
        }
        if let Some(s) = &subject {
            b = b.subject(s.clone());
        }
        if let Some(t) = text {
            b = b.text(t);
        }
        if let Some(h) = html {
            b = b.html(h);
        }
        let attachments = attachments
            .into_iter()
            .map(|input| match input {
                AttachmentInput::Attachment(a) => Ok(a.unbind()),
                AttachmentInput::Path(p) => {
                    Py::new(py, PyAttachment::from_path(py, p, None, None, None)?)
                }
            })
            .collect::<PyResult<Vec<_>>>()?;
        let headers = match headers {
            None => Vec::new(),
            Some(Headers::Map(m)) => m.0,
            Some(Headers::Pairs(p)) => p,
        };
        for (name, value) in headers {
            b = b.header(name, value);
        }
        if let Some(id) = message_id {
            b = b.message_id(id);
        }
        match date.map(|d| date_input(py, &d)).transpose()? {
            None => {}
            Some(DateInput::Text(t)) => b = b.date(t),
            Some(DateInput::Unix(s)) => b = b.date_unix(s),
        }
        if let Some(s) = sender {
            b = b.sender(s);
        }
        if let Some(e) = envelope_from {
            b = b.envelope_from(e);
        }
        if let Some(p) = sender_policy {
            b = b.sender_policy(p.get().inner.clone());
        }
        Ok(PyMessage {
            builder: b,
            attachments,
            subject,
        })
    }

    /// Checks every input and builds the message (the GIL is released meanwhile).
    fn build(&self, py: Python<'_>) -> PyResult<PyBuiltMessage> {
        let inner = py.detach(|| self.build_core()).py(py)?;
        Ok(PyBuiltMessage::new(inner))
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!("Message(subject={})", repr(py, &self.subject))
    }
}
