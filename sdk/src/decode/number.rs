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
    let value = parse_checked_decimal(text);
    value.is_finite().then_some(value)
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
