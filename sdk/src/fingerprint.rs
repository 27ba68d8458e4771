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
#[cfg(target_arch = "wasm32")]
fn fold(a: u64, b: u64) -> u64 {
    fold_halves(a, b)
}

#[cfg_attr(all(not(test), target_arch = "wasm32"), allow(dead_code, reason = "native's fold"))]
fn fold_wide(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

#[cfg_attr(not(any(test, target_arch = "wasm32")), allow(dead_code, reason = "wasm's fold"))]
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

    pub(crate) fn mix_bytes(&mut self, bytes: &[u8]) {
        self.seed = fold(bytes.len() as u64 ^ P1, self.seed ^ P0);
        let mut chunks = bytes.chunks_exact(16);
        for chunk in &mut chunks {
            let (low, high) = chunk.split_at(8);
            self.seed = fold(word(low) ^ P1, word(high) ^ self.seed);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut padded = [0u8; 16];
            for (slot, byte) in padded.iter_mut().zip(rest) {
                *slot = *byte;
            }
            let (low, high) = padded.split_at(8);
            self.seed = fold(word(low) ^ P2, word(high) ^ self.seed);
        }
    }

    /// The 64-bit hash of a value whose contents were mixed in.
    pub(crate) fn finish64(self) -> u64 {
        fold(self.seed ^ P3, P1 ^ 0xFF)
    }
}

/// A little-endian word from up to 8 bytes.
fn word(bytes: &[u8]) -> u64 {
    let mut buffer = [0u8; 8];
    for (slot, byte) in buffer.iter_mut().zip(bytes) {
        *slot = *byte;
    }
    u64::from_le_bytes(buffer)
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
    let mut state = State::new(tag::ENTRY);
    state.mix(key_hash);
    state.mix(value_hash);
    state.finish64()
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

/// Accumulates an object's entry hashes, order-independently. A repeated key replaces the
/// earlier entry (the last one wins, as when the object is parsed into a JSON value), tracked by
/// key hash: inline for small objects, in a hash map beyond [`INLINE_KEYS`] keys, so hostile
/// objects with many keys stay linear.
#[derive(Default)]
pub(crate) struct ObjectHasher {
    count: u64,
    sum: u64,
    /// (key hash, entry hash) of the entries so far, for the first keys.
    inline: [(u64, u64); INLINE_KEYS],
    inline_len: usize,
    /// The same, past the first [`INLINE_KEYS`] keys.
    spill: Option<std::collections::HashMap<u64, u64>>,
}

/// Keys tracked inline per object before spilling to a hash map.
const INLINE_KEYS: usize = 16;

impl ObjectHasher {
    pub(crate) fn push(&mut self, key: &str, value_hash: u64) {
        let key_hash = string_hash(key);
        let entry = entry_hash(key_hash, value_hash);
        let earlier = match self
            .inline
            .get_mut(..self.inline_len)
            .and_then(|seen| seen.iter_mut().find(|(seen_key, _)| *seen_key == key_hash))
        {
            Some(slot) => Some(std::mem::replace(&mut slot.1, entry)),
            None => match &mut self.spill {
                Some(spill) => spill.insert(key_hash, entry),
                None => None,
            },
        };
        match earlier {
            Some(earlier) => self.sum = self.sum.wrapping_sub(earlier).wrapping_add(entry),
            None => {
                if let Some(slot) = self.inline.get_mut(self.inline_len) {
                    *slot = (key_hash, entry);
                    self.inline_len += 1;
                } else {
                    self.spill.get_or_insert_with(Default::default).insert(key_hash, entry);
                }
                self.count += 1;
                self.sum = self.sum.wrapping_add(entry);
            }
        }
    }

    fn state(&self) -> State {
        let mut state = State::new(tag::OBJECT);
        state.mix(self.count);
        state.mix(self.sum);
        state
    }

    /// The hash of a nested object.
    pub(crate) fn finish(&self) -> u64 {
        self.state().finish64()
    }

    /// The fingerprint of a frame's top-level object (whose ignored keys were not pushed).
    pub(crate) fn finish_frame(&self) -> Fingerprint {
        Fingerprint(self.state().finish64())
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
                let mut hasher = ObjectHasher::default();
                object.iter().for_each(|(key, value)| hasher.push(key, value_hash(value)));
                hasher.finish()
            }
        }
    }
    let mut hasher = ObjectHasher::default();
    for (key, value) in object {
        if !IGNORED_KEYS.contains(&key.as_str()) {
            hasher.push(key, value_hash(value));
        }
    }
    hasher.finish_frame()
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
        let mut short = ObjectHasher::default();
        short.push("run_id", string_hash("a"));
        short.push("run_id", string_hash("b"));
        let mut once = ObjectHasher::default();
        once.push("run_id", string_hash("b"));
        assert_eq!(short.finish_frame(), once.finish_frame());

        let mut long = ObjectHasher::default();
        let mut reference = ObjectHasher::default();
        for i in 0..40 {
            long.push(&format!("k{i}"), number_hash(0.0));
        }
        for i in 0..40 {
            long.push(&format!("k{i}"), number_hash(f64::from(i)));
            reference.push(&format!("k{i}"), number_hash(f64::from(i)));
        }
        assert_eq!(long.finish_frame(), reference.finish_frame());
    }
}
