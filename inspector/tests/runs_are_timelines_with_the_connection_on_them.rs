//! Runs as timelines: executions, thinking, tool bars, flags, and the connection's lifecycle
//! on the same time axis, so a missing event can be told apart from a dropped connection.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests fail by panicking"
)]

mod common;

use agentwire::session::{DisconnectCause, HandshakeOutcome};
use agentwire::{Checker, CheckerConfig, ConnectionState, Rule, SessionEvent};
use agentwire_inspector::state::{
    Action, ExecutionStatus, Lifecycle, MALFORMED, Run, State, ToolStatus,
};
use common::{Client, agent, at_ms, clean_run};
use serde_json::json;

fn run<'a>(state: &'a State, user: &str, id: &str) -> &'a Run {
    state.lane_by_user(user).unwrap().runs().get(Some(id)).unwrap()
}

fn lifecycle(run: &Run) -> Vec<Lifecycle> {
    run.connection().iter().map(|marker| marker.lifecycle.clone()).collect()
}

#[test]
fn a_run_shows_its_executions_thinking_and_tool_bars_with_durations() {
    let mut state = State::default();
    let mut client = Client::connect(&mut state, "u1");
    client.open(&mut state);
    for frame in clean_run("u1", "r1") {
        client.advance(&mut state, 500);
        client.frame(&mut state, &frame);
    }
    let run = run(&state, "u1", "r1");
    assert!(!run.is_open());
    assert_eq!(run.events(), 5);
    let execution = run.executions().get(0).unwrap();
    assert_eq!(execution.agent.as_deref(), Some("supervisor"));
    assert_eq!(execution.status, ExecutionStatus::Completed);
    assert_eq!((execution.start.frame, execution.end.map(|end| end.frame)), (0, Some(4)));
    assert_eq!(execution.end.unwrap().at.micros_since(execution.start.at), 2_000_000);
    let thought = run.thinking().get(0).unwrap();
    assert_eq!(thought.text, "checking costs");
    let call = run.tools().get(0).unwrap();
    assert_eq!(call.tool_name.as_deref(), Some("cost_analyzer"));
    assert_eq!(call.status, ToolStatus::Completed);
    assert_eq!(call.duration_micros(), Some(500_000));
    assert!(run.flags().is_empty());
    assert!(run.connection().is_empty());
}

fn numbered(kind: &str, seq: u64, extra: serde_json::Value) -> String {
    let mut frame: serde_json::Value =
        serde_json::from_str(&agent(kind, "u1", "r1", "supervisor", extra)).unwrap();
    frame["seq"] = json!(seq);
    frame.to_string()
}

#[test]
fn a_dropped_connection_appears_on_the_run_timeline() {
    let mut state = State::default();
    let mut client = Client::connect(&mut state, "u1");
    client.open(&mut state);
    client.frame(
        &mut state,
        r#"{"type":"connection_established","data":{"user_id":"u1...","features":{"seq":true}}}"#,
    );
    client.frame(&mut state, &numbered("agent_started", 1, json!({})));
    client.frame(&mut state, &numbered("agent_thinking", 2, json!({"reasoning": "querying"})));
    client.frame(&mut state, &numbered("tool_executing", 3, json!({"tool_name": "db"})));
    client.advance(&mut state, 1000);

    // The socket drops mid tool call; seq 4 and 5 are sent while it is down and expire.
    client.close(&mut state, 1006, "");
    let ConnectionState::BackingOff { delay_ms, .. } =
        state.lane_by_user("u1").unwrap().connection().clone()
    else {
        panic!("not backing off");
    };
    client.advance(&mut state, i64::try_from(delay_ms).unwrap());
    client.open(&mut state);
    client.frame(
        &mut state,
        &numbered("tool_completed", 6, json!({"tool_name": "db", "results": {}})),
    );
    client.frame(
        &mut state,
        r#"{"type":"resume_result","data":{"from_seq":4,"to_seq":6,"complete":false}}"#,
    );

    let run = run(&state, "u1", "r1");
    let markers = lifecycle(run);
    assert_eq!(markers.len(), 5, "{markers:?}");
    let Lifecycle::Disconnected(disconnect) = &markers[0] else { panic!("{markers:?}") };
    assert_eq!((disconnect.code, disconnect.cause), (1006, DisconnectCause::Closed));
    assert!(
        matches!(markers[1], Lifecycle::RetryScheduled { attempt: 1, delay_ms: d, retry_at: Some(_) } if d == delay_ms)
    );
    assert_eq!(markers[2], Lifecycle::Opened);
    assert_eq!(markers[3], Lifecycle::Resumed { last_seq: 3, replayed: 1 });
    assert_eq!(markers[4], Lifecycle::Gap { first: 4, last: 5 });

    // On the time axis: the drop sits inside the tool bar, after its start.
    let call = run.tools().get(0).unwrap();
    let drop = run.connection().iter().next().unwrap();
    assert!(drop.before_seq > call.start.seq && drop.at > call.start.at);
    assert_eq!(call.end.map(|end| end.frame), Some(4), "the replayed completion closes the bar");
    let gap = &state.lane_by_user("u1").unwrap().flags().map(|e| e.flag().rule).collect::<Vec<_>>();
    assert!(gap.contains(&Rule::SequenceGap), "{gap:?}");
    // The lane keeps the whole lifecycle, including the first open.
    assert_eq!(state.lane_by_user("u1").unwrap().lifecycle().len(), 6);
}

#[test]
fn a_missing_event_without_a_drop_has_no_connection_markers() {
    let mut state = State::default();
    let mut client = Client::connect(&mut state, "u1");
    client.open(&mut state);
    let frames = clean_run("u1", "r1");
    for (index, frame) in frames.iter().enumerate() {
        if index != 3 {
            client.frame(&mut state, frame); // tool_completed never arrives
        }
    }
    let run = run(&state, "u1", "r1");
    assert!(run.connection().is_empty());
    assert!(run.tools().get(0).unwrap().is_open());
    let marks: Vec<(Rule, Option<u64>)> = run.flags().iter().map(|m| (m.rule, m.frame)).collect();
    assert_eq!(marks, [(Rule::ToolNeverCompleted, Some(3))]);
    let seq = run.flags().iter().next().unwrap().seq.unwrap();
    assert_eq!(state.row(seq).unwrap().kind(), "agent_completed");
}

#[test]
fn a_repeated_event_is_flagged_but_drawn_once() {
    let mut state = State::default();
    let mut client = Client::connect(&mut state, "u1");
    client.open(&mut state);
    let frames = clean_run("u1", "r1");
    for (index, frame) in frames.iter().enumerate() {
        client.frame(&mut state, frame);
        if index == 1 || index == 3 {
            client.frame(&mut state, frame); // at-least-once delivery repeats it
        }
    }
    let run = run(&state, "u1", "r1");
    assert_eq!(run.thinking().len(), 1);
    assert_eq!(run.tools().len(), 1);
    assert_eq!(run.tools().get(0).unwrap().end.map(|end| end.frame), Some(4));
    assert_eq!(run.events(), 5);
    assert!(!run.is_open());
    let marks: Vec<(Rule, Option<u64>)> = run.flags().iter().map(|m| (m.rule, m.frame)).collect();
    assert_eq!(marks, [(Rule::DuplicateEvent, Some(2)), (Rule::DuplicateEvent, Some(5))]);
    // The stream shows every frame, the repeats with their flags.
    assert_eq!(state.filtered_len(), 7);
    let repeat = state.visible_rows(2..3).next().unwrap();
    assert_eq!((repeat.frame(), repeat.kind(), repeat.flags().len()), (2, "agent_thinking", 1));
}

#[test]
fn a_malformed_frame_gets_a_row_for_its_flag_to_point_at() {
    let mut state = State::default();
    let mut client = Client::connect(&mut state, "u1");
    client.open(&mut state);
    client.frame(&mut state, r#"{"type":"heartbeat"}"#);
    client.frame(&mut state, r#"{"type":"agent_thinking","reasoning":"cut of"#);
    client.frame(&mut state, r#"{"type":"heartbeat"}"#);
    let kinds: Vec<(u64, String)> =
        state.visible_rows(0..10).map(|row| (row.frame(), row.kind().to_owned())).collect();
    assert_eq!(
        kinds,
        [(0, "heartbeat".to_owned()), (1, MALFORMED.to_owned()), (2, "heartbeat".to_owned())]
    );
    let entry = state.visible_flags(0..1).next().unwrap();
    assert_eq!(entry.flag().rule, Rule::MalformedFrame);
    let malformed = state.visible_rows(1..2).next().unwrap();
    assert_eq!(
        malformed.raw(),
        Some(r#"{"type":"agent_thinking","reasoning":"cut of"#),
        "the malformed frame's text is kept, as received"
    );
    assert_eq!(state.flag_rows(entry.id()).into_iter().collect::<Vec<_>>(), [malformed.seq()]);
    // Connection-level flags sit on no run.
    assert!(state.lane_by_user("u1").unwrap().runs().is_empty());
}

#[test]
fn an_october_handshake_appears_on_the_connection_axis_with_its_thread() {
    let mut state = State::default();
    let mut client = Client::connect(&mut state, "u1");
    client.open(&mut state);
    client.frame(&mut state, r#"{"type":"connection_established","data":{"user_id":"u1"}}"#);
    client.frame(&mut state, r#"{"type":"handshake_response","thread_id":"thread_h1"}"#);
    client.frame(&mut state, r#"{"type":"handshake_complete"}"#);
    let lane = state.lane_by_user("u1").unwrap();
    let markers: Vec<Lifecycle> =
        lane.lifecycle().iter().map(|marker| marker.lifecycle.clone()).collect();
    assert_eq!(
        markers,
        [
            Lifecycle::Opened,
            Lifecycle::Handshake(HandshakeOutcome::Complete {
                thread_id: Some("thread_h1".into())
            }),
        ],
        "connected, then the handshake on the same axis"
    );
    assert_eq!(lane.connection(), &ConnectionState::Open);
}

#[test]
fn an_agent_timeout_failure_ends_its_execution_as_the_checker_does() {
    let mut state = State::default();
    let mut client = Client::connect(&mut state, "u1");
    client.open(&mut state);
    client.frame(&mut state, &agent("agent_started", "u1", "r1", "supervisor", json!({})));
    client.frame(
        &mut state,
        &agent("agent_thinking", "u1", "r1", "supervisor", json!({"reasoning": "x"})),
    );
    client.frame(
        &mut state,
        &agent("agent_timeout_failure", "u1", "r1", "supervisor", json!({"error": "over 300 s"})),
    );
    let run = run(&state, "u1", "r1");
    assert!(!run.is_open(), "the run is over, as the checker sees it");
    let execution = run.executions().get(0).unwrap();
    assert_eq!(execution.status, ExecutionStatus::TimedOut { error: Some("over 300 s".into()) });
    assert_eq!(execution.end.map(|end| end.frame), Some(2));
    assert!(run.flags().is_empty(), "no run-incomplete or missing-thinking");
}

/// The page's own clock reading (the action's `at`) may lag the session's; a frame's row and
/// its timeline mark use the session's time, the one its checker judged it by.
#[test]
fn a_frame_is_placed_at_the_time_its_session_received_it() {
    let mut state = State::default();
    let received = at_ms(5_000);
    let text = r#"{"type":"agent_started","run_id":"r1","agent_name":"a"}"#;
    let checked = Checker::new(CheckerConfig::live()).handle_text(text, Some(received)).unwrap();
    let event = SessionEvent::Event {
        event: Box::new(checked.event),
        frame: 0,
        at: received,
        verdict: checked.verdict,
    };
    state.apply(Action::Session { user: "u1".to_owned(), at: at_ms(5_250), event });
    let row = state.visible_rows(0..1).next().unwrap();
    assert_eq!(row.at(), received);
    let run = state.lane_by_user("u1").unwrap().runs().get(Some("r1")).unwrap();
    assert_eq!(run.executions().get(0).unwrap().start.at, received);
}
