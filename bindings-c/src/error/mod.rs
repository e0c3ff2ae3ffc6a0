//! Errors in C: the status enum [`e365_result`] (generated from the core's table of
//! kinds into `codes.rs`), its names and families, and the error object [`e365_error`]
//! with its accessors.

mod codes;

pub use codes::e365_result;
use codes::CODES;

use crate::ffi::{accessors, array_ptr, free_box};
use crate::{e365_str, Strings};
use email365::{Error, ErrorKind};
use std::collections::HashMap;
use std::ffi::{c_char, CString};
use std::sync::OnceLock;

/// The same numbers as `uint32_t`, for [`e365_result_codes`].
static CODE_NUMBERS: [u32; CODES.len()] = {
    let mut out = [0u32; CODES.len()];
    let mut i = 0;
    while i < CODES.len() {
        out[i] = CODES[i] as u32;
        i += 1;
    }
    out
};

impl e365_result {
    /// The code of a core error kind (by its number; `E365_INTERNAL` for a kind this
    /// binding does not know, which the tests rule out).
    pub fn from_kind(kind: ErrorKind) -> e365_result {
        CODES
            .iter()
            .copied()
            .find(|c| *c as u32 == kind.number())
            .unwrap_or(e365_result::E365_INTERNAL)
    }
}

/// NUL-terminated names of the core's kinds by number, plus `"ok"` for 0.
fn names() -> &'static HashMap<u32, CString> {
    static NAMES: OnceLock<HashMap<u32, CString>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut map: HashMap<u32, CString> = ErrorKind::ALL
            .iter()
            .filter_map(|k| Some((k.number(), CString::new(k.as_str()).ok()?)))
            .collect();
        map.insert(0, c"ok".to_owned());
        map
    })
}

/// The snake_case name of a result code: `"ok"` for `E365_OK`, the kind's name shared by
/// every binding otherwise (`"invalid_address"`, `"smtp_transient"`, …), and NULL for a
/// number that is no code. The string is static: do not free it.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn e365_result_name(code: u32) -> *const c_char {
    static_name(names, code)
}

/// The name of `code` in `table` (NULL when it has none; a panic is caught).
fn static_name(table: fn() -> &'static HashMap<u32, CString>, code: u32) -> *const c_char {
    std::panic::catch_unwind(|| table().get(&code).map_or(std::ptr::null(), |n| n.as_ptr()))
        .unwrap_or(std::ptr::null())
}

/// NUL-terminated names of the families by kind number.
fn families() -> &'static HashMap<u32, CString> {
    static FAMILIES: OnceLock<HashMap<u32, CString>> = OnceLock::new();
    FAMILIES.get_or_init(|| {
        ErrorKind::ALL
            .iter()
            .filter_map(|k| Some((k.number(), CString::new(k.family().as_str()).ok()?)))
            .collect()
    })
}

/// The family of a result code's kind (docs/ERRORS.md): `"input"`, `"connection"`,
/// `"smtp"`, `"status"` or `"internal"`; NULL for `E365_OK` and for a number that is no
/// code. The string is static: do not free it.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn e365_result_family(code: u32) -> *const c_char {
    static_name(families, code)
}

/// Every error code (`E365_OK` excluded) in number order: returns a static array and
/// writes its length into `*len_out` (when `len_out` is not NULL). Do not free it.
///
/// # Safety
/// `len_out` is NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn e365_result_codes(len_out: *mut usize) -> *const u32 {
    if let Some(len) = unsafe { len_out.as_mut() } {
        *len = CODE_NUMBERS.len();
    }
    CODE_NUMBERS.as_ptr()
}

/// One SMTP reply carried by an error (several for `E365_RECIPIENTS_REJECTED`, one per
/// refused recipient). The strings belong to the error object.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e365_smtp_reply {
    /// The basic three-digit code.
    pub code: u16,
    /// The enhanced code `class.subject.detail`, or `{NULL, 0}`.
    pub enhanced: e365_str,
    /// The reply text, lines joined with `\n`, codes removed.
    pub text: e365_str,
    /// The recipient this reply concerns, or `{NULL, 0}`.
    pub recipient: e365_str,
}

/// The details of a failure: kind, reason, message, position, the transient flag and the
/// SMTP replies, if any. Created by a failing function when `err_out` is not NULL;
/// freed with `e365_error_free`.
///
/// Immutable: an error may be read from several threads at once and freed from any
/// thread (once).
pub struct e365_error {
    inner: Error,
    kind_code: e365_result,
    reason: Option<CString>,
    message: e365_str,
    replies: Vec<e365_smtp_reply>,
    _strings: Strings,
}

impl e365_error {
    /// Moves `error` into a new error object for C.
    pub(crate) fn into_raw(error: Error) -> *mut e365_error {
        let mut strings = Strings::default();
        let message = strings.keep(error.message());
        let replies = error
            .replies()
            .iter()
            .map(|r| e365_smtp_reply {
                code: r.code,
                enhanced: strings.keep_opt(r.enhanced.as_deref()),
                text: strings.keep(&r.text),
                recipient: strings.keep_opt(r.recipient.as_deref()),
            })
            .collect();
        Box::into_raw(Box::new(e365_error {
            kind_code: e365_result::from_kind(error.kind()),
            reason: error.reason().and_then(|r| CString::new(r).ok()),
            message,
            replies,
            inner: error,
            _strings: strings,
        }))
    }

    /// The core error inside.
    pub fn error(&self) -> &Error {
        &self.inner
    }
}

/// Frees an error object; NULL is ignored.
///
/// # Safety
/// `err` is NULL or an error object from this library that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn e365_error_free(err: *mut e365_error) {
    unsafe { free_box(err) }
}

accessors! {
    err: *const e365_error;
    safety = "`err` is NULL or a live error object.";

    /// The error's kind as a result code (`E365_INVALID_ADDRESS`, …); `E365_OK` for NULL.
    fn e365_error_kind() -> e365_result = read |e| e.kind_code;

    /// The finer diagnosis code (a stable snake_case string such as `"no_at"`), or NULL when
    /// there is none (or `err` is NULL). Owned by the error object.
    fn e365_error_reason() -> *const c_char =
        read_opt |e| e.reason.as_ref().map(|r| r.as_ptr());

    /// The human message (NUL-terminated, never NULL for a live error; `{NULL, 0}` for a
    /// NULL `err`). Owned by the error object. It never contains a credential.
    fn e365_error_message() -> e365_str = read |e| e.message;
}

/// Writes the UTF-8 byte offset of a parse error into `*position_out` and returns true;
/// returns false (and writes nothing) when the error has no position or `err` or
/// `position_out` is NULL.
///
/// # Safety
/// `err` is NULL or a live error object; `position_out` is NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn e365_error_position(
    err: *const e365_error,
    position_out: *mut usize,
) -> bool {
    match (
        unsafe { err.as_ref() }.and_then(|e| e.inner.position()),
        unsafe { position_out.as_mut() },
    ) {
        (Some(p), Some(out)) => {
            *out = p;
            true
        }
        _ => false,
    }
}

accessors! {
    err: *const e365_error;
    safety = "`err` is NULL or a live error object.";

    /// Whether retrying later may succeed (transient SMTP refusals, lost connections,
    /// timeouts); false for NULL.
    fn e365_error_transient() -> bool = read |e| e.inner.transient();

    /// The basic code of the (first) SMTP reply of the error, or 0 when it carries none.
    fn e365_error_smtp_code() -> u16 = read_opt |e| e.replies.first().map(|r| r.code);

    /// The enhanced code of the (first) SMTP reply (`"5.1.1"`), or `{NULL, 0}`. Owned by
    /// the error object.
    fn e365_error_enhanced_code() -> e365_str = read_opt |e| e.replies.first().map(|r| r.enhanced);

    /// The text of the (first) SMTP reply, or `{NULL, 0}`. Owned by the error object.
    fn e365_error_reply_text() -> e365_str = read_opt |e| e.replies.first().map(|r| r.text);
}

/// Every SMTP reply of the error (one per refused recipient for
/// `E365_RECIPIENTS_REJECTED`): returns the array (owned by the error object; NULL when
/// there is none) and writes its length into `*len_out` (when not NULL).
///
/// # Safety
/// `err` is NULL or a live error object; `len_out` is NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn e365_error_replies(
    err: *const e365_error,
    len_out: *mut usize,
) -> *const e365_smtp_reply {
    let replies = unsafe { err.as_ref() }.map_or(&[][..], |e| &e.replies[..]);
    if let Some(len) = unsafe { len_out.as_mut() } {
        *len = replies.len();
    }
    array_ptr(replies)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::view;
    use email365::error::ErrorReply;
    use std::ffi::CStr;

    #[test]
    fn every_kind_has_a_code_with_its_number_and_name() {
        for kind in ErrorKind::ALL {
            let code = e365_result::from_kind(kind);
            assert_eq!(code as u32, kind.number(), "{kind}");
            let name = unsafe { CStr::from_ptr(e365_result_name(code as u32)) };
            assert_eq!(name.to_str().unwrap(), kind.as_str());
            // The C name is E365_ + the kind's name in capitals.
            let debug = format!("{code:?}");
            assert_eq!(debug, format!("E365_{}", kind.as_str().to_uppercase()));
        }
        assert_eq!(CODES.len(), ErrorKind::ALL.len());
        let ok = unsafe { CStr::from_ptr(e365_result_name(0)) };
        assert_eq!(ok.to_str().unwrap(), "ok");
        assert!(e365_result_name(42).is_null());
    }

    /// Renders `codes.rs` from the core's table (the only source of the C enum).
    fn render_codes() -> String {
        let mut out = String::from(
            "//! GENERATED from the core's table of error kinds (`email365::error::KINDS`) by the\n\
             //! test `result_codes_are_generated_from_the_core` in `mod.rs`: do not edit. After\n\
             //! changing the table run `E365_BLESS=1 cargo test -p email365-c --lib error`.\n\n\
             /// The status every fallible function returns: `E365_OK` (0) or the stable number of the\n\
             /// error kind (grouped by area: 1xxx input, 3xxx SMTP and network, 4xxx status API, 9xxx\n\
             /// internal). The numbers never change once published; `e365_result_name` gives the\n\
             /// snake_case name shared by every binding (`\"invalid_address\"`) and\n\
             /// `e365_result_family` its family (docs/ERRORS.md).\n\
             #[repr(u32)]\n\
             #[derive(Debug, Clone, Copy, PartialEq, Eq)]\n\
             pub enum e365_result {\n    /// Success.\n    E365_OK = 0,\n",
        );
        let constant = |name: &str| format!("E365_{}", name.to_uppercase());
        for info in email365::error::KINDS {
            out += &format!("    /// {}\n", info.doc);
            out += &format!("    {} = {},\n", constant(info.name), info.number);
        }
        out += "}\n\n/// Every error code, in number order (`E365_OK` excluded).\n";
        out += &format!(
            "pub(crate) const CODES: [e365_result; {}] = [\n",
            email365::error::KINDS.len()
        );
        for info in email365::error::KINDS {
            out += &format!("    e365_result::{},\n", constant(info.name));
        }
        out + "];\n"
    }

    #[test]
    fn result_codes_are_generated_from_the_core() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/error/codes.rs");
        let want = render_codes();
        if std::env::var_os("E365_BLESS").is_some() {
            std::fs::write(path, &want).unwrap();
        }
        let have = std::fs::read_to_string(path).unwrap();
        assert!(
            have == want,
            "src/error/codes.rs differs from the core's table: run with E365_BLESS=1"
        );
    }

    #[test]
    fn the_header_enum_is_the_core_table() {
        let header = include_str!("../../include/email365.h");
        let body = header
            .split_once("enum e365_result\n")
            .and_then(|(_, rest)| rest.split_once("};"))
            .map(|(body, _)| body)
            .expect("the header declares enum e365_result");
        let listed: Vec<(String, u32)> = body
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("E365_"))
            .filter_map(|l| l.trim_end_matches(',').split_once(" = "))
            .map(|(name, n)| (name.to_string(), n.parse().unwrap()))
            .collect();
        let mut want = vec![("E365_OK".to_string(), 0)];
        want.extend(
            email365::error::KINDS
                .iter()
                .map(|k| (format!("E365_{}", k.name.to_uppercase()), k.number)),
        );
        assert_eq!(
            listed, want,
            "regenerate the header: make -C bindings-c header"
        );
        for info in email365::error::KINDS {
            assert!(body.contains(info.doc), "{}: doc line missing", info.name);
        }
    }

    #[test]
    fn every_code_has_its_family() {
        for kind in ErrorKind::ALL {
            let family = unsafe { CStr::from_ptr(e365_result_family(kind.number())) };
            assert_eq!(family.to_str().unwrap(), kind.family().as_str());
        }
        assert!(e365_result_family(0).is_null());
        assert!(e365_result_family(42).is_null());
        assert_eq!(email365::error::Family::ALL.len(), 5);
    }

    #[test]
    fn code_list_is_complete() {
        let mut len = 0usize;
        let ptr = unsafe { e365_result_codes(&mut len) };
        let codes = unsafe { std::slice::from_raw_parts(ptr, len) };
        let want: Vec<u32> = ErrorKind::ALL.iter().map(|k| k.number()).collect();
        assert_eq!(codes, &want[..]);
        assert!(!unsafe { e365_result_codes(std::ptr::null_mut()) }.is_null());
    }

    #[test]
    fn accessors_read_every_field() {
        let error = Error::new(ErrorKind::RecipientsRejected, "every recipient was refused")
            .with_reason("all_refused")
            .with_position(7)
            .with_reply(ErrorReply {
                code: 550,
                enhanced: Some("5.1.1".into()),
                text: "No such user".into(),
                recipient: Some("a@example.com".into()),
            })
            .with_reply(ErrorReply {
                code: 450,
                enhanced: None,
                text: "Busy".into(),
                recipient: Some("b@example.com".into()),
            });
        let err = e365_error::into_raw(error);
        unsafe {
            assert_eq!(e365_error_kind(err), e365_result::E365_RECIPIENTS_REJECTED);
            assert_eq!(
                CStr::from_ptr(e365_error_reason(err)).to_str().unwrap(),
                "all_refused"
            );
            assert_eq!(
                view(e365_error_message(err)).unwrap(),
                "every recipient was refused"
            );
            let mut pos = 0;
            assert!(e365_error_position(err, &mut pos));
            assert_eq!(pos, 7);
            assert!(!e365_error_position(err, std::ptr::null_mut()));
            assert!(!e365_error_transient(err));
            assert_eq!(e365_error_smtp_code(err), 550);
            assert_eq!(view(e365_error_enhanced_code(err)).unwrap(), "5.1.1");
            assert_eq!(view(e365_error_reply_text(err)).unwrap(), "No such user");
            let mut n = 0;
            let replies = std::slice::from_raw_parts(e365_error_replies(err, &mut n), n);
            assert_eq!(n, 2);
            assert_eq!(replies[1].code, 450);
            assert_eq!(view(replies[1].enhanced), None);
            assert_eq!(view(replies[1].recipient).unwrap(), "b@example.com");
            e365_error_free(err);
        }
    }

    #[test]
    fn accessors_of_null_are_neutral() {
        let null = std::ptr::null();
        unsafe {
            assert_eq!(e365_error_kind(null), e365_result::E365_OK);
            assert!(e365_error_reason(null).is_null());
            assert!(e365_error_message(null).data.is_null());
            let mut pos = 99;
            assert!(!e365_error_position(null, &mut pos));
            assert_eq!(pos, 99);
            assert!(!e365_error_transient(null));
            assert_eq!(e365_error_smtp_code(null), 0);
            assert!(e365_error_enhanced_code(null).data.is_null());
            assert!(e365_error_reply_text(null).data.is_null());
            let mut n = 5;
            assert!(e365_error_replies(null, &mut n).is_null());
            assert_eq!(n, 0);
            e365_error_free(std::ptr::null_mut());
        }
    }

    #[test]
    fn transient_flag_is_carried() {
        let err = e365_error::into_raw(Error::new(ErrorKind::SmtpTransient, "later"));
        unsafe {
            assert!(e365_error_transient(err));
            assert!(e365_error_reason(err).is_null());
            let mut pos = 0;
            assert!(!e365_error_position(err, &mut pos));
            assert!(e365_error_replies(err, std::ptr::null_mut()).is_null());
            e365_error_free(err);
        }
    }
}
