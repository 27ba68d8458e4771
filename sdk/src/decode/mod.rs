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
//!   milliseconds), see [`Timestamp`];
//! * field synonyms: `results`/`result`/`output`, `duration`/`execution_time`/`execution_time_ms`,
//!   `reasoning`/`thought`/`message`, `tool_name`/`tool`, `parameters`/`tool_args`/`input`,
//!   `final_response`/`response`, ... (the September name first: when a frame carries both,
//!   they hold the same value in every trace we know);
//! * the October 2025 generation (§6): its new types (handshake, cleanup, `backend_log`,
//!   agent timeouts), its optional fields (`retry_info`, `llm_validation`, `agents_involved`),
//!   and its `system_message` wrapper that names an agent event in a root `event` with the
//!   body in `payload`;
//! * an unknown `type` is an [`EventKind::Unknown`] event, not an error.

mod body;
#[cfg(test)]
mod differential;
#[cfg(test)]
mod oracle;
mod scan;

use std::borrow::Cow;

use serde_json::Value;

use crate::event::{
    Ack, AgentCompleted, AgentDeath, AgentError, AgentResponse, AgentStarted, AgentThinking,
    AgentTimeoutFailure, AgentTimeoutWarning, AuthenticationSuccess, BackendLog, CleanupComplete,
    CleanupDurationEstimate, CleanupStarted, ConnectionEstablished, Context, Duration,
    DurationUnit, ErrorInfo, Event, EventKind, FinalResponse, HandshakeResponse, Heartbeat,
    JsonText, LlmValidation, Opaque, Progress, RawFrame, ResumeResult, RetryInfo, StatusOnly,
    Subagent, SystemMessage, TextContent, ThreadData, ToolCompleted, ToolError, ToolExecuting,
};
use crate::fingerprint::Fingerprint;
use crate::timestamp::Timestamp;
use body::{Captured, Field, Loc, Scan};
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
    let (kind, context, wire_type, fingerprint) = decode_parts(text)?;
    Ok(Event { kind, context, wire_type, raw: RawFrame::new(text), fingerprint })
}

/// Decodes one text frame that the caller owns, keeping the text as the raw frame without a
/// copy.
///
/// # Errors
/// As [`decode`].
pub fn decode_owned(text: String) -> Result<Event, DecodeError> {
    let (kind, context, wire_type, fingerprint) = decode_parts(&text)?;
    Ok(Event { kind, context, wire_type, raw: RawFrame::new(text), fingerprint })
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

type Parts = (EventKind, Context, String, Fingerprint);

fn decode_parts(text: &str) -> Result<Parts, DecodeError> {
    parts_of(scan::scan(text))
}

/// The decoded parts of a frame, from its scan.
fn parts_of(scanned: Result<Scan<'_>, ScanError>) -> Result<Parts, DecodeError> {
    let body = scanned.map_err(|error| match error {
        ScanError::Json { message, line, column } => {
            DecodeError::InvalidJson { message: message.into_owned(), line, column }
        }
        ScanError::NotAnObject(found) => DecodeError::NotAnObject { found },
        ScanError::TooDeep => DecodeError::TooDeep { limit: MAX_DEPTH },
    })?;
    let wire_type = match body.at(Loc::Root, Field::Type) {
        None | Some(Captured::Null) => return Err(DecodeError::MissingType),
        Some(captured) => match captured.as_str() {
            Some(name) if name.is_empty() => return Err(DecodeError::MissingType),
            Some(name) => name.into_owned(),
            None => return Err(DecodeError::TypeNotString { found: captured.kind() }),
        },
    };
    let kind = decode_kind(&wire_type, &body);
    let context = decode_context(&body);
    Ok((kind, context, wire_type, body.fingerprint))
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

/// Typed lookups over the scanned body locations, in lookup order.
impl Scan<'_> {
    /// The first string value under any of `fields`. Other JSON types are skipped.
    fn text(&self, fields: &[Field]) -> Option<String> {
        fields.iter().find_map(|field| {
            Loc::ORDER.iter().find_map(|loc| {
                self.at(*loc, *field)?.as_str().filter(|text| !text.is_empty()).map(Cow::into_owned)
            })
        })
    }

    /// The first value of `field` in lookup order that `convert` accepts: present values of
    /// the wrong type are skipped, as [`Scan::text`] skips non-strings.
    fn first<T>(&self, field: Field, convert: impl Fn(&Captured<'_>) -> Option<T>) -> Option<T> {
        Loc::ORDER.iter().find_map(|loc| {
            self.at(*loc, field).filter(|value| value.is_present()).and_then(&convert)
        })
    }

    /// An identifier: a non-empty string, or a number (database ids) as its decimal text.
    fn id(&self, field: Field) -> Option<String> {
        self.first(field, |value| match value.as_str() {
            Some(text) => Some(text.into_owned()),
            None => value.number_id(),
        })
    }

    /// The first value under `fields` that is a non-negative integer.
    fn unsigned(&self, fields: &[Field]) -> Option<u64> {
        fields.iter().find_map(|field| self.first(*field, |value| value.as_u64()))
    }

    /// The first value under `fields` that is a number.
    fn number(&self, fields: &[Field]) -> Option<f64> {
        fields.iter().find_map(|field| self.first(*field, |value| value.as_f64()))
    }

    /// The first value under `fields` that is a boolean.
    fn boolean(&self, fields: &[Field]) -> Option<bool> {
        fields.iter().find_map(|field| self.first(*field, |value| value.as_bool()))
    }

    /// The first present value under `fields`, as JSON.
    fn value(&self, fields: &[Field]) -> Option<Value> {
        fields.iter().find_map(|field| self.get(*field)?.to_value())
    }

    /// The first present value under `fields`, as JSON text (parsed only on demand).
    fn json(&self, fields: &[Field]) -> Option<JsonText> {
        fields.iter().find_map(|field| self.get(*field)?.to_json_text())
    }

    /// The first parseable `timestamp` in lookup order.
    fn timestamp(&self) -> Option<Timestamp> {
        Loc::ORDER.iter().find_map(|loc| {
            let value = self.at(*loc, Field::Timestamp)?;
            match value.as_str() {
                Some(text) => Timestamp::parse(&text),
                None => value.as_f64().and_then(Timestamp::from_epoch_number),
            }
        })
    }

    /// A duration from the first present synonym; names ending in `_ms` are milliseconds.
    fn duration(&self) -> Option<Duration> {
        const SYNONYMS: [(Field, DurationUnit); 4] = [
            (Field::ExecutionTimeMs, DurationUnit::Milliseconds),
            (Field::DurationMs, DurationUnit::Milliseconds),
            (Field::Duration, DurationUnit::Unspecified),
            (Field::ExecutionTime, DurationUnit::Unspecified),
        ];
        SYNONYMS.iter().find_map(|(field, unit)| {
            let value = self.first(*field, |value| value.as_f64())?;
            Some(Duration { value, unit: *unit })
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
    HandshakeResponse,
    HandshakeComplete,
    CleanupStarted,
    CleanupDurationEstimate,
    CleanupComplete,
    BackendLog,
    AgentTimeoutWarning,
    AgentTimeoutFailure,
    Unknown,
}

impl Tag {
    /// The alias table of docs/protocol.md §2 (wrappers are resolved by [`resolve_tag`]).
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
            "handshake_response" => Tag::HandshakeResponse,
            "handshake_complete" => Tag::HandshakeComplete,
            "cleanup_started" => Tag::CleanupStarted,
            "cleanup_duration_estimate" => Tag::CleanupDurationEstimate,
            "cleanup_complete" => Tag::CleanupComplete,
            "backend_log" => Tag::BackendLog,
            "agent_timeout_warning" => Tag::AgentTimeoutWarning,
            "agent_timeout_failure" => Tag::AgentTimeoutFailure,
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

    /// The events the October 2025 `system_message` wrapper carries (§6): agent events and
    /// the agent timeout frames.
    fn is_agent(self) -> bool {
        self.is_critical()
            || matches!(
                self,
                Tag::ToolError
                    | Tag::AgentError
                    | Tag::AgentDeath
                    | Tag::AgentTimeoutWarning
                    | Tag::AgentTimeoutFailure
            )
    }
}

/// Resolves the wire `type` to a canonical tag, unwrapping wrapper frames.
fn resolve_tag(wire_type: &str, body: &Scan<'_>) -> Tag {
    let inner_name = |field: Field| body.at(Loc::Data, field).and_then(Captured::as_str);
    let inner_name = |field: Field| inner_name(field).map(Cow::into_owned);
    match wire_type {
        "system_message" | "agent_progress" | "agent_update" | "agent_response_complete" => {
            if wire_type == "system_message"
                && inner_name(Field::Event).as_deref() == Some("connection_established")
            {
                return Tag::ConnectionEstablished;
            }
            // The October 2025 wrapper (§6): `{"type":"system_message","event":<agent event>,
            // "payload":{...}}`; its fields are in `payload`, a body location already.
            if wire_type == "system_message" {
                let root_event = body.at(Loc::Root, Field::Event).and_then(Captured::as_str);
                if let Some(tag) =
                    root_event.map(|name| Tag::of_name(&name)).filter(|tag| tag.is_agent())
                {
                    return tag;
                }
            }
            let wrapped = [inner_name(Field::Type), inner_name(Field::Event)]
                .into_iter()
                .flatten()
                .map(|name| Tag::of_name(&name))
                .find(|tag| tag.is_critical());
            wrapped.unwrap_or_else(|| Tag::of_name(wire_type))
        }
        // The emitter's quirk: a thinking event arrives as `"type":"reasoning"` with a
        // `reasoning` field. Without that field it is not recognisably a thought.
        "reasoning" if body.get(Field::Reasoning).is_some() => Tag::AgentThinking,
        _ => Tag::of_name(wire_type),
    }
}

/// Error text synonyms, most specific first.
const ERROR_TEXT: &[Field] =
    &[Field::ErrorMessage, Field::Error, Field::Message, Field::UserFriendlyMessage];

fn decode_kind(wire_type: &str, body: &Scan<'_>) -> EventKind {
    match resolve_tag(wire_type, body) {
        Tag::ConnectionEstablished => {
            let features = body.json(&[Field::Features]);
            let seq_supported = features
                .as_ref()
                .and_then(|features| features.to_value().get("seq")?.as_bool())
                .unwrap_or(false);
            EventKind::ConnectionEstablished(ConnectionEstablished {
                connection_id: body.id(Field::ConnectionId),
                mode: body.text(&[Field::Mode]),
                features,
                seq_supported,
            })
        }
        Tag::AuthenticationError => EventKind::AuthenticationError(error_info(body)),
        Tag::AuthenticationSuccess => EventKind::AuthenticationSuccess(AuthenticationSuccess {
            client_id: body.id(Field::WebsocketClientId),
        }),
        Tag::AgentStarted => EventKind::AgentStarted(AgentStarted {
            task_description: body.text(&[Field::TaskDescription]),
            status: body.text(&[Field::Status]),
        }),
        Tag::AgentThinking => EventKind::AgentThinking(AgentThinking {
            reasoning: body.text(&[Field::Reasoning, Field::Thought, Field::Message]),
            step_number: body.unsigned(&[Field::StepNumber]),
            progress_percentage: body.number(&[Field::ProgressPercentage]),
        }),
        Tag::ToolExecuting => EventKind::ToolExecuting(ToolExecuting {
            tool_name: body.text(&[Field::ToolName, Field::Tool]),
            parameters: body.json(&[Field::Parameters, Field::ToolArgs, Field::Args, Field::Input]),
            execution_id: body.id(Field::ExecutionId),
        }),
        Tag::ToolCompleted => EventKind::ToolCompleted(ToolCompleted {
            tool_name: body.text(&[Field::ToolName, Field::Tool]),
            results: body.json(&[Field::Results, Field::Result, Field::Output]),
            duration: body.duration(),
            success: body.boolean(&[Field::Success]),
            execution_id: body.id(Field::ExecutionId),
        }),
        Tag::AgentCompleted => EventKind::AgentCompleted(AgentCompleted {
            status: body.text(&[Field::Status]),
            final_response: [Field::FinalResponse, Field::Response]
                .iter()
                .find_map(|field| {
                    let value = body.get(*field)?;
                    match value.as_str() {
                        Some(text) => Some(FinalResponse::Text(text.into_owned())),
                        None => value.to_json_text().map(FinalResponse::Structured),
                    }
                })
                // The October manager's answer is a text `result` (§6).
                .or_else(|| {
                    let text = body.get(Field::Result)?.as_str()?;
                    Some(FinalResponse::Text(text.into_owned()))
                }),
            result: body.json(&[Field::Result]),
            duration: body.duration(),
            llm_validation: body.value(&[Field::LlmValidation]).and_then(|value| {
                let object = value.as_object()?;
                Some(LlmValidation {
                    is_valid: object.get("is_valid").and_then(Value::as_bool),
                    validation_result: object
                        .get("validation_result")
                        .filter(|value| !value.is_null())
                        .map(JsonText::from),
                    violations_count: object.get("violations_count").and_then(Value::as_u64),
                })
            }),
            agents_involved: match body.value(&[Field::AgentsInvolved]) {
                Some(Value::Array(names)) => {
                    Some(names.iter().filter_map(|name| name.as_str().map(str::to_owned)).collect())
                }
                _ => None,
            },
        }),
        Tag::ToolError => EventKind::ToolError(ToolError {
            tool_name: body.text(&[Field::ToolName, Field::Tool]),
            error: body.text(ERROR_TEXT),
            execution_id: body.id(Field::ExecutionId),
        }),
        Tag::AgentError => EventKind::AgentError(AgentError {
            error: body.text(ERROR_TEXT),
            error_type: body.text(&[Field::ErrorType]).or_else(|| {
                body.value(&[Field::ErrorContext])?.get("error_type")?.as_str().map(str::to_owned)
            }),
            status: body.text(&[Field::Status]),
        }),
        Tag::AgentDeath => EventKind::AgentDeath(AgentDeath {
            death_cause: body.text(&[Field::DeathCause]),
            message: body.text(&[Field::Message]),
        }),
        Tag::AgentStopped => {
            EventKind::AgentStopped(StatusOnly { status: body.text(&[Field::Status]) })
        }
        Tag::AgentResponse => EventKind::AgentResponse(AgentResponse {
            response: body.json(&[Field::Response, Field::Content, Field::Message, Field::Result]),
        }),
        Tag::ProgressUpdate => EventKind::ProgressUpdate(Progress {
            message: body.text(&[Field::Message]),
            progress: body.json(&[Field::ProgressData, Field::Progress]),
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
            messages: match body.value(&[Field::Messages]) {
                Some(Value::Array(messages)) => messages,
                _ => Vec::new(),
            },
        }),
        Tag::ConversationHistory => EventKind::ConversationHistory(Opaque {}),
        Tag::AgentContext => EventKind::AgentContext(Opaque {}),
        Tag::ExampleMessageResponse => EventKind::ExampleMessageResponse(Opaque {}),
        Tag::Heartbeat => EventKind::Heartbeat(Heartbeat {
            connection_id: body.id(Field::ConnectionId),
            stats: body.json(&[Field::Stats]),
        }),
        Tag::Ping => EventKind::Ping,
        Tag::Pong => EventKind::Pong,
        Tag::HeartbeatAck => {
            EventKind::HeartbeatAck(StatusOnly { status: body.text(&[Field::Status]) })
        }
        Tag::Ack => EventKind::Ack(Ack {
            received_type: body.text(&[Field::ReceivedType]),
            status: body.text(&[Field::Status]),
        }),
        Tag::SystemMessage => EventKind::SystemMessage(SystemMessage {
            status: body.text(&[Field::Status]),
            event: body.text(&[Field::Event]),
            message: body.text(&[Field::Message]),
        }),
        Tag::ResumeResult => EventKind::ResumeResult(ResumeResult {
            from_seq: body.unsigned(&[Field::FromSeq]),
            to_seq: body.unsigned(&[Field::ToSeq]),
            complete: body.boolean(&[Field::Complete]).unwrap_or(false),
        }),
        Tag::Error => EventKind::Error(error_info(body)),
        Tag::ConnectionError => EventKind::ConnectionError(error_info(body)),
        Tag::SystemError => EventKind::SystemError(error_info(body)),
        Tag::HandshakeResponse => EventKind::HandshakeResponse(HandshakeResponse {
            session_token: body.text(&[Field::SessionToken]),
            message: body.text(&[Field::Message]),
        }),
        Tag::HandshakeComplete => EventKind::HandshakeComplete,
        Tag::CleanupStarted => EventKind::CleanupStarted(CleanupStarted {
            connection_id: body.id(Field::ConnectionId),
        }),
        Tag::CleanupDurationEstimate => {
            EventKind::CleanupDurationEstimate(CleanupDurationEstimate {
                estimated_seconds: body.number(&[Field::EstimatedSeconds]),
            })
        }
        Tag::CleanupComplete => EventKind::CleanupComplete(CleanupComplete {
            cleanup_status: body.text(&[Field::CleanupStatus, Field::Status]),
            successful_cleanups: body.unsigned(&[Field::SuccessfulCleanups]),
            total_cleanups: body.unsigned(&[Field::TotalCleanups]),
        }),
        Tag::BackendLog => EventKind::BackendLog(BackendLog {
            messages: match body.value(&[Field::Messages]) {
                Some(Value::Array(messages)) => messages,
                _ => Vec::new(),
            },
            total_count: body.unsigned(&[Field::TotalCount]),
            sink_stats: body.json(&[Field::SinkStats]),
        }),
        Tag::AgentTimeoutWarning => EventKind::AgentTimeoutWarning(AgentTimeoutWarning {
            elapsed_seconds: body.number(&[Field::ElapsedSeconds]),
            total_timeout_seconds: body.number(&[Field::TotalTimeoutSeconds]),
            remaining_seconds: body.number(&[Field::RemainingSeconds]),
            warning_threshold_percent: body.number(&[Field::WarningThresholdPercent]),
        }),
        Tag::AgentTimeoutFailure => EventKind::AgentTimeoutFailure(AgentTimeoutFailure {
            elapsed_seconds: body.number(&[Field::ElapsedSeconds]),
            timeout_seconds: body.number(&[Field::TimeoutSeconds]),
            final_status: body.text(&[Field::FinalStatus]),
            error: body.text(ERROR_TEXT),
        }),
        Tag::Unknown => EventKind::Unknown,
    }
}

/// `retry_info{is_retry, attempt_number, max_attempts, reason}` (§6), when it is an object.
fn retry_info(body: &Scan<'_>) -> Option<RetryInfo> {
    let value = body.value(&[Field::RetryInfo])?;
    let object = value.as_object()?;
    Some(RetryInfo {
        is_retry: object.get("is_retry").and_then(Value::as_bool),
        attempt_number: object.get("attempt_number").and_then(Value::as_u64),
        max_attempts: object.get("max_attempts").and_then(Value::as_u64),
        reason: object
            .get("reason")
            .and_then(Value::as_str)
            .filter(|reason| !reason.is_empty())
            .map(str::to_owned),
    })
}

fn error_info(body: &Scan<'_>) -> ErrorInfo {
    ErrorInfo {
        code: body.text(&[Field::ErrorCode, Field::Code]),
        message: body.text(ERROR_TEXT),
        details: body.json(&[Field::Details]),
        retry_allowed: body.boolean(&[Field::RetryAllowed]),
        severity: body.text(&[Field::Severity]),
    }
}

fn subagent(body: &Scan<'_>) -> Subagent {
    Subagent {
        subagent_name: body.text(&[Field::SubagentName]),
        subagent_id: body.id(Field::SubagentId),
        result: body.json(&[Field::Result]),
        duration: body.duration(),
    }
}

fn text_content(body: &Scan<'_>) -> TextContent {
    TextContent {
        content: body.json(&[
            Field::Content,
            Field::Message,
            Field::Chunk,
            Field::Report,
            Field::Result,
        ]),
    }
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
        // Deep inside a JSON-typed field (skipped first, then hashed) and inside a body location.
        for field in ["results", "payload", "data", "other"] {
            let text = format!(
                r#"{{"type":"x","{field}":{}{}}}"#,
                "[".repeat(100_000),
                "]".repeat(100_000)
            );
            assert_eq!(decode(&text), Err(DecodeError::TooDeep { limit: MAX_DEPTH }), "{field}");
        }
        // Unterminated and deep inside a JSON-typed field: invalid JSON is reported as such.
        let unterminated = format!(r#"{{"type":"x","results":{}"#, "[".repeat(100_000));
        assert!(matches!(decode(&unterminated), Err(DecodeError::InvalidJson { .. })));
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
    fn decode_owned_and_decode_value_agree_with_decode() {
        let text = r#"{"type":"agent_started","run_id":"r","n":1}"#;
        let event = decode(text).expect("ok");
        assert_eq!(decode_owned(text.to_owned()), Ok(event.clone()));
        let value: Value = serde_json::from_str(text).expect("json");
        assert_eq!(decode_value(&value).map(|e| e.fingerprint), Ok(event.fingerprint));
        assert_eq!(
            decode_value(&Value::Null),
            Err(DecodeError::NotAnObject { found: JsonKind::Null })
        );
        assert_eq!(event.raw.as_str(), text);
        assert_eq!(event.raw.to_value(), value);
    }

    #[test]
    fn wrong_typed_values_are_skipped_like_absent_ones() {
        let event =
            decode(r#"{"type":"agent_started","run_id":{},"data":{"run_id":"r1"},"seq":"7"}"#)
                .expect("decodes");
        assert_eq!(event.context.run_id.as_deref(), Some("r1"));
        assert_eq!(event.context.seq, None);
    }

    #[test]
    fn agent_update_wraps_a_critical_event_like_agent_progress() {
        let event =
            decode(r#"{"type":"agent_update","data":{"type":"tool_executing","tool_name":"t"}}"#)
                .expect("decodes");
        assert!(matches!(event.kind, EventKind::ToolExecuting(_)));
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
