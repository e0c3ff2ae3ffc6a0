//! Base64 in MIME lines (76 characters, each line ended by CRLF), as mail-builder
//! writes a base64 body: what wasm32 builds write attachments with. Natively
//! mail-builder's encoder has SSSE3/AVX2 and NEON kernels; in wasm it has only a loop
//! of three bytes at a time. Here every full line that seven more input bytes follow
//! is encoded with wasm's 128-bit SIMD, twelve bytes to sixteen characters at a time
//! (the lookup of W. Muła and D. Lemire, "Faster Base64 Encoding and Decoding Using
//! AVX2 Instructions", 2018, in its 128-bit form), the rest by the scalar loop, which
//! is also what native builds and their tests run. The module therefore needs an
//! engine with wasm SIMD (docs/WASM.md, "Engines").

use std::mem::MaybeUninit;

use super::{encode, encoded_len};

/// Bytes of input in one line (76 characters of base64, RFC 2045 section 6.8).
const LINE_BYTES: usize = 57;
/// Characters of one line with its CRLF.
const LINE_CHARS: usize = 78;

/// The length of [`encode_lines`]' output for `len` bytes.
pub(crate) const fn lines_len(len: usize) -> usize {
    encoded_len(len) + len.div_ceil(LINE_BYTES) * 2
}

/// Appends the base64 of `input` to `out` in lines of 76 characters, each line (the
/// last, shorter one too) ended by CRLF; nothing for no input.
pub(crate) fn encode_lines(input: &[u8], out: &mut Vec<u8>) {
    let total = lines_len(input.len());
    out.reserve(total);
    // Written into the spare capacity, each byte once: zeroing it first (`resize`) is a
    // loop of byte stores at the wasm module's size-first optimisation level.
    let dst = &mut out.spare_capacity_mut()[..total];
    #[cfg(target_arch = "wasm32")]
    let done = simd::lines(input, dst);
    #[cfg(not(target_arch = "wasm32"))]
    let done = 0;
    // The other full lines, then the last, shorter one, by the scalar loop.
    let full = input.len() / LINE_BYTES;
    for n in done..full {
        encode_line(
            &input[n * LINE_BYTES..][..LINE_BYTES],
            &mut dst[n * LINE_CHARS..],
        );
    }
    let rest = &input[full * LINE_BYTES..];
    if !rest.is_empty() {
        encode_line(rest, &mut dst[full * LINE_CHARS..]);
    }
    let len = out.len() + total;
    // SAFETY: every one of the `total` bytes after the length was written: each line's
    // characters and its CRLF (by `simd::lines` or the loop above), the last line's
    // ending at `total`.
    unsafe { out.set_len(len) };
}

/// Writes the base64 of `input` and CRLF to the start of `chars`.
fn encode_line(input: &[u8], chars: &mut [MaybeUninit<u8>]) {
    let mut at = 0;
    encode(input, |b| {
        chars[at] = MaybeUninit::new(b);
        at += 1;
    });
    chars[at] = MaybeUninit::new(b'\r');
    chars[at + 1] = MaybeUninit::new(b'\n');
}

#[cfg(target_arch = "wasm32")]
mod simd {
    use core::arch::wasm32::*;

    use std::mem::MaybeUninit;

    use super::{LINE_BYTES, LINE_CHARS};

    /// Encodes the full lines of `input` that at least seven more bytes follow (the
    /// fifth block of a line reads sixteen bytes from its 48th) into `dst`, sized by
    /// `lines_len`; returns how many. Every byte of those lines is written. Each line
    /// is five blocks of twelve bytes; the fifth block's last four characters (past the
    /// 76th) are overwritten by the CRLF and by the next line, which `encode_lines`
    /// always writes after.
    #[target_feature(enable = "simd128")]
    pub(super) fn lines(input: &[u8], dst: &mut [MaybeUninit<u8>]) -> usize {
        let mut n = 0;
        while (n + 1) * LINE_BYTES + 7 <= input.len() {
            let src = &input[n * LINE_BYTES..][..64];
            // The line, and two characters of the next one: there are at least seven
            // more input bytes, so at least twelve more characters.
            let chars = &mut dst[n * LINE_CHARS..][..LINE_CHARS + 2];
            for k in 0..5 {
                let block = load(&src[12 * k..][..16]);
                store(&mut chars[16 * k..][..16], encode_block(block));
            }
            chars[76] = MaybeUninit::new(b'\r');
            chars[77] = MaybeUninit::new(b'\n');
            n += 1;
        }
        n
    }

    #[inline]
    #[target_feature(enable = "simd128")]
    fn load(bytes: &[u8]) -> v128 {
        assert!(bytes.len() >= 16);
        // SAFETY: 16 readable bytes (asserted); v128_load has no alignment requirement.
        unsafe { v128_load(bytes.as_ptr().cast()) }
    }

    #[inline]
    #[target_feature(enable = "simd128")]
    fn store(bytes: &mut [MaybeUninit<u8>], value: v128) {
        assert!(bytes.len() >= 16);
        // SAFETY: 16 writable bytes (asserted); v128_store has no alignment requirement.
        unsafe { v128_store(bytes.as_mut_ptr().cast(), value) }
    }

    /// The sixteen characters of the first twelve bytes of `block`.
    #[inline]
    #[target_feature(enable = "simd128")]
    fn encode_block(block: v128) -> v128 {
        // Each group of three bytes a, b, c into a 32-bit lane as a << 16 | b << 8 | c.
        let w = i8x16_shuffle::<2, 1, 0, 0, 5, 4, 3, 3, 8, 7, 6, 6, 11, 10, 9, 9>(block, block);
        // The four sextets, first to last, into the lane's four bytes.
        let sextets = v128_or(
            v128_or(
                v128_and(u32x4_shr(w, 18), u32x4_splat(0x3f)),
                v128_and(u32x4_shr(w, 4), u32x4_splat(0x3f00)),
            ),
            v128_or(
                v128_and(u32x4_shl(w, 10), u32x4_splat(0x3f_0000)),
                v128_and(u32x4_shl(w, 24), u32x4_splat(0x3f00_0000)),
            ),
        );
        // The offset from sextet to character by range: 0..=25 take index 13 ('A'),
        // 26..=51 index 0 ('a' - 26), 52..=61 indexes 1..=10 ('0' - 52), 62 index 11
        // ('+' - 62), 63 index 12 ('/' - 63).
        let offsets = i8x16(
            71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -19, -16, 65, 0, 0,
        );
        let range = v128_or(
            u8x16_sub_sat(sextets, u8x16_splat(51)),
            v128_and(i8x16_gt(i8x16_splat(26), sextets), u8x16_splat(13)),
        );
        i8x16_add(sextets, i8x16_swizzle(offsets, range))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    #[test]
    fn lines_are_the_base64_crate_cut_every_76_characters() {
        let bytes: Vec<u8> = (0..2000u32).map(|i| (i * 7919 % 251) as u8).collect();
        for len in (0..400).chain([
            LINE_BYTES * 20 - 1,
            LINE_BYTES * 20,
            LINE_BYTES * 20 + 1,
            2000,
        ]) {
            let input = &bytes[..len];
            let whole = base64::engine::general_purpose::STANDARD.encode(input);
            let want: String = whole
                .as_bytes()
                .chunks(76)
                .map(|line| format!("{}\r\n", std::str::from_utf8(line).unwrap()))
                .collect();
            let mut ours = b"kept".to_vec();
            encode_lines(input, &mut ours);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                format!("kept{want}"),
                "{len} bytes"
            );
            assert_eq!(want.len(), lines_len(len), "{len} bytes");
        }
    }
}
