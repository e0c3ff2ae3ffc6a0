//! Messages over `email365::message`: `BuiltMessage`, `Envelope` and
//! `envelope_from_message`.

use crate::error::IntoPy;
use crate::repr;
use email365::message::{
    envelope_from_message as core_envelope_from_message, BuiltMessage, Envelope,
};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

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
}

#[pymethods]
impl PyBuiltMessage {
    /// The RFC 5322 bytes: CRLF line ends, ending with CRLF, no Bcc header.
    #[getter]
    fn data<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.bytes)
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
