//! Fuzz target `address`: [`Address::parse`] on arbitrary bytes, in every mode.
//!
//! Input: one option byte (bit 0 header mode, bit 1 quoted local parts, bit 2 address
//! literals), then the address (invalid UTF-8 is read lossily). Checks: no panic; an
//! error has kind `invalid_address`, a reason and a position inside the input; an
//! accepted address has no control character in its envelope or header form and its
//! envelope form is accepted again, unchanged, in envelope mode.
#![no_main]

use email365::address::{Address, AddressOptions, Mode};
use email365::ErrorKind;
use libfuzzer_sys::fuzz_target;

mod common;
use common::check_refusal;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let input = String::from_utf8_lossy(rest);
    let options = AddressOptions {
        mode: if flags & 1 == 0 {
            Mode::Envelope
        } else {
            Mode::Header
        },
        allow_quoted_local: flags & 2 != 0,
        allow_domain_literal: flags & 4 != 0,
    };
    match Address::parse(&input, &options) {
        Err(e) => {
            check_refusal(&e, ErrorKind::InvalidAddress, input.len());
        }
        Ok(addr) => {
            let envelope = addr.envelope();
            let header = addr.header();
            for text in [&envelope, &header] {
                assert!(
                    !text.chars().any(|c| c.is_control()),
                    "control character in output {text:?} of {input:?}"
                );
            }
            assert!(envelope.is_ascii() || addr.smtputf8, "{addr:?}");
            let again = Address::parse(
                &envelope,
                &AddressOptions {
                    mode: Mode::Envelope,
                    ..options
                },
            )
            .unwrap_or_else(|e| panic!("envelope form {envelope:?} of {input:?} refused: {e:?}"));
            assert_eq!(again.envelope(), envelope, "envelope form not stable");
        }
    }
});
