//! Golden decoding tests for the October 2025 manager (docs/protocol.md §6): every new
//! frame type, every new optional field, the October field spellings in every body location,
//! and the `system_message` wrapper with a root `event`.
//!
//! The frames follow the shapes the manager authors' own client reads; each test decodes one
//! frame and asserts the canonical kind with all its typed fields and the run context.

#![allow(
    clippy::panic,
    clippy::expect_used,
    reason = "the helpers fail the calling test by panicking, like the tests themselves"
)]

use agentwire::event::{
    AgentCompleted, AgentThinking, AgentTimeoutFailure, AgentTimeoutWarning, BackendLog,
    CleanupComplete, CleanupDurationEstimate, CleanupStarted, FinalResponse, HandshakeResponse,
    LlmValidation, RetryInfo, ToolCompleted, ToolExecuting,
};
use agentwire::{Checker, CheckerConfig, Context, Event, EventKind, Timestamp, decode};
use serde_json::{Value, json};

const ISO: &str = "2025-10-31T09:15:02.250000+00:00";

fn decode_json(frame: &Value) -> Event {
    let text = frame.to_string();
    let event = decode(&text).unwrap_or_else(|error| panic!("{text} did not decode: {error}"));
    assert_eq!(event.raw.as_str(), text, "raw is the frame exactly as received");
    event
}

fn some(text: &str) -> Option<String> {
    Some(text.to_owned())
}

fn at() -> Option<Timestamp> {
    Timestamp::parse(ISO)
}

// ------------------------------------------------------------------------------------------
// Handshake
// ------------------------------------------------------------------------------------------

#[test]
fn handshake_response_carries_the_assigned_thread_at_the_root() {
    let event = decode_json(&json!({
        "type": "handshake_response", "thread_id": "thread_5f2a", "run_id": "run_9",
        "request_id": "req_3", "session_token": "st_abc", "timestamp": ISO,
        "message": "Handshake ready"
    }));
    assert_eq!(
        event.kind,
        EventKind::HandshakeResponse(HandshakeResponse {
            session_token: some("st_abc"),
            message: some("Handshake ready"),
        })
    );
    assert_eq!(
        event.context,
        Context {
            thread_id: some("thread_5f2a"),
            run_id: some("run_9"),
            request_id: some("req_3"),
            timestamp: at(),
            ..Context::default()
        }
    );
    assert_eq!(event.name(), "handshake_response");
}

#[test]
fn a_minimal_handshake_response_and_handshake_complete_decode() {
    let event = decode_json(&json!({"type": "handshake_response", "thread_id": "thread_1"}));
    assert_eq!(event.kind, EventKind::HandshakeResponse(HandshakeResponse::default()));
    assert_eq!(event.context.thread_id.as_deref(), Some("thread_1"));
    let event = decode_json(&json!({"type": "handshake_complete"}));
    assert_eq!(event.kind, EventKind::HandshakeComplete);
    assert_eq!(event.name(), "handshake_complete");
}

// ------------------------------------------------------------------------------------------
// Cleanup, logs and timeouts
// ------------------------------------------------------------------------------------------

#[test]
fn cleanup_frames_read_their_data_fields() {
    let started = decode_json(&json!({
        "type": "cleanup_started", "run_id": "r1", "data": {"connection_id": "conn_7"}
    }));
    assert_eq!(
        started.kind,
        EventKind::CleanupStarted(CleanupStarted { connection_id: some("conn_7") })
    );
    assert_eq!(started.context.run_id.as_deref(), Some("r1"));
    assert!(started.kind.is_run_related() && !started.kind.is_agent_event());

    let estimate = decode_json(&json!({
        "type": "cleanup_duration_estimate", "data": {"estimated_seconds": 2.5}
    }));
    assert_eq!(
        estimate.kind,
        EventKind::CleanupDurationEstimate(CleanupDurationEstimate {
            estimated_seconds: Some(2.5)
        })
    );

    let complete = decode_json(&json!({
        "type": "cleanup_complete",
        "data": {"cleanup_status": "success", "successful_cleanups": 3, "total_cleanups": 4}
    }));
    assert_eq!(
        complete.kind,
        EventKind::CleanupComplete(CleanupComplete {
            cleanup_status: some("success"),
            successful_cleanups: Some(3),
            total_cleanups: Some(4),
        })
    );
}

#[test]
fn backend_log_keeps_its_root_messages_count_and_sink_stats() {
    let event = decode_json(&json!({
        "type": "backend_log",
        "messages": [{"level": "INFO", "message": "agent ready"}, {"level": "WARN", "message": "slow"}],
        "total_count": 2,
        "sink_stats": {"dropped": 0}
    }));
    assert_eq!(
        event.kind,
        EventKind::BackendLog(BackendLog {
            messages: vec![
                json!({"level": "INFO", "message": "agent ready"}).into(),
                json!({"level": "WARN", "message": "slow"}).into(),
            ],
            total_count: Some(2),
            sink_stats: Some(json!({"dropped": 0}).into()),
        })
    );
}

#[test]
fn agent_timeout_warning_reads_every_number_and_the_agent() {
    let event = decode_json(&json!({
        "type": "agent_timeout_warning", "agent_name": "optimizer", "run_id": "r1",
        "elapsed_seconds": 240.5, "total_timeout_seconds": 300, "remaining_seconds": 59.5,
        "warning_threshold_percent": 80
    }));
    assert_eq!(
        event.kind,
        EventKind::AgentTimeoutWarning(AgentTimeoutWarning {
            elapsed_seconds: Some(240.5),
            total_timeout_seconds: Some(300.0),
            remaining_seconds: Some(59.5),
            warning_threshold_percent: Some(80.0),
        })
    );
    assert_eq!(event.context.agent_name.as_deref(), Some("optimizer"));
    assert!(event.kind.is_run_related() && !event.kind.is_agent_event());
}

#[test]
fn agent_timeout_failure_is_an_agent_event_with_error_or_message() {
    let event = decode_json(&json!({
        "type": "agent_timeout_failure", "agent_name": "optimizer", "run_id": "r1",
        "elapsed_seconds": 300.2, "timeout_seconds": 300, "final_status": "timeout",
        "error": "Agent exceeded 300s"
    }));
    assert_eq!(
        event.kind,
        EventKind::AgentTimeoutFailure(AgentTimeoutFailure {
            elapsed_seconds: Some(300.2),
            timeout_seconds: Some(300.0),
            final_status: some("timeout"),
            error: some("Agent exceeded 300s"),
        })
    );
    assert!(event.kind.is_agent_event());
    let with_message = decode_json(&json!({
        "type": "agent_timeout_failure", "payload": {"message": "took too long"}
    }));
    let EventKind::AgentTimeoutFailure(failure) = with_message.kind else { panic!("kind") };
    assert_eq!(failure.error.as_deref(), Some("took too long"));
}

// ------------------------------------------------------------------------------------------
// The October field spellings, in every body location
// ------------------------------------------------------------------------------------------

/// Puts `fields` flat at the root, in `payload`, in `data` and in `data.payload`.
fn in_every_location(kind: &str, fields: &Value) -> Vec<Value> {
    let mut flat = fields.clone();
    if let Some(object) = flat.as_object_mut() {
        object.insert("type".into(), kind.into());
    }
    vec![
        flat,
        json!({"type": kind, "payload": fields}),
        json!({"type": kind, "data": fields}),
        json!({"type": kind, "data": {"payload": fields}}),
    ]
}

#[test]
fn thought_is_the_thinking_text_in_every_body_location() {
    for frame in in_every_location("agent_thinking", &json!({"thought": "Checking invoices"})) {
        assert_eq!(
            decode_json(&frame).kind,
            EventKind::AgentThinking(AgentThinking {
                reasoning: some("Checking invoices"),
                ..AgentThinking::default()
            }),
            "{frame}"
        );
    }
}

#[test]
fn tool_and_input_are_the_tool_name_and_parameters_in_every_body_location() {
    let fields = json!({"tool": "cost_analyzer", "input": {"month": "2025-09"}});
    for frame in in_every_location("tool_executing", &fields) {
        assert_eq!(
            decode_json(&frame).kind,
            EventKind::ToolExecuting(ToolExecuting {
                tool_name: some("cost_analyzer"),
                parameters: Some(json!({"month": "2025-09"}).into()),
                execution_id: None,
            }),
            "{frame}"
        );
    }
}

#[test]
fn output_and_result_are_the_tool_results_in_every_body_location() {
    for key in ["output", "result"] {
        let fields = json!({"tool": "cost_analyzer", key: {"savings_pct": 31}});
        for frame in in_every_location("tool_completed", &fields) {
            let EventKind::ToolCompleted(ToolCompleted { tool_name, results, .. }) =
                decode_json(&frame).kind
            else {
                panic!("{frame} is not tool_completed")
            };
            assert_eq!(tool_name.as_deref(), Some("cost_analyzer"), "{frame}");
            assert_eq!(results, Some(json!({"savings_pct": 31}).into()), "{frame}");
        }
    }
}

#[test]
fn result_and_response_are_the_final_answer_of_agent_completed() {
    let with_result = decode_json(&json!({"type": "agent_completed", "result": "Save $1,200"}));
    let EventKind::AgentCompleted(done) = with_result.kind else { panic!("kind") };
    assert_eq!(done.result, Some(json!("Save $1,200").into()));
    assert_eq!(done.final_response, Some(FinalResponse::Text("Save $1,200".into())));
    let structured = decode_json(&json!({"type": "agent_completed", "result": {"a": 1}}));
    let EventKind::AgentCompleted(done) = structured.kind else { panic!("kind") };
    assert_eq!(done.final_response, None, "only a text result is the answer");
    let with_response =
        decode_json(&json!({"type": "agent_completed", "data": {"response": "Save $900"}}));
    let EventKind::AgentCompleted(done) = with_response.kind else { panic!("kind") };
    assert_eq!(done.final_response, Some(FinalResponse::Text("Save $900".into())));
}

#[test]
fn the_september_name_wins_when_a_frame_carries_both_spellings() {
    let event = decode_json(&json!({
        "type": "agent_thinking", "reasoning": "september", "thought": "october"
    }));
    let EventKind::AgentThinking(thinking) = event.kind else { panic!("kind") };
    assert_eq!(thinking.reasoning.as_deref(), Some("september"));
}

// ------------------------------------------------------------------------------------------
// New optional fields
// ------------------------------------------------------------------------------------------

#[test]
fn retry_info_is_read_on_any_agent_event() {
    let retry =
        json!({"is_retry": true, "attempt_number": 2, "max_attempts": 3, "reason": "timeout"});
    for kind in ["agent_started", "agent_thinking", "tool_executing", "agent_completed"] {
        let event = decode_json(&json!({"type": kind, "run_id": "r1", "retry_info": retry}));
        assert_eq!(
            event.context.retry_info,
            Some(RetryInfo {
                is_retry: Some(true),
                attempt_number: Some(2),
                max_attempts: Some(3),
                reason: some("timeout"),
            }),
            "{kind}"
        );
    }
    let in_data = decode_json(&json!({"type": "agent_started", "data": {"retry_info": {}}}));
    assert_eq!(in_data.context.retry_info, Some(RetryInfo::default()));
    let not_an_object = decode_json(&json!({"type": "agent_started", "retry_info": "yes"}));
    assert_eq!(not_an_object.context.retry_info, None);
}

#[test]
fn agent_completed_reads_llm_validation_and_agents_involved() {
    let event = decode_json(&json!({
        "type": "agent_completed", "run_id": "r1", "status": "completed", "result": {"ok": true},
        "llm_validation": {"is_valid": false, "validation_result": {"rule": "no_pii"}, "violations_count": 1},
        "data": {"agents_involved": ["triage", "optimizer", 7]}
    }));
    assert_eq!(
        event.kind,
        EventKind::AgentCompleted(AgentCompleted {
            status: some("completed"),
            final_response: None,
            result: Some(json!({"ok": true}).into()),
            duration: None,
            llm_validation: Some(LlmValidation {
                is_valid: Some(false),
                validation_result: Some(json!({"rule": "no_pii"}).into()),
                violations_count: Some(1),
            }),
            agents_involved: Some(vec!["triage".into(), "optimizer".into()]),
        })
    );
}

#[test]
fn events_without_the_new_fields_serialise_exactly_as_before() {
    let event = decode_json(&json!({"type": "agent_completed", "status": "completed"}));
    let value = serde_json::to_value(&event).expect("serialises");
    for key in ["llm_validation", "agents_involved", "retry_info"] {
        assert!(value.get(key).is_none(), "{key} must not appear: {value}");
    }
}

// ------------------------------------------------------------------------------------------
// The system_message wrapper with a root `event`
// ------------------------------------------------------------------------------------------

#[test]
fn a_system_message_naming_an_agent_event_at_the_root_is_that_event() {
    let event = decode_json(&json!({
        "type": "system_message", "event": "agent_thinking",
        "payload": {"thought": "Comparing prices", "run_id": "r1", "agent_name": "triage"}
    }));
    assert_eq!(event.wire_type, "system_message");
    assert_eq!(event.name(), "agent_thinking");
    assert_eq!(
        event.kind,
        EventKind::AgentThinking(AgentThinking {
            reasoning: some("Comparing prices"),
            ..AgentThinking::default()
        })
    );
    assert_eq!(event.context.run_id.as_deref(), Some("r1"));
    let failure = decode_json(&json!({
        "type": "system_message", "event": "agent_timeout_failure",
        "payload": {"agent_name": "triage", "error": "timed out"}
    }));
    assert!(matches!(failure.kind, EventKind::AgentTimeoutFailure(_)));
}

#[test]
fn a_system_message_whose_root_event_is_not_an_agent_event_stays_a_system_message() {
    let event = decode_json(&json!({
        "type": "system_message", "event": "maintenance", "payload": {"message": "soon"}
    }));
    assert!(matches!(event.kind, EventKind::SystemMessage(_)), "{:?}", event.kind);
}

// ------------------------------------------------------------------------------------------
// A whole October run through the checker
// ------------------------------------------------------------------------------------------

#[test]
fn an_october_golden_path_with_its_spellings_and_cleanup_is_clean() {
    let frames = [
        json!({"type":"connection_established","data":{"mode":"main","user_id":"user-42-full-id","connection_id":"main_1"}}),
        json!({"type":"handshake_response","thread_id":"thread_a","timestamp":ISO}),
        json!({"type":"handshake_complete","thread_id":"thread_a"}),
        json!({"type":"thread_created","payload":{"thread_id":"thread_a"}}),
        json!({"type":"agent_started","user_id":"user-42-full-id","thread_id":"thread_a","run_id":"cli_1","agent_name":"supervisor","timestamp":"2025-10-31T09:15:03+00:00"}),
        json!({"type":"system_message","event":"agent_thinking","payload":{"thought":"Planning","run_id":"cli_1","agent_name":"supervisor","timestamp":"2025-10-31T09:15:04+00:00"}}),
        json!({"type":"tool_executing","data":{"tool":"cost_analyzer","input":{},"run_id":"cli_1","timestamp":"2025-10-31T09:15:05+00:00"}}),
        json!({"type":"tool_completed","data":{"tool":"cost_analyzer","output":{"pct":31},"run_id":"cli_1","timestamp":"2025-10-31T09:15:06+00:00"}}),
        json!({"type":"agent_completed","run_id":"cli_1","agent_name":"supervisor","result":"Save 31%","timestamp":"2025-10-31T09:15:07+00:00","data":{"agents_involved":["supervisor"]}}),
        json!({"type":"cleanup_started","run_id":"cli_1","data":{"connection_id":"main_1"}}),
        json!({"type":"cleanup_duration_estimate","run_id":"cli_1","data":{"estimated_seconds":1}}),
        json!({"type":"cleanup_complete","run_id":"cli_1","data":{"cleanup_status":"success","successful_cleanups":1,"total_cleanups":1}}),
    ];
    let mut checker = Checker::new(CheckerConfig::offline().with_user("user-42-full-id"));
    for frame in &frames {
        checker.handle_text(&frame.to_string(), None).expect("decodes");
    }
    checker.finish();
    let flags: Vec<_> = std::iter::from_fn(|| checker.poll_flag()).collect();
    assert!(flags.is_empty(), "{flags:#?}");
    assert_eq!(checker.summary().runs, 1);
}
