//! The typed event model: one enum for every server frame the manager sends.
//!
//! An [`Event`] is what [`crate::decode()`] makes of one frame: the canonical [`EventKind`] with typed
//! fields, the run [`Context`] shared by all frames (user, thread, run, agent, time, sequence
//! number), the `type` string exactly as the wire sent it, and the raw JSON object itself, so
//! nothing the server sent is ever lost.
//!
//! Canonical names follow docs/protocol.md §2: aliases collapse (`reasoning` is an
//! [`EventKind::AgentThinking`], `tool_result` a [`EventKind::ToolCompleted`], ...), and a `type`
//! outside the vocabulary is an [`EventKind::Unknown`], kept as an opaque event.
//!
//! Serialised (for JavaScript and for `--json` output) an event is a JSON object tagged by its
//! canonical `type`, with the wire's snake_case field names.

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::fingerprint::Fingerprint;
use crate::timestamp::Timestamp;

/// A JSON object, as the wire sent it.
pub type JsonObject = Map<String, Value>;

/// One decoded server frame.
// In TypeScript it is `AgentEvent`: the DOM already has a global `Event`.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(rename = "AgentEvent"))]
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    /// What the frame is, with its typed fields.
    // Named as a type, not a reference: tsify would otherwise declare an interface that
    // `extends EventKind`, which TypeScript refuses for a union. As written, the declaration is
    // the intersection `{ wire_type, raw } & EventKind & Context`, a union TypeScript narrows.
    #[serde(flatten)]
    #[cfg_attr(target_arch = "wasm32", tsify(type = "EventKind"))]
    pub kind: EventKind,
    /// Ids, agent and time, looked up in every tolerated body location.
    #[serde(flatten)]
    pub context: Context,
    /// The `type` string exactly as sent (for example `reasoning` for an
    /// [`EventKind::AgentThinking`], or `agent_progress` for a wrapped event).
    pub wire_type: String,
    /// The frame exactly as received: a JSON object, as text (serialised as the object).
    pub raw: RawFrame,
    /// The content fingerprint used for duplicate detection.
    #[serde(skip)]
    pub(crate) fingerprint: Fingerprint,
}

impl Event {
    /// The canonical type name of this event (`agent_thinking` for a wire `reasoning`, ...).
    /// For an [`EventKind::Unknown`] event this is the wire's `type`.
    #[must_use]
    pub fn name(&self) -> &str {
        self.kind.canonical_name().unwrap_or(&self.wire_type)
    }
}

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

/// The fields that tie a frame to a user, a thread, a run and an agent. Each is looked up at the
/// root, then in `payload`, `data`, `data.payload` and `metadata` (docs/protocol.md §2); an
/// empty string or `null` counts as absent.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Context {
    /// The user the frame is for (may be truncated by the manager to 8 chars plus `...`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The conversation thread (`thread_ws_...`, `thread_...`, a database id or a UUID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
    /// The agent run (`run_ws_...` or another id format).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// The request that started the run, when the frame names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The agent that produced the frame (`agent_name`, or `agent` in demo frames).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_name: Option<String>,
    /// When the server says the event happened; `None` when absent, unparseable or out of range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// The frame's sequence number (optional agentwire extension, see docs/rules.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The retry attempt, present only when the manager re-sent the frame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u64>,
    /// The October 2025 manager's retry description (`retry_info`, on any agent event), when
    /// sent (docs/protocol.md §6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_info: Option<RetryInfo>,
}

/// `retry_info` (October 2025 manager): whether this agent event belongs to a retried
/// attempt, and why.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RetryInfo {
    /// Whether this is a retry (`is_retry`).
    pub is_retry: Option<bool>,
    /// Which attempt this is, counting from 1 (`attempt_number`).
    pub attempt_number: Option<u64>,
    /// How many attempts the manager allows (`max_attempts`).
    pub max_attempts: Option<u64>,
    /// Why it retried (`reason`).
    pub reason: Option<String>,
}

/// Every kind of frame the manager sends, with its typed fields (docs/protocol.md §2).
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    // --- Connection lifecycle and auth (§2) ---
    /// The server accepted the connection (`connection_established`, or a `system_message` whose
    /// `data.event` says so).
    ConnectionEstablished(ConnectionEstablished),
    /// The server rejected the credentials (`authentication_error`).
    AuthenticationError(ErrorInfo),
    /// The server accepted the credentials (`authentication_success`).
    AuthenticationSuccess(AuthenticationSuccess),

    // --- The five critical agent events (§2) ---
    /// An agent (the supervisor or a sub-agent) started executing.
    AgentStarted(AgentStarted),
    /// An agent reasoned (`agent_thinking`, or the `reasoning` quirk).
    AgentThinking(AgentThinking),
    /// A tool call began (`tool_executing`, `tool_started`, `tool_call`).
    ToolExecuting(ToolExecuting),
    /// A tool call finished (`tool_completed`, `tool_result`).
    ToolCompleted(ToolCompleted),
    /// An agent finished (`agent_completed`, `agent_finished`).
    AgentCompleted(AgentCompleted),

    // --- Other agent and run events (§2) ---
    /// A tool call failed (`tool_error`).
    ToolError(ToolError),
    /// An agent failed (`agent_error`, `agent_failed`, `agent_fallback`).
    AgentError(AgentError),
    /// An agent died (`agent_death`): timeout, lost heartbeat, memory limit, cancellation.
    AgentDeath(AgentDeath),
    /// An agent was stopped (`agent_stopped`).
    AgentStopped(StatusOnly),
    /// An agent's response (`agent_response`, `agent_response_complete`).
    AgentResponse(AgentResponse),
    /// Progress of a run (`progress_update`, `agent_progress`, `agent_update`).
    ProgressUpdate(Progress),
    /// A sub-agent started (`subagent_started`).
    SubagentStarted(Subagent),
    /// A sub-agent completed (`subagent_completed`).
    SubagentCompleted(Subagent),
    /// A partial result (`partial_result`).
    PartialResult(TextContent),
    /// A final report (`final_report`).
    FinalReport(TextContent),
    /// A chunk of streamed output (`stream_chunk`).
    StreamChunk(TextContent),

    // --- Thread frames (§2, S5) ---
    /// A thread was created (`thread_created`).
    ThreadCreated,
    /// The connection switched thread (`thread_switched`).
    ThreadSwitched,
    /// A thread was deleted (`thread_deleted`).
    ThreadDeleted,
    /// A thread's messages (`thread_data`).
    ThreadData(ThreadData),
    /// A conversation's history (`conversation_history`).
    ConversationHistory(Opaque),
    /// An agent's context (`agent_context`).
    AgentContext(Opaque),
    /// The answer to an example message (`example_message_response`).
    ExampleMessageResponse(Opaque),

    // --- Heartbeat and acknowledgement frames (§2) ---
    /// The server's keepalive after client silence (`heartbeat`); answer with `heartbeat_ack`.
    Heartbeat(Heartbeat),
    /// A server ping; answer with `pong`.
    Ping,
    /// The answer to a client `ping`; `user_id` in the context is the full user id.
    Pong,
    /// The answer to a client `heartbeat`.
    HeartbeatAck(StatusOnly),
    /// The acknowledgement of a client message type the server does not handle.
    Ack(Ack),
    /// A system notice (`system_message`) that does not wrap another event.
    SystemMessage(SystemMessage),
    /// The server's answer to a `resume` (agentwire's sequence extension).
    ResumeResult(ResumeResult),

    // --- The October 2025 profile (§6) ---
    /// The server opens its handshake and assigns the connection's thread
    /// (`handshake_response`; the thread is the context's `thread_id`). A client answers
    /// `handshake_acknowledged` at once.
    HandshakeResponse(HandshakeResponse),
    /// The server finished its handshake (`handshake_complete`).
    HandshakeComplete,
    /// The server started cleaning up after a run (`cleanup_started`).
    CleanupStarted(CleanupStarted),
    /// How long the cleanup should take (`cleanup_duration_estimate`).
    CleanupDurationEstimate(CleanupDurationEstimate),
    /// The cleanup after a run finished (`cleanup_complete`); October clients take it as the
    /// end of the run.
    CleanupComplete(CleanupComplete),
    /// Server log lines forwarded to the client (`backend_log`).
    BackendLog(BackendLog),
    /// An agent is close to its time limit (`agent_timeout_warning`).
    AgentTimeoutWarning(AgentTimeoutWarning),
    /// An agent ran out of time (`agent_timeout_failure`); it ends the agent's execution like
    /// an `agent_error`.
    AgentTimeoutFailure(AgentTimeoutFailure),

    // --- Errors ---
    /// An error (`error_message`, S2 or S1, or the ad-hoc `error`).
    Error(ErrorInfo),
    /// A critical event could not be delivered (`connection_error`).
    ConnectionError(ErrorInfo),
    /// A server-side failure notice (`system_error`).
    SystemError(ErrorInfo),

    /// A `type` outside the vocabulary, even after aliases; the raw JSON keeps everything.
    Unknown,
}

impl EventKind {
    /// The canonical type name, or `None` for [`EventKind::Unknown`].
    #[must_use]
    pub fn canonical_name(&self) -> Option<&'static str> {
        Some(match self {
            EventKind::ConnectionEstablished(_) => "connection_established",
            EventKind::AuthenticationError(_) => "authentication_error",
            EventKind::AuthenticationSuccess(_) => "authentication_success",
            EventKind::AgentStarted(_) => "agent_started",
            EventKind::AgentThinking(_) => "agent_thinking",
            EventKind::ToolExecuting(_) => "tool_executing",
            EventKind::ToolCompleted(_) => "tool_completed",
            EventKind::AgentCompleted(_) => "agent_completed",
            EventKind::ToolError(_) => "tool_error",
            EventKind::AgentError(_) => "agent_error",
            EventKind::AgentDeath(_) => "agent_death",
            EventKind::AgentStopped(_) => "agent_stopped",
            EventKind::AgentResponse(_) => "agent_response",
            EventKind::ProgressUpdate(_) => "progress_update",
            EventKind::SubagentStarted(_) => "subagent_started",
            EventKind::SubagentCompleted(_) => "subagent_completed",
            EventKind::PartialResult(_) => "partial_result",
            EventKind::FinalReport(_) => "final_report",
            EventKind::StreamChunk(_) => "stream_chunk",
            EventKind::ThreadCreated => "thread_created",
            EventKind::ThreadSwitched => "thread_switched",
            EventKind::ThreadDeleted => "thread_deleted",
            EventKind::ThreadData(_) => "thread_data",
            EventKind::ConversationHistory(_) => "conversation_history",
            EventKind::AgentContext(_) => "agent_context",
            EventKind::ExampleMessageResponse(_) => "example_message_response",
            EventKind::Heartbeat(_) => "heartbeat",
            EventKind::Ping => "ping",
            EventKind::Pong => "pong",
            EventKind::HeartbeatAck(_) => "heartbeat_ack",
            EventKind::Ack(_) => "ack",
            EventKind::SystemMessage(_) => "system_message",
            EventKind::ResumeResult(_) => "resume_result",
            EventKind::HandshakeResponse(_) => "handshake_response",
            EventKind::HandshakeComplete => "handshake_complete",
            EventKind::CleanupStarted(_) => "cleanup_started",
            EventKind::CleanupDurationEstimate(_) => "cleanup_duration_estimate",
            EventKind::CleanupComplete(_) => "cleanup_complete",
            EventKind::BackendLog(_) => "backend_log",
            EventKind::AgentTimeoutWarning(_) => "agent_timeout_warning",
            EventKind::AgentTimeoutFailure(_) => "agent_timeout_failure",
            EventKind::Error(_) => "error",
            EventKind::ConnectionError(_) => "connection_error",
            EventKind::SystemError(_) => "system_error",
            EventKind::Unknown => return None,
        })
    }

    /// Whether this is an *agent event* in the checker's sense (docs/rules.md, "Precise
    /// points"): agent_started, agent_thinking, tool_executing, tool_completed, tool_error,
    /// agent_completed, agent_error, agent_death or agent_timeout_failure. Only these drive the
    /// run rules.
    #[must_use]
    pub fn is_agent_event(&self) -> bool {
        matches!(
            self,
            EventKind::AgentStarted(_)
                | EventKind::AgentThinking(_)
                | EventKind::ToolExecuting(_)
                | EventKind::ToolCompleted(_)
                | EventKind::ToolError(_)
                | EventKind::AgentCompleted(_)
                | EventKind::AgentError(_)
                | EventKind::AgentDeath(_)
                | EventKind::AgentTimeoutFailure(_)
        )
    }

    /// Whether this frame belongs to a run for display, without driving any rule: progress,
    /// sub-agent, partial result, final report, stream chunk, response and stopped frames, and
    /// the October manager's timeout warnings and cleanup frames.
    #[must_use]
    pub fn is_run_related(&self) -> bool {
        matches!(
            self,
            EventKind::ProgressUpdate(_)
                | EventKind::SubagentStarted(_)
                | EventKind::SubagentCompleted(_)
                | EventKind::PartialResult(_)
                | EventKind::FinalReport(_)
                | EventKind::StreamChunk(_)
                | EventKind::AgentResponse(_)
                | EventKind::AgentStopped(_)
                | EventKind::AgentTimeoutWarning(_)
                | EventKind::CleanupStarted(_)
                | EventKind::CleanupDurationEstimate(_)
                | EventKind::CleanupComplete(_)
        )
    }

    /// Whether the frame says the credentials were refused: an `authentication_error`, or an
    /// error whose code is `AUTH_FAILED` (docs/protocol.md §2, "Auth signal").
    #[must_use]
    pub fn is_auth_failure(&self) -> bool {
        match self {
            EventKind::AuthenticationError(_) => true,
            EventKind::Error(info) => info.code.as_deref() == Some("AUTH_FAILED"),
            _ => false,
        }
    }
}

/// `connection_established` (S1: fields in `data`).
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ConnectionEstablished {
    /// The server's connection id (`main_<hex8>`, `ws_<ms>_<n>`, a UUID, ...).
    pub connection_id: Option<String>,
    /// The connection mode (`main`, `factory`, `isolated`, `legacy`).
    pub mode: Option<String>,
    /// Feature flags the server advertises (`features`), as sent.
    pub features: Option<JsonText>,
    /// Whether the server numbers frames (`features.seq == true`, agentwire's extension).
    pub seq_supported: bool,
}

/// `authentication_success`.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AuthenticationSuccess {
    /// The server's id for this client, when given (`websocket_client_id`).
    pub client_id: Option<String>,
}

/// `agent_started`.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AgentStarted {
    /// What the agent was asked to do (`task_description`).
    pub task_description: Option<String>,
    /// The status the server reports (usually `started`).
    pub status: Option<String>,
}

/// `agent_thinking` (and the `reasoning` quirk).
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AgentThinking {
    /// The thought (`reasoning`, or its synonyms `thought` and `message`).
    pub reasoning: Option<String>,
    /// The step number, when given.
    pub step_number: Option<u64>,
    /// Progress in percent, when given.
    pub progress_percentage: Option<f64>,
}

/// `tool_executing` (and `tool_started`, `tool_call`).
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ToolExecuting {
    /// The tool (`tool_name`, or `tool`).
    pub tool_name: Option<String>,
    /// The call's parameters (`parameters`, or `tool_args`, `args`), secrets already redacted by
    /// the server.
    pub parameters: Option<JsonText>,
    /// The call id, when the server sends a non-null one.
    pub execution_id: Option<String>,
}

/// `tool_completed` (and `tool_result`).
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ToolCompleted {
    /// The tool (`tool_name`, or `tool`).
    pub tool_name: Option<String>,
    /// What the tool returned (`results`, or `result`, in any body location).
    pub results: Option<JsonText>,
    /// How long the call took, when given.
    // tsify maps any type named `Duration` to std's `{ secs, nanos }`; this one is ours.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Duration | null"))]
    pub duration: Option<Duration>,
    /// Whether the call succeeded (`success`).
    pub success: Option<bool>,
    /// The call id, when the server sends a non-null one.
    pub execution_id: Option<String>,
}

/// `tool_error`.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ToolError {
    /// The tool (`tool_name`, or `tool`).
    pub tool_name: Option<String>,
    /// The error text (`error`, `error_message` or `message`).
    pub error: Option<String>,
    /// The call id, when the server sends a non-null one.
    pub execution_id: Option<String>,
}

/// `agent_completed` (and `agent_finished`).
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AgentCompleted {
    /// The status the server reports (usually `completed`).
    pub status: Option<String>,
    /// The answer: a string, or an object (`final_response`, or `response`; without either, a
    /// text `result`, as the October 2025 manager sends its answer).
    pub final_response: Option<FinalResponse>,
    /// The structured result, when sent separately (`result`, in any body location).
    pub result: Option<JsonText>,
    /// How long the agent ran, when given.
    // tsify maps any type named `Duration` to std's `{ secs, nanos }`; this one is ours.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Duration | null"))]
    pub duration: Option<Duration>,
    /// The October 2025 manager's check of the answer (`llm_validation`), when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub llm_validation: Option<LlmValidation>,
    /// The agents that took part in the run (`agents_involved`, October 2025), when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agents_involved: Option<Vec<String>>,
}

/// `agent_completed.llm_validation` (October 2025 manager).
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LlmValidation {
    /// Whether the answer passed (`is_valid`).
    pub is_valid: Option<bool>,
    /// The validator's verdict (`validation_result`), as sent.
    pub validation_result: Option<JsonText>,
    /// How many rules the answer broke (`violations_count`).
    pub violations_count: Option<u64>,
}

/// `agent_completed.final_response`: the manager sends a string or an object.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum FinalResponse {
    /// A text answer (sometimes only the placeholder "Task completed").
    Text(String),
    /// A structured answer.
    Structured(JsonText),
}

/// `agent_error` (and `agent_failed`, `agent_fallback`).
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AgentError {
    /// The error text (`error`, `error_message` or `message`).
    pub error: Option<String>,
    /// The error's class, when given (`error_type`, often inside `error_context`).
    pub error_type: Option<String>,
    /// The status the server reports (usually `error`).
    pub status: Option<String>,
}

/// `agent_death`.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AgentDeath {
    /// Why the agent died: `timeout`, `no_heartbeat`, `silent_failure`, `memory_limit`,
    /// `cancelled`, or another string.
    pub death_cause: Option<String>,
    /// The human-readable message.
    pub message: Option<String>,
}

/// A frame whose only typed field is a status.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StatusOnly {
    /// The status the server reports.
    pub status: Option<String>,
}

/// `agent_response`.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AgentResponse {
    /// The response (`response`, `content`, `message` or `result`), as sent.
    pub response: Option<JsonText>,
}

/// `progress_update`, `agent_progress`, `agent_update`.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Progress {
    /// The human-readable message.
    pub message: Option<String>,
    /// Structured progress (`progress_data` or `progress`), as sent.
    pub progress: Option<JsonText>,
}

/// `subagent_started` and `subagent_completed`.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Subagent {
    /// The sub-agent's name.
    pub subagent_name: Option<String>,
    /// The sub-agent's id.
    pub subagent_id: Option<String>,
    /// Its result (completed only).
    pub result: Option<JsonText>,
    /// How long it ran (completed only, `duration_ms`).
    // tsify maps any type named `Duration` to std's `{ secs, nanos }`; this one is ours.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Duration | null"))]
    pub duration: Option<Duration>,
}

/// A frame carrying text (`partial_result`, `final_report`, `stream_chunk`).
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TextContent {
    /// The content (`message`, `content`, `chunk`, `report` or `result`), as sent.
    pub content: Option<JsonText>,
}

/// `thread_data`.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ThreadData {
    /// The thread's messages, as sent.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "JsonValue[]"))]
    pub messages: Vec<Value>,
}

/// A frame kept as sent, without typed fields beyond the [`Context`] (the raw JSON has the rest).
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Opaque {}

/// `heartbeat`.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Heartbeat {
    /// The server's connection id.
    pub connection_id: Option<String>,
    /// The server's counters (`stats`), as sent.
    pub stats: Option<JsonText>,
}

/// `ack`.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Ack {
    /// The client message type being acknowledged (`received_type`).
    pub received_type: Option<String>,
    /// The status (usually `acknowledged`).
    pub status: Option<String>,
}

/// `system_message` that does not wrap another event.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SystemMessage {
    /// The status (`connected`, `disconnect_acknowledged`, ...).
    pub status: Option<String>,
    /// The event name in `data.event`, when present.
    pub event: Option<String>,
    /// The human-readable message.
    pub message: Option<String>,
}

/// `resume_result` (agentwire's sequence extension).
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ResumeResult {
    /// The first sequence number replayed.
    pub from_seq: Option<u64>,
    /// The last sequence number replayed.
    pub to_seq: Option<u64>,
    /// Whether every missed frame was still held and replayed.
    pub complete: bool,
}

/// `handshake_response` (October 2025 manager). The assigned thread, run and request are in the
/// event's [`Context`].
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HandshakeResponse {
    /// A session token, when the server sends one (`session_token`). Treat it as a secret.
    pub session_token: Option<String>,
    /// The human-readable message.
    pub message: Option<String>,
}

/// `cleanup_started` (October 2025 manager).
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CleanupStarted {
    /// The connection being cleaned up after (`connection_id`).
    pub connection_id: Option<String>,
}

/// `cleanup_duration_estimate` (October 2025 manager).
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CleanupDurationEstimate {
    /// The expected duration, in seconds (`estimated_seconds`).
    pub estimated_seconds: Option<f64>,
}

/// `cleanup_complete` (October 2025 manager).
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CleanupComplete {
    /// How it went (`cleanup_status`).
    pub cleanup_status: Option<String>,
    /// How many cleanups succeeded (`successful_cleanups`).
    pub successful_cleanups: Option<u64>,
    /// How many cleanups ran (`total_cleanups`).
    pub total_cleanups: Option<u64>,
}

/// `backend_log` (October 2025 manager): server log lines forwarded to the client.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BackendLog {
    /// The log records, as sent (`messages`).
    #[cfg_attr(target_arch = "wasm32", tsify(type = "JsonValue[]"))]
    pub messages: Vec<Value>,
    /// How many records the server had (`total_count`).
    pub total_count: Option<u64>,
    /// The log sink's counters (`sink_stats`), as sent.
    pub sink_stats: Option<JsonText>,
}

/// `agent_timeout_warning` (October 2025 manager). The agent is the context's `agent_name`.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AgentTimeoutWarning {
    /// How long the agent has run, in seconds (`elapsed_seconds`).
    pub elapsed_seconds: Option<f64>,
    /// Its time limit, in seconds (`total_timeout_seconds`).
    pub total_timeout_seconds: Option<f64>,
    /// The time it has left, in seconds (`remaining_seconds`).
    pub remaining_seconds: Option<f64>,
    /// The share of the limit at which the warning is sent (`warning_threshold_percent`).
    pub warning_threshold_percent: Option<f64>,
}

/// `agent_timeout_failure` (October 2025 manager). The agent is the context's `agent_name`.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AgentTimeoutFailure {
    /// How long the agent ran, in seconds (`elapsed_seconds`).
    pub elapsed_seconds: Option<f64>,
    /// Its time limit, in seconds (`timeout_seconds`).
    pub timeout_seconds: Option<f64>,
    /// The agent's status when it was stopped (`final_status`).
    pub final_status: Option<String>,
    /// The error text (`error`, or `message`).
    pub error: Option<String>,
}

/// An error frame: `error_message` (S2 at the root, or S1 in `data`), `error`, `connection_error`,
/// `system_error` or `authentication_error`.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ErrorInfo {
    /// The machine-readable code (`error_code`, or `code`), e.g. `AUTH_FAILED`, `JSON_PARSE_ERROR`.
    pub code: Option<String>,
    /// The message (`error_message`, `message`, `error` or `user_friendly_message`).
    pub message: Option<String>,
    /// Extra details (`details`), as sent.
    pub details: Option<JsonText>,
    /// Whether the server says a retry may succeed (`retry_allowed`), when it says so.
    pub retry_allowed: Option<bool>,
    /// `warning` or `error`, when given.
    pub severity: Option<String>,
}

/// A duration as the manager reports it. Its units are mixed: `execution_time_ms` and
/// `duration_ms` are milliseconds, while `duration` and `execution_time` may be either
/// (docs/protocol.md §2), so the unit is kept rather than guessed.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Duration {
    /// The number as sent.
    pub value: f64,
    /// Its unit, when the field name says it.
    pub unit: DurationUnit,
}

/// The unit of a [`Duration`].
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DurationUnit {
    /// The field name ends in `_ms`.
    Milliseconds,
    /// The field does not say (`duration`, `execution_time`): milliseconds or seconds.
    Unspecified,
}
