//! Everything from the wire is data: markup in any field reaches the views unchanged, as text
//! (the views render it as text, never as HTML; nothing here escapes or interprets it).
#![allow(clippy::unwrap_used, reason = "tests fail by panicking")]

mod common;

use agentwire_inspector::state::{Action, Filter, State};
use common::{Client, agent};
use serde_json::json;

const SCRIPT: &str = "<script>alert('x')</script>";
const IMG: &str = "<img src=x onerror=alert(1)>";

#[test]
fn hostile_strings_pass_through_unchanged_as_data() {
    let mut state = State::default();
    let user = format!("u1{IMG}");
    let mut client = Client::connect(&mut state, &user);
    client.open(&mut state);
    let run = format!("r1{SCRIPT}");
    let frames = [
        agent("agent_started", &user, &run, IMG, json!({})),
        agent("agent_thinking", &user, &run, IMG, json!({"reasoning": SCRIPT})),
        agent("tool_executing", &user, &run, IMG, json!({"tool_name": IMG})),
        // Another user's event: its id ends up in the flag's sentence.
        agent("agent_thinking", SCRIPT, &run, IMG, json!({"reasoning": "leak"})),
    ];
    for frame in &frames {
        client.frame(&mut state, frame);
    }

    let rows: Vec<&str> = state.visible_rows(0..10).map(|row| row.raw().unwrap()).collect();
    assert_eq!(rows, frames.iter().map(String::as_str).collect::<Vec<_>>());
    let lane = state.lane_by_user(&user).unwrap();
    assert_eq!(lane.user(), user);
    let timeline = lane.runs().get(Some(&run)).unwrap();
    assert_eq!(timeline.thinking().get(0).unwrap().text, SCRIPT);
    assert_eq!(timeline.tools().get(0).unwrap().tool_name.as_deref(), Some(IMG));
    assert_eq!(timeline.executions().get(0).unwrap().agent.as_deref(), Some(IMG));
    let sentence = &state.visible_flags(0..1).next().unwrap().flag().message;
    assert!(sentence.contains(SCRIPT), "{sentence}");

    // Searching for markup finds it, as text.
    state.apply(Action::SetFilter(Filter { text: "<SCRIPT>".into(), ..Filter::default() }));
    assert_eq!(state.filtered_len(), 4, "the run id carries it on every frame");
}
