//! The decoder's first scanner, built on serde_json's deserializer, kept as an oracle for tests
//! and fuzzing: the purpose-built scanner ([`super::scan`]) must capture the same fields and
//! compute the same fingerprint, or fail with the same kind of error, on any input (the
//! differential property tests in `decode::differential`, and the fuzz target, through the
//! cargo feature `oracle`).

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;
use serde_json::value::RawValue;

use super::body::{Captured, Field, Loc, Scan};
use super::scan::ScanError;
use super::{JsonKind, MAX_DEPTH};
use crate::fingerprint::{self, ArrayHasher, Entries, Fingerprint, IGNORED_KEYS, ObjectHasher};

/// A scan in progress, and whether the nesting limit stopped it.
struct State<'de> {
    scan: Scan<'de>,
    too_deep: bool,
}

impl State<'_> {
    /// Refuses a container at nesting `depth` (the frame's object is depth 1) past the limit.
    fn enter<E: de::Error>(&mut self, depth: usize) -> Result<(), E> {
        if depth > MAX_DEPTH {
            self.too_deep = true;
            return Err(E::custom(format_args!("JSON nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }
}

/// Scans `text`. Nesting is tracked by the visitors themselves (serde_json's own limit, 128, is
/// lower than ours and is disabled), so no input can exhaust the stack.
pub(super) fn scan(text: &str) -> Result<Scan<'_>, ScanError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    deserializer.disable_recursion_limit();
    let mut result = State { scan: Scan::new(), too_deep: false };
    let outcome = (&mut deserializer).deserialize_any(RootVisitor { scan: &mut result });
    match outcome {
        Ok(Ok(fingerprint)) => {
            deserializer.end().map_err(json_error)?;
            result.scan.fingerprint = fingerprint;
            Ok(result.scan)
        }
        Ok(Err(kind)) => {
            // Still report invalid JSON after a valid non-object (`[1] x`) as invalid JSON.
            deserializer.end().map_err(json_error)?;
            Err(ScanError::NotAnObject(kind))
        }
        Err(_) if result.too_deep => Err(ScanError::TooDeep),
        Err(error) => Err(json_error(error)),
    }
}

/// Hashes a raw JSON value captured at nesting `depth`, checking its nesting as it goes.
fn hash_raw<'de>(
    raw: &'de RawValue,
    depth: usize,
    scan: &mut State<'de>,
) -> Result<u64, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(raw.get());
    deserializer.disable_recursion_limit();
    let (hash, _) = ValueSeed { mode: Mode::Hash, depth, scan }.deserialize(&mut deserializer)?;
    Ok(hash)
}

/// How a value is visited.
#[derive(Clone, Copy)]
enum Mode {
    /// Hash only.
    Hash,
    /// Hash, and keep a scalar (objects and arrays only as their kind).
    Scalar,
    /// Hash, and keep the raw text.
    Json,
    /// Hash; an object is a body location whose fields are captured.
    Body(Loc),
}

/// A visited value: its hash, and what was captured of it.
type Visited<'de> = (u64, Option<Captured<'de>>);

/// The top-level value: must be an object; its ignored keys stay out of the fingerprint.
struct RootVisitor<'s, 'de> {
    scan: &'s mut State<'de>,
}

macro_rules! not_an_object {
    ($($method:ident($($arg:ty)?) => $kind:expr;)*) => {
        $(fn $method<E: de::Error>(self, $(_: $arg)?) -> Result<Self::Value, E> {
            Ok(Err($kind))
        })*
    };
}

impl<'de> Visitor<'de> for RootVisitor<'_, 'de> {
    type Value = Result<Fingerprint, JsonKind>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    not_an_object! {
        visit_unit() => JsonKind::Null;
        visit_bool(bool) => JsonKind::Bool;
        visit_i64(i64) => JsonKind::Number;
        visit_u64(u64) => JsonKind::Number;
        visit_f64(f64) => JsonKind::Number;
        visit_str(&str) => JsonKind::String;
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        // Walk it anyway, so invalid or too deep JSON is reported as such.
        ValueSeed { mode: Mode::Hash, depth: 1, scan: self.scan }.visit_seq(seq)?;
        Ok(Err(JsonKind::Array))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Entries::default();
        let mut hasher = ObjectHasher::new(&entries);
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let mode = body_child_mode(Loc::Root, &key);
            if let Mode::Body(child) = mode {
                self.scan.scan.clear(child);
            }
            let (hash, captured) =
                map.next_value_seed(ValueSeed { mode, depth: 2, scan: &mut *self.scan })?;
            if !IGNORED_KEYS.contains(&key.as_ref()) {
                hasher.push(&mut entries, &key, hash);
            }
            if let (Some(field), Some(captured)) = (Field::from_key(&key), captured) {
                self.scan.scan.capture(Loc::Root, field, captured);
            }
        }
        Ok(Ok(hasher.finish_frame(&mut entries)))
    }
}

/// The mode for the value of `key` inside the body location `loc`.
fn body_child_mode(loc: Loc, key: &str) -> Mode {
    if let Some(child) = loc.child(key) {
        return Mode::Body(child);
    }
    match Field::from_key(key) {
        Some(field) if field.is_json() => Mode::Json,
        Some(_) => Mode::Scalar,
        None => Mode::Hash,
    }
}

/// An object key, borrowed when it has no escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// Visits any value in a [`Mode`]; a container it meets is at nesting `depth`.
struct ValueSeed<'s, 'de> {
    mode: Mode,
    depth: usize,
    scan: &'s mut State<'de>,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, 'de> {
    type Value = Visited<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        if matches!(self.mode, Mode::Json) {
            // serde_json skips the value without recursing and hands over its text; hashing it
            // is a second, allocation-free pass over that text only.
            let raw = <&'de RawValue>::deserialize(deserializer)?;
            let hash = hash_raw(raw, self.depth, self.scan)
                .map_err(|error| <D::Error as de::Error>::custom(format_args!("{error}")))?;
            return Ok((hash, Some(Captured::Raw(raw.get()))));
        }
        deserializer.deserialize_any(self)
    }
}

impl<'s, 'de> ValueSeed<'s, 'de> {
    fn keep(&self, value: impl FnOnce() -> Captured<'de>) -> Option<Captured<'de>> {
        matches!(self.mode, Mode::Scalar).then(value)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, 'de> {
    type Value = Visited<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok((fingerprint::null_hash(), self.keep(|| Captured::Null)))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok((fingerprint::bool_hash(v), self.keep(|| Captured::Bool(v))))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok((
            fingerprint::number_hash(v as f64),
            self.keep(|| Captured::Number(Cow::Owned(v.to_string()))),
        ))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok((
            fingerprint::number_hash(v as f64),
            self.keep(|| Captured::Number(Cow::Owned(v.to_string()))),
        ))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        let number = Number::from_f64(v).map(|number| number.to_string());
        Ok((
            fingerprint::number_hash(v),
            self.keep(|| number.map_or(Captured::Null, |text| Captured::Number(Cow::Owned(text)))),
        ))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok((fingerprint::string_hash(v), self.keep(|| Captured::Str(Cow::Borrowed(v)))))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok((fingerprint::string_hash(v), self.keep(|| Captured::Str(Cow::Owned(v.to_owned())))))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        self.scan.enter(self.depth)?;
        let mut hasher = ArrayHasher::new();
        let depth = self.depth + 1;
        while let Some((hash, _)) =
            seq.next_element_seed(ValueSeed { mode: Mode::Hash, depth, scan: &mut *self.scan })?
        {
            hasher.push(hash);
        }
        Ok((hasher.finish(), self.keep(|| Captured::Composite(JsonKind::Array))))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        self.scan.enter(self.depth)?;
        let loc = match self.mode {
            Mode::Body(loc) => Some(loc),
            _ => None,
        };
        let mut entries = Entries::default();
        let mut hasher = ObjectHasher::new(&entries);
        let depth = self.depth + 1;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let mode = loc.map_or(Mode::Hash, |loc| body_child_mode(loc, &key));
            if let Mode::Body(child) = mode {
                self.scan.scan.clear(child);
            }
            let (hash, captured) =
                map.next_value_seed(ValueSeed { mode, depth, scan: &mut *self.scan })?;
            hasher.push(&mut entries, &key, hash);
            if let (Some(loc), Some(field), Some(captured)) = (loc, Field::from_key(&key), captured)
            {
                self.scan.scan.capture(loc, field, captured);
            }
        }
        Ok((hasher.finish(&mut entries), self.keep(|| Captured::Composite(JsonKind::Object))))
    }
}

/// A serde_json error as the scanner's error (its message and position).
fn json_error(error: serde_json::Error) -> ScanError {
    ScanError::Json {
        message: super::error_message(&error).into(),
        line: error.line(),
        column: error.column(),
    }
}
