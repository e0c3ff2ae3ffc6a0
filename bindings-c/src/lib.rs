//! The C binding of email365: `extern "C"` functions over the core, one file per core
//! module, and the conventions they share (this file; the bodies the functions share
//! are in `ffi` and `sending`).
//!
//! Conventions (also in the header and `bindings-c/README.md`):
//! - Every fallible function returns an [`e365_result`]: `E365_OK` (0) or the number of
//!   the error kind. Outputs are written only on success.
//! - The last parameter of a fallible function is an optional `e365_error **err_out`:
//!   when it is not NULL and the call fails, `*err_out` receives a new error object that
//!   the caller frees with `e365_error_free`. It is not touched on success.
//! - Text and bytes come in as pointer + length ([`e365_str`] or `const char *, size_t`);
//!   a NUL inside text reaches the core, which judges it. A NULL pointer where a value is
//!   required, or text that is not UTF-8, gives `E365_INVALID_ARGUMENT`.
//! - Every object the library allocates has its `_free` function; `_free(NULL)` does
//!   nothing.
//! - No panic crosses the boundary: [`boundary`] catches it and returns `E365_INTERNAL`.

#![allow(non_camel_case_types)]
// Every extern fn checks its pointers itself (NULL → E365_INVALID_ARGUMENT); the
// remaining contract (pointers valid for the given lengths) is the C caller's and is
// written in each function's documentation.
#![allow(clippy::missing_safety_doc)]

use email365::{Error, ErrorKind};
use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

pub mod address;
pub mod cli;
pub mod error;
mod ffi;
pub mod message;
pub mod notification_id;
pub mod options;
pub mod outgoing;
pub mod policy;
pub mod poll;
pub mod pool;
pub mod reply;
mod sending;
pub mod smtp;
pub mod status;

pub use error::{e365_error, e365_result};

/// A view of text: `data` points at `len` bytes of UTF-8.
///
/// As an output (a field of a result), `data` is also NUL-terminated (the NUL is not
/// counted in `len`), stays valid as long as the object that holds it, and is NULL
/// when the value is absent (JSON `null`). As an input, `data` need not be
/// NUL-terminated; a NULL `data` means "absent" for optional fields and is refused with
/// `E365_INVALID_ARGUMENT` for required ones.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e365_str {
    /// The bytes (NUL-terminated in outputs), or NULL when absent.
    pub data: *const c_char,
    /// The number of bytes, without the terminating NUL.
    pub len: usize,
}

impl e365_str {
    /// The absent value: `{NULL, 0}`.
    pub const NONE: e365_str = e365_str {
        data: std::ptr::null(),
        len: 0,
    };
}

/// Owned NUL-terminated copies of strings that result structs point into.
#[derive(Default)]
pub(crate) struct Strings(Vec<Box<[u8]>>);

impl Strings {
    /// Keeps a NUL-terminated copy of `s` and returns a view of it.
    pub(crate) fn keep(&mut self, s: &str) -> e365_str {
        let mut bytes = Vec::with_capacity(s.len() + 1);
        bytes.extend_from_slice(s.as_bytes());
        bytes.push(0);
        let boxed = bytes.into_boxed_slice();
        let view = e365_str {
            data: boxed.as_ptr().cast(),
            len: s.len(),
        };
        self.0.push(boxed);
        view
    }

    /// [`Strings::keep`] for an optional value (`None` → `{NULL, 0}`).
    pub(crate) fn keep_opt(&mut self, s: Option<&str>) -> e365_str {
        s.map_or(e365_str::NONE, |s| self.keep(s))
    }
}

/// A result struct handed to C (`view`, first, so that a pointer to the box is a pointer
/// to the view) with what the view points into.
#[repr(C)]
pub(crate) struct Owned<V, K> {
    pub(crate) view: V,
    pub(crate) keep: K,
}

impl<V, K> Owned<V, K> {
    /// Moves the pair to the heap and returns the pointer C receives.
    pub(crate) fn into_raw(view: V, keep: K) -> *mut V {
        Box::into_raw(Box::new(Owned { view, keep })).cast()
    }

    /// Borrows the pair behind a pointer made by [`Owned::into_raw`].
    ///
    /// # Safety
    /// `ptr` is NULL or came from `Owned::<V, K>::into_raw` and was not freed.
    pub(crate) unsafe fn from_view<'a>(ptr: *const V) -> Option<&'a Owned<V, K>> {
        unsafe { ptr.cast::<Owned<V, K>>().as_ref() }
    }

    /// Frees a pointer made by [`Owned::into_raw`] ([`ffi::free_box`]: NULL is ignored,
    /// a panic is caught).
    ///
    /// # Safety
    /// `ptr` is NULL or came from `Owned::<V, K>::into_raw` and was not freed.
    pub(crate) unsafe fn free(ptr: *mut V) {
        unsafe { ffi::free_box(ptr.cast::<Owned<V, K>>()) }
    }
}

/// The error of a NULL pointer where a value is required.
pub(crate) fn null_argument(name: &str) -> Error {
    Error::new(
        ErrorKind::InvalidArgument,
        format!("argument `{name}` is NULL"),
    )
    .with_reason("null_argument")
}

/// Borrows `len` bytes at `ptr` as UTF-8 text; NULL → `null_argument`, bytes that are
/// not UTF-8 → `invalid_utf8` with the offset of the first bad byte.
///
/// # Safety
/// `ptr` is NULL or valid for reading `len` bytes for the lifetime `'a`.
pub(crate) unsafe fn text<'a>(
    ptr: *const c_char,
    len: usize,
    name: &str,
) -> Result<&'a str, Error> {
    let bytes = unsafe { bytes(ptr, len, name)? };
    std::str::from_utf8(bytes).map_err(|e| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "argument `{name}` is not UTF-8: bad byte at offset {}",
                e.valid_up_to()
            ),
        )
        .with_reason("invalid_utf8")
        .with_position(e.valid_up_to())
    })
}

/// [`text`] for an optional argument: a NULL pointer is `None`.
///
/// # Safety
/// As for [`text`].
pub(crate) unsafe fn opt_text<'a>(
    ptr: *const c_char,
    len: usize,
    name: &str,
) -> Result<Option<&'a str>, Error> {
    if ptr.is_null() {
        Ok(None)
    } else {
        unsafe { text(ptr, len, name).map(Some) }
    }
}

/// Borrows `len` bytes at `ptr`; NULL → `null_argument`.
///
/// # Safety
/// `ptr` is NULL or valid for reading `len` bytes for the lifetime `'a`.
pub(crate) unsafe fn bytes<'a>(
    ptr: *const c_char,
    len: usize,
    name: &str,
) -> Result<&'a [u8], Error> {
    if ptr.is_null() {
        return Err(null_argument(name));
    }
    if len > isize::MAX as usize {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("argument `{name}` has an impossible length {len}"),
        )
        .with_reason("bad_length"));
    }
    Ok(unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) })
}

/// Borrows the text of an input [`e365_str`] (required).
///
/// # Safety
/// As for [`text`], with `s.data` and `s.len`.
pub(crate) unsafe fn str_text<'a>(s: e365_str, name: &str) -> Result<&'a str, Error> {
    unsafe { text(s.data, s.len, name) }
}

/// Borrows the text of an input [`e365_str`] (optional: NULL `data` is `None`).
///
/// # Safety
/// As for [`text`], with `s.data` and `s.len`.
pub(crate) unsafe fn str_opt_text<'a>(s: e365_str, name: &str) -> Result<Option<&'a str>, Error> {
    unsafe { opt_text(s.data, s.len, name) }
}

/// Borrows `n` items at `ptr` (NULL allowed only when `n` is 0).
///
/// # Safety
/// `ptr` is NULL or valid for reading `n` items for the lifetime `'a`.
pub(crate) unsafe fn items<'a, T>(ptr: *const T, n: usize, name: &str) -> Result<&'a [T], Error> {
    if n == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(null_argument(name));
    }
    if n > isize::MAX as usize / std::mem::size_of::<T>().max(1) {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("argument `{name}` has an impossible length {n}"),
        )
        .with_reason("bad_length"));
    }
    Ok(unsafe { std::slice::from_raw_parts(ptr, n) })
}

/// Borrows the texts of `n` input [`e365_str`]s at `ptr` (`name`; NULL allowed only when
/// `n` is 0), each required (`entry` names one in errors).
///
/// # Safety
/// As for [`items`], and each entry as for [`str_text`].
pub(crate) unsafe fn str_list<'a>(
    ptr: *const e365_str,
    n: usize,
    name: &str,
    entry: &str,
) -> Result<Vec<&'a str>, Error> {
    unsafe { items(ptr, n, name)? }
        .iter()
        .map(|s| unsafe { str_text(*s, entry) })
        .collect()
}

/// Reads `n` object pointers at `ptr` (`name`; NULL allowed only when `n` is 0) through
/// `get`, which gives `None` for a NULL entry (→ `null_argument` naming `entry`).
///
/// # Safety
/// `ptr` is NULL or valid for reading `n` pointers, each as `get`
/// requires.
pub(crate) unsafe fn pointers<T, R>(
    ptr: *const *const T,
    n: usize,
    name: &str,
    entry: &str,
    get: impl FnMut(*const T) -> Option<R>,
) -> Result<Vec<R>, Error> {
    unsafe { items(ptr, n, name)? }
        .iter()
        .copied()
        .map(get)
        .map(|r| r.ok_or_else(|| null_argument(entry)))
        .collect()
}

/// Borrows the object behind a pointer argument, or returns `null_argument` from the
/// enclosing closure.
macro_rules! try_ref {
    ($ptr:expr, $name:literal) => {
        match unsafe { $ptr.as_ref() } {
            Some(r) => r,
            None => return Err($crate::null_argument($name)),
        }
    };
}

/// Checks that an output pointer is not NULL (returns `null_argument` from the
/// enclosing closure otherwise) and gives it back for writing once everything worked.
macro_rules! try_out {
    ($ptr:expr, $name:literal) => {
        match unsafe { $ptr.as_mut() } {
            Some(r) => r,
            None => return Err($crate::null_argument($name)),
        }
    };
}

/// The body of an extern fn: runs under [`boundary`] (panics caught, errors stored into
/// `err_out`), returning the [`e365_result`].
macro_rules! ffi_boundary {
    ($err_out:expr, $body:block) => {
        $crate::boundary(
            $err_out,
            move || -> ::std::result::Result<(), ::email365::Error> { $body },
        )
    };
}

pub(crate) use {ffi_boundary, try_out, try_ref};

/// Runs `f`, catching any panic (→ `E365_INTERNAL`), and turns its error into the
/// result code, storing the error object into `*err_out` when `err_out` is not NULL.
///
/// # Safety
/// `err_out` is NULL or valid for writing.
pub unsafe fn boundary<F>(err_out: *mut *mut e365_error, f: F) -> e365_result
where
    F: FnOnce() -> Result<(), Error>,
{
    let outcome = catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(Error::new(
            ErrorKind::Internal,
            "a panic was caught at the C boundary (a bug in email365: please report it)",
        )
        .with_reason("panic"))
    });
    match outcome {
        Ok(()) => e365_result::E365_OK,
        Err(error) => {
            let code = e365_result::from_kind(error.kind());
            if !err_out.is_null() {
                // Building the error object allocates; a panic there must not escape either.
                if let Ok(object) = catch_unwind(AssertUnwindSafe(|| e365_error::into_raw(error))) {
                    unsafe { *err_out = object };
                }
            }
            code
        }
    }
}

/// The version of the library (the workspace version), NUL-terminated and static.
#[no_mangle]
pub extern "C" fn e365_version() -> *const c_char {
    static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    VERSION.as_ptr().cast()
}

/// Frees a string the library returned as `char *` (for example a notification id);
/// NULL is ignored.
///
/// # Safety
/// `s` is NULL or a string returned by this library that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn e365_string_free(s: *mut c_char) {
    if !s.is_null() {
        let _ = catch_unwind(AssertUnwindSafe(|| {
            drop(unsafe { std::ffi::CString::from_raw(s) });
        }));
    }
}

/// Allocates a NUL-terminated copy of `s` for C (freed by `e365_string_free`). Text
/// with an inner NUL is refused (`internal`: the core never returns such ids).
pub(crate) fn c_string(s: &str) -> Result<*mut c_char, Error> {
    std::ffi::CString::new(s)
        .map(std::ffi::CString::into_raw)
        .map_err(|_| Error::new(ErrorKind::Internal, "a returned string holds a NUL byte"))
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers of the unit tests of the extern fns.

    use super::*;

    /// The text of an output view (`None` when absent).
    pub fn view(s: e365_str) -> Option<String> {
        if s.data.is_null() {
            return None;
        }
        let bytes = unsafe { std::slice::from_raw_parts(s.data.cast::<u8>(), s.len + 1) };
        assert_eq!(bytes[s.len], 0, "output text is NUL-terminated");
        Some(String::from_utf8(bytes[..s.len].to_vec()).expect("UTF-8"))
    }

    /// The reason of an error object (it stays alive).
    pub fn reason(err: *const e365_error) -> String {
        let r = unsafe { std::ffi::CStr::from_ptr(error::e365_error_reason(err)) };
        r.to_str().expect("UTF-8").to_string()
    }

    /// An input view of `s`.
    /// Runs `call` with a fresh error slot: checks that it returns `want` and writes an
    /// error object of that kind; gives the object's reason (empty when it has none) and
    /// frees it.
    ///
    /// # Safety
    /// As for the function `call` calls.
    pub unsafe fn refusal(
        want: e365_result,
        call: impl FnOnce(*mut *mut e365_error) -> e365_result,
    ) -> String {
        let mut err: *mut e365_error = std::ptr::null_mut();
        assert_eq!(call(&mut err), want);
        assert!(!err.is_null(), "no error object for {want:?}");
        assert_eq!(unsafe { error::e365_error_kind(err) }, want);
        let reason = unsafe { error::e365_error_reason(err) };
        let reason = if reason.is_null() {
            String::new()
        } else {
            let r = unsafe { std::ffi::CStr::from_ptr(reason) };
            r.to_str().expect("UTF-8").to_string()
        };
        unsafe { error::e365_error_free(err) };
        reason
    }

    pub fn input(s: &str) -> e365_str {
        e365_str {
            data: s.as_ptr().cast(),
            len: s.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_internal_with_an_error_object() {
        let mut err: *mut e365_error = std::ptr::null_mut();
        let code = unsafe { boundary(&mut err, || panic!("boom")) };
        assert_eq!(code, e365_result::E365_INTERNAL);
        assert!(!err.is_null());
        assert_eq!(
            unsafe { error::e365_error_kind(err) },
            e365_result::E365_INTERNAL
        );
        unsafe { error::e365_error_free(err) };
        // Without err_out as well.
        assert_eq!(
            unsafe { boundary(std::ptr::null_mut(), || panic!("boom")) },
            e365_result::E365_INTERNAL
        );
    }

    #[test]
    fn invalid_utf8_is_an_invalid_argument_at_its_offset() {
        let bad = b"ab\xffcd";
        let e = unsafe { text(bad.as_ptr().cast(), bad.len(), "x") }.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert_eq!(e.reason(), Some("invalid_utf8"));
        assert_eq!(e.position(), Some(2));
        let e = unsafe { text(std::ptr::null(), 0, "x") }.unwrap_err();
        assert_eq!(e.reason(), Some("null_argument"));
        assert_eq!(unsafe { opt_text(std::ptr::null(), 5, "x") }.unwrap(), None);
    }

    #[test]
    fn version_matches_cargo_and_the_header() {
        let v = unsafe { std::ffi::CStr::from_ptr(e365_version()) };
        assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
        let header = include_str!("../include/email365.h");
        let want = format!("#define E365_VERSION \"{}\"", env!("CARGO_PKG_VERSION"));
        assert!(header.contains(&want), "header lacks {want}");
        for (name, value) in [
            ("E365_VERSION_MAJOR", env!("CARGO_PKG_VERSION_MAJOR")),
            ("E365_VERSION_MINOR", env!("CARGO_PKG_VERSION_MINOR")),
            ("E365_VERSION_PATCH", env!("CARGO_PKG_VERSION_PATCH")),
        ] {
            assert!(
                header.contains(&format!("#define {name} {value}\n")),
                "{name}"
            );
        }
    }

    #[test]
    fn string_free_accepts_null() {
        unsafe { e365_string_free(std::ptr::null_mut()) };
    }
}
