//! The native SMTP client in C: `e365_smtp_client_*` over the core's blocking
//! transport (`email365::smtp::SmtpClient`: STARTTLS required by default, AUTH, SIZE,
//! PIPELINING, per-recipient results, timeouts on every step).

use crate::message::{e365_message, MessageBox};
use crate::{
    e365_error, e365_result, e365_str, ffi_boundary, items, str_opt_text, str_text, try_out,
    try_ref, Owned, Strings,
};
use email365::message::Envelope;
use email365::names::{self, WireName};
use email365::reply::Reply;
use email365::smtp::{AuthMechanism, Delivery, SmtpClient, SmtpOptions, TlsMode};
use email365::Error;
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

/// Where and how to connect. Zero-initialise it (`e365_smtp_options o = {0};` or
/// `memset`) and set what you need: every zero field means the default. The strings are
/// copied by `e365_smtp_client_connect`: they need only live for the call.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e365_smtp_options {
    /// Host name or IP address (required).
    pub host: e365_str,
    /// Port (required): 25 or 587 with STARTTLS, 465 with `E365_TLS_IMPLICIT`.
    pub port: u16,
    /// An `e365_tls_mode` value (`E365_TLS_STARTTLS` by default).
    pub tls: u32,
    /// The name checked against the server's certificate (default: `host`).
    pub server_name: e365_str,
    /// The AUTH user name; `{NULL, 0}` for no AUTH. AUTH is only ever sent over TLS.
    pub username: e365_str,
    /// The AUTH password (required with `username`). Never appears in an error.
    pub password: e365_str,
    /// An `e365_auth_mechanism` value (`E365_AUTH_PLAIN` by default).
    pub auth_mechanism: u32,
    /// A PEM file of extra trusted CA certificates (a path), or `{NULL, 0}`.
    pub ca_file: e365_str,
    /// Do not trust the system's root certificates (only `ca_file`).
    pub no_system_roots: bool,
    /// The EHLO name (default: the local address as an address literal).
    pub ehlo_name: e365_str,
    /// Do not use PIPELINING even when the server offers it.
    pub no_pipelining: bool,
    /// TCP connect time limit in milliseconds (0 = 30 s).
    pub connect_timeout_ms: u32,
    /// Greeting and TLS handshake time limit in milliseconds (0 = 60 s).
    pub greeting_timeout_ms: u32,
    /// Time limit of each command's reply in milliseconds (0 = 300 s).
    pub command_timeout_ms: u32,
    /// Time limit of writing the message data in milliseconds (0 = 180 s).
    pub data_timeout_ms: u32,
    /// Time limit of the final reply after the data in milliseconds (0 = 600 s).
    pub data_end_timeout_ms: u32,
}

fn core_options(o: &e365_smtp_options) -> Result<SmtpOptions, Error> {
    let host = unsafe { str_text(o.host, "options->host")? };
    let mut options = SmtpOptions::new(host, names::port("options->port", o.port)?);
    // The C enums number the core's names in order (a test checks it).
    options.tls = TlsMode::from_index(o.tls)?;
    options.auth_mechanism = AuthMechanism::from_index(o.auth_mechanism)?;
    options.server_name =
        unsafe { str_opt_text(o.server_name, "options->server_name")? }.map(str::to_string);
    if let Some(user) = unsafe { str_opt_text(o.username, "options->username")? } {
        let password = unsafe { str_text(o.password, "options->password")? };
        options = options.credentials(user, password);
    }
    if let Some(path) = unsafe { str_opt_text(o.ca_file, "options->ca_file")? } {
        options = options.ca_file(path)?;
    }
    options.trust.system_roots = !o.no_system_roots;
    options.ehlo_name =
        unsafe { str_opt_text(o.ehlo_name, "options->ehlo_name")? }.map(str::to_string);
    options.pipelining = !o.no_pipelining;
    let t = &mut options.timeouts;
    for (field, ms) in [
        (&mut t.connect, o.connect_timeout_ms),
        (&mut t.greeting, o.greeting_timeout_ms),
        (&mut t.command, o.command_timeout_ms),
        (&mut t.data_write, o.data_timeout_ms),
        (&mut t.data_end, o.data_end_timeout_ms),
    ] {
        if ms != 0 {
            *field = Duration::from_millis(u64::from(ms));
        }
    }
    Ok(options)
}

/// One SMTP connection (opaque): opened by `e365_smtp_client_connect`, re-opened when
/// the server closed it while idle (never in the middle of a message), closed by
/// `e365_smtp_client_close` (QUIT) or `e365_smtp_client_free`.
///
/// Not thread-safe: use a client from one thread at a time (it may move between
/// threads); open one client per thread to send in parallel.
pub struct e365_smtp_client {
    inner: SmtpClient,
}

/// Connects now: TCP, greeting, EHLO, STARTTLS (required unless `options->tls` says
/// otherwise; certificate and host name verified), EHLO again, AUTH when a user name is
/// given. On success `*out` receives the client; close it with `e365_smtp_client_close`
/// or free it with `e365_smtp_client_free`.
///
/// Errors: `E365_CONNECTION`, `E365_TIMEOUT`, `E365_TLS` (handshake or verification
/// failed, or STARTTLS not offered), `E365_AUTH`, `E365_PROTOCOL`, `E365_SMTP_TRANSIENT`
/// / `E365_SMTP_PERMANENT` (a refusing greeting or EHLO; the error carries the reply),
/// `E365_INVALID_ARGUMENT` (`options` or `out` NULL, `host` NULL or not UTF-8, `port` 0,
/// an unknown enum value, `username` without `password`, an unreadable `ca_file`).
///
/// Blocks for at most the time limits of the options.
///
/// # Safety
/// `options` is NULL or valid, its strings NULL or valid for reading their lengths;
/// `out` and `err_out` are NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn e365_smtp_client_connect(
    options: *const e365_smtp_options,
    out: *mut *mut e365_smtp_client,
    err_out: *mut *mut e365_error,
) -> e365_result {
    ffi_boundary!(err_out, {
        let out = try_out!(out, "out");
        let options = core_options(try_ref!(options, "options"))?;
        let inner = SmtpClient::connect(options)?;
        *out = Box::into_raw(Box::new(e365_smtp_client { inner }));
        Ok(())
    })
}

/// One recipient's reply in a delivery. The strings belong to the delivery.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e365_recipient_reply {
    /// The recipient as given in RCPT TO.
    pub recipient: e365_str,
    /// The basic code of the server's reply (to RCPT, or to the data).
    pub code: u16,
    /// The enhanced code, or `{NULL, 0}`.
    pub enhanced: e365_str,
    /// The reply text, lines joined with `\n`.
    pub text: e365_str,
}

/// The result of submitting one message: accepted for at least one recipient.
/// Read-only; everything is owned by the object (valid until `e365_delivery_free`).
/// Immutable: may be read from several threads at once.
#[repr(C)]
#[derive(Debug)]
pub struct e365_delivery {
    /// The notification id of the (first) transaction, or `{NULL, 0}` when the server
    /// gave none: use it with the status API.
    pub notification_id: e365_str,
    /// The basic code of the final reply to the message data.
    pub final_code: u16,
    /// The enhanced code of the final reply, or `{NULL, 0}`.
    pub final_enhanced: e365_str,
    /// The final reply as it came on the wire (codes included, lines joined with CRLF).
    pub final_reply: e365_str,
    /// Recipients accepted, with their replies.
    pub accepted: *const e365_recipient_reply,
    /// The number of accepted recipients.
    pub accepted_len: usize,
    /// Recipients refused, with the reply that refused them.
    pub rejected: *const e365_recipient_reply,
    /// The number of refused recipients.
    pub rejected_len: usize,
    /// The number of SMTP transactions used (more than one when the server limited the
    /// recipients per transaction).
    pub transactions: usize,
}

type DeliveryBox = Owned<
    e365_delivery,
    (
        Vec<e365_recipient_reply>,
        Vec<e365_recipient_reply>,
        Strings,
    ),
>;

fn recipient(s: &mut Strings, recipient: &str, reply: &Reply) -> e365_recipient_reply {
    e365_recipient_reply {
        recipient: s.keep(recipient),
        code: reply.code,
        enhanced: s.keep_opt(reply.enhanced.map(|e| e.to_string()).as_deref()),
        text: s.keep(&reply.text()),
    }
}

fn delivery_into_raw(d: &Delivery) -> *mut e365_delivery {
    let mut s = Strings::default();
    let accepted: Vec<e365_recipient_reply> = d
        .accepted
        .iter()
        .map(|r| recipient(&mut s, &r.recipient, &r.reply))
        .collect();
    let rejected: Vec<e365_recipient_reply> = d
        .rejected
        .iter()
        .map(|r| recipient(&mut s, &r.recipient, &r.reply))
        .collect();
    let ptr = |v: &Vec<e365_recipient_reply>| {
        if v.is_empty() {
            std::ptr::null()
        } else {
            v.as_ptr()
        }
    };
    let view = e365_delivery {
        notification_id: s.keep_opt(d.notification_id.as_deref()),
        final_code: d.final_reply.code,
        final_enhanced: s.keep_opt(d.final_reply.enhanced.map(|e| e.to_string()).as_deref()),
        final_reply: s.keep(&d.final_reply_raw),
        accepted: ptr(&accepted),
        accepted_len: accepted.len(),
        rejected: ptr(&rejected),
        rejected_len: rejected.len(),
        transactions: d.transactions.len(),
    };
    DeliveryBox::into_raw(view, (accepted, rejected, s))
}

/// Sends a built message (`e365_message_builder_build`) to its envelope's recipients.
/// The message is never sent twice: a reconnect happens only before MAIL FROM. On
/// success (at least one recipient accepted) `*out` receives the delivery (accepted and
/// refused recipients, final reply, notification id); free it with `e365_delivery_free`.
///
/// Errors: `E365_RECIPIENTS_REJECTED` (every recipient refused: one reply per recipient
/// in `e365_error_replies`), `E365_SMTP_TRANSIENT` (4xx: retry later; the error is
/// transient) / `E365_SMTP_PERMANENT` (5xx), `E365_MESSAGE_TOO_LARGE`,
/// `E365_SMTPUTF8_NOT_SUPPORTED`, `E365_OUTCOME_UNKNOWN` (the data was sent but the
/// final reply never came: it may have been accepted; resend with the same Message-ID),
/// `E365_CONNECTION`, `E365_TIMEOUT`, `E365_TLS`, `E365_AUTH`, `E365_PROTOCOL`,
/// `E365_INVALID_ARGUMENT` (`client`, `message` or `out` NULL).
///
/// # Safety
/// `client` and `message` are NULL or live objects of this library; `out` and
/// `err_out` are NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn e365_smtp_client_send(
    client: *mut e365_smtp_client,
    message: *const e365_message,
    out: *mut *mut e365_delivery,
    err_out: *mut *mut e365_error,
) -> e365_result {
    ffi_boundary!(err_out, {
        let out = try_out!(out, "out");
        let client = try_out!(client, "client");
        let Some(message) = (unsafe { MessageBox::core(message) }) else {
            return Err(crate::null_argument("message"));
        };
        let delivery = client.inner.send(message)?;
        *out = delivery_into_raw(&delivery);
        Ok(())
    })
}

/// Sends RFC 5322 bytes built elsewhere (`bytes`, `len`) with an explicit envelope:
/// `mail_from` (bare address, empty for `<>`) and `rcpt_to_len` recipients (bare
/// addresses). Use `e365_envelope_from_message` to read the envelope of existing bytes.
/// SMTPUTF8 and 8BITMIME needs are detected from the envelope and the bytes. Results
/// and errors as for `e365_smtp_client_send`.
///
/// # Safety
/// `client` is NULL or a live client; `mail_from`'s data, each `rcpt_to` entry and
/// `bytes` are valid for reading their lengths; `out` and `err_out` are NULL or valid
/// for writing.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn e365_smtp_client_send_raw(
    client: *mut e365_smtp_client,
    mail_from: e365_str,
    rcpt_to: *const e365_str,
    rcpt_to_len: usize,
    bytes: *const u8,
    len: usize,
    out: *mut *mut e365_delivery,
    err_out: *mut *mut e365_error,
) -> e365_result {
    ffi_boundary!(err_out, {
        let out = try_out!(out, "out");
        let client = try_out!(client, "client");
        let envelope = Envelope {
            mail_from: unsafe { str_text(mail_from, "mail_from")? }.to_string(),
            rcpt_to: unsafe { items(rcpt_to, rcpt_to_len, "rcpt_to")? }
                .iter()
                .map(|r| unsafe { str_text(*r, "rcpt_to[i]") }.map(str::to_string))
                .collect::<Result<_, _>>()?,
        };
        let data = unsafe { crate::bytes(bytes.cast(), len, "bytes")? };
        let delivery = client.inner.send_raw(&envelope, data)?;
        *out = delivery_into_raw(&delivery);
        Ok(())
    })
}

/// Frees a delivery; NULL is ignored.
///
/// # Safety
/// `delivery` is NULL or a delivery from this library that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn e365_delivery_free(delivery: *mut e365_delivery) {
    let _ = std::panic::catch_unwind(|| unsafe { DeliveryBox::free(delivery) });
}

/// Ends the session politely (QUIT), closes the connection and frees the client, then
/// sets `*client` to NULL, so that closing (or freeing) it again does nothing. NULL and
/// a `*client` of NULL are ignored (`E365_OK`).
///
/// Errors: those of the QUIT exchange (`E365_CONNECTION`, `E365_TIMEOUT`,
/// `E365_PROTOCOL`); the client is freed in every case.
///
/// # Safety
/// `client` is NULL or valid for reading and writing, `*client` NULL or a live client;
/// `err_out` is NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn e365_smtp_client_close(
    client: *mut *mut e365_smtp_client,
    err_out: *mut *mut e365_error,
) -> e365_result {
    ffi_boundary!(err_out, {
        let Some(slot) = (unsafe { client.as_mut() }) else {
            return Ok(());
        };
        if slot.is_null() {
            return Ok(());
        }
        let mut boxed = unsafe { Box::from_raw(*slot) };
        *slot = std::ptr::null_mut();
        boxed.inner.quit()
    })
}

/// Frees a client (sending QUIT first when its session is still open, within 5 s);
/// NULL is ignored. Prefer `e365_smtp_client_close` to see the outcome of QUIT.
///
/// # Safety
/// `client` is NULL or a client from this library that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn e365_smtp_client_free(client: *mut e365_smtp_client) {
    if !client.is_null() {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            drop(unsafe { Box::from_raw(client) });
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::*;
    use crate::testing::input;
    use std::net::TcpListener;
    use std::ptr::{null, null_mut};

    fn options(host: &str, port: u16) -> e365_smtp_options {
        e365_smtp_options {
            host: input(host),
            port,
            tls: 0,
            server_name: e365_str::NONE,
            username: e365_str::NONE,
            password: e365_str::NONE,
            auth_mechanism: 0,
            ca_file: e365_str::NONE,
            no_system_roots: false,
            ehlo_name: e365_str::NONE,
            no_pipelining: false,
            connect_timeout_ms: 2000,
            greeting_timeout_ms: 2000,
            command_timeout_ms: 2000,
            data_timeout_ms: 2000,
            data_end_timeout_ms: 2000,
        }
    }

    #[test]
    fn bad_options_are_invalid_arguments() {
        let mut c = null_mut();
        let mut err = null_mut();
        unsafe {
            assert_eq!(
                e365_smtp_client_connect(null(), &mut c, null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            let o = options("127.0.0.1", 25);
            assert_eq!(
                e365_smtp_client_connect(&o, null_mut(), null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            let mut o = options("127.0.0.1", 0);
            assert_eq!(
                e365_smtp_client_connect(&o, &mut c, &mut err),
                e365_result::E365_INVALID_ARGUMENT
            );
            let reason = std::ffi::CStr::from_ptr(e365_error_reason(err));
            assert_eq!(reason.to_str().unwrap(), "invalid_port");
            e365_error_free(err);
            o.port = 25;
            o.tls = 9;
            assert_eq!(
                e365_smtp_client_connect(&o, &mut c, &mut err),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert_eq!(
                std::ffi::CStr::from_ptr(e365_error_reason(err))
                    .to_str()
                    .unwrap(),
                "unknown_tls_mode"
            );
            e365_error_free(err);
            o.tls = 0;
            o.auth_mechanism = 2;
            assert_eq!(
                e365_smtp_client_connect(&o, &mut c, &mut err),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert_eq!(
                std::ffi::CStr::from_ptr(e365_error_reason(err))
                    .to_str()
                    .unwrap(),
                "unknown_auth_mechanism"
            );
            e365_error_free(err);
            o.auth_mechanism = 0;
            o.tls = 0;
            o.username = input("user");
            assert_eq!(
                e365_smtp_client_connect(&o, &mut c, null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert!(c.is_null());
        }
    }

    #[test]
    fn a_refused_connection_is_a_transient_connection_error() {
        // A port that was free a moment ago: nothing listens there.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let o = options("127.0.0.1", port);
        let mut c = null_mut();
        let mut err = null_mut();
        unsafe {
            assert_eq!(
                e365_smtp_client_connect(&o, &mut c, &mut err),
                e365_result::E365_CONNECTION
            );
            assert!(e365_error_transient(err));
            e365_error_free(err);
            assert!(c.is_null());
        }
    }

    #[test]
    fn close_and_free_accept_null_and_closing_twice() {
        let mut c: *mut e365_smtp_client = null_mut();
        unsafe {
            assert_eq!(
                e365_smtp_client_close(&mut c, null_mut()),
                e365_result::E365_OK
            );
            assert_eq!(
                e365_smtp_client_close(null_mut(), null_mut()),
                e365_result::E365_OK
            );
            e365_smtp_client_free(null_mut());
            e365_delivery_free(null_mut());
            let mut d = null_mut();
            assert_eq!(
                e365_smtp_client_send(null_mut(), null(), &mut d, null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert_eq!(
                e365_smtp_client_send_raw(
                    null_mut(),
                    e365_str::NONE,
                    null(),
                    0,
                    null(),
                    0,
                    &mut d,
                    null_mut()
                ),
                e365_result::E365_INVALID_ARGUMENT
            );
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
