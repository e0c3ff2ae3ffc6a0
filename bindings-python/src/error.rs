//! Errors: every core `email365::Error` becomes an instance of the Python exception
//! class of its kind (defined in `email365/_errors.py`, where multiple inheritance from
//! the builtins — `ValueError`, `TimeoutError`, `ConnectionError` — is natural).
//! The binding adds no diagnosis of its own: kind, reason, message, position,
//! transience and replies are copied from the core error.

use email365::error::KINDS;
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

/// An `invalid_argument` error with its `reason` for an argument only Python has (a
/// `datetime`, a pair of keyword arguments); it is raised as `InvalidArgument`, which is
/// also a `ValueError`. Names, durations and ports are checked by the core
/// (`email365::names`).
pub(crate) fn invalid_argument(
    py: Python<'_>,
    reason: &'static str,
    message: impl Into<String>,
) -> PyErr {
    to_py_err(
        py,
        &Error::new(ErrorKind::InvalidArgument, message).with_reason(reason),
    )
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

/// One row of [`error_kind_table`]: name, number, family, the shared class name, its
/// parent, the Python class name and the Python builtins it also derives from.
type KindRow = (
    &'static str,
    u32,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Vec<&'static str>,
);

/// The core's table of every kind, in number order: the tests check the exception
/// classes (names, parents, builtin bases) against it.
#[pyfunction]
pub(crate) fn error_kind_table() -> Vec<KindRow> {
    KINDS
        .iter()
        .map(|k| {
            (
                k.name,
                k.number,
                k.family.as_str(),
                k.class,
                k.parent,
                k.python_class,
                k.python_builtins.to_vec(),
            )
        })
        .collect()
}
