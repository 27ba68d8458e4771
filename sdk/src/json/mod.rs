//! JSON text written by hand: what crosses to JavaScript (events, flags, states, counters) and
//! what goes to the manager (client messages).
//!
//! A few dozen lines here instead of serde + serde_json at the JS boundary, which the design
//! names: serialising through them linked about 80 KB of wasm (their serializer, its float
//! printer's fallbacks, and `core::fmt` for every error path) into the npm package, which has
//! a 60 KB budget in all. The output is the same JSON as the types' `Serialize` derives give
//! (kept for Rust users and the CLI's `--json`); `tests.rs` checks the two against each other
//! on every golden frame and on every shape of state, flag and outcome. An event, the one value
//! per frame, crosses to JavaScript as a compact description of that same JSON instead
//! (`description.rs`): slices of the frame's own string, numbers and constants, so that JS
//! builds the object without decoding or parsing any text.

mod description;
mod event;
mod session;

#[cfg_attr(
    not(all(target_arch = "wasm32", feature = "js")),
    allow(unused_imports, reason = "the JS API writes events; natively only the tests do")
)]
pub(crate) use description::{Description, Scalar};
#[cfg_attr(
    not(all(target_arch = "wasm32", feature = "js")),
    allow(unused_imports, reason = "the JS API writes events; natively only the tests do")
)]
pub(crate) use event::write_typed;
#[cfg(test)]
pub(crate) mod tests;

use crate::event::{JsonText, RawFrame};

/// A value that writes itself as JSON text.
pub(crate) trait WriteJson {
    /// Appends this value's JSON text to `out`.
    fn write_json(&self, out: &mut String);

    /// The bytes a frame would hold verbatim if this value came from it unchanged, with
    /// whether they are JSON text (else a string's content): strings and JSON values. `None`
    /// for everything else, which is always written out (see [`Description`]).
    fn verbatim(&self) -> Option<(&[u8], bool)> {
        None
    }

    /// This value as a JS number, when it is a number JSON would write as one.
    fn number(&self) -> Option<f64> {
        None
    }

    /// This value as a time, when it is one (written as its ISO 8601 text).
    fn time(&self) -> Option<crate::Timestamp> {
        None
    }
}

/// The JSON text of `value`.
pub(crate) fn to_json<T: WriteJson + ?Sized>(value: &T) -> String {
    let mut out = String::with_capacity(128);
    value.write_json(&mut out);
    out
}

/// A JSON object being written: members are separated as they come.
pub(crate) struct Object<'a> {
    out: &'a mut String,
    empty: bool,
    /// Where members are described instead of written (an event's top level for JS only),
    /// with the event's frame.
    description: Option<(&'a RawFrame, &'a mut Description)>,
}

impl<'a> Object<'a> {
    /// Opens an object in `out`.
    pub(crate) fn open(out: &'a mut String) -> Self {
        out.push('{');
        Object { out, empty: true, description: None }
    }

    /// An object whose members go to `description` instead of being written as JSON text.
    #[cfg_attr(
        not(all(target_arch = "wasm32", feature = "js")),
        allow(dead_code, reason = "the JS API describes events; natively only the tests do")
    )]
    pub(crate) fn described(
        out: &'a mut String,
        frame: &'a RawFrame,
        description: &'a mut Description,
    ) -> Self {
        Object { out, empty: true, description: Some((frame, description)) }
    }

    /// A member's key.
    fn key(&mut self, key: &'static str) {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\":");
    }

    /// A member. Keys are the SDK's own snake_case names: plain ASCII, written as they are.
    pub(crate) fn field<T: WriteJson + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> &mut Self {
        if let Some((frame, description)) = self.description.as_mut() {
            let scalar = match (value.number(), value.time()) {
                (Some(number), _) => Some(Scalar::Number(number)),
                (None, Some(time)) => Some(Scalar::Time(time)),
                (None, None) => None,
            };
            if !description.member(frame, key, value.verbatim(), scalar) {
                value.write_json(description.side_value());
                description.end_side_value(key);
            }
            return self;
        }
        self.key(key);
        value.write_json(self.out);
        self
    }

    /// A member whose value is one of the SDK's own names (a `type`): described as the name's
    /// index among the names JS holds, so that a renamed type (`reasoning` arrives as
    /// `agent_thinking`) costs JS no side value to decode and parse.
    pub(crate) fn name(&mut self, key: &'static str, name: &'static str) -> &mut Self {
        if let Some((_, description)) = self.description.as_mut() {
            description.name(key, name);
            return self;
        }
        self.field(key, name)
    }

    /// A member that is left out when `value` is `None` (serde's `skip_serializing_if`).
    pub(crate) fn some<T: WriteJson>(&mut self, key: &'static str, value: &Option<T>) -> &mut Self {
        if let Some(value) = value {
            self.field(key, value);
        }
        self
    }

    /// Closes the object (a described one has nothing to close).
    pub(crate) fn close(self) {
        if self.description.is_none() {
            self.out.push('}');
        }
    }
}

/// An object whose members a closure writes (a nested object without a type of its own).
pub(crate) struct Members<F: Fn(&mut Object<'_>)>(pub(crate) F);

impl<F: Fn(&mut Object<'_>)> WriteJson for Members<F> {
    fn write_json(&self, out: &mut String) {
        let mut object = Object::open(out);
        (self.0)(&mut object);
        object.close();
    }
}

/// Writes `text` as a JSON string literal, escaped exactly as serde_json escapes: `"`, `\` and
/// control characters, with the short forms where JSON has them.
pub(crate) fn push_string(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut run = 0;
    for (index, byte) in text.bytes().enumerate() {
        let short = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(text.get(run..index).unwrap_or_default());
        run = index + 1;
        if short.is_empty() {
            out.push_str("\\u00");
            for nibble in [byte >> 4, byte & 15] {
                out.extend(HEX.get(usize::from(nibble)).map(|digit| char::from(*digit)));
            }
        } else {
            out.push_str(short);
        }
    }
    out.push_str(text.get(run..).unwrap_or_default());
    out.push('"');
}

/// Writes `value` in decimal.
pub(crate) fn push_u64(out: &mut String, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        if let Some(digit) = digits.get_mut(start) {
            *digit = b'0' + (value % 10) as u8;
        }
        value /= 10;
        if value == 0 {
            break;
        }
    }
    for digit in digits.get(start..).unwrap_or_default() {
        out.push(char::from(*digit));
    }
}

impl WriteJson for str {
    fn write_json(&self, out: &mut String) {
        push_string(out, self);
    }

    fn verbatim(&self) -> Option<(&[u8], bool)> {
        Some((self.as_bytes(), false))
    }
}

impl WriteJson for String {
    fn write_json(&self, out: &mut String) {
        push_string(out, self);
    }

    fn verbatim(&self) -> Option<(&[u8], bool)> {
        Some((self.as_bytes(), false))
    }
}

impl WriteJson for bool {
    fn write_json(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

impl WriteJson for u64 {
    fn write_json(&self, out: &mut String) {
        push_u64(out, *self);
    }

    fn number(&self) -> Option<f64> {
        Some(*self as f64)
    }
}

impl WriteJson for u32 {
    fn write_json(&self, out: &mut String) {
        push_u64(out, u64::from(*self));
    }

    fn number(&self) -> Option<f64> {
        Some(f64::from(*self))
    }
}

impl WriteJson for u16 {
    fn write_json(&self, out: &mut String) {
        push_u64(out, u64::from(*self));
    }

    fn number(&self) -> Option<f64> {
        Some(f64::from(*self))
    }
}

impl WriteJson for usize {
    fn write_json(&self, out: &mut String) {
        push_u64(out, *self as u64);
    }

    fn number(&self) -> Option<f64> {
        Some(*self as f64)
    }
}

/// Floats in their shortest round-trip form, by the printer serde_json itself uses (zmij,
/// about 2 KB of wasm); `null` for NaN and infinities, as serde_json writes them.
impl WriteJson for f64 {
    fn write_json(&self, out: &mut String) {
        if self.is_finite() {
            out.push_str(zmij::Buffer::new().format_finite(*self));
        } else {
            out.push_str("null");
        }
    }

    fn number(&self) -> Option<f64> {
        self.is_finite().then_some(*self)
    }
}

/// Text the decoder checked is JSON: written as it came.
impl WriteJson for JsonText {
    fn write_json(&self, out: &mut String) {
        out.push_str(self.as_str());
    }

    fn verbatim(&self) -> Option<(&[u8], bool)> {
        Some((self.as_str().as_bytes(), true))
    }
}

impl<T: WriteJson> WriteJson for Option<T> {
    fn write_json(&self, out: &mut String) {
        match self {
            Some(value) => value.write_json(out),
            None => out.push_str("null"),
        }
    }

    fn verbatim(&self) -> Option<(&[u8], bool)> {
        self.as_ref().and_then(WriteJson::verbatim)
    }

    fn number(&self) -> Option<f64> {
        self.as_ref().and_then(WriteJson::number)
    }

    fn time(&self) -> Option<crate::Timestamp> {
        self.as_ref().and_then(WriteJson::time)
    }
}

impl<T: WriteJson> WriteJson for [T] {
    fn write_json(&self, out: &mut String) {
        out.push('[');
        for (index, value) in self.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            value.write_json(out);
        }
        out.push(']');
    }
}

impl<T: WriteJson> WriteJson for Vec<T> {
    fn write_json(&self, out: &mut String) {
        self.as_slice().write_json(out);
    }
}
