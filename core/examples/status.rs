//! The `status` command of every binding, from Rust: its flags, JSON and exit codes are
//! `email365::cli`'s (docs/CLI.md).
//!
//! ```text
//! cargo run -q -p email365 --example status --features cli -- --account ID --id N …
//! ```

use std::process::ExitCode;

fn main() -> ExitCode {
    let code = email365::cli::run_status(std::env::args_os().skip(1), &mut std::io::stdout());
    ExitCode::from(code)
}
