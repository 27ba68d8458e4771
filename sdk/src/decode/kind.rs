//! From a scanned frame to its [`EventKind`]: the wire `type` resolved to a canonical tag
//! (aliases collapse, wrapper frames unwrap), then each kind's fields read with their synonyms.

use std::borrow::Cow;

use super::body::{Captured, Field, Loc, Scan};
use super::names::Names;
use super::raw_json;
use crate::event::{
    Ack, AgentCompleted, AgentDeath, AgentError, AgentResponse, AgentStarted, AgentThinking,
    AgentTimeoutFailure, AgentTimeoutWarning, AuthenticationSuccess, BackendLog, CleanupComplete,
    CleanupDurationEstimate, CleanupStarted, ConnectionEstablished, ErrorInfo, EventKind,
    FinalResponse, HandshakeResponse, Heartbeat, JsonText, LlmValidation, Opaque, Progress,
    ResumeResult, StatusOnly, Subagent, SystemMessage, TextContent, ThreadData, ToolCompleted,
    ToolError, ToolExecuting,
};

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

/// The type names and their aliases, as a table (`names.rs`), with the kind of each.
macro_rules! tag_names {
    ($($name:literal => $tag:ident),* $(,)?) => {
        const TAG_NAMES: Names<{ [$($name),*].len() }> = Names::new([$($name),*]);
        const TAG_OF_NAME: [Tag; [$($name),*].len()] = [$(Tag::$tag),*];
    };
}

// The alias table of docs/protocol.md §2 (wrappers are resolved by `resolve_tag`).
tag_names! {
    "connection_established" => ConnectionEstablished,
    "authentication_error" => AuthenticationError,
    "authentication_success" => AuthenticationSuccess,
    "agent_started" => AgentStarted,
    "agent_thinking" => AgentThinking,
    "tool_executing" => ToolExecuting,
    "tool_started" => ToolExecuting,
    "tool_call" => ToolExecuting,
    "tool_completed" => ToolCompleted,
    "tool_result" => ToolCompleted,
    "agent_completed" => AgentCompleted,
    "agent_finished" => AgentCompleted,
    "tool_error" => ToolError,
    "agent_error" => AgentError,
    "agent_failed" => AgentError,
    "agent_fallback" => AgentError,
    "agent_death" => AgentDeath,
    "agent_stopped" => AgentStopped,
    "agent_response" => AgentResponse,
    "agent_response_complete" => AgentResponse,
    "progress_update" => ProgressUpdate,
    "agent_progress" => ProgressUpdate,
    "agent_update" => ProgressUpdate,
    "subagent_started" => SubagentStarted,
    "subagent_completed" => SubagentCompleted,
    "partial_result" => PartialResult,
    "final_report" => FinalReport,
    "stream_chunk" => StreamChunk,
    "thread_created" => ThreadCreated,
    "thread_switched" => ThreadSwitched,
    "thread_deleted" => ThreadDeleted,
    "thread_data" => ThreadData,
    "conversation_history" => ConversationHistory,
    "agent_context" => AgentContext,
    "example_message_response" => ExampleMessageResponse,
    "heartbeat" => Heartbeat,
    "ping" => Ping,
    "pong" => Pong,
    "heartbeat_ack" => HeartbeatAck,
    "ack" => Ack,
    "system_message" => SystemMessage,
    "resume_result" => ResumeResult,
    "error_message" => Error,
    "error" => Error,
    "connection_error" => ConnectionError,
    "system_error" => SystemError,
    "handshake_response" => HandshakeResponse,
    "handshake_complete" => HandshakeComplete,
    "cleanup_started" => CleanupStarted,
    "cleanup_duration_estimate" => CleanupDurationEstimate,
    "cleanup_complete" => CleanupComplete,
    "backend_log" => BackendLog,
    "agent_timeout_warning" => AgentTimeoutWarning,
    "agent_timeout_failure" => AgentTimeoutFailure,
}

impl Tag {
    /// The alias table of docs/protocol.md §2 (wrappers are resolved by [`resolve_tag`]).
    fn of_name(name: &str) -> Tag {
        TAG_NAMES
            .find(name)
            .and_then(|index| TAG_OF_NAME.get(index).copied())
            .unwrap_or(Tag::Unknown)
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
    // `bytes::equal`, not a `match` on the strings: that compiled to calls to `memcmp` (a byte
    // loop in wasm) for every frame.
    let is = |name: &str| crate::bytes::equal_str(wire_type, name);
    let system_message = is("system_message");
    if system_message || is("agent_progress") || is("agent_update") || is("agent_response_complete")
    {
        if system_message && inner_name(Field::Event).as_deref() == Some("connection_established") {
            return Tag::ConnectionEstablished;
        }
        // The October 2025 wrapper (§6): `{"type":"system_message","event":<agent event>,
        // "payload":{...}}`; its fields are in `payload`, a body location already.
        if system_message {
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
        return wrapped.unwrap_or_else(|| Tag::of_name(wire_type));
    }
    // The emitter's quirk: a thinking event arrives as `"type":"reasoning"` with a
    // `reasoning` field. Without that field it is not recognisably a thought.
    if is("reasoning") && body.get(Field::Reasoning).is_some() {
        return Tag::AgentThinking;
    }
    Tag::of_name(wire_type)
}

/// Error text synonyms, most specific first.
const ERROR_TEXT: &[Field] =
    &[Field::ErrorMessage, Field::Error, Field::Message, Field::UserFriendlyMessage];

/// The event kind of a frame whose wire `type` is `wire_type`.
pub(super) fn decode_kind(wire_type: &str, body: &Scan<'_>) -> EventKind {
    match resolve_tag(wire_type, body) {
        Tag::ConnectionEstablished => {
            let features = body.json(&[Field::Features]);
            let seq_supported = features
                .as_ref()
                .and_then(|features| {
                    let members = raw_json::members(features.as_str())?;
                    raw_json::member(&members, "seq").and_then(raw_json::as_bool)
                })
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
            llm_validation: super::object_members(body, Field::LlmValidation).map(|object| {
                let get = |key| raw_json::member(&object, key);
                LlmValidation {
                    is_valid: get("is_valid").and_then(raw_json::as_bool),
                    validation_result: get("validation_result")
                        .filter(|value| *value != "null")
                        .map(JsonText::new),
                    violations_count: get("violations_count").and_then(raw_json::as_u64),
                }
            }),
            agents_involved: match body.get(Field::AgentsInvolved) {
                Some(Captured::Raw(raw)) => raw_json::elements(raw).map(|names| {
                    names
                        .into_iter()
                        .filter_map(|name| raw_json::as_str(name).map(Cow::into_owned))
                        .collect()
                }),
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
                let context = super::object_members(body, Field::ErrorContext)?;
                raw_json::member(&context, "error_type")
                    .and_then(raw_json::as_str)
                    .map(Cow::into_owned)
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
        Tag::ThreadData => EventKind::ThreadData(ThreadData { messages: messages(body) }),
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
            messages: messages(body),
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

/// `messages` (`thread_data`, `backend_log`): each element of the array, as sent.
fn messages(body: &Scan<'_>) -> Vec<JsonText> {
    match body.get(Field::Messages) {
        Some(Captured::Raw(raw)) => raw_json::elements(raw)
            .map(|elements| elements.into_iter().map(JsonText::new).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
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
