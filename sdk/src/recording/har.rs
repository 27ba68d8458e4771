//! HAR in and out: [`read_har_messages`] streams the WebSocket messages of a HAR file (as Chrome
//! and Firefox export it) with serde visitors, and [`write_har`] writes a recording as a minimal
//! HAR 1.2 document.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Read, Write};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::redact::{redact_secrets, redact_url};
use super::{Direction, Header, Record, RecordingError, write_error};
use crate::timestamp::Timestamp;

/// Maps a serde_json error met while reading a HAR document: an I/O failure stays one.
fn har_error(error: serde_json::Error) -> RecordingError {
    if error.is_io() { RecordingError::Io(error.into()) } else { RecordingError::Har(error) }
}
/// One WebSocket message of a HAR file (an element of an entry's `_webSocketMessages`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HarMessage {
    /// The 0-based index, in `log.entries`, of the entry (connection) the message belongs to.
    pub entry: usize,
    /// `receive` is [`Direction::In`], `send` is [`Direction::Out`].
    pub dir: Direction,
    /// The message's `time` (epoch seconds); `None` when absent, null or out of range.
    pub t: Option<Timestamp>,
    /// The WebSocket opcode: 1 for text, 2 for binary (then `text` is base64, as Chrome writes
    /// it). 1 when absent.
    pub opcode: u8,
    /// The message's `data`.
    pub text: String,
}

/// What [`read_har_messages`] found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HarSummary {
    /// The number of entries in `log.entries`.
    pub entries: usize,
    /// The number of entries with a `_webSocketMessages` array (possibly empty).
    pub websocket_entries: usize,
    /// The number of messages handed to the callback.
    pub messages: usize,
    /// The number of messages skipped: a `type` other than `send` or `receive`, or a missing or
    /// null `data`.
    pub skipped: usize,
}

/// Streams the WebSocket messages of a HAR file (`{"log":{"entries":[...]}}`, as Chrome and
/// Firefox export it), calling `on_message` for each one in file order.
///
/// The document is never held in memory: only one message at a time. Every key other than
/// `log`, `entries`, `_webSocketMessages` and a message's `type`, `time`, `opcode` and `data` is
/// skipped unread. The input is buffered internally. serde_json's default nesting limit (128)
/// applies to the values visited; skipped values are skipped without recursion, at any depth.
///
/// # Errors
/// - [`RecordingError::NotHar`] when the input is JSON but not an object with a `log` key;
/// - [`RecordingError::Har`] when it is not JSON, has trailing data, or `log`, `entries`,
///   `_webSocketMessages` or a message has the wrong shape;
/// - [`RecordingError::Io`] when reading fails.
///
/// `on_message` may already have been called for earlier messages when an error is returned.
pub fn read_har_messages<R: Read>(
    reader: R,
    on_message: impl FnMut(HarMessage),
) -> Result<HarSummary, RecordingError> {
    let mut state = HarState { on_message, summary: HarSummary::default() };
    let mut deserializer = serde_json::Deserializer::from_reader(io::BufReader::new(reader));
    let is_har = HarRoot(&mut state).deserialize(&mut deserializer).map_err(har_error)?;
    if !is_har {
        return Err(RecordingError::NotHar);
    }
    deserializer.end().map_err(har_error)?;
    Ok(state.summary)
}

/// The callback and the counts, shared by the HAR visitors.
struct HarState<F> {
    on_message: F,
    summary: HarSummary,
}

/// A map key (or string value) compared against a list of names: gives the index of the match.
/// Reading it never allocates.
struct OneOf(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for OneOf {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for OneOf {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().position(|name| *name == value))
    }
}

/// The whole document. Gives `false` when it is valid JSON but not a HAR document.
struct HarRoot<'s, F>(&'s mut HarState<F>);

impl<'de, F: FnMut(HarMessage)> DeserializeSeed<'de> for HarRoot<'_, F> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, F: FnMut(HarMessage)> Visitor<'de> for HarRoot<'_, F> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a HAR document")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut saw_log = false;
        while let Some(key) = map.next_key_seed(OneOf(&["log"]))? {
            if key == Some(0) {
                if saw_log {
                    // Which one holds the capture is a guess either way: refuse to make it.
                    return Err(de::Error::custom(
                        "the document has two `log` keys; which one is the capture is ambiguous",
                    ));
                }
                saw_log = true;
                map.next_value_seed(HarLog(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(saw_log)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(false)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// `log`: only `entries` is read.
struct HarLog<'s, F>(&'s mut HarState<F>);

impl<'de, F: FnMut(HarMessage)> DeserializeSeed<'de> for HarLog<'_, F> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, F: FnMut(HarMessage)> Visitor<'de> for HarLog<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a HAR `log` object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(OneOf(&["entries"]))? {
            if key == Some(0) {
                map.next_value_seed(HarEntries(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// `log.entries`: an array of entries.
struct HarEntries<'s, F>(&'s mut HarState<F>);

impl<'de, F: FnMut(HarMessage)> DeserializeSeed<'de> for HarEntries<'_, F> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(HarMessage)> Visitor<'de> for HarEntries<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a HAR `entries` array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(HarEntry(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

/// One entry: only `_webSocketMessages` is read.
struct HarEntry<'s, F>(&'s mut HarState<F>);

impl<'de, F: FnMut(HarMessage)> DeserializeSeed<'de> for HarEntry<'_, F> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, F: FnMut(HarMessage)> Visitor<'de> for HarEntry<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a HAR entry object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let entry = self.0.summary.entries;
        self.0.summary.entries += 1;
        let mut is_websocket = false;
        while let Some(key) = map.next_key_seed(OneOf(&["_webSocketMessages"]))? {
            if key == Some(0) {
                is_websocket |= map.next_value_seed(HarMessages { state: &mut *self.0, entry })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if is_websocket {
            self.0.summary.websocket_entries += 1;
        }
        Ok(())
    }
}

/// An entry's `_webSocketMessages`: an array, or null (gives `false`).
struct HarMessages<'s, F> {
    state: &'s mut HarState<F>,
    entry: usize,
}

impl<'de, F: FnMut(HarMessage)> DeserializeSeed<'de> for HarMessages<'_, F> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, F: FnMut(HarMessage)> Visitor<'de> for HarMessages<'_, F> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a `_webSocketMessages` array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while let Some(message) = seq.next_element::<HarMessageIn>()? {
            match message.into_message(self.entry) {
                Some(message) => {
                    self.state.summary.messages += 1;
                    (self.state.on_message)(message);
                }
                None => self.state.summary.skipped += 1,
            }
        }
        Ok(true)
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// One element of `_webSocketMessages`, as read.
struct HarMessageIn {
    dir: Option<Direction>,
    t: Option<Timestamp>,
    opcode: u8,
    text: Option<String>,
}

impl HarMessageIn {
    fn into_message(self, entry: usize) -> Option<HarMessage> {
        Some(HarMessage { entry, dir: self.dir?, t: self.t, opcode: self.opcode, text: self.text? })
    }
}

impl<'de> Deserialize<'de> for HarMessageIn {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(HarMessageVisitor)
    }
}

struct HarMessageVisitor;

impl<'de> Visitor<'de> for HarMessageVisitor {
    type Value = HarMessageIn;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a WebSocket message object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<HarMessageIn, A::Error> {
        let mut message = HarMessageIn { dir: None, t: None, opcode: 1, text: None };
        while let Some(key) = map.next_key_seed(OneOf(&["type", "time", "opcode", "data"]))? {
            match key {
                Some(0) => {
                    message.dir = match map.next_value_seed(OneOf(&["send", "receive"]))? {
                        Some(0) => Some(Direction::Out),
                        Some(_) => Some(Direction::In),
                        None => None,
                    };
                }
                Some(1) => message.t = map.next_value_seed(LenientTime)?,
                Some(2) => message.opcode = map.next_value()?,
                Some(_) => message.text = map.next_value()?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(message)
    }
}

/// A message `time`: epoch seconds (milliseconds above 1e12) or an ISO string; anything else,
/// or a value out of range, is `None`.
struct LenientTime;

impl<'de> DeserializeSeed<'de> for LenientTime {
    type Value = Option<Timestamp>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LenientTime {
    type Value = Option<Timestamp>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a time")
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
        Ok(Timestamp::from_epoch_number(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        Ok(Timestamp::from_epoch_number(value as f64))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        Ok(Timestamp::from_epoch_number(value as f64))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(Timestamp::parse(value))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

/// A HAR entry's `request`, as written.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HarRequestOut<'a> {
    method: &'static str,
    url: &'a str,
    http_version: &'static str,
    cookies: [(); 0],
    headers: [(); 0],
    query_string: [(); 0],
    headers_size: i64,
    body_size: i64,
}

/// A HAR entry's `response`, as written: the WebSocket upgrade.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HarResponseOut {
    status: u16,
    status_text: &'static str,
    http_version: &'static str,
    cookies: [(); 0],
    headers: [(); 0],
    content: HarContentOut,
    #[serde(rename = "redirectURL")]
    redirect_url: &'static str,
    headers_size: i64,
    body_size: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HarContentOut {
    size: u64,
    mime_type: &'static str,
}

const HAR_RESPONSE: HarResponseOut = HarResponseOut {
    status: 101,
    status_text: "Switching Protocols",
    http_version: "HTTP/1.1",
    cookies: [],
    headers: [],
    content: HarContentOut { size: 0, mime_type: "x-unknown" },
    redirect_url: "",
    headers_size: -1,
    body_size: -1,
};

/// `log.creator`.
#[derive(Serialize)]
struct HarCreatorOut {
    name: &'static str,
    version: &'static str,
}

/// One element of `_webSocketMessages`, as written.
#[derive(Serialize)]
struct HarMessageOut<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    time: f64,
    opcode: u8,
    data: Cow<'a, str>,
}

/// The entry being written: when it started, and its latest record.
struct OpenEntry {
    started: Timestamp,
    latest: Timestamp,
}

/// Writes a minimal valid HAR 1.2 document for a recording: one entry per connection (each
/// [`Record::Open`] starts one; frames before the first open go into a first entry that starts at
/// the header's `started_at`), with each frame as a `_webSocketMessages` element (`time` in epoch
/// seconds, opcode 1). A [`Record::TooLong`] is an empty message (HAR cannot say that a frame
/// was not kept; the frames after it keep their places). Close and reconnect records only extend
/// the entry's `time`.
///
/// The URL passes through [`redact_url`] and frame text through [`redact_secrets`]. The document
/// is streamed: records are consumed one at a time, and the output is buffered internally and
/// flushed at the end. [`read_har_messages`] reads it back.
///
/// # Errors
/// [`RecordingError::Io`] when writing fails.
pub fn write_har<W: Write>(
    writer: W,
    header: &Header,
    records: impl IntoIterator<Item = Record>,
) -> Result<(), RecordingError> {
    let mut out = io::BufWriter::new(writer);
    let url = redact_url(&header.url);
    out.write_all(br#"{"log":{"version":"1.2","creator":"#)?;
    let creator = HarCreatorOut { name: "agentwire", version: env!("CARGO_PKG_VERSION") };
    serde_json::to_writer(&mut out, &creator).map_err(write_error)?;
    out.write_all(br#","entries":["#)?;

    let mut entry: Option<OpenEntry> = None;
    let mut entries = 0usize;
    let mut messages_in_entry = 0usize;
    for record in records {
        let t = record.time();
        let is_open = matches!(record, Record::Open { .. });
        if is_open {
            if let Some(open) = entry.take() {
                end_har_entry(&mut out, &open)?;
            }
        }
        if entry.is_none() {
            let started = if is_open { t } else { header.started_at };
            start_har_entry(&mut out, entries, started, &url)?;
            entries += 1;
            messages_in_entry = 0;
            entry = Some(OpenEntry { started, latest: started });
        }
        if let Some(open) = entry.as_mut() {
            open.latest = open.latest.max(t);
        }
        // HAR has no way to say that a frame was not kept: a frame too long to keep is an empty
        // message, so the frames after it keep their indexes (checked, it is malformed too).
        let message = match &record {
            Record::Frame { dir, t, text } => Some((dir, t, redact_secrets(text))),
            Record::TooLong { dir, t, .. } => Some((dir, t, Cow::Borrowed(""))),
            _ => None,
        };
        if let Some((dir, t, data)) = message {
            if messages_in_entry > 0 {
                out.write_all(b",")?;
            }
            messages_in_entry += 1;
            let message = HarMessageOut {
                kind: match dir {
                    Direction::In => "receive",
                    Direction::Out => "send",
                },
                time: t.as_unix_micros() as f64 / 1e6,
                opcode: 1,
                data,
            };
            serde_json::to_writer(&mut out, &message).map_err(write_error)?;
        }
    }
    if let Some(open) = entry.take() {
        end_har_entry(&mut out, &open)?;
    }
    out.write_all(b"]}}\n")?;
    out.flush()?;
    Ok(())
}

/// Writes an entry up to the opening bracket of its `_webSocketMessages`.
fn start_har_entry<W: Write>(
    out: &mut W,
    index: usize,
    started: Timestamp,
    url: &str,
) -> Result<(), RecordingError> {
    if index > 0 {
        out.write_all(b",")?;
    }
    out.write_all(br#"{"startedDateTime":"#)?;
    serde_json::to_writer(&mut *out, &started).map_err(write_error)?;
    out.write_all(br#","request":"#)?;
    let request = HarRequestOut {
        method: "GET",
        url,
        http_version: "HTTP/1.1",
        cookies: [],
        headers: [],
        query_string: [],
        headers_size: -1,
        body_size: 0,
    };
    serde_json::to_writer(&mut *out, &request).map_err(write_error)?;
    out.write_all(br#","response":"#)?;
    serde_json::to_writer(&mut *out, &HAR_RESPONSE).map_err(write_error)?;
    out.write_all(
        br#","cache":{},"timings":{"send":0,"wait":0,"receive":0},"_resourceType":"websocket","_webSocketMessages":["#,
    )?;
    Ok(())
}

/// Closes an entry's `_webSocketMessages` and writes its `time` (milliseconds it lasted).
fn end_har_entry<W: Write>(out: &mut W, entry: &OpenEntry) -> Result<(), RecordingError> {
    out.write_all(br#"],"time":"#)?;
    let millis = entry.latest.micros_since(entry.started).max(0) as f64 / 1000.0;
    serde_json::to_writer(&mut *out, &millis).map_err(write_error)?;
    out.write_all(b"}")?;
    Ok(())
}
