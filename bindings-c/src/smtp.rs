//! The native SMTP client in C: `e365_smtp_client_*` over the core's blocking
//! transport (`email365::smtp::SmtpClient`: STARTTLS required by default, AUTH, SIZE,
//! PIPELINING, per-recipient results, timeouts on every step), its results
//! (`e365_delivery`, `e365_send_results`, opaque with accessors). The send bodies it
//! shares with the pool are in `sending`.

use crate::ffi::{accessors, at, fallible, free_box, maker, read};
use crate::message::e365_message;
use crate::options::e365_smtp_options;
use crate::sending::send_fn;
use crate::{e365_error, e365_result, e365_str, try_ref, Strings};
use email365::reply::Reply;
use email365::smtp::{Delivery, SmtpClient};
use email365::Error;

/// One SMTP connection (opaque): opened by `e365_smtp_client_connect`, re-opened when
/// the server closed it while idle (never in the middle of a message), closed by
/// `e365_smtp_client_close` (QUIT) or `e365_smtp_client_free`.
///
/// Not thread-safe: use a client from one thread at a time (it may move between
/// threads); use an `e365_smtp_pool` to send from several threads.
pub struct e365_smtp_client {
    inner: SmtpClient,
}

impl e365_smtp_client {
    /// The core client inside.
    pub(crate) fn core(&mut self) -> &mut SmtpClient {
        &mut self.inner
    }
}

maker! {
    /// Connects now with a copy of `options`: TCP, greeting, EHLO, STARTTLS (required unless
    /// the options say otherwise; certificate and host name verified), EHLO again, AUTH when
    /// credentials are set. On success `*out` receives the client; close it with
    /// `e365_smtp_client_close` or free it with `e365_smtp_client_free`. The options may be
    /// freed or changed afterwards.
    ///
    /// Errors: `E365_CONNECTION`, `E365_TIMEOUT`, `E365_TLS` (handshake or verification
    /// failed, or STARTTLS not offered), `E365_AUTH`, `E365_PROTOCOL`, `E365_SMTP_TRANSIENT`
    /// / `E365_SMTP_PERMANENT` (a refusing greeting or EHLO; the error carries the reply),
    /// `E365_INVALID_ARGUMENT` (`options` or `out` NULL; reason `auth_requires_tls` for
    /// credentials with `E365_TLS_INSECURE_PLAINTEXT`).
    ///
    /// Blocks for at most the time limits of the options.
    ///
    /// # Safety
    /// `options` is NULL or live options; `out` and `err_out` are NULL or valid for writing.
    fn e365_smtp_client_connect(options: *const e365_smtp_options) -> new_boxed e365_smtp_client {
        let options = try_ref!(options, "options").core().clone();
        let inner = SmtpClient::connect(options)?;
        e365_smtp_client { inner }
    }
}

/// One recipient and the server's reply to it (opaque, owned by its delivery): read it
/// with `e365_recipient_reply_recipient`, `_code`, `_enhanced` and `_text`.
pub struct e365_recipient_reply {
    recipient: e365_str,
    code: u16,
    enhanced: e365_str,
    text: e365_str,
}

/// The result of submitting one message, accepted for at least one recipient (opaque):
/// read it with the `e365_delivery_*` accessors; everything they return lives until
/// `e365_delivery_free` (or until the `e365_send_results` that holds it is freed).
/// Immutable: may be read from several threads at once.
pub struct e365_delivery {
    notification_id: e365_str,
    final_code: u16,
    final_enhanced: e365_str,
    final_reply: e365_str,
    final_text: e365_str,
    accepted: Vec<e365_recipient_reply>,
    rejected: Vec<e365_recipient_reply>,
    transactions: usize,
    _strings: Strings,
}

fn recipient(s: &mut Strings, recipient: &str, reply: &Reply) -> e365_recipient_reply {
    e365_recipient_reply {
        recipient: s.keep(recipient),
        code: reply.code,
        enhanced: s.keep_opt(reply.enhanced.map(|e| e.to_string()).as_deref()),
        text: s.keep(reply.text()),
    }
}

impl e365_delivery {
    /// The C view of a core delivery.
    pub(crate) fn new(d: &Delivery) -> e365_delivery {
        let mut s = Strings::default();
        let accepted = d
            .accepted
            .iter()
            .map(|r| recipient(&mut s, &r.recipient, &r.reply))
            .collect();
        let rejected = d
            .rejected
            .iter()
            .map(|r| recipient(&mut s, &r.recipient, &r.reply))
            .collect();
        e365_delivery {
            notification_id: s.keep_opt(d.notification_id.as_deref()),
            final_code: d.final_reply.code,
            final_enhanced: s.keep_opt(d.final_reply.enhanced.map(|e| e.to_string()).as_deref()),
            final_reply: s.keep(&d.final_reply_raw),
            final_text: s.keep(d.final_reply.text()),
            accepted,
            rejected,
            transactions: d.transactions.len(),
            _strings: s,
        }
    }
}

send_fn! {
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
    /// `E365_SENDER_NOT_REGISTERED` (outside the options' sender policy: nothing was sent),
    /// `E365_CONNECTION`, `E365_TIMEOUT`, `E365_TLS`, `E365_AUTH`, `E365_PROTOCOL`,
    /// `E365_INVALID_ARGUMENT` (`client`, `message` or `out` NULL).
    ///
    /// # Safety
    /// `client` and `message` are NULL or live objects of this library; `out` and
    /// `err_out` are NULL or valid for writing.
    send fn e365_smtp_client_send(client: *mut e365_smtp_client);
}

send_fn! {
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
    send_raw fn e365_smtp_client_send_raw(client: *mut e365_smtp_client);
}

/// The outcome of each message of a `send_many` call, in the order given (opaque): for
/// each index either a delivery or an error. Read it with `e365_send_results_len`,
/// `_code`, `_delivery` and `_error`; the deliveries and errors it returns belong to it
/// (never free them: `e365_send_results_free` frees everything). Immutable: may be read
/// from several threads at once.
pub struct e365_send_results {
    items: Vec<SendResult>,
}

enum SendResult {
    Delivered(Box<e365_delivery>),
    Failed(e365_result, *mut e365_error),
}

impl Drop for SendResult {
    fn drop(&mut self) {
        if let SendResult::Failed(_, err) = self {
            unsafe { crate::error::e365_error_free(*err) };
        }
    }
}

/// The outcome at `index` of the results behind `results` (`None` for NULL or an index
/// out of range).
///
/// # Safety
/// `results` is NULL or live results.
unsafe fn outcome<'a>(results: *const e365_send_results, index: usize) -> Option<&'a SendResult> {
    unsafe { results.as_ref() }.and_then(|r| r.items.get(index))
}

impl e365_send_results {
    /// The C view of the outcomes of a `send_many`.
    pub(crate) fn new(outcomes: Vec<Result<Delivery, Error>>) -> e365_send_results {
        let items = outcomes
            .into_iter()
            .map(|r| match r {
                Ok(d) => SendResult::Delivered(Box::new(e365_delivery::new(&d))),
                Err(e) => {
                    SendResult::Failed(e365_result::from_kind(e.kind()), e365_error::into_raw(e))
                }
            })
            .collect();
        e365_send_results { items }
    }
}

send_fn! {
    /// Sends `messages_len` built messages over this connection and writes one outcome per
    /// message, in the order given, into `*out` (free it with `e365_send_results_free`).
    /// Every message is submitted, whatever happens to the others: with PIPELINING up to
    /// the options' window of whole transactions is in flight at once (with CHUNKING a
    /// window costs one round trip). When the session ends mid-way, messages whose final
    /// reply was read keep their outcome, those whose data was written without a final
    /// reply are `E365_OUTCOME_UNKNOWN` (reason `in_flight`; never resent), those never
    /// written go again on a new connection (up to 3 in all), else `E365_CONNECTION`
    /// (reason `not_sent`).
    ///
    /// Returns `E365_OK` once every message has its outcome, even when some or all failed
    /// (read `e365_send_results_code`). Errors of the call itself: `E365_INVALID_ARGUMENT`
    /// (`client` or `out` NULL, `messages` NULL with a non-zero length, a NULL entry).
    ///
    /// # Safety
    /// `client` is NULL or a live client; `messages` is NULL (with length 0) or valid for
    /// reading `messages_len` pointers, each NULL or a live message; `out` and `err_out` are
    /// NULL or valid for writing.
    send_many fn e365_smtp_client_send_many(client: *mut e365_smtp_client);
}

/// Frees a delivery; NULL is ignored. Never call it on a delivery returned by
/// `e365_send_results_delivery` (the results own those).
///
/// # Safety
/// `delivery` is NULL or a delivery from `e365_smtp_client_send*` /
/// `e365_smtp_pool_send*` that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn e365_delivery_free(delivery: *mut e365_delivery) {
    unsafe { free_box(delivery) }
}

accessors! {
    delivery: *const e365_delivery;
    safety = "`delivery` is NULL or a live delivery.";

    /// The notification id of the (first) transaction, for the status API; `{NULL, 0}` when
    /// the server gave none or `delivery` is NULL.
    fn e365_delivery_notification_id() -> e365_str = read |d| d.notification_id;

    /// The basic code of the final reply to the message data (0 for NULL).
    fn e365_delivery_final_code() -> u16 = read |d| d.final_code;

    /// The enhanced code of the final reply, or `{NULL, 0}`.
    fn e365_delivery_final_enhanced() -> e365_str = read |d| d.final_enhanced;

    /// The final reply as it came on the wire (codes included, lines joined with CRLF);
    /// `{NULL, 0}` for NULL.
    fn e365_delivery_final_reply() -> e365_str = read |d| d.final_reply;

    /// The text of the final reply: its lines after their code (enhanced code included),
    /// joined with `\n`, as `e365_recipient_reply_text`; `{NULL, 0}` for NULL.
    fn e365_delivery_final_text() -> e365_str = read |d| d.final_text;

    /// The number of SMTP transactions used (more than one when the server limited the
    /// recipients per transaction; 0 for NULL).
    fn e365_delivery_transactions() -> usize = read |d| d.transactions;

    /// The number of accepted recipients (0 for NULL).
    fn e365_delivery_accepted_len() -> usize = read |d| d.accepted.len();

    /// The accepted recipient at `index` (in RCPT order) with its reply; NULL when `index`
    /// is out of range or `delivery` is NULL. Owned by the delivery.
    fn e365_delivery_accepted(index: usize) -> *const e365_recipient_reply =
        read_opt |d| at(&d.accepted, index);

    /// The number of refused recipients (0 for NULL).
    fn e365_delivery_rejected_len() -> usize = read |d| d.rejected.len();

    /// The refused recipient at `index` with the reply that refused it; NULL when `index` is
    /// out of range or `delivery` is NULL. Owned by the delivery.
    fn e365_delivery_rejected(index: usize) -> *const e365_recipient_reply =
        read_opt |d| at(&d.rejected, index);
}

accessors! {
    reply: *const e365_recipient_reply;
    safety = "`reply` is NULL or a reply of a live delivery.";

    /// The recipient as given in RCPT TO; `{NULL, 0}` for NULL.
    fn e365_recipient_reply_recipient() -> e365_str = read |r| r.recipient;

    /// The basic code of the server's reply (to RCPT, or to the data); 0 for NULL.
    fn e365_recipient_reply_code() -> u16 = read |r| r.code;

    /// The enhanced code of the reply, or `{NULL, 0}`.
    fn e365_recipient_reply_enhanced() -> e365_str = read |r| r.enhanced;

    /// The reply text, lines joined with `\n`, codes removed; `{NULL, 0}` for NULL.
    fn e365_recipient_reply_text() -> e365_str = read |r| r.text;
}

/// The number of messages (the `messages_len` of the call; 0 for NULL).
///
/// # Safety
/// `results` is NULL or live results.
#[no_mangle]
pub unsafe extern "C" fn e365_send_results_len(results: *const e365_send_results) -> usize {
    unsafe { read(results, |r| r.items.len()) }
}

/// The outcome of message `index` as a result code: `E365_OK` when it was accepted for
/// at least one recipient, else its error's code (`E365_INVALID_ARGUMENT` when `index`
/// is out of range or `results` NULL).
///
/// # Safety
/// `results` is NULL or live results.
#[no_mangle]
pub unsafe extern "C" fn e365_send_results_code(
    results: *const e365_send_results,
    index: usize,
) -> e365_result {
    match unsafe { outcome(results, index) } {
        Some(SendResult::Delivered(_)) => e365_result::E365_OK,
        Some(SendResult::Failed(code, _)) => *code,
        None => e365_result::E365_INVALID_ARGUMENT,
    }
}

/// The delivery of message `index`, or NULL when it failed (or `index` is out of
/// range). Owned by the results: never free it.
///
/// # Safety
/// `results` is NULL or live results.
#[no_mangle]
pub unsafe extern "C" fn e365_send_results_delivery(
    results: *const e365_send_results,
    index: usize,
) -> *const e365_delivery {
    match unsafe { outcome(results, index) } {
        Some(SendResult::Delivered(d)) => &**d,
        _ => std::ptr::null(),
    }
}

/// The error of message `index` (read it with the `e365_error_*` accessors), or NULL
/// when it was delivered (or `index` is out of range). Owned by the results: never free
/// it.
///
/// # Safety
/// `results` is NULL or live results.
#[no_mangle]
pub unsafe extern "C" fn e365_send_results_error(
    results: *const e365_send_results,
    index: usize,
) -> *const e365_error {
    match unsafe { outcome(results, index) } {
        Some(SendResult::Failed(_, e)) => *e,
        _ => std::ptr::null(),
    }
}

/// Frees results with every delivery and error they hold; NULL is ignored.
///
/// # Safety
/// `results` is NULL or results from this library that were not freed yet.
#[no_mangle]
pub unsafe extern "C" fn e365_send_results_free(results: *mut e365_send_results) {
    unsafe { free_box(results) }
}

fallible! {
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
    fn e365_smtp_client_close(client: *mut *mut e365_smtp_client) {
        let Some(slot) = (unsafe { client.as_mut() }) else {
            return Ok(());
        };
        if slot.is_null() {
            return Ok(());
        }
        let mut boxed = unsafe { Box::from_raw(*slot) };
        *slot = std::ptr::null_mut();
        boxed.inner.quit()
    }
}

/// Frees a client (sending QUIT first when its session is still open, within 5 s);
/// NULL is ignored. Prefer `e365_smtp_client_close` to see the outcome of QUIT.
///
/// # Safety
/// `client` is NULL or a client from this library that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn e365_smtp_client_free(client: *mut e365_smtp_client) {
    unsafe { free_box(client) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::*;
    use crate::options::*;
    use crate::testing::refusal;
    use std::net::TcpListener;
    use std::ptr::{null, null_mut};

    fn options(host: &str, port: u16) -> *mut e365_smtp_options {
        let mut o = null_mut();
        unsafe {
            assert_eq!(
                e365_smtp_options_new(host.as_ptr().cast(), host.len(), &mut o, null_mut()),
                e365_result::E365_OK
            );
            assert_eq!(
                e365_smtp_options_set_port(o, port.into(), null_mut()),
                e365_result::E365_OK
            );
            for step in 0..5 {
                e365_smtp_options_set_timeout_ms(o, step, 2000, null_mut());
            }
        }
        o
    }

    #[test]
    fn bad_arguments_are_invalid_arguments() {
        let mut c = null_mut();
        unsafe {
            assert_eq!(
                e365_smtp_client_connect(null(), &mut c, null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            let o = options("127.0.0.1", 25);
            assert_eq!(
                e365_smtp_client_connect(o, null_mut(), null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            // Credentials are never sent without TLS: refused before connecting.
            e365_smtp_options_set_tls_mode(o, 2, null_mut());
            e365_smtp_options_set_credentials(
                o,
                "u".as_ptr().cast(),
                1,
                "p".as_ptr().cast(),
                1,
                null_mut(),
            );
            assert_eq!(
                refusal(e365_result::E365_INVALID_ARGUMENT, |err| {
                    e365_smtp_client_connect(o, &mut c, err)
                }),
                "auth_requires_tls"
            );
            assert!(c.is_null());
            e365_smtp_options_free(o);
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
                e365_smtp_client_connect(o, &mut c, &mut err),
                e365_result::E365_CONNECTION
            );
            assert!(e365_error_transient(err));
            e365_error_free(err);
            assert!(c.is_null());
            e365_smtp_options_free(o);
        }
    }

    #[test]
    fn results_hold_one_outcome_per_message_in_order() {
        let r = Box::into_raw(Box::new(e365_send_results::new(vec![Err(Error::new(
            email365::ErrorKind::Timeout,
            "slow",
        )
        .with_reason("x"))])));
        unsafe {
            assert_eq!(e365_send_results_len(r), 1);
            assert_eq!(e365_send_results_code(r, 0), e365_result::E365_TIMEOUT);
            assert_eq!(
                e365_send_results_code(r, 1),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert!(e365_send_results_delivery(r, 0).is_null());
            assert_eq!(
                e365_error_kind(e365_send_results_error(r, 0)),
                e365_result::E365_TIMEOUT
            );
            assert!(e365_send_results_error(r, 1).is_null());
            e365_send_results_free(r);
            e365_send_results_free(null_mut());
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
            assert!(e365_delivery_accepted(null(), 0).is_null());
            assert_eq!(e365_recipient_reply_code(null()), 0);
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
            let mut r = null_mut();
            assert_eq!(
                e365_smtp_client_send_many(null_mut(), null(), 0, &mut r, null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert!(r.is_null());
        }
    }
}
