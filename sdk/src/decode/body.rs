//! What a scan of a frame captures: the five body locations (root, `payload`, `data`,
//! `data.payload`, `metadata`), the keys the decoder reads, and their values, borrowed from the
//! frame's text where possible. The scanner ([`super::scan`]) fills it in one pass.

use std::borrow::Cow;

use super::JsonKind;
use super::number;
use crate::event::{JsonText, Verbatim};
use crate::fingerprint::Fingerprint;

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
    pub(super) fn child(self, key: &str) -> Option<Loc> {
        // `bytes::equal`, not a `match` on the strings: that compiles to calls to `memcmp`, a
        // byte loop in wasm, for every key of the root.
        let is = |name: &str| crate::bytes::equal_str(key, name);
        match self {
            Loc::Root if is("payload") => Some(Loc::Payload),
            Loc::Root if is("data") => Some(Loc::Data),
            Loc::Root if is("metadata") => Some(Loc::Metadata),
            Loc::Data if is("payload") => Some(Loc::DataPayload),
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

            /// The keys, as a table (`names.rs`), in the order of the variants.
            const KEYS: super::names::Names<{ Field::COUNT }> =
                super::names::Names::new([$($key),*]);
            const VARIANTS: [Field; Field::COUNT] = [$(Field::$variant),*];

            pub(super) fn from_key(key: &str) -> Option<Field> {
                Self::KEYS.find(key).and_then(|index| Self::VARIANTS.get(index).copied())
            }

            /// Whether the field is typed as a JSON value (captured as its raw text).
            pub(super) fn is_json(self) -> bool {
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
    // The October 2025 profile (docs/protocol.md §6).
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

/// A captured value: scalars as they are (numbers as their JSON text, read on demand),
/// JSON-typed fields as their raw text (parsed only when a lookup picks them), and objects or
/// arrays under scalar fields only as their kind.
#[derive(Clone, Debug)]
pub(super) enum Captured<'de> {
    Null,
    Bool(bool),
    /// A number's JSON text (valid JSON number grammar, finite).
    Number(Cow<'de, str>),
    Str(Cow<'de, str>),
    /// A JSON value's exact text.
    Raw(&'de str),
    Composite(JsonKind),
}

impl Captured<'_> {
    /// Present: not `null` and not an empty string (docs/rules.md, "Precise points").
    pub(super) fn is_present(&self) -> bool {
        match self {
            Captured::Null => false,
            Captured::Str(text) => !text.is_empty(),
            Captured::Raw(raw) => !matches!(*raw, "null" | "\"\""),
            _ => true,
        }
    }

    /// The string value, unescaped.
    pub(super) fn as_str(&self) -> Option<Cow<'_, str>> {
        match self {
            Captured::Str(text) => Some(Cow::Borrowed(text)),
            Captured::Raw(raw) if raw.starts_with('"') => super::scan::string_literal(raw),
            _ => None,
        }
    }

    /// The number's text, when the value is a number.
    fn number_text(&self) -> Option<&str> {
        match self {
            Captured::Number(text) => Some(text),
            Captured::Raw(raw) if raw.starts_with(|c: char| c == '-' || c.is_ascii_digit()) => {
                Some(raw)
            }
            _ => None,
        }
    }

    /// The number as a non-negative integer, when it is one (written without fraction or
    /// exponent, as JSON integers are).
    pub(super) fn as_u64(&self) -> Option<u64> {
        self.number_text().and_then(number::as_u64)
    }

    /// The number's value.
    pub(super) fn as_f64(&self) -> Option<f64> {
        self.number_text().and_then(number::as_f64)
    }

    /// A number as an identifier's text: integers in decimal, other numbers in their shortest
    /// round-trip form (as a JSON serialiser writes them).
    pub(super) fn number_id(&self) -> Option<String> {
        self.number_text().and_then(number::canonical)
    }

    pub(super) fn as_bool(&self) -> Option<bool> {
        match self {
            Captured::Bool(flag) => Some(*flag),
            Captured::Raw(raw) => match *raw {
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
            Captured::Raw(raw) => match raw.as_bytes().first() {
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
    /// Numbers keep their text as sent.
    pub(super) fn to_json_text(&self) -> Option<JsonText> {
        Some(JsonText::new(match self {
            Captured::Raw(raw) => Cow::Borrowed(*raw),
            Captured::Composite(_) => return None,
            Captured::Null => Cow::Borrowed("null"),
            Captured::Bool(flag) => Cow::Borrowed(if *flag { "true" } else { "false" }),
            Captured::Number(text) => Cow::Borrowed(text.as_ref()),
            Captured::Str(text) => Cow::Owned(crate::json::to_json(text.as_ref())),
        }))
    }
}

/// What a scan found.
pub(super) struct Scan<'de> {
    entries: Vec<(Loc, Field, Captured<'de>)>,
    /// For each field and location, 1 + the index of its entry in `entries` (0: absent).
    slots: [[u16; 5]; Field::COUNT],
    /// The literals (quotes included) of captured strings spelled with escapes: the JS API
    /// hands such a string to JavaScript as its literal to parse (`json::description`).
    escaped_literals: Vec<&'de str>,
    pub(super) fingerprint: Fingerprint,
}

impl<'de> Scan<'de> {
    /// An empty scan, with room for a frame's usual captures.
    pub(super) fn new() -> Self {
        Scan { entries: Vec::with_capacity(24), ..Scan::unused() }
    }

    /// An empty scan that allocates nothing, for scanners that capture nothing (reading a
    /// literal or a container's items).
    pub(super) fn unused() -> Self {
        Scan {
            entries: Vec::new(),
            slots: [[0; 5]; Field::COUNT],
            escaped_literals: Vec::new(),
            fingerprint: Fingerprint::default(),
        }
    }

    /// Records the literal of a captured string that has escapes.
    pub(super) fn escaped_literal(&mut self, literal: &'de str) {
        self.escaped_literals.push(literal);
    }

    /// Records a field; a repeated key replaces the earlier value (the last one wins).
    pub(super) fn capture(&mut self, loc: Loc, field: Field, value: Captured<'de>) {
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
    pub(super) fn clear(&mut self, loc: Loc) {
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

    /// Where captured values sit in `text` (the text this scan read) as a typed field would hold
    /// them: JSON values' text, and strings written without escapes (their content), so that the
    /// JS API hands them over as slices of the frame's own string (`json::Description`).
    /// Candidates only: whoever uses one compares bytes first.
    pub(super) fn verbatim(&self, text: &str) -> Vec<Verbatim> {
        // At most two ranges an entry (a JSON string: the literal and its content): one
        // allocation a frame, never grown.
        let mut found = Vec::with_capacity(2 * self.entries.len() + self.escaped_literals.len());
        let mut add = |slice: &str, json: bool| {
            if slice.is_empty() {
                return;
            }
            let start = (slice.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
            let end = start.wrapping_add(slice.len());
            let (Ok(start32), Ok(end32)) = (u32::try_from(start), u32::try_from(end)) else {
                return;
            };
            // The same memory (a borrow of `text` itself), so the same bytes: no comparison.
            if text.as_bytes().get(start..end).is_some_and(|there| there.as_ptr() == slice.as_ptr())
            {
                found.push(Verbatim { start: start32, end: end32, json });
            }
        };
        // Escaped strings: their literals, which JS parses (`json::description` matches a
        // typed string to a literal by the literal's value, so one of a replaced key is harmless).
        for literal in &self.escaped_literals {
            add(literal, true);
        }
        for (_, _, value) in &self.entries {
            match value {
                Captured::Str(Cow::Borrowed(content)) => add(content, false),
                Captured::Raw(raw) => {
                    add(raw, true);
                    if let Some(Cow::Borrowed(content)) =
                        raw.starts_with('"').then(|| super::scan::string_literal(raw)).flatten()
                    {
                        add(content, false);
                    }
                }
                _ => {}
            }
        }
        found
    }

    /// The first present value of `field` in lookup order.
    pub(super) fn get(&self, field: Field) -> Option<&Captured<'de>> {
        Loc::ORDER.iter().find_map(|loc| self.at(*loc, field).filter(|value| value.is_present()))
    }
}
