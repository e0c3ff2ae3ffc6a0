//! SMTP reply classification in C: `e365_reply_classify` (a whole reply) and
//! `e365_reply_classify_code` (a code pair), over the core's `reply` module.

use crate::ffi::maker;
use crate::{e365_error, e365_result, e365_str, opt_text, text, Owned, Strings};
use email365::names::WireName;
use email365::reply::{
    check_code, classify_code, Category, Classification, Command, EnhancedCode, Reply, Severity,
};
use email365::Error;
use std::ffi::c_char;

/// Severity of a reply, from the first digit of the basic code.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum e365_severity {
    /// 2xx.
    E365_SEVERITY_SUCCESS = 0,
    /// 3xx: the server needs more input.
    E365_SEVERITY_INTERMEDIATE = 1,
    /// 4xx: retry later.
    E365_SEVERITY_TRANSIENT = 2,
    /// 5xx: do not retry.
    E365_SEVERITY_PERMANENT = 3,
}

/// Category of a reply, from the subject of its enhanced code.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum e365_category {
    /// No enhanced code: no category.
    E365_CATEGORY_NONE = 0,
    /// x.1.x
    E365_CATEGORY_ADDRESSING = 1,
    /// x.2.x
    E365_CATEGORY_MAILBOX = 2,
    /// x.3.x
    E365_CATEGORY_MAIL_SYSTEM = 3,
    /// x.4.x
    E365_CATEGORY_NETWORK = 4,
    /// x.5.x
    E365_CATEGORY_PROTOCOL = 5,
    /// x.6.x
    E365_CATEGORY_CONTENT = 6,
    /// x.7.x
    E365_CATEGORY_SECURITY = 7,
    /// x.0.x and any other subject.
    E365_CATEGORY_OTHER = 8,
}

/// What a reply means for the client. Read-only; every string is owned by the object
/// (valid until `e365_classification_free`). Immutable: may be read from several
/// threads at once.
#[repr(C)]
#[derive(Debug)]
pub struct e365_classification {
    /// The basic three-digit code.
    pub code: u16,
    /// The enhanced code `class.subject.detail`, or `{NULL, 0}`.
    pub enhanced: e365_str,
    /// An `e365_severity` value (decided by the basic code and the command context).
    pub severity: u32,
    /// The severity's stable name: `success`, `intermediate`, `transient`, `permanent`.
    pub severity_name: e365_str,
    /// An `e365_category` value (`E365_CATEGORY_NONE` without an enhanced code).
    pub category: u32,
    /// The category's stable name (`addressing`, `mailbox`, `mail_system`, `network`,
    /// `protocol`, `content`, `security`, `other`), or `{NULL, 0}` without one.
    pub category_name: e365_str,
    /// True only when retrying later may succeed (transient severity).
    pub retry: bool,
    /// A human description (IANA registry text of the enhanced code, else of the basic
    /// code).
    pub description: e365_str,
    /// True when the basic and enhanced classes disagree (the basic code decided).
    pub inconsistent: bool,
}

type ClassificationBox = Owned<e365_classification, Strings>;

fn severity(s: Severity) -> e365_severity {
    match s {
        Severity::Success => e365_severity::E365_SEVERITY_SUCCESS,
        Severity::Intermediate => e365_severity::E365_SEVERITY_INTERMEDIATE,
        Severity::Transient => e365_severity::E365_SEVERITY_TRANSIENT,
        Severity::Permanent => e365_severity::E365_SEVERITY_PERMANENT,
    }
}

fn category(c: Option<Category>) -> e365_category {
    match c {
        None => e365_category::E365_CATEGORY_NONE,
        Some(Category::Addressing) => e365_category::E365_CATEGORY_ADDRESSING,
        Some(Category::Mailbox) => e365_category::E365_CATEGORY_MAILBOX,
        Some(Category::MailSystem) => e365_category::E365_CATEGORY_MAIL_SYSTEM,
        Some(Category::Network) => e365_category::E365_CATEGORY_NETWORK,
        Some(Category::Protocol) => e365_category::E365_CATEGORY_PROTOCOL,
        Some(Category::Content) => e365_category::E365_CATEGORY_CONTENT,
        Some(Category::Security) => e365_category::E365_CATEGORY_SECURITY,
        Some(Category::Other) => e365_category::E365_CATEGORY_OTHER,
    }
}

fn into_raw(c: &Classification) -> *mut e365_classification {
    let mut s = Strings::default();
    let view = e365_classification {
        code: c.code,
        enhanced: s.keep_opt(c.enhanced.map(|e| e.to_string()).as_deref()),
        severity: severity(c.severity) as u32,
        severity_name: s.keep(c.severity.as_str()),
        category: category(c.category) as u32,
        category_name: s.keep_opt(c.category.map(Category::as_str)),
        retry: c.retry,
        description: s.keep(&c.description),
        inconsistent: c.inconsistent,
    };
    ClassificationBox::into_raw(view, s)
}

/// The command context: NULL = none; else a name the core knows.
unsafe fn command(ptr: *const c_char, len: usize) -> Result<Option<Command>, Error> {
    let Some(name) = (unsafe { opt_text(ptr, len, "command")? }) else {
        return Ok(None);
    };
    Command::from_wire(name).map(Some)
}

maker! {
    /// Parses a whole SMTP reply (`reply`, `reply_len` bytes: one or more lines `ddd-text` /
    /// `ddd text`, CRLF or LF line ends, one trailing line end allowed) and classifies it.
    ///
    /// `command` (`command_len` bytes) is the SMTP command the reply answers, for
    /// context-dependent rules (on `RCPT`, 452/552 x.5.3 "too many recipients" is
    /// transient): `EHLO`, `HELO`, `STARTTLS`, `AUTH`, `MAIL`, `RCPT`, `DATA`, `DATA_END`,
    /// `BDAT`, `RSET`, `NOOP`, `QUIT`, `GREETING`, `OTHER` (any case; also `MAIL FROM`,
    /// `RCPT TO`, `.`), or NULL for none. On success `*out` receives a new classification
    /// that the caller frees with `e365_classification_free`.
    ///
    /// Errors: `E365_INVALID_REPLY` (reason `empty`, `bad_code`, `bad_separator`,
    /// `mixed_codes`, `missing_final_line`, `trailing_data`, `line_too_long`,
    /// `too_many_lines`, `reply_too_long`; position = byte offset), `E365_INVALID_ARGUMENT`
    /// (`reply` or `out` NULL, text not UTF-8, unknown command: reason `unknown_command`).
    ///
    /// Thread-safe.
    ///
    /// # Safety
    /// `reply` is valid for reading `reply_len` bytes; `command` is NULL or valid for
    /// reading `command_len` bytes; `out` and `err_out` are NULL or valid for writing.
    fn e365_reply_classify(
        reply: *const c_char,
        reply_len: usize,
        command: *const c_char,
        command_len: usize,
    ) -> new_raw e365_classification {
        let command = unsafe { self::command(command, command_len)? };
        let reply = Reply::parse(unsafe { text(reply, reply_len, "reply")? })?;
        into_raw(&reply.classify(command))
    }
}

maker! {
    /// Classifies a basic reply code (`code`, 200 to 559 with a second digit 0 to 5) with an
    /// optional enhanced code (`enhanced`, `enhanced_len` bytes, exactly `x.y.z`; NULL for
    /// none) and an optional command context (as for `e365_reply_classify`; NULL for none).
    /// On success `*out` receives a new classification that the caller frees with
    /// `e365_classification_free`.
    ///
    /// Errors: `E365_INVALID_REPLY` (reason `bad_code`, or `bad_enhanced_code` with the
    /// position of the offending character), `E365_INVALID_ARGUMENT` (`out` NULL, text not
    /// UTF-8, unknown command).
    ///
    /// Thread-safe.
    ///
    /// # Safety
    /// `enhanced` and `command` are NULL or valid for reading their lengths; `out` and
    /// `err_out` are NULL or valid for writing.
    fn e365_reply_classify_code(
        code: u64,
        enhanced: *const c_char,
        enhanced_len: usize,
        command: *const c_char,
        command_len: usize,
    ) -> new_raw e365_classification {
        let command = unsafe { self::command(command, command_len)? };
        let code = check_code(code)?;
        let enhanced = unsafe { opt_text(enhanced, enhanced_len, "enhanced")? }
            .map(EnhancedCode::parse)
            .transpose()?;
        into_raw(&classify_code(code, enhanced, command))
    }
}

/// Frees a classification; NULL is ignored.
///
/// # Safety
/// `classification` is NULL or a classification from this library that was not freed
/// yet.
#[no_mangle]
pub unsafe extern "C" fn e365_classification_free(classification: *mut e365_classification) {
    unsafe { ClassificationBox::free(classification) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::*;
    use crate::testing::{refusal, view};
    use std::ptr::{null, null_mut};

    #[test]
    fn nul_in_a_reply_is_refused_before_it_can_cut_an_e365_str_short() {
        let reply = "550 5.1.1 no\0 such user\r\n";
        let mut out = null_mut();
        let mut err = null_mut();
        unsafe {
            assert_eq!(
                e365_reply_classify(
                    reply.as_ptr().cast(),
                    reply.len(),
                    null(),
                    0,
                    &mut out,
                    &mut err
                ),
                e365_result::E365_INVALID_REPLY
            );
            assert!(out.is_null());
            assert_eq!(crate::testing::reason(err), "nul_byte");
            e365_error_free(err);
        }
    }

    #[test]
    fn classifies_a_reply_in_rcpt_context() {
        let reply = "452 4.5.3 Error: too many recipients\r\n";
        let mut out = null_mut();
        unsafe {
            let code = e365_reply_classify(
                reply.as_ptr().cast(),
                reply.len(),
                c"rcpt".as_ptr(),
                4,
                &mut out,
                null_mut(),
            );
            assert_eq!(code, e365_result::E365_OK);
            let c = &*out;
            assert_eq!(c.code, 452);
            assert_eq!(view(c.enhanced).unwrap(), "4.5.3");
            assert_eq!(c.severity, e365_severity::E365_SEVERITY_TRANSIENT as u32);
            assert_eq!(view(c.severity_name).unwrap(), "transient");
            assert_eq!(c.category, e365_category::E365_CATEGORY_PROTOCOL as u32);
            assert_eq!(view(c.category_name).unwrap(), "protocol");
            assert!(c.retry);
            assert_eq!(view(c.description).unwrap(), "Too many recipients");
            e365_classification_free(out);
            e365_classification_free(null_mut());
        }
    }

    #[test]
    fn classifies_a_code_pair() {
        let mut out = null_mut();
        unsafe {
            assert_eq!(
                e365_reply_classify_code(
                    550,
                    c"5.1.1".as_ptr(),
                    5,
                    null(),
                    0,
                    &mut out,
                    null_mut()
                ),
                e365_result::E365_OK
            );
            assert_eq!(
                (*out).severity,
                e365_severity::E365_SEVERITY_PERMANENT as u32
            );
            assert!(!(*out).retry);
            e365_classification_free(out);
            assert_eq!(
                e365_reply_classify_code(250, null(), 0, null(), 0, &mut out, null_mut()),
                e365_result::E365_OK
            );
            assert_eq!((*out).category, e365_category::E365_CATEGORY_NONE as u32);
            assert!(view((*out).category_name).is_none());
            e365_classification_free(out);
        }
    }

    #[test]
    fn refusals() {
        let mut out = null_mut();
        unsafe {
            assert_eq!(
                refusal(e365_result::E365_INVALID_REPLY, |err| {
                    e365_reply_classify_code(99, null(), 0, null(), 0, &mut out, err)
                }),
                "bad_code"
            );
            assert_eq!(
                refusal(e365_result::E365_INVALID_ARGUMENT, |err| {
                    e365_reply_classify(c"250 ok".as_ptr(), 6, c"FROB".as_ptr(), 4, &mut out, err)
                }),
                "unknown_command"
            );
            assert_eq!(
                e365_reply_classify(
                    c"250 ok\r\n250 x".as_ptr(),
                    13,
                    null(),
                    0,
                    &mut out,
                    null_mut()
                ),
                e365_result::E365_INVALID_REPLY
            );
            assert_eq!(
                e365_reply_classify(null(), 0, null(), 0, &mut out, null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert_eq!(
                e365_reply_classify(c"250 ok".as_ptr(), 6, null(), 0, null_mut(), null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert_eq!(
                e365_reply_classify_code(250, null(), 0, null(), 0, null_mut(), null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert!(out.is_null());
        }
    }
}
