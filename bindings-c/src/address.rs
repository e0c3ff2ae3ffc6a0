//! Addresses in C: `e365_address_parse` over the core's `Address::parse`.

use crate::ffi::maker;
use crate::{e365_error, e365_result, e365_str, text, Owned, Strings};
use email365::address::{Address, AddressOptions, Mode};
use email365::names::WireName;
use email365::Error;
use std::ffi::c_char;

/// The grammar an address is read with.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum e365_address_mode {
    /// RFC 5321 Mailbox: `local@domain`, no display name, no angle brackets.
    E365_ADDRESS_MODE_ENVELOPE = 0,
    /// RFC 5322 mailbox: `Name <local@domain>` or `local@domain`.
    E365_ADDRESS_MODE_HEADER = 1,
}

/// Options of `e365_address_parse`. All zero (`{0}`) is the default: envelope form, no
/// quoted local parts, no address literals.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e365_address_options {
    /// An `e365_address_mode` value (`E365_ADDRESS_MODE_ENVELOPE` or
    /// `E365_ADDRESS_MODE_HEADER`); any other number is `E365_INVALID_ARGUMENT`.
    pub mode: u32,
    /// Accept quoted local parts (`"john doe"@example.com`).
    pub allow_quoted_local: bool,
    /// Accept address literals (`user@[192.0.2.1]`).
    pub allow_domain_literal: bool,
}

/// A valid address. Read-only; every string is owned by the object (NUL-terminated,
/// valid until `e365_address_free`). Immutable: may be read from several threads at
/// once.
#[repr(C)]
#[derive(Debug)]
pub struct e365_address {
    /// The local part, case kept.
    pub local: e365_str,
    /// The domain in Unicode form (U-labels), or the literal with brackets.
    pub domain: e365_str,
    /// The domain in ASCII form (A-labels), or the literal with brackets.
    pub ascii_domain: e365_str,
    /// The display name, or `{NULL, 0}` when absent or empty.
    pub display_name: e365_str,
    /// Whether sending to or from this address needs SMTPUTF8.
    pub smtputf8: bool,
    /// `local@ascii_domain`: the form used in MAIL FROM and RCPT TO.
    pub envelope: e365_str,
    /// The header form: `Name <local@ascii_domain>` (display name quoted when needed),
    /// or the bare `local@ascii_domain` without a display name.
    pub header: e365_str,
}

pub(crate) type AddressBox = Owned<e365_address, (Address, Strings)>;

impl AddressBox {
    /// The core address behind a pointer made by `e365_address_parse`.
    ///
    /// # Safety
    /// `ptr` is NULL or a live address from this library.
    pub(crate) unsafe fn core<'a>(ptr: *const e365_address) -> Option<&'a Address> {
        unsafe { AddressBox::from_view(ptr) }.map(|b| &b.keep.0)
    }
}

/// The core options from the C options (NULL = defaults).
pub(crate) fn options(options: Option<&e365_address_options>) -> Result<AddressOptions, Error> {
    let Some(o) = options else {
        return Ok(AddressOptions::default());
    };
    // e365_address_mode numbers the core's names in order (a test checks it).
    let mode = Mode::from_index(o.mode)?;
    Ok(AddressOptions {
        mode,
        allow_quoted_local: o.allow_quoted_local,
        allow_domain_literal: o.allow_domain_literal,
    })
}

/// Moves a core address into a new C address.
pub(crate) fn into_raw(address: Address) -> *mut e365_address {
    let mut s = Strings::default();
    let view = e365_address {
        local: s.keep(&address.local),
        domain: s.keep(&address.domain),
        ascii_domain: s.keep(&address.ascii_domain),
        display_name: s.keep_opt(address.display_name.as_deref()),
        smtputf8: address.smtputf8,
        envelope: s.keep(&address.envelope()),
        header: s.keep(&address.header()),
    };
    AddressBox::into_raw(view, (address, s))
}

maker! {
    /// Parses and validates the address in `input` (`len` bytes of UTF-8, not necessarily
    /// NUL-terminated) in envelope form (RFC 5321) or header form (RFC 5322, with a display
    /// name), with IDNA for the domain.
    ///
    /// `options` may be NULL (defaults: envelope form, nothing optional allowed). On success
    /// `*out` receives a new address that the caller frees with `e365_address_free`.
    ///
    /// Errors: `E365_INVALID_ADDRESS` (the error's reason is the diagnosis code, its
    /// position the byte offset of the fault; a NUL or any control character inside the
    /// text is refused here), `E365_INVALID_ARGUMENT` (`input` or `out` NULL, `input` not
    /// UTF-8, `options->mode` unknown).
    ///
    /// Thread-safe.
    ///
    /// # Safety
    /// `input` is valid for reading `len` bytes; `options` is NULL or valid; `out` and
    /// `err_out` are NULL or valid for writing.
    fn e365_address_parse(
        input: *const c_char,
        len: usize,
        options: *const e365_address_options,
    ) -> new_raw e365_address {
        let input = unsafe { text(input, len, "input")? };
        let options = self::options(unsafe { options.as_ref() })?;
        let address = Address::parse(input, &options)?;
        into_raw(address)
    }
}

/// Frees an address; NULL is ignored.
///
/// # Safety
/// `address` is NULL or an address from this library that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn e365_address_free(address: *mut e365_address) {
    unsafe { AddressBox::free(address) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::*;
    use crate::testing::{refusal, view};
    use std::ptr::{null, null_mut};

    fn parse(
        s: &[u8],
        options: *const e365_address_options,
    ) -> (e365_result, *mut e365_address, *mut e365_error) {
        let mut out = null_mut();
        let mut err = null_mut();
        let code =
            unsafe { e365_address_parse(s.as_ptr().cast(), s.len(), options, &mut out, &mut err) };
        (code, out, err)
    }

    #[test]
    fn parses_an_address() {
        let (code, a, err) = parse(b"user@example.com", null());
        assert_eq!(code, e365_result::E365_OK);
        assert!(err.is_null());
        let addr = unsafe { &*a };
        assert_eq!(view(addr.local).unwrap(), "user");
        assert_eq!(view(addr.ascii_domain).unwrap(), "example.com");
        assert_eq!(view(addr.envelope).unwrap(), "user@example.com");
        assert_eq!(unsafe { AddressBox::core(a) }.unwrap().local, "user");
        unsafe { e365_address_free(a) };
        unsafe { e365_address_free(null_mut()) };
    }

    #[test]
    fn refusals_carry_kind_reason_and_position() {
        let (code, a, err) = parse(b"no-at-sign", null());
        assert_eq!(code, e365_result::E365_INVALID_ADDRESS);
        assert!(a.is_null(), "output untouched on failure");
        unsafe {
            assert_eq!(e365_error_kind(err), e365_result::E365_INVALID_ADDRESS);
            assert_eq!(crate::testing::reason(err), "no_at");
            let mut pos = 0;
            assert!(e365_error_position(err, &mut pos));
            assert_eq!(pos, 10);
            e365_error_free(err);
        }
    }

    #[test]
    fn null_and_bad_arguments_are_invalid_argument() {
        let mut out = null_mut();
        let mut err = null_mut();
        unsafe {
            refusal(e365_result::E365_INVALID_ARGUMENT, |err| {
                e365_address_parse(null(), 3, null(), &mut out, err)
            });
            let s = b"a@b";
            assert_eq!(
                e365_address_parse(s.as_ptr().cast(), 3, null(), null_mut(), null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            let bad = b"a\xff@b";
            assert_eq!(
                e365_address_parse(bad.as_ptr().cast(), 4, null(), &mut out, null_mut()),
                e365_result::E365_INVALID_ARGUMENT
            );
            let opts = e365_address_options {
                mode: 7,
                allow_quoted_local: false,
                allow_domain_literal: false,
            };
            assert_eq!(
                e365_address_parse(s.as_ptr().cast(), 3, &opts, &mut out, &mut err),
                e365_result::E365_INVALID_ARGUMENT
            );
            assert!(out.is_null());
            assert_eq!(crate::testing::reason(err), "unknown_address_mode");
            e365_error_free(err);
        }
    }

    #[test]
    fn the_mode_enum_numbers_the_core_names_in_order() {
        let modes = [
            (
                e365_address_mode::E365_ADDRESS_MODE_ENVELOPE,
                Mode::Envelope,
            ),
            (e365_address_mode::E365_ADDRESS_MODE_HEADER, Mode::Header),
        ];
        assert_eq!(modes.len(), Mode::NAMES.len());
        for (c, core) in modes {
            assert_eq!(Mode::from_index(c as u32).unwrap(), core);
        }
    }
}
