//! Duplicate detection: a bounded window of content fingerprints of recent agent events.
//!
//! Two events are the same when their JSON objects are equal as JSON values (numbers by value,
//! objects ignoring key order) after removing the top-level keys `attempt`, `recovered` and `seq`
//! (checker-rules.md). Instead of keeping 256 cloned objects, the window keeps a 128-bit
//! fingerprint of that canonical value: object entries are combined order-independently (so the
//! result does not depend on how the JSON map orders its keys) and numbers are hashed by their
//! `f64` value (so `1` and `1.0` agree). Two different events share a fingerprint with probability
//! about 2^-128 per pair; integers that differ only beyond `f64` precision (above 2^53) compare
//! equal, as they do in JavaScript.

use std::collections::VecDeque;

use serde_json::Value;

use crate::event::JsonObject;

/// Keys ignored when comparing events: retries and replays change only these.
const IGNORED_KEYS: [&str; 3] = ["attempt", "recovered", "seq"];

/// A 128-bit content fingerprint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Fingerprint(u128);

impl Fingerprint {
    /// The fingerprint of a frame's object, ignoring the top-level retry and replay keys.
    pub(crate) fn of_frame(object: &JsonObject) -> Self {
        let (entries, combined) = object_hash(object, true);
        let mut state = State::new(6);
        state.mix(entries);
        state.mix(combined);
        Fingerprint(state.finish())
    }
}

/// The last `capacity` fingerprints, each with the frame it came from.
#[derive(Debug)]
pub(crate) struct Window {
    capacity: usize,
    entries: VecDeque<(Fingerprint, u64)>,
}

impl Window {
    pub(crate) fn new(capacity: usize) -> Self {
        Window { capacity, entries: VecDeque::with_capacity(capacity.min(1024)) }
    }

    /// The frame of an equal event in the window, if any; otherwise remembers this one.
    pub(crate) fn check_and_insert(&mut self, fingerprint: Fingerprint, frame: u64) -> Option<u64> {
        if let Some((_, original)) = self.entries.iter().find(|(seen, _)| *seen == fingerprint) {
            return Some(*original);
        }
        if self.capacity == 0 {
            return None;
        }
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back((fingerprint, frame));
        None
    }
}

/// Two independent 64-bit multiply-rotate lanes, finalised with a strong avalanche.
struct State {
    a: u64,
    b: u64,
}

impl State {
    fn new(tag: u64) -> Self {
        State { a: 0x243F_6A88_85A3_08D3 ^ tag, b: 0x1319_8A2E_0370_7344 ^ tag.rotate_left(32) }
    }

    fn mix(&mut self, word: u64) {
        self.a = (self.a ^ word).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(31);
        self.b =
            (self.b ^ word.rotate_left(17)).wrapping_mul(0xD6E8_FEB8_6659_FD93).rotate_left(27);
    }

    fn mix_bytes(&mut self, bytes: &[u8]) {
        self.mix(bytes.len() as u64);
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            for (slot, byte) in word.iter_mut().zip(rest) {
                *slot = *byte;
            }
            self.mix(u64::from_le_bytes(word));
        }
    }

    fn finish64(&self) -> u64 {
        avalanche(self.a ^ avalanche(self.b))
    }

    fn finish(&self) -> u128 {
        (u128::from(avalanche(self.a)) << 64)
            | u128::from(avalanche(self.b ^ self.a.rotate_left(7)))
    }
}

/// splitmix64's finaliser.
fn avalanche(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn value_hash(value: &Value) -> u64 {
    let mut state = match value {
        Value::Null => State::new(0),
        Value::Bool(flag) => State::new(1 + u64::from(*flag)),
        Value::Number(number) => {
            let mut state = State::new(3);
            // Numbers compare by value: 1 and 1.0 are equal, and -0.0 equals 0.0.
            let float = number.as_f64().unwrap_or(0.0);
            let float = if float == 0.0 { 0.0 } else { float };
            state.mix(float.to_bits());
            state
        }
        Value::String(text) => {
            let mut state = State::new(4);
            state.mix_bytes(text.as_bytes());
            state
        }
        Value::Array(items) => {
            let mut state = State::new(5);
            state.mix(items.len() as u64);
            for item in items {
                state.mix(value_hash(item));
            }
            state
        }
        Value::Object(object) => {
            let (entries, combined) = object_hash(object, false);
            let mut state = State::new(6);
            state.mix(entries);
            state.mix(combined);
            state
        }
    };
    state.mix(0xFF);
    state.finish64()
}

/// The number of entries hashed and their order-independent combination (a wrapping sum of
/// entry hashes), skipping the ignored keys at the top level.
fn object_hash(object: &JsonObject, top_level: bool) -> (u64, u64) {
    object
        .iter()
        .filter(|(key, _)| !(top_level && IGNORED_KEYS.contains(&key.as_str())))
        .map(|(key, value)| {
            let mut entry = State::new(7);
            entry.mix_bytes(key.as_bytes());
            entry.mix(value_hash(value));
            entry.finish64()
        })
        .fold((0, 0), |(count, sum), entry| (count + 1, sum.wrapping_add(entry)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fingerprint(text: &str) -> Fingerprint {
        let Value::Object(object) = serde_json::from_str(text).unwrap() else { panic!() };
        Fingerprint::of_frame(&object)
    }

    #[test]
    fn key_order_and_number_spelling_do_not_matter() {
        assert_eq!(
            fingerprint(r#"{"a":1,"b":{"x":[1,2]}}"#),
            fingerprint(r#"{"b":{"x":[1.0,2]},"a":1.0}"#)
        );
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
    }

    #[test]
    fn window_forgets_beyond_its_capacity() {
        let mut window = Window::new(2);
        let prints: Vec<_> = (0..3).map(|i| fingerprint(&format!(r#"{{"i":{i}}}"#))).collect();
        assert_eq!(window.check_and_insert(prints[0], 0), None);
        assert_eq!(window.check_and_insert(prints[1], 1), None);
        assert_eq!(window.check_and_insert(prints[0], 2), Some(0));
        assert_eq!(window.check_and_insert(prints[2], 3), None);
        assert_eq!(window.check_and_insert(prints[0], 4), None, "evicted after two newer ones");
    }
}
