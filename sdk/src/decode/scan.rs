//! One pass over a frame's JSON that validates it, computes its content fingerprint and captures
//! only the fields the decoder reads, from the five body locations (root, `payload`, `data`,
//! `data.payload`, `metadata`).
//!
//! Why not `serde_json::Value`: building the whole tree for every frame costs about three times
//! a plain validating pass (measured in `benches/decode_check.rs`), and the decoder reads a few
//! dozen known keys. Strings are borrowed from the input where they have no escapes; a JSON
//! value is built only for the fields typed as JSON (`parameters`, `results`, ...). The frame's
//! text itself is kept as the raw event, so nothing is lost.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Number, Value};

use super::{JsonKind, MAX_DEPTH};
use crate::event::JsonText;
use crate::fingerprint::{self, ArrayHasher, Fingerprint, IGNORED_KEYS, ObjectHasher};

/// A body location, in lookup order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Loc {
    Root = 0,
    Payload = 1,
    Data = 2,
    DataPayload = 3,
    Metadata = 4,
}

impl Loc {
    pub(super) const ORDER: [Loc; 5] =
        [Loc::Root, Loc::Payload, Loc::Data, Loc::DataPayload, Loc::Metadata];

    /// The body location a key opens, seen from this location.
    fn child(self, key: &str) -> Option<Loc> {
        match (self, key) {
            (Loc::Root, "payload") => Some(Loc::Payload),
            (Loc::Root, "data") => Some(Loc::Data),
            (Loc::Root, "metadata") => Some(Loc::Metadata),
            (Loc::Data, "payload") => Some(Loc::DataPayload),
            _ => None,
        }
    }
}

macro_rules! fields {
    ($( $variant:ident = $key:literal $(as $json:ident)? ),* $(,)?) => {
        /// A key the decoder reads.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(super) enum Field { $($variant),* }

        impl Field {
            pub(super) const COUNT: usize = [$(Field::$variant),*].len();

            fn from_key(key: &str) -> Option<Field> {
                match key {
                    $($key => Some(Field::$variant),)*
                    _ => None,
                }
            }

            /// Whether the field is typed as a JSON value (captured as its raw text).
            fn is_json(self) -> bool {
                match self {
                    $(Field::$variant => fields!(@json $($json)?),)*
                }
            }
        }
    };
    (@json json) => { true };
    (@json) => { false };
}

fields! {
    Type = "type",
    Event = "event",
    UserId = "user_id",
    ThreadId = "thread_id",
    RunId = "run_id",
    RequestId = "request_id",
    AgentName = "agent_name",
    Agent = "agent",
    Timestamp = "timestamp",
    Seq = "seq",
    Attempt = "attempt",
    Reasoning = "reasoning",
    Thought = "thought",
    Message = "message" as json,
    ToolName = "tool_name",
    Tool = "tool",
    Parameters = "parameters" as json,
    ToolArgs = "tool_args" as json,
    Args = "args" as json,
    ExecutionId = "execution_id",
    Results = "results" as json,
    Result = "result" as json,
    ExecutionTimeMs = "execution_time_ms",
    DurationMs = "duration_ms",
    Duration = "duration",
    ExecutionTime = "execution_time",
    Success = "success",
    Status = "status",
    FinalResponse = "final_response" as json,
    TaskDescription = "task_description",
    StepNumber = "step_number",
    ProgressPercentage = "progress_percentage",
    ErrorCode = "error_code",
    Code = "code",
    ErrorMessage = "error_message",
    Error = "error",
    UserFriendlyMessage = "user_friendly_message",
    Details = "details" as json,
    RetryAllowed = "retry_allowed",
    Severity = "severity",
    ErrorType = "error_type",
    ErrorContext = "error_context" as json,
    DeathCause = "death_cause",
    Response = "response" as json,
    Content = "content" as json,
    Chunk = "chunk" as json,
    Report = "report" as json,
    ProgressData = "progress_data" as json,
    Progress = "progress" as json,
    SubagentName = "subagent_name",
    SubagentId = "subagent_id",
    Messages = "messages" as json,
    ConnectionId = "connection_id",
    Mode = "mode",
    Features = "features" as json,
    WebsocketClientId = "websocket_client_id",
    Stats = "stats" as json,
    ReceivedType = "received_type",
    FromSeq = "from_seq",
    ToSeq = "to_seq",
    Complete = "complete",
    // The October 2025 profile (manager-protocol.md §10).
    Input = "input" as json,
    Output = "output" as json,
    RetryInfo = "retry_info" as json,
    LlmValidation = "llm_validation" as json,
    AgentsInvolved = "agents_involved" as json,
    SessionToken = "session_token",
    EstimatedSeconds = "estimated_seconds",
    CleanupStatus = "cleanup_status",
    SuccessfulCleanups = "successful_cleanups",
    TotalCleanups = "total_cleanups",
    TotalCount = "total_count",
    SinkStats = "sink_stats" as json,
    ElapsedSeconds = "elapsed_seconds",
    TotalTimeoutSeconds = "total_timeout_seconds",
    RemainingSeconds = "remaining_seconds",
    WarningThresholdPercent = "warning_threshold_percent",
    TimeoutSeconds = "timeout_seconds",
    FinalStatus = "final_status",
}

/// A captured value: scalars as they are, JSON-typed fields as their raw text (parsed only when
/// a lookup picks them), and objects or arrays under scalar fields only as their kind.
#[derive(Clone, Debug)]
pub(super) enum Captured<'de> {
    Null,
    Bool(bool),
    Number(Number),
    Str(Cow<'de, str>),
    Raw(&'de RawValue),
    Composite(JsonKind),
}

impl Captured<'_> {
    /// Present: not `null` and not an empty string (checker-rules.md, "Precise points").
    pub(super) fn is_present(&self) -> bool {
        match self {
            Captured::Null => false,
            Captured::Str(text) => !text.is_empty(),
            Captured::Raw(raw) => !matches!(raw.get(), "null" | "\"\""),
            _ => true,
        }
    }

    /// The string value, unescaped.
    pub(super) fn as_str(&self) -> Option<Cow<'_, str>> {
        match self {
            Captured::Str(text) => Some(Cow::Borrowed(text)),
            Captured::Raw(raw) if raw.get().starts_with('"') => {
                <Cow<'_, str>>::deserialize(&mut serde_json::Deserializer::from_str(raw.get())).ok()
            }
            _ => None,
        }
    }

    pub(super) fn as_number(&self) -> Option<Number> {
        match self {
            Captured::Number(number) => Some(number.clone()),
            Captured::Raw(raw)
                if raw.get().starts_with(|c: char| c == '-' || c.is_ascii_digit()) =>
            {
                serde_json::from_str(raw.get()).ok()
            }
            _ => None,
        }
    }

    pub(super) fn as_bool(&self) -> Option<bool> {
        match self {
            Captured::Bool(flag) => Some(*flag),
            Captured::Raw(raw) => match raw.get() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    pub(super) fn kind(&self) -> JsonKind {
        match self {
            Captured::Null => JsonKind::Null,
            Captured::Bool(_) => JsonKind::Bool,
            Captured::Number(_) => JsonKind::Number,
            Captured::Str(_) => JsonKind::String,
            Captured::Raw(raw) => match raw.get().as_bytes().first() {
                Some(b'{') => JsonKind::Object,
                Some(b'[') => JsonKind::Array,
                Some(b'"') => JsonKind::String,
                Some(b't' | b'f') => JsonKind::Bool,
                Some(b'n') => JsonKind::Null,
                _ => JsonKind::Number,
            },
            Captured::Composite(kind) => *kind,
        }
    }

    /// The value as JSON text (objects and arrays under scalar fields are not kept: `None`).
    pub(super) fn to_json_text(&self) -> Option<JsonText> {
        match self {
            Captured::Raw(raw) => Some(JsonText::new(raw.get())),
            Captured::Composite(_) => None,
            other => other.to_value().map(|value| JsonText::new(value.to_string())),
        }
    }

    /// The value as JSON (objects and arrays under scalar fields are not kept: `None`).
    pub(super) fn to_value(&self) -> Option<Value> {
        Some(match self {
            Captured::Null => Value::Null,
            Captured::Bool(flag) => Value::Bool(*flag),
            Captured::Number(number) => Value::Number(number.clone()),
            Captured::Str(text) => Value::String(text.clone().into_owned()),
            Captured::Raw(raw) => super::parse_checked(raw.get())?,
            Captured::Composite(_) => return None,
        })
    }
}

/// What a scan found.
pub(super) struct Scan<'de> {
    entries: Vec<(Loc, Field, Captured<'de>)>,
    /// For each field and location, 1 + the index of its entry in `entries` (0: absent).
    slots: [[u16; 5]; Field::COUNT],
    pub(super) fingerprint: Fingerprint,
    /// Set when the nesting limit stopped the scan.
    too_deep: bool,
}

impl<'de> Scan<'de> {
    fn new() -> Self {
        Scan {
            entries: Vec::with_capacity(24),
            slots: [[0; 5]; Field::COUNT],
            fingerprint: Fingerprint::default(),
            too_deep: false,
        }
    }

    /// Refuses a container at nesting `depth` (the frame's object is depth 1) past the limit.
    fn enter<E: de::Error>(&mut self, depth: usize) -> Result<(), E> {
        if depth > MAX_DEPTH {
            self.too_deep = true;
            return Err(E::custom(format_args!("JSON nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    /// Records a field; a repeated key replaces the earlier value (the last one wins).
    fn capture(&mut self, loc: Loc, field: Field, value: Captured<'de>) {
        let Some(slot) =
            self.slots.get_mut(field as usize).and_then(|slots| slots.get_mut(loc as usize))
        else {
            return;
        };
        match (*slot as usize).checked_sub(1).and_then(|index| self.entries.get_mut(index)) {
            Some(entry) => entry.2 = value,
            None => {
                // At most one entry per (field, location), so the index always fits.
                if let Ok(index) = u16::try_from(self.entries.len() + 1) {
                    *slot = index;
                    self.entries.push((loc, field, value));
                }
            }
        }
    }

    /// Forgets everything captured in `loc` (and, for `data`, in `data.payload`): a repeated
    /// body key replaces the earlier object, the last one wins.
    fn clear(&mut self, loc: Loc) {
        for slots in &mut self.slots {
            if let Some(slot) = slots.get_mut(loc as usize) {
                *slot = 0;
            }
            if loc == Loc::Data {
                if let Some(slot) = slots.get_mut(Loc::DataPayload as usize) {
                    *slot = 0;
                }
            }
        }
    }

    /// The value of `field` at `loc`, present or not.
    pub(super) fn at(&self, loc: Loc, field: Field) -> Option<&Captured<'de>> {
        let slot = *self.slots.get(field as usize)?.get(loc as usize)?;
        self.entries.get((slot as usize).checked_sub(1)?).map(|(_, _, value)| value)
    }

    /// The first present value of `field` in lookup order.
    pub(super) fn get(&self, field: Field) -> Option<&Captured<'de>> {
        Loc::ORDER.iter().find_map(|loc| self.at(*loc, field).filter(|value| value.is_present()))
    }
}

/// Why a scan failed.
pub(super) enum ScanError {
    Json(serde_json::Error),
    NotAnObject(JsonKind),
    TooDeep,
}

/// Scans `text`. Nesting is tracked by the visitors themselves (serde_json's own limit, 128, is
/// lower than ours and is disabled), so no input can exhaust the stack.
pub(super) fn scan(text: &str) -> Result<Scan<'_>, ScanError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    deserializer.disable_recursion_limit();
    let mut result = Scan::new();
    let outcome = (&mut deserializer).deserialize_any(RootVisitor { scan: &mut result });
    match outcome {
        Ok(Ok(fingerprint)) => {
            deserializer.end().map_err(ScanError::Json)?;
            result.fingerprint = fingerprint;
            Ok(result)
        }
        Ok(Err(kind)) => {
            // Still report invalid JSON after a valid non-object (`[1] x`) as invalid JSON.
            deserializer.end().map_err(ScanError::Json)?;
            Err(ScanError::NotAnObject(kind))
        }
        Err(_) if result.too_deep => Err(ScanError::TooDeep),
        Err(error) => Err(ScanError::Json(error)),
    }
}

/// Hashes a raw JSON value captured at nesting `depth`, checking its nesting as it goes.
fn hash_raw<'de>(
    raw: &'de RawValue,
    depth: usize,
    scan: &mut Scan<'de>,
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
    scan: &'s mut Scan<'de>,
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
        let mut hasher = ObjectHasher::default();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let mode = body_child_mode(Loc::Root, &key);
            if let Mode::Body(child) = mode {
                self.scan.clear(child);
            }
            let (hash, captured) =
                map.next_value_seed(ValueSeed { mode, depth: 2, scan: &mut *self.scan })?;
            if !IGNORED_KEYS.contains(&key.as_ref()) {
                hasher.push(&key, hash);
            }
            if let (Some(field), Some(captured)) = (Field::from_key(&key), captured) {
                self.scan.capture(Loc::Root, field, captured);
            }
        }
        Ok(Ok(hasher.finish_frame()))
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
    scan: &'s mut Scan<'de>,
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
            return Ok((hash, Some(Captured::Raw(raw))));
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
        Ok((fingerprint::number_hash(v as f64), self.keep(|| Captured::Number(v.into()))))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok((fingerprint::number_hash(v as f64), self.keep(|| Captured::Number(v.into()))))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        let number = Number::from_f64(v);
        Ok((
            fingerprint::number_hash(v),
            self.keep(|| number.map_or(Captured::Null, Captured::Number)),
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
        let mut hasher = ObjectHasher::default();
        let depth = self.depth + 1;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let mode = loc.map_or(Mode::Hash, |loc| body_child_mode(loc, &key));
            if let Mode::Body(child) = mode {
                self.scan.clear(child);
            }
            let (hash, captured) =
                map.next_value_seed(ValueSeed { mode, depth, scan: &mut *self.scan })?;
            hasher.push(&key, hash);
            if let (Some(loc), Some(field), Some(captured)) = (loc, Field::from_key(&key), captured)
            {
                self.scan.capture(loc, field, captured);
            }
        }
        Ok((hasher.finish(), self.keep(|| Captured::Composite(JsonKind::Object))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scanned(text: &str) -> Scan<'_> {
        scan(text).unwrap_or_else(|_| panic!("{text} scans"))
    }

    #[test]
    fn streaming_fingerprint_matches_the_reference_on_nested_frames() {
        for text in [
            r#"{"type":"a","data":{"payload":{"x":[1,2,{"y":null}]},"result":{"k":"v"}},"seq":3}"#,
            r#"{"type":"a","payload":{"tool_name":"t","parameters":{"q":"\u00e9\n"}},"metadata":{"result":[true,false,1.5]}}"#,
            r#"{"type":"b","attempt":2,"recovered":true,"n":-0.0,"big":18446744073709551615,"neg":-5}"#,
            r#"{"type":"c","message":{"nested":{"deep":[[[]]]}},"data":"not an object"}"#,
        ] {
            let Value::Object(object) = serde_json::from_str(text).unwrap() else { panic!() };
            assert_eq!(scanned(text).fingerprint, fingerprint::of_value(&object), "{text}");
        }
    }

    #[test]
    fn fields_are_captured_per_location_and_the_last_duplicate_wins() {
        let text = r#"{"run_id":"r0","run_id":"r1","data":{"run_id":"r2","payload":{"run_id":"r3"}},"payload":{"run_id":""},"metadata":{"run_id":"r4"}}"#;
        let scan = scanned(text);
        let ids: Vec<Option<String>> = Loc::ORDER
            .iter()
            .map(|loc| scan.at(*loc, Field::RunId).and_then(|c| c.as_str().map(|s| s.into_owned())))
            .collect();
        let expected = ["r1", "", "r2", "r3", "r4"].map(|id| Some(id.to_owned()));
        assert_eq!(ids, expected);
        assert_eq!(
            scan.get(Field::RunId).and_then(|c| c.as_str().map(|s| s.into_owned())).as_deref(),
            Some("r1")
        );
    }

    #[test]
    fn a_repeated_body_key_replaces_the_earlier_body() {
        let scan = scanned(
            r#"{"type":"x","data":{"run_id":"a","payload":{"tool":"t"}},"data":{"thread_id":"t"}}"#,
        );
        assert!(scan.get(Field::RunId).is_none());
        assert!(scan.get(Field::Tool).is_none());
        assert_eq!(
            scan.get(Field::ThreadId).and_then(|c| c.as_str().map(|s| s.into_owned())).as_deref(),
            Some("t")
        );
        let scan = scanned(r#"{"type":"x","payload":{"run_id":"a"},"payload":"gone"}"#);
        assert!(scan.get(Field::RunId).is_none());
    }

    #[test]
    fn nested_objects_that_are_not_body_locations_are_not_captured() {
        let scan = scanned(
            r#"{"type":"x","context":{"run_id":"hidden"},"data":{"data":{"run_id":"hidden"}}}"#,
        );
        assert!(scan.get(Field::RunId).is_none());
    }

    #[test]
    fn json_fields_are_built_and_scalar_fields_keep_only_the_kind_of_composites() {
        let scan = scanned(r#"{"type":"x","results":{"a":[1]},"run_id":{"not":"a string"}}"#);
        assert_eq!(
            scan.get(Field::Results).and_then(Captured::to_value),
            Some(serde_json::json!({"a":[1]}))
        );
        assert_eq!(scan.get(Field::RunId).map(Captured::kind), Some(JsonKind::Object));
        assert_eq!(scan.get(Field::RunId).and_then(Captured::to_value), None);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;
        use serde_json::Map;

        fn arb_json() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<u64>().prop_map(Value::from),
                any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
                ".{0,12}".prop_map(Value::from),
            ];
            leaf.prop_recursive(5, 64, 6, |inner| {
                let key = prop_oneof![
                    prop::sample::select(vec![
                        "type", "run_id", "results", "data", "payload", "metadata", "seq",
                        "attempt", "message"
                    ])
                    .prop_map(String::from),
                    ".{0,6}",
                ];
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                    prop::collection::vec((key, inner), 0..6)
                        .prop_map(|entries| Value::Object(entries.into_iter().collect())),
                ]
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

            /// Duplicate detection compares JSON values: the one-pass hash must always agree
            /// with the reference over the parsed value, whatever the text looks like.
            #[test]
            fn streaming_fingerprint_always_equals_the_reference(
                entries in prop::collection::vec((".{0,6}", arb_json()), 0..8),
                pretty in any::<bool>(),
            ) {
                let object: Map<String, Value> = entries.into_iter().collect();
                let value = Value::Object(object.clone());
                let text = if pretty { serde_json::to_string_pretty(&value) } else { serde_json::to_string(&value) }
                    .unwrap();
                let scanned = scan(&text).unwrap_or_else(|_| panic!("{text}"));
                prop_assert_eq!(scanned.fingerprint, fingerprint::of_value(&object));
            }

            #[test]
            fn repeated_keys_fingerprint_like_the_parsed_value_where_the_last_wins(
                entries in prop::collection::vec(
                    (prop::sample::select(vec!["type", "run_id", "a", "b", "seq"]), arb_json()),
                    0..24,
                ),
            ) {
                let members: Vec<String> =
                    entries.iter().map(|(k, v)| format!("{}:{}", Value::from(*k), v)).collect();
                let text = format!("{{{}}}", members.join(","));
                let Ok(Value::Object(parsed)) = serde_json::from_str::<Value>(&text) else { panic!("{text}") };
                let scanned = scan(&text).unwrap_or_else(|_| panic!("{text}"));
                prop_assert_eq!(scanned.fingerprint, fingerprint::of_value(&parsed));
            }

            #[test]
            fn key_order_never_changes_the_fingerprint(
                entries in prop::collection::vec((".{0,6}", arb_json()), 0..8),
            ) {
                let object: Map<String, Value> = entries.iter().cloned().collect();
                let forward: Vec<String> = object.iter().map(|(k, v)| format!("{}:{}", Value::from(k.as_str()), v)).collect();
                let backward: Vec<String> = forward.iter().rev().cloned().collect();
                let a = format!("{{{}}}", forward.join(","));
                let b = format!("{{{}}}", backward.join(","));
                let (Ok(a), Ok(b)) = (scan(&a), scan(&b)) else { panic!("{a} / {b}") };
                prop_assert_eq!(a.fingerprint, b.fingerprint);
            }
        }
    }

    #[test]
    fn escaped_strings_and_keys_are_unescaped() {
        let scan = scanned(r#"{"type":"x","run\u005fid":"r\"1"}"#);
        assert_eq!(
            scan.get(Field::RunId).and_then(|c| c.as_str().map(|s| s.into_owned())).as_deref(),
            Some("r\"1")
        );
        let scan = scanned(r#"{"type":"x","message":"a\u00e9\"b"}"#);
        assert_eq!(
            scan.get(Field::Message).and_then(|c| c.as_str().map(|s| s.into_owned())).as_deref(),
            Some("a\u{e9}\"b")
        );
    }
}
