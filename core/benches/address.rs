//! Address validation speed: email365 against the `email_address` crate (placeholder).
fn main() {}
