//! The bodies every extern fn of the binding shares (after rustls-ffi's `ffi.rs`):
//! freeing a boxed object, reading through a pointer that may be NULL (with the neutral
//! value for NULL), an item of a list by index, changing an object, handing a new object
//! out through `out`.
//! Each `#[no_mangle] extern "C" fn` stays written out with its documentation; only its
//! body comes from here. The exceptions, whose functions cbindgen sees through
//! `[parse.expand]`: a family of read-only accessors is one [`accessors!`] table, a
//! function that makes an object is written as [`maker!`] and one that can fail
//! otherwise as [`fallible!`] (their `out` and `err_out` parameters and their body's
//! frame come from the macro).

use crate::{boundary, e365_error, e365_result, e365_str, null_argument};
use email365::Error;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The value an accessor returns for a NULL object or an index out of range.
pub(crate) trait Neutral {
    /// `{NULL, 0}`, 0, false or NULL.
    const NEUTRAL: Self;
}

impl Neutral for e365_str {
    const NEUTRAL: Self = e365_str::NONE;
}

impl Neutral for u16 {
    const NEUTRAL: Self = 0;
}

impl Neutral for usize {
    const NEUTRAL: Self = 0;
}

impl Neutral for bool {
    const NEUTRAL: Self = false;
}

impl Neutral for e365_result {
    const NEUTRAL: Self = e365_result::E365_OK;
}

impl<T> Neutral for *const T {
    const NEUTRAL: Self = std::ptr::null();
}

/// `f` of the object behind `ptr`, or the neutral value when `ptr` is NULL.
///
/// # Safety
/// `ptr` is NULL or points at a live object.
pub(crate) unsafe fn read<T, R: Neutral>(ptr: *const T, f: impl FnOnce(&T) -> R) -> R {
    unsafe { ptr.as_ref() }.map_or(R::NEUTRAL, f)
}

/// [`read`] for a value that may be missing (`None` → the neutral value).
///
/// # Safety
/// As for [`read`].
pub(crate) unsafe fn read_opt<T, R: Neutral>(ptr: *const T, f: impl FnOnce(&T) -> Option<R>) -> R {
    unsafe { ptr.as_ref() }.and_then(f).unwrap_or(R::NEUTRAL)
}

/// A pointer to `items[index]`, `None` when `index` is out of range (for [`read_opt`]).
pub(crate) fn at<T>(items: &[T], index: usize) -> Option<*const T> {
    items.get(index).map(std::ptr::from_ref)
}

/// The pointer of an array field of a result struct: NULL when the array is empty.
pub(crate) fn array_ptr<T>(items: &[T]) -> *const T {
    if items.is_empty() {
        std::ptr::null()
    } else {
        items.as_ptr()
    }
}

/// Frees an object made by `Box::into_raw`; NULL is ignored and a panic of its drop
/// does not cross the boundary.
///
/// # Safety
/// `ptr` is NULL or came from `Box::<T>::into_raw` and was not freed.
pub(crate) unsafe fn free_box<T>(ptr: *mut T) {
    unsafe { free_box_with(ptr, drop) }
}

/// [`free_box`] that hands the box to `finish` (which drops it) first.
///
/// # Safety
/// As for [`free_box`].
pub(crate) unsafe fn free_box_with<T>(ptr: *mut T, finish: impl FnOnce(Box<T>)) {
    if !ptr.is_null() {
        let _ = catch_unwind(AssertUnwindSafe(|| finish(unsafe { Box::from_raw(ptr) })));
    }
}

/// The body of a function that changes an object: checks `ptr` (NULL →
/// `null_argument` naming `name`), then runs `change` on it under [`boundary`].
///
/// # Safety
/// `ptr` is NULL or a live object used by no other thread; `err_out` is NULL or valid
/// for writing.
pub(crate) unsafe fn change<T>(
    ptr: *mut T,
    name: &str,
    err_out: *mut *mut e365_error,
    change: impl FnOnce(&mut T) -> Result<(), Error>,
) -> e365_result {
    unsafe {
        boundary(err_out, || match ptr.as_mut() {
            Some(object) => change(object),
            None => Err(null_argument(name)),
        })
    }
}

/// The body of a function that makes an object: checks `out` first (NULL →
/// `null_argument`), then runs the block under [`ffi_boundary!`](crate::ffi_boundary)
/// (`?` and `try_ref!` work in it) and writes the pointer it gives into `*out`.
macro_rules! new_raw {
    ($out:expr, $err_out:expr, $make:block) => {
        $crate::ffi_boundary!($err_out, {
            let out = $crate::try_out!($out, "out");
            *out = $make;
            Ok(())
        })
    };
}

/// [`new_raw!`] for an object that is boxed as it is: the block gives the object.
macro_rules! new_boxed {
    ($out:expr, $err_out:expr, $make:block) => {
        $crate::ffi::new_raw!($out, $err_out, { Box::into_raw(Box::new($make)) })
    };
}

/// An `extern "C"` function that makes an object, written as
/// `fn name(parameters) -> new_raw T { block }` (the block gives a `*mut T`, as for
/// [`new_raw!`]) or `-> new_boxed T { block }` (the block gives the `T` to box, as for
/// [`new_boxed!`]), after its documentation. It takes the parameters written, then
/// `out: *mut *mut T` (receives the object) and `err_out: *mut *mut e365_error`, and
/// returns an `e365_result`. cbindgen sees it through `[parse.expand]`.
macro_rules! maker {
    (
        $(#[$attr:meta])*
        fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $how:ident $out:ty $body:block
    ) => {
        $(#[$attr])*
        #[no_mangle]
        pub unsafe extern "C" fn $name(
            $($arg: $ty,)*
            out: *mut *mut $out,
            err_out: *mut *mut e365_error,
        ) -> e365_result {
            $crate::ffi::$how!(out, err_out, $body)
        }
    };
}

/// An `extern "C"` function that can fail and makes no object, written after its
/// documentation as `fn name(parameters) { block }` (the block runs under
/// [`ffi_boundary!`](crate::ffi_boundary) and gives a `Result<(), Error>`), or, for one
/// that changes the object its first parameter points at,
/// `fn name(object: *mut T, more) changes |o| { block }` (the block runs on `&mut T` as for
/// [`change`]; NULL is `null_argument` naming the parameter). It takes the parameters
/// written and then `err_out: *mut *mut e365_error`, and returns an `e365_result`.
/// cbindgen sees it through `[parse.expand]`.
macro_rules! fallible {
    (
        $(#[$attr:meta])*
        fn $name:ident($obj:ident: *mut $obj_ty:ty $(, $arg:ident: $ty:ty)* $(,)?)
            changes |$o:ident| $body:block
    ) => {
        $(#[$attr])*
        #[no_mangle]
        pub unsafe extern "C" fn $name(
            $obj: *mut $obj_ty,
            $($arg: $ty,)*
            err_out: *mut *mut e365_error,
        ) -> e365_result {
            unsafe { $crate::ffi::change($obj, stringify!($obj), err_out, |$o| $body) }
        }
    };
    (
        $(#[$attr:meta])*
        fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $body:block
    ) => {
        $(#[$attr])*
        #[no_mangle]
        pub unsafe extern "C" fn $name(
            $($arg: $ty,)*
            err_out: *mut *mut e365_error,
        ) -> e365_result {
            $crate::ffi_boundary!(err_out, $body)
        }
    };
}

pub(crate) use {fallible, maker, new_boxed, new_raw};

/// The read-only accessors of one C type, each an `extern "C"` fn written as
/// `fn name(more args) -> R = read |x| value;` (the value of the object `x`; R's neutral
/// value when the object is NULL) or `= read_opt |x| value;` (a value that may be
/// missing, as [`read_opt`]). Each gets its documentation and then the `# Safety`
/// paragraph shared by the family. cbindgen sees the functions through
/// `[parse.expand]` (bindings-c/README.md, "How the header is made").
macro_rules! accessors {
    (
        $obj:ident: *const $ty:ty;
        safety = $safety:literal;
        $(
            $(#[$doc:meta])*
            fn $name:ident($($arg:ident: $arg_ty:ty),*) -> $ret:ty =
                $how:ident |$x:ident| $value:expr;
        )*
    ) => {
        $(
            $(#[$doc])*
            ///
            /// # Safety
            #[doc = concat!(" ", $safety)]
            #[no_mangle]
            pub unsafe extern "C" fn $name($obj: *const $ty, $($arg: $arg_ty),*) -> $ret {
                unsafe { $crate::ffi::$how($obj, |$x| $value) }
            }
        )*
    };
}

pub(crate) use accessors;
