//! The native module `email365._native`: pyo3 classes and functions over the core
//! crate `email365`. Only type and error conversion lives here, one file per core
//! module; the public Python package `email365` re-exports it.

/// mimalloc for every Rust allocation of the extension (docs/DEPENDENCIES.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod address;
mod aio;
mod cli;
mod error;
mod http;
mod message;
mod notification_id;
mod policy;
mod poll;
mod reply;
mod smtp;
mod status;

use pyo3::prelude::*;
use pyo3::BoundObject;

/// Python's `repr()` of a value converted to Python, for the `__repr__` of the classes.
pub(crate) fn repr<'py, T: IntoPyObject<'py>>(py: Python<'py>, value: T) -> String {
    match value.into_pyobject(py) {
        Ok(obj) => obj
            .into_bound()
            .into_any()
            .repr()
            .map(|r| r.to_string())
            .unwrap_or_else(|_| "?".to_string()),
        Err(_) => "?".to_string(),
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", email365::VERSION)?;
    m.add_function(wrap_pyfunction!(error::error_kinds, m)?)?;
    m.add_function(wrap_pyfunction!(error::error_kind_table, m)?)?;
    m.add_class::<address::PyAddress>()?;
    m.add_function(wrap_pyfunction!(address::validate_address, m)?)?;
    m.add_class::<policy::PySenderPolicy>()?;
    m.add_class::<reply::PyReply>()?;
    m.add_class::<reply::PyClassification>()?;
    m.add_function(wrap_pyfunction!(reply::classify_reply, m)?)?;
    m.add_function(wrap_pyfunction!(
        notification_id::extract_notification_id,
        m
    )?)?;
    m.add_class::<status::PyStatusRequest>()?;
    m.add_class::<status::PyStatusEvent>()?;
    m.add_class::<status::PyNotification>()?;
    m.add_class::<status::PyRecipientState>()?;
    m.add_function(wrap_pyfunction!(status::status_request, m)?)?;
    m.add_function(wrap_pyfunction!(status::parse_status, m)?)?;
    m.add_function(wrap_pyfunction!(status::is_final, m)?)?;
    m.add_function(wrap_pyfunction!(status::next_delay, m)?)?;
    m.add_function(wrap_pyfunction!(status::status_http_error, m)?)?;
    m.add_class::<message::PyEnvelope>()?;
    m.add_class::<message::PyBuiltMessage>()?;
    m.add_function(wrap_pyfunction!(message::envelope_from_message, m)?)?;
    m.add_class::<message::PyAttachment>()?;
    m.add_class::<message::PyMessage>()?;
    m.add_class::<smtp::PySendResult>()?;
    m.add_class::<smtp::PySmtpClient>()?;
    aio::init_runtime();
    m.add_class::<aio::PyAsyncSmtpClient>()?;
    m.add_function(wrap_pyfunction!(aio::aio_quiesce, m)?)?;
    m.add_class::<http::PyStatusClient>()?;
    m.add_class::<http::PyAsyncStatusClient>()?;
    m.add_class::<poll::PyStatusPoller>()?;
    m.add_class::<poll::PyPollStep>()?;
    m.add_function(wrap_pyfunction!(cli::cli_main, m)?)?;
    Ok(())
}
