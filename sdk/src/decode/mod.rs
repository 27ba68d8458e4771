//! Tolerant, total decoding of server frames (docs/protocol.md §2).
//!
//! Any text gives an [`Event`] or a typed [`DecodeError`], never a panic: 1 MB strings decode,
//! and JSON nested deeper than [`MAX_DEPTH`] levels is refused before the parser could exhaust
//! the stack.
//!
//! Tolerance rules, all of them from the protocol notes:
//! * every field is looked up at the root, then in `payload`, then in `data`, then in
//!   `data.payload`, then in `metadata`; an empty string or `null` counts as absent;
//! * type aliases collapse (`reasoning` with a `reasoning` field is `agent_thinking`,
//!   `tool_result` is `tool_completed`, `agent_finished` is `agent_completed`, `error_message` is
//!   an error, ...), and `system_message` / `agent_progress` / `agent_response_complete` frames
//!   that wrap one of the five critical events in `data.type` or `data.event` become that event;
//! * timestamps are ISO 8601 strings (`+00:00`, `Z` or naive) or epoch numbers (above 1e12:
//!   milliseconds), see [`Timestamp`](crate::timestamp::Timestamp);
//! * field synonyms: `results`/`result`/`output`, `duration`/`execution_time`/`execution_time_ms`,
//!   `reasoning`/`thought`/`message`, `tool_name`/`tool`, `parameters`/`tool_args`/`input`,
//!   `final_response`/`response`, ... (the September name first: when a frame carries both,
//!   they hold the same value in every trace we know);
//! * the October 2025 generation (§6): its new types (handshake, cleanup, `backend_log`,
//!   agent timeouts), its optional fields (`retry_info`, `llm_validation`, `agents_involved`),
//!   and its `system_message` wrapper that names an agent event in a root `event` with the
//!   body in `payload`;
//! * an unknown `type` is an [`EventKind::Unknown`](crate::EventKind::Unknown) event, not an
//!   error.
//!
//! The pieces: the scanner (`scan.rs`) reads a frame once and captures the keys the decoder needs
//! (`body.rs`); typed lookups (`lookup.rs`) read them through the body locations in order;
//! `kind.rs` resolves the wire `type` and reads each kind's fields; this file puts an [`Event`]
//! together.

mod body;
#[cfg(test)]
pub(crate) mod differential;
mod kind;
mod lookup;
mod names;
pub(crate) mod number;
#[cfg(any(test, feature = "oracle"))]
mod oracle;
mod scan;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

use serde_json::Value;

use crate::event::{Context, Event, RawFrame, RetryInfo};
use body::{Captured, Field, Loc, Scan};
use kind::decode_kind;
use scan::ScanError;

/// The deepest JSON nesting accepted. Deeper input is a [`DecodeError::TooDeep`], so decoding
/// never overflows the stack (the browser gives wasm about 1 MB of it).
pub const MAX_DEPTH: usize = 512;

/// Why a frame could not be decoded. Every variant is recoverable: the checker reports it as a
/// `malformed-frame` flag and goes on with the next frame.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A binary frame whose bytes are not UTF-8 (the manager only sends text frames).
    #[error("frame is not UTF-8 text (invalid byte at offset {valid_up_to})")]
    NotUtf8 {
        /// The length of the valid UTF-8 prefix.
        valid_up_to: usize,
    },
    /// The text is not JSON.
    #[error("frame is not valid JSON: {message} at line {line}, column {column}")]
    InvalidJson {
        /// The parser's description of the problem.
        message: String,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
    },
    /// The JSON is nested deeper than [`MAX_DEPTH`] levels.
    #[error("frame nests JSON deeper than {limit} levels")]
    TooDeep {
        /// The nesting limit.
        limit: usize,
    },
    /// The JSON is valid but not an object.
    #[error("frame is a JSON {found}, not an object")]
    NotAnObject {
        /// What it is instead.
        found: JsonKind,
    },
    /// The frame is longer than its reader's limit (a line of a capture file, see
    /// [`crate::recording::MAX_LINE`], or a live frame over
    /// [`SessionConfig::max_frame_bytes`](crate::SessionConfig::max_frame_bytes)): it was
    /// skipped without being kept, so nothing more is known of it.
    #[error("frame is {length} bytes, longer than the {limit}-byte limit; it was skipped")]
    TooLong {
        /// The frame's length in bytes.
        length: u64,
        /// The limit it exceeds.
        limit: usize,
    },
    /// The object has no `type`, or an empty or `null` one.
    #[error("frame has no `type` field")]
    MissingType,
    /// The object's `type` is not a string.
    #[error("frame's `type` is a JSON {found}, not a string")]
    TypeNotString {
        /// What it is instead.
        found: JsonKind,
    },
}

/// The kind of a JSON value, for error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum JsonKind {
    /// `null`
    Null,
    /// `true` or `false`
    Bool,
    /// A number.
    Number,
    /// A string.
    String,
    /// An array.
    Array,
    /// An object.
    Object,
}

impl JsonKind {
    /// The kind of `value`.
    #[must_use]
    pub fn of(value: &Value) -> Self {
        match value {
            Value::Null => JsonKind::Null,
            Value::Bool(_) => JsonKind::Bool,
            Value::Number(_) => JsonKind::Number,
            Value::String(_) => JsonKind::String,
            Value::Array(_) => JsonKind::Array,
            Value::Object(_) => JsonKind::Object,
        }
    }
}

impl std::fmt::Display for JsonKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            JsonKind::Null => "null",
            JsonKind::Bool => "boolean",
            JsonKind::Number => "number",
            JsonKind::String => "string",
            JsonKind::Array => "array",
            JsonKind::Object => "object",
        })
    }
}

/// Decodes one text frame.
///
/// # Errors
/// A [`DecodeError`] when the text is not a JSON object with a non-empty string `type`, or nests
/// deeper than [`MAX_DEPTH`].
///
/// # Example
/// ```
/// use agentwire::{decode, EventKind};
///
/// let frame = r#"{"type":"reasoning","reasoning":"Comparing prices","run_id":"r1",
///                 "timestamp":"2025-09-18T14:56:14.1+00:00"}"#;
/// let event = decode(frame)?;
/// assert!(matches!(event.kind, EventKind::AgentThinking(_)));
/// assert_eq!(event.wire_type, "reasoning");
/// assert_eq!(event.context.run_id.as_deref(), Some("r1"));
/// # Ok::<(), agentwire::DecodeError>(())
/// ```
pub fn decode(text: &str) -> Result<Event, DecodeError> {
    with_scan(text, |body| event_of(text, body, text))
}

/// Decodes one text frame that the caller owns, keeping the text as the raw frame without a
/// copy.
///
/// # Errors
/// As [`decode`].
pub fn decode_owned(text: String) -> Result<Event, DecodeError> {
    decode_owned_or_back(text).map_err(|(error, _)| error)
}

/// [`decode_owned`], with the text handed back when the frame does not decode (for its
/// `malformed-frame` record).
pub(crate) fn decode_owned_or_back(text: String) -> Result<Event, (DecodeError, String)> {
    // The scan borrows `text`, so the event gets it once the scan is done (an empty box
    // allocates nothing).
    match with_scan(&text, |body| event_of(&text, body, "")) {
        Ok(mut event) => {
            event.raw.set_text(text);
            Ok(event)
        }
        Err(error) => Err((error, text)),
    }
}

/// The event of the frame `text` from its scan, holding `raw` as its raw frame. Built in place
/// where the scan is read: an event is about 450 bytes, and each hand-over is a copy.
fn event_of(text: &str, body: &Scan<'_>, raw: impl Into<Box<str>>) -> Result<Event, DecodeError> {
    let wire_type = wire_type_of(body)?;
    let verbatim = if VERBATIM { body.verbatim(text) } else { Vec::new() };
    Ok(Event {
        kind: decode_kind(&wire_type, body),
        context: decode_context(body),
        wire_type,
        raw: RawFrame::with_verbatim(raw, verbatim),
        fingerprint: body.fingerprint,
    })
}

/// Decodes one text frame as [`decode`] does, but through the serde_json-based scanner the
/// decoder replaced (the test oracle): the property tests and the fuzz target compare the two.
/// Only in tests and with the cargo feature `oracle`, which only the fuzz crate enables (never
/// the npm package, the CLI or the inspector).
///
/// # Errors
/// As [`decode`]; a JSON error's message and position are serde_json's.
#[cfg(any(test, feature = "oracle"))]
#[doc(hidden)]
pub fn decode_with_oracle(text: &str) -> Result<Event, DecodeError> {
    event_of(text, &oracle::scan(text).map_err(scan_error)?, text)
}

/// Decodes one binary frame: UTF-8 text, then as [`decode`].
///
/// # Errors
/// [`DecodeError::NotUtf8`], or any error of [`decode`].
pub fn decode_bytes(bytes: &[u8]) -> Result<Event, DecodeError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|error| DecodeError::NotUtf8 { valid_up_to: error.valid_up_to() })?;
    decode(text)
}

/// Decodes an already parsed JSON value (serialised to text, which becomes the raw frame).
///
/// # Errors
/// A [`DecodeError`] when the value is not an object with a non-empty string `type`.
pub fn decode_value(value: &Value) -> Result<Event, DecodeError> {
    if !value.is_object() {
        return Err(DecodeError::NotAnObject { found: JsonKind::of(value) });
    }
    decode_owned(value.to_string())
}

fn scan_error(error: ScanError) -> DecodeError {
    match error {
        ScanError::Json { message, line, column } => {
            DecodeError::InvalidJson { message: message.into_owned(), line, column }
        }
        ScanError::NotAnObject(found) => DecodeError::NotAnObject { found },
        ScanError::TooDeep => DecodeError::TooDeep { limit: MAX_DEPTH },
    }
}

/// `read` of the scan of `text`. The scan stays in this function's frame: returned by value,
/// its ~850 bytes would be copied.
fn with_scan<'de, T>(
    text: &'de str,
    read: impl FnOnce(&Scan<'de>) -> Result<T, DecodeError>,
) -> Result<T, DecodeError> {
    let mut body = Scan::new();
    scan::scan(text, &mut body).map_err(scan_error)?;
    read(&body)
}

/// Whether decoding records where captured values sit in the frame verbatim
/// (`RawFrame::verbatim`): only the JS API reads them
/// (`json::description`), so the CLI and the inspector do not pay for them. The unit tests check
/// them natively.
const VERBATIM: bool = cfg!(any(test, all(target_arch = "wasm32", feature = "js")));

/// The root `type` of a scanned frame: a non-empty string.
fn wire_type_of(body: &Scan<'_>) -> Result<String, DecodeError> {
    match body.at(Loc::Root, Field::Type) {
        None | Some(Captured::Null) => Err(DecodeError::MissingType),
        Some(captured) => match captured.as_str() {
            Some(name) if name.is_empty() => Err(DecodeError::MissingType),
            Some(name) => Ok(name.into_owned()),
            None => Err(DecodeError::TypeNotString { found: captured.kind() }),
        },
    }
}

/// The root `type` of `text`, checked as a frame is (RFC 8259 JSON, an object, nested at most
/// [`MAX_DEPTH`] levels, a non-empty string `type`, the last of repeated keys), without
/// decoding the rest: what a client message given as JSON needs.
pub(crate) fn object_type(text: &str) -> Result<String, DecodeError> {
    with_scan(text, wire_type_of)
}

/// Parses JSON text that decoding already checked (valid, and nested at most [`MAX_DEPTH`]
/// levels), so serde_json's lower recursion limit (128) is not needed.
pub(crate) fn parse_checked(text: &str) -> Option<Value> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    deserializer.disable_recursion_limit();
    serde::Deserialize::deserialize(&mut deserializer).ok()
}

/// serde_json's message without its trailing " at line L column C" (reported separately).
pub(crate) fn error_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text.get(..cut).unwrap_or(&text).to_owned(),
        None => text,
    }
}

/// Reading JSON text that a scan validated (a captured JSON-typed field, a token's claims)
/// without a JSON library: the wasm package links none.
pub(crate) mod raw_json {
    use std::borrow::Cow;

    pub(crate) use super::scan::{elements, literal_has_value, members};

    /// The value of the last member named `key` (a repeated key: the last one wins, as in
    /// every JSON parser we interoperate with).
    pub(crate) fn member<'a>(members: &[(Cow<'_, str>, &'a str)], key: &str) -> Option<&'a str> {
        members.iter().rev().find(|(name, _)| name == key).map(|(_, value)| *value)
    }

    /// A string value, unescaped.
    pub(crate) fn as_str(raw: &str) -> Option<Cow<'_, str>> {
        super::scan::string_literal(raw)
    }

    /// A non-negative integer written without fraction or exponent.
    pub(crate) fn as_u64(raw: &str) -> Option<u64> {
        super::number::as_u64(raw)
    }

    /// A number's value (`None` for any other value: only numbers are decimal text).
    pub(crate) fn as_f64(raw: &str) -> Option<f64> {
        super::number::as_f64(raw)
    }

    /// `true` or `false`.
    pub(crate) fn as_bool(raw: &str) -> Option<bool> {
        match raw {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }
}

/// The members of the first present object under `field` (a JSON-typed field), if it is one.
fn object_members<'a>(body: &'a Scan<'_>, field: Field) -> Option<Vec<(Cow<'a, str>, &'a str)>> {
    match body.get(field)? {
        Captured::Raw(raw) => raw_json::members(raw),
        _ => None,
    }
}

/// `retry_info{is_retry, attempt_number, max_attempts, reason}` (§6), when it is an object.
fn retry_info(body: &Scan<'_>) -> Option<RetryInfo> {
    let object = object_members(body, Field::RetryInfo)?;
    let get = |key| raw_json::member(&object, key);
    Some(RetryInfo {
        is_retry: get("is_retry").and_then(raw_json::as_bool),
        attempt_number: get("attempt_number").and_then(raw_json::as_u64),
        max_attempts: get("max_attempts").and_then(raw_json::as_u64),
        reason: get("reason")
            .and_then(raw_json::as_str)
            .filter(|reason| !reason.is_empty())
            .map(Cow::into_owned),
    })
}

fn decode_context(body: &Scan<'_>) -> Context {
    Context {
        user_id: body.id(Field::UserId),
        thread_id: body.id(Field::ThreadId),
        run_id: body.id(Field::RunId),
        request_id: body.id(Field::RequestId),
        agent_name: body.text(&[Field::AgentName, Field::Agent]),
        timestamp: body.timestamp(),
        // Sequence numbers and retry attempts are envelope fields: root only.
        seq: body.at(Loc::Root, Field::Seq).and_then(Captured::as_u64),
        attempt: body.at(Loc::Root, Field::Attempt).and_then(Captured::as_u64),
        retry_info: retry_info(body),
    }
}
