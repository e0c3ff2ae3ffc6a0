//! The `send` and `status` commands, once for every binding.
//!
//! Each binding's command (`cargo run --example send`, `python -m email365 send`, the
//! `email365` console script, `bindings-c/build/e365-send` and `e365-status`) hands its
//! arguments to `run`, and the npm package's `email365` bin to [`run_host`], so the
//! flags, the JSON printed and the exit codes are the same everywhere by construction. The commands are what users reach for to test an account,
//! and what the tests use to drive every binding the same way.
//!
//! ```text
//! send --host H [--port 25] [--tls starttls|implicit] [--ca FILE]
//!      [--username U --password-env VAR] --from A --to B [--to C …]
//!      (--eml FILE | --subject S --text T [--html H] [--attach FILE]…)
//!      [--timeout SECONDS] [--repeat N]
//! status --account ID --username U --password-env VAR [--region R | --base-url URL]
//!      [--ca FILE] --id NOTIFICATION_ID [--recipient ADDR] [--wait SECONDS]
//!      [--timeout SECONDS]
//! ```
//!
//! The last line of stdout is one JSON object: `{"ok": …}` or `{"error": {kind, reason,
//! message, transient, reply, replies}}` (`docs/CLI.md` has the shapes). Exit codes:
//! [`EXIT_OK`] when every message was accepted for at least one recipient (or the status
//! was read), [`EXIT_FAILED`] when sending or the status request failed, [`EXIT_USAGE`] for
//! bad arguments. Nothing is retried on its own, and no credential is ever printed: the
//! password is read from the environment variable named by `--password-env`.
//!
//! Feature `command` (no sockets, TLS library or HTTP client) holds all of it but the
//! native clients: a binding without them (the Node module) runs the same commands with
//! [`run_host`], giving the session its I/O and making the status requests through an
//! [`AsyncCommandHost`]. Feature `cli` adds `run` and its neighbours over the blocking
//! clients.

mod args;
mod host;
mod json;
mod send;
mod status;

pub use host::{file_error_text, AsyncCommandHost, CommandHost, HttpGet, HttpGot, StdHost};

use crate::{Error, ErrorKind};
use std::io::Write;

/// Exit code: done (every message accepted for at least one recipient; status read).
pub const EXIT_OK: u8 = 0;
/// Exit code: sending, or the status request, failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit code: the arguments are wrong (nothing was sent).
pub const EXIT_USAGE: u8 = 2;

/// Runs `send …` or `status …` (`args` without the program name, the command first) and
/// writes its JSON lines to `out`. Returns the process exit code.
#[cfg(feature = "cli")]
pub fn run<I, S>(args: I, out: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString>,
{
    let mut args = args.into_iter().map(Into::into);
    match args.next().as_ref().and_then(|c| c.to_str()) {
        Some("send") => send::main(args.collect(), out),
        Some("status") => status::main(args.collect(), out),
        #[cfg(feature = "sandbox")]
        Some("sandbox") => email365_sandbox::cli::run("email365 sandbox", false, args, out),
        other => not_a_command(other, out),
    }
}

/// Runs `send …` or `status …` as [`run`] does, over `host`: its files and environment,
/// its I/O under the core's SMTP session, its GET under the core's status poller. The
/// flags, the JSON lines and the exit codes are [`run`]'s.
pub async fn run_host<H, I, S>(host: &H, args: I, out: &mut dyn Write) -> u8
where
    H: AsyncCommandHost,
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString>,
{
    let mut args = args.into_iter().map(Into::into);
    match args.next().as_ref().and_then(|c| c.to_str()) {
        Some("send") => send::main_host(host, args.collect(), out).await,
        Some("status") => status::main_host(host, args.collect(), out).await,
        other => not_a_command(other, out),
    }
}

/// Runs `send` with its flags (no command word first): the Rust `send` example.
#[cfg(feature = "cli")]
pub fn run_send<I, S>(args: I, out: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString>,
{
    send::main(args.into_iter().map(Into::into).collect(), out)
}

/// Runs `send` with its flags (no command word first) over the tokio client
/// (`AsyncSmtpClient`, feature `tokio`): the Rust `async_send` example. Flags, JSON
/// lines and exit codes are those of [`run_send`].
#[cfg(feature = "tokio")]
pub async fn run_send_async<I, S>(args: I, out: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString>,
{
    send::main_async(args.into_iter().map(Into::into).collect(), out).await
}

/// Runs `status` with its flags (no command word first).
#[cfg(feature = "cli")]
pub fn run_status<I, S>(args: I, out: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString>,
{
    status::main(args.into_iter().map(Into::into).collect(), out)
}

/// What [`run`] and [`run_host`] do with a first word that is not a command they run:
/// the usage for `--help`, a usage error for nothing or an unknown word.
fn not_a_command(word: Option<&str>, out: &mut dyn Write) -> u8 {
    match word {
        Some("--help") | Some("-h") => {
            let _ = writeln!(out, "{}", USAGE.trim_end());
            EXIT_OK
        }
        None => finish(out, Err(usage("a command is required: send or status"))),
        Some(other) => finish(
            out,
            Err(usage(format!("unknown command {other:?}: send or status"))),
        ),
    }
}

/// The usage text printed for `--help` or no command.
pub const USAGE: &str = "\
usage: email365 send --host H [--port 25] [--tls starttls|implicit] [--ca FILE]
                     [--username U --password-env VAR] --from A --to B [--to C ...]
                     (--eml FILE | --subject S --text T [--html H] [--attach FILE]...)
                     [--timeout SECONDS] [--repeat N]
       email365 status --account ID --username U --password-env VAR
                     [--region R | --base-url URL] [--ca FILE] --id NOTIFICATION_ID
                     [--recipient ADDR] [--wait SECONDS] [--timeout SECONDS]
       email365 sandbox [--json] [--help]   (where shipped: docs/SANDBOX.md)
";

/// A bad command line: kind `invalid_argument`, reason `usage`.
fn usage(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidArgument, message).with_reason("usage")
}

/// Prints the error line of a failed command and gives its exit code.
fn finish(out: &mut dyn Write, result: Result<u8, Error>) -> u8 {
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(out, "{}", json::error(&e));
            if e.reason() == Some("usage") {
                EXIT_USAGE
            } else {
                EXIT_FAILED
            }
        }
    }
}

#[cfg(all(test, feature = "cli"))]
mod tests;
