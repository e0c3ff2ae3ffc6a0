//! Errors: every core `email365::Error` becomes an instance of the Python exception
//! class of its kind (defined in `email365/_errors.py`, where multiple inheritance from
//! the builtins — `ValueError`, `TimeoutError`, `ConnectionError` — is natural).
//! The binding adds no diagnosis of its own: kind, reason, message, position,
//! transience and replies are copied from the core error.

use email365::{Error, ErrorKind};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyList;

/// `email365._errors._from_native`, looked up once.
static FROM_NATIVE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Converts a core error into the matching Python exception.
pub(crate) fn to_py_err(py: Python<'_>, err: &Error) -> PyErr {
    match build(py, err) {
        Ok(e) => e,
        // Only reachable when the package's Python part is missing or broken: the
        // import or call error says why, which beats hiding it.
        Err(e) => e,
    }
}

fn build(py: Python<'_>, err: &Error) -> PyResult<PyErr> {
    let from_native = FROM_NATIVE.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py
            .import("email365._errors")?
            .getattr("_from_native")?
            .unbind())
    })?;
    let replies = PyList::empty(py);
    for r in err.replies() {
        replies.append((
            r.code,
            r.enhanced.as_deref(),
            r.text.as_str(),
            r.recipient.as_deref(),
        ))?;
    }
    let exc = from_native.bind(py).call1((
        err.kind().as_str(),
        err.reason(),
        err.message(),
        err.position(),
        err.transient(),
        replies,
    ))?;
    Ok(PyErr::from_value(exc))
}

/// Turns core results into Python results.
pub(crate) trait IntoPy<T> {
    /// The result with its error converted.
    fn py(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPy<T> for email365::Result<T> {
    fn py(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py_err(py, &e))
    }
}

/// An `invalid_argument` error for an argument the binding cannot convert (an unknown
/// option name, say); it is raised as `InvalidArgument`, which is also a `ValueError`.
pub(crate) fn invalid_argument(py: Python<'_>, message: impl Into<String>) -> PyErr {
    to_py_err(py, &Error::new(ErrorKind::InvalidArgument, message))
}

/// Every error kind of the core, in number order, as `(name, number)` pairs: the list
/// the tests check the exception classes against.
#[pyfunction]
pub(crate) fn error_kinds() -> Vec<(&'static str, u32)> {
    ErrorKind::ALL
        .iter()
        .map(|k| (k.as_str(), k.number()))
        .collect()
}
