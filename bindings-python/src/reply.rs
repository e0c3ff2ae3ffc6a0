//! `Reply`, `Classification` and `classify_reply` over `email365::reply`.

use crate::error::{to_py_err, IntoPy};
use crate::repr;
use email365::names::WireName;
use email365::reply::{
    check_code, classify_code, Category, Classification, Command, EnhancedCode, Reply,
};
use email365::{Error, ErrorKind};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt, PyString, PyTuple};

/// The command named `name` (core names, ASCII case-insensitive).
fn command_from_str(py: Python<'_>, name: &str) -> PyResult<Command> {
    Command::from_wire(name).py(py)
}

fn opt_command(py: Python<'_>, command: Option<&str>) -> PyResult<Option<Command>> {
    command.map(|c| command_from_str(py, c)).transpose()
}

/// What a reply means for the client (immutable).
#[pyclass(frozen, eq, hash, module = "email365", name = "Classification")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyClassification {
    /// The basic three-digit code.
    #[pyo3(get)]
    code: u16,
    /// The enhanced code `class.subject.detail`, or `None`.
    #[pyo3(get)]
    enhanced: Option<String>,
    /// `"success"`, `"intermediate"`, `"transient"` or `"permanent"` (basic code decides).
    #[pyo3(get)]
    severity: &'static str,
    /// The category of the enhanced subject, or `None` without an enhanced code.
    #[pyo3(get)]
    category: Option<&'static str>,
    /// True only when retrying later may succeed.
    #[pyo3(get)]
    retry: bool,
    /// A human description of the code.
    #[pyo3(get)]
    description: String,
    /// True when the basic and enhanced classes disagree.
    #[pyo3(get)]
    inconsistent: bool,
}

impl From<Classification> for PyClassification {
    fn from(c: Classification) -> Self {
        PyClassification {
            code: c.code,
            enhanced: c.enhanced.map(|e| e.to_string()),
            severity: c.severity.as_str(),
            category: c.category.map(Category::as_str),
            retry: c.retry,
            description: c.description,
            inconsistent: c.inconsistent,
        }
    }
}

#[pymethods]
impl PyClassification {
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Classification(code={}, enhanced={}, severity={}, category={}, retry={}, description={}, inconsistent={})",
            self.code,
            repr(py, &self.enhanced),
            repr(py, self.severity),
            repr(py, self.category),
            repr(py, self.retry),
            repr(py, &self.description),
            repr(py, self.inconsistent),
        )
    }
}

/// A parsed SMTP reply (immutable).
#[pyclass(frozen, eq, hash, module = "email365", name = "Reply")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyReply(Reply);

impl From<Reply> for PyReply {
    fn from(r: Reply) -> Self {
        PyReply(r)
    }
}

#[pymethods]
impl PyReply {
    /// Parses a whole reply given as one string.
    #[staticmethod]
    fn parse(py: Python<'_>, text: &str) -> PyResult<PyReply> {
        Reply::parse(text).map(PyReply::from).py(py)
    }

    /// The basic three-digit code.
    #[getter]
    fn code(&self) -> u16 {
        self.0.code
    }

    /// The enhanced code of the first line, or `None`.
    #[getter]
    fn enhanced(&self) -> Option<String> {
        self.0.enhanced.map(|e| e.to_string())
    }

    /// The text of each line, verbatim.
    #[getter]
    fn lines<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.0.lines().collect::<Vec<_>>())
    }

    /// The text of the reply, lines joined with `\n`.
    #[getter]
    fn text(&self) -> &str {
        self.0.text()
    }

    /// Classifies the reply, optionally in the context of the command it answers.
    #[pyo3(signature = (command = None))]
    fn classify(&self, py: Python<'_>, command: Option<&str>) -> PyResult<PyClassification> {
        Ok(self.0.classify(opt_command(py, command)?).into())
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Reply(code={}, enhanced={}, lines={})",
            self.0.code,
            repr(py, self.enhanced()),
            repr(py, self.0.lines().collect::<Vec<_>>())
        )
    }
}

/// Classifies a reply given as its text, or as a basic code with an optional enhanced code.
#[pyfunction]
#[pyo3(signature = (text_or_code, *, enhanced = None, command = None))]
pub(crate) fn classify_reply(
    py: Python<'_>,
    text_or_code: &Bound<'_, PyAny>,
    enhanced: Option<&str>,
    command: Option<&str>,
) -> PyResult<PyClassification> {
    let command = opt_command(py, command)?;
    if let Ok(text) = text_or_code.cast::<PyString>() {
        if enhanced.is_some() {
            return Err(PyTypeError::new_err(
                "enhanced= is only for a basic code; a reply text carries its own",
            ));
        }
        let reply = Reply::parse(&text.to_cow()?).py(py)?;
        return Ok(reply.classify(command).into());
    }
    if text_or_code.is_instance_of::<PyBool>() || !text_or_code.is_instance_of::<PyInt>() {
        return Err(PyTypeError::new_err(format!(
            "classify_reply() takes a reply text (str) or a code (int), not {}",
            text_or_code.get_type().name()?
        )));
    }
    let code = match text_or_code.extract::<u64>() {
        Ok(c) => check_code(c).py(py)?,
        // Negative, or beyond any integer the core reads: the core's refusal of an
        // out-of-range code (kind invalid_reply, reason bad_code).
        Err(_) => {
            return Err(to_py_err(
                py,
                &Error::new(
                    ErrorKind::InvalidReply,
                    format!("{text_or_code} is not an SMTP reply code"),
                )
                .with_reason("bad_code"),
            ))
        }
    };
    let enhanced = enhanced.map(EnhancedCode::parse).transpose().py(py)?;
    Ok(classify_code(code, enhanced, command).into())
}
