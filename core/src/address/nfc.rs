//! NFC normalisation of local parts and display names (RFC 6532 3.1), with a quick
//! check that leaves text below U+0300 and of common letters as it is.

use super::chars::is_common_letter;
use icu_normalizer::ComposingNormalizerBorrowed;
use std::borrow::Cow;

/// `s` in NFC: borrowed when every character is below U+0300 or a common letter
/// ([`is_common_letter`]: each of those is NFC with combining class 0 and never the second
/// character of a canonical composition, so such text is already NFC), else the
/// composing normaliser's output collected from its iterator (one normaliser path, not
/// the string API's separate one), fed by `Utf8Chars` as idna feeds it: the wasm module
/// then carries one copy of the decomposition loop for both.
pub(super) fn nfc(s: &str) -> Cow<'_, str> {
    if s.chars().all(|c| c < '\u{300}' || is_common_letter(c)) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        ComposingNormalizerBorrowed::new_nfc()
            .normalize_iter(utf8_iter::Utf8Chars::new(s.as_bytes()))
            .collect(),
    )
}
