//! An event handed to JavaScript as a compact description instead of JSON text.
//!
//! The JS side already holds each frame as the string the socket gave. Handing it the event as
//! JSON cost a string out of wasm (`TextDecoder`) and a `JSON.parse` per event, about 1.2 µs in
//! Chromium, where building the same object from a description costs about 0.1 µs
//! (BENCHMARKS.md). So the event's top-level members are described one by one, in the order its
//! JSON would have them, as four `u32`s each: `[key, kind, a, b]`:
//!
//! | kind | the member's value |
//! |---|---|
//! | [`SLICE`] | `text.slice(a, b)` of the frame: a string its frame spells without escapes |
//! | [`JSON_SLICE`] | `JSON.parse(text.slice(a, b))`: a JSON value its frame holds verbatim |
//! | [`NUMBER`] | `numbers[a]` |
//! | [`NULL`], [`FALSE`], [`TRUE`] | that constant |
//! | [`TIME`] | the ISO 8601 text of `numbers[a]` seconds and `numbers[a + 1]` microseconds |
//! | [`NAME`] | the name at index `a` of the key names: one of the SDK's own names (a `type` the frame spells otherwise, as `agent_thinking` for `reasoning`) |
//! | [`SIDE`] | `JSON.parse(side)[a]`: anything else (escaped strings, objects, arrays) |
//!
//! `key` indexes the key names, which cross to JS once each ([`Description::new_keys`]);
//! `a..b` are UTF-16 code units of the frame. `js/emitter.js` builds the object from it.
//!
//! What makes a slice safe: the decoder records where captured values sit in the frame verbatim
//! ([`RawFrame::verbatim`]), and a member becomes a slice only when its bytes equal the frame's
//! bytes there. A string's content written without escapes is the string, and a JSON value's
//! text parses to the value, so the JS event is the one its JSON would have given (`tests`
//! checks this on random frames, with non-ASCII text, and on every fixture frame). The frame's
//! JS string is the UTF-8 frame decoded (the socket checked it), so its UTF-16 offsets follow
//! from the bytes.

use std::cell::RefCell;

use crate::event::{RawFrame, Verbatim};
use crate::timestamp::Timestamp;

/// A string slice of the frame.
pub(crate) const SLICE: u32 = 0;
/// A JSON value's text in the frame, to parse.
pub(crate) const JSON_SLICE: u32 = 1;
/// A number from the numbers array.
pub(crate) const NUMBER: u32 = 2;
/// `null`.
pub(crate) const NULL: u32 = 3;
/// `false`.
pub(crate) const FALSE: u32 = 4;
/// `true`.
pub(crate) const TRUE: u32 = 5;
/// An element of the side JSON array.
pub(crate) const SIDE: u32 = 6;
/// A time, as seconds and microseconds in the numbers array. `isoTime` in js/emitter.js writes
/// its text as [`Timestamp`] does, by calendar arithmetic on the day number (Howard Hinnant's
/// `civil_from_days`) and keeping the last day's text: `Date`'s `toISOString` cost about 0.4 µs
/// an event in Chromium and Node, most of building one (BENCHMARKS.md). Node tests compare it
/// with `toISOString` across years 0000 to 9999.
pub(crate) const TIME: u32 = 7;
/// One of the SDK's own names, by its index among the key names (which cross to JS once each).
pub(crate) const NAME: u32 = 8;

/// The seconds of 0000-01-01T00:00:00Z and of 9999-12-31T23:59:59Z: the years JS's
/// `toISOString` writes with four digits, as [`Timestamp`]'s ISO text does.
const FOUR_DIGIT_YEARS: std::ops::RangeInclusive<i64> = -62_167_219_200..=253_402_300_799;

/// A member's value when it is a number or a time.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scalar {
    /// A number.
    Number(f64),
    /// A time.
    Time(Timestamp),
}

/// How many key names the table holds at most (the SDK writes a few dozen).
const KEY_SLOTS: usize = 512;

/// The key names handed to JS so far, by the address of their `&'static str`: an open-addressing
/// table, so that finding a key costs a hash of its address, not a string comparison per key.
struct KeyTable {
    /// `(address, length, index + 1)`; index 0 marks an empty slot.
    slots: [(usize, usize, u32); KEY_SLOTS],
    count: u32,
}

thread_local! {
    static KEYS: RefCell<KeyTable> =
        const { RefCell::new(KeyTable { slots: [(0, 0, 0); KEY_SLOTS], count: 0 }) };
}

/// An event's description being written. See the [module documentation](self).
#[derive(Default)]
pub(crate) struct Description {
    /// The frame's UTF-16 offsets, once asked.
    offsets: Option<Utf16Offsets>,
    entries: Vec<u32>,
    numbers: Vec<f64>,
    /// The side values' JSON, comma-separated, without the brackets.
    side: String,
    side_count: u32,
    /// Where the side text stood, and where the value being written starts.
    side_mark: usize,
    value_start: usize,
    new_keys: Vec<&'static str>,
}

#[cfg_attr(
    not(all(target_arch = "wasm32", feature = "js")),
    allow(dead_code, reason = "the JS API describes events; natively only the tests do")
)]
impl Description {
    /// Empties it for the next event, keeping what it allocated.
    pub(crate) fn clear(&mut self) {
        self.offsets = None;
        self.entries.clear();
        self.numbers.clear();
        self.side.clear();
        self.side_count = 0;
        self.side_mark = 0;
        self.value_start = 0;
        self.new_keys.clear();
    }

    /// The entries, four `u32`s a member.
    pub(crate) fn entries(&self) -> &[u32] {
        &self.entries
    }

    /// The numbers [`NUMBER`] entries index.
    pub(crate) fn numbers(&self) -> &[f64] {
        &self.numbers
    }

    /// The side values' JSON array, or `None` when there is none.
    pub(crate) fn side(&self) -> Option<String> {
        (self.side_count > 0).then(|| {
            let mut array = String::with_capacity(self.side.len() + 2);
            array.push('[');
            array.push_str(&self.side);
            array.push(']');
            array
        })
    }

    /// Key names JS has not been given yet, in the order of their indexes.
    pub(crate) fn new_keys(&self) -> &[&'static str] {
        &self.new_keys
    }

    /// The index of `key`, given to JS once ([`Description::new_keys`]).
    fn key(&mut self, key: &'static str) -> u32 {
        let address = key.as_ptr() as usize;
        KEYS.with_borrow_mut(|table| {
            let mut slot = (address >> 3).wrapping_mul(0x9E37_79B9) % KEY_SLOTS;
            loop {
                match table.slots.get(slot).copied() {
                    Some((known, length, index)) if index > 0 => {
                        if known == address && length == key.len() {
                            return index - 1;
                        }
                    }
                    Some(_) if (table.count as usize) < KEY_SLOTS - 1 => {
                        let index = table.count;
                        table.count += 1;
                        if let Some(entry) = table.slots.get_mut(slot) {
                            *entry = (address, key.len(), index + 1);
                        }
                        self.new_keys.push(key);
                        return index;
                    }
                    // A full table: does not happen with the SDK's few dozen names.
                    _ => return u32::MAX,
                }
                slot = (slot + 1) % KEY_SLOTS;
            }
        })
    }

    fn push(&mut self, key: &'static str, kind: u32, a: u32, b: u32) {
        let key = self.key(key);
        self.entries.extend_from_slice(&[key, kind, a, b]);
    }

    /// Describes member `key` of the event from `frame`: a slice of the frame when its value
    /// (`verbatim`, see [`WriteJson::verbatim`](super::WriteJson::verbatim)) is there, else a
    /// number or a time. `false` when it is none of these: the caller writes the value's JSON
    /// into [`Description::side_value`], then calls [`Description::end_side_value`]. Not
    /// generic, and no closure per member type: each would add its own copy to the wasm
    /// package.
    pub(crate) fn member(
        &mut self,
        frame: &RawFrame,
        key: &'static str,
        verbatim: Option<(&[u8], bool)>,
        scalar: Option<Scalar>,
    ) -> bool {
        if verbatim.is_some_and(|(bytes, json)| self.slice(frame, key, bytes, json)) {
            return true;
        }
        match scalar {
            Some(Scalar::Number(number)) => {
                let index = self.numbers.len() as u32;
                self.numbers.push(number);
                self.push(key, NUMBER, index, 0);
                true
            }
            Some(Scalar::Time(time)) => {
                let micros = time.as_unix_micros();
                let seconds = micros.div_euclid(1_000_000);
                if !FOUR_DIGIT_YEARS.contains(&seconds) {
                    return false;
                }
                let index = self.numbers.len() as u32;
                self.numbers.push(seconds as f64);
                self.numbers.push(micros.rem_euclid(1_000_000) as f64);
                self.push(key, TIME, index, 0);
                true
            }
            None => false,
        }
    }

    /// Describes member `key` as the SDK's own name `name`: its index among the names JS holds
    /// (given once, as keys are), instead of a side value that JS would decode and parse.
    pub(crate) fn name(&mut self, key: &'static str, name: &'static str) {
        let index = self.key(name);
        self.push(key, NAME, index, 0);
    }

    /// Where the caller writes a member's JSON text (see [`Description::member`]).
    pub(crate) fn side_value(&mut self) -> &mut String {
        self.side_mark = self.side.len();
        if self.side_count > 0 {
            self.side.push(',');
        }
        self.value_start = self.side.len();
        &mut self.side
    }

    /// Describes `key` by the JSON text just written: a constant when it is one, else a side
    /// value.
    pub(crate) fn end_side_value(&mut self, key: &'static str) {
        let constant = match self.side.get(self.value_start..) {
            Some("null") => Some(NULL),
            Some("false") => Some(FALSE),
            Some("true") => Some(TRUE),
            _ => None,
        };
        match constant {
            Some(kind) => {
                self.side.truncate(self.side_mark);
                self.push(key, kind, 0, 0);
            }
            None => {
                let index = self.side_count;
                self.side_count += 1;
                self.push(key, SIDE, index, 0);
            }
        }
    }

    /// Describes `key` as a slice of `frame` (the event's frame) if it holds `bytes` verbatim (a
    /// JSON value's text when `json`, a string's content otherwise); `false` when it does not.
    fn slice(&mut self, frame: &RawFrame, key: &'static str, bytes: &[u8], json: bool) -> bool {
        let text = frame.as_str();
        let at = |candidate: &Verbatim| text.get(candidate.start as usize..candidate.end as usize);
        let mut kind = if json { JSON_SLICE } else { SLICE };
        let mut found = frame.verbatim().iter().find(|candidate| {
            candidate.json == json
                && candidate.end - candidate.start == bytes.len() as u32
                && at(candidate).is_some_and(|there| crate::bytes::equal(there.as_bytes(), bytes))
        });
        if found.is_none() && !json {
            // A string the frame spells with escapes (a model's text: newlines, quotes): its
            // literal, which JS parses, rather than a side value that wasm writes and JS
            // decodes and parses (BENCHMARKS.md, sixth step). Unescaped, a literal is never
            // longer than its text between the quotes.
            found = frame.verbatim().iter().find(|candidate| {
                candidate.json
                    && (candidate.end - candidate.start) as usize >= bytes.len() + 2
                    && at(candidate).is_some_and(|literal| {
                        crate::decode::raw_json::literal_has_value(literal, bytes)
                    })
            });
            kind = JSON_SLICE;
        }
        let Some(found) = found else {
            return false;
        };
        let (start, end) = (found.start as usize, found.end as usize);
        let (start, end) = match self.offsets.get_or_insert_with(|| Utf16Offsets::of(text)) {
            Utf16Offsets::Ascii => (start, end),
            offsets => {
                let before = offsets.units_before(text.as_bytes(), start);
                (before, before + utf16_len(text.as_bytes().get(start..end).unwrap_or_default()))
            }
        };
        let (Ok(start), Ok(end)) = (u32::try_from(start), u32::try_from(end)) else {
            return false;
        };
        self.push(key, kind, start, end);
        true
    }
}

/// Where a frame's bytes fall in its JS string (UTF-16 code units).
enum Utf16Offsets {
    /// All ASCII: a byte offset is the UTF-16 offset.
    Ascii,
    /// The code units before each [`OFFSET_BLOCK`]-byte block, so that an offset costs at most
    /// one block's count: counting from the frame's start for each member made describing a
    /// non-ASCII frame quadratic, about 3 µs more an event at 814 bytes (BENCHMARKS.md).
    Blocks(Vec<usize>),
}

/// The bytes a [`Utf16Offsets::Blocks`] entry covers.
const OFFSET_BLOCK: usize = 64;

impl Utf16Offsets {
    /// The offsets of `text`, in one pass.
    fn of(text: &str) -> Self {
        if text.is_ascii() {
            return Utf16Offsets::Ascii;
        }
        let mut blocks = Vec::with_capacity(text.len() / OFFSET_BLOCK + 2);
        let mut units = 0;
        for block in text.as_bytes().chunks(OFFSET_BLOCK) {
            blocks.push(units);
            units += utf16_len(block);
        }
        // The end, for a frame whose length is a whole number of blocks.
        blocks.push(units);
        Utf16Offsets::Blocks(blocks)
    }

    /// The UTF-16 code units of `bytes` (the frame these offsets are of) before byte `at`, a
    /// character boundary.
    fn units_before(&self, bytes: &[u8], at: usize) -> usize {
        match self {
            Utf16Offsets::Ascii => at,
            Utf16Offsets::Blocks(blocks) => {
                let block = at / OFFSET_BLOCK;
                let counted = blocks.get(block).copied().unwrap_or_default();
                counted + utf16_len(bytes.get(block * OFFSET_BLOCK..at).unwrap_or_default())
            }
        }
    }
}

/// The number of UTF-16 code units of valid UTF-8 `bytes`: one per character, two for those
/// outside the Basic Multilingual Plane (four-byte sequences). Eight bytes at a time: each
/// byte that is not a continuation byte (`10xxxxxx`) starts a character, and a four-byte lead
/// (`11110xxx`) adds a second unit.
fn utf16_len(bytes: &[u8]) -> usize {
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut words = bytes.chunks_exact(8);
    let mut units = 0;
    for word in &mut words {
        let word = u64::from_le_bytes(<[u8; 8]>::try_from(word).unwrap_or_default());
        // Each byte's bit 7 after the masks: for a continuation byte, bit 7 set and bit 6
        // clear; for a four-byte lead, bits 7 to 4 set. A shift moves a byte's own lower bits
        // up to its bit 7 (what crosses from the byte below lands in bit 0, masked out).
        let continuations = word & !(word << 1) & HIGHS;
        let four_byte_leads = word & (word << 1) & (word << 2) & (word << 3) & HIGHS;
        units += 8 - continuations.count_ones() as usize + four_byte_leads.count_ones() as usize;
    }
    let rest = words.remainder();
    units
        + rest
            .iter()
            .map(|byte| usize::from(byte & 0xC0 != 0x80) + usize::from(*byte >= 0xF0))
            .sum::<usize>()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

    use proptest::prelude::*;
    use serde_json::{Map, Value};

    use super::*;
    use crate::decode;
    use crate::json::tests::{described, fixture_frames, typed_json};

    /// Every key name handed out so far, by index (what JS's table holds).
    fn key_names(new: &[&'static str], names: &mut Vec<String>) {
        names.extend(new.iter().map(|key| (*key).to_owned()));
    }

    thread_local! {
        static NAMES: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    }

    /// What `js/emitter.js` builds from a description and its frame's text.
    fn build(description: &Description, frame: &str) -> Value {
        NAMES.with_borrow_mut(|names| key_names(description.new_keys(), names));
        let units: Vec<u16> = frame.encode_utf16().collect();
        let side: Vec<Value> =
            description.side().map_or_else(Vec::new, |side| serde_json::from_str(&side).unwrap());
        let mut object = Map::new();
        for entry in description.entries().chunks(4) {
            let [key, kind, a, b] = [entry[0], entry[1], entry[2], entry[3]];
            let key = NAMES.with_borrow(|names| names[key as usize].clone());
            let slice = || String::from_utf16(&units[a as usize..b as usize]).unwrap();
            let value = match kind {
                SLICE => Value::String(slice()),
                JSON_SLICE => serde_json::from_str(&slice()).unwrap(),
                NUMBER => serde_json::Number::from_f64(description.numbers()[a as usize])
                    .map_or(Value::Null, Value::Number),
                NULL => Value::Null,
                FALSE => Value::Bool(false),
                TRUE => Value::Bool(true),
                SIDE => side[a as usize].clone(),
                NAME => Value::String(NAMES.with_borrow(|names| names[a as usize].clone())),
                TIME => {
                    let numbers = description.numbers();
                    let (seconds, micros) = (numbers[a as usize], numbers[a as usize + 1]);
                    Value::String(js_iso(seconds as i64, micros as i64))
                }
                other => panic!("kind {other}"),
            };
            assert!(object.insert(key.clone(), value).is_none(), "{key} twice");
        }
        Value::Object(object)
    }

    /// What `isoTime` in js/emitter.js writes, step by step: `toISOString` of the second (its
    /// first 19 characters), then the microseconds when there are any.
    fn js_iso(seconds: i64, micros: i64) -> String {
        let second = Timestamp::from_unix_micros(seconds * 1_000_000).to_string();
        let mut text = second[..19].to_owned();
        if micros != 0 {
            text.push_str(&format!(".{micros:06}"));
        }
        text.push('Z');
        text
    }

    /// `value` as JS holds it: every number a double.
    fn as_js(value: Value) -> Value {
        match value {
            Value::Number(number) => serde_json::Number::from_f64(number.as_f64().unwrap())
                .map_or(Value::Null, Value::Number),
            Value::Array(items) => Value::Array(items.into_iter().map(as_js).collect()),
            Value::Object(members) => {
                Value::Object(members.into_iter().map(|(key, value)| (key, as_js(value))).collect())
            }
            other => other,
        }
    }

    /// The object JS builds from the description is the event's JSON parsed, member for member
    /// and in the same order; returns how many members were slices.
    fn assert_description_agrees(frame: &str) -> usize {
        let Ok(event) = decode(frame) else { return 0 };
        let whole = as_js(serde_json::from_str(&typed_json(&event)).unwrap());
        let description = described(&event);
        let built = as_js(build(&description, frame));
        assert_eq!(built, whole, "{frame}");
        // The same members in the same order (a `Value`'s map is sorted, so read the texts).
        let written = typed_json(&event);
        let whole_order: Vec<String> = crate::decode::raw_json::members(&written)
            .unwrap()
            .into_iter()
            .map(|(key, _)| key.into_owned())
            .collect();
        let built_order: Vec<String> = description
            .entries()
            .chunks(4)
            .map(|entry| NAMES.with_borrow(|names| names[entry[0] as usize].clone()))
            .collect();
        assert_eq!(built_order, whole_order, "member order: {frame}");
        description.entries().chunks(4).filter(|entry| entry[1] <= JSON_SLICE).count()
    }

    /// A frame with long fields in several spellings: plain, escaped, non-ASCII, nested in
    /// body locations, repeated keys.
    fn long_frame(text: &str, escaped: bool) -> String {
        let reasoning = serde_json::to_string(text).unwrap();
        let reasoning = if escaped { reasoning.replacen('a', "\\u0061", 1) } else { reasoning };
        format!(
            r#"{{"type":"agent_thinking","data":{{"reasoning":{reasoning},"run_id":"r1"}},"user_id":"u"}}"#
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn described_events_are_the_events_written_whole(
            frame in crate::decode::differential::frame()
        ) {
            assert_description_agrees(&frame.to_string());
        }

        #[test]
        fn text_in_any_script_is_a_slice_or_a_side_value(
            text in "[a-z é😀中\"\\\\\n]{1,200}",
            escaped: bool,
        ) {
            assert_description_agrees(&long_frame(&text, escaped));
        }
    }

    #[test]
    fn plain_values_become_slices_and_escaped_strings_their_literals() {
        let long = "é😀 thinking about it ".repeat(5);
        // `reasoning`, `run_id`, `user_id` and `wire_type` (`type` is a name).
        assert_eq!(assert_description_agrees(&long_frame(&long, false)), 4);
        let escaped = long_frame(&format!("a{long}"), true);
        assert_eq!(assert_description_agrees(&escaped), 4, "escaped");
        // The escaped `reasoning` is its literal, which JS parses: no side value.
        let description = described(&decode(&escaped).unwrap());
        let literals = description.entries().chunks(4).filter(|entry| entry[1] == JSON_SLICE);
        assert_eq!(literals.count(), 1);
        assert_eq!(description.side(), None);
        let results = format!(r#"{{"rows":[{}]}}"#, "[1,2.50,\"x\"],".repeat(20) + "null");
        let tool = format!(
            r#"{{"type":"tool_completed","tool_name":"t","results":{results},"results":{results}}}"#
        );
        assert!(assert_description_agrees(&tool) >= 2, "the last of repeated keys, as JSON");
    }

    #[test]
    fn a_renamed_type_is_a_name_not_a_side_value() {
        // `reasoning` arrives as `agent_thinking`, a text the frame does not hold.
        let frame = r#"{"type":"reasoning","reasoning":"weighing the options","run_id":"r1"}"#;
        assert_description_agrees(frame);
        let description = described(&decode(frame).unwrap());
        assert_eq!(description.side(), None);
        assert!(description.entries().chunks(4).any(|entry| entry[1] == NAME));
    }

    #[test]
    fn every_fixture_frame_is_the_same_event_described() {
        let slices: usize =
            fixture_frames().iter().map(|frame| assert_description_agrees(frame)).sum();
        assert!(slices > 0, "fixture fields are slices");
    }

    #[test]
    fn utf16_lengths_match_the_standard_library() {
        for text in ["", "abc", "é", "中文", "😀x😀", "\u{7ff}\u{800}\u{ffff}\u{10000}"] {
            assert_eq!(utf16_len(text.as_bytes()), text.encode_utf16().count(), "{text}");
        }
    }

    proptest! {
        /// Lengths and offsets, word by word and block by block, agree with the standard
        /// library's UTF-16 on any text: ASCII, two-, three- and four-byte characters mixed,
        /// longer than several blocks.
        #[test]
        fn utf16_offsets_match_the_standard_library(
            text in proptest::collection::vec(
                prop_oneof![Just('a'), Just('é'), Just('中'), Just('😀'), any::<char>()],
                0..300,
            ).prop_map(|chars| chars.into_iter().collect::<String>())
        ) {
            prop_assert_eq!(utf16_len(text.as_bytes()), text.encode_utf16().count());
            let offsets = Utf16Offsets::of(&text);
            for (at, _) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
                let expected = text.get(..at).unwrap().encode_utf16().count();
                prop_assert_eq!(offsets.units_before(text.as_bytes(), at), expected, "at {}", at);
            }
        }
    }
}
