//! email365 for JavaScript: wasm-bindgen exports over the core, one file per core module.
//!
//! This crate converts types and errors and nothing else: every rule, table, parser and
//! policy lives in the core (`email365`). Values cross the boundary as plain objects
//! through serde-wasm-bindgen; results are serialised with
//! `Serializer::json_compatible()` so that absent values are `null` and maps are plain
//! objects. TypeScript declarations of every option object and result are generated
//! (tsify-next), never written by hand: the option objects from the types below, the
//! results from the core's own types, whose serde and TypeScript shapes its `wasm`
//! feature derives (no mirror of a core type here).
//!
//! Failures are thrown as plain `{kind, reason, message, position, transient, replies}`
//! objects; the package's JS layer (`js/api.mjs`) turns them into `Email365Error`
//! subclasses, so the raw module is not the public API.
//!
//! With the `transport` feature (the Node module only) the crate also exports
//! `SmtpSession`, the core's SMTP session over a JavaScript socket adapter (`smtp`);
//! with `command` (also the Node module only), `runCommand`, the core's `send` /
//! `status` command over a JavaScript host (`command`).
//!
//! The crate also compiles natively (it is a workspace member), where its pure
//! conversion functions are unit-tested; the `#[wasm_bindgen]` exports only run in wasm.

pub mod address;
#[cfg(feature = "command")]
pub mod command;
pub mod error;
pub mod message;
pub mod poll;
pub mod reply;
#[cfg(feature = "transport")]
pub mod smtp;
pub mod status;

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// The allocator of the module: talc, smaller and faster than the standard library's
/// dlmalloc in wasm (the module is single-threaded: no `atomics`).
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// The version of the package: the workspace version, shared by every crate and package.
#[wasm_bindgen]
pub fn version() -> String {
    email365::VERSION.to_string()
}

/// The serializer of every result: `Serializer::json_compatible()` (`null` for `None`,
/// plain objects for maps) except that bytes stay `Uint8Array` instead of number arrays.
pub(crate) const RESULTS: serde_wasm_bindgen::Serializer =
    serde_wasm_bindgen::Serializer::json_compatible().serialize_bytes_as_arrays(false);

/// Serialises a result into a plain JS value (`null` for `None`, plain objects for maps).
pub(crate) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value.serialize(&RESULTS).map_err(result_error)
}

/// The thrown error of a result that could not be serialised (one copy for every `T`).
#[inline(never)]
fn result_error(e: serde_wasm_bindgen::Error) -> JsValue {
    error::to_js(&email365::Error::new(
        email365::ErrorKind::Internal,
        format!("could not convert a result to JavaScript: {e}"),
    ))
}

/// Reads an argument object; a wrong shape is an `invalid_argument` error naming `what`.
pub(crate) fn from_js<T: DeserializeOwned>(value: JsValue, what: &str) -> Result<T, JsValue> {
    serde_wasm_bindgen::from_value(value).map_err(|e| argument_error(what, e))
}

/// The thrown error of an argument object of the wrong shape (one copy for every `T`).
#[inline(never)]
fn argument_error(what: &str, e: serde_wasm_bindgen::Error) -> JsValue {
    error::to_js(&error::bad_argument(what, &e.to_string()))
}

/// Reads an optional options object: absent, `null` or `undefined` give the defaults.
pub(crate) fn read_options<T: Default + DeserializeOwned>(
    options: Option<JsValue>,
    what: &str,
) -> Result<T, JsValue> {
    match options {
        Some(v) if !v.is_null() && !v.is_undefined() => from_js(v, what),
        _ => Ok(T::default()),
    }
}

/// Turns a core result into a JS result (errors become thrown error objects).
pub(crate) fn throw<T>(result: email365::Result<T>) -> Result<T, JsValue> {
    result.map_err(|e| error::to_js(&e))
}
