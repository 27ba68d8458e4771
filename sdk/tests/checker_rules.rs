//! One test per checker rule that triggers it, and one near miss that must stay clean
//! (docs/rules.md).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test helpers fail the test by panicking"
)]

mod common;

use std::time::Duration;

use agentwire::{Checker, CheckerConfig, Rule, Severity, Timestamp};
use common::*;
use serde_json::json;

fn only(flags: &[agentwire::Flag], rule: Rule) -> Vec<&agentwire::Flag> {
    flags.iter().filter(|flag| flag.rule == rule).collect()
}

// --- clean streams ---

#[test]
fn a_clean_run_raises_no_flag() {
    assert_eq!(check(&clean_run("r1", 0.0)), vec![]);
}

#[test]
fn two_sub_agent_pairs_in_one_run_are_clean() {
    let frames = vec![
        started("r1", "supervisor", 0.0),
        thinking("r1", "supervisor", 0.5, "Routing to triage"),
        started("r1", "triage", 1.0),
        thinking("r1", "triage", 1.5, "Classifying"),
        tool_executing("r1", "classifier", 2.0),
        tool_completed("r1", "classifier", 2.5),
        completed("r1", "triage", 3.0),
        started("r1", "optimizer", 3.5),
        tool_executing("r1", "cost_analyzer", 4.0),
        tool_completed("r1", "cost_analyzer", 4.5),
        completed("r1", "optimizer", 5.0),
        completed("r1", "supervisor", 5.5),
    ];
    assert_eq!(check(&frames), vec![]);
}

#[test]
fn connection_frames_heartbeats_and_acks_raise_no_flag() {
    let frames: Vec<String> = [
        r#"{"type":"connection_established","data":{"mode":"main","user_id":"user-1...","connection_id":"main_3fa9c2d1"},"timestamp":1758207374.1,"server_id":null,"correlation_id":null}"#,
        r#"{"type":"heartbeat","data":{"connection_id":"main_3fa9c2d1","timestamp":"2025-09-18T14:56:14+00:00"},"timestamp":1758207374.2}"#,
        r#"{"type":"pong","data":{"timestamp":1758207374.3,"user_id":"user-1"}}"#,
        r#"{"type":"ack","received_type":"session_restore","timestamp":1758207374.5,"user_id":"user-1","status":"acknowledged"}"#,
    ]
    .map(String::from)
    .to_vec();
    assert_eq!(check(&frames), vec![]);
}

// --- malformed-frame ---

#[test]
fn malformed_frames_are_flagged_and_checking_goes_on() {
    let mut frames = vec!["not json".to_owned(), "[1,2]".to_owned(), r#"{"no_type":1}"#.to_owned()];
    frames.extend(clean_run("r1", 0.0));
    frames.push(r#"{"type":"agent_started""#.to_owned());
    let flags = check(&frames);
    assert_eq!(rules(&flags), vec![Rule::MalformedFrame; 4]);
    assert_eq!(
        flags.iter().map(|f| f.frame).collect::<Vec<_>>(),
        vec![Some(0), Some(1), Some(2), Some(8)]
    );
    assert_eq!(flags[0].severity, Severity::Error);
}

#[test]
fn a_valid_object_with_a_string_type_is_not_malformed() {
    assert_eq!(check(&[r#"{"type":"pong"}"#.to_owned()]), vec![]);
}

// --- unknown-type ---

#[test]
fn an_unknown_type_is_info_and_kept() {
    let flags = check(&[r#"{"type":"mcp_tool_list","tools":[]}"#.to_owned()]);
    assert_eq!(rules(&flags), vec![Rule::UnknownType]);
    assert_eq!(flags[0].severity, Severity::Info);
    assert!(flags[0].message.contains("mcp_tool_list"), "{}", flags[0].message);
}

#[test]
fn aliases_are_not_unknown_types() {
    let frames = vec![
        started("r1", "supervisor", 0.0),
        s3("reasoning", "r1", 1.0, json!({"reasoning": "thinking via the emitter quirk"})),
        s3("tool_call", "r1", 2.0, json!({"tool_name": "search"})),
        s3("tool_result", "r1", 3.0, json!({"tool_name": "search", "result": {"hits": 3}})),
        s3("agent_finished", "r1", 4.0, json!({"agent_name": "supervisor", "status": "completed"})),
    ];
    assert_eq!(check(&frames), vec![]);
}

// --- missing-field ---

#[test]
fn each_missing_required_field_is_one_flag_and_the_event_still_applies() {
    let frames = vec![
        // agent_started without user_id, timestamp, thread_id and run_id: three requirements.
        r#"{"type":"agent_started","agent_name":"supervisor"}"#.to_owned(),
        r#"{"type":"agent_thinking","agent_name":"supervisor"}"#.to_owned(),
        r#"{"type":"tool_executing"}"#.to_owned(),
        r#"{"type":"tool_completed"}"#.to_owned(),
        r#"{"type":"agent_completed","agent_name":"supervisor"}"#.to_owned(),
    ];
    let flags = check(&frames);
    let missing = only(&flags, Rule::MissingField);
    let per_frame: Vec<u64> = missing.iter().filter_map(|f| f.frame).collect();
    assert_eq!(per_frame, vec![0, 0, 0, 1, 2, 3, 3, 4], "{missing:#?}");
    // Applied anyway: the run started, the tool call opened and closed, the run finished.
    assert_eq!(rules(&flags).iter().filter(|r| **r != Rule::MissingField).count(), 0, "{flags:#?}");
}

#[test]
fn required_fields_are_found_in_every_body_location_and_synonym() {
    let frames = vec![
        r#"{"type":"agent_started","run_id":"r1","timestamp":1758207374.0,"data":{"user_id":"u"}}"#.to_owned(),
        r#"{"type":"agent_thinking","run_id":"r1","payload":{"thought":"hmm"}}"#.to_owned(),
        r#"{"type":"tool_executing","run_id":"r1","data":{"payload":{"tool":"search"}}}"#.to_owned(),
        r#"{"type":"tool_completed","run_id":"r1","tool_name":"search","metadata":{"result":{"n":1}}}"#.to_owned(),
        r#"{"type":"agent_completed","run_id":"r1","data":{"result":{"answer":42}}}"#.to_owned(),
    ];
    assert_eq!(only(&check(&frames), Rule::MissingField), Vec::<&agentwire::Flag>::new());
}

#[test]
fn empty_string_and_null_count_as_absent() {
    let frames = vec![
        s3("agent_started", "r1", 0.0, json!({"user_id": "", "agent_name": "a"})),
        s3("agent_thinking", "r1", 1.0, json!({"reasoning": null})),
    ];
    let flags = check(&frames);
    assert_eq!(only(&flags, Rule::MissingField).len(), 2, "{flags:#?}");
}

// --- event-before-start ---

#[test]
fn thinking_before_any_start_is_an_error() {
    let frames = vec![thinking("r1", "supervisor", 0.0, "early"), started("r1", "supervisor", 1.0)];
    let flags = check(&frames);
    assert_eq!(rules(&flags), vec![Rule::EventBeforeStart, Rule::RunIncomplete]);
    assert_eq!(flags[0].run_id.as_deref(), Some("r1"));
    assert_eq!(flags[0].frame, Some(0));
}

#[test]
fn a_start_for_another_run_does_not_count_for_this_one() {
    let frames = vec![started("r1", "supervisor", 0.0), thinking("r2", "supervisor", 1.0, "x")];
    let flags = check(&frames);
    assert_eq!(only(&flags, Rule::EventBeforeStart).len(), 1);
    assert_eq!(only(&flags, Rule::EventBeforeStart)[0].run_id.as_deref(), Some("r2"));
}

// --- event-after-completion ---

#[test]
fn thinking_after_the_last_execution_closed_is_a_warning() {
    let mut frames = clean_run("r1", 0.0);
    frames.push(thinking("r1", "supervisor", 5.0, "late thought"));
    let flags = check(&frames);
    assert_eq!(rules(&flags), vec![Rule::EventAfterCompletion]);
    assert_eq!(flags[0].related_frames, vec![4]);
}

#[test]
fn a_new_start_after_completion_is_allowed() {
    let mut frames = clean_run("r1", 0.0);
    frames.extend(clean_run("r1", 10.0));
    assert_eq!(check(&frames), vec![]);
}

// --- tool-completed-without-executing ---

#[test]
fn a_tool_completion_with_no_open_call_is_an_error() {
    let frames = vec![
        started("r1", "supervisor", 0.0),
        thinking("r1", "supervisor", 1.0, "x"),
        tool_completed("r1", "search", 2.0),
        completed("r1", "supervisor", 3.0),
    ];
    assert_eq!(rules(&check(&frames)), vec![Rule::ToolCompletedWithoutExecuting]);
}

#[test]
fn two_concurrent_calls_of_one_tool_close_first_in_first_out() {
    let frames = vec![
        started("r1", "supervisor", 0.0),
        thinking("r1", "supervisor", 0.5, "x"),
        tool_executing("r1", "search", 1.0),
        tool_executing("r1", "search", 1.1),
        tool_completed("r1", "search", 2.0),
        tool_completed("r1", "search", 2.1),
        completed("r1", "supervisor", 3.0),
    ];
    assert_eq!(check(&frames), vec![]);
}

#[test]
fn execution_ids_pair_calls_even_without_tool_names() {
    let frames = vec![
        started("r1", "supervisor", 0.0),
        thinking("r1", "supervisor", 0.5, "x"),
        s3("tool_executing", "r1", 1.0, json!({"tool_name": "a", "execution_id": "e1"})),
        s3("tool_executing", "r1", 1.1, json!({"tool_name": "a", "execution_id": "e2"})),
        s3("tool_completed", "r1", 2.0, json!({"execution_id": "e2", "results": {}})),
        s3(
            "tool_completed",
            "r1",
            2.1,
            json!({"tool_name": "a", "execution_id": "e1", "results": {}}),
        ),
        completed("r1", "supervisor", 3.0),
    ];
    let flags = check(&frames);
    // Only the missing tool_name on frame 4 is flagged; the call still closes by execution_id.
    assert_eq!(rules(&flags), vec![Rule::MissingField], "{flags:#?}");
}

// --- tool-never-completed ---

#[test]
fn an_open_tool_call_when_the_run_finishes_is_an_error_per_call() {
    let frames = vec![
        started("r1", "supervisor", 0.0),
        thinking("r1", "supervisor", 1.0, "x"),
        tool_executing("r1", "search", 2.0),
        tool_executing("r1", "cost_analyzer", 2.5),
        completed("r1", "supervisor", 4.0),
        tool_completed("r1", "search", 5.0),
    ];
    let flags = check(&frames);
    assert_eq!(
        rules(&flags),
        vec![Rule::ToolNeverCompleted, Rule::ToolNeverCompleted, Rule::EventAfterCompletion],
        "{flags:#?}"
    );
    assert_eq!(flags[0].related_frames, vec![2]);
    assert_eq!(flags[1].related_frames, vec![3]);
}

#[test]
fn a_tool_open_while_a_sub_agent_finishes_is_fine_if_the_run_stays_active() {
    let frames = vec![
        started("r1", "supervisor", 0.0),
        thinking("r1", "supervisor", 0.5, "x"),
        tool_executing("r1", "search", 1.0),
        started("r1", "triage", 1.5),
        completed("r1", "triage", 2.0),
        tool_completed("r1", "search", 2.5),
        completed("r1", "supervisor", 3.0),
    ];
    assert_eq!(check(&frames), vec![]);
}

// --- run-incomplete ---

#[test]
fn a_run_open_at_the_end_gets_one_flag_that_includes_its_open_tools() {
    let frames = vec![
        started("r1", "supervisor", 0.0),
        thinking("r1", "supervisor", 1.0, "x"),
        tool_executing("r1", "search", 2.0),
    ];
    let flags = check(&frames);
    assert_eq!(rules(&flags), vec![Rule::RunIncomplete]);
    assert_eq!(flags[0].frame, None);
    assert!(flags[0].message.contains("search"), "{}", flags[0].message);
    assert_eq!(flags[0].related_frames, vec![0, 2]);
}

#[test]
fn nested_executions_that_all_close_are_complete() {
    let frames = vec![
        started("r1", "supervisor", 0.0),
        started("r1", "triage", 0.2),
        thinking("r1", "triage", 0.4, "x"),
        completed("r1", "supervisor", 0.6), // closes by name even though triage opened later
        completed("r1", "triage", 0.8),
    ];
    assert_eq!(check(&frames), vec![]);
}

// --- run-stalled and slow-gap (offline: frame timestamps) ---

#[test]
fn a_gap_past_the_stall_deadline_inside_an_active_run_is_a_stall() {
    let frames = vec![
        started("r1", "supervisor", 0.0),
        thinking("r1", "supervisor", 31.0, "x"),
        completed("r1", "supervisor", 32.0),
    ];
    let flags = check(&frames);
    assert_eq!(rules(&flags), vec![Rule::RunStalled]);
    assert_eq!(flags[0].frame, Some(1));
}

#[test]
fn a_gap_between_runs_is_not_a_stall() {
    let mut frames = clean_run("r1", 0.0);
    frames.extend(clean_run("r1", 100.0));
    assert_eq!(check(&frames), vec![]);
}

#[test]
fn a_gap_of_exactly_the_deadline_is_neither_a_stall_nor_a_slow_gap() {
    // run-stalled needs a gap longer than stall_after; slow-gap one shorter than it.
    let frames = vec![
        started("r1", "supervisor", 0.0),
        thinking("r1", "supervisor", 30.0, "x"),
        completed("r1", "supervisor", 31.0),
    ];
    assert_eq!(rules(&check(&frames)), vec![]);
}

#[test]
fn gaps_are_measured_from_the_latest_time_not_from_an_event_stamped_in_the_past() {
    let frames = vec![
        started("r1", "a", 0.0),
        thinking("r1", "a", 20.0, "x"),
        tool_executing("r1", "search", 0.0), // crossed paths: stamped 20 s early
        tool_completed("r1", "search", 31.0), // 11 s after the latest event, not 31 s
        completed("r1", "a", 32.0),
    ];
    let flags = check(&frames);
    assert_eq!(rules(&flags), vec![Rule::SlowGap, Rule::TimestampRegression], "{flags:#?}");
    assert_eq!(flags[0].frame, Some(1), "20 s between frames 0 and 1 is the only slow gap");
}

#[test]
fn a_gap_over_fifteen_seconds_is_a_slow_gap_and_fifteen_is_not() {
    let slow =
        vec![started("r1", "a", 0.0), thinking("r1", "a", 15.5, "x"), completed("r1", "a", 16.0)];
    let flags = check(&slow);
    assert_eq!(rules(&flags), vec![Rule::SlowGap]);
    assert_eq!(flags[0].severity, Severity::Info);
    let fine =
        vec![started("r1", "a", 0.0), thinking("r1", "a", 15.0, "x"), completed("r1", "a", 16.0)];
    assert_eq!(check(&fine), vec![]);
}

#[test]
fn stall_after_is_configurable() {
    let frames =
        vec![started("r1", "a", 0.0), thinking("r1", "a", 20.0, "x"), completed("r1", "a", 21.0)];
    let config = CheckerConfig::offline().with_stall_after(Duration::from_secs(10));
    assert_eq!(rules(&check_with(config, &frames)), vec![Rule::RunStalled]);
}

// --- run-stalled (live: timers) ---

fn at(t: f64) -> Timestamp {
    Timestamp::from_unix_secs_f64(T0 + t).unwrap()
}

#[test]
fn live_stall_fires_from_the_timer_once_and_a_later_event_ends_it() {
    let mut checker = Checker::new(CheckerConfig::live());
    assert_eq!(checker.poll_timeout(), None);
    let _ = checker.handle_text(&started("r1", "a", 0.0), Some(at(0.0)));
    assert_eq!(checker.poll_timeout(), Some(at(30.0)));
    checker.handle_timeout(at(29.9));
    assert_eq!(checker.poll_flag(), None);
    checker.handle_timeout(at(30.0));
    let flag = checker.poll_flag().expect("stalled");
    assert_eq!(
        (flag.rule, flag.frame, flag.related_frames.clone()),
        (Rule::RunStalled, None, vec![0])
    );
    assert_eq!(checker.poll_timeout(), None, "once per stall");
    checker.handle_timeout(at(90.0));
    assert_eq!(checker.poll_flag(), None);
    // The stall ends with the next event, which raises nothing more for the same silence.
    let _ = checker.handle_text(&thinking("r1", "a", 95.0, "back"), Some(at(95.0)));
    assert_eq!(checker.poll_flag(), None);
    assert_eq!(checker.poll_timeout(), Some(at(125.0)));
}

#[test]
fn live_mode_judges_gaps_by_arrival_time_not_frame_timestamps() {
    let mut checker = Checker::new(CheckerConfig::live());
    // Frame timestamps 40 s apart, but they arrived 1 s apart: no stall, no slow gap.
    let _ = checker.handle_text(&started("r1", "a", 0.0), Some(at(0.0)));
    let _ = checker.handle_text(&thinking("r1", "a", 40.0, "x"), Some(at(1.0)));
    assert_eq!(checker.poll_flag(), None);
}

#[test]
fn live_finished_runs_arm_no_timer() {
    let mut checker = Checker::new(CheckerConfig::live());
    for (i, frame) in clean_run("r1", 0.0).iter().enumerate() {
        let _ = checker.handle_text(frame, Some(at(i as f64)));
    }
    assert_eq!(checker.poll_timeout(), None);
}

// --- missing-thinking ---

#[test]
fn a_run_without_thinking_is_flagged_once() {
    let frames = vec![
        started("r1", "a", 0.0),
        completed("r1", "a", 1.0),
        started("r1", "a", 2.0),
        completed("r1", "a", 3.0),
    ];
    let flags = check(&frames);
    assert_eq!(rules(&flags), vec![Rule::MissingThinking]);
    assert_eq!(flags[0].frame, Some(1));
    assert_eq!(flags[0].related_frames, vec![0]);
}

#[test]
fn thinking_in_any_execution_of_the_run_satisfies_the_rule() {
    let frames = vec![
        started("r1", "supervisor", 0.0),
        started("r1", "triage", 0.5),
        thinking("r1", "triage", 1.0, "x"),
        completed("r1", "triage", 1.5),
        completed("r1", "supervisor", 2.0),
    ];
    assert_eq!(check(&frames), vec![]);
}

// --- duplicate-event ---

#[test]
fn a_duplicate_completion_is_flagged_once_and_not_applied_twice() {
    let mut frames = clean_run("r1", 0.0);
    frames.push(frames[4].clone());
    let flags = check(&frames);
    // Applied twice it would also be event-after-completion; it must be only the duplicate.
    assert_eq!(rules(&flags), vec![Rule::DuplicateEvent]);
    assert_eq!((flags[0].frame, flags[0].related_frames.clone()), (Some(5), vec![4]));
}

#[test]
fn a_retry_with_an_attempt_key_is_a_duplicate() {
    let frames = vec![
        started("r1", "a", 0.0),
        s3(
            "agent_started",
            "r1",
            0.0,
            json!({"agent_name": "a", "task_description": "Processing request", "status": "started", "attempt": 2}),
        ),
    ];
    let flags = check(&frames);
    assert_eq!(only(&flags, Rule::DuplicateEvent).len(), 1);
    // The retry did not open a second execution: one run-incomplete naming one execution.
    let incomplete = only(&flags, Rule::RunIncomplete);
    assert!(incomplete[0].message.contains("1 execution"), "{}", incomplete[0].message);
}

#[test]
fn equal_json_with_reordered_keys_is_a_duplicate_but_a_different_time_is_not() {
    let a = r#"{"type":"agent_thinking","run_id":"r1","reasoning":"x","n":1}"#;
    let b = r#"{"n":1.0,"reasoning":"x","run_id":"r1","type":"agent_thinking"}"#;
    let flags = check(&[started("r1", "a", 0.0), a.to_owned(), b.to_owned()]);
    assert_eq!(only(&flags, Rule::DuplicateEvent).len(), 1);
    let near =
        vec![started("r1", "a", 0.0), thinking("r1", "a", 1.0, "x"), thinking("r1", "a", 2.0, "x")];
    assert_eq!(only(&check(&near), Rule::DuplicateEvent).len(), 0);
}

#[test]
fn duplicates_older_than_the_window_are_not_detected() {
    let mut frames = vec![started("r0", "a", 0.0)];
    let original = thinking("r0", "a", 0.5, "first");
    frames.push(original.clone());
    for i in 0..256 {
        frames.push(thinking("r0", "a", 1.0 + f64::from(i) * 0.01, &format!("step {i}")));
    }
    frames.push(original);
    assert_eq!(only(&check(&frames), Rule::DuplicateEvent).len(), 0);
}

// --- timestamp-regression ---

#[test]
fn an_event_stamped_over_a_second_before_the_latest_is_a_regression() {
    let frames = vec![
        started("r1", "a", 0.0),
        thinking("r1", "a", 5.0, "x"),
        tool_executing("r1", "search", 3.5),
        tool_completed("r1", "search", 6.0),
        completed("r1", "a", 7.0),
    ];
    let flags = check(&frames);
    assert_eq!(rules(&flags), vec![Rule::TimestampRegression]);
    assert_eq!((flags[0].frame, flags[0].related_frames.clone()), (Some(2), vec![1]));
}

#[test]
fn a_regression_of_one_second_or_less_is_tolerated() {
    let frames = vec![
        started("r1", "a", 0.0),
        thinking("r1", "a", 5.0, "x"),
        tool_executing("r1", "search", 4.0),
        tool_completed("r1", "search", 6.0),
        completed("r1", "a", 7.0),
    ];
    assert_eq!(check(&frames), vec![]);
}

#[test]
fn epoch_and_iso_timestamps_compare_as_one_clock() {
    let frames = vec![
        started("r1", "a", 0.0),
        thinking("r1", "a", 2.0, "x"),
        // The emitter's agent_error carries an epoch float: 1 s after the thinking event.
        format!(
            r#"{{"type":"agent_error","run_id":"r1","error":"boom","status":"error","timestamp":{}}}"#,
            T0 + 3.0
        ),
    ];
    assert_eq!(check(&frames), vec![]);
}

// --- cross-user-event ---

#[test]
fn an_event_for_another_user_is_an_error() {
    let frames = vec![
        started("r1", "a", 0.0),
        s3("agent_thinking", "r1", 1.0, json!({"reasoning": "x", "user_id": "user-2"})),
    ];
    let flags = check_with(CheckerConfig::offline().with_user("user-1"), &frames);
    let leaks = only(&flags, Rule::CrossUserEvent);
    assert_eq!(leaks.len(), 1);
    assert_eq!(leaks[0].severity, Severity::Error);
    assert!(leaks[0].message.contains("user-2"), "{}", leaks[0].message);
}

#[test]
fn truncated_ids_compare_as_prefixes_and_thread_id_quirk_is_tolerated() {
    let frames = vec![
        s3("agent_started", "r1", 0.0, json!({"agent_name": "a", "user_id": "user-1..."})),
        s3("agent_thinking", "r1", 1.0, json!({"reasoning": "x", "user_id": "thread_r1"})),
        completed("r1", "a", 2.0),
    ];
    assert_eq!(check_with(CheckerConfig::offline().with_user("user-1"), &frames), vec![]);
    let other_prefix =
        vec![s3("agent_started", "r1", 0.0, json!({"agent_name": "a", "user_id": "user-9..."}))];
    let flags = check_with(CheckerConfig::offline().with_user("user-1"), &other_prefix);
    assert_eq!(only(&flags, Rule::CrossUserEvent).len(), 1);
}

#[test]
fn the_user_is_learned_from_pong_and_earlier_events_are_not_judged() {
    let frames = vec![
        s3("agent_started", "r1", 0.0, json!({"agent_name": "a", "user_id": "user-2"})),
        r#"{"type":"pong","data":{"timestamp":1758207374.3,"user_id":"user-1"}}"#.to_owned(),
        s3("agent_thinking", "r1", 1.0, json!({"reasoning": "x", "user_id": "user-2"})),
        completed("r1", "a", 2.0),
    ];
    let flags = check(&frames);
    assert_eq!(
        only(&flags, Rule::CrossUserEvent).iter().map(|f| f.frame).collect::<Vec<_>>(),
        vec![Some(2)]
    );
}

#[test]
fn another_users_lifecycle_frames_on_this_connection_are_leaks_too() {
    let frames: Vec<String> = [
        r#"{"type":"connection_established","data":{"mode":"main","user_id":"user-2-full","connection_id":"main_1"}}"#,
        r#"{"type":"connection_established","data":{"mode":"main","user_id":"user-9...","connection_id":"main_2"}}"#,
        r#"{"type":"ack","received_type":"session_restore","user_id":"user-2","status":"acknowledged"}"#,
        r#"{"type":"pong","data":{"timestamp":1758207374.3,"user_id":"user-2"}}"#,
        r#"{"type":"error_message","error_code":"X","error_message":"y","user_id":"user-2"}"#,
        r#"{"type":"cleanup_complete","run_id":"r7","user_id":"user-2","data":{"cleanup_status":"success"}}"#,
    ]
    .map(String::from)
    .to_vec();
    let flags = check_with(CheckerConfig::offline().with_user("user-1"), &frames);
    let leaks = only(&flags, Rule::CrossUserEvent);
    assert_eq!(
        leaks.iter().map(|f| f.frame).collect::<Vec<_>>(),
        vec![Some(0), Some(1), Some(2), Some(3), Some(4), Some(5)]
    );
    assert!(leaks[0].message.contains("connection_established"), "{}", leaks[0].message);
    // A lifecycle frame belongs to the connection; a run-related one names its run.
    assert_eq!(leaks[0].run_id, None);
    assert_eq!(leaks[5].run_id.as_deref(), Some("r7"));
}

#[test]
fn the_users_own_lifecycle_frames_full_or_truncated_are_not_leaks() {
    let frames: Vec<String> = [
        r#"{"type":"connection_established","data":{"mode":"main","user_id":"user-1","connection_id":"main_1"}}"#,
        r#"{"type":"connection_established","data":{"mode":"main","user_id":"user-1...","connection_id":"main_2"}}"#,
        r#"{"type":"ack","received_type":"session_restore","user_id":"user-1","status":"acknowledged"}"#,
        r#"{"type":"system_message","data":{"status":"connected","user_id":"user-1"}}"#,
    ]
    .map(String::from)
    .to_vec();
    assert_eq!(check_with(CheckerConfig::offline().with_user("user-1"), &frames), vec![]);
}

#[test]
fn an_agent_timeout_failure_closes_the_execution_it_names_like_agent_error() {
    let frames = vec![
        started("r1", "supervisor", 0.0),
        thinking("r1", "supervisor", 0.5, "Routing"),
        started("r1", "optimizer", 1.0),
        thinking("r1", "optimizer", 1.5, "Thinking hard"),
        tool_executing("r1", "cost_analyzer", 2.0),
        s3(
            "agent_timeout_failure",
            "r1",
            3.0,
            json!({"agent_name": "optimizer", "error": "timed out"}),
        ),
        completed("r1", "supervisor", 4.0),
    ];
    let flags = check(&frames);
    // The optimizer's execution closed at its timeout, so the supervisor's completion ends
    // the run: its open tool call is reported then, and nothing is left incomplete.
    assert_eq!(rules(&flags), vec![Rule::ToolNeverCompleted]);
    assert_eq!(flags[0].frame, Some(6));
    let alone = vec![
        started("r1", "optimizer", 0.0),
        thinking("r1", "optimizer", 0.5, "Thinking"),
        s3("agent_timeout_failure", "r1", 1.0, json!({"agent_name": "optimizer"})),
    ];
    assert_eq!(check(&alone), vec![], "a timed-out run is over, not incomplete");
}

#[test]
fn an_agent_timeout_failure_before_any_start_is_an_event_before_start() {
    let frames = vec![s3("agent_timeout_failure", "r1", 0.0, json!({"agent_name": "a"}))];
    assert_eq!(rules(&check(&frames)), vec![Rule::EventBeforeStart]);
}

#[test]
fn an_agent_timeout_warning_changes_no_run_state() {
    let frames = vec![
        started("r1", "a", 0.0),
        thinking("r1", "a", 0.5, "x"),
        s3("agent_timeout_warning", "r1", 1.0, json!({"agent_name": "a", "remaining_seconds": 5})),
        completed("r1", "a", 2.0),
        s3("agent_timeout_warning", "r1", 3.0, json!({"agent_name": "a"})),
    ];
    assert_eq!(check(&frames), vec![]);
}

#[test]
fn without_a_known_user_nothing_is_judged_cross_user() {
    let frames =
        vec![s3("agent_started", "r1", 0.0, json!({"agent_name": "a", "user_id": "user-2"}))];
    assert_eq!(only(&check(&frames), Rule::CrossUserEvent).len(), 0);
}

// --- sequence-gap and sequence-regression ---

fn seq_frame(seq: u64, body: &str) -> String {
    let mut value: serde_json::Value = serde_json::from_str(body).unwrap();
    value["seq"] = json!(seq);
    value.to_string()
}

#[test]
fn a_skipped_sequence_number_is_a_gap_naming_the_missing_range() {
    let run = clean_run("r1", 0.0);
    let frames = vec![
        seq_frame(10, &run[0]),
        seq_frame(11, &run[1]),
        seq_frame(14, &run[2]),
        seq_frame(15, &run[3]),
        seq_frame(16, &run[4]),
    ];
    let flags = check(&frames);
    assert_eq!(rules(&flags), vec![Rule::SequenceGap]);
    assert!(flags[0].message.contains("12..13"), "{}", flags[0].message);
}

#[test]
fn a_lower_sequence_number_is_a_regression_and_counting_goes_on_from_the_highest() {
    let ping = |seq| seq_frame(seq, r#"{"type":"heartbeat","data":{}}"#);
    let frames = vec![ping(1), ping(2), ping(5), ping(3), ping(6)];
    let flags = check(&frames);
    assert_eq!(rules(&flags), vec![Rule::SequenceGap, Rule::SequenceRegression]);
    assert_eq!(flags[1].frame, Some(3));
}

#[test]
fn a_replayed_duplicate_with_an_old_seq_is_only_a_duplicate() {
    let run = clean_run("r1", 0.0);
    let frames = vec![seq_frame(1, &run[0]), seq_frame(2, &run[1]), seq_frame(1, &run[0])];
    let flags = check(&frames);
    assert_eq!(rules(&flags), vec![Rule::DuplicateEvent, Rule::RunIncomplete]);
}

#[test]
fn a_resume_result_behind_the_highest_seq_restarts_the_numbering() {
    // A server that restarted answers a resume with its own last number: what follows counts
    // from there, neither a regression nor a gap. Counting goes on exactly after that.
    let ping = |seq| seq_frame(seq, r#"{"type":"heartbeat","data":{}}"#);
    let restarted = r#"{"type":"resume_result","data":{"from_seq":19,"to_seq":0,"complete":true}}"#;
    let frames = vec![ping(17), ping(18), restarted.to_owned(), ping(1), ping(2), ping(4), ping(3)];
    let flags = check(&frames);
    assert_eq!(rules(&flags), vec![Rule::SequenceGap, Rule::SequenceRegression]);
    assert_eq!((flags[0].frame, flags[1].frame), (Some(5), Some(6)));
}

#[test]
fn a_resume_result_that_missed_nothing_keeps_the_numbering() {
    let ping = |seq| seq_frame(seq, r#"{"type":"heartbeat","data":{}}"#);
    let resumed = r#"{"type":"resume_result","data":{"from_seq":3,"to_seq":2,"complete":true}}"#;
    let frames = vec![ping(1), ping(2), resumed.to_owned(), ping(1)];
    assert_eq!(rules(&check(&frames)), vec![Rule::SequenceRegression]);
}

#[test]
fn consecutive_sequence_numbers_are_clean() {
    let frames: Vec<String> =
        clean_run("r1", 0.0).iter().enumerate().map(|(i, f)| seq_frame(i as u64 + 7, f)).collect();
    assert_eq!(check(&frames), vec![]);
}

// --- runs without ids, eviction, summary ---

#[test]
fn events_without_ids_join_the_run_of_the_previous_agent_event() {
    let frames = vec![
        started("r1", "a", 0.0),
        thinking("r1", "a", 1.0, "x"),
        format!(
            r#"{{"type":"agent_error","error":"boom","status":"error","timestamp":{}}}"#,
            T0 + 2.0
        ),
    ];
    assert_eq!(check(&frames), vec![]);
}

#[test]
fn without_any_previous_agent_event_id_less_events_share_one_anonymous_run() {
    let frames = vec![
        r#"{"type":"agent_started","user_id":"u","timestamp":1758207374.0}"#.to_owned(),
        r#"{"type":"agent_thinking","reasoning":"x"}"#.to_owned(),
        r#"{"type":"agent_completed","status":"completed"}"#.to_owned(),
    ];
    let flags = check(&frames);
    // Only the missing thread/run id of the start is flagged; the anonymous run is complete.
    assert_eq!(rules(&flags), vec![Rule::MissingField]);
    assert_eq!(flags[0].run_id, None);
}

#[test]
fn memory_stays_bounded_on_an_endless_stream_of_runs() {
    let mut config = CheckerConfig::offline();
    config.max_runs = 100;
    let mut checker = Checker::new(config);
    for run in 0..5_000 {
        for frame in clean_run(&format!("r{run}"), f64::from(run) * 10.0) {
            let _ = checker.handle_text(&frame, None);
        }
    }
    let summary = checker.summary();
    assert!(summary.tracked_runs <= 100 + 100 / 8, "{summary:?}");
    assert_eq!(summary.runs, 5_000);
    assert_eq!(summary.frames, 25_000);
    assert_eq!(summary.evicted_active_runs, 0);
    assert_eq!(checker.poll_flag(), None);
}

#[test]
fn summary_counts_frames_events_runs_and_flags_by_rule() {
    let mut frames = clean_run("r1", 0.0);
    frames.push("garbage".to_owned());
    frames.extend(clean_run("r2", 10.0));
    let mut checker = Checker::new(CheckerConfig::offline());
    for frame in &frames {
        let _ = checker.handle_text(frame, None);
    }
    let summary = checker.summary();
    assert_eq!(
        (summary.frames, summary.events, summary.agent_events, summary.runs),
        (11, 10, 10, 2)
    );
    assert_eq!(summary.flags_by_rule.get(Rule::MalformedFrame), 1);
    assert_eq!(summary.flags_of(Severity::Error), 1);
}

#[test]
fn rule_ids_are_stable_and_round_trip() {
    let ids: Vec<&str> = Rule::ALL.iter().map(|rule| rule.id()).collect();
    assert_eq!(
        ids,
        [
            "malformed-frame",
            "unknown-type",
            "missing-field",
            "event-before-start",
            "event-after-completion",
            "tool-completed-without-executing",
            "tool-never-completed",
            "run-incomplete",
            "run-stalled",
            "slow-gap",
            "missing-thinking",
            "duplicate-event",
            "timestamp-regression",
            "cross-user-event",
            "sequence-gap",
            "sequence-regression",
        ]
    );
    for rule in Rule::ALL {
        assert_eq!(rule.id().parse::<Rule>(), Ok(rule));
        assert!(!rule.description().is_empty());
    }
}

/// Rule prose lives in one place, `Rule`: the README's table, docs/rules.md's table and each
/// section's opening are held to `summary()` and `description()` (the CLI's `agentwire rules`,
/// the inspector's rules dialog and the TypeScript `RuleId` read the same source).
#[test]
fn every_rule_is_documented_in_the_readme_and_in_docs_rules_in_the_rules_own_words() {
    let readme = include_str!("../../README.md");
    let rules_page = include_str!("../../docs/rules.md");
    let one_line = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    for rule in Rule::ALL {
        let (id, severity) = (rule.id(), rule.severity());
        let row = format!("| `{id}` | {severity} | {} |", rule.summary());
        assert!(readme.contains(&row), "README's rule table lacks {row}");
        let scope = rule.scope().as_str();
        let row = format!("| [`{id}`](#{id}) | {severity} | {scope} | {} |", rule.summary());
        assert!(rules_page.contains(&row), "docs/rules.md's table lacks {row}");
        let heading = format!("## {id}\n\n");
        let start = rules_page.find(&heading).unwrap_or_else(|| panic!("no section {id}"));
        let section = &rules_page[start + heading.len()..];
        let opening = one_line(section.split("\n\n").next().unwrap_or_default());
        let expected = format!("**{severity}.** {}", rule.description());
        assert_eq!(opening, expected, "docs/rules.md's section {id} opens with the description");
    }
}

// --- regressions found in review ---

#[test]
fn a_retry_with_a_fresh_sequence_number_is_a_duplicate_and_not_a_gap() {
    let run = clean_run("r1", 0.0);
    let mut retry: serde_json::Value = serde_json::from_str(&run[0]).unwrap();
    retry["attempt"] = json!(2);
    let frames = vec![
        seq_frame(1, &run[0]),
        seq_frame(2, &retry.to_string()),
        seq_frame(3, &run[1]),
        seq_frame(4, &run[2]),
        seq_frame(5, &run[3]),
        seq_frame(6, &run[4]),
    ];
    assert_eq!(rules(&check(&frames)), vec![Rule::DuplicateEvent]);
}

#[test]
fn execution_ids_key_tool_calls_strictly() {
    let frames = vec![
        started("r1", "a", 0.0),
        thinking("r1", "a", 0.5, "x"),
        s3("tool_executing", "r1", 1.0, json!({"tool_name": "search", "execution_id": "e1"})),
        s3(
            "tool_completed",
            "r1",
            2.0,
            json!({"tool_name": "search", "execution_id": "e2", "results": {}}),
        ),
        completed("r1", "a", 3.0),
    ];
    let flags = check(&frames);
    assert_eq!(rules(&flags), vec![Rule::ToolCompletedWithoutExecuting, Rule::ToolNeverCompleted]);
    assert_eq!(flags[1].related_frames, vec![2]);
}

#[test]
fn thinking_before_the_first_start_does_not_satisfy_missing_thinking() {
    let frames =
        vec![thinking("r1", "a", 0.0, "early"), started("r1", "a", 1.0), completed("r1", "a", 2.0)];
    assert_eq!(rules(&check(&frames)), vec![Rule::EventBeforeStart, Rule::MissingThinking]);
}

#[test]
fn one_endless_run_keeps_a_bounded_number_of_open_calls_and_says_so() {
    let mut frames = vec![started("r1", "a", 0.0), thinking("r1", "a", 0.0, "x")];
    for i in 0..1_100 {
        frames.push(s3("tool_executing", "r1", 0.0, json!({"tool_name": format!("tool_{i}")})));
    }
    for i in 0..300 {
        frames.push(started("r1", &format!("agent_{i}"), 0.0));
    }
    let mut checker = Checker::new(CheckerConfig::offline());
    for frame in &frames {
        let _ = checker.handle_text(frame, None);
    }
    let flags: Vec<_> = std::iter::from_fn(|| checker.poll_flag()).collect();
    // The 76 oldest calls were dropped, each with a flag naming it.
    assert_eq!(rules(&flags), vec![Rule::ToolNeverCompleted; 76]);
    assert!(flags[0].message.contains("tool_0`"), "{}", flags[0].message);
    assert!(flags[0].message.contains("1024 open tool calls"), "{}", flags[0].message);
    assert_eq!(checker.summary().dropped_open_executions, 301 - 256);
}

#[test]
fn huge_ids_are_bounded_in_memory_and_in_flags() {
    let run_id = "r".repeat(1 << 20);
    let frames = vec![
        s3("agent_thinking", &run_id, 0.0, json!({"reasoning": "x"})),
        s3("agent_thinking", &format!("{run_id}2"), 0.0, json!({"reasoning": "y"})),
    ];
    let flags = check(&frames);
    assert_eq!(rules(&flags), vec![Rule::EventBeforeStart, Rule::EventBeforeStart]);
    let labels: Vec<&str> = flags.iter().filter_map(|f| f.run_id.as_deref()).collect();
    assert!(labels.iter().all(|label| label.len() < 300), "{labels:?}");
    assert_ne!(labels[0], labels[1], "long ids that differ stay distinct");
}

#[test]
fn live_mode_never_uses_server_timestamps_as_its_clock() {
    let mut checker = Checker::new(CheckerConfig::live());
    let _ = checker.handle_text(&started("r1", "a", 0.0), None);
    assert_eq!(checker.poll_timeout(), None, "no arrival time, no stall deadline");
    let _ = checker.handle_text(&thinking("r1", "a", 100.0, "x"), Some(at(1.0)));
    assert_eq!(checker.poll_flag(), None);
    assert_eq!(checker.poll_timeout(), Some(at(31.0)));
}

#[test]
fn a_copy_of_a_copy_within_the_window_is_still_a_duplicate() {
    let original = thinking("r0", "a", 0.5, "first");
    let mut frames = vec![started("r0", "a", 0.0), original.clone(), original.clone()];
    for i in 0..255 {
        frames.push(thinking("r0", "a", 1.0 + f64::from(i) * 0.01, &format!("step {i}")));
    }
    frames.push(original);
    let duplicates: Vec<_> =
        check(&frames).into_iter().filter(|f| f.rule == Rule::DuplicateEvent).collect();
    assert_eq!(duplicates.len(), 2);
    assert_eq!(duplicates[1].related_frames, vec![2], "names the latest copy");
}

#[test]
fn the_highest_safe_sequence_number_repeated_is_a_regression() {
    let heartbeat = |seq| seq_frame(seq, r#"{"type":"heartbeat","data":{}}"#);
    let top = (1 << 53) - 1;
    let frames = vec![heartbeat(top), heartbeat(top)];
    assert_eq!(rules(&check(&frames)), vec![Rule::SequenceRegression]);
}

/// A `seq` no server numbering frames one by one could send (a jump of more than
/// `MAX_SEQ_JUMP`, or beyond 2^53 − 1) is a `sequence-gap` that is not adopted: the frames
/// that follow the real numbering raise nothing, and the highest `seq` (the SDK's resume point)
/// stays the real one.
#[test]
fn a_bogus_sequence_number_is_flagged_but_not_adopted() {
    let heartbeat = |seq| seq_frame(seq, r#"{"type":"heartbeat","data":{}}"#);
    let jump = 6 + agentwire::check::MAX_SEQ_JUMP + 1;
    let frames = vec![
        heartbeat(5),
        heartbeat(6),
        heartbeat(jump),
        heartbeat(7),
        heartbeat(u64::MAX),
        heartbeat(8),
    ];
    let mut checker = Checker::new(CheckerConfig::offline());
    for frame in &frames {
        let _ = checker.handle_text(frame, None);
    }
    assert_eq!(checker.highest_seq(), Some(8));
    let flags: Vec<agentwire::Flag> = std::iter::from_fn(|| checker.poll_flag()).collect();
    assert_eq!(rules(&flags), vec![Rule::SequenceGap, Rule::SequenceGap]);
    assert_eq!(flags.iter().map(|flag| flag.frame).collect::<Vec<_>>(), [Some(2), Some(4)]);
    assert!(flags[0].message.contains("not adopted"), "{}", flags[0].message);
    assert!(flags[1].message.contains("beyond 2^53 - 1"), "{}", flags[1].message);
    // A jump within the bound is an ordinary gap, adopted.
    let frames = vec![heartbeat(5), heartbeat(5 + agentwire::check::MAX_SEQ_JUMP), heartbeat(7)];
    assert_eq!(rules(&check(&frames)), vec![Rule::SequenceGap, Rule::SequenceRegression]);
}
