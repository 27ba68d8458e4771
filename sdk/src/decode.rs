//! Tolerant, total decoding of server frames (manager-protocol.md §9.2).
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
//!   milliseconds), see [`Timestamp`];
//! * field synonyms: `results`/`result`, `duration`/`execution_time`/`execution_time_ms`,
//!   `reasoning`/`thought`/`message`, `tool_name`/`tool`, `parameters`/`tool_args`, ...;
//! * an unknown `type` is an [`EventKind::Unknown`] event, not an error.

use serde::Deserialize;
use serde_json::Value;

use crate::event::{
    Ack, AgentCompleted, AgentDeath, AgentError, AgentResponse, AgentStarted, AgentThinking,
    AuthenticationSuccess, ConnectionEstablished, Context, Duration, DurationUnit, ErrorInfo,
    Event, EventKind, FinalResponse, Heartbeat, JsonObject, Opaque, Progress, ResumeResult,
    StatusOnly, Subagent, SystemMessage, TextContent, ThreadData, ToolCompleted, ToolError,
    ToolExecuting,
};
use crate::timestamp::Timestamp;

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
    check_depth(text.as_bytes(), MAX_DEPTH)?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    // The depth was bounded above, so serde_json's own (lower, 128) limit is not needed.
    deserializer.disable_recursion_limit();
    let value = Value::deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value))
        .map_err(|error| DecodeError::InvalidJson {
            message: error_message(&error),
            line: error.line(),
            column: error.column(),
        })?;
    decode_value(value)
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

/// Decodes an already parsed JSON value.
///
/// # Errors
/// A [`DecodeError`] when the value is not an object with a non-empty string `type`.
pub fn decode_value(value: Value) -> Result<Event, DecodeError> {
    let Value::Object(raw) = value else {
        return Err(DecodeError::NotAnObject { found: JsonKind::of(&value) });
    };
    let wire_type = match raw.get("type") {
        None | Some(Value::Null) => return Err(DecodeError::MissingType),
        Some(Value::String(name)) if name.is_empty() => return Err(DecodeError::MissingType),
        Some(Value::String(name)) => name.clone(),
        Some(other) => return Err(DecodeError::TypeNotString { found: JsonKind::of(other) }),
    };
    let body = Body::new(&raw);
    let kind = decode_kind(&wire_type, &body);
    let context = decode_context(&body, &raw);
    Ok(Event { kind, context, wire_type, raw })
}

/// serde_json's message without its trailing " at line L column C" (reported separately).
fn error_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text.get(..cut).unwrap_or(&text).to_owned(),
        None => text,
    }
}

/// Refuses JSON nested deeper than `limit` without parsing it. Linear in the text; the careful
/// scan only runs when the text has more opening brackets than the limit.
fn check_depth(bytes: &[u8], limit: usize) -> Result<(), DecodeError> {
    let opening = bytes.iter().filter(|&&b| b == b'{' || b == b'[').count();
    if opening <= limit {
        return Ok(());
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > limit {
                    return Err(DecodeError::TooDeep { limit });
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// The body locations of a frame, in lookup order: root, `payload`, `data`, `data.payload`,
/// `metadata`.
struct Body<'a> {
    locations: [Option<&'a JsonObject>; 5],
}

impl<'a> Body<'a> {
    fn new(root: &'a JsonObject) -> Self {
        let object = |value: Option<&'a Value>| value.and_then(Value::as_object);
        let data = object(root.get("data"));
        Body {
            locations: [
                Some(root),
                object(root.get("payload")),
                data,
                object(data.and_then(|data| data.get("payload"))),
                object(root.get("metadata")),
            ],
        }
    }

    /// The `data` object, when there is one.
    fn data(&self) -> Option<&'a JsonObject> {
        self.locations[2]
    }

    /// The first present value of `key` (not `null`, not an empty string), in lookup order.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.locations.iter().flatten().find_map(|location| {
            location.get(key).filter(|value| match value {
                Value::Null => false,
                Value::String(text) => !text.is_empty(),
                _ => true,
            })
        })
    }

    /// The first present value under any of `keys` (synonyms, in order of preference).
    fn any(&self, keys: &[&str]) -> Option<&'a Value> {
        keys.iter().find_map(|key| self.get(key))
    }

    /// The first string value under any of `keys`. Other JSON types are skipped.
    fn text(&self, keys: &[&str]) -> Option<String> {
        keys.iter().find_map(|key| {
            self.locations
                .iter()
                .flatten()
                .find_map(|location| location.get(*key)?.as_str().filter(|text| !text.is_empty()))
                .map(str::to_owned)
        })
    }

    /// An identifier: a non-empty string, or a number (database ids) as its decimal text.
    fn id(&self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(text) => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        }
    }

    /// The first value under `keys` that is a non-negative integer.
    fn unsigned(&self, keys: &[&str]) -> Option<u64> {
        keys.iter().find_map(|key| self.get(key)?.as_u64())
    }

    /// The first value under `keys` that is a number.
    fn number(&self, keys: &[&str]) -> Option<f64> {
        keys.iter().find_map(|key| self.get(key)?.as_f64())
    }

    /// The first value under `keys` that is a boolean.
    fn boolean(&self, keys: &[&str]) -> Option<bool> {
        keys.iter().find_map(|key| self.get(key)?.as_bool())
    }

    /// The first value under `keys`, cloned.
    fn value(&self, keys: &[&str]) -> Option<Value> {
        self.any(keys).cloned()
    }

    /// The first parseable timestamp under `timestamp` in lookup order.
    fn timestamp(&self) -> Option<Timestamp> {
        self.locations.iter().flatten().find_map(|location| match location.get("timestamp")? {
            Value::String(text) => Timestamp::parse(text),
            Value::Number(number) => number.as_f64().and_then(Timestamp::from_epoch_number),
            _ => None,
        })
    }

    /// A duration from the first present synonym; names ending in `_ms` are milliseconds.
    fn duration(&self) -> Option<Duration> {
        const SYNONYMS: [(&str, DurationUnit); 4] = [
            ("execution_time_ms", DurationUnit::Milliseconds),
            ("duration_ms", DurationUnit::Milliseconds),
            ("duration", DurationUnit::Unspecified),
            ("execution_time", DurationUnit::Unspecified),
        ];
        SYNONYMS.iter().find_map(|(key, unit)| {
            self.get(key)?.as_f64().map(|value| Duration { value, unit: *unit })
        })
    }
}

/// The canonical kind of a wire `type`, before fields are read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tag {
    ConnectionEstablished,
    AuthenticationError,
    AuthenticationSuccess,
    AgentStarted,
    AgentThinking,
    ToolExecuting,
    ToolCompleted,
    AgentCompleted,
    ToolError,
    AgentError,
    AgentDeath,
    AgentStopped,
    AgentResponse,
    ProgressUpdate,
    SubagentStarted,
    SubagentCompleted,
    PartialResult,
    FinalReport,
    StreamChunk,
    ThreadCreated,
    ThreadSwitched,
    ThreadDeleted,
    ThreadData,
    ConversationHistory,
    AgentContext,
    ExampleMessageResponse,
    Heartbeat,
    Ping,
    Pong,
    HeartbeatAck,
    Ack,
    SystemMessage,
    ResumeResult,
    Error,
    ConnectionError,
    SystemError,
    Unknown,
}

impl Tag {
    /// The alias table of manager-protocol.md §9.2 (wrappers are resolved by [`resolve_tag`]).
    fn of_name(name: &str) -> Tag {
        match name {
            "connection_established" => Tag::ConnectionEstablished,
            "authentication_error" => Tag::AuthenticationError,
            "authentication_success" => Tag::AuthenticationSuccess,
            "agent_started" => Tag::AgentStarted,
            "agent_thinking" => Tag::AgentThinking,
            "tool_executing" | "tool_started" | "tool_call" => Tag::ToolExecuting,
            "tool_completed" | "tool_result" => Tag::ToolCompleted,
            "agent_completed" | "agent_finished" => Tag::AgentCompleted,
            "tool_error" => Tag::ToolError,
            "agent_error" | "agent_failed" | "agent_fallback" => Tag::AgentError,
            "agent_death" => Tag::AgentDeath,
            "agent_stopped" => Tag::AgentStopped,
            "agent_response" | "agent_response_complete" => Tag::AgentResponse,
            "progress_update" | "agent_progress" | "agent_update" => Tag::ProgressUpdate,
            "subagent_started" => Tag::SubagentStarted,
            "subagent_completed" => Tag::SubagentCompleted,
            "partial_result" => Tag::PartialResult,
            "final_report" => Tag::FinalReport,
            "stream_chunk" => Tag::StreamChunk,
            "thread_created" => Tag::ThreadCreated,
            "thread_switched" => Tag::ThreadSwitched,
            "thread_deleted" => Tag::ThreadDeleted,
            "thread_data" => Tag::ThreadData,
            "conversation_history" => Tag::ConversationHistory,
            "agent_context" => Tag::AgentContext,
            "example_message_response" => Tag::ExampleMessageResponse,
            "heartbeat" => Tag::Heartbeat,
            "ping" => Tag::Ping,
            "pong" => Tag::Pong,
            "heartbeat_ack" => Tag::HeartbeatAck,
            "ack" => Tag::Ack,
            "system_message" => Tag::SystemMessage,
            "resume_result" => Tag::ResumeResult,
            "error_message" | "error" => Tag::Error,
            "connection_error" => Tag::ConnectionError,
            "system_error" => Tag::SystemError,
            _ => Tag::Unknown,
        }
    }

    /// The five critical events, which a wrapper frame may carry.
    fn is_critical(self) -> bool {
        matches!(
            self,
            Tag::AgentStarted
                | Tag::AgentThinking
                | Tag::ToolExecuting
                | Tag::ToolCompleted
                | Tag::AgentCompleted
        )
    }
}

/// Resolves the wire `type` to a canonical tag, unwrapping wrapper frames.
fn resolve_tag(wire_type: &str, body: &Body<'_>) -> Tag {
    let inner_name = |key: &str| body.data().and_then(|data| data.get(key)?.as_str());
    match wire_type {
        "system_message" | "agent_progress" | "agent_response_complete" => {
            if wire_type == "system_message"
                && inner_name("event") == Some("connection_established")
            {
                return Tag::ConnectionEstablished;
            }
            let wrapped = [inner_name("type"), inner_name("event")]
                .into_iter()
                .flatten()
                .map(Tag::of_name)
                .find(|tag| tag.is_critical());
            wrapped.unwrap_or_else(|| Tag::of_name(wire_type))
        }
        // The emitter's quirk: a thinking event arrives as `"type":"reasoning"` with a
        // `reasoning` field. Without that field it is not recognisably a thought.
        "reasoning" if body.get("reasoning").is_some() => Tag::AgentThinking,
        _ => Tag::of_name(wire_type),
    }
}

/// Error text synonyms, most specific first.
const ERROR_TEXT: &[&str] = &["error_message", "error", "message", "user_friendly_message"];

fn decode_kind(wire_type: &str, body: &Body<'_>) -> EventKind {
    match resolve_tag(wire_type, body) {
        Tag::ConnectionEstablished => {
            let features = body.value(&["features"]);
            let seq_supported = features
                .as_ref()
                .and_then(|features| features.get("seq"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            EventKind::ConnectionEstablished(ConnectionEstablished {
                connection_id: body.id("connection_id"),
                mode: body.text(&["mode"]),
                features,
                seq_supported,
            })
        }
        Tag::AuthenticationError => EventKind::AuthenticationError(error_info(body)),
        Tag::AuthenticationSuccess => EventKind::AuthenticationSuccess(AuthenticationSuccess {
            client_id: body.id("websocket_client_id"),
        }),
        Tag::AgentStarted => EventKind::AgentStarted(AgentStarted {
            task_description: body.text(&["task_description"]),
            status: body.text(&["status"]),
        }),
        Tag::AgentThinking => EventKind::AgentThinking(AgentThinking {
            reasoning: body.text(&["reasoning", "thought", "message"]),
            step_number: body.unsigned(&["step_number"]),
            progress_percentage: body.number(&["progress_percentage"]),
        }),
        Tag::ToolExecuting => EventKind::ToolExecuting(ToolExecuting {
            tool_name: body.text(&["tool_name", "tool"]),
            parameters: body.value(&["parameters", "tool_args", "args"]),
            execution_id: body.id("execution_id"),
        }),
        Tag::ToolCompleted => EventKind::ToolCompleted(ToolCompleted {
            tool_name: body.text(&["tool_name", "tool"]),
            results: body.value(&["results", "result"]),
            duration: body.duration(),
            success: body.boolean(&["success"]),
            execution_id: body.id("execution_id"),
        }),
        Tag::AgentCompleted => EventKind::AgentCompleted(AgentCompleted {
            status: body.text(&["status"]),
            final_response: body.any(&["final_response"]).map(|value| match value {
                Value::String(text) => FinalResponse::Text(text.clone()),
                other => FinalResponse::Structured(other.clone()),
            }),
            result: body.value(&["result"]),
            duration: body.duration(),
        }),
        Tag::ToolError => EventKind::ToolError(ToolError {
            tool_name: body.text(&["tool_name", "tool"]),
            error: body.text(ERROR_TEXT),
            execution_id: body.id("execution_id"),
        }),
        Tag::AgentError => EventKind::AgentError(AgentError {
            error: body.text(ERROR_TEXT),
            error_type: body.text(&["error_type"]).or_else(|| {
                body.any(&["error_context"])?.get("error_type")?.as_str().map(str::to_owned)
            }),
            status: body.text(&["status"]),
        }),
        Tag::AgentDeath => EventKind::AgentDeath(AgentDeath {
            death_cause: body.text(&["death_cause"]),
            message: body.text(&["message"]),
        }),
        Tag::AgentStopped => EventKind::AgentStopped(StatusOnly { status: body.text(&["status"]) }),
        Tag::AgentResponse => EventKind::AgentResponse(AgentResponse {
            response: body.value(&["response", "content", "message", "result"]),
        }),
        Tag::ProgressUpdate => EventKind::ProgressUpdate(Progress {
            message: body.text(&["message"]),
            progress: body.value(&["progress_data", "progress"]),
        }),
        Tag::SubagentStarted => EventKind::SubagentStarted(subagent(body)),
        Tag::SubagentCompleted => EventKind::SubagentCompleted(subagent(body)),
        Tag::PartialResult => EventKind::PartialResult(text_content(body)),
        Tag::FinalReport => EventKind::FinalReport(text_content(body)),
        Tag::StreamChunk => EventKind::StreamChunk(text_content(body)),
        Tag::ThreadCreated => EventKind::ThreadCreated,
        Tag::ThreadSwitched => EventKind::ThreadSwitched,
        Tag::ThreadDeleted => EventKind::ThreadDeleted,
        Tag::ThreadData => EventKind::ThreadData(ThreadData {
            messages: body
                .any(&["messages"])
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
        }),
        Tag::ConversationHistory => EventKind::ConversationHistory(Opaque {}),
        Tag::AgentContext => EventKind::AgentContext(Opaque {}),
        Tag::ExampleMessageResponse => EventKind::ExampleMessageResponse(Opaque {}),
        Tag::Heartbeat => EventKind::Heartbeat(Heartbeat {
            connection_id: body.id("connection_id"),
            stats: body.value(&["stats"]),
        }),
        Tag::Ping => EventKind::Ping,
        Tag::Pong => EventKind::Pong,
        Tag::HeartbeatAck => EventKind::HeartbeatAck(StatusOnly { status: body.text(&["status"]) }),
        Tag::Ack => EventKind::Ack(Ack {
            received_type: body.text(&["received_type"]),
            status: body.text(&["status"]),
        }),
        Tag::SystemMessage => EventKind::SystemMessage(SystemMessage {
            status: body.text(&["status"]),
            event: body.text(&["event"]),
            message: body.text(&["message"]),
        }),
        Tag::ResumeResult => EventKind::ResumeResult(ResumeResult {
            from_seq: body.unsigned(&["from_seq"]),
            to_seq: body.unsigned(&["to_seq"]),
            complete: body.boolean(&["complete"]).unwrap_or(false),
        }),
        Tag::Error => EventKind::Error(error_info(body)),
        Tag::ConnectionError => EventKind::ConnectionError(error_info(body)),
        Tag::SystemError => EventKind::SystemError(error_info(body)),
        Tag::Unknown => EventKind::Unknown,
    }
}

fn error_info(body: &Body<'_>) -> ErrorInfo {
    ErrorInfo {
        code: body.text(&["error_code", "code"]),
        message: body.text(ERROR_TEXT),
        details: body.value(&["details"]),
        retry_allowed: body.boolean(&["retry_allowed"]),
        severity: body.text(&["severity"]),
    }
}

fn subagent(body: &Body<'_>) -> Subagent {
    Subagent {
        subagent_name: body.text(&["subagent_name"]),
        subagent_id: body.id("subagent_id"),
        result: body.value(&["result"]),
        duration: body.duration(),
    }
}

fn text_content(body: &Body<'_>) -> TextContent {
    TextContent { content: body.value(&["content", "message", "chunk", "report", "result"]) }
}

fn decode_context(body: &Body<'_>, root: &JsonObject) -> Context {
    Context {
        user_id: body.id("user_id"),
        thread_id: body.id("thread_id"),
        run_id: body.id("run_id"),
        request_id: body.id("request_id"),
        agent_name: body.text(&["agent_name", "agent"]),
        timestamp: body.timestamp(),
        // Sequence numbers and retry attempts are envelope fields: root only.
        seq: root.get("seq").and_then(Value::as_u64),
        attempt: root.get("attempt").and_then(Value::as_u64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!(r#"{{"type":"x","v":{}0{}}}"#, "[".repeat(depth - 1), "]".repeat(depth - 1))
    }

    #[test]
    fn nesting_at_the_limit_decodes() {
        let event = decode(&nested(MAX_DEPTH)).expect("512 levels decode");
        assert_eq!(event.wire_type, "x");
    }

    #[test]
    fn nesting_past_the_limit_is_too_deep_not_a_stack_overflow() {
        assert_eq!(decode(&nested(MAX_DEPTH + 1)), Err(DecodeError::TooDeep { limit: MAX_DEPTH }));
        let huge = "[".repeat(1_000_000);
        assert_eq!(decode(&huge), Err(DecodeError::TooDeep { limit: MAX_DEPTH }));
    }

    #[test]
    fn brackets_inside_strings_do_not_count_as_nesting() {
        let text = format!(r#"{{"type":"x","s":"{}\"{}"}}"#, "[".repeat(2000), "{".repeat(2000));
        assert!(decode(&text).is_ok());
    }

    #[test]
    fn megabyte_strings_decode() {
        let text = format!(r#"{{"type":"agent_thinking","reasoning":"{}"}}"#, "a".repeat(1 << 20));
        let event = decode(&text).expect("1 MB string decodes");
        let EventKind::AgentThinking(thinking) = event.kind else { panic!("not thinking") };
        assert_eq!(thinking.reasoning.map(|r| r.len()), Some(1 << 20));
    }

    #[test]
    fn structural_errors_are_typed() {
        assert!(matches!(decode("{"), Err(DecodeError::InvalidJson { line: 1, .. })));
        assert!(matches!(decode("{} {}"), Err(DecodeError::InvalidJson { .. })));
        assert_eq!(decode("[1]"), Err(DecodeError::NotAnObject { found: JsonKind::Array }));
        assert_eq!(decode("{}"), Err(DecodeError::MissingType));
        assert_eq!(decode(r#"{"type":""}"#), Err(DecodeError::MissingType));
        assert_eq!(decode(r#"{"type":null}"#), Err(DecodeError::MissingType));
        assert_eq!(
            decode(r#"{"type":7}"#),
            Err(DecodeError::TypeNotString { found: JsonKind::Number })
        );
        assert_eq!(decode_bytes(&[0x7b, 0xff]), Err(DecodeError::NotUtf8 { valid_up_to: 1 }));
    }

    #[test]
    fn duplicate_keys_are_accepted_and_the_last_wins() {
        let event = decode(r#"{"type":"agent_started","run_id":"a","run_id":"b"}"#).expect("ok");
        assert_eq!(event.context.run_id.as_deref(), Some("b"));
    }

    #[test]
    fn invalid_json_error_reports_position_once() {
        let Err(DecodeError::InvalidJson { message, line, column }) = decode("{\n  \"type\": }")
        else {
            panic!("expected InvalidJson")
        };
        assert_eq!((line, column), (2, 11));
        assert!(!message.contains("at line"), "{message}");
    }
}
