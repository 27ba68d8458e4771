//! Builders for realistic manager frames, shared by the checker's rule and property tests.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "shared test helpers"
)]

use agentwire::{Checker, CheckerConfig, Flag, Rule};
use serde_json::{Value, json};

/// Base time of generated frames: 2025-09-18T14:56:14Z.
pub const T0: f64 = 1_758_207_374.0;

/// One S3 (flat, canonical) agent event for `run` at `t` seconds after [`T0`].
pub fn s3(kind: &str, run: &str, t: f64, fields: Value) -> String {
    let mut object = json!({
        "type": kind,
        "critical": true,
        "user_id": "user-1",
        "thread_id": format!("thread_{run}"),
        "run_id": run,
        "timestamp": iso(t),
        "metadata": {"user_tier": "free", "is_priority_queue": false},
    });
    if let (Some(target), Value::Object(extra)) = (object.as_object_mut(), fields) {
        target.extend(extra);
    }
    object.to_string()
}

/// ISO 8601 with `+00:00`, as Python's isoformat() writes it, `t` seconds after [`T0`].
pub fn iso(t: f64) -> String {
    let ts = agentwire::Timestamp::from_unix_secs_f64(T0 + t).expect("in range");
    ts.to_string().replace('Z', "+00:00")
}

pub fn started(run: &str, agent: &str, t: f64) -> String {
    s3(
        "agent_started",
        run,
        t,
        json!({"agent_name": agent, "task_description": "Processing request", "status": "started"}),
    )
}

pub fn thinking(run: &str, agent: &str, t: f64, thought: &str) -> String {
    s3("agent_thinking", run, t, json!({"agent_name": agent, "reasoning": thought}))
}

pub fn tool_executing(run: &str, tool: &str, t: f64) -> String {
    s3(
        "tool_executing",
        run,
        t,
        json!({"tool_name": tool, "parameters": {"region": "eu"}, "tool_args": {"region": "eu"}, "execution_id": null, "status": "executing"}),
    )
}

pub fn tool_completed(run: &str, tool: &str, t: f64) -> String {
    s3(
        "tool_completed",
        run,
        t,
        json!({"tool_name": tool, "results": {"ok": true}, "duration": 0.4, "execution_time": 0.4, "success": true}),
    )
}

pub fn completed(run: &str, agent: &str, t: f64) -> String {
    s3(
        "agent_completed",
        run,
        t,
        json!({"agent_name": agent, "status": "completed", "final_response": "Task completed"}),
    )
}

/// A clean run: supervisor with one thinking step and one tool call, one second apart.
pub fn clean_run(run: &str, start: f64) -> Vec<String> {
    vec![
        started(run, "supervisor", start),
        thinking(run, "supervisor", start + 1.0, "Comparing instance prices"),
        tool_executing(run, "cost_analyzer", start + 2.0),
        tool_completed(run, "cost_analyzer", start + 3.0),
        completed(run, "supervisor", start + 4.0),
    ]
}

/// Runs `frames` through an offline checker (with the given user) and returns every flag.
pub fn check_with(config: CheckerConfig, frames: &[String]) -> Vec<Flag> {
    let mut checker = Checker::new(config);
    for frame in frames {
        let _ = checker.handle_text(frame, None);
    }
    checker.finish();
    std::iter::from_fn(|| checker.poll_flag()).collect()
}

/// Runs `frames` through an offline checker and returns every flag.
pub fn check(frames: &[String]) -> Vec<Flag> {
    check_with(CheckerConfig::offline(), frames)
}

/// The rules of `flags`, in order.
pub fn rules(flags: &[Flag]) -> Vec<Rule> {
    flags.iter().map(|flag| flag.rule).collect()
}
