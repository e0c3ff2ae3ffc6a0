//! Punycode (RFC 3492) written straight into a domain's forms: the encoding of the IDN
//! fast path's U-labels and the decoding of A-labels. The same results as the `idna`
//! crate's coder (the `punycode_..._agrees_with_idna` tests), without a string of its own
//! per label.

const BASE: u32 = 36;
const T_MIN: u32 = 1;
const T_MAX: u32 = 26;
const SKEW: u32 = 38;
const DAMP: u32 = 700;
const INITIAL_BIAS: u32 = 72;
const INITIAL_N: u32 = 0x80;
/// The longest label the fast path codes, in characters (an A-label has at most 63
/// octets); longer ones are left to the UTS 46 code.
const MAX_CHARS: usize = 63;

fn adapt(mut delta: u32, num_points: u32, first_time: bool) -> u32 {
    delta /= if first_time { DAMP } else { 2 };
    delta += delta / num_points;
    let mut k = 0;
    while delta > ((BASE - T_MIN) * T_MAX) / 2 {
        delta /= BASE - T_MIN;
        k += BASE;
    }
    k + (((BASE - T_MIN + 1) * delta) / (delta + SKEW))
}

fn threshold(k: u32, bias: u32) -> u32 {
    if k <= bias {
        T_MIN
    } else if k >= bias + T_MAX {
        T_MAX
    } else {
        k - bias
    }
}

fn digit_char(value: u32) -> char {
    // `value` is below BASE: a-z for 0-25, 0-9 for 26-35.
    char::from(if value < 26 {
        b'a' + value as u8
    } else {
        b'0' + (value - 26) as u8
    })
}

/// Appends the Punycode of `label` (without `xn--`) to `out`; `None` (with `out` partly
/// written) for a label of more than 63 characters.
pub(super) fn encode(label: &str, out: &mut String) -> Option<()> {
    let mut code_points = [0u32; MAX_CHARS];
    let mut length = 0;
    let mut basic = 0;
    for c in label.chars() {
        *code_points.get_mut(length)? = u32::from(c);
        length += 1;
        if c.is_ascii() {
            out.push(c);
            basic += 1;
        }
    }
    let code_points = &code_points[..length];
    let length = length as u32;
    if basic > 0 {
        out.push('-');
    }
    // With at most 63 characters below U+110000 no sum below overflows.
    let mut code_point = INITIAL_N;
    let mut delta = 0u32;
    let mut bias = INITIAL_BIAS;
    let mut processed = basic;
    while processed < length {
        let next = code_points
            .iter()
            .copied()
            .filter(|&c| c >= code_point)
            .min()?;
        delta += (next - code_point) * (processed + 1);
        code_point = next;
        for &c in code_points {
            if c < code_point {
                delta += 1;
            }
            if c == code_point {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = threshold(k, bias);
                    if q < t {
                        break;
                    }
                    out.push(digit_char(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit_char(q));
                bias = adapt(delta, processed + 1, processed == basic);
                delta = 0;
                processed += 1;
            }
        }
        delta += 1;
        code_point += 1;
    }
    Some(())
}

/// Appends the decoding of `punycode` (without `xn--`; lower-case letters, digits and
/// hyphens) to `out`; `None` (with `out` partly written) when it does not decode, as for
/// the `idna` crate, or decodes to more than 63 characters.
pub(super) fn decode(punycode: &str, out: &mut String) -> Option<()> {
    let bytes = punycode.as_bytes();
    // The basic code points are those before the last delimiter, if any.
    let (basic, extended) = match bytes.iter().rposition(|&b| b == b'-') {
        Some(0) => (&bytes[..0], bytes),
        Some(delimiter) => (&bytes[..delimiter], &bytes[delimiter + 1..]),
        None => (&bytes[..0], bytes),
    };
    let mut decoded = ['\0'; MAX_CHARS];
    let mut length = basic.len();
    for (slot, &b) in decoded.get_mut(..length)?.iter_mut().zip(basic) {
        *slot = char::from(b);
    }
    let mut code_point = INITIAL_N;
    let mut bias = INITIAL_BIAS;
    let mut i = 0u32;
    let mut digits = extended.iter();
    while let Some(&first) = digits.next() {
        let previous_i = i;
        let mut weight = 1u32;
        let mut k = BASE;
        let mut byte = first;
        loop {
            let digit = match byte {
                b'0'..=b'9' => u32::from(byte - b'0') + 26,
                b'a'..=b'z' => u32::from(byte - b'a'),
                _ => return None,
            };
            i = i.checked_add(digit.checked_mul(weight)?)?;
            let t = threshold(k, bias);
            if digit < t {
                break;
            }
            weight = weight.checked_mul(BASE - t)?;
            k += BASE;
            byte = *digits.next()?;
        }
        let points = length as u32 + 1;
        bias = adapt(i - previous_i, points, previous_i == 0);
        code_point = code_point.checked_add(i / points)?;
        i %= points;
        let c = char::from_u32(code_point)?;
        if length == MAX_CHARS {
            return None;
        }
        let at = i as usize;
        decoded.copy_within(at..length, at + 1);
        decoded[at] = c;
        length += 1;
        i += 1;
    }
    out.extend(&decoded[..length]);
    Some(())
}
