//! Export: a live capture as an agentwire recording or HAR, one file per user, that
//! `agentwire check` reads with the same flags as the live checker raised; tokens never leave.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests fail by panicking"
)]

mod common;

use agentwire::recording::{Record, RecordingReader};
use agentwire::{ConnectionState, Rule};
use agentwire_inspector::state::{Action, ExportError, ExportFormat, State, parse_capture};
use common::{Client, agent, agentwire_check, clean_run};
use serde_json::{Value, json};

const URL: &str = "wss://manager.example/ws?token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2ln";
const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2ln";

/// A live capture for u1 with a repeat, a leaked event, a tool call that never completes and
/// a dropped connection; and a clean one for u2.
fn live_capture() -> State {
    let mut state = State::default();
    let mut u1 = Client::connect(&mut state, "u1");
    let mut u2 = Client::connect(&mut state, "u2");
    u1.open(&mut state);
    u2.open(&mut state);
    let run = clean_run("u1", "r1");
    for frame in &run[..3] {
        u1.frame(&mut state, frame);
    }
    u1.frame(&mut state, &run[1]);
    u1.frame(&mut state, &agent("agent_thinking", "u2", "r9", "other", json!({"reasoning": "x"})));
    u1.close(&mut state, 1006, "");
    let ConnectionState::BackingOff { delay_ms, .. } =
        state.lane_by_user("u1").unwrap().connection().clone()
    else {
        panic!("not backing off")
    };
    u1.advance(&mut state, i64::try_from(delay_ms).unwrap());
    u1.open(&mut state);
    u1.frame(&mut state, &run[4]);
    // A token pasted into a message must not be exported.
    u1.frame(&mut state, &format!(r#"{{"type":"system_message","message":"token {JWT}"}}"#));
    for frame in clean_run("u2", "r2") {
        u2.frame(&mut state, &frame);
    }
    state
}

fn live_flags(state: &State, user: &str) -> Vec<(Rule, Option<u64>)> {
    let lane = state.lane_by_user(user).unwrap();
    lane.flags().map(|entry| (entry.flag().rule, entry.flag().frame)).collect()
}

#[test]
fn an_exported_recording_gives_agentwire_check_the_flags_raised_live() {
    let state = live_capture();
    let live = live_flags(&state, "u1");
    assert_eq!(
        live,
        [
            (Rule::DuplicateEvent, Some(3)),
            (Rule::CrossUserEvent, Some(4)),
            (Rule::EventBeforeStart, Some(4)),
            (Rule::ToolNeverCompleted, Some(5)),
        ]
    );
    let file = state.export("u1", ExportFormat::Recording, URL).unwrap();
    assert_eq!(file.name, "agentwire-u1.recording.jsonl");
    let text = String::from_utf8(file.bytes).unwrap();

    let checked = agentwire_check(&text);
    let checked: Vec<(Rule, Option<u64>)> =
        checked.iter().map(|flag| (flag.rule, flag.frame)).collect();
    assert_eq!(checked, live);

    let mut reader = RecordingReader::new(text.as_bytes()).unwrap();
    assert_eq!(reader.header().user_id.as_deref(), Some("u1"));
    let kinds: Vec<&str> = reader
        .by_ref()
        .map(|record| match record.unwrap() {
            Record::Frame { .. } => "frame",
            Record::Open { .. } => "open",
            Record::Close { .. } => "close",
            Record::Reconnect { .. } => "reconnect",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "open",
            "frame",
            "frame",
            "frame",
            "frame",
            "frame",
            "close",
            "reconnect",
            "open",
            "frame",
            "frame"
        ]
    );
}

#[test]
fn tokens_are_never_exported() {
    let state = live_capture();
    for format in [ExportFormat::Recording, ExportFormat::Har] {
        let file = state.export("u1", format, URL).unwrap();
        let text = String::from_utf8(file.bytes).unwrap();
        assert!(!text.contains(JWT), "{format:?}: {text}");
        assert!(text.contains("token=REDACTED"), "{format:?}");
        assert!(text.contains("[REDACTED-JWT]"), "{format:?}");
    }
}

#[test]
fn an_exported_har_has_websocket_messages_and_imports_with_the_same_flags() {
    let state = live_capture();
    let file = state.export("u1", ExportFormat::Har, URL).unwrap();
    assert_eq!(file.name, "agentwire-u1.har");
    let har: Value = serde_json::from_slice(&file.bytes).unwrap();
    let entries = har["log"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "one entry per connection");
    let messages: usize =
        entries.iter().map(|entry| entry["_webSocketMessages"].as_array().unwrap().len()).sum();
    assert_eq!(messages, 7);
    assert_eq!(entries[0]["_webSocketMessages"][0]["type"], "receive");

    let mut imported = State::default();
    let text = String::from_utf8(file.bytes).unwrap();
    imported.apply(Action::Import(parse_capture(&file.name, text.as_str()).unwrap()));
    let flags = live_flags(&imported, "agentwire-u1.har");
    // Without a header user, the HAR is checked without cross-user detection (as `check` does).
    assert!(flags.contains(&(Rule::DuplicateEvent, Some(3))));
    assert!(flags.contains(&(Rule::ToolNeverCompleted, Some(5))));
    assert_eq!(imported.filtered_len(), 7);
}

#[test]
fn export_all_writes_one_file_per_user() {
    let state = live_capture();
    let files = state.export_all(ExportFormat::Recording, URL).unwrap();
    let users: Vec<&str> = files.iter().map(|file| file.user.as_str()).collect();
    assert_eq!(users, ["u1", "u2"]);
    let u2 = String::from_utf8(files[1].bytes.clone()).unwrap();
    assert!(agentwire_check(&u2).is_empty(), "u2's run is clean");
    assert!(matches!(
        state.export("nobody", ExportFormat::Har, URL),
        Err(ExportError::UnknownUser(user)) if user == "nobody"
    ));
}

#[test]
fn a_frame_too_long_to_keep_shows_its_length_exports_as_such_and_imports_back() {
    let mut state = State::default();
    let mut u1 = Client::connect(&mut state, "u1");
    u1.open(&mut state);
    let run = clean_run("u1", "r1");
    u1.frame(&mut state, &run[0]);
    // What the browser glue reports for a frame over the client's 16 MiB limit.
    u1.session.handle_too_long(u1.now, 20_000_000);
    u1.drain(&mut state);
    for frame in &run[1..] {
        u1.frame(&mut state, frame);
    }
    let lane = state.lane_by_user("u1").unwrap();
    let row = lane.rows().nth(1).unwrap();
    assert_eq!(
        (row.kind(), row.size(), row.limit(), row.raw()),
        ("malformed", 20_000_000, Some(16 << 20), None)
    );
    assert!(lane.bytes_kept() < 10_000, "nothing of it is kept: {}", lane.bytes_kept());
    assert_eq!(lane.bytes_received(), 20_000_000 + run.iter().map(|f| f.len() as u64).sum::<u64>());
    let live = live_flags(&state, "u1");
    assert_eq!(live, [(Rule::MalformedFrame, Some(1))]);

    let file = state.export("u1", ExportFormat::Recording, URL).unwrap();
    let text = String::from_utf8(file.bytes).unwrap();
    assert!(text.contains(r#""type":"too_long","dir":"in""#), "{text}");
    let checked: Vec<(Rule, Option<u64>)> =
        agentwire_check(&text).iter().map(|flag| (flag.rule, flag.frame)).collect();
    assert_eq!(checked, live, "agentwire check flags it where it arrived");

    let mut imported = State::default();
    imported.apply(Action::Import(parse_capture(&file.name, text.as_str()).unwrap()));
    let lane = imported.lane_by_user(&file.name).unwrap();
    let row = lane.rows().nth(1).unwrap();
    assert_eq!((row.size(), row.limit()), (20_000_000, Some(16 << 20)));
    assert_eq!(lane.rows().len(), run.len() + 1, "one row for it, and every frame after it");
    // Exported again, it is the same record: nothing shifts.
    let again = imported.export(&file.name, ExportFormat::Recording, URL).unwrap();
    assert!(String::from_utf8(again.bytes).unwrap().contains(r#""type":"too_long""#));
}
