//! Names looked up in a table built at compile time: the keys the decoder reads and the type
//! names it knows. A `match` on a hundred string literals compiles to a tree of length tests
//! and comparisons, about 3 KB of wasm for each of the two tables; a hash of the name picks a
//! bucket of at most two candidates instead, with the names as data. The hash reads four
//! things of a name (length, first, middle and last byte), so a lookup costs about what the
//! `match` cost.

/// A bucket slot with no name.
const EMPTY: u8 = u8::MAX;

/// The number of buckets.
const BUCKETS: usize = 128;

/// A table of up to 254 names, each found by its index in the list it was built from.
pub(super) struct Names<const N: usize> {
    names: [&'static str; N],
    /// For each hash bucket, the indexes of its names (at most two).
    buckets: [[u8; 2]; BUCKETS],
}

/// The bucket of a name: its length and first, middle and last bytes, mixed. Cheaper than a
/// hash of every byte, and the multipliers were chosen so that no bucket of either table gets
/// three names ([`Names::new`] checks that when it builds).
#[allow(clippy::indexing_slicing, reason = "every index is below the length, checked above it")]
const fn bucket(bytes: &[u8]) -> usize {
    let length = bytes.len();
    if length == 0 {
        return 0;
    }
    let mixed = (length as u32)
        .wrapping_mul(61_549)
        .wrapping_add((bytes[0] as u32).wrapping_mul(57_753))
        .wrapping_add((bytes[length - 1] as u32).wrapping_mul(24_983))
        .wrapping_add((bytes[length / 2] as u32).wrapping_mul(44_991));
    (mixed.wrapping_mul(0x9E37_79B1) >> 25) as usize
}

impl<const N: usize> Names<N> {
    /// The table of `names`. Fails to compile (a panic in const evaluation) when three names
    /// share a bucket or a name is listed twice: then change the multipliers of [`bucket`].
    #[allow(
        clippy::indexing_slicing,
        reason = "const evaluation at build time: an index out of range fails the build"
    )]
    pub(super) const fn new(names: [&'static str; N]) -> Self {
        assert!(N < EMPTY as usize, "at most 254 names");
        let mut buckets = [[EMPTY; 2]; BUCKETS];
        let mut index = 0;
        while index < N {
            let bytes = names[index].as_bytes();
            let slot = bucket(bytes);
            let mut other = 0;
            while other < index {
                let known = names[other].as_bytes();
                let mut same = known.len() == bytes.len();
                let mut at = 0;
                while same && at < bytes.len() {
                    same = known[at] == bytes[at];
                    at += 1;
                }
                assert!(!same, "a name is listed twice");
                other += 1;
            }
            if buckets[slot][0] == EMPTY {
                buckets[slot][0] = index as u8;
            } else {
                assert!(
                    buckets[slot][1] == EMPTY,
                    "three names share a bucket: change the multipliers of `bucket`"
                );
                buckets[slot][1] = index as u8;
            }
            index += 1;
        }
        Names { names, buckets }
    }

    /// The index of `name` in the list, if it is there.
    pub(super) fn find(&self, name: &str) -> Option<usize> {
        let candidates = self.buckets.get(bucket(name.as_bytes()))?;
        candidates.iter().map(|index| usize::from(*index)).find(|index| {
            self.names.get(*index).is_some_and(|known| crate::bytes::equal_str(known, name))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: Names<4> = Names::new(["type", "event", "run_id", ""]);

    #[test]
    fn every_listed_name_is_found_and_nothing_else() {
        for (index, name) in ["type", "event", "run_id", ""].into_iter().enumerate() {
            assert_eq!(TABLE.find(name), Some(index), "{name}");
        }
        for other in ["typ", "types", "Type", "run_i", "event ", "\0"] {
            assert_eq!(TABLE.find(other), None, "{other:?}");
        }
    }
}
