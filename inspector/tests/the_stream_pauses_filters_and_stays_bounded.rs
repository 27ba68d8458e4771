//! The stream: every frame in arrival order, pause and resume, clear, filters and search over
//! a virtualised window, the cap with its eviction count, and flags that highlight frames.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests fail by panicking")]

mod common;

use agentwire::{Flag, Rule, SessionEvent, Severity};
use agentwire_inspector::state::{Action, Filter, State};
use common::{Client, agent, at_ms, clean_run, event, flag, shown_kinds};
use serde_json::json;

fn heartbeats(state: &mut State, user: &str, frames: std::ops::Range<u64>) {
    for frame in frames {
        let at = at_ms(i64::try_from(frame).unwrap());
        state.apply(event(user, at, frame, r#"{"type":"heartbeat"}"#));
    }
}

fn filtered(state: &mut State, filter: Filter) -> Vec<(String, u64)> {
    state.apply(Action::SetFilter(filter));
    state.visible_rows(0..usize::MAX).map(|row| (row.user().to_owned(), row.frame())).collect()
}

#[test]
fn frames_received_while_paused_are_kept_and_counted() {
    let mut state = State::default();
    heartbeats(&mut state, "u1", 0..3);
    state.apply(flag("u1", at_ms(3), Rule::SlowGap, Some(2), None));
    state.apply(Action::Pause);
    heartbeats(&mut state, "u1", 3..8);
    state.apply(flag("u1", at_ms(9), Rule::SlowGap, Some(7), None));

    assert!(state.is_paused());
    assert_eq!(state.filtered_len(), 3);
    assert_eq!(state.visible_rows(0..100).count(), 3);
    assert_eq!(state.filtered_flags_len(), 1);
    assert_eq!(state.held_frames(), 5);
    assert_eq!(state.kept_frames(), 8);
    // Lanes stay live while paused.
    assert_eq!(state.lane_by_user("u1").unwrap().frames_received(), 8);

    state.apply(Action::Resume);
    assert!(!state.is_paused());
    assert_eq!(state.held_frames(), 0);
    assert_eq!(state.filtered_len(), 8);
    assert_eq!(state.filtered_flags_len(), 2);
}

#[test]
fn the_cap_evicts_oldest_frames_and_counts_them() {
    let mut state = State::with_cap(10);
    // Two users interleaved; u2 is quieter, so its old frames sit among u1's evicted ones.
    for frame in 0..100u64 {
        let at = at_ms(i64::try_from(frame).unwrap());
        state.apply(event("u1", at, frame, r#"{"type":"heartbeat"}"#));
        if frame % 10 == 0 {
            state.apply(event("u2", at, frame / 10, r#"{"type":"pong"}"#));
        }
    }
    let u1 = state.lane_by_user("u1").unwrap();
    assert_eq!((u1.rows().len(), u1.evicted_frames()), (10, 90));
    let u2 = state.lane_by_user("u2").unwrap();
    assert_eq!((u2.rows().len(), u2.evicted_frames()), (10, 0));
    assert_eq!(state.evicted_frames(), 90);
    assert_eq!(state.filtered_len(), 20);
    let rows: Vec<(String, u64)> =
        state.visible_rows(0..20).map(|row| (row.user().to_owned(), row.frame())).collect();
    assert_eq!(rows[0], ("u2".to_owned(), 0), "u2's oldest frame stays: it is under its cap");
    assert_eq!(rows[19], ("u1".to_owned(), 99));
    assert!(rows.windows(2).all(|pair| {
        let seq = |(user, frame): &(String, u64)| {
            state
                .lane_by_user(user)
                .unwrap()
                .rows()
                .find(|row| row.frame() == *frame)
                .unwrap()
                .seq()
        };
        seq(&pair[0]) < seq(&pair[1])
    }));
}

/// Large frames are bounded by bytes as well as by count: a server sending 1 MB frames filled
/// the page's memory long before the frame cap (an allocation failure traps the page).
#[test]
fn large_frames_keep_a_lane_under_its_byte_budget() {
    use agentwire_inspector::state::MAX_LANE_BYTES;
    let mut state = State::default();
    let results = "x".repeat(1 << 20);
    for frame in 0..100u64 {
        let at = at_ms(i64::try_from(frame).unwrap());
        let text =
            agent("tool_completed", "u1", "r1", "a", json!({ "results": results, "n": frame }));
        state.apply(event("u1", at, frame, &text));
    }
    let lane = state.lane_by_user("u1").unwrap();
    assert!(lane.bytes_kept() <= MAX_LANE_BYTES, "{}", lane.bytes_kept());
    assert!(lane.rows().len() >= 60, "{} rows", lane.rows().len());
    assert_eq!(lane.rows().len() as u64 + lane.evicted_frames(), 100);
    assert_eq!(lane.rows().last().unwrap().frame(), 99, "the newest stays");
    // One frame over the budget alone is kept: the newest always stays.
    let huge = agent("tool_completed", "u2", "r2", "a", json!({ "results": "y".repeat(70 << 20) }));
    state.apply(event("u2", at_ms(200), 0, &huge));
    assert_eq!(state.lane_by_user("u2").unwrap().rows().len(), 1);
}

#[test]
fn lowering_the_cap_evicts_at_once_and_flags_are_capped_too() {
    let mut state = State::default();
    heartbeats(&mut state, "u1", 0..50);
    for frame in 0..50 {
        state.apply(flag("u1", at_ms(60), Rule::SlowGap, Some(frame), None));
    }
    state.apply(Action::SetCap(5));
    let lane = state.lane_by_user("u1").unwrap();
    assert_eq!((lane.rows().len(), lane.evicted_frames()), (5, 45));
    assert_eq!((lane.flags().len(), lane.evicted_flags()), (5, 45));
    assert_eq!(state.filtered_len(), 5);
    assert_eq!(state.filtered_flags_len(), 5);
    assert_eq!(state.visible_rows(0..1).next().unwrap().frame(), 45);
}

#[test]
fn clear_empties_stream_runs_and_flags_but_keeps_lanes() {
    let mut state = State::default();
    let mut client = Client::connect(&mut state, "u1");
    client.open(&mut state);
    client.frame(&mut state, &agent("agent_started", "someone-else", "r1", "a", json!({})));
    assert!(state.lane_by_user("u1").unwrap().cross_user());
    state.apply(Action::Clear);

    let lane = state.lane_by_user("u1").unwrap();
    assert_eq!(state.filtered_len(), 0);
    assert_eq!(state.filtered_flags_len(), 0);
    assert!(lane.runs().is_empty());
    assert_eq!(lane.flag_counts().total(), 0);
    assert!(!lane.cross_user());
    assert_eq!(lane.connection(), &agentwire::ConnectionState::Open);
    assert_eq!(lane.frames_received(), 1);
    // Capture goes on after a clear.
    client.frame(&mut state, r#"{"type":"heartbeat"}"#);
    assert_eq!(shown_kinds(&state), ["heartbeat"]);
}

/// Two users, two runs each, one flagged frame per user.
fn two_users() -> State {
    let mut state = State::default();
    for (index, user) in ["alice", "bob"].into_iter().enumerate() {
        let mut frame = 0;
        for run in ["r1", "r2"] {
            for text in clean_run(user, &format!("{user}-{run}")) {
                let at = at_ms(i64::try_from(index * 100 + frame).unwrap());
                state.apply(event(user, at, frame as u64, &text));
                frame += 1;
            }
        }
    }
    state.apply(flag("alice", at_ms(500), Rule::DuplicateEvent, Some(1), Some("alice-r1")));
    state.apply(flag("bob", at_ms(500), Rule::ToolNeverCompleted, Some(9), Some("bob-r2")));
    state
}

#[test]
fn filters_by_user_run_type_severity_and_rule() {
    let mut state = two_users();
    assert_eq!(state.filtered_len(), 20);
    let by_user = filtered(&mut state, Filter { user: Some("bob".into()), ..Filter::default() });
    assert_eq!(by_user.len(), 10);
    assert!(by_user.iter().all(|(user, _)| user == "bob"));

    let by_run = filtered(&mut state, Filter { run: Some("alice-r2".into()), ..Filter::default() });
    assert_eq!(by_run, (5..10).map(|frame| ("alice".to_owned(), frame)).collect::<Vec<_>>());

    let by_type = filtered(
        &mut state,
        Filter { event_type: Some("tool_executing".into()), ..Filter::default() },
    );
    assert_eq!(by_type.len(), 4);

    let warnings =
        filtered(&mut state, Filter { severity: Some(Severity::Warning), ..Filter::default() });
    assert_eq!(warnings, [("alice".to_owned(), 1), ("bob".to_owned(), 9)]);
    assert_eq!(state.filtered_flags_len(), 2);

    let errors =
        filtered(&mut state, Filter { severity: Some(Severity::Error), ..Filter::default() });
    assert_eq!(errors, [("bob".to_owned(), 9)]);
    assert_eq!(state.filtered_flags_len(), 1);

    let by_rule =
        filtered(&mut state, Filter { rule: Some(Rule::DuplicateEvent), ..Filter::default() });
    assert_eq!(by_rule, [("alice".to_owned(), 1)]);
    let flags: Vec<Rule> = state.visible_flags(0..10).map(|entry| entry.flag().rule).collect();
    assert_eq!(flags, [Rule::DuplicateEvent]);

    let by_flag_type = filtered(
        &mut state,
        Filter { event_type: Some("agent_thinking".into()), ..Filter::default() },
    );
    assert_eq!(by_flag_type.len(), 4);
    assert_eq!(state.filtered_flags_len(), 1, "the flag raised by a thinking frame");

    assert_eq!(filtered(&mut state, Filter::default()).len(), 20);
    assert_eq!(state.filtered_flags_len(), 2);
}

#[test]
fn search_is_case_insensitive_over_type_run_user_text_and_flag_sentences() {
    let mut state = two_users();
    let search = |state: &mut State, text: &str| {
        filtered(state, Filter { text: text.into(), ..Filter::default() })
    };
    assert_eq!(search(&mut state, "TOOL_EXEC").len(), 4, "type");
    assert_eq!(search(&mut state, "Bob-R1").len(), 5, "run");
    assert_eq!(search(&mut state, "ALICE").len(), 10, "user (and text naming the user)");
    assert_eq!(search(&mut state, "Checking COSTS").len(), 4, "raw text");
    // The flag helper's sentence is "<rule> at frame Some(<frame>)".
    assert_eq!(search(&mut state, "tool-never-completed AT FRAME"), [("bob".to_owned(), 9)]);
    assert_eq!(state.filtered_flags_len(), 1, "flags are searched too");
    assert_eq!(search(&mut state, "no such text").len(), 0);
}

#[test]
fn narrowing_the_search_gives_the_same_rows_as_a_fresh_filter() {
    let mut state = two_users();
    let mut typed = Vec::new();
    for text in ["c", "co", "cos", "cost", "cost_a"] {
        typed = filtered(&mut state, Filter { text: text.into(), ..Filter::default() });
    }
    let mut fresh = two_users();
    let direct = filtered(&mut fresh, Filter { text: "cost_a".into(), ..Filter::default() });
    assert_eq!(typed, direct);
    assert_eq!(typed.len(), 8);
}

#[test]
fn a_flag_arriving_later_brings_its_frame_into_the_filtered_stream() {
    let mut state = State::default();
    state.apply(Action::SetFilter(Filter { severity: Some(Severity::Error), ..Filter::default() }));
    heartbeats(&mut state, "u1", 0..5);
    assert_eq!(state.filtered_len(), 0);
    state.apply(flag("u1", at_ms(10), Rule::MalformedFrame, Some(2), None));
    assert_eq!(state.visible_rows(0..5).map(|row| row.frame()).collect::<Vec<_>>(), [2]);
    // New frames still arrive in order around it.
    state.apply(flag("u1", at_ms(11), Rule::CrossUserEvent, Some(1), None));
    assert_eq!(state.visible_rows(0..5).map(|row| row.frame()).collect::<Vec<_>>(), [1, 2]);
}

#[test]
fn clicking_a_flag_highlights_the_frames_it_names() {
    let mut state = State::default();
    heartbeats(&mut state, "u1", 0..6);
    heartbeats(&mut state, "u2", 0..6);
    let flag = Flag {
        rule: Rule::DuplicateEvent,
        severity: Severity::Warning,
        frame: Some(5),
        related_frames: vec![2, 99],
        run_id: None,
        message: "repeats frame 2".to_owned(),
    };
    state.apply(Action::Session {
        user: "u2".into(),
        at: at_ms(10),
        event: SessionEvent::Flag(flag),
    });
    let entry = state.visible_flags(0..1).next().unwrap();
    let highlighted: Vec<(String, u64)> = state
        .flag_rows(entry.id())
        .into_iter()
        .map(|seq| {
            let row = state.row(seq).unwrap();
            (row.user().to_owned(), row.frame())
        })
        .collect();
    assert_eq!(highlighted, [("u2".to_owned(), 2), ("u2".to_owned(), 5)]);
    let first = *state.flag_rows(entry.id()).first().unwrap();
    assert_eq!(state.position_of(first), Some(8), "where to scroll to");
    assert_eq!(state.visible_rows(8..9).next().unwrap().flags(), [entry.id()]);
}

#[test]
fn visible_rows_read_a_window_by_position() {
    let mut state = State::default();
    heartbeats(&mut state, "u1", 0..5000);
    let window: Vec<u64> = state.visible_rows(2500..2503).map(|row| row.frame()).collect();
    assert_eq!(window, [2500, 2501, 2502]);
    assert_eq!(state.visible_rows(4999..6000).count(), 1);
    assert_eq!(state.visible_rows(6000..7000).count(), 0);
}
