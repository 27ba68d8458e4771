//! The October 2025 manager's handshake (docs/protocol.md §6), scripted on a simulated
//! clock: the acknowledgement goes out at once and first, the queue waits until the handshake
//! is over, the server's thread becomes the default of sends, a handshake that never comes
//! leaves a usable connection and says so, and no frame is lost on the way.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests fail by panicking"
)]

#[path = "common/harness.rs"]
mod harness;

use agentwire::{
    ClientMessage, ConnectionState, EventKind, HandshakeMode, HandshakeOutcome, SessionConfig,
    SessionEvent,
};
use harness::Harness;
use serde_json::{Value, json};

fn october() -> SessionConfig {
    SessionConfig { handshake: HandshakeMode::Expect, ..SessionConfig::default() }
}

/// An October manager's welcome: the full user id.
fn established(seq: bool) -> String {
    json!({"type":"connection_established","data":{"mode":"main","user_id":"user-1","connection_id":"main_1","features":{"seq":seq}}}).to_string()
}

/// A September manager's welcome: the user id truncated to 8 characters and `...`.
fn september_welcome() -> String {
    json!({"type":"connection_established","data":{"mode":"main","user_id":"user-1...","connection_id":"main_1","features":{"seq":false}}}).to_string()
}

fn handshake_response(thread: &str) -> String {
    json!({"type":"handshake_response","thread_id":thread,"timestamp":"2025-10-31T09:15:02Z"})
        .to_string()
}

const HANDSHAKE_COMPLETE: &str = r#"{"type":"handshake_complete"}"#;

fn ask(text: &str) -> ClientMessage {
    ClientMessage::UserMessage { content: text.to_owned(), thread_id: None }
}

fn types(sent: &[Value]) -> Vec<&str> {
    sent.iter().map(|frame| frame["type"].as_str().unwrap()).collect()
}

/// The handshake outcomes and states among `events`, in order, as short labels.
fn milestones(events: &[SessionEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|event| match event {
            SessionEvent::State(state) => Some(state.name().to_owned()),
            SessionEvent::Handshake(outcome) => Some(format!("{outcome:?}")),
            _ => None,
        })
        .collect()
}

/// The canonical names of the delivered events, in order.
fn delivered(events: &[SessionEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|event| match event {
            SessionEvent::Event { event, .. } => Some(event.name().to_owned()),
            _ => None,
        })
        .collect()
}

/// An expected handshake that has just been acknowledged, with one message queued before.
fn acknowledged(thread: &str) -> Harness {
    let mut h = Harness::new(october());
    h.send(ask("Cut my GPU spend")).unwrap();
    h.open();
    h.frame(&established(false));
    h.frame(&handshake_response(thread));
    h
}

#[test]
fn an_expected_handshake_is_acknowledged_at_once_and_the_queue_waits_for_handshake_complete() {
    let mut h = Harness::new(october());
    h.send(ask("Cut my GPU spend")).unwrap();
    h.take_events();
    h.open();
    assert_eq!(h.state(), ConnectionState::Handshaking);
    h.frame(&established(false));
    assert_eq!(h.take_sent(), Vec::<Value>::new(), "nothing goes out before the handshake");
    assert_eq!(h.session.stats().queued, 1);

    h.frame(&handshake_response("thread_a"));
    let sent = h.take_sent();
    assert_eq!(types(&sent), ["handshake_acknowledged"], "the acknowledgement alone, at once");
    assert_eq!(sent[0]["thread_id"], "thread_a");
    assert!(sent[0]["timestamp"].as_str().unwrap().ends_with('Z'), "ISO UTC: {}", sent[0]);
    assert_eq!(h.state(), ConnectionState::Handshaking);

    h.frame(HANDSHAKE_COMPLETE);
    let sent = h.take_sent();
    assert_eq!(types(&sent), ["user_message"]);
    assert_eq!(sent[0]["payload"]["thread_id"], "thread_a", "the handshake thread is the default");
    assert_eq!(h.state(), ConnectionState::Open);
    assert_eq!(
        milestones(&h.take_events()),
        [
            "handshaking",
            format!("{:?}", HandshakeOutcome::Complete { thread_id: Some("thread_a".into()) })
                .as_str(),
            "open"
        ]
    );
    assert_eq!(h.session.thread_id(), Some("thread_a"));
}

#[test]
fn every_frame_that_arrives_during_the_handshake_reaches_the_application() {
    let mut h = acknowledged("thread_a");
    // An eager server: a run's first event overtakes handshake_complete.
    h.frame(&json!({"type":"agent_started","user_id":"user-1","thread_id":"thread_a","run_id":"r1","agent_name":"supervisor","timestamp":"2025-10-31T09:15:03Z"}).to_string());
    h.frame(HANDSHAKE_COMPLETE);
    assert_eq!(
        delivered(&h.take_events()),
        ["connection_established", "handshake_response", "agent_started", "handshake_complete"]
    );
    assert_eq!(h.session.stats().frames, 4);
}

#[test]
fn without_handshake_complete_the_connection_is_ready_after_the_grace_and_says_so() {
    let mut h = acknowledged("thread_a");
    h.take_commands();
    h.take_events();
    h.advance(999);
    assert_eq!(h.take_sent(), Vec::<Value>::new(), "the grace is 1 s");
    assert_eq!(h.state(), ConnectionState::Handshaking);
    h.advance(1);
    assert_eq!(types(&h.take_sent()), ["user_message"]);
    assert_eq!(
        milestones(&h.take_events()),
        [
            format!("{:?}", HandshakeOutcome::Acknowledged { thread_id: Some("thread_a".into()) }),
            "open".to_owned()
        ]
    );
}

#[test]
fn a_handshake_that_never_comes_leaves_a_usable_connection_after_the_timeout_and_says_so() {
    let mut h = Harness::new(october());
    h.send(ask("hello")).unwrap();
    h.open();
    h.frame(&established(false));
    h.take_events();
    h.advance(4_999);
    assert_eq!(h.take_sent(), Vec::<Value>::new(), "waits 5 s for handshake_response");
    assert_eq!(h.state(), ConnectionState::Handshaking);
    h.advance(1);
    let sent = h.take_sent();
    assert_eq!(types(&sent), ["user_message"]);
    assert_eq!(sent[0]["payload"]["thread_id"], Value::Null, "no server thread to default to");
    assert_eq!(
        milestones(&h.take_events()),
        [format!("{:?}", HandshakeOutcome::Missing), "open".to_owned()]
    );
    assert_eq!(h.session.thread_id(), None);
}

#[test]
fn a_september_server_sees_exactly_the_old_session_in_auto_mode() {
    let mut h = Harness::new(SessionConfig::default());
    h.send(ask("hello")).unwrap();
    h.take_events();
    h.open();
    h.frame(&september_welcome());
    assert_eq!(types(&h.take_sent()), ["user_message"], "flushed at the first frame, as before");
    let events = h.take_events();
    assert_eq!(milestones(&events), ["open"]);
    assert!(!events.iter().any(|event| matches!(event, SessionEvent::Handshake(_))));
}

#[test]
fn in_auto_mode_a_handshake_that_comes_first_holds_the_queue_and_is_acknowledged() {
    let mut h = Harness::new(SessionConfig::default());
    h.send(ask("hello")).unwrap();
    h.open();
    h.take_events();
    h.frame(&handshake_response("thread_b"));
    assert_eq!(types(&h.take_sent()), ["handshake_acknowledged"]);
    assert_eq!(h.state(), ConnectionState::Handshaking);
    h.frame(HANDSHAKE_COMPLETE);
    let sent = h.take_sent();
    assert_eq!(types(&sent), ["user_message"]);
    assert_eq!(sent[0]["payload"]["thread_id"], "thread_b");
    assert_eq!(
        milestones(&h.take_events()),
        [
            "handshaking".to_owned(),
            format!("{:?}", HandshakeOutcome::Complete { thread_id: Some("thread_b".into()) }),
            "open".to_owned()
        ]
    );
}

#[test]
fn in_auto_mode_a_late_handshake_on_a_ready_connection_is_still_acknowledged_and_adopted() {
    let mut h = Harness::new(SessionConfig::default());
    h.open();
    h.frame(&september_welcome());
    h.take_commands();
    h.frame(&handshake_response("thread_c"));
    assert_eq!(types(&h.take_sent()), ["handshake_acknowledged"]);
    assert_eq!(h.session.thread_id(), Some("thread_c"));
    h.send(ask("next")).unwrap();
    assert_eq!(h.take_sent()[0]["payload"]["thread_id"], "thread_c", "sends flow meanwhile");
    h.take_events();
    h.frame(HANDSHAKE_COMPLETE);
    assert_eq!(
        milestones(&h.take_events()),
        [format!("{:?}", HandshakeOutcome::Complete { thread_id: Some("thread_c".into()) })],
        "the outcome is reported; the state stays open"
    );
}

#[test]
fn a_timer_call_while_an_expected_handshake_is_pending_sends_nothing() {
    let mut h = Harness::new(october());
    h.send(ask("hello")).unwrap();
    h.open();
    h.take_commands();
    // A driver may call at any time (a checker deadline, a late timer): past `ready_after`,
    // the queue still waits for the handshake.
    h.sleep_then_fire(1_500);
    assert_eq!(h.take_sent(), Vec::<Value>::new());
    assert_eq!(h.state(), ConnectionState::Handshaking);
}

#[test]
fn an_explicit_thread_wins_over_the_handshake_thread() {
    let mut h = acknowledged("thread_a");
    h.frame(HANDSHAKE_COMPLETE);
    h.take_commands();
    h.send(ClientMessage::UserMessage { content: "x".into(), thread_id: Some("t9".into()) })
        .unwrap();
    h.send(ClientMessage::StartAgent { user_request: "y".into(), thread_id: None }).unwrap();
    let sent = h.take_sent();
    assert_eq!(sent[0]["payload"]["thread_id"], "t9");
    assert_eq!(sent[1]["payload"]["thread_id"], "thread_a");
}

#[test]
fn the_handshake_thread_passes_the_thread_filter() {
    let config =
        SessionConfig { threads: Some(["t-mine".to_owned()].into_iter().collect()), ..october() };
    let mut h = Harness::new(config);
    h.open();
    h.frame(&handshake_response("thread_d"));
    h.frame(HANDSHAKE_COMPLETE);
    h.take_events();
    h.frame(&json!({"type":"agent_started","user_id":"user-1","thread_id":"thread_d","run_id":"r1","timestamp":"2025-10-31T09:15:03Z"}).to_string());
    assert_eq!(delivered(&h.take_events()), ["agent_started"]);
}

#[test]
fn every_reconnect_handshakes_again_and_adopts_the_new_thread() {
    let mut h = acknowledged("thread_a");
    h.frame(HANDSHAKE_COMPLETE);
    h.drop_and_reopen();
    assert_eq!(h.state(), ConnectionState::Handshaking);
    h.send(ask("after the drop")).unwrap();
    h.frame(&handshake_response("thread_b"));
    h.frame(HANDSHAKE_COMPLETE);
    let sent = h.take_sent();
    assert_eq!(types(&sent), ["handshake_acknowledged", "user_message"]);
    assert_eq!(sent[0]["thread_id"], "thread_b");
    assert_eq!(sent[1]["payload"]["thread_id"], "thread_b");
    assert_eq!(h.session.thread_id(), Some("thread_b"));
}

#[test]
fn with_seq_the_resume_waits_for_an_expected_handshake_and_follows_the_acknowledgement() {
    let mut h = Harness::new(october());
    h.open();
    h.frame(&established(true));
    h.frame(&handshake_response("thread_a"));
    h.frame(HANDSHAKE_COMPLETE);
    h.frame(&json!({"type":"agent_thinking","user_id":"user-1","thread_id":"thread_a","run_id":"r1","reasoning":"x","seq":1}).to_string());
    h.drop_and_reopen();
    assert_eq!(h.take_sent(), Vec::<Value>::new(), "no resume before the handshake");
    h.frame(&handshake_response("thread_b"));
    h.frame(HANDSHAKE_COMPLETE);
    let sent = h.take_sent();
    assert_eq!(types(&sent), ["handshake_acknowledged", "resume"]);
    assert_eq!(sent[1]["payload"]["last_seq"], 1);
}

#[test]
fn handshake_frames_are_typed_events_for_the_application() {
    let mut h = acknowledged("thread_a");
    let response = h
        .take_events()
        .into_iter()
        .find_map(|event| match event {
            SessionEvent::Event { event, .. } => match event.kind {
                EventKind::HandshakeResponse(_) => Some(event),
                _ => None,
            },
            _ => None,
        })
        .expect("the handshake_response is delivered");
    assert_eq!(response.context.thread_id.as_deref(), Some("thread_a"));
}

#[test]
fn in_auto_mode_an_october_welcome_holds_the_queue_for_its_handshake() {
    let mut h = Harness::new(SessionConfig::default());
    h.send(ask("hello")).unwrap();
    h.open();
    h.take_events();
    h.frame(&established(false));
    assert_eq!(h.take_sent(), Vec::<Value>::new(), "a full user id announces an October manager");
    assert_eq!(h.state(), ConnectionState::Handshaking);
    h.frame(&handshake_response("thread_e"));
    assert_eq!(types(&h.take_sent()), ["handshake_acknowledged"]);
    h.frame(HANDSHAKE_COMPLETE);
    let sent = h.take_sent();
    assert_eq!(types(&sent), ["user_message"]);
    assert_eq!(sent[0]["payload"]["thread_id"], "thread_e");
    assert_eq!(h.state(), ConnectionState::Open);
}

#[test]
fn in_auto_mode_an_october_welcome_without_a_handshake_is_used_after_the_grace() {
    let mut h = Harness::new(SessionConfig::default());
    h.send(ask("hello")).unwrap();
    h.open();
    h.frame(&established(false));
    h.take_events();
    h.advance(999);
    assert_eq!(h.take_sent(), Vec::<Value>::new());
    h.advance(1);
    assert_eq!(types(&h.take_sent()), ["user_message"]);
    assert_eq!(
        milestones(&h.take_events()),
        [format!("{:?}", HandshakeOutcome::Missing), "open".to_owned()]
    );
}

#[test]
fn in_auto_mode_a_resume_sent_before_the_handshake_goes_again_after_it() {
    let mut h = Harness::new(SessionConfig::default());
    h.open();
    h.frame(&json!({"type":"connection_established","data":{"user_id":"user-1...","features":{"seq":true}}}).to_string());
    h.frame(
        &json!({"type":"agent_thinking","user_id":"user-1","run_id":"r1","reasoning":"x","seq":1})
            .to_string(),
    );
    h.drop_and_reopen();
    assert_eq!(types(&h.take_sent()), ["resume"], "auto mode resumes at once, as before");
    h.frame(&established(true));
    h.frame(&error_frame("HANDSHAKE_INCOMPLETE"));
    h.frame(&handshake_response("thread_f"));
    h.frame(HANDSHAKE_COMPLETE);
    let sent = h.take_sent();
    assert_eq!(types(&sent), ["handshake_acknowledged", "resume"]);
    assert_eq!(sent[1]["payload"]["last_seq"], 1);
}

fn error_frame(code: &str) -> String {
    json!({"type":"error_message","error_code":code,"error_message":"send handshake_acknowledged first"}).to_string()
}

#[test]
fn a_reconnect_whose_handshake_never_comes_forgets_the_old_thread() {
    let mut h = acknowledged("thread_a");
    h.frame(HANDSHAKE_COMPLETE);
    h.drop_and_reopen();
    assert_eq!(h.session.thread_id(), None, "the thread belonged to the dropped connection");
    h.send(ask("after the drop")).unwrap();
    h.advance(5_000);
    let sent = h.take_sent();
    assert_eq!(types(&sent), ["user_message"]);
    assert_eq!(sent[0]["payload"]["thread_id"], Value::Null);
}
