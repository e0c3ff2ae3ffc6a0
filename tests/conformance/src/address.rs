//! Driver ops of the `address` module.

use crate::args;
use email365::address::{Address, AddressOptions, Mode};
use email365::{Error, ErrorKind};
use serde_json::{json, Value};

/// `validate_address` {address, mode?: "envelope"|"header", allow_quoted_local?,
/// allow_domain_literal?} → {local, domain, ascii_domain, display_name, smtputf8}.
pub fn validate_address(args: &Value) -> Result<Value, Error> {
    let address = args::string(args, "address")?;
    let mode = match args::opt_string(args, "mode")? {
        None | Some("envelope") => Mode::Envelope,
        Some("header") => Mode::Header,
        Some(other) => {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("argument \"mode\" must be \"envelope\" or \"header\", not {other:?}"),
            ))
        }
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
