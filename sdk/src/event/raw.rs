//! The wire's text, kept exactly: [`RawFrame`] (a whole frame) and [`JsonText`] (a value inside
//! one), both parsed only on demand and serialised as the JSON they hold.

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::Value;

use super::JsonObject;

/// A frame's text exactly as received. It is always a JSON object (the decoder checked), so
/// nothing is lost: key order, repeated keys and number spelling survive. Parse it on demand
/// with [`RawFrame::to_value`]; it serialises as the JSON object, not as a string.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(type = "JsonObject"))]
#[derive(Clone)]
pub struct RawFrame {
    text: Box<str>,
    /// Where captured values sit in `text` verbatim, as the decoder found them: the JS API hands
    /// a typed field that equals one to JavaScript as a slice of the frame's own string instead
    /// of a copy (see `json::description`). Not part of the frame's identity.
    // A `Vec` as the decoder built it: a boxed slice would cost a shrinking reallocation a frame.
    verbatim: Vec<Verbatim>,
}

/// A value that appears in a frame's text exactly as a typed field holds it: a JSON value's
/// text (`json`), or a string's content between its quotes, written without escapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Verbatim {
    /// The byte range in the frame's text.
    pub(crate) start: u32,
    pub(crate) end: u32,
    /// A JSON value (parsed when used), not a string's content.
    pub(crate) json: bool,
}

impl RawFrame {
    /// A frame whose captured values the decoder located (see [`Verbatim`]).
    pub(crate) fn with_verbatim(text: impl Into<Box<str>>, verbatim: Vec<Verbatim>) -> Self {
        RawFrame { text: text.into(), verbatim }
    }

    /// Gives an empty frame its text: for a decoder that scanned the text, and computed the
    /// verbatim ranges on it, before it could give the text away. It must be that same text.
    pub(crate) fn set_text(&mut self, text: impl Into<Box<str>>) {
        debug_assert!(self.text.is_empty(), "a frame's text is set once");
        self.text = text.into();
    }

    /// The values of this frame that appear in its text verbatim.
    #[cfg_attr(
        not(all(target_arch = "wasm32", feature = "js")),
        allow(dead_code, reason = "the JS API reads them; natively only the tests do")
    )]
    pub(crate) fn verbatim(&self) -> &[Verbatim] {
        &self.verbatim
    }

    /// The frame's text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The frame's length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.text.len()
    }

    /// Whether the text is empty (never true for a decoded frame).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The frame parsed as a JSON value (an object; the last of repeated keys wins).
    #[must_use]
    pub fn to_value(&self) -> Value {
        crate::decode::parse_checked(&self.text).unwrap_or(Value::Null)
    }

    /// The frame parsed as a JSON object.
    #[must_use]
    pub fn to_object(&self) -> JsonObject {
        match self.to_value() {
            Value::Object(object) => object,
            _ => JsonObject::new(),
        }
    }

    /// The text, as an owned string.
    #[must_use]
    pub fn into_string(self) -> String {
        self.text.into_string()
    }
}

/// Two frames are equal when their texts are.
impl PartialEq for RawFrame {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for RawFrame {}

impl fmt::Debug for RawFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.text, f)
    }
}

impl fmt::Display for RawFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for RawFrame {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

/// A JSON value kept as its exact text and parsed on demand ([`JsonText::to_value`]). Typed
/// fields that carry arbitrary JSON (tool parameters and results, final answers, ...) use it,
/// so decoding does not build trees that most consumers never look at. It serialises as the
/// JSON value, not as a string, and compares as a JSON value (`{"a": 1}` equals `{"a":1}`).
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(type = "JsonValue"))]
#[derive(Clone)]
pub struct JsonText(Box<str>);

impl JsonText {
    /// Wraps text that is known to be one valid JSON value.
    pub(crate) fn new(text: impl Into<Box<str>>) -> Self {
        JsonText(text.into())
    }

    /// The value's JSON text, exactly as the frame spelled it.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value, parsed.
    #[must_use]
    pub fn to_value(&self) -> Value {
        crate::decode::parse_checked(&self.0).unwrap_or(Value::Null)
    }
}

impl PartialEq for JsonText {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0 || self.to_value() == other.to_value()
    }
}

impl Eq for JsonText {}

impl PartialEq<Value> for JsonText {
    fn eq(&self, other: &Value) -> bool {
        self.to_value() == *other
    }
}

impl From<Value> for JsonText {
    fn from(value: Value) -> Self {
        JsonText(value.to_string().into())
    }
}

impl From<&Value> for JsonText {
    fn from(value: &Value) -> Self {
        JsonText(value.to_string().into())
    }
}

impl fmt::Debug for JsonText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for JsonText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for JsonText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}
