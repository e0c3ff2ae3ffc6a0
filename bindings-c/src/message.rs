//! Messages in C: the message builder (`e365_message_builder_*`), the built message
//! (`e365_message`) and the envelope of an existing message
//! (`e365_envelope_from_message`), over the core's `message` module.

use crate::ffi::{array_ptr, fallible, free_box, maker};
use crate::policy::e365_sender_policy;
use crate::{
    bytes, e365_error, e365_result, e365_str, opt_text, text, try_out, try_ref, Owned, Strings,
};
use email365::message::{envelope_from_message, Attachment, BuiltMessage, MessageBuilder};
use std::ffi::c_char;

/// A message being put together (opaque). Made by `e365_message_builder_new`, freed by
/// `e365_message_builder_free`. Every setter copies its input and only records it;
/// every check happens in `e365_message_builder_build`, which leaves the builder as it
/// was (it may be built again, e.g. after a change).
///
/// Not thread-safe: use a builder from one thread at a time (it may move between
/// threads).
pub struct e365_message_builder {
    inner: MessageBuilder<'static>,
}

impl e365_message_builder {
    /// Replaces the builder by `f(builder)` (the core's setters take it by value).
    fn with(&mut self, f: impl FnOnce(MessageBuilder<'static>) -> MessageBuilder<'static>) {
        let builder = std::mem::take(&mut self.inner);
        self.inner = f(builder);
    }
}

maker! {
    /// Makes an empty message builder. On success `*out` receives it; the caller frees it
    /// with `e365_message_builder_free`.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`out` NULL).
    ///
    /// # Safety
    /// `out` and `err_out` are NULL or valid for writing.
    fn e365_message_builder_new() -> new_boxed e365_message_builder {
        e365_message_builder {
            inner: MessageBuilder::new(),
        }
    }
}

/// Frees a message builder; NULL is ignored.
///
/// # Safety
/// `builder` is NULL or a builder from this library that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn e365_message_builder_free(builder: *mut e365_message_builder) {
    unsafe { free_box(builder) }
}

/// The body of a text setter: checks the text, then records it.
unsafe fn set_text(
    builder: &mut e365_message_builder,
    value: *const c_char,
    len: usize,
    name: &'static str,
    apply: fn(MessageBuilder<'static>, String) -> MessageBuilder<'static>,
) -> Result<(), email365::Error> {
    let value = unsafe { text(value, len, name)? }.to_string();
    builder.with(|b| apply(b, value));
    Ok(())
}

fallible! {
    /// Sets the From address, in header form (`Name <local@domain>` or `local@domain`;
    /// `len` bytes of UTF-8). Checked by `e365_message_builder_build`.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`builder` or `address` NULL, not UTF-8).
    ///
    /// # Safety
    /// `builder` is NULL or a live builder; `address` is valid for reading `len` bytes;
    /// `err_out` is NULL or valid for writing.
    fn e365_message_builder_set_from(
        builder: *mut e365_message_builder,
        address: *const c_char,
        len: usize,
    ) changes |b| {
        set_text(b, address, len, "address", |b, v| b.from(v))
    }
}

fallible! {
    /// Sets the `Sender` header (header form), for mail sent on behalf of the From address.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`builder` or `address` NULL, not UTF-8).
    ///
    /// # Safety
    /// As for `e365_message_builder_set_from`.
    fn e365_message_builder_set_sender(
        builder: *mut e365_message_builder,
        address: *const c_char,
        len: usize,
    ) changes |b| {
        set_text(b, address, len, "address", |b, v| b.sender(v))
    }
}

fallible! {
    /// Sets the envelope sender (bounce address, MAIL FROM) when it differs from the From
    /// address: bare envelope form, or an empty string (`len` 0) for the null reverse path.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`builder` or `address` NULL, not UTF-8).
    ///
    /// # Safety
    /// As for `e365_message_builder_set_from`.
    fn e365_message_builder_set_envelope_from(
        builder: *mut e365_message_builder,
        address: *const c_char,
        len: usize,
    ) changes |b| {
        set_text(b, address, len, "address", |b, v| b.envelope_from(v))
    }
}

fallible! {
    /// Adds a To recipient (header form).
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`builder` or `address` NULL, not UTF-8).
    ///
    /// # Safety
    /// As for `e365_message_builder_set_from`.
    fn e365_message_builder_add_to(
        builder: *mut e365_message_builder,
        address: *const c_char,
        len: usize,
    ) changes |b| {
        set_text(b, address, len, "address", |b, v| b.to(v))
    }
}

fallible! {
    /// Adds a Cc recipient (header form).
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`builder` or `address` NULL, not UTF-8).
    ///
    /// # Safety
    /// As for `e365_message_builder_set_from`.
    fn e365_message_builder_add_cc(
        builder: *mut e365_message_builder,
        address: *const c_char,
        len: usize,
    ) changes |b| {
        set_text(b, address, len, "address", |b, v| b.cc(v))
    }
}

fallible! {
    /// Adds a Bcc recipient: it goes to the envelope only, never into the message.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`builder` or `address` NULL, not UTF-8).
    ///
    /// # Safety
    /// As for `e365_message_builder_set_from`.
    fn e365_message_builder_add_bcc(
        builder: *mut e365_message_builder,
        address: *const c_char,
        len: usize,
    ) changes |b| {
        set_text(b, address, len, "address", |b, v| b.bcc(v))
    }
}

fallible! {
    /// Adds a Reply-To address (header form).
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`builder` or `address` NULL, not UTF-8).
    ///
    /// # Safety
    /// As for `e365_message_builder_set_from`.
    fn e365_message_builder_add_reply_to(
        builder: *mut e365_message_builder,
        address: *const c_char,
        len: usize,
    ) changes |b| {
        set_text(b, address, len, "address", |b, v| b.reply_to(v))
    }
}

fallible! {
    /// Sets the subject (any Unicode text without line breaks or controls; tabs allowed).
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`builder` or `subject` NULL, not UTF-8).
    ///
    /// # Safety
    /// As for `e365_message_builder_set_from`, with `subject`.
    fn e365_message_builder_set_subject(
        builder: *mut e365_message_builder,
        subject: *const c_char,
        len: usize,
    ) changes |b| {
        set_text(b, subject, len, "subject", |b, v| b.subject(v))
    }
}

fallible! {
    /// Sets the plain-text body (line ends are normalised to CRLF).
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`builder` or `body` NULL, not UTF-8).
    ///
    /// # Safety
    /// As for `e365_message_builder_set_from`, with `body`.
    fn e365_message_builder_set_text(
        builder: *mut e365_message_builder,
        body: *const c_char,
        len: usize,
    ) changes |b| {
        set_text(b, body, len, "body", |b, v| b.text(v))
    }
}

fallible! {
    /// Sets the HTML body (line ends are normalised to CRLF).
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`builder` or `body` NULL, not UTF-8).
    ///
    /// # Safety
    /// As for `e365_message_builder_set_from`, with `body`.
    fn e365_message_builder_set_html(
        builder: *mut e365_message_builder,
        body: *const c_char,
        len: usize,
    ) changes |b| {
        set_text(b, body, len, "body", |b, v| b.html(v))
    }
}

fallible! {
    /// Sets the Message-ID, `<id@host>` or `id@host` (generated on the sender's domain when
    /// not set).
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`builder` or `message_id` NULL, not UTF-8).
    ///
    /// # Safety
    /// As for `e365_message_builder_set_from`, with `message_id`.
    fn e365_message_builder_set_message_id(
        builder: *mut e365_message_builder,
        message_id: *const c_char,
        len: usize,
    ) changes |b| {
        set_text(b, message_id, len, "message_id", |b, v| b.message_id(v))
    }
}

fallible! {
    /// Sets the date as RFC 5322 text (`Sat, 28 Nov 2026 12:00:00 +0000`; parsed at build,
    /// then written in canonical form). Without a date the current time is used.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`builder` or `date` NULL, not UTF-8).
    ///
    /// # Safety
    /// As for `e365_message_builder_set_from`, with `date`.
    fn e365_message_builder_set_date(
        builder: *mut e365_message_builder,
        date: *const c_char,
        len: usize,
    ) changes |b| {
        set_text(b, date, len, "date", |b, v| b.date(v))
    }
}

fallible! {
    /// Sets the date as a Unix time in seconds (written in UTC).
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`builder` NULL).
    ///
    /// # Safety
    /// `builder` is NULL or a live builder; `err_out` is NULL or valid for writing.
    fn e365_message_builder_set_date_unix(builder: *mut e365_message_builder, seconds: i64) {
        let builder = try_out!(builder, "builder");
        builder.with(|b| b.date_unix(seconds));
        Ok(())
    }
}

fallible! {
    /// Adds a custom header (`name`, `name_len` bytes; `value`, `value_len` bytes). The
    /// builder's own headers (From, To, Cc, Bcc, Subject, Date, Message-ID, Content-Type,
    /// MIME-Version, Content-Transfer-Encoding, Sender, Reply-To) are refused at build with
    /// reason `reserved_header`; CR, LF, NUL and other controls are refused at build.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`builder`, `name` or `value` NULL, not UTF-8).
    ///
    /// # Safety
    /// `builder` is NULL or a live builder; `name` and `value` are valid for reading their
    /// lengths; `err_out` is NULL or valid for writing.
    fn e365_message_builder_add_header(
        builder: *mut e365_message_builder,
        name: *const c_char,
        name_len: usize,
        value: *const c_char,
        value_len: usize,
    ) {
        let builder = try_out!(builder, "builder");
        let name = unsafe { text(name, name_len, "name")? }.to_string();
        let value = unsafe { text(value, value_len, "value")? }.to_string();
        builder.with(|b| b.header(name, value));
        Ok(())
    }
}

fallible! {
    /// Adds an attachment: `filename` (`filename_len` bytes), an optional `content_type`
    /// (`type/subtype` with parameters; NULL = guessed from the filename), the content
    /// (`content_len` bytes of any value; NULL allowed when `content_len` is 0) and an
    /// optional `inline_id` (a Content-ID making it an inline part, for `cid:` in the HTML
    /// body; NULL = a plain attachment). Everything is copied.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`builder` or `filename` NULL, `content` NULL with a
    /// length, text not UTF-8). The filename, content type and id are checked at build.
    ///
    /// # Safety
    /// `builder` is NULL or a live builder; each pointer is NULL or valid for reading its
    /// length; `err_out` is NULL or valid for writing.
    #[allow(clippy::too_many_arguments)]
    fn e365_message_builder_add_attachment(
        builder: *mut e365_message_builder,
        filename: *const c_char,
        filename_len: usize,
        content_type: *const c_char,
        content_type_len: usize,
        content: *const u8,
        content_len: usize,
        inline_id: *const c_char,
        inline_id_len: usize,
    ) {
        let builder = try_out!(builder, "builder");
        let filename = unsafe { text(filename, filename_len, "filename")? }.to_string();
        let content_type = unsafe { opt_text(content_type, content_type_len, "content_type")? };
        let content = if content_len == 0 {
            Vec::new()
        } else {
            unsafe { bytes(content.cast(), content_len, "content")? }.to_vec()
        };
        let inline_id = unsafe { opt_text(inline_id, inline_id_len, "inline_id")? };
        let mut attachment = Attachment::new(filename, content);
        if let Some(ct) = content_type {
            attachment = attachment.content_type(ct);
        }
        if let Some(id) = inline_id {
            attachment = attachment.inline(id);
        }
        builder.with(|b| b.attachment(attachment));
        Ok(())
    }
}

fallible! {
    /// Applies the account's sender policy: build then refuses a From (or envelope sender)
    /// outside it with `E365_SENDER_NOT_REGISTERED`. The policy is copied: it may be freed
    /// after the call.
    ///
    /// Errors: `E365_INVALID_ARGUMENT` (`builder` or `policy` NULL).
    ///
    /// # Safety
    /// `builder` and `policy` are NULL or live objects; `err_out` is NULL or valid for
    /// writing.
    fn e365_message_builder_set_sender_policy(
        builder: *mut e365_message_builder,
        policy: *const e365_sender_policy,
    ) {
        let builder = try_out!(builder, "builder");
        let policy = try_ref!(policy, "policy").core().clone();
        builder.with(|b| b.sender_policy(policy));
        Ok(())
    }
}

/// A built message, ready to submit. Read-only; everything is owned by the object
/// (valid until `e365_message_free`). Immutable: may be read, and sent, from several
/// threads at once.
#[repr(C)]
#[derive(Debug)]
pub struct e365_message {
    /// The RFC 5322 bytes: CRLF line ends, ending with CRLF, no Bcc header.
    pub bytes: *const u8,
    /// The number of bytes (the message size).
    pub size: usize,
    /// MAIL FROM: the bare reverse path (A-label form), empty for `<>`.
    pub mail_from: e365_str,
    /// RCPT TO: the bare forward paths (A-label form), de-duplicated, in order.
    pub rcpt_to: *const e365_str,
    /// The number of `rcpt_to` entries.
    pub rcpt_to_len: usize,
    /// The Message-ID without angle brackets.
    pub message_id: e365_str,
    /// Whether the envelope or headers need SMTPUTF8.
    pub smtputf8: bool,
    /// Whether the bytes contain 8-bit data (BODY=8BITMIME).
    pub eight_bit: bool,
}

pub(crate) type MessageBox = Owned<e365_message, (BuiltMessage, Vec<e365_str>, Strings)>;

impl MessageBox {
    /// The core message behind a pointer made by `e365_message_builder_build`.
    ///
    /// # Safety
    /// `ptr` is NULL or a live message from this library.
    pub(crate) unsafe fn core<'a>(ptr: *const e365_message) -> Option<&'a BuiltMessage> {
        unsafe { MessageBox::from_view(ptr) }.map(|b| &b.keep.0)
    }
}

fn message_into_raw(built: BuiltMessage) -> *mut e365_message {
    let mut s = Strings::default();
    let rcpt: Vec<e365_str> = built.envelope.rcpt_to.iter().map(|r| s.keep(r)).collect();
    let view = e365_message {
        bytes: built.bytes.as_ptr(),
        size: built.bytes.len(),
        mail_from: s.keep(&built.envelope.mail_from),
        rcpt_to: array_ptr(&rcpt),
        rcpt_to_len: rcpt.len(),
        message_id: s.keep(&built.message_id),
        smtputf8: built.smtputf8,
        eight_bit: built.eight_bit,
    };
    MessageBox::into_raw(view, (built, rcpt, s))
}

maker! {
    /// Checks every input and builds the message with its envelope. The builder is not
    /// changed (it may be built again). On success `*out` receives a new message that the
    /// caller frees with `e365_message_free`.
    ///
    /// Errors: `E365_INVALID_MESSAGE` with a reason (an invalid address in from/to/cc/bcc/
    /// reply-to gives the address diagnosis as reason; `no_from`, `no_recipients`,
    /// `too_many_recipients` (over 10,000 distinct), `control_char`, `reserved_header`, …), `E365_SENDER_NOT_REGISTERED` (a sender outside
    /// the policy), `E365_INVALID_ARGUMENT` (`builder` or `out` NULL).
    ///
    /// # Safety
    /// `builder` is NULL or a live builder; `out` and `err_out` are NULL or valid for
    /// writing.
    fn e365_message_builder_build(builder: *const e365_message_builder) -> new_raw e365_message {
        let builder = try_ref!(builder, "builder");
        let built = builder.inner.build()?;
        message_into_raw(built)
    }
}

/// Frees a message; NULL is ignored.
///
/// # Safety
/// `message` is NULL or a message from this library that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn e365_message_free(message: *mut e365_message) {
    unsafe { MessageBox::free(message) }
}

/// The envelope of an existing RFC 5322 message, and its bytes without Bcc. Read-only;
/// owned by the object (valid until `e365_envelope_free`). Immutable.
#[repr(C)]
#[derive(Debug)]
pub struct e365_envelope {
    /// MAIL FROM: the first address of `Sender`, else of `From` (bare, A-label form).
    pub mail_from: e365_str,
    /// RCPT TO: every address of To, Cc and Bcc, de-duplicated, in order.
    pub rcpt_to: *const e365_str,
    /// The number of `rcpt_to` entries.
    pub rcpt_to_len: usize,
    /// The message bytes with every Bcc field removed (nothing else changed).
    pub bytes: *const u8,
    /// The number of bytes.
    pub bytes_len: usize,
}

type EnvelopeBox = Owned<e365_envelope, (Vec<u8>, Vec<e365_str>, Strings)>;

maker! {
    /// Reads the envelope of a message built elsewhere (`message`, `len` bytes) and removes
    /// its Bcc header. On success `*out` receives a new envelope that the caller frees with
    /// `e365_envelope_free`.
    ///
    /// Errors: `E365_INVALID_MESSAGE` (reason `no_from`, `no_recipients`,
    /// `too_many_recipients` (over 10,000 distinct), `invalid_header`, `invalid_header_name`,
    /// `invalid_utf8` or an address diagnosis),
    /// `E365_INVALID_ARGUMENT` (`message` or `out` NULL).
    ///
    /// Thread-safe.
    ///
    /// # Safety
    /// `message` is valid for reading `len` bytes; `out` and `err_out` are NULL or valid
    /// for writing.
    fn e365_envelope_from_message(message: *const u8, len: usize) -> new_raw e365_envelope {
        let input = unsafe { bytes(message.cast(), len, "message")? };
        let (envelope, stripped) = envelope_from_message(input)?;
        let mut s = Strings::default();
        let rcpt: Vec<e365_str> = envelope.rcpt_to.iter().map(|r| s.keep(r)).collect();
        let view = e365_envelope {
            mail_from: s.keep(&envelope.mail_from),
            rcpt_to: array_ptr(&rcpt),
            rcpt_to_len: rcpt.len(),
            bytes: stripped.as_ptr(),
            bytes_len: stripped.len(),
        };
        EnvelopeBox::into_raw(view, (stripped, rcpt, s))
    }
}

/// Frees an envelope; NULL is ignored.
///
/// # Safety
/// `envelope` is NULL or an envelope from this library that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn e365_envelope_free(envelope: *mut e365_envelope) {
    unsafe { EnvelopeBox::free(envelope) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::*;
    use crate::testing::view;
    use std::ptr::{null, null_mut};

    fn set(
        f: unsafe extern "C" fn(
            *mut e365_message_builder,
            *const c_char,
            usize,
            *mut *mut e365_error,
        ) -> e365_result,
        b: *mut e365_message_builder,
        s: &str,
    ) {
        assert_eq!(
            unsafe { f(b, s.as_ptr().cast(), s.len(), null_mut()) },
            e365_result::E365_OK,
            "{s}"
        );
    }

    fn new_builder() -> *mut e365_message_builder {
        let mut b = null_mut();
        assert_eq!(
            unsafe { e365_message_builder_new(&mut b, null_mut()) },
            e365_result::E365_OK
        );
        b
    }

    #[test]
    fn builds_a_message_with_bcc_in_the_envelope_only() {
        let b = new_builder();
        set(e365_message_builder_set_from, b, "Shop <shop@example.com>");
        set(e365_message_builder_add_to, b, "alice@example.org");
        set(e365_message_builder_add_bcc, b, "audit@example.com");
        set(e365_message_builder_set_subject, b, "Your receipt");
        set(e365_message_builder_set_text, b, "Thank you!\n");
        set(e365_message_builder_set_message_id, b, "<r-1@example.com>");
        let content = b"%PDF-1.7";
        unsafe {
            assert_eq!(
                e365_message_builder_add_attachment(
                    b,
                    c"receipt.pdf".as_ptr(),
                    11,
                    null(),
                    0,
                    content.as_ptr(),
                    content.len(),
                    null(),
                    0,
                    null_mut()
                ),
                e365_result::E365_OK
            );
            assert_eq!(
                e365_message_builder_set_date_unix(b, 1_795_867_200, null_mut()),
                e365_result::E365_OK
            );
            let mut m = null_mut();
            assert_eq!(
                e365_message_builder_build(b, &mut m, null_mut()),
                e365_result::E365_OK
            );
            let msg = &*m;
            let bytes = std::slice::from_raw_parts(msg.bytes, msg.size);
            assert!(bytes.ends_with(b"\r\n"));
            assert!(!String::from_utf8_lossy(bytes).contains("audit@"));
            assert_eq!(view(msg.mail_from).unwrap(), "shop@example.com");
            let rcpt: Vec<String> = std::slice::from_raw_parts(msg.rcpt_to, msg.rcpt_to_len)
                .iter()
                .map(|s| view(*s).unwrap())
                .collect();
            assert_eq!(rcpt, ["alice@example.org", "audit@example.com"]);
            assert_eq!(view(msg.message_id).unwrap(), "r-1@example.com");
            // Built twice from the same builder: the same bytes.
            let mut m2 = null_mut();
            assert_eq!(
                e365_message_builder_build(b, &mut m2, null_mut()),
                e365_result::E365_OK
            );
            assert_eq!(std::slice::from_raw_parts((*m2).bytes, (*m2).size), bytes);
            // The envelope of the built bytes is the same, minus the Bcc.
            let mut env = null_mut();
            assert_eq!(
                e365_envelope_from_message(msg.bytes, msg.size, &mut env, null_mut()),
                e365_result::E365_OK
            );
            assert_eq!(view((*env).mail_from).unwrap(), "shop@example.com");
            assert_eq!((*env).rcpt_to_len, 1);
            e365_envelope_free(env);
            e365_message_free(m);
            e365_message_free(m2);
            e365_message_builder_free(b);
            e365_message_free(null_mut());
            e365_message_builder_free(null_mut());
            e365_envelope_free(null_mut());
        }
    }

    #[test]
    fn refusals() {
        let b = new_builder();
        set(e365_message_builder_set_from, b, "no-at-sign");
        set(e365_message_builder_add_to, b, "alice@example.org");
        set(e365_message_builder_set_subject, b, "x");
        let mut m = null_mut();
        let mut err = null_mut();
        unsafe {
            assert_eq!(
                e365_message_builder_build(b, &mut m, &mut err),
                e365_result::E365_INVALID_MESSAGE
            );
            assert!(m.is_null());
            e365_error_free(err);
            assert_eq!(
                e365_message_builder_set_from(null_mut(), c"a@b".as_ptr(), 3, null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert_eq!(
                e365_message_builder_set_from(b, null(), 3, null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert_eq!(
                e365_message_builder_build(null(), &mut m, null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert_eq!(
                e365_message_builder_build(b, null_mut(), null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert_eq!(
                e365_message_builder_new(null_mut(), null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert_eq!(
                e365_envelope_from_message(null(), 0, null_mut(), null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            e365_message_builder_free(b);
        }
    }
}
