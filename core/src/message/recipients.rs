//! The RCPT TO list of a message: recipients de-duplicated in one pass (a hash map of
//! their matching keys, first appearance kept) and capped at [`MAX_RECIPIENTS`]. Used by
//! the builder and by `envelope_from_message`, so both follow the same rule.

use super::headers::invalid;
use crate::error::Result;
use crate::status::{RecipientKey, RecipientMap};

/// The most distinct recipients (RCPT TO paths) one message may have. RFC 5321 4.5.3.1.8
/// asks servers to accept at least 100 per transaction, and the SMTP engine opens further
/// transactions when a server limits them, so 10,000 is far above any real message;
/// beyond it a message is refused (`invalid_message`, reason `too_many_recipients`)
/// before any byte is sent, which also bounds the work a hostile `To:` header can cause.
pub const MAX_RECIPIENTS: usize = 10_000;

/// The distinct paths (`local@ascii_domain`) in order of first appearance, matched on
/// the exact local part and the ASCII-case-insensitive domain. More than
/// [`MAX_RECIPIENTS`] is `invalid_message` with reason `too_many_recipients`.
pub(crate) fn distinct<'a>(paths: impl IntoIterator<Item = &'a str>) -> Result<Vec<String>> {
    // The map type of `Notification::recipients` (same key, same value type): the wasm
    // module then carries one copy of the hash table's code, not two.
    let mut seen = RecipientMap::default();
    let mut kept: Vec<String> = Vec::new();
    for path in paths {
        // One lookup: a key already there is a repeat (its value is not read).
        if seen
            .insert(Some(RecipientKey::new(path)), kept.len())
            .is_some()
        {
            continue;
        }
        if kept.len() == MAX_RECIPIENTS {
            return Err(invalid(
                "too_many_recipients",
                format!("the message has more than {MAX_RECIPIENTS} distinct recipients"),
            ));
        }
        kept.push(path.to_string());
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn the_wasm_hasher_matches_keys_as_their_equality_does() {
        // The wasm module's hasher (native builds use RandomState): keys that compare
        // equal hash equally, and a map over it de-duplicates as `distinct` does.
        let fnv = fnv::FnvBuildHasher::default();
        let hash = |s: &str| fnv.hash_one(Some(RecipientKey::new(s)));
        assert_eq!(hash("T@U.V"), hash("T@u.v"));
        assert_ne!(hash("T@U.V"), hash("t@U.V"));
        let mut map: std::collections::HashMap<_, _, fnv::FnvBuildHasher> = Default::default();
        for (i, path) in ["a@X.y", "a@x.Y", "b@x.y", "A@x.y", "b@X.Y"]
            .into_iter()
            .enumerate()
        {
            map.entry(Some(RecipientKey::new(path))).or_insert(i);
        }
        let mut firsts: Vec<usize> = map.into_values().collect();
        firsts.sort_unstable();
        assert_eq!(firsts, [0, 2, 3]);
    }

    #[test]
    fn the_local_part_is_exact_and_the_domain_is_not() {
        let paths = [
            "T@U.V",
            "t@u.v",
            "T@u.V",
            "T@U.v",
            "\"a@b\"@c.d",
            "\"a@b\"@C.D",
        ];
        assert_eq!(distinct(paths).unwrap(), ["T@U.V", "t@u.v", "\"a@b\"@c.d"]);
    }

    #[test]
    fn one_past_the_cap_is_refused_and_duplicates_are_not_counted() {
        let mut paths: Vec<String> = (0..MAX_RECIPIENTS).map(|i| format!("r{i}@x.io")).collect();
        paths.push("r0@X.IO".into());
        assert_eq!(
            distinct(paths.iter().map(String::as_str)).unwrap().len(),
            MAX_RECIPIENTS
        );
        paths.push("one-more@x.io".into());
        let e = distinct(paths.iter().map(String::as_str)).unwrap_err();
        assert_eq!(e.reason(), Some("too_many_recipients"));
    }
}
