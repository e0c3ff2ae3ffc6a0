//! `validateAddress`: the core's `address` module for JavaScript. The result is the core's
//! `Address`, whose JavaScript shape (`AddressInfo`) the core derives (feature `wasm`).

use email365::address::{Address, AddressOptions, Mode};
use serde::{Deserialize, Serialize};
use tsify_next::Tsify;
use wasm_bindgen::prelude::*;

/// Which grammar an address is read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "lowercase")]
pub enum AddressMode {
    /// RFC 5321 Mailbox: `local@domain` (the default).
    #[default]
    Envelope,
    /// RFC 5322 mailbox: `Name <local@domain>` or `local@domain`.
    Header,
}

/// Options of `validateAddress`; every field is optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", default)]
pub struct ValidateAddressOptions {
    /// The grammar, `"envelope"` by default.
    #[tsify(optional)]
    pub mode: AddressMode,
    /// Accept quoted local parts (`"john doe"@example.com`).
    #[tsify(optional)]
    pub allow_quoted_local: bool,
    /// Accept address literals (`user@[192.0.2.1]`).
    #[tsify(optional)]
    pub allow_domain_literal: bool,
}

impl ValidateAddressOptions {
    /// The core's options.
    pub fn to_core(self) -> AddressOptions {
        AddressOptions {
            mode: match self.mode {
                AddressMode::Envelope => Mode::Envelope,
                AddressMode::Header => Mode::Header,
            },
            allow_quoted_local: self.allow_quoted_local,
            allow_domain_literal: self.allow_domain_literal,
        }
    }
}

/// Parses and validates an address. Throws `invalid_address` with the diagnosis as
/// `reason` and the byte offset of the fault as `position`.
#[wasm_bindgen(js_name = validateAddress, unchecked_return_type = "AddressInfo")]
pub fn validate_address(
    address: &str,
    #[wasm_bindgen(unchecked_optional_param_type = "ValidateAddressOptions")] options: Option<
        JsValue,
    >,
) -> Result<JsValue, JsValue> {
    let options: ValidateAddressOptions = crate::read_options(options, "validateAddress options")?;
    let address = crate::throw(Address::parse(address, &options.to_core()))?;
    crate::to_js(&address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_map_to_the_core() {
        let o = ValidateAddressOptions {
            mode: AddressMode::Header,
            allow_quoted_local: true,
            allow_domain_literal: false,
        }
        .to_core();
        assert_eq!(o.mode, Mode::Header);
        assert!(o.allow_quoted_local);
        assert!(!o.allow_domain_literal);
        assert_eq!(
            ValidateAddressOptions::default().to_core(),
            AddressOptions::default()
        );
    }
}
