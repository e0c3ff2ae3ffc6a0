//! `SenderPolicy` over `email365::policy`: the registered sender domains and addresses.

use crate::address::PyAddress;
use crate::error::IntoPy;
use crate::repr;
use email365::address::{Address, AddressOptions};
use email365::policy::SenderPolicy;
use pyo3::prelude::*;

/// The registered sender domains and addresses of an account (immutable).
#[pyclass(frozen, module = "email365", name = "SenderPolicy")]
pub(crate) struct PySenderPolicy {
    pub(crate) inner: SenderPolicy,
    domains: Vec<String>,
    addresses: Vec<String>,
}

/// What `check` accepts: a validated address or a string to validate (envelope form).
#[derive(FromPyObject)]
enum Sender {
    Address(PyAddress),
    Text(String),
}

#[pymethods]
impl PySenderPolicy {
    #[new]
    #[pyo3(signature = (domains = Vec::new(), addresses = Vec::new()))]
    fn new(py: Python<'_>, domains: Vec<String>, addresses: Vec<String>) -> PyResult<Self> {
        let inner = SenderPolicy::new(&domains, &addresses).py(py)?;
        Ok(PySenderPolicy {
            inner,
            domains,
            addresses,
        })
    }

    /// The registered domains, as given.
    #[getter]
    fn domains(&self) -> Vec<String> {
        self.domains.clone()
    }

    /// The registered addresses, as given.
    #[getter]
    fn addresses(&self) -> Vec<String> {
        self.addresses.clone()
    }

    /// Returns `None` when `sender` is registered; raises `SenderNotRegistered` otherwise.
    fn check(&self, py: Python<'_>, sender: Sender) -> PyResult<()> {
        let address = match sender {
            Sender::Address(a) => a.to_core(),
            Sender::Text(t) => Address::parse(&t, &AddressOptions::default()).py(py)?,
        };
        self.inner.check(&address).py(py)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "SenderPolicy(domains={}, addresses={})",
            repr(py, &self.domains),
            repr(py, &self.addresses)
        )
    }
}
