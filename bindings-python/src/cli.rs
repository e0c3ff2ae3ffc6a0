//! `cli_main`: the core's `send` and `status` commands (`email365::cli`) for
//! `python -m email365` and the `email365` console script. The GIL is released while the
//! command runs; its JSON lines go to the process's standard output.

use pyo3::prelude::*;

/// Runs `send …` or `status …` (the arguments after the program name) and returns the
/// exit code: 0 done, 1 failed, 2 bad arguments.
#[pyfunction]
pub(crate) fn cli_main(py: Python<'_>, args: Vec<String>) -> u8 {
    py.detach(|| {
        let mut out = std::io::stdout().lock();
        email365::cli::run(args, &mut out)
    })
}
