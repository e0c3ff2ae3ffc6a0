//! The `email365-sandbox` binary: the sandbox's command line (`email365_sandbox::cli`),
//! always printing its start information as one JSON line.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = std::env::args_os().skip(1);
    let mut out = std::io::stdout().lock();
    ExitCode::from(email365_sandbox::cli::run(
        "email365-sandbox",
        true,
        args,
        &mut out,
    ))
}
