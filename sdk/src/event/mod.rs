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
//!
//! The frame-level types ([`Event`], [`EventKind`], [`Context`]) live here; each kind's typed
//! fields in `payloads.rs`; the wire's exact text ([`RawFrame`], [`JsonText`]) in `raw.rs`. All
//! are re-exported from `agentwire::event`.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::fingerprint::Fingerprint;
use crate::timestamp::Timestamp;

mod payloads;
mod raw;

pub use payloads::{
    Ack, AgentCompleted, AgentDeath, AgentError, AgentResponse, AgentStarted, AgentThinking,
    AgentTimeoutFailure, AgentTimeoutWarning, AuthenticationSuccess, BackendLog, CleanupComplete,
    CleanupDurationEstimate, CleanupStarted, ConnectionEstablished, Duration, DurationUnit,
    ErrorInfo, FinalResponse, HandshakeResponse, Heartbeat, LlmValidation, Opaque, Progress,
    ResumeResult, StatusOnly, Subagent, SystemMessage, TextContent, ThreadData, ToolCompleted,
    ToolError, ToolExecuting,
};
pub(crate) use raw::Verbatim;
pub use raw::{JsonText, RawFrame};

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
