//! The `send` command over the tokio client (`AsyncSmtpClient`): the same flags, JSON
//! lines and exit codes as the `send` example (`email365::cli`, docs/CLI.md), on a
//! single-threaded tokio runtime.
//!
//! ```text
//! cargo run -q -p email365 --example async_send --features cli,tokio -- --host H …
//! ```

use std::process::ExitCode;

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("async_send: cannot start the tokio runtime: {e}");
            return ExitCode::from(email365::cli::EXIT_FAILED);
        }
    };
    let mut stdout = std::io::stdout();
    let code = runtime.block_on(email365::cli::run_send_async(
        std::env::args_os().skip(1),
        &mut stdout,
    ));
    ExitCode::from(code)
}
