//! Content fingerprints of frames, for duplicate detection.
//!
//! Two frames are the same event when their JSON objects are equal as JSON values (numbers by
//! value, objects ignoring key order) after removing the top-level keys `attempt`, `recovered`
//! and `seq` (docs/rules.md). Rather than keep recent objects around to compare, the decoder
//! computes a 64-bit fingerprint of that canonical value while it parses (see
//! `decode::scan`), and the checker keeps a window of fingerprints.
//!
//! The hash is structural: object entries are combined order-independently (a wrapping sum of
//! entry hashes), numbers are hashed by their `f64` value (so `1` and `1.0` agree, and `-0.0`
//! equals `0.0`), and every value is tagged by its JSON type (a wyhash-style folded multiply,
//! 16 bytes per step). Two different events share a fingerprint with probability about 2^-64
//! per pair, so with a 256-event window a false duplicate has odds near 2^-56 per event. Integers that differ only beyond `f64`
//! precision (above 2^53) compare equal, as they do in JavaScript; of a repeated key, the last
//! occurrence counts, as in a parsed JSON value.

/// Keys ignored when comparing frames: retries and replays change only these.
pub(crate) const IGNORED_KEYS: [&str; 3] = ["attempt", "recovered", "seq"];

/// Whether `key` is one of [`IGNORED_KEYS`].
pub(crate) fn is_ignored(key: &str) -> bool {
    IGNORED_KEYS.iter().any(|ignored| crate::bytes::equal_str(ignored, key))
}

/// A 64-bit content fingerprint of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub(crate) struct Fingerprint(pub(crate) u64);

/// Type tags mixed into every value's hash.
pub(crate) mod tag {
    pub(crate) const NULL: u64 = 0;
    pub(crate) const FALSE: u64 = 1;
    pub(crate) const TRUE: u64 = 2;
    pub(crate) const NUMBER: u64 = 3;
    pub(crate) const STRING: u64 = 4;
    pub(crate) const ARRAY: u64 = 5;
    pub(crate) const OBJECT: u64 = 6;
    pub(crate) const ENTRY: u64 = 7;
}

/// A wyhash-style state: one 64x64->128-bit folded multiply per 16 bytes.
#[derive(Clone, Copy)]
pub(crate) struct State {
    seed: u64,
}

const P0: u64 = 0xa076_1d64_78bd_642f;
const P1: u64 = 0xe703_7ed1_a0b4_28db;
const P2: u64 = 0x8ebc_6af0_9c88_c6e3;
const P3: u64 = 0x5899_65cc_7537_4cc3;

/// Multiplies to 128 bits and folds the halves together.
#[cfg(not(target_arch = "wasm32"))]
fn fold(a: u64, b: u64) -> u64 {
    fold_wide(a, b)
}

/// In wasm, whose widest multiplication is 64 bits, a `u128` product is a call to a generic
/// 128 × 128-bit routine (`__multi3`); four 32 × 32-bit products give the same bits without it.
/// Inlined: as a call (what `opt-level = "s"` made of it) it was about 3 % of the receive path
/// in a Node CPU profile.
#[cfg(target_arch = "wasm32")]
#[inline(always)]
fn fold(a: u64, b: u64) -> u64 {
    fold_halves(a, b)
}

#[cfg_attr(all(not(test), target_arch = "wasm32"), allow(dead_code, reason = "native's fold"))]
fn fold_wide(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

#[cfg_attr(not(any(test, target_arch = "wasm32")), allow(dead_code, reason = "wasm's fold"))]
#[inline(always)]
fn fold_halves(a: u64, b: u64) -> u64 {
    const LOW: u64 = 0xFFFF_FFFF;
    let (a_low, a_high, b_low, b_high) = (a & LOW, a >> 32, b & LOW, b >> 32);
    let (low_low, low_high) = (a_low * b_low, a_low * b_high);
    let (high_low, high_high) = (a_high * b_low, a_high * b_high);
    let middle = (low_low >> 32) + (low_high & LOW) + (high_low & LOW);
    let low = (low_low & LOW) | (middle << 32);
    let high = high_high + (low_high >> 32) + (high_low >> 32) + (middle >> 32);
    low ^ high
}

impl State {
    pub(crate) fn new(tag: u64) -> Self {
        State { seed: fold(tag ^ P0, P1) }
    }

    pub(crate) fn mix(&mut self, word: u64) {
        self.seed = fold(word ^ P1, self.seed ^ P2);
    }

    /// Mixes in `bytes` and their length: one fold per 16 bytes, the last (partial) block read
    /// as two words that may overlap the block before (the length, mixed in first, keeps
    /// different lengths apart), so no byte is handled on its own.
    pub(crate) fn mix_bytes(&mut self, bytes: &[u8]) {
        let len = bytes.len();
        let mut seed = self.seed ^ (len as u64).wrapping_mul(P3);
        let (low, high) = if len <= 16 {
            short_words(bytes)
        } else {
            let mut chunks = bytes.chunks_exact(16);
            for chunk in &mut chunks {
                seed = fold(word8(chunk, 0) ^ P1, word8(chunk, 8) ^ seed);
            }
            // The last 16 bytes (overlapping the last whole block when `len` is a multiple of
            // 16, which changes nothing but keeps one path).
            let tail = bytes.get(len - 16..).unwrap_or_default();
            (word8(tail, 0), word8(tail, 8))
        };
        self.seed = fold(low ^ P2, high ^ seed);
    }

    /// The 64-bit hash of a value whose contents were mixed in.
    pub(crate) fn finish64(self) -> u64 {
        fold(self.seed ^ P3, P1 ^ 0xFF)
    }
}

/// A `BuildHasher` for the checker's maps from the same folded multiply: SipHash, the standard
/// one, was about a thirtieth of a frame's cost through the checker (BENCHMARKS.md). Natively
/// each map's seed comes from the standard library's random keys, so crafted run ids cannot
/// aim at one bucket; in wasm, where the standard keys are fixed anyway, the seed is a
/// constant.
#[derive(Clone, Debug)]
pub(crate) struct FoldState {
    seed: u64,
}

impl Default for FoldState {
    fn default() -> Self {
        #[cfg(not(target_arch = "wasm32"))]
        let seed = {
            use std::hash::BuildHasher;
            std::collections::hash_map::RandomState::new().hash_one(P0)
        };
        #[cfg(target_arch = "wasm32")]
        let seed = P3;
        FoldState { seed }
    }
}

impl std::hash::BuildHasher for FoldState {
    type Hasher = FoldHasher;

    fn build_hasher(&self) -> FoldHasher {
        FoldHasher { state: State { seed: self.seed } }
    }
}

/// The hasher of [`FoldState`].
pub(crate) struct FoldHasher {
    state: State,
}

impl std::hash::Hasher for FoldHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.state.mix_bytes(bytes);
    }

    fn write_u8(&mut self, byte: u8) {
        self.state.mix(u64::from(byte));
    }

    fn write_u64(&mut self, word: u64) {
        self.state.mix(word);
    }

    fn write_usize(&mut self, word: usize) {
        self.state.mix(word as u64);
    }

    fn finish(&self) -> u64 {
        self.state.finish64()
    }
}

/// Up to 16 bytes as two words, wyhash's way: 8 to 16 bytes as the first and the last eight
/// (overlapping), 4 to 7 as the first and last four, 1 to 3 as the first, middle and last byte.
/// Every byte is read, and with the length mixed in separately, different inputs of one length
/// give different words.
fn short_words(bytes: &[u8]) -> (u64, u64) {
    let len = bytes.len();
    if len >= 8 {
        (word8(bytes, 0), word8(bytes, len - 8))
    } else if len >= 4 {
        (u64::from(word4(bytes, 0)), u64::from(word4(bytes, len - 4)))
    } else if len > 0 {
        let byte = |at: usize| u64::from(bytes.get(at).copied().unwrap_or_default());
        ((byte(0) << 16) | (byte(len / 2) << 8) | byte(len - 1), 0)
    } else {
        (0, 0)
    }
}

/// The little-endian word of the eight bytes at `at` (zero when they are not all there, which
/// callers rule out).
fn word8(bytes: &[u8], at: usize) -> u64 {
    bytes
        .get(at..at + 8)
        .and_then(|slice| <[u8; 8]>::try_from(slice).ok())
        .map_or(0, u64::from_le_bytes)
}

/// The little-endian word of the four bytes at `at` (zero when they are not all there).
fn word4(bytes: &[u8], at: usize) -> u32 {
    bytes
        .get(at..at + 4)
        .and_then(|slice| <[u8; 4]>::try_from(slice).ok())
        .map_or(0, u32::from_le_bytes)
}

pub(crate) fn null_hash() -> u64 {
    State::new(tag::NULL).finish64()
}

pub(crate) fn bool_hash(value: bool) -> u64 {
    State::new(if value { tag::TRUE } else { tag::FALSE }).finish64()
}

pub(crate) fn number_hash(value: f64) -> u64 {
    let mut state = State::new(tag::NUMBER);
    let value = if value == 0.0 { 0.0 } else { value };
    state.mix(value.to_bits());
    state.finish64()
}

pub(crate) fn string_hash(text: &str) -> u64 {
    let mut state = State::new(tag::STRING);
    state.mix_bytes(text.as_bytes());
    state.finish64()
}

/// The hash of one object entry, from its key's hash and its value's hash.
pub(crate) fn entry_hash(key_hash: u64, value_hash: u64) -> u64 {
    // Both inputs are already hashes: one fold joins them (tagged), one more spreads the
    // result, so that entries summed in an object do not cancel in structured ways.
    fold(fold(key_hash ^ P0 ^ tag::ENTRY, value_hash ^ P1) ^ P3, P2)
}

/// Accumulates an array's element hashes in order.
pub(crate) struct ArrayHasher {
    state: State,
    len: u64,
}

impl ArrayHasher {
    pub(crate) fn new() -> Self {
        ArrayHasher { state: State::new(tag::ARRAY), len: 0 }
    }

    pub(crate) fn push(&mut self, element_hash: u64) {
        self.state.mix(element_hash);
        self.len += 1;
    }

    pub(crate) fn finish(mut self) -> u64 {
        self.state.mix(self.len);
        self.state.finish64()
    }
}

/// The entries of the objects being hashed, innermost last, as (key hash, entry hash): one
/// stack for a whole frame, so that an object costs no buffer of its own (nested objects push
/// above their parent's entries and are gone before the parent's next entry).
#[derive(Default)]
pub(crate) struct Entries(Vec<(u64, u64)>);

impl Entries {
    /// Room for a frame's usual nesting at once, so that a frame allocates it once.
    pub(crate) fn for_frame() -> Self {
        Entries(Vec::with_capacity(2 * INLINE_KEYS))
    }
}

/// Accumulates an object's entry hashes, order-independently. A repeated key replaces the
/// earlier entry (the last one wins, as when the object is parsed into a JSON value), tracked by
/// key hash: on the [`Entries`] stack for an object's first [`INLINE_KEYS`] keys, in a hash map
/// beyond, so hostile objects with many keys stay linear.
pub(crate) struct ObjectHasher {
    count: u64,
    sum: u64,
    /// Where this object's entries start on the stack.
    base: usize,
    /// One bit per key seen, picked by the key hash's top six bits: a key whose bit is clear is
    /// new, without a search (the usual case).
    seen: u64,
    /// The entries past the first [`INLINE_KEYS`] keys.
    spill: Option<std::collections::HashMap<u64, u64, FoldState>>,
}

/// Keys tracked on the stack per object before spilling to a hash map.
const INLINE_KEYS: usize = 16;

impl ObjectHasher {
    /// A hasher for an object whose entries go on top of `entries`.
    pub(crate) fn new(entries: &Entries) -> Self {
        ObjectHasher { count: 0, sum: 0, base: entries.0.len(), seen: 0, spill: None }
    }

    pub(crate) fn push(&mut self, entries: &mut Entries, key: &str, value_hash: u64) {
        let key_hash = string_hash(key);
        let entry = entry_hash(key_hash, value_hash);
        let bit = 1u64 << (key_hash >> 58);
        let earlier = if self.seen & bit == 0 {
            self.seen |= bit;
            None
        } else {
            match entries
                .0
                .get_mut(self.base..)
                .and_then(|seen| seen.iter_mut().find(|(seen_key, _)| *seen_key == key_hash))
            {
                Some(slot) => Some(std::mem::replace(&mut slot.1, entry)),
                None => match &mut self.spill {
                    Some(spill) => spill.insert(key_hash, entry),
                    None => None,
                },
            }
        };
        match earlier {
            Some(earlier) => self.sum = self.sum.wrapping_sub(earlier).wrapping_add(entry),
            None => {
                if entries.0.len() - self.base < INLINE_KEYS {
                    entries.0.push((key_hash, entry));
                } else {
                    self.spill.get_or_insert_with(Default::default).insert(key_hash, entry);
                }
                self.count += 1;
                self.sum = self.sum.wrapping_add(entry);
            }
        }
    }

    /// The object's state, its entries taken off the stack.
    fn state(&self, entries: &mut Entries) -> State {
        entries.0.truncate(self.base);
        let mut state = State::new(tag::OBJECT);
        state.mix(self.count);
        state.mix(self.sum);
        state
    }

    /// The hash of a nested object.
    pub(crate) fn finish(&self, entries: &mut Entries) -> u64 {
        self.state(entries).finish64()
    }

    /// The fingerprint of a frame's top-level object (whose ignored keys were not pushed).
    pub(crate) fn finish_frame(&self, entries: &mut Entries) -> Fingerprint {
        Fingerprint(self.state(entries).finish64())
    }
}

/// The reference implementation over a parsed value; the decoder's streaming hash must agree
/// with it (tested below and in the property tests).
#[cfg(test)]
pub(crate) fn of_value(object: &serde_json::Map<String, serde_json::Value>) -> Fingerprint {
    fn value_hash(value: &serde_json::Value) -> u64 {
        use serde_json::Value;
        match value {
            Value::Null => null_hash(),
            Value::Bool(flag) => bool_hash(*flag),
            Value::Number(number) => number_hash(number.as_f64().unwrap_or(0.0)),
            Value::String(text) => string_hash(text),
            Value::Array(items) => {
                let mut hasher = ArrayHasher::new();
                items.iter().for_each(|item| hasher.push(value_hash(item)));
                hasher.finish()
            }
            Value::Object(object) => {
                let mut entries = Entries::default();
                let mut hasher = ObjectHasher::new(&entries);
                for (key, value) in object {
                    hasher.push(&mut entries, key, value_hash(value));
                }
                hasher.finish(&mut entries)
            }
        }
    }
    let mut entries = Entries::default();
    let mut hasher = ObjectHasher::new(&entries);
    for (key, value) in object {
        if !IGNORED_KEYS.contains(&key.as_str()) {
            hasher.push(&mut entries, key, value_hash(value));
        }
    }
    hasher.finish_frame(&mut entries)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// wasm's fold gives the bits of the 128-bit product, so fingerprints agree everywhere.
        #[test]
        fn the_fold_from_halves_is_the_wide_fold(a: u64, b: u64) {
            prop_assert_eq!(fold_halves(a, b), fold_wide(a, b));
        }
    }

    #[test]
    fn the_fold_from_halves_is_exact_at_the_extremes() {
        for (a, b) in [(u64::MAX, u64::MAX), (0, u64::MAX), (1 << 32, 1 << 32), (P0, P1)] {
            assert_eq!(fold_halves(a, b), fold_wide(a, b));
        }
    }

    fn fingerprint(text: &str) -> Fingerprint {
        let serde_json::Value::Object(object) = serde_json::from_str(text).unwrap() else {
            panic!()
        };
        of_value(&object)
    }

    #[test]
    fn key_order_and_number_spelling_do_not_matter() {
        assert_eq!(
            fingerprint(r#"{"a":1,"b":{"x":[1,2]}}"#),
            fingerprint(r#"{"b":{"x":[1.0,2]},"a":1.0}"#)
        );
        assert_eq!(fingerprint(r#"{"a":0.0}"#), fingerprint(r#"{"a":-0.0}"#));
    }

    #[test]
    fn retry_and_replay_keys_are_ignored_at_the_top_level_only() {
        let base = fingerprint(r#"{"type":"t","v":1}"#);
        assert_eq!(base, fingerprint(r#"{"type":"t","v":1,"attempt":2,"recovered":true,"seq":9}"#));
        assert_ne!(fingerprint(r#"{"d":{"attempt":1}}"#), fingerprint(r#"{"d":{"attempt":2}}"#));
    }

    #[test]
    fn different_content_differs() {
        assert_ne!(fingerprint(r#"{"a":"x"}"#), fingerprint(r#"{"a":"y"}"#));
        assert_ne!(fingerprint(r#"{"a":[1,2]}"#), fingerprint(r#"{"a":[2,1]}"#));
        assert_ne!(fingerprint(r#"{"a":"1"}"#), fingerprint(r#"{"a":1}"#));
        assert_ne!(fingerprint(r#"{"a":{"b":1},"c":2}"#), fingerprint(r#"{"a":{"c":2},"b":1}"#));
        assert_ne!(fingerprint(r#"{"a":null}"#), fingerprint(r#"{}"#));
        assert_ne!(fingerprint(r#"{"a":[]}"#), fingerprint(r#"{"a":{}}"#));
        assert_ne!(fingerprint(r#"{"a":[[]]}"#), fingerprint(r#"{"a":[]}"#));
    }

    #[test]
    fn of_repeated_keys_the_last_wins_inline_and_past_the_inline_limit() {
        /// The frame fingerprint of `members` pushed in order, on a stack that already holds
        /// `below` entries of an enclosing object.
        fn hashed(below: usize, members: &[(String, u64)]) -> Fingerprint {
            let mut entries = Entries::default();
            let mut outer = ObjectHasher::new(&entries);
            for i in 0..below {
                outer.push(&mut entries, &format!("outer{i}"), null_hash());
            }
            let mut hasher = ObjectHasher::new(&entries);
            for (key, hash) in members {
                hasher.push(&mut entries, key, *hash);
            }
            let fingerprint = hasher.finish_frame(&mut entries);
            assert_eq!(entries.0.len(), below.min(INLINE_KEYS), "the object's entries are gone");
            fingerprint
        }
        let key = |k: &str, v: &str| (k.to_owned(), string_hash(v));
        for below in [0, 3, 40] {
            assert_eq!(
                hashed(below, &[key("run_id", "a"), key("run_id", "b")]),
                hashed(0, &[key("run_id", "b")])
            );
            let first: Vec<_> = (0..40).map(|i| (format!("k{i}"), number_hash(0.0))).collect();
            let last: Vec<_> =
                (0..40).map(|i| (format!("k{i}"), number_hash(f64::from(i)))).collect();
            let both: Vec<_> = first.iter().chain(&last).cloned().collect();
            assert_eq!(hashed(below, &both), hashed(0, &last));
            assert_ne!(hashed(below, &first), hashed(0, &last));
        }
    }

    #[test]
    fn strings_of_every_short_length_hash_apart() {
        // The short-input words read every byte: changing any one byte of any length up to 40
        // changes the hash, and so does the length.
        let base: Vec<u8> = (0..40u8).map(|i| b'a' + i % 26).collect();
        let mut seen = std::collections::HashSet::new();
        for len in 0..=base.len() {
            let text = base.get(..len).unwrap();
            assert!(seen.insert(string_hash(std::str::from_utf8(text).unwrap())), "{len}");
            for at in 0..len {
                let mut changed = text.to_vec();
                changed[at] = b'#';
                assert!(
                    seen.insert(string_hash(std::str::from_utf8(&changed).unwrap())),
                    "{len} {at}"
                );
            }
        }
    }
}
