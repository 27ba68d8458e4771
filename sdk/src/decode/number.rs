//! Numbers, read from their text: JSON numbers (kept as text by the scanner until a lookup
//! wants them) and the epoch numbers of timestamps.

/// Written as an integer: no fraction, no exponent.
fn is_integer(text: &str) -> bool {
    !text.bytes().any(|byte| matches!(byte, b'.' | b'e' | b'E'))
}

pub(crate) fn as_u64(text: &str) -> Option<u64> {
    (is_integer(text) && !text.starts_with('-')).then(|| text.parse().ok()).flatten()
}

/// A negative integer that fits in `i64` (`-0` is not one: JSON parsers read it as the float
/// `-0.0`).
fn as_negative_i64(text: &str) -> Option<i64> {
    (is_integer(text) && text.starts_with('-') && text != "-0").then(|| text.parse().ok()).flatten()
}

/// A finite number's value, correctly rounded, from decimal text: `[+-]digits[.digits]`,
/// with digits on at least one side of the point, then an optional `e[+-]digits` (every JSON
/// number, and the epoch numbers timestamps are written as). `None` for any other text and for
/// values beyond the range of `f64`.
pub(crate) fn as_f64(text: &str) -> Option<f64> {
    if !is_decimal(text.as_bytes()) {
        return None;
    }
    let value = exact_decimal(text.as_bytes()).unwrap_or_else(|| parse_checked_decimal(text));
    value.is_finite().then_some(value)
}

/// The value of decimal text (as [`is_decimal`] accepted) whose digits, read as an integer,
/// are exactly an `f64` (at most 2^53) and whose power of ten is too (at most 10^22): one
/// multiplication or division of two exact values, which IEEE 754 rounds correctly (Clinger's
/// fast path). Nearly every number a manager sends is one. `None` for the others.
fn exact_decimal(bytes: &[u8]) -> Option<f64> {
    const POWERS: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, bytes),
    };
    // Nineteen bytes hold at most nineteen digits, below 2^64 (and an exponent below 2^63), so
    // the arithmetic below cannot overflow and needs no checks: an overflow-checked 64-bit
    // multiplication is a call to a 128-bit routine (`__multi3`) in wasm, for every digit.
    // Longer text is rare and goes to the full parser (`None` always may).
    if bytes.len() > 19 {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut scale: i64 = 0;
    let mut fraction = false;
    let mut rest = digits.iter();
    for byte in rest.by_ref() {
        match byte {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(byte - b'0');
                scale -= i64::from(fraction);
            }
            b'.' => fraction = true,
            _ => break,
        }
    }
    // An exponent follows the `e` that ended the loop (is_decimal checked the grammar).
    let mut exponent: i64 = 0;
    let mut exponent_negative = false;
    for byte in rest {
        match byte {
            b'-' => exponent_negative = true,
            b'+' => {}
            _ => exponent = exponent * 10 + i64::from(byte - b'0'),
        }
    }
    let power = scale + if exponent_negative { -exponent } else { exponent };
    if mantissa > 1 << 53 {
        return None;
    }
    let magnitude = POWERS.get(usize::try_from(power.unsigned_abs()).ok()?)?;
    let value = if power < 0 { mantissa as f64 / magnitude } else { mantissa as f64 * magnitude };
    Some(if negative { -value } else { value })
}

/// Whether `bytes` is decimal number text as [`as_f64`] describes it.
fn is_decimal(bytes: &[u8]) -> bool {
    let digits = |from: usize| bytes.iter().skip(from).take_while(|b| b.is_ascii_digit()).count();
    let mut pos = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
    let whole = digits(pos);
    pos += whole;
    let mut fraction = 0;
    if bytes.get(pos) == Some(&b'.') {
        fraction = digits(pos + 1);
        pos += 1 + fraction;
    }
    if whole + fraction == 0 {
        return false;
    }
    if let Some(b'e' | b'E') = bytes.get(pos) {
        pos += 1;
        pos += usize::from(matches!(bytes.get(pos), Some(b'+' | b'-')));
        let exponent = digits(pos);
        if exponent == 0 {
            return false;
        }
        pos += exponent;
    }
    pos == bytes.len()
}

/// Parses text that [`is_decimal`] accepted, correctly rounded.
///
/// In the browser this is the engine's own `parseFloat`, which ECMAScript requires to round
/// correctly, as core's parser does: core's (with its tables of powers of five) is about 15 KB
/// of the wasm package. The two agree on every input `is_decimal` accepts; the browser tests
/// check tricky cases (subnormals, halfway cases, long mantissas) against Rust literals.
#[cfg(target_arch = "wasm32")]
fn parse_checked_decimal(text: &str) -> f64 {
    js_sys::Number::parse_float(text)
}

#[cfg(not(target_arch = "wasm32"))]
fn parse_checked_decimal(text: &str) -> f64 {
    text.parse().unwrap_or(f64::NAN)
}

/// A number as an identifier's text: integers in decimal, other numbers in their shortest
/// round-trip form, as serde_json writes them (by the printer it uses, zmij; ryu would add
/// about 14 KB of wasm and writes `1e+16` where serde_json writes `1e16`).
pub(crate) fn canonical(text: &str) -> Option<String> {
    let mut out = String::new();
    if let Some(value) = as_u64(text) {
        crate::json::push_u64(&mut out, value);
    } else if let Some(value) = as_negative_i64(text) {
        out.push('-');
        crate::json::push_u64(&mut out, value.unsigned_abs());
    } else {
        out.push_str(zmij::Buffer::new().format_finite(as_f64(text)?));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// The grammar and the value are exactly core's `f64` parser's on decimal text, and
        /// anything else is refused.
        #[test]
        fn decimal_text_reads_as_core_reads_it(text in "[+-]?[0-9]{0,20}(\\.[0-9]{0,20})?([eE][+-]?[0-9]{1,4})?") {
            let core = text.parse::<f64>().ok().filter(|value| value.is_finite());
            prop_assert_eq!(as_f64(&text).map(f64::to_bits), core.map(f64::to_bits));
        }

        #[test]
        fn other_text_is_not_a_number(text in "\\PC{0,12}") {
            let core = text.parse::<f64>().ok().filter(|value| value.is_finite());
            let named = ["inf", "nan"].iter().any(|word| text.to_ascii_lowercase().contains(word));
            if !named {
                prop_assert_eq!(as_f64(&text).map(f64::to_bits), core.map(f64::to_bits));
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// Numbers in the fast path's range (and just beyond it) read as core reads them; the
        /// fast path itself is exact whenever it answers, and it answers for every text of at
        /// most nineteen bytes whose digits are at most 2^53 and whose power of ten is at most
        /// 22 (so a wrong bound or a wrong digit fails here, not only in the full parser).
        #[test]
        fn short_decimals_read_as_core_reads_them(
            digits in 1usize..=17, seed: u64, point in 0usize..=17, exponent in -30i32..30,
            sign: bool, spelled_exponent: bool,
        ) {
            // A mantissa of `digits` digits (up to just beyond 2^53), the point anywhere in it.
            let whole = seed % 10u64.pow(digits as u32);
            let mantissa = format!("{whole:0digits$}");
            let point = point.min(digits);
            let (before, after) = mantissa.split_at(point);
            let mut text = format!("{}{before}.{after}", if sign { "-" } else { "" });
            if spelled_exponent {
                text.push_str(&format!("e{exponent}"));
            }
            let core = text.parse::<f64>().ok().map(f64::to_bits);
            prop_assert_eq!(as_f64(&text).map(f64::to_bits), core);
            let fast = exact_decimal(text.as_bytes());
            if let Some(value) = fast {
                prop_assert_eq!(Some(value.to_bits()), core);
            }
            let power = if spelled_exponent { exponent } else { 0 } - after.len() as i32;
            if text.len() <= 19 && whole <= 1 << 53 && power.unsigned_abs() <= 22 {
                prop_assert!(fast.is_some(), "{} fell back", text);
            }
        }
    }

    #[test]
    fn exact_decimals_are_read_without_the_slow_path_and_the_rest_fall_back() {
        assert_eq!(exact_decimal(b"2.50"), Some(2.5));
        assert_eq!(exact_decimal(b"-0"), Some(-0.0));
        assert_eq!(exact_decimal(b"1758207374.123456"), Some(1_758_207_374.123_456));
        assert_eq!(exact_decimal(b"9007199254740992"), Some(9_007_199_254_740_992.0), "2^53");
        assert_eq!(exact_decimal(b"9007199254740993"), None, "beyond 2^53");
        assert_eq!(exact_decimal(b"123456789012345678901234567890"), None, "beyond u64");
        assert_eq!(exact_decimal(b"9999999999999999999"), None, "19 digits, beyond 2^53");
        assert_eq!(exact_decimal(b"-0.00000000000001e1"), Some(-0.000_000_000_000_1), "19 bytes");
        assert_eq!(exact_decimal(b"1e999999999999999"), None, "a long exponent");
        // The longest exponents and the smallest scale nineteen bytes can hold.
        assert_eq!(exact_decimal(b"1e99999999999999999"), None, "19 bytes, beyond 10^22");
        assert_eq!(exact_decimal(b"1e-9999999999999999"), None, "19 bytes, beyond 10^-22");
        assert_eq!(exact_decimal(b".000000000000000001"), Some(1e-18), "19 bytes, scale -18");
        assert_eq!(exact_decimal(b"0.00000000000000001e1"), None, "20 bytes: the full parser");
        assert_eq!(exact_decimal(b"1e23"), None, "10^23 is not an f64");
        // Too long for the fast path (an exponent, and an exponent with a scale, that overflowed
        // the fast path's arithmetic before it had a length limit).
        assert_eq!(exact_decimal(b"1e99999999999999999999"), None, "too long");
        assert_eq!(exact_decimal(b"0.00e-9223372036854775807"), None, "too long");
        assert_eq!(as_f64("0.00e-9223372036854775807"), Some(0.0));
        assert_eq!(as_f64("9007199254740993"), Some(9_007_199_254_740_992.0));
    }

    #[test]
    fn forms_beyond_json_are_decided_as_core_decides_them() {
        for text in ["1.", ".5", "+5", "-.5e1", "1e", "e5", ".", "-", "1e400", "5 ", "0x10", ""] {
            let core = text.parse::<f64>().ok().filter(|value| value.is_finite());
            assert_eq!(as_f64(text), core, "{text:?}");
        }
        assert_eq!(as_f64("inf"), None);
        assert_eq!(as_f64("NaN"), None);
    }
}
