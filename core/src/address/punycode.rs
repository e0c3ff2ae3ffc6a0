//! Punycode (RFC 3492) for the IDN fast path: the `idna` crate's coder, limited to labels
//! of at most 63 characters.

/// The longest label the fast path codes, in characters (an A-label has at most 63
/// octets); longer ones are left to the UTS 46 code.
const MAX_CHARS: usize = 63;

/// Appends the Punycode of `label` (without `xn--`) to `out`; `None` for a label of more
/// than 63 characters.
pub(super) fn encode(label: &str, out: &mut String) -> Option<()> {
    if label.chars().nth(MAX_CHARS).is_some() {
        return None;
    }
    out.push_str(&idna::punycode::encode_str(label)?);
    Some(())
}

/// Appends the decoding of `punycode` (without `xn--`) to `out`; `None` when it does not
/// decode or decodes to more than 63 characters.
pub(super) fn decode(punycode: &str, out: &mut String) -> Option<()> {
    let decoded = idna::punycode::decode_to_string(punycode)?;
    if decoded.chars().nth(MAX_CHARS).is_some() {
        return None;
    }
    out.push_str(&decoded);
    Some(())
}
