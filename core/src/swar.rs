//! Eight bytes at a time in a `u64` ("SIMD within a register"): the byte masks that the
//! fast scans of addresses ([`crate::address`]), replies ([`crate::reply`]) and message
//! bodies ([`crate::message`]) are built from, written and tested once.
//!
//! Each mask has the high bit of a byte set exactly where that byte matches and every
//! other bit clear: no borrow or carry crosses from one byte to the next, so masks
//! combine with `|`, `&` and `^`, and the lowest set bit names the first match.

/// One in every byte.
const ONES: u64 = u64::from_le_bytes([0x01; 8]);
/// The high bit of every byte.
const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
/// The seven low bits of every byte.
const LOW7: u64 = !HIGH;

/// The first eight bytes of `bytes`, the first one in the low byte (little-endian on
/// every target, so that [`first`] counts from the start). Panics when there are fewer,
/// like slice indexing; a chunk of `chunks_exact(8)` needs no check.
#[inline(always)]
pub(crate) fn load(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(word)
}

/// The bytes of `w` that are zero.
#[inline(always)]
pub(crate) fn zero(w: u64) -> u64 {
    // Adding 0x7f to the low seven bits sets a byte's high bit unless they are all
    // zero; with the byte's own high bit also clear, the byte is zero.
    !(((w & LOW7) + LOW7) | w | LOW7)
}

/// The bytes of `w` equal to `c`.
#[inline(always)]
pub(crate) fn equal(w: u64, c: u8) -> u64 {
    zero(w ^ (ONES * u64::from(c)))
}

/// The bytes of `w` below `n`, for `n` up to 0x80 (a byte with its high bit set is never
/// below).
#[inline(always)]
pub(crate) fn below(w: u64, n: u8) -> u64 {
    debug_assert!(n <= 0x80);
    // A byte of seven bits plus 0x80 - n reaches 0x80 exactly when it is at least n,
    // and stays within its byte (0x7f + 0x80 = 0xff).
    !(((w & LOW7) + ONES * u64::from(0x80 - n)) | w) & HIGH
}

/// The bytes of `w` at least `n`, for `n` up to 0x80 (a byte with its high bit set
/// always is): the bytes [`below`] leaves out.
#[inline(always)]
pub(crate) fn at_least(w: u64, n: u8) -> u64 {
    debug_assert!(n <= 0x80);
    (((w & LOW7) + ONES * u64::from(0x80 - n)) | w) & HIGH
}

/// The index (0 to 7) of the first byte set in `mask`, a non-zero mask of the functions
/// above.
#[inline(always)]
pub(crate) fn first(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte value in every position of words filled with each of the given
    /// bytes (values next to each mask's edges, whose borrows or carries could spill
    /// into a neighbour), against the byte-by-byte rule.
    fn check(mask: impl Fn(u64) -> u64, rule: impl Fn(u8) -> bool) {
        let fills = [
            0x00, 0x01, 0x1f, 0x20, 0x21, 0x7e, 0x7f, 0x80, 0x81, 0xc2, 0xfe, 0xff,
        ];
        for fill in fills {
            for at in 0..8 {
                for b in 0..=255u8 {
                    let mut bytes = [fill; 8];
                    bytes[at] = b;
                    let want = bytes
                        .iter()
                        .enumerate()
                        .filter(|&(_, &x)| rule(x))
                        .fold(0u64, |m, (i, _)| m | 0x80 << (8 * i));
                    let got = mask(load(&bytes));
                    assert_eq!(got, want, "{bytes:02x?}");
                    if want != 0 {
                        assert_eq!(first(got), bytes.iter().position(|&x| rule(x)).unwrap());
                    }
                }
            }
        }
    }

    #[test]
    fn zero_marks_exactly_the_zero_bytes() {
        check(zero, |b| b == 0);
    }

    #[test]
    fn equal_marks_exactly_the_equal_bytes() {
        for c in [0x00, 0x0a, 0x0d, 0x3d, 0x5f, 0x7f, 0x80, 0xc2, 0xff] {
            check(|w| equal(w, c), |b| b == c);
        }
    }

    #[test]
    fn below_marks_exactly_the_lower_bytes() {
        for n in [0x00, 0x01, 0x20, 0x21, 0x7f, 0x80] {
            check(|w| below(w, n), |b| b < n);
        }
    }

    #[test]
    fn at_least_marks_exactly_the_other_bytes() {
        for n in [0x00, 0x01, 0x20, 0x21, 0x7f, 0x80] {
            check(|w| at_least(w, n), |b| b >= n);
        }
    }

    #[test]
    fn load_reads_from_the_given_offset() {
        let bytes = *b"0123456789";
        assert_eq!(load(&bytes[2..]), u64::from_le_bytes(*b"23456789"));
        assert_eq!(first(equal(load(&bytes[1..]), b'5')), 4);
    }
}
