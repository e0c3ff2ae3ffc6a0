//! The SMTP options in C: an opaque `e365_smtp_options` handle made by
//! `e365_smtp_options_new` and changed by one setter per option (the way libcurl and
//! rustls-ffi grow without breaking the ABI: a new option is a new function), over the
//! core's `SmtpOptions`. Also the transcript callback (`e365_smtp_options_set_log`).

use crate::ffi::{fallible, free_box, maker};
use crate::policy::e365_sender_policy;
use crate::{e365_error, e365_result, text};
use email365::names::{self, WireName};
use email365::smtp::{engine::check_ehlo_name, AuthMechanism, Direction, SmtpOptions, TlsMode};
use email365::{Error, ErrorKind};
use std::ffi::{c_char, c_void};
use std::sync::Arc;
use std::time::Duration;

/// How the connection is protected.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum e365_tls_mode {
    /// Plain connect, then STARTTLS, which must succeed (the default; ports 25, 587).
    E365_TLS_STARTTLS = 0,
    /// TLS from the first byte (port 465).
    E365_TLS_IMPLICIT = 1,
    /// No TLS at all, for tests against a local server only: AUTH is never sent.
    E365_TLS_INSECURE_PLAINTEXT = 2,
}

/// The AUTH mechanism.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum e365_auth_mechanism {
    /// AUTH PLAIN (the default).
    E365_AUTH_PLAIN = 0,
    /// AUTH LOGIN.
    E365_AUTH_LOGIN = 1,
}

/// The step a time limit applies to (`e365_smtp_options_set_timeout_ms`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum e365_timeout_step {
    /// TCP connect, per resolved address (default 30 s).
    E365_TIMEOUT_STEP_CONNECT = 0,
    /// The server's greeting and the TLS handshake (default 60 s).
    E365_TIMEOUT_STEP_GREETING = 1,
    /// The reply to each command (default 300 s).
    E365_TIMEOUT_STEP_COMMAND = 2,
    /// Writing the message data (default 180 s).
    E365_TIMEOUT_STEP_DATA_WRITE = 3,
    /// The final reply after the message data (default 600 s).
    E365_TIMEOUT_STEP_DATA_END = 4,
}

/// Which way a transcript line went (the `direction` of an `e365_log_callback`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum e365_log_direction {
    /// A command the client sent.
    E365_LOG_SENT = 0,
    /// A reply line the server sent.
    E365_LOG_RECEIVED = 1,
}

/// Receives one protocol line: `direction` is an `e365_log_direction`, `line` points at
/// `len` bytes of UTF-8 (NUL-terminated, not counted in `len`, without the CRLF; a line
/// from the server may hold control bytes, a NUL included, exactly as received, bytes
/// that are not UTF-8 replaced by U+FFFD: escape them before writing to a terminal). The
/// line is valid only during the call. Credentials never reach it: AUTH lines come as
/// `AUTH PLAIN <redacted>` / `<redacted>`, message data as `<message data: N octets>`.
///
/// It is called on the thread that sends, after each exchange; with a pool, from several
/// threads at once. It must return normally (no `longjmp`, no C++ exception) and must
/// not call the client or pool that calls it.
pub type e365_log_callback = Option<
    unsafe extern "C" fn(userdata: *mut c_void, direction: u32, line: *const c_char, len: usize),
>;

/// Where and how to connect (opaque): made by `e365_smtp_options_new`, changed by the
/// `e365_smtp_options_set_*` functions, read (copied) by `e365_smtp_client_connect` and
/// `e365_smtp_pool_new`, freed by `e365_smtp_options_free`. One options object may make
/// several clients; changing it later does not change them.
///
/// One thread at a time may change it; reading it (connect, pool_new) from several
/// threads at once is fine.
pub struct e365_smtp_options {
    inner: SmtpOptions,
    max_connections: usize,
}

impl e365_smtp_options {
    /// The core options inside.
    pub(crate) fn core(&self) -> &SmtpOptions {
        &self.inner
    }

    /// The pool size (`e365_smtp_options_set_max_connections`).
    pub(crate) fn max_connections(&self) -> usize {
        self.max_connections
    }
}

/// The C callback and its user data, called from whichever thread sends.
struct LogSink {
    callback: unsafe extern "C" fn(*mut c_void, u32, *const c_char, usize),
    userdata: *mut c_void,
}

// The caller promises (documented at `e365_smtp_options_set_log`) that the callback may
// be called from any thread with this user data.
unsafe impl Send for LogSink {}
unsafe impl Sync for LogSink {}

impl LogSink {
    fn call(&self, direction: Direction, line: &str) {
        let direction = match direction {
            Direction::Sent => e365_log_direction::E365_LOG_SENT,
            Direction::Received => e365_log_direction::E365_LOG_RECEIVED,
        };
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(0);
        unsafe {
            (self.callback)(
                self.userdata,
                direction as u32,
                bytes.as_ptr().cast(),
                line.len(),
            )
        };
    }
}

fn invalid(reason: &'static str, message: String) -> Error {
    Error::new(ErrorKind::InvalidArgument, message).with_reason(reason)
}

/// `value` (the option `name`) when it is at least 1; 0 is refused with `reason`.
fn at_least_one(value: usize, name: &str, reason: &'static str) -> Result<usize, Error> {
    if value == 0 {
        return Err(invalid(reason, format!("{name} 0: give at least 1")));
    }
    Ok(value)
}

// `e365_tls_mode` and `e365_auth_mechanism` number the core's names in order
// (`email365::names`; a test checks it), so the core reads them: an unknown number is
// `unknown_tls_mode` / `unknown_auth_mechanism`.

maker! {
    /// Makes options for `host` (a host name or an IP address, `host_len` bytes) with every
    /// default: port 25 (the service's), STARTTLS required, the system's trusted roots, no
    /// AUTH, PIPELINING and CHUNKING when offered, a window of 48 transactions, the time
    /// limits of RFC 5321, no sender policy, no transcript, one connection for a pool. On
    /// success `*out` receives them; free them with `e365_smtp_options_free`. The host is
    /// copied.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`host` or `out` NULL, `host` not UTF-8).
    ///
    /// # Safety
    /// `host` is NULL or valid for reading `host_len` bytes; `out` and `err_out` are NULL or
    /// valid for writing.
    fn e365_smtp_options_new(host: *const c_char, host_len: usize) -> new_boxed e365_smtp_options {
        let host = unsafe { text(host, host_len, "host")? };
        e365_smtp_options {
            inner: SmtpOptions::new(host),
            max_connections: 1,
        }
    }
}

/// Frees options; NULL is ignored. Clients and pools made from them keep their copy.
///
/// # Safety
/// `options` is NULL or options from this library that were not freed yet.
#[no_mangle]
pub unsafe extern "C" fn e365_smtp_options_free(options: *mut e365_smtp_options) {
    unsafe { free_box(options) }
}

fallible! {
    /// Sets the port (default 25; 587 is the other STARTTLS port, 465 goes with
    /// `E365_TLS_IMPLICIT`).
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`options` NULL; reason `invalid_port` for 0 or more
    /// than 65535). On failure the options are unchanged (as for every setter).
    ///
    /// # Safety
    /// `options` is NULL or live options; `err_out` is NULL or valid for writing.
    fn e365_smtp_options_set_port(options: *mut e365_smtp_options, port: u32) changes |o| {
        o.inner.port = names::port("port", port)?;
        Ok(())
    }
}

fallible! {
    /// Sets how the connection is protected: an `e365_tls_mode` value (default
    /// `E365_TLS_STARTTLS`, required).
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`options` NULL; reason `unknown_tls_mode` for a
    /// number that is no `e365_tls_mode`).
    ///
    /// # Safety
    /// `options` is NULL or live options; `err_out` is NULL or valid for writing.
    fn e365_smtp_options_set_tls_mode(options: *mut e365_smtp_options, mode: u32) changes |o| {
        o.inner.tls = TlsMode::from_index(mode)?;
        Ok(())
    }
}

fallible! {
    /// Sets the name checked against the server's certificate (default: the host).
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`options` or `name` NULL, `name` not UTF-8).
    ///
    /// # Safety
    /// `options` is NULL or live options; `name` is NULL or valid for reading `len` bytes;
    /// `err_out` is NULL or valid for writing.
    fn e365_smtp_options_set_server_name(
        options: *mut e365_smtp_options,
        name: *const c_char,
        len: usize,
    ) changes |o| {
        o.inner.server_name = Some(text(name, len, "name")?.to_string());
        Ok(())
    }
}

fallible! {
    /// Sets the AUTH user name and password (default: no AUTH). AUTH is only ever sent over
    /// TLS; the password is kept in memory that is wiped when the last client using it is
    /// freed, and never appears in an error, a transcript line or a debug print.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`options`, `username` or `password` NULL, either not
    /// UTF-8).
    ///
    /// # Safety
    /// `options` is NULL or live options; `username` and `password` are NULL or valid for
    /// reading their lengths; `err_out` is NULL or valid for writing.
    fn e365_smtp_options_set_credentials(
        options: *mut e365_smtp_options,
        username: *const c_char,
        username_len: usize,
        password: *const c_char,
        password_len: usize,
    ) changes |o| {
        let username = text(username, username_len, "username")?;
        let password = text(password, password_len, "password")?;
        o.inner = o.inner.clone().credentials(username, password);
        Ok(())
    }
}

fallible! {
    /// Sets the preferred AUTH mechanism: an `e365_auth_mechanism` value (default
    /// `E365_AUTH_PLAIN`; the other one is used when the server offers only that).
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`options` NULL; reason `unknown_auth_mechanism`).
    ///
    /// # Safety
    /// `options` is NULL or live options; `err_out` is NULL or valid for writing.
    fn e365_smtp_options_set_auth_mechanism(
        options: *mut e365_smtp_options,
        mechanism: u32,
    ) changes |o| {
        o.inner.auth_mechanism = AuthMechanism::from_index(mechanism)?;
        Ok(())
    }
}

fallible! {
    /// Trusts the CA certificates of a PEM file (`path`, `len` bytes) besides the system's
    /// roots. The file is read now; its certificates are checked by
    /// `e365_smtp_client_connect` and `e365_smtp_pool_new`.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`options` or `path` NULL, `path` not UTF-8; reason
    /// `ca_file` for a file that cannot be read).
    ///
    /// # Safety
    /// `options` is NULL or live options; `path` is NULL or valid for reading `len` bytes;
    /// `err_out` is NULL or valid for writing.
    fn e365_smtp_options_set_ca_file(
        options: *mut e365_smtp_options,
        path: *const c_char,
        len: usize,
    ) changes |o| {
        let path = text(path, len, "path")?;
        o.inner = o.inner.clone().ca_file(path)?;
        Ok(())
    }
}

fallible! {
    /// Whether the system's root certificates are trusted (default true); false trusts only
    /// the file of `e365_smtp_options_set_ca_file`.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`options` NULL).
    ///
    /// # Safety
    /// `options` is NULL or live options; `err_out` is NULL or valid for writing.
    fn e365_smtp_options_set_system_roots(
        options: *mut e365_smtp_options,
        trusted: bool,
    ) changes |o| {
        o.inner.trust.system_roots = trusted;
        Ok(())
    }
}

fallible! {
    /// Sets the EHLO name (default: the local address as an address literal), checked now
    /// by the core.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`options` or `name` NULL, not UTF-8; reason
    /// `command_injection` for an empty name or one with spaces or control bytes).
    ///
    /// # Safety
    /// `options` is NULL or live options; `name` is NULL or valid for reading `len` bytes;
    /// `err_out` is NULL or valid for writing.
    fn e365_smtp_options_set_ehlo_name(
        options: *mut e365_smtp_options,
        name: *const c_char,
        len: usize,
    ) changes |o| {
        let name = text(name, len, "name")?;
        check_ehlo_name(name)?;
        o.inner.ehlo_name = Some(name.to_string());
        Ok(())
    }
}

fallible! {
    /// Whether PIPELINING is used when the server offers it (default true).
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`options` NULL).
    ///
    /// # Safety
    /// `options` is NULL or live options; `err_out` is NULL or valid for writing.
    fn e365_smtp_options_set_pipelining(
        options: *mut e365_smtp_options,
        enabled: bool,
    ) changes |o| {
        o.inner.pipelining = enabled;
        Ok(())
    }
}

fallible! {
    /// Whether BDAT (RFC 3030 CHUNKING) replaces DATA when the server offers it (default
    /// true).
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`options` NULL).
    ///
    /// # Safety
    /// `options` is NULL or live options; `err_out` is NULL or valid for writing.
    fn e365_smtp_options_set_chunking(options: *mut e365_smtp_options, enabled: bool) changes |o| {
        o.inner.chunking = enabled;
        Ok(())
    }
}

fallible! {
    /// How many whole transactions `send_many` keeps in flight on one connection (default
    /// 16).
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`options` NULL; reason `invalid_window` for 0).
    ///
    /// # Safety
    /// `options` is NULL or live options; `err_out` is NULL or valid for writing.
    fn e365_smtp_options_set_window(options: *mut e365_smtp_options, window: usize) changes |o| {
        o.inner.window = at_least_one(window, "window", "invalid_window")?;
        Ok(())
    }
}

fallible! {
    /// Sets the time limit of one step (an `e365_timeout_step`) in milliseconds.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`options` NULL; reason `invalid_timeout_step` for a
    /// number that is no `e365_timeout_step`, `invalid_timeout` for 0 ms).
    ///
    /// # Safety
    /// `options` is NULL or live options; `err_out` is NULL or valid for writing.
    fn e365_smtp_options_set_timeout_ms(
        options: *mut e365_smtp_options,
        step: u32,
        ms: u64,
    ) changes |o| {
        let t = &mut o.inner.timeouts;
        let field = match step {
            0 => &mut t.connect,
            1 => &mut t.greeting,
            2 => &mut t.command,
            3 => &mut t.data_write,
            4 => &mut t.data_end,
            other => {
                return Err(invalid(
                    "invalid_timeout_step",
                    format!("timeout step {other} is no e365_timeout_step"),
                ))
            }
        };
        if ms == 0 {
            return Err(invalid(
                "invalid_timeout",
                "a time limit of 0 ms: give at least 1".into(),
            ));
        }
        *field = Duration::from_millis(ms);
        Ok(())
    }
}

fallible! {
    /// Sets the registered senders (a copy of `policy`): a message whose MAIL FROM is
    /// outside it (or `<>`) is refused with `E365_SENDER_NOT_REGISTERED` before anything is
    /// sent. NULL removes the policy (the default).
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`options` NULL).
    ///
    /// # Safety
    /// `options` is NULL or live options; `policy` is NULL or a live policy; `err_out` is
    /// NULL or valid for writing.
    fn e365_smtp_options_set_sender_policy(
        options: *mut e365_smtp_options,
        policy: *const e365_sender_policy,
    ) changes |o| {
        o.inner.sender_policy = policy.as_ref().map(|p| p.core().clone());
        Ok(())
    }
}

fallible! {
    /// How many connections a pool made from these options opens at most (default 1;
    /// clients ignore it).
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`options` NULL; reason `invalid_max_connections`
    /// for 0).
    ///
    /// # Safety
    /// `options` is NULL or live options; `err_out` is NULL or valid for writing.
    fn e365_smtp_options_set_max_connections(
        options: *mut e365_smtp_options,
        max: usize,
    ) changes |o| {
        o.max_connections = at_least_one(max, "max_connections", "invalid_max_connections")?;
        Ok(())
    }
}

fallible! {
    /// Sets the transcript callback: every command sent and every reply line received is
    /// passed to `callback` with `userdata` (see `e365_log_callback`: credentials redacted,
    /// message data summarised). NULL `callback` removes it (the default).
    ///
    /// The caller keeps `userdata` alive, and safe to use from the threads that send, as
    /// long as a client or pool made from these options lives.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`options` NULL).
    ///
    /// # Safety
    /// `options` is NULL or live options; `callback` is NULL or a function that may be
    /// called from any sending thread with `userdata`; `err_out` is NULL or valid for
    /// writing.
    fn e365_smtp_options_set_log(
        options: *mut e365_smtp_options,
        callback: e365_log_callback,
        userdata: *mut c_void,
    ) changes |o| {
        o.inner.transcript = callback.map(|callback| {
            let sink = LogSink { callback, userdata };
            Arc::new(move |d: Direction, line: &str| sink.call(d, line)) as _
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::*;
    use std::ptr::{null, null_mut};

    fn new(host: &str) -> *mut e365_smtp_options {
        let mut o = null_mut();
        let rc =
            unsafe { e365_smtp_options_new(host.as_ptr().cast(), host.len(), &mut o, null_mut()) };
        assert_eq!(rc, e365_result::E365_OK);
        o
    }

    fn reason(err: *mut e365_error) -> String {
        let r = crate::testing::reason(err);
        unsafe { e365_error_free(err) };
        r
    }

    #[test]
    fn new_options_use_the_service_port_and_starttls() {
        let o = new("smtp.example.net");
        let core = unsafe { &*o }.core();
        assert_eq!(core.port, 25);
        assert_eq!(core.tls, TlsMode::StartTls);
        assert_eq!(unsafe { &*o }.max_connections(), 1);
        unsafe { e365_smtp_options_free(o) };
        unsafe { e365_smtp_options_free(null_mut()) };
    }

    unsafe extern "C" fn collect(
        userdata: *mut c_void,
        direction: u32,
        line: *const c_char,
        len: usize,
    ) {
        let seen = unsafe { &mut *userdata.cast::<Vec<(u32, Vec<u8>)>>() };
        let bytes = unsafe { std::slice::from_raw_parts(line.cast::<u8>(), len + 1) };
        assert_eq!(bytes[len], 0, "the line is NUL-terminated");
        seen.push((direction, bytes[..len].to_vec()));
    }

    #[test]
    fn the_log_callback_gets_each_line_as_the_core_gives_it() {
        let o = new("127.0.0.1");
        let mut seen: Vec<(u32, Vec<u8>)> = Vec::new();
        unsafe {
            let userdata = (&mut seen as *mut Vec<(u32, Vec<u8>)>).cast();
            assert_eq!(
                e365_smtp_options_set_log(o, Some(collect), userdata, null_mut()),
                e365_result::E365_OK
            );
            let hook = (*o).core().transcript.clone().expect("a hook");
            hook(Direction::Sent, "MAIL FROM:<a@example.com>");
            // A reply line with a NUL and an escape byte: passed as received, length kept.
            hook(Direction::Received, "250 a\0b\x1b[2J");
            assert_eq!(
                e365_smtp_options_set_log(o, None, null_mut(), null_mut()),
                e365_result::E365_OK
            );
            assert!((*o).core().transcript.is_none());
            e365_smtp_options_free(o);
        }
        assert_eq!(
            seen,
            vec![
                (0, b"MAIL FROM:<a@example.com>".to_vec()),
                (1, b"250 a\0b\x1b[2J".to_vec()),
            ]
        );
    }

    #[test]
    fn bad_values_are_refused_and_leave_the_options_unchanged() {
        let o = new("127.0.0.1");
        let mut err = null_mut();
        unsafe {
            for port in [0, 65536, u32::MAX] {
                assert_eq!(
                    e365_smtp_options_set_port(o, port, &mut err),
                    e365_result::E365_INVALID_ARGUMENT
                );
                assert_eq!(reason(err), "invalid_port");
            }
            assert_eq!((*o).core().port, 25);
            assert_eq!(
                e365_smtp_options_set_tls_mode(o, 9, &mut err),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert_eq!(reason(err), "unknown_tls_mode");
            assert_eq!(
                e365_smtp_options_set_auth_mechanism(o, 2, &mut err),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert_eq!(reason(err), "unknown_auth_mechanism");
            assert_eq!(
                e365_smtp_options_set_timeout_ms(o, 5, 10, &mut err),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert_eq!(reason(err), "invalid_timeout_step");
            assert_eq!(
                e365_smtp_options_set_timeout_ms(o, 2, 0, &mut err),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert_eq!(reason(err), "invalid_timeout");
            assert_eq!(
                e365_smtp_options_set_port(null_mut(), 25, &mut err),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert_eq!(reason(err), "null_argument");
            assert_eq!(
                e365_smtp_options_set_credentials(o, null(), 0, null(), 0, null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert!((*o).core().credentials.is_none());
            assert_eq!(
                e365_smtp_options_set_timeout_ms(o, 2, 1500, null_mut()),
                e365_result::E365_OK
            );
            assert_eq!((*o).core().timeouts.command, Duration::from_millis(1500));
            e365_smtp_options_free(o);
        }
    }

    #[test]
    fn the_c_enums_number_the_core_names_in_order() {
        let tls = [
            (e365_tls_mode::E365_TLS_STARTTLS, TlsMode::StartTls),
            (e365_tls_mode::E365_TLS_IMPLICIT, TlsMode::Implicit),
            (
                e365_tls_mode::E365_TLS_INSECURE_PLAINTEXT,
                TlsMode::InsecurePlaintext,
            ),
        ];
        assert_eq!(tls.len(), TlsMode::NAMES.len());
        for (c, core) in tls {
            assert_eq!(TlsMode::from_index(c as u32).unwrap(), core);
        }
        let auth = [
            (e365_auth_mechanism::E365_AUTH_PLAIN, AuthMechanism::Plain),
            (e365_auth_mechanism::E365_AUTH_LOGIN, AuthMechanism::Login),
        ];
        assert_eq!(auth.len(), AuthMechanism::NAMES.len());
        for (c, core) in auth {
            assert_eq!(AuthMechanism::from_index(c as u32).unwrap(), core);
        }
    }
}
