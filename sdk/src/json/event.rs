//! Events as JSON: the shape of their `Serialize` derive (`type` tag, the kind's fields, the
//! context's present fields, `wire_type`), written by hand. The raw frame is not part of it:
//! the JS side holds the frame's text already (see `js/emitter.js`).

use super::{Object, WriteJson};
use crate::event::{
    Context, Duration, DurationUnit, Event, EventKind, FinalResponse, LlmValidation, RetryInfo,
};
use crate::timestamp::Timestamp;

/// A struct whose fields are members of an enclosing object (serde's `flatten`).
pub(crate) trait WriteFields {
    /// Writes this value's members into `object`.
    fn write_fields(&self, object: &mut Object<'_>);
}

impl WriteJson for Timestamp {
    fn write_json(&self, out: &mut String) {
        out.push('"');
        self.push_iso(out);
        out.push('"');
    }

    fn time(&self) -> Option<Timestamp> {
        Some(*self)
    }
}

/// Writes the typed part of `event` (everything but `raw`) into `object`, as its derive does.
#[cfg_attr(
    not(all(target_arch = "wasm32", feature = "js")),
    allow(dead_code, reason = "the JS API writes events; natively only the tests do")
)]
pub(crate) fn write_typed(event: &Event, object: &mut Object<'_>) {
    event.kind.write_fields(object);
    event.context.write_fields(object);
    object.field("wire_type", &event.wire_type);
}

impl WriteFields for Context {
    fn write_fields(&self, object: &mut Object<'_>) {
        object
            .some("user_id", &self.user_id)
            .some("thread_id", &self.thread_id)
            .some("run_id", &self.run_id)
            .some("request_id", &self.request_id)
            .some("agent_name", &self.agent_name)
            .some("timestamp", &self.timestamp)
            .some("seq", &self.seq)
            .some("attempt", &self.attempt)
            .some("retry_info", &self.retry_info);
    }
}

/// A struct written as an object of its fields, in declaration order (`None` as `null`).
macro_rules! objects {
    ($($ty:ty { $($field:ident),* })*) => {
        $(
            impl WriteFields for $ty {
                #[allow(unused_variables, reason = "a struct without fields writes nothing")]
                fn write_fields(&self, object: &mut Object<'_>) {
                    $(object.field(stringify!($field), &self.$field);)*
                }
            }

            impl WriteJson for $ty {
                fn write_json(&self, out: &mut String) {
                    let mut object = Object::open(out);
                    self.write_fields(&mut object);
                    object.close();
                }
            }
        )*
    };
}

use crate::event::{
    Ack, AgentDeath, AgentError, AgentResponse, AgentStarted, AgentThinking, AgentTimeoutFailure,
    AgentTimeoutWarning, AuthenticationSuccess, BackendLog, CleanupComplete,
    CleanupDurationEstimate, CleanupStarted, ConnectionEstablished, ErrorInfo, HandshakeResponse,
    Heartbeat, Opaque, Progress, ResumeResult, StatusOnly, Subagent, SystemMessage, TextContent,
    ThreadData, ToolCompleted, ToolError, ToolExecuting,
};

objects! {
    RetryInfo { is_retry, attempt_number, max_attempts, reason }
    ConnectionEstablished { connection_id, mode, features, seq_supported }
    AuthenticationSuccess { client_id }
    AgentStarted { task_description, status }
    AgentThinking { reasoning, step_number, progress_percentage }
    ToolExecuting { tool_name, parameters, execution_id }
    ToolCompleted { tool_name, results, duration, success, execution_id }
    ToolError { tool_name, error, execution_id }
    LlmValidation { is_valid, validation_result, violations_count }
    AgentError { error, error_type, status }
    AgentDeath { death_cause, message }
    StatusOnly { status }
    AgentResponse { response }
    Progress { message, progress }
    Subagent { subagent_name, subagent_id, result, duration }
    TextContent { content }
    ThreadData { messages }
    Opaque {}
    Heartbeat { connection_id, stats }
    Ack { received_type, status }
    SystemMessage { status, event, message }
    ResumeResult { from_seq, to_seq, complete }
    HandshakeResponse { session_token, message }
    CleanupStarted { connection_id }
    CleanupDurationEstimate { estimated_seconds }
    CleanupComplete { cleanup_status, successful_cleanups, total_cleanups }
    BackendLog { messages, total_count, sink_stats }
    AgentTimeoutWarning {
        elapsed_seconds, total_timeout_seconds, remaining_seconds, warning_threshold_percent
    }
    AgentTimeoutFailure { elapsed_seconds, timeout_seconds, final_status, error }
    ErrorInfo { code, message, details, retry_allowed, severity }
    Duration { value, unit }
}

impl WriteFields for crate::event::AgentCompleted {
    fn write_fields(&self, object: &mut Object<'_>) {
        object
            .field("status", &self.status)
            .field("final_response", &self.final_response)
            .field("result", &self.result)
            .field("duration", &self.duration)
            .some("llm_validation", &self.llm_validation)
            .some("agents_involved", &self.agents_involved);
    }
}

impl WriteJson for FinalResponse {
    fn write_json(&self, out: &mut String) {
        match self {
            FinalResponse::Text(text) => text.write_json(out),
            FinalResponse::Structured(json) => json.write_json(out),
        }
    }

    fn verbatim(&self) -> Option<(&[u8], bool)> {
        match self {
            FinalResponse::Text(text) => text.verbatim(),
            FinalResponse::Structured(json) => json.verbatim(),
        }
    }
}

impl WriteJson for DurationUnit {
    fn write_json(&self, out: &mut String) {
        out.push_str(match self {
            DurationUnit::Milliseconds => "\"milliseconds\"",
            DurationUnit::Unspecified => "\"unspecified\"",
        });
    }
}

impl WriteFields for EventKind {
    /// The `type` tag (the canonical name, `unknown` outside the vocabulary), then the kind's
    /// fields.
    fn write_fields(&self, object: &mut Object<'_>) {
        object.name("type", self.canonical_name().unwrap_or("unknown"));
        let fields: &dyn WriteFields = match self {
            EventKind::ConnectionEstablished(fields) => fields,
            EventKind::AuthenticationError(fields)
            | EventKind::Error(fields)
            | EventKind::ConnectionError(fields)
            | EventKind::SystemError(fields) => fields,
            EventKind::AuthenticationSuccess(fields) => fields,
            EventKind::AgentStarted(fields) => fields,
            EventKind::AgentThinking(fields) => fields,
            EventKind::ToolExecuting(fields) => fields,
            EventKind::ToolCompleted(fields) => fields,
            EventKind::AgentCompleted(fields) => fields,
            EventKind::ToolError(fields) => fields,
            EventKind::AgentError(fields) => fields,
            EventKind::AgentDeath(fields) => fields,
            EventKind::AgentStopped(fields) | EventKind::HeartbeatAck(fields) => fields,
            EventKind::AgentResponse(fields) => fields,
            EventKind::ProgressUpdate(fields) => fields,
            EventKind::SubagentStarted(fields) | EventKind::SubagentCompleted(fields) => fields,
            EventKind::PartialResult(fields)
            | EventKind::FinalReport(fields)
            | EventKind::StreamChunk(fields) => fields,
            EventKind::ThreadData(fields) => fields,
            EventKind::ConversationHistory(fields)
            | EventKind::AgentContext(fields)
            | EventKind::ExampleMessageResponse(fields) => fields,
            EventKind::Heartbeat(fields) => fields,
            EventKind::Ack(fields) => fields,
            EventKind::SystemMessage(fields) => fields,
            EventKind::ResumeResult(fields) => fields,
            EventKind::HandshakeResponse(fields) => fields,
            EventKind::CleanupStarted(fields) => fields,
            EventKind::CleanupDurationEstimate(fields) => fields,
            EventKind::CleanupComplete(fields) => fields,
            EventKind::BackendLog(fields) => fields,
            EventKind::AgentTimeoutWarning(fields) => fields,
            EventKind::AgentTimeoutFailure(fields) => fields,
            EventKind::ThreadCreated
            | EventKind::ThreadSwitched
            | EventKind::ThreadDeleted
            | EventKind::Ping
            | EventKind::Pong
            | EventKind::HandshakeComplete
            | EventKind::Unknown => return,
        };
        fields.write_fields(object);
    }
}
