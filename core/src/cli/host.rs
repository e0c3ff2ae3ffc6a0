//! What the commands ask of the program that runs them: a file's bytes and an
//! environment variable ([`CommandHost`]: the flags `--eml`, `--attach`, `--ca` and
//! `--password-env`), and, for a binding without the native clients, the SMTP I/O, a
//! clock, a timer and one HTTP GET ([`AsyncCommandHost`]: the Node module). The rules
//! (flags, checks, messages, the session, the status wait loop, the JSON lines and the
//! exit codes) stay in the commands; a host only moves bytes.

use crate::smtp::session::SmtpIo;
use crate::smtp::SmtpOptions;
use crate::status::FetchFailure;
use std::time::Duration;

/// Files and environment variables, as the commands read them.
pub trait CommandHost {
    /// The bytes of the file at `path`, or why it cannot be read (the text ends the
    /// error message: `cannot read PATH: TEXT`).
    fn read_file(&self, path: &str) -> Result<Vec<u8>, String>;

    /// The value of the environment variable `name`, if it is set (and is text).
    fn env_var(&self, name: &str) -> Option<String>;
}

/// The text a native command gives for a file it cannot read, for a host that reports the
/// failure by its POSIX error name and number (Node's `err.code` and `err.errno`):
/// `"No such file or directory (os error 2)"`, as Rust's `std::io::Error` writes it, so
/// that every binding prints the same line. `None` for a name outside the usual file
/// errors (the host's own text is used then).
pub fn file_error_text(code: &str, errno: i32) -> Option<String> {
    let text = match code {
        "ENOENT" => "No such file or directory",
        "EACCES" => "Permission denied",
        "EPERM" => "Operation not permitted",
        "EISDIR" => "Is a directory",
        "ENOTDIR" => "Not a directory",
        "ELOOP" => "Too many levels of symbolic links",
        "ENAMETOOLONG" => "File name too long",
        _ => return None,
    };
    Some(format!("{text} (os error {})", errno.unsigned_abs()))
}

/// The process's own files and environment (`std::fs`, `std::env`): the native commands.
#[derive(Debug, Clone, Copy, Default)]
pub struct StdHost;

impl CommandHost for StdHost {
    fn read_file(&self, path: &str) -> Result<Vec<u8>, String> {
        std::fs::read(path).map_err(|e| e.to_string())
    }

    fn env_var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

/// One status request for [`AsyncCommandHost::get`]. `authorization` is the value of the
/// `Authorization` header (a credential: never to be logged or echoed).
pub struct HttpGet<'a> {
    /// The URL (http or https).
    pub url: &'a str,
    /// The `Authorization` header's value.
    pub authorization: &'a str,
    /// The `Accept` header's value.
    pub accept: &'a str,
    /// The longest the whole request (connect, headers, body) may take.
    pub timeout: Duration,
    /// The largest body accepted (a larger one is [`FetchFailure::BodyTooLarge`]).
    pub max_body: u64,
    /// Extra trusted CA certificates (PEM, from `--ca`), beside the host's own roots.
    pub extra_ca_pem: Option<&'a [u8]>,
}

/// An HTTP answer: the status, the `Retry-After` header and the body.
pub struct HttpGot {
    /// The HTTP status.
    pub status: u16,
    /// The `Retry-After` header, if any.
    pub retry_after: Option<String>,
    /// The body as received.
    pub body: Vec<u8>,
}

/// A host that runs the commands without the native clients: it gives the SMTP
/// session its I/O and does the status API's HTTP requests; the commands drive the
/// core's [`Session`](crate::smtp::session::Session) and
/// [`Poller`](crate::status::Poller) over them.
#[allow(async_fn_in_trait)]
pub trait AsyncCommandHost: CommandHost {
    /// The SMTP I/O of the session.
    type Io: SmtpIo;

    /// The I/O for a session with `options` (their extra CA, `options.trust`, goes to
    /// the host's TLS).
    fn smtp_io(&self, options: &SmtpOptions) -> Self::Io;

    /// A monotonic clock since an arbitrary origin.
    fn now(&self) -> Duration;

    /// The wall-clock time since the Unix epoch (to read an HTTP-date Retry-After).
    fn since_epoch(&self) -> Duration;

    /// Waits `duration`.
    async fn sleep(&self, duration: Duration);

    /// Makes one GET, following no redirect; the answer, or the failure without one and
    /// what the HTTP layer said of it.
    async fn get(&self, request: &HttpGet<'_>) -> Result<HttpGot, (FetchFailure, String)>;
}

#[cfg(test)]
mod tests {
    use super::file_error_text;

    /// A host's file error reads as the native command's (Linux error numbers).
    #[cfg(target_os = "linux")]
    #[test]
    fn file_errors_are_worded_as_std_io_words_them() {
        for (code, errno) in [
            ("ENOENT", 2),
            ("EACCES", 13),
            ("EPERM", 1),
            ("EISDIR", 21),
            ("ENOTDIR", 20),
            ("ELOOP", 40),
            ("ENAMETOOLONG", 36),
        ] {
            let native = std::io::Error::from_raw_os_error(errno).to_string();
            assert_eq!(
                file_error_text(code, -errno).as_deref(),
                Some(native.as_str())
            );
        }
        assert_eq!(file_error_text("EIO", 5), None);
    }
}
