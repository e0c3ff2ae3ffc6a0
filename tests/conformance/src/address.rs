//! Driver ops of the `address` module.

use crate::args;
use email365::address::{Address, AddressOptions, Mode};
use email365::names::WireName;
use email365::Error;
use serde_json::{json, Value};

/// `validate_address` {address, mode?: "envelope"|"header", allow_quoted_local?,
/// allow_domain_literal?} → {local, domain, ascii_domain, display_name, smtputf8}.
pub fn validate_address(args: &Value) -> Result<Value, Error> {
    let address = args::string(args, "address")?;
    let mode = match args::opt_string(args, "mode")? {
        None => Mode::Envelope,
        Some(name) => Mode::from_wire(name)?,
    };
    let options = AddressOptions {
        mode,
        allow_quoted_local: args::flag(args, "allow_quoted_local")?,
        allow_domain_literal: args::flag(args, "allow_domain_literal")?,
    };
    let parsed = Address::parse(address, &options)?;
    Ok(json!({
        "local": parsed.local,
        "domain": parsed.domain,
        "ascii_domain": parsed.ascii_domain,
        "display_name": parsed.display_name,
        "smtputf8": parsed.smtputf8,
    }))
}
