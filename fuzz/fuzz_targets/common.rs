//! What every fuzz target checks of a refusal: the kind it expects, a reason, and a
//! position (when there is one) inside the input.

use email365::{Error, ErrorKind};

/// `e` has kind `kind` and a reason, and its position lies within `len` bytes of input.
pub fn check_refusal(e: &Error, kind: ErrorKind, len: usize) {
    assert_eq!(e.kind(), kind, "{e:?}");
    assert!(e.reason().is_some(), "no reason: {e:?}");
    if let Some(pos) = e.position() {
        assert!(
            pos <= len,
            "position {pos} past the input of {len} bytes: {e:?}"
        );
    }
}
