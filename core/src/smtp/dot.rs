//! The DATA payload: line-end normalisation and dot-stuffing (RFC 5321 §4.5.2).
//!
//! Every bare CR and every bare LF becomes CRLF, so that no sequence in a body
//! (`\n.\n`, `\r.\r`, `\r\n.\r`, …) can be read by any server as the end of the data
//! (SMTP smuggling). A line that starts with `.` gets a second `.`; the payload always
//! ends with CRLF, then the terminator `.` CRLF.

/// The terminator line of the data.
pub const TERMINATOR: &[u8] = b".\r\n";

/// The message bytes as the server will store them: line ends normalised to CRLF, ending
/// with CRLF (unless empty). This is the size announced with `SIZE=`.
pub fn normalised_len(data: &[u8]) -> usize {
    let mut len = 0usize;
    let mut i = 0;
    let mut last_was_eol = true;
    while i < data.len() {
        match data[i] {
            b'\r' => {
                len += 2;
                i += if data.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                last_was_eol = true;
            }
            b'\n' => {
                len += 2;
                i += 1;
                last_was_eol = true;
            }
            _ => {
                len += 1;
                i += 1;
                last_was_eol = false;
            }
        }
    }
    if !last_was_eol {
        len += 2;
    }
    len
}

/// The BDAT form of `data` (RFC 3030): line ends normalised to CRLF and ending with
/// CRLF (unless empty), with no dot-stuffing and no terminator; its length is
/// [`normalised_len`].
pub fn normalise(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 64 + 2);
    write_lines(data, false, &mut out);
    out
}

/// Appends `data` to `out` line by line, each line ending with CRLF whatever ended it
/// (CRLF, a bare CR or a bare LF, or the end of the data); with `stuff`, a line starting
/// with `.` gets one more in front (RFC 5321 4.5.2).
fn write_lines(data: &[u8], stuff: bool, out: &mut Vec<u8>) {
    let mut rest = data;
    // Each turn starts at the beginning of a line.
    while let Some(&first) = rest.first() {
        if stuff && first == b'.' {
            out.push(b'.');
        }
        match rest.iter().position(|&b| b == b'\r' || b == b'\n') {
            Some(p) => {
                out.extend_from_slice(&rest[..p]);
                out.extend_from_slice(b"\r\n");
                let crlf = rest[p] == b'\r' && rest.get(p + 1) == Some(&b'\n');
                rest = &rest[p + if crlf { 2 } else { 1 }..];
            }
            None => {
                out.extend_from_slice(rest);
                out.extend_from_slice(b"\r\n");
                rest = &[];
            }
        }
    }
}

/// The wire form of `data`: normalised, dot-stuffed, ending with CRLF `.` CRLF.
pub fn encode(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 64 + 8);
    write_lines(data, true, &mut out);
    out.extend_from_slice(TERMINATOR);
    out
}

/// The inverse of [`encode`] as a server applies it: the bytes before the terminator
/// line, with one leading dot removed from each line. Returns `None` when the input has
/// no terminator line. Used by tests and fixtures.
pub fn decode(wire: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(wire.len());
    let mut rest = wire;
    loop {
        let end = rest.windows(2).position(|w| w == b"\r\n")?;
        let line = &rest[..end];
        rest = &rest[end + 2..];
        if line == b"." {
            return Some(out);
        }
        let line = line.strip_prefix(b".").unwrap_or(line);
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bdat_form_normalises_without_stuffing() {
        for input in [
            &b"a\rb\nc\r\nd"[..],
            b".x\n..y\r\n.\r\n",
            b"",
            b"no end",
            b"\r\r\n\n",
        ] {
            let out = normalise(input);
            assert_eq!(out.len(), normalised_len(input), "{input:?}");
            // Dot-stuffing then decoding gives the same bytes as the BDAT form.
            assert_eq!(
                decode(&encode(input)).as_deref(),
                Some(&out[..]),
                "{input:?}"
            );
        }
        assert_eq!(normalise(b".x\n"), b".x\r\n");
    }

    #[test]
    fn normalises_every_bare_cr_and_lf() {
        assert_eq!(encode(b"a\rb\nc\r\nd"), b"a\r\nb\r\nc\r\nd\r\n.\r\n");
        assert_eq!(normalised_len(b"a\rb\nc\r\nd"), 12);
    }

    #[test]
    fn stuffs_leading_dots_only() {
        assert_eq!(
            encode(b".a\r\nb.c\r\n..\r\n"),
            b"..a\r\nb.c\r\n...\r\n.\r\n"
        );
        assert_eq!(encode(b"."), b"..\r\n.\r\n");
    }

    #[test]
    fn encode_matches_a_byte_by_byte_reference() {
        // Reference: the rules applied one byte at a time.
        fn reference(data: &[u8]) -> Vec<u8> {
            let mut out = Vec::new();
            let mut at_start = true;
            let mut i = 0;
            while i < data.len() {
                match data[i] {
                    b'\r' => {
                        out.extend_from_slice(b"\r\n");
                        i += if data.get(i + 1) == Some(&b'\n') {
                            2
                        } else {
                            1
                        };
                        at_start = true;
                    }
                    b'\n' => {
                        out.extend_from_slice(b"\r\n");
                        i += 1;
                        at_start = true;
                    }
                    b => {
                        if at_start && b == b'.' {
                            out.push(b'.');
                        }
                        out.push(b);
                        i += 1;
                        at_start = false;
                    }
                }
            }
            if !at_start {
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(TERMINATOR);
            out
        }
        let alphabet = [b'.', b'\r', b'\n', b'a', 0u8];
        // Every string of length up to 6 over the alphabet.
        for len in 0..=6u32 {
            for mut n in 0..5usize.pow(len) {
                let mut s = Vec::new();
                for _ in 0..len {
                    s.push(alphabet[n % 5]);
                    n /= 5;
                }
                assert_eq!(encode(&s), reference(&s), "{s:?}");
                assert_eq!(
                    decode(&encode(&s)).map(|d| d.len()),
                    Some(normalised_len(&s)),
                    "{s:?}"
                );
            }
        }
    }

    #[test]
    fn empty_and_crlf_terminated_inputs() {
        assert_eq!(encode(b""), b".\r\n");
        assert_eq!(encode(b"x\r\n"), b"x\r\n.\r\n");
        assert_eq!(normalised_len(b""), 0);
        assert_eq!(normalised_len(b"x\r\n"), 3);
    }

    #[test]
    fn smuggling_sequences_never_end_the_data_early() {
        let corpus: [&[u8]; 10] = [
            b"\n.\n",
            b"\r.\r",
            b"\r.\n",
            b"\n.\r",
            b"\n.\r\n",
            b"\r\n.\n",
            b"\r.\r\n",
            b"\r\n.\r",
            b"\r\n\0.\r\n",
            b"\r\n.\0\r\n",
        ];
        for seq in corpus {
            let mut body = b"Subject: x\r\n\r\nbefore".to_vec();
            body.extend_from_slice(seq);
            body.extend_from_slice(b"MAIL FROM:<evil@example.com>\r\nafter\r\n");
            let wire = encode(&body);
            // The only terminator is the final one.
            let first_end = wire.windows(5).position(|w| w == b"\r\n.\r\n");
            assert_eq!(first_end, Some(wire.len() - 5), "{seq:?}");
            // No bare CR or LF survives.
            for (i, &b) in wire.iter().enumerate() {
                if b == b'\r' {
                    assert_eq!(wire.get(i + 1), Some(&b'\n'), "{seq:?}");
                }
                if b == b'\n' {
                    assert_eq!(wire[i - 1], b'\r', "{seq:?}");
                }
            }
            let back = decode(&wire).expect("terminated");
            assert_eq!(back.len(), normalised_len(&body), "{seq:?}");
            assert!(back.ends_with(b"after\r\n"));
        }
    }
}
