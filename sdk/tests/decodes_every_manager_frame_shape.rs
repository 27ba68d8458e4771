//! Golden decoding tests: every frame shape and every example of docs/protocol.md decodes to
//! the right typed event.
//!
//! Each test decodes one frame's text and asserts the canonical kind with all its typed fields,
//! the run context (user, thread, run, agent, timestamp, seq, attempt), the wire `type`, and that
//! `raw` is the input frame untouched, as text and as a JSON object (checked by [`decode_ok`] for
//! every frame).
//!
//! Sections follow the protocol document: §2 shapes S1-S6, §2 connection and auth, §2 the
//! five critical events in every envelope, §2 other run events and thread frames, §2 heartbeat
//! and acknowledgement frames, then the §2 tolerance rules (aliases, timestamps, field
//! synonyms, lookup order) and serialisation.

#![allow(
    clippy::panic,
    clippy::expect_used,
    reason = "the shared helpers fail the calling test by panicking, like the tests themselves"
)]

use agentwire::event::{
    Ack, AgentCompleted, AgentDeath, AgentError, AgentResponse, AgentStarted, AgentThinking,
    AuthenticationSuccess, ConnectionEstablished, Duration, DurationUnit, ErrorInfo, FinalResponse,
    Heartbeat, JsonObject, Opaque, Progress, ResumeResult, StatusOnly, Subagent, SystemMessage,
    TextContent, ThreadData, ToolCompleted, ToolExecuting,
};
use agentwire::{Context, Event, EventKind, Timestamp, decode};
use serde_json::{Value, json};

// ------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------

/// Python `isoformat()` of the instant most frames below carry.
const ISO: &str = "2025-09-18T14:56:14.123456+00:00";
/// [`ISO`] in microseconds since the epoch.
const ISO_MICROS: i64 = 1_758_207_374_123_456;

/// Decodes `text`, which must succeed, and checks that `raw` is exactly the input object.
fn decode_ok(text: &str) -> Event {
    let event = decode(text).unwrap_or_else(|error| panic!("{text} did not decode: {error}"));
    let input: Value = serde_json::from_str(text).expect("test frame is valid JSON");
    assert_eq!(event.raw.as_str(), text, "raw must be the frame's text exactly as received");
    assert_eq!(raw(&event), input, "raw must be the input object");
    event
}

/// The event's raw frame as a JSON value.
fn raw(event: &Event) -> Value {
    event.raw.to_value()
}

/// Decodes a frame built with `json!`.
fn decode_json(frame: &Value) -> Event {
    decode_ok(&frame.to_string())
}

fn some(text: &str) -> Option<String> {
    Some(text.to_owned())
}

/// The instant an ISO 8601 text names (the test's expectation, parsed independently).
fn iso(text: &str) -> Option<Timestamp> {
    Some(Timestamp::parse(text).unwrap_or_else(|| panic!("{text} should parse")))
}

fn micros(value: i64) -> Option<Timestamp> {
    Some(Timestamp::from_unix_micros(value))
}

fn ms(value: f64) -> Option<Duration> {
    Some(Duration { value, unit: DurationUnit::Milliseconds })
}

fn unspecified(value: f64) -> Option<Duration> {
    Some(Duration { value, unit: DurationUnit::Unspecified })
}

/// The context of the protocol's S3 examples: user u1, thread t1, run r1, at [`ISO`].
fn s3_context(agent: Option<&str>) -> Context {
    Context {
        user_id: some("u1"),
        thread_id: some("t1"),
        run_id: some("r1"),
        agent_name: agent.map(str::to_owned),
        timestamp: micros(ISO_MICROS),
        ..Context::default()
    }
}

/// The context of the protocol's S4 bridge examples: run r1, user u1, agent triage, at [`ISO`].
fn bridge_context() -> Context {
    Context {
        user_id: some("u1"),
        run_id: some("r1"),
        agent_name: some("triage"),
        timestamp: micros(ISO_MICROS),
        ..Context::default()
    }
}

fn assert_wire(event: &Event, wire_type: &str, canonical: &str) {
    assert_eq!(event.wire_type, wire_type, "wire_type");
    assert_eq!(event.name(), canonical, "canonical name");
}

fn error_info(code: Option<&str>, message: Option<&str>) -> ErrorInfo {
    ErrorInfo {
        code: code.map(str::to_owned),
        message: message.map(str::to_owned),
        ..ErrorInfo::default()
    }
}

// ------------------------------------------------------------------------------------------
// §2 Connection lifecycle and auth (S1, S2, S6)
// ------------------------------------------------------------------------------------------

#[test]
fn s1_connection_established_main_mode_reads_data_fields_and_root_epoch_timestamp() {
    // The §2 example, verbatim.
    let frame = r#"{"type":"connection_established","data":{"mode":"main","user_id":"7c9e6679...","connection_id":"main_3fa9c2d1","golden_path_events":["agent_started","agent_thinking","tool_executing","tool_completed","agent_completed"],"features":{"agent_orchestration":true},"timestamp":"2025-09-18T14:56:14.1+00:00"},"timestamp":1758207374.1,"server_id":null,"correlation_id":null}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "connection_established", "connection_established");
    assert_eq!(
        event.kind,
        EventKind::ConnectionEstablished(ConnectionEstablished {
            connection_id: some("main_3fa9c2d1"),
            mode: some("main"),
            features: Some(json!({"agent_orchestration": true}).into()),
            seq_supported: false,
        })
    );
    assert_eq!(
        event.context,
        Context {
            user_id: some("7c9e6679..."),
            timestamp: micros(1_758_207_374_100_000),
            ..Context::default()
        }
    );
    // The root epoch and data's ISO text name the same instant.
    assert_eq!(event.context.timestamp, iso("2025-09-18T14:56:14.1+00:00"));
}

#[test]
fn s1_factory_connection_established_keeps_context_object_in_raw() {
    let frame = r#"{"type":"connection_established","data":{"mode":"factory","user_id":"7c9e6679...","connection_id":"factory_9b1e","context":{"thread_id":"thread_ws_1","run_id":"run_ws_1"},"features":{},"timestamp":"2025-09-18T14:56:14.123456+00:00"},"timestamp":1758207374.123456,"server_id":null,"correlation_id":null}"#;
    let event = decode_ok(frame);
    assert_eq!(
        event.kind,
        EventKind::ConnectionEstablished(ConnectionEstablished {
            connection_id: some("factory_9b1e"),
            mode: some("factory"),
            features: Some(json!({}).into()),
            seq_supported: false,
        })
    );
    assert_eq!(event.context.user_id.as_deref(), Some("7c9e6679..."));
    assert_eq!(event.context.timestamp, micros(ISO_MICROS));
    // `data.context` is not a body location of §2; its ids stay in raw.
    assert_eq!(raw(&event)["data"]["context"]["run_id"], json!("run_ws_1"));
}

#[test]
fn old_route_system_message_with_data_event_connection_established_is_connection_established() {
    let frame = r#"{"type":"system_message","data":{"event":"connection_established","connection_id":"ws_1758207374123_7","user_id":"7c9e6679-7425-40de-944b-e07fc1f90ae7","server_time":"2025-09-18T14:56:14.123456+00:00","connection_ready":true,"environment":"staging","startup_complete":true,"config":{"heartbeat_interval":25,"max_message_size":8192},"factory_pattern_enabled":true},"timestamp":1758207374.5,"server_id":null,"correlation_id":null}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "system_message", "connection_established");
    assert_eq!(
        event.kind,
        EventKind::ConnectionEstablished(ConnectionEstablished {
            connection_id: some("ws_1758207374123_7"),
            mode: None,
            features: None,
            seq_supported: false,
        })
    );
    assert_eq!(
        event.context,
        Context {
            user_id: some("7c9e6679-7425-40de-944b-e07fc1f90ae7"),
            timestamp: micros(1_758_207_374_500_000),
            ..Context::default()
        }
    );
}

#[test]
fn s6_demo_connection_established_reads_connection_id_at_root() {
    let frame = r#"{"type":"connection_established","connection_id":"0b6f8c9e-3d2a-4a55-9c1e-2f1d7a6b5c40","message":"Welcome to the Netra AI demo!"}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "connection_established", "connection_established");
    assert_eq!(
        event.kind,
        EventKind::ConnectionEstablished(ConnectionEstablished {
            connection_id: some("0b6f8c9e-3d2a-4a55-9c1e-2f1d7a6b5c40"),
            mode: None,
            features: None,
            seq_supported: false,
        })
    );
    assert_eq!(event.context, Context::default());
}

#[test]
fn s2_error_message_auth_failed_reads_code_message_and_details_at_root() {
    // The §2 example, verbatim.
    let frame = r#"{"type":"error_message","error_code":"AUTH_FAILED","error_message":"WebSocket authentication failed. Supported formats: jwt.TOKEN, jwt-auth.TOKEN, bearer.TOKEN. Error: …","details":{},"timestamp":1758207374.2,"recovery_suggestions":null}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "error_message", "error");
    assert_eq!(
        event.kind,
        EventKind::Error(ErrorInfo {
            details: Some(json!({}).into()),
            ..error_info(
                Some("AUTH_FAILED"),
                Some(
                    "WebSocket authentication failed. Supported formats: jwt.TOKEN, jwt-auth.TOKEN, bearer.TOKEN. Error: …"
                ),
            )
        })
    );
    assert!(event.kind.is_auth_failure());
    assert_eq!(
        event.context,
        Context { timestamp: micros(1_758_207_374_200_000), ..Context::default() }
    );
}

#[test]
fn s2_error_message_json_parse_error_is_an_error_but_not_an_auth_failure() {
    let frame = r#"{"type":"error_message","error_code":"JSON_PARSE_ERROR","error_message":"Invalid JSON format","details":{"position":12},"timestamp":1758207374.25,"recovery_suggestions":["Send valid JSON"]}"#;
    let event = decode_ok(frame);
    assert_eq!(
        event.kind,
        EventKind::Error(ErrorInfo {
            details: Some(json!({"position": 12}).into()),
            ..error_info(Some("JSON_PARSE_ERROR"), Some("Invalid JSON format"))
        })
    );
    assert!(!event.kind.is_auth_failure());
    assert_eq!(event.context.timestamp, micros(1_758_207_374_250_000));
}

#[test]
fn s2_error_message_other_codes_keep_their_code() {
    for code in ["SERVICE_INIT_FAILED", "FORMAT_ERROR", "AGENT_REQUEST_ERROR"] {
        let frame = json!({"type": "error_message", "error_code": code, "error_message": "failed",
                           "details": null, "timestamp": 1_758_207_374.0, "recovery_suggestions": null});
        let event = decode_json(&frame);
        assert_eq!(event.kind, EventKind::Error(error_info(Some(code), Some("failed"))), "{code}");
        assert!(!event.kind.is_auth_failure(), "{code}");
    }
}

#[test]
fn s1_error_message_connection_error_reads_code_message_and_details_in_data() {
    let frame = r#"{"type":"error_message","data":{"error_code":"CONNECTION_ERROR","error_message":"Connection error in main mode","details":{"error_type":"RecursionError","mode":"main"},"timestamp":"2025-09-18T14:56:14.123456+00:00"},"timestamp":1758207374.123456,"server_id":null,"correlation_id":null}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "error_message", "error");
    assert_eq!(
        event.kind,
        EventKind::Error(ErrorInfo {
            details: Some(json!({"error_type": "RecursionError", "mode": "main"}).into()),
            ..error_info(Some("CONNECTION_ERROR"), Some("Connection error in main mode"))
        })
    );
    assert!(!event.kind.is_auth_failure());
    assert_eq!(event.context, Context { timestamp: micros(ISO_MICROS), ..Context::default() });
}

#[test]
fn s6_error_reads_message_at_root() {
    let frame = r#"{"type":"error","message":"Unknown message type: x"}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "error", "error");
    assert_eq!(event.kind, EventKind::Error(error_info(None, Some("Unknown message type: x"))));
    assert_eq!(event.context, Context::default());
}

#[test]
fn connection_error_reads_message_and_severity_in_data() {
    let frame = r#"{"type":"connection_error","data":{"message":"Failed to deliver agent_completed","event_type":"agent_completed","user_friendly_message":"We lost the connection to your agent","severity":"error","action_required":"refresh","support_code":"WS-CE-1"},"timestamp":"2025-09-18T14:56:14.123456+00:00","critical":true}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "connection_error", "connection_error");
    assert_eq!(
        event.kind,
        EventKind::ConnectionError(ErrorInfo {
            severity: some("error"),
            ..error_info(None, Some("Failed to deliver agent_completed"))
        })
    );
    assert!(!event.kind.is_auth_failure());
    assert_eq!(event.context, Context { timestamp: micros(ISO_MICROS), ..Context::default() });
}

#[test]
fn system_error_reads_message_and_warning_severity_in_data() {
    let frame = r#"{"type":"system_error","data":{"message":"Event queue overloaded","event_type":"system","user_friendly_message":"Things are slow right now","severity":"warning","action_required":false,"support_code":"WS-SE-2"},"timestamp":"2025-09-18T14:56:14Z","critical":true}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "system_error", "system_error");
    assert_eq!(
        event.kind,
        EventKind::SystemError(ErrorInfo {
            severity: some("warning"),
            ..error_info(None, Some("Event queue overloaded"))
        })
    );
    assert_eq!(event.context.timestamp, iso("2025-09-18T14:56:14+00:00"));
}

#[test]
fn authentication_error_is_an_auth_failure_with_code_error_text_and_retry_allowed() {
    let frame = r#"{"type":"authentication_error","event":"auth_failed","error":"Token has expired","error_code":"TOKEN_EXPIRED","timestamp":"2025-09-18T14:56:14.123456+00:00","retry_allowed":true,"ssot_authenticated":false}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "authentication_error", "authentication_error");
    assert_eq!(
        event.kind,
        EventKind::AuthenticationError(ErrorInfo {
            retry_allowed: Some(true),
            ..error_info(Some("TOKEN_EXPIRED"), Some("Token has expired"))
        })
    );
    assert!(event.kind.is_auth_failure());
    assert_eq!(event.context, Context { timestamp: micros(ISO_MICROS), ..Context::default() });
}

#[test]
fn authentication_error_without_retry_reads_retry_allowed_false() {
    let frame = r#"{"type":"authentication_error","event":"auth_failed","error":"No token","error_code":"NO_TOKEN","timestamp":"2025-09-18T14:56:14.123456+00:00","retry_allowed":false,"ssot_authenticated":false}"#;
    let event = decode_ok(frame);
    assert_eq!(
        event.kind,
        EventKind::AuthenticationError(ErrorInfo {
            retry_allowed: Some(false),
            ..error_info(Some("NO_TOKEN"), Some("No token"))
        })
    );
    assert!(event.kind.is_auth_failure());
}

#[test]
fn authentication_success_reads_client_id_and_user_id() {
    let frame = r#"{"type":"authentication_success","event":"auth_success","user_id":"7c9e6679-7425-40de-944b-e07fc1f90ae7","websocket_client_id":"ws_client_42","permissions":["read","chat"],"timestamp":"2025-09-18T14:56:14.123456+00:00","ssot_authenticated":true}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "authentication_success", "authentication_success");
    assert_eq!(
        event.kind,
        EventKind::AuthenticationSuccess(AuthenticationSuccess { client_id: some("ws_client_42") })
    );
    assert!(!event.kind.is_auth_failure());
    assert_eq!(
        event.context,
        Context {
            user_id: some("7c9e6679-7425-40de-944b-e07fc1f90ae7"),
            timestamp: micros(ISO_MICROS),
            ..Context::default()
        }
    );
}

// ------------------------------------------------------------------------------------------
// §2 The five critical events: S3 flat (the table's examples)
// ------------------------------------------------------------------------------------------

const S3_AGENT_STARTED: &str = r#"{"timestamp":"2025-09-18T14:56:14.123456+00:00","critical":true,"type":"agent_started","user_id":"u1","thread_id":"t1","agent_name":"supervisor","task_description":"Processing request","status":"started","run_id":"r1","metadata":{"user_tier":"free","is_priority_queue":false}}"#;
const S3_AGENT_THINKING: &str = r#"{"timestamp":"2025-09-18T14:56:14.123456+00:00","critical":true,"type":"agent_thinking","reasoning":"Comparing instance prices","user_id":"u1","thread_id":"t1","run_id":"r1","agent_name":"triage"}"#;
const S3_TOOL_EXECUTING: &str = r#"{"timestamp":"2025-09-18T14:56:14.123456+00:00","critical":true,"type":"tool_executing","tool_name":"cost_analyzer","tool_args":{},"parameters":{},"execution_id":null,"user_id":"u1","thread_id":"t1","run_id":"r1","status":"executing"}"#;
const S3_TOOL_COMPLETED: &str = r#"{"timestamp":"2025-09-18T14:56:14.123456+00:00","critical":true,"type":"tool_completed","tool_name":"cost_analyzer","results":{"savings_pct":31},"execution_time":0,"duration":0,"success":true,"user_id":"u1","thread_id":"t1","run_id":"r1"}"#;
const S3_AGENT_COMPLETED: &str = r#"{"timestamp":"2025-09-18T14:56:14.123456+00:00","critical":true,"type":"agent_completed","status":"completed","final_response":"Task completed","agent_name":"supervisor","metadata":{"result":{"savings_usd":1200},"execution_time_ms":5120},"user_id":"u1","thread_id":"t1","run_id":"r1"}"#;

fn started_kind() -> EventKind {
    EventKind::AgentStarted(AgentStarted {
        task_description: some("Processing request"),
        status: some("started"),
    })
}

fn thinking_kind() -> EventKind {
    EventKind::AgentThinking(AgentThinking {
        reasoning: some("Comparing instance prices"),
        step_number: None,
        progress_percentage: None,
    })
}

fn executing_kind() -> EventKind {
    EventKind::ToolExecuting(ToolExecuting {
        tool_name: some("cost_analyzer"),
        parameters: Some(json!({}).into()),
        execution_id: None,
    })
}

fn tool_completed_kind() -> EventKind {
    EventKind::ToolCompleted(ToolCompleted {
        tool_name: some("cost_analyzer"),
        results: Some(json!({"savings_pct": 31}).into()),
        duration: unspecified(0.0),
        success: Some(true),
        execution_id: None,
    })
}

fn agent_completed_kind() -> EventKind {
    EventKind::AgentCompleted(AgentCompleted {
        status: some("completed"),
        final_response: Some(FinalResponse::Text("Task completed".to_owned())),
        result: Some(json!({"savings_usd": 1200}).into()),
        duration: ms(5120.0),
        llm_validation: None,
        agents_involved: None,
    })
}

#[test]
fn s3_agent_started_reads_task_status_ids_and_agent_at_root() {
    let event = decode_ok(S3_AGENT_STARTED);
    assert_wire(&event, "agent_started", "agent_started");
    assert_eq!(event.kind, started_kind());
    assert_eq!(event.context, s3_context(Some("supervisor")));
    assert!(event.kind.is_agent_event());
}

#[test]
fn s3_agent_thinking_reads_reasoning_at_root() {
    let event = decode_ok(S3_AGENT_THINKING);
    assert_wire(&event, "agent_thinking", "agent_thinking");
    assert_eq!(event.kind, thinking_kind());
    assert_eq!(event.context, s3_context(Some("triage")));
}

#[test]
fn s3_tool_executing_reads_tool_name_and_parameters_and_null_execution_id_is_absent() {
    let event = decode_ok(S3_TOOL_EXECUTING);
    assert_wire(&event, "tool_executing", "tool_executing");
    assert_eq!(event.kind, executing_kind());
    assert_eq!(event.context, s3_context(None));
}

#[test]
fn s3_tool_completed_reads_results_duration_and_success_at_root() {
    let event = decode_ok(S3_TOOL_COMPLETED);
    assert_wire(&event, "tool_completed", "tool_completed");
    assert_eq!(event.kind, tool_completed_kind());
    assert_eq!(event.context, s3_context(None));
}

#[test]
fn s3_agent_completed_reads_placeholder_final_response_and_result_and_duration_in_metadata() {
    let event = decode_ok(S3_AGENT_COMPLETED);
    assert_wire(&event, "agent_completed", "agent_completed");
    assert_eq!(event.kind, agent_completed_kind());
    assert_eq!(event.context, s3_context(Some("supervisor")));
}

#[test]
fn s3_thinking_reads_step_number_and_progress_percentage() {
    let frame = r#"{"timestamp":"2025-09-18T14:56:14.123456+00:00","critical":true,"type":"agent_thinking","reasoning":"Step 2","step_number":2,"progress_percentage":40.5,"user_id":"u1","thread_id":"t1","run_id":"r1","request_id":"req_9","metadata":{"step_number":2,"agent_name":"triage"}}"#;
    let event = decode_ok(frame);
    assert_eq!(
        event.kind,
        EventKind::AgentThinking(AgentThinking {
            reasoning: some("Step 2"),
            step_number: Some(2),
            progress_percentage: Some(40.5),
        })
    );
    // agent_name only in metadata (§2 "metadata may contain step_number, agent_name").
    assert_eq!(event.context, Context { request_id: some("req_9"), ..s3_context(Some("triage")) });
}

#[test]
fn s3_tool_executing_with_execution_id_reads_it() {
    let frame = r#"{"timestamp":"2025-09-18T14:56:14.123456+00:00","critical":true,"type":"tool_executing","tool_name":"cost_analyzer","tool_args":{"region":"eu"},"parameters":{"region":"eu"},"execution_id":"exec_7","user_id":"u1","thread_id":"t1","run_id":"r1","status":"executing"}"#;
    let event = decode_ok(frame);
    assert_eq!(
        event.kind,
        EventKind::ToolExecuting(ToolExecuting {
            tool_name: some("cost_analyzer"),
            parameters: Some(json!({"region": "eu"}).into()),
            execution_id: some("exec_7"),
        })
    );
}

#[test]
fn s3_retry_attempt_and_request_id_land_in_context() {
    let frame = r#"{"timestamp":"2025-09-18T14:56:14.123456+00:00","critical":true,"type":"agent_started","user_id":"u1","thread_id":"t1","run_id":"r1","request_id":"req_1","agent_name":"supervisor","task_description":"Processing request","status":"started","metadata":{"user_tier":"free","is_priority_queue":false},"attempt":2}"#;
    let event = decode_ok(frame);
    assert_eq!(event.kind, started_kind());
    assert_eq!(
        event.context,
        Context { request_id: some("req_1"), attempt: Some(2), ..s3_context(Some("supervisor")) }
    );
}

// ------------------------------------------------------------------------------------------
// §2 The five critical events: S4 bridge shape (`data` wrapper, since 2025-09-14)
// ------------------------------------------------------------------------------------------

#[test]
fn s4_bridge_agent_started_reads_status_in_data_and_ids_at_root() {
    let frame = r#"{"type":"agent_started","run_id":"r1","user_id":"u1","agent_name":"triage","timestamp":"2025-09-18T14:56:14.123456+00:00","data":{"status":"started","context":{"status":"starting","phase":"initialization"},"message":"triage has started processing your request"}}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "agent_started", "agent_started");
    assert_eq!(
        event.kind,
        EventKind::AgentStarted(AgentStarted { task_description: None, status: some("started") })
    );
    assert_eq!(event.context, bridge_context());
}

#[test]
fn s4_bridge_agent_thinking_reads_reasoning_and_step_in_data() {
    let frame = r#"{"type":"agent_thinking","run_id":"r1","user_id":"u1","agent_name":"triage","timestamp":"2025-09-18T14:56:14.123456+00:00","data":{"reasoning":"Comparing instance prices","step_number":3,"progress_percentage":60,"message":"triage is thinking"}}"#;
    let event = decode_ok(frame);
    assert_eq!(
        event.kind,
        EventKind::AgentThinking(AgentThinking {
            reasoning: some("Comparing instance prices"),
            step_number: Some(3),
            progress_percentage: Some(60.0),
        })
    );
    assert_eq!(event.context, bridge_context());
}

#[test]
fn s4_bridge_tool_executing_reads_tool_name_at_root_and_parameters_in_data() {
    let frame = r#"{"type":"tool_executing","run_id":"r1","user_id":"u1","agent_name":"triage","tool_name":"cost_analyzer","timestamp":"2025-09-18T14:56:14.123456+00:00","data":{"parameters":{"api_key":"[REDACTED]"},"status":"executing","message":"triage is using cost_analyzer"}}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "tool_executing", "tool_executing");
    assert_eq!(
        event.kind,
        EventKind::ToolExecuting(ToolExecuting {
            tool_name: some("cost_analyzer"),
            parameters: Some(json!({"api_key": "[REDACTED]"}).into()),
            execution_id: None,
        })
    );
    assert_eq!(event.context, bridge_context());
}

#[test]
fn s4_bridge_tool_completed_reads_tool_name_and_results_at_root_and_duration_in_data() {
    let frame = r#"{"type":"tool_completed","run_id":"r1","user_id":"u1","agent_name":"triage","tool_name":"cost_analyzer","results":{"savings_pct":31},"timestamp":"2025-09-18T14:56:14.123456+00:00","data":{"result":{"savings_pct":31},"execution_time_ms":812,"status":"completed","message":"triage completed cost_analyzer"}}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "tool_completed", "tool_completed");
    assert_eq!(
        event.kind,
        EventKind::ToolCompleted(ToolCompleted {
            tool_name: some("cost_analyzer"),
            results: Some(json!({"savings_pct": 31}).into()),
            duration: ms(812.0),
            success: None,
            execution_id: None,
        })
    );
    assert_eq!(event.context, bridge_context());
}

#[test]
fn s4_bridge_agent_completed_reads_status_and_result_in_data() {
    let frame = r#"{"type":"agent_completed","run_id":"r1","user_id":"u1","agent_name":"triage","timestamp":"2025-09-18T14:56:14.123456+00:00","data":{"status":"completed","result":{"answer":"Switch to spot instances"},"execution_time_ms":5120,"message":"triage completed"}}"#;
    let event = decode_ok(frame);
    assert_eq!(
        event.kind,
        EventKind::AgentCompleted(AgentCompleted {
            status: some("completed"),
            final_response: None,
            result: Some(json!({"answer": "Switch to spot instances"}).into()),
            duration: ms(5120.0),
            llm_validation: None,
            agents_involved: None,
        })
    );
    assert_eq!(event.context, bridge_context());
}

#[test]
fn s4_bridge_trace_and_event_id_are_kept_in_raw_only() {
    let frame = r#"{"type":"agent_started","run_id":"r1","user_id":"u1","agent_name":"triage","timestamp":"2025-09-18T14:56:14.123456+00:00","data":{"status":"started"},"trace":{"span_id":"s1"},"event_id":"evt_1"}"#;
    let event = decode_ok(frame);
    assert_eq!(
        event.kind,
        EventKind::AgentStarted(AgentStarted { task_description: None, status: some("started") })
    );
    assert_eq!(event.context, bridge_context());
    assert_eq!(raw(&event)["event_id"], json!("evt_1"));
}

// ------------------------------------------------------------------------------------------
// §2 The five critical events: old S4 bridge shape (`payload` wrapper, before 2025-09-14)
// ------------------------------------------------------------------------------------------

#[test]
fn old_s4_payload_agent_started_reads_status_in_payload() {
    let frame = r#"{"type":"agent_started","run_id":"r1","user_id":"u1","agent_name":"triage","timestamp":"2025-09-18T14:56:14.123456+00:00","payload":{"status":"started","context":{"status":"starting"},"message":"triage has started processing your request"}}"#;
    let event = decode_ok(frame);
    assert_eq!(
        event.kind,
        EventKind::AgentStarted(AgentStarted { task_description: None, status: some("started") })
    );
    assert_eq!(event.context, bridge_context());
}

#[test]
fn old_s4_payload_agent_thinking_reads_reasoning_in_payload() {
    let frame = r#"{"type":"agent_thinking","run_id":"r1","user_id":"u1","agent_name":"triage","timestamp":"2025-09-18T14:56:14.123456+00:00","payload":{"reasoning":"Comparing instance prices","step_number":1}}"#;
    let event = decode_ok(frame);
    assert_eq!(
        event.kind,
        EventKind::AgentThinking(AgentThinking {
            reasoning: some("Comparing instance prices"),
            step_number: Some(1),
            progress_percentage: None,
        })
    );
    assert_eq!(event.context, bridge_context());
}

#[test]
fn old_s4_payload_tool_executing_reads_tool_name_at_root_and_parameters_in_payload() {
    let frame = r#"{"type":"tool_executing","run_id":"r1","user_id":"u1","agent_name":"triage","tool_name":"cost_analyzer","timestamp":"2025-09-18T14:56:14.123456+00:00","payload":{"parameters":{"region":"eu","token":"[REDACTED]"},"status":"executing"}}"#;
    let event = decode_ok(frame);
    assert_eq!(
        event.kind,
        EventKind::ToolExecuting(ToolExecuting {
            tool_name: some("cost_analyzer"),
            parameters: Some(json!({"region": "eu", "token": "[REDACTED]"}).into()),
            execution_id: None,
        })
    );
    assert_eq!(event.context, bridge_context());
}

#[test]
fn old_s4_payload_tool_completed_reads_result_and_duration_in_payload() {
    let frame = r#"{"type":"tool_completed","run_id":"r1","user_id":"u1","agent_name":"triage","tool_name":"cost_analyzer","timestamp":"2025-09-18T14:56:14.123456+00:00","payload":{"result":["a","b","...(truncated)"],"execution_time_ms":40,"status":"completed"}}"#;
    let event = decode_ok(frame);
    assert_eq!(
        event.kind,
        EventKind::ToolCompleted(ToolCompleted {
            tool_name: some("cost_analyzer"),
            results: Some(json!(["a", "b", "...(truncated)"]).into()),
            duration: ms(40.0),
            success: None,
            execution_id: None,
        })
    );
    assert_eq!(event.context, bridge_context());
}

#[test]
fn old_s4_payload_agent_completed_reads_final_response_in_payload() {
    let frame = r#"{"type":"agent_completed","run_id":"r1","user_id":"u1","agent_name":"triage","timestamp":"2025-09-18T14:56:14.123456+00:00","payload":{"status":"completed","final_response":{"summary":"Use spot"},"execution_time_ms":900}}"#;
    let event = decode_ok(frame);
    assert_eq!(
        event.kind,
        EventKind::AgentCompleted(AgentCompleted {
            status: some("completed"),
            final_response: Some(FinalResponse::Structured(json!({"summary": "Use spot"}).into())),
            result: None,
            duration: ms(900.0),
            llm_validation: None,
            agents_involved: None,
        })
    );
    assert_eq!(event.context, bridge_context());
}

// ------------------------------------------------------------------------------------------
// §2 The five critical events: S5 payload-wrapped (emit_critical_event, 2025-09-15/16) and
// the `data` wrapper of emit_critical_event (before 2025-09-14)
// ------------------------------------------------------------------------------------------

/// The event fields of the five S3 examples, without the envelope, with the kind each decodes
/// to and the agent it names.
fn critical_bodies() -> Vec<(&'static str, Value, EventKind, Option<&'static str>)> {
    vec![
        (
            "agent_started",
            json!({"agent_name": "supervisor", "task_description": "Processing request",
                   "status": "started", "user_id": "u1", "thread_id": "t1", "run_id": "r1"}),
            started_kind(),
            Some("supervisor"),
        ),
        (
            "agent_thinking",
            json!({"reasoning": "Comparing instance prices", "agent_name": "triage",
                   "user_id": "u1", "thread_id": "t1", "run_id": "r1"}),
            thinking_kind(),
            Some("triage"),
        ),
        (
            "tool_executing",
            json!({"tool_name": "cost_analyzer", "tool_args": {}, "parameters": {},
                   "execution_id": null, "status": "executing",
                   "user_id": "u1", "thread_id": "t1", "run_id": "r1"}),
            executing_kind(),
            None,
        ),
        (
            "tool_completed",
            json!({"tool_name": "cost_analyzer", "results": {"savings_pct": 31},
                   "execution_time": 0, "duration": 0, "success": true,
                   "user_id": "u1", "thread_id": "t1", "run_id": "r1"}),
            tool_completed_kind(),
            None,
        ),
        (
            "agent_completed",
            json!({"status": "completed", "final_response": "Task completed",
                   "agent_name": "supervisor", "result": {"savings_usd": 1200},
                   "execution_time_ms": 5120, "user_id": "u1", "thread_id": "t1", "run_id": "r1"}),
            agent_completed_kind(),
            Some("supervisor"),
        ),
    ]
}

#[test]
fn s5_payload_wrapped_critical_events_read_every_field_inside_payload() {
    for (kind, body, expected, agent) in critical_bodies() {
        let mut payload = body;
        payload["timestamp"] = json!(ISO);
        let frame = json!({"type": kind, "payload": payload});
        let event = decode_json(&frame);
        assert_wire(&event, kind, kind);
        assert_eq!(event.kind, expected, "{kind}");
        assert_eq!(event.context, s3_context(agent), "{kind}");
    }
}

#[test]
fn emit_critical_event_data_wrapper_reads_fields_in_data_and_naive_root_timestamp() {
    // `{"type", "data": <event>, "timestamp": datetime.utcnow().isoformat(), "critical": true}`.
    for (kind, body, expected, agent) in critical_bodies() {
        let frame = json!({"type": kind, "data": body,
                           "timestamp": "2025-09-18T14:56:14.123456", "critical": true});
        let event = decode_json(&frame);
        assert_wire(&event, kind, kind);
        assert_eq!(event.kind, expected, "{kind}");
        assert_eq!(event.context, s3_context(agent), "{kind}");
    }
}

// ------------------------------------------------------------------------------------------
// §2 Mock wrappers: system_message / agent_progress / agent_response_complete
// ------------------------------------------------------------------------------------------

#[test]
fn mock_agent_progress_wrapping_tool_executing_reads_fields_in_data_payload() {
    // The §2 mock example, completed with an S1 envelope.
    let frame = r#"{"type":"agent_progress","data":{"event":"tool_executing","type":"tool_executing","payload":{"tool_name":"analysis_tool","parameters":{"query":"gpu costs"},"run_id":"r1","thread_id":"t1","user_id":"u1"}},"timestamp":1758207374.123456,"server_id":null,"correlation_id":null}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "agent_progress", "tool_executing");
    assert_eq!(
        event.kind,
        EventKind::ToolExecuting(ToolExecuting {
            tool_name: some("analysis_tool"),
            parameters: Some(json!({"query": "gpu costs"}).into()),
            execution_id: None,
        })
    );
    assert_eq!(event.context, s3_context(None));
}

#[test]
fn every_wrapper_type_wrapping_each_critical_event_decodes_as_that_event() {
    for wrapper in ["system_message", "agent_progress", "agent_response_complete"] {
        for (kind, body, expected, agent) in critical_bodies() {
            let frame = json!({
                "type": wrapper,
                "data": {"event": kind, "type": kind, "payload": body},
                "timestamp": ISO,
                "server_id": null,
                "correlation_id": null,
            });
            let event = decode_json(&frame);
            assert_wire(&event, wrapper, kind);
            assert_eq!(event.kind, expected, "{wrapper} wrapping {kind}");
            assert_eq!(event.context, s3_context(agent), "{wrapper} wrapping {kind}");
        }
    }
}

#[test]
fn wrapper_naming_the_event_only_in_data_type_is_unwrapped() {
    // §2: "whose `data.type` is one of the five events".
    let frame = r#"{"type":"system_message","data":{"type":"agent_thinking","payload":{"reasoning":"Looking at invoices"}},"timestamp":1758207374.0}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "system_message", "agent_thinking");
    assert_eq!(
        event.kind,
        EventKind::AgentThinking(AgentThinking {
            reasoning: some("Looking at invoices"),
            step_number: None,
            progress_percentage: None,
        })
    );
    assert_eq!(event.context.timestamp, micros(1_758_207_374_000_000));
}

#[test]
fn agent_progress_not_wrapping_a_critical_event_is_progress_update() {
    let frame = r#"{"type":"agent_progress","data":{"message":"Analysing 3 of 5 accounts","progress":{"current":3,"total":5},"run_id":"r1"},"timestamp":1758207374.0}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "agent_progress", "progress_update");
    assert_eq!(
        event.kind,
        EventKind::ProgressUpdate(Progress {
            message: some("Analysing 3 of 5 accounts"),
            progress: Some(json!({"current": 3, "total": 5}).into()),
        })
    );
    assert_eq!(event.context.run_id.as_deref(), Some("r1"));
    assert!(!event.kind.is_agent_event());
    assert!(event.kind.is_run_related());
}

#[test]
fn agent_response_complete_not_wrapping_a_critical_event_is_agent_response() {
    let frame = r#"{"type":"agent_response_complete","data":{"response":"All done","run_id":"r1"},"timestamp":1758207374.0}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "agent_response_complete", "agent_response");
    assert_eq!(
        event.kind,
        EventKind::AgentResponse(AgentResponse { response: Some(json!("All done").into()) })
    );
    assert_eq!(event.context.run_id.as_deref(), Some("r1"));
}

#[test]
fn system_message_wrapping_a_non_critical_type_stays_a_system_message() {
    let frame = r#"{"type":"system_message","data":{"type":"agent_error","event":"agent_error","message":"Mock agent failed","status":"error"},"timestamp":1758207374.0}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "system_message", "system_message");
    assert_eq!(
        event.kind,
        EventKind::SystemMessage(SystemMessage {
            status: some("error"),
            event: some("agent_error"),
            message: some("Mock agent failed"),
        })
    );
}

// ------------------------------------------------------------------------------------------
// §2 Type aliases
// ------------------------------------------------------------------------------------------

#[test]
fn reasoning_with_a_reasoning_field_is_agent_thinking() {
    // The emitter quirk (§2): the data's `"type":"reasoning"` overwrites `agent_thinking`.
    let frame = r#"{"timestamp":"2025-09-18T14:56:14.123456+00:00","critical":true,"type":"reasoning","reasoning":"Comparing instance prices","agent_name":"triage","step_number":1,"user_id":"u1","thread_id":"t1","run_id":"r1"}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "reasoning", "agent_thinking");
    assert_eq!(
        event.kind,
        EventKind::AgentThinking(AgentThinking {
            reasoning: some("Comparing instance prices"),
            step_number: Some(1),
            progress_percentage: None,
        })
    );
    assert_eq!(event.context, s3_context(Some("triage")));
}

#[test]
fn reasoning_with_the_reasoning_field_in_data_is_agent_thinking() {
    let frame = r#"{"type":"reasoning","run_id":"r1","data":{"reasoning":"Checking quotas"}}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "reasoning", "agent_thinking");
    assert_eq!(
        event.kind,
        EventKind::AgentThinking(AgentThinking {
            reasoning: some("Checking quotas"),
            step_number: None,
            progress_percentage: None,
        })
    );
}

#[test]
fn reasoning_without_a_reasoning_field_is_unknown_and_keeps_everything_in_raw() {
    let frame = r#"{"type":"reasoning","thought":"not a reasoning field","run_id":"r1"}"#;
    let event = decode_ok(frame);
    assert_eq!(event.kind, EventKind::Unknown);
    assert_eq!(event.wire_type, "reasoning");
    assert_eq!(event.name(), "reasoning");
    assert_eq!(event.context.run_id.as_deref(), Some("r1"));
    assert_eq!(raw(&event)["thought"], json!("not a reasoning field"));
}

#[test]
fn reasoning_with_an_empty_reasoning_field_is_unknown() {
    let event = decode_ok(r#"{"type":"reasoning","reasoning":""}"#);
    assert_eq!(event.kind, EventKind::Unknown);
}

#[test]
fn tool_started_and_tool_call_are_tool_executing() {
    for wire in ["tool_started", "tool_call"] {
        let frame = json!({"type": wire, "tool": "web_search", "tool_args": {"q": "gpu"},
                           "run_id": "r1", "timestamp": ISO});
        let event = decode_json(&frame);
        assert_wire(&event, wire, "tool_executing");
        assert_eq!(
            event.kind,
            EventKind::ToolExecuting(ToolExecuting {
                tool_name: some("web_search"),
                parameters: Some(json!({"q": "gpu"}).into()),
                execution_id: None,
            }),
            "{wire}"
        );
        assert_eq!(event.context.run_id.as_deref(), Some("r1"));
        assert_eq!(event.context.timestamp, micros(ISO_MICROS));
    }
}

#[test]
fn tool_result_is_tool_completed() {
    let frame = r#"{"type":"tool_result","tool_name":"web_search","result":{"hits":3},"execution_time":1.5,"success":false,"run_id":"r1"}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "tool_result", "tool_completed");
    assert_eq!(
        event.kind,
        EventKind::ToolCompleted(ToolCompleted {
            tool_name: some("web_search"),
            results: Some(json!({"hits": 3}).into()),
            duration: unspecified(1.5),
            success: Some(false),
            execution_id: None,
        })
    );
}

#[test]
fn agent_failed_and_agent_fallback_are_agent_error() {
    for wire in ["agent_failed", "agent_fallback"] {
        let frame = json!({"type": wire, "error": "LLM quota exhausted", "status": "error",
                           "agent_name": "optimizer", "run_id": "r1"});
        let event = decode_json(&frame);
        assert_wire(&event, wire, "agent_error");
        assert_eq!(
            event.kind,
            EventKind::AgentError(AgentError {
                error: some("LLM quota exhausted"),
                error_type: None,
                status: some("error"),
            }),
            "{wire}"
        );
        assert_eq!(event.context.agent_name.as_deref(), Some("optimizer"));
    }
}

#[test]
fn agent_finished_is_agent_completed() {
    let frame = r#"{"type":"agent_finished","status":"completed","final_response":"Done","run_id":"r1","agent_name":"supervisor"}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "agent_finished", "agent_completed");
    assert_eq!(
        event.kind,
        EventKind::AgentCompleted(AgentCompleted {
            status: some("completed"),
            final_response: Some(FinalResponse::Text("Done".to_owned())),
            result: None,
            duration: None,
            llm_validation: None,
            agents_involved: None,
        })
    );
}

#[test]
fn agent_update_and_agent_progress_are_progress_update() {
    for wire in ["agent_update", "agent_progress"] {
        let frame = json!({"type": wire, "message": "Half way", "progress": 50, "run_id": "r1"});
        let event = decode_json(&frame);
        assert_wire(&event, wire, "progress_update");
        assert_eq!(
            event.kind,
            EventKind::ProgressUpdate(Progress {
                message: some("Half way"),
                progress: Some(json!(50).into()),
            }),
            "{wire}"
        );
    }
}

#[test]
fn error_message_and_error_are_error() {
    for wire in ["error_message", "error"] {
        let frame = json!({"type": wire, "message": "Something broke"});
        let event = decode_json(&frame);
        assert_wire(&event, wire, "error");
        assert_eq!(
            event.kind,
            EventKind::Error(error_info(None, Some("Something broke"))),
            "{wire}"
        );
    }
}

#[test]
fn agent_response_reads_the_response_in_data() {
    // `legacy_response` is sent as `agent_response` through S1 (§2).
    let frame = r#"{"type":"agent_response","data":{"response":{"content":"Here is your plan"},"thread_id":"t1","run_id":"r1"},"timestamp":1758207374.123456,"server_id":null,"correlation_id":null}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "agent_response", "agent_response");
    assert_eq!(
        event.kind,
        EventKind::AgentResponse(AgentResponse {
            response: Some(json!({"content": "Here is your plan"}).into()),
        })
    );
    assert_eq!(
        event.context,
        Context {
            thread_id: some("t1"),
            run_id: some("r1"),
            timestamp: micros(ISO_MICROS),
            ..Context::default()
        }
    );
}

#[test]
fn s1_mock_agent_response_reads_content_before_message() {
    // `AgentRequestHandler`'s mock answer: `content` and `message` carry the same text.
    let frame = r#"{"type":"agent_response","data":{"status":"success","content":"Agent response for: hi","message":"Agent response for: hi","agents_involved":["triage"],"orchestration_time":0.8,"response_time":0.8,"turn_id":"turn_1","user_id":"u1","real_llm_used":false},"timestamp":1758207374.5,"server_id":null,"correlation_id":null}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "agent_response", "agent_response");
    assert_eq!(
        event.kind,
        EventKind::AgentResponse(AgentResponse {
            response: Some(json!("Agent response for: hi").into())
        })
    );
    assert_eq!(
        event.context,
        Context {
            user_id: some("u1"),
            timestamp: micros(1_758_207_374_500_000),
            ..Context::default()
        }
    );
}

#[test]
fn agent_response_reads_content_message_or_result_synonyms() {
    for (key, value) in
        [("content", json!("c")), ("message", json!("m")), ("result", json!({"r": 1}))]
    {
        let frame = json!({"type": "agent_response", "payload": {key: value.clone()}});
        let event = decode_json(&frame);
        assert_eq!(
            event.kind,
            EventKind::AgentResponse(AgentResponse { response: Some(value.into()) }),
            "{key}"
        );
    }
}

// ------------------------------------------------------------------------------------------
// §2 Other agent and run events
// ------------------------------------------------------------------------------------------

#[test]
fn s4_bridge_agent_error_reads_error_message_and_error_context_error_type_in_data() {
    let frame = r#"{"type":"agent_error","run_id":"r1","user_id":"u1","agent_name":"triage","timestamp":"2025-09-18T14:56:14.123456+00:00","data":{"status":"error","error_message":"Rate limit exceeded","error_context":{"error_type":"RateLimitError","agent_step":"tool_execution","user_facing":true},"message":"triage encountered an error"}}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "agent_error", "agent_error");
    assert_eq!(
        event.kind,
        EventKind::AgentError(AgentError {
            error: some("Rate limit exceeded"),
            error_type: some("RateLimitError"),
            status: some("error"),
        })
    );
    assert_eq!(event.context, bridge_context());
    assert!(event.kind.is_agent_event());
}

#[test]
fn s3_emitter_agent_error_reads_error_and_epoch_float_timestamp() {
    let frame = r#"{"type":"agent_error","error":"Timeout while calling the model","status":"error","timestamp":1758207374.654321,"critical":true}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "agent_error", "agent_error");
    assert_eq!(
        event.kind,
        EventKind::AgentError(AgentError {
            error: some("Timeout while calling the model"),
            error_type: None,
            status: some("error"),
        })
    );
    assert_eq!(
        event.context,
        Context { timestamp: micros(1_758_207_374_654_321), ..Context::default() }
    );
}

#[test]
fn demo_agent_error_reads_agent_field_as_agent_name() {
    let frame = r#"{"type":"agent_error","agent":"demo_optimizer","run_id":"8e1c4f0a-1b2c-4d3e-9f00-aa11bb22cc33","error":"Demo pipeline failed","message":"Something went wrong in the demo","timestamp":"2025-09-18T14:56:14.123456+00:00"}"#;
    let event = decode_ok(frame);
    assert_eq!(
        event.kind,
        EventKind::AgentError(AgentError {
            error: some("Demo pipeline failed"),
            error_type: None,
            status: None,
        })
    );
    assert_eq!(
        event.context,
        Context {
            run_id: some("8e1c4f0a-1b2c-4d3e-9f00-aa11bb22cc33"),
            agent_name: some("demo_optimizer"),
            timestamp: micros(ISO_MICROS),
            ..Context::default()
        }
    );
}

#[test]
fn s4_agent_death_reads_death_cause_and_message_in_data() {
    for cause in ["timeout", "no_heartbeat", "silent_failure", "memory_limit", "cancelled"] {
        let frame = json!({
            "type": "agent_death", "run_id": "r1", "user_id": "u1", "agent_name": "triage",
            "timestamp": ISO,
            "data": {"status": "dead", "death_cause": cause,
                     "death_context": {"last_heartbeat": 1_758_207_300.0},
                     "message": "The agent stopped responding",
                     "recovery_action": "refresh_required"},
        });
        let event = decode_json(&frame);
        assert_wire(&event, "agent_death", "agent_death");
        assert_eq!(
            event.kind,
            EventKind::AgentDeath(AgentDeath {
                death_cause: some(cause),
                message: some("The agent stopped responding"),
            }),
            "{cause}"
        );
        assert_eq!(event.context, bridge_context());
        assert!(event.kind.is_agent_event());
    }
}

#[test]
fn s4_progress_update_reads_progress_data_and_message_in_data() {
    let frame = r#"{"type":"progress_update","run_id":"r1","user_id":"u1","agent_name":"triage","timestamp":"2025-09-18T14:56:14.123456+00:00","data":{"status":"progress","progress_data":{"percent":40,"stage":"collect"},"message":"Collecting billing data"}}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "progress_update", "progress_update");
    assert_eq!(
        event.kind,
        EventKind::ProgressUpdate(Progress {
            message: some("Collecting billing data"),
            progress: Some(json!({"percent": 40, "stage": "collect"}).into()),
        })
    );
    assert_eq!(event.context, bridge_context());
}

#[test]
fn s3_progress_update_reads_progress_and_message_at_root() {
    let frame = r#"{"type":"progress_update","progress":75,"message":"Almost there","timestamp":"2025-09-18T14:56:14.123456+00:00","critical":false}"#;
    let event = decode_ok(frame);
    assert_eq!(
        event.kind,
        EventKind::ProgressUpdate(Progress {
            message: some("Almost there"),
            progress: Some(json!(75).into())
        })
    );
    assert_eq!(event.context, Context { timestamp: micros(ISO_MICROS), ..Context::default() });
}

#[test]
fn s4_subagent_started_reads_name_and_id_in_data() {
    let frame = r#"{"type":"subagent_started","run_id":"r1","user_id":"u1","agent_name":"triage","timestamp":"2025-09-18T14:56:14.123456+00:00","data":{"subagent_name":"data_helper","subagent_id":"sub_1"}}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "subagent_started", "subagent_started");
    assert_eq!(
        event.kind,
        EventKind::SubagentStarted(Subagent {
            subagent_name: some("data_helper"),
            subagent_id: some("sub_1"),
            result: None,
            duration: None,
        })
    );
    assert_eq!(event.context, bridge_context());
    assert!(event.kind.is_run_related());
}

#[test]
fn s4_subagent_completed_reads_result_and_duration_ms_as_milliseconds() {
    let frame = r#"{"type":"subagent_completed","run_id":"r1","user_id":"u1","agent_name":"triage","timestamp":"2025-09-18T14:56:14.123456+00:00","data":{"subagent_name":"data_helper","subagent_id":"sub_1","result":{"rows":120},"duration_ms":1234}}"#;
    let event = decode_ok(frame);
    assert_eq!(
        event.kind,
        EventKind::SubagentCompleted(Subagent {
            subagent_name: some("data_helper"),
            subagent_id: some("sub_1"),
            result: Some(json!({"rows": 120}).into()),
            duration: ms(1234.0),
        })
    );
    assert_eq!(event.context, bridge_context());
}

#[test]
fn agent_stopped_bare_has_no_status() {
    let event = decode_ok(r#"{"type":"agent_stopped"}"#);
    assert_wire(&event, "agent_stopped", "agent_stopped");
    assert_eq!(event.kind, EventKind::AgentStopped(StatusOnly { status: None }));
    assert_eq!(event.context, Context::default());
}

#[test]
fn agent_stopped_with_payload_reads_status_in_payload() {
    let event = decode_ok(r#"{"type":"agent_stopped","payload":{"status":"stopped"}}"#);
    assert_eq!(event.kind, EventKind::AgentStopped(StatusOnly { status: some("stopped") }));
}

#[test]
fn legacy_agent_completed_reads_the_response_object_in_payload() {
    let frame = r#"{"type":"agent_completed","payload":{"status":"completed","result":{"report":"Reduce idle GPUs"},"thread_id":"thread_12","run_id":"run_34"}}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "agent_completed", "agent_completed");
    assert_eq!(
        event.kind,
        EventKind::AgentCompleted(AgentCompleted {
            status: some("completed"),
            final_response: None,
            result: Some(json!({"report": "Reduce idle GPUs"}).into()),
            duration: None,
            llm_validation: None,
            agents_involved: None,
        })
    );
    assert_eq!(
        event.context,
        Context { thread_id: some("thread_12"), run_id: some("run_34"), ..Context::default() }
    );
}

#[test]
fn legacy_agent_completed_with_a_non_object_payload_decodes_and_keeps_it_in_raw() {
    let event = decode_ok(r#"{"type":"agent_completed","payload":"Plain text answer"}"#);
    assert_eq!(event.kind, EventKind::AgentCompleted(AgentCompleted::default()));
    assert_eq!(raw(&event)["payload"], json!("Plain text answer"));
}

#[test]
fn s5_partial_result_reads_message_agent_and_timestamp_in_payload() {
    let frame = r#"{"type":"partial_result","payload":{"message":"Found 3 idle clusters so far","example_message_id":"ex_1","timestamp":"2025-09-18T14:56:14.123456+00:00","agent_name":"example_processor"}}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "partial_result", "partial_result");
    assert_eq!(
        event.kind,
        EventKind::PartialResult(TextContent {
            content: Some(json!("Found 3 idle clusters so far").into())
        })
    );
    assert_eq!(
        event.context,
        Context {
            agent_name: some("example_processor"),
            timestamp: micros(ISO_MICROS),
            ..Context::default()
        }
    );
}

#[test]
fn declared_final_report_and_stream_chunk_read_their_content() {
    let event = decode_ok(r#"{"type":"final_report","report":{"savings":1200},"run_id":"r1"}"#);
    assert_wire(&event, "final_report", "final_report");
    assert_eq!(
        event.kind,
        EventKind::FinalReport(TextContent { content: Some(json!({"savings": 1200}).into()) })
    );
    let event = decode_ok(r#"{"type":"stream_chunk","data":{"chunk":"Hel"},"run_id":"r1"}"#);
    assert_wire(&event, "stream_chunk", "stream_chunk");
    assert_eq!(
        event.kind,
        EventKind::StreamChunk(TextContent { content: Some(json!("Hel").into()) })
    );
}

#[test]
fn declared_tool_error_reads_tool_and_error_text() {
    let frame = r#"{"type":"tool_error","tool_name":"cost_analyzer","error":"division by zero","execution_id":"exec_7","run_id":"r1"}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "tool_error", "tool_error");
    assert_eq!(
        event.kind,
        EventKind::ToolError(agentwire::event::ToolError {
            tool_name: some("cost_analyzer"),
            error: some("division by zero"),
            execution_id: some("exec_7"),
        })
    );
}

// --- Thread frames (S5) ---

#[test]
fn s5_thread_created_reads_numeric_thread_id_and_epoch_timestamp() {
    let event = decode_ok(
        r#"{"type":"thread_created","payload":{"thread_id":42,"timestamp":1758207374.75}}"#,
    );
    assert_wire(&event, "thread_created", "thread_created");
    assert_eq!(event.kind, EventKind::ThreadCreated);
    assert_eq!(
        event.context,
        Context {
            thread_id: some("42"),
            timestamp: micros(1_758_207_374_750_000),
            ..Context::default()
        }
    );
}

#[test]
fn s5_thread_created_reads_string_thread_id() {
    let event = decode_ok(
        r#"{"type":"thread_created","payload":{"thread_id":"thread_abc123","timestamp":1758207374}}"#,
    );
    assert_eq!(event.kind, EventKind::ThreadCreated);
    assert_eq!(event.context.thread_id.as_deref(), Some("thread_abc123"));
    assert_eq!(event.context.timestamp, micros(1_758_207_374_000_000));
}

#[test]
fn s5_thread_switched_and_thread_deleted_read_thread_id() {
    let event = decode_ok(r#"{"type":"thread_switched","payload":{"thread_id":"thread_2"}}"#);
    assert_wire(&event, "thread_switched", "thread_switched");
    assert_eq!(event.kind, EventKind::ThreadSwitched);
    assert_eq!(event.context, Context { thread_id: some("thread_2"), ..Context::default() });

    let event = decode_ok(r#"{"type":"thread_deleted","payload":{"thread_id":"thread_3"}}"#);
    assert_wire(&event, "thread_deleted", "thread_deleted");
    assert_eq!(event.kind, EventKind::ThreadDeleted);
    assert_eq!(event.context, Context { thread_id: some("thread_3"), ..Context::default() });
}

#[test]
fn s5_thread_data_reads_messages_as_sent() {
    let frame = r#"{"type":"thread_data","payload":{"thread_id":"thread_2","messages":[{"id":"m1","role":"user","content":"Cut my GPU spend","timestamp":1758207300.0,"metadata":{}},{"id":"m2","role":"assistant","content":"Here is a plan","timestamp":1758207310.0,"metadata":{"run_id":"r1"}}],"metadata":{"title":"GPU costs"}}}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "thread_data", "thread_data");
    assert_eq!(
        event.kind,
        EventKind::ThreadData(ThreadData {
            messages: vec![
                json!({"id": "m1", "role": "user", "content": "Cut my GPU spend",
                       "timestamp": 1_758_207_300.0, "metadata": {}})
                .into(),
                json!({"id": "m2", "role": "assistant", "content": "Here is a plan",
                       "timestamp": 1_758_207_310.0, "metadata": {"run_id": "r1"}})
                .into(),
            ],
        })
    );
    // The messages' own timestamps and run ids are not the frame's.
    assert_eq!(event.context, Context { thread_id: some("thread_2"), ..Context::default() });
}

#[test]
fn s5_thread_data_without_messages_has_an_empty_list() {
    let event = decode_ok(r#"{"type":"thread_data","payload":{"thread_id":"thread_2"}}"#);
    assert_eq!(event.kind, EventKind::ThreadData(ThreadData { messages: vec![] }));
}

#[test]
fn s5_conversation_history_is_opaque_and_keeps_history_in_raw() {
    let frame = r#"{"type":"conversation_history","payload":{"history":[{"role":"user","content":"hi"}],"session_token":"sess_1"}}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "conversation_history", "conversation_history");
    assert_eq!(event.kind, EventKind::ConversationHistory(Opaque {}));
    assert_eq!(event.context, Context::default());
    assert_eq!(raw(&event)["payload"]["history"][0]["content"], json!("hi"));
}

#[test]
fn s5_agent_context_is_opaque_and_keeps_context_in_raw() {
    let frame = r#"{"type":"agent_context","payload":{"context":{"budget":5000},"session_token":"sess_1"}}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "agent_context", "agent_context");
    assert_eq!(event.kind, EventKind::AgentContext(Opaque {}));
    assert_eq!(event.context, Context::default());
}

#[test]
fn s5_example_message_response_is_opaque_and_keeps_fields_in_raw() {
    let frame = r#"{"type":"example_message_response","payload":{"status":"completed","message_id":"ex_1","result":{"answer":"ok"},"processing_time_ms":1500,"business_insights":["a"]}}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "example_message_response", "example_message_response");
    assert_eq!(event.kind, EventKind::ExampleMessageResponse(Opaque {}));
    assert_eq!(event.context, Context::default());
}

// ------------------------------------------------------------------------------------------
// §2 Heartbeat and acknowledgement frames
// ------------------------------------------------------------------------------------------

#[test]
fn s1_heartbeat_reads_connection_id_and_stats_in_data() {
    let frame = r#"{"type":"heartbeat","data":{"connection_id":"main_3fa9c2d1","timestamp":"2025-09-18T14:56:14.123456+00:00","stats":{"messages_processed":4,"agent_events_processed":1}},"timestamp":1758207374.123456,"server_id":null,"correlation_id":null}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "heartbeat", "heartbeat");
    assert_eq!(
        event.kind,
        EventKind::Heartbeat(Heartbeat {
            connection_id: some("main_3fa9c2d1"),
            stats: Some(json!({"messages_processed": 4, "agent_events_processed": 1}).into()),
        })
    );
    assert_eq!(event.context, Context { timestamp: micros(ISO_MICROS), ..Context::default() });
}

#[test]
fn test_endpoint_heartbeat_with_iso_timestamp_at_root() {
    let event = decode_ok(r#"{"type":"heartbeat","timestamp":"2025-09-18T14:56:14.123456"}"#);
    assert_eq!(event.kind, EventKind::Heartbeat(Heartbeat::default()));
    assert_eq!(event.context.timestamp, micros(ISO_MICROS));
}

#[test]
fn s1_ping_reads_epoch_timestamp_in_data() {
    let event = decode_ok(r#"{"type":"ping","data":{"timestamp":1758207374.5}}"#);
    assert_wire(&event, "ping", "ping");
    assert_eq!(event.kind, EventKind::Ping);
    assert_eq!(
        event.context,
        Context { timestamp: micros(1_758_207_374_500_000), ..Context::default() }
    );
}

#[test]
fn s1_pong_reads_the_full_user_id_in_data() {
    let frame = r#"{"type":"pong","data":{"timestamp":1758207374.5,"user_id":"7c9e6679-7425-40de-944b-e07fc1f90ae7"},"timestamp":1758207374.5,"server_id":null,"correlation_id":null}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "pong", "pong");
    assert_eq!(event.kind, EventKind::Pong);
    assert_eq!(
        event.context,
        Context {
            user_id: some("7c9e6679-7425-40de-944b-e07fc1f90ae7"),
            timestamp: micros(1_758_207_374_500_000),
            ..Context::default()
        }
    );
}

#[test]
fn demo_pong_is_a_bare_pong() {
    let event = decode_ok(r#"{"type":"pong"}"#);
    assert_eq!(event.kind, EventKind::Pong);
    assert_eq!(event.context, Context::default());
}

#[test]
fn s1_heartbeat_ack_reads_status_in_data() {
    let event = decode_ok(
        r#"{"type":"heartbeat_ack","data":{"timestamp":1758207374.5,"status":"healthy"},"timestamp":1758207374.5,"server_id":null,"correlation_id":null}"#,
    );
    assert_wire(&event, "heartbeat_ack", "heartbeat_ack");
    assert_eq!(event.kind, EventKind::HeartbeatAck(StatusOnly { status: some("healthy") }));
    assert_eq!(event.context.timestamp, micros(1_758_207_374_500_000));
}

#[test]
fn system_message_acks_read_status_and_user_id_in_data() {
    for status in [
        "connected",
        "disconnect_acknowledged",
        "typing_acknowledged",
        "agent_message_acknowledged",
    ] {
        let frame = json!({
            "type": "system_message",
            "data": {"status": status, "user_id": "u1", "timestamp": 1_758_207_374.5},
            "timestamp": 1_758_207_374.5, "server_id": null, "correlation_id": null,
        });
        let event = decode_json(&frame);
        assert_wire(&event, "system_message", "system_message");
        assert_eq!(
            event.kind,
            EventKind::SystemMessage(SystemMessage {
                status: some(status),
                event: None,
                message: None,
            }),
            "{status}"
        );
        assert_eq!(
            event.context,
            Context {
                user_id: some("u1"),
                timestamp: micros(1_758_207_374_500_000),
                ..Context::default()
            }
        );
    }
}

#[test]
fn s1_typing_ack_with_a_non_critical_data_type_stays_a_system_message_with_thread_id() {
    // `TypingHandler` puts the client's type into `data.type`; it is not one of the five events.
    let frame = r#"{"type":"system_message","data":{"status":"typing_acknowledged","type":"user_typing","user_id":"u1","thread_id":"t1","timestamp":1758207374.5},"timestamp":1758207374.5,"server_id":null,"correlation_id":null}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "system_message", "system_message");
    assert_eq!(
        event.kind,
        EventKind::SystemMessage(SystemMessage {
            status: some("typing_acknowledged"),
            event: None,
            message: None,
        })
    );
    assert_eq!(
        event.context,
        Context {
            user_id: some("u1"),
            thread_id: some("t1"),
            timestamp: micros(1_758_207_374_500_000),
            ..Context::default()
        }
    );
}

#[test]
fn ack_reads_received_type_status_and_user_id_at_root() {
    // The §2 example, verbatim.
    let frame = r#"{"type":"ack","received_type":"session_restore","timestamp":1758207374.5,"user_id":"u1","status":"acknowledged"}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "ack", "ack");
    assert_eq!(
        event.kind,
        EventKind::Ack(Ack {
            received_type: some("session_restore"),
            status: some("acknowledged")
        })
    );
    assert_eq!(
        event.context,
        Context {
            user_id: some("u1"),
            timestamp: micros(1_758_207_374_500_000),
            ..Context::default()
        }
    );
}

#[test]
fn resume_result_reads_from_seq_to_seq_and_complete_in_data() {
    let event = decode_ok(
        r#"{"type":"resume_result","data":{"from_seq":11,"to_seq":17,"complete":true},"seq":18}"#,
    );
    assert_wire(&event, "resume_result", "resume_result");
    assert_eq!(
        event.kind,
        EventKind::ResumeResult(ResumeResult {
            from_seq: Some(11),
            to_seq: Some(17),
            complete: true
        })
    );
    assert_eq!(event.context, Context { seq: Some(18), ..Context::default() });

    let event =
        decode_ok(r#"{"type":"resume_result","data":{"from_seq":3,"to_seq":9,"complete":false}}"#);
    assert_eq!(
        event.kind,
        EventKind::ResumeResult(ResumeResult {
            from_seq: Some(3),
            to_seq: Some(9),
            complete: false
        })
    );
}

#[test]
fn connection_established_with_features_seq_true_is_seq_supported() {
    let frame = r#"{"type":"connection_established","data":{"mode":"main","user_id":"u1","connection_id":"main_00000001","features":{"agent_orchestration":true,"seq":true}},"timestamp":1758207374.0,"seq":1}"#;
    let event = decode_ok(frame);
    assert_eq!(
        event.kind,
        EventKind::ConnectionEstablished(ConnectionEstablished {
            connection_id: some("main_00000001"),
            mode: some("main"),
            features: Some(json!({"agent_orchestration": true, "seq": true}).into()),
            seq_supported: true,
        })
    );
    assert_eq!(event.context.seq, Some(1));
}

#[test]
fn connection_established_with_features_seq_false_or_not_a_bool_is_not_seq_supported() {
    for features in [json!({"seq": false}), json!({"seq": "yes"}), json!({"seq": 1})] {
        let frame = json!({"type": "connection_established",
                           "data": {"connection_id": "main_1", "features": features.clone()}});
        let event = decode_json(&frame);
        let EventKind::ConnectionEstablished(established) = event.kind else {
            panic!("not connection_established: {:?}", event.kind)
        };
        assert!(!established.seq_supported, "{features}");
        assert_eq!(established.features, Some(features.into()));
    }
}

// ------------------------------------------------------------------------------------------
// §2 Timestamps
// ------------------------------------------------------------------------------------------

fn timestamp_of(timestamp: Value) -> Option<Timestamp> {
    decode_json(&json!({"type": "agent_started", "run_id": "r1", "timestamp": timestamp}))
        .context
        .timestamp
}

#[test]
fn iso_timestamp_with_plus_00_00_offset_is_read_to_the_microsecond() {
    assert_eq!(timestamp_of(json!("2025-09-18T14:56:14.123456+00:00")), micros(ISO_MICROS));
}

#[test]
fn iso_timestamp_with_z_is_read() {
    assert_eq!(timestamp_of(json!("2025-09-18T14:56:14.123456Z")), micros(ISO_MICROS));
}

#[test]
fn naive_iso_timestamp_is_taken_as_utc() {
    assert_eq!(timestamp_of(json!("2025-09-18T14:56:14.123456")), micros(ISO_MICROS));
}

#[test]
fn iso_timestamp_with_a_non_utc_offset_is_normalised_to_utc() {
    assert_eq!(timestamp_of(json!("2025-09-18T16:56:14.123456+02:00")), micros(ISO_MICROS));
}

#[test]
fn epoch_float_seconds_timestamp_is_read() {
    assert_eq!(timestamp_of(json!(1_758_207_374.25)), micros(1_758_207_374_250_000));
}

#[test]
fn epoch_integer_seconds_timestamp_is_read() {
    assert_eq!(timestamp_of(json!(1_758_207_374_u64)), micros(1_758_207_374_000_000));
}

#[test]
fn epoch_milliseconds_above_1e12_are_read_as_milliseconds() {
    assert_eq!(timestamp_of(json!(1_758_207_374_123_u64)), micros(1_758_207_374_123_000));
    assert_eq!(timestamp_of(json!(1_758_207_374_123.5)), micros(1_758_207_374_123_500));
}

#[test]
fn unparseable_timestamps_are_none() {
    for bad in [
        json!("yesterday"),
        json!("2025-13-01T00:00:00Z"),
        json!("2025-09-18T14:56:14+25:00"),
        json!(""),
        json!(null),
        json!(true),
        json!({"iso": ISO}),
        json!(1e300),
    ] {
        assert_eq!(timestamp_of(bad.clone()), None, "{bad}");
    }
}

#[test]
fn a_frame_without_a_timestamp_has_none() {
    let event = decode_ok(r#"{"type":"agent_started","run_id":"r1"}"#);
    assert_eq!(event.context.timestamp, None);
}

#[test]
fn epoch_timestamp_past_year_9999_is_out_of_range_and_absent() {
    // timestamp.rs: "Returns `None` for a non-finite value or one outside the years 0000 to
    // 9999"; docs/rules.md: "An unparseable or out-of-range timestamp counts as absent".
    assert_eq!(timestamp_of(json!(253_402_300_800.0)), None);
    assert_eq!(timestamp_of(json!(253_402_300_800_000_u64)), None);
}

#[test]
fn epoch_timestamp_at_the_last_second_of_year_9999_is_read() {
    assert_eq!(timestamp_of(json!(253_402_300_799_u64)), micros(253_402_300_799_000_000));
}

// ------------------------------------------------------------------------------------------
// §2 Field synonyms
// ------------------------------------------------------------------------------------------

fn tool_completed_fields(frame: &Value) -> ToolCompleted {
    match decode_json(frame).kind {
        EventKind::ToolCompleted(fields) => fields,
        other => panic!("not tool_completed: {other:?}"),
    }
}

fn agent_completed_fields(frame: &Value) -> AgentCompleted {
    match decode_json(frame).kind {
        EventKind::AgentCompleted(fields) => fields,
        other => panic!("not agent_completed: {other:?}"),
    }
}

fn thinking_text(frame: &Value) -> Option<String> {
    match decode_json(frame).kind {
        EventKind::AgentThinking(fields) => fields.reasoning,
        other => panic!("not agent_thinking: {other:?}"),
    }
}

fn executing_fields(frame: &Value) -> ToolExecuting {
    match decode_json(frame).kind {
        EventKind::ToolExecuting(fields) => fields,
        other => panic!("not tool_executing: {other:?}"),
    }
}

#[test]
fn tool_completed_results_are_read_from_results_result_data_result_or_metadata_result() {
    let expected = Some(json!({"savings_pct": 31}));
    let frames = [
        json!({"type": "tool_completed", "tool_name": "t", "results": {"savings_pct": 31}}),
        json!({"type": "tool_completed", "tool_name": "t", "result": {"savings_pct": 31}}),
        json!({"type": "tool_completed", "tool_name": "t", "data": {"result": {"savings_pct": 31}}}),
        json!({"type": "tool_completed", "tool_name": "t", "metadata": {"result": {"savings_pct": 31}}}),
    ];
    for frame in frames {
        assert_eq!(
            tool_completed_fields(&frame).results,
            expected.clone().map(Into::into),
            "{frame}"
        );
    }
}

#[test]
fn results_at_root_are_preferred_over_metadata_result() {
    let frame = json!({"type": "tool_completed", "tool_name": "t", "results": {"from": "root"},
                       "metadata": {"result": {"from": "metadata"}}});
    assert_eq!(tool_completed_fields(&frame).results, Some(json!({"from": "root"}).into()));
}

#[test]
fn duration_and_execution_time_have_an_unspecified_unit() {
    for key in ["duration", "execution_time"] {
        let frame = json!({"type": "tool_completed", "tool_name": "t", key: 2.5});
        assert_eq!(tool_completed_fields(&frame).duration, unspecified(2.5), "{key}");
    }
}

#[test]
fn execution_time_ms_and_duration_ms_are_milliseconds() {
    for key in ["execution_time_ms", "duration_ms"] {
        let frame = json!({"type": "tool_completed", "tool_name": "t", key: 812});
        assert_eq!(tool_completed_fields(&frame).duration, ms(812.0), "{key}");
    }
}

#[test]
fn durations_are_found_in_data_and_metadata() {
    let frame = json!({"type": "tool_completed", "tool_name": "t", "data": {"execution_time": 3}});
    assert_eq!(tool_completed_fields(&frame).duration, unspecified(3.0));
    let frame = json!({"type": "agent_completed", "status": "completed",
                       "metadata": {"execution_time_ms": 5120}});
    assert_eq!(agent_completed_fields(&frame).duration, ms(5120.0));
}

#[test]
fn final_response_string_is_text() {
    let frame = json!({"type": "agent_completed", "status": "completed",
                       "final_response": "Switch to spot instances"});
    assert_eq!(
        agent_completed_fields(&frame).final_response,
        Some(FinalResponse::Text("Switch to spot instances".to_owned()))
    );
}

#[test]
fn final_response_object_is_structured() {
    let frame = json!({"type": "agent_completed", "status": "completed",
                       "final_response": {"summary": "Use spot", "savings": 1200}});
    assert_eq!(
        agent_completed_fields(&frame).final_response,
        Some(FinalResponse::Structured(json!({"summary": "Use spot", "savings": 1200}).into()))
    );
}

#[test]
fn agent_completed_result_is_read_at_root_in_data_or_in_metadata() {
    let frames = [
        json!({"type": "agent_completed", "result": {"a": 1}}),
        json!({"type": "agent_completed", "data": {"result": {"a": 1}}}),
        json!({"type": "agent_completed", "final_response": "Task completed",
               "metadata": {"result": {"a": 1}}}),
    ];
    for frame in frames {
        assert_eq!(agent_completed_fields(&frame).result, Some(json!({"a": 1}).into()), "{frame}");
    }
}

#[test]
fn thinking_text_is_read_from_reasoning_thought_message_or_data_reasoning() {
    let frames = [
        json!({"type": "agent_thinking", "reasoning": "idea"}),
        json!({"type": "agent_thinking", "thought": "idea"}),
        json!({"type": "agent_thinking", "message": "idea"}),
        json!({"type": "agent_thinking", "data": {"reasoning": "idea"}}),
    ];
    for frame in frames {
        assert_eq!(thinking_text(&frame), some("idea"), "{frame}");
    }
}

#[test]
fn thinking_prefers_reasoning_over_thought_over_message() {
    let frame = json!({"type": "agent_thinking", "message": "m", "thought": "t", "reasoning": "r"});
    assert_eq!(thinking_text(&frame), some("r"));
    let frame = json!({"type": "agent_thinking", "message": "m", "thought": "t"});
    assert_eq!(thinking_text(&frame), some("t"));
}

#[test]
fn tool_name_is_read_from_tool_name_or_tool() {
    let frame = json!({"type": "tool_executing", "tool": "web_search"});
    assert_eq!(executing_fields(&frame).tool_name, some("web_search"));
    let frame = json!({"type": "tool_completed", "tool": "web_search", "results": {}});
    assert_eq!(tool_completed_fields(&frame).tool_name, some("web_search"));
    let frame = json!({"type": "tool_executing", "tool_name": "preferred", "tool": "other"});
    assert_eq!(executing_fields(&frame).tool_name, some("preferred"));
}

#[test]
fn parameters_are_read_from_parameters_or_tool_args() {
    let frame = json!({"type": "tool_executing", "tool_name": "t", "tool_args": {"q": 1}});
    assert_eq!(executing_fields(&frame).parameters, Some(json!({"q": 1}).into()));
    let frame = json!({"type": "tool_executing", "tool_name": "t", "parameters": {"p": 1},
                       "tool_args": {"q": 1}});
    assert_eq!(executing_fields(&frame).parameters, Some(json!({"p": 1}).into()));
}

// ------------------------------------------------------------------------------------------
// §2 Body location lookup order: root, payload, data, data.payload, metadata
// ------------------------------------------------------------------------------------------

fn run_id_of(frame: &Value) -> Option<String> {
    decode_json(frame).context.run_id
}

#[test]
fn a_field_at_root_and_in_data_takes_the_root_value() {
    let frame = json!({"type": "agent_started", "run_id": "root", "data": {"run_id": "data"}});
    assert_eq!(run_id_of(&frame), some("root"));
    let frame = json!({"type": "tool_executing", "tool_name": "root_tool",
                       "data": {"tool_name": "data_tool"}});
    assert_eq!(executing_fields(&frame).tool_name, some("root_tool"));
}

#[test]
fn payload_beats_data() {
    let frame = json!({"type": "agent_started", "payload": {"run_id": "payload"},
                       "data": {"run_id": "data"}});
    assert_eq!(run_id_of(&frame), some("payload"));
}

#[test]
fn data_beats_data_payload() {
    let frame = json!({"type": "agent_started",
                       "data": {"run_id": "data", "payload": {"run_id": "data.payload"}}});
    assert_eq!(run_id_of(&frame), some("data"));
}

#[test]
fn data_payload_beats_metadata() {
    let frame = json!({"type": "agent_started", "data": {"payload": {"run_id": "data.payload"}},
                       "metadata": {"run_id": "metadata"}});
    assert_eq!(run_id_of(&frame), some("data.payload"));
}

#[test]
fn metadata_is_the_last_location() {
    let frame = json!({"type": "agent_started", "metadata": {"run_id": "metadata"}});
    assert_eq!(run_id_of(&frame), some("metadata"));
}

#[test]
fn lookup_order_holds_across_all_five_locations() {
    let mut frame = json!({
        "type": "agent_started",
        "run_id": "root",
        "payload": {"run_id": "payload"},
        "data": {"run_id": "data", "payload": {"run_id": "data.payload"}},
        "metadata": {"run_id": "metadata"},
    });
    assert_eq!(run_id_of(&frame), some("root"));
    frame["run_id"] = Value::Null;
    assert_eq!(run_id_of(&frame), some("payload"));
    frame["payload"]["run_id"] = json!("");
    assert_eq!(run_id_of(&frame), some("data"));
    frame["data"]["run_id"] = Value::Null;
    assert_eq!(run_id_of(&frame), some("data.payload"));
    frame["data"]["payload"]["run_id"] = json!("");
    assert_eq!(run_id_of(&frame), some("metadata"));
    frame["metadata"]["run_id"] = Value::Null;
    assert_eq!(run_id_of(&frame), None);
}

#[test]
fn empty_string_at_root_counts_as_absent_and_falls_through_to_data() {
    let frame = json!({"type": "agent_started", "run_id": "", "user_id": "",
                       "data": {"run_id": "r1", "user_id": "u1"}});
    let event = decode_json(&frame);
    assert_eq!(event.context.run_id.as_deref(), Some("r1"));
    assert_eq!(event.context.user_id.as_deref(), Some("u1"));
}

#[test]
fn null_at_root_counts_as_absent_and_falls_through_to_data() {
    let frame = json!({"type": "tool_completed", "tool_name": null, "results": null,
                       "thread_id": null,
                       "data": {"tool_name": "t", "result": {"ok": true}, "thread_id": "t1"}});
    let event = decode_json(&frame);
    assert_eq!(event.context.thread_id.as_deref(), Some("t1"));
    let EventKind::ToolCompleted(fields) = event.kind else { panic!("not tool_completed") };
    assert_eq!(fields.tool_name, some("t"));
    assert_eq!(fields.results, Some(json!({"ok": true}).into()));
}

#[test]
fn empty_and_null_everywhere_are_absent() {
    let frame = json!({"type": "agent_thinking", "reasoning": "", "thought": null,
                       "user_id": "", "thread_id": null, "agent_name": "",
                       "data": {"reasoning": null, "run_id": ""}});
    let event = decode_json(&frame);
    assert_eq!(
        event.kind,
        EventKind::AgentThinking(AgentThinking {
            reasoning: None,
            step_number: None,
            progress_percentage: None,
        })
    );
    assert_eq!(event.context, Context::default());
}

#[test]
fn empty_timestamp_at_root_falls_through_to_data_timestamp() {
    let frame = json!({"type": "heartbeat", "timestamp": "", "data": {"timestamp": ISO}});
    assert_eq!(decode_json(&frame).context.timestamp, micros(ISO_MICROS));
    let frame = json!({"type": "heartbeat", "timestamp": null, "data": {"timestamp": ISO}});
    assert_eq!(decode_json(&frame).context.timestamp, micros(ISO_MICROS));
}

#[test]
fn root_timestamp_beats_data_timestamp() {
    let frame = json!({"type": "heartbeat", "timestamp": 1_758_207_374.0,
                       "data": {"timestamp": ISO}});
    assert_eq!(decode_json(&frame).context.timestamp, micros(1_758_207_374_000_000));
}

#[test]
fn agent_name_is_read_from_agent_name_or_demo_agent_in_any_location() {
    let frame = json!({"type": "agent_started", "data": {"agent_name": "triage"}});
    assert_eq!(decode_json(&frame).context.agent_name.as_deref(), Some("triage"));
    let frame = json!({"type": "agent_started", "agent": "demo"});
    assert_eq!(decode_json(&frame).context.agent_name.as_deref(), Some("demo"));
}

// ------------------------------------------------------------------------------------------
// Unknown types, numeric ids, envelope fields
// ------------------------------------------------------------------------------------------

#[test]
fn an_unknown_type_is_kept_as_an_opaque_event_with_everything_in_raw() {
    let frame = r#"{"type":"mcp_tool_list","data":{"tools":[{"name":"a"}],"run_id":"r9"},"user_id":"u1","timestamp":"2025-09-18T14:56:14.123456+00:00","extra":[1,2,3]}"#;
    let event = decode_ok(frame);
    assert_eq!(event.kind, EventKind::Unknown);
    assert_eq!(event.wire_type, "mcp_tool_list");
    assert_eq!(event.name(), "mcp_tool_list");
    assert_eq!(event.kind.canonical_name(), None);
    assert!(!event.kind.is_agent_event());
    assert_eq!(
        event.context,
        Context {
            user_id: some("u1"),
            run_id: some("r9"),
            timestamp: micros(ISO_MICROS),
            ..Context::default()
        }
    );
    let expected: JsonObject = serde_json::from_str(frame).expect("test frame is a JSON object");
    assert_eq!(event.raw.to_object(), expected);
}

#[test]
fn old_test_endpoint_frames_are_unknown_but_decode() {
    for wire in ["echo_response", "session_started", "message_queued", "session_restored"] {
        let event = decode_json(&json!({"type": wire, "timestamp": ISO}));
        assert_eq!(event.kind, EventKind::Unknown, "{wire}");
        assert_eq!(event.wire_type, wire);
        assert_eq!(event.context.timestamp, micros(ISO_MICROS));
    }
}

#[test]
fn numeric_ids_become_their_decimal_text() {
    let frame =
        r#"{"type":"agent_started","thread_id":42,"user_id":7,"run_id":1001,"request_id":5}"#;
    let event = decode_ok(frame);
    assert_eq!(
        event.context,
        Context {
            user_id: some("7"),
            thread_id: some("42"),
            run_id: some("1001"),
            request_id: some("5"),
            ..Context::default()
        }
    );
}

#[test]
fn numeric_execution_id_and_subagent_id_become_text() {
    let frame = json!({"type": "tool_executing", "tool_name": "t", "execution_id": 9});
    assert_eq!(executing_fields(&frame).execution_id, some("9"));
    let event = decode_json(&json!({"type": "subagent_started", "data": {"subagent_id": 3}}));
    let EventKind::SubagentStarted(subagent) = event.kind else { panic!("not subagent_started") };
    assert_eq!(subagent.subagent_id, some("3"));
}

#[test]
fn seq_and_attempt_at_root_land_in_context() {
    let frame = json!({"type": "tool_completed", "tool_name": "t", "results": {},
                       "run_id": "r1", "seq": 17, "attempt": 3});
    let event = decode_json(&frame);
    assert_eq!(event.context.seq, Some(17));
    assert_eq!(event.context.attempt, Some(3));
}

#[test]
fn recovered_replays_decode_like_the_original_with_the_flag_in_raw() {
    let original = decode_ok(S3_TOOL_COMPLETED);
    let mut replay: Value = serde_json::from_str(S3_TOOL_COMPLETED).expect("valid JSON");
    replay["recovered"] = json!(true);
    let event = decode_json(&replay);
    assert_eq!(event.kind, original.kind);
    assert_eq!(event.context, original.context);
    assert_eq!(raw(&event)["recovered"], json!(true));
}

// ------------------------------------------------------------------------------------------
// JSON-level tolerance (docs/rules.md "Parsing"): escapes, repeated keys, odd envelopes
// ------------------------------------------------------------------------------------------

#[test]
fn escaped_string_values_are_unescaped() {
    let frame = r#"{"type":"agent_thinking","reasoning":"line\nbreak \"quoted\" caf\u00e9 \ud83d\ude80","run_id":"r\/1"}"#;
    let event = decode_ok(frame);
    assert_eq!(
        event.kind,
        EventKind::AgentThinking(AgentThinking {
            reasoning: some("line\nbreak \"quoted\" café 🚀"),
            step_number: None,
            progress_percentage: None,
        })
    );
    assert_eq!(event.context.run_id.as_deref(), Some("r/1"));
}

#[test]
fn keys_spelled_with_escapes_are_the_same_keys() {
    let frame = r#"{"t\u0079pe":"tool_executing","tool\u005fname":"cost_analyzer","d\u0061ta":{"run\u005fid":"r1"}}"#;
    let event = decode_ok(frame);
    assert_eq!(event.wire_type, "tool_executing");
    assert_eq!(
        event.kind,
        EventKind::ToolExecuting(ToolExecuting {
            tool_name: some("cost_analyzer"),
            parameters: None,
            execution_id: None,
        })
    );
    assert_eq!(event.context.run_id.as_deref(), Some("r1"));
}

#[test]
fn repeated_keys_take_the_last_value_at_root_and_in_nested_locations() {
    let frame = r#"{"type":"agent_started","type":"tool_executing","tool_name":"first","tool_name":"last","data":{"run_id":"old"},"data":{"run_id":"new","payload":{"user_id":"u0"},"payload":{"user_id":"u1"}}}"#;
    let event = decode_ok(frame);
    assert_wire(&event, "tool_executing", "tool_executing");
    assert_eq!(
        event.kind,
        EventKind::ToolExecuting(ToolExecuting {
            tool_name: some("last"),
            parameters: None,
            execution_id: None,
        })
    );
    assert_eq!(event.context.run_id.as_deref(), Some("new"));
    assert_eq!(event.context.user_id.as_deref(), Some("u1"));
}

#[test]
fn pretty_printed_frames_decode_and_keep_their_text() {
    let frame = "{\n  \"type\": \"agent_started\",\n  \"run_id\" : \"r1\",\n\t\"data\": { \"status\": \"started\" }\n}\n";
    let event = decode_ok(frame);
    assert_eq!(
        event.kind,
        EventKind::AgentStarted(AgentStarted { task_description: None, status: some("started") })
    );
    assert_eq!(event.context.run_id.as_deref(), Some("r1"));
}

#[test]
fn exponent_and_integer_spellings_of_epoch_timestamps_are_read() {
    assert_eq!(timestamp_of(json!(1.758_207_374_5e9)), micros(1_758_207_374_500_000));
    let event = decode_ok(r#"{"type":"ping","timestamp":1.7582073745E9}"#);
    assert_eq!(event.context.timestamp, micros(1_758_207_374_500_000));
    let event = decode_ok(r#"{"type":"ping","timestamp":1758207374123}"#);
    assert_eq!(event.context.timestamp, micros(1_758_207_374_123_000));
}

#[test]
fn non_object_envelopes_are_skipped_not_errors() {
    let frame = r#"{"type":"agent_started","run_id":"r1","payload":["not","an","object"],"data":"text","metadata":null}"#;
    let event = decode_ok(frame);
    assert_eq!(
        event.kind,
        EventKind::AgentStarted(AgentStarted { task_description: None, status: None })
    );
    assert_eq!(event.context, Context { run_id: some("r1"), ..Context::default() });

    let frame = r#"{"type":"tool_completed","data":{"payload":7,"tool_name":"t","result":[1]}}"#;
    let fields = tool_completed_fields(&raw(&decode_ok(frame)));
    assert_eq!(fields.tool_name, some("t"));
    assert_eq!(fields.results, Some(json!([1]).into()));
}

#[test]
fn fields_nested_deeper_than_data_payload_are_not_looked_up() {
    let frame = r#"{"type":"agent_started","data":{"payload":{"payload":{"run_id":"too_deep"}}},"payload":{"data":{"run_id":"payload.data"}}}"#;
    let event = decode_ok(frame);
    assert_eq!(event.context.run_id, None);
}

#[test]
fn seq_that_is_not_a_non_negative_integer_is_absent() {
    for seq in [json!(-1), json!(1.5), json!("3"), json!(null)] {
        let event = decode_json(&json!({"type": "ping", "seq": seq.clone()}));
        assert_eq!(event.context.seq, None, "{seq}");
    }
    let event = decode_json(&json!({"type": "ping", "seq": u64::MAX}));
    assert_eq!(event.context.seq, Some(u64::MAX));
}

// ------------------------------------------------------------------------------------------
// Serialisation
// ------------------------------------------------------------------------------------------

fn serialised(text: &str) -> Value {
    serde_json::to_value(decode_ok(text)).expect("an event serialises")
}

#[test]
fn serialised_reasoning_has_the_canonical_type_and_the_wire_type() {
    let frame = r#"{"type":"reasoning","reasoning":"Comparing instance prices","run_id":"r1","user_id":"u1","timestamp":"2025-09-18T14:56:14.123456+00:00"}"#;
    let value = serialised(frame);
    assert_eq!(value["type"], json!("agent_thinking"));
    assert_eq!(value["wire_type"], json!("reasoning"));
    assert_eq!(value["reasoning"], json!("Comparing instance prices"));
    assert_eq!(value["run_id"], json!("r1"));
    assert_eq!(value["user_id"], json!("u1"));
    assert_eq!(value["timestamp"], json!("2025-09-18T14:56:14.123456Z"));
    assert_eq!(value["raw"], serde_json::from_str::<Value>(frame).expect("valid JSON"));
    // Absent context fields are left out.
    assert!(value.get("thread_id").is_none());
    assert!(value.get("seq").is_none());
}

#[test]
fn serialised_aliases_use_canonical_names() {
    let cases = [
        (r#"{"type":"tool_result","tool_name":"t","results":{}}"#, "tool_completed", "tool_result"),
        (r#"{"type":"tool_call","tool_name":"t"}"#, "tool_executing", "tool_call"),
        (r#"{"type":"agent_finished","status":"completed"}"#, "agent_completed", "agent_finished"),
        (r#"{"type":"agent_failed","error":"x"}"#, "agent_error", "agent_failed"),
        (r#"{"type":"agent_update","message":"x"}"#, "progress_update", "agent_update"),
        (r#"{"type":"error_message","error_code":"AUTH_FAILED"}"#, "error", "error_message"),
        (
            r#"{"type":"agent_progress","data":{"type":"tool_executing","payload":{"tool_name":"t"}}}"#,
            "tool_executing",
            "agent_progress",
        ),
        (
            r#"{"type":"system_message","data":{"event":"connection_established","connection_id":"c"}}"#,
            "connection_established",
            "system_message",
        ),
    ];
    for (frame, canonical, wire) in cases {
        let value = serialised(frame);
        assert_eq!(value["type"], json!(canonical), "{frame}");
        assert_eq!(value["wire_type"], json!(wire), "{frame}");
    }
}

#[test]
fn serialised_fields_use_the_wire_snake_case_names() {
    let value = serialised(S3_TOOL_COMPLETED);
    assert_eq!(value["type"], json!("tool_completed"));
    assert_eq!(value["tool_name"], json!("cost_analyzer"));
    assert_eq!(value["results"], json!({"savings_pct": 31}));
    assert_eq!(value["duration"], json!({"value": 0.0, "unit": "unspecified"}));
    assert_eq!(value["success"], json!(true));

    let value = serialised(S3_AGENT_COMPLETED);
    assert_eq!(value["final_response"], json!("Task completed"));
    assert_eq!(value["duration"], json!({"value": 5120.0, "unit": "milliseconds"}));
}

#[test]
fn serialised_unit_variants_carry_only_their_type_and_context() {
    let value = serialised(r#"{"type":"pong","data":{"user_id":"u1"}}"#);
    assert_eq!(
        value,
        json!({"type": "pong", "user_id": "u1", "wire_type": "pong",
               "raw": {"type": "pong", "data": {"user_id": "u1"}}})
    );
}

#[test]
fn serialised_unknown_event_keeps_its_wire_type_and_raw() {
    let frame = r#"{"type":"mcp_tool_list","run_id":"r9","tools":[]}"#;
    let value = serialised(frame);
    assert_eq!(value["wire_type"], json!("mcp_tool_list"));
    assert_eq!(value["run_id"], json!("r9"));
    assert_eq!(value["raw"], serde_json::from_str::<Value>(frame).expect("valid JSON"));
}
