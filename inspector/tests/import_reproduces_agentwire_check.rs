//! An imported recording or HAR file is replayed through the SDK's checker exactly as
//! `agentwire check` replays it, so the inspector shows the same flags as the CLI.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail by panicking")]

mod common;

use std::path::PathBuf;

use agentwire::{Flag, Rule};
use agentwire_inspector::state::{Action, LaneSource, MALFORMED, State, parse_capture};
use common::agentwire_check;

fn fixture(name: &str) -> (String, String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../cli/tests/fixtures").join(name);
    (name.to_owned(), std::fs::read_to_string(path).expect("fixture"))
}

/// `(rule, frame)` of the flags `agentwire check --json` prints for the faulty fixtures (see
/// cli/tests/check_command.rs and the README).
const FAULTY_RUN_FLAGS: [(Rule, Option<u64>); 6] = [
    (Rule::DuplicateEvent, Some(6)),
    (Rule::MalformedFrame, Some(7)),
    (Rule::CrossUserEvent, Some(8)),
    (Rule::EventBeforeStart, Some(8)),
    (Rule::ToolNeverCompleted, Some(9)),
    (Rule::SlowGap, Some(13)),
];

fn imported(name: &str) -> (State, Vec<Flag>) {
    let (name, text) = fixture(name);
    let import = parse_capture(&name, text.as_str()).unwrap();
    let expected = agentwire_check(&text);
    let mut state = State::default();
    state.apply(Action::Import(import));
    (state, expected)
}

fn lane_flags(state: &State, user: &str) -> Vec<Flag> {
    state.lane_by_user(user).unwrap().flags().map(|entry| entry.flag().clone()).collect()
}

#[test]
fn import_of_a_recording_reproduces_the_flags_of_agentwire_check() {
    let (state, expected) = imported("faulty_run.recording.jsonl");
    let flags = lane_flags(&state, "faulty_run.recording.jsonl");
    assert_eq!(flags, expected, "rule, severity, frame, related frames, run and sentence");
    let keys: Vec<(Rule, Option<u64>)> = flags.iter().map(|flag| (flag.rule, flag.frame)).collect();
    assert_eq!(keys, FAULTY_RUN_FLAGS);

    // The same views as a live capture: the stream, the runs, the flags list.
    let lane = state.lane_by_user("faulty_run.recording.jsonl").unwrap();
    assert_eq!(
        lane.source(),
        &LaneSource::Imported { user_id: Some("7c9e6679-7425-40de-944b-e07fc1f90ae7".into()) }
    );
    assert_eq!(state.filtered_len(), 16);
    assert_eq!(state.filtered_flags_len(), 6);
    let malformed = state.visible_rows(7..8).next().unwrap();
    assert_eq!((malformed.frame(), malformed.kind()), (7, MALFORMED));
    assert!(malformed.raw().unwrap().starts_with(r#"{"timestamp""#), "imports keep the text");
    assert_eq!(lane.runs().len(), 3, "as the checker counts runs");
    assert!(lane.cross_user());
    // The recording's connection lifecycle is on the lane's timeline.
    assert!(!lane.lifecycle().is_empty());
}

#[test]
fn import_of_a_har_file_reproduces_the_flags_of_agentwire_check() {
    let (state, expected) = imported("faulty_run.har");
    let flags = lane_flags(&state, "faulty_run.har");
    assert_eq!(flags, expected);
    // Without a header user (and no pong or ack naming one), no event is cross-user.
    let keys: Vec<(Rule, Option<u64>)> = flags.iter().map(|flag| (flag.rule, flag.frame)).collect();
    let without_cross_user: Vec<(Rule, Option<u64>)> =
        FAULTY_RUN_FLAGS.into_iter().filter(|(rule, _)| *rule != Rule::CrossUserEvent).collect();
    assert_eq!(keys, without_cross_user);
    let lane = state.lane_by_user("faulty_run.har").unwrap();
    assert_eq!(lane.source(), &LaneSource::Imported { user_id: None });
    assert!(!lane.cross_user());
}

#[test]
fn import_of_a_frames_file_reproduces_the_flags_of_agentwire_check() {
    let (state, expected) = imported("faulty_run.frames");
    assert_eq!(lane_flags(&state, "faulty_run.frames"), expected);
    assert!(!expected.is_empty());
}

#[test]
fn importing_again_replaces_the_lane() {
    let (mut state, _) = imported("faulty_run.recording.jsonl");
    let (name, text) = fixture("faulty_run.recording.jsonl");
    state.apply(Action::Import(parse_capture(&name, text.as_str()).unwrap()));
    assert_eq!(state.lanes().count(), 1);
    assert_eq!(state.filtered_len(), 16);
    assert_eq!(state.filtered_flags_len(), 6);
}

#[test]
fn a_recording_broken_half_way_keeps_what_was_checked_and_says_where_it_broke() {
    let (name, text) = fixture("corrupt_line.recording.jsonl");
    let mut state = State::default();
    state.apply(Action::Import(parse_capture(&name, text.as_str()).unwrap()));
    let lane = state.lane_by_user(&name).unwrap();
    let broken = lane.unreadable().unwrap();
    assert_eq!((broken.line, broken.records), (Some(5), 3), "{broken:?}");
    assert!(broken.error.contains("line 5"), "{}", broken.error);
    assert_eq!(lane.frames_received(), 1, "the frame before the break is checked and shown");
    assert!(
        !lane_flags(&state, &name).iter().any(|flag| flag.rule == Rule::RunIncomplete),
        "no end-of-stream flags: what the rest would have said is unknown"
    );

    let (name, text) = fixture("truncated.har");
    state.apply(Action::Import(parse_capture(&name, text.as_str()).unwrap()));
    let broken = state.lane_by_user(&name).unwrap().unreadable().unwrap();
    assert_eq!((broken.line, broken.records), (None, 0), "{broken:?}");
}

#[test]
fn binary_data_and_an_unreadable_header_are_errors_not_lanes() {
    let error = parse_capture("zeros", "\0\0\0\0").unwrap_err();
    assert!(error.to_string().contains("binary data"), "{error}");
    let header = r#"{"type":"agentwire.recording","version":99}"#;
    assert!(parse_capture("future.recording.jsonl", header).is_err());
}

#[test]
fn an_import_checked_in_chunks_ends_exactly_like_one_checked_at_once() {
    let (name, text) = fixture("faulty_run.recording.jsonl");
    let (whole, _) = imported("faulty_run.recording.jsonl");

    let mut state = State::default();
    state.apply(Action::BeginImport(parse_capture(&name, text.as_str()).unwrap()));
    let progress = state.import_progress().unwrap();
    assert_eq!((progress.user.as_str(), progress.done), (name.as_str(), 0));
    assert_eq!(progress.total_bytes, text.len() as u64);
    assert_eq!(state.filtered_len(), 0, "nothing is checked before the first chunk");

    state.apply(Action::ContinueImport(10));
    let progress = state.import_progress().unwrap();
    assert_eq!(progress.done, 10);
    assert!(progress.read_bytes > 0 && progress.read_bytes <= progress.total_bytes);
    assert!(state.filtered_len() > 0, "the first chunk is shown at once");
    assert!(
        !lane_flags(&state, &name).iter().any(|flag| flag.rule == Rule::ToolNeverCompleted),
        "end-of-stream rules wait for the last chunk"
    );
    while state.import_progress().is_some() {
        state.apply(Action::ContinueImport(4));
    }
    assert_eq!(lane_flags(&state, &name), lane_flags(&whole, &name));
    assert_eq!(state.filtered_len(), whole.filtered_len());
}

#[test]
fn a_new_import_finishes_the_one_in_progress_first() {
    let (name, text) = fixture("faulty_run.recording.jsonl");
    let (har_name, har) = fixture("faulty_run.har");
    let (whole, _) = imported("faulty_run.recording.jsonl");
    let mut state = State::default();
    state.apply(Action::BeginImport(parse_capture(&name, text.as_str()).unwrap()));
    state.apply(Action::ContinueImport(3));
    state.apply(Action::Import(parse_capture(&har_name, har.as_str()).unwrap()));
    assert_eq!(state.import_progress(), None);
    assert_eq!(lane_flags(&state, &name), lane_flags(&whole, &name));
    let (har_whole, _) = imported("faulty_run.har");
    assert_eq!(lane_flags(&state, &har_name), lane_flags(&har_whole, &har_name));
}

#[test]
fn frames_file_rows_take_their_time_from_the_frame_else_the_previous_one() {
    let text = "\u{feff}{\"type\":\"pong\",\"timestamp\":\"2025-09-18T14:56:14Z\"}\r\n\n  \nnot json\n{\"type\":\"heartbeat\"}\n";
    let mut state = State::default();
    let import = parse_capture("f.frames", text).unwrap();
    assert_eq!(import.format, agentwire::recording::CaptureFormat::Frames);
    state.apply(Action::Import(import));
    let t = agentwire::Timestamp::parse("2025-09-18T14:56:14Z").unwrap();
    let rows: Vec<(String, agentwire::Timestamp)> =
        state.visible_rows(0..usize::MAX).map(|row| (row.kind().to_owned(), row.at())).collect();
    assert_eq!(
        rows,
        [("pong".to_owned(), t), (MALFORMED.to_owned(), t), ("heartbeat".to_owned(), t)]
    );
}
