//! Base64 (RFC 4648 section 4: standard alphabet, `=` padding, no line breaks) of the
//! core's short values: RFC 2047 "B" words of headers, SMTP AUTH lines and HTTP Basic
//! credentials. A few lines instead of a second general-purpose crate in the wasm
//! module. Bodies are encoded by mail-builder's own encoder, and attachments too except
//! in wasm32 builds (`lines`).

mod lines;

pub(crate) use lines::encode_lines;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The length of the base64 of `len` bytes.
pub(crate) const fn encoded_len(len: usize) -> usize {
    len.div_ceil(3) * 4
}

/// Gives the base64 of `input` to `push`, one ASCII byte at a time.
pub(crate) fn encode(input: &[u8], mut push: impl FnMut(u8)) {
    for chunk in input.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let group = byte(0) << 16 | byte(1) << 8 | byte(2);
        for i in 0..4 {
            push(if i <= chunk.len() {
                ALPHABET[(group >> (18 - 6 * i)) as usize & 63]
            } else {
                b'='
            });
        }
    }
}

/// Appends the base64 of `input` to `out`.
pub(crate) fn encode_to_string(input: &[u8], out: &mut String) {
    out.reserve(encoded_len(input.len()));
    encode(input, |b| out.push(char::from(b)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    #[test]
    fn agrees_with_the_base64_crate() {
        let bytes: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        for start in 0..7 {
            for end in start..bytes.len() {
                let input = &bytes[start..end];
                let mut ours = String::new();
                encode_to_string(input, &mut ours);
                assert_eq!(
                    ours,
                    base64::engine::general_purpose::STANDARD.encode(input)
                );
                assert_eq!(ours.len(), encoded_len(input.len()));
            }
        }
        let mut rfc = String::new();
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            rfc.clear();
            encode_to_string(input.as_bytes(), &mut rfc);
            assert_eq!(rfc, want);
        }
    }
}
