//! User lanes: one per SDK client, with its connection state, reconnects, last-event age,
//! frames per second and flag counts; a user with a cross-user flag comes first.
#![allow(clippy::unwrap_used, clippy::panic, reason = "tests fail by panicking")]

mod common;

use agentwire::session::ClosedReason;
use agentwire::{ConnectionState, Rule};
use agentwire_inspector::state::{Action, State};
use common::{Client, agent, at_ms, clean_run, event, flag};
use serde_json::json;

fn users(state: &State) -> Vec<&str> {
    state.lanes_in_order().into_iter().map(|lane| lane.user()).collect()
}

#[test]
fn a_cross_user_flag_marks_the_lane_and_moves_it_first() {
    let mut state = State::default();
    let mut alice = Client::connect(&mut state, "alice");
    let mut bob = Client::connect(&mut state, "bob");
    let mut carol = Client::connect(&mut state, "carol");
    for client in [&mut alice, &mut bob, &mut carol] {
        client.open(&mut state);
    }
    assert_eq!(users(&state), ["alice", "bob", "carol"]);
    for frame in clean_run("alice", "r1") {
        alice.frame(&mut state, &frame);
    }
    // One of alice's events reaches carol's connection.
    carol.frame(&mut state, &agent("agent_started", "alice", "r2", "supervisor", json!({})));

    assert_eq!(users(&state), ["carol", "alice", "bob"]);
    let carol = state.lane_by_user("carol").unwrap();
    assert!(carol.cross_user());
    assert_eq!(carol.flag_counts().error, 1);
    assert!(!state.lane_by_user("alice").unwrap().cross_user());
    assert_eq!(state.lane_by_user("alice").unwrap().flag_counts().total(), 0);
}

#[test]
fn lanes_show_connecting_open_backing_off_with_the_retry_time_and_auth_failure() {
    let mut state = State::default();
    let mut client = Client::connect(&mut state, "u1");
    let lane = |state: &State| state.lane_by_user("u1").unwrap().clone();
    assert!(matches!(lane(&state).connection(), ConnectionState::Connecting { attempt: 0 }));

    client.open(&mut state);
    assert!(
        matches!(lane(&state).connection(), ConnectionState::Connecting { .. }),
        "the socket is open, the server has not accepted it yet"
    );
    client.frame(&mut state, r#"{"type":"heartbeat","data":{}}"#);
    assert_eq!(lane(&state).connection(), &ConnectionState::Open);

    client.close(&mut state, 1006, "");
    let ConnectionState::BackingOff { retry_at, delay_ms, .. } = lane(&state).connection().clone()
    else {
        panic!("{:?}", lane(&state).connection())
    };
    assert_eq!(lane(&state).next_retry_at(), Some(retry_at));
    assert_eq!(retry_at.micros_since(client.now), i64::try_from(delay_ms).unwrap() * 1000);
    assert_eq!(lane(&state).reconnects(), 0);

    client.advance(&mut state, i64::try_from(delay_ms).unwrap());
    assert!(matches!(lane(&state).connection(), ConnectionState::Connecting { .. }));
    assert_eq!(lane(&state).reconnects(), 1);

    client.open(&mut state);
    client.close(&mut state, 1008, "Authentication failed");
    assert!(lane(&state).auth_failed());
    assert!(matches!(
        lane(&state).connection(),
        ConnectionState::Closed { reason: ClosedReason::AuthFailed { code: Some(1008), .. }, .. }
    ));
    assert_eq!(lane(&state).next_retry_at(), None);
}

#[test]
fn frames_per_second_and_the_last_event_age_follow_the_clock() {
    let mut state = State::default();
    // 10 s at 20 frames/s.
    for frame in 0..200u64 {
        let at = at_ms(i64::try_from(frame).unwrap() * 50);
        state.apply(event("u1", at, frame, r#"{"type":"heartbeat"}"#));
    }
    state.apply(Action::Tick(at_ms(10_000)));
    let now = state.now().unwrap();
    let lane = state.lane_by_user("u1").unwrap();
    assert!((lane.frames_per_second(now) - 20.0).abs() < 1e-9, "{}", lane.frames_per_second(now));
    assert_eq!(lane.last_event_age_ms(now), Some(50));
    assert_eq!(lane.last_event_at(), Some(at_ms(9_950)));

    state.apply(Action::Tick(at_ms(30_000)));
    let now = state.now().unwrap();
    let lane = state.lane_by_user("u1").unwrap();
    assert!(lane.frames_per_second(now).abs() < 1e-9);
    assert_eq!(lane.last_event_age_ms(now), Some(20_050));
    assert_eq!(lane.frames_received(), 200);
}

#[test]
fn flags_are_counted_by_severity_per_lane() {
    let mut state = State::default();
    let rules = [Rule::ToolNeverCompleted, Rule::DuplicateEvent, Rule::SlowGap, Rule::SlowGap];
    for rule in rules {
        state.apply(flag("u1", at_ms(0), rule, None, Some("r1")));
    }
    state.apply(flag("u2", at_ms(0), Rule::RunIncomplete, None, None));
    let counts = state.lane_by_user("u1").unwrap().flag_counts();
    assert_eq!((counts.error, counts.warning, counts.info), (1, 1, 2));
    assert_eq!(state.lane_by_user("u2").unwrap().flag_counts().error, 1);
}

#[test]
fn removing_a_user_drops_its_lane_frames_and_flags() {
    let mut state = State::default();
    state.apply(event("u1", at_ms(0), 0, r#"{"type":"heartbeat"}"#));
    state.apply(event("u2", at_ms(1), 0, r#"{"type":"heartbeat"}"#));
    state.apply(flag("u1", at_ms(2), Rule::SlowGap, Some(0), None));
    state.apply(Action::RemoveUser("u1".to_owned()));
    assert_eq!(users(&state), ["u2"]);
    assert_eq!(state.filtered_len(), 1);
    assert_eq!(state.filtered_flags_len(), 0);
}

/// The page reconnects a user after a settings change, and the lane keeps its rows: the new
/// connection numbers its frames on from them, so its flags land on its own frames (numbered
/// from 0 again, a malformed frame's flag landed on the old frame with its number).
#[test]
fn a_new_connection_for_a_lane_numbers_its_frames_on_and_flags_its_own() {
    let mut state = State::default();
    let mut first = Client::connect(&mut state, "u1");
    first.open(&mut state);
    for frame in clean_run("u1", "r1") {
        first.frame(&mut state, &frame);
    }
    let shown = state.next_frame("u1");
    assert!(shown >= 5, "{shown}");
    first.close(&mut state, 1000, "settings changed");

    let mut second = Client::connect(&mut state, "u1");
    second.open(&mut state);
    second.frame(&mut state, "not json");
    let lane = state.lane_by_user("u1").unwrap();
    let malformed: Vec<_> =
        lane.flags().filter(|entry| entry.flag().rule == Rule::MalformedFrame).collect();
    assert_eq!(malformed.len(), 1);
    assert_eq!(malformed[0].flag().frame, Some(shown));
    // The flag is on the malformed frame's own row, the lane's last, and no earlier row has it.
    let last = lane.rows().last().unwrap();
    assert_eq!((last.frame(), last.kind()), (shown, "malformed"));
    assert_eq!(malformed[0].rows(), [last.seq()]);
    assert!(lane.rows().rev().skip(1).all(|row| row.flags().is_empty()));
    let frames: Vec<u64> = lane.rows().map(|row| row.frame()).collect();
    assert!(frames.windows(2).all(|pair| pair[0] < pair[1]), "{frames:?}");
}
