//! Typed fields handed to JavaScript as ranges of the frame's own string instead of copies.
//!
//! The JS side already holds each frame as the string the socket gave. A long typed field
//! (a thought, a tool's results) that the frame spells exactly as the field holds it does not
//! need to be copied into the event's JSON, decoded out of wasm memory and parsed again: the
//! event's JSON writes `null` in its place, and a last member, [`REFS_KEY`], lists
//! `[key, start, end, json]` for each such field, with `start..end` in UTF-16 code units of the
//! frame. `js/emitter.js` sets `event[key]` to `text.slice(start, end)`, parsed when `json` is
//! 1, and deletes the member (the last one added, so the object keeps its fast shape).
//!
//! What makes a range safe: the decoder records where long values sit in the frame verbatim
//! ([`RawFrame::verbatim`]), and a field becomes a range only when its bytes equal the frame's
//! bytes there. A string's content written without escapes is the string, and a JSON value's
//! text parses to the value, so the JS event is the same either way (`tests.rs` checks this on
//! random frames, with non-ASCII text). The frame's JS string is the UTF-8 frame decoded (the
//! socket checked it), so its UTF-16 offsets follow from the bytes.

use crate::event::RawFrame;

/// The member of an event's JSON that lists its ranges (see the module documentation).
pub(crate) const REFS_KEY: &str = "@refs";

/// The ranges of one event's JSON being written.
pub(crate) struct Refs<'f> {
    frame: &'f RawFrame,
    /// Whether the frame is ASCII (byte offsets are UTF-16 offsets), once asked.
    ascii: Option<bool>,
    /// The `[key, start, end, json]` entries written so far, comma-separated.
    entries: String,
}

#[cfg_attr(
    not(all(target_arch = "wasm32", feature = "js")),
    allow(dead_code, reason = "the JS API writes events; natively only the tests do")
)]
impl<'f> Refs<'f> {
    /// Ranges into `frame`, none yet.
    pub(crate) fn new(frame: &'f RawFrame) -> Self {
        Refs { frame, ascii: None, entries: String::new() }
    }

    /// Records `key` as a range if the frame holds `bytes` verbatim (a JSON value's text when
    /// `json`, a string's content otherwise); `false` when the field must be written out.
    pub(crate) fn take(&mut self, key: &str, bytes: &[u8], json: bool) -> bool {
        let text = self.frame.as_str();
        let Some(found) = self.frame.verbatim().iter().find(|candidate| {
            candidate.json == json
                && text.as_bytes().get(candidate.start as usize..candidate.end as usize)
                    == Some(bytes)
        }) else {
            return false;
        };
        let (start, end) = (found.start as usize, found.end as usize);
        let ascii = *self.ascii.get_or_insert_with(|| text.is_ascii());
        let (start, end) = if ascii {
            (start, end)
        } else {
            let before = utf16_len(text.as_bytes().get(..start).unwrap_or_default());
            (before, before + utf16_len(bytes))
        };
        if !self.entries.is_empty() {
            self.entries.push(',');
        }
        self.entries.push_str("[\"");
        self.entries.push_str(key);
        self.entries.push_str("\",");
        super::push_u64(&mut self.entries, start as u64);
        self.entries.push(',');
        super::push_u64(&mut self.entries, end as u64);
        self.entries.push_str(if json { ",1]" } else { ",0]" });
        true
    }

    /// The entries' JSON array, or `None` when no field became a range.
    pub(crate) fn entries(&self) -> Option<&str> {
        (!self.entries.is_empty()).then_some(self.entries.as_str())
    }
}

/// The number of UTF-16 code units of valid UTF-8 `bytes`: one per character, two for those
/// outside the Basic Multilingual Plane (four-byte sequences).
fn utf16_len(bytes: &[u8]) -> usize {
    bytes.iter().map(|byte| usize::from(byte & 0xC0 != 0x80) + usize::from(*byte >= 0xF0)).sum()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

    use proptest::prelude::*;
    use serde_json::Value;

    use super::{REFS_KEY, utf16_len};
    use crate::decode;
    use crate::json::tests::{fixture_frames, typed_json, typed_json_with_refs};

    /// What `js/emitter.js` does with an event's JSON and its frame's text.
    fn apply_refs(written: &str, frame: &str) -> Value {
        let mut event: Value = serde_json::from_str(written).unwrap();
        let object = event.as_object_mut().unwrap();
        if let Some(refs) = object.remove(REFS_KEY) {
            let units: Vec<u16> = frame.encode_utf16().collect();
            for entry in refs.as_array().unwrap() {
                let entry = entry.as_array().unwrap();
                let key = entry[0].as_str().unwrap();
                let (start, end) =
                    (entry[1].as_u64().unwrap() as usize, entry[2].as_u64().unwrap() as usize);
                assert_eq!(object.get(key), Some(&Value::Null), "{key} has a placeholder");
                let slice = String::from_utf16(&units[start..end]).unwrap();
                let value = if entry[3] == 1 {
                    serde_json::from_str(&slice).unwrap()
                } else {
                    Value::String(slice)
                };
                object.insert(key.to_owned(), value);
            }
        }
        event
    }

    /// The event the JS side builds is the one it built from the whole JSON; returns how many
    /// fields were ranges.
    fn assert_refs_agree(frame: &str) -> usize {
        let Ok(event) = decode(frame) else { return 0 };
        let whole: Value = serde_json::from_str(&typed_json(&event)).unwrap();
        let with_refs = typed_json_with_refs(&event);
        assert_eq!(apply_refs(&with_refs, frame), whole, "{frame}");
        serde_json::from_str::<Value>(&with_refs).unwrap()[REFS_KEY].as_array().map_or(0, Vec::len)
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
        fn events_with_ranges_are_the_events_written_whole(
            frame in crate::decode::differential::frame()
        ) {
            assert_refs_agree(&frame.to_string());
        }

        #[test]
        fn long_text_in_any_script_is_handed_over_as_a_range_or_written_whole(
            text in "[a-z é😀中\"\\\\\n]{60,200}",
            escaped: bool,
        ) {
            assert_refs_agree(&long_frame(&text, escaped));
        }
    }

    #[test]
    fn long_plain_values_become_ranges_and_escaped_or_short_ones_do_not() {
        let long = "é😀 thinking about it ".repeat(5);
        assert_eq!(assert_refs_agree(&long_frame(&long, false)), 1);
        assert_eq!(assert_refs_agree(&long_frame(&format!("a{long}"), true)), 0, "escaped");
        assert_eq!(assert_refs_agree(&long_frame("short", false)), 0, "short");
        let results = format!(r#"{{"rows":[{}]}}"#, "[1,2.50,\"x\"],".repeat(20) + "null");
        let tool = format!(
            r#"{{"type":"tool_completed","tool_name":"t","results":{results},"results":{results}}}"#
        );
        assert_eq!(assert_refs_agree(&tool), 1, "the last of repeated keys, as JSON");
    }

    #[test]
    fn every_fixture_frame_is_the_same_event_with_ranges() {
        let ranges: usize = fixture_frames().iter().map(|frame| assert_refs_agree(frame)).sum();
        assert!(ranges > 0, "some fixture field is long enough to be a range");
    }

    #[test]
    fn utf16_lengths_match_the_standard_library() {
        for text in ["", "abc", "é", "中文", "😀x😀", "\u{7ff}\u{800}\u{ffff}\u{10000}"] {
            assert_eq!(utf16_len(text.as_bytes()), text.encode_utf16().count(), "{text}");
        }
    }
}
