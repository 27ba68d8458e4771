//! The TypeScript declarations against what serde really emits.
//!
//! The data types reach TypeScript through `#[derive(tsify::Tsify)]` (wasm32 only) and the
//! hand-written declarations of `sdk/src/js/types.rs`. These native tests hold them to the
//! serialisation:
//!
//! - `RuleId` in js/types.rs lists exactly the ids of [`Rule::ALL`], in order;
//! - for one frame of every event type, the serialised object has exactly the declared keys:
//!   `type`, `wire_type`, `raw`, every payload field (`null` when absent, so `T | null` in
//!   TypeScript), and only the context fields that are present (`field?: T`, never `null`);
//! - flags and summaries have exactly the declared keys;
//! - `serialised.ts`, next to this file, is the serialisation of those frames, flags and
//!   summary. `check.sh` type-checks it against the generated `agentwire.d.ts`, so a declaration
//!   that disagrees with the JSON fails there. Regenerate it with
//!   `AGENTWIRE_BLESS=1 cargo test -p agentwire --test ts`.

#![allow(
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test helpers fail the test by panicking"
)]

use std::collections::BTreeSet;

use agentwire::{Checker, CheckerConfig, Rule, decode};
use serde_json::{Map, Value};

/// js/types.rs, whose `RuleId` union must list every rule id.
const TYPES_RS: &str = include_str!("../../src/js/types.rs");

/// The golden file `check.sh` type-checks.
const SERIALISED_TS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ts/serialised.ts");

/// One frame of every canonical event type (most from docs/protocol.md, as in
/// decodes_every_manager_frame_shape.rs), in the order of `EventKind`.
const FRAMES: &[&str] = &[
    r#"{"type":"connection_established","data":{"mode":"main","user_id":"u1","connection_id":"main_00000001","features":{"agent_orchestration":true,"seq":true}},"timestamp":1758207374.0,"seq":1}"#,
    r#"{"type":"authentication_error","event":"auth_failed","error":"Token has expired","error_code":"TOKEN_EXPIRED","timestamp":"2025-09-18T14:56:14.123456+00:00","retry_allowed":true,"ssot_authenticated":false}"#,
    r#"{"type":"authentication_success","event":"auth_success","user_id":"7c9e6679-7425-40de-944b-e07fc1f90ae7","websocket_client_id":"ws_client_42","permissions":["read","chat"],"timestamp":"2025-09-18T14:56:14.123456+00:00","ssot_authenticated":true}"#,
    r#"{"timestamp":"2025-09-18T14:56:14.123456+00:00","critical":true,"type":"agent_started","user_id":"u1","thread_id":"t1","agent_name":"supervisor","task_description":"Processing request","status":"started","run_id":"r1","metadata":{"user_tier":"free","is_priority_queue":false}}"#,
    r#"{"type":"reasoning","reasoning":"Comparing instance prices","step_number":2,"progress_percentage":40.5,"run_id":"r1","user_id":"u1","timestamp":"2025-09-18T14:56:14.123456+00:00"}"#,
    r#"{"timestamp":"2025-09-18T14:56:14.123456+00:00","critical":true,"type":"tool_executing","tool_name":"cost_analyzer","tool_args":{},"parameters":{},"execution_id":null,"user_id":"u1","thread_id":"t1","run_id":"r1","status":"executing"}"#,
    r#"{"timestamp":"2025-09-18T14:56:14.123456+00:00","critical":true,"type":"tool_completed","tool_name":"cost_analyzer","results":{"savings_pct":31},"execution_time":0,"duration":0,"success":true,"user_id":"u1","thread_id":"t1","run_id":"r1"}"#,
    r#"{"timestamp":"2025-09-18T14:56:14.123456+00:00","critical":true,"type":"agent_completed","status":"completed","final_response":"Task completed","agent_name":"supervisor","metadata":{"result":{"savings_usd":1200},"execution_time_ms":5120},"user_id":"u1","thread_id":"t1","run_id":"r1","llm_validation":{"is_valid":true,"validation_result":"passed","violations_count":0},"data":{"agents_involved":["supervisor","triage"]}}"#,
    r#"{"type":"tool_error","tool_name":"cost_analyzer","error":"division by zero","execution_id":"exec_7","run_id":"r1"}"#,
    r#"{"type":"agent_error","run_id":"r1","user_id":"u1","agent_name":"triage","timestamp":"2025-09-18T14:56:14.123456+00:00","data":{"status":"error","error_message":"Rate limit exceeded","error_context":{"error_type":"RateLimitError","agent_step":"tool_execution","user_facing":true},"message":"triage encountered an error"}}"#,
    r#"{"type":"agent_death","run_id":"r1","user_id":"u1","death_cause":"no_heartbeat","message":"The agent stopped sending heartbeats","timestamp":"2025-09-18T14:56:14Z","attempt":2}"#,
    r#"{"type":"agent_stopped","payload":{"status":"stopped"}}"#,
    r#"{"type":"agent_response","data":{"response":{"content":"Here is your plan"},"thread_id":"t1","run_id":"r1"},"timestamp":1758207374.123456,"server_id":null,"correlation_id":null}"#,
    r#"{"type":"progress_update","run_id":"r1","user_id":"u1","agent_name":"triage","timestamp":"2025-09-18T14:56:14.123456+00:00","data":{"status":"progress","progress_data":{"percent":40,"stage":"collect"},"message":"Collecting billing data"}}"#,
    r#"{"type":"subagent_started","run_id":"r1","user_id":"u1","agent_name":"triage","timestamp":"2025-09-18T14:56:14.123456+00:00","data":{"subagent_name":"data_helper","subagent_id":"sub_1"}}"#,
    r#"{"type":"subagent_completed","run_id":"r1","user_id":"u1","agent_name":"triage","timestamp":"2025-09-18T14:56:14.123456+00:00","data":{"subagent_name":"data_helper","subagent_id":"sub_1","result":{"rows":120},"duration_ms":1234}}"#,
    r#"{"type":"partial_result","payload":{"message":"Found 3 idle clusters so far","example_message_id":"ex_1","timestamp":"2025-09-18T14:56:14.123456+00:00","agent_name":"example_processor"}}"#,
    r#"{"type":"final_report","report":{"savings":1200},"run_id":"r1"}"#,
    r#"{"type":"stream_chunk","data":{"chunk":"Hel"},"run_id":"r1"}"#,
    r#"{"type":"thread_created","payload":{"thread_id":"thread_abc123","timestamp":1758207374}}"#,
    r#"{"type":"thread_switched","payload":{"thread_id":"thread_2"}}"#,
    r#"{"type":"thread_deleted","payload":{"thread_id":"thread_3"}}"#,
    r#"{"type":"thread_data","payload":{"thread_id":"thread_2","messages":[{"id":"m1","role":"user","content":"Cut my GPU spend","timestamp":1758207300.0,"metadata":{}},{"id":"m2","role":"assistant","content":"Here is a plan","timestamp":1758207310.0,"metadata":{"run_id":"r1"}}],"metadata":{"title":"GPU costs"}}}"#,
    r#"{"type":"conversation_history","payload":{"history":[{"role":"user","content":"hi"}],"session_token":"sess_1"}}"#,
    r#"{"type":"agent_context","payload":{"context":{"budget":5000},"session_token":"sess_1"}}"#,
    r#"{"type":"example_message_response","payload":{"status":"completed","message_id":"ex_1","result":{"answer":"ok"},"processing_time_ms":1500,"business_insights":["a"]}}"#,
    r#"{"type":"heartbeat","data":{"connection_id":"main_3fa9c2d1","timestamp":"2025-09-18T14:56:14.123456+00:00","stats":{"messages_processed":4,"agent_events_processed":1}},"timestamp":1758207374.123456,"server_id":null,"correlation_id":null}"#,
    r#"{"type":"ping","data":{"timestamp":1758207374.5}}"#,
    r#"{"type":"pong","data":{"user_id":"u1"}}"#,
    r#"{"type":"heartbeat_ack","data":{"timestamp":1758207374.5,"status":"healthy"},"timestamp":1758207374.5,"server_id":null,"correlation_id":null}"#,
    r#"{"type":"ack","received_type":"session_restore","timestamp":1758207374.5,"user_id":"u1","status":"acknowledged"}"#,
    r#"{"type":"system_message","data":{"status":"typing_acknowledged","type":"user_typing","user_id":"u1","thread_id":"t1","timestamp":1758207374.5},"timestamp":1758207374.5,"server_id":null,"correlation_id":null}"#,
    r#"{"type":"resume_result","data":{"from_seq":11,"to_seq":17,"complete":true},"seq":18}"#,
    r#"{"type":"error_message","error_code":"JSON_PARSE_ERROR","error_message":"Invalid JSON format","details":{"position":12},"timestamp":1758207374.25,"recovery_suggestions":["Send valid JSON"]}"#,
    r#"{"type":"connection_error","data":{"message":"Failed to deliver agent_completed","event_type":"agent_completed","user_friendly_message":"We lost the connection to your agent","severity":"error","action_required":"refresh","support_code":"WS-CE-1"},"timestamp":"2025-09-18T14:56:14.123456+00:00","critical":true}"#,
    r#"{"type":"system_error","data":{"message":"Event queue overloaded","event_type":"system","user_friendly_message":"Things are slow right now","severity":"warning","action_required":false,"support_code":"WS-SE-2"},"timestamp":"2025-09-18T14:56:14Z","critical":true}"#,
    r#"{"type":"handshake_response","thread_id":"thread_5f2a","run_id":"run_9","request_id":"req_3","session_token":"st_1","timestamp":"2025-10-31T09:15:02Z","message":"ready"}"#,
    r#"{"type":"handshake_complete"}"#,
    r#"{"type":"cleanup_started","run_id":"r1","data":{"connection_id":"main_1"}}"#,
    r#"{"type":"cleanup_duration_estimate","run_id":"r1","data":{"estimated_seconds":1.5}}"#,
    r#"{"type":"cleanup_complete","run_id":"r1","data":{"cleanup_status":"success","successful_cleanups":2,"total_cleanups":2}}"#,
    r#"{"type":"backend_log","messages":[{"level":"INFO","message":"ready"}],"total_count":1,"sink_stats":{"dropped":0}}"#,
    r#"{"type":"agent_timeout_warning","agent_name":"optimizer","run_id":"r1","elapsed_seconds":240,"total_timeout_seconds":300,"remaining_seconds":60,"warning_threshold_percent":80}"#,
    r#"{"type":"agent_timeout_failure","agent_name":"optimizer","run_id":"r1","elapsed_seconds":300.5,"timeout_seconds":300,"final_status":"timeout","error":"timed out","retry_info":{"is_retry":true,"attempt_number":2,"max_attempts":3,"reason":"timeout"}}"#,
    r#"{"type":"mcp_tool_list","run_id":"r9","tools":[]}"#,
];

const ERROR_INFO: &[&str] = &["code", "message", "details", "retry_allowed", "severity"];
const SUBAGENT: &[&str] = &["subagent_name", "subagent_id", "result", "duration"];
const TEXT_CONTENT: &[&str] = &["content"];

/// Each canonical `type` with its payload's keys: what the TypeScript declaration of its
/// `EventKind` member has besides `type`. Written out by hand, as an independent expectation.
const PAYLOAD_KEYS: &[(&str, &[&str])] = &[
    ("connection_established", &["connection_id", "mode", "features", "seq_supported"]),
    ("authentication_error", ERROR_INFO),
    ("authentication_success", &["client_id"]),
    ("agent_started", &["task_description", "status"]),
    ("agent_thinking", &["reasoning", "step_number", "progress_percentage"]),
    ("tool_executing", &["tool_name", "parameters", "execution_id"]),
    ("tool_completed", &["tool_name", "results", "duration", "success", "execution_id"]),
    (
        "agent_completed",
        &["status", "final_response", "result", "duration", "llm_validation", "agents_involved"],
    ),
    ("tool_error", &["tool_name", "error", "execution_id"]),
    ("agent_error", &["error", "error_type", "status"]),
    ("agent_death", &["death_cause", "message"]),
    ("agent_stopped", &["status"]),
    ("agent_response", &["response"]),
    ("progress_update", &["message", "progress"]),
    ("subagent_started", SUBAGENT),
    ("subagent_completed", SUBAGENT),
    ("partial_result", TEXT_CONTENT),
    ("final_report", TEXT_CONTENT),
    ("stream_chunk", TEXT_CONTENT),
    ("thread_created", &[]),
    ("thread_switched", &[]),
    ("thread_deleted", &[]),
    ("thread_data", &["messages"]),
    ("conversation_history", &[]),
    ("agent_context", &[]),
    ("example_message_response", &[]),
    ("heartbeat", &["connection_id", "stats"]),
    ("ping", &[]),
    ("pong", &[]),
    ("heartbeat_ack", &["status"]),
    ("ack", &["received_type", "status"]),
    ("system_message", &["status", "event", "message"]),
    ("resume_result", &["from_seq", "to_seq", "complete"]),
    ("error", ERROR_INFO),
    ("connection_error", ERROR_INFO),
    ("system_error", ERROR_INFO),
    ("handshake_response", &["session_token", "message"]),
    ("handshake_complete", &[]),
    ("cleanup_started", &["connection_id"]),
    ("cleanup_duration_estimate", &["estimated_seconds"]),
    ("cleanup_complete", &["cleanup_status", "successful_cleanups", "total_cleanups"]),
    ("backend_log", &["messages", "total_count", "sink_stats"]),
    (
        "agent_timeout_warning",
        &[
            "elapsed_seconds",
            "total_timeout_seconds",
            "remaining_seconds",
            "warning_threshold_percent",
        ],
    ),
    ("agent_timeout_failure", &["elapsed_seconds", "timeout_seconds", "final_status", "error"]),
    ("unknown", &[]),
];

/// Payload keys declared without `| null`: always a value.
const NEVER_NULL: &[&str] = &["seq_supported", "messages", "complete"];

/// `Context`'s keys: optional (`?:`) in TypeScript, left out rather than `null`.
const CONTEXT_KEYS: &[&str] = &[
    "user_id",
    "thread_id",
    "run_id",
    "request_id",
    "agent_name",
    "timestamp",
    "seq",
    "attempt",
    "retry_info",
];

const FLAG_KEYS: &[&str] = &["rule", "severity", "frame", "related_frames", "run_id", "message"];

const SUMMARY_KEYS: &[&str] = &[
    "frames",
    "events",
    "agent_events",
    "runs",
    "tracked_runs",
    "active_runs",
    "evicted_active_runs",
    "dropped_open_executions",
    "flags_by_rule",
];

/// Frames for the checker whose flags and summary go to serialised.ts: a duplicate (a flag
/// with related frames), a tool result without a call, and a run left open (a flag raised at
/// the end, with no frame).
const CHECKED_FRAMES: &[&str] = &[
    r#"{"type":"agent_started","user_id":"u1","thread_id":"t1","run_id":"r1","timestamp":"2025-09-18T14:56:14+00:00"}"#,
    r#"{"type":"agent_thinking","reasoning":"Reading invoices","user_id":"u1","run_id":"r1","timestamp":"2025-09-18T14:56:15+00:00"}"#,
    r#"{"type":"agent_thinking","reasoning":"Reading invoices","user_id":"u1","run_id":"r1","timestamp":"2025-09-18T14:56:15+00:00"}"#,
    r#"{"type":"tool_completed","tool_name":"cost_analyzer","results":{},"user_id":"u1","run_id":"r1","timestamp":"2025-09-18T14:56:16+00:00"}"#,
];

fn serialised_event(frame: &str) -> Map<String, Value> {
    let event = decode(frame).unwrap_or_else(|error| panic!("{frame} did not decode: {error}"));
    match serde_json::to_value(&event).expect("an event serialises") {
        Value::Object(object) => object,
        other => panic!("{frame} serialised as {other}, not an object"),
    }
}

fn keys(object: &Map<String, Value>) -> BTreeSet<&str> {
    object.keys().map(String::as_str).collect()
}

/// The flags and the summary of [`CHECKED_FRAMES`], serialised.
fn checked() -> (Vec<Value>, Value) {
    let mut checker = Checker::new(CheckerConfig::offline());
    for frame in CHECKED_FRAMES {
        checker.handle_text(frame, None).expect("the checked frames decode");
    }
    checker.finish();
    let flags = std::iter::from_fn(|| checker.poll_flag())
        .map(|flag| serde_json::to_value(flag).expect("a flag serialises"))
        .collect();
    let summary = serde_json::to_value(checker.summary()).expect("a summary serialises");
    (flags, summary)
}

/// The ids between `export type RuleId =` and the next `;` in js/types.rs.
fn typescript_rule_ids() -> Vec<&'static str> {
    let start = TYPES_RS.find("export type RuleId =").expect("js/types.rs declares RuleId");
    let union = &TYPES_RS[start..];
    let union = &union[..union.find(';').expect("RuleId ends with `;`")];
    union.split('"').skip(1).step_by(2).collect()
}

#[test]
fn rule_ids_match_the_typescript_rule_id_union() {
    let ids: Vec<&str> = Rule::ALL.iter().map(|rule| rule.id()).collect();
    assert_eq!(typescript_rule_ids(), ids, "RuleId in sdk/src/js/types.rs must list Rule::ALL");
}

#[test]
fn the_frames_cover_every_declared_event_type_once() {
    let types: Vec<String> = FRAMES
        .iter()
        .map(|frame| serialised_event(frame)["type"].as_str().expect("type is a string").to_owned())
        .collect();
    let declared: Vec<&str> = PAYLOAD_KEYS.iter().map(|(kind, _)| *kind).collect();
    assert_eq!(types, declared);
}

#[test]
fn serialised_events_have_exactly_the_declared_keys() {
    for frame in FRAMES {
        let event = serialised_event(frame);
        let kind = event["type"].as_str().expect("type is a string");
        let payload = PAYLOAD_KEYS
            .iter()
            .find(|(name, _)| *name == kind)
            .map(|(_, keys)| *keys)
            .unwrap_or_else(|| panic!("{kind} has no declared payload"));

        let mut expected: BTreeSet<&str> = ["type", "wire_type", "raw"].into();
        expected.extend(payload);
        expected.extend(CONTEXT_KEYS.iter().filter(|key| event.contains_key(**key)));
        assert_eq!(keys(&event), expected, "{frame}");

        assert!(event["wire_type"].is_string(), "{frame}");
        assert!(event["raw"].is_object(), "raw is a JsonObject: {frame}");
        for key in CONTEXT_KEYS.iter().filter(|key| event.contains_key(**key)) {
            assert!(!event[*key].is_null(), "context field {key} is optional, never null: {frame}");
        }
        for key in NEVER_NULL.iter().filter(|key| payload.contains(key)) {
            assert!(!event[*key].is_null(), "{key} is never null: {frame}");
        }
        if let Some(timestamp) = event.get("timestamp") {
            let text = timestamp.as_str().expect("a Timestamp is a string");
            assert!(text.ends_with('Z'), "{frame}");
        }
        if let Some(duration) = event.get("duration").filter(|duration| !duration.is_null()) {
            let duration = duration.as_object().expect("a Duration is an object");
            assert_eq!(keys(duration), ["unit", "value"].into(), "{frame}");
            assert!(duration["value"].is_number(), "{frame}");
            let unit = duration["unit"].as_str().expect("a DurationUnit is a string");
            assert!(["milliseconds", "unspecified"].contains(&unit), "{frame}");
        }
    }
}

#[test]
fn serialised_flags_and_summaries_have_exactly_the_declared_keys() {
    let ids: Vec<&str> = Rule::ALL.iter().map(|rule| rule.id()).collect();
    let (flags, summary) = checked();
    assert!(flags.len() >= 3, "{flags:?}");
    for flag in &flags {
        let flag = flag.as_object().expect("a flag is an object");
        assert_eq!(keys(flag), FLAG_KEYS.iter().copied().collect(), "{flag:?}");
        assert!(ids.contains(&flag["rule"].as_str().expect("rule is a string")), "{flag:?}");
        let severity = flag["severity"].as_str().expect("severity is a string");
        assert!(["error", "warning", "info"].contains(&severity), "{flag:?}");
        assert!(flag["frame"].is_u64() || flag["frame"].is_null(), "{flag:?}");
        assert!(flag["run_id"].is_string() || flag["run_id"].is_null(), "{flag:?}");
        assert!(flag["related_frames"].is_array(), "{flag:?}");
    }
    assert!(flags.iter().any(|flag| flag["frame"].is_null()), "a flag without a frame");
    assert!(
        flags.iter().any(|flag| flag["related_frames"].as_array().is_some_and(|r| !r.is_empty())),
        "a flag with related frames"
    );

    let summary = summary.as_object().expect("a summary is an object");
    assert_eq!(keys(summary), SUMMARY_KEYS.iter().copied().collect());
    let by_rule = summary["flags_by_rule"].as_object().expect("flags_by_rule is an object");
    assert!(!by_rule.is_empty());
    assert!(by_rule.keys().all(|id| ids.contains(&id.as_str())), "{by_rule:?}");
}

/// `value` as pretty JSON, every line after the first indented by `indent` spaces.
fn pretty(value: &Value, indent: usize) -> String {
    let text = serde_json::to_string_pretty(value).expect("JSON serialises");
    text.replace('\n', &format!("\n{}", " ".repeat(indent)))
}

/// The text of serialised.ts.
fn serialised_ts() -> String {
    let mut out = String::from(
        "// Generated by sdk/tests/ts/main.rs: the serde serialisation of one frame of every event\n\
         // type, and of a checker's flags and summary. check.sh type-checks it against the\n\
         // generated agentwire.d.ts. Do not edit; regenerate with\n\
         //   AGENTWIRE_BLESS=1 cargo test -p agentwire --test ts\n\
         import type { AgentEvent, Flag, Summary } from \"agentwire\";\n\n\
         export const events: AgentEvent[] = [\n",
    );
    let mut types = Vec::new();
    for frame in FRAMES {
        let event = serialised_event(frame);
        types.push(event["type"].clone());
        out.push_str("  ");
        out.push_str(&pretty(&Value::Object(event), 2));
        out.push_str(",\n");
    }
    out.push_str("];\n\n// The `type` of each event above.\nexport const types = ");
    out.push_str(&pretty(&Value::Array(types), 0));
    out.push_str(" as const;\n\nexport const flags: Flag[] = [\n");
    let (flags, summary) = checked();
    for flag in &flags {
        out.push_str("  ");
        out.push_str(&pretty(flag, 2));
        out.push_str(",\n");
    }
    out.push_str("];\n\nexport const summary: Summary = ");
    out.push_str(&pretty(&summary, 0));
    out.push_str(";\n");
    out
}

#[test]
fn serialised_ts_is_current() {
    let expected = serialised_ts();
    if std::env::var_os("AGENTWIRE_BLESS").is_some() {
        std::fs::write(SERIALISED_TS, &expected).expect("serialised.ts is writable");
        return;
    }
    let actual = std::fs::read_to_string(SERIALISED_TS).unwrap_or_default();
    assert!(
        actual == expected,
        "{SERIALISED_TS} is out of date: regenerate it with \
         `AGENTWIRE_BLESS=1 cargo test -p agentwire --test ts` and run sdk/tests/ts/check.sh"
    );
}
