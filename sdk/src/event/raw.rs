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
#[derive(Clone, PartialEq, Eq)]
pub struct RawFrame(Box<str>);

impl RawFrame {
    pub(crate) fn new(text: impl Into<Box<str>>) -> Self {
        RawFrame(text.into())
    }

    /// The frame's text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The frame's length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the text is empty (never true for a decoded frame).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The frame parsed as a JSON value (an object; the last of repeated keys wins).
    #[must_use]
    pub fn to_value(&self) -> Value {
        crate::decode::parse_checked(&self.0).unwrap_or(Value::Null)
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
        self.0.into_string()
    }
}

impl fmt::Debug for RawFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for RawFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
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
