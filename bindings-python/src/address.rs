//! `validate_address` and the frozen `Address` over `email365::address`.

use crate::error::IntoPy;
use crate::repr;
use email365::address::{Address, AddressOptions, Mode};
use email365::names::WireName;
use pyo3::prelude::*;

/// A valid address (immutable).
#[pyclass(
    frozen,
    eq,
    hash,
    from_py_object,
    module = "email365",
    name = "Address"
)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyAddress {
    /// The local part, case kept.
    #[pyo3(get)]
    local: String,
    /// The domain in Unicode form (U-labels), or the literal with brackets.
    #[pyo3(get)]
    domain: String,
    /// The domain in ASCII form (A-labels), or the literal with brackets.
    #[pyo3(get)]
    ascii_domain: String,
    /// The display name; `None` when absent or empty.
    #[pyo3(get)]
    display_name: Option<String>,
    /// Whether sending to or from this address needs SMTPUTF8.
    #[pyo3(get)]
    smtputf8: bool,
}

impl From<Address> for PyAddress {
    fn from(a: Address) -> PyAddress {
        PyAddress {
            local: a.local,
            domain: a.domain,
            ascii_domain: a.ascii_domain,
            display_name: a.display_name,
            smtputf8: a.smtputf8,
        }
    }
}

impl PyAddress {
    /// The core address again.
    pub(crate) fn to_core(&self) -> Address {
        Address {
            local: self.local.clone(),
            domain: self.domain.clone(),
            ascii_domain: self.ascii_domain.clone(),
            display_name: self.display_name.clone(),
            smtputf8: self.smtputf8,
        }
    }
}

#[pymethods]
impl PyAddress {
    /// `local@ascii_domain`: the form used in MAIL FROM / RCPT TO.
    #[getter]
    fn envelope(&self) -> String {
        self.to_core().envelope()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Address(local={}, domain={}, ascii_domain={}, display_name={}, smtputf8={})",
            repr(py, &self.local),
            repr(py, &self.domain),
            repr(py, &self.ascii_domain),
            repr(py, &self.display_name),
            repr(py, self.smtputf8)
        )
    }
}

/// Reads the `mode` option (the core's names).
pub(crate) fn mode_from_str(py: Python<'_>, mode: &str) -> PyResult<Mode> {
    Mode::from_wire(mode).py(py)
}

/// Parses and validates an address.
#[pyfunction]
#[pyo3(signature = (text, *, mode = "envelope", allow_quoted_local = false, allow_domain_literal = false))]
pub(crate) fn validate_address(
    py: Python<'_>,
    text: &str,
    mode: &str,
    allow_quoted_local: bool,
    allow_domain_literal: bool,
) -> PyResult<PyAddress> {
    let options = AddressOptions {
        mode: mode_from_str(py, mode)?,
        allow_quoted_local,
        allow_domain_literal,
    };
    Address::parse(text, &options).map(PyAddress::from).py(py)
}
