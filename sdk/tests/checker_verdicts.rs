//! What the checker says it did with each event (`Verdict`): the run it judged it in, what it
//! closed there, duplicates it did not apply. Views of runs (the inspector's timelines) draw
//! from these instead of matching runs a second time, so they must say exactly what the rules
//! did.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test helpers fail the test by panicking"
)]

use agentwire::check::{Applied, Outcome};
use agentwire::{Checker, CheckerConfig, Flag, Rule, Scope, Verdict};

/// The verdict of every frame (`None` for one that did not decode), then every flag.
fn judge(frames: &[&str]) -> (Vec<Option<Verdict>>, Vec<Flag>) {
    let mut checker = Checker::new(CheckerConfig::offline().with_user("u1"));
    let verdicts = frames
        .iter()
        .map(|frame| checker.handle_text(frame, None).ok().map(|c| c.verdict))
        .collect();
    checker.finish();
    let flags = std::iter::from_fn(|| checker.poll_flag()).collect();
    (verdicts, flags)
}

fn closed(verdict: &Option<Verdict>) -> Option<u64> {
    match verdict.as_ref().map(|verdict| verdict.outcome) {
        Some(Outcome::Applied(Applied { closed, .. })) => closed,
        _ => None,
    }
}

fn active(verdict: &Option<Verdict>) -> bool {
    matches!(
        verdict.as_ref().map(|verdict| verdict.outcome),
        Some(Outcome::Applied(Applied { run_active: true, .. }))
    )
}

#[test]
fn a_completion_names_the_call_it_closed_by_execution_id_then_first_in_first_out() {
    let (verdicts, _) = judge(&[
        r#"{"type":"agent_started","run_id":"r1","agent_name":"a"}"#,
        r#"{"type":"tool_executing","run_id":"r1","tool_name":"db","execution_id":"x1"}"#,
        r#"{"type":"tool_executing","run_id":"r1","tool_name":"db","execution_id":"x2"}"#,
        r#"{"type":"tool_executing","run_id":"r1","tool_name":"web"}"#,
        r#"{"type":"tool_executing","run_id":"r1","tool_name":"web"}"#,
        r#"{"type":"tool_completed","run_id":"r1","tool_name":"db","execution_id":"x2","results":{}}"#,
        r#"{"type":"tool_completed","run_id":"r1","tool_name":"web","results":{}}"#,
        r#"{"type":"tool_error","run_id":"r1","tool_name":"db","execution_id":"x1","error":"e"}"#,
        r#"{"type":"tool_completed","run_id":"r1","tool_name":"nothing_open","results":{}}"#,
    ]);
    let closes: Vec<Option<u64>> = verdicts.iter().map(closed).collect();
    assert_eq!(closes, [None, None, None, None, None, Some(2), Some(3), Some(1), None]);
    assert!(verdicts.iter().all(|v| v.as_ref().unwrap().run.as_deref() == Some("r1")));
}

#[test]
fn an_agent_completion_closes_its_agents_execution_else_the_latest_and_ends_the_activity() {
    let (verdicts, _) = judge(&[
        r#"{"type":"agent_started","run_id":"r1","agent_name":"supervisor"}"#,
        r#"{"type":"agent_started","run_id":"r1","agent_name":"triage"}"#,
        r#"{"type":"agent_started","run_id":"r1","agent_name":"reporter"}"#,
        r#"{"type":"agent_completed","run_id":"r1","agent_name":"triage","status":"ok"}"#,
        r#"{"type":"agent_error","run_id":"r1","error":"boom"}"#,
        r#"{"type":"agent_death","run_id":"r1","agent_name":"supervisor"}"#,
    ]);
    let closes: Vec<Option<u64>> = verdicts.iter().map(closed).collect();
    assert_eq!(closes, [None, None, None, Some(1), Some(2), Some(0)]);
    let activity: Vec<bool> = verdicts.iter().map(active).collect();
    assert_eq!(activity, [true, true, true, true, true, false]);
}

#[test]
fn a_duplicate_names_its_original_and_is_not_applied() {
    let started = r#"{"type":"agent_started","run_id":"r1","agent_name":"a"}"#;
    let tool = r#"{"type":"tool_executing","run_id":"r1","tool_name":"db"}"#;
    let done = r#"{"type":"tool_completed","run_id":"r1","tool_name":"db","results":{}}"#;
    let (verdicts, _) = judge(&[started, tool, tool, done, done]);
    let duplicates: Vec<Option<u64>> =
        verdicts.iter().map(|v| v.as_ref().unwrap().duplicate_of()).collect();
    assert_eq!(duplicates, [None, None, Some(1), None, Some(3)]);
    assert!(!verdicts[2].as_ref().unwrap().is_applied());
    assert_eq!(verdicts[2].as_ref().unwrap().run.as_deref(), Some("r1"));
    // The repeated tool_executing opened nothing: the one completion closes the first call.
    assert_eq!(closed(&verdicts[3]), Some(1));
}

#[test]
fn other_frames_name_a_run_only_when_they_belong_to_one() {
    let (verdicts, _) = judge(&[
        r#"{"type":"agent_thinking","reasoning":"before any run"}"#,
        r#"{"type":"agent_progress","run_id":"r1","message":"half way"}"#,
        r#"{"type":"heartbeat","thread_id":"t1"}"#,
        r#"{"type":"agent_started","thread_id":"t1","agent_name":"a"}"#,
        r#"{"type":"agent_completed","status":"ok"}"#,
    ]);
    let runs: Vec<(Option<&str>, bool)> = verdicts
        .iter()
        .map(|v| v.as_ref().unwrap())
        .map(|v| (v.run.as_deref(), v.is_applied()))
        .collect();
    assert_eq!(
        runs,
        [(None, true), (Some("r1"), false), (None, false), (Some("t1"), true), (Some("t1"), true)]
    );
}

#[test]
fn a_long_run_id_is_named_alike_in_the_verdict_and_in_its_flags() {
    let id = "r".repeat(300);
    let frames = [
        format!(r#"{{"type":"agent_started","run_id":"{id}","agent_name":"a"}}"#),
        format!(r#"{{"type":"tool_completed","run_id":"{id}","tool_name":"db","results":{{}}}}"#),
    ];
    let frames: Vec<&str> = frames.iter().map(String::as_str).collect();
    let (verdicts, flags) = judge(&frames);
    let run = verdicts[1].as_ref().unwrap().run.clone().unwrap();
    assert!(run.len() < id.len(), "kept as a prefix and a hash: {run}");
    let flag = flags.iter().find(|f| f.rule == Rule::ToolCompletedWithoutExecuting).unwrap();
    assert_eq!(flag.run_id.as_deref(), Some(&*run));
}

#[test]
fn rule_scopes_say_what_each_rule_judges() {
    let connection: Vec<&str> = Rule::ALL
        .into_iter()
        .filter(|rule| rule.scope() == Scope::Connection)
        .map(Rule::id)
        .collect();
    assert_eq!(
        connection,
        [
            "malformed-frame",
            "unknown-type",
            "cross-user-event",
            "sequence-gap",
            "sequence-regression"
        ]
    );
}

/// A checker that goes on with another's stream (`first_frame`) names every frame on from
/// there: flags, related frames, and what verdicts closed and repeated.
#[test]
fn a_checker_from_a_first_frame_names_frames_on_from_it() {
    let frames = [
        r#"{"type":"agent_started","run_id":"r1","agent_name":"a"}"#,
        r#"{"type":"tool_executing","run_id":"r1","tool_name":"db"}"#,
        r#"{"type":"tool_completed","run_id":"r1","tool_name":"db","results":{}}"#,
        r#"{"type":"tool_completed","run_id":"r1","tool_name":"db","results":{}}"#,
        "not json",
    ];
    let config = CheckerConfig { first_frame: 100, ..CheckerConfig::offline().with_user("u1") };
    let mut checker = Checker::new(config);
    assert_eq!(checker.next_frame_index(), 100);
    let verdicts: Vec<Option<Verdict>> = frames
        .iter()
        .map(|frame| checker.handle_text(frame, None).ok().map(|c| c.verdict))
        .collect();
    assert_eq!(closed(&verdicts[2]), Some(101));
    assert!(matches!(
        verdicts[3].as_ref().map(|verdict| verdict.outcome),
        Some(Outcome::Duplicate { original: 102 })
    ));
    checker.finish();
    let flags: Vec<Flag> = std::iter::from_fn(|| checker.poll_flag()).collect();
    let duplicate = flags.iter().find(|flag| flag.rule == Rule::DuplicateEvent).unwrap();
    assert_eq!((duplicate.frame, duplicate.related_frames.as_slice()), (Some(103), &[102][..]));
    let malformed = flags.iter().find(|flag| flag.rule == Rule::MalformedFrame).unwrap();
    assert_eq!(malformed.frame, Some(104));
    assert!(malformed.message.contains("frame 104"), "{}", malformed.message);
}
