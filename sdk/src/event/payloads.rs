//! The typed fields of each kind of event: one struct per [`EventKind`](super::EventKind)
//! variant that carries fields (docs/protocol.md §2, §6), with the wire's field names and the
//! synonyms each one is read from.

use serde::Serialize;

use super::JsonText;

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
    pub messages: Vec<JsonText>,
}

/// A frame kept as sent, without typed fields beyond the [`Context`](super::Context) (the raw
/// JSON has the rest).
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
/// event's [`Context`](super::Context).
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
    pub messages: Vec<JsonText>,
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
