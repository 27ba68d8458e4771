//! Byte-string equality for the hot paths (key names, verbatim ranges).
//!
//! `==` on slices calls `memcmp`, which in wasm is compiler-builtins' loop over single bytes,
//! and a call even for the few bytes of a key name. Comparing eight bytes at a time inline was
//! most of the cost of finding a member's range in its frame and of name lookups (BENCHMARKS.md).

/// Whether `a` and `b` hold the same bytes. Inlined, the lengths are compared where it is
/// called: most comparisons on the hot paths (a key against a known name) end there, without a
/// call.
#[inline(always)]
pub(crate) fn equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && same_length_equal(a, b)
}

/// [`equal`] for slices of one length: eight bytes at a time, then the last few (read as the
/// last eight, overlapping, when there are at least eight).
fn same_length_equal(a: &[u8], b: &[u8]) -> bool {
    let len = a.len();
    if len < 8 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    let word = |bytes: &[u8], at: usize| {
        bytes
            .get(at..at + 8)
            .and_then(|slice| <[u8; 8]>::try_from(slice).ok())
            .map(u64::from_ne_bytes)
    };
    let mut at = 0;
    while at + 8 <= len {
        if word(a, at) != word(b, at) {
            return false;
        }
        at += 8;
    }
    at == len || word(a, len - 8) == word(b, len - 8)
}

/// [`equal`] for text.
#[inline(always)]
pub(crate) fn equal_str(a: &str, b: &str) -> bool {
    equal(a.as_bytes(), b.as_bytes())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::equal;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// The same answer as `==`, for equal slices with one byte changed anywhere, and for
        /// unrelated ones.
        #[test]
        fn equal_is_slice_equality(a in proptest::collection::vec(any::<u8>(), 0..80), at: usize, other: u8, b in proptest::collection::vec(any::<u8>(), 0..80)) {
            prop_assert!(equal(&a, &a.clone()));
            let mut changed = a.clone();
            if !changed.is_empty() {
                let at = at % changed.len();
                changed[at] = other;
                prop_assert_eq!(equal(&a, &changed), a == changed);
            }
            prop_assert_eq!(equal(&a, &b), a == b);
        }
    }

    #[test]
    fn every_position_of_a_difference_is_seen() {
        for len in 0..40 {
            let a: Vec<u8> = (0..len as u8).collect();
            for at in 0..len {
                let mut b = a.clone();
                b[at] ^= 1;
                assert!(!equal(&a, &b), "{len} {at}");
            }
            assert!(equal(&a, &a.clone()));
            assert!(!equal(&a, &a[..len.saturating_sub(1)]) || len == 0);
        }
    }
}
